"""Supply for sales orders: promise dates from incoming purchase and work orders, work
orders and requisitions raised on release, receipts and completions filling waiting
orders in priority order, exceptions moving promise dates, cancellation."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from inventory.models import (
    Location,
    MoveKind,
    PurchaseOrderState,
    PurchaseRequisition,
    RequisitionState,
    StockLevel,
    StockMove,
    Supplier,
    SupplyException,
    WorkOrder,
    WorkOrderState,
)
from inventory.services import (
    issue_for_line,
    ledger_differences,
    purchase_order_create,
    purchase_order_delay,
    purchase_order_receive,
    purchase_order_transition,
    rebalance,
    stock_receive,
    work_order_block,
    work_order_complete,
    work_order_create,
    work_order_transition,
)
from oms.errors import Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed
from orders import services
from orders.locks import lock_order
from orders.models import OrderState
from orders.priority import priority_score
from tests.factories import CustomerFactory, ProductFactory, WarehouseFactory, make_order, released_order

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _days(n: int) -> datetime.date:
    return TODAY() + datetime.timedelta(days=n)


@pytest.fixture
def supplier():
    return Supplier.objects.create(code="SUP-1", name="Acme Components", lead_time_days=10)


def _sent_po(users, supplier, warehouse, product, quantity, expected_in):
    purchase_order = purchase_order_create(supplier=supplier, warehouse=warehouse, expected_date=_days(expected_in),
                                           lines=[{"product": product, "quantity": quantity, "unit_price": "3.50"}],
                                           by=users["planner"])
    return purchase_order_transition(purchase_order_id=purchase_order.pk, name="send", by=users["planner"])


def _checked(users, *, customer, lines, requested_in):
    order = make_order(by=users["order_desk"], customer=customer, lines=lines, submit=True,
                       requested_date=_days(requested_in))
    services.order_run_checks(order_id=order.pk)
    order.refresh_from_db()
    return order, order.checks.get(run=order.checks_run, kind="availability")


# --- availability to promise from incoming supply --------------------------------------------

def test_a_promise_date_met_by_an_incoming_purchase_order(users, supplier):
    product, warehouse = ProductFactory(sku="BOLT-M8"), WarehouseFactory()
    _sent_po(users, supplier, warehouse, product, "20", expected_in=5)
    customer = CustomerFactory(owner=users["sales"], credit_limit=Decimal("1000000"))
    order, check = _checked(users, customer=customer, lines=[(product, "15")], requested_in=7)
    assert check.result == "pass"
    assert order.lines.get().promise_date == _days(5)
    assert check.details["lines"][0]["sources"][0]["source"].startswith("purchase_order:PO-")
    # more than the purchase order brings, and a stock item has no lead time to fall back on
    _order, check = _checked(users, customer=customer, lines=[(product, "25")], requested_in=7)
    assert check.result == "fail"


def test_a_promise_date_met_by_a_work_order(users):
    product, warehouse = ProductFactory(sku="FRAME-7", supply_type="make", lead_time_days=30), WarehouseFactory()
    work_order_create(product=product, quantity="10", warehouse=warehouse, due_date=_days(10), by=users["planner"])
    customer = CustomerFactory(owner=users["sales"], credit_limit=Decimal("1000000"))
    order, check = _checked(users, customer=customer, lines=[(product, "4")], requested_in=12)
    assert check.result == "pass"
    assert order.lines.get().promise_date == _days(10)
    # beyond the work order, a new one takes the full lead time: too late for the date asked
    order, check = _checked(users, customer=customer, lines=[(product, "14")], requested_in=12)
    assert (check.result, order.lines.get().promise_date) == ("fail", _days(30))


def test_incoming_supply_already_promised_to_waiting_orders_is_not_promised_again(users, supplier):
    product, warehouse = ProductFactory(), WarehouseFactory()
    _sent_po(users, supplier, warehouse, product, "10", expected_in=5)
    customer = CustomerFactory(owner=users["sales"], credit_limit=Decimal("1000000"))
    waiting = released_order(users, customer=customer, lines=[(product, "6")])
    assert waiting.lines.get().backorder_quantity == 6
    _order, check = _checked(users, customer=customer, lines=[(product, "5")], requested_in=7)
    assert check.result == "fail"  # only 4 of the 10 incoming are still free
    _order, check = _checked(users, customer=customer, lines=[(product, "4")], requested_in=7)
    assert check.result == "pass"


# --- raised on release -----------------------------------------------------------------------

def test_release_raises_a_work_order_for_make_lines_and_a_requisition_for_the_others(users):
    make = ProductFactory(supply_type="make", lead_time_days=8)
    buy = ProductFactory(supply_type="buy", lead_time_days=20)
    warehouse = WarehouseFactory()
    stock_receive(product=make, warehouse=warehouse, quantity="2")
    customer = CustomerFactory(owner=users["sales"])
    order = released_order(users, customer=customer, lines=[(make, "5"), (buy, "3")], requested_date=_days(25))
    make_line, buy_line = order.lines.order_by("line_no")
    assert (make_line.reserved_quantity, make_line.backorder_quantity) == (2, 3)
    work_order = WorkOrder.objects.get(sales_order_line=make_line)
    assert (work_order.quantity, work_order.state, work_order.due_date) == (3, WorkOrderState.PLANNED,
                                                                           make_line.promise_date)
    requisition = PurchaseRequisition.objects.get(sales_order_line=buy_line)
    assert (requisition.quantity, requisition.state, requisition.needed_by) == (3, RequisitionState.OPEN,
                                                                               buy_line.promise_date)
    assert order.events.get(kind="start_fulfilment").payload == {
        "reserved": "2.000", "backordered": "6.000", "work_orders": 1, "requisitions": 1}


# --- filling waiting orders ------------------------------------------------------------------

def test_a_completed_work_order_fills_the_waiting_orders_in_priority_order(users):
    product, warehouse = ProductFactory(supply_type="make", lead_time_days=5), WarehouseFactory()
    orders = {}
    for name, tier in (("low", "C"), ("high", "A"), ("mid", "B")):
        customer = CustomerFactory(owner=users["sales"], tier=tier, credit_limit=Decimal("1000000"))
        orders[name] = released_order(users, customer=customer, lines=[(product, "4")])
    assert orders["high"].priority > orders["mid"].priority > orders["low"].priority
    # the low-priority order's own work order: what it makes still goes to the highest first
    work_order = WorkOrder.objects.get(sales_order_line__order=orders["low"])
    for step in ("release", "start"):
        work_order_transition(work_order_id=work_order.pk, name=step, by=users["planner"])
    work_order_complete(work_order_id=work_order.pk, quantity="10", rejected="2", batch_code="WO-LOT-1",
                        by=users["planner"])
    lines = {name: order.lines.get() for name, order in orders.items()}
    assert {name: (line.reserved_quantity, line.backorder_quantity) for name, line in lines.items()} == {
        "high": (4, 0), "mid": (4, 0), "low": (0, 4)}
    assert lines["high"].promise_date == TODAY()
    level = StockLevel.objects.get(product=product, warehouse=warehouse)
    assert (level.on_hand, level.reserved) == (8, 8)
    receipt = StockMove.objects.get(kind=MoveKind.RECEIPT, source_type="work_order")
    assert (receipt.on_hand_delta, receipt.rejected_quantity, receipt.batch.code) == (8, 2, "WO-LOT-1")
    assert orders["high"].events.get(kind="stock_allocated").payload["lines"][0]["reserved"] == "4.000"
    assert ledger_differences() == []


def test_a_purchase_order_receipt_with_part_rejected_at_inspection(users, supplier):
    product, warehouse = ProductFactory(supply_type="buy", lead_time_days=20), WarehouseFactory()
    customer = CustomerFactory(owner=users["sales"])
    order = released_order(users, customer=customer, lines=[(product, "6")])
    requisition = PurchaseRequisition.objects.get(sales_order_line__order=order)
    purchase_order = purchase_order_create(
        supplier=supplier, warehouse=warehouse, expected_date=_days(10), requisition_ids=[requisition.pk],
        lines=[{"product": product, "quantity": "6", "unit_price": "2"}], by=users["planner"])
    line = purchase_order.lines.get()
    assert line.quantity == 12  # the requisition and the extra line, one line per product
    requisition.refresh_from_db()
    assert (requisition.state, requisition.purchase_order_line) == (RequisitionState.ORDERED, line)
    with pytest.raises(TransitionNotAllowed):  # a draft is not expected yet: nothing can arrive
        purchase_order_receive(purchase_order_id=purchase_order.pk, by=users["warehouse"],
                               receipts=[{"line_id": line.pk, "quantity": "1"}])
    for step in ("send", "confirm"):
        purchase_order_transition(purchase_order_id=purchase_order.pk, name=step, by=users["planner"],
                                  supplier_reference="SO-ACME-77")
    with pytest.raises(ValidationFailed) as refused:
        purchase_order_receive(purchase_order_id=purchase_order.pk, by=users["warehouse"],
                               receipts=[{"line_id": line.pk, "quantity": "13"}])
    assert "receipts.0.quantity" in refused.value.errors
    purchase_order = purchase_order_receive(purchase_order_id=purchase_order.pk, by=users["warehouse"], receipts=[
        {"line_id": line.pk, "quantity": "10", "rejected": "3"}])
    line.refresh_from_db()
    assert (purchase_order.state, line.received_quantity, line.rejected_quantity, line.open_quantity) == (
        PurchaseOrderState.PARTIALLY_RECEIVED, 7, 3, 2)
    move = StockMove.objects.get(kind=MoveKind.RECEIPT, source_type="purchase_order_line")
    assert (move.on_hand_delta, move.rejected_quantity, move.reference) == (7, 3, purchase_order.number)
    order_line = order.lines.get()
    assert (order_line.reserved_quantity, order_line.backorder_quantity) == (6, 0)
    purchase_order = purchase_order_receive(purchase_order_id=purchase_order.pk, by=users["warehouse"],
                                            receipts=[{"line_id": line.pk, "quantity": "2"}])
    assert purchase_order.state == PurchaseOrderState.RECEIVED
    level = StockLevel.objects.get(product=product, warehouse=warehouse)
    assert (level.on_hand, level.reserved) == (9, 6)
    assert ledger_differences() == []


# --- exceptions ------------------------------------------------------------------------------

def test_a_supplier_delay_moves_the_promise_date_of_the_affected_order(users, supplier,
                                                                        django_capture_on_commit_callbacks):
    product, warehouse = ProductFactory(supply_type="buy", lead_time_days=20), WarehouseFactory()
    users["sales"].email = "sales@example.com"
    users["sales"].save()
    customer = CustomerFactory(owner=users["sales"])
    other = CustomerFactory(owner=users["sales"])
    order = released_order(users, customer=customer, lines=[(product, "5")])
    unrelated = released_order(users, customer=other, lines=[(ProductFactory(), "5")])
    requisition = PurchaseRequisition.objects.get(sales_order_line__order=order)
    purchase_order = purchase_order_create(supplier=supplier, warehouse=warehouse, expected_date=_days(6),
                                           requisition_ids=[requisition.pk], by=users["planner"])
    purchase_order_transition(purchase_order_id=purchase_order.pk, name="send", by=users["planner"])
    assert order.lines.get().promise_date == _days(6)
    with pytest.raises(ValidationFailed):
        purchase_order_delay(purchase_order_id=purchase_order.pk, new_expected_date=_days(15), note=" ",
                             by=users["planner"])
    with pytest.raises(PermissionDenied):
        purchase_order_delay(purchase_order_id=purchase_order.pk, new_expected_date=_days(15), note="late",
                             by=users["sales"])
    with django_capture_on_commit_callbacks(execute=True):
        exception = purchase_order_delay(purchase_order_id=purchase_order.pk, new_expected_date=_days(15),
                                         note="Supplier's furnace down until next week", by=users["planner"])
    assert (exception.kind, exception.previous_date, exception.new_date) == ("supplier_delay", _days(6), _days(15))
    assert list(exception.affected_orders.all()) == [order]
    assert order.lines.get().promise_date == _days(15)
    event = order.events.filter(kind="promise_date_changed").latest("id")
    assert event.payload["lines"] == [{"line": 1, "sku": product.sku, "from": _days(6).isoformat(),
                                       "to": _days(15).isoformat()}]
    assert "furnace" in event.reason
    assert not unrelated.supply_exceptions.exists()
    assert [m.to for m in mail.outbox] == [["sales@example.com"]]
    assert _days(15).isoformat() in mail.outbox[0].body


def test_a_blocked_work_order_moves_the_promise_date_and_resuming_resolves_it(users):
    product, warehouse = ProductFactory(supply_type="make", lead_time_days=5), WarehouseFactory()
    stock_receive(product=product, warehouse=warehouse, quantity="1")
    order = released_order(users, customer=CustomerFactory(owner=users["sales"]), lines=[(product, "4")],
                           requested_date=_days(9))
    work_order = WorkOrder.objects.get(sales_order_line__order=order)
    rebalance(product_ids=[product.pk])
    assert order.lines.get().promise_date == work_order.due_date
    with pytest.raises(ValidationFailed):
        work_order_block(work_order_id=work_order.pk, kind="supplier_delay", note="x", by=users["planner"])
    exception = work_order_block(work_order_id=work_order.pk, kind="machine_breakdown", note="Press 3 broke down",
                                 new_due_date=_days(20), by=users["planner"])
    work_order.refresh_from_db()
    assert (work_order.state, work_order.due_date) == (WorkOrderState.BLOCKED, _days(20))
    assert order.lines.get().promise_date == _days(20)
    assert list(order.supply_exceptions.all()) == [exception]
    work_order_transition(work_order_id=work_order.pk, name="resume", by=users["planner"])
    exception.refresh_from_db()
    assert exception.resolved_at is not None and exception.resolved_by == users["planner"]


# --- cancellation ----------------------------------------------------------------------------

def test_cancellation_releases_everything_and_cancels_or_detaches_its_supply(users, supplier,
                                                                             django_capture_on_commit_callbacks):
    stocked = ProductFactory()
    make_a = ProductFactory(supply_type="make", lead_time_days=5)
    make_b = ProductFactory(supply_type="make", lead_time_days=5)
    buy = ProductFactory(supply_type="buy", lead_time_days=5)
    warehouse = WarehouseFactory()
    stock_receive(product=stocked, warehouse=warehouse, quantity="3")
    customer = CustomerFactory(owner=users["sales"], credit_limit=Decimal("1000000"))
    order = released_order(users, customer=customer,
                           lines=[(stocked, "5"), (make_a, "2"), (make_b, "2"), (buy, "4")])
    stocked_line = order.lines.get(product=stocked)
    assert (stocked_line.reserved_quantity, stocked_line.backorder_quantity) == (3, 2)
    started = WorkOrder.objects.get(sales_order_line__product=make_a)
    for step in ("release", "start"):
        work_order_transition(work_order_id=started.pk, name=step, by=users["planner"])
    planned = WorkOrder.objects.get(sales_order_line__product=make_b)
    ordered = PurchaseRequisition.objects.get(sales_order_line__product=buy)
    purchase_order_create(supplier=supplier, warehouse=warehouse, expected_date=_days(5),
                          requisition_ids=[ordered.pk], by=users["planner"])
    still_open = PurchaseRequisition.objects.get(sales_order_line=stocked_line)
    waiting = released_order(users, customer=customer, lines=[(stocked, "2")])
    assert waiting.lines.get().backorder_quantity == 2
    with django_capture_on_commit_callbacks(execute=True):
        services.order_transition(order_id=order.pk, name="cancel", by=users["sales"], reason="Project stopped")
    for line in order.lines.all():
        assert (line.reserved_quantity, line.backorder_quantity) == (0, 0)
    for document in (started, planned, ordered, still_open):
        document.refresh_from_db()
    assert (planned.state, planned.sales_order_line) == (WorkOrderState.CANCELLED, None)
    assert (started.state, started.sales_order_line) == (WorkOrderState.IN_PROGRESS, None)  # goes to stock
    assert (still_open.state, ordered.state, ordered.sales_order_line) == (
        RequisitionState.CANCELLED, RequisitionState.ORDERED, None)
    assert order.events.get(kind="cancel").payload == {
        "work_orders_cancelled": 1, "work_orders_detached": 1, "requisitions_cancelled": 1,
        "requisitions_detached": 1, "released": "3.000"}
    # the released stock went to the order that was waiting for it
    assert waiting.lines.get().reserved_quantity == 2
    level = StockLevel.objects.get(product=stocked, warehouse=warehouse)
    assert (level.on_hand, level.reserved) == (3, 2)
    assert ledger_differences() == []


# --- issue on shipment -----------------------------------------------------------------------

def test_issue_takes_the_first_expired_batch_first_and_leaves_the_ledger_whole(users):
    product, warehouse = ProductFactory(batch_tracked=True), WarehouseFactory()
    shelf = Location.objects.create(warehouse=warehouse, code="A-01")
    stock_receive(product=product, warehouse=warehouse, quantity="4", batch_code="LATE", expires_on=_days(90),
                  location=shelf)
    stock_receive(product=product, warehouse=warehouse, quantity="4", batch_code="SOON", expires_on=_days(20))
    order = released_order(users, customer=CustomerFactory(owner=users["sales"]), lines=[(product, "6")])
    with transaction.atomic():
        lock_order(order.pk)
        line = order.lines.select_for_update().get()
        moves = issue_for_line(line, quantity=Decimal(5), by=users["warehouse"], reference="SH-1")
    assert [(m.batch.code, m.on_hand_delta, m.reserved_delta) for m in moves] == [("SOON", -4, -4), ("LATE", -1, -1)]
    line.refresh_from_db()
    assert (line.reserved_quantity, line.shipped_quantity) == (1, 5)
    with transaction.atomic(), pytest.raises(ValidationFailed):
        issue_for_line(line, quantity=Decimal(2), by=users["warehouse"], reference="SH-2")
    level = StockLevel.objects.get(product=product)
    assert (level.on_hand, level.reserved) == (3, 1)
    assert ledger_differences() == []


# --- priority --------------------------------------------------------------------------------

def test_priority_score_adds_tier_urgency_due_date_and_the_planners_adjustment():
    today = datetime.date(2026, 11, 27)
    base = {"urgent": False, "requested_date": None, "boost": 0, "today": today}
    assert [priority_score(tier=tier, **base) for tier in "ABC"] == [300, 200, 100]
    assert priority_score(tier="B", **{**base, "urgent": True}) == 400
    assert priority_score(tier="B", **{**base, "requested_date": today + datetime.timedelta(days=10)}) == 300
    assert priority_score(tier="B", **{**base, "requested_date": today - datetime.timedelta(days=3)}) == 350
    assert priority_score(tier="B", **{**base, "requested_date": today + datetime.timedelta(days=40)}) == 200
    assert priority_score(tier="C", **{**base, "boost": -150}) == -50


def test_a_planner_reprioritises_with_a_reason_and_the_next_stock_follows(users):
    product, warehouse = ProductFactory(), WarehouseFactory()
    first = released_order(users, customer=CustomerFactory(owner=users["sales"], tier="A"), lines=[(product, "3")])
    second = released_order(users, customer=CustomerFactory(owner=users["sales"], tier="C"), lines=[(product, "3")])
    with pytest.raises(ValidationFailed):
        services.order_reprioritise(order_id=second.pk, boost=500, reason=" ", by=users["planner"])
    with pytest.raises(PermissionDenied):
        services.order_reprioritise(order_id=second.pk, boost=500, reason="VIP", by=users["sales"])
    with pytest.raises(ValidationFailed):
        services.order_reprioritise(order_id=second.pk, boost=5000, reason="VIP", by=users["planner"])
    second = services.order_reprioritise(order_id=second.pk, boost=500, urgent=True, reason="Line stoppage at the "
                                         "customer", by=users["planner"])
    assert second.priority > first.priority
    event = second.events.get(kind="reprioritised")
    assert (event.reason, event.payload["to"]["boost"], event.payload["to"]["urgent"]) == (
        "Line stoppage at the customer", 500, True)
    stock_receive(product=product, warehouse=warehouse, quantity="3", by=users["warehouse"])
    assert (second.lines.get().reserved_quantity, first.lines.get().reserved_quantity) == (3, 0)


def test_a_new_order_does_not_take_stock_a_higher_priority_order_waits_for(users):
    product, warehouse = ProductFactory(), WarehouseFactory()
    waiting = released_order(users, customer=CustomerFactory(owner=users["sales"], tier="A"), lines=[(product, "5")])
    # stock appears without the waiting order being served yet (as between a receipt's
    # commit and its rebalance)
    level = StockLevel.objects.get_or_create(product=product, warehouse=warehouse)[0]
    StockMove.objects.create(kind=MoveKind.RECEIPT, product=product, warehouse=warehouse, on_hand_delta=4)
    StockLevel.objects.filter(pk=level.pk).update(on_hand=4)
    late = released_order(users, customer=CustomerFactory(owner=users["sales"], tier="C"), lines=[(product, "2")])
    assert late.lines.get().reserved_quantity == 0
    rebalance(product_ids=[product.pk])
    assert (waiting.lines.get().reserved_quantity, late.lines.get().reserved_quantity) == (4, 0)


# --- state machines --------------------------------------------------------------------------

WORK_ORDER_STEPS_BY_STATE = {
    "planned": {"release", "cancel", "block"},
    "released": {"start", "cancel", "block"},
    "in_progress": {"block", "complete"},
    "blocked": {"resume", "cancel"},
    "done": set(),
    "cancelled": set(),
}


@pytest.mark.parametrize("state", list(WORK_ORDER_STEPS_BY_STATE))
def test_work_order_permission_matrix(users, state):
    """For each role and state, exactly the steps it may run: only planners run them."""
    product, warehouse = ProductFactory(supply_type="make"), WarehouseFactory()
    for role, user in users.items():
        allowed = set()
        for step in ("release", "start", "resume", "cancel", "block", "complete"):
            work_order = WorkOrder.objects.create(number=f"WO-T-{role}-{step}", product=product, quantity=1,
                                                  warehouse=warehouse, due_date=_days(5))
            WorkOrder.objects.filter(pk=work_order.pk).update(state=state)
            try:
                if step == "block":
                    work_order_block(work_order_id=work_order.pk, kind="other", note="n", by=user)
                elif step == "complete":
                    work_order_complete(work_order_id=work_order.pk, quantity="1", by=user)
                else:
                    work_order_transition(work_order_id=work_order.pk, name=step, by=user, reason="r")
                allowed.add(step)
            except (PermissionDenied, TransitionNotAllowed):
                pass
        expected = WORK_ORDER_STEPS_BY_STATE[state] if role == "planner" else set()
        assert (role, allowed) == (role, expected)


PURCHASE_ORDER_STEPS_BY_STATE = {
    "draft": {"send", "cancel"},
    "sent": {"confirm", "cancel", "delay"},
    "confirmed": {"cancel", "delay"},
    "partially_received": {"delay", "close"},
    "received": set(),
    "cancelled": set(),
}


@pytest.mark.parametrize("state", list(PURCHASE_ORDER_STEPS_BY_STATE))
def test_purchase_order_permission_matrix(users, supplier, state):
    product, warehouse = ProductFactory(), WarehouseFactory()
    for role, user in users.items():
        allowed = set()
        for step in ("send", "confirm", "close", "cancel", "delay"):
            purchase_order = purchase_order_create(supplier=supplier, warehouse=warehouse, expected_date=_days(3),
                                                   lines=[{"product": product, "quantity": "1"}],
                                                   by=users["planner"])
            type(purchase_order).objects.filter(pk=purchase_order.pk).update(state=state)
            try:
                if step == "delay":
                    purchase_order_delay(purchase_order_id=purchase_order.pk, new_expected_date=_days(9), note="n",
                                         by=user)
                else:
                    purchase_order_transition(purchase_order_id=purchase_order.pk, name=step, by=user, reason="r")
                allowed.add(step)
            except (PermissionDenied, TransitionNotAllowed):
                pass
        expected = PURCHASE_ORDER_STEPS_BY_STATE[state] if role == "planner" else set()
        assert (role, allowed) == (role, expected)


def test_supply_exception_needs_exactly_one_document():
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        SupplyException.objects.create(kind="other", note="orphan")


def test_release_to_fulfilment_sets_priority_from_the_customer_tier(users):
    order = released_order(users, customer=CustomerFactory(owner=users["sales"], tier="A"),
                           lines=[(ProductFactory(), "1")], requested_date=_days(40))
    assert (order.state, order.priority) == (OrderState.IN_FULFILMENT, 300)


def test_a_purchase_order_refuses_the_same_product_on_two_lines_and_a_batch_with_another_expiry(users, supplier):
    product, warehouse = ProductFactory(batch_tracked=True), WarehouseFactory()
    with pytest.raises(ValidationFailed) as refused:
        purchase_order_create(supplier=supplier, warehouse=warehouse, expected_date=_days(3), by=users["planner"],
                              lines=[{"product": product, "quantity": "2", "unit_price": "1"},
                                     {"product": product, "quantity": "3", "unit_price": "2"}])
    assert list(refused.value.errors) == ["lines.1.product"]
    stock_receive(product=product, warehouse=warehouse, quantity="1", batch_code="B-1", expires_on=_days(30))
    with pytest.raises(ValidationFailed) as refused:
        stock_receive(product=product, warehouse=warehouse, quantity="1", batch_code="B-1",
                      expires_on=_days(60).isoformat())
    assert "expires_on" in refused.value.errors
    stock_receive(product=product, warehouse=warehouse, quantity="1", batch_code="B-1",
                  expires_on=_days(30).isoformat())
    assert StockLevel.objects.get(product=product).on_hand == 2


def test_a_refused_step_names_the_steps_possible_now(users, supplier):
    purchase_order = _sent_po(users, supplier, WarehouseFactory(), ProductFactory(), "5", expected_in=4)
    with pytest.raises(TransitionNotAllowed) as refused:
        purchase_order_transition(purchase_order_id=purchase_order.pk, name="send", by=users["planner"])
    assert refused.value.extra["state"] == "sent"
    assert sorted(refused.value.extra["allowed_transitions"]) == ["cancel", "confirm", "delay", "receive"]


def test_a_planner_raises_supply_again_for_a_line_its_work_order_did_not_cover(users):
    from inventory.services import raise_supply_for_line

    product, _warehouse = ProductFactory(supply_type="make", lead_time_days=5), WarehouseFactory()
    order = released_order(users, customer=CustomerFactory(owner=users["sales"]), lines=[(product, "5")])
    line = order.lines.get()
    with pytest.raises(Conflict) as refused:  # the work order raised on release still covers it
        raise_supply_for_line(line_id=line.pk, by=users["planner"])
    assert refused.value.code == "supply_covered"
    work_order = WorkOrder.objects.get(sales_order_line=line)
    for step in ("release", "start"):
        work_order_transition(work_order_id=work_order.pk, name=step, by=users["planner"])
    work_order_complete(work_order_id=work_order.pk, quantity="5", rejected="2", by=users["planner"])
    line.refresh_from_db()
    assert (line.reserved_quantity, line.backorder_quantity, line.promise_date) == (3, 2, None)
    with pytest.raises(PermissionDenied):
        raise_supply_for_line(line_id=line.pk, by=users["sales"])
    assert raise_supply_for_line(line_id=line.pk, by=users["planner"]) == {"work_orders": 1, "requisitions": 0}
    again = WorkOrder.objects.get(sales_order_line=line, state=WorkOrderState.PLANNED)
    line.refresh_from_db()
    assert (again.quantity, line.promise_date) == (2, again.due_date)


def test_a_partly_received_purchase_order_closes_short_and_its_line_can_get_supply_again(users, supplier):
    from inventory.services import raise_supply_for_line

    product, warehouse = ProductFactory(supply_type="buy", lead_time_days=10), WarehouseFactory()
    order = released_order(users, customer=CustomerFactory(owner=users["sales"]), lines=[(product, "10")])
    requisition = PurchaseRequisition.objects.get(sales_order_line__order=order)
    purchase_order = purchase_order_create(supplier=supplier, warehouse=warehouse, expected_date=_days(4),
                                           requisition_ids=[requisition.pk], by=users["planner"])
    purchase_order_transition(purchase_order_id=purchase_order.pk, name="send", by=users["planner"])
    line = purchase_order.lines.get()
    purchase_order_receive(purchase_order_id=purchase_order.pk, by=users["warehouse"],
                           receipts=[{"line_id": line.pk, "quantity": "5", "rejected": "3"}])
    order_line = order.lines.get()
    assert (order_line.reserved_quantity, order_line.backorder_quantity) == (2, 8)
    # 5 are still to come on the purchase order: they cover 5 of the 8, so 3 can be raised again
    assert raise_supply_for_line(line_id=order_line.pk, by=users["planner"]) == {"work_orders": 0,
                                                                                 "requisitions": 1}
    assert PurchaseRequisition.objects.get(sales_order_line=order_line, state=RequisitionState.OPEN).quantity == 3
    with pytest.raises(ValidationFailed):
        purchase_order_transition(purchase_order_id=purchase_order.pk, name="close", by=users["planner"])
    purchase_order = purchase_order_transition(purchase_order_id=purchase_order.pk, name="close",
                                               by=users["planner"], reason="Supplier discontinued the item")
    assert purchase_order.state == PurchaseOrderState.RECEIVED
    order_line.refresh_from_db()
    assert order_line.promise_date is None  # nothing incoming covers it any more


def test_issue_refuses_picks_that_do_not_add_up_and_skips_expired_batches(users):
    product, warehouse = ProductFactory(batch_tracked=True), WarehouseFactory()
    stock_receive(product=product, warehouse=warehouse, quantity="3", batch_code="OLD", expires_on=_days(1))
    stock_receive(product=product, warehouse=warehouse, quantity="5", batch_code="NEW", expires_on=_days(60))
    order = released_order(users, customer=CustomerFactory(owner=users["sales"]), lines=[(product, "4")])
    from inventory.models import Batch

    Batch.objects.filter(code="OLD").update(expires_on=_days(-1))  # expired since
    receiving = Location.objects.get(warehouse=warehouse)
    with transaction.atomic():
        lock_order(order.pk)
        line = order.lines.select_for_update().get()
        for picks in ([(receiving, Batch.objects.get(code="NEW"), Decimal(2))],
                      [(receiving, Batch.objects.get(code="NEW"), Decimal(6)),
                       (receiving, Batch.objects.get(code="NEW"), Decimal(-2))]):
            with pytest.raises(ValidationFailed):
                issue_for_line(line, quantity=Decimal(4), by=users["warehouse"], reference="SH-X", picks=picks)
        moves = issue_for_line(line, quantity=Decimal(4), by=users["warehouse"], reference="SH-1")
    assert [(m.batch.code, m.on_hand_delta) for m in moves] == [("NEW", -4)]
    assert ledger_differences() == []


def test_a_total_too_large_to_record_is_refused_and_changes_nothing(users):
    product, warehouse = ProductFactory(), WarehouseFactory()
    stock_receive(product=product, warehouse=warehouse, quantity="99999999999")
    with pytest.raises(ValidationFailed):
        stock_receive(product=product, warehouse=warehouse, quantity="1")
    assert StockLevel.objects.get(product=product).on_hand == Decimal("99999999999")
    assert ledger_differences() == []


def test_the_sweep_fills_orders_a_lost_rebalance_left_waiting(users):
    from inventory.tasks import stock_rebalance_sweep

    product, warehouse = ProductFactory(), WarehouseFactory()
    order = released_order(users, customer=CustomerFactory(owner=users["sales"]), lines=[(product, "3")])
    # stock freed without the rebalance that should follow (the broker was down)
    StockMove.objects.create(kind=MoveKind.RECEIPT, product=product, warehouse=warehouse, on_hand_delta=3)
    StockLevel.objects.update_or_create(product=product, warehouse=warehouse, defaults={"on_hand": 3})
    assert stock_rebalance_sweep.delay().get() == 1
    assert order.lines.get().reserved_quantity == 3
    assert stock_rebalance_sweep.delay().get() == 0


def test_the_priority_refresh_keeps_a_planners_change_and_follows_the_due_date(users):
    order = make_order(by=users["sales"], customer=CustomerFactory(owner=users["sales"], tier="B"),
                       requested_date=_days(40))
    services.order_reprioritise(order_id=order.pk, boost=800, reason="key project", by=users["planner"])
    type(order).objects.filter(pk=order.pk).update(requested_date=_days(10))  # the date came nearer
    assert services.orders_priority_refresh() == 1
    order.refresh_from_db()
    assert order.priority == 200 + 800 + 100


def test_availability_counts_only_active_warehouses(users):
    product = ProductFactory()
    closed = WarehouseFactory(is_active=False)
    stock_receive(product=product, warehouse=closed, quantity="10")
    _order, check = _checked(users, customer=CustomerFactory(owner=users["sales"]), lines=[(product, "2")],
                             requested_in=7)
    assert check.result == "fail"
