"""The shipments list, the orders waiting to be shipped, and planning shipments."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from inventory.models import Warehouse
from oms.errors import ApplicationError
from oms.money import plain
from oms.navigation import redirect_back
from orders.forms_preorder import apply_service_errors
from orders.models import SalesOrder
from orders.selectors import orders_visible_to

from .. import selectors, services
from ..forms import PlanForm, ShipmentFilterForm
from ..models import OPEN_SHIPMENT_STATES, UNDER_WAY_STATES, Shipment, ShipmentState
from ..services.shipments import SHIPPABLE_ORDER_STATES
from .common import PLAN, VIEW, page_of, query_without, raise_refusal, refusal_text, require

TO_PICK_STATES = [ShipmentState.PLANNED, ShipmentState.PICKING]


def _may_list(request: HttpRequest) -> None:
    """Shipping staff see every shipment; sales the shipments of their orders."""
    user = request.user
    if not (user.has_perm(VIEW) or user.has_perm("orders.view_salesorder")):
        raise PermissionDenied


@login_required
def shipment_list_page(request: HttpRequest) -> HttpResponse:
    _may_list(request)
    warehouses = Warehouse.objects.order_by("code")
    form = ShipmentFilterForm(request.GET or None, warehouses=warehouses)
    filters = form.cleaned_data if form.is_valid() else {}
    shipments = selectors.shipment_list(request.user)
    state = filters.get("state", "")
    if state == ShipmentFilterForm.TO_PICK:
        shipments = shipments.filter(state__in=TO_PICK_STATES)
    elif state == ShipmentFilterForm.UNDER_WAY:
        shipments = shipments.filter(state__in=UNDER_WAY_STATES)
    elif state:
        shipments = shipments.filter(state=state)
    if filters.get("warehouse"):
        shipments = shipments.filter(warehouse=filters["warehouse"])
    q = filters.get("q", "").strip()
    if q:
        shipments = shipments.filter(Q(number__icontains=q) | Q(order__number__icontains=q)
                                     | Q(order__customer__name__icontains=q) | Q(order__customer__code__iexact=q)
                                     | Q(tracking_number__iexact=q))
    return render(request, "logistics/shipment_list.html", {
        "form": form, "page": page_of(request, shipments), "query": query_without(request, "page"),
        "filtered": any(filters.values()),
        "show_to_ship": request.user.has_perm(VIEW),
    })


@login_required
def to_ship_page(request: HttpRequest) -> HttpResponse:
    """Orders with reserved goods no shipment carries yet, highest priority first."""
    require(request, VIEW)
    rows = selectors.orders_to_ship(request.user)
    return render(request, "logistics/to_ship.html", {
        "page": Paginator(rows, 25).get_page(request.GET.get("page")), "query": "",
        "can_plan": request.user.has_perm(PLAN),
        "here": request.get_full_path(),
    })


# --- planning ----------------------------------------------------------------------------------

@dataclass
class PlanRow:
    line: Any
    unplanned: Decimal

    @property
    def unplanned_text(self) -> str:
        return plain(self.unplanned)


def _plan_context(order: SalesOrder) -> dict[str, Any]:
    """Per warehouse, the order's lines with reserved goods no open shipment carries
    (three queries), and the order's open shipments (one)."""
    lines = list(order.lines.select_related("product").order_by("line_no"))
    unplanned = services.unplanned_quantities(lines)
    warehouses = {w.pk: w for w in Warehouse.objects.filter(pk__in={wh for _line, wh in unplanned})}
    by_warehouse: dict[int, list[PlanRow]] = defaultdict(list)
    for line in lines:
        for (line_id, warehouse_id), quantity in unplanned.items():
            if line_id == line.pk:
                by_warehouse[warehouse_id].append(PlanRow(line, quantity))
    groups = sorted(((warehouses[wh], rows) for wh, rows in by_warehouse.items()), key=lambda g: g[0].code)
    return {"order": order, "lines": lines, "groups": groups,
            "open_shipments": list(order.shipments.filter(state__in=OPEN_SHIPMENT_STATES)
                                   .select_related("warehouse").order_by("created_at", "id"))}


def _visible_order(request: HttpRequest, order_id: int) -> SalesOrder:
    order = orders_visible_to(request.user).select_related("customer").filter(pk=order_id).first()
    if order is None:
        raise Http404(_("Order not found."))
    return order


def _planned_message(shipments: list[Shipment]) -> str:
    return _("Planned: %(shipments)s.") % {"shipments": ", ".join(
        _("%(number)s from %(warehouse)s") % {"number": s.number, "warehouse": s.warehouse.code}
        for s in shipments)}


def _after_planning(request: HttpRequest, shipments: list[Shipment]) -> HttpResponse:
    messages.success(request, _planned_message(shipments))
    if len(shipments) == 1:
        return redirect("logistics:detail", pk=shipments[0].pk)
    return redirect(reverse("logistics:list") + "?" + urlencode({"q": shipments[0].order.number}))


@login_required
def plan_page(request: HttpRequest, order_id: int) -> HttpResponse:
    """The order's unplanned reserved goods per warehouse, with a quantity for each line:
    one shipment per warehouse form; or everything at once."""
    require(request, VIEW, PLAN)
    order = _visible_order(request, order_id)
    context = _plan_context(order)
    forms = {warehouse.pk: PlanForm(warehouse=warehouse, rows=rows) for warehouse, rows in context["groups"]}
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        warehouse_id = request.POST.get("warehouse", "")
        form = forms.get(int(warehouse_id)) if warehouse_id.isdecimal() else None
        if form is None:
            errors, status = [_("Choose the warehouse to ship from.")], 400
        else:
            form = forms[form.warehouse.pk] = PlanForm(request.POST, warehouse=form.warehouse, rows=form.rows)
            status = 400
            if form.is_valid():
                try:
                    shipments = services.shipment_create(order_id=order.pk, by=request.user,
                                                         warehouse_id=form.warehouse.pk,
                                                         quantities=form.quantities())
                except ApplicationError as exc:
                    raise_refusal(exc)
                    errors, status = apply_service_errors(exc, form=form, field_map=form.field_map()), exc.status
                else:
                    return _after_planning(request, shipments)
    return render(request, "logistics/plan.html", {
        **context, "forms": [forms[warehouse.pk] for warehouse, _rows in context["groups"]], "errors": errors,
        "shippable": order.state in SHIPPABLE_ORDER_STATES,
    }, status=status)


@login_required
@require_POST
def plan_all_page(request: HttpRequest, order_id: int) -> HttpResponse:
    """Plan everything reserved and not on a shipment yet: a shipment per warehouse."""
    require(request, VIEW, PLAN)
    order = _visible_order(request, order_id)
    try:
        shipments = services.shipment_create(order_id=order.pk, by=request.user)
    except ApplicationError as exc:
        raise_refusal(exc)
        messages.error(request, refusal_text(exc))
        return redirect_back(request, reverse("logistics:to_ship"))
    return _after_planning(request, shipments)
