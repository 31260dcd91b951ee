"""Quotations (DESIGN.md §2 stage 1): drafting, revisions, internal sign-offs, sending,
the customer's decision and expiry.

Every service here locks the order, then the quotation (orders.locks), so a quotation
and its order never change apart."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import SupplyType
from oms.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from oms.money import Currency, PaymentTerms, quantize
from oms.services import service_transaction

from ..locks import lock_quotation
from ..models import (
    REVISABLE_STATES,
    SIGNOFF_PERMISSIONS,
    SUPERSEDABLE_STATES,
    AttachmentKind,
    OperationsSignoff,
    OrderState,
    Quotation,
    QuotationLine,
    QuotationPolicy,
    QuotationSignoff,
    QuotationState,
    SalesOrder,
    SignoffArea,
    SignoffDecision,
)
from ..selectors import order_is_visible_to
from .attachments import attachment_store
from .core import LineInput, apply_transition, check_transition, lock_visible_order, record_event, validate_lines

#: A quotation still being worked on or waiting for the customer: at most one per order.
LIVE_STATES = [QuotationState.DRAFT, QuotationState.IN_REVIEW, QuotationState.APPROVED, QuotationState.SENT]
#: Orders that can be quoted (again).
QUOTABLE_ORDER_STATES = [OrderState.INQUIRY, OrderState.QUOTED]


def _locked(quotation_id: int, by: Any) -> tuple[SalesOrder, Quotation]:
    try:
        order, quotation = lock_quotation(quotation_id)
    except Quotation.DoesNotExist:
        raise NotFound(_("Quotation not found.")) from None
    if not order_is_visible_to(by, order):
        raise NotFound(_("Quotation not found."))
    return order, quotation


def _event(quotation: Quotation, kind: str, *, by: Any, reason: str = "", **payload: Any) -> None:
    order = quotation.order
    record_event(order, kind=kind, by=by, from_state=order.state, to_state=order.state, reason=reason,
                 payload={"quotation_id": quotation.pk, "quotation": quotation.number,
                          "revision": quotation.revision, **payload})


def _not_in_state(quotation: Quotation, action: str) -> TransitionNotAllowed:
    return TransitionNotAllowed(
        _("%(action)s is not possible while the quotation is “%(state)s”.")
        % {"action": action, "state": quotation.get_state_display()},
        code="quotation_state", extra={"state": quotation.state},
    )


def _check_order_quotable(order: SalesOrder) -> None:
    if order.state not in QUOTABLE_ORDER_STATES:
        raise TransitionNotAllowed(
            _("The order is “%(state)s”: its quotations can no longer be sent or answered.")
            % {"state": order.get_state_display()}, code="order_not_quotable", extra={"state": order.state})


def _recompute_totals(quotation: Quotation, lines: list[QuotationLine]) -> None:
    quotation.subtotal = sum((line.gross_total for line in lines), Decimal(0))
    quotation.total_amount = sum((line.line_total for line in lines), Decimal(0))
    quotation.discount_amount = quantize(quotation.subtotal - quotation.total_amount)


def _clean_terms(*, payment_terms: str | None, currency: str | None, lead_time_days: Any, valid_until: Any,
                 warranty_terms: str | None, notes: str | None, errors: dict[str, list[str]]) -> dict[str, Any]:
    """Validate the optional term fields that were given; return the clean ones."""
    terms: dict[str, Any] = {}
    if payment_terms is not None:
        if payment_terms not in PaymentTerms.values:
            errors.setdefault("payment_terms", []).append(_("Unknown payment terms."))
        terms["payment_terms"] = payment_terms
    if currency is not None:
        if currency not in Currency.values:
            errors.setdefault("currency", []).append(_("Unknown currency."))
        terms["currency"] = currency
    if lead_time_days is not None:
        try:
            days = int(lead_time_days)
        except (TypeError, ValueError):
            days = -1
        if not 0 <= days <= 3650:
            errors.setdefault("lead_time_days", []).append(_("Enter a number of days between 0 and 3650."))
        terms["lead_time_days"] = days
    if valid_until is not None:
        if not isinstance(valid_until, datetime.date) or valid_until < timezone.localdate():
            errors.setdefault("valid_until", []).append(_("The validity date must be today or later."))
        terms["valid_until"] = valid_until
    if warranty_terms is not None:
        terms["warranty_terms"] = warranty_terms.strip()
    if notes is not None:
        terms["notes"] = notes.strip()
    return terms


def _build_lines(lines: list[LineInput], errors: dict[str, list[str]]) -> list[QuotationLine]:
    if not lines:
        errors.setdefault("lines", []).append(_("A quotation needs at least one line."))
    rows = validate_lines(lines, errors, model=QuotationLine)
    for row in rows:
        row.unit_cost = row.product.standard_cost
    return rows


def _lines_from_needs(order: SalesOrder) -> list[LineInput]:
    """The needs as quotation lines at list price; an order without needs (entered with
    lines) is quoted with its own lines and prices."""
    needs = list(order.needs.select_related("product"))
    if not needs:
        return [LineInput(product=line.product, quantity=line.quantity, unit_price=line.unit_price,
                          discount_percent=line.discount_percent, description=line.description)
                for line in order.lines.select_related("product").order_by("line_no")]
    unmatched = [need.line_no for need in needs if need.product is None]
    if unmatched:
        raise ValidationFailed(
            _("Match every need to a product before quoting (needs %(lines)s).")
            % {"lines": ", ".join(map(str, unmatched))}, code="needs_not_matched")
    return [LineInput(product=need.product, quantity=need.quantity, description=need.requirement[:250])
            for need in needs]


def _default_lead_time(rows: list[QuotationLine]) -> int:
    return max((row.product.lead_time_days for row in rows if row.product.supply_type != SupplyType.STOCK),
               default=0)


def _check_may_edit(by: Any) -> None:
    if not by.has_perm("orders.change_quotation"):
        raise PermissionDenied(_("You are not allowed to prepare quotations."))


def quotation_create(*, order_id: int, by: Any, lines: list[LineInput] | None = None,
                     payment_terms: str | None = None, currency: str | None = None, lead_time_days: Any = None,
                     valid_until: datetime.date | None = None, warranty_terms: str | None = None,
                     notes: str | None = None) -> Quotation:
    """Draft the first quotation (rev 1) of an inquiry. Without `lines`, the inquiry's needs
    become the lines at list price (every need must be matched to a product). Terms default
    to the customer's, the lead time to the longest of the make / buy products, and the
    validity to the policy's number of days."""
    if not by.has_perm("orders.add_quotation"):
        raise PermissionDenied(_("You are not allowed to prepare quotations."))
    errors: dict[str, list[str]] = {}
    terms = _clean_terms(payment_terms=payment_terms, currency=currency, lead_time_days=lead_time_days,
                         valid_until=valid_until, warranty_terms=warranty_terms, notes=notes, errors=errors)
    with service_transaction():
        order = lock_visible_order(order_id, by)
        if order.state not in QUOTABLE_ORDER_STATES:
            raise TransitionNotAllowed(_("Only an inquiry can be quoted."), code="order_not_quotable",
                                       extra={"state": order.state})
        if order.quotations.exists():
            raise TransitionNotAllowed(_("This order already has a quotation: revise it instead."),
                                       code="quotation_exists")
        rows = _build_lines(lines if lines is not None else _lines_from_needs(order), errors)
        if errors:
            raise ValidationFailed(errors=errors)
        policy = QuotationPolicy.current()
        customer = order.customer
        quotation = Quotation(
            order=order, number=_next_quotation_number(), revision=1, created_by=by,
            payment_terms=terms.get("payment_terms") or order.payment_terms or customer.payment_terms,
            currency=terms.get("currency") or order.currency,
            lead_time_days=terms.get("lead_time_days", _default_lead_time(rows)),
            valid_until=terms.get("valid_until")
            or timezone.localdate() + datetime.timedelta(days=policy.default_validity_days),
            warranty_terms=terms.get("warranty_terms", ""), notes=terms.get("notes", ""),
        )
        _recompute_totals(quotation, rows)
        quotation.save()
        for row in rows:
            row.quotation = quotation
        QuotationLine.objects.bulk_create(rows)
        _event(quotation, "quotation_created", by=by, total=str(quotation.total_amount))
    return quotation


