"""The shipping API: the whole path from planning to proof of delivery as the warehouse,
logistics and an integration run it, refusals as problem details (400 mismatches, 403
roles, 404 sight, 409 states), cost hiding, fixed query counts and the schema."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from inventory.models import Warehouse
from inventory.services import stock_receive
from logistics.models import Package, PackedItem, Shipment, ShipmentLine, TrackingEvent
from orders.models import Attachment, SalesOrder
from tests.api import PROBLEM, assert_problem, client_for
from tests.factories import (
    CustomerFactory,
    ProductFactory,
    WarehouseFactory,
    carrier_service,
    make_user,
    order_in_state,
    packed_shipment,
    plan_shipment,
    released_order,
    ship_shipment,
)

pytestmark = pytest.mark.django_db

SHIPMENTS = "/api/v1/shipments/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def url(shipment, step: str = "") -> str:
    return f"{SHIPMENTS}{shipment.pk if hasattr(shipment, 'pk') else shipment}/{step}"


def ok(response, status: int = 200) -> dict | list:
    assert response.status_code == status, response.content
    return response.json()


@pytest.fixture
def goods(db):
    """A batch-tracked bearing (batch B1) and a gearbox, in stock in one warehouse."""
    warehouse = WarehouseFactory()
    bearing = ProductFactory(sku="BRG-6204", batch_tracked=True, weight_kg=Decimal("0.2"))
    gearbox = ProductFactory(sku="GB-100", weight_kg=Decimal("12"))
    stock_receive(product=bearing, warehouse=warehouse, quantity="50", batch_code="B1",
                  expires_on=timezone.localdate() + datetime.timedelta(days=400), reference="TEST")
    stock_receive(product=gearbox, warehouse=warehouse, quantity="10", reference="TEST")
    return {"warehouse": warehouse, "bearing": bearing, "gearbox": gearbox}


def fulfilment_order(users, goods) -> SalesOrder:
    customer = CustomerFactory(owner=users["sales"])
    return released_order(users, customer=customer, lines=[(goods["bearing"], "10"), (goods["gearbox"], "2")])


# --- the whole path -------------------------------------------------------------------------------

def test_the_whole_shipping_path_through_the_api(users, goods):
    order = fulfilment_order(users, goods)
    warehouse, logistics, integration = (client_for(users[role]) for role in ("warehouse", "logistics",
                                                                              "integration"))
    # plan: everything reserved, one shipment from the one warehouse holding it
    created = ok(logistics.post(SHIPMENTS, {"order": order.pk}, format="json"), 201)
    assert len(created["shipments"]) == 1
    body = created["shipments"][0]
    shipment = Shipment.objects.get(pk=body["id"])
    assert (body["state"], body["order"]["number"], body["warehouse"]["code"]) == (
        "planned", order.number, goods["warehouse"].code)
    assert [(line["line_no"], line["sku"], line["quantity"], line["verified_quantity"]) for line in body["lines"]] == [
        (1, "BRG-6204", "10.000", "0.000"), (2, "GB-100", "2.000", "0.000")]
    assert body["available_steps"] == ["cancel"]  # logistics plans and ships, the warehouse packs
    assert ok(warehouse.get(url(shipment)))["available_steps"] == ["start_picking", "verify", "measure", "pack",
                                                                    "cancel"]
    picks = ok(warehouse.get(f"{SHIPMENTS}pick-list/?warehouse={goods['warehouse'].pk}"))
    assert {(row["sku"], row["batch"], row["quantity"]) for group in picks["groups"] for row in group["rows"]} == {
        ("BRG-6204", "B1", "10.000"), ("GB-100", None, "2.000")}
    assert_problem(warehouse.get(f"{SHIPMENTS}pick-list/"), 400, "validation_failed")
    assert_problem(client_for(users["sales"]).get(f"{SHIPMENTS}pick-list/?warehouse={goods['warehouse'].pk}"), 403)

    # verify: a SKU not on the shipment and a batch that is not the product's change nothing
    for scan, field in (({"sku": "NOPE-1", "quantity": "1"}, "sku"),
                        ({"sku": "BRG-6204", "quantity": "11", "batch": "B1"}, "quantity"),
                        ({"sku": "BRG-6204", "quantity": "1", "batch": "B9"}, "batch")):
        problem = assert_problem(warehouse.post(url(shipment, "verify/"), scan, format="json"), 400,
                                 "packing_mismatch")
        assert list(problem["errors"]) == [field], problem
    assert not PackedItem.objects.exists() and not Package.objects.exists()
    assert set(ShipmentLine.objects.values_list("verified_quantity", flat=True)) == {Decimal(0)}
    shipment.refresh_from_db()
    assert shipment.state == "planned"

    verified = ok(warehouse.post(url(shipment, "verify/"), {"sku": "BRG-6204", "quantity": "10", "batch": "B1",
                                                            "package": 1}, format="json"), 201)
    assert (verified["item"]["sku"], verified["item"]["batch"], verified["item"]["quantity"],
            verified["item"]["package"], verified["item"]["verified_by"]) == (
        "BRG-6204", "B1", "10.000", 1, users["warehouse"].username)
    assert (verified["line"]["verified_quantity"], verified["line"]["to_verify"], verified["shipment_state"]) == (
        "10.000", "0.000", "picking")
    ok(warehouse.post(url(shipment, "verify/"), {"sku": "gb-100", "quantity": "2"}, format="json"), 201)

    # measure and pack
    measured = ok(warehouse.put(url(shipment, "packages/1/"), {"weight_kg": "26.5", "length_cm": "60",
                                                               "width_cm": "40", "height_cm": "50"}, format="json"))
    package = measured["packages"][0]
    assert (package["number"], package["weight_kg"], package["volume_m3"], package["is_measured"]) == (
        1, "26.500", "0.1200", True)
    assert {(item["sku"], item["batch"], item["quantity"]) for item in package["items"]} == {
        ("BRG-6204", "B1", "10.000"), ("GB-100", None, "2.000")}
    packed = ok(warehouse.post(url(shipment, "pack/")))
    assert (packed["state"], packed["order"]["state"], packed["packed_by"]) == (
        "packed", "ready_to_ship", users["warehouse"].username)

    # carrier options: the cheap courier takes at most 20 kg
    road = carrier_service(code="ROAD", name="Road freight", base_fee=Decimal("80"), per_kg=Decimal("1"))
    courier = carrier_service(code="CHEAP", mode="express", name="Courier", base_fee=Decimal("5"),
                              per_kg=Decimal("0"), per_m3=Decimal("0"), max_weight_kg=Decimal("20"))
    options = ok(logistics.get(url(shipment, "carrier-options/")))
    assert options["weight_kg"] == "26.500" and options["recommended"] == road.pk
    assert [o["service"] for o in options["options"]] == [road.pk]
    assert [(e["service"], [r["code"] for r in e["reasons"]]) for e in options["excluded"]] == [
        (courier.pk, ["too_heavy"])]
    assert options["options"][0]["cost"] == "118.50" and options["excluded"][0]["cost"] == "5.00"
    unpriced = ok(client_for(users["warehouse"]).get(url(shipment, "carrier-options/")))
    assert "cost" not in unpriced["options"][0]  # the warehouse sees no shipping costs

    refused = assert_problem(logistics.post(url(shipment, "carrier/"), {"carrier_service": courier.pk},
                                            format="json"), 400, "carrier_excluded")
    assert refused["reasons"] == ["too_heavy"] and refused["errors"]["carrier_service"]
    chosen = ok(logistics.post(url(shipment, "carrier/"), {}, format="json"))
    assert chosen["carrier_service"]["id"] == road.pk
    assert "ship" in chosen["available_steps"]

    # ship
    shipped = ok(logistics.post(url(shipment, "ship/"), {"tracking_number": "RD-777"}, format="json"))
    assert (shipped["state"], shipped["tracking_number"], shipped["ship_date"], shipped["order"]["state"]) == (
        "shipped", "RD-777", timezone.localdate().isoformat(), "shipped")
    assert shipped["available_steps"] == ["track", "report_exception", "deliver", "render_documents"]
    assert ok(integration.get(url(shipment)))["available_steps"] == ["track", "report_exception", "deliver"]

    # a manual tracking event, then the proof of delivery with a signature
    event = ok(integration.post(url(shipment, "tracking-events/"), {"status": "in_transit", "location": "Hangzhou",
                                                                    "description": "Left the hub"}, format="json"),
               201)
    assert (event["status"], event["location"], event["source"], event["recorded_by"]) == (
        "in_transit", "Hangzhou", "manual", users["integration"].username)
    events = ok(integration.get(url(shipment, "tracking-events/")))
    assert [e["id"] for e in events] == [event["id"]]
    assert ok(integration.get(url(shipment)))["state"] == "in_transit"
    assert_problem(integration.get(url(shipment, "proof-of-delivery/")), 404, "not_found")

    proof = ok(integration.post(url(shipment, "proof-of-delivery/"), {
        "recipient_name": "Wang Fang", "notes": "Left at the gate",
        "signature": SimpleUploadedFile("sign.png", PNG, content_type="image/png")}, format="multipart"), 201)
    assert (proof["recipient_name"], proof["notes"], proof["photo"]) == ("Wang Fang", "Left at the gate", None)
    assert proof["signature"]["kind"] == "pod_signature"
    download = integration.get(proof["signature"]["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert ok(integration.get(url(shipment, "proof-of-delivery/")))["recipient_name"] == "Wang Fang"
    final = ok(integration.get(url(shipment)))
    assert (final["state"], final["order"]["state"], final["proof_of_delivery"]["recipient_name"]) == (
        "delivered", "delivered", "Wang Fang")
    assert "pod_signature" in {doc["kind"] for doc in final["documents"]}
    order.refresh_from_db()
    assert order.state == "delivered"


def test_plan_one_shipment_per_warehouse_and_line_errors_name_the_input(users):
    north, south = WarehouseFactory(), WarehouseFactory()
    bolts, nuts = ProductFactory(), ProductFactory()
    stock_receive(product=bolts, warehouse=north, quantity="20", reference="TEST")
    stock_receive(product=nuts, warehouse=south, quantity="20", reference="TEST")
    order = released_order(users, customer=CustomerFactory(owner=users["sales"]), lines=[(bolts, "4"), (nuts, "6")])
    bolt_line, nut_line = order.lines.order_by("line_no")
    client = client_for(users["logistics"])
    # a line given twice, a line of another order, more than is reserved: field errors on the entries
    assert "lines" in assert_problem(client.post(SHIPMENTS, {"order": order.pk, "lines": [
        {"order_line": bolt_line.pk, "quantity": "1"}, {"order_line": bolt_line.pk, "quantity": "1"}]},
        format="json"), 400, "validation_failed")["errors"]
    other = order_in_state("in_fulfilment", users).lines.get()
    errors = assert_problem(client.post(SHIPMENTS, {"order": order.pk, "lines": [
        {"order_line": other.pk, "quantity": "1"}]}, format="json"), 400)["errors"]
    assert list(errors) == ["lines.0.order_line"]
    errors = assert_problem(client.post(SHIPMENTS, {"order": order.pk, "warehouse": north.pk, "lines": [
        {"order_line": nut_line.pk, "quantity": "1"}, {"order_line": bolt_line.pk, "quantity": "5"}]},
        format="json"), 400)["errors"]
    assert set(errors) == {"lines.0.quantity", "lines.1.quantity"}
    assert list(assert_problem(client.post(SHIPMENTS, {"order": 99999999}, format="json"), 400)["errors"]) == [
        "order"]
    assert list(assert_problem(client.post(SHIPMENTS, {"order": order.pk, "warehouse": 99999999}, format="json"),
                               400)["errors"]) == ["warehouse"]
    assert not Shipment.objects.exists()

    waiting = ok(client.get(f"{SHIPMENTS}orders-to-ship/"))
    assert {(row["order"]["number"], row["unplanned_quantity"]) for row in waiting} == {
        (order.number, "10.000"), (other.order.number, "2.000")}
    created = ok(client.post(SHIPMENTS, {"order": order.pk}, format="json"), 201)["shipments"]
    assert [row["order"]["number"] for row in ok(client.get(f"{SHIPMENTS}orders-to-ship/"))] == [
        other.order.number]
    assert_problem(client_for(users["sales"]).get(f"{SHIPMENTS}orders-to-ship/"), 403)
    assert [(s["warehouse"]["id"], [line["sku"] for line in s["lines"]]) for s in created] == sorted(
        [(north.pk, [bolts.sku]), (south.pk, [nuts.sku])], key=lambda row: Warehouse.objects.get(pk=row[0]).code)
    assert_problem(client.post(SHIPMENTS, {"order": order.pk}, format="json"), 400, "nothing_to_ship")
    # planning needs logistics.plan_shipment; an order not in fulfilment is 409
    assert_problem(client_for(users["sales"]).post(SHIPMENTS, {"order": order.pk}, format="json"), 403)
    draft = order_in_state("approved", users)
    assert_problem(client.post(SHIPMENTS, {"order": draft.pk}, format="json"), 409, "transition_not_allowed")


# --- refusals --------------------------------------------------------------------------------------

def test_roles_sight_and_states_are_refused_as_problems(users, goods):
    order = fulfilment_order(users, goods)
    shipment = plan_shipment(order, users)
    sales, stranger = client_for(users["sales"]), client_for(make_user("sales"))
    # sales sees the shipments of its orders, and may run no step on them
    seen = ok(sales.get(url(shipment)))
    assert (seen["number"], seen["available_steps"]) == (shipment.number, [])
    assert_problem(sales.post(url(shipment, "start-picking/")), 403, "permission_denied")
    assert_problem(sales.post(url(shipment, "verify/"), {}, format="json"), 403, "permission_denied")
    assert_problem(sales.post(url(shipment, "cancel/"), {}, format="json"), 403, "permission_denied")
    # … and nothing of another salesperson's order, not even that it exists
    assert_problem(stranger.get(url(shipment)), 404, "not_found")
    assert_problem(stranger.post(url(shipment, "pack/")), 404, "not_found")
    assert_problem(stranger.get(url(shipment, "tracking-events/")), 404)
    assert ok(stranger.get(SHIPMENTS))["count"] == 0
    assert ok(sales.get(SHIPMENTS))["count"] == 1
    assert_problem(APIClient().get(SHIPMENTS), 401)

    warehouse = client_for(users["warehouse"])
    for path in (f"{SHIPMENTS}99999999/", f"{SHIPMENTS}abc/", f"{SHIPMENTS}99999999/pack/",
                 f"{SHIPMENTS}abc/carrier-options/"):
        response = warehouse.get(path) if not path.endswith("pack/") else warehouse.post(path)
        assert_problem(response, 404)

    # a step the state does not allow: 409 naming the state and what it allows
    problem = assert_problem(client_for(users["logistics"]).post(url(shipment, "ship/"), {"tracking_number": "X"},
                                                                 format="json"), 409, "transition_not_allowed")
    assert (problem["state"], set(problem["allowed_transitions"])) == ("planned", {"start_picking", "cancel"})
    problem = assert_problem(warehouse.post(url(shipment, "reopen/"), {"reason": "oops"}, format="json"), 409)
    assert set(problem["allowed_transitions"]) == {"start_picking", "cancel"}
    assert_problem(client_for(users["integration"]).post(url(shipment, "exception/"), {
        "kind": "damaged", "note": "Crushed"}, format="json"), 409, "transition_not_allowed")
    assert_problem(warehouse.post(url(shipment, "documents/")), 409, "transition_not_allowed")
    assert_problem(client_for(users["integration"]).post(url(shipment, "documents/")), 403)
    # bad input after the role's check: 400 with the field
    assert "reason" in assert_problem(warehouse.post(url(shipment, "cancel/"), {"reason": " "}, format="json"),
                                      400)["errors"]
    assert "weight_kg" in assert_problem(warehouse.put(url(shipment, "packages/1/"), {
        "weight_kg": "-1", "length_cm": "1", "width_cm": "1", "height_cm": "1"}, format="json"), 400)["errors"]
    assert "quantity" in assert_problem(warehouse.post(url(shipment, "verify/"), {
        "sku": "GB-100", "quantity": "lots"}, format="json"), 400)["errors"]
    shipment.refresh_from_db()
    assert shipment.state == "planned" and not Package.objects.exists()


def test_warehouse_takes_items_out_removes_empty_packages_reopens_and_cancels(users, goods):
    order = fulfilment_order(users, goods)
    shipment = plan_shipment(order, users)
    client = client_for(users["warehouse"])
    ok(client.post(url(shipment, "start-picking/")))
    item = ok(client.post(url(shipment, "verify/"), {"sku": "GB-100", "quantity": "1", "package": 2},
                          format="json"), 201)["item"]
    assert_problem(client.delete(url(shipment, "packages/2/")), 400)  # items are in it
    after = ok(client.delete(url(shipment, f"items/{item['id']}/")))
    assert [line["verified_quantity"] for line in after["lines"]] == ["0.000", "0.000"]
    assert_problem(client.delete(url(shipment, f"items/{item['id']}/")), 404)
    assert [p["number"] for p in ok(client.delete(url(shipment, "packages/2/")))["packages"]] == []
    assert_problem(client.delete(url(shipment, "packages/2/")), 404)
    # packing too early lists what is missing
    problem = assert_problem(client.post(url(shipment, "pack/")), 400, "not_verified")
    assert "lines" in problem["errors"]

    for scan in ({"sku": "BRG-6204", "quantity": "10", "batch": "B1"}, {"sku": "GB-100", "quantity": "2"}):
        ok(client.post(url(shipment, "verify/"), scan, format="json"), 201)
    assert "packages" in assert_problem(client.post(url(shipment, "pack/")), 400, "not_verified")["errors"]
    ok(client.put(url(shipment, "packages/1/"), {"weight_kg": "3", "length_cm": "30", "width_cm": "20",
                                                 "height_cm": "10"}, format="json"))
    assert ok(client.post(url(shipment, "pack/")))["state"] == "packed"
    reopened = ok(client.post(url(shipment, "reopen/"), {"reason": "Wrong box"}, format="json"))
    assert (reopened["state"], reopened["packed_at"]) == ("picking", None)
    cancelled = ok(client.post(url(shipment, "cancel/"), {"reason": "Customer collects"}, format="json"))
    assert (cancelled["state"], cancelled["available_steps"]) == ("cancelled", [])
    assert "Customer collects" in cancelled["notes"]


def test_delivery_exception_and_resume(users, goods):
    order = fulfilment_order(users, goods)
    shipment = ship_shipment(packed_shipment(order, users), users)
    client = client_for(users["logistics"])
    assert "note" in assert_problem(client.post(url(shipment, "exception/"), {"kind": "damaged"}, format="json"),
                                    400)["errors"]
    assert "kind" in assert_problem(client.post(url(shipment, "exception/"), {"kind": "stolen", "note": "x"},
                                                format="json"), 400)["errors"]
    flagged = ok(client.post(url(shipment, "exception/"), {"kind": "damaged", "note": "Crate crushed"},
                             format="json"))
    assert (flagged["state"], flagged["exception_kind"], flagged["exception_note"]) == (
        "exception", "damaged", "Crate crushed")
    assert flagged["available_steps"] == ["track", "resume", "deliver", "render_documents"]
    resumed = ok(client.post(url(shipment, "resume/"), {"note": "Replacement sent"}, format="json"))
    assert resumed["state"] == "in_transit"
    assert_problem(client.post(url(shipment, "tracking-events/"), {"status": "delivered"}, format="json"), 400)
    assert not TrackingEvent.objects.filter(status="delivered").exists()


# --- prices, documents, carriers ------------------------------------------------------------------

def test_warehouse_sees_no_shipping_cost_nor_priced_documents(users, goods):
    order = fulfilment_order(users, goods)
    order.delivery_address.country = "JP"  # an export travels with a commercial invoice, which shows prices
    order.delivery_address.save()
    shipment = ship_shipment(packed_shipment(order, users), users)
    assert shipment.shipping_cost is not None
    for role, sees in (("warehouse", False), ("logistics", True), ("planner", False), ("manager", True),
                       ("sales", False)):
        client = client_for(users[role])
        detail = ok(client.get(url(shipment)))
        listed = ok(client.get(SHIPMENTS))["results"][0]
        assert ("shipping_cost" in detail, "shipping_cost" in listed) == (sees, sees), role
        if sees:
            assert detail["shipping_cost"] == str(shipment.shipping_cost)
    rendered = ok(client_for(users["logistics"]).post(url(shipment, "documents/")), 201)
    assert {"delivery_note", "packing_list", "conformity"} <= {doc["kind"] for doc in rendered}
    assert "commercial_invoice" in {doc["kind"] for doc in rendered}  # logistics hands it to customs
    manager_docs = ok(client_for(users["manager"]).get(url(shipment, "documents/")))
    assert "commercial_invoice" in {doc["kind"] for doc in manager_docs}
    warehouse_docs = ok(client_for(users["warehouse"]).get(url(shipment, "documents/")))
    assert "commercial_invoice" not in {doc["kind"] for doc in warehouse_docs}
    note = next(doc for doc in rendered if doc["kind"] == "delivery_note")
    download = client_for(users["warehouse"]).get(note["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF-")
    # rendering again replaces the earlier versions
    ok(client_for(users["warehouse"]).post(url(shipment, "documents/")), 201)
    assert Attachment.objects.filter(shipment=shipment, kind="delivery_note").count() == 1


def test_carriers_are_listed_with_their_services_and_rates_for_price_readers(users):
    service = carrier_service(code="SF", mode="express", name="Standard", regions="上海, 江苏",
                              max_weight_kg=Decimal("30"))
    carrier_service(code="SF", mode="air", name="Air", is_active=False)
    logistics = ok(client_for(users["warehouse"]).get("/api/v1/carriers/"))["results"]
    assert [(c["code"], [s["name"] for s in c["services"]]) for c in logistics] == [("SF", ["Air", "Standard"])]
    standard = logistics[0]["services"][1]
    assert (standard["id"], standard["regions"], standard["max_weight_kg"], standard["is_active"]) == (
        service.pk, ["上海", "江苏"], "30.000", True)
    assert "base_fee" not in standard
    manager = ok(client_for(users["manager"]).get(f"/api/v1/carriers/{service.carrier_id}/"))
    assert manager["services"][1]["base_fee"] == "50.00"
    assert_problem(client_for(users["sales"]).get("/api/v1/carriers/"), 403)


# --- lists -----------------------------------------------------------------------------------------

def _queries(client, path: str) -> int:
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(captured)


def _shipments(users, count: int) -> list[Shipment]:
    products = [ProductFactory() for _ in range(count)]
    order = order_in_state("in_fulfilment", users, lines=[(product, "3") for product in products])
    return [plan_shipment(order, users, quantities={line.pk: line.quantity}) for line in order.lines.all()]


def test_shipment_list_costs_the_same_queries_for_one_or_ten_and_filters(users):
    first = ship_shipment(packed_shipment(order_in_state("in_fulfilment", users), users), users)
    client, sales = client_for(users["logistics"]), client_for(users["sales"])
    one = (_queries(client, SHIPMENTS), _queries(sales, SHIPMENTS))
    many = _shipments(users, 9)
    ten = (_queries(client, SHIPMENTS), _queries(sales, SHIPMENTS))
    assert ok(client.get(SHIPMENTS))["count"] == ok(sales.get(SHIPMENTS))["count"] == 10
    assert one == ten

    def numbers(query: str) -> set[str]:
        return {row["number"] for row in ok(client.get(f"{SHIPMENTS}?{query}"))["results"]}

    assert numbers(f"order={first.order_id}") == {first.number}
    assert numbers(f"search={many[0].number}") == {many[0].number}
    assert numbers(f"search={many[0].order.number}") == {s.number for s in many}
    sku = many[1].lines.get().order_line.product.sku
    assert numbers(f"sku={sku}") == {many[1].number}
    ok(client_for(users["warehouse"]).post(url(many[2], "start-picking/")))
    assert numbers("state=picking") == {many[2].number}
    assert numbers("state=planned&state=picking") == {s.number for s in many}
    assert numbers("state=shipped") == {first.number}
    since = Shipment.objects.get(pk=many[2].pk).updated_at.isoformat()
    assert numbers(f"updated_since={since.replace('+', '%2B')}") == {many[2].number}
    assert numbers(f"carrier={first.carrier_service.carrier_id}") == {first.number}
    assert numbers(f"warehouse={many[0].warehouse_id}") == {many[0].number}  # each product is in its own
    ordered = [row["number"] for row in ok(client.get(f"{SHIPMENTS}?ordering=number"))["results"]]
    assert ordered == sorted(ordered)
    assert_problem(client.get(f"{SHIPMENTS}?state=lost"), 400)


def test_the_pick_list_covers_the_most_urgent_shipments_up_to_the_limit_and_counts_the_rest(users, goods,
                                                                                            monkeypatch):
    """Like the page, the pick list of a busy warehouse covers only the most urgent
    shipments (highest order priority first) and says how many wait."""
    monkeypatch.setattr("logistics.api.shipments.PICK_LIMIT", 2)
    shipments = [plan_shipment(fulfilment_order(users, goods), users) for _ in range(3)]
    for shipment, priority in zip(shipments, (200, 900, 500), strict=True):
        SalesOrder.objects.filter(pk=shipment.order_id).update(priority=priority)
    warehouse = client_for(users["warehouse"])
    picks = ok(warehouse.get(f"{SHIPMENTS}pick-list/?warehouse={goods['warehouse'].pk}"))
    assert (picks["shipments_shown"], picks["shipments_waiting"]) == (2, 3)
    shown = {row["shipment"] for group in picks["groups"] for row in group["rows"]}
    assert shown == {shipments[1].pk, shipments[2].pk}  # priorities 900 and 500, not 200
    named = ok(warehouse.get(f"{SHIPMENTS}pick-list/?warehouse={goods['warehouse'].pk}"
                             f"&shipment={shipments[0].pk}&shipment={shipments[1].pk}"))
    assert (named["shipments_shown"], named["shipments_waiting"]) == (2, 2)
    assert {row["shipment"] for group in named["groups"] for row in group["rows"]} == {shipments[0].pk,
                                                                                       shipments[1].pk}


def test_shipment_detail_costs_the_same_queries_whatever_its_size(users, goods):
    small = packed_shipment(order_in_state("in_fulfilment", users), users)
    big = plan_shipment(fulfilment_order(users, goods), users)
    client = client_for(users["warehouse"])
    for scan in ({"sku": "BRG-6204", "quantity": "4", "batch": "B1", "package": 1},
                 {"sku": "BRG-6204", "quantity": "6", "batch": "B1", "package": 2},
                 {"sku": "GB-100", "quantity": "2", "package": 3}):
        ok(client.post(url(big, "verify/"), scan, format="json"), 201)
    for number in (1, 2, 3):
        ok(client.put(url(big, f"packages/{number}/"), {"weight_kg": "3", "length_cm": "30", "width_cm": "20",
                                                        "height_cm": "10"}, format="json"))
    ok(client.post(url(big, "pack/")))
    assert [len(p["items"]) for p in ok(client.get(url(big)))["packages"]] == [1, 1, 1]
    for role in ("warehouse", "manager", "sales"):
        reader = client_for(users[role])
        assert _queries(reader, url(small)) == _queries(reader, url(big)), role


# --- the schema ------------------------------------------------------------------------------------

def test_schema_documents_the_shipping_endpoints_without_warnings(users, tmp_path):
    client = APIClient()
    client.force_authenticate(users["manager"])
    paths = ok(client.get("/api/v1/schema/?format=json"))["paths"]
    operations = {
        ("/api/v1/shipments/", "get"): "shipments_list",
        ("/api/v1/shipments/", "post"): "shipments_create",
        ("/api/v1/shipments/{id}/verify/", "post"): "shipments_verify",
        ("/api/v1/shipments/{id}/items/{item_id}/", "delete"): "shipments_items_destroy",
        ("/api/v1/shipments/{id}/packages/{number}/", "put"): "shipments_packages_update",
        ("/api/v1/shipments/{id}/packages/{number}/", "delete"): "shipments_packages_destroy",
        ("/api/v1/shipments/{id}/carrier-options/", "get"): "shipments_carrier_options",
        ("/api/v1/shipments/{id}/ship/", "post"): "shipments_ship",
        ("/api/v1/shipments/{id}/tracking-events/", "post"): "shipments_tracking_events_create",
        ("/api/v1/shipments/{id}/proof-of-delivery/", "post"): "shipments_proof_of_delivery_create",
        ("/api/v1/shipments/{id}/documents/", "post"): "shipments_documents_create",
        ("/api/v1/carriers/", "get"): "carriers_list",
    }
    for (path, method), operation_id in operations.items():
        operation = paths[path][method]
        assert operation["operationId"] == operation_id and operation["summary"], path
        assert PROBLEM in operation["responses"]["404" if "{id}" in path else "401"]["content"], path
    ship = paths["/api/v1/shipments/{id}/ship/"]["post"]["responses"]
    assert set(ship) == {"200", "400", "401", "403", "404", "409", "415", "422", "429"}
    assert ship["409"]["content"][PROBLEM]["schema"]["$ref"].endswith("/TransitionProblem")
    assert set(paths["/api/v1/shipments/"]["post"]["responses"]) == {"201", "400", "401", "403", "409", "415", "422",
                                                                      "429"}
    assert "multipart/form-data" in paths["/api/v1/shipments/{id}/proof-of-delivery/"]["post"]["requestBody"][
        "content"]
    # the whole schema generates and validates without a warning
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
