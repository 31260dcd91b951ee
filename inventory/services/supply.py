"""Supply for sales orders: work orders for make items, purchase requisitions and purchase
orders for bought-in items, and the exceptions that delay them.

Lock order (extends orders/locks.py): a sales order, then the work orders and
requisitions raised for it, then its lines, then stock. A purchase or work order's own
services lock the document, then stock; the waiting sales orders are filled afterwards,
in a transaction of their own (`rebalance`).
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
from oms.services import require_perm

from ..models import (
    INCOMING_PO_STATES,
    QTY_DIGITS,
    QTY_PLACES,
    WORK_ORDER_EXCEPTIONS,
    ExceptionKind,
    Location,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderState,
    PurchaseRequisition,
    RequisitionState,
    StockLevel,
    Supplier,
    SupplyException,
    SupplyType,
    Warehouse,
    WorkOrder,
    WorkOrderState,
)
from .allocation import enqueue_rebalance, rebalance
from .ledger import check_location, check_quantity, check_receipt, lock_levels, plain, post_receipt, receipt_batch

PLAN = "inventory.plan_supply"


def _number(prefix: str) -> str:
    from orders.services.core import next_document_number  # orders builds on inventory

    return next_document_number(prefix)


def _check_date(value: Any, field: str, *, not_before: datetime.date | None = None) -> datetime.date:
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


def _steps_now(document: Any) -> list[str]:
    """The steps possible in the document's current state, by the names callers use."""
    steps = []
    for transition in document.get_available_state_transitions():
        step = _STEP_OF.get(transition.name, transition.name)
        if step not in steps:
            steps.append(step)
    if isinstance(document, PurchaseOrder) and document.state in INCOMING_PO_STATES:
        steps.append("delay")
    return steps


def _refuse(document: Any, name: str) -> TransitionNotAllowed:
    allowed = _steps_now(document)
    return TransitionNotAllowed(
        _("%(document)s is %(state)s: this step is not possible now.")
        % {"document": document.number, "state": document.get_state_display()},
        extra={"state": document.state, "allowed_transitions": allowed})


def _run(document: Any, name: str) -> str:
    method = getattr(document, name)
    if not can_proceed(method):
        raise _refuse(document, name)
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
            work_orders.append(WorkOrder(number=_number("WO"), product=line.product, quantity=missing,
                                         warehouse=warehouse, due_date=due, sales_order_line=line, created_by=by))
        else:
            requisitions.append(PurchaseRequisition(number=_number("PR"), product=line.product, quantity=missing,
                                                    needed_by=due, warehouse=warehouse, sales_order_line=line,
                                                    created_by=by))
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
    with transaction.atomic(durable=True):
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


# --- requisitions ----------------------------------------------------------------------------

def requisition_create(*, product: Product, quantity: Any, needed_by: Any = None, warehouse: Warehouse | None = None,
                       note: str = "", by: Any) -> PurchaseRequisition:
    """A planner's request to buy, not tied to a sales order (e.g. to refill stock)."""
    require_perm(by, PLAN, _("You are not allowed to plan supply."))
    quantity = check_quantity(quantity, "quantity")
    needed = _check_date(needed_by, "needed_by", not_before=timezone.localdate()) if needed_by else None
    if len(note) > 250:
        raise ValidationFailed(errors={"note": [_("At most 250 characters.")]})
    with transaction.atomic(durable=True):
        return PurchaseRequisition.objects.create(number=_number("PR"), product=product, quantity=quantity,
                                                  needed_by=needed, warehouse=warehouse, note=note.strip(),
                                                  created_by=by)


def requisition_cancel(*, requisition_id: int, by: Any) -> PurchaseRequisition:
    require_perm(by, PLAN, _("You are not allowed to plan supply."))
    with transaction.atomic(durable=True):
        requisition = PurchaseRequisition.objects.select_for_update(no_key=True).filter(pk=requisition_id).first()
        if requisition is None:
            raise NotFound(_("Requisition not found."))
        if requisition.state != RequisitionState.OPEN:
            raise TransitionNotAllowed(_("Only an open requisition can be cancelled."),
                                       extra={"state": requisition.state, "allowed_transitions": []})
        requisition.state = RequisitionState.CANCELLED
        requisition.save(update_fields=["state"])
    return requisition


