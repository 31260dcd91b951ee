"""The order state machine: every transition's allowed path, refused path and roles."""

from __future__ import annotations

import pytest
from django_fsm import TransitionNotAllowed as FSMTransitionNotAllowed

from oms.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from orders import selectors, services
from orders.models import OrderEvent, OrderState, SalesOrder
from tests.factories import PATH_TO_STATE, CustomerFactory, make_order, make_user, order_in_state

pytestmark = pytest.mark.django_db

#: What each state allows, whoever asks (the spec of DESIGN.md §4, written out).
STATE_ALLOWS = {
    "inquiry": {"submit", "cancel"},  # quote and contract follow the documents: see the tests below
    "quoted": {"cancel"},
    "contracted": {"submit", "cancel"},
    "submitted": {"hold", "approve", "reject", "cancel"},
    "on_hold": {"approve", "reject", "cancel"},
    "approved": {"start_fulfilment", "cancel"},
    "rejected": {"submit", "cancel"},
    # the shipping steps follow the shipments (tests/logistics): never run directly
    "in_fulfilment": {"cancel"},
    "ready_to_ship": {"cancel"},
    "partially_shipped": set(),
    "shipped": set(),
    "delivered": {"invoice"},
    "invoiced": set(),  # `close` needs the order paid in full: see the close tests
    "closed": set(),
    "cancelled": set(),
}
#: What each role may ever do (DESIGN.md §6).
ROLE_ALLOWS = {
    "sales": {"submit", "cancel"},
    "order_desk": {"submit"},
    "reviewer": {"hold", "approve", "reject", "invoice", "close"},
    "planner": {"start_fulfilment"},
    "warehouse": set(),
    "logistics": set(),
    "manager": {"invoice", "close", "cancel"},
    "integration": {"submit", "cancel"},
}


def test_every_state_is_reachable_and_covered():
    assert set(STATE_ALLOWS) == set(OrderState.values) == set(PATH_TO_STATE)


@pytest.mark.parametrize("state", list(STATE_ALLOWS))
def test_permission_matrix(state, users):
    order = order_in_state(state, users)
    order = selectors.order_detail(users["manager"]).get(pk=order.pk)
    for role, user in users.items():
        expected = STATE_ALLOWS[state] & ROLE_ALLOWS[role]
        assert set(selectors.available_transitions(order, user)) == expected, (state, role)


@pytest.mark.parametrize("state", [s for s in STATE_ALLOWS if s not in ("closed", "cancelled")])
def test_each_allowed_transition_moves_the_state_and_writes_an_event(state, users):
    for name in sorted(STATE_ALLOWS[state]):
        order = order_in_state(state, users)
        role = next(r for r in ("reviewer", "sales", "planner", "warehouse", "logistics", "manager")
                    if name in ROLE_ALLOWS[r])
        services.order_transition(order_id=order.pk, name=name, by=users[role], reason="because")
        order.refresh_from_db()
        event = order.events.latest("at", "id")
        target = SalesOrder._meta.get_field("state").get_all_transitions(SalesOrder)
        expected_target = next(t.target for t in target if t.name == name and t.source == state)
        assert order.state == expected_target
        assert (event.kind, event.from_state, event.to_state, event.by) == (name, state, expected_target, users[role])


@pytest.mark.parametrize("state", list(STATE_ALLOWS))
def test_transitions_not_allowed_from_a_state_are_refused_with_409(state, users):
    order = order_in_state(state, users)
    refused = {"submit", "hold", "approve", "reject", "start_fulfilment", "invoice", "close",
               "cancel"} - STATE_ALLOWS[state] - {"close"}
    events_before = order.events.count()
    for name in refused:
        role = next(r for r in ROLE_ALLOWS if name in ROLE_ALLOWS[r])
        # a role that may not even see the order (the warehouse, before fulfilment) gets 404
        expected = TransitionNotAllowed if selectors.order_is_visible_to(users[role], order) else NotFound
        with pytest.raises(expected):
            services.order_transition(order_id=order.pk, name=name, by=users[role], reason="x")
    order.refresh_from_db()
    assert order.state == state
    assert order.events.count() == events_before


@pytest.mark.parametrize("name", sorted(set().union(*ROLE_ALLOWS.values())))
def test_wrong_role_is_refused_with_403(name, users):
    source = next(s for s, allowed in STATE_ALLOWS.items() if name in allowed) if name != "close" else "invoiced"
    for role, user in users.items():
        if name in ROLE_ALLOWS[role]:
            continue
        order = order_in_state(source, users)
        if not selectors.order_is_visible_to(user, order):
            with pytest.raises(NotFound):
                services.order_transition(order_id=order.pk, name=name, by=user, reason="x")
            continue
        with pytest.raises(PermissionDenied):
            services.order_transition(order_id=order.pk, name=name, by=user, reason="x")
        order.refresh_from_db()
        assert order.state == source