def _next_quotation_number() -> str:
    from .core import next_document_number

    return next_document_number("Q")


def quotation_update(*, quotation_id: int, by: Any, lines: list[LineInput] | None = None,
                     payment_terms: str | None = None, currency: str | None = None, lead_time_days: Any = None,
                     valid_until: datetime.date | None = None, warranty_terms: str | None = None,
                     notes: str | None = None) -> Quotation:
    """Change a draft: its terms (only those given) and, when `lines` is given, all its lines.
    A quotation past draft is never edited: revise it."""
    _check_may_edit(by)
    errors: dict[str, list[str]] = {}
    terms = _clean_terms(payment_terms=payment_terms, currency=currency, lead_time_days=lead_time_days,
                         valid_until=valid_until, warranty_terms=warranty_terms, notes=notes, errors=errors)
    rows = _build_lines(lines, errors) if lines is not None else None
    if errors:
        raise ValidationFailed(errors=errors)
    with service_transaction():
        _order, quotation = _locked(quotation_id, by)
        if quotation.state != QuotationState.DRAFT:
            raise TransitionNotAllowed(
                _("Only a draft can be edited; start a new revision to change this quotation."),
                code="quotation_not_draft", extra={"state": quotation.state})
        for name, value in terms.items():
            setattr(quotation, name, value)
        if rows is not None:
            quotation.lines.all().delete()
            for row in rows:
                row.quotation = quotation
            QuotationLine.objects.bulk_create(rows)
        _recompute_totals(quotation, rows if rows is not None else list(quotation.lines.all()))
        quotation.save()
    return quotation


