"""Purchase order pages: the list, a purchase order with its buttons and receipt form, a new
purchase order from requisitions."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_fsm import can_proceed

from oms.errors import ApplicationError
from orders.forms_preorder import apply_service_errors

from .. import selectors, services
from ..forms_supply import (
    ConfirmForm,
    DelayForm,
    PurchaseLineFormSet,
    PurchaseOrderFilterForm,
    PurchaseOrderForm,
    ReasonForm,
    ReceiveLineForm,
)
from ..models import INCOMING_PO_STATES, PurchaseOrder, RequisitionState, SupplyType
from .common import (
    PLAN,
    RECEIVE,
    STEP_LABELS,
    active,
    locations_of,
    page_of,
    query_without,
    raise_refusal,
    require,
)


@login_required
@permission_required("inventory.view_purchaseorder", raise_exception=True)
def purchase_order_list_page(request: HttpRequest) -> HttpResponse:
    form = PurchaseOrderFilterForm(request.GET or None, suppliers=list(selectors.supplier_list()))
    filters = form.cleaned_data if form.is_valid() else {}
    purchase_orders = selectors.purchase_order_list()
    if filters.get("state") == PurchaseOrderFilterForm.OPEN:
        purchase_orders = purchase_orders.filter(state__in=INCOMING_PO_STATES)
    elif filters.get("state"):
        purchase_orders = purchase_orders.filter(state=filters["state"])
    if filters.get("supplier"):
        purchase_orders = purchase_orders.filter(supplier=filters["supplier"])
    page = page_of(request, purchase_orders)
    return render(request, "inventory/supply/purchase_order_list.html", {
        "form": form, "page": page, "query": query_without(request, "page"),
        "filtered": any(filters.values()), "can_plan": request.user.has_perm(PLAN),
        "show_prices": request.user.has_perm(PURCHASE_PRICES),
    })


PURCHASE_PRICES = "inventory.view_purchase_prices"

def _get_purchase_order(pk: int) -> PurchaseOrder:
    try:
        return selectors.purchase_order_detail(pk)
    except PurchaseOrder.DoesNotExist:
        raise Http404(_("Purchase order not found.")) from None


def _receive_forms(purchase_order: PurchaseOrder, data: Any = None) -> list[ReceiveLineForm]:
    locations = locations_of(purchase_order.warehouse_id)
    return [ReceiveLineForm(data, line=line, locations=locations) for line in purchase_order.lines.all()
            if line.open_quantity > 0]


def _purchase_order_page(request: HttpRequest, purchase_order: PurchaseOrder, *, forms: dict[str, Any] | None = None,
                         errors: list[str] | None = None, status: int = 200) -> HttpResponse:
    forms = forms or {}
    lines = list(purchase_order.lines.all())
    plan, receive = request.user.has_perm(PLAN), request.user.has_perm(RECEIVE)
    context: dict[str, Any] = {
        "purchase_order": purchase_order, "lines": lines, "total": purchase_order.total,
        "exceptions": purchase_order.exceptions.all(), "errors": errors or [],
        "can_plan": plan, "can_receive": receive, "can_send": plan and can_proceed(purchase_order.send),
        "show_prices": request.user.has_perm(PURCHASE_PRICES),
    }
    if plan:
        if can_proceed(purchase_order.confirm):
            context["confirm_form"] = forms.get("confirm") or ConfirmForm()
        if can_proceed(purchase_order.cancel):
            context["cancel_form"] = forms.get("cancel") or ReasonForm()
        if can_proceed(purchase_order.close):
            context["close_form"] = forms.get("close") or ReasonForm()
        if purchase_order.is_open:
            context["delay_form"] = forms.get("delay") or DelayForm()
    if receive and purchase_order.is_open:
        context["receive_forms"] = forms.get("receive") or _receive_forms(purchase_order)
    return render(request, "inventory/supply/purchase_order_detail.html", context, status=status)


@login_required
@permission_required("inventory.view_purchaseorder", raise_exception=True)
def purchase_order_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _purchase_order_page(request, _get_purchase_order(pk))


def _purchase_order_done(request: HttpRequest, pk: int, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("inventory:purchase_order_detail", pk=pk)


@login_required
@permission_required("inventory.view_purchaseorder", raise_exception=True)
@require_POST
def purchase_order_step_page(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Send, confirm (with the supplier's reference), close short or cancel (with a reason)."""
    require(request, PLAN)
    purchase_order = _get_purchase_order(pk)
    form = {"confirm": ConfirmForm, "close": ReasonForm, "cancel": ReasonForm}.get(name)
    form = form(request.POST) if form else None
    if form is not None and not form.is_valid():
        return _purchase_order_page(request, purchase_order, forms={name: form}, status=400)
    data = form.cleaned_data if form else {}
    try:
        done = services.purchase_order_transition(purchase_order_id=pk, name=name, by=request.user,
                                                  reason=data.get("reason", ""),
                                                  supplier_reference=data.get("supplier_reference", ""))
    except ApplicationError as exc:
        raise_refusal(exc)
        errors = apply_service_errors(exc, form=form)
        return _purchase_order_page(request, purchase_order, forms={name: form}, errors=errors, status=exc.status)
    return _purchase_order_done(request, pk, _("%(number)s: %(step)s. It is now %(state)s.") % {
        "number": done.number, "step": STEP_LABELS[name], "state": done.get_state_display()})


