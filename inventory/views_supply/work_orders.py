"""Work order pages: the list, a work order with its buttons, a make-to-stock work order."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_fsm import can_proceed

from oms.errors import ApplicationError
from oms.money import plain
from orders.forms_preorder import apply_service_errors

from .. import selectors, services
from ..forms_supply import BlockForm, CompleteForm, ReasonForm, WorkOrderFilterForm, WorkOrderForm
from ..models import OPEN_WO_STATES, SupplyType, WorkOrder
from .common import (
    PLAN,
    STEP_LABELS,
    active,
    locations_of,
    page_of,
    query_without,
    raise_refusal,
    require,
)

#: The buttons without a form, in the order a document goes through them: (step, label, style).
WORK_ORDER_BUTTONS = [
    ("release", gettext_lazy("Release to production"), "primary"),
    ("start", gettext_lazy("Start production"), "primary"),
    ("resume", gettext_lazy("Resume production"), "primary"),
]


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
        "form": form, "page": page_of(request, work_orders), "query": query_without(request, "page"),
        "filtered": bool(state),
        "can_plan": request.user.has_perm(PLAN),
    })


def _get_work_order(pk: int) -> WorkOrder:
    try:
        return selectors.work_order_detail(pk)
    except WorkOrder.DoesNotExist:
        raise Http404(_("Work order not found.")) from None



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
                locations=locations_of(work_order.warehouse_id), initial={"quantity": plain(work_order.quantity)})
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
    require(request, PLAN)
    work_order = _get_work_order(pk)
    form = ReasonForm(request.POST) if name == "cancel" else None
    if form is not None and not form.is_valid():
        return _work_order_page(request, work_order, forms={"cancel": form}, status=400)
    try:
        done = services.work_order_transition(work_order_id=pk, name=name, by=request.user,
                                              reason=form.cleaned_data["reason"] if form else "")
    except ApplicationError as exc:
        raise_refusal(exc)
        errors = apply_service_errors(exc, form=form)
        return _work_order_page(request, work_order, forms={"cancel": form}, errors=errors, status=exc.status)
    return _work_order_done(request, done, _("%(number)s: %(step)s. It is now %(state)s.") % {
        "number": done.number, "step": STEP_LABELS[name], "state": done.get_state_display()})


@login_required
@permission_required("inventory.view_workorder", raise_exception=True)
@require_POST
def work_order_block_page(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, PLAN)
    work_order = _get_work_order(pk)
    form, errors, status = BlockForm(request.POST), [], 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            exception = services.work_order_block(work_order_id=pk, kind=data["kind"], note=data["note"],
                                                  new_due_date=data["new_due_date"], by=request.user)
        except ApplicationError as exc:
            raise_refusal(exc)
            errors, status = apply_service_errors(exc, form=form), exc.status
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
    require(request, PLAN)
    work_order = _get_work_order(pk)
    form, errors, status = CompleteForm(request.POST, locations=locations_of(work_order.warehouse_id)), [], 400
    if form.is_valid():
        try:
            done = services.work_order_complete(work_order_id=pk, by=request.user, **form.receipt())
        except ApplicationError as exc:
            raise_refusal(exc)
            errors, status = apply_service_errors(exc, form=form), exc.status
        else:
            return _work_order_done(request, done, _("%(number)s is done: %(accepted)s accepted into stock.") % {
                "number": done.number, "accepted": plain(done.completed_quantity)})
    return _work_order_page(request, work_order, forms={"complete": form}, errors=errors, status=status)


@login_required
@permission_required(PLAN, raise_exception=True)
def work_order_new_page(request: HttpRequest) -> HttpResponse:
    """A make-to-stock work order (not tied to a sales order)."""
    form = WorkOrderForm(request.POST or None,
                         products=active(selectors.product_list().filter(supply_type=SupplyType.MAKE)),
                         warehouses=active(selectors.warehouse_list()))
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
                raise_refusal(exc)
                errors, status = apply_service_errors(exc, form=form), exc.status
            else:
                return _work_order_done(request, work_order, _("Work order %(number)s planned.") % {
                    "number": work_order.number})
    return render(request, "inventory/supply/work_order_new.html", {"form": form, "errors": errors}, status=status)
