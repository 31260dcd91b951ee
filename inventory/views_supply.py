"""The planners' pages (DESIGN.md §2 stage 5): the exceptions board, work orders,
purchase orders and requisitions.

Each page reads through `inventory.selectors`, so it costs a fixed number of queries
whatever it shows; each button parses a form and calls one supply service, which checks
the permission again and decides. Sales prices are never shown here; purchase prices are
shown to those who may see purchase orders."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_fsm import can_proceed

from oms.errors import ApplicationError

from . import selectors, services
from .forms_supply import (
    BlockForm,
    CompleteForm,
    ConfirmForm,
    DelayForm,
    PurchaseLineFormSet,
    PurchaseOrderFilterForm,
    PurchaseOrderForm,
    ReasonForm,
    ReceiveLineForm,
    RequisitionFilterForm,
    RequisitionForm,
    WorkOrderFilterForm,
    WorkOrderForm,
)
from .models import (
    INCOMING_PO_STATES,
    OPEN_WO_STATES,
    PurchaseOrder,
    RequisitionState,
    SupplyException,
    SupplyType,
    WorkOrder,
)

PAGE_SIZE = 25
PLAN = "inventory.plan_supply"
RECEIVE = "inventory.receive_stock"

#: The buttons without a form, in the order a document goes through them: (step, label, style).
WORK_ORDER_BUTTONS = [
    ("release", gettext_lazy("Release to production"), "primary"),
    ("start", gettext_lazy("Start production"), "primary"),
    ("resume", gettext_lazy("Resume production"), "primary"),
]
STEP_LABELS = {
    "release": gettext_lazy("Released to production"),
    "start": gettext_lazy("Production started"),
    "resume": gettext_lazy("Production resumed"),
    "send": gettext_lazy("Marked as sent to the supplier"),
    "confirm": gettext_lazy("The supplier's confirmation is recorded"),
    "cancel": gettext_lazy("Cancelled"),
}


# --- shared helpers --------------------------------------------------------------------------

def _page(request: HttpRequest, items: QuerySet, param: str = "page") -> Page:
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get(param))


def _query(request: HttpRequest, *drop: str) -> str:
    """The current filters for pagination links, without the page numbers."""
    query = request.GET.copy()
    for name in drop:
        query.pop(name, None)
    return query.urlencode()


def _require(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _raise_refusal(exc: ApplicationError) -> None:
    """Not found and not allowed get their own pages; the rest is shown on the form."""
    if exc.status == 404:
        raise Http404(exc.message) from None
    if exc.status == 403:
        raise PermissionDenied(exc.message) from None


_ROW_KEY = re.compile(r"(\w+)\[(\d+)\]\.(\w+)")


def _apply_errors(exc: ApplicationError, *, form: Any = None, rows: list | None = None, rows_key: str = "",
                  field_map: dict[str, str] | None = None) -> list[str]:
    """Put a service's field errors next to their fields: `<rows_key>[i].<field>` on the
    i-th row form, other names on `form`. Returns what no field could take."""
    leftover: list[str] = []
    field_map = field_map or {}
    for key, errors in exc.errors.items():
        target, name = form, field_map.get(key, key)
        match = _ROW_KEY.fullmatch(key)
        if match and rows is not None and match[1] == rows_key and int(match[2]) < len(rows):
            target, name = rows[int(match[2])], field_map.get(match[3], match[3])
        if target is not None and name in target.fields:
            for error in errors:
                target.add_error(name, error)
        else:
            leftover.extend(errors)
    if not exc.errors:
        leftover.append(exc.message)
    return leftover


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """To the page the button was on (`next`, when it is one of this site's), else `default`."""
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


def _document_url(exception: SupplyException) -> str:
    if exception.work_order_id:
        return reverse("inventory:work_order_detail", args=[exception.work_order_id])
    return reverse("inventory:purchase_order_detail", args=[exception.purchase_order_id])


def _active(items: QuerySet) -> list:
    return list(items.filter(is_active=True))


# --- the exceptions board --------------------------------------------------------------------

@dataclass
class AffectedOrder:
    order: Any
    waiting: list  # its lines still waiting for stock, each with its promise date


@dataclass
class ExceptionRow:
    exception: SupplyException
    url: str
    affected: list[AffectedOrder]


def _exception_rows(exceptions) -> list[ExceptionRow]:
    """Reads prefetched data only (selectors.exception_board)."""
    return [ExceptionRow(exception, _document_url(exception), [
        AffectedOrder(order, [line for line in order.lines.all() if line.backorder_quantity > 0])
        for order in sorted(exception.affected_orders.all(), key=lambda o: (-o.priority, o.pk))])
        for exception in exceptions]


@login_required
@permission_required("inventory.view_supplyexception", raise_exception=True)
def exceptions_board_page(request: HttpRequest) -> HttpResponse:
    exceptions = _page(request, selectors.exception_board())
    waiting = _page(request, selectors.waiting_board(), "waiting_page")
    return render(request, "inventory/supply/exceptions_board.html", {
        "exceptions": exceptions, "rows": _exception_rows(exceptions.object_list),
        "waiting": waiting, "can_plan": request.user.has_perm(PLAN),
        "query_exceptions": _query(request, "page"), "query_waiting": _query(request, "waiting_page"),
        "here": request.get_full_path(),
    })


@login_required
@require_POST
def exception_resolve_page(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, PLAN)
    try:
        exception = services.exception_resolve(exception_id=pk, by=request.user)
    except ApplicationError as exc:
        _raise_refusal(exc)
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(exception)s: resolved.") % {"exception": exception})
    return _back(request, reverse("inventory:exceptions_board"))


# --- work orders -----------------------------------------------------------------------------

@login_required
@permission_required("inventory.view_workorder", raise_exception=True)
def work_order_list_page(request: HttpRequest) -> HttpResponse:
    form = WorkOrderFilterForm(request.GET or None)
    state = form.cleaned_data["state"] if form.is_valid() else ""
    work_orders = selectors.work_order_list()
    if state == WorkOrderFilterForm.OPEN:
        work_orders = work_orders.filter(state__in=OPEN_WO_STATES)
    elif state:
        work_orders = work_orders.filter(state=state)
    return render(request, "inventory/supply/work_order_list.html", {
        "form": form, "page": _page(request, work_orders), "query": _query(request, "page"), "filtered": bool(state),
        "can_plan": request.user.has_perm(PLAN),
    })


def _get_work_order(pk: int) -> WorkOrder:
    try:
        return selectors.work_order_detail(pk)
    except WorkOrder.DoesNotExist:
        raise Http404(_("Work order not found.")) from None


def _locations(warehouse_id: int) -> list:
    return list(selectors.location_list().filter(warehouse_id=warehouse_id).order_by("code"))


def _work_order_page(request: HttpRequest, work_order: WorkOrder, *, forms: dict[str, Any] | None = None,
                     errors: list[str] | None = None, status: int = 200) -> HttpResponse:
    forms = forms or {}
    context: dict[str, Any] = {
        "work_order": work_order, "line": work_order.sales_order_line,
        "exceptions": work_order.exceptions.all(), "errors": errors or [],
        "can_plan": request.user.has_perm(PLAN), "steps": [],
    }
    if context["can_plan"]:
        context["steps"] = [(name, label, style) for name, label, style in WORK_ORDER_BUTTONS
                            if can_proceed(getattr(work_order, name))]
        if can_proceed(work_order.block):
            context["block_form"] = forms.get("block") or BlockForm()
        if can_proceed(work_order.complete):
            context["complete_form"] = forms.get("complete") or CompleteForm(
                locations=_locations(work_order.warehouse_id), initial={"quantity": work_order.quantity.normalize()})
        if can_proceed(work_order.cancel):
            context["cancel_form"] = forms.get("cancel") or ReasonForm()
    return render(request, "inventory/supply/work_order_detail.html", context, status=status)


@login_required
@permission_required("inventory.view_workorder", raise_exception=True)
def work_order_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _work_order_page(request, _get_work_order(pk))


def _work_order_done(request: HttpRequest, work_order: WorkOrder, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("inventory:work_order_detail", pk=work_order.pk)


@login_required
@permission_required("inventory.view_workorder", raise_exception=True)
@require_POST
def work_order_step_page(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Release, start, resume, or cancel (with a reason)."""
    _require(request, PLAN)
    work_order = _get_work_order(pk)
    form = ReasonForm(request.POST) if name == "cancel" else None
    if form is not None and not form.is_valid():
        return _work_order_page(request, work_order, forms={"cancel": form}, status=400)
    try:
        done = services.work_order_transition(work_order_id=pk, name=name, by=request.user,
                                              reason=form.cleaned_data["reason"] if form else "")
    except ApplicationError as exc:
        _raise_refusal(exc)
        errors = _apply_errors(exc, form=form)
        return _work_order_page(request, work_order, forms={"cancel": form}, errors=errors, status=exc.status)
    return _work_order_done(request, done, _("%(number)s: %(step)s. It is now %(state)s.") % {
        "number": done.number, "step": STEP_LABELS[name], "state": done.get_state_display()})


@login_required
@permission_required("inventory.view_workorder", raise_exception=True)
@require_POST
def work_order_block_page(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, PLAN)
    work_order = _get_work_order(pk)
    form, errors, status = BlockForm(request.POST), [], 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            exception = services.work_order_block(work_order_id=pk, kind=data["kind"], note=data["note"],
                                                  new_due_date=data["new_due_date"], by=request.user)
        except ApplicationError as exc:
            _raise_refusal(exc)
            errors, status = _apply_errors(exc, form=form, field_map={"new_due_date": "new_due_date"}), exc.status
        else:
            count = exception.affected_orders.count()
            return _work_order_done(request, work_order, _(
                "%(number)s is blocked: %(kind)s. Sales orders affected: %(count)s.") % {
                "number": work_order.number, "kind": exception.get_kind_display(), "count": count})
    return _work_order_page(request, work_order, forms={"block": form}, errors=errors, status=status)


@login_required
@permission_required("inventory.view_workorder", raise_exception=True)
@require_POST
def work_order_complete_page(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, PLAN)
    work_order = _get_work_order(pk)
    form, errors, status = CompleteForm(request.POST, locations=_locations(work_order.warehouse_id)), [], 400
    if form.is_valid():
        receipt = form.receipt()
        try:
            done = services.work_order_complete(work_order_id=pk, by=request.user, **receipt)
        except ApplicationError as exc:
            _raise_refusal(exc)
            errors, status = _apply_errors(exc, form=form), exc.status
        else:
            return _work_order_done(request, done, _("%(number)s is done: %(accepted)s accepted into stock.") % {
                "number": done.number, "accepted": done.completed_quantity.normalize()})
    return _work_order_page(request, work_order, forms={"complete": form}, errors=errors, status=status)


@login_required
@permission_required(PLAN, raise_exception=True)
def work_order_new_page(request: HttpRequest) -> HttpResponse:
    """A make-to-stock work order (not tied to a sales order)."""
    form = WorkOrderForm(request.POST or None,
                         products=_active(selectors.product_list().filter(supply_type=SupplyType.MAKE)),
                         warehouses=_active(selectors.warehouse_list()))
    errors, status = [], 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                work_order = services.work_order_create(product=data["product"], quantity=data["quantity"],
                                                        warehouse=data["warehouse"], due_date=data["due_date"],
                                                        notes=data["notes"], by=request.user)
            except ApplicationError as exc:
                _raise_refusal(exc)
                errors, status = _apply_errors(exc, form=form), exc.status
            else:
                return _work_order_done(request, work_order, _("Work order %(number)s planned.") % {
                    "number": work_order.number})
    return render(request, "inventory/supply/work_order_new.html", {"form": form, "errors": errors}, status=status)


# --- purchase orders -------------------------------------------------------------------------

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
    return render(request, "inventory/supply/purchase_order_list.html", {
        "form": form, "page": _page(request, purchase_orders), "query": _query(request, "page"),
        "filtered": any(filters.values()), "can_plan": request.user.has_perm(PLAN),
    })


def _get_purchase_order(pk: int) -> PurchaseOrder:
    try:
        return selectors.purchase_order_detail(pk)
    except PurchaseOrder.DoesNotExist:
        raise Http404(_("Purchase order not found.")) from None


def _receive_forms(purchase_order: PurchaseOrder, data: Any = None) -> list[ReceiveLineForm]:
    locations = _locations(purchase_order.warehouse_id)
    return [ReceiveLineForm(data, line=line, locations=locations) for line in purchase_order.lines.all()
            if line.open_quantity > 0]


def _purchase_order_page(request: HttpRequest, purchase_order: PurchaseOrder, *, forms: dict[str, Any] | None = None,
                         errors: list[str] | None = None, status: int = 200) -> HttpResponse:
    forms = forms or {}
    lines = list(purchase_order.lines.all())
    plan, receive = request.user.has_perm(PLAN), request.user.has_perm(RECEIVE)
    context: dict[str, Any] = {
        "purchase_order": purchase_order, "lines": lines, "total": sum(line.line_total for line in lines),
        "exceptions": purchase_order.exceptions.all(), "errors": errors or [],
        "can_plan": plan, "can_receive": receive, "can_send": plan and can_proceed(purchase_order.send),
    }
    if plan:
        if can_proceed(purchase_order.confirm):
            context["confirm_form"] = forms.get("confirm") or ConfirmForm()
        if can_proceed(purchase_order.cancel):
            context["cancel_form"] = forms.get("cancel") or ReasonForm()
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
    """Send, confirm (with the supplier's reference) or cancel (with a reason)."""
    _require(request, PLAN)
    purchase_order = _get_purchase_order(pk)
    form = {"confirm": ConfirmForm, "cancel": ReasonForm}.get(name)
    form = form(request.POST) if form else None
    if form is not None and not form.is_valid():
        return _purchase_order_page(request, purchase_order, forms={name: form}, status=400)
    data = form.cleaned_data if form else {}
    try:
        done = services.purchase_order_transition(purchase_order_id=pk, name=name, by=request.user,
                                                  reason=data.get("reason", ""),
                                                  supplier_reference=data.get("supplier_reference", ""))
    except ApplicationError as exc:
        _raise_refusal(exc)
        errors = _apply_errors(exc, form=form)
        return _purchase_order_page(request, purchase_order, forms={name: form}, errors=errors, status=exc.status)
    return _purchase_order_done(request, pk, _("%(number)s: %(step)s. It is now %(state)s.") % {
        "number": done.number, "step": STEP_LABELS[name], "state": done.get_state_display()})


@login_required
@permission_required("inventory.view_purchaseorder", raise_exception=True)
@require_POST
def purchase_order_delay_page(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, PLAN)
    purchase_order = _get_purchase_order(pk)
    form, errors, status = DelayForm(request.POST), [], 400
    if form.is_valid():
        try:
            exception = services.purchase_order_delay(purchase_order_id=pk, by=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            _raise_refusal(exc)
            errors, status = _apply_errors(exc, form=form), exc.status
        else:
            return _purchase_order_done(request, pk, _(
                "%(number)s now expected %(date)s. Sales orders affected: %(count)s.") % {
                "number": purchase_order.number, "date": exception.new_date.isoformat(),
                "count": exception.affected_orders.count()})
    return _purchase_order_page(request, purchase_order, forms={"delay": form}, errors=errors, status=status)


@login_required
@permission_required("inventory.view_purchaseorder", raise_exception=True)
@require_POST
def purchase_order_receive_page(request: HttpRequest, pk: int) -> HttpResponse:
    """What arrived, line by line; lines left empty did not arrive."""
    _require(request, RECEIVE)
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
                _raise_refusal(exc)
                errors, status = _apply_errors(exc, rows=arrived, rows_key="receipts"), exc.status
            else:
                return _purchase_order_done(request, pk, _("Receipt recorded against %(number)s.") % {
                    "number": purchase_order.number})
    return _purchase_order_page(request, purchase_order, forms={"receive": rows}, errors=errors, status=status)


def _requisition_ids(request: HttpRequest) -> list[int]:
    """?requisitions=1,2 or ?requisitions=1&requisitions=2 (the requisitions page's checkboxes)."""
    ids: list[int] = []
    for value in request.GET.getlist("requisitions"):
        ids.extend(int(part) for part in value.split(",") if part.strip().isdigit() and len(part.strip()) < 12)
    return list(dict.fromkeys(ids))[:200]


def _with_added_row(data: Any, prefix: str) -> Any:
    """The no-JavaScript "add a row" button: the same input, one more (empty) row."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    total = data.get(key, "0")
    data[key] = str(min(int(total) + 1, 50)) if total.isdigit() else total
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
    suppliers = _active(selectors.supplier_list())
    products = _active(selectors.product_list().exclude(supply_type=SupplyType.MAKE))
    adding = "add_row" in request.POST
    data = (_with_added_row(request.POST, "lines") if adding else request.POST) if request.method == "POST" else None
    form = PurchaseOrderForm(data, suppliers=suppliers, warehouses=_active(selectors.warehouse_list()),
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
                _raise_refusal(exc)
                errors, status = _apply_errors(exc, form=form, rows=rows, rows_key="lines"), exc.status
            else:
                return _purchase_order_done(request, purchase_order.pk, _(
                    "Purchase order %(number)s created as a draft: check it, then send it to the supplier.") % {
                    "number": purchase_order.number})
    return render(request, "inventory/supply/purchase_order_new.html", {
        "form": form, "formset": formset, "errors": errors,
        "requisitions": {r.pk: r for r in open_requisitions},
        "not_open": [r for r in offered if r.state != RequisitionState.OPEN],
    }, status=status)


# --- requisitions ----------------------------------------------------------------------------

def _requisition_page(request: HttpRequest, *, form: RequisitionForm | None = None, errors: list[str] | None = None,
                      status: int = 200) -> HttpResponse:
    filters = RequisitionFilterForm(request.GET or None)
    state = filters.cleaned_data["state"] if filters.is_valid() else ""
    requisitions = selectors.requisition_list()
    if not state:
        requisitions = requisitions.filter(state=RequisitionState.OPEN)
    elif state != RequisitionFilterForm.ALL:
        requisitions = requisitions.filter(state=state)
    can_plan = request.user.has_perm(PLAN)
    if can_plan and form is None:
        form = _requisition_form(None)
    return render(request, "inventory/supply/requisition_list.html", {
        "filters": filters, "state": state, "page": _page(request, requisitions), "query": _query(request, "page"),
        "can_plan": can_plan, "new_form": form if can_plan else None, "errors": errors or [],
        "here": reverse("inventory:requisition_list") + (f"?{request.GET.urlencode()}" if request.GET else ""),
    }, status=status)


def _requisition_form(data: Any) -> RequisitionForm:
    return RequisitionForm(data, products=_active(selectors.product_list().exclude(supply_type=SupplyType.MAKE)),
                           warehouses=_active(selectors.warehouse_list()))


@login_required
@permission_required("inventory.view_purchaserequisition", raise_exception=True)
def requisition_list_page(request: HttpRequest) -> HttpResponse:
    return _requisition_page(request)


@login_required
@permission_required("inventory.view_purchaserequisition", raise_exception=True)
@require_POST
def requisition_new_page(request: HttpRequest) -> HttpResponse:
    """A planner's request to buy, e.g. to refill stock."""
    _require(request, PLAN)
    form, errors, status = _requisition_form(request.POST), [], 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            requisition = services.requisition_create(product=data["product"], quantity=data["quantity"],
                                                      needed_by=data["needed_by"], warehouse=data["warehouse"],
                                                      note=data["note"], by=request.user)
        except ApplicationError as exc:
            _raise_refusal(exc)
            errors, status = _apply_errors(exc, form=form), exc.status
        else:
            messages.success(request, _("Requisition %(number)s raised.") % {"number": requisition.number})
            return redirect("inventory:requisition_list")
    return _requisition_page(request, form=form, errors=errors, status=status)


@login_required
@permission_required("inventory.view_purchaserequisition", raise_exception=True)
@require_POST
def requisition_cancel_page(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, PLAN)
    try:
        requisition = services.requisition_cancel(requisition_id=pk, by=request.user)
    except ApplicationError as exc:
        _raise_refusal(exc)
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Requisition %(number)s cancelled.") % {"number": requisition.number})
    return _back(request, reverse("inventory:requisition_list"))
