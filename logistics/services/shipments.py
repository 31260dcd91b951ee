"""Planning shipments from an order's reserved lines, starting to pick, cancelling."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext as _

from inventory.models import Warehouse
from inventory.services.ledger import check_quantity, reserved_by_warehouse
from inventory.services.supply import document_number, run_step
from oms.errors import TransitionNotAllowed, ValidationFailed
from oms.money import plain
from oms.services import require_perm, service_transaction
from orders.models import OrderState, SalesOrder, SalesOrderLine
from orders.services.core import lock_visible_order

from ..locks import lock_shipment
from ..models import OPEN_SHIPMENT_STATES, Shipment, ShipmentLine
from .orders import follow_shipments

PLAN = "logistics.plan_shipment"
#: Orders whose reserved goods can go onto shipments.
SHIPPABLE_ORDER_STATES = [OrderState.IN_FULFILMENT, OrderState.READY_TO_SHIP, OrderState.PARTIALLY_SHIPPED]


def lock_lines(order: SalesOrder) -> list[SalesOrderLine]:
    """Lock an order's lines (the order is locked). Must run inside a transaction."""
    return list(order.lines.select_for_update(of=("self",), no_key=True).select_related("product")
                .order_by("line_no"))


def unplanned_quantities(lines: list[SalesOrderLine]) -> dict[tuple[int, int], Decimal]:
    """What each line holds reserved in each warehouse and no open shipment carries yet:
    {(line id, warehouse id): quantity}, only where more than zero. Two queries."""
    reserved = reserved_by_warehouse(line.pk for line in lines)
    on_shipments = {(row["order_line_id"], row["shipment__warehouse_id"]): row["planned"] for row in
                    ShipmentLine.objects.filter(order_line__in=lines, shipment__state__in=OPEN_SHIPMENT_STATES)
                    .values("order_line_id", "shipment__warehouse_id").annotate(planned=Sum("quantity"))}
    left = {key: quantity - on_shipments.get(key, Decimal(0)) for key, quantity in reserved.items()}
    return {key: quantity for key, quantity in left.items() if quantity > 0}


def _wanted(lines: list[SalesOrderLine], quantities: dict[Any, Any] | None,
            unplanned: dict[tuple[int, int], Decimal], warehouse_id: int | None) -> dict[int, dict[int, Decimal]]:
    """{warehouse id: {line id: quantity}} for the shipments to create, or the errors."""
    wanted: dict[int, dict[int, Decimal]] = defaultdict(dict)
    if quantities is None:
        for (line_id, wh_id), quantity in sorted(unplanned.items()):
            if warehouse_id is None or wh_id == warehouse_id:
                wanted[wh_id][line_id] = quantity
        if not wanted:
            raise ValidationFailed(_("Nothing reserved is left to ship: every reserved unit is on a shipment "
                                     "already, or nothing is reserved yet."), code="nothing_to_ship")
        return wanted
    by_id = {line.pk: line for line in lines}
    errors: dict[str, list[str]] = {}
    parsed: dict[int, Decimal] = {}
    for key, value in quantities.items():
        try:
            line_id = int(key)
        except (TypeError, ValueError):
            line_id = None
        if line_id not in by_id:
            errors[f"quantities.{key}"] = [_("This is not a line of the order.")]
            continue
        try:
            quantity = check_quantity(value, f"quantities.{key}", allow_zero=True)
        except ValidationFailed as exc:
            errors.update(exc.errors)
            continue
        if quantity > 0:
            parsed[line_id] = quantity
    if not errors and not parsed:
        errors["quantities"] = [_("Enter a quantity for at least one line.")]
    if errors:
        raise ValidationFailed(errors=errors)
    if warehouse_id is None:
        holding = {wh_id for (line_id, wh_id) in unplanned if line_id in parsed}
        if len(holding) > 1:
            raise ValidationFailed(errors={"warehouse": [
                _("The reserved stock of these lines is in several warehouses: choose the one to ship from.")]})
        warehouse_id = next(iter(holding), None)
    for line_id, quantity in parsed.items():
        free = unplanned.get((line_id, warehouse_id), Decimal(0))
        if quantity > free:
            line = by_id[line_id]
            errors[f"quantities.{line_id}"] = [
                _("Line %(line)s (%(sku)s) has %(free)s reserved here that no shipment carries yet.")
                % {"line": line.line_no, "sku": line.product.sku, "free": plain(free)}]
    if errors:
        raise ValidationFailed(errors=errors)
    wanted[warehouse_id] = parsed
    return wanted


