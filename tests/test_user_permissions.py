"""oms.user_permissions: the permissions read in one query are exactly Django's."""

from __future__ import annotations

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oms.user_permissions import PermissionsInOneQuery
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _fresh(user):
    return type(user).objects.get(pk=user.pk)  # no cached permissions


@pytest.mark.parametrize("role", ["sales", "reviewer", "warehouse", "integration", None])
def test_one_query_gives_what_djangos_two_give(role):
    user = make_user(role)
    user.user_permissions.add(Permission.objects.get(codename="view_prices"),
                              Permission.objects.get(codename="add_customer"))
    expected = ModelBackend().get_all_permissions(_fresh(user))
    user = _fresh(user)
    with CaptureQueriesContext(connection) as captured:
        assert PermissionsInOneQuery().get_all_permissions(user) == expected
        assert PermissionsInOneQuery().get_all_permissions(user) == expected  # cached on the user
    assert len(captured) == 1
    assert "orders.view_prices" in expected


def test_superusers_have_every_permission_and_inactive_users_none():
    admin = make_user("sales")
    admin.is_superuser = True
    admin.save()
    assert PermissionsInOneQuery().get_all_permissions(_fresh(admin)) == \
        ModelBackend().get_all_permissions(_fresh(admin))
    idle = make_user("manager")
    idle.is_active = False
    idle.save()
    assert PermissionsInOneQuery().get_all_permissions(_fresh(idle)) == set()
    assert not PermissionsInOneQuery().has_perm(_fresh(idle), "orders.view_salesorder")
