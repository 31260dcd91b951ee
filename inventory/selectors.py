"""Reads shared by the inventory pages and API, already shaped so a page costs a fixed
number of queries."""

from __future__ import annotations

from django.db.models import F, Prefetch, QuerySet, Sum

from .models import (
    CycleCount,
    Location,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequisition,
    RequisitionState,
    StockLevel,
    StockMove,
    StockQuant,
    Supplier,
    SupplyException,
    Transfer,
    Warehouse,
    WorkOrder,
)
from .services.allocation import WAITING_STATES


def product_list() -> QuerySet[Product]:
    return Product.objects.all()


def warehouse_list() -> QuerySet[Warehouse]:
    return Warehouse.objects.all()


def stock_list() -> QuerySet[StockLevel]:
    return StockLevel.objects.select_related("product", "warehouse")


# --- stock -----------------------------------------------------------------------------------

def stock_quants(*, product_id: int | None = None, warehouse_id: int | None = None) -> QuerySet[StockQuant]:
    """What each location holds, per batch, first-expired first within a product."""
    quants = StockQuant.objects.filter(on_hand__gt=0).select_related("product", "warehouse", "location", "batch")
    if product_id is not None:
        quants = quants.filter(product_id=product_id)
    if warehouse_id is not None:
        quants = quants.filter(warehouse_id=warehouse_id)
    return quants.order_by("product__sku", "warehouse__code", F("batch__expires_on").asc(nulls_last=True),
                           "batch__received_on", "location__code", "pk")


def stock_moves(*, product_id: int | None = None, warehouse_id: int | None = None) -> QuerySet[StockMove]:
    """The ledger, newest first."""
    moves = StockMove.objects.select_related("product", "warehouse", "location", "batch", "by")
    if product_id is not None:
        moves = moves.filter(product_id=product_id)
    if warehouse_id is not None:
        moves = moves.filter(warehouse_id=warehouse_id)
    return moves.order_by("-at", "-id")


def incoming_by_product(product_ids) -> dict[int, dict]:
    """Incoming per product: in transit (transfers), open purchase order lines and open
    work orders. Three queries."""
    from .models import INCOMING_PO_STATES, OPEN_WO_STATES

    result: dict[int, dict] = {pid: {"in_transit": 0, "purchase": 0, "production": 0} for pid in product_ids}
    for row in (StockLevel.objects.filter(product_id__in=product_ids).values("product_id")
                .annotate(total=Sum("in_transit"))):
        result[row["product_id"]]["in_transit"] = row["total"] or 0
    for row in (PurchaseOrderLine.objects.filter(product_id__in=product_ids,
                                                 purchase_order__state__in=INCOMING_PO_STATES)
                .values("product_id").annotate(total=Sum(F("quantity") - F("received_quantity")
                                                         - F("rejected_quantity")))):
        result[row["product_id"]]["purchase"] = row["total"] or 0
    for row in (WorkOrder.objects.filter(product_id__in=product_ids, state__in=OPEN_WO_STATES)
                .values("product_id").annotate(total=Sum("quantity"))):
        result[row["product_id"]]["production"] = row["total"] or 0
    for entry in result.values():
        entry["total"] = entry["in_transit"] + entry["purchase"] + entry["production"]
    return result


def location_list() -> QuerySet[Location]:
    return Location.objects.select_related("warehouse").filter(is_active=True)


def transfer_list() -> QuerySet[Transfer]:
    return Transfer.objects.select_related("product", "batch", "from_location__warehouse", "to_warehouse",
                                           "to_location", "sent_by", "received_by")


def count_list() -> QuerySet[CycleCount]:
    return CycleCount.objects.select_related("location__warehouse", "created_by", "counted_by", "confirmed_by")


def count_detail(pk: int) -> CycleCount:
    return count_list().prefetch_related("lines__product", "lines__batch").get(pk=pk)


# --- supply ----------------------------------------------------------------------------------

def supplier_list() -> QuerySet[Supplier]:
    return Supplier.objects.all()


def work_order_list() -> QuerySet[WorkOrder]:
    """Work orders, those for the highest-priority sales orders first, then by due date."""
    return (WorkOrder.objects.select_related("product", "warehouse", "sales_order_line__order__customer")
            .order_by(F("sales_order_line__order__priority").desc(nulls_last=True), "due_date", "pk"))


def work_order_detail(pk: int) -> WorkOrder:
    return work_order_list().prefetch_related(
        Prefetch("exceptions", queryset=SupplyException.objects.select_related("raised_by", "resolved_by")
                 .prefetch_related("affected_orders"))).get(pk=pk)


def purchase_order_list() -> QuerySet[PurchaseOrder]:
    return PurchaseOrder.objects.select_related("supplier", "warehouse", "created_by").prefetch_related(
        Prefetch("lines", queryset=PurchaseOrderLine.objects.select_related("product")))


