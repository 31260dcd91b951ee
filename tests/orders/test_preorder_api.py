"""The pre-order API: inquiry → quotation (revisions, sign-offs) → contract (legal review,
signature), its refusals, price hiding and query counts. Everything goes through HTTP."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders import services
from orders.models import Attachment, Quotation, SalesOrder
from tests.api import assert_problem, client_for
from tests.factories import CustomerFactory, ProductFactory, make_user

pytestmark = pytest.mark.django_db

# 1×1 transparent PNG
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _today() -> datetime.date:
    return timezone.localdate()


def _in_days(days: int) -> str:
    return str(_today() + datetime.timedelta(days=days))


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def _inquiry(users, customer=None, *, needs=None) -> dict:
    customer = customer or CustomerFactory(owner=users["sales"])
    needs = needs or [{"product_sku": ProductFactory().sku, "quantity": "3", "requirement": "Gearboxes"}]
    payload = {"customer": customer.pk, "requested_date": _in_days(30), "needs": needs}
    return _ok(client_for(users["sales"]).post("/api/v1/inquiries/", payload, format="json"), 201)


def _quotation(users, **inquiry) -> dict:
    order = _inquiry(users, **inquiry)
    return _ok(client_for(users["sales"]).post("/api/v1/quotations/", {"order": order["id"]}, format="json"), 201)


def _sent_quotation(users) -> dict:
    quotation = _quotation(users)
    url = f"/api/v1/quotations/{quotation['id']}"
    sales = client_for(users["sales"])
    _ok(sales.post(f"{url}/submit-review/"))
    _ok(client_for(users["reviewer"]).post(f"{url}/signoff/", {"area": "finance", "decision": "approve"},
                                           format="json"))
    return _ok(sales.post(f"{url}/send/", {"to_email": "buyer@example.com"}, format="json"))


# --- (1) the whole path ------------------------------------------------------------------------

def test_inquiry_to_signed_contract_through_the_api(users):
    sales, finance, planner, manager = (client_for(users[role]) for role in ("sales", "reviewer", "planner",
                                                                             "manager"))
    customer = CustomerFactory(owner=users["sales"])
    gearbox = ProductFactory(sku="GB-100", list_price=Decimal("1000.00"), standard_cost=Decimal("600.00"))
    frame = ProductFactory(sku="FR-7", list_price=Decimal("250.00"), standard_cost=Decimal("150.00"),
                           supply_type="make", lead_time_days=20)

    # needs capture: an inquiry with one need, a conversation note, then the needs completed
    order = _ok(sales.post("/api/v1/inquiries/", {
        "customer": customer.pk, "requested_date": _in_days(45), "customer_reference": "RFQ-9",
        "note": "Called about a line extension.",
        "needs": [{"product_sku": "GB-100", "quantity": "4", "requirement": "Gearboxes, 1:20",
                   "expectations": "ISO 9001 certificate"}],
    }, format="json"), 201)
    assert order["state"] == "inquiry" and order["customer_reference"] == "RFQ-9"
    assert [(n["sku"], n["quantity"]) for n in order["needs"]] == [("GB-100", "4.000")]
    assert [n["body"] for n in order["conversation_notes"]] == ["Called about a line extension."]
    order_url = f"/api/v1/orders/{order['id']}"
    order = _ok(sales.put(f"{order_url}/needs/", {"needs": [
        {"product": gearbox.pk, "quantity": "4", "requirement": "Gearboxes, 1:20"},
        {"product_sku": "FR-7", "quantity": "2", "requirement": "Welded frames"},
    ]}, format="json"))
    assert [n["sku"] for n in order["needs"]] == ["GB-100", "FR-7"]
    order = _ok(sales.post(f"{order_url}/notes/", {"body": "Wants delivery before the summer."}, format="json"),
                201)
    assert [n["by"] for n in order["conversation_notes"]] == [users["sales"].username] * 2

    # rev 1 from the needs, at list price; review needs finance and (a made product) operations
    rev1 = _ok(sales.post("/api/v1/quotations/", {"order": order["id"], "payment_terms": "net30",
                                                  "warranty_terms": "24 months"}, format="json"), 201)
    assert (rev1["revision"], rev1["state"], rev1["total_amount"]) == (1, "draft", "4500.00")
    assert [line["sku"] for line in rev1["lines"]] == ["GB-100", "FR-7"]
    assert rev1["lines"][0]["margin_percent"] == "40.0"
    assert rev1["available_actions"] == ["edit", "submit_review", "revise"]
    rev1_url = f"/api/v1/quotations/{rev1['id']}"
    rev1 = _ok(sales.post(f"{rev1_url}/submit-review/"))
    assert rev1["state"] == "in_review"
    assert {(s["area"], s["decision"]) for s in rev1["signoffs"]} == {("finance", "pending"),
                                                                       ("operations", "pending")}
    assert_problem(planner.post(f"{rev1_url}/signoff/", {"area": "finance", "decision": "approve"}, format="json"),
                   403, "permission_denied")
    assert_problem(sales.post(f"{rev1_url}/send/", {"to_email": "buyer@example.com"}, format="json"), 409,
                   "quotation_not_approved")
    body = assert_problem(finance.post(f"{rev1_url}/signoff/", {"area": "finance", "decision": "request_changes"},
                                       format="json"), 400, "validation_failed")
    assert set(body["errors"]) == {"comment"}
    rev1 = _ok(finance.post(f"{rev1_url}/signoff/", {"area": "finance", "decision": "request_changes",
                                                     "comment": "Margin on frames too thin; 30 days max."},
                            format="json"))
    assert rev1["state"] == "draft"
    assert_problem(finance.post(f"{rev1_url}/signoff/", {"area": "finance", "decision": "approve"}, format="json"),
                   409, "quotation_state")

    # rev 2: rev 1 is superseded but still readable; a line is edited; review again
    rev2 = _ok(sales.post(f"{rev1_url}/revise/"), 201)
    assert (rev2["revision"], rev2["state"], rev2["number"]) == (2, "draft", rev1["number"])
    rev1 = _ok(sales.get(f"{rev1_url}/"))
    assert rev1["state"] == "superseded" and rev1["available_actions"] == []
    assert [(r["revision"], r["state"]) for r in rev1["revisions"]] == [(2, "draft"), (1, "superseded")]
    rev2_url = f"/api/v1/quotations/{rev2['id']}"
    rev2 = _ok(sales.patch(f"{rev2_url}/", {"payment_terms": "net30", "lines": [
        {"sku": "GB-100", "quantity": "4"},
        {"product": frame.pk, "quantity": "2", "unit_price": "300.00", "description": "Welded frame"},
    ]}, format="json"))
    assert rev2["total_amount"] == "4600.00" and rev2["lines"][1]["unit_price"] == "300.00"
    _ok(sales.post(f"{rev2_url}/submit-review/"))
    rev2 = _ok(finance.post(f"{rev2_url}/signoff/", {"area": "finance", "decision": "approve"}, format="json"))
    assert rev2["state"] == "in_review"
    assert_problem(sales.post(f"{rev2_url}/send/", {"to_email": "buyer@example.com"}, format="json"), 409)
    assert _ok(planner.get(f"{rev2_url}/"))["available_actions"] == ["signoff_operations"]
    rev2 = _ok(planner.post(f"{rev2_url}/signoff/", {"area": "operations", "decision": "approve"}, format="json"))
    assert rev2["state"] == "approved"
    assert [s["decision"] for s in rev2["signoffs"] if s["round"] == 1] == ["approved", "approved"]

    # sending: the order becomes quoted and the PDF is on file
    rev2 = _ok(sales.post(f"{rev2_url}/send/", {"to_email": "buyer@example.com"}, format="json"))
    assert rev2["state"] == "sent" and rev2["sent_to"] == "buyer@example.com"
    assert _ok(sales.get(f"{order_url}/"))["state"] == "quoted"
    [pdf] = rev2["attachments"]
    assert pdf["kind"] == "quotation_pdf"
    download = sales.get(pdf["download_url"])
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    generated = sales.get(f"{rev2_url}/pdf/")
    assert generated.status_code == 200 and generated.content.startswith(b"%PDF-")
    assert "attachment" in generated["Content-Disposition"]
    rev2 = _ok(sales.post(f"{rev2_url}/accept/", {"note": "PO to follow."}, format="json"))
    assert rev2["state"] == "accepted" and rev2["available_actions"] == ["create_contract"]

    # contract: returned once by the manager, resubmitted, approved, signed
    contract = _ok(sales.post("/api/v1/contracts/", {"quotation": rev2["id"]}, format="json"), 201)
    assert contract["state"] == "draft" and contract["clauses"] and contract["total_amount"] == "4600.00"
    assert [line["sku"] for line in contract["lines"]] == ["GB-100", "FR-7"]
    contract_url = f"/api/v1/contracts/{contract['id']}"
    first = contract["clauses"][0]
    contract = _ok(sales.patch(f"{contract_url}/", {"delivery_date": _in_days(60),
                                              "clauses": [{"position": first["position"], "body": "Amended."}]},
                               format="json"))
    assert contract["clauses"][0]["body"] == "Amended." and contract["delivery_date"] == _in_days(60)
    assert_problem(sales.post(f"{contract_url}/sign/", {"signed_on": str(_today())}, format="json"), 409,
                   "contract_not_reviewed")
    _ok(sales.post(f"{contract_url}/submit-review/"))
    contract = _ok(manager.post(f"{contract_url}/review/", {"decision": "return", "comment": "Add a penalty clause."},
                                format="json"))
    assert contract["state"] == "draft" and contract["review_comment"] == "Add a penalty clause."
    _ok(sales.post(f"{contract_url}/submit-review/"))
    contract = _ok(manager.post(f"{contract_url}/review/", {"decision": "approve"}, format="json"))
    assert contract["state"] == "approved" and contract["available_actions"] == []
    assert _ok(sales.get(f"{contract_url}/"))["available_actions"] == ["attach_signed_copy", "sign"]
    contract = _ok(sales.post(f"{contract_url}/signed-copy/",
                              {"file": SimpleUploadedFile("signed.png", PNG, content_type="image/png")},
                              format="multipart"))
    assert contract["signed_copy"]["content_type"] == "image/png"
    contract = _ok(sales.post(f"{contract_url}/sign/", {"signed_on": str(_today())}, format="json"))
    assert contract["state"] == "signed" and contract["signed_on"] == str(_today())
    copy = sales.get(contract["signed_copy"]["download_url"])
    assert copy.status_code == 200 and b"".join(copy.streaming_content) == PNG

    order = _ok(sales.get(f"{order_url}/"))
    assert order["state"] == "contracted" and order["total_amount"] == "4600.00"
    assert [(line["sku"], line["quantity"], line["unit_price"]) for line in order["lines"]] == [
        ("GB-100", "4.000", "1000.00"), ("FR-7", "2.000", "300.00")]
    assert [(q["revision"], q["state"]) for q in order["quotations"]] == [(2, "accepted"), (1, "superseded")]
    assert [c["state"] for c in order["contracts"]] == ["signed"]
    assert SalesOrder.objects.get(pk=order["id"]).total_amount == Decimal("4600.00")


# --- (2) refusals --------------------------------------------------------------------------------

def test_accepting_an_expired_quotation_is_409(users):
    quotation = _sent_quotation(users)
    Quotation.objects.filter(pk=quotation["id"]).update(valid_until=_today() - datetime.timedelta(days=1))
    body = assert_problem(client_for(users["sales"]).post(f"/api/v1/quotations/{quotation['id']}/accept/", {},
                                                          format="json"), 409, "quotation_expired")
    assert body["state"] == "sent"
    assert Quotation.objects.get(pk=quotation["id"]).state == "sent"


def test_accepting_a_superseded_revision_is_409(users):
    rev1 = _sent_quotation(users)
    sales = client_for(users["sales"])
    rev2 = _ok(sales.post(f"/api/v1/quotations/{rev1['id']}/revise/"), 201)
    assert_problem(sales.post(f"/api/v1/quotations/{rev1['id']}/accept/", {}, format="json"), 409,
                   "quotation_superseded")
    assert_problem(sales.post(f"/api/v1/quotations/{rev1['id']}/revise/"), 409, "quotation_superseded")
    assert Quotation.objects.get(pk=rev2["id"]).state == "draft"


def test_editing_a_quotation_past_draft_is_409(users):
    quotation = _sent_quotation(users)
    assert_problem(client_for(users["sales"]).patch(f"/api/v1/quotations/{quotation['id']}/", {"notes": "x"},
                                                    format="json"), 409, "quotation_not_draft")


def test_another_sales_user_cannot_see_or_quote_a_customer_they_do_not_own(users):
    quotation = _quotation(users)
    stranger = client_for(make_user("sales"))
    url = f"/api/v1/quotations/{quotation['id']}"
    assert_problem(stranger.get(f"{url}/"), 404, "not_found")
    assert_problem(stranger.post(f"{url}/submit-review/"), 404, "not_found")
    assert_problem(stranger.get(f"{url}/pdf/"), 404)
    assert stranger.get("/api/v1/quotations/").json()["count"] == 0
    customer = SalesOrder.objects.get(pk=quotation["order"]).customer
    payload = {"customer": customer.pk, "needs": [{"requirement": "Anything", "quantity": "1"}]}
    assert_problem(stranger.post("/api/v1/inquiries/", payload, format="json"), 403, "permission_denied")
    assert_problem(stranger.post("/api/v1/quotations/", {"order": quotation["order"]}, format="json"), 404)


def test_planner_sees_no_prices(users):
    product = ProductFactory(supply_type="buy", standard_cost=Decimal("10.00"))
    quotation = _quotation(users, needs=[{"product": product.pk, "quantity": "2"}])
    _ok(client_for(users["sales"]).post(f"/api/v1/quotations/{quotation['id']}/submit-review/"))
    planner = client_for(users["planner"])
    body = _ok(planner.get(f"/api/v1/quotations/{quotation['id']}/"))
    assert not {"subtotal", "discount_amount", "total_amount"} & set(body)
    assert not {"unit_price", "discount_percent", "line_total", "margin_percent"} & set(body["lines"][0])
    assert body["pdf_url"] is None and body["attachments"] == []
    facts = body["review_facts"]
    assert "margin_percent" not in facts and "margin_percent" not in facts["lines"][0]
    assert facts["lines"][0]["supply_type"] == "buy" and "lead_time_feasible" in facts
    assert body["available_actions"] == ["signoff_operations"]
    listed = _ok(planner.get("/api/v1/quotations/"))["results"][0]
    assert "total_amount" not in listed
    assert "total" not in _ok(planner.get(f"/api/v1/orders/{quotation['order']}/"))["quotations"][0]
    assert_problem(planner.get(f"/api/v1/quotations/{quotation['id']}/pdf/"), 403, "permission_denied")
    # with view_prices the same document shows them
    finance = _ok(client_for(users["reviewer"]).get(f"/api/v1/quotations/{quotation['id']}/"))
    assert finance["total_amount"] and finance["review_facts"]["margin_percent"] is not None


def _approved_contract(users) -> dict:
    quotation = _sent_quotation(users)
    sales = client_for(users["sales"])
    _ok(sales.post(f"/api/v1/quotations/{quotation['id']}/accept/", {}, format="json"))
    contract = _ok(sales.post("/api/v1/contracts/", {"quotation": quotation["id"]}, format="json"), 201)
    _ok(sales.post(f"/api/v1/contracts/{contract['id']}/submit-review/"))
    return _ok(client_for(users["manager"]).post(f"/api/v1/contracts/{contract['id']}/review/",
                                                 {"decision": "approve"}, format="json"))


def test_signed_copy_must_be_a_pdf_or_an_image(users):
    contract = _approved_contract(users)
    url = f"/api/v1/contracts/{contract['id']}"
    sales = client_for(users["sales"])
    text = SimpleUploadedFile("signed.pdf", b"just some text", content_type="application/pdf")
    body = assert_problem(sales.post(f"{url}/signed-copy/", {"file": text}, format="multipart"), 400,
                          "validation_failed")
    assert set(body["errors"]) == {"file"}
    assert_problem(sales.post(f"{url}/signed-copy/", {}, format="multipart"), 400)
    body = assert_problem(sales.post(f"{url}/sign/", {"signed_on": str(_today())}, format="json"), 400)
    assert set(body["errors"]) == {"signed_copy"}
    assert not Attachment.objects.filter(kind="signed_contract").exists()
    # the copy may come with the signature itself
    pdf = SimpleUploadedFile("signed.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    signed = _ok(sales.post(f"{url}/sign/", {"signed_on": str(_today()), "file": pdf}, format="multipart"))
    assert signed["state"] == "signed" and signed["signed_copy"]["content_type"] == "application/pdf"


def test_wrong_decision_values_are_400(users):
    quotation = _quotation(users)
    _ok(client_for(users["sales"]).post(f"/api/v1/quotations/{quotation['id']}/submit-review/"))
    body = assert_problem(client_for(users["reviewer"]).post(
        f"/api/v1/quotations/{quotation['id']}/signoff/", {"area": "finance", "decision": "maybe"}, format="json"),
        400, "validation_failed")
    assert set(body["errors"]) == {"decision"}
    contract = _approved_contract(users)
    body = assert_problem(client_for(users["manager"]).post(
        f"/api/v1/contracts/{contract['id']}/review/", {"decision": "ok"}, format="json"), 400)
    assert set(body["errors"]) == {"decision"}


def test_bad_quotation_input_gets_flattened_field_errors(users):
    order = _inquiry(users)
    body = assert_problem(client_for(users["sales"]).post("/api/v1/quotations/", {
        "order": order["id"], "lines": [{"sku": "NOPE", "quantity": "1"}, {"quantity": "-1"}],
    }, format="json"), 400, "validation_failed")
    assert {"lines.0.sku", "lines.1.quantity"} <= set(body["errors"])
    assert not Quotation.objects.exists()


def test_unknown_ids_are_404(users):
    sales = client_for(users["sales"])
    assert_problem(sales.get("/api/v1/quotations/999999/"), 404, "not_found")
    assert_problem(sales.post("/api/v1/quotations/999999/submit-review/"), 404, "not_found")
    assert_problem(sales.post("/api/v1/quotations/", {"order": 999999}, format="json"), 404, "not_found")
    assert_problem(sales.get("/api/v1/contracts/999999/"), 404)
    assert_problem(sales.post("/api/v1/contracts/", {"quotation": 999999}, format="json"), 404, "not_found")
    assert_problem(sales.post("/api/v1/contracts/999999/sign/", {"signed_on": str(_today())}, format="json"), 404)
    assert_problem(sales.post("/api/v1/orders/999999/notes/", {"body": "Hello"}, format="json"), 404)
    assert_problem(sales.get("/api/v1/attachments/999999/download/"), 404, "not_found")
    assert_problem(sales.get("/api/v1/attachments/abc/download/"), 404)


def test_attachments_are_served_only_to_those_who_may_see_them(users):
    quotation = _sent_quotation(users)
    attachment = Attachment.objects.get(quotation_id=quotation["id"])
    url = f"/api/v1/attachments/{attachment.pk}/download/"
    assert client_for(users["sales"]).get(url).status_code == 200
    assert_problem(client_for(make_user("sales")).get(url), 404, "not_found")  # not their customer
    assert_problem(client_for(users["planner"]).get(url), 404, "not_found")  # a price document


def test_roles_without_the_right_are_refused_with_403(users):
    quotation = _sent_quotation(users)
    assert_problem(client_for(users["planner"]).post("/api/v1/quotations/", {"order": quotation["order"]},
                                                     format="json"), 403)
    assert_problem(client_for(users["reviewer"]).post(f"/api/v1/quotations/{quotation['id']}/accept/", {},
                                                      format="json"), 403)
    assert_problem(client_for(users["warehouse"]).get("/api/v1/quotations/"), 403)
    assert_problem(client_for(users["planner"]).get("/api/v1/contracts/"), 403)


def test_quotation_list_filters(users):
    first = _quotation(users)
    second = _sent_quotation(users)
    client = client_for(users["manager"])
    assert client.get("/api/v1/quotations/").json()["count"] == 2
    assert [q["id"] for q in client.get("/api/v1/quotations/?state=sent").json()["results"]] == [second["id"]]
    assert [q["id"] for q in client.get(f"/api/v1/quotations/?order={first['order']}").json()["results"]] == [
        first["id"]]
    customer = SalesOrder.objects.get(pk=second["order"]).customer_id
    assert [q["id"] for q in client.get(f"/api/v1/quotations/?customer={customer}").json()["results"]] == [
        second["id"]]
    assert_problem(client.get("/api/v1/quotations/?state=bogus"), 400)


# --- (3) query counts ---------------------------------------------------------------------------

def _quotation_with_lines(users, count: int) -> Quotation:
    customer = CustomerFactory(owner=users["sales"])
    order = services.inquiry_create(by=users["sales"], customer=customer, needs=[
        services.NeedInput(product=ProductFactory(supply_type="make"), quantity=Decimal(1)) for _ in range(count)])
    quotation = services.quotation_create(order_id=order.pk, by=users["sales"])
    services.quotation_submit_review(quotation_id=quotation.pk, by=users["sales"])
    return quotation


def test_quotation_list_query_count_does_not_grow_with_rows_or_lines(users):
    client = client_for(users["manager"])
    _quotation_with_lines(users, 1)
    client.get("/api/v1/quotations/")  # creates the policy row, warms the caches
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/quotations/")
    for _ in range(5):
        _quotation_with_lines(users, 4)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/v1/quotations/")
    assert response.json()["count"] == 6
    assert len(many) == len(few)


def test_quotation_detail_query_count_does_not_grow_with_lines(users):
    client = client_for(users["reviewer"])
    small = _quotation_with_lines(users, 1)
    big = _quotation_with_lines(users, 12)
    client.get(f"/api/v1/quotations/{small.pk}/")  # creates the policy row
    with CaptureQueriesContext(connection) as one:
        client.get(f"/api/v1/quotations/{small.pk}/")
    with CaptureQueriesContext(connection) as twelve:
        response = client.get(f"/api/v1/quotations/{big.pk}/")
    assert len(response.json()["lines"]) == 12
    assert len(one) == len(twelve)


def test_order_detail_with_documents_query_count_does_not_grow(users):
    client = client_for(users["manager"])
    small = _quotation_with_lines(users, 1)
    big = _quotation_with_lines(users, 8)
    for note in ("One", "Two", "Three"):
        services.order_add_note(order_id=big.order_id, by=users["sales"], body=note)
    with CaptureQueriesContext(connection) as one:
        client.get(f"/api/v1/orders/{small.order_id}/")
    with CaptureQueriesContext(connection) as many:
        response = client.get(f"/api/v1/orders/{big.order_id}/")
    assert len(response.json()["needs"]) == 8 and len(response.json()["conversation_notes"]) == 3
    assert len(one) == len(many)


def test_documents_can_be_asked_for_as_pdf_and_errors_stay_problem_documents(users):
    quotation = _quotation(users)
    sales = client_for(users["sales"])
    response = sales.get(f"/api/v1/quotations/{quotation['id']}/pdf/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    missing = sales.get("/api/v1/quotations/999999/pdf/", HTTP_ACCEPT="application/pdf")
    assert_problem(missing, 404, "not_found")
