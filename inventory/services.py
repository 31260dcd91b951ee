from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from oms.errors import ValidationFailed
from oms.services import require_perm, save_validated

from .models import (
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


def product_create(*, by: Any, **fields: Any) -> Product:
    require_perm(by, "inventory.add_product", _("You are not allowed to create products."))
    with transaction.atomic(durable=True):
        return save_validated(Product(), **fields)


def product_update(*, product: Product, by: Any, **fields: Any) -> Product:
    require_perm(by, "inventory.change_product", _("You are not allowed to change products."))
    with transaction.atomic(durable=True):
        return save_validated(product, **fields)


# --- the stock ledger ------------------------------------------------------------------------
# Every change of a stock level goes through `_post`, which writes the StockMove and updates
# the StockLevel (and, for physical moves, the StockQuant) in the caller's transaction. Rows
# are locked in one order: order, its lines, then stock levels by primary key.


def _check_quantity(value: Any, field: str, *, allow_zero: bool = False) -> Decimal:
    try:
        quantity = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(errors={field: [_("Enter a number.")]}) from None
    if not quantity.is_finite() or quantity < 0 or (quantity == 0 and not allow_zero):
        raise ValidationFailed(errors={field: [_("Enter a quantity greater than zero.")]})
    if -quantity.as_tuple().exponent > QTY_PLACES or quantity >= Decimal(10) ** (QTY_DIGITS - QTY_PLACES):
        raise ValidationFailed(errors={field: [_("The quantity does not fit.")]})
    return quantity


def _lock_level(product_id: int, warehouse_id: int) -> StockLevel:
    StockLevel.objects.get_or_create(product_id=product_id, warehouse_id=warehouse_id)
    return StockLevel.objects.select_for_update().get(product_id=product_id, warehouse_id=warehouse_id)


def _post(level: StockLevel, *, kind: str, by: Any, on_hand: Decimal = Decimal(0), reserved: Decimal = Decimal(0),
          location: Location | None = None, batch: Batch | None = None, **fields: Any) -> StockMove:
    """Write one move and apply it to the locked level (and quant). The database refuses
    a level below zero or reserved above on hand, so a bug can never oversell."""
    level.on_hand += on_hand
    level.reserved += reserved
    level.save(update_fields=["on_hand", "reserved", "updated_at"])
    if on_hand and location is not None:
        quant, _created = StockQuant.objects.select_for_update().get_or_create(
            product_id=level.product_id, warehouse_id=level.warehouse_id, location=location, batch=batch)
        quant.on_hand += on_hand
        quant.save(update_fields=["on_hand"])
    return StockMove.objects.create(
        kind=kind, product_id=level.product_id, warehouse_id=level.warehouse_id, location=location, batch=batch,
        on_hand_delta=on_hand, reserved_delta=reserved, by=by if (by is not None and by.is_authenticated) else None,
        **fields)


def default_location(warehouse: Warehouse) -> Location:
    location, _created = Location.objects.get_or_create(warehouse=warehouse, code=Location.DEFAULT_CODE,
                                                        defaults={"name": "Receiving"})
    return location


def stock_receive(*, product: Product, warehouse: Warehouse, quantity: Any, by: Any = None,
                  location: Location | None = None, batch_code: str = "", expires_on: Any = None,
                  rejected: Any = 0, reference: str = "", source_type: str = "",
                  source_id: int | None = None) -> StockMove:
    """Receive goods into a warehouse location: `quantity` arrived, `rejected` of it failed
    inspection (recorded, not stocked). Batch-tracked products need a batch. `by=None` is
    the system (data loads); people need `inventory.receive_stock`."""
    if by is not None:
        require_perm(by, "inventory.receive_stock", _("You are not allowed to receive stock."))
    arrived = _check_quantity(quantity, "quantity")
    refused = _check_quantity(rejected or 0, "rejected", allow_zero=True)
    if refused > arrived:
        raise ValidationFailed(errors={"rejected": [_("More was rejected than arrived.")]})
    batch_code = (batch_code or "").strip()
    if product.batch_tracked and not batch_code:
        raise ValidationFailed(errors={"batch": [_("This product is batch tracked: name the batch.")]})
    if location is not None and location.warehouse_id != warehouse.pk:
        raise ValidationFailed(errors={"location": [_("The location is in another warehouse.")]})
    with transaction.atomic(durable=True):
        batch = None
        if batch_code:
            batch, _created = Batch.objects.get_or_create(
                product=product, code=batch_code,
                defaults={"expires_on": expires_on, "received_on": timezone.localdate()})
        level = _lock_level(product.pk, warehouse.pk)
        return _post(level, kind=MoveKind.RECEIPT, by=by, on_hand=arrived - refused,
                     location=location or default_location(warehouse), batch=batch, rejected_quantity=refused,
                     reference=reference, source_type=source_type, source_id=source_id)


def stock_adjust(*, product: Product, location: Location, delta: Any, reason: str, by: Any = None,
                 batch: Batch | None = None) -> StockMove:
    """Correct what a location holds (a count difference, damage), with a reason. Never
    below what is reserved in the warehouse."""
    if by is not None:
        require_perm(by, "inventory.adjust_stock", _("You are not allowed to adjust stock."))
    try:
        change = Decimal(str(delta))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(errors={"delta": [_("Enter a number.")]}) from None
    if not change.is_finite() or change == 0:
        raise ValidationFailed(errors={"delta": [_("Enter the change, not zero.")]})
    if not (reason or "").strip():
        raise ValidationFailed(errors={"reason": [_("Say why the stock is adjusted.")]})
    with transaction.atomic(durable=True):
        level = _lock_level(product.pk, location.warehouse_id)
        quant = StockQuant.objects.filter(product=product, location=location, batch=batch).first()
        if change < 0 and (quant is None or quant.on_hand + change < 0):
            raise ValidationFailed(errors={"delta": [_("The location does not hold that much.")]})
        if level.on_hand + change < level.reserved:
            raise ValidationFailed(errors={"delta": [_("That would leave less than is reserved.")]})
        return _post(level, kind=MoveKind.ADJUST, by=by, on_hand=change, location=location, batch=batch,
                     reason=reason.strip(), reference="ADJ")


#: How reservations pick warehouses (documented in the README): first the warehouses that
#: serve the delivery address's region, then the one with the most available stock, then
#: by code. Change the order by editing a warehouse's "regions served".
def _warehouse_preference(level: StockLevel, region: str) -> tuple:
    return (0 if level.warehouse.serves(region) else 1, -(level.on_hand - level.reserved), level.warehouse.code)


def reserve_for_order(order: Any, *, by: Any) -> dict[str, Decimal]:
    """Reserve available stock for every line of `order` that is not fully reserved,
    across warehouses by preference; what stock cannot cover becomes the line's backorder.

    Precondition: inside the caller's transaction, with `order` locked. Locks the order's
    lines, then every stock level of their products, by primary key, so concurrent
    reservations queue instead of deadlocking; computes everything, then writes.
    Returns totals {"reserved": …, "backordered": …}."""
    # of=("self",): lock only these rows, not the joined products and warehouses, which
    # other orders' reservations read in another order
    lines = list(order.lines.select_for_update(of=("self",)).select_related("product").order_by("line_no"))
    product_ids = sorted({line.product_id for line in lines})
    levels = list(StockLevel.objects.select_for_update(of=("self",)).filter(product_id__in=product_ids)
                  .select_related("warehouse").order_by("pk"))
    region = order.delivery_address.region if order.delivery_address_id else ""
    by_product: dict[int, list[StockLevel]] = {}
    for level in levels:
        if level.warehouse.is_active:
            by_product.setdefault(level.product_id, []).append(level)
    plan: list[tuple[Any, StockLevel, Decimal]] = []
    available = {level.pk: level.on_hand - level.reserved for level in levels}
    totals = {"reserved": Decimal(0), "backordered": Decimal(0)}
    for line in lines:
        wanted = line.quantity - line.reserved_quantity
        for level in sorted(by_product.get(line.product_id, []), key=lambda lv: _warehouse_preference(lv, region)):
            if wanted <= 0:
                break
            take = min(wanted, available[level.pk])
            if take > 0:
                available[level.pk] -= take
                plan.append((line, level, take))
                wanted -= take
        line.backorder_quantity = max(wanted, Decimal(0))
        totals["backordered"] += line.backorder_quantity
    for line, level, take in plan:
        _post(level, kind=MoveKind.RESERVE, by=by, reserved=take, reference=order.number,
              source_type="sales_order_line", source_id=line.pk)
        line.reserved_quantity += take
        totals["reserved"] += take
    if lines:
        type(lines[0]).objects.bulk_update(lines, ["reserved_quantity", "backorder_quantity"])
    return totals


def release_for_order(order: Any, *, by: Any, reason: str = "") -> Decimal:
    """Give back everything reserved for `order` (cancellation). Same preconditions and
    lock order as `reserve_for_order`."""
    lines = list(order.lines.select_for_update().order_by("line_no"))
    held = (StockMove.objects.filter(source_type="sales_order_line", source_id__in=[line.pk for line in lines])
            .values("source_id", "product_id", "warehouse_id").annotate(reserved=Sum("reserved_delta"))
            .filter(reserved__gt=0))
    held = list(held)
    levels = {(level.product_id, level.warehouse_id): level for level in StockLevel.objects.select_for_update().filter(
        product_id__in={row["product_id"] for row in held}).order_by("pk")}
    released = Decimal(0)
    for row in held:
        level = levels[(row["product_id"], row["warehouse_id"])]
        _post(level, kind=MoveKind.RELEASE, by=by, reserved=-row["reserved"], reference=order.number,
              source_type="sales_order_line", source_id=row["source_id"], reason=reason)
        released += row["reserved"]
    for line in lines:
        line.reserved_quantity = Decimal(0)
        line.backorder_quantity = Decimal(0)
    if lines:
        type(lines[0]).objects.bulk_update(lines, ["reserved_quantity", "backorder_quantity"])
    return released


def ledger_differences() -> list[dict[str, Any]]:
    """Stored levels and quants that differ from the ledger rebuilt from scratch (empty
    when all agree): the check behind the rule that levels change only through moves."""
    rebuilt = {(row["product_id"], row["warehouse_id"]): (row["on_hand"], row["reserved"])
               for row in StockMove.objects.values("product_id", "warehouse_id")
               .annotate(on_hand=Sum("on_hand_delta"), reserved=Sum("reserved_delta"))}
    differences = []
    for level in StockLevel.objects.all():
        expected = rebuilt.pop((level.product_id, level.warehouse_id), (Decimal(0), Decimal(0)))
        if (level.on_hand, level.reserved) != expected:
            differences.append({"level": level.pk, "stored": (level.on_hand, level.reserved), "ledger": expected})
    differences += [{"level": None, "key": key, "ledger": value} for key, value in rebuilt.items()
                    if value != (Decimal(0), Decimal(0))]
    quants = {(row["product_id"], row["location_id"], row["batch_id"]): row["on_hand"]
              for row in StockMove.objects.exclude(location=None).values("product_id", "location_id", "batch_id")
              .annotate(on_hand=Sum("on_hand_delta"))}
    for quant in StockQuant.objects.all():
        expected = quants.pop((quant.product_id, quant.location_id, quant.batch_id), Decimal(0))
        if quant.on_hand != expected:
            differences.append({"quant": quant.pk, "stored": quant.on_hand, "ledger": expected})
    differences += [{"quant": None, "key": key, "ledger": value} for key, value in quants.items() if value]
    return differences
