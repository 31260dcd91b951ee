"""Customers, products, warehouses and stock over the API."""

from __future__ import annotations

from decimal import Decimal

import pytest

from customers.models import Customer
from tests.api import assert_problem, client_for
from tests.factories import CustomerFactory, ProductFactory, WarehouseFactory, make_user, stock

pytestmark = pytest.mark.django_db


def test_sales_create_customers_they_then_own_without_credit_fields(users):
    response = client_for(users["sales"]).post("/api/v1/customers/", {
        "code": "C-NEW", "name": "New Co", "tier": "B", "credit_limit": "999999"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner"] == users["sales"].username
    assert "credit_limit" not in body  # sales do not see credit data
    assert Customer.objects.get(code="C-NEW").credit_limit == 0  # and cannot set it


def test_customer_duplicate_code_and_bad_values_are_400(users):
    CustomerFactory(code="C-DUP")
    client = client_for(users["manager"])
    body = assert_problem(client.post("/api/v1/customers/", {"code": "C-DUP", "name": "X"}, format="json"), 400)
    assert "code" in body["errors"]
    body = assert_problem(client.post("/api/v1/customers/", {"code": "C-9", "name": "X", "tier": "Z",
                                                             "credit_limit": "-5"}, format="json"), 400)
    assert {"tier", "credit_limit"} <= set(body["errors"])


def test_customer_list_is_scoped_for_sales(users):
    mine = CustomerFactory(owner=users["sales"])
    CustomerFactory(owner=make_user("sales"))
    codes = [c["code"] for c in client_for(users["sales"]).get("/api/v1/customers/").json()["results"]]
    assert codes == [mine.code]
    assert len(client_for(users["reviewer"]).get("/api/v1/customers/").json()["results"]) == 2


def test_products_create_update_and_refusals(users):
    client = client_for(users["manager"])
    response = client.post("/api/v1/products/", {"sku": "P-1", "name": "Pump", "list_price": "12.50",
                                                 "supply_type": "make"}, format="json")
    assert response.status_code == 201, response.content
    product_id = response.json()["id"]
    assert client.patch(f"/api/v1/products/{product_id}/", {"list_price": "13.00"}, format="json").json()[
        "list_price"] == "13.00"
    assert_problem(client.post("/api/v1/products/", {"sku": "P-1", "name": "Again", "list_price": "1"},
                               format="json"), 400)
    assert_problem(client.post("/api/v1/products/", {"sku": "P-2", "name": "Neg", "list_price": "-1"},
                               format="json"), 400)
    assert_problem(client_for(users["sales"]).post("/api/v1/products/", {"sku": "P-3", "name": "x",
                                                                         "list_price": "1"}, format="json"), 403)


def test_stock_levels_list_with_available_and_filters(users):
    product = ProductFactory(sku="STK-1")
    level = stock(product, "10", WarehouseFactory(code="SH"))
    level.reserved = Decimal("4")
    level.save()
    stock(ProductFactory(), "5")
    body = client_for(users["warehouse"]).get("/api/v1/stock/?sku=STK-1").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["warehouse_code"], row["on_hand"], row["reserved"], row["available"]) == (
        "SH", "10.000", "4.000", "6.000")
    assert client_for(users["warehouse"]).get("/api/v1/warehouses/").json()["count"] == 2


def test_product_prices_and_costs_only_for_roles_that_see_prices(users):
    ProductFactory(sku="P-PRICED", list_price="99.00", standard_cost="60.00")
    for role in ("warehouse", "planner", "sales", "manager"):
        product = client_for(users[role]).get("/api/v1/products/?sku=P-PRICED").json()["results"][0]
        sees_prices = role in ("sales", "manager")
        assert ("list_price" in product, "standard_cost" in product) == (sees_prices, sees_prices), role
        if sees_prices:
            assert (product["list_price"], product["standard_cost"]) == ("99.00", "60.00")
