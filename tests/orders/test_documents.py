"""Quotation and contract PDFs: rendered from data built through the services, read back
with pypdf. Labels are translated later, so the assertions look at what does not depend
on the catalogue: numbers, SKUs, amounts, dates and the customer's own (Chinese) text."""

from __future__ import annotations

import datetime
import io
import logging
import socket
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from orders import services
from orders.documents import html_to_pdf, render_contract_pdf, render_quotation_pdf
from orders.models import Attachment, AttachmentKind, ContractClause, Quotation, QuotationSignoff

from ..factories import CustomerFactory, ProductFactory

CHINESE_CUSTOMER = "上海精密机械有限公司"
SIGNERS = {"finance": "reviewer", "operations": "planner", "manager": "manager"}


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def amount(value: Decimal) -> str:
    """How the documents print an amount in both languages: 12,345.60."""
    return f"{value:,.2f}"


def make_quotation(users, *, customer=None, lines: list[tuple] | None = None, **terms) -> Quotation:
    """A draft quotation (rev 1) of a new inquiry, through the services. `lines` are
    (product, quantity, unit price, discount %)."""
    customer = customer or CustomerFactory(owner=users["sales"])
    if lines is None:
        lines = [(ProductFactory(), Decimal("3"), Decimal("100.00"), Decimal("0"))]
    order = services.inquiry_create(
        by=users["sales"], customer=customer,
        needs=[services.NeedInput(product=product, quantity=qty) for product, qty, _price, _disc in lines])
    return services.quotation_create(
        order_id=order.pk, by=users["sales"], **terms,
        lines=[services.LineInput(product=product, quantity=qty, unit_price=price, discount_percent=discount)
               for product, qty, price, discount in lines])


def accept(quotation: Quotation, users) -> Quotation:
    """Review, every required sign-off, send and the customer's acceptance."""
    services.quotation_submit_review(quotation_id=quotation.pk, by=users["sales"])
    for signoff in QuotationSignoff.objects.filter(quotation=quotation, decision="pending"):
        services.quotation_signoff(quotation_id=quotation.pk, by=users[SIGNERS[signoff.area]], area=signoff.area,
                                   approve=True)
    services.quotation_send(quotation_id=quotation.pk, by=users["sales"], to_email="buyer@example.com")
    return services.quotation_record_decision(quotation_id=quotation.pk, by=users["sales"], accepted=True)


@pytest.fixture
def chinese_lines():
    bearing = ProductFactory(sku="BRG-6204-2RS", name="深沟球轴承 6204-2RS", unit="pcs")
    gearbox = ProductFactory(sku="GB-100", name="行星减速机 GB-100", unit="set")
    oil = ProductFactory(sku="OIL-46", name="液压油 46号", unit="l")
    return [
        (bearing, Decimal("1250"), Decimal("18.60"), Decimal("5")),
        (gearbox, Decimal("4"), Decimal("12800.00"), Decimal("0")),
        (oil, Decimal("37.5"), Decimal("23.40"), Decimal("2.5")),
    ]


def test_quotation_pdf_in_chinese_prints_number_lines_amounts_and_validity(users, chinese_lines):
    customer = CustomerFactory(owner=users["sales"], name=CHINESE_CUSTOMER, language="zh-hans")
    valid_until = timezone.localdate() + datetime.timedelta(days=21)
    quotation = make_quotation(users, customer=customer, lines=chinese_lines, valid_until=valid_until,
                               lead_time_days=45, warranty_terms="整机质保十二个月。")

    pdf = render_quotation_pdf(quotation)

    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert quotation.number in text
    assert CHINESE_CUSTOMER in text
    assert customer.code in text
    for product, _qty, _price, _discount in chinese_lines:
        assert product.sku in text
        assert product.name in text
    for quantity in ("1,250", "4", "37.5"):
        assert quantity in text
    for unit_price in ("18.60", "12,800.00", "23.40"):
        assert unit_price in text
    lines = list(quotation.lines.all())
    assert [amount(line.line_total) for line in lines] == ["22,087.50", "51,200.00", "855.56"]
    for line in lines:
        assert amount(line.line_total) in text
    assert amount(quotation.total_amount) == "74,143.06"
    assert amount(quotation.total_amount) in text
    assert amount(quotation.subtotal) in text
    assert valid_until.isoformat() in text
    assert "整机质保十二个月。" in text
    assert "45" in text


def test_quotation_pdf_names_the_revision(users):
    customer = CustomerFactory(owner=users["sales"], language="en")
    first = make_quotation(users, customer=customer)
    second = services.quotation_revise(quotation_id=first.pk, by=users["sales"])

    text = pdf_text(render_quotation_pdf(second))

    assert f"{first.number} rev 2" in text
    assert customer.name in text


