"""Transfers between warehouses and cycle counts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from oms.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from oms.money import plain
from oms.services import require_perm, service_transaction

from ..models import (
    Batch,
    CountState,
    CycleCount,
    CycleCountLine,
    Location,
    MoveKind,
    Product,
    StockLevel,
    StockQuant,
    Transfer,
    TransferState,
    Warehouse,
)
from .allocation import rebalance
from .ledger import (
    check_location,
    check_quantity,
    default_location,
    lock_level,
    lock_levels,
    post,
    post_adjustment,
)
from .supply import document_number

# --- transfers -------------------------------------------------------------------------------

def transfer_send(*, product: Product, from_location: Location, to_warehouse: Warehouse, quantity: Any, by: Any,
                  batch: Batch | None = None, note: str = "") -> Transfer:
    """Send stock to another warehouse: it leaves the source location now (never below what
    is reserved there) and is in transit at the destination until received."""
    require_perm(by, "inventory.transfer_stock", _("You are not allowed to transfer stock."))
    quantity = check_quantity(quantity, "quantity")
    if to_warehouse.pk == from_location.warehouse_id:
        raise ValidationFailed(errors={"to_warehouse": [_("Choose another warehouse than the one it leaves.")]})
    if not to_warehouse.is_active:
        raise ValidationFailed(errors={"to_warehouse": [_("This warehouse is not active.")]})
    if batch is not None and batch.product_id != product.pk:
        raise ValidationFailed(errors={"batch": [_("The batch is of another product.")]})
    if product.batch_tracked and batch is None:
        raise ValidationFailed(errors={"batch": [_("This product is batch tracked: name the batch.")]})
    if len(note) > 250:
        raise ValidationFailed(errors={"note": [_("At most 250 characters.")]})
    with service_transaction():
        for warehouse_id in (from_location.warehouse_id, to_warehouse.pk):
            StockLevel.objects.get_or_create(product=product, warehouse_id=warehouse_id)
        levels = {level.warehouse_id: level for level in lock_levels([product.pk])}
        source, destination = levels[from_location.warehouse_id], levels[to_warehouse.pk]
        quant = StockQuant.objects.filter(product=product, location=from_location, batch=batch).first()
        if quant is None or quant.on_hand < quantity:
            raise ValidationFailed(errors={"quantity": [_("%(location)s holds only %(quantity)s.") % {
                "location": from_location, "quantity": plain(quant.on_hand if quant else Decimal(0))}]})
        if source.on_hand - quantity < source.reserved:
            raise ValidationFailed(errors={"quantity": [
                _("That would leave less than is reserved (%(reserved)s reserved in %(warehouse)s).")
                % {"reserved": plain(source.reserved), "warehouse": from_location.warehouse.code}]})
        transfer = Transfer.objects.create(number=document_number("TR"), product=product, batch=batch,
                                           quantity=quantity, from_location=from_location, to_warehouse=to_warehouse,
                                           note=note.strip(), sent_by=by)
        fields = {"reference": transfer.number, "source_type": "transfer", "source_id": transfer.pk}
        post(source, kind=MoveKind.TRANSFER_OUT, by=by, on_hand=-quantity, location=from_location, batch=batch,
             **fields)
        post(destination, kind=MoveKind.IN_TRANSIT, by=by, in_transit=quantity, **fields)
    return transfer


def transfer_receive(*, transfer_id: int, by: Any, location: Location | None = None) -> Transfer:
    """The transfer arrived: it leaves "in transit" and enters the destination location
    (receiving if none is named); waiting orders may then get it."""
    require_perm(by, "inventory.receive_stock", _("You are not allowed to receive stock."))
    with service_transaction():
        transfer = (Transfer.objects.select_for_update(of=("self",), no_key=True)
                    .select_related("product", "to_warehouse").filter(pk=transfer_id).first())
        if transfer is None:
            raise NotFound(_("Transfer not found."))
        if transfer.state != TransferState.IN_TRANSIT:
            raise Conflict(_("This transfer was already received."), code="transfer_received")
        check_location(location, transfer.to_warehouse)
        location = location or default_location(transfer.to_warehouse)
        level = lock_level(transfer.product_id, transfer.to_warehouse_id)
        post(level, kind=MoveKind.TRANSFER_IN, by=by, on_hand=transfer.quantity, in_transit=-transfer.quantity,
             location=location, batch=transfer.batch, reference=transfer.number, source_type="transfer",
             source_id=transfer.pk)
        transfer.state = TransferState.RECEIVED
        transfer.to_location = location
        transfer.received_by = by
        transfer.received_at = timezone.now()
        transfer.save()
    rebalance(product_ids=[transfer.product_id], by=by, reason=_("Transfer %(number)s received") % {
        "number": transfer.number})
    return transfer


# --- cycle counts ----------------------------------------------------------------------------

def count_create(*, location: Location, by: Any) -> CycleCount:
    """A count sheet for a location, listing what the ledger says it holds now."""
    require_perm(by, "inventory.count_stock", _("You are not allowed to count stock."))
    if not location.is_active:
        raise ValidationFailed(errors={"location": [_("This location is not active.")]})
    in_progress = Conflict(_("This location already has a count in progress."), code="count_in_progress")
    if CycleCount.objects.filter(location=location, state__in=[CountState.OPEN, CountState.COUNTED]).exists():
        raise in_progress
    try:
        with service_transaction():
            count = _create_count(location, by)
    except IntegrityError:  # created at the same time by someone else (one open count per location)
        raise in_progress from None
    return count


def _create_count(location: Location, by: Any) -> CycleCount:
    """The sheet and its lines. Must run inside a transaction."""
    count = CycleCount.objects.create(number=document_number("CC"), location=location, created_by=by)
    CycleCountLine.objects.bulk_create([
        CycleCountLine(count=count, product_id=quant.product_id, batch_id=quant.batch_id, expected=quant.on_hand)
        for quant in StockQuant.objects.filter(location=location, on_hand__gt=0).order_by("product_id", "pk")])
    return count


def _lock_count(count_id: int) -> CycleCount:
    count = CycleCount.objects.select_for_update(of=("self",), no_key=True).select_related("location__warehouse") \
        .filter(pk=count_id).first()
    if count is None:
        raise NotFound(_("Count not found."))
    return count


def count_enter(*, count_id: int, counted: dict[int, Any], by: Any,
                extra: list[dict] | None = None) -> CycleCount:
    """Enter the counted quantities ({line id: quantity}) — every line needs one — and any
    product found that the sheet did not list (`extra`: {product, batch, counted}).

    Each line's expected quantity becomes what the ledger says the location holds now,
    when it is counted: stock moved since the sheet was made is not counted as a
    difference, and what moves between counting and confirming stays as it was moved."""
    require_perm(by, "inventory.count_stock", _("You are not allowed to count stock."))
    with service_transaction():
        count = _lock_count(count_id)
        if count.state not in (CountState.OPEN, CountState.COUNTED):
            raise Conflict(_("This count is closed."), code="count_closed")
        lines = list(count.lines.all())
        errors: dict[str, list[str]] = {}
        for line in lines:
            value = counted.get(line.pk)
            if value is None or str(value).strip() == "":
                errors.setdefault(f"line_{line.pk}", []).append(_("Enter the counted quantity."))
                continue
            try:
                line.counted = check_quantity(value, f"line_{line.pk}", allow_zero=True)
            except ValidationFailed as exc:
                for name, messages in exc.errors.items():
                    errors.setdefault(name, []).extend(messages)
        new_lines = []
        for index, row in enumerate(extra or []):
            product, batch = row.get("product"), row.get("batch")
            if not isinstance(product, Product):
                errors.setdefault(f"extra.{index}.product", []).append(_("Choose a product."))
                continue
            if any(line.product_id == product.pk and line.batch_id == (batch.pk if batch else None)
                   for line in lines + new_lines):
                errors.setdefault(f"extra.{index}.product", []).append(_("Already on the sheet."))
                continue
            try:
                quantity = check_quantity(row.get("counted"), f"extra.{index}.counted", allow_zero=True)
            except ValidationFailed as exc:
                for name, messages in exc.errors.items():
                    errors.setdefault(name, []).extend(messages)
                continue
            new_lines.append(CycleCountLine(count=count, product=product, batch=batch, expected=0, counted=quantity))
        if errors:
            raise ValidationFailed(errors=errors)
        book = {(quant.product_id, quant.batch_id): quant.on_hand
                for quant in StockQuant.objects.filter(location=count.location)}
        for line in lines + new_lines:
            line.expected = book.get((line.product_id, line.batch_id), Decimal(0))
        CycleCountLine.objects.bulk_update(lines, ["counted", "expected"])
        CycleCountLine.objects.bulk_create(new_lines)
        count.state = CountState.COUNTED
        count.counted_by = by
        count.counted_at = timezone.now()
        count.save()
    return count


def count_confirm(*, count_id: int, by: Any) -> CycleCount:
    """A second person confirms a count: each difference (counted − expected) is posted as
    an adjustment of the location. Refused for the person who counted, and when a shortage
    would leave less than is reserved (release or move reservations first)."""
    require_perm(by, "inventory.confirm_count", _("You are not allowed to confirm counts."))
    with service_transaction():
        count = _lock_count(count_id)
        if count.state != CountState.COUNTED:
            raise Conflict(_("Only a counted sheet can be confirmed."), code="count_not_counted")
        if count.counted_by_id == by.pk:
            raise PermissionDenied(_("A second person must confirm the count."), code="second_person_required")
        lines = [line for line in count.lines.select_related("product", "batch") if line.difference]
        levels = {level.product_id: level for level in lock_levels({line.product_id for line in lines})
                  if level.warehouse_id == count.location.warehouse_id}
        reason = _("Cycle count %(number)s") % {"number": count.number}
        errors: dict[str, list[str]] = {}
        increased = []
        for line in sorted(lines, key=lambda ln: (ln.product_id, ln.pk)):
            level = levels.get(line.product_id) or lock_level(line.product_id, count.location.warehouse_id)
            try:
                post_adjustment(level, location=count.location, batch=line.batch, change=line.difference,
                                reason=reason, by=by, reference=count.number, source_type="cycle_count",
                                source_id=count.pk)
            except ValidationFailed as exc:
                errors.setdefault(line.product.sku, []).extend(exc.errors.get("delta", []))
            if line.difference > 0:
                increased.append(line.product_id)
        if errors:
            raise ValidationFailed(_("Some differences cannot be posted."), errors=errors)
        count.state = CountState.CONFIRMED
        count.confirmed_by = by
        count.confirmed_at = timezone.now()
        count.save()
    if increased:
        rebalance(product_ids=increased, by=by, reason=reason)
    return count


def count_cancel(*, count_id: int, by: Any) -> CycleCount:
    require_perm(by, "inventory.count_stock", _("You are not allowed to count stock."))
    with service_transaction():
        count = _lock_count(count_id)
        if count.state not in (CountState.OPEN, CountState.COUNTED):
            raise Conflict(_("This count is closed."), code="count_closed")
        count.state = CountState.CANCELLED
        count.save(update_fields=["state"])
    return count