# --- purchase orders -------------------------------------------------------------------------

def _lock_purchase_order(purchase_order_id: int) -> PurchaseOrder:
    purchase_order = PurchaseOrder.objects.select_for_update(no_key=True).filter(pk=purchase_order_id).first()
    if purchase_order is None:
        raise NotFound(_("Purchase order not found."))
    return purchase_order


def purchase_order_create(*, supplier: Supplier, warehouse: Warehouse, expected_date: Any, by: Any,
                          lines: list[dict] | None = None, requisition_ids: list[int] | None = None,
                          notes: str = "") -> PurchaseOrder:
    """A draft purchase order to `supplier`: the open requisitions given (one line per
    product, their quantities added up) and any further `lines` ({product, quantity,
    unit_price}). The requisitions become `ordered`."""
    require_perm(by, PLAN, _("You are not allowed to plan supply."))
    if not supplier.is_active:
        raise ValidationFailed(errors={"supplier": [_("This supplier is not active.")]})
    expected = _check_date(expected_date, "expected_date", not_before=timezone.localdate())
    wanted: dict[int, dict] = {}
    errors: dict[str, list[str]] = {}
    for index, line in enumerate(lines or []):
        try:
            quantity = check_quantity(line.get("quantity"), "quantity")
            price = check_quantity(line.get("unit_price") or 0, "unit_price", allow_zero=True)
        except ValidationFailed as exc:
            for field_name, messages in exc.errors.items():
                errors.setdefault(f"lines[{index}].{field_name}", []).extend(messages)
            continue
        product = line.get("product")
        if not isinstance(product, Product):
            errors.setdefault(f"lines[{index}].product", []).append(_("Choose a product."))
            continue
        if product.pk in wanted:
            errors.setdefault(f"lines[{index}].product", []).append(
                _("%(sku)s is already on another line: give the whole quantity on one line.") % {"sku": product.sku})
            continue
        entry = wanted.setdefault(product.pk, {"product": product, "quantity": Decimal(0), "unit_price": price,
                                               "requisitions": []})
        entry["quantity"] += quantity
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic(durable=True):
        requisitions = list(PurchaseRequisition.objects.select_for_update(of=("self",), no_key=True)
                            .select_related("product").filter(pk__in=requisition_ids or []).order_by("pk"))
        if len(requisitions) != len(set(requisition_ids or [])):
            raise ValidationFailed(errors={"requisitions": [_("Some requisitions were not found.")]})
        taken = [r.number for r in requisitions if r.state != RequisitionState.OPEN]
        if taken:
            raise ValidationFailed(errors={"requisitions": [
                _("Not open any more: %(numbers)s.") % {"numbers": ", ".join(taken)}]})
        for requisition in requisitions:
            entry = wanted.setdefault(requisition.product_id, {
                "product": requisition.product, "quantity": Decimal(0),
                "unit_price": requisition.product.standard_cost, "requisitions": []})
            entry["quantity"] += requisition.quantity
            entry["requisitions"].append(requisition)
            if entry["quantity"] >= Decimal(10) ** (QTY_DIGITS - QTY_PLACES):
                raise ValidationFailed(errors={"requisitions": [
                    _("Together these requisitions ask for more than one line can record.")]})
        if not wanted:
            raise ValidationFailed(errors={"lines": [_("Add at least one line or requisition.")]})
        purchase_order = PurchaseOrder.objects.create(number=_number("PO"), supplier=supplier, warehouse=warehouse,
                                                      currency=supplier.currency, expected_date=expected,
                                                      notes=notes.strip(), created_by=by)
        for line_no, entry in enumerate(wanted.values(), start=1):
            line = PurchaseOrderLine.objects.create(purchase_order=purchase_order, line_no=line_no,
                                                    product=entry["product"], quantity=entry["quantity"],
                                                    unit_price=entry["unit_price"])
            for requisition in entry["requisitions"]:
                requisition.state = RequisitionState.ORDERED
                requisition.purchase_order_line = line
            PurchaseRequisition.objects.bulk_update(entry["requisitions"], ["state", "purchase_order_line"])
    return purchase_order


