"""A real Celery worker, started here, runs our tasks from the broker (Redis under
`make test` and in CI) against the test database: nothing eager, nothing mocked."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from oms.health import HEARTBEAT_KEY
from oms.tasks import heartbeat
from orders import services
from orders.models import OrderState, ReviewCheck
from orders.tasks import order_checks_run, order_confirmation_email
from tests.factories import CustomerFactory, ProductFactory, make_order, make_user, stock
from tests.processes import start_worker, tasks_to_the_broker

TASK_TIMEOUT = 60


@pytest.fixture
def live_worker(transactional_db, tmp_path):
    """A worker process on all our queues, with the test database; stopped afterwards."""
    worker = start_worker(tmp_path, wait=False)
    try:
        with tasks_to_the_broker():
            yield worker
    finally:
        worker.stop()
        print(worker.log()[-4000:])  # shown by pytest only when the test fails


def result_of(task, *args):
    """Send `task` to the worker and wait for its result (results are kept only when asked)."""
    return task.apply_async(args, ignore_result=False).get(timeout=TASK_TIMEOUT)


def test_submitted_order_is_checked_exactly_once_by_a_real_worker(live_worker):
    sales = make_user("sales")
    product = ProductFactory(list_price=Decimal("10"))
    stock(product, "100")
    order = make_order(by=sales, lines=[(product, "3")])

    # The real path: the service commits, then on_commit sends the check to the broker.
    services.order_transition(order_id=order.pk, name="submit", by=sales)

    # A second, explicit request for the same check queues behind the first (one solo
    # worker, FIFO): when it answers, the first has run, and the second must be a no-op.
    second = result_of(order_checks_run, order.pk)
    assert second == "skipped"
    order.refresh_from_db()
    assert order.state == OrderState.SUBMITTED
    assert order.checks_done_at is not None
    assert order.events.filter(kind="checks_passed").count() == 1


def test_worker_puts_an_order_short_of_stock_on_hold(live_worker):
    sales = make_user("sales")
    product = ProductFactory(sku="SHORT-1")
    stock(product, "1")
    order = make_order(by=sales, lines=[(product, "5")])
    services.order_transition(order_id=order.pk, name="submit", by=sales)
    assert result_of(order_checks_run, order.pk) == "skipped"
    order.refresh_from_db()
    assert order.state == OrderState.ON_HOLD
    assert "SHORT-1" in order.events.get(kind="hold").reason


def test_review_path_hold_rerun_approve_and_confirmation_with_a_real_worker(live_worker):
    """submit → checks (worker) → on hold for prepayment → paid → re-run (worker) → approve
    → the confirmation e-mail task (worker), each exactly once."""
    desk, reviewer = make_user("order_desk"), make_user("reviewer")
    customer = CustomerFactory(first_paid_on=None)  # new: must prepay
    product = ProductFactory(sku="RW-1", list_price=Decimal("10"))
    stock(product, "100")
    order = make_order(by=desk, customer=customer, lines=[(product, "3")])
    services.order_transition(order_id=order.pk, name="submit", by=desk)
    assert result_of(order_checks_run, order.pk) == "skipped"  # the first one ran
    order.refresh_from_db()
    assert (order.state, order.checks_result, order.checks_run) == (OrderState.ON_HOLD, "failed", 1)
    checks = {c.kind: c for c in ReviewCheck.objects.filter(order=order)}
    assert checks["credit"].result == "fail" and "Prepayment of 30.00 required" in checks["credit"].summary
    assert checks["availability"].result == "pass"
    assert order.lines.get().promise_date == timezone.localdate()

    services.order_record_payment(order_id=order.pk, amount=Decimal("30"), by=reviewer)
    services.order_request_checks(order_id=order.pk, by=reviewer)
    assert result_of(order_checks_run, order.pk) == "skipped"
    order.refresh_from_db()
    assert (order.checks_run, order.checks_result) == (2, "passed")
    assert ReviewCheck.objects.filter(order=order).count() == 4

    services.order_transition(order_id=order.pk, name="approve", by=reviewer)
    assert result_of(order_confirmation_email, order.pk) is False  # sent once already
    order.refresh_from_db()
    assert order.state == OrderState.APPROVED and order.approval_emailed_at is not None


def test_heartbeat_task_writes_to_the_shared_cache(live_worker):
    cache.delete(HEARTBEAT_KEY)
    stamp = result_of(heartbeat)
    assert cache.get(HEARTBEAT_KEY) == stamp
