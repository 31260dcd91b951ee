"""Needs capture pages: open an inquiry from the customer page, edit its needs, add notes, start its quotation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.models import Customer
from customers.selectors import customers_visible_to
from oms.errors import ApplicationError

from .. import selectors, services
from ..forms_preorder import (
    InquiryForm,
    NeedFormSet,
    NoteForm,
    apply_service_errors,
)
from ..models import (
    OrderState,
)
from .common import (
    plain_decimal,
    raise_404,
    refused,
    visible_order,
    with_added_row,
)

# --- needs capture -------------------------------------------------------------------------------

def _need_inputs(formset: Any) -> list[services.NeedInput]:
    return [services.NeedInput(
        product=form.cleaned_data.get("product_obj"), requirement=form.cleaned_data.get("requirement", ""),
        quantity=form.cleaned_data["quantity"], requested_date=form.cleaned_data.get("requested_date"),
        expectations=form.cleaned_data.get("expectations", ""),
    ) for form in formset.rows()]


@login_required
@permission_required("orders.add_salesorder", raise_exception=True)
def inquiry_create_page(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        customer = customers_visible_to(request.user).get(pk=pk)
    except Customer.DoesNotExist:
        raise Http404(_("Customer not found.")) from None
    contacts = customer.contacts.all()
    errors: list[str] = []
    if request.method == "POST":
        adding = "add_row" in request.POST
        data = with_added_row(request.POST, "needs") if adding else request.POST
        form = InquiryForm(data, contacts=contacts)
        formset = NeedFormSet(data, prefix="needs")
        if not adding and form.is_valid() and formset.is_valid():
            try:
                order = services.inquiry_create(
                    by=request.user, customer=customer, needs=_need_inputs(formset),
                    contact=form.cleaned_data["contact"], requested_date=form.cleaned_data["requested_date"],
                    customer_reference=form.cleaned_data["customer_reference"], note=form.cleaned_data["note"])
            except ApplicationError as exc:
                raise_404(exc)
                errors = apply_service_errors(exc, form=form, rows=formset.rows(), rows_key="needs")
            else:
                messages.success(request, _("Inquiry %(number)s saved.") % {"number": order.number})
                return redirect("orders:detail", pk=order.pk)
    else:
        form = InquiryForm(contacts=contacts)
        formset = NeedFormSet(prefix="needs", initial=[{}])
    return render(request, "orders/inquiry_form.html", {
        "customer": customer, "form": form, "formset": formset, "errors": errors,
        "needs_errors": formset.non_form_errors() if formset.is_bound else [],
    })


@login_required
@permission_required("orders.change_salesorder", raise_exception=True)
def needs_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    order = visible_order(request, pk)
    if order.state != OrderState.INQUIRY:
        messages.error(request, _("Needs can only be changed while the order is an inquiry."))
        return redirect("orders:detail", pk=pk)
    errors: list[str] = []
    if request.method == "POST":
        adding = "add_row" in request.POST
        data = with_added_row(request.POST, "needs") if adding else request.POST
        formset = NeedFormSet(data, prefix="needs")
        if not adding and formset.is_valid():
            try:
                services.inquiry_update_needs(order_id=order.pk, by=request.user, needs=_need_inputs(formset))
            except ApplicationError as exc:
                raise_404(exc)
                errors = apply_service_errors(exc, rows=formset.rows(), rows_key="needs")
            else:
                messages.success(request, _("Needs saved."))
                return redirect("orders:detail", pk=order.pk)
    else:
        needs = selectors.order_preorder_documents(order)["needs"]
        formset = NeedFormSet(prefix="needs", initial=[{
            "product": need.product.sku if need.product else "",
            "product_name": need.product.name if need.product else "", "requirement": need.requirement,
            "quantity": plain_decimal(need.quantity), "requested_date": need.requested_date,
            "expectations": need.expectations,
        } for need in needs] or [{}])
    return render(request, "orders/inquiry_form.html", {
        "customer": order.customer, "order": order, "formset": formset, "errors": errors,
        "needs_errors": formset.non_form_errors() if formset.is_bound else [],
    })


@login_required
@require_POST
def order_note_page(request: HttpRequest, pk: int) -> HttpResponse:
    form = NoteForm(request.POST)
    if not form.is_valid():
        for field_errors in form.errors.values():
            messages.error(request, " ".join(field_errors))
        return redirect("orders:detail", pk=pk)
    try:
        services.order_add_note(order_id=pk, by=request.user, body=form.cleaned_data["body"])
    except ApplicationError as exc:
        return refused(request, exc, "orders:detail", pk)
    messages.success(request, _("Note added."))
    return redirect(reverse("orders:detail", args=[pk]) + "#notes")


@login_required
@require_POST
def quotation_create_page(request: HttpRequest, pk: int) -> HttpResponse:
    try:  # from the needs, or the order's own lines when it has none (the service decides)
        quotation = services.quotation_create(order_id=pk, by=request.user)
    except ApplicationError as exc:
        return refused(request, exc, "orders:detail", pk)
    messages.success(request, _("Quotation %(label)s drafted from the needs.") % {"label": quotation.label})
    return redirect("orders:quotation", pk=quotation.pk)
