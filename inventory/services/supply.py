"""Supply for sales orders: what is raised and cancelled with a sales order, and what the
purchasing and production services share.

Lock order (extends orders/locks.py): a sales order, then the work orders and
requisitions raised for it, then its lines, then stock. A purchase or work order's own
services (purchasing.py, production.py) lock the document, then stock; the waiting
sales orders are filled afterwards, in a transaction of their own (`rebalance`).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from oms.errors import Conflict, NotFound, TransitionNotAllowed, ValidationFailed
from oms.services import require_perm, service_transaction

from ..models import (
    INCOMING_PO_STATES,
    PurchaseOrder,
    PurchaseOrderState,
    PurchaseRequisition,
    RequisitionState,
    SupplyException,
    SupplyType,
    Warehouse,
    WorkOrder,
    WorkOrderState,
)
from .allocation import enqueue_rebalance, rebalance

PLAN = "inventory.plan_supply"


def document_number(prefix: str) -> str:
    from orders.services.core import next_document_number  # orders builds on inventory

    return next_document_number(prefix)


def check_date(value: Any, field: str, *, not_before: datetime.date | None = None) -> datetime.date:
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value.strip())
        except ValueError:
            raise ValidationFailed(errors={field: [_("Enter a date as YYYY-MM-DD.")]}) from None
    if not isinstance(value, datetime.date):
        raise ValidationFailed(errors={field: [_("Enter a date.")]})
    if not_before is not None and value < not_before:
        raise ValidationFailed(errors={field: [_("The date cannot be in the past.")]})
    return value


#: The steps callers run (services, API actions) for each state-machine method.
_STEP_OF = {"receive_part": "receive", "receive_all": "receive"}


def steps_now(document: Any) -> list[str]:
    """The steps possible in the document's current state, by the names callers use."""
    steps = []
    for transition in document.get_available_state_transitions():
        step = _STEP_OF.get(transition.name, transition.name)
        if step not in steps:
            steps.append(step)
    if isinstance(document, PurchaseOrder) and document.state in INCOMING_PO_STATES:
        steps.append("delay")
    return steps


def refuse(document: Any, name: str) -> TransitionNotAllowed:
    allowed = steps_now(document)
    return TransitionNotAllowed(
        _("%(document)s is %(state)s: this step is not possible now.")
        % {"document": document.number, "state": document.get_state_display()},
        extra={"state": document.state, "allowed_transitions": allowed})


def run_step(document: Any, name: str) -> str:
    method = getattr(document, name)
    if not can_proceed(method):
        raise refuse(document, name)
    from_state = document.state
    method()
    return from_state


def _preferred_warehouse(order: Any) -> Warehouse | None:
    region = order.delivery_address.region if order.delivery_address_id else ""
    warehouses = list(Warehouse.objects.filter(is_active=True).order_by("code"))
    return next((w for w in warehouses if w.serves(region)), warehouses[0] if warehouses else None)


# --- raised and cancelled with the sales order -----------------------------------------------

def raise_supply_for_order(order: Any, lines: list[Any], *, by: Any) -> dict[str, int]:
    """Raise a work order (make items) or a purchase requisition (bought-in and stock
    items) for each backordered line, for what is not covered yet, due by the line's
    promise date (else the order's requested date, else after the lead time).

    Precondition: inside the release-to-fulfilment transaction, the order and its lines
    locked and reserved."""
    today = timezone.localdate()
    warehouse = _preferred_warehouse(order)
    short = [line for line in lines if line.backorder_quantity > 0]
    if not short or warehouse is None:
        return {"work_orders": 0, "requisitions": 0}
    covered: dict[int, Decimal] = defaultdict(Decimal)
    for wo in WorkOrder.objects.filter(sales_order_line__in=short, state__in=[
            WorkOrderState.PLANNED, WorkOrderState.RELEASED, WorkOrderState.IN_PROGRESS, WorkOrderState.BLOCKED]):
        covered[wo.sales_order_line_id] += wo.quantity
    for req in PurchaseRequisition.objects.filter(sales_order_line__in=short).filter(
            Q(state=RequisitionState.OPEN) | Q(state=RequisitionState.ORDERED,
                                               purchase_order_line__purchase_order__state__in=[
                                                   PurchaseOrderState.DRAFT, *INCOMING_PO_STATES])
    ).select_related("purchase_order_line"):
        # an ordered one covers at most what is still to come on its purchase order line
        on_order = req.purchase_order_line.open_quantity if req.purchase_order_line_id else req.quantity
        covered[req.sales_order_line_id] += min(req.quantity, on_order)
    work_orders, requisitions = [], []
    for line in short:
        missing = line.backorder_quantity - covered[line.pk]
        if missing <= 0:
            continue
        due = line.promise_date or order.requested_date or today + datetime.timedelta(days=line.product.lead_time_days)
        due = max(due, today)
        if line.product.supply_type == SupplyType.MAKE:
            work_orders.append(WorkOrder(product=line.product, quantity=missing, warehouse=warehouse, due_date=due,
                                         sales_order_line=line, created_by=by))
        else:
            requisitions.append(PurchaseRequisition(product=line.product, quantity=missing, needed_by=due,
                                                    warehouse=warehouse, sales_order_line=line, created_by=by))
    # A number's sequence row stays locked until the commit: draw them in one order
    # (by prefix), or two releases drawing "PR" and "WO" in opposite orders deadlock.
    for document in requisitions:
        document.number = document_number("PR")
    for document in work_orders:
        document.number = document_number("WO")
    WorkOrder.objects.bulk_create(work_orders)
    PurchaseRequisition.objects.bulk_create(requisitions)
    return {"work_orders": len(work_orders), "requisitions": len(requisitions)}


