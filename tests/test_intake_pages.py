"""Order desk pages: order entry from every channel (web, e-mail and fax scans, phone
orders awaiting written confirmation), completeness errors on the page, contract prices,
revising a rejected order, the CSV upload, who may use them, and what the entry page costs."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import Address, Contact
from orders import services
from orders.models import AttachmentKind, Channel, OrderState, SalesOrder
from tests.factories import CustomerFactory, ProductFactory, make_user, order_in_state, stock
from tests.pages import client_for, html

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n% order\n%%EOF\n"
REQUIRED_FOR_SUBMIT = "This is required before the order can be submitted."




@pytest.fixture
def customer(users):
    customer = CustomerFactory(owner=users["sales"], name="Acme Gears", code="C-ACME", payment_terms="net60")
    Contact.objects.filter(customer=customer).update(name="Wu Lei")
    return customer


@pytest.fixture
def gearbox():
    product = ProductFactory(sku="GB-100", name="Gearbox 100", list_price=Decimal("1234.50"))
    stock(product, "100")
    return product


@pytest.fixture
def bearing():
    product = ProductFactory(sku="BR-7", name="Bearing 7", list_price=Decimal("12.80"))
    stock(product, "1000")
    return product


def entry_data(customer, lines, *, submit: bool = False, **header) -> dict:
    """What the order-entry form posts: the header (customer's defaults unless given) and
    `lines` as (sku, quantity[, unit price[, discount]]) tuples."""
    data = {
        "customer": str(customer.pk), "channel": Channel.WEB,
        "contact": str(customer.contacts.get(is_primary=True).pk) if customer.contacts.filter(is_primary=True)
        .exists() else "",
        "delivery_address": str(customer.addresses.get(is_default_shipping=True).pk)
        if customer.addresses.filter(is_default_shipping=True).exists() else "",
        "customer_reference": "PO-4711", "requested_date": (TODAY() + datetime.timedelta(days=14)).isoformat(),
        "payment_terms": customer.payment_terms, "notes": "",
        "lines-TOTAL_FORMS": str(len(lines)), "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
    }
    for index, line in enumerate(lines):
        sku, quantity, price, discount = (*line, "", "")[:4]
        data.update({f"lines-{index}-product": sku, f"lines-{index}-quantity": quantity,
                     f"lines-{index}-unit_price": price, f"lines-{index}-discount_percent": discount,
                     f"lines-{index}-description": ""})
    if submit:
        data["submit"] = "1"
    data.update({key: value for key, value in header.items()})
    return data


class _FormValues(HTMLParser):
    """What a browser would post from a page's form, unchanged: inputs (checked boxes
    only, no files, no buttons), textareas and the selected options."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("file", "submit", "button"):
            if attrs.get("type") != "checkbox" or "checked" in attrs:
                self.values[name] = attrs.get("value") or ""
        elif tag == "select":
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value") or ""
        elif tag == "textarea":
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data.lstrip("\n")


def entry_form_values(page: str) -> dict[str, str]:
    """The values of the order-entry form as rendered (the empty-row template left out)."""
    form = page[page.index("data-order-entry"):]
    form = re.sub(r"<template.*?</template>", "", form[:form.index("</form>")], flags=re.S)
    parser = _FormValues()
    parser.feed("<form " + form)
    return parser.values


def field_errors(page: str, name: str) -> list[str]:
    """The error messages shown in the .field block of the input named `name`."""
    block = r'<div class="field[^"]*has-error[^"]*"[^>]*>(?:(?!<div class="field).)*?name="' + re.escape(name)
    match = re.search(block + r'"(.*?)</div>', page, re.S)
    return re.findall(r"<li>(.*?)</li>", match.group(1)) if match else []


# --- entry, channel by channel -------------------------------------------------------------------

