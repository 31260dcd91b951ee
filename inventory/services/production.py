"""Production: work orders for make items, their exceptions and their completion."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from oms.errors import NotFound, ValidationFailed
from oms.services import require_perm, service_transaction

from ..models import (
    WORK_ORDER_EXCEPTIONS,
    Location,
    Product,
    SupplyException,
    SupplyType,
    Warehouse,
    WorkOrder,
)
from .allocation import rebalance
from .ledger import check_location, check_quantity, check_receipt, post_receipt, receipt_batch
from .supply import PLAN, check_date, document_number, refuse, run_step

# --- work orders -----------------------------------------------------------------------------

def _lock_work_order(work_order_id: int) -> WorkOrder:
    work_order = WorkOrder.objects.select_for_update(no_key=True).filter(pk=work_order_id).first()
    if work_order is None:
        raise NotFound(_("Work order not found."))
    return work_order


def work_order_create(*, product: Product, quantity: Any, warehouse: Warehouse, due_date: Any, by: Any,
                      notes: str = "") -> WorkOrder:
    """A planner's work order for a make item, not tied to a sales order (make to stock)."""
    require_perm(by, PLAN, _("You are not allowed to plan supply."))
    if product.supply_type != SupplyType.MAKE:
        raise ValidationFailed(errors={"product": [_("Only make items are produced.")]})
    quantity = check_quantity(quantity, "quantity")
    due = check_date(due_date, "due_date", not_before=timezone.localdate())
    with service_transaction():
        work_order = WorkOrder.objects.create(number=document_number("WO"), product=product, quantity=quantity,
                                              warehouse=warehouse, due_date=due, notes=notes.strip(), created_by=by)
    rebalance(product_ids=[product.pk], by=by, reason=_("Work order %(number)s planned") % {
        "number": work_order.number})
    return work_order


WORK_ORDER_STEPS = ("release", "start", "resume", "cancel")


def work_order_transition(*, work_order_id: int, name: str, by: Any, reason: str = "") -> WorkOrder:
    """Release a planned work order to production, start it, resume a blocked one (its
    open exceptions are resolved), or cancel it (with a reason)."""
    require_perm(by, PLAN, _("You are not allowed to plan supply."))
    if name not in WORK_ORDER_STEPS:
        raise NotFound(_("Unknown step."))
    if name == "cancel" and not reason.strip():
        raise ValidationFailed(errors={"reason": [_("Say why the work order is cancelled.")]})
    with service_transaction():
        work_order = _lock_work_order(work_order_id)
        run_step(work_order, name)
        if name == "start" and work_order.started_at is None:
            work_order.started_at = timezone.now()
        if name == "cancel":
            work_order.notes = (work_order.notes + "\n" if work_order.notes else "") + reason.strip()
        if name == "resume":
            work_order.exceptions.filter(resolved_at=None).update(resolved_at=timezone.now(), resolved_by=by)
        work_order.save()
    if name == "cancel":
        rebalance(product_ids=[work_order.product_id], by=by, reason=_("Work order %(number)s cancelled") % {
            "number": work_order.number})
    return work_order


def work_order_block(*, work_order_id: int, kind: str, note: str, by: Any,
                     new_due_date: Any = None) -> SupplyException:
    """Production stopped: record the exception (machine breakdown, material shortage,
    quality issue, other) and, when known, the new due date; the waiting orders' promise
    dates move and their owners are told."""
    require_perm(by, PLAN, _("You are not allowed to plan supply."))
    if kind not in WORK_ORDER_EXCEPTIONS:
        raise ValidationFailed(errors={"kind": [_("Choose what happened.")]})
    if not note.strip():
        raise ValidationFailed(errors={"note": [_("Say what happened.")]})
    new_date = check_date(new_due_date, "new_due_date", not_before=timezone.localdate()) if new_due_date else None
    with service_transaction():
        work_order = _lock_work_order(work_order_id)
        run_step(work_order, "block")
        exception = SupplyException.objects.create(kind=kind, work_order=work_order, note=note.strip(),
                                                   new_date=new_date, previous_date=work_order.due_date, raised_by=by)
        if new_date:
            work_order.due_date = new_date
        work_order.save()
    exception.work_order = work_order
    rebalance(product_ids=[work_order.product_id], by=by, exception=exception,
              reason=_("%(kind)s on %(number)s: %(note)s") % {
                  "kind": exception.get_kind_display(), "number": work_order.number, "note": exception.note})
    return exception


def work_order_complete(*, work_order_id: int, quantity: Any, by: Any, rejected: Any = 0, batch_code: str = "",
                        expires_on: Any = None, location: Location | None = None) -> WorkOrder:
    """Production finished: `quantity` made, `rejected` of it failed inspection. The
    accepted goods are received into the work order's warehouse and fill the waiting
    orders in priority order."""
    require_perm(by, PLAN, _("You are not allowed to plan supply."))
    arrived, refused = check_receipt(quantity, rejected)
    with service_transaction():
        work_order = _lock_work_order(work_order_id)
        if not can_proceed(work_order.complete):
            raise refuse(work_order, "complete")
        check_location(location, work_order.warehouse)
        batch = receipt_batch(work_order.product, batch_code, expires_on)
        work_order.complete()
        work_order.completed_quantity = arrived - refused
        work_order.rejected_quantity = refused
        work_order.done_at = timezone.now()
        work_order.save()
        post_receipt(product=work_order.product, warehouse=work_order.warehouse, arrived=arrived, refused=refused,
                     batch=batch, location=location, by=by, reference=work_order.number, source_type="work_order",
                     source_id=work_order.pk)
        work_order.exceptions.filter(resolved_at=None).update(resolved_at=timezone.now(), resolved_by=by)
    rebalance(product_ids=[work_order.product_id], by=by, reason=_("Work order %(number)s done") % {
        "number": work_order.number})
    return work_order
