"""Shipments: partial shipments with a backorder between, pack and verify, carrier choice,
shipping through the ledger, proof of delivery, exceptions and cancellation."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from inventory.models import MoveKind, StockLevel, StockMove
from inventory.services import stock_receive
from inventory.services.ledger import ledger_differences
from logistics import services as shipping
from logistics.models import PackedItem, Shipment, ShipmentState
from oms.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from orders import services
from orders.models import OrderState
from tests.factories import (
    CustomerFactory,
    ProductFactory,
    WarehouseFactory,
    carrier_service,
    deliver_shipment,
    order_in_state,
    packed_shipment,
    plan_shipment,
    released_order,
    ship_shipment,
    stock,
    verify_everything,
)

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _measure(shipment, users, number=1, weight="10"):
    shipping.package_measure(shipment_id=shipment.pk, by=users["warehouse"], number=number, weight_kg=weight,
                             length_cm="50", width_cm="40", height_cm="30")


def _pack(shipment, users):
    verify_everything(shipment, users)
    _measure(shipment, users)
    return shipping.shipment_pack(shipment_id=shipment.pk, by=users["warehouse"])


def _state(order) -> str:
    order.refresh_from_db()
    return order.state


def test_one_order_ships_in_two_partial_shipments_with_a_backorder_in_between(
        users, django_capture_on_commit_callbacks):
    warehouse = WarehouseFactory()
    product = ProductFactory(batch_tracked=True, weight_kg=Decimal("2"))
    stock_receive(product=product, warehouse=warehouse, quantity="6", batch_code="B1",
                  expires_on=timezone.localdate() + datetime.timedelta(days=300))
    customer = CustomerFactory(owner=users["sales"])
    order = released_order(users, customer=customer, lines=[(product, "10")])
    line = order.lines.get()
    assert (line.reserved_quantity, line.backorder_quantity) == (6, 4)

    # the first shipment takes what is reserved; the backorder cannot go on a shipment yet
    first = plan_shipment(order, users)
    assert [(sl.order_line_id, sl.quantity) for sl in first.lines.all()] == [(line.pk, 6)]
    with pytest.raises(ValidationFailed) as refused:
        shipping.shipment_create(order_id=order.pk, by=users["warehouse"])
    assert refused.value.code == "nothing_to_ship"
    _pack(first, users)
    assert _state(order) == OrderState.READY_TO_SHIP
    with django_capture_on_commit_callbacks(execute=False):
        ship_shipment(first, users, tracking_number="DB-0001")
    assert _state(order) == OrderState.PARTIALLY_SHIPPED
    line.refresh_from_db()
    assert (line.shipped_quantity, line.reserved_quantity, line.backorder_quantity) == (6, 0, 4)
    issued = StockMove.objects.filter(kind=MoveKind.ISSUE, source_id=line.pk)
    assert [(m.on_hand_delta, m.reserved_delta, m.batch.code, m.reference) for m in issued] == [
        (-6, -6, "B1", first.number)]
    level = StockLevel.objects.get(product=product, warehouse=warehouse)
    assert (level.on_hand, level.reserved) == (0, 0)

    # the backorder arrives: the waiting line is filled, and ships in a second shipment
    stock_receive(product=product, warehouse=warehouse, quantity="4", batch_code="B2",
                  expires_on=timezone.localdate() + datetime.timedelta(days=400))
    line.refresh_from_db()
    assert (line.reserved_quantity, line.backorder_quantity) == (4, 0)
    second = plan_shipment(order, users)
    assert second.lines.get().quantity == 4
    _pack(second, users)
    assert _state(order) == OrderState.READY_TO_SHIP
    ship_shipment(second, users)
    assert _state(order) == OrderState.SHIPPED

    # proof of delivery for each shipment: the order is delivered with the last one
    deliver_shipment(first, users)
    assert _state(order) == OrderState.SHIPPED
    proof = shipping.shipment_deliver(
        shipment_id=second.pk, by=users["logistics"], recipient_name="Li Na",
        signature=SimpleUploadedFile("sig.png", PNG, content_type="image/png"), notes="Two pallets, no damage.")
    assert (proof.recipient_name, proof.signature.kind, proof.signature.shipment_id) == ("Li Na", "pod_signature",
                                                                                       second.pk)
    assert proof.signature.filename == f"{second.number}-signature.png"
    assert _state(order) == OrderState.DELIVERED
    kinds = [kind for kind in order.events.order_by("at", "id").values_list("kind", flat=True)
             if kind.startswith("shipment_") or kind in ("mark_ready", "ship_partial", "ship", "deliver")]
    assert kinds == ["shipment_planned", "mark_ready", "ship_partial", "shipment_planned", "mark_ready", "ship",
                     "shipment_delivered", "deliver"]
    assert ledger_differences() == []


def test_a_packing_mismatch_is_refused_and_changes_nothing(users):
    product = ProductFactory(sku="GB-100", batch_tracked=True)
    other = ProductFactory(sku="CB-05")
    warehouse = WarehouseFactory()
    stock_receive(product=product, warehouse=warehouse, quantity="5", batch_code="GOOD")
    stock_receive(product=product, warehouse=WarehouseFactory(), quantity="5", batch_code="ELSEWHERE")
    stock_receive(product=product, warehouse=warehouse, quantity="5", batch_code="OLD",
                  expires_on=timezone.localdate() - datetime.timedelta(days=1))
    stock(other, "50")
    order = released_order(users, customer=CustomerFactory(), lines=[(product, "3")])
    shipment = plan_shipment(order, users)
    scan = {"shipment_id": shipment.pk, "by": users["warehouse"]}
    refusals = {
        "sku": dict(sku="CB-05", quantity=1, batch=""),
        "quantity": dict(sku="GB-100", quantity=4, batch="GOOD"),
        "batch": dict(sku="GB-100", quantity=1, batch=""),
    }
    for field, wrong in refusals.items():
        with pytest.raises(ValidationFailed) as refused:
            shipping.shipment_verify(**scan, **wrong)
        assert (refused.value.code, list(refused.value.errors)) == ("packing_mismatch", [field])
    for batch, words in (("NOPE", "is not a batch of GB-100"), ("OLD", "expired"), ("ELSEWHERE", "holds only 0")):
        with pytest.raises(ValidationFailed) as refused:
            shipping.shipment_verify(**scan, sku="GB-100", quantity=1, batch=batch)
        assert words in refused.value.errors["batch"][0]
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.PLANNED and not PackedItem.objects.exists()

    # the right scans, typed in lower case: 2 then 1; then packing needs the package measured
    shipping.shipment_verify(**scan, sku="gb-100", quantity=2, batch="GOOD")
    with pytest.raises(ValidationFailed) as refused:
        shipping.shipment_pack(**scan)
    assert refused.value.code == "not_verified" and "1" in refused.value.errors["lines"][0]
    shipping.shipment_verify(**scan, sku="GB-100", quantity=1, batch="GOOD", package=1)
    with pytest.raises(ValidationFailed) as refused:
        shipping.shipment_pack(**scan)
    assert list(refused.value.errors) == ["packages"]
    _measure(shipment, users)
    shipping.shipment_pack(**scan)
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.PACKED and shipment.lines.get().verified_quantity == 3
    assert _state(order) == OrderState.READY_TO_SHIP
    with pytest.raises(TransitionNotAllowed):  # nothing is verified into a packed shipment
        shipping.shipment_verify(**scan, sku="GB-100", quantity=1, batch="GOOD")


def test_the_wrong_scan_message_names_the_expected_skus(users):
    order = order_in_state("in_fulfilment", users)
    shipment = plan_shipment(order, users)
    with pytest.raises(ValidationFailed) as refused:
        shipping.shipment_verify(shipment_id=shipment.pk, by=users["warehouse"], sku="XX-1", quantity=1)
    sku = order.lines.get().product.sku
    assert refused.value.errors["sku"] == [
        f"XX-1 is not on shipment {shipment.number} (order {order.number}): expected {sku}."]


def test_only_the_warehouse_packs_and_only_shipping_roles_ship(users):
    order = order_in_state("in_fulfilment", users)
    shipment = plan_shipment(order, users)
    line = shipment.lines.select_related("order_line__product").get()
    for role in ("sales", "logistics", "planner"):
        with pytest.raises(PermissionDenied):
            shipping.shipment_verify(shipment_id=shipment.pk, by=users[role], sku=line.order_line.product.sku,
                                     quantity=1)
    with pytest.raises(PermissionDenied):
        shipping.shipment_create(order_id=order.pk, by=users["sales"])
    _pack(shipment, users)
    for role in ("sales", "planner", "reviewer"):
        with pytest.raises(PermissionDenied):
            shipping.shipment_ship(shipment_id=shipment.pk, by=users[role], tracking_number="X")


def test_carrier_choice_ranks_feasible_options_and_refuses_an_excluded_one(users):
    order = order_in_state("ready_to_ship", users)
    shipment = order.shipments.get()
    cheap_small = carrier_service(code="POSTCO", mode="express", name="Small parcels", base_fee=Decimal("5"),
                                  per_kg=Decimal("1"), max_weight_kg=Decimal("5"))
    truck = carrier_service(code="TRUCKCO", mode="truck", name="Road freight", base_fee=Decimal("50"),
                            per_kg=Decimal("2"))
    air = carrier_service(code="AIRCO", mode="air", name="Air", base_fee=Decimal("300"), per_kg=Decimal("10"))
    ranking = shipping.shipment_carrier_options(shipment)  # 12.5 kg in one package
    assert [o.service for o in ranking.options] == [truck, air]
    assert ranking.recommended.cost == Decimal("50") + Decimal("2") * Decimal("12.5") + Decimal("100") * Decimal(
        "0.072")
    excluded = next(e for e in ranking.excluded if e.service == cheap_small)
    assert excluded.codes == ["too_heavy"] and "at most 5 kg" in excluded.messages[0]
    with pytest.raises(ValidationFailed) as refused:
        shipping.shipment_choose_carrier(shipment_id=shipment.pk, by=users["logistics"], service_id=cheap_small.pk)
    assert refused.value.code == "carrier_excluded" and refused.value.extra["reasons"] == ["too_heavy"]
    with pytest.raises(ValidationFailed) as refused:  # no carrier yet: it cannot ship
        shipping.shipment_ship(shipment_id=shipment.pk, by=users["logistics"], tracking_number="T1")
    assert "carrier_service" in refused.value.errors
    chosen = shipping.shipment_choose_carrier(shipment_id=shipment.pk, by=users["logistics"])
    assert (chosen.carrier_service, chosen.shipping_cost) == (truck, ranking.recommended.cost)
    assert chosen.expected_delivery == timezone.localdate() + datetime.timedelta(days=2)


def test_shipping_emails_the_customer_the_tracking_details_once(users, django_capture_on_commit_callbacks):
    order = order_in_state("ready_to_ship", users)
    shipment = order.shipments.get()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ship_shipment(shipment, users, tracking_number="TRK-42")
    assert len(callbacks) == 2  # the e-mail and the documents
    [message] = mail.outbox
    assert "TRK-42" in message.subject and "TRK-42" in message.body
    assert message.to == [order.contact.email]
    shipment.refresh_from_db()
    assert shipment.tracking_emailed_at is not None
    assert {a.kind for a in shipment.attachments.all()} >= {"delivery_note", "packing_list", "conformity"}
    from logistics import notifications

    assert notifications.tracking_email(shipment.pk) is False  # already sent
    assert len(mail.outbox) == 1


def test_delivery_exception_notifies_the_owner_then_resumes_and_delivers(users, django_capture_on_commit_callbacks):
    users["sales"].email = "sales@oms.example"
    users["sales"].save()
    order = order_in_state("shipped", users)
    shipment = order.shipments.get()
    mail.outbox.clear()
    with pytest.raises(ValidationFailed):
        shipping.shipment_report_exception(shipment_id=shipment.pk, by=users["logistics"], kind="stolen", note="x")
    with django_capture_on_commit_callbacks(execute=True):
        shipping.shipment_report_exception(shipment_id=shipment.pk, by=users["logistics"], kind="damaged",
                                           note="Pallet crushed at the hub.")
    shipment.refresh_from_db()
    assert (shipment.state, shipment.exception_kind) == (ShipmentState.EXCEPTION, "damaged")
    [message] = mail.outbox
    assert message.to == ["sales@oms.example"] and "Pallet crushed" in message.body
    assert order.events.filter(kind="shipment_exception").count() == 1
    shipping.shipment_resume(shipment_id=shipment.pk, by=users["logistics"], note="Repacked, on its way.")
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.IN_TRANSIT
    deliver_shipment(shipment, users)
    assert _state(order) == OrderState.DELIVERED


def test_proof_of_delivery_checks_its_input(users):
    order = order_in_state("shipped", users)
    shipment = order.shipments.get()
    deliver = {"shipment_id": shipment.pk, "by": users["logistics"]}
    with pytest.raises(ValidationFailed) as refused:
        shipping.shipment_deliver(**deliver, recipient_name=" ",
                                  photo=SimpleUploadedFile("x.exe", b"MZ\x90", content_type="image/png"))
    assert set(refused.value.errors) == {"recipient_name", "photo"}
    with pytest.raises(ValidationFailed) as refused:
        shipping.shipment_deliver(**deliver, recipient_name="A", delivered_at="2026-99-99")
    assert set(refused.value.errors) == {"delivered_at"}
    with pytest.raises(ValidationFailed):
        shipping.shipment_deliver(**deliver, recipient_name="A",
                                  delivered_at=(timezone.now() + datetime.timedelta(days=1)).isoformat())
    with pytest.raises(PermissionDenied):
        shipping.shipment_deliver(shipment_id=shipment.pk, by=users["warehouse"], recipient_name="A")
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.SHIPPED and _state(order) == OrderState.SHIPPED


def test_cancelling_a_packed_shipment_returns_the_order_and_the_order_cancel_cancels_shipments(users):
    order = order_in_state("ready_to_ship", users)
    shipment = order.shipments.get()
    with pytest.raises(ValidationFailed):
        shipping.shipment_cancel(shipment_id=shipment.pk, by=users["warehouse"], reason=" ")
    shipping.shipment_cancel(shipment_id=shipment.pk, by=users["warehouse"], reason="Customer asked to wait.")
    assert _state(order) == OrderState.IN_FULFILMENT
    assert order.events.latest("at", "id").kind == "unready"
    again = packed_shipment(order, users)  # the goods are still reserved: they go on a new shipment
    assert _state(order) == OrderState.READY_TO_SHIP
    services.order_transition(order_id=order.pk, name="cancel", by=users["sales"], reason="Project stopped.")
    again.refresh_from_db()
    assert again.state == ShipmentState.CANCELLED
    assert order.lines.get().reserved_quantity == 0
    with pytest.raises(TransitionNotAllowed) as refused:
        shipping.shipment_ship(shipment_id=again.pk, by=users["logistics"], tracking_number="T")
    assert refused.value.extra["state"] == "cancelled"


def test_reopening_a_packed_shipment_lets_the_packer_fix_it(users):
    order = order_in_state("ready_to_ship", users)
    shipment = order.shipments.get()
    shipping.shipment_reopen(shipment_id=shipment.pk, by=users["warehouse"], reason="Wrong box size.")
    assert _state(order) == OrderState.IN_FULFILMENT
    item = PackedItem.objects.get(line__shipment=shipment)
    shipping.shipment_unverify(shipment_id=shipment.pk, item_id=item.pk, by=users["warehouse"])
    assert shipment.lines.get().verified_quantity == 0
    _pack(shipment, users)
    assert _state(order) == OrderState.READY_TO_SHIP


def test_planning_with_quantities_is_bounded_by_what_is_reserved_here(users):
    product = ProductFactory()
    stock(product, "5")
    order = released_order(users, customer=CustomerFactory(), lines=[(product, "8")])
    line = order.lines.get()
    create = {"order_id": order.pk, "by": users["warehouse"]}
    for quantities, field in (({line.pk: "6"}, f"quantities.{line.pk}"), ({line.pk: "-1"}, f"quantities.{line.pk}"),
                              ({999999: "1"}, "quantities.999999"), ({line.pk: "0"}, "quantities")):
        with pytest.raises(ValidationFailed) as refused:
            shipping.shipment_create(**create, quantities=quantities)
        assert field in refused.value.errors
    [first] = shipping.shipment_create(**create, quantities={line.pk: "2"})
    [second] = shipping.shipment_create(**create)
    assert (first.lines.get().quantity, second.lines.get().quantity) == (2, 3)
    assert Shipment.objects.filter(order=order).count() == 2
