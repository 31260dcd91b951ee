"""Fulfilment on the order page (DESIGN.md §2 stage 5): per line what is reserved,
backordered and shipped and when it is promised; the work orders and purchase
requisitions raised for the lines; the open supply exceptions that moved the order's
promise dates; the order's priority and the planner's form to change it.

Everything is read through the selectors (three queries, and only for orders in
fulfilment); the change of priority is `services.order_reprioritise`."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from inventory import selectors as inventory_selectors
from inventory.models import PurchaseRequisition, WorkOrder
from oms.errors import ApplicationError
from oms.templatetags.oms_tags import quantity

from . import services
from .models import OrderState, SalesOrder
from .priority import MAX_BOOST, TIER_POINTS, URGENT_POINTS
from .services import PRIORITISED_STATES
from .views_preorder.common import raise_404

#: Orders whose page shows the fulfilment section.
FULFILMENT_PAGE_STATES = [OrderState.APPROVED, OrderState.IN_FULFILMENT, OrderState.READY_TO_SHIP,
                          OrderState.PARTIALLY_SHIPPED, OrderState.SHIPPED]


class PriorityForm(forms.Form):
    urgent = forms.BooleanField(label=gettext_lazy("Urgent"), required=False)
    boost = forms.IntegerField(
        label=gettext_lazy("Adjustment (points)"), min_value=-MAX_BOOST, max_value=MAX_BOOST,
        help_text=gettext_lazy("From -1000 to 1000, added to the computed score."),
        widget=forms.NumberInput(attrs={"step": 1}))
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": gettext_lazy("Say why the priority changes.")})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "priority-%s")  # the order page has other forms with a reason
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    @classmethod
    def for_order(cls, order: SalesOrder) -> PriorityForm:
        return cls(initial={"urgent": order.urgent, "boost": order.priority_boost})


def may_reprioritise(order: SalesOrder, user: Any) -> bool:
    return order.state in PRIORITISED_STATES and user.has_perm("orders.prioritise_order")


# --- what the page shows --------------------------------------------------------------------

@dataclass(frozen=True)
class PriorityFacts:
    """The stored score and what it is made of (orders/priority.py)."""

    score: int
    urgent: bool
    boost: int
    tier_points: int
    urgent_points: int
    due_points: int


def priority_facts(order: SalesOrder) -> PriorityFacts | None:
    if order.state not in PRIORITISED_STATES:
        return None  # shipped in full or stopped: the priority no longer decides anything
    tier = TIER_POINTS.get(order.customer.tier, 0)
    urgent = URGENT_POINTS if order.urgent else 0
    return PriorityFacts(score=order.priority, urgent=order.urgent, boost=order.priority_boost, tier_points=tier,
                         urgent_points=urgent, due_points=order.priority - tier - urgent - order.priority_boost)


@dataclass
class LineFulfilment:
    line: Any
    open_quantity: Decimal  # ordered, not shipped yet
    late: bool  # promised after the requested date
    supply: list[Any] = field(default_factory=list)  # work orders and requisitions raised for it


@dataclass
class ExceptionNotice:
    exception: Any
    document_number: str
    lines: list[LineFulfilment]  # the order's lines it delays


@dataclass
class Fulfilment:
    lines: list[LineFulfilment]
    work_orders: list[Any]
    requisitions: list[Any]
    exceptions: list[ExceptionNotice]
    released: bool  # reservations made (after "release to fulfilment")

    @property
    def backordered(self) -> bool:
        return any(row.line.backorder_quantity > 0 for row in self.lines)


def fulfilment_panel(order: SalesOrder) -> Fulfilment | None:
    """The fulfilment section and the exceptions banner of the order page, from the
    prefetched lines plus three queries; None (no query) for orders outside fulfilment."""
    if order.state not in FULFILMENT_PAGE_STATES:
        return None
    lines = list(order.lines.all())
    supply = inventory_selectors.supply_for_order_lines([line.pk for line in lines])
    work_orders, requisitions = list(supply["work_orders"]), list(supply["requisitions"])
    rows = {line.pk: LineFulfilment(
        line=line, open_quantity=max(line.quantity - line.shipped_quantity, Decimal(0)),
        late=bool(order.requested_date and line.promise_date and line.promise_date > order.requested_date),
    ) for line in lines}
    for kind, documents in (("work_order", work_orders), ("requisition", requisitions)):
        for document in documents:
            document.supply_kind = kind  # for the template, which lists both in one table
            if document.sales_order_line_id in rows:
                rows[document.sales_order_line_id].supply.append(document)
    exceptions = [_notice(exception, list(rows.values()))
                  for exception in inventory_selectors.open_exceptions_for_orders([order.pk])]
    exceptions.sort(key=lambda notice: (notice.exception.raised_at, notice.exception.pk), reverse=True)
    return Fulfilment(lines=list(rows.values()), work_orders=work_orders, requisitions=requisitions,
                      exceptions=exceptions, released=order.state != OrderState.APPROVED)


def _notice(exception: Any, rows: list[LineFulfilment]) -> ExceptionNotice:
    """Which of the order's lines the exception delays: those whose work order or
    requisition's purchase order it is recorded on (or, for a work order, other lines of
    its product still waiting); else every line still waiting."""
    waiting = [row for row in rows if row.line.backorder_quantity > 0]
    if exception.work_order_id:
        document = exception.work_order
        affected = [row for row in rows if any(isinstance(doc, WorkOrder) and doc.pk == document.pk
                                               for doc in row.supply)
                    or (row.line.backorder_quantity > 0 and row.line.product_id == document.product_id)]
    else:
        document = exception.purchase_order
        affected = [row for row in rows if any(
            isinstance(doc, PurchaseRequisition) and doc.purchase_order_line_id
            and doc.purchase_order_line.purchase_order_id == document.pk for doc in row.supply)]
    return ExceptionNotice(exception=exception, document_number=document.number, lines=affected or waiting)


def _day(value: str | None) -> str:
    if not value:
        return _("no date")
    try:
        return formats.date_format(datetime.date.fromisoformat(value), "DATE_FORMAT")
    except ValueError:
        return value


def _qty(value: Any) -> str:
    try:
        return quantity(Decimal(str(value)))
    except ArithmeticError:
        return str(value)


def event_summary(kind: str, payload: dict) -> list[str]:
    """One short line per fact of a fulfilment event's payload, for the timeline."""
    payload = payload or {}
    if kind == "reprioritised":
        before, after = payload.get("from") or {}, payload.get("to") or {}
        lines = [_("Priority %(old)s → %(new)s") % {"old": before.get("priority", "—"),
                                                    "new": after.get("priority", "—")}]
        if before.get("urgent") != after.get("urgent"):
            lines.append(_("Marked urgent") if after.get("urgent") else _("No longer urgent"))
        if before.get("boost") != after.get("boost"):
            lines.append(_("Adjustment %(old)+d → %(new)+d points") % {"old": before.get("boost") or 0,
                                                                        "new": after.get("boost") or 0})
        return lines
    if kind == "stock_allocated":
        return [_("Line %(line)s (%(sku)s): %(quantity)s reserved") % {
            "line": row.get("line"), "sku": row.get("sku"), "quantity": _qty(row.get("reserved"))}
            for row in payload.get("lines", [])]
    if kind == "promise_date_changed":
        return [_("Line %(line)s (%(sku)s): %(old)s → %(new)s") % {
            "line": row.get("line"), "sku": row.get("sku"), "old": _day(row.get("from")), "new": _day(row.get("to"))}
            for row in payload.get("lines", [])]
    if kind == "start_fulfilment":
        lines = []
        if "reserved" in payload:
            lines.append(_("%(reserved)s reserved, %(backordered)s backordered") % {
                "reserved": _qty(payload["reserved"]), "backordered": _qty(payload.get("backordered", 0))})
        if payload.get("work_orders"):
            lines.append(_("Work orders raised: %(count)s") % {"count": payload["work_orders"]})
        if payload.get("requisitions"):
            lines.append(_("Purchase requisitions raised: %(count)s") % {"count": payload["requisitions"]})
        return lines
    return []