def purchase_order_detail(pk: int) -> PurchaseOrder:
    return PurchaseOrder.objects.select_related("supplier", "warehouse", "created_by").prefetch_related(
        Prefetch("lines", queryset=PurchaseOrderLine.objects.select_related("product").prefetch_related(
            Prefetch("requisitions", queryset=PurchaseRequisition.objects.select_related(
                "sales_order_line__order")))),
        Prefetch("exceptions", queryset=SupplyException.objects.select_related("raised_by", "resolved_by")
                 .prefetch_related("affected_orders")),
    ).get(pk=pk)


def requisition_list(*, open_only: bool = False) -> QuerySet[PurchaseRequisition]:
    requisitions = PurchaseRequisition.objects.select_related(
        "product", "warehouse", "sales_order_line__order__customer", "purchase_order_line__purchase_order",
        "created_by")
    if open_only:
        requisitions = requisitions.filter(state=RequisitionState.OPEN)
    return requisitions.order_by(F("sales_order_line__order__priority").desc(nulls_last=True),
                                 F("needed_by").asc(nulls_last=True), "pk")


def exception_list(*, open_only: bool = True) -> QuerySet[SupplyException]:
    """The planners' exceptions board: open exceptions, newest first, with the orders they
    affect."""
    exceptions = SupplyException.objects.select_related(
        "work_order__product", "purchase_order__supplier", "raised_by", "resolved_by",
    ).prefetch_related("affected_orders__customer")
    if open_only:
        exceptions = exceptions.filter(resolved_at__isnull=True)
    return exceptions.order_by("-raised_at", "-id")


def waiting_lines() -> QuerySet:
    """Sales order lines waiting for stock (backorders), highest priority first, with the
    work orders and requisitions raised for them."""
    from orders.models import SalesOrderLine

    return (SalesOrderLine.objects.filter(backorder_quantity__gt=0, order__state__in=WAITING_STATES)
            .select_related("order__customer", "product")
            .prefetch_related("work_orders", "requisitions")
            .order_by("-order__priority", F("order__requested_date").asc(nulls_last=True), "order_id", "line_no"))


def open_exceptions_for_orders(order_ids) -> QuerySet[SupplyException]:
    """Open exceptions that affect these sales orders (for the order page and API)."""
    return (SupplyException.objects.filter(resolved_at__isnull=True, affected_orders__in=order_ids)
            .select_related("work_order", "purchase_order").distinct())


def supply_for_order_lines(line_ids) -> dict[str, QuerySet]:
    """Work orders and requisitions raised for these sales order lines."""
    return {
        "work_orders": WorkOrder.objects.filter(sales_order_line_id__in=line_ids).order_by("pk"),
        "requisitions": PurchaseRequisition.objects.filter(sales_order_line_id__in=line_ids)
        .select_related("purchase_order_line__purchase_order").order_by("pk"),
    }




# --- supply pages ---

def exception_board() -> QuerySet[SupplyException]:
    """The open exceptions of the planners' board, with the lines of the purchase orders
    and of every affected order (their promise dates); a fixed number of queries whatever
    the page shows."""
    from orders.models import SalesOrderLine

    return exception_list(open_only=True).prefetch_related(
        "purchase_order__lines",
        Prefetch("affected_orders__lines", queryset=SalesOrderLine.objects.select_related("product")
                 .order_by("line_no")))


def waiting_board() -> QuerySet:
    """`waiting_lines` with the purchase order each requisition went on."""
    return waiting_lines().prefetch_related("requisitions__purchase_order_line__purchase_order")


def requisitions_by_id(ids) -> list[PurchaseRequisition]:
    """These requisitions (any state), highest priority first, for the new purchase order page."""
    return list(requisition_list().filter(pk__in=list(ids)))


# --- supply reads for the API ---

def _exceptions_newest_first() -> Prefetch:
    """A document's exceptions, newest first, with who raised and resolved them and the
    orders they affect."""
    return Prefetch("exceptions", queryset=SupplyException.objects.select_related("raised_by", "resolved_by")
                    .prefetch_related("affected_orders").order_by("-raised_at", "-id"))


def purchase_orders_with_exceptions() -> QuerySet[PurchaseOrder]:
    """`purchase_order_list` with each purchase order's exceptions (the API's purchase orders)."""
    return purchase_order_list().prefetch_related(_exceptions_newest_first())


def work_orders_with_exceptions() -> QuerySet[WorkOrder]:
    """`work_order_list` with who created each work order and its exceptions (the API's work
    orders)."""
    return work_order_list().select_related("created_by").prefetch_related(_exceptions_newest_first())
