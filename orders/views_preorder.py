"""Pre-order pages (DESIGN.md §2 stages 1–2): needs capture, notes, quotations with their
internal review, contracts with their legal review, and file downloads.

Each view parses a form, calls one service and redirects; when the service refuses with
field errors, the page is shown again with the input kept and the errors next to the
fields. Reads go through the selectors, so a page costs a fixed number of queries."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.models import Customer
from customers.selectors import customers_visible_to
from inventory.models import SupplyType
from oms.errors import ApplicationError
from oms.money import CURRENCY_SYMBOLS, PaymentTerms

from . import selectors, services
from .forms_preorder import (
    ContractEditForm,
    ContractReviewForm,
    ContractSignForm,
    DecisionForm,
    InquiryForm,
    NeedFormSet,
    NoteForm,
    QuotationLineFormSet,
    QuotationTermsForm,
    SendForm,
    SignoffForm,
    apply_service_errors,
)
from .models import (
    Attachment,
    AttachmentKind,
    Contract,
    ContractState,
    OrderState,
    Quotation,
    QuotationSignoff,
    QuotationState,
    SalesOrder,
    SignoffArea,
)

PAGE_SIZE = 25
#: Files whose content shows prices: only for people who may see quotations and prices.
PRICED_KINDS = {AttachmentKind.QUOTATION_PDF, AttachmentKind.CONTRACT_PDF, AttachmentKind.SIGNED_CONTRACT}


def _raise_404(exc: ApplicationError) -> None:
    if exc.status == 404:
        raise Http404(exc.message) from None


def _refused(request: HttpRequest, exc: ApplicationError, target: str, pk: int) -> HttpResponse:
    """A refusal without fields to mark (permission, state): say why, go back."""
    _raise_404(exc)
    messages.error(request, exc.message if not exc.errors else " ".join(
        " ".join(msgs) for msgs in exc.errors.values()))
    return redirect(target, pk=pk)


def _visible_order(request: HttpRequest, pk: int) -> SalesOrder:
    try:
        return selectors.order_list(request.user).select_related("contact").get(pk=pk)
    except SalesOrder.DoesNotExist:
        raise Http404(_("Order not found.")) from None


# --- needs capture -------------------------------------------------------------------------------

def _plain(value: Decimal) -> Decimal:
    """12.000 → 12 and 2.500 → 2.5 for inputs (never 1E+2)."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _need_inputs(formset: Any) -> list[services.NeedInput]:
    return [services.NeedInput(
        product=form.cleaned_data.get("product_obj"), requirement=form.cleaned_data.get("requirement", ""),
        quantity=form.cleaned_data["quantity"], requested_date=form.cleaned_data.get("requested_date"),
        expectations=form.cleaned_data.get("expectations", ""),
    ) for form in formset.rows()]


def _with_added_row(data: Any, prefix: str) -> Any:
    """The no-JavaScript "add row" button: the same input, one more (empty) row."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    with contextlib.suppress(ValueError):
        data[key] = str(min(int(data.get(key, "0")) + 1, 200))
    return data


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
        data = _with_added_row(request.POST, "needs") if adding else request.POST
        form = InquiryForm(data, contacts=contacts)
        formset = NeedFormSet(data, prefix="needs")
        if not adding and form.is_valid() and formset.is_valid():
            try:
                order = services.inquiry_create(
                    by=request.user, customer=customer, needs=_need_inputs(formset),
                    contact=form.cleaned_data["contact"], requested_date=form.cleaned_data["requested_date"],
                    customer_reference=form.cleaned_data["customer_reference"], note=form.cleaned_data["note"])
            except ApplicationError as exc:
                _raise_404(exc)
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
    order = _visible_order(request, pk)
    if order.state != OrderState.INQUIRY:
        messages.error(request, _("Needs can only be changed while the order is an inquiry."))
        return redirect("orders:detail", pk=pk)
    errors: list[str] = []
    if request.method == "POST":
        adding = "add_row" in request.POST
        data = _with_added_row(request.POST, "needs") if adding else request.POST
        formset = NeedFormSet(data, prefix="needs")
        if not adding and formset.is_valid():
            try:
                services.inquiry_update_needs(order_id=order.pk, by=request.user, needs=_need_inputs(formset))
            except ApplicationError as exc:
                _raise_404(exc)
                errors = apply_service_errors(exc, rows=formset.rows(), rows_key="needs")
            else:
                messages.success(request, _("Needs saved."))
                return redirect("orders:detail", pk=order.pk)
    else:
        needs = selectors.order_preorder_documents(order)["needs"]
        formset = NeedFormSet(prefix="needs", initial=[{
            "product": need.product.sku if need.product else "",
            "product_name": need.product.name if need.product else "", "requirement": need.requirement,
            "quantity": _plain(need.quantity), "requested_date": need.requested_date,
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
        return _refused(request, exc, "orders:detail", pk)
    messages.success(request, _("Note added."))
    return redirect(reverse("orders:detail", args=[pk]) + "#notes")


@login_required
@require_POST
def quotation_create_page(request: HttpRequest, pk: int) -> HttpResponse:
    order = _visible_order(request, pk)
    # an order entered with lines but no needs is quoted from its lines
    lines = None
    if not order.needs.exists() and order.lines.exists():
        lines = [services.LineInput(product=line.product, quantity=line.quantity, unit_price=line.unit_price,
                                    discount_percent=line.discount_percent, description=line.description)
                 for line in order.lines.select_related("product")]
    try:
        quotation = services.quotation_create(order_id=order.pk, by=request.user, lines=lines)
    except ApplicationError as exc:
        return _refused(request, exc, "orders:detail", pk)
    messages.success(request, _("Quotation %(label)s drafted from the needs.") % {"label": quotation.label})
    return redirect("orders:quotation", pk=quotation.pk)


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
             "quantity": _plain(line.quantity),
             "unit_price": line.unit_price, "discount_percent": _plain(line.discount_percent)}
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


def _line_inputs(formset: Any) -> list[services.LineInput]:
    return [services.LineInput(
        product=form.cleaned_data["product_obj"], quantity=form.cleaned_data["quantity"],
        unit_price=form.cleaned_data.get("unit_price"),
        discount_percent=form.cleaned_data.get("discount_percent") or Decimal(0),
        description=form.cleaned_data.get("description", ""),
    ) for form in formset.rows()]


@login_required
@require_POST
def quotation_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the draft's lines and terms; with `submit_review`, then send it to review."""
    quotation = _get_quotation(request, pk)
    adding = "add_row" in request.POST
    data = _with_added_row(request.POST, "lines") if adding else request.POST
    formset = QuotationLineFormSet(data, prefix="lines")
    terms = QuotationTermsForm(data)
    forms = {"lines": formset, "terms": terms}
    if adding:
        return _quotation_page(request, quotation, forms=forms)
    if not (formset.is_valid() and terms.is_valid()):
        return _quotation_page(request, quotation, forms=forms, status=400)
    try:
        services.quotation_update(quotation_id=pk, by=request.user, lines=_line_inputs(formset), **terms.cleaned_data)
    except ApplicationError as exc:
        _raise_404(exc)
        errors = apply_service_errors(exc, form=terms, rows=formset.rows(), rows_key="lines")
        return _quotation_page(request, quotation, forms=forms, errors=errors, status=exc.status)
    if "submit_review" not in request.POST:
        messages.success(request, _("Draft saved."))
        return redirect("orders:quotation", pk=pk)
    try:
        quotation = services.quotation_submit_review(quotation_id=pk, by=request.user)
    except ApplicationError as exc:
        return _refused(request, exc, "orders:quotation", pk)
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
            _raise_404(exc)
            if not exc.errors:
                return _refused(request, exc, "orders:quotation", pk)
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
            _raise_404(exc)
            if not exc.errors:
                return _refused(request, exc, "orders:quotation", pk)
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
            return _refused(request, exc, "orders:quotation", pk)
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
        return _refused(request, exc, "orders:quotation", pk)
    messages.success(request, _("Revision %(revision)s started as a draft.") % {"revision": new.revision})
    return redirect("orders:quotation", pk=new.pk)