def test_quotation_pdf_renders_with_a_fixed_number_of_queries(users):
    short = make_quotation(users, lines=[(ProductFactory(), Decimal(i + 1), Decimal("10"), Decimal(0))
                                         for i in range(2)])
    long = make_quotation(users, lines=[(ProductFactory(), Decimal(i + 1), Decimal("10"), Decimal(0))
                                        for i in range(10)])

    with CaptureQueriesContext(connection) as short_queries:
        short_pdf = render_quotation_pdf(short)
    with CaptureQueriesContext(connection) as long_queries:
        long_pdf = render_quotation_pdf(long)

    assert len(long_queries) == len(short_queries) <= 4
    long_text = pdf_text(long_pdf)
    assert all(line.product.sku in long_text for line in long.lines.select_related("product"))
    assert short_pdf.startswith(b"%PDF-")


def test_contract_pdf_prints_its_clauses_schedule_and_total(users, chinese_lines):
    customer = CustomerFactory(owner=users["sales"], name=CHINESE_CUSTOMER, language="zh-hans")
    quotation = accept(make_quotation(users, customer=customer, lines=chinese_lines), users)
    contract = services.contract_create(quotation_id=quotation.pk, by=users["sales"])
    clauses = list(ContractClause.objects.filter(contract=contract).order_by("position"))
    assert clauses, "the default zh-hans template has clauses"

    with CaptureQueriesContext(connection) as queries:
        pdf = render_contract_pdf(contract)

    assert len(queries) <= 5
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    flat = "".join(text.split())  # clause bodies wrap across lines
    assert contract.number in text
    assert quotation.number in text
    assert CHINESE_CUSTOMER in text
    for clause in clauses:
        assert "".join(clause.title.split()) in flat
        assert "".join(clause.body.split()) in flat
    for product, _qty, _price, _discount in chinese_lines:
        assert product.sku in text
    assert amount(quotation.total_amount) in text
    assert contract.delivery_date.isoformat() in text


def test_contract_pdf_keeps_the_line_breaks_of_a_clause(users):
    customer = CustomerFactory(owner=users["sales"], language="en")
    quotation = accept(make_quotation(users, customer=customer), users)
    contract = services.contract_create(quotation_id=quotation.pk, by=users["sales"])
    services.contract_update(contract_id=contract.pk, by=users["sales"],
                             clauses={1: "First paragraph of the goods clause.\nSecond paragraph, own line."})

    lines = [line.strip() for line in pdf_text(render_contract_pdf(contract)).splitlines()]

    assert "First paragraph of the goods clause." in lines
    assert "Second paragraph, own line." in lines


def test_documents_never_reach_the_network(monkeypatch, caplog):
    def no_connections(*args, **kwargs):
        raise AssertionError("a document tried to open a connection")

    monkeypatch.setattr(socket.socket, "connect", no_connections)
    monkeypatch.setattr(socket, "create_connection", no_connections)
    html = ('<html><head><link rel="stylesheet" href="https://cdn.example.com/x.css"></head>'
            '<body><img src="https://example.com/logo.png"><p>本地</p></body></html>')

    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = html_to_pdf(html)

    assert pdf.startswith(b"%PDF-")
    assert "refused" in caplog.text
    assert "本地" in pdf_text(pdf)


def test_only_documents_not_yet_approved_carry_the_draft_watermark(users):
    customer = CustomerFactory(owner=users["sales"], language="en")
    quotation = make_quotation(users, customer=customer)
    assert "DRAFT" in pdf_text(render_quotation_pdf(quotation))

    quotation = accept(quotation, users)
    contract = services.contract_create(quotation_id=quotation.pk, by=users["sales"])

    assert "DRAFT" not in pdf_text(render_quotation_pdf(quotation))
    assert "DRAFT" in pdf_text(render_contract_pdf(contract))
    sent = Attachment.objects.get(quotation=quotation, kind=AttachmentKind.QUOTATION_PDF)
    with sent.file.open("rb") as stored:
        assert stored.read(5) == b"%PDF-"


def test_document_templates_render_without_layout_warnings(users, chinese_lines, caplog):
    """WeasyPrint warns about CSS it ignores, fonts it cannot subset and resources it
    cannot load: the templates give it none of these."""
    customer = CustomerFactory(owner=users["sales"], name=CHINESE_CUSTOMER, language="zh-hans")
    quotation = accept(make_quotation(users, customer=customer, lines=chinese_lines), users)
    contract = services.contract_create(quotation_id=quotation.pk, by=users["sales"])
    caplog.clear()

    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        render_quotation_pdf(quotation)
        render_contract_pdf(contract)

    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []
