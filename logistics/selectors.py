"""Reads that the shipping pages and the API share, shaped so a page costs a fixed number
of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from inventory.models import Location, StockQuant, Warehouse
from inventory.services.ledger import pick_order
from orders.models import Attachment, SalesOrder, SalesOrderLine
from orders.selectors import attachments_visible_to, orders_visible_to

from .models import PackedItem, Shipment, ShipmentLine, ShipmentState, TrackingEvent
from .services.shipments import SHIPPABLE_ORDER_STATES, unplanned_quantities


def shipments_visible_to(user: Any) -> QuerySet[Shipment]:
    """Warehouse, logistics, planners, reviewers and managers see every shipment; others
    (sales) the shipments of the orders they see."""
    if not user.is_authenticated:
        return Shipment.objects.none()
    if user.has_perm("logistics.view_shipment"):
        return Shipment.objects.all()
    return Shipment.objects.filter(order__in=orders_visible_to(user))


def shipment_list(user: Any) -> QuerySet[Shipment]:
    return (shipments_visible_to(user)
            .select_related("order__customer", "warehouse", "carrier_service__carrier")
            .order_by("-created_at", "-id"))


def shipment_detail(user: Any) -> QuerySet[Shipment]:
    """Shipments with everything their page and representation show."""
    return (shipments_visible_to(user)
            .select_related("order__customer", "order__delivery_address", "order__contact", "warehouse",
                            "carrier_service__carrier", "packed_by", "shipped_by",
                            "proof_of_delivery__signature", "proof_of_delivery__photo",
                            "proof_of_delivery__recorded_by")
            .prefetch_related(
                Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line__product")
                         .order_by("order_line__line_no")),
                Prefetch("packages__items", queryset=PackedItem.objects.select_related(
                    "batch", "line__order_line__product", "verified_by").order_by("id")),
                Prefetch("tracking_events", queryset=TrackingEvent.objects.select_related("recorded_by")
                         .order_by("-occurred_at", "-id")),
                Prefetch("attachments", queryset=Attachment.objects.select_related("order").order_by("kind", "id")),
            ))


def shipment_attachments(user: Any, shipment: Shipment) -> list[Attachment]:
    """The shipment's files `user` may open (the commercial invoice shows prices)."""
    return attachments_visible_to(user, list(shipment.attachments.all()))


def orders_to_ship(user: Any, *, limit: int = 100) -> list[tuple[SalesOrder, Decimal]]:
    """Orders with reserved goods that no shipment carries yet, highest priority first:
    (order, unplanned quantity). Three queries."""
    orders = list(orders_visible_to(user).filter(state__in=SHIPPABLE_ORDER_STATES, lines__reserved_quantity__gt=0)
                  .distinct().select_related("customer").order_by("-priority", "created_at", "id")[:limit * 3])
    lines = list(SalesOrderLine.objects.filter(order__in=orders, reserved_quantity__gt=0))
    per_order: dict[int, Decimal] = defaultdict(Decimal)
    by_line = {line.pk: line.order_id for line in lines}
    for (line_id, _warehouse), quantity in unplanned_quantities(lines).items():
        per_order[by_line[line_id]] += quantity
    return [(order, per_order[order.pk]) for order in orders if per_order[order.pk] > 0][:limit]


# --- pick lists ---------------------------------------------------------------------------------

@dataclass
class PickRow:
    location: Location | None
    shipment: Shipment
    line: ShipmentLine
    batch: Any
    quantity: Decimal

    @property
    def product(self) -> Any:
        return self.line.order_line.product


#: A pick list covers at most this many shipments, the most urgent (pages, the PDF and the
#: API alike): a picker's round, and a list that stays quick however many shipments wait.
#: The others follow as these are packed.
PICK_LIMIT = 40


@dataclass
class PickList:
    warehouse: Warehouse
    shipments: list[Shipment]
    #: How many shipments wait to be picked (of those asked for), the ones shown included.
    waiting: int = 0
    #: (location, its rows), locations in code order; rows by SKU and batch.
    groups: list[tuple[Location, list[PickRow]]] = field(default_factory=list)
    #: What no location holds (enough of): rows with location None.
    shortages: list[PickRow] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return sum(len(rows) for _location, rows in self.groups)


def pick_list(warehouse: Warehouse, *, shipment_ids: list[int] | None = None,
              limit: int | None = None) -> PickList:
    """What to pick in `warehouse` for its planned and picking shipments (or those named),
    highest order priority first, with the batch and location to take each from:
    first-expired, first-in, never an expired batch, each location's stock handed out once.
    Rows are grouped by location in code order, so the picker walks the aisles once.
    With `limit`, only the `limit` most urgent shipments; `waiting` says how many wait.
    A fixed number of queries, whatever the number of shipments (one more counts them
    when more than `limit` wait)."""
    waiting = Shipment.objects.filter(warehouse=warehouse, state__in=[ShipmentState.PLANNED,
                                                                      ShipmentState.PICKING])
    if shipment_ids is not None:
        waiting = waiting.filter(pk__in=shipment_ids)
    urgent_first = waiting.select_related("order__customer").order_by("-order__priority", "created_at", "id")
    shipments = list(urgent_first if limit is None else urgent_first[:limit + 1])
    count = len(shipments)
    if limit is not None and count > limit:
        shipments, count = shipments[:limit], waiting.count()
    prefetch_related_objects(shipments, Prefetch("lines", queryset=ShipmentLine.objects
                                                 .select_related("order_line__product")
                                                 .order_by("order_line__line_no")))
    products = {line.order_line.product_id for shipment in shipments for line in shipment.lines.all()}
    today = timezone.localdate()
    quants = [quant for quant in pick_order(list(
        StockQuant.objects.filter(warehouse=warehouse, product_id__in=products, on_hand__gt=0)
        .select_related("location", "batch")))
        if quant.batch is None or quant.batch.expires_on is None or quant.batch.expires_on >= today]
    free = {quant.pk: quant.on_hand for quant in quants}
    by_product: dict[int, list[StockQuant]] = defaultdict(list)
    for quant in quants:
        by_product[quant.product_id].append(quant)
    result = PickList(warehouse=warehouse, shipments=shipments, waiting=count)
    grouped: dict[int, list[PickRow]] = defaultdict(list)
    locations: dict[int, Location] = {}
    for shipment in shipments:
        for line in shipment.lines.all():
            wanted = line.to_verify
            for quant in by_product[line.order_line.product_id]:
                if wanted <= 0:
                    break
                take = min(wanted, free[quant.pk])
                if take > 0:
                    free[quant.pk] -= take
                    wanted -= take
                    locations[quant.location_id] = quant.location
                    grouped[quant.location_id].append(PickRow(quant.location, shipment, line, quant.batch, take))
            if wanted > 0:
                result.shortages.append(PickRow(None, shipment, line, None, wanted))
    for location_id in sorted(grouped, key=lambda pk: locations[pk].code):
        rows = sorted(grouped[location_id], key=lambda r: (r.product.sku, r.batch.code if r.batch else ""))
        result.groups.append((locations[location_id], rows))
    return result


def pick_warehouses() -> list[tuple[Warehouse, int]]:
    """Active warehouses with how many shipments wait to be picked in each."""
    counts = defaultdict(int)
    for warehouse_id in Shipment.objects.filter(state__in=[ShipmentState.PLANNED, ShipmentState.PICKING]) \
            .values_list("warehouse_id", flat=True):
        counts[warehouse_id] += 1
    return [(warehouse, counts[warehouse.pk]) for warehouse in
            Warehouse.objects.filter(Q(is_active=True) | Q(pk__in=list(counts))).order_by("code")]
