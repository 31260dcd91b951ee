"""Order intake (DESIGN.md §2 stage 3): orders from every channel, their revision after a
rejection, written confirmation of verbal orders and its reminders, and CSV uploads."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Address, Contact, Customer
from customers.selectors import customers_visible_to
from inventory.models import Product
from oms.errors import ApplicationError, Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed
from oms.money import PaymentTerms
from oms.services import service_transaction

from ..models import AttachmentKind, Channel, OrderState, SalesOrder, SalesOrderLine
from ..selectors import agreed_prices, known_as_prefetched
from .attachments import attachment_store, sniff_upload
from .core import (
    LineInput,
    apply_transition,
    check_may_create_orders,
    check_transition,
    insert_order,
    lock_visible_order,
    order_header_errors,
    record_event,
    validate_lines,
)

#: Channels whose order arrives as a document that is scanned and attached.
DOCUMENT_CHANNELS = (Channel.EMAIL, Channel.FAX)
#: Days a verbal order's written confirmation is due in, unless a date is given.
DEFAULT_CONFIRMATION_DAYS = 2
#: States an order can be revised in by sales or the order desk (lines and header).
EDITABLE_STATES = (OrderState.INQUIRY, OrderState.REJECTED)


def _channel_errors(channel: str, *, document: Any, confirmation_due: datetime.date | None,
                    errors: dict[str, list[str]]) -> None:
    if channel in DOCUMENT_CHANNELS and document is None:
        errors.setdefault("document", []).append(_("Attach the scanned order document."))
    if confirmation_due is not None:
        if channel != Channel.PHONE:
            errors.setdefault("confirmation_due", []).append(
                _("Only verbal (phone) orders wait for a written confirmation."))
        elif confirmation_due < timezone.localdate():
            errors.setdefault("confirmation_due", []).append(_("The due date is in the past."))


def _missing_on_submit(customer: Customer, *, contact: Contact | None, delivery_address: Address | None,
                       requested_date: datetime.date | None, payment_terms: str | None,
                       lines: list[LineInput]) -> list[str]:
    """What the completeness check of `submit` (SalesOrder.missing_for_submission) will find
    missing once `insert_order` has filled in the customer's defaults: computed up front, so
    that an order with other errors too reports all of them at once."""
    missing = []
    if contact is None and not customer.contacts.filter(is_primary=True).exists():
        missing.append("contact")
    if not lines:
        missing.append("lines")
    if delivery_address is None and not customer.addresses.filter(is_default_shipping=True).exists():
        missing.append("delivery_address")
    if requested_date is None:
        missing.append("requested_date")
    if not (payment_terms or customer.payment_terms):
        missing.append("payment_terms")
    return missing


#: The longest `external_ref` (SalesOrder.external_ref).
EXTERNAL_REF_MAX_LENGTH = SalesOrder._meta.get_field("external_ref").max_length


def _check_external_ref_unused(customer: Customer, channel: str, external_ref: str) -> None:
    """409 `duplicate_external_ref` when the customer has an order from `channel` with this
    reference, naming it (`existing_order`, `existing_number`)."""
    if not external_ref or len(external_ref) > EXTERNAL_REF_MAX_LENGTH:
        return
    existing = SalesOrder.objects.filter(customer=customer, channel=channel, external_ref=external_ref) \
        .values("pk", "number").first()
    if existing is not None:
        raise Conflict(_("Order %(number)s already carries this external reference for the customer and channel.")
                       % {"number": existing["number"]}, code="duplicate_external_ref",
                       extra={"existing_order": existing["pk"], "existing_number": existing["number"]})


@contextmanager
def _refusing_duplicate_external_ref(customer: Customer, channel: str, external_ref: str) -> Iterator[None]:
    """Around the transaction that saves an order: losing the race against a concurrent
    create with the same reference (the unique constraint) is the same 409 as the check."""
    try:
        yield
    except IntegrityError:
        _check_external_ref_unused(customer, channel, external_ref)
        raise


def order_create(*, by: Any, customer: Customer, lines: list[LineInput], channel: str = Channel.SALES,
                 requested_date: datetime.date | None = None, delivery_address: Address | None = None,
                 contact: Contact | None = None, payment_terms: str | None = None, currency: str | None = None,
                 customer_reference: str = "", notes: str = "", submit: bool = False, document: Any = None,
                 confirmation_due: datetime.date | None = None, external_ref: str = "") -> SalesOrder:
    """Create an order in `inquiry` (a draft), or — with `submit=True`, for orders that arrive
    already agreed (order desk, API, e-shop, CSV, repeat orders) — straight to `submitted`,
    which starts the automatic checks after the commit.

    Per channel: e-mail and fax orders carry the scanned `document` (PDF or image); phone
    orders wait for a written confirmation due on `confirmation_due` (default: in two
    days). Lines without a unit price get the customer's contract price, else the list
    price. Every problem is reported at once (400, or 409 with the missing fields when
    the order is incomplete for submission); nothing is written when anything is wrong.

    `external_ref` is the sending system's id for the order: a second order with the same
    one for the customer and channel is refused (409 `duplicate_external_ref`, naming the
    existing order), so a sender that lost track of what it sent cannot create it twice.
    """
    check_may_create_orders(by, customer)
    external_ref = external_ref.strip()
    _check_external_ref_unused(customer, channel, external_ref)
    errors = order_header_errors(customer, delivery_address=delivery_address, contact=contact,
                                 requested_date=requested_date, channel=channel,
                                 customer_reference=customer_reference)
    if payment_terms and payment_terms not in PaymentTerms.values:
        errors.setdefault("payment_terms", []).append(_("Unknown payment terms."))
    if len(external_ref) > EXTERNAL_REF_MAX_LENGTH:
        errors.setdefault("external_ref", []).append(
            _("At most %(max)d characters.") % {"max": EXTERNAL_REF_MAX_LENGTH})
    _channel_errors(channel, document=document, confirmation_due=confirmation_due, errors=errors)
    prices = agreed_prices(customer.pk, [line.product.pk for line in lines], currency=currency or customer.currency)
    line_rows = validate_lines(lines, errors, agreed_prices=prices)
    if submit and errors:
        for name in _missing_on_submit(customer, contact=contact, delivery_address=delivery_address,
                                       requested_date=requested_date, payment_terms=payment_terms, lines=lines):
            errors.setdefault(name, []).append(_("This is required before the order can be submitted."))
    scan = sniff_upload(document, field="document") if document is not None and not errors else None
    if errors:
        raise ValidationFailed(errors=errors)
    if channel == Channel.PHONE and confirmation_due is None:
        confirmation_due = timezone.localdate() + datetime.timedelta(days=DEFAULT_CONFIRMATION_DAYS)

    with _refusing_duplicate_external_ref(customer, channel, external_ref), service_transaction():
        order = insert_order(
            by=by, customer=customer, channel=channel, requested_date=requested_date,
            delivery_address=delivery_address, contact=contact, payment_terms=payment_terms, currency=currency,
            customer_reference=customer_reference, notes=notes,
            total=sum((row.line_total for row in line_rows), Decimal(0)), confirmation_due=confirmation_due,
        )
        if external_ref:
            order.external_ref = external_ref
            order.save(update_fields=["external_ref"])
        for row in line_rows:
            row.order = order
        SalesOrderLine.objects.bulk_create(line_rows)
        agreed = {row.product.sku for row, line in zip(line_rows, lines, strict=True)
                  if line.unit_price is None and row.product_id in prices}
        events = [record_event(order, kind="created", by=by, to_state=order.state,
                               payload={"channel": channel, "lines": len(line_rows),
                                        "agreed_prices": sorted(agreed)})]
        if scan is not None:
            content, content_type = scan
            attachment = attachment_store(order=order, kind=AttachmentKind.ORDER_DOCUMENT, content=content,
                                          content_type=content_type, filename=getattr(document, "name", "") or "",
                                          by=by)
            events.append(record_event(order, kind="attachment", by=by, from_state=order.state,
                                       to_state=order.state,
                                       payload={"attachment_id": attachment.pk, "attachment_kind": attachment.kind}))
        if submit:
            with _lines_known(order, line_rows):
                check_transition(order, "submit", by=by, reason="")
                events.append(apply_transition(order, "submit", by=by, reason=""))
    order.written = CreatedOrder(lines=line_rows, events=events)
    return order


@dataclass(frozen=True)
class CreatedOrder:
    """What `order_create` wrote besides the order, kept on it as `order.written`: the API
    answers the create from it (`orders.selectors.as_just_created`) instead of reading
    the order back."""

    lines: list[SalesOrderLine]
    events: list[Any]


@contextmanager
def _lines_known(order: SalesOrder, rows: list[SalesOrderLine]) -> Iterator[None]:
    """While inside, `order.lines.all()` gives the lines just written, as if prefetched: the
    submit conditions (`has_lines`, checked by `check_transition` and again by the FSM)
    then cost no query, and an order create the same queries whatever its lines. Callers
    afterwards read the lines afresh."""
    known_as_prefetched(order, "lines", rows)
    try:
        yield
    finally:
        order._prefetched_objects_cache.pop("lines", None)


_UNSET: Any = object()


def order_update(*, order_id: int, by: Any, lines: list[LineInput] | None = None,
                 requested_date: Any = _UNSET, delivery_address: Any = _UNSET, contact: Any = _UNSET,
                 payment_terms: str | None = None, customer_reference: str | None = None,
                 notes: str | None = None) -> SalesOrder:
    """Revise an order that is a draft or was rejected back to sales: the given header
    fields and, with `lines`, all its lines. Resubmitting runs the checks again."""
    if not by.has_perm("orders.change_salesorder"):
        raise PermissionDenied(_("You are not allowed to change orders."))
    with service_transaction():
        order = lock_visible_order(order_id, by)
        if order.state not in EDITABLE_STATES:
            raise TransitionNotAllowed(_("Only a draft or a rejected order can be changed."),
                                       code="order_not_editable", extra={"state": order.state})
        customer = order.customer
        errors = order_header_errors(
            customer, delivery_address=None if delivery_address is _UNSET else delivery_address,
            contact=None if contact is _UNSET else contact,
            requested_date=None if requested_date is _UNSET else requested_date, channel=order.channel,
            customer_reference=customer_reference or "")
        if payment_terms is not None and payment_terms not in PaymentTerms.values:
            errors.setdefault("payment_terms", []).append(_("Unknown payment terms."))
        rows = None
        if lines is not None:
            if not lines:
                errors.setdefault("lines", []).append(_("An order needs at least one line."))
            prices = agreed_prices(customer.pk, [line.product.pk for line in lines], currency=order.currency)
            rows = validate_lines(lines, errors, agreed_prices=prices)
        if errors:
            raise ValidationFailed(errors=errors)
        changed = []
        for name, value in (("requested_date", requested_date), ("delivery_address", delivery_address),
                            ("contact", contact)):
            if value is not _UNSET and getattr(order, name) != value:
                setattr(order, name, value)
                changed.append(name)
        for name, value in (("payment_terms", payment_terms), ("customer_reference", customer_reference),
                            ("notes", notes)):
            if value is not None and getattr(order, name) != value.strip():
                setattr(order, name, value.strip())
                changed.append(name)
        if rows is not None:
            order.lines.all().delete()
            for row in rows:
                row.order = order
            SalesOrderLine.objects.bulk_create(rows)
            order.total_amount = sum((row.line_total for row in rows), Decimal(0))
            changed.append("lines")
        if changed:
            order.refresh_priority()
            order.save()
            record_event(order, kind="order_updated", by=by, from_state=order.state, to_state=order.state,
                         payload={"changed": changed})
    return order


def order_confirm_in_writing(*, order_id: int, by: Any, upload: Any) -> SalesOrder:
    """Attach the customer's written confirmation of a verbal order; from then on it may
    leave the warehouse."""
    if not by.has_perm("orders.change_salesorder"):
        raise PermissionDenied(_("You are not allowed to change orders."))
    content, content_type = sniff_upload(upload, field="document")
    with service_transaction():
        order = lock_visible_order(order_id, by)
        if not order.awaiting_confirmation:
            raise TransitionNotAllowed(_("This order is not waiting for a written confirmation."),
                                       code="not_awaiting_confirmation")
        if order.state == OrderState.CANCELLED:
            raise TransitionNotAllowed(_("The order is cancelled."), extra={"state": order.state})
        attachment = attachment_store(order=order, kind=AttachmentKind.CONFIRMATION, content=content,
                                      content_type=content_type, filename=getattr(upload, "name", "") or "", by=by)
        order.confirmed_at = timezone.now()
        order.save(update_fields=["confirmed_at", "updated_at"])
        record_event(order, kind="confirmed_in_writing", by=by, from_state=order.state, to_state=order.state,
                     payload={"attachment_id": attachment.pk})
    return order


def verbal_orders_remind(*, today: datetime.date | None = None) -> dict[str, int]:
    """E-mail the order desk about verbal orders whose written confirmation is due by
    tomorrow, and again once it is overdue: each reminder once per order."""
    today = today or timezone.localdate()
    waiting = SalesOrder.objects.filter(confirmation_due__isnull=False, confirmed_at__isnull=True).exclude(
        state__in=[OrderState.CANCELLED, OrderState.CLOSED])
    due = list(waiting.filter(confirmation_due__gte=today, confirmation_due__lte=today + datetime.timedelta(days=1),
                              confirmation_reminder="").select_related("customer"))
    overdue = list(waiting.filter(confirmation_due__lt=today).exclude(confirmation_reminder="overdue")
                   .select_related("customer"))
    sent = {"due": 0, "overdue": 0}
    for kind, orders in (("due", due), ("overdue", overdue)):
        for order in orders:
            claimed = SalesOrder.objects.filter(pk=order.pk, confirmation_reminder=order.confirmation_reminder) \
                .update(confirmation_reminder=kind)
            if claimed:
                transaction.on_commit(lambda o=order, k=kind: _remind_order_desk(o, k), robust=True)
                sent[kind] += 1
    return sent


def _remind_order_desk(order: SalesOrder, kind: str) -> None:
    recipients = list(get_user_model().objects.filter(groups__name="order_desk", is_active=True)
                      .exclude(email="").values_list("email", flat=True))
    if not recipients:
        return
    values = {"number": order.number, "customer": order.customer.name, "due": order.confirmation_due.isoformat()}
    if kind == "due":
        subject = _("Written confirmation of %(number)s due on %(due)s") % values
    else:
        subject = _("Written confirmation of %(number)s overdue since %(due)s") % values
    body = _("The verbal order %(number)s of %(customer)s cannot ship until its written confirmation is "
             "attached (due %(due)s).") % values
    EmailMessage(subject, body, to=recipients).send()


# --- CSV upload ------------------------------------------------------------------------------

CSV_COLUMNS = ["customer_code", "customer_reference", "requested_date", "sku", "quantity", "unit_price",
               "discount_percent"]
CSV_REQUIRED = ["customer_code", "customer_reference", "requested_date", "sku", "quantity"]
CSV_MAX_ROWS = 5000


@dataclass
class RowError:
    row: int  # the line number in the file (the header is line 1)
    field: str
    message: str


@dataclass
class ImportReport:
    created: list[SalesOrder] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0


def _parse_rows(text: str, report: ImportReport) -> list[tuple[int, dict[str, str]]]:
    try:
        return _read_rows(text, report)
    except csv.Error as exc:  # e.g. a field over the csv module's size limit
        raise ValidationFailed(errors={"file": [_("The file is not valid CSV: %(error)s") % {"error": exc}]}) from None


def _read_rows(text: str, report: ImportReport) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in CSV_REQUIRED if name not in header]
    if missing:
        raise ValidationFailed(errors={"file": [
            _("The header must name the columns %(columns)s; missing: %(missing)s.")
            % {"columns": ", ".join(CSV_COLUMNS), "missing": ", ".join(missing)}]}, code="csv_header")
    reader.fieldnames = header
    rows = []
    for index, row in enumerate(reader, start=2):
        if index - 1 > CSV_MAX_ROWS:
            raise ValidationFailed(errors={"file": [_("At most %(max)s rows per file.") % {"max": CSV_MAX_ROWS}]})
        values = {key: (value or "").strip() for key, value in row.items() if key}
        if any(values.values()):
            rows.append((index, values))
    report.rows = len(rows)
    return rows


def orders_import_csv(*, by: Any, upload: Any) -> ImportReport:
    """Create orders from a CSV file (channel `csv`), one order per customer code and
    customer reference, each submitted for review. An order with any bad row is not
    created at all; every bad row is reported with its line number and the reason, and
    the orders whose rows are all good are created (each in its own transaction)."""
    if not by.has_perm("orders.add_salesorder"):
        raise PermissionDenied(_("You are not allowed to create orders."))
    if upload is None:
        raise ValidationFailed(errors={"file": [_("Please choose a file.")]})
    raw = upload.read(5 * 1024 * 1024 + 1)
    if len(raw) > 5 * 1024 * 1024:
        raise ValidationFailed(errors={"file": [_("The file is too large (at most 5 MB).")]})
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(errors={"file": [_("The file must be UTF-8 encoded CSV.")]}) from None
    report = ImportReport()
    rows = _parse_rows(text, report)
    if not rows:
        raise ValidationFailed(errors={"file": [_("The file has no order rows.")]})

    customers = {c.code: c for c in customers_visible_to(by).filter(
        code__in={values.get("customer_code", "") for _row, values in rows})}
    wanted = {values.get("sku", "").lower() for _row, values in rows}
    products = {p.sku.lower(): p for p in Product.objects.annotate(sku_lower=Lower("sku")).filter(
        sku_lower__in=wanted)}
    groups: dict[tuple[str, str], list[tuple[int, dict[str, str]]]] = {}
    for row, values in rows:
        groups.setdefault((values.get("customer_code", ""), values.get("customer_reference", "")), []).append(
            (row, values))

    for (code, reference), group in groups.items():
        errors: list[RowError] = []
        lines: list[LineInput] = []
        requested = None
        for row, values in group:
            row_errors, line, date = _check_row(row, values, customers, products)
            errors.extend(row_errors)
            if line is not None:
                lines.append(line)
            if date is not None:
                if requested is not None and date != requested:
                    errors.append(RowError(row, "requested_date",
                                           _("All rows of one order need the same requested date.")))
                requested = requested or date
        if not errors:
            try:
                report.created.append(order_create(
                    by=by, customer=customers[code], lines=lines, channel=Channel.CSV, requested_date=requested,
                    customer_reference=reference, submit=True))
                continue
            except ApplicationError as exc:
                first = group[0][0]
                messages = [f"{name}: {' '.join(msgs)}" for name, msgs in exc.errors.items()] or [exc.message]
                errors.extend(RowError(first, "order", message) for message in messages)
        report.errors.extend(errors)
        rows_with_errors = {error.row for error in errors}
        report.errors.extend(
            RowError(row, "order", _("Not created: another row of order %(reference)s has errors.")
                     % {"reference": reference or code})
            for row, _values in group if row not in rows_with_errors)
    report.errors.sort(key=lambda error: (error.row, error.field))
    return report


def _check_row(row: int, values: dict[str, str], customers: dict[str, Customer],
               products: dict[str, Product]) -> tuple[list[RowError], LineInput | None, datetime.date | None]:
    errors = [RowError(row, name, _("This column is required.")) for name in CSV_REQUIRED if not values.get(name)]
    code, sku = values.get("customer_code", ""), values.get("sku", "")
    if code and code not in customers:
        errors.append(RowError(row, "customer_code", _("Unknown customer code %(code)s.") % {"code": code}))
    product = products.get(sku.lower()) if sku else None
    if sku and product is None:
        errors.append(RowError(row, "sku", _("Unknown SKU %(sku)s.") % {"sku": sku}))
    date = None
    if values.get("requested_date"):
        try:
            date = datetime.date.fromisoformat(values["requested_date"])
        except ValueError:
            errors.append(RowError(row, "requested_date", _("Write the date as YYYY-MM-DD.")))
    numbers = {}
    for name in ("quantity", "unit_price", "discount_percent"):
        if values.get(name):
            try:
                numbers[name] = Decimal(values[name].replace(",", ""))
            except ArithmeticError:
                errors.append(RowError(row, name, _("Not a number.")))
    if "quantity" in numbers and not (numbers["quantity"].is_finite() and numbers["quantity"] > 0):
        errors.append(RowError(row, "quantity", _("Quantity must be greater than zero.")))
    if "unit_price" in numbers and not (numbers["unit_price"].is_finite() and numbers["unit_price"] >= 0):
        errors.append(RowError(row, "unit_price", _("Unit price cannot be negative.")))
    if "discount_percent" in numbers and not (numbers["discount_percent"].is_finite()
                                              and 0 <= numbers["discount_percent"] <= 100):
        errors.append(RowError(row, "discount_percent", _("Discount must be between 0 and 100.")))
    if errors or product is None:
        return errors, None, date
    return errors, LineInput(product=product, quantity=numbers["quantity"], unit_price=numbers.get("unit_price"),
                             discount_percent=numbers.get("discount_percent", Decimal(0))), date
