"""Carrier choice and shipping: the goods leave, the ledger issues them, the customer
gets the tracking details."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.services.ledger import issue_for_line
from inventory.services.supply import check_date, refuse, run_step
from oms.errors import TransitionNotAllowed, ValidationFailed
from oms.models import EventType
from oms.outbox import publish_shipment
from oms.services import require_perm, service_transaction

from ..carriers import Ranking, rank_carrier_options
from ..locks import lock_shipment
from ..models import PackedItem, Shipment, ShipmentState, TrackingAdapter
from .orders import follow_shipments
from .packing import enqueue_documents
from .shipments import lock_lines

SHIP = "logistics.ship_shipment"


def shipment_measures(shipment: Shipment) -> tuple[Decimal, Decimal, bool]:
    """(gross weight kg, volume m³, fragile) of a shipment: its packages once measured,
    else an estimate from its products' unit weight and volume."""
    packages = list(shipment.packages.all())
    lines = list(shipment.lines.select_related("order_line__product"))
    fragile = any(line.order_line.product.fragile for line in lines)
    if packages and all(package.is_measured for package in packages):
        return (sum((p.weight_kg for p in packages), Decimal(0)),
                sum((p.volume_m3 for p in packages), Decimal(0)), fragile)
    weight = sum((line.quantity * line.order_line.product.weight_kg for line in lines), Decimal(0))
    volume = sum((line.quantity * line.order_line.product.volume_m3 for line in lines), Decimal(0))
    return weight, volume, fragile


def shipment_carrier_options(shipment: Shipment, *, ship_date: datetime.date | None = None) -> Ranking:
    """The carrier services ranked for the shipment (logistics/carriers.py): its weight,
    volume and fragility, the order's delivery region and country, and the order's
    requested date when it is still ahead."""
    ship_date = ship_date or shipment.ship_date or timezone.localdate()
    order = shipment.order
    address = order.delivery_address
    weight, volume, fragile = shipment_measures(shipment)
    required = order.requested_date if order.requested_date and order.requested_date >= ship_date else None
    return rank_carrier_options(weight_kg=weight, volume_m3=volume, fragile=fragile,
                                region=address.region if address else "", country=address.country if address else "",
                                ship_date=ship_date, required_date=required)


def shipment_choose_carrier(*, shipment_id: int, by: Any, service_id: Any = None) -> Shipment:
    """Logistics picks a carrier service for a packed shipment, or accepts the top one
    (no `service_id`). A service the ranking excludes is refused with its reasons."""
    require_perm(by, SHIP, _("You are not allowed to choose carriers and ship."))
    with service_transaction():
        _order, shipment = lock_shipment(shipment_id)
        if shipment.state != ShipmentState.PACKED:
            raise refuse(shipment, "choose_carrier")
        ranking = shipment_carrier_options(shipment)
        if service_id in (None, ""):
            option = ranking.recommended
            if option is None:
                raise ValidationFailed(errors={"carrier_service": [
                    _("No carrier service can take this shipment."),
                    *(f"{excluded.service}: {' '.join(excluded.messages)}" for excluded in ranking.excluded)]},
                    code="no_carrier")
        else:
            option = next((o for o in ranking.options if str(o.service_id) == str(service_id)), None)
            if option is None:
                excluded = next((e for e in ranking.excluded if str(e.service.pk) == str(service_id)), None)
                if excluded is None:
                    raise ValidationFailed(errors={"carrier_service": [_("Unknown or inactive carrier service.")]})
                raise ValidationFailed(errors={"carrier_service": excluded.messages}, code="carrier_excluded",
                                       extra={"reasons": excluded.codes})
        shipment.carrier_service = option.service
        shipment.shipping_cost = option.cost
        shipment.expected_delivery = option.arrival_date
        shipment.save()
    return shipment


def shipment_ship(*, shipment_id: int, by: Any, tracking_number: str, ship_date: Any = None) -> Shipment:
    """The packed shipment leaves: the verified batches are issued from stock (ledger
    moves), the carrier, tracking number and ship date are recorded, the order moves to
    partially shipped or shipped, and the customer is e-mailed the tracking details.

    A verbal order awaiting written confirmation cannot leave."""
    require_perm(by, SHIP, _("You are not allowed to choose carriers and ship."))
    tracking_number = (tracking_number or "").strip()
    if not tracking_number:
        raise ValidationFailed(errors={"tracking_number": [_("Enter the carrier's tracking number.")]})
    if len(tracking_number) > 64:
        raise ValidationFailed(errors={"tracking_number": [_("At most 64 characters.")]})
    today = timezone.localdate()
    shipped_on = check_date(ship_date, "ship_date") if ship_date not in (None, "") else today
    if shipped_on > today:
        raise ValidationFailed(errors={"ship_date": [_("The ship date cannot be in the future.")]})
    with service_transaction():
        order, shipment = lock_shipment(shipment_id)
        if shipment.state != ShipmentState.PACKED:
            raise refuse(shipment, "ship")
        if order.awaiting_confirmation:
            raise TransitionNotAllowed(
                _("This verbal order cannot leave the warehouse before the customer's written confirmation arrives."),
                code="awaiting_written_confirmation")
        if shipment.carrier_service_id is None:
            raise ValidationFailed(errors={"carrier_service": [_("Choose the carrier first.")]})
        if shipment.packed_at and shipped_on < timezone.localdate(shipment.packed_at):
            raise ValidationFailed(errors={"ship_date": [_("The ship date cannot be before the packing.")]})
        order_lines = {line.pk: line for line in lock_lines(order)}
        items = list(PackedItem.objects.filter(line__shipment=shipment).select_related("batch", "line"))
        for line in shipment.lines.order_by("order_line__line_no"):
            picks: dict[Any, Decimal] = {}
            for item in items:
                if item.line_id == line.pk:
                    picks[item.batch] = picks.get(item.batch, Decimal(0)) + item.quantity
            issue_for_line(order_lines[line.order_line_id], quantity=line.quantity, by=by, reference=shipment.number,
                           picks=[(None, batch, quantity) for batch, quantity in picks.items()],
                           warehouse=shipment.warehouse)
        run_step(shipment, "ship")
        shipment.tracking_number, shipment.ship_date = tracking_number, shipped_on
        shipment.shipped_at, shipment.shipped_by = timezone.now(), by
        carrier = shipment.carrier_service.carrier
        shipment.expected_delivery = shipped_on + datetime.timedelta(days=shipment.carrier_service.transit_days)
        if carrier.tracking_adapter == TrackingAdapter.HTTP_JSON:
            shipment.next_poll_at = timezone.now()
        shipment.save()
        follow_shipments(order, shipment=shipment, kind="shipment_shipped", by=by, payload={
            "carrier": carrier.code, "tracking_number": tracking_number, "ship_date": shipped_on.isoformat()})
        publish_shipment(EventType.SHIPMENT_SHIPPED, shipment, order)
        transaction.on_commit(lambda: _enqueue_tracking_email(shipment.pk), robust=True)
        transaction.on_commit(lambda: enqueue_documents(shipment.pk), robust=True)
    return shipment


def _enqueue_tracking_email(shipment_id: int) -> None:
    from ..tasks import shipment_tracking_email

    shipment_tracking_email.delay(shipment_id)
