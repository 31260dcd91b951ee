"""The planners' pages (DESIGN.md §2 stage 5), by use-case: the exceptions board (board),
work orders, purchase orders and requisitions, and the helpers they share (common).

Each page reads through `inventory.selectors`, so it costs a fixed number of queries
whatever it shows; each button parses a form and calls one supply service, which checks
the permission again and decides. Sales prices are never shown here; purchase prices are
shown to those who may see purchase orders."""

from .board import exception_resolve_page, exceptions_board_page, waiting_line_raise_supply_page
from .purchase_orders import (
    purchase_order_delay_page,
    purchase_order_detail_page,
    purchase_order_list_page,
    purchase_order_new_page,
    purchase_order_receive_page,
    purchase_order_step_page,
)
from .requisitions import requisition_cancel_page, requisition_list_page, requisition_new_page
from .work_orders import (
    work_order_block_page,
    work_order_complete_page,
    work_order_detail_page,
    work_order_list_page,
    work_order_new_page,
    work_order_step_page,
)

__all__ = [
    "exception_resolve_page", "exceptions_board_page", "purchase_order_delay_page", "purchase_order_detail_page",
    "purchase_order_list_page", "purchase_order_new_page", "purchase_order_receive_page", "purchase_order_step_page",
    "requisition_cancel_page", "requisition_list_page", "requisition_new_page", "waiting_line_raise_supply_page",
    "work_order_block_page", "work_order_complete_page", "work_order_detail_page", "work_order_list_page",
    "work_order_new_page", "work_order_step_page",
]
