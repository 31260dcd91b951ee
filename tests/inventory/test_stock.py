"""The stock ledger: receipts with inspection, adjustments, reservation on release to
fulfilment with backorders, release on cancellation, and levels that always equal the
ledger rebuilt from scratch, under any concurrency."""

from __future__ import annotations

import contextlib
import random
import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from customers.models import Address
from inventory.models import Location, MoveKind, StockLevel, StockMove, StockQuant, Supplier
from inventory.services import (
    issue_for_line,
    ledger_differences,
    purchase_order_create,
    purchase_order_receive,
    purchase_order_transition,
    stock_adjust,
    stock_receive,
    transfer_receive,
    transfer_send,
)
from oms.errors import PermissionDenied, ValidationFailed
from orders import services
from orders.locks import lock_order
from orders.models import OrderState
from tests.factories import CustomerFactory, ProductFactory, WarehouseFactory, make_order, order_in_state

pytestmark = pytest.mark.django_db


def _level(product, warehouse) -> StockLevel:
    return StockLevel.objects.get(product=product, warehouse=warehouse)


def _approved(users, *, customer, lines):
    """An approved order, a failed availability check overridden (the stock is short on
    purpose: these tests are about what reservation does with too little)."""
    order = make_order(by=users["order_desk"], customer=customer, lines=lines, submit=True)
    services.order_run_checks(order_id=order.pk)
    order.refresh_from_db()
    for check in order.checks.filter(run=order.checks_run, result="fail"):
        services.order_override_check(order_id=order.pk, check_id=check.pk, by=users["manager"],
                                      reason="test: release anyway")
    services.order_transition(order_id=order.pk, name="approve", by=users["reviewer"])
    return order


def test_receipt_stocks_what_passed_inspection_and_records_the_rest(users):
    product, warehouse = ProductFactory(), WarehouseFactory()
    move = stock_receive(product=product, warehouse=warehouse, quantity="10", rejected="2", by=users["warehouse"],
                         reference="PO-1")
    assert (move.kind, move.on_hand_delta, move.rejected_quantity, move.by) == (
        MoveKind.RECEIPT, Decimal(8), Decimal(2), users["warehouse"])
    assert _level(product, warehouse).on_hand == 8
    quant = StockQuant.objects.get(product=product)
    assert (quant.location.code, quant.on_hand) == (Location.DEFAULT_CODE, 8)
    with pytest.raises(ValidationFailed):
        stock_receive(product=product, warehouse=warehouse, quantity="1", rejected="2")
    with pytest.raises(PermissionDenied):
        stock_receive(product=product, warehouse=warehouse, quantity="1", by=users["sales"])


def test_batch_tracked_products_need_a_batch(users):
    product, warehouse = ProductFactory(batch_tracked=True), WarehouseFactory()
    with pytest.raises(ValidationFailed) as refused:
        stock_receive(product=product, warehouse=warehouse, quantity="5")
    assert "batch" in refused.value.errors
    stock_receive(product=product, warehouse=warehouse, quantity="5", batch_code="L-2026-11")
    assert StockQuant.objects.get(product=product).batch.code == "L-2026-11"


def test_adjustments_need_a_reason_and_never_go_below_what_is_reserved(users):
    product, warehouse = ProductFactory(), WarehouseFactory()
    stock_receive(product=product, warehouse=warehouse, quantity="10")
    location = Location.objects.get(warehouse=warehouse)
    with pytest.raises(ValidationFailed):
        stock_adjust(product=product, location=location, delta="-1", reason=" ")
    order = order_in_state("approved", users, lines=[(product, "7")])
    services.order_transition(order_id=order.pk, name="start_fulfilment", by=users["planner"])
    with pytest.raises(ValidationFailed):
        stock_adjust(product=product, location=location, delta="-4", reason="Cycle count")
    stock_adjust(product=product, location=location, delta="-3", reason="Cycle count", by=users["warehouse"])
    assert (_level(product, warehouse).on_hand, _level(product, warehouse).reserved) == (7, 7)
    assert ledger_differences() == []


