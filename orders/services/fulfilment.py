"""Fulfilment on the sales-order side: priorities (orders/priority.py), and telling the
owner when promise dates move."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.services import WAITING_STATES, rebalance
from oms.errors import Conflict, ValidationFailed
from oms.services import require_perm, service_transaction

from ..models import OrderState, SalesOrder
from ..priority import MAX_BOOST
from .core import lock_visible_order, record_event

#: Orders whose priority still matters: not yet shipped in full, nor stopped.
PRIORITISED_STATES = [OrderState.INQUIRY, OrderState.QUOTED, OrderState.CONTRACTED, OrderState.SUBMITTED,
                      OrderState.ON_HOLD, OrderState.APPROVED, *WAITING_STATES]


def order_reprioritise(*, order_id: int, by: Any, reason: str, boost: Any = None,
                       urgent: bool | None = None) -> SalesOrder:
    """A planner changes an order's priority: the urgency flag and/or an adjustment of
    −1000…+1000 points, always with a reason (recorded on the timeline). Waiting lines
    are then re-ranked: stock and incoming supply follow the new order of priority."""
    require_perm(by, "orders.prioritise_order", _("You are not allowed to change priorities."))
    if not (reason or "").strip():
        raise ValidationFailed(errors={"reason": [_("Say why the priority changes.")]})
    if boost is not None:
        try:
            boost = int(str(boost).strip())
        except ValueError:
            raise ValidationFailed(errors={"boost": [_("Enter a whole number.")]}) from None
        if abs(boost) > MAX_BOOST:
            raise ValidationFailed(errors={"boost": [
                _("Between -%(max)s and %(max)s.") % {"max": MAX_BOOST}]})
    with service_transaction():
        order = lock_visible_order(order_id, by)
        if order.state not in PRIORITISED_STATES:
            raise Conflict(_("The priority of a %(state)s order no longer matters.")
                           % {"state": order.get_state_display()}, code="priority_not_applicable")
        before = {"priority": order.priority, "urgent": order.urgent, "boost": order.priority_boost}
        if boost is not None:
            order.priority_boost = boost
        if urgent is not None:
            order.urgent = bool(urgent)
        order.refresh_priority()
        order.save(update_fields=["priority", "priority_boost", "urgent", "updated_at"])
        record_event(order, kind="reprioritised", by=by, from_state=order.state, to_state=order.state,
                     reason=reason.strip(), payload={
                         "from": before, "to": {"priority": order.priority, "urgent": order.urgent,
                                                "boost": order.priority_boost}})
        waiting = order.state in WAITING_STATES
        product_ids = list(order.lines.values_list("product_id", flat=True)) if waiting else []
    if product_ids:
        rebalance(product_ids=product_ids, by=by, reason=_("Priority of %(number)s changed: %(reason)s") % {
            "number": order.number, "reason": reason.strip()})
    return order


def orders_priority_refresh(*, chunk: int = 500) -> int:
    """Every few hours: the due-date part of the score grows as the requested date nears.
    Each chunk of orders is locked (by pk, the global order) and recomputed from the row
    as it is then, so a planner's change made meanwhile is never overwritten. Returns how
    many orders changed."""
    today = timezone.localdate()
    ids = list(SalesOrder.objects.filter(state__in=PRIORITISED_STATES).order_by("pk").values_list("pk", flat=True))
    changed = 0
    for start in range(0, len(ids), chunk):
        with service_transaction():
            orders = list(SalesOrder.objects.select_for_update(of=("self",), no_key=True).select_related("customer")
                          .filter(pk__in=ids[start:start + chunk], state__in=PRIORITISED_STATES).order_by("pk"))
            moved = [order for order in orders if order.refresh_priority(today)]
            SalesOrder.objects.bulk_update(moved, ["priority"])
            changed += len(moved)
    return changed
