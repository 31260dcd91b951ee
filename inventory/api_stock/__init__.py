"""Stock API (DESIGN.md §2 stage 5, §7), by resource: the ledger (stock moves) and what each
location holds per batch (stock quants) in moves; receipts and adjustments in receipts;
transfers between warehouses; cycle counts in counts.

Every write parses its input, calls one service and answers with the fresh
representation. Reading needs the model's `view_*` permission (the per-location stock
needs `view_stockmove`: it is the ledger summed per location); the services check the
role of a write (403), the object (404) and its state (409).
"""

from .counts import CycleCountViewSet
from .moves import StockMoveViewSet, StockQuantViewSet
from .receipts import StockAdjustmentViewSet, StockReceiptViewSet
from .transfers import TransferViewSet

__all__ = ["CycleCountViewSet", "StockAdjustmentViewSet", "StockMoveViewSet", "StockQuantViewSet",
           "StockReceiptViewSet", "TransferViewSet"]
