"""API permission: each action needs the Django model permission of its role.

Reads need `view_<model>` (DRF's DjangoModelPermissions lets every GET through).
Which rows a user may see is decided by the selectors, not here.
"""

from rest_framework.permissions import DjangoModelPermissions


class ModelRolePermission(DjangoModelPermissions):
    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": [],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }
