"""Server-rendered pages: login, home per role, order list and detail, page transitions."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import OrderState
from tests.factories import CustomerFactory, ProductFactory, make_order, make_user, order_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _hosts(settings):
    settings.ALLOWED_HOSTS = ["testserver"]


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def transition_buttons(html: str) -> set[str]:
    return set(re.findall(r'data-transition="([a-z_]+)"', html))


def test_anonymous_users_are_sent_to_login():
    response = Client().get("/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert Client().get("/orders/").status_code == 302


def test_login_with_username_and_password_and_wrong_password():
    make_user("sales", username="li")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(reverse("login"))
    assert page.status_code == 200 and b'name="username"' in page.content
    bad = client.post(reverse("login"), {"username": "li", "password": "wrong"})
    assert bad.status_code == 200 and b"form-error" in bad.content
    good = client.post(reverse("login"), {"username": "li", "password": "pw-for-tests-1"})
    assert good.status_code == 302 and good["Location"] == reverse("home")


@pytest.mark.parametrize(("role", "heading"), [
    ("sales", "My customers&#x27; orders in progress"), ("order_desk", "Orders to enter and complete"),
    ("reviewer", "Review queue"), ("planner", "Orders to plan"), ("warehouse", "To pick, pack and ship"),
    ("logistics", "To ship and track"), ("manager", "All open orders"), ("integration", "API access"),
])
def test_home_page_shows_each_role_its_queue(role, heading, users):
    submitted = order_in_state("submitted", users)
    html = client_for(users[role]).get("/").content.decode()
    assert heading in html
    if role == "reviewer":
        assert submitted.number in html


def test_home_page_for_a_user_without_role_explains_what_to_do():
    html = client_for(make_user()).get("/").content.decode()
    assert "no role yet" in html


def test_order_list_filters_by_state_and_customer_and_shows_empty_state(users):
    customer = CustomerFactory(owner=users["sales"], name="Acme Gears")
    inquiry = make_order(by=users["sales"], customer=customer)
    submitted = order_in_state("submitted", users)
    client = client_for(users["manager"])
    html = client.get("/orders/").content.decode()
    assert inquiry.number in html and submitted.number in html
    html = client.get("/orders/?state=submitted").content.decode()
    assert submitted.number in html and inquiry.number not in html
    html = client.get(f"/orders/?customer={customer.code.lower()}").content.decode()  # a code, in any case
    assert inquiry.number in html and submitted.number not in html
    assert f'name="customer" value="{customer.code.lower()}"' in html
    html = client.get("/orders/?customer=NO-SUCH-CODE").content.decode()
    assert "No orders match these filters." in html
    html = client.get("/orders/?q=Acme").content.decode()
    assert inquiry.number in html and submitted.number not in html
    html = client.get("/orders/?state=closed").content.decode()
    assert "No orders match these filters." in html
    html = client.get("/orders/?state=nonsense").content.decode()
    assert "form-error" in html


def test_order_list_filters_by_a_typed_customer_code_and_lists_no_customers(users):
    """The customer filter is a code field (suggested from the customers API as one
    types), not a list of every customer: with 10,000 customers that list was 95 % of
    the page's time."""
    wanted = CustomerFactory(owner=users["sales"], code="C-WANTED")
    others = [CustomerFactory(owner=users["sales"]) for _ in range(5)]
    order = make_order(by=users["sales"], customer=wanted)
    other = make_order(by=users["sales"], customer=others[0])
    page = client_for(users["order_desk"]).get("/orders/").content.decode()
    assert not any(customer.code in page for customer in others[1:])  # customers without orders shown
    assert '<select name="customer"' not in page
    assert re.search(r'<input type="text" name="customer"[^>]*maxlength="32"', page)
    assert 'data-customer-api="/api/v1/customers/"' in page and "js/order_list.js" in page
    filtered = client_for(users["order_desk"]).get("/orders/?customer=+c-wanted+").content.decode()
    assert order.number in filtered and other.number not in filtered
    # the warehouse sees orders but not customers: the field, without suggestions
    warehouse = client_for(users["warehouse"]).get("/orders/").content.decode()
    assert 'name="customer"' in warehouse and "data-customer-api" not in warehouse
    assert "js/order_list.js" not in warehouse