def test_the_desk_finds_the_customer_then_enters_a_web_order_and_submits_it(users, customer, gearbox, bearing):
    desk = client_for(users["order_desk"])
    start = html(desk.get("/orders/new/"))
    assert 'data-customer-search' in start and 'name="contact"' not in start
    found = html(desk.get("/orders/new/?q=acme"))
    assert f'href="/orders/new/?customer={customer.pk}"' in found
    assert "No customer matches" in html(desk.get("/orders/new/?q=zzz"))

    form = html(desk.get(f"/orders/new/?customer={customer.pk}"))
    assert "Wu Lei" in form and "1 Test Road" in form
    assert re.search(r'<option value="net60" selected>', form)  # the customer's payment terms
    assert re.search(r'<option value="web" selected>', form)

    response = desk.post(f"/orders/new/?customer={customer.pk}",
                         entry_data(customer, [("gb-100", "2"), ("BR-7", "10", "12.00", "5")], submit=True))
    order = SalesOrder.objects.get(customer=customer)
    assert response.status_code == 302 and response["Location"] == f"/orders/{order.pk}/"
    assert (order.state, order.channel, order.entered_by, order.customer_reference, order.payment_terms) == (
        OrderState.SUBMITTED, Channel.WEB, users["order_desk"], "PO-4711", "net60")
    assert list(order.lines.values_list("product__sku", "quantity", "unit_price", "discount_percent")) == [
        ("GB-100", Decimal("2.000"), Decimal("1234.50"), Decimal("0.00")),
        ("BR-7", Decimal("10.000"), Decimal("12.00"), Decimal("5.00"))]
    assert order.total_amount == Decimal("2583.00")
    page = html(desk.get(response["Location"]))
    assert "submitted for review" in page and "data-awaiting-confirmation" not in page


def test_save_draft_keeps_the_order_as_an_inquiry(users, customer, gearbox):
    desk = client_for(users["order_desk"])
    response = desk.post(f"/orders/new/?customer={customer.pk}",
                         entry_data(customer, [("GB-100", "1")], requested_date=""))
    order = SalesOrder.objects.get(customer=customer)
    assert response.status_code == 302 and (order.state, order.requested_date) == (OrderState.INQUIRY, None)
    assert "saved as a draft" in html(desk.get(response["Location"]))


@pytest.mark.parametrize(("channel", "name", "content"), [(Channel.EMAIL, "mail-scan.pdf", PDF),
                                                           (Channel.FAX, "fax-0042.png", PNG)])
def test_email_and_fax_orders_attach_the_scanned_document(users, customer, gearbox, channel, name, content):
    desk = client_for(users["order_desk"])
    scan = SimpleUploadedFile(name, content)
    response = desk.post(f"/orders/new/?customer={customer.pk}",
                         entry_data(customer, [("GB-100", "1")], submit=True, channel=channel, document=scan))
    assert response.status_code == 302
    order = SalesOrder.objects.get(customer=customer)
    attachment = order.attachments.get()
    assert (order.channel, attachment.kind, attachment.filename) == (channel, AttachmentKind.ORDER_DOCUMENT, name)
    assert name in html(desk.get(response["Location"]))


def test_a_fax_order_without_its_scan_is_refused_with_the_input_kept(users, customer, gearbox):
    desk = client_for(users["order_desk"])
    response = desk.post(f"/orders/new/?customer={customer.pk}",
                         entry_data(customer, [("GB-100", "3")], submit=True, channel=Channel.FAX,
                                    customer_reference="FAX-77"))
    page = html(response)
    assert response.status_code == 200 and not SalesOrder.objects.exists()
    assert field_errors(page, "document") == ["Attach the scanned order document."]
    assert 'value="FAX-77"' in page and 'value="GB-100"' in page and 'value="3"' in page
    assert re.search(r'<option value="fax" selected>', page)
    assert "Nothing was saved" in page


def test_a_file_that_is_no_scan_is_refused(users, customer, gearbox):
    response = client_for(users["order_desk"]).post(
        f"/orders/new/?customer={customer.pk}",
        entry_data(customer, [("GB-100", "1")], channel=Channel.EMAIL,
                   document=SimpleUploadedFile("order.exe", b"MZ\x90\x00")))
    assert field_errors(html(response), "document") == ["Only PDF, PNG or JPEG files can be attached."]
    assert not SalesOrder.objects.exists()


