"""Contracts (DESIGN.md §2 stage 2): drafted from an accepted quotation and a clause
template, reviewed by legal or a senior, signed with the signed copy attached; signing
copies the agreed lines and terms onto the order and moves it to `contracted`."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from oms.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from oms.money import PaymentTerms
from oms.services import service_transaction

from ..locks import lock_contract, lock_quotation
from ..models import (
    AttachmentKind,
    Contract,
    ContractClause,
    ContractState,
    ContractTemplate,
    OrderState,
    Quotation,
    QuotationState,
    SalesOrder,
    SalesOrderLine,
)
from ..selectors import order_is_visible_to
from .attachments import attachment_store, sniff_upload
from .core import apply_transition, check_transition, next_document_number, record_event

_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


def _locked(contract_id: int, by: Any) -> tuple[SalesOrder, Contract]:
    try:
        order, contract = lock_contract(contract_id)
    except Contract.DoesNotExist:
        raise NotFound(_("Contract not found.")) from None
    if not order_is_visible_to(by, order):
        raise NotFound(_("Contract not found."))
    return order, contract


def _event(contract: Contract, kind: str, *, by: Any, reason: str = "", **payload: Any) -> None:
    order = contract.order
    record_event(order, kind=kind, by=by, from_state=order.state, to_state=order.state, reason=reason,
                 payload={"contract_id": contract.pk, "contract": contract.number, **payload})


def _not_in_state(contract: Contract, action: str) -> TransitionNotAllowed:
    return TransitionNotAllowed(
        _("%(action)s is not possible while the contract is “%(state)s”.")
        % {"action": action, "state": contract.get_state_display()},
        code="contract_state", extra={"state": contract.state})


def _check_order_awaiting_contract(order: SalesOrder) -> None:
    if order.state != OrderState.QUOTED:
        raise TransitionNotAllowed(
            _("The order is “%(state)s”: it is not waiting for a contract.") % {"state": order.get_state_display()},
            code="order_not_quoted", extra={"state": order.state})


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """Replace {{name}} with values[name]; unknown names stay as written."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _clause_values(quotation: Quotation, *, delivery_date: datetime.date, language: str) -> dict[str, str]:
    with translation.override(language):
        payment_terms = str(PaymentTerms(quotation.payment_terms).label)
    return {
        "customer": quotation.order.customer.name,
        "currency": quotation.currency,
        "total": f"{quotation.total_amount:,.2f}",
        "payment_terms": payment_terms,
        "lead_time_days": str(quotation.lead_time_days),
        "delivery_date": delivery_date.isoformat(),
        "warranty_terms": quotation.warranty_terms or "—",
        "quotation": f"{quotation.number} rev {quotation.revision}",
    }


def contract_create(*, quotation_id: int, by: Any, template: ContractTemplate | None = None,
                    delivery_date: datetime.date | None = None) -> Contract:
    """Draft the contract of an accepted quotation, its clauses filled from the template of
    the customer's language (or the one given). The delivery date defaults to the later of
    today plus the quoted lead time and the order's requested date."""
    if not by.has_perm("orders.add_contract"):
        raise PermissionDenied(_("You are not allowed to prepare contracts."))
    with service_transaction():
        try:
            order, quotation = lock_quotation(quotation_id)
        except Quotation.DoesNotExist:
            raise NotFound(_("Quotation not found.")) from None
        if not order_is_visible_to(by, order):
            raise NotFound(_("Quotation not found."))
        if quotation.state != QuotationState.ACCEPTED:
            raise TransitionNotAllowed(_("A contract is drawn up from a quotation the customer accepted."),
                                       code="quotation_not_accepted", extra={"state": quotation.state})
        if order.state != OrderState.QUOTED:
            raise TransitionNotAllowed(_("The order is not waiting for a contract."), code="order_not_quoted",
                                       extra={"state": order.state})
        if order.contracts.exclude(state=ContractState.CANCELLED).exists():
            raise TransitionNotAllowed(_("This order already has a contract."), code="contract_exists")
        language = order.customer.language
        if template is None:
            template = (ContractTemplate.objects.filter(language=language, is_default=True).first()
                        or ContractTemplate.objects.filter(is_default=True).first())
        if template is None:
            raise ValidationFailed(_("No contract template is set up; add one in the admin."),
                                   code="no_contract_template")
        today = timezone.localdate()
        if delivery_date is None:
            delivery_date = today + datetime.timedelta(days=quotation.lead_time_days)
            if order.requested_date and order.requested_date > delivery_date:
                delivery_date = order.requested_date
        elif delivery_date < today:
            raise ValidationFailed(errors={"delivery_date": [_("The delivery date is in the past.")]})
        contract = Contract.objects.create(
            order=order, quotation=quotation, number=next_document_number("C"), language=template.language,
            delivery_date=delivery_date, created_by=by)
        values = _clause_values(quotation, delivery_date=delivery_date, language=template.language)
        ContractClause.objects.bulk_create([
            ContractClause(contract=contract, position=clause.position, key=clause.key, title=clause.title,
                           body=fill_placeholders(clause.body, values))
            for clause in template.clauses.all()
        ])
        contract.order = order
        _event(contract, "contract_created", by=by, quotation_id=quotation.pk)
    return contract