PURCHASE_ORDER_STEPS = ("send", "confirm", "close", "cancel")


def purchase_order_transition(*, purchase_order_id: int, name: str, by: Any, reason: str = "",
                              supplier_reference: str = "") -> PurchaseOrder:
    """Send a draft to the supplier, record the supplier's confirmation, close a partly
    received order short (with a reason: the rest will not come), or cancel (with a
    reason; its requisitions open again). Incoming supply changes, so the promise dates of
    waiting orders are recomputed."""
    require_perm(by, PLAN, _("You are not allowed to plan supply."))
    if name not in PURCHASE_ORDER_STEPS:
        raise NotFound(_("Unknown step."))
    if name == "cancel" and not reason.strip():
        raise ValidationFailed(errors={"reason": [_("Say why the purchase order is cancelled.")]})
    if name == "close" and not reason.strip():
        raise ValidationFailed(errors={"reason": [_("Say why the rest will not come.")]})
    if len(supplier_reference) > 64:
        raise ValidationFailed(errors={"supplier_reference": [_("At most 64 characters.")]})
    with transaction.atomic(durable=True):
        purchase_order = _lock_purchase_order(purchase_order_id)
        _run(purchase_order, name)
        now = timezone.now()
        if name == "send":
            purchase_order.sent_at = now
        elif name == "confirm":
            purchase_order.confirmed_at = now
            purchase_order.supplier_reference = supplier_reference.strip() or purchase_order.supplier_reference
        elif name == "close":
            purchase_order.notes = (purchase_order.notes + "\n" if purchase_order.notes else "") + reason.strip()
        else:
            purchase_order.notes = (purchase_order.notes + "\n" if purchase_order.notes else "") + reason.strip()
            PurchaseRequisition.objects.filter(purchase_order_line__purchase_order=purchase_order).update(
                state=RequisitionState.OPEN, purchase_order_line=None)
        purchase_order.save()
        product_ids = list(purchase_order.lines.values_list("product_id", flat=True))
    if name in ("send", "close", "cancel"):
        rebalance(product_ids=product_ids, by=by, reason=_("Purchase order %(number)s: %(step)s") % {
            "number": purchase_order.number, "step": purchase_order.get_state_display()})
    return purchase_order


def purchase_order_receive(*, purchase_order_id: int, receipts: list[dict], by: Any) -> PurchaseOrder:
    """Goods arrived against a purchase order: per line the quantity that arrived, how much
    of it failed inspection, the batch (and expiry) and the location. The accepted goods
    fill waiting orders in priority order."""
    require_perm(by, "inventory.receive_stock", _("You are not allowed to receive stock."))
    if not receipts:
        raise ValidationFailed(errors={"receipts": [_("Enter what arrived.")]})
    with transaction.atomic(durable=True):
        purchase_order = _lock_purchase_order(purchase_order_id)
        if purchase_order.state not in INCOMING_PO_STATES:
            raise _refuse(purchase_order, "receive_part")
        lines = {line.pk: line for line in purchase_order.lines.select_for_update(of=("self",), no_key=True)
                 .select_related("product").order_by("pk")}
        checked, errors = [], {}
        for index, receipt in enumerate(receipts):
            line = lines.get(receipt.get("line_id"))
            try:
                if line is None:
                    raise ValidationFailed(errors={"line": [_("Not a line of this purchase order.")]})
                arrived, refused = check_receipt(receipt.get("quantity"), receipt.get("rejected"))
                if arrived > line.open_quantity:
                    raise ValidationFailed(errors={"quantity": [
                        _("Only %(open)s are still to come on this line.") % {"open": plain(line.open_quantity)}]})
                location = receipt.get("location")
                check_location(location, purchase_order.warehouse)
                if line.product.batch_tracked and not (receipt.get("batch_code") or "").strip():
                    raise ValidationFailed(errors={"batch": [_("This product is batch tracked: name the batch.")]})
            except ValidationFailed as exc:
                for field_name, messages in exc.errors.items():
                    errors.setdefault(f"receipts[{index}].{field_name}", []).extend(messages)
                continue
            line.received_quantity += arrived - refused
            line.rejected_quantity += refused
            checked.append((line, arrived, refused, receipt))
        if errors:
            raise ValidationFailed(errors=errors)
        for product_id in sorted({line.product_id for line, *_rest in checked}):
            StockLevel.objects.get_or_create(product_id=product_id, warehouse=purchase_order.warehouse)
        lock_levels([line.product_id for line, *_rest in checked])  # by pk, before any is written
        for line, arrived, refused, receipt in checked:
            batch = receipt_batch(line.product, receipt.get("batch_code", ""), receipt.get("expires_on"))
            post_receipt(product=line.product, warehouse=purchase_order.warehouse, arrived=arrived, refused=refused,
                         batch=batch, location=receipt.get("location"), by=by, reference=purchase_order.number,
                         source_type="purchase_order_line", source_id=line.pk)
            line.save(update_fields=["received_quantity", "rejected_quantity"])
        complete = all(line.open_quantity <= 0 for line in lines.values())
        _run(purchase_order, "receive_all" if complete else "receive_part")
        purchase_order.save()
        product_ids = [line.product_id for line, *_rest in checked]
    rebalance(product_ids=product_ids, by=by, reason=_("Received against %(number)s") % {
        "number": purchase_order.number})
    return purchase_order


