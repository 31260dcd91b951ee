"""Shipment PDFs: a real shipment (an order released through the services, then lines,
packages and packed batches written directly), rendered and read back with pdftotext.
Labels are translated later, so the assertions look at what does not depend on the
catalogue: numbers, SKUs, batch codes, quantities, amounts and the customer's own text."""

from __future__ import annotations

import datetime
import logging
import subprocess
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Address, Contact
from inventory.models import Batch, Warehouse
from inventory.services import stock_receive
from logistics.documents import is_export, shipment_documents
from logistics.models import Carrier, CarrierService, Package, PackedItem, Shipment, ShipmentLine
from oms.money import quantize
from orders.models import AttachmentKind, SalesOrder

from ..factories import CustomerFactory, ProductFactory, WarehouseFactory, released_order

CHINESE_CUSTOMER = "上海精密机械有限公司"
EXPIRES = datetime.date(2027, 3, 31)


def pdf_text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
                          ).stdout.decode()


def receive(product, warehouse: Warehouse, quantity: str, batch_code: str = "") -> Batch | None:
    stock_receive(product=product, warehouse=warehouse, quantity=quantity, batch_code=batch_code,
                  expires_on=EXPIRES if batch_code else None, reference="TEST")
    return Batch.objects.get(product=product, code=batch_code) if batch_code else None


@pytest.fixture
def goods(db):
    """A batch-tracked bearing in two batches (one with a code a file name cannot carry
    as it is) and a gearbox without batches, in stock in one warehouse."""
    warehouse = WarehouseFactory(address="Lingang Logistics Park, Shanghai")
    bearing = ProductFactory(sku="BRG-6204-2RS", name="Deep groove ball bearing", list_price=Decimal("18.60"),
                             batch_tracked=True)
    gearbox = ProductFactory(sku="GB-100", name="Planetary gearbox GB-100", list_price=Decimal("12800.00"),
                             unit="set")
    first = receive(bearing, warehouse, "20", "B2401")
    second = receive(bearing, warehouse, "50", "L/24 02")
    receive(gearbox, warehouse, "10")
    return {"warehouse": warehouse, "bearing": bearing, "gearbox": gearbox, "B2401": first, "L/24 02": second}


def make_shipment(users, goods, *, customer=None, number: str = "SH-2026-000012",
                  discounts: dict[str, str] | None = None) -> Shipment:
    """A packed shipment of 30 bearings (20 of B2401 in package 1, 10 of L/24 02 in package 2)
    and 2 gearboxes (package 1), sent by express with a tracking number."""
    customer = customer or CustomerFactory(owner=users["sales"], language="en")
    bearing, gearbox = goods["bearing"], goods["gearbox"]
    order = released_order(users, customer=customer, lines=[(bearing, "30"), (gearbox, "2")],
                           customer_reference="PO-7781")
    for sku, discount in (discounts or {}).items():
        order.lines.filter(product__sku=sku).update(discount_percent=Decimal(discount))
    service = CarrierService.objects.create(
        carrier=Carrier.objects.create(code=f"SF{number[-3:]}", name="SF Express"), mode="express",
        name="Standard express", transit_days=2)
    shipment = Shipment.objects.create(number=number, order=order, warehouse=goods["warehouse"], state="packed",
                                       carrier_service=service, tracking_number="SF1234567890")
    bearings = ShipmentLine.objects.create(shipment=shipment, order_line=order.lines.get(product=bearing),
                                           quantity=Decimal("30"), verified_quantity=Decimal("30"))
    gearboxes = ShipmentLine.objects.create(shipment=shipment, order_line=order.lines.get(product=gearbox),
                                            quantity=Decimal("2"), verified_quantity=Decimal("2"))
    crate = Package.objects.create(shipment=shipment, number=1, weight_kg=Decimal("86.5"), length_cm=Decimal("120"),
                                   width_cm=Decimal("80"), height_cm=Decimal("75"))
    box = Package.objects.create(shipment=shipment, number=2, weight_kg=Decimal("4.2"), length_cm=Decimal("40"),
                                 width_cm=Decimal("30"), height_cm=Decimal("20"))
    # the packer scanned the first batch twice: the documents add the scans up
    PackedItem.objects.create(line=bearings, package=crate, batch=goods["B2401"], quantity=Decimal("15"))
    PackedItem.objects.create(line=bearings, package=crate, batch=goods["B2401"], quantity=Decimal("5"))
    PackedItem.objects.create(line=gearboxes, package=crate, batch=None, quantity=Decimal("2"))
    PackedItem.objects.create(line=bearings, package=box, batch=goods["L/24 02"], quantity=Decimal("10"))
    return shipment