def with_summaries(events: Any) -> list:
    """The timeline's events, each with `summary` (lines of text; reads no more rows)."""
    events = list(events)
    for event in events:
        event.summary = event_summary(event.kind, event.payload)
    return events


# --- the priority form ------------------------------------------------------------------------

@login_required
@permission_required("orders.prioritise_order", raise_exception=True)
@require_POST
def order_reprioritise_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A planner marks the order urgent (or not) and/or adjusts its score, with a reason.
    Errors come back on the order page, next to the fields."""
    from .views import order_detail_page  # the order page imports this module

    form = PriorityForm(request.POST)
    errors: list[str] = []
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            order = services.order_reprioritise(order_id=pk, by=request.user, reason=data["reason"],
                                                boost=data["boost"], urgent=data["urgent"])
        except ApplicationError as exc:
            raise_404(exc)
            status = exc.status
            for name, messages_ in exc.errors.items():
                for message in messages_:
                    if name in form.fields:
                        form.add_error(name, message)
                    else:
                        errors.append(message)
            if not exc.errors:
                errors.append(exc.message)
        else:
            messages.success(request, _("Priority changed: the score is now %(score)s.") % {"score": order.priority})
            return redirect(reverse("orders:detail", args=[pk]) + "#priority")
    return order_detail_page(request, pk, priority_form=form, priority_errors=errors, status=status)
