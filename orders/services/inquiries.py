"""Needs capture (DESIGN.md §2 stage 1): an order in `inquiry` with the customer's needs
and dated, signed notes from the conversation."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Contact, Customer
from inventory.models import Product
from oms.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from oms.services import service_transaction

from ..models import Channel, InquiryLine, OrderNote, OrderState, SalesOrder
from .core import (
    check_may_create_orders,
    insert_order,
    lock_visible_order,
    order_header_errors,
    record_event,
    to_decimal,
)


@dataclass(frozen=True)
class NeedInput:
    quantity: Decimal
    product: Product | None = None
    requirement: str = ""
    requested_date: datetime.date | None = None
    expectations: str = ""


def _validate_needs(needs: list[NeedInput], errors: dict[str, list[str]]) -> list[InquiryLine]:
    if not needs:
        errors.setdefault("needs", []).append(_("Record at least one need."))
    rows = []
    today = timezone.localdate()
    for index, need in enumerate(needs):
        prefix = f"needs.{index}"
        requirement = (need.requirement or "").strip()
        if need.product is None and not requirement:
            errors.setdefault(f"{prefix}.product", []).append(
                _("Choose a product or describe the requirement."))
        if need.product is not None and not need.product.is_active:
            errors.setdefault(f"{prefix}.product", []).append(
                _("Product %(sku)s is no longer sold.") % {"sku": need.product.sku})
        if len(requirement) > 500:
            errors.setdefault(f"{prefix}.requirement", []).append(_("At most 500 characters."))
        quantity = to_decimal(need.quantity)
        if quantity is None or not quantity.is_finite() or quantity <= 0:
            errors.setdefault(f"{prefix}.quantity", []).append(_("Quantity must be greater than zero."))
        if need.requested_date is not None and need.requested_date < today:
            errors.setdefault(f"{prefix}.requested_date", []).append(_("The requested date is in the past."))
        rows.append(InquiryLine(line_no=index + 1, product=need.product, requirement=requirement,
                                quantity=quantity or 0, requested_date=need.requested_date,
                                expectations=(need.expectations or "").strip()))
    return rows


def inquiry_create(*, by: Any, customer: Customer, needs: list[NeedInput], contact: Contact | None = None,
                   requested_date: datetime.date | None = None, customer_reference: str = "",
                   note: str = "", channel: str = Channel.SALES) -> SalesOrder:
    """Open an inquiry: a new order in `inquiry` carrying the customer's needs, and the
    first conversation note if one is given. All problems are reported at once."""
    check_may_create_orders(by, customer)
    errors = order_header_errors(customer, delivery_address=None, contact=contact, requested_date=requested_date,
                                 channel=channel, customer_reference=customer_reference)
    rows = _validate_needs(needs, errors)
    if errors:
        raise ValidationFailed(errors=errors)
    with service_transaction():
        order = insert_order(by=by, customer=customer, channel=channel, requested_date=requested_date,
                             delivery_address=None, contact=contact, payment_terms=None, currency=None,
                             customer_reference=customer_reference, notes="", total=Decimal(0))
        for row in rows:
            row.order = order
        InquiryLine.objects.bulk_create(rows)
        record_event(order, kind="created", by=by, to_state=order.state,
                     payload={"channel": channel, "needs": len(rows)})
        if note.strip():
            _add_note(order, by=by, body=note)
    return order


def inquiry_update_needs(*, order_id: int, by: Any, needs: list[NeedInput]) -> SalesOrder:
    """Replace the needs of an order still in `inquiry`."""
    if not by.has_perm("orders.change_salesorder"):
        raise PermissionDenied(_("You are not allowed to change orders."))
    errors: dict[str, list[str]] = {}
    rows = _validate_needs(needs, errors)
    if errors:
        raise ValidationFailed(errors=errors)
    with service_transaction():
        order = lock_visible_order(order_id, by)
        if order.state != OrderState.INQUIRY:
            raise TransitionNotAllowed(_("Needs can only be changed while the order is an inquiry."),
                                       extra={"state": order.state})
        order.needs.all().delete()
        for row in rows:
            row.order = order
        InquiryLine.objects.bulk_create(rows)
        record_event(order, kind="needs_captured", by=by, from_state=order.state, to_state=order.state,
                     payload={"needs": len(rows)})
    return order


def _add_note(order: SalesOrder, *, by: Any, body: str) -> OrderNote:
    note = OrderNote.objects.create(order=order, body=body.strip(), by=by)
    record_event(order, kind="note", by=by, from_state=order.state, to_state=order.state,
                 payload={"note_id": note.pk})
    return note


def order_add_note(*, order_id: int, by: Any, body: str) -> OrderNote:
    """Add a dated, signed conversation note to an order (any state). Notes are never edited."""
    if not by.has_perm("orders.change_salesorder"):
        raise PermissionDenied(_("You are not allowed to add notes to orders."))
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(errors={"body": [_("The note is empty.")]})
    if len(body) > 5000:
        raise ValidationFailed(errors={"body": [_("At most 5000 characters.")]})
    with service_transaction():
        order = lock_visible_order(order_id, by)
        return _add_note(order, by=by, body=body)