def raise_supply_for_line(*, line_id: int, by: Any) -> dict[str, int]:
    """A planner raises supply again for a waiting line whose work order or purchase order
    did not cover it (rejects at inspection, a cancelled document, stock given to a
    higher priority)."""
    from orders.locks import lock_order
    from orders.models import SalesOrderLine

    from .allocation import WAITING_STATES

    require_perm(by, PLAN, _("You are not allowed to plan supply."))
    with service_transaction():
        order_id = SalesOrderLine.objects.filter(pk=line_id).values_list("order_id", flat=True).first()
        if order_id is None:
            raise NotFound(_("Order line not found."))
        order = lock_order(order_id)
        if order.state not in WAITING_STATES:
            raise Conflict(_("The order is not waiting for supply."), code="not_waiting")
        line = order.lines.select_for_update(of=("self",), no_key=True).select_related("product").get(pk=line_id)
        if _preferred_warehouse(order) is None:
            raise Conflict(_("There is no active warehouse to deliver to."), code="no_warehouse")
        raised = raise_supply_for_order(order, [line], by=by)
        if not any(raised.values()):
            raise Conflict(_("Open work or purchase orders already cover this line."), code="supply_covered")
    rebalance(product_ids=[line.product_id], by=by)
    return raised


def cancel_supply_for_order(order: Any, *, by: Any, reason: str) -> dict[str, int]:
    """Cancel the work orders and requisitions raised for a cancelled order; those already
    in production or on a purchase order are detached (they go to stock).

    Precondition: inside the cancellation transaction, with the order locked and before
    its lines and stock are locked (the documents come first in the lock order)."""
    work_orders = list(WorkOrder.objects.select_for_update(of=("self",), no_key=True)
                       .filter(sales_order_line__order=order).order_by("pk"))
    requisitions = list(PurchaseRequisition.objects.select_for_update(of=("self",), no_key=True)
                        .filter(sales_order_line__order=order).order_by("pk"))
    counts = {"work_orders_cancelled": 0, "work_orders_detached": 0, "requisitions_cancelled": 0,
              "requisitions_detached": 0}
    for wo in work_orders:
        if can_proceed(wo.cancel):
            wo.cancel()
            counts["work_orders_cancelled"] += 1
        elif wo.is_open:
            counts["work_orders_detached"] += 1
        else:
            continue
        wo.notes = (wo.notes + "\n" if wo.notes else "") + _("Order %(number)s cancelled: %(reason)s") % {
            "number": order.number, "reason": reason}
        wo.sales_order_line = None
        wo.save()
    for req in requisitions:
        if req.state == RequisitionState.OPEN:
            req.state = RequisitionState.CANCELLED
            counts["requisitions_cancelled"] += 1
        elif req.state == RequisitionState.ORDERED:
            counts["requisitions_detached"] += 1
        else:
            continue
        req.sales_order_line = None
        req.save(update_fields=["state", "sales_order_line"])
    return counts


def exception_resolve(*, exception_id: int, by: Any) -> SupplyException:
    """Mark an exception dealt with (it leaves the planners' board)."""
    require_perm(by, PLAN, _("You are not allowed to plan supply."))
    with service_transaction():
        exception = SupplyException.objects.select_for_update(no_key=True).filter(pk=exception_id).first()
        if exception is None:
            raise NotFound(_("Exception not found."))
        if exception.resolved_at is None:
            exception.resolved_at = timezone.now()
            exception.resolved_by = by
            exception.save(update_fields=["resolved_at", "resolved_by"])
    return exception


def supply_after_release(product_ids: list[int]) -> None:
    """Schedule the promise-date refresh of the waiting orders after a release to
    fulfilment commits (the releasing transaction holds locks `rebalance` needs)."""
    if product_ids:
        transaction.on_commit(lambda: enqueue_rebalance(product_ids), robust=True)

