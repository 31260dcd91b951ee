"""Availability to promise (DESIGN.md §2 stage 4): for each order line, the earliest date
it can be met from the supply sources, and whether that meets the requested date.

Supply comes from a list of sources, each answering "what of these products can I
supply, from which date, how much":

- stock on hand (available now, limited);
- incoming supply: open purchase orders by expected date and open work orders by due
  date, less what the orders already waiting for them will take (in priority order);
- the product's production or purchasing lead time (make and buy items, unlimited from
  today + lead time: a new work or purchase order can be raised).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from django.db.models import F, Sum

from inventory.models import Product, StockLevel, SupplyType


@dataclass(frozen=True)
class Supply:
    """Some quantity of a product, available from a date. `quantity=None`: unlimited."""

    available_on: datetime.date
    quantity: Decimal | None
    source: str


class SupplySource(Protocol):
    name: str

    def supplies(self, products: list[Product], *, today: datetime.date) -> dict[int, list[Supply]]:
        """Supplies per product id for the given products (one or a few queries)."""


class StockOnHand:
    """What the active warehouses hold and have not reserved, today (reservations draw
    on active warehouses only)."""

    name = "stock"

    def supplies(self, products: list[Product], *, today: datetime.date) -> dict[int, list[Supply]]:
        rows = (StockLevel.objects.filter(product__in=products, warehouse__is_active=True).values("product_id")
                .annotate(available=Sum(F("on_hand") - F("reserved"))))
        return {row["product_id"]: [Supply(today, max(row["available"] or Decimal(0), Decimal(0)), self.name)]
                for row in rows}


class LeadTime:
    """Make and buy items can be produced or bought in: any quantity after their lead time."""

    name = "lead_time"

    def supplies(self, products: list[Product], *, today: datetime.date) -> dict[int, list[Supply]]:
        return {
            product.pk: [Supply(today + datetime.timedelta(days=product.lead_time_days), None,
                                "make" if product.supply_type == SupplyType.MAKE else "buy")]
            for product in products if product.supply_type in (SupplyType.MAKE, SupplyType.BUY)
        }


class IncomingSupply:
    """Open purchase and work orders not yet promised to the orders waiting for them."""

    name = "incoming"

    def supplies(self, products: list[Product], *, today: datetime.date) -> dict[int, list[Supply]]:
        from inventory.services import free_incoming

        return {
            product_id: [Supply(incoming.available_on, left, f"{incoming.kind}:{incoming.number}")
                         for incoming, left in found]
            for product_id, found in free_incoming([p.pk for p in products], today=today).items()
        }


#: The supply sources, in no particular order: supplies are used earliest first.
SUPPLY_SOURCES: list[SupplySource] = [StockOnHand(), IncomingSupply(), LeadTime()]


@dataclass
class LinePromise:
    line_no: int
    sku: str
    quantity: Decimal
    requested_date: datetime.date | None
    promise_date: datetime.date | None = None
    sources: list[dict] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return self.promise_date is not None and (
            self.requested_date is None or self.promise_date <= self.requested_date)

    def as_dict(self) -> dict:
        return {
            "line_no": self.line_no, "sku": self.sku, "quantity": str(self.quantity),
            "requested_date": self.requested_date.isoformat() if self.requested_date else None,
            "promise_date": self.promise_date.isoformat() if self.promise_date else None,
            "met": self.met, "sources": self.sources,
        }


def promise_lines(lines: Iterable, *, requested_date: datetime.date | None, today: datetime.date,
                  sources: list[SupplySource] | None = None) -> list[LinePromise]:
    """Promise dates for order lines (objects with line_no, product, quantity), in line
    order: lines of the same product draw on the same supplies, earliest supply first."""
    lines = sorted(lines, key=lambda line: line.line_no)
    products = list({line.product_id: line.product for line in lines}.values())
    supplies: dict[int, list[Supply]] = {}
    for source in sources if sources is not None else SUPPLY_SOURCES:
        for product_id, found in source.supplies(products, today=today).items():
            supplies.setdefault(product_id, []).extend(found)
    remaining = {
        product_id: [[supply, supply.quantity] for supply in sorted(found, key=lambda s: s.available_on)]
        for product_id, found in supplies.items()
    }
    promises = []
    for line in lines:
        promise = LinePromise(line.line_no, line.product.sku, line.quantity, requested_date)
        need = line.quantity
        for entry in remaining.get(line.product_id, []):
            supply, left = entry
            if need <= 0:
                break
            if left is not None and left <= 0:
                continue
            take = need if left is None else min(need, left)
            if left is not None:
                entry[1] = left - take
            need -= take
            promise.sources.append({"source": supply.source, "quantity": str(take),
                                    "available_on": supply.available_on.isoformat()})
            if need <= 0:
                promise.promise_date = supply.available_on
        promises.append(promise)
    return promises