def by_kind(documents) -> dict[str, list]:
    kinds: dict[str, list] = {}
    for document in documents:
        kinds.setdefault(document.kind, []).append(document)
    return kinds


def test_a_domestic_shipment_gets_a_delivery_note_packing_lists_and_certificates(users, goods):
    shipment = make_shipment(users, goods)

    documents = shipment_documents(shipment)

    assert not is_export(shipment)
    assert [(d.kind, d.filename) for d in documents] == [
        (AttachmentKind.DELIVERY_NOTE, "SH-2026-000012-delivery-note.pdf"),
        (AttachmentKind.PACKING_LIST, "SH-2026-000012-packing-list-1.pdf"),
        (AttachmentKind.PACKING_LIST, "SH-2026-000012-packing-list-2.pdf"),
        (AttachmentKind.CONFORMITY, "SH-2026-000012-conformity-B2401.pdf"),
        (AttachmentKind.CONFORMITY, "SH-2026-000012-conformity-L-24-02.pdf"),
        (AttachmentKind.CONFORMITY, "SH-2026-000012-conformity-GB-100.pdf"),
    ]
    assert all(type(d.kind) is str and d.title and "SH-2026-000012" in d.title for d in documents)

    note = pdf_text(documents[0].content)
    order = shipment.order
    for expected in ("SH-2026-000012", order.number, "PO-7781", shipment.order.customer.name, "1 Test Road",
                     "Buyer", "SF Express", "Standard express", "SF1234567890", "BRG-6204-2RS",
                     "Deep groove ball bearing", "GB-100", "B2401 × 20", "L/24 02 × 10", "90.7 kg",
                     "RECEIVED IN GOOD ORDER", "Not shipped yet"):
        assert expected in note, expected
    assert "30" in next(line for line in note.splitlines() if "BRG-6204-2RS" in line).split()
    assert "2" in next(line for line in note.splitlines() if "GB-100" in line).split()
    assert "32" in note.split()  # the total quantity
    for price in ("18.60", "12,800.00", "Unit price", "Amount"):
        assert price not in note


def test_each_packing_list_shows_only_its_own_package(users, goods):
    documents = by_kind(shipment_documents(make_shipment(users, goods)))

    crate, box = (pdf_text(d.content) for d in documents[AttachmentKind.PACKING_LIST])

    assert "Package 1 of 2" in crate and "Package 2 of 2" in box
    assert "120 × 80 × 75 cm" in crate and "86.5 kg" in crate
    assert "40 × 30 × 20 cm" in box and "4.2 kg" in box
    for text in (crate, box):
        assert "SH-2026-000012" in text and "1 Test Road" in text
    crate_row = next(line for line in crate.splitlines() if "BRG-6204-2RS" in line)
    assert "B2401" in crate_row and EXPIRES.isoformat() in crate_row and "20" in crate_row.split()
    assert "GB-100" in crate and "L/24 02" not in crate
    box_row = next(line for line in box.splitlines() if "BRG-6204-2RS" in line)
    assert "L/24 02" in box_row and "10" in box_row.split()
    assert "B2401" not in box and "GB-100" not in box


def test_one_certificate_of_conformity_per_batch_with_its_quantity(users, goods):
    shipment = make_shipment(users, goods)
    documents = by_kind(shipment_documents(shipment))

    first, second, gearbox = (pdf_text(d.content) for d in documents[AttachmentKind.CONFORMITY])

    for text, code, quantity in ((first, "B2401", "20"), (second, "L/24 02", "10")):
        assert "BRG-6204-2RS" in text and code in text and EXPIRES.isoformat() in text
        row = next(line for line in text.splitlines() if "Quantity in this shipment" in line)
        assert quantity in row.split()
        assert shipment.order.number in text and shipment.order.customer.name in text
        assert "conform" in text and "Lingang Logistics Park" in text
    assert "B2401" not in second and "L/24 02" not in first
    assert "GB-100" in gearbox and "B2401" not in gearbox
    assert "2" in next(line for line in gearbox.splitlines() if "Quantity in this shipment" in line).split()


