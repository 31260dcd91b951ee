"""Row locks for shipments, in the one order (orders/locks.py): the sales order first, then
its shipment, then the order's lines, then stock rows by primary key."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from oms.errors import NotFound
from orders.locks import lock_order
from orders.models import SalesOrder

from .models import Shipment


def lock_shipment(shipment_id: Any) -> tuple[SalesOrder, Shipment]:
    """Lock a shipment's order, then the shipment. Must run inside a transaction.

    Raises NotFound for an unknown id. Who may see it is the caller's check: the step
    permissions (logistics.*_shipment) are held by roles that see every shipment."""
    order_id = Shipment.objects.filter(pk=shipment_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound(_("Shipment not found."))
    order = lock_order(order_id)
    shipment = Shipment.objects.select_for_update(no_key=True).select_related("warehouse").get(pk=shipment_id)
    return order, shipment
