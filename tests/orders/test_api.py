"""The REST API: auth, roles, problem details, transitions, filtering and query counts."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from orders import services
from orders.models import OrderState, SalesOrder
from tests.api import assert_problem, client_for
from tests.factories import CustomerFactory, ProductFactory, make_order, order_in_state, stock

pytestmark = pytest.mark.django_db



def test_401_without_credentials_is_a_problem_document():
    response = APIClient().get("/api/v1/orders/")
    body = assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Token")
    assert body["instance"] == "/api/v1/orders/"


def test_401_with_a_wrong_token():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_problem(client.get("/api/v1/orders/"), 401, "authentication_failed")


def test_403_for_a_role_without_access(users):
    assert_problem(client_for(users["warehouse"]).get("/api/v1/customers/"), 403, "permission_denied")
    assert_problem(client_for(users["planner"]).post("/api/v1/orders/", {}, format="json"), 403)


def test_404_for_unknown_and_invisible_orders(users):
    order = make_order(by=users["sales"])
    assert_problem(client_for(users["sales"]).get("/api/v1/orders/999999/"), 404, "not_found")
    # the warehouse may not see an order that is not being fulfilled
    assert_problem(client_for(users["warehouse"]).get(f"/api/v1/orders/{order.pk}/"), 404)
    assert_problem(client_for(users["sales"]).get("/api/v1/no-such-thing/"), 404, "not_found")


def test_transition_endpoint_runs_the_transition_and_returns_the_order(users):
    order = make_order(by=users["sales"])
    response = client_for(users["sales"]).post(f"/api/v1/orders/{order.pk}/transitions/cancel/",
                                               {"reason": "Customer withdrew"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "cancelled"
    assert body["available_transitions"] == []
    assert [e["kind"] for e in body["events"]] == ["created", "cancel"]


def test_transition_endpoint_409_403_400_and_404(users):
    order = order_in_state("submitted", users)
    url = f"/api/v1/orders/{order.pk}/transitions"
    body = assert_problem(client_for(users["sales"]).post(f"{url}/submit/", {}, format="json"), 409,
                          "transition_not_allowed")
    assert body["state"] == "submitted"
    assert_problem(client_for(users["planner"]).post(f"{url}/approve/", {}, format="json"), 403,
                   "permission_denied")
    assert_problem(client_for(users["sales"]).post(f"{url}/approve/", {}, format="json"), 403)
    body = assert_problem(client_for(users["reviewer"]).post(f"{url}/reject/", {"reason": ""}, format="json"),
                          400, "validation_failed")
    assert "reason" in body["errors"]
    assert_problem(client_for(users["reviewer"]).post(f"{url}/fly/", {}, format="json"), 404, "unknown_transition")
    order.refresh_from_db()
    assert order.state == OrderState.SUBMITTED


def test_create_order_with_lines_and_submit(users):
    customer = CustomerFactory()
    product = ProductFactory(sku="GB-100", list_price=Decimal("3200.00"))
    stock(product, "50")
    payload = {
        "customer": customer.pk, "requested_date": str(timezone.localdate() + datetime.timedelta(days=10)),
        "customer_reference": "PO-7", "submit": True,
        "lines": [{"sku": "GB-100", "quantity": "2", "discount_percent": "5"}],
    }
    response = client_for(users["integration"]).post("/api/v1/orders/", payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "submitted" and body["channel"] == "api"
    assert body["total_amount"] == "6080.00"
    assert body["lines"][0]["sku"] == "GB-100" and body["lines"][0]["line_total"] == "6080.00"
    assert SalesOrder.objects.get(pk=body["id"]).entered_by == users["integration"]


def test_create_order_bad_input_gets_field_errors_and_changes_nothing(users):
    customer = CustomerFactory()
    payload = {"customer": customer.pk, "lines": [{"sku": "NOPE", "quantity": "-1"}, {"quantity": "abc"}]}
    body = assert_problem(client_for(users["integration"]).post("/api/v1/orders/", payload, format="json"), 400,
                          "validation_failed")
    assert {"lines.0.sku", "lines.0.quantity", "lines.1.sku", "lines.1.quantity"} <= set(body["errors"])
    client = client_for(users["integration"])
    assert_problem(client.post("/api/v1/orders/", "{not json", content_type="application/json"), 400, "parse_error")
    assert SalesOrder.objects.count() == 0


def test_create_order_incomplete_with_submit_is_409_and_writes_nothing(users):
    customer = CustomerFactory()
    payload = {"customer": customer.pk, "submit": True, "lines": [{"sku": ProductFactory().sku, "quantity": "1"}]}
    body = assert_problem(client_for(users["integration"]).post("/api/v1/orders/", payload, format="json"), 409,
                          "order_incomplete")
    assert set(body["errors"]) == {"requested_date"}
    assert SalesOrder.objects.count() == 0


def test_list_filters_and_paginates(users):
    customer = CustomerFactory(owner=users["sales"])
    sku_product = ProductFactory(sku="FIND-ME")
    wanted = make_order(by=users["sales"], customer=customer, lines=[(sku_product, "1")])
    make_order(by=users["sales"])
    order_in_state("submitted", users)
    client = client_for(users["manager"])
    assert client.get("/api/v1/orders/").json()["count"] == 3
    assert client.get("/api/v1/orders/?state=submitted").json()["count"] == 1
    assert client.get("/api/v1/orders/?state=inquiry&state=submitted").json()["count"] == 3
    assert [o["id"] for o in client.get(f"/api/v1/orders/?customer={customer.pk}").json()["results"]] == [wanted.pk]
    assert [o["id"] for o in client.get("/api/v1/orders/?sku=FIND-ME").json()["results"]] == [wanted.pk]
    page = client.get("/api/v1/orders/?page_size=2").json()
    assert len(page["results"]) == 2 and page["next"]
    assert_problem(client.get("/api/v1/orders/?state=bogus"), 400)
    assert_problem(client.get("/api/v1/orders/?page=99"), 404)


def test_sales_see_only_their_customers_orders(users):
    mine = make_order(by=users["sales"])
    other = make_order(by=users["order_desk"], customer=CustomerFactory())
    ids = [o["id"] for o in client_for(users["sales"]).get("/api/v1/orders/").json()["results"]]
    assert mine.pk in ids and other.pk not in ids


def test_warehouse_sees_no_prices(users):
    order = order_in_state("in_fulfilment", users)
    body = client_for(users["warehouse"]).get(f"/api/v1/orders/{order.pk}/").json()
    assert "total_amount" not in body and "unit_price" not in body["lines"][0]
    assert body["available_transitions"] == []  # packing a shipment makes it ready (tests/logistics)


def test_order_list_query_count_does_not_grow_with_rows_or_lines(users):
    client = client_for(users["manager"])
    make_order(by=users["sales"])
    client.get("/api/v1/orders/")  # warm the permission cache paths
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/orders/")
    customer = CustomerFactory(owner=users["sales"])
    for index in range(6):
        order = make_order(by=users["sales"], customer=customer, lines=[(ProductFactory(), "1") for _ in range(4)],
                           submit=index % 2 == 0, channel="phone" if index == 0 else "sales")
        if order.state == OrderState.SUBMITTED:  # checks, promise dates and a verbal order's due date are listed
            services.order_run_checks(order_id=order.pk)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/v1/orders/")
    assert response.json()["count"] == 7
    assert {o["checks_result"] for o in response.json()["results"]} == {"pending", "failed"}
    assert len(many) == len(few)


def _checked(order: SalesOrder, *, runs: int, users) -> SalesOrder:
    services.order_run_checks(order_id=order.pk)
    for _ in range(runs - 1):
        services.order_request_checks(order_id=order.pk, by=users["reviewer"])
        services.order_run_checks(order_id=order.pk)
    return order


def test_order_detail_query_count_does_not_grow_with_lines_or_check_runs(users):
    client = client_for(users["manager"])
    small = _checked(make_order(by=users["sales"], submit=True), runs=1, users=users)
    big = _checked(make_order(by=users["sales"], lines=[(ProductFactory(), "1") for _ in range(12)], submit=True),
                   runs=3, users=users)  # no stock: the availability check fails; a manager overrides it
    failed = big.checks.get(run=3, kind="availability")
    services.order_override_check(order_id=big.pk, check_id=failed.pk, by=users["manager"], reason="Made to order")
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(f"/api/v1/orders/{small.pk}/").json()["checks"]) == 2
    with CaptureQueriesContext(connection) as twelve:
        body = client.get(f"/api/v1/orders/{big.pk}/").json()
    assert body["checks_run"] == 3 and {check["run"] for check in body["checks"]} == {3}
    assert {check["overridden_by"] for check in body["checks"]} == {None, users["manager"].username}
    assert len(one) == len(twelve)


def test_order_detail_query_count_with_a_signed_contract_does_not_grow_with_its_lines(users):
    client = client_for(users["manager"])
    small = order_in_state("contracted", users)
    big = order_in_state("contracted", users, lines=[(ProductFactory(), "1") for _ in range(8)])
    with CaptureQueriesContext(connection) as one:
        assert client.get(f"/api/v1/orders/{small.pk}/").json()["contract_differences"] == []
    with CaptureQueriesContext(connection) as eight:
        assert client.get(f"/api/v1/orders/{big.pk}/").json()["contract_differences"] == []
    assert len(one) == len(eight)


def test_schema_and_docs_are_served(users):
    client = APIClient()
    client.force_authenticate(users["manager"])
    schema = client.get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    assert "/api/v1/orders/{id}/transitions/{name}/" in schema.json()["paths"]
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    # every asset comes from our own static files, nothing from another host
    assert not re.findall(r'(?:src|href)\s*=\s*["\'](?:https?:)?//', docs.content.decode())
    assert b"swagger-ui" in docs.content


def test_no_token_for_a_username_and_password(users):
    """Tokens are made in the admin or by `manage.py api_token`, with scopes: a password
    alone gets none (tests/test_api_tokens.py covers the tokens)."""
    users["integration"].set_password("s3cret-pass-1")
    users["integration"].save()
    response = APIClient().post("/api/v1/auth/token/", {"username": users["integration"].username,
                                                        "password": "s3cret-pass-1"}, format="json")
    assert_problem(response, 404, "not_found")


def test_roles_without_prices_get_no_money_from_the_timeline_nor_sort_by_value(users):
    order = order_in_state("approved", users)
    services.order_record_payment(order_id=order.pk, amount=Decimal("1.00"), by=users["reviewer"])
    for role, sees in (("warehouse", False), ("planner", False), ("reviewer", True)):
        body = client_for(users[role]).get(f"/api/v1/orders/{order.pk}/").json()
        payment = next(e for e in body["events"] if e["kind"] == "payment")
        assert ("amount" in payment["payload"], "outstanding" in payment["payload"]) == (sees, sees), role
    cheap = order_in_state("approved", users, lines=[(ProductFactory(list_price=Decimal("1")), "1")])
    dear = order_in_state("approved", users, lines=[(ProductFactory(list_price=Decimal("999")), "1")])
    numbers = [o["number"] for o in client_for(users["reviewer"]).get(
        "/api/v1/orders/?ordering=-total_amount&state=approved").json()["results"]]
    assert numbers.index(dear.number) < numbers.index(cheap.number)
    warehouse = [o["number"] for o in client_for(users["warehouse"]).get(
        "/api/v1/orders/?ordering=-total_amount&state=approved").json()["results"]]
    default = [o["number"] for o in client_for(users["warehouse"]).get("/api/v1/orders/?state=approved").json()[
        "results"]]
    assert warehouse == default  # the value ordering is ignored for them


def test_order_scans_are_not_served_to_roles_without_prices(users):
    from django.core.files.uploadedfile import SimpleUploadedFile

    order = services.order_create(
        by=users["order_desk"], customer=CustomerFactory(owner=users["sales"]), channel="email",
        requested_date=timezone.localdate() + datetime.timedelta(days=9), submit=True,
        document=SimpleUploadedFile("po.pdf", b"%PDF-1.4\n@ 12.50 CNY\n%%EOF\n"),
        lines=[services.LineInput(product=(product := ProductFactory()), quantity=Decimal(1))])
    stock(product, "10")
    services.order_run_checks(order_id=order.pk)
    services.order_transition(order_id=order.pk, name="approve", by=users["reviewer"])
    scan = order.attachments.get()
    for role, status in (("warehouse", 404), ("planner", 404), ("order_desk", 200), ("reviewer", 200)):
        response = client_for(users[role]).get(f"/api/v1/attachments/{scan.pk}/download/")
        assert response.status_code == status, role


def test_order_list_filters_what_changed_since_a_moment_for_sync(users):
    older, newer = make_order(by=users["sales"]), make_order(by=users["sales"])
    moment = timezone.now()
    SalesOrder.objects.filter(pk=older.pk).update(updated_at=moment - datetime.timedelta(hours=1))
    SalesOrder.objects.filter(pk=newer.pk).update(updated_at=moment + datetime.timedelta(seconds=1))
    client = client_for(users["manager"])
    ids = [o["id"] for o in client.get("/api/v1/orders/", {"updated_since": moment.isoformat()}).json()["results"]]
    assert ids == [newer.pk]
    assert_problem(client.get("/api/v1/orders/", {"updated_since": "yesterday"}), 400)
