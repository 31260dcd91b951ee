"""Query budgets (DESIGN.md §8 "Fast"): each page and endpoint costs a fixed number of SQL
queries, whatever the number of rows it shows or of lines per order.

Every case measures a request with little data, adds rows (more orders, more lines per
order, more shipments), measures again, and asserts the two counts are equal and within
the budget. The budgets are today's counts: lowering one is progress, raising one needs a
reason in the commit. `bench/run.py` measures the time these requests take under load.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import Location
from inventory.services import stock_receive
from orders import services
from tests.api import client_for as api_client_for
from tests.factories import (
    CustomerFactory,
    ProductFactory,
    WarehouseFactory,
    order_in_state,
    plan_shipment,
    released_order,
)
from tests.pages import client_for as page_client_for

pytestmark = pytest.mark.django_db

#: One order create with `submit`, the service alone (`orders.services.order_create`), for
#: a caller whose permissions are loaded (whether it may see the customer is then known
#: without a query): the agreed prices, the default address and contact, the number, the
#: order, its lines (one bulk insert), the `created` event, the state change, the `submit`
#: event, the outbox event and the webhook subscriptions (11), and its transaction's
#: SAVEPOINT and RELEASE (the test runs in a transaction, as an API request with an
#: Idempotency-Key does; a top-level BEGIN and COMMIT are not counted). The issue's target
#: is at most 15 (a mature Django shop framework spends about 145 on a 5-line order).
ORDER_CREATE_SERVICE = 13
#: The whole `POST /api/v1/orders/` with an Idempotency-Key and `submit`, as an API client
#: sends it: the token (read once, by the idempotency middleware; DRF reuses it), the
#: user's permissions (one query, oms/user_permissions.py), the products of all lines (one
#: query), the customer, the key (advisory lock and claim in one statement, then the
#: answer), the service above and the savepoint pair of the test's own transaction. The
#: 201 answer is rendered from what the create wrote, without reading the order back. In
#: production (no test transaction around it) that is 2 fewer: 19.
ORDER_CREATE_REQUEST = 21

# Pages count the session, the user, the user's permissions (one query: its own and its
# groups', oms/user_permissions.py) and the groups (the role names in the header); API
# requests the token and the permissions.
ORDER_LIST_PAGE = 6  # sales: their orders (the customer filter is a code field, not a list of customers)
ORDER_LIST_API = 5
APPROVAL_QUEUE_PAGE = 8  # reviewer (lines are read only for orders with a signed contract)
APPROVAL_QUEUE_API = 7
ORDER_DETAIL_PAGE = 18  # sales, an approved order
ORDER_DETAIL_API = 13
PICK_LIST_PAGE = 8  # warehouse, its planned shipments (the most urgent read in the same query as the rest)
PICK_LIST_API = 6
#: The home page (dashboard): each role sees its own queues and summaries.
DASHBOARD_PAGE = {"sales": 7, "order_desk": 7, "reviewer": 9, "planner": 10, "warehouse": 8, "manager": 12}


def queries(client, url: str, **extra) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **extra)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


@pytest.fixture
def goods(db):
    """Products with stock in one warehouse, so the checks pass and orders can be released."""
    warehouse = WarehouseFactory()
    shelf = Location.objects.create(warehouse=warehouse, code="A-01", name="Shelf A-01")
    products = [ProductFactory(list_price=Decimal("12.50")) for _ in range(20)]
    for product in products:
        stock_receive(product=product, warehouse=warehouse, location=shelf, quantity="10000", reference="OPENING")
    return {"warehouse": warehouse, "products": products}


def lines_of(goods, count: int, quantity: str = "2") -> list:
    return [(product, quantity) for product in goods["products"][:count]]


# --- order create --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("count", [1, 5, 20])
def test_order_create_with_submit_costs_the_same_queries_whatever_its_lines(users, goods, count):
    customer = CustomerFactory(owner=users["sales"])
    requested = timezone.localdate() + datetime.timedelta(days=10)
    line_inputs = [services.LineInput(product=product, quantity=Decimal(quantity))
                   for product, quantity in lines_of(goods, count)]
    assert users["order_desk"].has_perm("orders.add_salesorder")  # a request has read them already
    with CaptureQueriesContext(connection) as captured:
        order = services.order_create(by=users["order_desk"], customer=customer, lines=line_inputs, submit=True,
                                      requested_date=requested)
    assert order.state == "submitted" and order.lines.count() == count
    assert len(captured) == ORDER_CREATE_SERVICE, [query["sql"][:120] for query in captured]


@pytest.mark.parametrize("count", [1, 5, 20])
def test_the_order_create_request_costs_the_same_queries_whatever_its_lines(users, goods, count):
    customer = CustomerFactory(owner=users["sales"])
    client = api_client_for(users["integration"])
    body = {"customer": customer.pk, "submit": True,
            "requested_date": (timezone.localdate() + datetime.timedelta(days=10)).isoformat(),
            "lines": [{"sku": product.sku, "quantity": quantity} for product, quantity in lines_of(goods, count)]}
    # the first request of a process reads what later ones find cached (content types)
    assert client.post("/api/v1/orders/", body, format="json",
                       HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())).status_code == 201
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "submitted" and len(response.json()["lines"]) == count
    assert len(captured) == ORDER_CREATE_REQUEST, [query["sql"][:120] for query in captured]


# --- lists: the same cost for 1 order of 1 line and 6 orders of 5 lines -----------------------------------

def _more_orders(users, goods, state: str) -> None:
    for _ in range(5):
        order_in_state(state, users, customer=CustomerFactory(owner=users["sales"]), lines=lines_of(goods, 5))


@pytest.mark.parametrize(("url", "role", "budget", "api"), [
    ("/orders/", "sales", ORDER_LIST_PAGE, False),
    ("/api/v1/orders/", "sales", ORDER_LIST_API, True),
    ("/orders/review/", "reviewer", APPROVAL_QUEUE_PAGE, False),
    ("/api/v1/orders/review-queue/", "reviewer", APPROVAL_QUEUE_API, True),
])
def test_order_lists_cost_the_same_whatever_the_rows_shown(users, goods, url, role, budget, api):
    order_in_state("submitted", users, customer=CustomerFactory(owner=users["sales"]), lines=lines_of(goods, 1))
    client = api_client_for(users[role]) if api else page_client_for(users[role])
    queries(client, url)  # warm the per-process caches
    few = queries(client, url)
    _more_orders(users, goods, "submitted")
    many = queries(client, url)
    assert (few, many) == (budget, budget)


@pytest.mark.parametrize("role", list(DASHBOARD_PAGE))
def test_the_dashboard_costs_the_same_whatever_the_orders_waiting(users, goods, role):
    order_in_state("submitted", users, customer=CustomerFactory(owner=users["sales"]), lines=lines_of(goods, 1))
    order_in_state("approved", users, customer=CustomerFactory(owner=users["sales"]), lines=lines_of(goods, 1))
    client = page_client_for(users[role])
    queries(client, "/")
    few = queries(client, "/")
    _more_orders(users, goods, "approved")
    _more_orders(users, goods, "submitted")
    many = queries(client, "/")
    assert (few, many) == (DASHBOARD_PAGE[role], DASHBOARD_PAGE[role])


# --- order detail: the same cost for 1 line and 20 --------------------------------------------------------

@pytest.mark.parametrize(("api", "budget"), [(False, ORDER_DETAIL_PAGE), (True, ORDER_DETAIL_API)])
def test_order_detail_costs_the_same_whatever_its_lines(users, goods, api, budget):
    customer = CustomerFactory(owner=users["sales"])
    short = order_in_state("approved", users, customer=customer, lines=lines_of(goods, 1))
    long = order_in_state("approved", users, customer=customer, lines=lines_of(goods, 20))
    client = api_client_for(users["sales"]) if api else page_client_for(users["sales"])
    path = "/api/v1/orders/{}/" if api else "/orders/{}/"
    queries(client, path.format(short.pk))
    assert (queries(client, path.format(short.pk)), queries(client, path.format(long.pk))) == (budget, budget)


# --- pick list: the same cost for 1 shipment and 6 -------------------------------------------------------

@pytest.mark.parametrize(("api", "budget"), [(False, PICK_LIST_PAGE), (True, PICK_LIST_API)])
def test_the_pick_list_costs_the_same_whatever_the_shipments(users, goods, api, budget):
    warehouse = goods["warehouse"]

    def shipment(lines: int) -> None:
        order = released_order(users, customer=CustomerFactory(owner=users["sales"]), lines=lines_of(goods, lines))
        plan_shipment(order, users)

    shipment(1)
    client = api_client_for(users["warehouse"]) if api else page_client_for(users["warehouse"])
    url = f"/api/v1/shipments/pick-list/?warehouse={warehouse.pk}" if api else f"/shipping/pick/{warehouse.pk}/"
    queries(client, url)
    few = queries(client, url)
    for _ in range(5):
        shipment(5)
    many = queries(client, url)
    assert (few, many) == (budget, budget)