@pytest.mark.parametrize("few_ids", [False, True])
def test_order_search_finds_numbers_customer_names_and_codes(users, monkeypatch, few_ids):
    """A search is the order number (contains), the customer's name (contains) or code
    (exact), in any case; when very many customers match, their orders are found through
    a subquery instead of a list of ids, with the same result."""
    if few_ids:
        monkeypatch.setattr("orders.selectors.SEARCH_CUSTOMER_IDS", 1)
    acme = CustomerFactory(owner=users["sales"], name="Acme Gears", code="C-ACME")
    acme_south = CustomerFactory(owner=users["sales"], name="Acme Gears South", code="C-ACME2")
    other = CustomerFactory(owner=users["sales"], name="Zenith Pumps", code="C-ZEN")
    first, second, third = (make_order(by=users["sales"], customer=c) for c in (acme, acme_south, other))
    client = client_for(users["manager"])

    def found(q: str) -> set[str]:
        page = client.get(f"/orders/?q={q}").content.decode()
        return {number for number in (first.number, second.number, third.number) if number in page}

    assert found("acme gears") == {first.number, second.number}
    assert found("c-acme") == {first.number}  # a code is matched whole
    assert found("C-ZEN") == {third.number}
    assert found(third.number[2:].lower()) == {third.number}  # part of a number
    assert found("nothing-like-this") == set()


def test_order_list_paginates_with_a_fixed_number_of_queries(users):
    client = client_for(users["manager"])
    make_order(by=users["sales"])
    with CaptureQueriesContext(connection) as one:
        client.get("/orders/")
    customer = CustomerFactory(owner=users["sales"])
    for _ in range(30):
        make_order(by=users["sales"], customer=customer)
    with CaptureQueriesContext(connection) as many:
        html = client.get("/orders/").content.decode()
    assert len(many) == len(one)
    assert "Page 1 of 2" in html
    assert "Page 2 of 2" in client.get("/orders/?page=2").content.decode()


def test_order_detail_shows_lines_timeline_and_only_allowed_buttons(users):
    order = order_in_state("submitted", users, lines=[(ProductFactory(sku="GB-100"), "3")])
    html = client_for(users["reviewer"]).get(f"/orders/{order.pk}/").content.decode()
    assert "GB-100" in html and "Submitted for review" in html and "Order created" in html
    assert transition_buttons(html) == {"hold", "approve", "reject"}
    assert transition_buttons(client_for(users["planner"]).get(f"/orders/{order.pk}/").content.decode()) == set()


def test_detail_query_count_does_not_grow_with_lines_or_events(users):
    small = order_in_state("inquiry", users)
    big = order_in_state("invoiced", users, lines=[(ProductFactory(), "1") for _ in range(10)])
    client = client_for(users["manager"])
    with CaptureQueriesContext(connection) as few:
        client.get(f"/orders/{small.pk}/")
    with CaptureQueriesContext(connection) as many:
        client.get(f"/orders/{big.pk}/")
    assert len(many) == len(few)


def test_transition_from_the_page_and_its_message(users):
    order = order_in_state("submitted", users)
    client = client_for(users["reviewer"])
    response = client.post(f"/orders/{order.pk}/transitions/approve/", follow=True)
    order.refresh_from_db()
    assert order.state == OrderState.APPROVED
    assert "Approve: done. The order is now Approved." in response.content.decode()


def test_refused_transition_on_the_page_changes_nothing_and_says_why(users):
    order = order_in_state("submitted", users)
    client = client_for(users["reviewer"])
    response = client.post(f"/orders/{order.pk}/transitions/reject/", {"reason": ""}, follow=True)
    assert "Please give a reason." in response.content.decode()
    response = client.post(f"/orders/{order.pk}/transitions/ship/", follow=True)
    assert "Your role does not allow" in response.content.decode()
    order.refresh_from_db()
    assert order.state == OrderState.SUBMITTED
    assert client.get(f"/orders/{order.pk}/transitions/approve/").status_code == 405