def shipment_create(*, order_id: int, by: Any, warehouse_id: int | None = None,
                    quantities: dict[Any, Any] | None = None, notes: str = "") -> list[Shipment]:
    """Plan shipments from an order's reserved lines.

    Without `quantities`, everything reserved and not yet on an open shipment is planned,
    one shipment per warehouse holding it (only `warehouse_id`'s, if given). With
    `quantities` ({line id: quantity}), one shipment of those quantities from the warehouse
    that holds them (or `warehouse_id`). A line's quantity can never exceed what it holds
    reserved in the warehouse minus what open shipments already carry: the rest is a
    backorder that ships later, in another shipment."""
    require_perm(by, PLAN, _("You are not allowed to plan shipments."))
    if warehouse_id is not None and not Warehouse.objects.filter(pk=warehouse_id).exists():
        raise ValidationFailed(errors={"warehouse": [_("Unknown warehouse.")]})
    with service_transaction():
        order = lock_visible_order(order_id, by)
        if order.state not in SHIPPABLE_ORDER_STATES:
            raise TransitionNotAllowed(
                _("Order %(number)s is %(state)s: only orders in fulfilment can be shipped.")
                % {"number": order.number, "state": order.get_state_display()}, extra={"state": order.state})
        lines = lock_lines(order)
        wanted = _wanted(lines, quantities, unplanned_quantities(lines), warehouse_id)
        by_id = {line.pk: line for line in lines}
        shipments = []
        for wh_id, chosen in sorted(wanted.items()):
            shipment = Shipment.objects.create(number=document_number("SH"), order=order, warehouse_id=wh_id,
                                               notes=notes.strip(), created_by=by)
            ShipmentLine.objects.bulk_create([ShipmentLine(shipment=shipment, order_line_id=line_id, quantity=quantity)
                                              for line_id, quantity in sorted(chosen.items(),
                                                                              key=lambda i: by_id[i[0]].line_no)])
            follow_shipments(order, shipment=shipment, kind="shipment_planned", by=by, payload={
                "warehouse": shipment.warehouse.code,
                "lines": {str(by_id[line_id].line_no): plain(quantity) for line_id, quantity in chosen.items()}})
            shipments.append(shipment)
    return shipments


def shipment_start_picking(*, shipment_id: int, by: Any) -> Shipment:
    """The warehouse starts picking a planned shipment (scanning the first item does too)."""
    require_perm(by, "logistics.pack_shipment", _("You are not allowed to pick and pack shipments."))
    with service_transaction():
        _order, shipment = lock_shipment(shipment_id)
        run_step(shipment, "start_picking")
        shipment.save()
    return shipment


def shipment_cancel(*, shipment_id: int, by: Any, reason: str) -> Shipment:
    """Cancel a shipment that has not left: its goods stay reserved for the order (another
    shipment can carry them); what was verified stays on record."""
    require_perm(by, PLAN, _("You are not allowed to plan shipments."))
    if not reason.strip():
        raise ValidationFailed(errors={"reason": [_("Say why the shipment is cancelled.")]})
    with service_transaction():
        order, shipment = lock_shipment(shipment_id)
        run_step(shipment, "cancel")
        shipment.notes = (shipment.notes + "\n" if shipment.notes else "") + reason.strip()
        shipment.save()
        follow_shipments(order, shipment=shipment, kind="shipment_cancelled", by=by, reason=reason.strip())
    return shipment


def cancel_shipments_for_order(order: SalesOrder, *, by: Any, reason: str) -> list[str]:
    """Cancel the order's shipments that have not left, for the order's cancellation.

    Precondition: inside the cancellation's transaction, the order locked. Returns their numbers."""
    shipments = list(Shipment.objects.select_for_update(no_key=True).filter(order=order, state__in=OPEN_SHIPMENT_STATES)
                     .order_by("pk"))
    for shipment in shipments:
        shipment.cancel()
        shipment.notes = (shipment.notes + "\n" if shipment.notes else "") + reason.strip()
        shipment.save()
    return [shipment.number for shipment in shipments]