def contract_update(*, contract_id: int, by: Any, clauses: dict[int, str] | None = None,
                    delivery_date: datetime.date | None = None) -> Contract:
    """Edit a draft: clause texts by position, and the agreed delivery date."""
    if not by.has_perm("orders.change_contract"):
        raise PermissionDenied(_("You are not allowed to edit contracts."))
    errors: dict[str, list[str]] = {}
    if delivery_date is not None and delivery_date < timezone.localdate():
        errors["delivery_date"] = [_("The delivery date is in the past.")]
    with service_transaction():
        order, contract = _locked(contract_id, by)
        if contract.state != ContractState.DRAFT:
            raise _not_in_state(contract, _("Editing"))
        _check_order_awaiting_contract(order)
        existing = {clause.position: clause for clause in contract.clauses.all()}
        for position, body in (clauses or {}).items():
            if position not in existing:
                errors.setdefault(f"clauses.{position}", []).append(_("There is no such clause."))
            elif not (body or "").strip():
                errors.setdefault(f"clauses.{position}", []).append(_("A clause cannot be empty."))
        if errors:
            raise ValidationFailed(errors=errors)
        changed = []
        for position, body in (clauses or {}).items():
            clause = existing[position]
            if clause.body != body.strip():
                clause.body = body.strip()
                changed.append(clause)
        ContractClause.objects.bulk_update(changed, ["body"])
        if delivery_date is not None:
            contract.delivery_date = delivery_date
        contract.save()
    return contract


def contract_submit_review(*, contract_id: int, by: Any) -> Contract:
    if not by.has_perm("orders.change_contract"):
        raise PermissionDenied(_("You are not allowed to edit contracts."))
    with service_transaction():
        order, contract = _locked(contract_id, by)
        if contract.state != ContractState.DRAFT:
            raise _not_in_state(contract, _("Submitting for review"))
        _check_order_awaiting_contract(order)
        contract.submit_review()
        contract.save()
        _event(contract, "contract_review", by=by)
    return contract


def contract_review(*, contract_id: int, by: Any, approve: bool, comment: str = "") -> Contract:
    """Legal / senior review: approve for signing, or return to the drafter with comments
    (required). The person who drafted the contract does not review it."""
    if not by.has_perm("orders.review_contract"):
        raise PermissionDenied(_("You are not allowed to review contracts."))
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationFailed(errors={"comment": [_("Say what should change.")]})
    with service_transaction():
        order, contract = _locked(contract_id, by)
        if contract.created_by_id == by.pk:
            raise PermissionDenied(_("The person who drafted a contract cannot review it."), code="four_eyes_rule")
        if contract.state != ContractState.IN_REVIEW:
            raise _not_in_state(contract, _("Reviewing"))
        _check_order_awaiting_contract(order)
        if approve:
            contract.approve()
        else:
            contract.return_for_changes()
        contract.review_comment, contract.reviewed_by, contract.reviewed_at = comment, by, timezone.now()
        contract.save()
        _event(contract, "contract_approved" if approve else "contract_returned", by=by, reason=comment)
    return contract


