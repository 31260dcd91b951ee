"""Quotation pages: the list, the page with its lines, terms and internal review, and its actions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from inventory.models import SupplyType
from oms.errors import ApplicationError
from oms.money import CURRENCY_SYMBOLS, PaymentTerms

from .. import selectors, services
from ..forms_preorder import (
    DecisionForm,
    QuotationLineFormSet,
    QuotationTermsForm,
    SendForm,
    SignoffForm,
    apply_service_errors,
)
from ..models import (
    AttachmentKind,
    ContractState,
    Quotation,
    QuotationSignoff,
    QuotationState,
    SignoffArea,
)
from .common import (
    PAGE_SIZE,
    check_may_see_documents,
    file_response,
    pdf_response,
    plain_decimal,
    raise_404,
    refused,
    with_added_row,
)

# --- quotations ----------------------------------------------------------------------------------

@login_required
@permission_required("orders.view_quotation", raise_exception=True)
def quotation_list_page(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    if state not in QuotationState.values:
        state = ""
    quotations = selectors.quotation_list(request.user)
    if state:
        quotations = quotations.filter(state=state)
    page = Paginator(quotations, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "orders/quotation_list.html", {
        "page": page, "state": state, "states": QuotationState.choices,
        "show_prices": selectors.can_see_prices(request.user),
    })


def _get_quotation(request: HttpRequest, pk: int) -> Quotation:
    try:
        return selectors.quotation_detail(request.user).get(pk=pk)
    except Quotation.DoesNotExist:
        raise Http404(_("Quotation not found.")) from None


def _line_initial(quotation: Quotation) -> list[dict[str, Any]]:
    return [{"product": line.product.sku, "product_name": line.product.name, "description": line.description,
             "quantity": plain_decimal(line.quantity),
             "unit_price": line.unit_price, "discount_percent": plain_decimal(line.discount_percent)}
            for line in quotation.lines.all()]


def _terms_initial(quotation: Quotation) -> dict[str, Any]:
    return {name: getattr(quotation, name) for name in QuotationTermsForm.base_fields}


def _review_history(quotation: Quotation) -> list[dict[str, Any]]:
    """The review rounds before the current one, newest first: earlier rounds of this
    revision (prefetched) and those of earlier revisions (one query), so a reviewer sees
    what was asked before."""
    rounds: dict[tuple[int, int], list] = {}
    for signoff in quotation.signoffs.all():
        if signoff.round != quotation.review_round:
            rounds.setdefault((quotation.revision, signoff.round), []).append(signoff)
    earlier = (QuotationSignoff.objects.filter(quotation__order_id=quotation.order_id,
                                               quotation__revision__lt=quotation.revision)
               .select_related("by", "quotation").order_by("quotation__revision", "round", "area"))
    for signoff in earlier:
        rounds.setdefault((signoff.quotation.revision, signoff.round), []).append(signoff)
    return [{"revision": revision, "round": round_, "signoffs": signoffs}
            for (revision, round_), signoffs in sorted(rounds.items(), reverse=True)]


def _review_facts(quotation: Quotation) -> dict[str, Any]:
    facts = selectors.quotation_review_facts(quotation)
    facts["customer_payment_terms_label"] = PaymentTerms(facts["customer_payment_terms"]).label
    for line in facts["lines"]:
        line["supply_label"] = SupplyType(line["supply_type"]).label
    return facts


def _quotation_page(request: HttpRequest, quotation: Quotation, *, forms: dict[str, Any] | None = None,
                    errors: list[str] | None = None, status: int = 200) -> HttpResponse:
    user = request.user
    forms = forms or {}
    revisions = selectors.quotation_revisions(quotation)
    latest = revisions[0] if revisions else quotation
    is_latest = latest.pk == quotation.pk
    contracts = [c for c in quotation.order.contracts.all() if c.state != ContractState.CANCELLED]
    actions = selectors.quotation_actions(quotation, user)
    if not is_latest:
        actions = [a for a in actions if a not in ("revise", "create_contract")]
    if contracts:
        actions = [a for a in actions if a != "create_contract"]
    show_prices = selectors.can_see_prices(user)
    signoff_areas = [a.removeprefix("signoff_") for a in actions if a.startswith("signoff_")]
    signoff_forms = {}
    for area in signoff_areas:
        bound = forms.get("signoff")
        signoff_forms[area] = bound if bound is not None and bound.data.get("area") == area else \
            SignoffForm(initial={"area": area}, auto_id=f"id_signoff_{area}_%s")
    editing = "edit" in actions
    contact_email = quotation.order.contact.email if quotation.order.contact else ""
    context = {
        "quotation": quotation, "order": quotation.order, "customer": quotation.order.customer,
        "lines": quotation.lines.all(), "revisions": revisions, "latest": latest, "is_latest": is_latest,
        "actions": actions, "show_prices": show_prices,
        "current_signoffs": selectors.current_signoffs(quotation), "earlier_rounds": _review_history(quotation),
        "facts": _review_facts(quotation),
        "currency_symbol": CURRENCY_SYMBOLS.get(quotation.currency, ""),
        "signoff_forms": [(area, SignoffArea(area).label, signoff_forms[area]) for area in signoff_areas],
        "contracts": contracts,
        "sent_pdf": next((a for a in quotation.attachments.all() if a.kind == AttachmentKind.QUOTATION_PDF), None),
        "errors": errors or [],
        "can_view_customer": user.has_perm("customers.view_customer"),
    }
    if editing:
        context["line_formset"] = forms.get("lines") or QuotationLineFormSet(prefix="lines",
                                                                             initial=_line_initial(quotation))
        context["terms_form"] = forms.get("terms") or QuotationTermsForm(initial=_terms_initial(quotation))
    if "send" in actions:
        context["send_form"] = forms.get("send") or SendForm(initial={"to_email": contact_email})
    if "accept" in actions or "decline" in actions:
        context["decision_form"] = forms.get("decision") or DecisionForm()
    return render(request, "orders/quotation_detail.html", context, status=status)


@login_required
@permission_required("orders.view_quotation", raise_exception=True)
def quotation_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _quotation_page(request, _get_quotation(request, pk))


@login_required
@require_POST
def quotation_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the draft's lines and terms; with `submit_review`, then send it to review."""
    quotation = _get_quotation(request, pk)
    adding = "add_row" in request.POST
    data = with_added_row(request.POST, "lines") if adding else request.POST
    formset = QuotationLineFormSet(data, prefix="lines")
    terms = QuotationTermsForm(data)
    forms = {"lines": formset, "terms": terms}
    if adding:
        return _quotation_page(request, quotation, forms=forms)
    if not (formset.is_valid() and terms.is_valid()):
        return _quotation_page(request, quotation, forms=forms, status=400)
    try:
        services.quotation_update(quotation_id=pk, by=request.user, lines=formset.line_inputs(), **terms.cleaned_data)
    except ApplicationError as exc:
        raise_404(exc)
        errors = apply_service_errors(exc, form=terms, rows=formset.rows(), rows_key="lines")
        return _quotation_page(request, quotation, forms=forms, errors=errors, status=exc.status)
    if "submit_review" not in request.POST:
        messages.success(request, _("Draft saved."))
        return redirect("orders:quotation", pk=pk)
    try:
        quotation = services.quotation_submit_review(quotation_id=pk, by=request.user)
    except ApplicationError as exc:
        return refused(request, exc, "orders:quotation", pk)
    if quotation.state == QuotationState.APPROVED:
        messages.success(request, _("Saved. No internal sign-off is needed: the quotation is approved."))
    else:
        messages.success(request, _("Saved and submitted for internal review."))
    return redirect("orders:quotation", pk=pk)


