"""Give the roles the quotation and contract permissions (oms/roles.py)."""

from django.db import migrations


def sync_roles(apps, schema_editor):
    from oms.roles import sync_role_permissions

    sync_role_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("oms", "0001_roles"),
        ("orders", "0003_preorder"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
