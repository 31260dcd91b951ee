"""The intake and review API: orders from every channel, completeness, agreed prices,
checks on the order, revision, separation of duties, re-runs, CSV upload and the
approval queue. Everything goes through HTTP; the background checks are run the way the
Celery task runs them."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from customers.models import Address, Contact, Customer
from inventory.models import Product
from logistics import services as shipping
from oms.errors import TransitionNotAllowed
from orders import services
from orders.models import Attachment, OrderState, SalesOrder
from tests.api import assert_problem, client_for
from tests.factories import (
    CustomerFactory,
    ProductFactory,
    make_order,
    make_user,
    order_in_state,
    plan_shipment,
    ship_shipment,
    stock,
    verify_everything,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% scanned order\n%%EOF\n"
# 1×1 transparent PNG
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
ORDERS = "/api/v1/orders/"


def _in_days(days: int) -> str:
    return str(timezone.localdate() + datetime.timedelta(days=days))


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def _stocked(sku: str | None = None, **kwargs) -> Product:
    product = ProductFactory(**({"sku": sku} if sku else {}), **kwargs)
    stock(product, "1000")
    return product


def _payload(customer: Customer, *lines: tuple[Product, str], **fields) -> dict:
    return {"customer": customer.pk, "requested_date": _in_days(14),
            "lines": [{"sku": product.sku, "quantity": quantity} for product, quantity in lines], **fields}


def _transition(user, order_id: int, name: str, reason: str = ""):
    return client_for(user).post(f"{ORDERS}{order_id}/transitions/{name}/", {"reason": reason}, format="json")


def _held_for_credit(users) -> SalesOrder:
    """An order entered and submitted by the order desk, held because it is over the
    customer's credit limit (its availability check passes)."""
    customer = CustomerFactory(owner=users["sales"], credit_limit=Decimal("50"))
    order = make_order(by=users["order_desk"], customer=customer, lines=[(_stocked(), "2")], submit=True)
    assert services.order_run_checks(order_id=order.pk) == "on_hold"
    return order


def _checks_by_kind(body: dict) -> dict[str, dict]:
    return {check["kind"]: check for check in body["checks"]}


# --- channels ----------------------------------------------------------------------------------

def test_api_order_defaults_to_the_api_channel_and_takes_contact_address_and_terms(users):
    customer = CustomerFactory(payment_terms="net30")
    contact = Contact.objects.create(customer=customer, name="Second buyer")
    address = Address.objects.create(customer=customer, line1="9 Dock Road", city="Ningbo")
    product = _stocked(list_price=Decimal("100.00"))
    client = client_for(users["integration"])

    body = _ok(client.post(ORDERS, _payload(customer, (product, "2")), format="json"), 201)
    assert (body["channel"], body["state"]) == ("api", "inquiry")
    assert body["contact"] == customer.contacts.get(is_primary=True).pk
    assert body["delivery_address"] == customer.addresses.get(is_default_shipping=True).pk
    assert body["payment_terms"] == "net30"
    assert body["awaiting_confirmation"] is False and body["confirmation_due"] is None
    assert (body["checks_result"], body["checks_run"], body["checks_done_at"]) == ("pending", 0, None)
    assert body["checks"] == [] and body["contract_differences"] == []
    assert body["lines"][0]["unit_price"] == "100.00" and body["lines"][0]["promise_date"] is None

    body = _ok(client.post(ORDERS, _payload(customer, (product, "1"), contact=contact.pk,
                                            delivery_address=address.pk, payment_terms="net60"), format="json"), 201)
    assert (body["contact"], body["delivery_address"], body["payment_terms"]) == (contact.pk, address.pk, "net60")
    other = CustomerFactory()
    body = assert_problem(client.post(ORDERS, _payload(customer, (product, "1"), channel="telegram",
                                                       contact=other.contacts.get().pk), format="json"), 400)
    assert set(body["errors"]) == {"channel"}  # the serializer answers before the service
    body = assert_problem(client.post(ORDERS, _payload(customer, (product, "1"), contact=other.contacts.get().pk,
                                                       delivery_address=other.addresses.get().pk), format="json"),
                          400, "validation_failed")
    assert set(body["errors"]) == {"contact", "delivery_address"}


