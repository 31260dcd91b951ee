"""The places that lock, under real concurrency on PostgreSQL: releases to fulfilment,
receipts that fill waiting orders (rebalance), work order completion and cancellations,
all at once over a few scarce SKUs in two warehouses."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from inventory.models import StockLevel, WorkOrder
from inventory.services import (
    WAITING_STATES,
    ledger_differences,
    stock_receive,
    work_order_complete,
    work_order_transition,
)
from orders import services
from orders.models import OrderState, SalesOrderLine
from tests.factories import CustomerFactory, ProductFactory, WarehouseFactory, approved_order, released_order
from tests.threads import run_at_once

pytestmark = pytest.mark.django_db(transaction=True)


def test_releases_receipts_completions_and_cancellations_at_once_never_oversell_or_deadlock(users):
    stocked = [ProductFactory(sku=f"HOT-{n}") for n in range(2)]
    made = ProductFactory(sku="HOT-MAKE", supply_type="make", lead_time_days=3)
    warehouses = [WarehouseFactory(), WarehouseFactory()]
    for product in stocked:
        for warehouse in warehouses:
            stock_receive(product=product, warehouse=warehouse, quantity="3")
    customers = [CustomerFactory(owner=users["sales"], tier=tier, credit_limit=Decimal("100000000"))
                 for tier in "ABC"]
    # already waiting: orders with a backorder of the make item, each with its work order
    waiting = [released_order(users, customer=customers[n % 3], lines=[(made, "2"), (stocked[n % 2], "1")])
               for n in range(3)]
    work_orders = list(WorkOrder.objects.filter(product=made).order_by("pk"))
    for work_order in work_orders:
        for step in ("release", "start"):
            work_order_transition(work_order_id=work_order.pk, name=step, by=users["planner"])
    to_release = [approved_order(users, customer=customers[n % 3],
                                 lines=[(stocked[n % 2], "3"), (stocked[(n + 1) % 2], "2"), (made, "1")])
                  for n in range(8)]

    jobs = [lambda o=order: services.order_transition(order_id=o.pk, name="start_fulfilment", by=users["planner"])
            for order in to_release]
    jobs += [lambda p=product, w=warehouse: stock_receive(product=p, warehouse=w, quantity="2", by=users["warehouse"])
             for product in stocked for warehouse in warehouses]
    jobs += [lambda w=work_order: work_order_complete(work_order_id=w.pk, quantity="2", by=users["planner"])
             for work_order in work_orders[:2]]
    jobs += [lambda o=waiting[2]: services.order_transition(order_id=o.pk, name="cancel", by=users["sales"],
                                                            reason="concurrent cancel")]
    assert [repr(exc) for exc in run_at_once(jobs)] == []  # a deadlock included

    for level in StockLevel.objects.all():
        assert 0 <= level.reserved <= level.on_hand
    assert ledger_differences() == []
    lines = SalesOrderLine.objects.filter(order__state__in=WAITING_STATES).select_related("order")
    for line in lines:  # every unit of demand is reserved or backordered
        assert line.reserved_quantity + line.backorder_quantity + line.shipped_quantity == line.quantity
    for product in [*stocked, made]:  # the stock reserved is exactly what the lines hold
        held = StockLevel.objects.filter(product=product).aggregate(total=Sum("reserved"))["total"]
        assert held == SalesOrderLine.objects.filter(product=product).aggregate(
            total=Sum("reserved_quantity"))["total"], product.sku
    # nothing waits while stock of its product is free (every increase filled the queue)
    for product in [*stocked, made]:
        free = sum(level.on_hand - level.reserved for level in StockLevel.objects.filter(product=product))
        short = lines.filter(product=product, backorder_quantity__gt=0).exists()
        assert not (free > 0 and short), product.sku
    for order in to_release:
        order.refresh_from_db()
        assert order.state == OrderState.IN_FULFILMENT


def test_releases_raising_work_orders_and_requisitions_in_either_line_order_do_not_deadlock(users):
    """Orders on separate products release side by side; each raises a work order and a
    requisition, half of them with the make line first. The document numbers they draw
    are locked until commit, so they must be drawn in one order."""
    warehouse = WarehouseFactory()
    customer = CustomerFactory(owner=users["sales"], credit_limit=Decimal("100000000"))
    orders = []
    for n in range(8):
        made = ProductFactory(supply_type="make", lead_time_days=3)
        bought = ProductFactory(supply_type="buy", lead_time_days=5)
        lines = [(made, "2"), (bought, "2")]
        orders.append(approved_order(users, customer=customer, lines=lines if n % 2 else lines[::-1]))
    jobs = [lambda o=order: services.order_transition(order_id=o.pk, name="start_fulfilment", by=users["planner"])
            for order in orders]
    assert [repr(exc) for exc in run_at_once(jobs)] == []  # a deadlock included
    assert WorkOrder.objects.filter(warehouse=warehouse).count() == 8
    from inventory.models import PurchaseRequisition

    assert PurchaseRequisition.objects.count() == 8
