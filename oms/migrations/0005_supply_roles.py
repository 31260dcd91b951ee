"""Give the roles the supply permissions: planning work and purchase orders, priorities,
transfers and cycle counts."""

from django.db import migrations


def sync_roles(apps, schema_editor):
    from oms.roles import sync_role_permissions

    sync_role_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("oms", "0004_stock_roles"),
        ("inventory", "0004_supply"),
        ("orders", "0007_supply"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