def test_phone_order_awaits_written_confirmation_and_cannot_ship_before_it(users):
    customer = CustomerFactory()
    due = _in_days(3)
    body = _ok(client_for(users["integration"]).post(
        ORDERS, _payload(customer, (_stocked(), "4"), channel="phone", confirmation_due=due, submit=True),
        format="json"), 201)
    order_id = body["id"]
    assert (body["channel"], body["state"]) == ("phone", "submitted")
    assert body["awaiting_confirmation"] is True
    assert body["confirmation_due"] == due and body["confirmed_at"] is None

    assert services.order_run_checks(order_id=order_id) == "passed"
    for name, role in (("approve", "reviewer"), ("start_fulfilment", "planner")):
        _ok(_transition(users[role], order_id, name))
    order = SalesOrder.objects.get(pk=order_id)
    shipment = plan_shipment(order, users)
    with pytest.raises(TransitionNotAllowed) as refused:  # not packed before the written confirmation
        verify_everything(shipment, users)
    assert refused.value.code == "awaiting_written_confirmation"
    assert not shipment.lines.filter(verified_quantity__gt=0).exists()
    warehouse = client_for(users["warehouse"])
    body = _ok(warehouse.get(f"{ORDERS}{order_id}/"))
    assert body["state"] == "in_fulfilment" and body["awaiting_confirmation"] is True
    assert body["available_transitions"] == []
    assert_problem(_transition(users["warehouse"], order_id, "mark_ready"), 409, "step_follows_document")

    url = f"{ORDERS}{order_id}/confirmation/"
    assert_problem(client_for(users["warehouse"]).post(
        url, {"file": SimpleUploadedFile("c.png", PNG, content_type="image/png")}, format="multipart"), 403)
    body = assert_problem(client_for(users["order_desk"]).post(
        url, {"file": SimpleUploadedFile("c.txt", b"just text", content_type="text/plain")}, format="multipart"), 400)
    assert set(body["errors"]) == {"file"}
    body = _ok(client_for(users["order_desk"]).post(
        url, {"file": SimpleUploadedFile("confirmation.png", PNG, content_type="image/png")}, format="multipart"))
    assert body["awaiting_confirmation"] is False and body["confirmed_at"]
    assert Attachment.objects.get(order_id=order_id).kind == "confirmation"
    assert_problem(client_for(users["order_desk"]).post(
        url, {"file": SimpleUploadedFile("again.pdf", PDF, content_type="application/pdf")}, format="multipart"),
        409, "not_awaiting_confirmation")

    verify_everything(shipment, users)
    shipping.package_measure(shipment_id=shipment.pk, by=users["warehouse"], number=1, weight_kg="3",
                             length_cm="30", width_cm="20", height_cm="10")
    shipping.shipment_pack(shipment_id=shipment.pk, by=users["warehouse"])
    ship_shipment(shipment, users)
    assert _ok(client_for(users["logistics"]).get(f"{ORDERS}{order_id}/"))["state"] == "shipped"


def test_phone_order_due_date_defaults_and_is_for_phone_orders_only(users):
    customer, product = CustomerFactory(), _stocked()
    client = client_for(users["integration"])
    body = _ok(client.post(ORDERS, _payload(customer, (product, "1"), channel="phone"), format="json"), 201)
    assert body["confirmation_due"] == _in_days(2) and body["awaiting_confirmation"] is True
    body = assert_problem(client.post(ORDERS, _payload(customer, (product, "1"), confirmation_due=_in_days(2)),
                                      format="json"), 400)
    assert set(body["errors"]) == {"confirmation_due"}
    body = assert_problem(client.post(ORDERS, _payload(customer, (product, "1"), channel="phone",
                                                       confirmation_due=_in_days(-1)), format="json"), 400)
    assert set(body["errors"]) == {"confirmation_due"}


