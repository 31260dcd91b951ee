"""Uploaded files: every way in — the scanned order document, the written confirmation of
a phone order, the signed contract, the proof of delivery's signature and photo, on the
pages and in the API — takes only a PDF, PNG or JPEG (recognised by its content, never by
its name or declared type) of at most OMS_MAX_UPLOAD_BYTES, and stores nothing otherwise.
Files are served as attachments with the type found in their content, only to users who
may see their order and, for priced files, prices."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from customers.models import Customer
from inventory.models import Product
from logistics.models import Shipment
from orders.models import Attachment, Contract, SalesOrder

from .world import PDF

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
#: What the tests squeeze OMS_MAX_UPLOAD_BYTES to: a real PDF of twice that is too large.
SMALL_LIMIT = 2048
WRONG_TYPE = "Only PDF, PNG or JPEG files can be attached."
TOO_LARGE = "The file is too large"


def bad_files() -> dict[str, SimpleUploadedFile]:
    return {
        "an .exe renamed .pdf": SimpleUploadedFile("scan.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200,
                                                   content_type="application/pdf"),
        "a text file": SimpleUploadedFile("order.txt", b"Please deliver ten gearboxes.", content_type="text/plain"),
        "an SVG renamed .png": SimpleUploadedFile(
            "photo.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', content_type="image/png"),
        "a PDF over the limit": SimpleUploadedFile("big.pdf", PDF + b"0" * (2 * SMALL_LIMIT),
                                                   content_type="application/pdf"),
    }


def good_file() -> SimpleUploadedFile:
    return SimpleUploadedFile("signed.pdf", PDF, content_type="application/pdf")


def _page(world, role: str) -> Client:
    client = Client()
    client.force_login(world.users[role])
    return client


def _api(world, role: str) -> APIClient:
    client = APIClient()
    client.force_login(world.users[role])
    return client


def _said(response) -> str:
    """What the answer tells the user: the page or problem document and any message."""
    queued = getattr(getattr(response.wsgi_request, "_messages", None), "_queued_messages", [])
    return response.content.decode(errors="replace") + " ".join(str(m) for m in queued)


# --- the ways in --------------------------------------------------------------------------------

def _entry_data(world, document) -> dict:
    customer = Customer.objects.get(pk=world["customer"])
    return {
        "customer": customer.pk, "channel": "email", "customer_reference": "MAIL-7",
        "contact": customer.contacts.get(is_primary=True).pk,
        "delivery_address": customer.addresses.get(is_default_shipping=True).pk,
        "requested_date": (timezone.localdate() + datetime.timedelta(days=14)).isoformat(),
        "payment_terms": customer.payment_terms, "notes": "", "submit": "1",
        "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "200",
        "lines-0-product": Product.objects.get(pk=world["product"]).sku, "lines-0-quantity": "1",
        "lines-0-unit_price": "", "lines-0-discount_percent": "", "lines-0-description": "",
        "document": document,
    }


def _api_order_payload(world) -> str:
    import json

    return json.dumps({"customer": world["customer"], "channel": "email", "submit": True,
                       "requested_date": (timezone.localdate() + datetime.timedelta(days=14)).isoformat(),
                       "lines": [{"sku": Product.objects.get(pk=world["product"]).sku, "quantity": "1"}]})


@dataclass(frozen=True)
class Way:
    """One way a file comes in: `post(world, file)` sends it as a user who may."""

    post: Callable
    #: The object whose state the accepted file changes, and the state it reaches.
    accepted: Callable


def _verbal_confirmed(world) -> bool:
    return SalesOrder.objects.get(pk=world["verbal"]).confirmed_at is not None


def _contract_signed(world) -> bool:
    return Contract.objects.get(pk=world["approved_contract"]).state == "signed"


def _delivered(world) -> bool:
    return Shipment.objects.get(pk=world["shipped_shipment"]).state == "delivered"


def _new_email_order(world) -> bool:
    return SalesOrder.objects.filter(channel="email").exists()


WAYS = {
    "order entry page: the scanned order": Way(
        lambda w, f: _page(w, "order_desk").post(f"/orders/new/?customer={w['customer']}", _entry_data(w, f)),
        _new_email_order),
    "orders API: the scanned order": Way(
        lambda w, f: _api(w, "order_desk").post("/api/v1/orders/", {"payload": _api_order_payload(w), "document": f},
                                                format="multipart"),
        _new_email_order),
    "order page: the written confirmation": Way(
        lambda w, f: _page(w, "order_desk").post(f"/orders/{w['verbal']}/confirmation/", {"document": f}),
        _verbal_confirmed),
    "orders API: the written confirmation": Way(
        lambda w, f: _api(w, "order_desk").post(f"/api/v1/orders/{w['verbal']}/confirmation/", {"file": f},
                                                format="multipart"),
        _verbal_confirmed),
    "contract page: the signed copy": Way(
        lambda w, f: _page(w, "sales").post(f"/orders/contracts/{w['approved_contract']}/sign/",
                                            {"signed_copy": f, "signed_on": timezone.localdate().isoformat()}),
        _contract_signed),
    "contracts API: the signed copy": Way(
        lambda w, f: _api(w, "sales").post(f"/api/v1/contracts/{w['approved_contract']}/sign/",
                                           {"file": f, "signed_on": timezone.localdate().isoformat()},
                                           format="multipart"),
        _contract_signed),
    "shipment page: the delivery signature": Way(
        lambda w, f: _page(w, "logistics").post(f"/shipping/{w['shipped_shipment']}/deliver/",
                                                {"recipient_name": "Wang Fang", "signature": f}),
        _delivered),
    "shipment page: the delivery photo": Way(
        lambda w, f: _page(w, "logistics").post(f"/shipping/{w['shipped_shipment']}/deliver/",
                                                {"recipient_name": "Wang Fang", "photo": f}),
        _delivered),
    "shipments API: the delivery signature": Way(
        lambda w, f: _api(w, "logistics").post(f"/api/v1/shipments/{w['shipped_shipment']}/proof-of-delivery/",
                                               {"recipient_name": "Wang Fang", "signature": f}, format="multipart"),
        _delivered),
    "shipments API: the delivery photo": Way(
        lambda w, f: _api(w, "logistics").post(f"/api/v1/shipments/{w['shipped_shipment']}/proof-of-delivery/",
                                               {"recipient_name": "Wang Fang", "photo": f}, format="multipart"),
        _delivered),
}


@pytest.mark.parametrize("way", list(WAYS))
def test_wrong_types_and_oversize_files_are_refused_and_nothing_is_stored(world, way, settings):
    settings.OMS_MAX_UPLOAD_BYTES = SMALL_LIMIT
    ways_in = WAYS[way]
    files = Attachment.objects.count()
    for what, upload in bad_files().items():
        response = ways_in.post(world, upload)
        assert response.status_code in (200, 302, 400), f"{what}: {response.status_code}"
        expected = TOO_LARGE if "over the limit" in what else WRONG_TYPE
        assert expected in _said(response), f"{what}: {_said(response)[:500]}"
        assert Attachment.objects.count() == files, f"{what} was stored"
        assert not ways_in.accepted(world), f"{what} was taken"
    # the control: a small real PDF is taken the same way
    response = ways_in.post(world, good_file())
    assert response.status_code in (200, 201, 302), _said(response)[:500]
    assert ways_in.accepted(world) and Attachment.objects.count() > files


# --- what is stored, and how it is served -----------------------------------------------------------

def test_a_file_is_stored_under_a_name_of_ours_and_served_as_what_its_content_is(world):
    """A signature named like a page, in a folder above, is stored under a generated name
    and served as the PNG it is, as an attachment, never rendered by the browser."""
    upload = SimpleUploadedFile("../../templates/base.html", PNG, content_type="text/html")
    response = _api(world, "logistics").post(f"/api/v1/shipments/{world['shipped_shipment']}/proof-of-delivery/",
                                             {"recipient_name": "Wang Fang", "signature": upload}, format="multipart")
    assert response.status_code == 201, response.content
    stored = Attachment.objects.get(shipment_id=world["shipped_shipment"], kind="pod_signature")
    assert stored.file.name.startswith(f"attachments/{stored.order_id}/") and ".." not in stored.file.name
    assert not stored.file.name.endswith(".html") and stored.content_type == "image/png"
    for download in (f"/orders/attachments/{stored.pk}/", f"/api/v1/attachments/{stored.pk}/download/"):
        served = _page(world, "logistics").get(download)
        assert served.status_code == 200, download
        assert served["Content-Type"] == "image/png"
        assert served["Content-Disposition"].startswith("attachment;")
        assert served["X-Content-Type-Options"] == "nosniff"
        assert b"".join(served.streaming_content) == PNG


@pytest.mark.parametrize(("role", "file", "allowed"), [
    ("warehouse", "quotation_pdf", False),
    ("warehouse", "commercial_invoice", False),
    ("warehouse", "signed_contract", False),
    ("warehouse", "packing_list", True),
    ("planner", "quotation_pdf", False),
    ("logistics", "commercial_invoice", True),
    ("sales2", "quotation_pdf", False),  # customer A's file, sales2 owns customer B
    ("sales2", "packing_list", False),
    ("sales", "other_document", False),  # customer B's file
    ("sales", "quotation_pdf", True),
    ("sales2", "other_document", True),
])
def test_files_are_served_only_to_who_may_see_the_order_and_the_prices(world, role, file, allowed):
    """The download page and the API's download: 404 (as for a file that does not exist)
    to anyone who may not open the file; the tables of spec.py cover every role."""
    for download in (f"/orders/attachments/{world[file]}/", f"/api/v1/attachments/{world[file]}/download/"):
        response = _api(world, role).get(download)
        assert response.status_code == (200 if allowed else 404), download
        if allowed:
            assert b"".join(response.streaming_content).startswith(b"%PDF-")