@login_required
@permission_required("inventory.view_purchaseorder", raise_exception=True)
@require_POST
def purchase_order_delay_page(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, PLAN)
    purchase_order = _get_purchase_order(pk)
    form, errors, status = DelayForm(request.POST), [], 400
    if form.is_valid():
        try:
            exception = services.purchase_order_delay(purchase_order_id=pk, by=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            raise_refusal(exc)
            errors, status = apply_service_errors(exc, form=form), exc.status
        else:
            return _purchase_order_done(request, pk, _(
                "%(number)s now expected %(date)s. Sales orders affected: %(count)s.") % {
                "number": purchase_order.number, "date": date_format(exception.new_date, "DATE_FORMAT"),
                "count": exception.affected_orders.count()})
    return _purchase_order_page(request, purchase_order, forms={"delay": form}, errors=errors, status=status)


@login_required
@permission_required("inventory.view_purchaseorder", raise_exception=True)
@require_POST
def purchase_order_receive_page(request: HttpRequest, pk: int) -> HttpResponse:
    """What arrived, line by line; lines left empty did not arrive."""
    require(request, RECEIVE)
    purchase_order = _get_purchase_order(pk)
    rows, errors, status = _receive_forms(purchase_order, request.POST), [], 400
    if all([form.is_valid() for form in rows]):  # a list: every row shows its errors
        arrived = [form for form in rows if form.arrived]
        if not arrived:
            errors = [_("Enter the quantity that arrived on at least one line.")]
        else:
            try:
                services.purchase_order_receive(purchase_order_id=pk, by=request.user, receipts=[
                    {"line_id": form.line.pk, **form.receipt()} for form in arrived])
            except ApplicationError as exc:
                raise_refusal(exc)
                errors, status = apply_service_errors(exc, rows=arrived, rows_key="receipts"), exc.status
            else:
                return _purchase_order_done(request, pk, _("Receipt recorded against %(number)s.") % {
                    "number": purchase_order.number})
    return _purchase_order_page(request, purchase_order, forms={"receive": rows}, errors=errors, status=status)


def _requisition_ids(request: HttpRequest) -> list[int]:
    """?requisitions=1,2 or ?requisitions=1&requisitions=2 (the requisitions page's checkboxes)."""
    ids: list[int] = []
    for value in request.GET.getlist("requisitions"):
        ids.extend(int(part) for part in value.split(",") if part.strip().isdecimal() and len(part.strip()) < 12)
    return list(dict.fromkeys(ids))[:200]


def _with_added_row(data: Any, prefix: str) -> Any:
    """The no-JavaScript "add a row" button: the same input, one more (empty) row."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    total = data.get(key, "0")
    data[key] = str(min(int(total) + 1, 50)) if total.isdecimal() else total
    return data


def _purchase_order_initial(request: HttpRequest, requisitions: list, suppliers: list) -> dict[str, Any]:
    initial: dict[str, Any] = {"requisitions": [r.pk for r in requisitions]}
    warehouses = {r.warehouse_id for r in requisitions}
    if len(warehouses) == 1 and None not in warehouses:
        initial["warehouse"] = str(warehouses.pop())
    wanted = request.GET.get("supplier", "")
    supplier = next((s for s in suppliers if str(s.pk) == wanted), suppliers[0] if len(suppliers) == 1 else None)
    if supplier is not None:
        initial["supplier"] = str(supplier.pk)
        initial["expected_date"] = timezone.localdate() + datetime.timedelta(days=supplier.lead_time_days)
    return initial


@login_required
@permission_required(PLAN, raise_exception=True)
def purchase_order_new_page(request: HttpRequest) -> HttpResponse:
    """A purchase order from the requisitions chosen on the requisitions page (?requisitions=1,2)
    and any further lines."""
    offered = selectors.requisitions_by_id(_requisition_ids(request))
    open_requisitions = [r for r in offered if r.state == RequisitionState.OPEN]
    suppliers = active(selectors.supplier_list())
    products = active(selectors.product_list().exclude(supply_type=SupplyType.MAKE))
    adding = "add_row" in request.POST
    data = (_with_added_row(request.POST, "lines") if adding else request.POST) if request.method == "POST" else None
    form = PurchaseOrderForm(data, suppliers=suppliers, warehouses=active(selectors.warehouse_list()),
                             requisitions=open_requisitions,
                             initial=_purchase_order_initial(request, open_requisitions, suppliers))
    formset = PurchaseLineFormSet(data, prefix="lines", form_kwargs={"products": products})
    errors, status = [], 200
    if data is not None and not adding:
        status = 400
        if form.is_valid() and formset.is_valid():
            chosen = form.cleaned_data
            rows = [row for row in formset if not row.is_blank]
            lines = [{"product": row.cleaned_data["product"], "quantity": row.cleaned_data["quantity"],
                      "unit_price": row.cleaned_data["unit_price"] if row.cleaned_data["unit_price"] is not None
                      else row.cleaned_data["product"].standard_cost} for row in rows]
            supplier = chosen["supplier"]
            expected = chosen["expected_date"] or (
                timezone.localdate() + datetime.timedelta(days=supplier.lead_time_days))
            try:
                purchase_order = services.purchase_order_create(
                    supplier=supplier, warehouse=chosen["warehouse"], expected_date=expected, by=request.user,
                    lines=lines, requisition_ids=chosen["requisitions"], notes=chosen["notes"])
            except ApplicationError as exc:
                raise_refusal(exc)
                errors, status = apply_service_errors(exc, form=form, rows=rows, rows_key="lines"), exc.status
            else:
                return _purchase_order_done(request, purchase_order.pk, _(
                    "Purchase order %(number)s created as a draft: check it, then send it to the supplier.") % {
                    "number": purchase_order.number})
    chosen = {int(value) for value in form["requisitions"].value() or [] if str(value).isdecimal()}
    return render(request, "inventory/supply/purchase_order_new.html", {
        "form": form, "formset": formset, "errors": errors,
        "requisitions": [(requisition, requisition.pk in chosen) for requisition in open_requisitions],
        "not_open": [r for r in offered if r.state != RequisitionState.OPEN],
    }, status=status)
