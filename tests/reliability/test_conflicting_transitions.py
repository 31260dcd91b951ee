"""Two people run conflicting steps on the same order at the same moment, through the API:
one wins, the other gets a clear 409 (problem details naming the order's new state and the
steps still open to them), and the timeline has exactly one new event. The order's row lock
makes the second wait for the first and then see the state it left.

Six orders at once, each approved by one reviewer and rejected by another, on real threads
against PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from rest_framework.test import APIClient

from orders import services
from orders.models import OrderEvent, SalesOrder
from orders.selectors import available_transitions
from tests.api import assert_problem, client_for
from tests.factories import make_order, make_user
from tests.threads import run_at_once

pytestmark = pytest.mark.django_db(transaction=True)

ORDERS = 6
STEPS = {"approve": {}, "reject": {"reason": "The customer withdrew the enquiry."}}


def submitted_and_checked(users) -> SalesOrder:
    order = make_order(by=users["sales"])
    # committed at once (no test transaction here): the checks run (in place) on the commit
    services.order_transition(order_id=order.pk, name="submit", by=users["order_desk"])
    order.refresh_from_db()
    assert (order.state, order.checks_result) == ("submitted", "passed")
    return order


def test_conflicting_transitions_at_once_one_wins_the_other_gets_409_and_one_event(users):
    reviewers = {"approve": users["reviewer"], "reject": make_user("reviewer")}
    orders = [submitted_and_checked(users) for _ in range(ORDERS)]
    events_before = {o.pk: o.events.count() for o in orders}
    answers, lock = {}, threading.Lock()

    def step(order_id: int, name: str):
        def run() -> None:
            api = APIClient()  # one per thread
            api.credentials(**client_for(reviewers[name])._credentials)
            response = api.post(f"/api/v1/orders/{order_id}/transitions/{name}/", STEPS[name], format="json")
            with lock:
                answers[order_id, name] = response
        return run

    for reviewer in reviewers.values():
        client_for(reviewer)  # tokens made before the threads start
    assert run_at_once([step(o.pk, name) for o in orders for name in STEPS], timeout=60) == []

    for order in orders:
        order.refresh_from_db()
        statuses = {name: answers[order.pk, name].status_code for name in STEPS}
        assert sorted(statuses.values()) == [200, 409], statuses
        won = next(name for name, status in statuses.items() if status == 200)
        lost = next(name for name in STEPS if name != won)
        assert order.state == {"approve": "approved", "reject": "rejected"}[won]
        assert answers[order.pk, won].json()["state"] == order.state

        problem = assert_problem(answers[order.pk, lost], 409, "transition_not_allowed")
        assert problem["state"] == order.state
        assert order.get_state_display() in problem["detail"]
        assert problem["allowed_transitions"] == available_transitions(order, reviewers[lost])
        assert lost not in problem["allowed_transitions"]

        new_events = list(OrderEvent.objects.filter(order=order).order_by("id")[events_before[order.pk]:])
        assert [(e.kind, e.from_state, e.to_state, e.by_id) for e in new_events] == [
            (won, "submitted", order.state, reviewers[won].pk)]
    assert SalesOrder.objects.filter(pk__in=[o.pk for o in orders], state="submitted").count() == 0