def quotation_revise(*, quotation_id: int, by: Any) -> Quotation:
    """Start the next revision from the latest one: a draft copy of its lines and terms.
    The old revision stays readable; if it was still live it becomes `superseded`."""
    _check_may_edit(by)
    with service_transaction():
        order, quotation = _locked(quotation_id, by)
        latest = order.quotations.order_by("-revision").first()
        if latest.pk != quotation.pk:
            raise TransitionNotAllowed(_("Only the latest revision can be revised."), code="quotation_superseded",
                                       extra={"state": quotation.state, "latest_revision": latest.revision})
        if quotation.state not in REVISABLE_STATES or order.state not in QUOTABLE_ORDER_STATES:
            raise _not_in_state(quotation, _("Revising"))
        policy = QuotationPolicy.current()
        old_lines = list(quotation.lines.select_related("product"))
        new = Quotation(
            order=order, number=quotation.number, revision=quotation.revision + 1, created_by=by,
            payment_terms=quotation.payment_terms, currency=quotation.currency,
            lead_time_days=quotation.lead_time_days, warranty_terms=quotation.warranty_terms, notes=quotation.notes,
            valid_until=max(quotation.valid_until,
                            timezone.localdate() + datetime.timedelta(days=policy.default_validity_days)),
        )
        rows = [QuotationLine(line_no=line.line_no, product=line.product, description=line.description,
                              quantity=line.quantity, unit_price=line.unit_price,
                              discount_percent=line.discount_percent, unit_cost=line.product.standard_cost)
                for line in old_lines]
        _recompute_totals(new, rows)
        if quotation.state in SUPERSEDABLE_STATES:
            quotation.supersede()
            quotation.save()
        new.save()
        for row in rows:
            row.quotation = new
        QuotationLine.objects.bulk_create(rows)
        _event(new, "quotation_revised", by=by, previous_revision=quotation.revision)
    return new


def required_signoffs(quotation: Quotation, lines: list[QuotationLine], policy: QuotationPolicy) -> list[str]:
    """The sign-off areas this quotation needs under the policy, in a fixed order."""
    areas = []
    if policy.finance_required:
        areas.append(SignoffArea.FINANCE)
    make_or_buy = any(line.product.supply_type != SupplyType.STOCK for line in lines)
    if policy.operations_required == OperationsSignoff.ALWAYS or (
            policy.operations_required == OperationsSignoff.MAKE_OR_BUY and make_or_buy):
        areas.append(SignoffArea.OPERATIONS)
    if any(line.discount_percent > policy.manager_discount_threshold for line in lines):
        areas.append(SignoffArea.MANAGER)
    return areas


def quotation_submit_review(*, quotation_id: int, by: Any) -> Quotation:
    """Send a draft to internal review: opens a new review round with one pending sign-off
    per required area. With no sign-off required it is approved at once."""
    _check_may_edit(by)
    with service_transaction():
        order, quotation = _locked(quotation_id, by)
        _check_order_quotable(order)
        if quotation.state != QuotationState.DRAFT:
            raise _not_in_state(quotation, _("Submitting for review"))
        if quotation.valid_until < timezone.localdate():
            raise ValidationFailed(errors={"valid_until": [_("The validity date must be today or later.")]})
        lines = list(quotation.lines.select_related("product"))
        if not lines:
            raise TransitionNotAllowed(_("A quotation needs at least one line."), code="quotation_has_no_lines")
        quotation.submit_review()
        areas = required_signoffs(quotation, lines, QuotationPolicy.current())
        QuotationSignoff.objects.bulk_create(
            [QuotationSignoff(quotation=quotation, round=quotation.review_round, area=area) for area in areas])
        if not areas:
            quotation.approve()
            quotation.approved_at = timezone.now()
        quotation.save()
        _event(quotation, "quotation_review", by=by, round=quotation.review_round, signoffs=areas)
        if not areas:
            _event(quotation, "quotation_approved", by=by)
    return quotation


