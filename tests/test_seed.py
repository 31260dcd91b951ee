"""The demo data set loads through the services, once."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from oms.api_tokens import hash_key
from oms.models import ApiScope, ApiToken
from orders.models import OrderEvent, OrderState, SalesOrder

pytestmark = pytest.mark.django_db


def test_seed_demo_loads_orders_in_many_states_and_one_user_per_role():
    out = io.StringIO()
    call_command("seed_demo", verbosity=0, stdout=out)
    states = set(SalesOrder.objects.values_list("state", flat=True))
    assert {OrderState.INQUIRY, OrderState.SUBMITTED, OrderState.ON_HOLD, OrderState.APPROVED,
            OrderState.IN_FULFILMENT, OrderState.SHIPPED, OrderState.CLOSED, OrderState.CANCELLED} <= states
    for username in ["sales", "desk", "reviewer", "planner", "warehouse", "logistics", "manager", "integration"]:
        user = User.objects.get(username=username)
        assert user.groups.count() == 1 and user.check_password("oms-demo-2026")
    assert User.objects.get(username="admin").is_superuser
    # the demo e-shop acts as `integration` with a token for every scope, its key printed once
    key = out.getvalue().strip().rsplit(" ", 1)[-1]
    token = ApiToken.objects.get(key_hash=hash_key(key), client__name="Demo e-shop",
                                 client__user__username="integration")
    assert sorted(token.scopes) == sorted(ApiScope.values)
    # every transition left its event
    closed = SalesOrder.objects.get(state=OrderState.CLOSED)
    assert OrderEvent.objects.filter(order=closed).exclude(to_state="").count() >= 9

    orders_before = SalesOrder.objects.count()
    call_command("seed_demo", verbosity=0)
    assert SalesOrder.objects.count() == orders_before