def test_a_phone_order_waits_for_the_written_confirmation_until_it_is_uploaded(users, customer, gearbox):
    desk = client_for(users["order_desk"])
    form = html(desk.get(f"/orders/new/?customer={customer.pk}"))
    default_due = TODAY() + datetime.timedelta(days=2)
    assert f'name="confirmation_due" value="{default_due.isoformat()}"' in form
    desk.post(f"/orders/new/?customer={customer.pk}",
              entry_data(customer, [("GB-100", "1")], submit=True, channel=Channel.PHONE,
                         confirmation_due=default_due.isoformat()))
    order = SalesOrder.objects.get(customer=customer)
    assert (order.channel, order.confirmation_due, order.awaiting_confirmation) == (Channel.PHONE, default_due, True)
    page = html(desk.get(f"/orders/{order.pk}/"))
    assert "data-awaiting-confirmation" in page and "Awaiting written confirmation" in page
    assert "data-overdue" not in page and 'data-action="confirm-in-writing"' in page

    # once the due date has passed, the banner says so; a reviewer sees it without the form
    SalesOrder.objects.filter(pk=order.pk).update(confirmation_due=TODAY() - datetime.timedelta(days=1))
    assert "data-overdue" in html(desk.get(f"/orders/{order.pk}/"))
    reviewer_view = html(client_for(users["reviewer"]).get(f"/orders/{order.pk}/"))
    assert "data-awaiting-confirmation" in reviewer_view and 'data-action="confirm-in-writing"' not in reviewer_view

    refused = desk.post(f"/orders/{order.pk}/confirmation/", {"document": SimpleUploadedFile("x.txt", b"hello")},
                        follow=True)
    assert "Only PDF, PNG or JPEG files can be attached." in html(refused)
    done = desk.post(f"/orders/{order.pk}/confirmation/", {"document": SimpleUploadedFile("signed-po.pdf", PDF)},
                     follow=True)
    order.refresh_from_db()
    assert order.confirmed_at is not None and not order.awaiting_confirmation
    assert order.attachments.get(kind=AttachmentKind.CONFIRMATION).filename == "signed-po.pdf"
    page = html(done)
    assert "Written confirmation attached" in page and "data-awaiting-confirmation" not in page
    assert "signed-po.pdf" in page


def test_confirmation_date_of_a_phone_order_cannot_be_in_the_past(users, customer, gearbox):
    response = client_for(users["order_desk"]).post(
        f"/orders/new/?customer={customer.pk}",
        entry_data(customer, [("GB-100", "1")], channel=Channel.PHONE,
                   confirmation_due=(TODAY() - datetime.timedelta(days=1)).isoformat()))
    assert field_errors(html(response), "confirmation_due") == ["The due date is in the past."]


# --- every error at once -------------------------------------------------------------------------

def test_completeness_errors_are_listed_together_next_to_their_fields_and_nothing_is_saved(users, gearbox):
    bare = CustomerFactory(owner=users["sales"], with_address_and_contact=False)
    Address.objects.create(customer=bare, line1="9 Dock Road", city="Ningbo", is_default_shipping=True)
    Contact.objects.create(customer=bare, name="Not primary")
    desk = client_for(users["order_desk"])
    response = desk.post(f"/orders/new/?customer={bare.pk}",
                         entry_data(bare, [("GB-100", "2")], submit=True, contact="", requested_date=""))
    page = html(response)
    assert response.status_code == 200 and not SalesOrder.objects.exists()
    assert field_errors(page, "contact") == [REQUIRED_FOR_SUBMIT]
    assert field_errors(page, "requested_date") == [REQUIRED_FOR_SUBMIT]
    assert field_errors(page, "delivery_address") == []
    assert "The order is not complete." in page and 'value="GB-100"' in page

    # with a bad line as well, the bad line and the missing items still come back together
    response = desk.post(f"/orders/new/?customer={bare.pk}",
                         entry_data(bare, [("GB-100", "2", "-5")], submit=True, contact="", requested_date=""))
    page = html(response)
    assert field_errors(page, "contact") == [REQUIRED_FOR_SUBMIT]
    assert field_errors(page, "requested_date") == [REQUIRED_FOR_SUBMIT]
    assert "Unit price cannot be negative." in page
    assert not SalesOrder.objects.exists()


def test_submitting_without_lines_says_so_at_the_lines(users, customer):
    response = client_for(users["order_desk"]).post(f"/orders/new/?customer={customer.pk}",
                                                    entry_data(customer, [], submit=True))
    assert re.search(r"data-lines-errors>.*" + re.escape(REQUIRED_FOR_SUBMIT), html(response), re.S)
    assert not SalesOrder.objects.exists()


def test_row_errors_stand_next_to_their_rows(users, customer, gearbox):
    retired = ProductFactory(sku="OLD-1", is_active=False)
    response = client_for(users["order_desk"]).post(
        f"/orders/new/?customer={customer.pk}",
        entry_data(customer, [("GB-100", "1"), (retired.sku, "1"), ("GB-100", "1", "", "120")]))
    rows = re.findall(r"<tr data-row>(.*?)</tr>", html(response), re.S)
    assert "errorlist" not in rows[0]
    assert "Product OLD-1 is no longer sold." in rows[1] and 'value="OLD-1"' in rows[1]
    assert "Discount must be between 0 and 100." in rows[2] and 'value="120"' in rows[2]
    unknown = client_for(users["order_desk"]).post(f"/orders/new/?customer={customer.pk}",
                                                   entry_data(customer, [("NOPE-9", "1")]))
    assert "There is no product with the code “NOPE-9”." in html(unknown)
    assert not SalesOrder.objects.exists()


