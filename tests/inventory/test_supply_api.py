"""The supply API: suppliers, requisitions, purchase orders (send, confirm, receive with
inspection, delays), work orders (block, resume, complete), the exceptions board, and the
order priority action — the database outcomes, the refusals (401/403/404/409/400 problem
details) and fixed query counts."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from inventory import services as inventory
from inventory.models import (
    PurchaseOrder,
    PurchaseRequisition,
    RequisitionState,
    StockLevel,
    Supplier,
    SupplyException,
    WorkOrder,
)
from orders import services
from orders.models import OrderEvent, SalesOrder
from tests.api import PROBLEM, assert_problem, client_for
from tests.factories import CustomerFactory, ProductFactory, WarehouseFactory, make_order, order_in_state, stock
from tests.pages import client_for as pages_client_for

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()



def days(n: int) -> str:
    return (TODAY + datetime.timedelta(days=n)).isoformat()


def released(users, lines) -> SalesOrder:
    """An order approved (failed checks overridden: the stock is short on purpose) and
    released to fulfilment: reserved as far as stock goes, supply raised for the rest."""
    order = make_order(by=users["order_desk"], customer=CustomerFactory(owner=users["sales"]), lines=lines,
                       submit=True)
    services.order_run_checks(order_id=order.pk)
    order.refresh_from_db()
    for check in order.checks.filter(run=order.checks_run, result="fail"):
        services.order_override_check(order_id=order.pk, check_id=check.pk, by=users["manager"], reason="test")
    services.order_transition(order_id=order.pk, name="approve", by=users["reviewer"])
    services.order_transition(order_id=order.pk, name="start_fulfilment", by=users["planner"])
    order.refresh_from_db()
    return order


def supplier(code: str = "SUP-1") -> Supplier:
    return Supplier.objects.create(code=code, name=f"Supplier {code}")


@pytest.fixture
def bought(users):
    """A bought-in product with 2 in stock; an order for 5 waits for 3 (one requisition)."""
    product = ProductFactory(supply_type="buy", standard_cost=Decimal("40.00"))
    level = stock(product, "2")
    order = released(users, [(product, "5")])
    return product, level.warehouse, order


# --- purchase orders -----------------------------------------------------------------------------

def test_requisitions_become_a_purchase_order_sent_confirmed_and_received_with_rejects(users, bought):
    product, warehouse, order = bought
    other = ProductFactory(supply_type="buy")
    planner = client_for(users["planner"])
    listed = planner.get(f"/api/v1/purchase-requisitions/?sku={product.sku}&state=open").json()["results"]
    assert len(listed) == 1 and listed[0]["quantity"] == "3.000"
    assert listed[0]["sales_order_line"]["order_number"] == order.number
    assert listed[0]["available_actions"] == ["cancel"]
    requisition_id = listed[0]["id"]

    response = planner.post("/api/v1/purchase-orders/", {
        "supplier": supplier().pk, "warehouse": warehouse.pk, "expected_date": days(7),
        "requisitions": [requisition_id], "lines": [{"sku": other.sku, "quantity": "4", "unit_price": "12.50"}],
    }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["state"], body["available_transitions"], body["total_amount"]) == ("draft", ["send", "cancel"],
                                                                                  "170.00")
    lines = {line["sku"]: line for line in body["lines"]}
    assert {sku: (line["quantity"], line["unit_price"]) for sku, line in lines.items()} == {
        product.sku: ("3.000", "40.00"), other.sku: ("4.000", "12.50")}
    assert PurchaseRequisition.objects.get(pk=requisition_id).state == RequisitionState.ORDERED
    po_id, first, second = body["id"], lines[product.sku]["id"], lines[other.sku]["id"]

    sent = planner.post(f"/api/v1/purchase-orders/{po_id}/transitions/send/", {}, format="json")
    assert sent.status_code == 200 and sent.json()["state"] == "sent"
    line = order.lines.get()
    assert (line.backorder_quantity, line.promise_date) == (3, TODAY + datetime.timedelta(days=7))
    confirmed = planner.post(f"/api/v1/purchase-orders/{po_id}/transitions/confirm/",
                             {"supplier_reference": "AB-77"}, format="json").json()
    assert (confirmed["state"], confirmed["supplier_reference"]) == ("confirmed", "AB-77")
    assert confirmed["available_actions"] == ["receive", "delay"]

    warehouse_client = client_for(users["warehouse"])
    received = warehouse_client.post(f"/api/v1/purchase-orders/{po_id}/receipts/", {"receipts": [
        {"line": first, "quantity": "3", "rejected": "1", "batch": "B-1"}]}, format="json")
    assert received.status_code == 200, received.content
    body = received.json()
    assert body["state"] == "partially_received"
    assert {ln["sku"]: (ln["received_quantity"], ln["rejected_quantity"], ln["open_quantity"])
            for ln in body["lines"]} == {product.sku: ("2.000", "1.000", "0.000"),
                                         other.sku: ("0.000", "0.000", "4.000")}
    level = StockLevel.objects.get(product=product, warehouse=warehouse)
    line.refresh_from_db()
    assert (level.on_hand, level.reserved) == (4, 4)  # the accepted 2 went to the waiting order
    assert (line.reserved_quantity, line.backorder_quantity) == (4, 1)

    done = warehouse_client.post(f"/api/v1/purchase-orders/{po_id}/receipts/", {"receipts": [
        {"line": second, "quantity": "4"}]}, format="json").json()
    assert (done["state"], done["available_actions"]) == ("received", [])
    assert StockLevel.objects.get(product=other, warehouse=warehouse).on_hand == 4


def test_purchase_order_delay_moves_the_waiting_order_and_the_answer_lists_it(users, bought):
    product, warehouse, order = bought
    requisition = PurchaseRequisition.objects.get(product=product)
    po = inventory.purchase_order_create(supplier=supplier(), warehouse=warehouse, expected_date=days(5),
                                         requisition_ids=[requisition.pk], by=users["planner"])
    inventory.purchase_order_transition(purchase_order_id=po.pk, name="send", by=users["planner"])
    planner = client_for(users["planner"])
    response = planner.post(f"/api/v1/purchase-orders/{po.pk}/delays/",
                            {"new_expected_date": days(20), "note": "Port closed"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["purchase_order_number"], body["previous_date"], body["new_date"]) == (
        "supplier_delay", po.number, days(5), days(20))
    assert body["affected_orders"] == [{"id": order.pk, "number": order.number}]
    assert order.lines.get().promise_date == TODAY + datetime.timedelta(days=20)
    po.refresh_from_db()
    assert po.expected_date == TODAY + datetime.timedelta(days=20)

    detail = planner.get(f"/api/v1/orders/{order.pk}/").json()
    assert [(e["kind"], e["document_number"], e["new_date"]) for e in detail["open_exceptions"]] == [
        ("supplier_delay", po.number, days(20))]
    assert detail["lines"][0]["promise_date"] == days(20) and detail["lines"][0]["backorder_quantity"] == "3.000"
    assert planner.get(f"/api/v1/purchase-orders/{po.pk}/").json()["exceptions"][0]["id"] == body["id"]


def test_purchase_order_steps_not_possible_now_are_409_with_the_allowed_ones(users, bought):
    _product, warehouse, _order = bought
    po = inventory.purchase_order_create(supplier=supplier(), warehouse=warehouse, expected_date=days(5),
                                         lines=[{"product": ProductFactory(), "quantity": "2"}], by=users["planner"])
    planner = client_for(users["planner"])
    body = assert_problem(planner.post(f"/api/v1/purchase-orders/{po.pk}/transitions/confirm/", {}, format="json"),
                          409, "transition_not_allowed")
    assert body["state"] == "draft" and set(body["allowed_transitions"]) == {"send", "cancel"}
    line = po.lines.get()
    body = assert_problem(client_for(users["warehouse"]).post(
        f"/api/v1/purchase-orders/{po.pk}/receipts/", {"receipts": [{"line": line.pk, "quantity": "1"}]},
        format="json"), 409)
    assert body["state"] == "draft"
    assert_problem(planner.post(f"/api/v1/purchase-orders/{po.pk}/delays/",
                                {"new_expected_date": days(9), "note": "late"}, format="json"), 409)
    # cancelling needs a reason; then nothing more is possible
    assert "reason" in assert_problem(planner.post(f"/api/v1/purchase-orders/{po.pk}/transitions/cancel/", {},
                                                   format="json"), 400)["errors"]
    cancelled = planner.post(f"/api/v1/purchase-orders/{po.pk}/transitions/cancel/", {"reason": "Not needed"},
                             format="json").json()
    assert (cancelled["state"], cancelled["available_transitions"]) == ("cancelled", [])
    body = assert_problem(planner.post(f"/api/v1/purchase-orders/{po.pk}/transitions/send/", {}, format="json"), 409)
    assert (body["state"], body["allowed_transitions"]) == ("cancelled", [])
    assert_problem(planner.post(f"/api/v1/purchase-orders/{po.pk}/transitions/explode/", {}, format="json"), 404)


def test_purchase_order_create_bad_input_is_400_with_field_errors_and_writes_nothing(users, bought):
    product, warehouse, _order = bought
    planner = client_for(users["planner"])
    vendor = supplier()
    base = {"supplier": vendor.pk, "warehouse": warehouse.pk, "expected_date": days(3)}
    cases = [
        ({"lines": [{"product": product.pk, "quantity": "abc"}]}, "lines.0.quantity"),
        ({"lines": [{"product": product.pk, "quantity": "-2"}]}, "lines.0.quantity"),
        ({"lines": [{"product": product.pk, "quantity": "123456789012345"}]}, "lines.0.quantity"),
        ({"lines": [{"product": product.pk, "quantity": "1", "unit_price": "-1"}]}, "lines.0.unit_price"),
        ({"lines": [{"product": 99999999, "quantity": "1"}]}, "lines.0.product"),
        ({"lines": [{"sku": "NO-SUCH-SKU", "quantity": "1"}]}, "lines.0.sku"),
        ({"lines": [{"quantity": "1"}]}, "lines.0.product"),
        ({"supplier": 99999999, "lines": [{"product": product.pk, "quantity": "1"}]}, "supplier"),
        ({"supplier": "x", "lines": [{"product": product.pk, "quantity": "1"}]}, "supplier"),
        ({"requisitions": [99999999]}, "requisitions"),
        ({"requisitions": ["one"]}, "requisitions.0"),
        ({}, "lines"),
        ({"expected_date": days(-1), "lines": [{"product": product.pk, "quantity": "1"}]}, "expected_date"),
        ({"expected_date": "tomorrow", "lines": [{"product": product.pk, "quantity": "1"}]}, "expected_date"),
    ]
    for change, field in cases:
        body = assert_problem(planner.post("/api/v1/purchase-orders/", {**base, **change}, format="json"), 400,
                              "validation_failed")
        assert field in body["errors"], (change, body)
    assert not PurchaseOrder.objects.exists()
    vendor.is_active = False
    vendor.save()
    body = assert_problem(planner.post("/api/v1/purchase-orders/", {
        **base, "lines": [{"product": product.pk, "quantity": "1"}]}, format="json"), 400)
    assert "supplier" in body["errors"]


def test_receipt_bad_input_names_the_receipt_field(users, bought):
    product, warehouse, _order = bought
    po = inventory.purchase_order_create(supplier=supplier(), warehouse=warehouse, expected_date=days(5),
                                         lines=[{"product": product, "quantity": "2"}], by=users["planner"])
    inventory.purchase_order_transition(purchase_order_id=po.pk, name="send", by=users["planner"])
    line = po.lines.get()
    client = client_for(users["warehouse"])
    url = f"/api/v1/purchase-orders/{po.pk}/receipts/"
    for receipts, field in [
        ([{"line": line.pk, "quantity": "5"}], "receipts.0.quantity"),  # more than still to come
        ([{"line": line.pk, "quantity": "1", "rejected": "2"}], "receipts.0.rejected"),
        ([{"line": 99999999, "quantity": "1"}], "receipts.0.line"),
        ([{"line": line.pk, "quantity": "x"}], "receipts.0.quantity"),
        ([{"line": line.pk, "quantity": "1", "location": 99999999}], "receipts.0.location"),
        ([], "receipts"),
    ]:
        body = assert_problem(client.post(url, {"receipts": receipts}, format="json"), 400)
        assert any(name.startswith(field) for name in body["errors"]), (receipts, body)
    assert po.lines.get().received_quantity == 0


def test_roles_without_supply_permissions_are_refused(users, bought):
    _product, warehouse, order = bought
    po = inventory.purchase_order_create(supplier=supplier(), warehouse=warehouse, expected_date=days(5),
                                         lines=[{"product": ProductFactory(), "quantity": "2"}], by=users["planner"])
    sales = client_for(users["sales"])
    for url in ("/api/v1/suppliers/", "/api/v1/purchase-requisitions/", "/api/v1/purchase-orders/",
                "/api/v1/work-orders/", "/api/v1/supply-exceptions/", f"/api/v1/purchase-orders/{po.pk}/"):
        assert_problem(sales.get(url), 403, "permission_denied")
    assert_problem(sales.post(f"/api/v1/purchase-orders/{po.pk}/transitions/send/", {}, format="json"), 403)
    assert_problem(sales.post("/api/v1/purchase-orders/", {}, format="json"), 403)
    # the warehouse sees purchase orders (to receive them) but neither plans nor sees work orders
    warehouse_client = client_for(users["warehouse"])
    assert warehouse_client.get(f"/api/v1/purchase-orders/{po.pk}/").json()["available_transitions"] == []
    assert_problem(warehouse_client.post(f"/api/v1/purchase-orders/{po.pk}/transitions/send/", {}, format="json"),
                   403, "permission_denied")
    assert_problem(warehouse_client.get("/api/v1/work-orders/"), 403)
    # the manager sees supply but does not plan it
    assert_problem(client_for(users["manager"]).post("/api/v1/purchase-requisitions/", {
        "product": ProductFactory().pk, "quantity": "1"}, format="json"), 403)
    # nobody's role may add suppliers
    assert_problem(client_for(users["planner"]).post("/api/v1/suppliers/", {"code": "X", "name": "X"},
                                                     format="json"), 403)
    assert_problem(APIClient().get("/api/v1/purchase-orders/"), 401, "not_authenticated")
    assert PurchaseOrder.objects.get().state == "draft"


def test_unknown_ids_are_404(users):
    planner = client_for(users["planner"])
    for url in ("/api/v1/purchase-orders/99999999/", "/api/v1/work-orders/99999999/",
                "/api/v1/purchase-requisitions/abc/", "/api/v1/supply-exceptions/99999999/",
                "/api/v1/suppliers/99999999/"):
        assert_problem(planner.get(url), 404, "not_found")
    for url, data in (("/api/v1/purchase-orders/99999999/transitions/send/", {}),
                      ("/api/v1/purchase-orders/99999999/delays/", {"new_expected_date": days(3), "note": "x"}),
                      ("/api/v1/work-orders/99999999/transitions/release/", {}),
                      ("/api/v1/work-orders/99999999/complete/", {"quantity": "1"}),
                      ("/api/v1/purchase-requisitions/99999999/cancel/", {}),
                      ("/api/v1/supply-exceptions/99999999/resolve/", {})):
        assert_problem(planner.post(url, data, format="json"), 404)


# --- requisitions --------------------------------------------------------------------------------

def test_planner_raises_and_cancels_a_requisition(users):
    product, warehouse = ProductFactory(supply_type="buy"), WarehouseFactory()
    planner = client_for(users["planner"])
    response = planner.post("/api/v1/purchase-requisitions/", {
        "sku": product.sku, "quantity": "12.5", "needed_by": days(10), "warehouse": warehouse.pk,
        "note": "Refill"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["state"], body["quantity"], body["warehouse"]["code"], body["sales_order_line"]) == (
        "open", "12.500", warehouse.code, None)
    cancelled = planner.post(f"/api/v1/purchase-requisitions/{body['id']}/cancel/", format="json")
    assert cancelled.json()["state"] == "cancelled"
    assert PurchaseRequisition.objects.get(pk=body["id"]).state == RequisitionState.CANCELLED
    assert_problem(planner.post(f"/api/v1/purchase-requisitions/{body['id']}/cancel/", format="json"), 409)
    for data, field in (({"product": product.pk, "quantity": "0"}, "quantity"),
                        ({"product": product.pk, "quantity": "1", "needed_by": days(-3)}, "needed_by"),
                        ({"product": product.pk, "quantity": "1", "warehouse": 99999999}, "warehouse"),
                        ({"product": product.pk, "quantity": "1", "note": "x" * 251}, "note")):
        assert field in assert_problem(planner.post("/api/v1/purchase-requisitions/", data, format="json"),
                                       400)["errors"]
    assert PurchaseRequisition.objects.count() == 1


# --- work orders ---------------------------------------------------------------------------------

def test_work_order_blocked_then_completed_fills_the_waiting_order(users):
    product = ProductFactory(supply_type="make", lead_time_days=10)
    WarehouseFactory()
    order = released(users, [(product, "4")])
    work_order = WorkOrder.objects.get(product=product)
    planner = client_for(users["planner"])
    listed = planner.get(f"/api/v1/work-orders/?sku={product.sku}&state=planned").json()["results"]
    assert [(w["id"], w["sales_order_line"]["order_number"], w["sales_order_line"]["line_no"]) for w in listed] == [
        (work_order.pk, order.number, 1)]
    assert listed[0]["available_transitions"] == ["release", "cancel"]
    url = f"/api/v1/work-orders/{work_order.pk}/"
    for step in ("release", "start"):
        assert planner.post(f"{url}transitions/{step}/", {}, format="json").status_code == 200

    blocked = planner.post(f"{url}block/", {"kind": "machine_breakdown", "note": "Press 2 down",
                                            "new_due_date": days(15)}, format="json")
    assert blocked.status_code == 201, blocked.content
    assert blocked.json()["affected_orders"] == [{"id": order.pk, "number": order.number}]
    assert order.lines.get().promise_date == TODAY + datetime.timedelta(days=15)
    detail = planner.get(url).json()
    assert (detail["state"], detail["due_date"], detail["available_transitions"]) == (
        "blocked", days(15), ["resume", "cancel"])
    assert [e["kind"] for e in detail["exceptions"]] == ["machine_breakdown"]

    body = assert_problem(planner.post(f"{url}complete/", {"quantity": "4"}, format="json"), 409)
    assert body["state"] == "blocked" and "resume" in body["allowed_transitions"]
    assert planner.post(f"{url}transitions/resume/", {}, format="json").json()["state"] == "in_progress"
    assert not SupplyException.objects.filter(resolved_at=None).exists()

    done = planner.post(f"{url}complete/", {"quantity": "5", "rejected": "1"}, format="json")
    assert done.status_code == 200, done.content
    assert (done.json()["state"], done.json()["completed_quantity"]) == ("done", "4.000")
    line = order.lines.get()
    assert (line.reserved_quantity, line.backorder_quantity) == (4, 0)
    assert StockLevel.objects.get(product=product).reserved == 4


def test_work_order_input_and_refusals(users):
    make, warehouse = ProductFactory(supply_type="make"), WarehouseFactory()
    planner = client_for(users["planner"])
    created = planner.post("/api/v1/work-orders/", {"product": make.pk, "quantity": "10", "warehouse": warehouse.pk,
                                                    "due_date": days(7)}, format="json")
    assert created.status_code == 201, created.content
    work_order_id = created.json()["id"]
    assert created.json()["sales_order_line"] is None
    base = {"product": make.pk, "quantity": "1", "warehouse": warehouse.pk, "due_date": days(7)}
    for change, field in (({"product": ProductFactory(supply_type="buy").pk}, "product"),
                          ({"quantity": "-1"}, "quantity"),
                          ({"quantity": "1.0001"}, "quantity"),
                          ({"due_date": days(-1)}, "due_date"),
                          ({"warehouse": 99999999}, "warehouse")):
        body = assert_problem(planner.post("/api/v1/work-orders/", {**base, **change}, format="json"), 400)
        assert field in body["errors"], change
    url = f"/api/v1/work-orders/{work_order_id}/"
    for data, field in (({"kind": "supplier_delay", "note": "x"}, "kind"),  # not a production exception
                        ({"kind": "machine_breakdown"}, "note"),
                        ({"kind": "machine_breakdown", "note": "x", "new_due_date": days(-2)}, "new_due_date")):
        assert field in assert_problem(planner.post(f"{url}block/", data, format="json"), 400)["errors"]
    assert_problem(planner.post(f"{url}transitions/cancel/", {}, format="json"), 400)
    body = assert_problem(planner.post(f"{url}transitions/start/", {}, format="json"), 409)
    assert (body["state"], set(body["allowed_transitions"])) == ("planned", {"release", "block", "cancel"})
    assert_problem(client_for(users["manager"]).post(f"{url}transitions/release/", {}, format="json"), 403)
    assert WorkOrder.objects.get(pk=work_order_id).state == "planned"


# --- exceptions board ----------------------------------------------------------------------------

def test_exceptions_board_lists_open_ones_by_default_and_resolves(users):
    product, warehouse = ProductFactory(supply_type="make"), WarehouseFactory()
    work_order = inventory.work_order_create(product=product, quantity="3", warehouse=warehouse, due_date=days(4),
                                             by=users["planner"])
    first = inventory.work_order_block(work_order_id=work_order.pk, kind="quality_issue", note="Burrs",
                                       by=users["planner"])
    planner = client_for(users["planner"])
    assert [e["id"] for e in planner.get("/api/v1/supply-exceptions/").json()["results"]] == [first.pk]
    resolved = planner.post(f"/api/v1/supply-exceptions/{first.pk}/resolve/", format="json").json()
    assert (resolved["is_open"], resolved["resolved_by"], resolved["available_actions"]) == (
        False, users["planner"].username, [])
    assert planner.get("/api/v1/supply-exceptions/").json()["count"] == 0
    assert planner.get("/api/v1/supply-exceptions/?open=false").json()["count"] == 1
    assert planner.get(f"/api/v1/supply-exceptions/{first.pk}/").json()["document_type"] == "work_order"
    assert_problem(planner.get("/api/v1/supply-exceptions/?open=maybe"), 400)
    assert_problem(planner.get("/api/v1/supply-exceptions/?kind=flood"), 400)
    # the manager sees the board, but only planners resolve
    assert client_for(users["manager"]).get("/api/v1/supply-exceptions/?open=false").json()["count"] == 1
    assert_problem(client_for(users["manager"]).post(f"/api/v1/supply-exceptions/{first.pk}/resolve/"), 403)


# --- query counts --------------------------------------------------------------------------------

def _queries(client, url: str) -> int:
    client.get(url)  # warm up caches that are not per request
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


def _supply_rows(users, n: int, warehouse, vendor) -> None:
    planner = users["planner"]
    for _ in range(n):
        make, buy = ProductFactory(supply_type="make"), ProductFactory(supply_type="buy")
        work_order = inventory.work_order_create(product=make, quantity="2", warehouse=warehouse,
                                                 due_date=days(5), by=planner)
        inventory.work_order_block(work_order_id=work_order.pk, kind="other", note="x", by=planner)
        inventory.requisition_create(product=buy, quantity="3", by=planner, warehouse=warehouse)
        po = inventory.purchase_order_create(supplier=vendor, warehouse=warehouse, expected_date=days(6),
                                             lines=[{"product": buy, "quantity": "1"},
                                                    {"product": make, "quantity": "1"}], by=planner)
        inventory.purchase_order_transition(purchase_order_id=po.pk, name="send", by=planner)
        inventory.purchase_order_delay(purchase_order_id=po.pk, new_expected_date=days(9), note="late", by=planner)


def test_supply_lists_cost_the_same_queries_for_one_or_ten_rows(users):
    warehouse, vendor = WarehouseFactory(), supplier()
    planner = client_for(users["planner"])
    urls = ["/api/v1/purchase-orders/", "/api/v1/work-orders/", "/api/v1/purchase-requisitions/",
            "/api/v1/supply-exceptions/", "/api/v1/suppliers/"]
    _supply_rows(users, 1, warehouse, vendor)
    one = {url: _queries(planner, url) for url in urls}
    _supply_rows(users, 9, warehouse, vendor)
    for index in range(9):
        supplier(f"SUP-X{index}")
    ten = {url: _queries(planner, url) for url in urls}
    assert planner.get("/api/v1/supply-exceptions/").json()["count"] == 20
    assert one == ten


# --- the order's priority and supply in the order API ---------------------------------------------

def test_planner_reprioritises_an_order_with_a_reason(users, bought):
    _product, _warehouse, order = bought
    planner = client_for(users["planner"])
    url = f"/api/v1/orders/{order.pk}/priority/"
    body = assert_problem(planner.post(url, {"boost": 100}, format="json"), 400, "validation_failed")
    assert "reason" in body["errors"]
    for data, field in (({"reason": "x", "boost": "lots"}, "boost"), ({"reason": "x", "boost": 1001}, "boost"),
                        ({"reason": "x", "urgent": "perhaps"}, "urgent")):
        assert field in assert_problem(planner.post(url, data, format="json"), 400)["errors"]
    before = SalesOrder.objects.get(pk=order.pk).priority
    response = planner.post(url, {"reason": "Customer's line is down", "boost": 250, "urgent": True}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    order.refresh_from_db()
    assert (order.urgent, order.priority_boost) == (True, 250) and order.priority > before
    assert (body["priority"], body["urgent"], body["priority_boost"]) == (order.priority, True, 250)
    event = OrderEvent.objects.get(order=order, kind="reprioritised")
    assert (event.by, event.reason) == (users["planner"], "Customer's line is down")
    # the planner never sees sales prices, here neither
    assert "total_amount" not in body and "unit_price" not in body["lines"][0]
    assert body["lines"][0]["reserved_quantity"] == "2.000" and body["lines"][0]["backorder_quantity"] == "3.000"


def test_priority_is_refused_without_the_permission_and_for_finished_orders(users):
    order = make_order(by=users["sales"])
    assert_problem(client_for(users["sales"]).post(f"/api/v1/orders/{order.pk}/priority/", {"reason": "Mine first"},
                                                   format="json"), 403, "permission_denied")
    assert_problem(APIClient().post(f"/api/v1/orders/{order.pk}/priority/", {"reason": "x"}, format="json"), 401)
    assert_problem(client_for(users["planner"]).post("/api/v1/orders/99999999/priority/", {"reason": "x"},
                                                     format="json"), 404)
    cancelled = order_in_state("cancelled", users)
    assert_problem(client_for(users["manager"]).post(f"/api/v1/orders/{cancelled.pk}/priority/", {"reason": "x"},
                                                     format="json"), 409, "priority_not_applicable")
    assert not OrderEvent.objects.filter(kind="reprioritised").exists()


def test_order_detail_query_count_does_not_grow_with_its_exceptions(users):
    product, warehouse = ProductFactory(supply_type="buy"), WarehouseFactory()
    order = released(users, [(product, "5")])
    vendor = supplier()
    requisition = PurchaseRequisition.objects.get(product=product)
    po = inventory.purchase_order_create(supplier=vendor, warehouse=warehouse, expected_date=days(5),
                                         requisition_ids=[requisition.pk], by=users["planner"])
    inventory.purchase_order_transition(purchase_order_id=po.pk, name="send", by=users["planner"])
    inventory.purchase_order_delay(purchase_order_id=po.pk, new_expected_date=days(8), note="a", by=users["planner"])
    client = client_for(users["manager"])
    url = f"/api/v1/orders/{order.pk}/"
    one = _queries(client, url)
    for offset in (11, 14, 17):
        inventory.purchase_order_delay(purchase_order_id=po.pk, new_expected_date=days(offset), note="again",
                                       by=users["planner"])
    assert len(client.get(url).json()["open_exceptions"]) == 4
    assert _queries(client, url) == one


def test_schema_documents_the_supply_endpoints_and_their_problems(users):
    client = APIClient()
    client.force_authenticate(users["planner"])
    paths = client.get("/api/v1/schema/?format=json").json()["paths"]
    transition = paths["/api/v1/purchase-orders/{id}/transitions/{name}/"]["post"]
    assert set(transition["responses"]) == {"200", "400", "401", "403", "404", "409", "415", "422", "429"}
    assert transition["responses"]["409"]["content"][PROBLEM]["schema"]["$ref"].endswith("/TransitionProblem")
    for path in ("/api/v1/work-orders/{id}/block/", "/api/v1/supply-exceptions/{id}/resolve/",
                 "/api/v1/purchase-requisitions/", "/api/v1/suppliers/", "/api/v1/orders/{id}/priority/"):
        assert path in paths


def test_purchase_prices_are_for_planners_not_the_warehouse(users):
    supplier = Supplier.objects.create(code="SUP-P", name="Priced supplies")
    product, warehouse = ProductFactory(standard_cost="12.34"), WarehouseFactory()
    purchase_order = inventory.purchase_order_create(
        supplier=supplier, warehouse=warehouse, expected_date=TODAY + datetime.timedelta(days=3), by=users["planner"],
        lines=[{"product": product, "quantity": "5", "unit_price": "12.34"}])
    planner = client_for(users["planner"]).get(f"/api/v1/purchase-orders/{purchase_order.pk}/").json()
    assert (planner["total_amount"], planner["lines"][0]["unit_price"]) == ("61.70", "12.34")
    warehouse_view = client_for(users["warehouse"]).get(f"/api/v1/purchase-orders/{purchase_order.pk}/").json()
    assert "total_amount" not in warehouse_view
    assert not {"unit_price", "line_total"} & set(warehouse_view["lines"][0])
    page = pages_client_for(users["warehouse"]).get(f"/inventory/purchase-orders/{purchase_order.pk}/")
    assert page.status_code == 200 and "12.34" not in page.content.decode()
    assert "12.34" in pages_client_for(users["planner"]).get(
        f"/inventory/purchase-orders/{purchase_order.pk}/").content.decode()