def test_release_to_fulfilment_reserves_by_region_then_most_available_and_backorders_the_rest(users):
    product = ProductFactory(sku="RES-1")
    near, big, small = (WarehouseFactory(code=code, regions=regions) for code, regions in
                        (("NEAR", "江苏, 上海"), ("BIG", ""), ("SMALL", "")))
    for warehouse, quantity in ((near, "3"), (big, "5"), (small, "1")):
        stock_receive(product=product, warehouse=warehouse, quantity=quantity)
    customer = CustomerFactory(owner=users["sales"])
    Address.objects.filter(customer=customer).update(region="上海")
    order = _approved(users, customer=customer, lines=[(product, "7"), (product, "4")])
    services.order_transition(order_id=order.pk, name="start_fulfilment", by=users["planner"])
    first, second = order.lines.order_by("line_no")
    assert (first.reserved_quantity, first.backorder_quantity) == (7, 0)
    assert (second.reserved_quantity, second.backorder_quantity) == (2, 2)
    reserved = {m.warehouse.code: m.reserved_delta for m in StockMove.objects.filter(
        kind=MoveKind.RESERVE, source_id=first.pk)}
    assert reserved == {"NEAR": 3, "BIG": 4}  # the region's warehouse first, then the fullest
    assert order.events.get(kind="start_fulfilment").payload == {"reserved": "9.000", "backordered": "2.000",
                                                                  "requisitions": 1}
    assert ledger_differences() == []


def test_cancelling_an_order_in_fulfilment_releases_every_reservation(users):
    product = ProductFactory()
    order = order_in_state("in_fulfilment", users, lines=[(product, "5")])
    level = StockLevel.objects.get(product=product)
    assert level.reserved == 5
    services.order_transition(order_id=order.pk, name="cancel", by=users["sales"], reason="Customer withdrew")
    level.refresh_from_db()
    line = order.lines.get()
    assert (level.reserved, line.reserved_quantity, line.backorder_quantity) == (0, 0, 0)
    assert StockMove.objects.filter(kind=MoveKind.RELEASE, source_id=line.pk).get().reserved_delta == -5
    assert ledger_differences() == []


def test_levels_equal_the_rebuilt_ledger_after_a_long_random_sequence(users):
    rng = random.Random(20261127)
    products = [ProductFactory() for _ in range(3)]
    warehouses = [WarehouseFactory() for _ in range(2)]
    customer = CustomerFactory(owner=users["sales"])
    approved, released, in_transit = [], [], []
    supplier = Supplier.objects.create(code="RND", name="Random supplies")
    for step in range(160):
        action = rng.choice(["receive", "receive", "adjust", "order", "release", "cancel", "transfer", "arrive",
                             "issue", "purchase"])
        product, warehouse = rng.choice(products), rng.choice(warehouses)
        if action == "receive":
            stock_receive(product=product, warehouse=warehouse, quantity=rng.randint(1, 20),
                          rejected=rng.choice([0, 0, 1]))
        elif action == "adjust":
            quant = StockQuant.objects.filter(on_hand__gt=0).order_by("?").first()
            if quant is not None:
                with contextlib.suppress(ValidationFailed):  # below what is reserved: refused, nothing written
                    stock_adjust(product=quant.product, location=quant.location, batch=quant.batch,
                                 delta=-rng.randint(1, 3), reason=f"count {step}")
        elif action == "order":
            order = make_order(by=users["order_desk"], customer=customer, submit=True,
                               lines=[(rng.choice(products), str(rng.randint(1, 15)))])
            services.order_run_checks(order_id=order.pk)
            order.refresh_from_db()
            if order.state == OrderState.SUBMITTED:
                services.order_transition(order_id=order.pk, name="approve", by=users["reviewer"])
                approved.append(order)
        elif action == "release" and approved:
            order = approved.pop(rng.randrange(len(approved)))
            services.order_transition(order_id=order.pk, name="start_fulfilment", by=users["planner"])
            released.append(order)
        elif action == "transfer":
            quant = StockQuant.objects.filter(on_hand__gt=0).order_by("?").first()
            if quant is not None:
                with contextlib.suppress(ValidationFailed):  # would take reserved stock: refused
                    in_transit.append(transfer_send(
                        product=quant.product, from_location=quant.location, batch=quant.batch,
                        to_warehouse=next(w for w in warehouses if w.pk != quant.warehouse_id),
                        quantity=rng.randint(1, int(quant.on_hand)), by=users["warehouse"]))
        elif action == "arrive" and in_transit:
            transfer_receive(transfer_id=in_transit.pop(0).pk, by=users["warehouse"])
        elif action == "issue" and released:
            order = rng.choice(released)
            with transaction.atomic():
                lock_order(order.pk)
                line = order.lines.select_for_update().filter(reserved_quantity__gt=0).first()
                if line is not None:
                    issue_for_line(line, quantity=min(line.reserved_quantity, Decimal(rng.randint(1, 5))),
                                   by=users["warehouse"], reference=f"SH-{step}")
        elif action == "purchase":
            purchase_order = purchase_order_create(
                supplier=supplier, warehouse=warehouse, expected_date=timezone.localdate(), by=users["planner"],
                lines=[{"product": product, "quantity": rng.randint(2, 10)}])
            purchase_order_transition(purchase_order_id=purchase_order.pk, name="send", by=users["planner"])
            line = purchase_order.lines.get()
            purchase_order_receive(purchase_order_id=purchase_order.pk, by=users["warehouse"], receipts=[
                {"line_id": line.pk, "quantity": line.quantity, "rejected": rng.choice([0, 1])}])
        elif action == "cancel" and (approved or released):
            pool = rng.choice([p for p in (approved, released) if p])
            order = pool.pop(rng.randrange(len(pool)))
            if not order.lines.filter(shipped_quantity__gt=0).exists():  # shipped goods cannot be released
                services.order_transition(order_id=order.pk, name="cancel", by=users["sales"], reason="random")
    kinds = set(StockMove.objects.values_list("kind", flat=True))
    assert {MoveKind.RESERVE, MoveKind.ISSUE, MoveKind.TRANSFER_OUT, MoveKind.TRANSFER_IN} <= kinds
    assert ledger_differences() == []
    for level in StockLevel.objects.all():
        assert 0 <= level.reserved <= level.on_hand


