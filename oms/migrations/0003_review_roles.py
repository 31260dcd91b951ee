"""Give the roles the review permissions: re-running checks and overriding a failed check."""

from django.db import migrations


def sync_roles(apps, schema_editor):
    from oms.roles import sync_role_permissions

    sync_role_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("oms", "0002_preorder_roles"),
        ("orders", "0005_intake_review"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
