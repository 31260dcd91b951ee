"""Review: the automatic credit and availability checks, re-runs, overrides and approval."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from oms.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from orders import selectors, services
from orders.models import CheckOutcome, ChecksResult, OrderState, ReviewCheck, SalesOrder
from tests.factories import CustomerFactory, ProductFactory, make_order, make_user, order_in_state, stock

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def _submitted(users, *, customer=None, lines=None, requested_in_days=14, by="order_desk"):
    customer = customer or CustomerFactory(owner=users["sales"])
    return make_order(by=users[by] if by != "sales" else users["sales"], customer=customer, lines=lines,
                      requested_date=TODAY() + datetime.timedelta(days=requested_in_days), submit=True)


def _checks(order) -> dict[str, ReviewCheck]:
    """The checks of the order's latest run."""
    order.refresh_from_db()
    return {c.kind: c for c in ReviewCheck.objects.filter(order=order, run=order.checks_run)}


# --- credit ---------------------------------------------------------------------------------

def test_credit_passes_within_the_limit_with_the_figures(users):
    customer = CustomerFactory(owner=users["sales"], credit_limit=Decimal("10000"))
    product = ProductFactory(list_price=Decimal("100"))
    stock(product, "50")
    earlier = _submitted(users, customer=customer, lines=[(product, "20")])  # 2,000 approved, unpaid
    services.order_run_checks(order_id=earlier.pk)
    services.order_transition(order_id=earlier.pk, name="approve", by=users["reviewer"])
    order = _submitted(users, customer=customer, lines=[(product, "30")])  # 3,000
    assert services.order_run_checks(order_id=order.pk) == "passed"
    order.refresh_from_db()
    credit = _checks(order)["credit"]
    assert credit.result == CheckOutcome.PASS
    assert credit.details["exposure"] == "2000.00" and credit.details["order_open"] == "3000.00"
    assert credit.details["headroom"] == "5000.00" and credit.details["over_by"] == "0.00"
    assert credit.seen["credit_limit"] == "10000.00" and credit.seen["other_open_orders"] == 1
    assert order.checks_result == ChecksResult.PASSED and order.state == OrderState.SUBMITTED


def test_credit_over_the_limit_holds_the_order_and_says_by_how_much(users):
    customer = CustomerFactory(owner=users["sales"], credit_limit=Decimal("150"))
    product = ProductFactory(list_price=Decimal("100"))
    stock(product, "100")
    order = _submitted(users, customer=customer, lines=[(product, "2")])
    assert services.order_run_checks(order_id=order.pk) == "on_hold"
    order.refresh_from_db()
    credit = _checks(order)["credit"]
    assert (order.state, order.checks_result, credit.result) == (OrderState.ON_HOLD, ChecksResult.FAILED, "fail")
    assert credit.details["over_by"] == "50.00"
    assert "Credit limit exceeded by 50.00" in credit.summary
    # the timeline, which everyone who sees the order reads, names the failure without figures
    hold = order.events.get(kind="hold")
    assert hold.reason == "The credit check failed (see the review checks)."
    assert hold.payload == {"run": 1, "credit": "fail", "availability": "pass"}


def test_credit_warns_when_nearly_used_up(users):
    customer = CustomerFactory(owner=users["sales"], credit_limit=Decimal("1000"))
    product = ProductFactory(list_price=Decimal("95"))
    stock(product, "100")
    order = _submitted(users, customer=customer, lines=[(product, "10")])
    assert services.order_run_checks(order_id=order.pk) == "passed"
    order.refresh_from_db()
    assert _checks(order)["credit"].result == CheckOutcome.WARNING
    assert order.checks_result == ChecksResult.WARNINGS
    assert order.state == OrderState.SUBMITTED