def contract_attach_signed_copy(*, contract_id: int, by: Any, upload: Any) -> Contract:
    """Attach the signed copy (PDF, PNG or JPEG) of a contract approved for signing."""
    if not by.has_perm("orders.sign_contract"):
        raise PermissionDenied(_("You are not allowed to record signed contracts."))
    content, content_type = sniff_upload(upload, field="signed_copy")
    with service_transaction():
        order, contract = _locked(contract_id, by)
        if contract.state != ContractState.APPROVED:
            raise TransitionNotAllowed(_("The signed copy is attached after the legal review approved the contract."),
                                       code="contract_not_reviewed", extra={"state": contract.state})
        _check_order_awaiting_contract(order)
        attachment = attachment_store(order=order, kind=AttachmentKind.SIGNED_CONTRACT, content=content,
                                      content_type=content_type, filename=getattr(upload, "name", "") or "",
                                      by=by, contract=contract)
        contract.signed_copy = attachment
        contract.save()
        _event(contract, "attachment", by=by, attachment_id=attachment.pk, attachment_kind=attachment.kind)
    return contract


def contract_sign(*, contract_id: int, by: Any, signed_on: datetime.date, upload: Any = None) -> Contract:
    """Record the signature: the contract becomes `signed`, the order gets the agreed lines,
    terms and delivery date of the quotation and moves to `contracted`.

    Refused before the legal review approved it, without a signed copy, or with a signing
    date in the future."""
    if not by.has_perm("orders.sign_contract"):
        raise PermissionDenied(_("You are not allowed to record signed contracts."))
    errors: dict[str, list[str]] = {}
    if not isinstance(signed_on, datetime.date):
        errors["signed_on"] = [_("Enter the signing date.")]
    elif signed_on > timezone.localdate():
        errors["signed_on"] = [_("The signing date cannot be in the future.")]
    if errors:  # before anything is stored
        raise ValidationFailed(errors=errors)
    upload_content = sniff_upload(upload, field="signed_copy") if upload is not None else None
    with service_transaction():
        order, contract = _locked(contract_id, by)
        if contract.state in (ContractState.DRAFT, ContractState.IN_REVIEW):
            raise TransitionNotAllowed(_("A contract is signed only after its legal review approved it."),
                                       code="contract_not_reviewed", extra={"state": contract.state})
        if contract.state != ContractState.APPROVED:
            raise _not_in_state(contract, _("Signing"))
        if upload_content is not None:
            content, content_type = upload_content
            contract.signed_copy = attachment_store(
                order=order, kind=AttachmentKind.SIGNED_CONTRACT, content=content, content_type=content_type,
                filename=getattr(upload, "name", "") or "", by=by, contract=contract)
            _event(contract, "attachment", by=by, attachment_id=contract.signed_copy.pk,
                   attachment_kind=AttachmentKind.SIGNED_CONTRACT)
        if contract.signed_copy_id is None:
            raise ValidationFailed(errors={"signed_copy": [_("Attach the signed copy first.")]})
        check_transition(order, "contract", by=by, reason="", via_document=True)
        contract.sign()
        contract.signed_on = signed_on
        contract.save()
        _copy_agreement_to_order(order, contract)
        apply_transition(order, "contract", by=by, reason="",
                         payload={"contract_id": contract.pk, "contract": contract.number,
                                  "signed_on": signed_on.isoformat()})
    return contract


def _copy_agreement_to_order(order: SalesOrder, contract: Contract) -> None:
    """The signed terms become the order's: lines, prices, payment terms, delivery date."""
    quotation = contract.quotation
    lines = list(quotation.lines.all())
    order.lines.all().delete()
    SalesOrderLine.objects.bulk_create([
        SalesOrderLine(order=order, line_no=line.line_no, product_id=line.product_id, description=line.description,
                       quantity=line.quantity, unit_price=line.unit_price, discount_percent=line.discount_percent)
        for line in lines
    ])
    order.payment_terms = quotation.payment_terms
    order.currency = quotation.currency
    order.total_amount = quotation.total_amount
    order.requested_date = contract.delivery_date
    if not order.customer_reference:
        order.customer_reference = contract.number