def quotation_signoff(*, quotation_id: int, by: Any, area: str, approve: bool, comment: str = "") -> Quotation:
    """Record one reviewer's decision for one area of the current review round.

    Approving the last pending area approves the quotation; requesting changes (a comment
    is required) sends it back to draft for sales, closing the round."""
    if area not in SignoffArea.values:
        raise ValidationFailed(errors={"area": [_("Unknown sign-off area.")]})
    if not by.has_perm(SIGNOFF_PERMISSIONS[area]):
        raise PermissionDenied(_("You may not sign off for “%(area)s”.") % {"area": SignoffArea(area).label})
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationFailed(errors={"comment": [_("Say what should change.")]})
    with service_transaction():
        _order, quotation = _locked(quotation_id, by)
        if quotation.state != QuotationState.IN_REVIEW:
            raise _not_in_state(quotation, _("Signing off"))
        signoffs = {s.area: s for s in
                    quotation.signoffs.select_for_update(no_key=True).filter(round=quotation.review_round)}
        signoff = signoffs.get(area)
        if signoff is None:
            raise TransitionNotAllowed(_("This quotation does not need a sign-off for “%(area)s”.")
                                       % {"area": SignoffArea(area).label}, code="signoff_not_required")
        if signoff.decision != SignoffDecision.PENDING:
            raise TransitionNotAllowed(_("“%(area)s” has already signed off this round.")
                                       % {"area": SignoffArea(area).label}, code="signoff_already_decided")
        signoff.decision = SignoffDecision.APPROVED if approve else SignoffDecision.CHANGES_REQUESTED
        signoff.comment, signoff.by, signoff.decided_at = comment, by, timezone.now()
        signoff.save()
        if not approve:
            quotation.request_changes()
            quotation.save()
            _event(quotation, "quotation_changes_requested", by=by, reason=comment, area=area)
        elif all(s.decision == SignoffDecision.APPROVED for s in signoffs.values()):
            quotation.approve()
            quotation.approved_at = timezone.now()
            quotation.save()
            _event(quotation, "quotation_signoff", by=by, reason=comment, area=area)
            _event(quotation, "quotation_approved", by=by)
        else:
            _event(quotation, "quotation_signoff", by=by, reason=comment, area=area)
    return quotation


def quotation_send(*, quotation_id: int, by: Any, to_email: str | None = None) -> Quotation:
    """Send an approved quotation: render its PDF in the customer's language, attach it to
    the order, record who sent it, when and to whom, move the order to `quoted` (first
    time), and e-mail it after the commit."""
    from ..documents import render_quotation_pdf

    if not by.has_perm("orders.send_quotation"):
        raise PermissionDenied(_("You are not allowed to send quotations."))
    with service_transaction():
        order, quotation = _locked(quotation_id, by)
        _check_order_quotable(order)
        if quotation.state != QuotationState.APPROVED:
            if quotation.state in (QuotationState.DRAFT, QuotationState.IN_REVIEW):
                raise TransitionNotAllowed(
                    _("The quotation needs every internal sign-off before it can be sent."),
                    code="quotation_not_approved", extra={"state": quotation.state})
            raise _not_in_state(quotation, _("Sending"))
        if quotation.valid_until < timezone.localdate():
            raise TransitionNotAllowed(_("The quotation's validity date has passed; revise it."),
                                       code="quotation_expired", extra={"state": quotation.state})
        recipient = (to_email or "").strip() or (order.contact.email if order.contact else "")
        if not recipient:
            raise ValidationFailed(errors={"to_email": [_("The customer has no contact e-mail; enter one.")]})
        try:
            if len(recipient) > 254:
                raise DjangoValidationError("too long")
            validate_email(recipient)
        except DjangoValidationError:
            raise ValidationFailed(errors={"to_email": [_("Enter a valid e-mail address.")]}) from None
        quotation.send()
        quotation.sent_at, quotation.sent_by, quotation.sent_to = timezone.now(), by, recipient
        quotation.save()
        pdf = render_quotation_pdf(quotation)
        attachment = attachment_store(
            order=order, kind=AttachmentKind.QUOTATION_PDF, content=pdf, content_type="application/pdf",
            filename=f"{quotation.number}-rev{quotation.revision}.pdf", by=by, quotation=quotation)
        _event(quotation, "quotation_sent", by=by, to=recipient, attachment_id=attachment.pk)
        if order.state == OrderState.INQUIRY:
            check_transition(order, "quote", by=by, reason="", via_document=True)
            apply_transition(order, "quote", by=by, reason="", payload={"quotation_id": quotation.pk})
        attachment_id = attachment.pk
        transaction.on_commit(lambda: _enqueue_email(quotation.pk, attachment_id), robust=True)
    return quotation


