"""Write use-cases for sales orders: create, transitions, payments, automatic checks."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Address, Contact, Customer
from customers.selectors import customer_is_visible_to
from inventory.models import QTY_DIGITS, QTY_PLACES, Product
from inventory.services import (
    cancel_supply_for_order,
    raise_supply_for_order,
    release_for_order,
    reserve_for_order,
    supply_after_release,
)
from oms.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from oms.money import DECIMAL_PLACES, MAX_DIGITS, quantize
from oms.outbox import publish_order_transition
from oms.services import service_transaction

from ..locks import lock_order
from ..models import FULFILMENT_STATES, Channel, NumberSequence, OrderEvent, SalesOrder, SalesOrderLine
from ..selectors import available_transitions, order_is_visible_to
from ..transitions import TRANSITIONS

logger = logging.getLogger(__name__)



@dataclass(frozen=True)
class LineInput:
    product: Product
    quantity: Decimal
    unit_price: Decimal | None = None  # None: the product's list price
    discount_percent: Decimal = Decimal(0)
    description: str = ""


# --- numbers -----------------------------------------------------------------------------

def next_document_number(prefix: str, *, year: int | None = None) -> str:
    """The next number of a per-year sequence, e.g. SO-2026-000123.

    One atomic upsert (INSERT … ON CONFLICT … RETURNING) on both PostgreSQL and SQLite,
    so concurrent callers never get the same number; runs in the caller's transaction.
    """
    year = year or timezone.localdate().year
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (prefix, year, last_value) VALUES (%s, %s, 1) "
            f"ON CONFLICT (prefix, year) DO UPDATE SET last_value = {table}.last_value + 1 "
            f"RETURNING last_value",
            [prefix, year],
        )
        value = cursor.fetchone()[0]
    return f"{prefix}-{year}-{value:06d}"


# --- events ------------------------------------------------------------------------------

def record_event(order: SalesOrder, *, kind: str, by: Any = None, from_state: str = "", to_state: str = "",
                  reason: str = "", payload: dict | None = None) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order, kind=kind, by=by if (by is not None and by.is_authenticated) else None,
        from_state=from_state, to_state=to_state, reason=reason, payload=payload or {},
    )


# --- create ------------------------------------------------------------------------------

def to_decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None


def validate_lines(lines: list[LineInput], errors: dict[str, list[str]], *, model: type = SalesOrderLine,
                   agreed_prices: dict[int, tuple[Decimal, Decimal]] | None = None) -> list:
    """Check every line, adding problems to `errors` under `lines.<index>.<field>`, and
    return unsaved `model` rows (order lines, quotation lines) numbered from 1.

    A line without a unit price gets the customer's agreed price and discount where
    `agreed_prices` (product id → (price, discount)) has one, else the list price."""
    built = []
    agreed_prices = agreed_prices or {}
    for index, line in enumerate(lines):
        prefix = f"lines.{index}"
        quantity = to_decimal(line.quantity)
        if quantity is None or not quantity.is_finite() or quantity <= 0:
            errors.setdefault(f"{prefix}.quantity", []).append(_("Quantity must be greater than zero."))
        elif not fits(quantity, QTY_DIGITS, QTY_PLACES):
            errors.setdefault(f"{prefix}.quantity", []).append(
                _("At most %(places)s decimal places and %(digits)s digits in all.")
                % {"places": QTY_PLACES, "digits": QTY_DIGITS})
            quantity = None
        discount = to_decimal(line.discount_percent)
        if line.unit_price is not None:
            price = to_decimal(line.unit_price)
        elif line.product.pk in agreed_prices:
            price, agreed_discount = agreed_prices[line.product.pk]
            if discount == 0:
                discount = agreed_discount
        else:
            price = line.product.list_price
        if price is None or not price.is_finite() or price < 0:
            errors.setdefault(f"{prefix}.unit_price", []).append(_("Unit price cannot be negative."))
        elif not fits(price, MAX_DIGITS, DECIMAL_PLACES):
            errors.setdefault(f"{prefix}.unit_price", []).append(
                _("At most %(places)s decimal places and %(digits)s digits in all.")
                % {"places": DECIMAL_PLACES, "digits": MAX_DIGITS})
            price = None
        if discount is None or not discount.is_finite() or not (0 <= discount <= 100):
            errors.setdefault(f"{prefix}.discount_percent", []).append(_("Discount must be between 0 and 100."))
        if not line.product.is_active:
            errors.setdefault(f"{prefix}.product", []).append(
                _("Product %(sku)s is no longer sold.") % {"sku": line.product.sku})
        built.append(model(line_no=index + 1, product=line.product, description=(line.description or "")[:250],
                           quantity=quantity or 0, unit_price=price or 0, discount_percent=discount or 0))
    if not errors and sum((row.line_total for row in built), Decimal(0)) >= MAX_AMOUNT:
        errors.setdefault("lines", []).append(_("The total is too large."))
    return built


#: The first amount a money column (MAX_DIGITS, DECIMAL_PLACES) cannot hold.
MAX_AMOUNT = Decimal(10) ** (MAX_DIGITS - DECIMAL_PLACES)


def fits(value: Decimal, digits: int, places: int) -> bool:
    """Whether `value` fits a DecimalField(max_digits=digits, decimal_places=places) as it is."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        return False
    return abs(value) < Decimal(10) ** (digits - places)


