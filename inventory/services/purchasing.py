"""Purchasing: purchase requisitions and purchase orders to suppliers, their receipts with
inspection, and suppliers' delays."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from oms.errors import NotFound, TransitionNotAllowed, ValidationFailed
from oms.money import plain
from oms.services import require_perm, service_transaction

from ..models import (
    INCOMING_PO_STATES,
    QTY_DIGITS,
    QTY_PLACES,
    ExceptionKind,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequisition,
    RequisitionState,
    StockLevel,
    Supplier,
    SupplyException,
    Warehouse,
)
from .allocation import rebalance
from .ledger import check_location, check_quantity, check_receipt, lock_levels, post_receipt, receipt_batch
from .supply import PLAN, check_date, document_number, refuse, run_step

# --- requisitions ----------------------------------------------------------------------------

def requisition_create(*, product: Product, quantity: Any, needed_by: Any = None, warehouse: Warehouse | None = None,
                       note: str = "", by: Any) -> PurchaseRequisition:
    """A planner's request to buy, not tied to a sales order (e.g. to refill stock)."""
    require_perm(by, PLAN, _("You are not allowed to plan supply."))
    quantity = check_quantity(quantity, "quantity")
    needed = check_date(needed_by, "needed_by", not_before=timezone.localdate()) if needed_by else None
    if len(note) > 250:
        raise ValidationFailed(errors={"note": [_("At most 250 characters.")]})
    with service_transaction():
        return PurchaseRequisition.objects.create(number=document_number("PR"), product=product, quantity=quantity,
                                                  needed_by=needed, warehouse=warehouse, note=note.strip(),
                                                  created_by=by)


def requisition_cancel(*, requisition_id: int, by: Any) -> PurchaseRequisition:
    require_perm(by, PLAN, _("You are not allowed to plan supply."))
    with service_transaction():
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
    expected = check_date(expected_date, "expected_date", not_before=timezone.localdate())
    wanted: dict[int, dict] = {}
    errors: dict[str, list[str]] = {}
    for index, line in enumerate(lines or []):
        try:
            quantity = check_quantity(line.get("quantity"), "quantity")
            price = check_quantity(line.get("unit_price") or 0, "unit_price", allow_zero=True)
        except ValidationFailed as exc:
            for field_name, messages in exc.errors.items():
                errors.setdefault(f"lines.{index}.{field_name}", []).extend(messages)
            continue
        product = line.get("product")
        if not isinstance(product, Product):
            errors.setdefault(f"lines.{index}.product", []).append(_("Choose a product."))
            continue
        if product.pk in wanted:
            errors.setdefault(f"lines.{index}.product", []).append(
                _("%(sku)s is already on another line: give the whole quantity on one line.") % {"sku": product.sku})
            continue
        entry = wanted.setdefault(product.pk, {"product": product, "quantity": Decimal(0), "unit_price": price,
                                               "requisitions": []})
        entry["quantity"] += quantity
    if errors:
        raise ValidationFailed(errors=errors)
    with service_transaction():
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
        purchase_order = PurchaseOrder.objects.create(number=document_number("PO"), supplier=supplier,
                                                      warehouse=warehouse, currency=supplier.currency,
                                                      expected_date=expected, notes=notes.strip(), created_by=by)
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
    with service_transaction():
        purchase_order = _lock_purchase_order(purchase_order_id)
        run_step(purchase_order, name)
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
    with service_transaction():
        purchase_order = _lock_purchase_order(purchase_order_id)
        if purchase_order.state not in INCOMING_PO_STATES:
            raise refuse(purchase_order, "receive_part")
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
                    errors.setdefault(f"receipts.{index}.{field_name}", []).extend(messages)
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
        run_step(purchase_order, "receive_all" if complete else "receive_part")
        purchase_order.save()
        product_ids = [line.product_id for line, *_rest in checked]
    rebalance(product_ids=product_ids, by=by, reason=_("Received against %(number)s") % {
        "number": purchase_order.number})
    return purchase_order


def purchase_order_delay(*, purchase_order_id: int, new_expected_date: Any, note: str, by: Any) -> SupplyException:
    """The supplier will deliver later: record the delay as an exception with the new
    expected date, move the date, and move the promise dates of the orders waiting for it."""
    require_perm(by, PLAN, _("You are not allowed to plan supply."))
    new_date = check_date(new_expected_date, "new_expected_date", not_before=timezone.localdate())
    if not note.strip():
        raise ValidationFailed(errors={"note": [_("Say what the supplier told you.")]})
    with service_transaction():
        purchase_order = _lock_purchase_order(purchase_order_id)
        if purchase_order.state not in INCOMING_PO_STATES:
            raise refuse(purchase_order, "delay")
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