@login_required
@require_POST
def contract_create_page(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        contract = services.contract_create(quotation_id=pk, by=request.user)
    except ApplicationError as exc:
        return _refused(request, exc, "orders:quotation", pk)
    messages.success(request, _("Contract %(number)s drafted.") % {"number": contract.number})
    return redirect("orders:contract", pk=contract.pk)


def _pdf_response(content: bytes, filename: str, *, inline: bool) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    return response


def _check_may_see_documents(request: HttpRequest) -> None:
    from django.core.exceptions import PermissionDenied

    if not selectors.can_see_prices(request.user):
        raise PermissionDenied


@login_required
@permission_required("orders.view_quotation", raise_exception=True)
def quotation_pdf_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The PDF the customer got (once sent), else a preview of the current content."""
    quotation = _get_quotation(request, pk)
    _check_may_see_documents(request)
    sent = next((a for a in quotation.attachments.all() if a.kind == AttachmentKind.QUOTATION_PDF), None)
    if sent is not None:
        return _file_response(sent)
    from .documents import render_quotation_pdf

    return _pdf_response(render_quotation_pdf(quotation), f"{quotation.number}-rev{quotation.revision}-preview.pdf",
                         inline=True)


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
        _raise_404(exc)
        field_map = {f"clauses.{c.position}": f"clause_{c.position}" for c in form.clauses}
        errors = apply_service_errors(exc, form=form, field_map=field_map)
        return _contract_page(request, contract, forms={"edit": form}, errors=errors, status=exc.status)
    if "submit_review" not in request.POST:
        messages.success(request, _("Contract saved."))
        return redirect("orders:contract", pk=pk)
    try:
        services.contract_submit_review(contract_id=pk, by=request.user)
    except ApplicationError as exc:
        return _refused(request, exc, "orders:contract", pk)
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
            _raise_404(exc)
            if not exc.errors:
                return _refused(request, exc, "orders:contract", pk)
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
            _raise_404(exc)
            if not exc.errors:
                return _refused(request, exc, "orders:contract", pk)
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
    _check_may_see_documents(request)
    from .documents import render_contract_pdf

    final = contract.state in (ContractState.APPROVED, ContractState.SIGNED)
    return _pdf_response(render_contract_pdf(contract), f"{contract.number}{'' if final else '-draft'}.pdf",
                         inline=not final)


# --- files ---------------------------------------------------------------------------------------

def _file_response(attachment: Attachment) -> FileResponse:
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def attachment_download_page(request: HttpRequest, pk: int) -> FileResponse:
    try:
        attachment = Attachment.objects.select_related("order").get(pk=pk)
    except Attachment.DoesNotExist:
        raise Http404(_("File not found.")) from None
    if not selectors.attachment_visible_to(request.user, attachment):
        raise Http404(_("File not found."))
    return _file_response(attachment)


def visible_attachments(user: Any, attachments: list[Attachment]) -> list[Attachment]:
    """The files of an order (already visible to `user`) that `user` may open; the same
    rule as selectors.attachment_visible_to, without a query per file."""
    documents_ok = selectors.can_see_prices(user) and user.has_perm("orders.view_quotation")
    return [a for a in attachments if documents_ok or a.kind not in PRICED_KINDS]