def check_may_create_orders(by: Any, customer: Customer) -> None:
    if not by.has_perm("orders.add_salesorder"):
        raise PermissionDenied(_("You are not allowed to create orders."))
    if not customer_is_visible_to(by, customer):
        raise PermissionDenied(_("You can only create orders for your own customers."))


def order_header_errors(customer: Customer, *, delivery_address: Address | None, contact: Contact | None,
                        requested_date: datetime.date | None, channel: str,
                        customer_reference: str = "") -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not customer.is_active:
        errors.setdefault("customer", []).append(_("This customer is inactive."))
    if delivery_address is not None and delivery_address.customer_id != customer.pk:
        errors.setdefault("delivery_address", []).append(_("The address belongs to another customer."))
    if contact is not None and contact.customer_id != customer.pk:
        errors.setdefault("contact", []).append(_("The contact belongs to another customer."))
    if requested_date is not None and requested_date < timezone.localdate():
        errors.setdefault("requested_date", []).append(_("The requested date is in the past."))
    if channel not in Channel.values:
        errors.setdefault("channel", []).append(_("Unknown channel."))
    if len(customer_reference) > 64:
        errors.setdefault("customer_reference", []).append(_("At most 64 characters."))
    return errors


def insert_order(*, by: Any, customer: Customer, channel: str, requested_date: datetime.date | None,
                 delivery_address: Address | None, contact: Contact | None, payment_terms: str | None,
                 currency: str | None, customer_reference: str, notes: str, total: Decimal,
                 confirmation_due: datetime.date | None = None) -> SalesOrder:
    """Save a new order in `inquiry` with the customer's defaults filled in.

    Precondition: the caller checked the input (`order_header_errors`) and runs inside a
    transaction."""
    if delivery_address is None:
        delivery_address = customer.addresses.filter(is_default_shipping=True).first()
    if contact is None:
        contact = customer.contacts.filter(is_primary=True).first()
    order = SalesOrder(
        number=next_document_number("SO"), customer=customer, contact=contact, channel=channel,
        requested_date=requested_date, delivery_address=delivery_address,
        payment_terms=payment_terms or customer.payment_terms, currency=currency or customer.currency,
        customer_reference=customer_reference, notes=notes, entered_by=by, total_amount=total,
        confirmation_due=confirmation_due,
    )
    order.refresh_priority()
    order.save()
    return order


# --- transitions -------------------------------------------------------------------------

def _fsm_transitions(name: str) -> list:
    field = SalesOrder._meta.get_field("state")
    return [t for t in field.get_all_transitions(SalesOrder) if t.name == name]