@pytest.mark.parametrize("as_json_part", [False, True], ids=["payload-text-field", "payload-json-part"])
def test_email_order_arrives_as_multipart_with_its_scan_attached(users, as_json_part):
    customer = CustomerFactory()
    payload = json.dumps(_payload(customer, (_stocked(), "3"), channel="email", customer_reference="MAIL-1",
                                  submit=True))
    if as_json_part:
        payload = SimpleUploadedFile("order.json", payload.encode(), content_type="application/json")
    response = client_for(users["order_desk"]).post(
        ORDERS, {"payload": payload, "document": SimpleUploadedFile("order.pdf", PDF, content_type="application/pdf")},
        format="multipart")
    body = _ok(response, 201)
    assert (body["channel"], body["state"], body["customer_reference"]) == ("email", "submitted", "MAIL-1")
    scan = Attachment.objects.get(order_id=body["id"])
    assert (scan.kind, scan.content_type, scan.filename) == ("order_document", "application/pdf", "order.pdf")
    assert scan.file.read() == PDF
    assert [event["kind"] for event in body["events"]] == ["created", "attachment", "submit"]


@pytest.mark.parametrize(("role", "submit", "channel"), [
    ("integration", True, "api"), ("integration", False, "api"), ("sales", True, "sales"),
    ("order_desk", True, "phone"), ("order_desk", True, "email")])
def test_the_201_of_a_create_is_the_detail_a_read_gives_right_after(users, role, submit, channel):
    """The create is answered from what it wrote, without reading the order back: the
    answer must be exactly what `GET /orders/{id}/` says the moment after."""
    customer = CustomerFactory(owner=users["sales"])
    cheap, dear = _stocked(list_price=Decimal("12.50")), _stocked(list_price=Decimal("980.00"))
    payload = _payload(customer, (cheap, "3"), (dear, "1.5"), channel=channel, customer_reference="R-1",
                       submit=submit, notes="call before delivery")
    client = client_for(users[role])
    if channel == "email":
        response = client.post(ORDERS, {"payload": json.dumps(payload), "document": SimpleUploadedFile(
            "order.pdf", PDF, content_type="application/pdf")}, format="multipart")
    else:
        response = client.post(ORDERS, payload, format="json")
    created = _ok(response, 201)
    assert created["state"] == ("submitted" if submit else "inquiry")
    assert [line["sku"] for line in created["lines"]] == [cheap.sku, dear.sku]
    assert created == _ok(client.get(f"{ORDERS}{created['id']}/"))


def test_fax_order_without_its_document_is_refused_and_nothing_is_written(users):
    customer, product = CustomerFactory(), _stocked()
    client = client_for(users["order_desk"])
    body = assert_problem(client.post(ORDERS, _payload(customer, (product, "1"), channel="fax"), format="json"),
                          400, "validation_failed")
    assert set(body["errors"]) == {"document"}
    body = assert_problem(client.post(ORDERS, {"payload": json.dumps(_payload(customer, (product, "1"),
                                                                              channel="fax"))},
                                      format="multipart"), 400)
    assert set(body["errors"]) == {"document"}
    body = assert_problem(client.post(ORDERS, {
        "payload": json.dumps(_payload(customer, (product, "1"), channel="fax")),
        "document": SimpleUploadedFile("fax.txt", b"not a scan", content_type="text/plain")}, format="multipart"), 400)
    assert set(body["errors"]) == {"document"}
    # the multipart form itself: the order missing, or not a JSON object; field errors named as in the JSON body
    assert set(assert_problem(client.post(ORDERS, {"document": SimpleUploadedFile("f.pdf", PDF)},
                                          format="multipart"), 400)["errors"]) == {"payload"}
    assert set(assert_problem(client.post(ORDERS, {"payload": "[1, 2]"}, format="multipart"), 400)["errors"]) \
        == {"payload"}
    body = assert_problem(client.post(ORDERS, {"payload": json.dumps({"customer": customer.pk, "channel": "fax",
                                                                      "lines": [{"sku": "NOPE", "quantity": "1"}]})},
                                      format="multipart"), 400)
    assert set(body["errors"]) == {"lines.0.sku"}
    assert not SalesOrder.objects.exists() and not Attachment.objects.exists()


