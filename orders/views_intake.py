"""Order desk pages (DESIGN.md §2 stage 3): enter an order from any channel, revise a draft
or a rejected order, attach the written confirmation of a verbal order, upload orders as
CSV. Each validates a form, calls one service and renders."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from customers.models import Customer
from customers.selectors import customer_detail_queryset, customers_visible_to
from inventory.models import Product
from oms.errors import ApplicationError, ValidationFailed
from oms.money import CURRENCY_SYMBOLS
from oms.templatetags.oms_tags import money

from . import selectors, services
from .forms_intake import (
    ConfirmationForm,
    NewOrderLineFormSet,
    OrderEntryForm,
    OrderImportForm,
    OrderLineFormSet,
)
from .forms_preorder import apply_service_errors
from .models import Channel, OrderEvent, OrderState, SalesOrder
from .services.intake import CSV_COLUMNS, CSV_REQUIRED, EDITABLE_STATES
from .views_preorder.common import plain_decimal, raise_404, refused, with_added_row

#: Customers listed when the search on the entry page is submitted without JavaScript.
CUSTOMER_MATCHES = 20
LINES_PREFIX = "lines"


# --- helpers ---------------------------------------------------------------------------------------

def _chosen_customer(request: HttpRequest) -> Customer | None:
    """The customer named by `customer` (query string or form), if the user may see it."""
    raw = request.POST.get("customer") or request.GET.get("customer")
    if not raw:
        return None
    try:
        return customer_detail_queryset(request.user).get(pk=int(raw))
    except (ValueError, Customer.DoesNotExist):
        raise Http404(_("Customer not found.")) from None


def _apply_errors(exc: ApplicationError, form: OrderEntryForm, formset: Any) -> tuple[list[str], list[str]]:
    """Put a service's errors next to their fields and rows. Returns the messages for the
    top of the page (a summary first) and those about the lines as a whole."""
    raise_404(exc)
    lines_errors = list(exc.errors.get("lines", []))
    rest = ApplicationError(exc.message, errors={k: v for k, v in exc.errors.items() if k != "lines"})
    leftover = apply_service_errors(rest, form=form, rows=formset.rows(), rows_key=LINES_PREFIX)
    if isinstance(exc, ValidationFailed) or not exc.errors:
        summary = _("Nothing was saved. Please correct the marked fields.")
    else:  # the completeness check on submit: say so, then each missing item at its field
        summary = _("%(message)s Nothing was saved: fill in the marked fields, or save a draft.") % {
            "message": exc.message}
    return [summary, *(m for m in leftover if m != exc.message)], lines_errors


def _invalid_form_errors(form: Any, formset: Any) -> list[str]:
    errors = [_("Nothing was saved. Please correct the marked fields.")]
    errors += [str(e) for e in form.non_field_errors()] + [str(e) for e in formset.non_form_errors()]
    return errors


def _render_entry(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    customer = context.get("customer")
    context.setdefault("errors", [])
    context.setdefault("lines_errors", [])
    context["currency_symbol"] = CURRENCY_SYMBOLS.get(customer.currency, "") if customer else ""
    return render(request, "orders/order_entry.html", context)


# --- order entry -------------------------------------------------------------------------------

@login_required
@permission_required("orders.add_salesorder", raise_exception=True)
def order_entry_page(request: HttpRequest) -> HttpResponse:
    """A new order: first the customer (search), then the header and lines. "Save draft"
    keeps it as an inquiry; "Submit for review" runs the completeness check and starts
    the automatic checks."""
    customer = _chosen_customer(request)
    if customer is None:
        query = request.GET.get("q", "").strip()
        matches = None
        if query:
            matches = list(customers_visible_to(request.user).filter(is_active=True).filter(
                Q(code__icontains=query) | Q(name__icontains=query)).order_by("code")[:CUSTOMER_MATCHES])
        return _render_entry(request, {"query": query, "matches": matches})

    errors: list[str] = []
    lines_errors: list[str] = []
    if request.method == "POST":
        adding = "add_row" in request.POST
        data = with_added_row(request.POST, LINES_PREFIX) if adding else request.POST
        form = OrderEntryForm(data, request.FILES, customer=customer)
        formset = NewOrderLineFormSet(data, prefix=LINES_PREFIX)
        submit = "submit" in request.POST
        if adding:
            pass
        elif not (form.is_valid() and formset.is_valid()):
            errors = _invalid_form_errors(form, formset)
        else:
            cleaned = form.cleaned_data
            try:
                order = services.order_create(
                    by=request.user, customer=customer, lines=formset.line_inputs(), channel=cleaned["channel"],
                    requested_date=cleaned["requested_date"], delivery_address=cleaned["delivery_address"],
                    contact=cleaned["contact"], payment_terms=cleaned["payment_terms"],
                    customer_reference=cleaned["customer_reference"], notes=cleaned["notes"], submit=submit,
                    document=cleaned["document"], confirmation_due=cleaned["confirmation_due"])
            except ApplicationError as exc:
                errors, lines_errors = _apply_errors(exc, form, formset)
            else:
                if submit:
                    messages.success(request, _("Order %(number)s submitted for review. The automatic checks "
                                                "run in the background.") % {"number": order.number})
                else:
                    messages.success(request, _("Order %(number)s saved as a draft.") % {"number": order.number})
                return redirect("orders:detail", pk=order.pk)
        if form.is_bound and form.data.get("channel") in (Channel.EMAIL, Channel.FAX) and request.FILES:
            errors.append(_("Please choose the scanned document again: browsers do not keep a chosen file."))
    else:
        form = OrderEntryForm(customer=customer)
        formset = NewOrderLineFormSet(prefix=LINES_PREFIX)
    return _render_entry(request, {"customer": customer, "form": form, "formset": formset, "errors": errors,
                                   "lines_errors": lines_errors,
                                   "may_submit": request.user.has_perm("orders.submit_order")})


@login_required
@permission_required("orders.add_salesorder", raise_exception=True)
@require_GET
def line_price_json(request: HttpRequest) -> JsonResponse:
    """The unit price a line of `sku` gets for `customer` when none is typed: the agreed
    price of the customer's latest signed contract with the product, else the list price."""
    if not selectors.can_see_prices(request.user):
        raise DjangoPermissionDenied
    try:
        customer = customers_visible_to(request.user).get(pk=int(request.GET.get("customer", "")))
    except (ValueError, Customer.DoesNotExist):
        return JsonResponse({"detail": _("Customer not found.")}, status=404)
    product = Product.objects.filter(sku__iexact=request.GET.get("sku", "").strip()).first()
    if product is None:
        return JsonResponse({"detail": _("Product not found.")}, status=404)
    agreed = selectors.agreed_prices(customer.pk, [product.pk], currency=customer.currency).get(product.pk)
    price, discount = agreed if agreed else (product.list_price, Decimal(0))
    return JsonResponse({
        "sku": product.sku, "name": product.name, "unit_price": str(price),
        "discount_percent": str(plain_decimal(discount)), "source": "contract" if agreed else "list",
        "unit_price_display": money(price, customer.currency), "currency": customer.currency,
    })


