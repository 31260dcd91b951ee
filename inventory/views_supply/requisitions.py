"""The requisitions page: open requests to buy, raising and cancelling them."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from oms.errors import ApplicationError
from oms.navigation import redirect_back
from orders.forms_preorder import apply_service_errors

from .. import selectors, services
from ..forms_supply import RequisitionFilterForm, RequisitionForm
from ..models import RequisitionState, SupplyType
from .common import PLAN, active, page_of, query_without, raise_refusal, require


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
        "filters": filters, "state": state, "page": page_of(request, requisitions),
        "query": query_without(request, "page"),
        "can_plan": can_plan, "new_form": form if can_plan else None, "errors": errors or [],
        "here": reverse("inventory:requisition_list") + (f"?{request.GET.urlencode()}" if request.GET else ""),
    }, status=status)


def _requisition_form(data: Any) -> RequisitionForm:
    return RequisitionForm(data, products=active(selectors.product_list().exclude(supply_type=SupplyType.MAKE)),
                           warehouses=active(selectors.warehouse_list()))


@login_required
@permission_required("inventory.view_purchaserequisition", raise_exception=True)
def requisition_list_page(request: HttpRequest) -> HttpResponse:
    return _requisition_page(request)


@login_required
@permission_required("inventory.view_purchaserequisition", raise_exception=True)
@require_POST
def requisition_new_page(request: HttpRequest) -> HttpResponse:
    """A planner's request to buy, e.g. to refill stock."""
    require(request, PLAN)
    form, errors, status = _requisition_form(request.POST), [], 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            requisition = services.requisition_create(product=data["product"], quantity=data["quantity"],
                                                      needed_by=data["needed_by"], warehouse=data["warehouse"],
                                                      note=data["note"], by=request.user)
        except ApplicationError as exc:
            raise_refusal(exc)
            errors, status = apply_service_errors(exc, form=form), exc.status
        else:
            messages.success(request, _("Requisition %(number)s raised.") % {"number": requisition.number})
            return redirect("inventory:requisition_list")
    return _requisition_page(request, form=form, errors=errors, status=status)


@login_required
@permission_required("inventory.view_purchaserequisition", raise_exception=True)
@require_POST
def requisition_cancel_page(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, PLAN)
    try:
        requisition = services.requisition_cancel(requisition_id=pk, by=request.user)
    except ApplicationError as exc:
        raise_refusal(exc)
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Requisition %(number)s cancelled.") % {"number": requisition.number})
    return redirect_back(request, reverse("inventory:requisition_list"))