# --- completeness and prices ---------------------------------------------------------------------

def test_submitting_an_incomplete_order_lists_every_missing_field_at_once(users):
    customer = CustomerFactory(with_address_and_contact=False, payment_terms="")
    body = assert_problem(client_for(users["integration"]).post(
        ORDERS, {"customer": customer.pk, "submit": True, "lines": []}, format="json"), 409, "order_incomplete")
    assert set(body["errors"]) == {"contact", "lines", "delivery_address", "requested_date", "payment_terms"}
    assert all(messages for messages in body["errors"].values())
    assert not SalesOrder.objects.exists()
    # without `submit` the same order is a draft
    body = _ok(client_for(users["integration"]).post(ORDERS, {"customer": customer.pk, "lines": []}, format="json"),
               201)
    assert body["state"] == "inquiry"


def test_a_line_without_unit_price_gets_the_contract_price_else_the_list_price(users):
    contracted = order_in_state("contracted", users)
    agreed = contracted.lines.get().product
    assert agreed.list_price == Decimal("100.00")  # the price in the signed contract
    Product.objects.filter(pk=agreed.pk).update(list_price=Decimal("150.00"))
    other = _stocked(list_price=Decimal("80.00"))
    payload = {"customer": contracted.customer_id, "requested_date": _in_days(20), "lines": [
        {"sku": agreed.sku, "quantity": "3"},
        {"sku": other.sku, "quantity": "1"},
        {"sku": agreed.sku, "quantity": "1", "unit_price": "120.00"},
    ]}
    body = _ok(client_for(users["integration"]).post(ORDERS, payload, format="json"), 201)
    assert [line["unit_price"] for line in body["lines"]] == ["100.00", "80.00", "120.00"]
    assert body["total_amount"] == "500.00"


# --- the order's checks and revision -------------------------------------------------------------

def test_detail_shows_the_latest_checks_and_hides_credit_figures_without_view_credit(users):
    customer = CustomerFactory(owner=users["sales"], credit_limit=Decimal("10000"))
    order = make_order(by=users["order_desk"], customer=customer, lines=[(_stocked(), "5")], submit=True)
    assert services.order_run_checks(order_id=order.pk) == "passed"

    body = _ok(client_for(users["reviewer"]).get(f"{ORDERS}{order.pk}/"))
    assert (body["checks_result"], body["checks_run"]) == ("passed", 1) and body["checks_done_at"]
    assert body["lines"][0]["promise_date"] == str(timezone.localdate())
    checks = _checks_by_kind(body)
    assert set(checks) == {"credit", "availability"}
    credit = checks["credit"]
    assert (credit["run"], credit["result"], credit["overridden_by"], credit["override_reason"]) == (1, "pass", None,
                                                                                                     "")
    assert credit["details"]["credit_limit"] == "10000.00" and credit["details"]["order_open"] == "500.00"
    assert credit["seen"]["credit_limit"] == "10000.00" and credit["checked_at"]
    assert checks["availability"]["details"]["lines"][0]["promise_date"] == str(timezone.localdate())

    body = _ok(client_for(users["order_desk"]).get(f"{ORDERS}{order.pk}/"))
    checks = _checks_by_kind(body)
    assert "details" not in checks["credit"] and "seen" not in checks["credit"]
    assert (checks["credit"]["result"], checks["credit"]["summary"]) == ("pass", "")
    assert checks["availability"]["details"]["lines"]

    listed = _ok(client_for(users["reviewer"]).get(ORDERS))["results"][0]
    assert (listed["checks_result"], listed["checks_run"]) == ("passed", 1)
    assert listed["lines"][0]["promise_date"] == str(timezone.localdate()) and "checks" not in listed