# --- revising a draft or a rejected order ------------------------------------------------------

def _editable_order(request: HttpRequest, pk: int) -> SalesOrder:
    try:
        return (selectors.order_list_with_lines(request.user).select_related("customer")
                .prefetch_related("customer__contacts", "customer__addresses").get(pk=pk))
    except SalesOrder.DoesNotExist:
        raise Http404(_("Order not found.")) from None


def _order_initial(order: SalesOrder) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    header = {"contact": order.contact_id, "delivery_address": order.delivery_address_id,
              "customer_reference": order.customer_reference, "requested_date": order.requested_date,
              "payment_terms": order.payment_terms or order.customer.payment_terms, "notes": order.notes}
    lines = [{"product": line.product.sku, "product_name": line.product.name, "description": line.description,
              "quantity": plain_decimal(line.quantity), "unit_price": line.unit_price,
              "discount_percent": plain_decimal(line.discount_percent) if line.discount_percent else None}
             for line in order.lines.all()]
    return header, lines


@login_required
@permission_required("orders.change_salesorder", raise_exception=True)
def order_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Revise the header and lines of a draft or of an order rejected back to sales, and
    optionally submit it (again) for review in the same step."""
    order = _editable_order(request, pk)
    if order.state not in EDITABLE_STATES:
        messages.error(request, _("Only a draft or a rejected order can be changed."))
        return redirect("orders:detail", pk=pk)
    customer = order.customer
    errors: list[str] = []
    lines_errors: list[str] = []
    if request.method == "POST":
        adding = "add_row" in request.POST
        data = with_added_row(request.POST, LINES_PREFIX) if adding else request.POST
        form = OrderEntryForm(data, customer=customer, new=False)
        formset = OrderLineFormSet(data, prefix=LINES_PREFIX)
        submit = "submit" in request.POST
        if adding:
            pass
        elif not (form.is_valid() and formset.is_valid()):
            errors = _invalid_form_errors(form, formset)
        else:
            cleaned = form.cleaned_data
            try:
                services.order_update(
                    order_id=order.pk, by=request.user, lines=formset.line_inputs(),
                    requested_date=cleaned["requested_date"], delivery_address=cleaned["delivery_address"],
                    contact=cleaned["contact"], payment_terms=cleaned["payment_terms"],
                    customer_reference=cleaned["customer_reference"], notes=cleaned["notes"])
            except ApplicationError as exc:
                errors, lines_errors = _apply_errors(exc, form, formset)
            else:
                if not submit:
                    messages.success(request, _("Order %(number)s saved.") % {"number": order.number})
                    return redirect("orders:detail", pk=order.pk)
                try:
                    services.order_transition(order_id=order.pk, name="submit", by=request.user)
                except ApplicationError as exc:
                    errors, lines_errors = _apply_errors(exc, form, formset)
                    errors[0] = _("Your changes were saved, but the order was not submitted: %(message)s") % {
                        "message": exc.message}
                    order.refresh_from_db(fields=["state"])
                else:
                    messages.success(request, _("Order %(number)s saved and submitted for review. The automatic "
                                                "checks run again.") % {"number": order.number})
                    return redirect("orders:detail", pk=order.pk)
    else:
        header, lines = _order_initial(order)
        form = OrderEntryForm(customer=customer, new=False, initial=header)
        # the order's lines are the initial rows: left as they are, they stay as they are
        formset = (OrderLineFormSet if lines else NewOrderLineFormSet)(prefix=LINES_PREFIX, initial=lines)
    rejection = None
    if order.state == OrderState.REJECTED:
        rejection = (OrderEvent.objects.filter(order=order, kind="reject").select_related("by")
                     .order_by("-at", "-id").first())
    return _render_entry(request, {
        "customer": customer, "order": order, "form": form, "formset": formset, "errors": errors,
        "lines_errors": lines_errors, "rejection": rejection,
        "may_submit": request.user.has_perm("orders.submit_order"),
    })


# --- verbal orders: the written confirmation ---------------------------------------------------

@login_required
@require_POST
def order_confirmation_page(request: HttpRequest, pk: int) -> HttpResponse:
    form = ConfirmationForm(request.POST, request.FILES)
    target = reverse("orders:detail", args=[pk]) + "#written-confirmation"
    if not form.is_valid():
        messages.error(request, _("Choose the customer's written confirmation (PDF, PNG or JPEG) to attach."))
        return redirect(target)
    try:
        services.order_confirm_in_writing(order_id=pk, by=request.user, upload=form.cleaned_data["document"])
    except ApplicationError as exc:
        refused(request, exc, "orders:detail", pk)
        return redirect(target)
    messages.success(request, _("Written confirmation attached: the order may now ship."))
    return redirect("orders:detail", pk=pk)


# --- CSV upload ----------------------------------------------------------------------------------

#: What each column of the upload holds (the page lists them in CSV_COLUMNS order).
CSV_COLUMN_HELP = {
    "customer_code": gettext_lazy("The customer's code."),
    "customer_reference": gettext_lazy("The customer's order number (PO)."),
    "requested_date": gettext_lazy("Requested delivery date, YYYY-MM-DD; the same on all lines of an order."),
    "sku": gettext_lazy("Product code."),
    "quantity": gettext_lazy("Greater than zero."),
    "unit_price": gettext_lazy("Empty: the customer's contract price, else the list price."),
    "discount_percent": gettext_lazy("0 to 100; empty: none (or the contract's)."),
}
def _csv_example_text() -> str:
    """One order of two lines (same customer and reference), as the upload expects it."""
    due = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    rows = [CSV_COLUMNS,
            ["C-00042", "PO-7781", due, "GB-100", "4", "", ""],
            ["C-00042", "PO-7781", due, "BR-7", "20", "12.50", "5"]]
    return "\n".join(",".join(row) for row in rows) + "\n"


@login_required
@permission_required("orders.add_salesorder", raise_exception=True)
def order_import_page(request: HttpRequest) -> HttpResponse:
    """Upload a CSV of orders: the good ones are created and submitted, every bad row is
    listed with its reason, and an order with a bad row is not created at all."""
    report = None
    if request.method == "POST":
        form = OrderImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                report = services.orders_import_csv(by=request.user, upload=form.cleaned_data["file"])
            except ApplicationError as exc:
                raise_404(exc)
                for message in [m for msgs in exc.errors.values() for m in msgs] or [exc.message]:
                    form.add_error("file", message)
            else:
                if report.created:
                    count = len(report.created)
                    messages.success(request, ngettext("%(count)s order created and submitted for review.",
                                                       "%(count)s orders created and submitted for review.",
                                                       count) % {"count": count})
                form = OrderImportForm()
    else:
        form = OrderImportForm()
    return render(request, "orders/order_import.html", {
        "form": form, "report": report, "error_rows": len({error.row for error in report.errors}) if report else 0,
        "columns": [(name, CSV_COLUMN_HELP.get(name, ""), name in CSV_REQUIRED) for name in CSV_COLUMNS],
        "example": _csv_example_text(), "show_prices": selectors.can_see_prices(request.user),
    })


@login_required
@permission_required("orders.add_salesorder", raise_exception=True)
def order_import_example(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_csv_example_text(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="orders-example.csv"'
    return response
