"""Shipment PDFs: the delivery note, one packing list per package, one certificate of
conformity per batch and, for exports, the commercial invoice (DESIGN.md §2.6).

They are laid out like the quotation and the contract (orders.documents: WeasyPrint, no
resource ever fetched, the company's letterhead, “Page x of y”) and printed in the
customer's language. The warehouse's documents carry no prices; only the commercial
invoice, which customs needs for an export, shows the order lines' net prices."""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from oms.money import quantize
from orders.documents import customer_prefetches, document_party, local_date, render_document
from orders.models import AttachmentKind

from .models import Package, PackedItem, Shipment, ShipmentLine, ShipmentState

DELIVERY_NOTE = AttachmentKind.DELIVERY_NOTE.value
PACKING_LIST = AttachmentKind.PACKING_LIST.value
CONFORMITY = AttachmentKind.CONFORMITY.value
COMMERCIAL_INVOICE = AttachmentKind.COMMERCIAL_INVOICE.value


@dataclass(frozen=True)
class RenderedDocument:
    """One rendered PDF: `kind` is an orders.models.AttachmentKind value, `title` is in
    the document's language."""

    kind: str
    filename: str
    content: bytes
    title: str


def is_export(shipment: Shipment) -> bool:
    """True when the goods go to another country than the company's (OMS_COMPANY_COUNTRY).
    A shipment whose order has no delivery address anywhere is not treated as an export."""
    order = shipment.order
    return _crosses_border(document_party(order.customer, order)["address"])


def shipment_documents(shipment: Shipment) -> list[RenderedDocument]:
    """Every document the shipment travels with, in the customer's language: the delivery
    note, a packing list per package, a certificate of conformity per batch (per product
    for products without batches) and, for an export, the commercial invoice.

    Reads the shipment afresh with what the documents print (six queries whatever the
    number of lines, packages and batches); inside a transaction it sees its writes."""
    shipment = _load(shipment.pk)
    order = shipment.order
    with translation.override(order.customer.language):
        data = _ShipmentData.build(shipment)
        documents = [_delivery_note(data)]
        documents += [_packing_list(data, package) for package in data.packages]
        documents += _certificates(data)
        if _crosses_border(data.party["address"]):
            documents.append(_commercial_invoice(data))
    return documents


# --- reading -----------------------------------------------------------------------------------

def _load(pk: int) -> Shipment:
    items = PackedItem.objects.select_related("batch", "line__order_line__product").order_by("id")
    return (
        Shipment.objects
        .select_related("order__customer", "order__contact", "order__delivery_address", "warehouse",
                        "carrier_service__carrier")
        .prefetch_related(
            Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line__product")
                     .order_by("order_line__line_no", "id")),
            Prefetch("packages", queryset=Package.objects.order_by("number")
                     .prefetch_related(Prefetch("items", queryset=items))),
            *customer_prefetches("order__"),
        )
        .get(pk=pk)
    )


def _crosses_border(address: Any) -> bool:
    if address is None or not address.country.strip():
        return False
    return address.country.strip().upper() != settings.OMS_COMPANY_COUNTRY.strip().upper()


@dataclass
class _BatchQuantity:
    """A quantity of one product of one batch (None: the product has no batches)."""

    line: ShipmentLine
    batch: Any
    quantity: Decimal = Decimal(0)

    @property
    def product(self) -> Any:
        return self.line.order_line.product

    @property
    def sort_key(self) -> tuple:
        batch = self.batch
        return (self.line.order_line.line_no, batch is None, batch and batch.expires_on or datetime.date.max,
                batch and batch.code or "")


def _by_line_and_batch(items: list[PackedItem], lines: dict[int, ShipmentLine]) -> list[_BatchQuantity]:
    """Packed items summed per shipment line and batch, in line order then first-expiring."""
    sums: dict[tuple[int, int | None], _BatchQuantity] = {}
    for item in items:
        key = (item.line_id, item.batch_id)
        if key not in sums:
            sums[key] = _BatchQuantity(line=lines.get(item.line_id, item.line), batch=item.batch)
        sums[key].quantity += item.quantity
    return sorted(sums.values(), key=lambda entry: entry.sort_key)