def test_an_export_gets_a_commercial_invoice_at_the_net_prices(users, goods):
    customer = CustomerFactory(owner=users["sales"], language="en", with_address_and_contact=False)
    Address.objects.create(customer=customer, line1="Hafenstraße 12", city="Hamburg", postal_code="20457",
                           country="DE", is_default_shipping=True)
    Contact.objects.create(customer=customer, name="Jana Weber", is_primary=True)
    shipment = make_shipment(users, goods, customer=customer, discounts={"BRG-6204-2RS": "5", "GB-100": "2.5"})
    SalesOrder.objects.filter(pk=shipment.order_id).update(currency="EUR")

    documents = by_kind(shipment_documents(shipment))

    assert is_export(shipment)
    [invoice] = documents[AttachmentKind.COMMERCIAL_INVOICE]
    assert invoice.filename == "SH-2026-000012-commercial-invoice.pdf"
    text = pdf_text(invoice.content)
    # 18.60 less 5% = 17.67 (rounded to the cent) × 30; 12,800.00 less 2.5% = 12,480.00 × 2
    lines = {"BRG-6204-2RS": (Decimal("30"), Decimal("18.60"), Decimal("5")),
             "GB-100": (Decimal("2"), Decimal("12800.00"), Decimal("2.5"))}
    total = Decimal(0)
    for sku, (quantity, price, discount) in lines.items():
        net = quantize(price * (100 - discount) / 100)
        amount = quantize(quantity * net)
        total += amount
        row = next(line for line in text.splitlines() if sku in line)
        assert f"{net:,.2f}" in row and f"{amount:,.2f}" in row
    assert total == Decimal("25490.10")
    assert f"{total:,.2f}" in text
    for expected in ("SH-2026-000012", customer.name, "Hafenstraße 12", "Hamburg", "EUR", "DE", "CN",
                     "SF Express", "SF1234567890", "90.7 kg"):
        assert expected in text, expected
    # the warehouse's documents still carry no price
    note = pdf_text(documents[AttachmentKind.DELIVERY_NOTE][0].content)
    assert "17.67" not in note and "25,490.10" not in note


def test_a_chinese_customers_documents_print_chinese_text_without_layout_warnings(users, goods, caplog):
    customer = CustomerFactory(owner=users["sales"], name=CHINESE_CUSTOMER, language="zh-hans",
                               with_address_and_contact=False)
    Address.objects.create(customer=customer, line1="浦东新区张江路 88 号", city="上海", country="CN",
                           is_default_shipping=True)
    Contact.objects.create(customer=customer, name="王经理", is_primary=True)
    goods["bearing"].name = "深沟球轴承 6204-2RS"
    goods["bearing"].save()

    shipment = make_shipment(users, goods, customer=customer)
    caplog.clear()

    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        documents = shipment_documents(shipment)

    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []
    note = pdf_text(documents[0].content)
    assert CHINESE_CUSTOMER in note
    assert "浦东新区张江路 88 号" in note
    assert "深沟球轴承 6204-2RS" in note
    assert "王经理" in note
    assert "B2401 × 20" in note


def test_documents_cost_the_same_queries_for_one_line_or_three(users, goods):
    small = make_shipment(users, goods, number="SH-2026-000001")
    big = make_shipment(users, goods, number="SH-2026-000002")
    ShipmentLine.objects.filter(shipment=small, order_line__product=goods["gearbox"]).delete()
    PackedItem.objects.filter(package__shipment=small, package__number=2).delete()
    Package.objects.filter(shipment=small, number=2).delete()
    extra = ProductFactory(sku="OIL-46", name="Hydraulic oil 46")
    line = big.order.lines.create(line_no=3, product=extra, quantity=Decimal("4"), unit_price=Decimal("23.40"))
    third = ShipmentLine.objects.create(shipment=big, order_line=line, quantity=Decimal("4"))
    PackedItem.objects.create(line=third, package=Package.objects.create(shipment=big, number=3),
                              quantity=Decimal("4"))
    assert (small.lines.count(), small.packages.count(), big.lines.count(), big.packages.count()) == (1, 1, 3, 3)

    with CaptureQueriesContext(connection) as few:
        few_documents = shipment_documents(small)
    with CaptureQueriesContext(connection) as many:
        many_documents = shipment_documents(big)

    assert len(few) == len(many) <= 6
    assert len(few_documents) < len(many_documents)