def test_patch_revises_a_rejected_order_and_the_detail_shows_its_contract_differences(users):
    order = order_in_state("contracted", users)
    agreed = order.lines.get().product
    services.order_transition(order_id=order.pk, name="submit", by=users["order_desk"])
    assert services.order_run_checks(order_id=order.pk) == "passed"
    url = f"{ORDERS}{order.pk}/"
    sales = client_for(users["sales"])
    body = assert_problem(sales.patch(url, {"customer_reference": "PO-REV"}, format="json"), 409,
                          "order_not_editable")
    assert body["state"] == "submitted"
    _ok(_transition(users["reviewer"], order.pk, "reject", "Quantities to be confirmed"))

    added = _stocked(sku="ADD-1")
    body = _ok(sales.patch(url, {"customer_reference": "PO-REV", "requested_date": _in_days(30), "lines": [
        {"sku": agreed.sku, "quantity": "7", "unit_price": "90.00"}, {"sku": added.sku, "quantity": "1"},
    ]}, format="json"))
    assert (body["state"], body["customer_reference"], body["requested_date"]) == ("rejected", "PO-REV",
                                                                                   _in_days(30))
    assert [(line["sku"], line["quantity"], line["unit_price"]) for line in body["lines"]] == [
        (agreed.sku, "7.000", "90.00"), ("ADD-1", "1.000", "100.00")]
    assert body["total_amount"] == "730.00"
    assert body["contract_differences"] == [
        {"sku": agreed.sku, "kind": "quantity", "contract": "2.000", "order": "7.000"},
        {"sku": agreed.sku, "kind": "price", "contract": "100.00", "order": "90.00"},
        {"sku": "ADD-1", "kind": "added", "order": "1.000"},
    ]
    # the planner sees no prices, so no price difference either
    planner_view = _ok(client_for(users["planner"]).get(url))
    assert [d["kind"] for d in planner_view["contract_differences"]] == ["quantity", "added"]

    assert set(assert_problem(sales.patch(url, {"lines": []}, format="json"), 400)["errors"]) == {"lines"}
    assert set(assert_problem(sales.patch(url, {"lines": [{"sku": "NOPE", "quantity": "0"}]}, format="json"),
                              400)["errors"]) == {"lines.0.sku", "lines.0.quantity"}
    assert_problem(client_for(users["planner"]).patch(url, {"notes": "x"}, format="json"), 403)
    assert_problem(sales.patch(f"{ORDERS}999999/", {"notes": "x"}, format="json"), 404)

    body = _ok(_transition(users["sales"], order.pk, "submit"))
    assert (body["state"], body["checks_result"]) == ("submitted", "pending")


# --- separation of duties, overrides, re-runs -----------------------------------------------------

def test_the_person_who_entered_an_order_neither_approves_it_nor_overrides_its_checks(users):
    everything = make_user("order_desk")
    everything.groups.add(*Group.objects.filter(name__in=["reviewer", "manager"]))
    customer = CustomerFactory(credit_limit=Decimal("50"))
    body = _ok(client_for(everything).post(ORDERS, _payload(customer, (_stocked(), "2"), submit=True),
                                           format="json"), 201)
    assert services.order_run_checks(order_id=body["id"]) == "on_hold"
    credit = _checks_by_kind(_ok(client_for(everything).get(f"{ORDERS}{body['id']}/")))["credit"]
    assert credit["result"] == "fail"

    assert_problem(_transition(everything, body["id"], "approve"), 403, "four_eyes_rule")
    assert_problem(client_for(everything).post(f"{ORDERS}{body['id']}/checks/{credit['id']}/override/",
                                               {"reason": "Known customer"}, format="json"), 403, "four_eyes_rule")
    assert SalesOrder.objects.get(pk=body["id"]).state == OrderState.ON_HOLD


