"""Transfers between warehouses and cycle counts."""

from __future__ import annotations

import pytest

from inventory.models import (
    CountState,
    Location,
    MoveKind,
    StockLevel,
    StockMove,
    StockQuant,
    TransferState,
)
from inventory.services import (
    count_confirm,
    count_create,
    count_enter,
    ledger_differences,
    stock_receive,
    transfer_receive,
    transfer_send,
)
from oms.errors import Conflict, PermissionDenied, ValidationFailed
from tests.factories import CustomerFactory, ProductFactory, WarehouseFactory, released_order

pytestmark = pytest.mark.django_db


def _level(product, warehouse) -> StockLevel:
    return StockLevel.objects.get(product=product, warehouse=warehouse)


def test_a_transfer_leaves_the_source_travels_in_transit_and_arrives(users):
    product = ProductFactory()
    source, destination = WarehouseFactory(code="SH"), WarehouseFactory(code="BJ")
    shelf = Location.objects.create(warehouse=source, code="B-02")
    stock_receive(product=product, warehouse=source, quantity="10", location=shelf)
    with pytest.raises(ValidationFailed) as refused:
        transfer_send(product=product, from_location=shelf, to_warehouse=destination, quantity="11",
                      by=users["warehouse"])
    assert "quantity" in refused.value.errors
    with pytest.raises(ValidationFailed):
        transfer_send(product=product, from_location=shelf, to_warehouse=source, quantity="1", by=users["warehouse"])
    with pytest.raises(PermissionDenied):
        transfer_send(product=product, from_location=shelf, to_warehouse=destination, quantity="1",
                      by=users["sales"])
    transfer = transfer_send(product=product, from_location=shelf, to_warehouse=destination, quantity="4",
                             by=users["warehouse"], note="rebalance regions")
    assert (transfer.state, _level(product, source).on_hand) == (TransferState.IN_TRANSIT, 6)
    arriving = _level(product, destination)
    assert (arriving.on_hand, arriving.in_transit) == (0, 4)
    assert ledger_differences() == []
    transfer = transfer_receive(transfer_id=transfer.pk, by=users["warehouse"])
    arriving.refresh_from_db()
    assert (transfer.state, arriving.on_hand, arriving.in_transit) == (TransferState.RECEIVED, 4, 0)
    assert transfer.to_location.code == Location.DEFAULT_CODE
    assert list(StockMove.objects.filter(source_type="transfer").order_by("id").values_list(
        "kind", "warehouse__code", "on_hand_delta", "in_transit_delta")) == [
        (MoveKind.TRANSFER_OUT, "SH", -4, 0), (MoveKind.IN_TRANSIT, "BJ", 0, 4), (MoveKind.TRANSFER_IN, "BJ", 4, -4)]
    with pytest.raises(Conflict):
        transfer_receive(transfer_id=transfer.pk, by=users["warehouse"])
    assert ledger_differences() == []


def test_a_transfer_never_takes_what_is_reserved(users):
    product = ProductFactory()
    source, destination = WarehouseFactory(), WarehouseFactory()
    stock_receive(product=product, warehouse=source, quantity="5")
    released_order(users, customer=CustomerFactory(owner=users["sales"]), lines=[(product, "4")])
    location = Location.objects.get(warehouse=source)
    with pytest.raises(ValidationFailed) as refused:
        transfer_send(product=product, from_location=location, to_warehouse=destination, quantity="2",
                      by=users["planner"])
    assert "reserved" in refused.value.errors["quantity"][0]
    transfer_send(product=product, from_location=location, to_warehouse=destination, quantity="1",
                  by=users["planner"])


