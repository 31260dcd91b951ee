"""Pre-order pages: customers, needs capture, the order's pre-order sections, quotations
with their internal review, contracts with legal review and signing, file downloads,
the home queues — who sees what, what the forms say, and what each page costs."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import Contact
from orders import services
from orders.models import (
    Attachment,
    ContractState,
    InquiryLine,
    OrderNote,
    OrderState,
    Quotation,
    QuotationSignoff,
    QuotationState,
    SalesOrder,
)
from tests.factories import CustomerFactory, ProductFactory, make_user
from tests.pages import client_for, html

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate
PDF = b"%PDF-1.4\n% signed\n%%EOF\n"




@pytest.fixture
def customer(users):
    customer = CustomerFactory(owner=users["sales"], name="Acme Gears", code="C-ACME", payment_terms="net30",
                               credit_limit=Decimal("777000"), language="en")
    Contact.objects.filter(customer=customer).update(email="buyer@acme.example")
    return customer


@pytest.fixture
def gearbox():
    return ProductFactory(sku="GB-100", name="Gearbox 100", list_price=Decimal("1234.50"),
                          standard_cost=Decimal("700.00"))


def inquiry(users, customer, products, quantity="2"):
    return services.inquiry_create(by=users["sales"], customer=customer, note="First call.",
                                   needs=[services.NeedInput(product=p, quantity=Decimal(quantity)) for p in products])


def quotation_of(users, customer, products) -> Quotation:
    order = inquiry(users, customer, products)
    return services.quotation_create(order_id=order.pk, by=users["sales"])


def approved(users, quotation: Quotation) -> Quotation:
    services.quotation_submit_review(quotation_id=quotation.pk, by=users["sales"])
    signers = {"finance": "reviewer", "operations": "planner", "manager": "manager"}
    for signoff in QuotationSignoff.objects.filter(quotation=quotation, decision="pending"):
        services.quotation_signoff(quotation_id=quotation.pk, by=users[signers[signoff.area]], area=signoff.area,
                                   approve=True)
    quotation.refresh_from_db()
    return quotation


def accepted(users, quotation: Quotation) -> Quotation:
    approved(users, quotation)
    services.quotation_send(quotation_id=quotation.pk, by=users["sales"])
    return services.quotation_record_decision(quotation_id=quotation.pk, by=users["sales"], accepted=True)


# --- customers -------------------------------------------------------------------------------------

def test_customer_list_shows_sales_only_their_own_customers_with_search_and_empty_state(users, customer):
    other = CustomerFactory(owner=make_user("sales"), name="Bolt Works", code="C-BOLT")
    sales = client_for(users["sales"])
    page = html(sales.get("/customers/"))
    assert "Acme Gears" in page and "Bolt Works" not in page
    assert "Credit limit" not in page and "777,000" not in page
    page = html(client_for(users["order_desk"]).get("/customers/?q=bolt"))
    assert "Bolt Works" in page and "Acme Gears" not in page
    assert "Acme Gears" in html(client_for(users["order_desk"]).get("/customers/?q=c-acme"))
    assert "No customer matches" in html(sales.get("/customers/?q=zzz"))
    assert "777,000" in html(client_for(users["reviewer"]).get("/customers/"))
    assert client_for(users["planner"]).get("/customers/").status_code == 403
    assert other.pk


def test_customer_list_paginates_with_a_fixed_number_of_queries(users):
    client = client_for(users["manager"])
    CustomerFactory()
    with CaptureQueriesContext(connection) as one:
        client.get("/customers/")
    for _ in range(30):
        CustomerFactory()
    with CaptureQueriesContext(connection) as many:
        page = html(client.get("/customers/"))
    assert len(many) == len(one)
    assert "Page 1 of 2" in page


def test_customer_page_shows_contacts_orders_credit_for_finance_and_the_inquiry_button(users, customer, gearbox):
    order = inquiry(users, customer, [gearbox])
    page = html(client_for(users["sales"]).get(f"/customers/{customer.pk}/"))
    assert "buyer@acme.example" in page and "1 Test Road" in page and order.number in page
    assert 'data-action="new-inquiry"' in page
    assert "777,000" not in page
    finance = html(client_for(users["reviewer"]).get(f"/customers/{customer.pk}/"))
    assert "777,000" in finance and 'data-action="new-inquiry"' not in finance
    assert client_for(make_user("sales")).get(f"/customers/{customer.pk}/").status_code == 404
    assert client_for(users["warehouse"]).get(f"/customers/{customer.pk}/").status_code == 403


def test_navigation_offers_customers_and_quotations_to_the_roles_that_use_them(users):
    sales = html(client_for(users["sales"]).get("/"))
    assert 'href="/customers/"' in sales and 'href="/orders/quotations/"' in sales
    planner = html(client_for(users["planner"]).get("/"))
    assert 'href="/customers/"' not in planner and 'href="/orders/quotations/"' in planner
    warehouse = html(client_for(users["warehouse"]).get("/"))
    assert 'href="/customers/"' not in warehouse and 'href="/orders/quotations/"' not in warehouse


# --- needs capture -----------------------------------------------------------------------------------

def _needs_post(rows: list[dict], **header) -> dict:
    data = {"needs-TOTAL_FORMS": str(len(rows)), "needs-INITIAL_FORMS": "1", "needs-MIN_NUM_FORMS": "0",
            "needs-MAX_NUM_FORMS": "200", "contact": "", "requested_date": "", "customer_reference": "", "note": ""}
    data.update(header)
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"needs-{index}-{key}"] = value
    return data


def test_inquiry_page_saves_needs_free_text_and_the_first_note(users, customer, gearbox):
    client = client_for(users["sales"])
    page = html(client.get(f"/customers/{customer.pk}/inquiry/"))
    assert 'name="needs-0-product"' in page and "data-formset-empty" in page and "/api/v1/products/" in page
    contact = customer.contacts.get()
    later = TODAY() + datetime.timedelta(days=20)
    response = client.post(f"/customers/{customer.pk}/inquiry/", _needs_post([
        {"product": "gb-100", "quantity": "4", "requested_date": later.isoformat(), "expectations": "ISO 9001"},
        {"requirement": "Stainless cover, IP65", "quantity": "1"},
        {},  # an empty row added and left blank
    ], contact=str(contact.pk), customer_reference="PO-77", note="Met at the fair."))
    order = SalesOrder.objects.get(customer=customer)
    assert response.status_code == 302 and response["Location"] == f"/orders/{order.pk}/"
    needs = list(InquiryLine.objects.filter(order=order).order_by("line_no"))
    assert [(n.product_id, n.requirement, n.quantity) for n in needs] == [
        (gearbox.pk, "", Decimal(4)), (None, "Stainless cover, IP65", Decimal(1))]
    assert needs[0].requested_date == later and needs[0].expectations == "ISO 9001"
    assert order.customer_reference == "PO-77" and order.contact == contact
    assert OrderNote.objects.get(order=order).body == "Met at the fair."


def test_inquiry_page_shows_errors_next_to_fields_and_keeps_the_input(users, customer, gearbox):
    client = client_for(users["sales"])
    yesterday = (TODAY() - datetime.timedelta(days=1)).isoformat()
    response = client.post(f"/customers/{customer.pk}/inquiry/", _needs_post([
        {"product": "NOPE-1", "quantity": "2", "expectations": "keep me"},
        {"product": "GB-100", "quantity": "", "requirement": "typed text"},
    ], requested_date=yesterday, customer_reference="REF-KEPT"))
    page = html(response)
    assert response.status_code == 200 and not SalesOrder.objects.filter(customer=customer).exists()
    assert "There is no product with the code “NOPE-1”." in page
    assert "This field is required." in page
    assert 'value="REF-KEPT"' in page and "keep me" in page and 'value="typed text"' in page
    # the service's own checks (a past date) come back next to the field as well
    response = client.post(f"/customers/{customer.pk}/inquiry/", _needs_post(
        [{"product": "GB-100", "quantity": "2", "requested_date": yesterday}]))
    assert "The requested date is in the past." in html(response)
    assert re.search(r'class="date-cell has-error"', html(response))
    # nothing at all: one need is required
    response = client.post(f"/customers/{customer.pk}/inquiry/", _needs_post([{"product": "", "quantity": "1"}]))
    assert "Choose a product or describe the requirement." in html(response)


def test_inquiry_page_is_only_for_own_customers_and_roles_that_enter_orders(users, customer):
    assert client_for(make_user("sales")).get(f"/customers/{customer.pk}/inquiry/").status_code == 404
    assert client_for(users["reviewer"]).get(f"/customers/{customer.pk}/inquiry/").status_code == 403


def test_no_javascript_add_row_button_adds_an_empty_row(users, customer):
    response = client_for(users["sales"]).post(f"/customers/{customer.pk}/inquiry/",
                                               {**_needs_post([{"product": "", "quantity": "3"}]), "add_row": "1"})
    page = html(response)
    assert 'name="needs-1-product"' in page and 'value="3"' in page
    assert not SalesOrder.objects.filter(customer=customer).exists()


def test_product_search_api_matches_code_or_name(users, gearbox):
    ProductFactory(sku="BR-7", name="Bearing 7")
    client = client_for(users["sales"])
    skus = [p["sku"] for p in client.get("/api/v1/products/?search=gearb").json()["results"]]
    assert skus == ["GB-100"]
    skus = [p["sku"] for p in client.get("/api/v1/products/?search=br-").json()["results"]]
    assert skus == ["BR-7"]


def test_needs_are_edited_while_the_order_is_an_inquiry(users, customer, gearbox):
    order = inquiry(users, customer, [gearbox])
    client = client_for(users["sales"])
    page = html(client.get(f"/orders/{order.pk}/needs/"))
    assert 'value="GB-100"' in page and 'value="2"' in page
    data = _needs_post([{"product": "GB-100", "quantity": "7"}, {"requirement": "Spare seals", "quantity": "10"}])
    assert client.post(f"/orders/{order.pk}/needs/", data).status_code == 302
    assert [n.quantity for n in InquiryLine.objects.filter(order=order)] == [Decimal(7), Decimal(10)]


# --- the order page -------------------------------------------------------------------------------

def test_order_page_shows_needs_notes_and_offers_to_create_the_quotation(users, customer, gearbox):
    order = inquiry(users, customer, [gearbox])
    client = client_for(users["sales"])
    page = html(client.get(f"/orders/{order.pk}/"))
    assert "Customer needs" in page and "Gearbox 100" in page and "First call." in page
    assert 'data-action="create-quotation"' in page and f"/orders/{order.pk}/needs/" in page
    response = client.post(f"/orders/{order.pk}/notes/", {"body": "Customer asked for a discount."}, follow=True)
    assert "Customer asked for a discount." in html(response)
    assert OrderNote.objects.filter(order=order).count() == 2
    assert "The note is empty." in html(client.post(f"/orders/{order.pk}/notes/", {"body": "  "}, follow=True)) or \
        "This field is required." in html(client.post(f"/orders/{order.pk}/notes/", {"body": ""}, follow=True))
    assert 'data-action="create-quotation"' not in html(client_for(users["reviewer"]).get(f"/orders/{order.pk}/"))

    response = client.post(f"/orders/{order.pk}/quotation/")
    quotation = Quotation.objects.get(order=order)
    assert response.status_code == 302 and response["Location"] == f"/orders/quotations/{quotation.pk}/"
    page = html(client.get(f"/orders/{order.pk}/"))
    assert quotation.number in page and 'data-action="create-quotation"' not in page


def test_quoting_unmatched_needs_says_which_to_match(users, customer):
    order = services.inquiry_create(by=users["sales"], customer=customer,
                                    needs=[services.NeedInput(requirement="Something custom", quantity=Decimal(1))])
    response = client_for(users["sales"]).post(f"/orders/{order.pk}/quotation/", follow=True)
    assert "Match every need to a product before quoting (needs 1)." in html(response)
    assert not Quotation.objects.filter(order=order).exists()


def test_order_page_costs_the_same_with_2_or_10_needs_notes_and_revisions(users, customer):
    few = inquiry(users, customer, [ProductFactory() for _ in range(2)])
    many = inquiry(users, customer, [ProductFactory() for _ in range(10)])
    for _ in range(5):
        services.order_add_note(order_id=many.pk, by=users["sales"], body="more")
    quotation = services.quotation_create(order_id=many.pk, by=users["sales"])
    services.quotation_revise(quotation_id=quotation.pk, by=users["sales"])
    client = client_for(users["manager"])
    client.get(f"/orders/{few.pk}/")  # warm the permission cache alike
    with CaptureQueriesContext(connection) as small:
        client.get(f"/orders/{few.pk}/")
    with CaptureQueriesContext(connection) as big:
        page = html(client.get(f"/orders/{many.pk}/"))
    assert len(big) == len(small), [q["sql"] for q in big.captured_queries]
    assert "rev 2" in page


# --- quotation page ---------------------------------------------------------------------------------

def test_quotation_page_for_each_role(users, customer, gearbox):
    quotation = quotation_of(users, customer, [gearbox])
    url = f"/orders/quotations/{quotation.pk}/"
    sales = html(client_for(users["sales"]).get(url))
    assert quotation.number in sales and "rev 1" in sales and "¥2,469.00" in sales
    assert 'id="quotation-edit-form"' in sales and 'name="lines-0-product"' in sales and 'value="GB-100"' in sales
    assert client_for(make_user("sales")).get(url).status_code == 404
    assert client_for(users["warehouse"]).get(url).status_code == 403
    for role in ("reviewer", "manager", "order_desk"):
        page = html(client_for(users[role]).get(url))
        assert "¥2,469.00" in page and 'id="quotation-edit-form"' not in page, role


def test_planner_sees_the_quotation_and_its_lead_times_but_no_price(users, customer, gearbox):
    made = ProductFactory(sku="MK-1", name="Made part", supply_type="make", lead_time_days=40,
                          list_price=Decimal("888.88"), standard_cost=Decimal("500"))
    quotation = quotation_of(users, customer, [gearbox, made])
    services.quotation_submit_review(quotation_id=quotation.pk, by=users["sales"])
    client = client_for(users["planner"])
    page = html(client.get(f"/orders/quotations/{quotation.pk}/"))
    assert "MK-1" in page and "40 days" in page and 'data-signoff-form="operations"' in page
    assert 'data-signoff-form="finance"' not in page
    for price in ("1,234.50", "1234.50", "888.88", "¥", "Unit price", "Margin", "Preview PDF"):
        assert price not in page, price
    assert client.get(f"/orders/quotations/{quotation.pk}/pdf/").status_code == 403
    assert "¥" not in html(client.get("/orders/quotations/"))
    assert "¥" not in html(client.get("/"))


def test_editing_a_draft_saves_lines_and_terms_and_can_submit_it(users, customer, gearbox):
    bearing = ProductFactory(sku="BR-7", name="Bearing 7", list_price=Decimal("10.00"))
    quotation = quotation_of(users, customer, [gearbox])
    client = client_for(users["sales"])
    valid = (TODAY() + datetime.timedelta(days=45)).isoformat()
    data = _lines_post([
        {"product": "GB-100", "description": "With flange", "quantity": "3", "unit_price": "1200.00",
         "discount_percent": "5"},
        {"product": "br-7", "quantity": "10", "unit_price": "", "discount_percent": ""},
    ], payment_terms="net60", currency="CNY", lead_time_days="14", valid_until=valid,
        warranty_terms="24 months", notes="Prices ex works.")
    response = client.post(f"/orders/quotations/{quotation.pk}/edit/", data)
    assert response.status_code == 302
    quotation.refresh_from_db()
    lines = list(quotation.lines.order_by("line_no"))
    assert [(line.product_id, line.quantity, line.unit_price, line.discount_percent) for line in lines] == [
        (gearbox.pk, 3, Decimal("1200.00"), 5), (bearing.pk, 10, Decimal("10.00"), 0)]
    assert quotation.total_amount == Decimal("3520.00") and quotation.payment_terms == "net60"
    assert quotation.warranty_terms == "24 months" and quotation.valid_until.isoformat() == valid
    # "Save and submit" submits it for review
    response = client.post(f"/orders/quotations/{quotation.pk}/edit/", {**data, "submit_review": "1"}, follow=True)
    quotation.refresh_from_db()
    assert quotation.state == QuotationState.IN_REVIEW
    page = html(response)
    assert "Saved and submitted for internal review." in page and 'data-signoff="finance"' in page
    assert "Payment terms differ from the customer" in page


def _lines_post(rows: list[dict], **terms) -> dict:
    data = {"lines-TOTAL_FORMS": str(len(rows)), "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "200", "payment_terms": "net30", "currency": "CNY", "lead_time_days": "0",
            "valid_until": (TODAY() + datetime.timedelta(days=30)).isoformat(), "warranty_terms": "", "notes": ""}
    data.update(terms)
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"lines-{index}-{key}"] = value
    return data


def test_editing_a_draft_shows_errors_next_to_fields_and_keeps_input(users, customer, gearbox):
    quotation = quotation_of(users, customer, [gearbox])
    client = client_for(users["sales"])
    response = client.post(f"/orders/quotations/{quotation.pk}/edit/", _lines_post([
        {"product": "GB-100", "quantity": "2", "unit_price": "-5", "description": "keep this text"},
        {"product": "XX-404", "quantity": "1"},
    ], valid_until=(TODAY() - datetime.timedelta(days=1)).isoformat()))
    page = html(response)
    assert response.status_code == 400
    assert "There is no product with the code “XX-404”." in page
    assert 'value="keep this text"' in page
    # a negative price passes the form (no min on the field) only to be refused by the service
    response = client.post(f"/orders/quotations/{quotation.pk}/edit/", _lines_post([
        {"product": "GB-100", "quantity": "2", "unit_price": "-5"}],
        valid_until=(TODAY() - datetime.timedelta(days=1)).isoformat()))
    page = html(response)
    assert "Unit price cannot be negative." in page and "The validity date must be today or later." in page
    quotation.refresh_from_db()
    assert quotation.lines.get().unit_price == Decimal("1234.50")


def test_sign_off_request_changes_needs_a_comment_next_to_the_field(users, customer, gearbox):
    quotation = quotation_of(users, customer, [gearbox])
    services.quotation_submit_review(quotation_id=quotation.pk, by=users["sales"])
    client = client_for(users["reviewer"])
    url = f"/orders/quotations/{quotation.pk}/signoff/"
    response = client.post(url, {"area": "finance", "decision": "changes", "comment": ""})
    assert response.status_code == 400 and "Say what should change." in html(response)
    quotation.refresh_from_db()
    assert quotation.state == QuotationState.IN_REVIEW
    # a planner cannot sign for finance
    response = client_for(users["planner"]).post(url, {"area": "finance", "decision": "approve"}, follow=True)
    assert "You may not sign off for" in html(response)
    client.post(url, {"area": "finance", "decision": "changes", "comment": "Margin too thin on line 1."})
    quotation.refresh_from_db()
    assert quotation.state == QuotationState.DRAFT
    page = html(client_for(users["sales"]).get(f"/orders/quotations/{quotation.pk}/"))
    assert "Margin too thin on line 1." in page and "Changes requested" in page


def test_revisions_are_linked_and_an_old_one_says_it_is_not_current(users, customer, gearbox):
    quotation = quotation_of(users, customer, [gearbox])
    response = client_for(users["sales"]).post(f"/orders/quotations/{quotation.pk}/revise/")
    new = Quotation.objects.get(order=quotation.order, revision=2)
    assert response["Location"] == f"/orders/quotations/{new.pk}/"
    old = html(client_for(users["sales"]).get(f"/orders/quotations/{quotation.pk}/"))
    assert "which is no longer current" in old and f"/orders/quotations/{new.pk}/" in old
    assert "Superseded" in old and 'id="quotation-edit-form"' not in old and 'data-action="revise"' not in old
    latest = html(client_for(users["sales"]).get(f"/orders/quotations/{new.pk}/"))
    assert "no longer current" not in latest and f"/orders/quotations/{quotation.pk}/" in latest


def test_send_accept_contract_review_and_sign_through_the_pages(users, customer, gearbox):
    quotation = approved(users, quotation_of(users, customer, [gearbox]))
    sales = client_for(users["sales"])
    url = f"/orders/quotations/{quotation.pk}/"
    page = html(sales.get(url))
    assert 'value="buyer@acme.example"' in page and 'data-action="send"' in page
    response = sales.post(f"{url}send/", {"to_email": "not-an-email"})
    assert response.status_code == 400 and "Enter a valid email address." in html(response)
    response = sales.post(f"{url}send/", {"to_email": "purchasing@acme.example"}, follow=True)
    assert "Quotation sent to purchasing@acme.example." in html(response)
    quotation.refresh_from_db()
    assert quotation.state == QuotationState.SENT and quotation.order.state == OrderState.QUOTED
    pdf = sales.get(f"{url}pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")

    sales.post(f"{url}decision/", {"decision": "accepted", "note": "Signed PO follows."})
    quotation.refresh_from_db()
    assert quotation.state == QuotationState.ACCEPTED
    response = sales.post(f"{url}contract/")
    contract = quotation.contracts.get()
    assert response["Location"] == f"/orders/contracts/{contract.pk}/"
    page = html(sales.get(f"/orders/contracts/{contract.pk}/"))
    assert 'id="contract-edit-form"' in page and "Dispute resolution" in page and "GB-100" in page
    data = {"delivery_date": contract.delivery_date.isoformat(),
            **{f"clause_{c.position}": c.body for c in contract.clauses.all()}}
    response = sales.post(f"/orders/contracts/{contract.pk}/edit/", {**data, "clause_1": "  "})
    assert response.status_code == 400 and "This field is required." in html(response)
    sales.post(f"/orders/contracts/{contract.pk}/edit/", {**data, "clause_5": "Liability capped.",
                                                          "submit_review": "1"})
    contract.refresh_from_db()
    assert contract.state == ContractState.IN_REVIEW and contract.clauses.get(position=5).body == "Liability capped."
    assert "Waiting for the legal review." in html(sales.get(f"/orders/contracts/{contract.pk}/"))

    manager = client_for(users["manager"])
    assert contract.number in html(manager.get("/"))
    response = manager.post(f"/orders/contracts/{contract.pk}/review/", {"decision": "return", "comment": ""})
    assert response.status_code == 400 and "Say what should change." in html(response)
    manager.post(f"/orders/contracts/{contract.pk}/review/", {"decision": "approve", "comment": "OK"})
    contract.refresh_from_db()
    assert contract.state == ContractState.APPROVED

    sign = f"/orders/contracts/{contract.pk}/sign/"
    response = sales.post(sign, {"signed_on": TODAY().isoformat(),
                                 "signed_copy": SimpleUploadedFile("x.txt", b"hello", content_type="text/plain")})
    assert response.status_code == 400 and "Only PDF, PNG or JPEG files can be attached." in html(response)
    response = sales.post(sign, {"signed_on": TODAY().isoformat()})
    assert "Attach the signed copy first." in html(response)
    response = sales.post(sign, {"signed_on": TODAY().isoformat(),
                                 "signed_copy": SimpleUploadedFile("signed.pdf", PDF, content_type="application/pdf")},
                          follow=True)
    contract.refresh_from_db()
    assert contract.state == ContractState.SIGNED
    assert "Contract signed. The order is now contracted." in html(response)
    assert SalesOrder.objects.get(pk=quotation.order_id).state == OrderState.CONTRACTED

    download = sales.get(f"/orders/attachments/{contract.signed_copy_id}/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert 'attachment; filename="signed.pdf"' in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == PDF
    order_page = html(sales.get(f"/orders/{quotation.order_id}/"))
    assert "signed.pdf" in order_page and contract.number in order_page and "Contracted" in order_page


def test_files_are_served_only_to_those_who_may_see_them(users, customer, gearbox):
    quotation = approved(users, quotation_of(users, customer, [gearbox]))
    services.quotation_send(quotation_id=quotation.pk, by=users["sales"])
    attachment = Attachment.objects.get(quotation=quotation)
    url = f"/orders/attachments/{attachment.pk}/"
    assert client_for(users["sales"]).get(url).status_code == 200
    assert client_for(users["reviewer"]).get(url).status_code == 200
    assert client_for(make_user("sales")).get(url).status_code == 404
    assert client_for(users["planner"]).get(url).status_code == 404
    assert client_for(users["warehouse"]).get(url).status_code == 404
    assert client_for(users["sales"]).get("/orders/attachments/999999/").status_code == 404
    assert "Quotation (PDF)" not in html(client_for(users["planner"]).get(f"/orders/{quotation.order_id}/"))


def test_contract_page_is_not_for_planner_or_warehouse_or_another_sales(users, customer, gearbox):
    quotation = accepted(users, quotation_of(users, customer, [gearbox]))
    contract = services.contract_create(quotation_id=quotation.pk, by=users["sales"])
    url = f"/orders/contracts/{contract.pk}/"
    assert client_for(users["sales"]).get(url).status_code == 200
    assert client_for(users["planner"]).get(url).status_code == 403
    assert client_for(users["warehouse"]).get(url).status_code == 403
    assert client_for(make_user("sales")).get(url).status_code == 404
    assert client_for(users["sales"]).get(f"{url}pdf/").status_code == 200


def test_quotation_page_costs_the_same_with_2_or_10_lines(users, customer):
    few = approved(users, quotation_of(users, customer, [ProductFactory() for _ in range(2)]))
    many = quotation_of(users, customer, [ProductFactory() for _ in range(10)])
    services.quotation_submit_review(quotation_id=many.pk, by=users["sales"])
    services.quotation_signoff(quotation_id=many.pk, by=users["reviewer"], area="finance", approve=False,
                               comment="again")
    services.quotation_submit_review(quotation_id=many.pk, by=users["sales"])
    services.quotation_signoff(quotation_id=many.pk, by=users["reviewer"], area="finance", approve=True)
    for client in (client_for(users["manager"]), client_for(users["sales"])):
        client.get(f"/orders/quotations/{few.pk}/")
        with CaptureQueriesContext(connection) as small:
            client.get(f"/orders/quotations/{few.pk}/")
        with CaptureQueriesContext(connection) as big:
            client.get(f"/orders/quotations/{many.pk}/")
        assert len(big) == len(small), [q["sql"] for q in big.captured_queries]
    # a draft with its edit formset costs no more for more lines either
    draft_few = quotation_of(users, customer, [ProductFactory() for _ in range(2)])
    draft_many = quotation_of(users, customer, [ProductFactory() for _ in range(10)])
    client = client_for(users["sales"])
    with CaptureQueriesContext(connection) as small:
        client.get(f"/orders/quotations/{draft_few.pk}/")
    with CaptureQueriesContext(connection) as big:
        client.get(f"/orders/quotations/{draft_many.pk}/")
    assert len(big) == len(small)


def test_quotation_list_filters_by_state_and_paginates(users, customer, gearbox):
    draft = quotation_of(users, customer, [gearbox])
    in_review = quotation_of(users, customer, [gearbox])
    services.quotation_submit_review(quotation_id=in_review.pk, by=users["sales"])
    client = client_for(users["sales"])
    page = html(client.get("/orders/quotations/"))
    assert draft.number in page and in_review.number in page
    page = html(client.get("/orders/quotations/?state=in_review"))
    assert in_review.number in page and draft.number not in page
    assert "No quotation in this state." in html(client.get("/orders/quotations/?state=accepted"))
    assert draft.number not in html(client_for(make_user("sales")).get("/orders/quotations/"))
    assert client_for(users["warehouse"]).get("/orders/quotations/").status_code == 403


def test_home_shows_sign_off_and_legal_review_queues(users, customer, gearbox):
    made = ProductFactory(sku="MK-2", supply_type="make", lead_time_days=10)
    quotation = quotation_of(users, customer, [gearbox, made])
    services.quotation_submit_review(quotation_id=quotation.pk, by=users["sales"])
    reviewer = html(client_for(users["reviewer"]).get("/"))
    assert "Quotations awaiting your sign-off" in reviewer and quotation.number in reviewer
    planner = html(client_for(users["planner"]).get("/"))
    assert quotation.number in planner and "¥" not in planner
    manager = html(client_for(users["manager"]).get("/"))
    assert "Contracts awaiting legal review" in manager and quotation.number not in manager
    assert "Quotations awaiting your sign-off" not in html(client_for(users["sales"]).get("/"))


@pytest.mark.parametrize("path", ["customer", "inquiry", "order", "quotation", "contract", "quotations"])
def test_pre_order_pages_render_in_chinese(users, customer, gearbox, path):
    quotation = accepted(users, quotation_of(users, customer, [gearbox]))
    contract = services.contract_create(quotation_id=quotation.pk, by=users["sales"])
    url = {"customer": f"/customers/{customer.pk}/", "inquiry": f"/customers/{customer.pk}/inquiry/",
           "order": f"/orders/{quotation.order_id}/", "quotation": f"/orders/quotations/{quotation.pk}/",
           "contract": f"/orders/contracts/{contract.pk}/", "quotations": "/orders/quotations/"}[path]
    response = client_for(users["sales"], "zh-hans").get(url)
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in html(response)


def test_an_inquiry_without_lines_shows_no_zero_total_in_lists(users):
    order = services.inquiry_create(by=users["sales"], customer=CustomerFactory(owner=users["sales"]),
                                    needs=[services.NeedInput(requirement="Custom gearbox", quantity=Decimal(2))])
    page = html(client_for(users["sales"]).get("/orders/"))
    row = page[page.index(order.number):]
    row = row[:row.index("</tr>")]
    assert "—" in row and "0.00" not in row
