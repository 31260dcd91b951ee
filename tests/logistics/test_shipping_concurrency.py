"""The shipping places that lock, under real concurrency on PostgreSQL: packers scanning the
same shipment at once, planners planning the same order at once, and a shipment shipped
while the order is cancelled."""

from __future__ import annotations

from decimal import Decimal

import pytest

from inventory.models import StockLevel
from inventory.services import ledger_differences
from logistics import services as shipping
from logistics.models import PackedItem, Shipment, ShipmentState
from oms.errors import ApplicationError
from orders import services
from orders.models import OrderState
from tests.factories import (
    CustomerFactory,
    ProductFactory,
    carrier_service,
    packed_shipment,
    plan_shipment,
    released_order,
    stock,
)
from tests.threads import run_at_once

pytestmark = pytest.mark.django_db(transaction=True)


def _run_all(jobs) -> tuple[list[str], list[str]]:
    """Run the jobs at once: (the codes of the refusals, repr of any other error)."""
    raised = run_at_once(jobs)
    return ([exc.code for exc in raised if isinstance(exc, ApplicationError)],
            [repr(exc) for exc in raised if not isinstance(exc, ApplicationError)])


def test_packers_scanning_at_once_never_verify_more_than_the_line_needs(users):
    product = ProductFactory(sku="HOT-1")
    stock(product, "5")
    order = released_order(users, customer=CustomerFactory(), lines=[(product, "5")])
    shipment = plan_shipment(order, users)

    def scan():
        shipping.shipment_verify(shipment_id=shipment.pk, by=users["warehouse"], sku="HOT-1", quantity=1)

    refused, errors = _run_all([scan] * 8)
    assert errors == []
    assert sorted(refused) == ["packing_mismatch"] * 3
    line = shipment.lines.get()
    assert line.verified_quantity == 5 == sum(item.quantity for item in PackedItem.objects.filter(line=line))


def test_planning_the_same_order_at_once_plans_each_reserved_unit_once(users):
    product = ProductFactory()
    stock(product, "6")
    order = released_order(users, customer=CustomerFactory(), lines=[(product, "6")])

    def plan():
        shipping.shipment_create(order_id=order.pk, by=users["warehouse"])

    refused, errors = _run_all([plan] * 6)
    assert errors == [] and sorted(refused) == ["nothing_to_ship"] * 5
    assert [s.lines.get().quantity for s in Shipment.objects.filter(order=order)] == [Decimal(6)]


def test_shipping_while_the_order_is_cancelled_leaves_one_consistent_outcome(users):
    service = carrier_service()
    product = ProductFactory()
    stock(product, "30")
    orders = [released_order(users, customer=CustomerFactory(owner=users["sales"]), lines=[(product, "4")])
              for _ in range(3)]
    shipments = [packed_shipment(order, users) for order in orders]
    for shipment in shipments:
        shipping.shipment_choose_carrier(shipment_id=shipment.pk, by=users["logistics"], service_id=service.pk)
    jobs = []
    for order, shipment in zip(orders, shipments, strict=True):
        jobs.append(lambda s=shipment: shipping.shipment_ship(shipment_id=s.pk, by=users["logistics"],
                                                             tracking_number=f"T{s.pk}"))
        jobs.append(lambda o=order: services.order_transition(order_id=o.pk, name="cancel", by=users["sales"],
                                                              reason="Stopped."))
    refused, errors = _run_all(jobs)
    assert errors == [] and len(refused) == 3  # per order, exactly one of the two won
    for order, shipment in zip(orders, shipments, strict=True):
        order.refresh_from_db()
        shipment.refresh_from_db()
        line = order.lines.get()
        if order.state == OrderState.CANCELLED:
            assert shipment.state == ShipmentState.CANCELLED
            assert (line.reserved_quantity, line.shipped_quantity) == (0, 0)
        else:
            assert (order.state, shipment.state) == (OrderState.SHIPPED, ShipmentState.SHIPPED)
            assert (line.reserved_quantity, line.shipped_quantity) == (0, line.quantity)
    assert ledger_differences() == []
    assert all(level.reserved == 0 for level in StockLevel.objects.all())