@login_required
@require_POST
def quotation_signoff_page(request: HttpRequest, pk: int) -> HttpResponse:
    form = SignoffForm(request.POST, auto_id=f"id_signoff_{request.POST.get('area', '')}_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.quotation_signoff(quotation_id=pk, by=request.user, area=data["area"],
                                       approve=data["decision"] == "approve", comment=data["comment"])
        except ApplicationError as exc:
            raise_404(exc)
            if not exc.errors:
                return refused(request, exc, "orders:quotation", pk)
            errors = apply_service_errors(exc, form=form)
        else:
            messages.success(request, _("Your sign-off is recorded.") if data["decision"] == "approve"
                             else _("The quotation went back to sales with your comment."))
            return redirect("orders:quotation", pk=pk)
    else:
        errors = []
    return _quotation_page(request, _get_quotation(request, pk), forms={"signoff": form}, errors=errors,
                           status=400)


@login_required
@require_POST
def quotation_send_page(request: HttpRequest, pk: int) -> HttpResponse:
    form = SendForm(request.POST)
    if form.is_valid():
        try:
            quotation = services.quotation_send(quotation_id=pk, by=request.user,
                                                to_email=form.cleaned_data["to_email"])
        except ApplicationError as exc:
            raise_404(exc)
            if not exc.errors:
                return refused(request, exc, "orders:quotation", pk)
            errors = apply_service_errors(exc, form=form)
        else:
            messages.success(request, _("Quotation sent to %(email)s.") % {"email": quotation.sent_to})
            return redirect("orders:quotation", pk=pk)
    else:
        errors = []
    return _quotation_page(request, _get_quotation(request, pk), forms={"send": form}, errors=errors, status=400)


@login_required
@require_POST
def quotation_decision_page(request: HttpRequest, pk: int) -> HttpResponse:
    form = DecisionForm(request.POST)
    if form.is_valid():
        accepted = form.cleaned_data["decision"] == "accepted"
        try:
            services.quotation_record_decision(quotation_id=pk, by=request.user, accepted=accepted,
                                               note=form.cleaned_data["note"])
        except ApplicationError as exc:
            return refused(request, exc, "orders:quotation", pk)
        messages.success(request, _("The customer's acceptance is recorded.") if accepted
                         else _("The customer's refusal is recorded."))
        return redirect("orders:quotation", pk=pk)
    return _quotation_page(request, _get_quotation(request, pk), forms={"decision": form}, status=400)


@login_required
@require_POST
def quotation_revise_page(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        new = services.quotation_revise(quotation_id=pk, by=request.user)
    except ApplicationError as exc:
        return refused(request, exc, "orders:quotation", pk)
    messages.success(request, _("Revision %(revision)s started as a draft.") % {"revision": new.revision})
    return redirect("orders:quotation", pk=new.pk)


@login_required
@require_POST
def contract_create_page(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        contract = services.contract_create(quotation_id=pk, by=request.user)
    except ApplicationError as exc:
        return refused(request, exc, "orders:quotation", pk)
    messages.success(request, _("Contract %(number)s drafted.") % {"number": contract.number})
    return redirect("orders:contract", pk=contract.pk)


@login_required
@permission_required("orders.view_quotation", raise_exception=True)
def quotation_pdf_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The PDF the customer got (once sent), else a preview of the current content."""
    quotation = _get_quotation(request, pk)
    check_may_see_documents(request)
    sent = next((a for a in quotation.attachments.all() if a.kind == AttachmentKind.QUOTATION_PDF), None)
    if sent is not None:
        return file_response(sent)
    from ..documents import render_quotation_pdf

    return pdf_response(render_quotation_pdf(quotation), f"{quotation.number}-rev{quotation.revision}-preview.pdf",
                         inline=True)