def test_incomplete_order_submit_message_names_the_missing_fields(users):
    order = make_order(by=users["sales"], requested_date=None)
    response = client_for(users["sales"]).post(f"/orders/{order.pk}/transitions/submit/", follow=True)
    assert "The order is not complete. Requested delivery date:" in response.content.decode()


def test_warehouse_does_not_see_prices_nor_orders_outside_fulfilment(users):
    in_fulfilment = order_in_state("in_fulfilment", users)
    inquiry = order_in_state("inquiry", users)
    client = client_for(users["warehouse"])
    html = client.get(f"/orders/{in_fulfilment.pk}/").content.decode()
    assert "Unit price" not in html and "¥" not in html
    assert client.get(f"/orders/{inquiry.pk}/").status_code == 404
    assert inquiry.number not in client.get("/orders/").content.decode()


def test_payment_form_records_a_payment(users):
    order = order_in_state("invoiced", users)
    client = client_for(users["reviewer"])
    assert "Record a payment" in client.get(f"/orders/{order.pk}/").content.decode()
    client.post(f"/orders/{order.pk}/payments/", {"amount": str(order.total_amount), "reference": "TT-1"})
    order.refresh_from_db()
    assert order.amount_paid == order.total_amount
    response = client.post(f"/orders/{order.pk}/payments/", {"amount": "abc"}, follow=True)
    assert "Enter a number." in response.content.decode()


def test_user_without_order_permission_gets_403_page():
    response = client_for(make_user()).get("/orders/")
    assert response.status_code == 403


def test_health_endpoint_reports_database_and_cache():
    body = Client().get("/health/").json()
    assert body["database"] == "ok" and body["cache"] == "ok" and body["ok"] is True


def test_admin_lists_every_model(users, admin_client):
    for path in ["customers/customer", "customers/contact", "customers/address", "inventory/product",
                 "inventory/warehouse", "inventory/stocklevel", "orders/salesorder", "orders/salesorderline",
                 "orders/orderevent", "orders/numbersequence", "orders/reviewcheck", "orders/quotation",
                 "orders/contract", "orders/contracttemplate", "orders/quotationpolicy", "orders/attachment"]:
        assert admin_client.get(f"/admin/{path}/").status_code == 200, path
    order = order_in_state("submitted", users)
    assert admin_client.get(f"/admin/orders/salesorder/{order.pk}/change/").status_code == 200


def test_the_admin_cannot_approve_an_order_or_edit_its_checks(users, admin_client):
    """Separation of duties holds in the admin too: state, checks and their overrides are
    read-only there, so nobody approves or overrides through the admin."""
    order = order_in_state("on_hold", users)
    url = f"/admin/orders/salesorder/{order.pk}/change/"
    form = admin_client.get(url).content.decode()
    assert 'name="state"' not in form and 'name="checks_result"' not in form
    admin_client.post(url, {"state": "approved", "checks_result": "overridden"})
    order.refresh_from_db()
    assert (order.state, order.checks_result) == (OrderState.ON_HOLD, "passed")
    check = order.checks.first()
    admin_client.post(f"/admin/orders/reviewcheck/{check.pk}/change/",
                      {"override_reason": "via admin", "result": "pass"})
    check.refresh_from_db()
    assert (check.override_reason, check.result) == ("", "pass") and check.overridden_at is None


def test_prepayment_can_be_recorded_before_delivery_but_not_after_closing(users):
    on_hold = order_in_state("on_hold", users)
    client = client_for(users["reviewer"])
    assert "Record a payment" in client.get(f"/orders/{on_hold.pk}/").content.decode()
    client.post(f"/orders/{on_hold.pk}/payments/", {"amount": "1.00"})
    on_hold.refresh_from_db()
    assert on_hold.amount_paid == 1
    closed = order_in_state("closed", users)
    assert "Record a payment" not in client.get(f"/orders/{closed.pk}/").content.decode()
    response = client.post(f"/orders/{closed.pk}/payments/", {"amount": "1.00"}, follow=True)
    assert "cannot be recorded on a closed or cancelled order" in response.content.decode()