@dataclass
class _ShipmentData:
    """What the documents print, computed once from the prefetched shipment."""

    shipment: Shipment
    party: dict[str, Any]
    lines: list[ShipmentLine]
    packages: list[Package]
    batches_by_line: dict[int, list[_BatchQuantity]]
    items_by_package: dict[int, list[_BatchQuantity]]
    batches: list[_BatchQuantity]
    common: dict[str, Any]

    @classmethod
    def build(cls, shipment: Shipment) -> _ShipmentData:
        order = shipment.order
        lines = list(shipment.lines.all())
        by_id = {line.pk: line for line in lines}
        packages = list(shipment.packages.all())
        per_line = _by_line_and_batch([item for package in packages for item in package.items.all()], by_id)
        batches_by_line: dict[int, list[_BatchQuantity]] = defaultdict(list)
        # one certificate per product and batch, even when two lines carry the same product
        batches: dict[tuple[int, int | None], _BatchQuantity] = {}
        for entry in per_line:
            batches_by_line[entry.line.pk].append(entry)
            key = (entry.product.pk, entry.batch.pk if entry.batch else None)
            batches.setdefault(key, _BatchQuantity(line=entry.line, batch=entry.batch)).quantity += entry.quantity
        weights = [package.weight_kg for package in packages if package.weight_kg is not None]
        party = document_party(order.customer, order)
        service = shipment.carrier_service
        return cls(
            shipment=shipment,
            party=party,
            lines=lines,
            packages=packages,
            batches_by_line=dict(batches_by_line),
            items_by_package={package.pk: _by_line_and_batch(list(package.items.all()), by_id)
                              for package in packages},
            batches=list(batches.values()),
            common={
                "shipment": shipment,
                "order": order,
                "customer": party,
                "warehouse": shipment.warehouse,
                "carrier_service": service,
                "carrier": service.carrier if service else None,
                "order_date": local_date(order.created_at),
                "package_count": len(packages),
                "gross_weight": sum(weights, Decimal(0)) if weights else None,
                "weight_complete": len(weights) == len(packages),
                "watermark": "cancelled" if shipment.state == ShipmentState.CANCELLED else "",
            },
        )

    @property
    def number(self) -> str:
        return self.shipment.number

    @property
    def issued_on(self) -> datetime.date:
        return self.shipment.ship_date or timezone.localdate()


# --- the documents -----------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _safe(part: str) -> str:
    """A file-name part of ASCII letters, digits, dots, dashes and underscores."""
    return _UNSAFE.sub("-", part).strip("-.") or "x"


def _filename(data: _ShipmentData, suffix: str) -> str:
    return f"{_safe(data.number)}-{suffix}.pdf"


def _delivery_note(data: _ShipmentData) -> RenderedDocument:
    lines = [{"line": line, "order_line": line.order_line,
              "batches": [entry for entry in data.batches_by_line.get(line.pk, []) if entry.batch]}
             for line in data.lines]
    title = _("Delivery note")
    content = render_document("logistics/documents/delivery_note.html", {
        **data.common,
        "document_label": f"{title} {data.number}",
        "lines": lines,
        "total_quantity": sum((line.quantity for line in data.lines), Decimal(0)),
    })
    return RenderedDocument(DELIVERY_NOTE, _filename(data, "delivery-note"), content, f"{title} {data.number}")


def _packing_list(data: _ShipmentData, package: Package) -> RenderedDocument:
    items = data.items_by_package[package.pk]
    of = _("Package %(number)s of %(total)s") % {"number": package.number, "total": len(data.packages)}
    title = f"{_('Packing list')} {data.number} · {of}"
    content = render_document("logistics/documents/packing_list.html", {
        **data.common,
        "document_label": title,
        "package": package,
        "items": items,
        "total_quantity": sum((item.quantity for item in items), Decimal(0)),
    })
    return RenderedDocument(PACKING_LIST, _filename(data, f"packing-list-{package.number}"), content, title)


def _certificates(data: _ShipmentData) -> list[RenderedDocument]:
    codes = [entry.batch.code for entry in data.batches if entry.batch]
    documents = []
    for entry in data.batches:
        product, batch = entry.product, entry.batch
        if batch is None:
            label, suffix = product.sku, _safe(product.sku)
        elif codes.count(batch.code) > 1:  # two products with the same batch code
            label, suffix = f"{product.sku} / {batch.code}", f"{_safe(product.sku)}-{_safe(batch.code)}"
        else:
            label, suffix = batch.code, _safe(batch.code)
        title = f"{_('Certificate of conformity')} {data.number} · {label}"
        content = render_document("logistics/documents/conformity.html", {
            **data.common,
            "document_label": title,
            "product": product,
            "order_line": entry.line.order_line,
            "batch": batch,
            "quantity": entry.quantity,
            "issued_on": data.issued_on,
            "place": data.shipment.warehouse.address or settings.OMS_COMPANY_ADDRESS,
        })
        documents.append(RenderedDocument(CONFORMITY, _filename(data, f"conformity-{suffix}"), content, title))
    return documents


def _commercial_invoice(data: _ShipmentData) -> RenderedDocument:
    order = data.shipment.order
    lines = []
    for line in data.lines:
        order_line = line.order_line
        net_price = quantize(order_line.unit_price * (Decimal(100) - order_line.discount_percent) / Decimal(100))
        lines.append({"line": line, "order_line": order_line, "unit_price": net_price,
                      "amount": quantize(line.quantity * net_price)})
    customer = order.customer
    buyer = {**data.party, "address": next(iter(customer.addresses.all()), None) or data.party["address"]}
    title = _("Commercial invoice")
    content = render_document("logistics/documents/commercial_invoice.html", {
        **data.common,
        "document_label": f"{title} {data.number}",
        "buyer": buyer,
        "ship_to": data.party["address"],
        "lines": lines,
        "currency": order.currency,
        "total_amount": sum((line["amount"] for line in lines), Decimal(0)),
        "issued_on": data.issued_on,
        "origin_country": settings.OMS_COMPANY_COUNTRY,
        "destination_country": data.party["address"].country.strip().upper(),
    })
    return RenderedDocument(COMMERCIAL_INVOICE, _filename(data, "commercial-invoice"), content,
                            f"{title} {data.number}")