def _incomplete(order: SalesOrder) -> TransitionNotAllowed:
    return TransitionNotAllowed(
        _("The order is not complete."), code="order_incomplete",
        errors={field: [_("This is required before the order can be submitted.")]
                for field in order.missing_for_submission()},
    )


#: Why each FSM condition (by its function name) refused a transition, as an error.
_CONDITION_ERRORS = {
    "is_complete": _incomplete,
    "checks_cleared": lambda order: TransitionNotAllowed(
        _("The automatic checks have not run yet.") if order.checks_result == "pending"
        else _("A failed check must be overridden (with a reason) before the order can be approved."),
        code="checks_not_cleared", extra={"checks_result": order.checks_result}),
    "is_confirmed_in_writing": lambda order: TransitionNotAllowed(
        _("This verbal order cannot leave the warehouse before the customer's written confirmation arrives."),
        code="awaiting_written_confirmation"),
    "is_paid_in_full": lambda order: TransitionNotAllowed(_("The order is not paid in full."),
                                                          code="order_not_paid"),
}


def _refused(order: SalesOrder, by: Any, error: TransitionNotAllowed) -> TransitionNotAllowed:
    """A refused step's 409 names the order's state and the steps `by` may run now."""
    error.extra = {"state": order.state, "allowed_transitions": available_transitions(order, by), **error.extra}
    return error


def check_transition(order: SalesOrder, name: str, *, by: Any, reason: str, via_document: bool = False) -> None:
    """Raise the error that says why `by` may not run `name` on `order` now, if any.

    Transitions that follow a document (quote, contract, the shipping steps) pass only with `via_document`,
    i.e. from the quotation, contract and shipment services."""
    transitions = _fsm_transitions(name)
    spec = TRANSITIONS.get(name)
    if not transitions or spec is None:
        raise NotFound(_("There is no step called “%(name)s”.") % {"name": name}, code="unknown_transition")
    if not transitions[0].has_perm(order, by):  # one permission per transition, whatever the source
        if name == "approve" and by.has_perm("orders.approve_order"):
            raise PermissionDenied(_("The person who entered an order cannot approve it."),
                                   code="four_eyes_rule")
        raise PermissionDenied(_("Your role does not allow the step “%(step)s”.") % {"step": spec.label})
    if spec.document and not via_document:
        message = {
            "quotation": _("An order becomes “quoted” when an approved quotation is sent from the quotation page."),
            "contract": _("An order becomes “contracted” when its contract is signed on the contract page."),
            "shipment": _("An order moves through shipping as its shipments are packed, shipped and delivered, "
                          "on the shipment pages."),
        }[spec.document]
        raise _refused(order, by, TransitionNotAllowed(message, code="step_follows_document"))
    transition = next((t for t in transitions if t.source == order.state), None)
    if transition is None:
        raise _refused(order, by, TransitionNotAllowed(
            _("“%(step)s” is not possible while the order is in state “%(state)s”.")
            % {"step": spec.label, "state": order.get_state_display()}))
    for condition in transition.conditions:
        if not condition(order):
            raise _refused(order, by, _CONDITION_ERRORS[condition.__name__](order))
    if spec.reason_required and not reason.strip():
        raise ValidationFailed(errors={"reason": [_("Please give a reason.")]})


