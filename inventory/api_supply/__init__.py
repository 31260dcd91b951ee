"""Supply API (DESIGN.md §2 stage 5, §7), by resource: suppliers and purchase requisitions
(requisitions), purchase orders with their receipts and delays (purchase_orders), work
orders (work_orders), the planners' exceptions board (exceptions), and what they share
(common).

Every write parses its input, calls one service and answers with the fresh
representation. Reading needs the model's `view_*` permission; the services check the
role of a write (403), the object (404) and its state (409, with `state` and
`allowed_transitions`). Nothing here shows a sales price: orders appear by id and number.
"""

from .exceptions import SupplyExceptionViewSet
from .purchase_orders import PurchaseOrderViewSet
from .requisitions import PurchaseRequisitionViewSet, SupplierViewSet
from .work_orders import WorkOrderViewSet

__all__ = ["PurchaseOrderViewSet", "PurchaseRequisitionViewSet", "SupplierViewSet", "SupplyExceptionViewSet",
           "WorkOrderViewSet"]
