"""The shipping API (DESIGN.md §7): shipments with their packages, verified items, carrier
choice, tracking events, documents and proof of delivery; carriers (read only).

Every step parses its input, calls one service and answers the updated shipment. Reading
needs `logistics.view_shipment` or seeing the shipment's order (404 otherwise); the
services check the role of a step (403) and the shipment's state (409, with `state` and
`allowed_transitions`). Shipping costs and rates reach only `logistics.view_shipping_costs`.
"""

from __future__ import annotations

from typing import Any

from .carriers import CarrierViewSet
from .shipments import ShipmentViewSet

__all__ = ["CarrierViewSet", "ShipmentViewSet", "register_routes"]


def register_routes(router: Any) -> None:
    """Register the shipping resources on the API router."""
    router.register("shipments", ShipmentViewSet, basename="shipment")
    router.register("carriers", CarrierViewSet, basename="carrier")
