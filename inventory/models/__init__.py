"""Inventory: the catalogue, warehouses and the stock ledger (stock.py), supply — purchase
and work orders and their exceptions (supply.py) — and transfers and cycle counts
(counts.py)."""

from .counts import CountState, CycleCount, CycleCountLine, Transfer, TransferState
from .stock import (
    QTY_DIGITS,
    QTY_PLACES,
    Batch,
    Location,
    MoveKind,
    Product,
    StockLevel,
    StockMove,
    StockQuant,
    SupplyType,
    Unit,
    Warehouse,
)
from .supply import (
    INCOMING_PO_STATES,
    OPEN_WO_STATES,
    WORK_ORDER_EXCEPTIONS,
    ExceptionKind,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderState,
    PurchaseRequisition,
    RequisitionState,
    Supplier,
    SupplyException,
    WorkOrder,
    WorkOrderState,
)

__all__ = [
    "INCOMING_PO_STATES", "OPEN_WO_STATES", "QTY_DIGITS", "QTY_PLACES", "WORK_ORDER_EXCEPTIONS", "Batch",
    "CountState", "CycleCount", "CycleCountLine", "ExceptionKind", "Location", "MoveKind", "Product",
    "PurchaseOrder", "PurchaseOrderLine", "PurchaseOrderState", "PurchaseRequisition", "RequisitionState",
    "StockLevel", "StockMove", "StockQuant", "Supplier", "SupplyException", "SupplyType", "Transfer",
    "TransferState", "Unit", "Warehouse", "WorkOrder", "WorkOrderState",
]