def test_override_needs_its_permission_and_a_reason_then_the_order_can_be_approved(users):
    order = _held_for_credit(users)
    checks = _checks_by_kind(_ok(client_for(users["reviewer"]).get(f"{ORDERS}{order.pk}/")))
    credit_url = f"{ORDERS}{order.pk}/checks/{checks['credit']['id']}/override/"

    body = assert_problem(_transition(users["reviewer"], order.pk, "approve"), 409, "checks_not_cleared")
    assert body["checks_result"] == "failed"
    assert_problem(client_for(users["reviewer"]).post(credit_url, {"reason": "Known customer"}, format="json"),
                   403, "permission_denied")
    manager = client_for(users["manager"])
    body = assert_problem(manager.post(credit_url, {"reason": "  "}, format="json"), 400, "validation_failed")
    assert set(body["errors"]) == {"reason"}
    assert_problem(manager.post(credit_url, {}, format="json"), 400)
    assert_problem(manager.post(f"{ORDERS}{order.pk}/checks/{checks['availability']['id']}/override/",
                                {"reason": "x"}, format="json"), 409, "check_not_failed")
    assert_problem(manager.post(f"{ORDERS}{order.pk}/checks/999999/override/", {"reason": "x"}, format="json"), 400)

    body = _ok(manager.post(credit_url, {"reason": "Director guarantees payment"}, format="json"))
    assert body["checks_result"] == "overridden" and body["state"] == "on_hold"
    credit = _checks_by_kind(body)["credit"]
    assert credit["overridden_by"] == users["manager"].username and credit["overridden_at"]
    assert credit["override_reason"] == "Director guarantees payment"
    assert_problem(manager.post(credit_url, {"reason": "again"}, format="json"), 409, "check_not_failed")

    body = _ok(_transition(users["reviewer"], order.pk, "approve"))
    assert body["state"] == "approved"


def test_rerun_of_the_checks_is_accepted_with_202_and_a_new_run_replaces_the_old(
        users, django_capture_on_commit_callbacks):
    order = _held_for_credit(users)
    Customer.objects.filter(pk=order.customer_id).update(credit_limit=Decimal("1000000"))
    url = f"{ORDERS}{order.pk}/checks/rerun/"
    assert_problem(client_for(users["sales"]).post(url), 403, "permission_denied")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        body = _ok(client_for(users["reviewer"]).post(url), 202)
    assert len(callbacks) == 1  # the checks task, enqueued on commit
    assert (body["checks_result"], body["checks_done_at"], body["checks_run"]) == ("pending", None, 1)

    body = _ok(client_for(users["reviewer"]).get(f"{ORDERS}{order.pk}/"))
    assert (body["checks_result"], body["checks_run"], body["state"]) == ("passed", 2, "on_hold")
    assert {(check["run"], check["kind"], check["result"]) for check in body["checks"]} == {
        (2, "credit", "pass"), (2, "availability", "pass")}
    approved = _ok(_transition(users["reviewer"], order.pk, "approve"))
    assert approved["state"] == "approved"
    assert_problem(client_for(users["reviewer"]).post(url), 409, "order_not_in_review")
    assert_problem(client_for(users["reviewer"]).post(f"{ORDERS}999999/checks/rerun/"), 404)


# --- CSV upload --------------------------------------------------------------------------------

def _csv(*rows: str) -> SimpleUploadedFile:
    text = "\n".join(["customer_code,customer_reference,requested_date,sku,quantity,unit_price,discount_percent",
                      *rows]) + "\n"
    return SimpleUploadedFile("orders.csv", text.encode(), content_type="text/csv")