def purchase_order_delay(*, purchase_order_id: int, new_expected_date: Any, note: str, by: Any) -> SupplyException:
    """The supplier will deliver later: record the delay as an exception with the new
    expected date, move the date, and move the promise dates of the orders waiting for it."""
    require_perm(by, PLAN, _("You are not allowed to plan supply."))
    new_date = _check_date(new_expected_date, "new_expected_date", not_before=timezone.localdate())
    if not note.strip():
        raise ValidationFailed(errors={"note": [_("Say what the supplier told you.")]})
    with transaction.atomic(durable=True):
        purchase_order = _lock_purchase_order(purchase_order_id)
        if purchase_order.state not in INCOMING_PO_STATES:
            raise _refuse(purchase_order, "delay")
        if new_date == purchase_order.expected_date:
            raise ValidationFailed(errors={"new_expected_date": [_("That is the date already expected.")]})
        exception = SupplyException.objects.create(
            kind=ExceptionKind.SUPPLIER_DELAY, purchase_order=purchase_order, note=note.strip(), new_date=new_date,
            previous_date=purchase_order.expected_date, raised_by=by)
        purchase_order.expected_date = new_date
        purchase_order.save(update_fields=["expected_date", "updated_at"])
        product_ids = list(purchase_order.lines.values_list("product_id", flat=True))
    rebalance(product_ids=product_ids, by=by, exception=exception, reason=_("%(kind)s on %(number)s: %(note)s") % {
        "kind": exception.get_kind_display(), "number": purchase_order.number, "note": exception.note})
    return exception


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
    due = _check_date(due_date, "due_date", not_before=timezone.localdate())
    with transaction.atomic(durable=True):
        work_order = WorkOrder.objects.create(number=_number("WO"), product=product, quantity=quantity,
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
    with transaction.atomic(durable=True):
        work_order = _lock_work_order(work_order_id)
        _run(work_order, name)
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
    new_date = _check_date(new_due_date, "new_due_date", not_before=timezone.localdate()) if new_due_date else None
    with transaction.atomic(durable=True):
        work_order = _lock_work_order(work_order_id)
        _run(work_order, "block")
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
    with transaction.atomic(durable=True):
        work_order = _lock_work_order(work_order_id)
        if not can_proceed(work_order.complete):
            raise _refuse(work_order, "complete")
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


def exception_resolve(*, exception_id: int, by: Any) -> SupplyException:
    """Mark an exception dealt with (it leaves the planners' board)."""
    require_perm(by, PLAN, _("You are not allowed to plan supply."))
    with transaction.atomic(durable=True):
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