@pytest.mark.django_db(transaction=True)
def test_concurrent_releases_never_reserve_more_than_on_hand(users):
    """Many orders released to fulfilment from many threads at once over a few scarce
    SKUs in two warehouses: nothing over-reserved, every unit reserved or backordered,
    no deadlock error, and the ledger still rebuilds the stored levels."""
    products = [ProductFactory(sku=f"SCARCE-{n}") for n in range(3)]
    warehouses = [WarehouseFactory(), WarehouseFactory()]
    for product in products:
        for warehouse in warehouses:
            stock_receive(product=product, warehouse=warehouse, quantity="5")
    customer = CustomerFactory(owner=users["sales"], credit_limit=Decimal("100000000"))
    orders = []
    for n in range(12):
        lines = [(products[n % 3], "4"), (products[(n + 1) % 3], "3")]
        order = make_order(by=users["order_desk"], customer=customer, lines=lines, submit=True)
        order.refresh_from_db()  # the checks ran on commit (tasks run eagerly in tests)
        for check in order.checks.filter(run=order.checks_run, result="fail"):
            services.order_override_check(order_id=order.pk, check_id=check.pk, by=users["manager"],
                                          reason="test: release anyway")
        services.order_transition(order_id=order.pk, name="approve", by=users["reviewer"])
        orders.append(order)
    barrier, errors = threading.Barrier(len(orders)), []

    def release(order_id):
        try:
            barrier.wait(timeout=20)
            services.order_transition(order_id=order_id, name="start_fulfilment", by=users["planner"])
        except Exception as exc:  # any error (a deadlock included) fails the test below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=release, args=(order.pk,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    for level in StockLevel.objects.all():
        assert 0 <= level.reserved <= level.on_hand
    assert sum(level.reserved for level in StockLevel.objects.all()) == 30  # all 30 units went out
    for order in orders:
        order.refresh_from_db()
        assert order.state == OrderState.IN_FULFILMENT
        for line in order.lines.all():
            assert line.reserved_quantity + line.backorder_quantity == line.quantity
    assert ledger_differences() == []