def test_csv_import_creates_the_good_orders_and_lists_every_bad_row(users):
    good, bad = CustomerFactory(code="C-GOOD"), CustomerFactory(code="C-BAD")
    _stocked(sku="CSV-1", list_price=Decimal("10.00"))
    _stocked(sku="CSV-2")
    date = _in_days(21)
    upload = _csv(f"C-GOOD,PO-1,{date},CSV-1,2,,",
                  f"C-GOOD,PO-1,{date},csv-2,1,50.00,",
                  f"C-BAD,PO-2,{date},CSV-1,1,,",
                  f"C-BAD,PO-2,{date},NOPE,1,,",
                  f"C-BAD,PO-2,{date},CSV-1,-3,,",
                  f"NOBODY,PO-3,{date},CSV-1,1,,")
    body = _ok(client_for(users["order_desk"]).post(f"{ORDERS}import/", {"file": upload}, format="multipart"))
    assert body["rows"] == 6
    [created] = body["created"]
    assert set(created) == {"id", "number"}
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(4, "order"), (5, "sku"), (6, "quantity"),
                                                                (7, "customer_code")]
    assert "NOPE" in body["errors"][1]["message"]

    order = _ok(client_for(users["order_desk"]).get(f"{ORDERS}{created['id']}/"))
    assert (order["number"], order["state"], order["channel"]) == (created["number"], "submitted", "csv")
    assert (order["customer"]["id"], order["customer_reference"], order["requested_date"]) == (good.pk, "PO-1", date)
    assert [(line["sku"], line["unit_price"]) for line in order["lines"]] == [("CSV-1", "10.00"), ("CSV-2", "50.00")]
    assert not SalesOrder.objects.filter(customer=bad).exists()
    assert SalesOrder.objects.count() == 1


def test_csv_import_refuses_an_unusable_file_with_a_problem(users):
    client = client_for(users["order_desk"])
    url = f"{ORDERS}import/"
    body = assert_problem(client.post(url, {"file": SimpleUploadedFile("x.csv", b"customer_code,sku\nC-1,X\n")},
                                      format="multipart"), 400, "csv_header")
    assert set(body["errors"]) == {"file"} and "quantity" in body["errors"]["file"][0]
    body = assert_problem(client.post(url, {"file": SimpleUploadedFile("x.csv", "客户".encode("gbk"))},
                                      format="multipart"), 400)
    assert set(body["errors"]) == {"file"}
    assert set(assert_problem(client.post(url, {"file": _csv()}, format="multipart"), 400)["errors"]) == {"file"}
    assert set(assert_problem(client.post(url, {}, format="multipart"), 400)["errors"]) == {"file"}
    assert_problem(client_for(users["planner"]).post(url, {"file": _csv()}, format="multipart"), 403)
    assert not SalesOrder.objects.exists()


# --- approval queue ------------------------------------------------------------------------------

def test_review_queue_is_for_reviewers_and_lists_orders_in_review_by_priority(users):
    checked = make_order(by=users["order_desk"], customer=CustomerFactory(tier="C"), submit=True)
    assert services.order_run_checks(order_id=checked.pk) == "passed"
    held = _held_for_credit(users)
    Customer.objects.filter(pk=held.customer_id).update(tier="A")
    held.refresh_from_db()
    held.refresh_priority()
    held.save(update_fields=["priority"])
    make_order(by=users["sales"])  # a draft: not in review
    order_in_state("approved", users)  # decided already

    body = _ok(client_for(users["reviewer"]).get(f"{ORDERS}review-queue/"))
    assert body["count"] == 2
    assert [order["id"] for order in body["results"]] == [held.pk, checked.pk]  # the tier A order scores higher
    first = body["results"][0]
    assert first["state"] == "on_hold" and first["checks_result"] == "failed"
    assert _checks_by_kind(first)["credit"]["details"]["over_by"]
    assert first["contract_differences"] == [] and "events" not in first
    assert "approve" in body["results"][1]["available_transitions"]

    assert _ok(client_for(users["manager"]).get(f"{ORDERS}review-queue/"))["count"] == 2
    assert [o["id"] for o in _ok(client_for(users["reviewer"]).get(
        f"{ORDERS}review-queue/?state=on_hold"))["results"]] == [held.pk]
    for role in ("sales", "order_desk", "planner", "warehouse"):
        assert_problem(client_for(users[role]).get(f"{ORDERS}review-queue/"), 403, "permission_denied")
    assert_problem(APIClient().get(f"{ORDERS}review-queue/"), 401)


