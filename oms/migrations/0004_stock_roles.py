"""Give the roles the stock permissions: receiving and adjusting stock (warehouse, planner)."""

from django.db import migrations


def sync_roles(apps, schema_editor):
    from oms.roles import sync_role_permissions

    sync_role_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("oms", "0003_review_roles"),
        ("inventory", "0003_stock_ledger"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
