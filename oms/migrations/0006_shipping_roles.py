"""Give the roles the shipping permissions: planning, packing and shipping shipments,
tracking and proof of delivery, and reading carriers."""

from django.db import migrations


def sync_roles(apps, schema_editor):
    from oms.roles import sync_role_permissions

    sync_role_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("oms", "0005_supply_roles"),
        ("logistics", "0002_shipments"),
        ("orders", "0008_shipments"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
