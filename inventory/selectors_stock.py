"""Reads of the stock pages that inventory/selectors.py does not have: the stock overview
by product (with each product's levels), one product's levels, the open counts and
transfers a page lists, and what a count posted. Each costs a fixed number of queries."""

from __future__ import annotations

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When

from . import selectors
from .models import (
    Batch,
    CountState,
    CycleCount,
    Location,
    Product,
    StockLevel,
    StockMove,
    Transfer,
    TransferState,
    Warehouse,
)


def _short(level_filter: Q) -> Q:
    """Levels where nothing is available (on hand − reserved ≤ 0)."""
    return level_filter & Q(on_hand__lte=F("reserved"))


def stock_overview(*, q: str = "", warehouse_id: int | None = None, only_short: bool = False) -> QuerySet[Product]:
    """Products with their stock levels (`levels`, by warehouse code), by SKU.

    Active products are listed, and inactive ones while they still hold stock. With
    `warehouse_id`, only products with a level in that warehouse, and only that level.
    `only_short`: products with a level where nothing is available — or, without a
    warehouse filter, with no stock anywhere. One query for the page, one for the levels."""
    levels_here = Q(product=OuterRef("pk"))
    if warehouse_id is not None:
        levels_here &= Q(warehouse_id=warehouse_id)
    products = Product.objects.filter(
        Q(is_active=True) | Exists(StockLevel.objects.filter(Q(product=OuterRef("pk"))
                                                             & (~Q(on_hand=0) | ~Q(in_transit=0)))))
    q = (q or "").strip()
    if q:
        products = products.filter(Q(sku__icontains=q) | Q(name__icontains=q))
    if warehouse_id is not None:
        products = products.filter(Exists(StockLevel.objects.filter(levels_here)))
    if only_short:
        short = Exists(StockLevel.objects.filter(_short(levels_here)))
        if warehouse_id is None:
            short |= ~Exists(StockLevel.objects.filter(levels_here))
        products = products.filter(short)
    levels = StockLevel.objects.select_related("warehouse").order_by("warehouse__code")
    if warehouse_id is not None:
        levels = levels.filter(warehouse_id=warehouse_id)
    return products.order_by("sku", "pk").prefetch_related(Prefetch("stock_levels", queryset=levels,
                                                                    to_attr="levels"))


def product_levels(product_id: int) -> list[StockLevel]:
    return list(StockLevel.objects.filter(product_id=product_id).select_related("warehouse")
                .order_by("warehouse__code"))


def active_warehouses() -> QuerySet[Warehouse]:
    return Warehouse.objects.filter(is_active=True).order_by("code")


def active_locations() -> QuerySet[Location]:
    return selectors.location_list().order_by("warehouse__code", "code")


def product_batches(product_id: int) -> QuerySet[Batch]:
    return Batch.objects.filter(product_id=product_id)


def transfers_in_transit_first() -> QuerySet[Transfer]:
    """Transfers, those still in transit first (oldest sent first: they are the ones to
    chase), then those received, newest first."""
    in_transit = Case(When(state=TransferState.IN_TRANSIT, then=Value(0)), default=Value(1),
                      output_field=IntegerField())
    return selectors.transfer_list().annotate(open_first=in_transit).order_by(
        "open_first", Case(When(state=TransferState.IN_TRANSIT, then=F("sent_at"))), "-sent_at", "-id")


def transfers_in_transit(product_id: int) -> QuerySet[Transfer]:
    return selectors.transfer_list().filter(product_id=product_id, state=TransferState.IN_TRANSIT) \
        .order_by("sent_at", "id")


def counts_open_first() -> QuerySet[CycleCount]:
    """Counts to confirm first, then those to count, then closed ones, newest first."""
    rank = Case(When(state=CountState.COUNTED, then=Value(0)), When(state=CountState.OPEN, then=Value(1)),
                default=Value(2), output_field=IntegerField())
    return selectors.count_list().annotate(rank=rank, line_count=Count("lines")).order_by("rank", "-created_at", "-id")


def count_adjustments(count: CycleCount) -> QuerySet[StockMove]:
    """The adjustments a confirmed count posted."""
    return StockMove.objects.filter(source_type="cycle_count", source_id=count.pk) \
        .select_related("product", "location__warehouse", "batch", "by").order_by("product__sku", "id")