# --- prices --------------------------------------------------------------------------------------

def test_an_empty_unit_price_gets_the_contract_price_else_the_list_price(users):
    contracted = order_in_state("contracted", users)
    customer = contracted.customer
    quoted = contracted.quotations.get(state="accepted").lines.get()
    services.order_transition(order_id=contracted.pk, name="cancel", by=users["sales"], reason="replaced")
    # make the agreed price differ from the list price, as a negotiated one would
    type(quoted).objects.filter(pk=quoted.pk).update(unit_price=Decimal("88.80"), discount_percent=Decimal("3"))
    other = ProductFactory(sku="LIST-1", list_price=Decimal("7.50"))
    stock(other, "100")

    desk = client_for(users["order_desk"])
    hint = desk.get(f"/orders/new/prices/?customer={customer.pk}&sku={quoted.product.sku.lower()}").json()
    assert (hint["source"], hint["unit_price"], hint["discount_percent"]) == ("contract", "88.80", "3")
    assert hint["unit_price_display"] == "¥88.80"
    assert desk.get(f"/orders/new/prices/?customer={customer.pk}&sku=LIST-1").json() == {
        "sku": "LIST-1", "name": other.name, "unit_price": "7.50", "discount_percent": "0", "source": "list",
        "unit_price_display": "¥7.50", "currency": "CNY"}
    assert desk.get(f"/orders/new/prices/?customer={customer.pk}&sku=NOPE").status_code == 404
    stranger = CustomerFactory()
    assert desk.get(f"/orders/new/prices/?customer={stranger.pk}&sku={quoted.product.sku}").json()["source"] == "list"
    assert client_for(users["sales"]).get(
        f"/orders/new/prices/?customer={stranger.pk}&sku=LIST-1").status_code == 404  # not their customer

    response = desk.post(f"/orders/new/?customer={customer.pk}",
                         entry_data(customer, [(quoted.product.sku, "2"), ("LIST-1", "4"),
                                               (quoted.product.sku, "1", "99.00")], submit=True))
    assert response.status_code == 302
    order = SalesOrder.objects.exclude(pk=contracted.pk).get(customer=customer)
    assert list(order.lines.order_by("line_no").values_list("unit_price", "discount_percent")) == [
        (Decimal("88.80"), Decimal("3.00")), (Decimal("7.50"), Decimal("0.00")), (Decimal("99.00"), Decimal("0.00"))]


# --- revising a rejected order -------------------------------------------------------------------

def test_a_rejected_order_is_edited_and_resubmitted_from_its_page(users, bearing):
    order = order_in_state("rejected", users)
    sales = client_for(users["sales"])
    detail = html(sales.get(f"/orders/{order.pk}/"))
    assert f'href="/orders/{order.pk}/edit/"' in detail
    assert 'data-action="edit-order"' not in html(client_for(users["reviewer"]).get(f"/orders/{order.pk}/"))

    page = html(sales.get(f"/orders/{order.pk}/edit/"))
    line = order.lines.get()
    assert "data-rejection" in page and "test reason" in page  # the reviewer's reason, at the top
    assert 'name="channel"' not in page

    # as the browser posts it: the order's line left as it was, one line added, a new reference
    data = entry_form_values(page)
    assert (data["lines-INITIAL_FORMS"], data["lines-0-product"], data["lines-0-quantity"]) == (
        "1", line.product.sku, "2")
    data.update({"lines-TOTAL_FORMS": "2", "lines-1-product": "BR-7", "lines-1-quantity": "10",
                 "customer_reference": "PO-REVISED", "submit": "1"})
    response = sales.post(f"/orders/{order.pk}/edit/", data)
    assert response.status_code == 302 and response["Location"] == f"/orders/{order.pk}/"
    order.refresh_from_db()
    assert (order.state, order.customer_reference) == (OrderState.SUBMITTED, "PO-REVISED")
    assert list(order.lines.values_list("product__sku", "quantity", "unit_price")) == [
        (line.product.sku, line.quantity, line.unit_price), ("BR-7", Decimal("10.000"), Decimal("12.80"))]
    assert list(order.events.values_list("kind", flat=True))[-2:] == ["order_updated", "submit"]
    assert "saved and submitted for review" in html(sales.get(response["Location"]))
    # submitted: no longer editable
    again = sales.get(f"/orders/{order.pk}/edit/", follow=True)
    assert "Only a draft or a rejected order can be changed." in html(again)


