"""The order follows its shipments (DESIGN.md §4): a packed shipment makes it ready to
ship, shipping moves it to partially shipped or shipped, and proof of delivery for every
shipment to delivered."""

from __future__ import annotations

from typing import Any

from orders.models import OrderState, SalesOrder
from orders.services.core import apply_transition, record_event

from ..models import Shipment, ShipmentState

S = OrderState
#: The order states the shipments move the order between.
SHIPPING_STATES = [S.IN_FULFILMENT, S.READY_TO_SHIP, S.PARTIALLY_SHIPPED, S.SHIPPED]


def order_target_state(order: SalesOrder) -> str:
    """The state the order's lines and shipments put it in: shipped (or delivered, when
    every shipment is) once every unit left; else ready to ship while a shipment is
    packed; else partially shipped once something left; else in fulfilment."""
    lines = list(order.lines.all())
    states = list(Shipment.objects.filter(order=order).exclude(state=ShipmentState.CANCELLED)
                  .values_list("state", flat=True))
    if lines and all(line.shipped_quantity >= line.quantity for line in lines):
        return S.DELIVERED if states and all(state == ShipmentState.DELIVERED for state in states) else S.SHIPPED
    if ShipmentState.PACKED in states:
        return S.READY_TO_SHIP
    if any(line.shipped_quantity > 0 for line in lines):
        return S.PARTIALLY_SHIPPED
    return S.IN_FULFILMENT


def _steps(current: str, target: str, kind: str) -> list[str]:
    if current == target:
        return []
    if target == S.READY_TO_SHIP:
        return ["mark_ready"] if current in (S.IN_FULFILMENT, S.PARTIALLY_SHIPPED) else []
    if current == S.READY_TO_SHIP:
        if target == S.PARTIALLY_SHIPPED:
            return ["ship_partial" if kind == "shipment_shipped" else "unready"]
        if target == S.IN_FULFILMENT:
            return ["unready"]
        if target == S.SHIPPED:
            return ["ship"]
    if current == S.SHIPPED and target == S.DELIVERED:
        return ["deliver"]
    return []


def follow_shipments(order: SalesOrder, *, shipment: Shipment, kind: str, by: Any, reason: str = "",
                     payload: dict | None = None) -> None:
    """Record a shipment step on the order's timeline, moving the order where its shipments
    now put it: the transition's event carries the shipment, else a `kind` event does.

    Precondition: the order and the shipment are locked, the step is saved. The caller
    checked the step's permission; the order's shipping transitions follow from it."""
    payload = {"shipment": shipment.number, "shipment_id": shipment.pk, **(payload or {})}
    steps = _steps(order.state, order_target_state(order), kind) if order.state in SHIPPING_STATES else []
    if not steps:
        record_event(order, kind=kind, by=by, reason=reason, payload=payload)
        return
    for name in steps:
        apply_transition(order, name, by=by, reason=reason, payload={"step": kind, **payload})
