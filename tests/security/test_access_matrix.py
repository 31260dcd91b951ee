"""Who may see and do what: every page, page action and API read, for every role, as the
tables of spec.py say. Every URL of the page namespaces and every API read must have a
row, so a new page fails here until someone writes down who may open it. On every answer a
user gets, nothing may show what their role may not see (world.leaks): prices and totals
without the price permission (the warehouse, planners, logistics), purchase prices, credit
data, and customer B's data to `sales`."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from orders.models import OrderEvent, SalesOrder
from orders.services import order_run_checks
from tests.factories import make_order

from .matrix import COLUMNS, action_outcome, api_routes, outcome, page_names, rolled_back
from .spec import ACTIONS, API, PAGES
from .world import leaks

pytestmark = pytest.mark.django_db

CLIENTS = list(COLUMNS.values())


def _client(world, key: str, cls=Client):
    client = cls()
    if key != "anon":
        client.force_login(world.users[key])
    return client


def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace")


def _check(world, key: str, rows, request, judge=outcome) -> None:
    """Run each row's request as `key`; compare with the table and look for leaks."""
    mismatches, leaked = [], []
    for row in rows:
        response = request(row)
        seen = judge(response)
        if seen != row.expected[key]:
            mismatches.append(f"{row.label}: expected {row.expected[key]}, got {seen}")
        if response.status_code == 200 and key != "anon":
            leaked += [f"{row.label}: {found}" for found in leaks(world, world.users[key], _body(response))]
    assert mismatches == [], "\n".join([f"{key} is answered otherwise than the table says:", *mismatches])
    assert leaked == [], "\n".join([f"{key} is shown what the role may not see:", *leaked])


# --- the tables cover everything ----------------------------------------------------------------

def test_every_page_of_the_site_has_a_row():
    missing = page_names() - {row.name for row in PAGES + ACTIONS}
    assert missing == set(), f"write down who may open these (PAGES or ACTIONS): {sorted(missing)}"


def test_every_api_read_has_a_row():
    reads = {name for name, methods in api_routes().items() if "GET" in methods}
    missing = reads - {row.name for row in API}
    assert missing == set(), f"write down who may read these (API): {sorted(missing)}"


def test_the_leak_check_finds_what_it_looks_for(world):
    """The leak check would fail: the owner sees customer A's amounts and credit data where
    their role allows it, sales2 sees customer B, planners see purchase prices."""
    warehouse = world.users["warehouse"]
    shown = {
        "sales": f"/orders/{world['fulfil']}/", "sales2": "/orders/", "reviewer": f"/customers/{world['customer']}/",
        "planner": f"/inventory/purchase-orders/{world['purchase_order']}/",
    }
    for key, url in shown.items():
        found = leaks(world, warehouse, _body(_client(world, key).get(url)))
        assert found, f"{url} as {key} shows none of the amounts the leak check looks for"
    api = _client(world, "sales", APIClient).get(f"/api/v1/orders/{world['fulfil']}/")
    assert any(found.startswith("sales amount") for found in leaks(world, warehouse, _body(api)))


# --- the matrices -----------------------------------------------------------------------------

@pytest.mark.parametrize("key", CLIENTS)
def test_pages_open_as_the_table_says_and_show_nothing_the_role_may_not_see(world, key):
    client = _client(world, key)
    _check(world, key, PAGES, lambda row: client.get(row.url(world)))


@pytest.mark.parametrize("key", CLIENTS)
def test_page_actions_are_allowed_as_the_table_says(world, key):
    client = _client(world, key)

    def post(row):
        with rolled_back():
            return client.post(row.url(world), row.post_data())

    _check(world, key, ACTIONS, post, judge=action_outcome)


@pytest.mark.parametrize("key", CLIENTS)
def test_api_reads_answer_as_the_table_says_and_show_nothing_the_role_may_not_see(world, key):
    client = _client(world, key, APIClient)
    _check(world, key, API, lambda row: client.get(row.url(world, prefix="")))


# --- rules worth a test of their own --------------------------------------------------------

def _entered_and_checked_by(user, world) -> SalesOrder:
    from customers.models import Customer
    from inventory.models import Product

    order = make_order(by=user, customer=Customer.objects.get(pk=world["customer"]),
                       lines=[(Product.objects.get(pk=world["product"]), "1")], submit=True)
    assert order_run_checks(order_id=order.pk) == "passed"
    return order


def test_the_person_who_entered_an_order_cannot_approve_it_on_the_page_or_through_the_api(world):
    """A user of the order desk who is also a reviewer enters an order: neither the page nor
    the API lets them approve it; another reviewer can, and they can approve orders others
    entered."""
    enterer = world.users["desk_reviewer"]
    order = _entered_and_checked_by(enterer, world)
    page = _client(world, "desk_reviewer")
    response = page.post(f"/orders/{order.pk}/transitions/approve/", {"reason": ""})
    assert action_outcome(response) == "no"
    said = " ".join(str(m) for m in response.wsgi_request._messages._queued_messages)
    assert "entered" in said, said
    api = _client(world, "desk_reviewer", APIClient)
    detail = api.get(f"/api/v1/orders/{order.pk}/").json()
    assert "approve" not in detail["available_transitions"]
    response = api.post(f"/api/v1/orders/{order.pk}/transitions/approve/", {}, format="json")
    assert response.status_code == 403, response.content
    order.refresh_from_db()
    assert order.state == "submitted"
    assert not OrderEvent.objects.filter(order=order, kind="approve").exists()

    response = _client(world, "reviewer", APIClient).post(f"/api/v1/orders/{order.pk}/transitions/approve/", {},
                                                          format="json")
    assert response.status_code == 200 and response.json()["state"] == "approved", response.content
    response = page.post(f"/orders/{world['submitted']}/transitions/approve/", {"reason": ""})  # sales entered it
    assert action_outcome(response) == "done"


def test_sales_lists_hold_only_their_own_customers_and_orders(world):
    """Besides the 404s of the tables and the leak check of every answer: the API lists of
    sales hold customer A's rows and none of customer B's, however they filter."""
    api = _client(world, "sales", APIClient)
    customers = {row["id"] for row in api.get("/api/v1/customers/?page_size=100").json()["results"]}
    assert world["customer"] in customers and world["other_customer"] not in customers
    orders = api.get(f"/api/v1/orders/?customer={world['other_customer']}").json()["results"]
    assert orders == []
    orders = {row["id"] for row in api.get("/api/v1/orders/?page_size=100").json()["results"]}
    assert world["fulfil"] in orders and world["other_order"] not in orders
    # the other customer's code, typed in lower case: the filter field shows what was typed
    page = _body(_client(world, "sales").get("/orders/?customer=c-zulu"))
    assert leaks(world, world.users["sales"], page) == []
