"""The stock API: the ledger, stock per location and batch, receipts, adjustments,
transfers and cycle counts — database outcomes, refusals as problem details, and fixed
query counts."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from inventory import services as inventory
from inventory.models import CycleCount, Location, StockLevel, StockMove, StockQuant, Transfer
from inventory.services import ledger_differences
from orders import services
from tests.api import assert_problem, client_for
from tests.factories import ProductFactory, WarehouseFactory, make_user, order_in_state

pytestmark = pytest.mark.django_db



def level(product, warehouse) -> StockLevel:
    return StockLevel.objects.get(product=product, warehouse=warehouse)


def receiving(warehouse) -> Location:
    return inventory.default_location(warehouse)


# --- receipts and the ledger ---------------------------------------------------------------------

def test_warehouse_receives_stock_with_inspection_and_the_ledger_lists_it(users):
    product, warehouse = ProductFactory(batch_tracked=True), WarehouseFactory()
    shelf = Location.objects.create(warehouse=warehouse, code="A-01")
    client = client_for(users["warehouse"])
    expires = (timezone.localdate() + datetime.timedelta(days=90)).isoformat()
    response = client.post("/api/v1/stock-receipts/", {
        "sku": product.sku, "warehouse": warehouse.pk, "quantity": "10", "rejected": "2", "batch": "L-7",
        "expires_on": expires, "location": shelf.pk, "reference": "DN-55"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["on_hand_delta"], body["rejected_quantity"], body["batch_code"],
            body["location_code"], body["reference"], body["by"]) == (
        "receipt", "8.000", "2.000", "L-7", "A-01", "DN-55", users["warehouse"].username)
    assert level(product, warehouse).on_hand == 8
    quant = StockQuant.objects.get(product=product)
    assert (quant.location, quant.batch.code, quant.on_hand) == (shelf, "L-7", 8)

    assert [m["id"] for m in client.get("/api/v1/stock-receipts/").json()["results"]] == [body["id"]]
    quants = client.get(f"/api/v1/stock-quants/?product={product.pk}").json()["results"]
    assert [(q["location_code"], q["batch_code"], q["expires_on"], q["on_hand"]) for q in quants] == [
        ("A-01", "L-7", expires, "8.000")]
    stock = client.get(f"/api/v1/stock/?product={product.pk}").json()["results"]
    assert (stock[0]["on_hand"], stock[0]["in_transit"]) == ("8.000", "0.000")
    assert ledger_differences() == []


def test_receipt_bad_input_is_400_and_refused_roles_get_403(users):
    product, warehouse, elsewhere = ProductFactory(), WarehouseFactory(), WarehouseFactory()
    client = client_for(users["warehouse"])
    base = {"product": product.pk, "warehouse": warehouse.pk, "quantity": "5"}
    for change, field in (({"quantity": "five"}, "quantity"), ({"quantity": "-5"}, "quantity"),
                          ({"quantity": "0"}, "quantity"), ({"quantity": "1e20"}, "quantity"),
                          ({"quantity": "123456789012"}, "quantity"), ({"rejected": "6"}, "rejected"),
                          ({"product": 99999999}, "product"), ({"product": None, "sku": "NOPE"}, "sku"),
                          ({"product": 10 ** 30}, "product"),
                          ({"warehouse": "abc"}, "warehouse"), ({"location": receiving(elsewhere).pk}, "location"),
                          ({"expires_on": "2026-13-45"}, "expires_on"), ({"reference": "x" * 65}, "reference")):
        body = assert_problem(client.post("/api/v1/stock-receipts/", {**base, **change}, format="json"), 400,
                              "validation_failed")
        assert field in body["errors"], (change, body)
    assert not StockMove.objects.exists()
    # batch-tracked products need a batch
    tracked = ProductFactory(batch_tracked=True)
    assert "batch" in assert_problem(client.post("/api/v1/stock-receipts/", {**base, "product": tracked.pk},
                                                 format="json"), 400)["errors"]
    assert_problem(client_for(users["sales"]).post("/api/v1/stock-receipts/", base, format="json"), 403)
    assert_problem(client_for(users["sales"]).get("/api/v1/stock-moves/"), 403)
    assert_problem(client_for(users["sales"]).get("/api/v1/stock-quants/"), 403)
    # the manager reads the ledger but does not receive goods
    assert client_for(users["manager"]).get("/api/v1/stock-moves/").status_code == 200
    assert_problem(client_for(users["manager"]).post("/api/v1/stock-receipts/", base, format="json"), 403,
                   "permission_denied")
    assert_problem(APIClient().post("/api/v1/stock-receipts/", base, format="json"), 401)
    assert not StockMove.objects.exists()


def test_stock_moves_filter_by_kind_product_and_time_newest_first(users):
    product, other, warehouse = ProductFactory(), ProductFactory(), WarehouseFactory()
    first = inventory.stock_receive(product=product, warehouse=warehouse, quantity="5")
    second = inventory.stock_adjust(product=product, location=receiving(warehouse), delta="-1", reason="Damaged")
    inventory.stock_receive(product=other, warehouse=warehouse, quantity="1")
    client = client_for(users["planner"])
    moves = client.get(f"/api/v1/stock-moves/?sku={product.sku}").json()["results"]
    assert [m["id"] for m in moves] == [second.pk, first.pk]
    assert [m["id"] for m in client.get(f"/api/v1/stock-moves/?sku={product.sku}&ordering=at").json()["results"]] == [
        first.pk, second.pk]
    assert [m["id"] for m in client.get(f"/api/v1/stock-moves/?product={product.pk}&kind=adjust").json()[
        "results"]] == [second.pk]
    later = (timezone.now() + datetime.timedelta(minutes=5)).isoformat()
    assert client.get("/api/v1/stock-moves/", {"since": later}).json()["count"] == 0
    assert client.get("/api/v1/stock-moves/", {"until": later, "warehouse": warehouse.pk}).json()["count"] == 3
    assert "since" in assert_problem(client.get("/api/v1/stock-moves/?since=yesterday"), 400)["errors"]
    assert "kind" in assert_problem(client.get("/api/v1/stock-moves/?kind=theft"), 400)["errors"]
    assert client.get(f"/api/v1/stock-moves/{second.pk}/").json()["reason"] == "Damaged"
    assert_problem(client.get("/api/v1/stock-moves/99999999/"), 404, "not_found")
    assert_problem(client.get("/api/v1/stock-moves/abc/"), 404)


# --- adjustments ---------------------------------------------------------------------------------

def test_adjustments_need_a_reason_and_never_go_below_what_is_reserved(users):
    product = ProductFactory()
    order = order_in_state("approved", users, lines=[(product, "990")])  # 1000 received on the way
    services.order_transition(order_id=order.pk, name="start_fulfilment", by=users["planner"])
    stock_level = StockLevel.objects.get(product=product)
    location = receiving(stock_level.warehouse)
    client = client_for(users["warehouse"])
    base = {"product": product.pk, "location": location.pk, "delta": "-4", "reason": "Water damage"}
    response = client.post("/api/v1/stock-adjustments/", base, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["kind"], response.json()["on_hand_delta"]) == ("adjust", "-4.000")
    stock_level.refresh_from_db()
    assert (stock_level.on_hand, stock_level.reserved) == (996, 990)
    for change, field in (({"reason": ""}, "reason"), ({"delta": "0"}, "delta"), ({"delta": "-7"}, "delta"),
                          ({"delta": "1.2345"}, "delta"), ({"delta": "lots"}, "delta"),
                          ({"batch": "NO-BATCH"}, "batch"), ({"location": 99999999}, "location")):
        body = assert_problem(client.post("/api/v1/stock-adjustments/", {**base, **change}, format="json"), 400)
        assert field in body["errors"], (change, body)
    stock_level.refresh_from_db()
    assert stock_level.on_hand == 996
    assert [m["reason"] for m in client.get("/api/v1/stock-adjustments/").json()["results"]] == ["Water damage"]
    assert_problem(client_for(users["planner"]).post("/api/v1/stock-adjustments/", base, format="json"), 403)
    assert ledger_differences() == []


# --- transfers -----------------------------------------------------------------------------------

def test_transfer_is_in_transit_until_received(users):
    product, source, destination = ProductFactory(), WarehouseFactory(), WarehouseFactory()
    inventory.stock_receive(product=product, warehouse=source, quantity="10")
    client = client_for(users["warehouse"])
    response = client.post("/api/v1/transfers/", {"product": product.pk, "from_location": receiving(source).pk,
                                                  "to_warehouse": destination.pk, "quantity": "4",
                                                  "note": "Rebalance"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["state"], body["from_warehouse"]["code"], body["to_warehouse"]["code"], body["to_location"],
            body["available_actions"]) == ("in_transit", source.code, destination.code, None, ["receive"])
    assert (level(product, source).on_hand, level(product, destination).in_transit) == (6, 4)
    in_transit = client.get(f"/api/v1/stock/?product={product.pk}&warehouse={destination.pk}").json()["results"]
    assert in_transit[0]["in_transit"] == "4.000"

    shelf = Location.objects.create(warehouse=destination, code="B-02")
    assert "location" in assert_problem(client.post(f"/api/v1/transfers/{body['id']}/receive/", {
        "location": receiving(source).pk}, format="json"), 400)["errors"]
    received = client.post(f"/api/v1/transfers/{body['id']}/receive/", {"location": shelf.pk}, format="json")
    assert received.status_code == 200, received.content
    assert (received.json()["state"], received.json()["to_location"]["code"]) == ("received", "B-02")
    destination_level = level(product, destination)
    assert (destination_level.on_hand, destination_level.in_transit) == (4, 0)
    assert_problem(client.post(f"/api/v1/transfers/{body['id']}/receive/", {}, format="json"), 409,
                   "transfer_received")
    assert ledger_differences() == []


def test_transfer_refusals(users):
    product, source, destination = ProductFactory(), WarehouseFactory(), WarehouseFactory()
    inventory.stock_receive(product=product, warehouse=source, quantity="3")
    client = client_for(users["warehouse"])
    base = {"product": product.pk, "from_location": receiving(source).pk, "to_warehouse": destination.pk,
            "quantity": "2"}
    for change, field in (({"to_warehouse": source.pk}, "to_warehouse"), ({"quantity": "5"}, "quantity"),
                          ({"quantity": "-1"}, "quantity"), ({"to_warehouse": 99999999}, "to_warehouse"),
                          ({"batch": "NONE"}, "batch"), ({"note": "n" * 251}, "note")):
        body = assert_problem(client.post("/api/v1/transfers/", {**base, **change}, format="json"), 400)
        assert field in body["errors"], (change, body)
    assert_problem(client_for(users["sales"]).post("/api/v1/transfers/", base, format="json"), 403)
    assert_problem(client_for(users["sales"]).get("/api/v1/transfers/"), 403)
    assert_problem(client_for(users["manager"]).post("/api/v1/transfers/", base, format="json"), 403)
    assert_problem(client.get("/api/v1/transfers/99999999/"), 404)
    assert_problem(client.post("/api/v1/transfers/99999999/receive/", {}, format="json"), 404)
    assert not Transfer.objects.exists() and level(product, source).on_hand == 3


# --- cycle counts --------------------------------------------------------------------------------

def test_cycle_count_entered_by_the_warehouse_confirmed_by_a_second_person(users):
    product, found, warehouse = ProductFactory(), ProductFactory(), WarehouseFactory()
    inventory.stock_receive(product=product, warehouse=warehouse, quantity="10")
    location = receiving(warehouse)
    counter = client_for(users["warehouse"])
    response = counter.post("/api/v1/cycle-counts/", {"location": location.pk}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["state"], body["available_actions"]) == ("open", ["counts", "cancel"])
    assert [(ln["sku"], ln["expected"], ln["counted"]) for ln in body["lines"]] == [(product.sku, "10.000", None)]
    count_id, line_id = body["id"], body["lines"][0]["id"]
    assert_problem(counter.post("/api/v1/cycle-counts/", {"location": location.pk}, format="json"), 409,
                   "count_in_progress")

    url = f"/api/v1/cycle-counts/{count_id}/"
    for data, field in (({"lines": []}, "lines"),  # every sheet line needs a figure
                        ({"lines": [{"id": line_id, "counted": "-1"}]}, "lines.0.counted"),
                        ({"lines": [{"id": line_id, "counted": "abc"}]}, "lines.0.counted"),
                        ({"lines": [{"id": line_id, "counted": "7"}], "extra": [{"product": 99999999,
                                                                                  "counted": "1"}]},
                         "extra.0.product"),
                        ({"lines": [{"id": line_id, "counted": "7"}], "extra": [{"product": product.pk,
                                                                                  "counted": "1"}]},
                         "extra.0.product")):  # already on the sheet
        body = assert_problem(counter.post(f"{url}counts/", data, format="json"), 400)
        assert field in body["errors"], (data, body)
    entered = counter.post(f"{url}counts/", {"lines": [{"id": line_id, "counted": "7"}],
                                             "extra": [{"sku": found.sku, "counted": "2"}]}, format="json")
    assert entered.status_code == 200, entered.content
    body = entered.json()
    assert body["state"] == "counted" and body["counted_by"] == users["warehouse"].username
    assert sorted((ln["sku"], ln["difference"]) for ln in body["lines"]) == sorted(
        [(product.sku, "-3.000"), (found.sku, "2.000")])

    assert_problem(counter.post(f"{url}confirm/", format="json"), 403)  # the warehouse does not confirm
    both = make_user("warehouse")  # counts and may confirm, but not their own count
    both.groups.add(Group.objects.get(name="manager"))
    counted_by_both = client_for(both)
    recount = counted_by_both.post(f"{url}counts/", {"lines": [{"id": ln["id"], "counted": ln["counted"]}
                                                               for ln in body["lines"]]}, format="json")
    assert recount.json()["counted_by"] == both.username
    assert_problem(counted_by_both.post(f"{url}confirm/", format="json"), 403, "second_person_required")
    assert "confirm" in client_for(users["planner"]).get(url).json()["available_actions"]
    confirmed = client_for(users["planner"]).post(f"{url}confirm/", format="json")
    assert confirmed.status_code == 200, confirmed.content
    assert (confirmed.json()["state"], confirmed.json()["available_actions"]) == ("confirmed", [])
    assert (level(product, warehouse).on_hand, level(found, warehouse).on_hand) == (7, 2)
    assert StockMove.objects.filter(source_type="cycle_count", source_id=count_id).count() == 2
    assert_problem(counter.post(f"{url}cancel/", format="json"), 409, "count_closed")
    assert ledger_differences() == []


def test_cycle_count_refusals(users):
    warehouse = WarehouseFactory()
    location = receiving(warehouse)
    assert_problem(client_for(users["planner"]).post("/api/v1/cycle-counts/", {"location": location.pk},
                                                     format="json"), 403)
    assert_problem(client_for(users["sales"]).get("/api/v1/cycle-counts/"), 403)
    client = client_for(users["warehouse"])
    assert "location" in assert_problem(client.post("/api/v1/cycle-counts/", {"location": 99999999},
                                                    format="json"), 400)["errors"]
    assert_problem(client.get("/api/v1/cycle-counts/99999999/"), 404)
    for action, role in (("counts", "warehouse"), ("confirm", "planner"), ("cancel", "warehouse")):
        assert_problem(client_for(users[role]).post(f"/api/v1/cycle-counts/99999999/{action}/",
                                                    {"lines": []}, format="json"), 404)
    count = inventory.count_create(location=location, by=users["warehouse"])
    cancelled = client.post(f"/api/v1/cycle-counts/{count.pk}/cancel/", format="json")
    assert cancelled.json()["state"] == "cancelled"
    assert CycleCount.objects.get(pk=count.pk).state == "cancelled"
    assert_problem(client.post(f"/api/v1/cycle-counts/{count.pk}/counts/", {"lines": []}, format="json"), 409)


# --- query counts --------------------------------------------------------------------------------

def _queries(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


def _stock_rows(users, n: int, source, destination) -> None:
    for index in range(n):
        product = ProductFactory(batch_tracked=True)
        shelf = Location.objects.create(warehouse=source, code=f"S-{product.pk}")
        inventory.stock_receive(product=product, warehouse=source, quantity="5", batch_code=f"B{index}",
                                location=shelf, by=users["warehouse"])
        inventory.stock_adjust(product=product, location=shelf, delta="-1", reason="count",
                               batch=product.batches.get(), by=users["warehouse"])
        inventory.transfer_send(product=product, from_location=shelf, to_warehouse=destination, quantity="1",
                                batch=product.batches.get(), by=users["warehouse"])
        inventory.count_create(location=shelf, by=users["warehouse"])


def test_stock_lists_cost_the_same_queries_for_one_or_ten_rows(users):
    source, destination = WarehouseFactory(), WarehouseFactory()
    client = client_for(users["warehouse"])
    urls = ["/api/v1/stock-moves/", "/api/v1/stock-quants/", "/api/v1/stock-receipts/",
            "/api/v1/stock-adjustments/", "/api/v1/transfers/", "/api/v1/cycle-counts/", "/api/v1/stock/"]
    _stock_rows(users, 1, source, destination)
    one = {url: _queries(client, url) for url in urls}
    _stock_rows(users, 9, source, destination)
    ten = {url: _queries(client, url) for url in urls}
    assert client.get("/api/v1/cycle-counts/").json()["count"] == 10
    assert client.get("/api/v1/stock-moves/").json()["count"] == 40
    assert one == ten


def test_quantities_keep_their_precision(users):
    product, warehouse = ProductFactory(unit="kg"), WarehouseFactory()
    client = client_for(users["warehouse"])
    response = client.post("/api/v1/stock-receipts/", {"product": product.pk, "warehouse": warehouse.pk,
                                                       "quantity": "2.125"}, format="json")
    assert response.json()["on_hand_delta"] == "2.125"
    assert level(product, warehouse).on_hand == Decimal("2.125")