def test_the_user_who_entered_an_order_cannot_approve_it(users):
    reviewer_who_enters = make_user("reviewer")
    reviewer_who_enters.groups.add(*users["order_desk"].groups.all())
    order = make_order(by=reviewer_who_enters, customer=CustomerFactory(), submit=True)
    services.order_run_checks(order_id=order.pk)
    order.refresh_from_db()
    assert "approve" not in selectors.available_transitions(order, reviewer_who_enters)
    with pytest.raises(PermissionDenied) as refused:
        services.order_transition(order_id=order.pk, name="approve", by=reviewer_who_enters)
    assert refused.value.code == "four_eyes_rule"
    services.order_transition(order_id=order.pk, name="approve", by=users["reviewer"])
    order.refresh_from_db()
    assert order.state == OrderState.APPROVED


def test_submit_refused_while_the_order_is_incomplete(users):
    order = make_order(by=users["sales"], requested_date=None)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.order_transition(order_id=order.pk, name="submit", by=users["sales"])
    assert refused.value.code == "order_incomplete"
    assert set(refused.value.errors) == {"requested_date"}
    assert "submit" not in selectors.available_transitions(order, users["sales"])


@pytest.mark.parametrize("state", ["inquiry", "quoted", "submitted"])
def test_quote_and_contract_run_only_through_their_documents(state, users):
    order = order_in_state(state, users)
    events_before = order.events.count()
    for name in ("quote", "contract"):
        with pytest.raises(TransitionNotAllowed) as refused:
            services.order_transition(order_id=order.pk, name=name, by=users["sales"])
        assert refused.value.code == "step_follows_document"
        with pytest.raises(PermissionDenied):  # the role check still comes first
            services.order_transition(order_id=order.pk, name=name, by=users["planner"])
    order.refresh_from_db()
    assert (order.state, order.events.count()) == (state, events_before)


@pytest.mark.parametrize("state", ["in_fulfilment", "ready_to_ship", "partially_shipped", "shipped"])
def test_shipping_steps_run_only_through_the_shipments(state, users):
    order = order_in_state(state, users)
    events_before = order.events.count()
    steps = [("ship_partial", "logistics"), ("ship", "logistics"), ("deliver", "logistics")]
    if state != "shipped":  # the warehouse no longer sees a shipped order
        steps += [("mark_ready", "warehouse"), ("unready", "warehouse")]
    for name, role in steps:
        with pytest.raises(TransitionNotAllowed) as refused:
            services.order_transition(order_id=order.pk, name=name, by=users[role])
        assert refused.value.code == "step_follows_document"
    order.refresh_from_db()
    assert (order.state, order.events.count()) == (state, events_before)


def test_close_needs_payment_in_full(users):
    order = order_in_state("invoiced", users)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.order_transition(order_id=order.pk, name="close", by=users["manager"])
    assert refused.value.code == "order_not_paid"
    services.order_record_payment(order_id=order.pk, amount=order.total_amount, by=users["reviewer"])
    order = selectors.order_detail(users["manager"]).get(pk=order.pk)
    assert set(selectors.available_transitions(order, users["manager"])) == {"close"}
    services.order_transition(order_id=order.pk, name="close", by=users["manager"])
    order.refresh_from_db()
    assert order.state == OrderState.CLOSED


@pytest.mark.parametrize(("state", "name", "role"), [("submitted", "hold", "reviewer"),
                                                      ("submitted", "reject", "reviewer"),
                                                      ("inquiry", "cancel", "sales")])
def test_reason_is_required_for_hold_reject_and_cancel(state, name, role, users):
    order = order_in_state(state, users)
    with pytest.raises(ValidationFailed) as refused:
        services.order_transition(order_id=order.pk, name=name, by=users[role], reason="   ")
    assert "reason" in refused.value.errors
    order.refresh_from_db()
    assert order.state == state
    services.order_transition(order_id=order.pk, name=name, by=users[role], reason="Customer asked")
    assert OrderEvent.objects.filter(order=order, kind=name, reason="Customer asked").exists()


def test_unknown_transition_is_not_found(users):
    order = make_order(by=users["sales"])
    with pytest.raises(NotFound):
        services.order_transition(order_id=order.pk, name="teleport", by=users["sales"])


def test_state_cannot_be_assigned_directly(users):
    order = make_order(by=users["sales"])
    with pytest.raises(AttributeError):
        order.state = OrderState.APPROVED


def test_fsm_method_refuses_a_wrong_source_state(users):
    order = make_order(by=users["sales"])
    with pytest.raises(FSMTransitionNotAllowed):
        order.ship()


def test_sales_cannot_act_on_another_sales_users_orders(users):
    other_sales = make_user("sales")
    order = make_order(by=users["sales"])
    with pytest.raises(NotFound):
        services.order_transition(order_id=order.pk, name="cancel", by=other_sales, reason="x")