def test_saving_an_edit_without_submitting_keeps_the_state_and_errors_show_at_the_rows(users):
    order = order_in_state("rejected", users)
    desk = client_for(users["order_desk"])
    line = order.lines.get()
    form = entry_form_values(html(desk.get(f"/orders/{order.pk}/edit/")))
    page = html(desk.post(f"/orders/{order.pk}/edit/", {**form, "lines-0-quantity": "0"}))
    rows = re.findall(r"<tr data-row>(.*?)</tr>", page, re.S)
    assert "Quantity must be greater than zero." in rows[0]
    response = desk.post(f"/orders/{order.pk}/edit/", {**form, "lines-0-quantity": "7",
                                                       "notes": "Customer called back."})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.state, order.notes, order.lines.get().quantity) == (OrderState.REJECTED, "Customer called back.",
                                                                      Decimal("7.000"))
    # a line marked for removal goes; an order needs one line at least
    page = html(desk.post(f"/orders/{order.pk}/edit/", {**form, "lines-0-DELETE": "on"}))
    assert "An order needs at least one line." in page and order.lines.get().product == line.product


def test_an_unchanged_edit_keeps_every_line_and_price(users, bearing):
    order = order_in_state("rejected", users, lines=[(bearing, "3")])
    services.order_update(order_id=order.pk, by=users["sales"], lines=[
        services.LineInput(product=bearing, quantity=Decimal(3), unit_price=Decimal("11.11"),
                           discount_percent=Decimal("2.5"), description="cut to length")])
    before = list(order.lines.values_list("product", "quantity", "unit_price", "discount_percent", "description"))
    desk = client_for(users["order_desk"])
    form = entry_form_values(html(desk.get(f"/orders/{order.pk}/edit/")))
    assert desk.post(f"/orders/{order.pk}/edit/", form).status_code == 302
    after = list(order.lines.values_list("product", "quantity", "unit_price", "discount_percent", "description"))
    assert after == before


# --- CSV upload ----------------------------------------------------------------------------------