def _enqueue_email(quotation_id: int, attachment_id: int) -> None:
    from ..tasks import quotation_email

    quotation_email.delay(quotation_id, attachment_id)


def quotation_record_decision(*, quotation_id: int, by: Any, accepted: bool, note: str = "") -> Quotation:
    """Record the customer's answer to a sent quotation. Acceptance is refused for an
    expired or superseded quotation (409)."""
    _check_may_edit(by)
    with service_transaction():
        order, quotation = _locked(quotation_id, by)
        _check_order_quotable(order)
        expired = quotation.state == QuotationState.EXPIRED or (
            quotation.state == QuotationState.SENT and quotation.valid_until < timezone.localdate())
        if accepted and expired:
            raise TransitionNotAllowed(
                _("This quotation expired on %(date)s and can no longer be accepted; send a new revision.")
                % {"date": quotation.valid_until.isoformat()}, code="quotation_expired",
                extra={"state": quotation.state})
        if quotation.state == QuotationState.SUPERSEDED:
            raise TransitionNotAllowed(_("A newer revision replaced this quotation."), code="quotation_superseded",
                                       extra={"state": quotation.state})
        if quotation.state != QuotationState.SENT:
            raise _not_in_state(quotation, _("Recording the customer's answer"))
        if accepted:
            quotation.accept()
        else:
            quotation.decline()
        quotation.decided_at, quotation.decision_note = timezone.now(), (note or "").strip()
        quotation.save()
        _event(quotation, "quotation_accepted" if accepted else "quotation_declined", by=by,
               reason=quotation.decision_note)
    return quotation


# --- beat jobs -------------------------------------------------------------------------------

def quotations_expire(*, today: datetime.date | None = None) -> int:
    """Mark approved and sent quotations past their validity date `expired`. Idempotent."""
    today = today or timezone.localdate()
    ids = list(Quotation.objects.filter(state__in=[QuotationState.APPROVED, QuotationState.SENT],
                                        valid_until__lt=today).values_list("pk", flat=True)[:1000])
    expired = 0
    for quotation_id in ids:
        with service_transaction():
            _order, quotation = lock_quotation(quotation_id)
            if quotation.state not in (QuotationState.APPROVED, QuotationState.SENT) or quotation.valid_until >= today:
                continue
            quotation.expire()
            quotation.save()
            _event(quotation, "quotation_expired", by=None, valid_until=quotation.valid_until.isoformat())
            expired += 1
    return expired


def quotations_remind_expiring(*, today: datetime.date | None = None) -> int:
    """E-mail the owner of each sent quotation that expires within the policy's reminder
    window, once per quotation (the reminder time is recorded before the mail goes)."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=QuotationPolicy.current().expiry_reminder_days)
    ids = list(Quotation.objects.filter(state=QuotationState.SENT, expiry_reminded_at__isnull=True,
                                        valid_until__gte=today, valid_until__lte=horizon)
               .values_list("pk", flat=True)[:1000])
    reminded = 0
    for quotation_id in ids:
        with service_transaction():
            _order, quotation = lock_quotation(quotation_id)
            if quotation.state != QuotationState.SENT or quotation.expiry_reminded_at is not None:
                continue
            quotation.expiry_reminded_at = timezone.now()
            quotation.save(update_fields=["expiry_reminded_at", "updated_at"])
            transaction.on_commit(lambda pk=quotation.pk: _send_expiry_reminder(pk), robust=True)
            reminded += 1
    return reminded


def _send_expiry_reminder(quotation_id: int) -> None:
    from ..notifications import quotation_expiry_reminder

    quotation_expiry_reminder(quotation_id)
