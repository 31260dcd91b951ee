"""Row locks, always taken in one order: order, then its lines, then stock rows by pk."""

from .models import SalesOrder


def lock_order(order_id: int) -> SalesOrder:
    """Lock one order row (SELECT … FOR UPDATE). Must run inside a transaction."""
    return SalesOrder.objects.select_for_update().get(pk=order_id)

