"""Inventory services: the catalogue, the stock ledger, reservations and what waits for
stock, supply (work and purchase orders), transfers and cycle counts."""

from .allocation import (
    WAITING_STATES,
    free_incoming,
    products_to_rebalance,
    rebalance,
    rebalance_waiting,
    release_for_order,
    reserve_for_order,
)
from .catalogue import product_create, product_update
from .counts import count_cancel, count_confirm, count_create, count_enter, transfer_receive, transfer_send
from .ledger import default_location, issue_for_line, ledger_differences, stock_adjust, stock_receive
from .production import (
    WORK_ORDER_STEPS,
    work_order_block,
    work_order_complete,
    work_order_create,
    work_order_transition,
)
from .purchasing import (
    PURCHASE_ORDER_STEPS,
    purchase_order_create,
    purchase_order_delay,
    purchase_order_receive,
    purchase_order_transition,
    requisition_cancel,
    requisition_create,
)
from .supply import (
    cancel_supply_for_order,
    exception_resolve,
    raise_supply_for_line,
    raise_supply_for_order,
    supply_after_release,
)

__all__ = [
    "PURCHASE_ORDER_STEPS", "WAITING_STATES", "WORK_ORDER_STEPS", "cancel_supply_for_order", "count_cancel",
    "count_confirm", "count_create", "count_enter", "default_location", "exception_resolve", "free_incoming",
    "issue_for_line", "ledger_differences", "product_create", "product_update", "purchase_order_create",
    "purchase_order_delay", "purchase_order_receive", "purchase_order_transition", "products_to_rebalance",
    "raise_supply_for_line",
    "raise_supply_for_order",
    "rebalance", "rebalance_waiting", "release_for_order", "requisition_cancel", "requisition_create",
    "reserve_for_order",
    "stock_adjust", "stock_receive", "supply_after_release", "transfer_receive", "transfer_send",
    "work_order_block", "work_order_complete", "work_order_create", "work_order_transition",
]