def test_the_review_queue_comes_in_pages_of_25_like_the_queue_page(users):
    customer = CustomerFactory(owner=users["sales"])
    product = _stocked()
    for _ in range(26):
        services.order_create(by=users["order_desk"], customer=customer, submit=True,
                              requested_date=timezone.localdate() + datetime.timedelta(days=14),
                              lines=[services.LineInput(product=product, quantity=Decimal("1"))])
    client = client_for(users["reviewer"])
    first = _ok(client.get(f"{ORDERS}review-queue/"))
    assert (first["count"], len(first["results"])) == (26, 25) and first["next"]
    assert len(_ok(client.get(f"{ORDERS}review-queue/?page=2"))["results"]) == 1
    assert len(_ok(client.get(f"{ORDERS}review-queue/?page_size=30"))["results"]) == 26


def test_review_queue_query_count_does_not_grow_with_orders_lines_or_runs(users):
    client = client_for(users["reviewer"])

    def submitted(lines: int = 1, contract: bool = False) -> SalesOrder:
        if contract:
            order = order_in_state("contracted", users)
            services.order_transition(order_id=order.pk, name="submit", by=users["order_desk"])
        else:
            order = make_order(by=users["order_desk"], lines=[(_stocked(), "1") for _ in range(lines)], submit=True)
        services.order_run_checks(order_id=order.pk)
        return order

    submitted()
    submitted(contract=True)
    client.get(f"{ORDERS}review-queue/")  # warm the permission cache paths
    with CaptureQueriesContext(connection) as few:
        assert _ok(client.get(f"{ORDERS}review-queue/"))["count"] == 2
    for _ in range(3):
        submitted(lines=4)
    submitted(contract=True)
    rerun = _held_for_credit(users)
    services.order_request_checks(order_id=rerun.pk, by=users["reviewer"])
    services.order_run_checks(order_id=rerun.pk)
    services.order_override_check(order_id=rerun.pk, check_id=rerun.checks.get(run=2, kind="credit").pk,
                                  by=users["manager"], reason="Guaranteed")
    with CaptureQueriesContext(connection) as many:
        body = _ok(client.get(f"{ORDERS}review-queue/"))
    assert body["count"] == 7
    assert users["manager"].username in {check["overridden_by"] for order in body["results"]
                                         for check in order["checks"]}
    assert len(many) == len(few)


def test_schema_documents_the_intake_and_review_endpoints(users):
    client = APIClient()
    client.force_authenticate(users["manager"])
    paths = _ok(client.get("/api/v1/schema/?format=json"))["paths"]
    operations = {
        ("/api/v1/orders/", "post"): "orders_create",
        ("/api/v1/orders/{id}/", "patch"): "orders_partial_update",
        ("/api/v1/orders/{id}/checks/rerun/", "post"): "orders_checks_rerun",
        ("/api/v1/orders/{id}/checks/{check_id}/override/", "post"): "orders_checks_override",
        ("/api/v1/orders/{id}/confirmation/", "post"): "orders_confirmation",
        ("/api/v1/orders/import/", "post"): "orders_import",
        ("/api/v1/orders/review-queue/", "get"): "orders_review_queue",
    }
    for (path, method), operation_id in operations.items():
        operation = paths[path][method]
        assert operation["operationId"] == operation_id
        assert "application/problem+json" in operation["responses"]["403"]["content"]
    assert set(paths["/api/v1/orders/"]["post"]["requestBody"]["content"]) == {"application/json",
                                                                               "multipart/form-data"}
    assert "202" in paths["/api/v1/orders/{id}/checks/rerun/"]["post"]["responses"]
