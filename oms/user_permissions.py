"""A user's permissions in one query.

Django's `ModelBackend` reads them in two (the user's own, then those of the user's
groups) on the first permission check of every request. `PermissionsInOneQuery` reads the
same set with one UNION and caches it on the user object as `ModelBackend` does
(`_perm_cache`), so `has_perm` and `get_all_permissions` behave the same."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


def _names(permissions) -> Any:
    return permissions.values_list("content_type__app_label", "codename").order_by()


class PermissionsInOneQuery(ModelBackend):
    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                rows = _names(Permission.objects.all())
            else:
                rows = _names(Permission.objects.filter(user=user_obj)).union(
                    _names(Permission.objects.filter(group__user=user_obj)))
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
        return user_obj._perm_cache