def apply_transition(order: SalesOrder, name: str, *, by: Any, reason: str,
                     payload: dict | None = None) -> OrderEvent:
    """Run the FSM method, save, write the timeline event and schedule follow-up work.

    Precondition: `order` is locked and `_check_transition` passed (or the caller is the
    system acting on its own checks). Must run inside a transaction.
    """
    from_state = order.state
    getattr(order, name)()
    if name in ("approve", "start_fulfilment"):
        order.refresh_priority()
    order.save()
    payload = dict(payload or {})
    if name == "start_fulfilment":
        reservation = reserve_for_order(order, by=by)
        payload.update({"reserved": str(reservation.reserved), "backordered": str(reservation.backordered)})
        lines = reservation.lines
        payload.update({k: v for k, v in raise_supply_for_order(order, lines, by=by).items() if v})
        supply_after_release(sorted({line.product_id for line in lines if line.backorder_quantity > 0}))
    elif name == "cancel":
        from logistics.services import cancel_shipments_for_order  # logistics builds on orders

        # the documents raised for the order are locked before its lines and stock
        shipments = cancel_shipments_for_order(order, by=by, reason=reason)
        if shipments:
            payload["shipments_cancelled"] = shipments
        payload.update({k: v for k, v in cancel_supply_for_order(order, by=by, reason=reason).items() if v})
        if from_state in FULFILMENT_STATES:
            payload["released"] = str(release_for_order(order, by=by, reason=reason))
            # released stock and cancelled or detached supply change what the others wait for
            supply_after_release(sorted(set(order.lines.values_list("product_id", flat=True))))
    event = record_event(order, kind=name, by=by, from_state=from_state, to_state=order.state,
                         reason=reason.strip(), payload=payload)
    publish_order_transition(order, step=name, from_state=from_state)  # webhooks and the event feed
    order_id = order.pk
    if name == "submit":
        transaction.on_commit(lambda: enqueue_checks(order_id), robust=True)
    elif name == "approve":
        transaction.on_commit(lambda: _enqueue_confirmation(order_id), robust=True)
    return event


def enqueue_checks(order_id: int) -> None:
    from ..tasks import order_checks_run

    # A broker outage here loses nothing: the beat sweep re-enqueues unchecked orders.
    order_checks_run.delay(order_id)


def _enqueue_confirmation(order_id: int) -> None:
    from ..tasks import order_confirmation_email

    order_confirmation_email.delay(order_id)


def lock_visible_order(order_id: int, by: Any) -> SalesOrder:
    """Lock an order the caller may see; NotFound otherwise. Must run inside a transaction."""
    try:
        order = lock_order(order_id)
    except SalesOrder.DoesNotExist:
        raise NotFound(_("Order not found.")) from None
    if not order_is_visible_to(by, order):
        raise NotFound(_("Order not found."))
    return order


def order_transition(*, order_id: int, name: str, by: Any, reason: str = "") -> SalesOrder:
    """Run transition `name` on an order on behalf of `by`.

    Locks the order row, then checks, in this order: the step exists (404), the caller may
    see the order (404) and run the step (403), the step is possible from the current state
    and its conditions hold (409), and a reason is given where one is required (400).
    """
    with service_transaction():
        order = lock_visible_order(order_id, by)
        check_transition(order, name, by=by, reason=reason)
        if name == "approve":
            from .review import check_credit_at_approval  # review builds on this module

            check_credit_at_approval(order)
        apply_transition(order, name, by=by, reason=reason)
    return order


# --- payments ----------------------------------------------------------------------------

def order_record_payment(*, order_id: int, amount: Decimal, by: Any, reference: str = "") -> SalesOrder:
    """Record money received against an order (finance). It may not exceed what is owed."""
    if not by.has_perm("orders.invoice_order"):
        raise PermissionDenied(_("You are not allowed to record payments."))
    value = to_decimal(amount)
    if value is None or not value.is_finite() or value <= 0:
        raise ValidationFailed(errors={"amount": [_("The amount must be greater than zero.")]})
    value = quantize(value)
    with service_transaction():
        order = lock_visible_order(order_id, by)
        if not order.accepts_payments():
            raise TransitionNotAllowed(_("Payments cannot be recorded on a closed or cancelled order."))
        outstanding = order.total_amount - order.amount_paid
        if value > outstanding:
            raise ValidationFailed(errors={"amount": [
                _("Only %(amount)s is outstanding.") % {"amount": outstanding}]})
        order.amount_paid += value
        order.save(update_fields=["amount_paid", "updated_at"])
        # the customer now has a payment history (the credit check stops asking for prepayment)
        Customer.objects.filter(pk=order.customer_id, first_paid_on__isnull=True).update(
            first_paid_on=timezone.localdate())
        record_event(order, kind="payment", by=by, reason=reference,
                      payload={"amount": str(value), "outstanding": str(outstanding - value)})
    return order