def test_a_cycle_count_difference_is_posted_after_a_second_person_confirms(users):
    warehouse = WarehouseFactory()
    bin_a = Location.objects.create(warehouse=warehouse, code="A-01")
    counted_short, batched, found = ProductFactory(), ProductFactory(batch_tracked=True), ProductFactory()
    stock_receive(product=counted_short, warehouse=warehouse, quantity="10", location=bin_a)
    stock_receive(product=batched, warehouse=warehouse, quantity="5", location=bin_a, batch_code="L1")
    count = count_create(location=bin_a, by=users["warehouse"])
    with pytest.raises(Conflict):
        count_create(location=bin_a, by=users["warehouse"])
    lines = {line.product_id: line for line in count.lines.all()}
    assert {pid: line.expected for pid, line in lines.items()} == {counted_short.pk: 10, batched.pk: 5}
    with pytest.raises(ValidationFailed) as refused:  # every line needs its count
        count_enter(count_id=count.pk, counted={lines[counted_short.pk].pk: "8"}, by=users["warehouse"])
    assert f"line_{lines[batched.pk].pk}" in refused.value.errors
    count = count_enter(count_id=count.pk, by=users["warehouse"],
                        counted={lines[counted_short.pk].pk: "8", lines[batched.pk].pk: "5"},
                        extra=[{"product": found, "counted": "2"}])
    assert count.state == CountState.COUNTED
    assert StockMove.objects.filter(kind=MoveKind.ADJUST).count() == 0  # nothing posted before confirmation
    with pytest.raises(PermissionDenied) as refused:
        count_confirm(count_id=count.pk, by=users["warehouse"])
    assert refused.value.code == "permission_denied"
    count_confirm(count_id=count.pk, by=users["planner"])
    count.refresh_from_db()
    assert (count.state, count.confirmed_by) == (CountState.CONFIRMED, users["planner"])
    adjustments = {m.product_id: m.on_hand_delta for m in StockMove.objects.filter(kind=MoveKind.ADJUST)}
    assert adjustments == {counted_short.pk: -2, found.pk: 2}
    assert StockQuant.objects.get(product=counted_short, location=bin_a).on_hand == 8
    assert _level(found, warehouse).on_hand == 2
    assert ledger_differences() == []


def test_the_counter_cannot_confirm_their_own_count(users):
    warehouse = WarehouseFactory()
    location = Location.objects.create(warehouse=warehouse, code="C-09")
    product = ProductFactory()
    stock_receive(product=product, warehouse=warehouse, quantity="3", location=location)
    users["manager"].groups.add(*users["warehouse"].groups.all())  # a manager who also counts
    count = count_create(location=location, by=users["manager"])
    count_enter(count_id=count.pk, counted={count.lines.get().pk: "1"}, by=users["manager"])
    with pytest.raises(PermissionDenied) as refused:
        count_confirm(count_id=count.pk, by=users["manager"])
    assert refused.value.code == "second_person_required"
    assert StockQuant.objects.get(product=product).on_hand == 3


def test_a_count_shortage_below_what_is_reserved_is_refused_and_changes_nothing(users):
    warehouse = WarehouseFactory()
    product = ProductFactory()
    stock_receive(product=product, warehouse=warehouse, quantity="5")
    released_order(users, customer=CustomerFactory(owner=users["sales"]), lines=[(product, "4")])
    location = StockQuant.objects.get(product=product).location
    count = count_create(location=location, by=users["warehouse"])
    count_enter(count_id=count.pk, counted={count.lines.get().pk: "2"}, by=users["warehouse"])
    with pytest.raises(ValidationFailed) as refused:
        count_confirm(count_id=count.pk, by=users["planner"])
    assert product.sku in refused.value.errors
    count.refresh_from_db()
    assert (count.state, _level(product, warehouse).on_hand) == (CountState.COUNTED, 5)


def test_a_count_compares_with_the_ledger_when_counted_not_when_the_sheet_was_made(users):
    warehouse = WarehouseFactory()
    product = ProductFactory()
    stock_receive(product=product, warehouse=warehouse, quantity="10")
    location = StockQuant.objects.get(product=product).location
    count = count_create(location=location, by=users["warehouse"])
    stock_receive(product=product, warehouse=warehouse, quantity="5")  # arrives after the sheet was made
    count = count_enter(count_id=count.pk, counted={count.lines.get().pk: "15"}, by=users["warehouse"])
    assert count.lines.get().expected == 15
    count_confirm(count_id=count.pk, by=users["planner"])
    assert not StockMove.objects.filter(kind=MoveKind.ADJUST).exists()  # nothing was missing
    assert _level(product, warehouse).on_hand == 15