@pytest.mark.parametrize("customer_kwargs, reason", [
    ({"prepayment_required": True}, "flagged for prepayment"),
    ({"first_paid_on": None}, "new customer without payment history"),
])
def test_prepayment_customers_and_new_customers_must_prepay(users, customer_kwargs, reason):
    customer = CustomerFactory(owner=users["sales"], **customer_kwargs)
    product = ProductFactory(list_price=Decimal("40"))
    stock(product, "10")
    order = _submitted(users, customer=customer, lines=[(product, "3")])
    assert services.order_run_checks(order_id=order.pk) == "on_hold"
    credit = _checks(order)["credit"]
    assert "Prepayment of 120.00 required" in credit.summary and reason in credit.summary
    assert credit.details["prepayment_required"] is True
    # once prepaid, a re-run passes
    services.order_record_payment(order_id=order.pk, amount=Decimal("120"), by=users["reviewer"])
    services.order_request_checks(order_id=order.pk, by=users["reviewer"])
    assert services.order_run_checks(order_id=order.pk) == "passed"
    order.refresh_from_db()
    assert order.checks_run == 2 and order.checks_result == ChecksResult.PASSED
    assert order.state == OrderState.ON_HOLD  # still held: the reviewer approves it now
    services.order_transition(order_id=order.pk, name="approve", by=users["reviewer"])


def test_a_first_payment_gives_a_new_customer_a_payment_history(users):
    customer = CustomerFactory(owner=users["sales"], first_paid_on=None)
    order = make_order(by=users["sales"], customer=customer)
    services.order_record_payment(order_id=order.pk, amount=Decimal("1"), by=users["reviewer"])
    customer.refresh_from_db()
    assert customer.first_paid_on == TODAY()


# --- availability to promise ---------------------------------------------------------------------

def test_availability_met_from_stock_promises_today(users):
    product = ProductFactory(sku="ST-1")
    stock(product, "3")
    stock(product, "4")  # a second warehouse
    order = _submitted(users, lines=[(product, "6")])
    assert services.order_run_checks(order_id=order.pk) == "passed"
    line = order.lines.get()
    assert line.promise_date == TODAY()
    check = _checks(order)["availability"]
    assert check.details["lines"][0]["sources"] == [{"source": "stock", "quantity": "6.000",
                                                     "available_on": TODAY().isoformat()}]


def test_availability_met_from_lead_time_for_make_and_buy_items(users):
    make = ProductFactory(sku="MK-1", supply_type="make", lead_time_days=10)
    buy = ProductFactory(sku="BY-1", supply_type="buy", lead_time_days=5)
    stock(buy, "2")
    order = _submitted(users, lines=[(make, "4"), (buy, "3")], requested_in_days=12)
    assert services.order_run_checks(order_id=order.pk) == "passed"
    promises = dict(order.lines.values_list("product__sku", "promise_date"))
    assert promises == {"MK-1": TODAY() + datetime.timedelta(days=10),
                        "BY-1": TODAY() + datetime.timedelta(days=5)}  # 2 from stock, 1 bought in


def test_availability_not_met_gives_the_later_promise_date_and_holds(users):
    make = ProductFactory(sku="MK-2", supply_type="make", lead_time_days=25)
    stocked = ProductFactory(sku="ST-2")
    stock(stocked, "1")
    order = _submitted(users, lines=[(make, "1"), (stocked, "5")], requested_in_days=10)
    assert services.order_run_checks(order_id=order.pk) == "on_hold"
    order.refresh_from_db()
    promises = dict(order.lines.values_list("product__sku", "promise_date"))
    assert promises == {"MK-2": TODAY() + datetime.timedelta(days=25), "ST-2": None}
    summary = _checks(order)["availability"].summary
    assert f"can be delivered on {(TODAY() + datetime.timedelta(days=25)).isoformat()}" in summary
    assert "ST-2" in summary and "cannot be supplied" in summary


def test_lines_of_one_product_share_its_stock(users):
    product = ProductFactory(sku="SH-1")
    stock(product, "5")
    order = _submitted(users, lines=[(product, "3"), (product, "3")])
    services.order_run_checks(order_id=order.pk)
    assert list(order.lines.order_by("line_no").values_list("promise_date", flat=True)) == [TODAY(), None]


# --- runs, re-runs, idempotency ------------------------------------------------------------

def test_checks_are_idempotent(users):
    order = _submitted(users)
    assert services.order_run_checks(order_id=order.pk) == "passed"
    assert services.order_run_checks(order_id=order.pk) == "skipped"
    assert services.order_run_checks(order_id=10**9) == "skipped"
    assert ReviewCheck.objects.filter(order=order).count() == 2
    assert order.events.filter(kind="checks_passed").count() == 1