def _csv(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("orders.csv", text.encode("utf-8"), content_type="text/csv")


def test_csv_upload_creates_the_good_orders_and_lists_the_bad_rows(users, gearbox, bearing):
    good = CustomerFactory(code="C-GOOD", name="Good Co")
    CustomerFactory(code="C-BAD")
    due = (TODAY() + datetime.timedelta(days=20)).isoformat()
    desk = client_for(users["order_desk"])
    page = html(desk.get("/orders/import/"))
    assert "customer_code" in page and "discount_percent" in page and "C-00042,PO-7781" in page
    response = desk.post("/orders/import/", {"file": _csv(
        "customer_code,customer_reference,requested_date,sku,quantity,unit_price,discount_percent\n"
        f"C-GOOD,PO-1,{due},GB-100,2,,\n"
        f"C-GOOD,PO-1,{due},BR-7,10,12.00,5\n"
        f"C-BAD,PO-2,{due},GB-100,1,,\n"
        f"C-BAD,PO-2,{due},NOPE,0,,\n")})
    page = html(response)
    order = SalesOrder.objects.get(customer=good)
    assert (order.state, order.channel, order.lines.count()) == (OrderState.SUBMITTED, Channel.CSV, 2)
    assert not SalesOrder.objects.filter(customer__code="C-BAD").exists()
    assert f'href="/orders/{order.pk}/"' in page and order.number in page
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td><code>(\w+)</code></td><td>(.*?)</td></tr>', page)
    assert rows == [("4", "order", "Not created: another row of order PO-2 has errors."),
                    ("5", "quantity", "Quantity must be greater than zero."),
                    ("5", "sku", "Unknown SKU NOPE.")]
    assert "1 order created and submitted for review." in page
    assert re.search(r"data-error-count>2<", page)  # rows 4 and 5


def test_csv_files_the_service_refuses_are_form_errors(users):
    desk = client_for(users["order_desk"])
    page = html(desk.post("/orders/import/", {"file": _csv("customer,sku\nC-1,GB-1\n")}))
    assert "The header must name the columns" in page and "data-import-report" not in page
    latin = SimpleUploadedFile("o.csv", "customer_code,é\n".encode("latin-1"))
    assert "The file must be UTF-8 encoded CSV." in html(desk.post("/orders/import/", {"file": latin}))
    assert "This field is required." in html(desk.post("/orders/import/", {}))
    example = desk.get("/orders/import/example.csv")
    assert example["Content-Type"].startswith("text/csv")
    assert example.content.decode().splitlines()[0] == (
        "customer_code,customer_reference,requested_date,sku,quantity,unit_price,discount_percent")


# --- who may enter orders ------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["warehouse", "planner", "reviewer", "logistics"])
def test_roles_that_do_not_enter_orders_are_refused(users, role, customer):
    client = client_for(users[role])
    for url in ("/orders/new/", f"/orders/new/?customer={customer.pk}", "/orders/import/",
                f"/orders/new/prices/?customer={customer.pk}&sku=X"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/orders/new/?customer={customer.pk}", entry_data(customer, [])).status_code == 403


def test_sales_enter_orders_only_for_their_own_customers(users, customer, gearbox):
    theirs = CustomerFactory(owner=make_user("sales"), name="Other Rep Customer")
    sales = client_for(users["sales"])
    assert "Other Rep Customer" not in html(sales.get("/orders/new/?q=customer"))
    assert sales.get(f"/orders/new/?customer={theirs.pk}").status_code == 404
    assert sales.post(f"/orders/new/?customer={theirs.pk}",
                      entry_data(theirs, [("GB-100", "1")])).status_code == 404
    assert not SalesOrder.objects.filter(customer=theirs).exists()
    api = sales.get("/api/v1/customers/?search=acm").json()
    assert [c["code"] for c in api["results"]] == ["C-ACME"]
    assert sales.post(f"/orders/new/?customer={customer.pk}", entry_data(customer, [("GB-100", "1")])).status_code \
        == 302
    order = SalesOrder.objects.get(customer=customer)
    assert order.entered_by == users["sales"]


def test_the_order_desk_finds_new_order_and_csv_upload_from_home_and_the_order_list(users):
    desk = client_for(users["order_desk"])
    home = html(desk.get("/"))
    assert 'href="/orders/new/"' in home and 'href="/orders/import/"' in home
    orders = html(desk.get("/orders/"))
    assert 'data-action="new-order"' in orders and 'data-action="import-csv"' in orders
    assert 'href="/orders/new/"' not in html(client_for(users["reviewer"]).get("/"))
    assert 'data-action="new-order"' not in html(client_for(users["warehouse"]).get("/orders/"))


def test_the_entry_page_costs_the_same_queries_however_many_contacts_and_addresses(users, customer):
    desk = client_for(users["order_desk"])
    desk.get(f"/orders/new/?customer={customer.pk}")  # warm up (session, content types)
    with CaptureQueriesContext(connection) as few:
        assert desk.get(f"/orders/new/?customer={customer.pk}").status_code == 200
    for n in range(8):
        Contact.objects.create(customer=customer, name=f"Buyer {n}")
        Address.objects.create(customer=customer, line1=f"{n} Side Road", city="Suzhou")
    with CaptureQueriesContext(connection) as many:
        page = html(desk.get(f"/orders/new/?customer={customer.pk}"))
    assert "Buyer 7" in page and "7 Side Road" in page
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_the_entry_pages_render_in_chinese(users, customer, gearbox):
    desk = client_for(users["order_desk"], language="zh-hans")
    for url in ("/orders/new/", f"/orders/new/?customer={customer.pk}", "/orders/import/"):
        response = desk.get(url)
        assert response.status_code == 200 and 'lang="zh-hans"' in html(response)


def test_the_edit_page_costs_the_same_queries_however_many_lines(users):
    def rejected_with(count: int) -> SalesOrder:
        products = [ProductFactory() for _ in range(count)]
        return order_in_state("rejected", users, lines=[(product, "1") for product in products])

    desk = client_for(users["order_desk"])
    one, six = rejected_with(1), rejected_with(6)
    desk.get(f"/orders/{one.pk}/edit/")  # warm up
    with CaptureQueriesContext(connection) as few:
        assert desk.get(f"/orders/{one.pk}/edit/").status_code == 200
    with CaptureQueriesContext(connection) as many:
        page = html(desk.get(f"/orders/{six.pk}/edit/"))
    assert page.count("<tr data-row>") == 6 + 1  # the rows and the empty-row template
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
