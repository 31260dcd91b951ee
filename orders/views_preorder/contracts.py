"""Contract pages: clauses, legal review and signing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from oms.errors import ApplicationError

from .. import selectors, services
from ..forms_preorder import (
    ContractEditForm,
    ContractReviewForm,
    ContractSignForm,
    apply_service_errors,
)
from ..models import (
    Contract,
    ContractState,
)
from .common import (
    check_may_see_documents,
    pdf_response,
    raise_404,
    refused,
)

# --- contracts -----------------------------------------------------------------------------------

def _get_contract(request: HttpRequest, pk: int) -> Contract:
    try:
        return selectors.contract_detail(request.user).get(pk=pk)
    except Contract.DoesNotExist:
        raise Http404(_("Contract not found.")) from None


def _contract_page(request: HttpRequest, contract: Contract, *, forms: dict[str, Any] | None = None,
                   errors: list[str] | None = None, status: int = 200) -> HttpResponse:
    forms = forms or {}
    actions = selectors.contract_actions(contract, request.user)
    clauses = list(contract.clauses.all())
    context = {
        "contract": contract, "order": contract.order, "customer": contract.order.customer,
        "quotation": contract.quotation, "clauses": clauses, "lines": contract.quotation.lines.all(),
        "actions": actions, "show_prices": selectors.can_see_prices(request.user), "errors": errors or [],
        "can_view_customer": request.user.has_perm("customers.view_customer"),
    }
    if "edit" in actions:
        context["edit_form"] = forms.get("edit") or ContractEditForm(
            clauses=clauses, initial={"delivery_date": contract.delivery_date,
                                      **{f"clause_{c.position}": c.body for c in clauses}})
    if "review" in actions:
        context["review_form"] = forms.get("review") or ContractReviewForm()
    if "sign" in actions:
        context["sign_form"] = forms.get("sign") or ContractSignForm()
    return render(request, "orders/contract_detail.html", context, status=status)


@login_required
@permission_required("orders.view_contract", raise_exception=True)
def contract_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _contract_page(request, _get_contract(request, pk))


@login_required
@require_POST
def contract_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _get_contract(request, pk)
    form = ContractEditForm(request.POST, clauses=list(contract.clauses.all()))
    if not form.is_valid():
        return _contract_page(request, contract, forms={"edit": form}, status=400)
    try:
        services.contract_update(contract_id=pk, by=request.user, clauses=form.clause_texts(),
                                 delivery_date=form.cleaned_data["delivery_date"])
    except ApplicationError as exc:
        raise_404(exc)
        field_map = {f"clauses.{c.position}": f"clause_{c.position}" for c in form.clauses}
        errors = apply_service_errors(exc, form=form, field_map=field_map)
        return _contract_page(request, contract, forms={"edit": form}, errors=errors, status=exc.status)
    if "submit_review" not in request.POST:
        messages.success(request, _("Contract saved."))
        return redirect("orders:contract", pk=pk)
    try:
        services.contract_submit_review(contract_id=pk, by=request.user)
    except ApplicationError as exc:
        return refused(request, exc, "orders:contract", pk)
    messages.success(request, _("Saved and submitted for legal review."))
    return redirect("orders:contract", pk=pk)


@login_required
@require_POST
def contract_review_page(request: HttpRequest, pk: int) -> HttpResponse:
    form = ContractReviewForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.contract_review(contract_id=pk, by=request.user, approve=approve,
                                     comment=form.cleaned_data["comment"])
        except ApplicationError as exc:
            raise_404(exc)
            if not exc.errors:
                return refused(request, exc, "orders:contract", pk)
            errors = apply_service_errors(exc, form=form)
        else:
            messages.success(request, _("Approved for signing.") if approve
                             else _("Returned to the drafter with your comments."))
            return redirect("orders:contract", pk=pk)
    else:
        errors = []
    return _contract_page(request, _get_contract(request, pk), forms={"review": form}, errors=errors, status=400)


@login_required
@require_POST
def contract_sign_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Attach the signed copy (if one is chosen) and record the signature, in one step."""
    form = ContractSignForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.contract_sign(contract_id=pk, by=request.user, signed_on=form.cleaned_data["signed_on"],
                                   upload=form.cleaned_data["signed_copy"] or None)
        except ApplicationError as exc:
            raise_404(exc)
            if not exc.errors:
                return refused(request, exc, "orders:contract", pk)
            errors = apply_service_errors(exc, form=form)
        else:
            messages.success(request, _("Contract signed. The order is now contracted."))
            return redirect("orders:contract", pk=pk)
    else:
        errors = []
    return _contract_page(request, _get_contract(request, pk), forms={"sign": form}, errors=errors, status=400)


@login_required
@permission_required("orders.view_contract", raise_exception=True)
def contract_pdf_page(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _get_contract(request, pk)
    check_may_see_documents(request)
    from ..documents import render_contract_pdf

    final = contract.state in (ContractState.APPROVED, ContractState.SIGNED)
    return pdf_response(render_contract_pdf(contract), f"{contract.number}{'' if final else '-draft'}.pdf",
                         inline=not final)
