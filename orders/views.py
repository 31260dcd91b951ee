"""Order pages: validate a form, call a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from logistics.views.order_panel import shipments_panel
from oms.errors import ApplicationError, ValidationFailed

from . import selectors, services
from .forms import OrderFilterForm, PaymentForm, TransitionForm
from .forms_preorder import NoteForm
from .models import OrderState, SalesOrder
from .transitions import TRANSITIONS
from .views_fulfilment import PriorityForm, fulfilment_panel, may_reprioritise, priority_facts, with_summaries
from .views_review import redirect_after_action, review_panel

PAGE_SIZE = 25


def _error_text(exc: ApplicationError) -> str:
    """One sentence for a page message: the error, then each field by its label."""
    # field errors speak for themselves; the generic "some fields are not valid" adds nothing
    parts = [] if isinstance(exc, ValidationFailed) and exc.errors else [exc.message]
    for field, msgs in exc.errors.items():
        try:
            label = str(SalesOrder._meta.get_field(field).verbose_name)
        except FieldDoesNotExist:
            label = ""
        parts.append(f"{label.capitalize()}: {' '.join(msgs)}" if label else " ".join(msgs))
    return " ".join(parts)


@login_required
@permission_required("orders.view_salesorder", raise_exception=True)
def order_list_page(request: HttpRequest) -> HttpResponse:
    form = OrderFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(selectors.order_search(request.user, **filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "orders/order_list.html", {
        "form": form, "page": page, "query": query.urlencode(),
        "show_prices": selectors.can_see_prices(request.user),
        "filtered": any(value for name, value in filters.items() if name != "sort"),
    })


def _get_visible_order(request: HttpRequest, pk: int):
    try:
        return selectors.order_detail(request.user).get(pk=pk)
    except SalesOrder.DoesNotExist:
        raise Http404(_("Order not found.")) from None


@login_required
@permission_required("orders.view_salesorder", raise_exception=True)
def order_detail_page(request: HttpRequest, pk: int, *, priority_form: PriorityForm | None = None,
                      priority_errors: list[str] | None = None, status: int = 200) -> HttpResponse:
    """The order page; the priority view renders it again with its bound form and errors."""
    order = _get_visible_order(request, pk)
    selectors.prefetch_review_data([order])  # the checks and the signed contract, for the review panel
    available = selectors.available_transitions(order, request.user)
    # steps that go forward first, those that need a reason (hold, reject, cancel) after
    actions = sorted((TRANSITIONS[name] for name in TRANSITIONS if name in available),
                     key=lambda spec: spec.reason_required)
    documents = selectors.order_preorder_documents(order)
    quotations = documents["quotations"]
    latest_quotation = quotations[0] if quotations else None
    live_contract = next((c for c in documents["contracts"] if c.state != "cancelled"), None)
    return render(request, "orders/order_detail.html", {
        "order": order,
        "needs": documents["needs"],
        "notes": documents["notes"],
        "quotations": quotations,
        "contracts": documents["contracts"],
        "attachments": selectors.attachments_visible_to(request.user, documents["attachments"]),
        "note_form": NoteForm() if request.user.has_perm("orders.change_salesorder") else None,
        "can_edit_needs": order.state == OrderState.INQUIRY and request.user.has_perm("orders.change_salesorder"),
        "can_create_quotation": (order.state == OrderState.INQUIRY and not quotations
                                 and request.user.has_perm("orders.add_quotation")),
        "contract_from": (latest_quotation if latest_quotation and latest_quotation.state == "accepted"
                          and live_contract is None and order.state == OrderState.QUOTED
                          and request.user.has_perm("orders.add_contract") else None),
        "lines": order.lines.all(),
        "events": with_summaries(order.events.all()),
        "actions": actions,
        "payment_form": PaymentForm() if selectors.can_record_payment(order, request.user) else None,
        "show_prices": selectors.can_see_prices(request.user),
        "outstanding": order.total_amount - order.amount_paid,
        "review": review_panel(order, request.user, transitions=available),
        # fulfilment (three queries, only for orders in fulfilment) and priority
        "fulfilment": fulfilment_panel(order),
        "priority": priority_facts(order),
        "priority_form": priority_form or (PriorityForm.for_order(order) if may_reprioritise(order, request.user)
                                           else None),
        "priority_errors": priority_errors or [],
        "shipments_panel": shipments_panel(order, request.user),  # one query (three to plan)
    }, status=status)


def _order_action(request: HttpRequest, pk: int, form, run, success) -> HttpResponse:
    """POST handler shared by the order's buttons: validate the form, call the service,
    say what happened, and go back to the order (or to the approval queue it came from)."""
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    else:
        try:
            result = run(form.cleaned_data)
        except ApplicationError as exc:
            if exc.status == 404:
                raise Http404(exc.message) from None
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, success(result))
    return redirect_after_action(request, pk)


@login_required
@require_POST
def order_transition_page(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    return _order_action(
        request, pk, TransitionForm(request.POST),
        run=lambda data: services.order_transition(order_id=pk, name=name, by=request.user, reason=data["reason"]),
        success=lambda order: _("%(step)s: done. The order is now %(state)s.") % {
            "step": TRANSITIONS[name].label, "state": order.get_state_display()},
    )


@login_required
@require_POST
def order_payment_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _order_action(
        request, pk, PaymentForm(request.POST),
        run=lambda data: services.order_record_payment(order_id=pk, amount=data["amount"], by=request.user,
                                                       reference=data["reference"]),
        success=lambda order: _("Payment recorded."),
    )
