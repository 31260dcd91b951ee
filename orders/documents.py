"""Quotation and contract PDFs: Django templates rendered in the document's language, laid
out by WeasyPrint. The shipment documents (logistics/documents.py) use the same machinery:
`render_document`, `document_party`, `customer_prefetches`, `local_date`.

Nothing is fetched while rendering: the CSS is inline in the templates, the fonts come
from fontconfig (a CJK font must be installed: see scripts/system-packages), and the URL
fetcher refuses every URL, so a stray reference can never reach the network."""

from __future__ import annotations

import datetime
import functools
import re
from typing import Any

from django.conf import settings
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import (
    Contract,
    ContractClause,
    ContractState,
    Quotation,
    QuotationLine,
    QuotationState,
)


@functools.cache
def _refuse_all_urls() -> Any:
    """A URL fetcher for WeasyPrint that loads nothing, local or remote; WeasyPrint logs
    the refusal as a warning and renders without the resource. WeasyPrint is imported with
    the first document, not with the URL configuration, so a web process carries it (tens
    of thousands of objects) only once it has laid out a PDF."""
    from weasyprint.urls import URLFetcher

    class RefuseAllURLs(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            raise ValueError(f"documents load no resources; refused {url[:100]!r}")

    return RefuseAllURLs()


def _css_string(text: str) -> str:
    """`text` as a quoted CSS string, safe inside a <style> element."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("<", "\\3C ")
    return f'"{escaped}"'


def _page_counter() -> str:
    """“Page 2 of 5” in the active language, as a CSS `content` value: the whole phrase is
    translated, so each language places the numbers where its grammar wants them."""
    counters = {"%(page)s": "counter(page)", "%(pages)s": "counter(pages)"}
    parts = re.split(r"(%\(pages?\)s)", _("Page %(page)s of %(pages)s"))
    return " ".join(counters.get(part) or _css_string(part) for part in parts if part)


def document_party(customer: Any, order: Any) -> dict[str, Any]:
    """The customer's name, code, address and contact as printed: the order's own address
    and contact when it has them, else the customer's default ones (prefetched)."""
    address = order.delivery_address or next(iter(customer.addresses.all()), None)
    contact = order.contact or next(iter(customer.contacts.all()), None)
    return {"name": customer.name, "code": customer.code, "address": address, "contact": contact}


def customer_prefetches(prefix: str) -> list[str]:
    return [f"{prefix}customer__addresses", f"{prefix}customer__contacts"]


def _lines_prefetch(lookup: str) -> Prefetch:
    return Prefetch(lookup, queryset=QuotationLine.objects.select_related("product").order_by("line_no"))


def render_document(template: str, context: dict[str, Any]) -> bytes:
    """Render in the active language (the caller overrides it with the document's)."""
    context = {
        **context,
        "company_name": settings.OMS_COMPANY_NAME,
        "company_address": settings.OMS_COMPANY_ADDRESS,
        "page_counter": _page_counter(),
        "footer_left": _css_string(f"{settings.OMS_COMPANY_NAME} · {context['document_label']}"),
    }
    return html_to_pdf(render_to_string(template, context))


def html_to_pdf(html: str) -> bytes:
    """Lay out one HTML document as PDF bytes without fetching anything."""
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=_refuse_all_urls()).write_pdf()


def local_date(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localdate(moment) if moment else None


# --- quotation ---------------------------------------------------------------------------------

def _schedule(quotation: Quotation, order: Any) -> dict[str, Any]:
    """What both documents print of the quoted goods: lines, totals and the customer."""
    return {
        "lines": list(quotation.lines.all()), "currency": quotation.currency, "subtotal": quotation.subtotal,
        "discount_amount": quotation.discount_amount, "total_amount": quotation.total_amount,
        "customer": document_party(order.customer, order),
    }


def render_quotation_pdf(quotation: Quotation) -> bytes:
    """The quotation as a PDF in its customer's language.

    Reads the quotation afresh with everything it prints (four queries whatever the
    number of lines), so the document shows what is stored; inside a service's
    transaction it sees that transaction's writes. Drafts carry a “Draft” watermark."""
    quotation = (
        Quotation.objects
        .select_related("order__customer", "order__contact", "order__delivery_address")
        .prefetch_related(_lines_prefetch("lines"), *customer_prefetches("order__"))
        .get(pk=quotation.pk)
    )
    order = quotation.order
    watermark = ""
    if quotation.state in (QuotationState.DRAFT, QuotationState.IN_REVIEW):
        watermark = "draft"
    elif quotation.state == QuotationState.SUPERSEDED:
        watermark = "superseded"
    context = {
        "quotation": quotation,
        **_schedule(quotation, order),
        "issued_on": local_date(quotation.sent_at or quotation.created_at),
        "watermark": watermark,
    }
    with translation.override(order.customer.language):
        return render_document("documents/quotation.html", {**context, "document_label": str(quotation.label)})


# --- contract ----------------------------------------------------------------------------------

def render_contract_pdf(contract: Contract) -> bytes:
    """The contract as a PDF in the contract's language: parties, clauses, the schedule of
    the accepted quotation's lines, delivery date and signature blocks.

    Reads the contract afresh (five queries whatever the number of lines or clauses).
    Until it is approved for signing it carries a “Draft” watermark; a cancelled one says so."""
    contract = (
        Contract.objects
        .select_related("order__customer", "order__contact", "order__delivery_address", "quotation")
        .prefetch_related(
            Prefetch("clauses", queryset=ContractClause.objects.order_by("position")),
            _lines_prefetch("quotation__lines"),
            *customer_prefetches("order__"),
        )
        .get(pk=contract.pk)
    )
    order, quotation = contract.order, contract.quotation
    watermark = ""
    if contract.state in (ContractState.DRAFT, ContractState.IN_REVIEW):
        watermark = "draft"
    elif contract.state == ContractState.CANCELLED:
        watermark = "cancelled"
    context = {
        "contract": contract,
        "quotation": quotation,
        "document_label": contract.number,
        "clauses": list(contract.clauses.all()),
        **_schedule(quotation, order),
        "issued_on": local_date(contract.created_at),
        "watermark": watermark,
    }
    with translation.override(contract.language):
        return render_document("documents/contract.html", context)
