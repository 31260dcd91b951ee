"""The shipments section of the order page (templates/orders/_shipments.html)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..models import Shipment, ShipmentLine
from ..services import unplanned_quantities
from ..services.shipments import SHIPPABLE_ORDER_STATES
from .common import PLAN, VIEW
from .detail import shows_shipping_cost


@dataclass
class ShipmentsPanel:
    shipments: list[Shipment] = field(default_factory=list)
    #: Reserved goods no open shipment carries yet (None: not shown to this user).
    unplanned: Decimal | None = None
    can_plan: bool = False
    show_cost: bool = False


def order_shipments(order: Any) -> list[Shipment]:
    """The order's shipments, oldest first, each with `panel_lines` (its lines with their
    products). One query: every shipment has lines, so the lines bring their shipments."""
    shipments: dict[int, Shipment] = {}
    for line in (ShipmentLine.objects.filter(shipment__order=order)
                 .select_related("shipment__warehouse", "shipment__carrier_service__carrier", "order_line__product")
                 .order_by("shipment__created_at", "shipment_id", "order_line__line_no")):
        shipment = shipments.get(line.shipment_id)
        if shipment is None:
            shipment = shipments[line.shipment_id] = line.shipment
            shipment.panel_lines = []
        shipment.panel_lines.append(line)
    return list(shipments.values())


def shipments_panel(order: Any, user: Any) -> ShipmentsPanel | None:
    """The order's shipments (one query, whatever their number) and, for those who plan
    shipments, what is reserved and not planned yet (two more, from the prefetched
    lines). None when the order has no shipments and cannot have any now."""
    shipments = order_shipments(order)
    shippable = order.state in SHIPPABLE_ORDER_STATES
    if not shipments and not shippable:
        return None
    panel = ShipmentsPanel(shipments=shipments, show_cost=shows_shipping_cost(user))
    if shippable and user.has_perm(PLAN) and user.has_perm(VIEW):
        panel.can_plan = True
        panel.unplanned = sum(unplanned_quantities(list(order.lines.all())).values(), Decimal(0))
    return panel