def test_submit_schedules_the_checks_after_commit(users, django_capture_on_commit_callbacks):
    order = make_order(by=users["order_desk"], customer=CustomerFactory(owner=users["sales"]))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.order_transition(order_id=order.pk, name="submit", by=users["order_desk"])
    assert len(callbacks) == 1
    order.refresh_from_db()
    assert (order.state, order.checks_result, order.checks_run) == (OrderState.SUBMITTED, ChecksResult.PASSED, 1)


def test_rerun_only_in_review_and_only_for_roles_that_may(users, django_capture_on_commit_callbacks):
    order = _submitted(users)
    services.order_run_checks(order_id=order.pk)
    with pytest.raises(PermissionDenied):
        services.order_request_checks(order_id=order.pk, by=users["warehouse"])
    with pytest.raises(PermissionDenied):
        services.order_request_checks(order_id=order.pk, by=users["sales"])
    with django_capture_on_commit_callbacks(execute=True):
        services.order_request_checks(order_id=order.pk, by=users["reviewer"])
    order.refresh_from_db()
    assert order.checks_run == 2 and order.checks_result == ChecksResult.PASSED
    assert [e.kind for e in order.events.all()][-2:] == ["checks_requested", "checks_passed"]
    approved = order_in_state("approved", users)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.order_request_checks(order_id=approved.pk, by=users["reviewer"])
    assert refused.value.code == "order_not_in_review"


def test_approval_waits_for_the_checks(users):
    order = _submitted(users)
    assert "approve" not in selectors.available_transitions(order, users["reviewer"])
    with pytest.raises(TransitionNotAllowed) as refused:
        services.order_transition(order_id=order.pk, name="approve", by=users["reviewer"])
    assert refused.value.code == "checks_not_cleared"


# --- override ----------------------------------------------------------------------------------

def _held(users):
    customer = CustomerFactory(owner=users["sales"], credit_limit=Decimal("10"))
    order = _submitted(users, customer=customer)
    services.order_run_checks(order_id=order.pk)
    order.refresh_from_db()
    assert order.state == OrderState.ON_HOLD
    return order


def test_override_needs_its_permission_and_a_reason_then_approval_is_possible(users):
    order = _held(users)
    credit = _checks(order)["credit"]
    with pytest.raises(TransitionNotAllowed) as refused:
        services.order_transition(order_id=order.pk, name="approve", by=users["reviewer"])
    assert refused.value.code == "checks_not_cleared"
    with pytest.raises(PermissionDenied):  # the reviewer approves, but may not override
        services.order_override_check(order_id=order.pk, check_id=credit.pk, by=users["reviewer"], reason="ok")
    with pytest.raises(ValidationFailed) as refused:
        services.order_override_check(order_id=order.pk, check_id=credit.pk, by=users["manager"], reason=" ")
    assert "reason" in refused.value.errors
    services.order_override_check(order_id=order.pk, check_id=credit.pk, by=users["manager"],
                                  reason="Bank guarantee received for this order.")
    credit.refresh_from_db()
    order.refresh_from_db()
    assert credit.overridden_by == users["manager"]
    assert credit.override_reason == "Bank guarantee received for this order."
    assert order.checks_result == ChecksResult.OVERRIDDEN
    event = order.events.get(kind="check_overridden")
    assert (event.by, event.reason, event.payload["kind"]) == (users["manager"], credit.override_reason, "credit")
    services.order_transition(order_id=order.pk, name="approve", by=users["reviewer"])
    order.refresh_from_db()
    assert order.state == OrderState.APPROVED


def test_passed_checks_and_other_runs_cannot_be_overridden(users):
    order = _held(users)
    checks = _checks(order)
    with pytest.raises(TransitionNotAllowed):
        services.order_override_check(order_id=order.pk, check_id=checks["availability"].pk, by=users["manager"],
                                      reason="x")
    other = _held(users)
    with pytest.raises(ValidationFailed):
        services.order_override_check(order_id=order.pk, check_id=_checks(other)["credit"].pk, by=users["manager"],
                                      reason="x")


