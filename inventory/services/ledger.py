"""The stock ledger. Every change of a stock level goes through `post`, which writes the
StockMove and updates the StockLevel (and, for physical moves, the StockQuant) in the
caller's transaction. Rows are locked in one order: order, its lines, then stock levels by
primary key (then the quants of a locked level)."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from oms.errors import ValidationFailed
from oms.money import plain
from oms.services import require_perm, service_transaction

from ..models import (
    QTY_DIGITS,
    QTY_PLACES,
    Batch,
    Location,
    MoveKind,
    Product,
    StockLevel,
    StockMove,
    StockQuant,
    Warehouse,
)


def check_quantity(value: Any, field: str, *, allow_zero: bool = False) -> Decimal:
    """A quantity from user input, or ValidationFailed naming `field`."""
    try:
        quantity = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed(errors={field: [_("Enter a number.")]}) from None
    if not quantity.is_finite() or quantity < 0 or (quantity == 0 and not allow_zero):
        raise ValidationFailed(errors={field: [_("Enter a quantity greater than zero.")]})
    if -quantity.as_tuple().exponent > QTY_PLACES or quantity >= Decimal(10) ** (QTY_DIGITS - QTY_PLACES):
        raise ValidationFailed(errors={field: [_("The quantity does not fit.")]})
    return quantity


def lock_level(product_id: int, warehouse_id: int) -> StockLevel:
    StockLevel.objects.get_or_create(product_id=product_id, warehouse_id=warehouse_id)
    return StockLevel.objects.select_for_update(no_key=True).get(product_id=product_id, warehouse_id=warehouse_id)


def lock_levels(product_ids) -> list[StockLevel]:
    """Lock every stock level of these products, by primary key. of=("self",): lock only
    the levels, not the joined warehouses, which other transactions read in another order."""
    return list(StockLevel.objects.select_for_update(of=("self",), no_key=True)
                .filter(product_id__in=sorted(set(product_ids))).select_related("warehouse").order_by("pk"))


def post(level: StockLevel, *, kind: str, by: Any, on_hand: Decimal = Decimal(0), reserved: Decimal = Decimal(0),
         in_transit: Decimal = Decimal(0), location: Location | None = None, batch: Batch | None = None,
         **fields: Any) -> StockMove:
    """Write one move and apply it to the locked level (and quant). The database refuses
    a level below zero or reserved above on hand, so a bug can never oversell; a total
    too large for its column is refused here as invalid input."""
    limit = Decimal(10) ** (QTY_DIGITS - QTY_PLACES)
    if max(level.on_hand + on_hand, level.reserved + reserved, level.in_transit + in_transit) >= limit:
        raise ValidationFailed(errors={"quantity": [_("The warehouse would hold more than can be recorded.")]})
    level.on_hand += on_hand
    level.reserved += reserved
    level.in_transit += in_transit
    level.save(update_fields=["on_hand", "reserved", "in_transit", "updated_at"])
    if on_hand and location is not None:
        quant, _created = StockQuant.objects.select_for_update(no_key=True).get_or_create(
            product_id=level.product_id, warehouse_id=level.warehouse_id, location=location, batch=batch)
        if quant.on_hand + on_hand >= limit:
            raise ValidationFailed(errors={"quantity": [_("The location would hold more than can be recorded.")]})
        quant.on_hand += on_hand
        quant.save(update_fields=["on_hand"])
    return StockMove.objects.create(
        kind=kind, product_id=level.product_id, warehouse_id=level.warehouse_id, location=location, batch=batch,
        on_hand_delta=on_hand, reserved_delta=reserved, in_transit_delta=in_transit,
        by=by if (by is not None and by.is_authenticated) else None, **fields)


def default_location(warehouse: Warehouse) -> Location:
    location, _created = Location.objects.get_or_create(warehouse=warehouse, code=Location.DEFAULT_CODE,
                                                        defaults={"name": "Receiving"})
    return location


def receipt_batch(product: Product, batch_code: str, expires_on: Any) -> Batch | None:
    """The batch a receipt goes into (created on first receipt); batch-tracked products
    must name one."""
    batch_code = (batch_code or "").strip()
    if isinstance(expires_on, str):
        try:
            expires_on = datetime.date.fromisoformat(expires_on.strip()) if expires_on.strip() else None
        except ValueError:
            raise ValidationFailed(errors={"expires_on": [_("Enter a date as YYYY-MM-DD.")]}) from None
    if product.batch_tracked and not batch_code:
        raise ValidationFailed(errors={"batch": [_("This product is batch tracked: name the batch.")]})
    if len(batch_code) > 64:
        raise ValidationFailed(errors={"batch": [_("At most 64 characters.")]})
    if not batch_code:
        return None
    batch, created = Batch.objects.get_or_create(product=product, code=batch_code,
                                                 defaults={"expires_on": expires_on,
                                                           "received_on": timezone.localdate()})
    if not created and expires_on and batch.expires_on != expires_on:
        raise ValidationFailed(errors={"expires_on": [
            _("Batch %(batch)s was received before with expiry %(expires)s.")
            % {"batch": batch.code, "expires": batch.expires_on.isoformat() if batch.expires_on else "—"}]})
    return batch


def check_receipt(quantity: Any, rejected: Any) -> tuple[Decimal, Decimal]:
    """(arrived, rejected at inspection) from input."""
    arrived = check_quantity(quantity, "quantity")
    refused = check_quantity(rejected or 0, "rejected", allow_zero=True)
    if refused > arrived:
        raise ValidationFailed(errors={"rejected": [_("More was rejected than arrived.")]})
    return arrived, refused


def check_location(location: Location | None, warehouse: Warehouse) -> None:
    if location is not None and location.warehouse_id != warehouse.pk:
        raise ValidationFailed(errors={"location": [_("The location is in another warehouse.")]})


def post_receipt(*, product: Product, warehouse: Warehouse, arrived: Decimal, refused: Decimal,
                 batch: Batch | None, location: Location | None, by: Any, **fields: Any) -> StockMove:
    """Receive checked input into the warehouse. Must run inside a transaction that holds
    no stock lock of a later primary key (it locks the level)."""
    level = lock_level(product.pk, warehouse.pk)
    return post(level, kind=MoveKind.RECEIPT, by=by, on_hand=arrived - refused,
                location=location or default_location(warehouse), batch=batch, rejected_quantity=refused, **fields)


def stock_receive(*, product: Product, warehouse: Warehouse, quantity: Any, by: Any = None,
                  location: Location | None = None, batch_code: str = "", expires_on: Any = None,
                  rejected: Any = 0, reference: str = "", source_type: str = "",
                  source_id: int | None = None) -> StockMove:
    """Receive goods into a warehouse location: `quantity` arrived, `rejected` of it failed
    inspection (recorded, not stocked). Batch-tracked products need a batch. `by=None` is
    the system (data loads); people need `inventory.receive_stock`. Waiting backorders
    of the product are then filled in priority order."""
    if by is not None:
        require_perm(by, "inventory.receive_stock", _("You are not allowed to receive stock."))
    arrived, refused = check_receipt(quantity, rejected)
    check_location(location, warehouse)
    with service_transaction():
        batch = receipt_batch(product, batch_code, expires_on)
        move = post_receipt(product=product, warehouse=warehouse, arrived=arrived, refused=refused, batch=batch,
                            location=location, by=by, reference=reference, source_type=source_type,
                            source_id=source_id)
    if move.on_hand_delta > 0:
        from .allocation import rebalance

        rebalance(product_ids=[product.pk], by=by)
    return move


def stock_adjust(*, product: Product, location: Location, delta: Any, reason: str, by: Any = None,
                 batch: Batch | None = None, reference: str = "ADJ", source_type: str = "",
                 source_id: int | None = None) -> StockMove:
    """Correct what a location holds (a count difference, damage), with a reason. Never
    below what is reserved in the warehouse."""
    if by is not None:
        require_perm(by, "inventory.adjust_stock", _("You are not allowed to adjust stock."))
    change = check_delta(delta)
    if not (reason or "").strip():
        raise ValidationFailed(errors={"reason": [_("Say why the stock is adjusted.")]})
    with service_transaction():
        level = lock_level(product.pk, location.warehouse_id)
        move = post_adjustment(level, location=location, batch=batch, change=change, reason=reason.strip(), by=by,
                               reference=reference, source_type=source_type, source_id=source_id)
    if change > 0:
        from .allocation import rebalance

        rebalance(product_ids=[product.pk], by=by)
    return move


def check_delta(delta: Any) -> Decimal:
    try:
        change = Decimal(str(delta).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed(errors={"delta": [_("Enter a number.")]}) from None
    if not change.is_finite() or change == 0:
        raise ValidationFailed(errors={"delta": [_("Enter the change, not zero.")]})
    if -change.as_tuple().exponent > QTY_PLACES or abs(change) >= Decimal(10) ** (QTY_DIGITS - QTY_PLACES):
        raise ValidationFailed(errors={"delta": [_("The quantity does not fit.")]})
    return change


def post_adjustment(level: StockLevel, *, location: Location, batch: Batch | None, change: Decimal, reason: str,
                    by: Any, **fields: Any) -> StockMove:
    """Apply a checked adjustment to a locked level. Must run inside a transaction."""
    quant = StockQuant.objects.filter(product_id=level.product_id, location=location, batch=batch).first()
    if change < 0 and (quant is None or quant.on_hand + change < 0):
        raise ValidationFailed(errors={"delta": [_("The location does not hold that much.")]})
    if level.on_hand + change < level.reserved:
        raise ValidationFailed(errors={"delta": [
            _("That would leave less than is reserved (%(reserved)s reserved in %(warehouse)s).")
            % {"reserved": plain(level.reserved), "warehouse": level.warehouse.code}]})
    return post(level, kind=MoveKind.ADJUST, by=by, on_hand=change, location=location, batch=batch, reason=reason,
                **fields)


def pick_order(quants: list[StockQuant]) -> list[StockQuant]:
    """First-expired, first-in: batches by expiry (none last), then receipt date; stock
    without a batch after batched stock, oldest quant first."""
    far = datetime.date.max
    return sorted(quants, key=lambda q: (q.batch is None, q.batch.expires_on or far if q.batch else far,
                                         q.batch.received_on if q.batch else far, q.pk))


def reserved_by_warehouse(line_ids: Any) -> dict[tuple[int, int], Decimal]:
    """What each sales order line holds reserved in each warehouse, from the ledger:
    {(line id, warehouse id): quantity}, only where it is more than zero. One query."""
    return {(row["source_id"], row["warehouse_id"]): row["reserved"] for row in
            StockMove.objects.filter(source_type="sales_order_line", source_id__in=list(line_ids))
            .values("source_id", "warehouse_id").annotate(reserved=Sum("reserved_delta")).filter(reserved__gt=0)}


def issue_for_line(line: Any, *, quantity: Decimal, by: Any, reference: str,
                   picks: list[tuple[Location | None, Batch | None, Decimal]] | None = None,
                   warehouse: Warehouse | None = None) -> list[StockMove]:
    """Take shipped goods out of stock for a sales order line: on hand and reserved both go
    down, from the warehouses the line's reservation is in (only `warehouse`, if given).
    `picks` names the batches, and the locations where known (what the packer verified); a
    pick without a location takes the batch from the locations that hold it, first in
    location order. Without picks, first-expired, first-in.

    Precondition: inside a transaction, with the order and `line` locked. Raises
    ValidationFailed if the line has less reserved or a location less on hand."""
    if quantity <= 0 or quantity > line.reserved_quantity:
        raise ValidationFailed(errors={"quantity": [_("Only what is reserved can be issued.")]})
    if picks is not None:
        if any(take <= 0 for _location, _batch, take in picks) or sum(
                (take for _location, _batch, take in picks), Decimal(0)) != quantity:
            raise ValidationFailed(errors={"picks": [_("The picked quantities must add up to what is issued.")]})
        if any(batch is not None and batch.product_id != line.product_id for _location, batch, _take in picks):
            raise ValidationFailed(errors={"batch": [_("A batch of another product was picked.")]})
    held = {warehouse_id: reserved for (_line, warehouse_id), reserved in reserved_by_warehouse([line.pk]).items()
            if warehouse is None or warehouse_id == warehouse.pk}
    levels = {level.warehouse_id: level for level in lock_levels([line.product_id]) if level.warehouse_id in held}
    quants = pick_order(list(StockQuant.objects.select_for_update(of=("self",), no_key=True)
                             .select_related("batch", "location")
                             .filter(product_id=line.product_id, warehouse_id__in=held, on_hand__gt=0)))
    if picks is None:
        picks, wanted, left = [], quantity, dict(held)
        today = timezone.localdate()
        for quant in quants:
            if quant.batch is not None and quant.batch.expires_on is not None and quant.batch.expires_on < today:
                continue  # expired stock is not shipped
            take = min(wanted, quant.on_hand, left[quant.warehouse_id])
            if take > 0:
                picks.append((quant.location, quant.batch, take))
                left[quant.warehouse_id] -= take
                wanted -= take
        if wanted > 0:
            raise ValidationFailed(errors={"quantity": [
                _("The reserved stock is not in any location (or only in expired batches).")]})
    else:
        picks = _locate_picks(picks, quants)
    moves = []
    for location, batch, take in picks:
        level = levels.get(location.warehouse_id)
        if level is None or held[location.warehouse_id] < take:
            raise ValidationFailed(errors={"location": [
                _("%(location)s is not where this line's stock is reserved.") % {"location": location}]})
        held[location.warehouse_id] -= take
        batch_id = batch.pk if batch else None
        quant = next((q for q in quants if q.location_id == location.pk and q.batch_id == batch_id), None)
        if quant is None or quant.on_hand < take:
            raise ValidationFailed(errors={"batch": [
                _("%(location)s does not hold %(quantity)s of batch %(batch)s.")
                % {"location": location, "quantity": plain(take), "batch": batch or "—"}]})
        quant.on_hand -= take
        moves.append(post(level, kind=MoveKind.ISSUE, by=by, on_hand=-take, reserved=-take, location=location,
                          batch=batch, reference=reference, source_type="sales_order_line", source_id=line.pk))
    line.reserved_quantity -= quantity
    line.shipped_quantity += quantity
    line.save(update_fields=["reserved_quantity", "shipped_quantity"])
    return moves


def _locate_picks(picks: list[tuple[Location | None, Batch | None, Decimal]],
                  quants: list[StockQuant]) -> list[tuple[Location, Batch | None, Decimal]]:
    """Give each pick without a location the locations holding its batch (in `quants`,
    locked, in pick order), splitting it where one location holds too little."""
    located: list[tuple[Location, Batch | None, Decimal]] = []
    free = {quant.pk: quant.on_hand for quant in quants}
    for location, batch, take in picks:
        if location is not None:
            located.append((location, batch, take))
            continue
        batch_id = batch.pk if batch else None
        for quant in quants:
            if take <= 0:
                break
            if quant.batch_id == batch_id and free[quant.pk] > 0:
                part = min(take, free[quant.pk])
                free[quant.pk] -= part
                take -= part
                located.append((quant.location, batch, part))
        if take > 0:
            raise ValidationFailed(errors={"batch": [
                _("The warehouse no longer holds %(quantity)s more of batch %(batch)s.")
                % {"quantity": plain(take), "batch": batch or "—"}]})
    return located


def ledger_differences() -> list[dict[str, Any]]:
    """Stored levels and quants that differ from the ledger rebuilt from scratch (empty
    when all agree): the check behind the rule that levels change only through moves."""
    zero = (Decimal(0), Decimal(0), Decimal(0))
    rebuilt = {(row["product_id"], row["warehouse_id"]): (row["on_hand"], row["reserved"], row["in_transit"])
               for row in StockMove.objects.values("product_id", "warehouse_id")
               .annotate(on_hand=Sum("on_hand_delta"), reserved=Sum("reserved_delta"),
                         in_transit=Sum("in_transit_delta"))}
    differences = []
    for level in StockLevel.objects.all():
        expected = rebuilt.pop((level.product_id, level.warehouse_id), zero)
        stored = (level.on_hand, level.reserved, level.in_transit)
        if stored != expected:
            differences.append({"level": level.pk, "stored": stored, "ledger": expected})
    differences += [{"level": None, "key": key, "ledger": value} for key, value in rebuilt.items() if value != zero]
    quants = {(row["product_id"], row["location_id"], row["batch_id"]): row["on_hand"]
              for row in StockMove.objects.exclude(location=None).values("product_id", "location_id", "batch_id")
              .annotate(on_hand=Sum("on_hand_delta"))}
    for quant in StockQuant.objects.all():
        expected = quants.pop((quant.product_id, quant.location_id, quant.batch_id), Decimal(0))
        if quant.on_hand != expected:
            differences.append({"quant": quant.pk, "stored": quant.on_hand, "ledger": expected})
    differences += [{"quant": None, "key": key, "ledger": value} for key, value in quants.items() if value]
    return differences
