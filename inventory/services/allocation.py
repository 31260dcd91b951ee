"""Reservations for sales orders, and what waits for stock.

- `reserve_for_order` reserves an order's lines when it is released to fulfilment; what
  stock cannot cover becomes the line's backorder.
- `release_for_order` gives the reservations back when it is cancelled.
- `rebalance` fills waiting backorders from free stock in priority order, then gives each
  line that still waits a promise date from the incoming purchase and work orders, also
  in priority order. It runs after anything that adds stock or changes incoming supply.

Scarce stock goes to the highest priority first: a reservation never takes stock that a
higher-priority order is already waiting for.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from oms.outbox import publish_promise_dates
from oms.services import service_transaction

from ..models import (
    INCOMING_PO_STATES,
    OPEN_WO_STATES,
    MoveKind,
    PurchaseOrderLine,
    StockLevel,
    StockMove,
    WorkOrder,
)
from .ledger import lock_levels, post

#: Orders whose backordered lines wait for stock (and get it as it arrives).
WAITING_STATES = ["in_fulfilment", "ready_to_ship", "partially_shipped"]


def _line_model():
    from orders.models import SalesOrderLine

    return SalesOrderLine


# --- where reservations come from ------------------------------------------------------------

#: How reservations pick warehouses (documented in the README): first the warehouses that
#: serve the delivery address's region, then the one with the most available stock, then
#: by code. Change the order by editing a warehouse's "regions served".
def warehouse_preference(level: StockLevel, region: str, available: Decimal) -> tuple:
    return (0 if level.warehouse.serves(region) else 1, -available, level.warehouse.code)


def _take(wanted: Decimal, levels: list[StockLevel], available: dict[int, Decimal],
          region: str) -> list[tuple[StockLevel, Decimal]]:
    """Split `wanted` over the levels by preference, taking from `available` (updated)."""
    takes = []
    for level in sorted(levels, key=lambda lv: warehouse_preference(lv, region, available[lv.pk])):
        if wanted <= 0:
            break
        take = min(wanted, available[level.pk])
        if take > 0:
            available[level.pk] -= take
            takes.append((level, take))
            wanted -= take
    return takes


def _region(order: Any) -> str:
    return order.delivery_address.region if order.delivery_address_id else ""


def _levels_by_product(levels: list[StockLevel]) -> dict[int, list[StockLevel]]:
    grouped: dict[int, list[StockLevel]] = defaultdict(list)
    for level in levels:
        if level.warehouse.is_active:
            grouped[level.product_id].append(level)
    return grouped


def _waiting_ahead_of(order: Any, product_ids: list[int]) -> dict[int, Decimal]:
    """Backorders of other orders, ranked before this one (`priority_key`), that wait for
    these products."""
    rows = (_line_model().objects
            .filter(product_id__in=product_ids, backorder_quantity__gt=0, order__state__in=WAITING_STATES,
                    order__priority__gte=order.priority)
            .exclude(order_id=order.pk).select_related("order").only(
                "product_id", "backorder_quantity", "line_no", "order__priority", "order__requested_date"))
    mine = (-order.priority, order.requested_date or datetime.date.max, order.pk)
    ahead: dict[int, Decimal] = defaultdict(Decimal)
    for line in rows:
        if priority_key(line.order, line)[:3] < mine:
            ahead[line.product_id] += line.backorder_quantity
    return ahead


@dataclass
class Reservation:
    reserved: Decimal
    backordered: Decimal
    lines: list[Any]  # the order's lines, locked, with their product


def reserve_for_order(order: Any, *, by: Any) -> Reservation:
    """Reserve available stock for every line of `order` that is not fully reserved,
    across warehouses by preference, leaving alone what higher-priority orders already
    wait for; what stock cannot cover becomes the line's backorder.

    Precondition: inside the caller's transaction, with `order` locked and its priority
    current. Locks the order's lines, then every stock level of their products, by
    primary key, so concurrent reservations queue instead of deadlocking; computes
    everything, then writes. Returns the totals and the lines."""
    lines = list(order.lines.select_for_update(of=("self",), no_key=True).select_related("product").order_by("line_no"))
    product_ids = sorted({line.product_id for line in lines})
    levels = lock_levels(product_ids)
    by_product = _levels_by_product(levels)
    available = {level.pk: level.on_hand - level.reserved for level in levels}
    ahead = _waiting_ahead_of(order, product_ids)
    free = {pid: max(sum((available[lv.pk] for lv in found), Decimal(0)) - ahead.get(pid, Decimal(0)), Decimal(0))
            for pid, found in by_product.items()}
    region = _region(order)
    totals = {"reserved": Decimal(0), "backordered": Decimal(0)}
    plan: list[tuple[Any, StockLevel, Decimal]] = []
    for line in lines:
        wanted = line.quantity - line.reserved_quantity - line.shipped_quantity
        allowed = min(wanted, free.get(line.product_id, Decimal(0)))
        for level, take in _take(allowed, by_product.get(line.product_id, []), available, region):
            plan.append((line, level, take))
            free[line.product_id] -= take
            wanted -= take
        line.backorder_quantity = max(wanted, Decimal(0))
        totals["backordered"] += line.backorder_quantity
    for line, level, take in plan:
        post(level, kind=MoveKind.RESERVE, by=by, reserved=take, reference=order.number,
             source_type="sales_order_line", source_id=line.pk)
        line.reserved_quantity += take
        totals["reserved"] += take
    if lines:
        _line_model().objects.bulk_update(lines, ["reserved_quantity", "backorder_quantity"])
    return Reservation(totals["reserved"], totals["backordered"], lines)


def release_for_order(order: Any, *, by: Any, reason: str = "") -> Decimal:
    """Give back everything reserved for `order` (cancellation); its backorders stop
    waiting. Same preconditions and lock order as `reserve_for_order`. The caller
    schedules a `rebalance` of the order's products after the commit, so the released
    stock goes to waiting orders."""
    lines = list(order.lines.select_for_update(of=("self",), no_key=True).order_by("line_no"))
    held = list(StockMove.objects.filter(source_type="sales_order_line", source_id__in=[line.pk for line in lines])
                .values("source_id", "product_id", "warehouse_id").annotate(reserved=Sum("reserved_delta"))
                .filter(reserved__gt=0))
    levels = {(level.product_id, level.warehouse_id): level
              for level in lock_levels({row["product_id"] for row in held})}
    released = Decimal(0)
    for row in held:
        level = levels[(row["product_id"], row["warehouse_id"])]
        post(level, kind=MoveKind.RELEASE, by=by, reserved=-row["reserved"], reference=order.number,
             source_type="sales_order_line", source_id=row["source_id"], reason=reason)
        released += row["reserved"]
    for line in lines:
        line.reserved_quantity = Decimal(0)
        line.backorder_quantity = Decimal(0)
    if lines:
        _line_model().objects.bulk_update(lines, ["reserved_quantity", "backorder_quantity"])
    return released


def rebalance_waiting() -> list[int]:
    """Fill the orders still waiting for stock that is free — what a rebalance queued after
    a commit and lost (the broker was down) left behind. Returns the products filled."""
    product_ids = products_to_rebalance()
    if product_ids:
        rebalance(product_ids=product_ids)
    return product_ids


def products_to_rebalance() -> list[int]:
    """Products with free stock in an active warehouse while orders wait for them. Two
    queries."""
    free = set(StockLevel.objects.filter(warehouse__is_active=True, on_hand__gt=F("reserved"))
               .values_list("product_id", flat=True).distinct())
    if not free:
        return []
    return sorted(set(_line_model().objects.filter(product_id__in=free, backorder_quantity__gt=0,
                                                   order__state__in=WAITING_STATES)
                      .values_list("product_id", flat=True).distinct()))


def enqueue_rebalance(product_ids: list[int]) -> None:
    from ..tasks import stock_rebalance

    stock_rebalance.delay(list(product_ids))


# --- incoming supply and promise dates -------------------------------------------------------

@dataclass
class Incoming:
    """An open purchase order line or work order: `quantity` arriving on `available_on`."""

    available_on: datetime.date
    quantity: Decimal
    kind: str  # "purchase_order" | "work_order"
    document_id: int
    number: str


def incoming_supply(product_ids, *, today: datetime.date) -> dict[int, list[Incoming]]:
    """Open purchase order lines (by expected date) and work orders (by due date) per
    product, earliest first; a late one counts from today. Two queries."""
    found: dict[int, list[Incoming]] = defaultdict(list)
    for line in (PurchaseOrderLine.objects.filter(product_id__in=product_ids,
                                                  purchase_order__state__in=INCOMING_PO_STATES)
                 .select_related("purchase_order")):
        if line.open_quantity > 0:
            found[line.product_id].append(Incoming(max(line.purchase_order.expected_date, today), line.open_quantity,
                                                   "purchase_order", line.purchase_order_id,
                                                   line.purchase_order.number))
    for work_order in WorkOrder.objects.filter(product_id__in=product_ids, state__in=OPEN_WO_STATES):
        found[work_order.product_id].append(Incoming(max(work_order.due_date, today), work_order.quantity,
                                                     "work_order", work_order.pk, work_order.number))
    for supplies in found.values():
        supplies.sort(key=lambda s: (s.available_on, s.kind, s.document_id))
    return found


@dataclass
class _Remaining:
    supply: Incoming
    left: Decimal


def consume(remaining: list[_Remaining], quantity: Decimal) -> tuple[datetime.date | None, list[Incoming]]:
    """Draw `quantity` from the earliest remaining supplies: (the date it is all there, or
    None when the supplies do not cover it; the supplies drawn on)."""
    drawn = []
    for entry in remaining:
        if quantity <= 0:
            break
        take = min(quantity, entry.left)
        if take > 0:
            entry.left -= take
            quantity -= take
            drawn.append(entry.supply)
    date = drawn[-1].available_on if drawn and quantity <= 0 else None
    return date, drawn


def priority_key(order: Any, line: Any) -> tuple:
    """Who goes first: highest priority, then earliest requested date, then oldest order."""
    return (-order.priority, order.requested_date or datetime.date.max, order.pk, line.line_no)


def free_incoming(product_ids, *, today: datetime.date) -> dict[int, list[tuple[Incoming, Decimal]]]:
    """Incoming supply not yet promised to the orders already waiting (in priority
    order): what a new order can be promised from. Three queries."""
    supplies = incoming_supply(product_ids, today=today)
    remaining = {pid: [_Remaining(s, s.quantity) for s in found] for pid, found in supplies.items()}
    waiting = (_line_model().objects
               .filter(product_id__in=product_ids, backorder_quantity__gt=0, order__state__in=WAITING_STATES)
               .select_related("order"))
    for line in sorted(waiting, key=lambda ln: priority_key(ln.order, ln)):
        consume(remaining.get(line.product_id, []), line.backorder_quantity)
    return {pid: [(entry.supply, entry.left) for entry in entries if entry.left > 0]
            for pid, entries in remaining.items()}


# --- rebalance -------------------------------------------------------------------------------

@dataclass
class PromiseChange:
    order_id: int
    line_no: int
    sku: str
    old: datetime.date | None
    new: datetime.date | None


@dataclass
class RebalanceResult:
    reserved: Decimal = Decimal(0)
    filled: dict[int, list[dict]] = field(default_factory=dict)  # order id → lines reserved
    changes: list[PromiseChange] = field(default_factory=list)
    affected_order_ids: set[int] = field(default_factory=set)


def rebalance(*, product_ids, by: Any = None, exception: Any = None, reason: str = "") -> RebalanceResult:
    """Fill waiting backorders of these products from free stock, highest priority first;
    then give every line that still waits the date the incoming purchase and work orders
    cover it (in the same priority order), or none when nothing incoming covers it.

    Changed promise dates are written to the lines and the order timelines, and the
    orders' owners are told after the commit. With `exception` (a SupplyException), the
    orders drawing on its document, or whose dates moved, are flagged as affected.

    Runs in two transactions of its own, each in the global lock order: filling locks the
    orders waiting for products with free stock (by pk), their lines, then the stock
    levels (only when there is free stock); the promise dates then lock the waiting
    orders and their lines, and read the incoming supply under those locks, so two
    rebalances of a product never write dates computed from older data last."""
    product_ids = sorted(set(product_ids))
    result = RebalanceResult()
    if not product_ids:
        return result
    with service_transaction():
        filled = [line.pk for line in _fill_waiting(product_ids, by=by, reason=reason, result=result)]
    with service_transaction():
        _refresh_promise_dates(product_ids, filled, by=by, exception=exception, reason=reason, result=result)
    return result


def _fill_waiting(product_ids: list[int], *, by: Any, reason: str, result: RebalanceResult) -> list[Any]:
    """Reserve free stock for waiting lines in priority order; returns the lines that got
    some. Precondition: inside the rebalance transaction."""
    from orders.models import SalesOrder
    from orders.services.core import record_event

    # Stock only becomes free in a transaction that runs a rebalance after it commits, so
    # seeing none free here (without locks) means there is nothing to fill now.
    free = sorted(set(StockLevel.objects.filter(product_id__in=product_ids, warehouse__is_active=True,
                                                on_hand__gt=F("reserved")).values_list("product_id", flat=True)))
    if not free:
        return []
    SalesOrderLine = _line_model()
    order_ids = set(SalesOrderLine.objects.filter(
        product_id__in=free, backorder_quantity__gt=0, order__state__in=WAITING_STATES,
    ).values_list("order_id", flat=True))
    if not order_ids:
        return []
    orders = {order.pk: order for order in SalesOrder.objects.select_for_update(of=("self",), no_key=True)
              .select_related("delivery_address").filter(pk__in=order_ids, state__in=WAITING_STATES).order_by("pk")}
    lines = list(SalesOrderLine.objects.select_for_update(of=("self",), no_key=True).select_related("product")
                 .filter(order_id__in=list(orders), product_id__in=free, backorder_quantity__gt=0).order_by("pk"))
    levels = lock_levels(free)
    lines.sort(key=lambda ln: priority_key(orders[ln.order_id], ln))
    by_product = _levels_by_product(levels)
    available = {level.pk: level.on_hand - level.reserved for level in levels}
    filled = []
    for line in lines:
        order = orders[line.order_id]
        takes = _take(line.backorder_quantity, by_product.get(line.product_id, []), available, _region(order))
        for level, take in takes:
            post(level, kind=MoveKind.RESERVE, by=by, reserved=take, reference=order.number,
                 source_type="sales_order_line", source_id=line.pk, reason=reason)
            line.reserved_quantity += take
            line.backorder_quantity -= take
            result.reserved += take
            result.filled.setdefault(order.pk, []).append(
                {"line": line.line_no, "sku": line.product.sku, "reserved": str(take)})
        if takes:
            line.order = order
            filled.append(line)
    SalesOrderLine.objects.bulk_update(filled, ["reserved_quantity", "backorder_quantity"])
    for order_id, lines_filled in result.filled.items():
        record_event(orders[order_id], kind="stock_allocated", by=by, reason=reason, payload={"lines": lines_filled})
    return filled


def _refresh_promise_dates(product_ids: list[int], filled: list[int], *, by: Any, exception: Any, reason: str,
                           result: RebalanceResult) -> None:
    """Give each waiting line the date incoming supply covers it, in priority order (none
    when nothing covers it); lines just filled (`filled`: line ids) can ship today.
    Records the changes. Precondition: inside its own rebalance transaction, holding no
    stock lock (it locks orders, then lines)."""
    from orders.models import SalesOrder
    from orders.services.core import record_event

    today = timezone.localdate()
    SalesOrderLine = _line_model()
    waiting_lines = Q(product_id__in=product_ids, backorder_quantity__gt=0, order__state__in=WAITING_STATES)
    order_ids = set(SalesOrderLine.objects.filter(waiting_lines | Q(pk__in=filled)).values_list("order_id",
                                                                                                flat=True))
    orders = {order.pk: order for order in SalesOrder.objects.select_for_update(of=("self",), no_key=True)
              .filter(pk__in=order_ids).order_by("pk")}
    lines = list(SalesOrderLine.objects.select_for_update(of=("self",), no_key=True).select_related("product")
                 .filter(order_id__in=list(orders)).filter(waiting_lines | Q(pk__in=filled)).order_by("pk"))
    for line in lines:
        line.order = orders[line.order_id]
    waiting = sorted((line for line in lines if line.backorder_quantity > 0 and line.order.state in WAITING_STATES),
                     key=lambda ln: priority_key(ln.order, ln))
    filled_ids = set(filled)
    filled = [line for line in lines if line.pk in filled_ids]
    remaining = {pid: [_Remaining(s, s.quantity) for s in found]
                 for pid, found in incoming_supply(product_ids, today=today).items()}
    document = None
    if exception is not None:
        document = ("work_order", exception.work_order_id) if exception.work_order_id else (
            "purchase_order", exception.purchase_order_id)
    dates = {}
    for line in waiting:
        date, drawn = consume(remaining.get(line.product_id, []), line.backorder_quantity)
        if document and any((s.kind, s.document_id) == document for s in drawn):
            result.affected_order_ids.add(line.order_id)
        dates[line.pk] = (line, date)
    for line in filled:
        if line.pk not in dates:
            dates[line.pk] = (line, today if line.promise_date is None or line.promise_date > today
                              else line.promise_date)
    changed = []
    for line, date in dates.values():
        if date != line.promise_date:
            result.changes.append(PromiseChange(line.order_id, line.line_no, line.product.sku, line.promise_date,
                                                date))
            line.promise_date = date
            changed.append(line)
    SalesOrderLine.objects.bulk_update(changed, ["promise_date"])
    orders = {line.order_id: line.order for line in changed}
    changed_by_order: dict[int, list[dict]] = defaultdict(list)
    for change in result.changes:
        changed_by_order[change.order_id].append({
            "line": change.line_no, "sku": change.sku,
            "from": change.old.isoformat() if change.old else None,
            "to": change.new.isoformat() if change.new else None})
    for order_id, changes in changed_by_order.items():
        record_event(orders[order_id], kind="promise_date_changed", by=by, reason=reason,
                     payload={"lines": changes})
        publish_promise_dates(orders[order_id], [(c.line_no, c.sku, c.new) for c in result.changes
                                                 if c.order_id == order_id])
    if exception is not None:
        result.affected_order_ids |= set(changed_by_order)
        if exception.work_order_id and exception.work_order.sales_order_line_id:
            result.affected_order_ids.add(exception.work_order.sales_order_line.order_id)
        exception.affected_orders.add(*result.affected_order_ids)
    notify = sorted(changed_by_order)
    if notify:
        transaction.on_commit(lambda: _enqueue_promise_notices(notify, reason), robust=True)


def _enqueue_promise_notices(order_ids: list[int], reason: str) -> None:
    from orders.tasks import promise_dates_changed_email

    for order_id in order_ids:
        promise_dates_changed_email.delay(order_id, reason)
