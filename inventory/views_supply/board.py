"""The planners' exceptions board: open supply exceptions with the orders they affect, and
the order lines waiting for supply."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from oms.errors import ApplicationError
from oms.navigation import redirect_back

from .. import selectors, services
from ..models import SupplyException
from .common import PLAN, page_of, query_without, raise_refusal, require


def _document_url(exception: SupplyException) -> str:
    if exception.work_order_id:
        return reverse("inventory:work_order_detail", args=[exception.work_order_id])
    return reverse("inventory:purchase_order_detail", args=[exception.purchase_order_id])


@dataclass
class AffectedOrder:
    order: Any
    waiting: list  # its lines still waiting for what the document supplies, with their promise dates


@dataclass
class ExceptionRow:
    exception: SupplyException
    url: str
    affected: list[AffectedOrder]


def _supplied_products(exception: SupplyException) -> set[int]:
    if exception.work_order_id:
        return {exception.work_order.product_id}
    return {line.product_id for line in exception.purchase_order.lines.all()}


def _exception_rows(exceptions) -> list[ExceptionRow]:
    """Each exception with the orders it affects, highest priority first, and their lines
    still waiting for what the document supplies. Reads prefetched data only
    (selectors.exception_board)."""
    rows = []
    for exception in exceptions:
        products = _supplied_products(exception)
        affected = [AffectedOrder(order, [line for line in order.lines.all()
                                          if line.backorder_quantity > 0 and line.product_id in products])
                    for order in sorted(exception.affected_orders.all(), key=lambda o: (-o.priority, o.pk))]
        rows.append(ExceptionRow(exception, _document_url(exception), affected))
    return rows


@login_required
@permission_required("inventory.view_supplyexception", raise_exception=True)
def exceptions_board_page(request: HttpRequest) -> HttpResponse:
    exceptions = page_of(request, selectors.exception_board())
    waiting = page_of(request, selectors.waiting_board(), "waiting_page")
    return render(request, "inventory/supply/exceptions_board.html", {
        "exceptions": exceptions, "rows": _exception_rows(exceptions.object_list),
        "waiting": waiting, "can_plan": request.user.has_perm(PLAN),
        "query_exceptions": query_without(request, "page"), "query_waiting": query_without(request, "waiting_page"),
        "here": request.get_full_path(),
    })


@login_required
@require_POST
def exception_resolve_page(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, PLAN)
    try:
        exception = services.exception_resolve(exception_id=pk, by=request.user)
    except ApplicationError as exc:
        raise_refusal(exc)
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(exception)s: resolved.") % {"exception": exception})
    return redirect_back(request, reverse("inventory:exceptions_board"))


@login_required
@require_POST
def waiting_line_raise_supply_page(request: HttpRequest, line_id: int) -> HttpResponse:
    """The "Raise supply" button of a waiting line with no supply planned: a work order (make
    items) or a requisition (the others) for what open documents do not cover yet."""
    require(request, PLAN)
    try:
        raised = services.raise_supply_for_line(line_id=line_id, by=request.user)
    except ApplicationError as exc:
        raise_refusal(exc)
        messages.error(request, exc.message)
    else:
        if raised["work_orders"]:
            messages.success(request, _("A work order was raised for what the line still waits for."))
        if raised["requisitions"]:
            messages.success(request, _(
                "A purchase requisition was raised for what the line still waits for: put it on a purchase order."))
    return redirect_back(request, reverse("inventory:exceptions_board"))