def test_the_person_who_entered_an_order_can_neither_override_nor_approve_it(users):
    manager_at_desk = make_user("manager")
    manager_at_desk.groups.add(*users["order_desk"].groups.all(), *users["reviewer"].groups.all())
    customer = CustomerFactory(owner=users["sales"], credit_limit=Decimal("10"))
    order = make_order(by=manager_at_desk, customer=customer, submit=True)
    services.order_run_checks(order_id=order.pk)
    credit = _checks(order)["credit"]
    with pytest.raises(PermissionDenied) as refused:
        services.order_override_check(order_id=order.pk, check_id=credit.pk, by=manager_at_desk, reason="mine")
    assert refused.value.code == "four_eyes_rule"
    services.order_override_check(order_id=order.pk, check_id=credit.pk, by=users["manager"], reason="guarantee")
    with pytest.raises(PermissionDenied) as refused:
        services.order_transition(order_id=order.pk, name="approve", by=manager_at_desk)
    assert refused.value.code == "four_eyes_rule"


def test_roles_outside_review_cannot_rerun_or_override(users):
    order = _held(users)
    credit = _checks(order)["credit"]
    for role in ("sales", "planner", "warehouse", "logistics", "integration"):
        with pytest.raises((PermissionDenied, NotFound)):
            services.order_request_checks(order_id=order.pk, by=users[role])
        with pytest.raises((PermissionDenied, NotFound)):
            services.order_override_check(order_id=order.pk, check_id=credit.pk, by=users[role], reason="x")
    credit.refresh_from_db()
    assert credit.overridden_at is None


# --- approval notification ------------------------------------------------------------------

def test_approval_e_mails_the_order_confirmation_once(users, django_capture_on_commit_callbacks):
    from orders.tasks import order_confirmation_email

    order = _submitted(users)
    services.order_run_checks(order_id=order.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.order_transition(order_id=order.pk, name="approve", by=users["reviewer"])
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [order.contact.email] and order.number in message.subject
    assert order.lines.get().product.sku in message.body
    assert order_confirmation_email(order.pk) is False
    assert len(mail.outbox) == 1


def test_approval_checks_credit_again_so_two_orders_cannot_pass_the_limit_together(users):
    customer = CustomerFactory(owner=users["sales"], credit_limit=Decimal("1000"))
    product = ProductFactory(list_price=Decimal("600"))
    stock(product, "10")
    first, second = (_submitted(users, customer=customer, lines=[(product, "1")]) for _ in range(2))
    assert services.order_run_checks(order_id=first.pk) == "passed"
    assert services.order_run_checks(order_id=second.pk) == "passed"  # each alone is within the limit
    services.order_transition(order_id=first.pk, name="approve", by=users["reviewer"])
    with pytest.raises(TransitionNotAllowed) as refused:
        services.order_transition(order_id=second.pk, name="approve", by=users["reviewer"])
    assert refused.value.code == "credit_exceeded" and "exceeded by 200.00" in refused.value.message
    second.refresh_from_db()
    assert second.state == OrderState.SUBMITTED
    # a re-run now fails the credit check; an override with a reason lets it through
    services.order_request_checks(order_id=second.pk, by=users["reviewer"])
    assert services.order_run_checks(order_id=second.pk) == "on_hold"
    services.order_override_check(order_id=second.pk, check_id=_checks(second)["credit"].pk, by=users["manager"],
                                  reason="Letter of credit for the second order.")
    services.order_transition(order_id=second.pk, name="approve", by=users["reviewer"])


@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_for_one_customer_never_pass_its_limit_together(users):
    """Many orders of one customer approved from many threads at once: the customer row
    lock makes them take turns, so approved exposure never exceeds the limit."""
    import threading

    from django.db import connection

    customer = CustomerFactory(owner=users["sales"], credit_limit=Decimal("1000"))
    product = ProductFactory(list_price=Decimal("300"))
    stock(product, "100")
    orders = [_submitted(users, customer=customer, lines=[(product, "1")]) for _ in range(6)]
    for order in orders:  # the checks ran on commit (tasks run eagerly in tests)
        order.refresh_from_db()
        assert order.checks_result == ChecksResult.PASSED
    barrier, outcomes = threading.Barrier(len(orders)), []

    def approve(order_id):
        try:
            barrier.wait(timeout=10)
            services.order_transition(order_id=order_id, name="approve", by=users["reviewer"])
            outcomes.append("approved")
        except TransitionNotAllowed as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(order.pk,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["approved"] * 3 + ["credit_exceeded"] * 3  # 3 × 300 ≤ 1000 < 4 × 300
    approved = SalesOrder.objects.filter(customer=customer, state=OrderState.APPROVED)
    assert sum(o.total_amount for o in approved) == Decimal("900.00")
