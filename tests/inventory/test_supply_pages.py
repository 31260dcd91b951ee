"""The planners' pages: the exceptions board, work orders, purchase orders and
requisitions — who may see and do what, each action's effect in the database, refusals of
bad input that change nothing, and a fixed query count for the lists."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format

from inventory.models import (
    Location,
    PurchaseOrder,
    PurchaseOrderState,
    PurchaseRequisition,
    RequisitionState,
    StockLevel,
    Supplier,
    SupplyException,
    Warehouse,
    WorkOrder,
    WorkOrderState,
)
from inventory.services import (
    purchase_order_create,
    purchase_order_transition,
    rebalance,
    requisition_cancel,
    requisition_create,
    work_order_block,
    work_order_complete,
    work_order_create,
    work_order_transition,
)
from orders import services
from tests.factories import CustomerFactory, ProductFactory, WarehouseFactory, released_order, stock
from tests.pages import client_for, html

pytestmark = pytest.mark.django_db

BOARD = "/inventory/exceptions/"
WORK_ORDERS = "/inventory/work-orders/"
PURCHASE_ORDERS = "/inventory/purchase-orders/"
REQUISITIONS = "/inventory/requisitions/"
#: What a list page may cost, whatever the number of rows (session, user, permissions,
#: the page's count and rows, their prefetches, the forms' choices).
LIST_QUERIES = 10
#: The board: two counts, two pages of rows and their prefetches.
BOARD_QUERIES = 16


def _days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def _shown(day: datetime.date) -> str:
    return date_format(day, "DATE_FORMAT")


@pytest.fixture
def supplier() -> Supplier:
    return Supplier.objects.create(code="SUP-1", name="Acme Components", lead_time_days=12)


def waiting_for_production(users, *, quantity: str = "5", on_hand: str = "1", list_price: str = "987.65"):
    """An order released to fulfilment whose make item is short: a work order was raised."""
    product = ProductFactory(supply_type="make", lead_time_days=10, list_price=Decimal(list_price))
    stock(product, on_hand)
    order = released_order(users, customer=CustomerFactory(owner=users["sales"]), lines=[(product, quantity)])
    return order, WorkOrder.objects.get(sales_order_line__order=order)


def waiting_for_purchase(users, *, quantity: str = "4", product=None):
    """An order released to fulfilment whose bought-in item is short: a requisition was raised."""
    if product is None:
        product = ProductFactory(supply_type="buy", lead_time_days=7, standard_cost=Decimal("12.50"))
        stock(product, "1")
    order = released_order(users, customer=CustomerFactory(owner=users["sales"]), lines=[(product, quantity)])
    return order, PurchaseRequisition.objects.get(sales_order_line__order=order)


def sent_purchase_order(users, supplier, requisitions) -> PurchaseOrder:
    warehouse = requisitions[0].warehouse
    purchase_order = purchase_order_create(supplier=supplier, warehouse=warehouse, expected_date=_days(10),
                                           by=users["planner"], requisition_ids=[r.pk for r in requisitions])
    return purchase_order_transition(purchase_order_id=purchase_order.pk, name="send", by=users["planner"])


def _post(user, url: str, data: dict | None = None):
    return client_for(user).post(url, data or {})


# --- every page renders ------------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_page_renders_for_the_planner(users, supplier, language):
    order, work_order = waiting_for_production(users)
    work_order_block(work_order_id=work_order.pk, kind="machine_breakdown", note="Press 3 down", by=users["planner"],
                     new_due_date=_days(20))
    _, requisition = waiting_for_purchase(users)
    _, other = waiting_for_purchase(users)
    purchase_order = sent_purchase_order(users, supplier, [requisition])
    client = client_for(users["planner"], language=language)
    for url in (BOARD, WORK_ORDERS, f"{WORK_ORDERS}?state=open", f"{WORK_ORDERS}{work_order.pk}/", f"{WORK_ORDERS}new/",
                PURCHASE_ORDERS, f"{PURCHASE_ORDERS}?state=open&supplier={supplier.pk}",
                f"{PURCHASE_ORDERS}{purchase_order.pk}/", f"{PURCHASE_ORDERS}new/?requisitions={other.pk}",
                REQUISITIONS, f"{REQUISITIONS}?state=all"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'lang="{language}"' in html(response), url
    board = html(client.get(BOARD))
    assert work_order.number in board and order.number in board and f'href="/orders/{order.pk}/"' in board


def test_empty_pages_say_so(users):
    client = client_for(users["planner"])
    board = html(client.get(BOARD))
    assert "No open exceptions" in board and "No order is waiting for supply." in board
    assert "There are no work orders yet." in html(client.get(WORK_ORDERS))
    assert "There are no purchase orders yet." in html(client.get(PURCHASE_ORDERS))
    assert "No open requisitions" in html(client.get(REQUISITIONS))


def test_bad_filters_and_pages_do_not_break_the_lists(users):
    client = client_for(users["planner"])
    for url in (f"{WORK_ORDERS}?state=nonsense&page=x", f"{PURCHASE_ORDERS}?supplier=999999&state=x&page=-1",
                f"{REQUISITIONS}?state=x&page=99", f"{BOARD}?page=abc&waiting_page=9",
                f"{PURCHASE_ORDERS}new/?requisitions=1,x,99999999999999999"):
        assert client.get(url).status_code == 200, url


# --- who may see and do what ---------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["sales", "order_desk"])
def test_sales_and_the_order_desk_are_refused(users, supplier, role):
    _, work_order = waiting_for_production(users)
    _, requisition = waiting_for_purchase(users)
    purchase_order = sent_purchase_order(users, supplier, [requisition])
    client = client_for(users[role])
    for url in (BOARD, WORK_ORDERS, f"{WORK_ORDERS}{work_order.pk}/", f"{WORK_ORDERS}new/", PURCHASE_ORDERS,
                f"{PURCHASE_ORDERS}{purchase_order.pk}/", f"{PURCHASE_ORDERS}new/", REQUISITIONS):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Not allowed" in html(response)
    line = purchase_order.lines.get()
    for url, data in ((f"{WORK_ORDERS}{work_order.pk}/release/", {}),
                      (f"{WORK_ORDERS}{work_order.pk}/block/", {"kind": "other", "note": "x"}),
                      (f"{PURCHASE_ORDERS}{purchase_order.pk}/receive/", {f"line-{line.pk}-quantity": "1"}),
                      (f"{PURCHASE_ORDERS}{purchase_order.pk}/cancel/", {"reason": "x"}),
                      (f"{REQUISITIONS}new/", {"new-product": str(requisition.product_id), "new-quantity": "1"})):
        assert client.post(url, data).status_code == 403, url
    work_order.refresh_from_db()
    purchase_order.refresh_from_db()
    assert (work_order.state, purchase_order.state) == (WorkOrderState.PLANNED, PurchaseOrderState.SENT)
    assert not SupplyException.objects.exists() and PurchaseRequisition.objects.count() == 1


def test_managers_see_the_pages_without_the_planners_buttons(users, supplier):
    order, work_order = waiting_for_production(users)
    _, requisition = waiting_for_purchase(users)
    purchase_order = sent_purchase_order(users, supplier, [requisition])
    client = client_for(users["manager"])
    assert client.get(BOARD).status_code == 200
    page = html(client.get(f"{WORK_ORDERS}{work_order.pk}/"))
    assert order.number in page and 'data-action="release"' not in page and 'data-action="block"' not in page
    page = html(client.get(f"{PURCHASE_ORDERS}{purchase_order.pk}/"))
    assert 'data-action="receive"' not in page and 'data-action="delay"' not in page
    assert 'data-action="create-purchase-order"' not in html(client.get(REQUISITIONS))
    assert client.get(f"{WORK_ORDERS}new/").status_code == 403
    assert client.post(f"{WORK_ORDERS}{work_order.pk}/release/").status_code == 403
    work_order.refresh_from_db()
    assert work_order.state == WorkOrderState.PLANNED


def test_the_warehouse_receives_purchase_orders_but_does_not_plan(users, supplier):
    _, requisition = waiting_for_purchase(users)
    purchase_order = sent_purchase_order(users, supplier, [requisition])
    client = client_for(users["warehouse"])
    page = html(client.get(f"{PURCHASE_ORDERS}{purchase_order.pk}/"))
    assert 'data-action="receive"' in page and 'data-action="confirm"' not in page and 'data-action="delay"' not in page
    for url in (BOARD, WORK_ORDERS, REQUISITIONS):
        assert client.get(url).status_code == 403, url
    assert client.post(f"{PURCHASE_ORDERS}{purchase_order.pk}/confirm/").status_code == 403
    line = purchase_order.lines.get()
    response = client.post(f"{PURCHASE_ORDERS}{purchase_order.pk}/receive/", {f"line-{line.pk}-quantity": "2"})
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.received_quantity == 2


def test_sales_prices_are_never_shown(users, supplier):
    order, work_order = waiting_for_production(users, list_price="987.65")
    work_order_block(work_order_id=work_order.pk, kind="quality_issue", note="Bad paint", by=users["planner"])
    client = client_for(users["planner"])
    for url in (BOARD, WORK_ORDERS, f"{WORK_ORDERS}{work_order.pk}/"):
        assert "987.65" not in html(client.get(url)), url


def test_unknown_documents_are_not_found(users):
    client = client_for(users["planner"])
    for url in (f"{WORK_ORDERS}999999/", f"{PURCHASE_ORDERS}999999/"):
        assert client.get(url).status_code == 404
    assert client.post(f"{WORK_ORDERS}999999/release/").status_code == 404
    assert client.post("/inventory/exceptions/999999/resolve/").status_code == 404


# --- the exceptions board -------------------------------------------------------------------------------

def test_blocking_a_work_order_with_a_new_date_puts_it_on_the_board_with_the_affected_order(users):
    order, work_order = waiting_for_production(users)
    previous = work_order.due_date
    planner = client_for(users["planner"])
    response = planner.post(f"{WORK_ORDERS}{work_order.pk}/block/", {
        "kind": "machine_breakdown", "note": "Press 3 hydraulic failure", "new_due_date": _days(30).isoformat()})
    assert response.status_code == 302
    exception = SupplyException.objects.get(work_order=work_order)
    assert (exception.kind, exception.previous_date, exception.new_date, exception.raised_by) == (
        "machine_breakdown", previous, _days(30), users["planner"])
    assert list(exception.affected_orders.all()) == [order]
    work_order.refresh_from_db()
    assert (work_order.state, work_order.due_date) == (WorkOrderState.BLOCKED, _days(30))
    line = order.lines.get()
    assert line.promise_date == _days(30)  # the order's promise moved with the work order

    board = html(planner.get(BOARD))
    assert f'data-exception="{exception.pk}"' in board
    assert "Press 3 hydraulic failure" in board and "Machine breakdown" in board
    assert f'href="/inventory/work-orders/{work_order.pk}/"' in board
    assert f'data-affected-order="{order.pk}"' in board and f'href="/orders/{order.pk}/"' in board
    assert _shown(previous) in board and _shown(_days(30)) in board
    assert "Press 3 hydraulic failure" in html(planner.get(f"{WORK_ORDERS}{work_order.pk}/"))

    response = planner.post(f"/inventory/exceptions/{exception.pk}/resolve/", {"next": BOARD})
    assert response.status_code == 302 and response["Location"] == BOARD
    exception.refresh_from_db()
    assert exception.resolved_by == users["planner"] and exception.resolved_at is not None
    assert "No open exceptions" in html(planner.get(BOARD))


def test_the_board_lists_the_lines_waiting_for_supply_with_what_was_raised(users, supplier):
    order, work_order = waiting_for_production(users, quantity="5", on_hand="1")
    bought, requisition = waiting_for_purchase(users)
    purchase_order = sent_purchase_order(users, supplier, [requisition])
    waiting = html(client_for(users["planner"]).get(BOARD)).split('id="waiting"')[1]
    line = order.lines.get()
    assert f'data-waiting-line="{line.pk}"' in waiting and f'data-waiting-line="{bought.lines.get().pk}"' in waiting
    assert work_order.number in waiting and requisition.number in waiting and purchase_order.number in waiting
    assert f'href="/inventory/purchase-orders/{purchase_order.pk}/"' in waiting


def test_the_board_says_when_no_supply_is_planned(users):
    product = ProductFactory(supply_type="buy", lead_time_days=7)
    stock(product, "1")
    order, requisition = waiting_for_purchase(users, product=product)
    rebalance(product_ids=[product.pk])  # what runs after the release commits: nothing incoming covers the line
    assert order.lines.get().promise_date is None
    waiting = html(client_for(users["planner"]).get(BOARD)).split('id="waiting"')[1]
    assert "no supply planned" in waiting and requisition.number in waiting


def waiting_after_rejects(users):
    """An order released to fulfilment whose work order is done but part of what it made
    failed inspection: the line still waits for 2, with no supply planned."""
    order, work_order = waiting_for_production(users, quantity="5", on_hand="1")
    for step in ("release", "start"):
        work_order_transition(work_order_id=work_order.pk, name=step, by=users["planner"])
    work_order_complete(work_order_id=work_order.pk, quantity="4", rejected="2", by=users["planner"])
    line = order.lines.get()
    assert (line.backorder_quantity, line.promise_date) == (2, None)
    return order, line


def _raise_supply_url(line) -> str:
    return f"/inventory/exceptions/lines/{line.pk}/raise-supply/"


def _waiting_row(page: str, line) -> str:
    return page.split(f'data-waiting-line="{line.pk}"')[1].split("</tr>")[0]


def test_the_raise_supply_button_shows_only_for_lines_without_supply_and_for_planners(users):
    covered, _ = waiting_for_production(users)
    covered = covered.lines.get()
    assert covered.promise_date is not None  # its work order is planned
    _, uncovered = waiting_after_rejects(users)
    board = html(client_for(users["planner"]).get(BOARD))
    assert 'data-action="raise-supply"' in _waiting_row(board, uncovered)
    assert f'action="{_raise_supply_url(uncovered)}"' in board
    assert 'data-action="raise-supply"' not in _waiting_row(board, covered)
    board = html(client_for(users["manager"]).get(BOARD))  # sees the board, does not plan
    assert f'data-waiting-line="{uncovered.pk}"' in board and 'data-action="raise-supply"' not in board


def test_raise_supply_raises_a_work_order_for_what_the_line_still_waits_for_once(users):
    order, line = waiting_after_rejects(users)
    done = WorkOrder.objects.get(sales_order_line=line)
    planner = client_for(users["planner"])
    response = planner.post(_raise_supply_url(line), {"next": BOARD})
    assert response.status_code == 302 and response["Location"] == BOARD
    raised = WorkOrder.objects.exclude(pk=done.pk).get(sales_order_line=line)
    assert (raised.quantity, raised.state, raised.product_id) == (2, WorkOrderState.PLANNED, line.product_id)
    line.refresh_from_db()
    assert line.promise_date == raised.due_date  # the new work order is promised to the line
    board = html(planner.get(BOARD))
    assert "A work order was raised" in board and raised.number in _waiting_row(board, line)
    assert 'data-action="raise-supply"' not in _waiting_row(board, line)

    response = planner.post(_raise_supply_url(line), {"next": BOARD}, follow=True)
    assert response.status_code == 200 and response.redirect_chain[-1][0] == BOARD
    assert "Open work or purchase orders already cover this line." in html(response)
    assert WorkOrder.objects.filter(sales_order_line=line).count() == 2


def test_raise_supply_raises_a_requisition_for_a_bought_in_item(users):
    order, requisition = waiting_for_purchase(users)
    requisition_cancel(requisition_id=requisition.pk, by=users["planner"])
    rebalance(product_ids=[requisition.product_id])
    line = order.lines.get()
    assert line.promise_date is None
    response = client_for(users["planner"]).post(_raise_supply_url(line), follow=True)
    assert response.redirect_chain[-1][0] == "/inventory/exceptions/"
    assert "A purchase requisition was raised" in html(response)
    raised = PurchaseRequisition.objects.get(sales_order_line=line, state=RequisitionState.OPEN)
    assert raised.quantity == line.backorder_quantity == 3


@pytest.mark.parametrize("role", ["sales", "manager", "warehouse"])
def test_raise_supply_is_refused_to_those_who_do_not_plan(users, role):
    _, line = waiting_after_rejects(users)
    client = client_for(users[role])
    assert client.post(_raise_supply_url(line)).status_code == 403
    assert WorkOrder.objects.filter(sales_order_line=line).count() == 1


def test_raise_supply_for_an_unknown_line_or_by_get_changes_nothing(users):
    planner = client_for(users["planner"])
    assert planner.post("/inventory/exceptions/lines/999999/raise-supply/").status_code == 404
    _, line = waiting_after_rejects(users)
    assert planner.get(_raise_supply_url(line)).status_code == 405
    assert WorkOrder.objects.filter(sales_order_line=line).count() == 1


# --- work orders -----------------------------------------------------------------------------------------

def test_a_work_order_goes_through_its_steps_on_its_page(users):
    order, work_order = waiting_for_production(users, quantity="5", on_hand="1")
    planner = client_for(users["planner"])
    url = f"{WORK_ORDERS}{work_order.pk}/"
    assert 'data-action="release"' in html(planner.get(url))
    for step, state in (("release", WorkOrderState.RELEASED), ("start", WorkOrderState.IN_PROGRESS)):
        assert planner.post(f"{url}{step}/").status_code == 302
        work_order.refresh_from_db()
        assert work_order.state == state
    planner.post(f"{url}block/", {"kind": "material_shortage", "note": "No steel"})
    assert planner.post(f"{url}resume/").status_code == 302
    work_order.refresh_from_db()
    assert work_order.state == WorkOrderState.IN_PROGRESS
    assert SupplyException.objects.get(work_order=work_order).resolved_at is not None

    warehouse = work_order.warehouse
    location = Location.objects.create(warehouse=warehouse, code="A-01")
    response = planner.post(f"{url}complete/", {"quantity": "4", "rejected": "1", "batch": "WO-B1",
                                                "location": str(location.pk)})
    assert response.status_code == 302
    work_order.refresh_from_db()
    assert (work_order.state, work_order.completed_quantity, work_order.rejected_quantity) == (
        WorkOrderState.DONE, 3, 1)
    assert StockLevel.objects.get(product=work_order.product, warehouse=warehouse).on_hand == 1 + 3
    line = order.lines.get()
    assert (line.reserved_quantity, line.backorder_quantity) == (4, 1)  # the made goods went to the order
    page = html(planner.get(url))
    assert "3 accepted, 1 rejected at inspection" in page and 'data-action="release"' not in page


def test_bad_input_on_a_work_order_shows_form_errors_and_changes_nothing(users):
    _, work_order = waiting_for_production(users)
    planner = client_for(users["planner"])
    url = f"{WORK_ORDERS}{work_order.pk}/"
    response = planner.post(f"{url}block/", {"kind": "supplier_delay", "note": " "})
    assert response.status_code == 400
    assert html(response).count('class="errorlist') >= 2  # the kind and the note
    response = planner.post(f"{url}block/", {"kind": "other", "note": "x", "new_due_date": _days(-3).isoformat()})
    assert response.status_code == 400 and "The date cannot be in the past." in html(response)
    response = planner.post(f"{url}cancel/", {"reason": ""})
    assert response.status_code == 400 and "This field is required." in html(response)
    response = planner.post(f"{url}complete/", {"quantity": "2"})  # planned: not in production yet
    assert response.status_code == 409 and "not possible now" in html(response)
    work_order.refresh_from_db()
    assert work_order.state == WorkOrderState.PLANNED and not SupplyException.objects.exists()
    assert StockLevel.objects.get(product=work_order.product).on_hand == 1

    planner.post(f"{url}release/")
    planner.post(f"{url}start/")
    other_warehouse_location = Location.objects.create(warehouse=WarehouseFactory(), code="X-1")
    for data in ({"quantity": "2", "rejected": "3"}, {"quantity": "-1"}, {"quantity": "abc"},
                 {"quantity": "2", "location": str(other_warehouse_location.pk)}):
        response = planner.post(f"{url}complete/", data)
        assert response.status_code == 400, data
        assert "errorlist" in html(response), data
    work_order.refresh_from_db()
    assert work_order.state == WorkOrderState.IN_PROGRESS

    response = planner.post(f"{url}cancel/", {"reason": "Customer changed the design"})  # in progress: refused
    assert response.status_code == 409
    planner.post(f"{url}block/", {"kind": "other", "note": "stop"})
    assert planner.post(f"{url}cancel/", {"reason": "Customer changed the design"}).status_code == 302
    work_order.refresh_from_db()
    assert work_order.state == WorkOrderState.CANCELLED and "Customer changed the design" in work_order.notes


def test_a_make_to_stock_work_order_is_planned_from_its_page(users):
    product = ProductFactory(supply_type="make", sku="MTS-1")
    bought = ProductFactory(supply_type="buy", sku="BUY-1")
    warehouse = WarehouseFactory(code="MAIN")
    planner = client_for(users["planner"])
    page = html(planner.get(f"{WORK_ORDERS}new/"))
    assert "MTS-1" in page and "BUY-1" not in page  # only make items are produced
    response = planner.post(f"{WORK_ORDERS}new/", {"product": str(bought.pk), "quantity": "5",
                                                   "warehouse": str(warehouse.pk), "due_date": _days(5).isoformat()})
    assert response.status_code == 400 and not WorkOrder.objects.exists()
    response = planner.post(f"{WORK_ORDERS}new/", {"product": str(product.pk), "quantity": "5",
                                                   "warehouse": str(warehouse.pk), "due_date": _days(-1).isoformat()})
    assert response.status_code == 400 and "The date cannot be in the past." in html(response)
    assert not WorkOrder.objects.exists()
    response = planner.post(f"{WORK_ORDERS}new/", {"product": str(product.pk), "quantity": "5",
                                                   "warehouse": str(warehouse.pk), "due_date": _days(5).isoformat(),
                                                   "notes": "Stock for the fair"})
    work_order = WorkOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{WORK_ORDERS}{work_order.pk}/"
    assert (work_order.product, work_order.quantity, work_order.due_date, work_order.sales_order_line) == (
        product, 5, _days(5), None)
    assert "Made to stock" in html(planner.get(response["Location"]))


# --- purchase orders -------------------------------------------------------------------------------------

def test_a_purchase_order_is_created_from_two_requisitions(users, supplier):
    first_order, first = waiting_for_purchase(users, quantity="5")  # 1 in stock: 4 to buy
    second_order, second = waiting_for_purchase(users, quantity="7")  # 6 to buy
    extra = ProductFactory(supply_type="buy", sku="EXTRA-1", standard_cost=Decimal("3.00"))
    planner = client_for(users["planner"])
    url = f"{PURCHASE_ORDERS}new/?requisitions={first.pk},{second.pk}"
    page = html(planner.get(url))
    assert f'value="{first.pk}" id="id_requisition_{first.pk}" checked' in page
    assert f'value="{second.pk}" id="id_requisition_{second.pk}" checked' in page
    assert first_order.number in page and second_order.number in page

    form = {"supplier": str(supplier.pk), "warehouse": str(first.warehouse_id), "expected_date": "",
            "requisitions": [str(first.pk), str(second.pk)], "notes": "Urgent for two orders",
            "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "0",
            "lines-0-product": str(extra.pk), "lines-0-quantity": "10", "lines-0-unit_price": "",
            "lines-1-product": "", "lines-1-quantity": "", "lines-1-unit_price": ""}
    response = planner.post(url, form)
    purchase_order = PurchaseOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{PURCHASE_ORDERS}{purchase_order.pk}/"
    assert (purchase_order.supplier, purchase_order.state, purchase_order.expected_date) == (
        supplier, PurchaseOrderState.DRAFT, _days(supplier.lead_time_days))
    lines = {line.product.sku: line for line in purchase_order.lines.select_related("product")}
    assert lines["EXTRA-1"].quantity == 10 and lines["EXTRA-1"].unit_price == Decimal("3.00")
    assert lines[first.product.sku].quantity == 4 and lines[second.product.sku].quantity == 6
    for requisition in (first, second):
        requisition.refresh_from_db()
        assert requisition.state == RequisitionState.ORDERED
    detail = html(planner.get(response["Location"]))
    assert first.number in detail and f'href="/orders/{second_order.pk}/"' in detail

    # the requisitions are taken now: offered again, they are left out
    page = html(planner.get(url))
    assert "no longer open" in page and f'id="id_requisition_{first.pk}"' not in page


def test_the_requisitions_page_sends_the_ticked_ones_to_a_new_purchase_order(users, supplier):
    _, first = waiting_for_purchase(users)
    _, second = waiting_for_purchase(users)
    planner = client_for(users["planner"])
    page = html(planner.get(REQUISITIONS))
    assert 'id="create-po"' in page and f'value="{first.pk}" form="create-po"' in page
    page = html(planner.get(f"{PURCHASE_ORDERS}new/", {"requisitions": [first.pk, second.pk]}))
    assert f'id="id_requisition_{first.pk}" checked' in page and f'id="id_requisition_{second.pk}" checked' in page


def test_bad_input_on_a_new_purchase_order_changes_nothing(users, supplier):
    _, requisition = waiting_for_purchase(users)
    planner = client_for(users["planner"])
    url = f"{PURCHASE_ORDERS}new/?requisitions={requisition.pk}"
    base = {"supplier": str(supplier.pk), "warehouse": str(requisition.warehouse_id), "expected_date": "",
            "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-0-product": "", "lines-0-quantity": ""}
    response = planner.post(url, base)  # nothing ticked, no lines
    assert response.status_code == 400 and "Add at least one line or requisition." in html(response)
    response = planner.post(url, {**base, "requisitions": [str(requisition.pk)],
                                  "expected_date": _days(-2).isoformat()})
    assert response.status_code == 400 and "The date cannot be in the past." in html(response)
    response = planner.post(url, {**base, "requisitions": [str(requisition.pk)], "lines-0-quantity": "3"})
    assert response.status_code == 400 and "Choose a product." in html(response)
    response = planner.post(url, {**base, "supplier": "", "requisitions": [str(requisition.pk)]})
    assert response.status_code == 400
    assert not PurchaseOrder.objects.exists()
    requisition.refresh_from_db()
    assert requisition.state == RequisitionState.OPEN

    response = planner.post(url, {**base, "add_row": "1"})  # "add a row" only adds a row
    assert response.status_code == 200 and 'name="lines-1-product"' in html(response)
    assert not PurchaseOrder.objects.exists()


def test_a_purchase_order_is_sent_confirmed_delayed_and_cancelled_from_its_page(users, supplier):
    order, requisition = waiting_for_purchase(users)
    purchase_order = purchase_order_create(supplier=supplier, warehouse=requisition.warehouse,
                                           expected_date=_days(10), by=users["planner"],
                                           requisition_ids=[requisition.pk])
    planner = client_for(users["planner"])
    url = f"{PURCHASE_ORDERS}{purchase_order.pk}/"
    assert planner.post(f"{url}send/").status_code == 302
    assert planner.post(f"{url}confirm/", {"supplier_reference": "AC-7781"}).status_code == 302
    purchase_order.refresh_from_db()
    assert (purchase_order.state, purchase_order.supplier_reference) == (PurchaseOrderState.CONFIRMED, "AC-7781")
    assert order.lines.get().promise_date == _days(10)

    response = planner.post(f"{url}delay/", {"new_expected_date": _days(25).isoformat(), "note": "Port strike"})
    assert response.status_code == 302
    purchase_order.refresh_from_db()
    exception = SupplyException.objects.get(purchase_order=purchase_order)
    assert (purchase_order.expected_date, exception.kind, exception.previous_date, exception.new_date) == (
        _days(25), "supplier_delay", _days(10), _days(25))
    assert list(exception.affected_orders.all()) == [order]
    assert order.lines.get().promise_date == _days(25)
    board = html(planner.get(BOARD))
    assert "Port strike" in board and f'href="{url}"' in board and f'data-affected-order="{order.pk}"' in board

    response = planner.post(f"{url}delay/", {"new_expected_date": _days(-1).isoformat(), "note": "x"})
    assert response.status_code == 400 and "The date cannot be in the past." in html(response)
    response = planner.post(f"{url}delay/", {"new_expected_date": _days(30).isoformat(), "note": ""})
    assert response.status_code == 400
    response = planner.post(f"{url}cancel/", {"reason": " "})
    assert response.status_code == 400
    purchase_order.refresh_from_db()
    assert (purchase_order.state, purchase_order.expected_date) == (PurchaseOrderState.CONFIRMED, _days(25))
    assert SupplyException.objects.count() == 1

    assert planner.post(f"{url}cancel/", {"reason": "Supplier cannot deliver"}).status_code == 302
    purchase_order.refresh_from_db()
    requisition.refresh_from_db()
    assert purchase_order.state == PurchaseOrderState.CANCELLED and requisition.state == RequisitionState.OPEN
    assert planner.post(f"{url}send/").status_code == 409  # cancelled: nothing more


def test_receiving_a_purchase_order_line_with_part_rejected(users, supplier):
    order, requisition = waiting_for_purchase(users, quantity="4")  # 1 reserved, 3 backordered
    purchase_order = sent_purchase_order(users, supplier, [requisition])
    line = purchase_order.lines.get()
    assert line.quantity == 3
    location = Location.objects.create(warehouse=purchase_order.warehouse, code="B-07")
    planner = client_for(users["planner"])
    url = f"{PURCHASE_ORDERS}{purchase_order.pk}/"
    response = planner.post(f"{url}receive/", {f"line-{line.pk}-quantity": "3", f"line-{line.pk}-rejected": "1",
                                               f"line-{line.pk}-batch": "LOT-9",
                                               f"line-{line.pk}-expires_on": _days(365).isoformat(),
                                               f"line-{line.pk}-location": str(location.pk)})
    assert response.status_code == 302
    line.refresh_from_db()
    purchase_order.refresh_from_db()
    assert (line.received_quantity, line.rejected_quantity, line.open_quantity) == (2, 1, 0)
    assert purchase_order.state == PurchaseOrderState.RECEIVED
    assert StockLevel.objects.get(product=line.product, warehouse=purchase_order.warehouse).on_hand == 1 + 2
    order_line = order.lines.get()
    assert (order_line.reserved_quantity, order_line.backorder_quantity) == (3, 1)
    page = html(planner.get(url))
    assert 'data-action="receive"' not in page  # nothing is still to come
    assert '<td class="num" data-rejected><span class="bad-text">1</span></td>' in page


def test_bad_receipts_show_form_errors_and_receive_nothing(users, supplier):
    _, requisition = waiting_for_purchase(users, quantity="6")
    purchase_order = sent_purchase_order(users, supplier, [requisition])
    line = purchase_order.lines.get()
    planner = client_for(users["planner"])
    url = f"{PURCHASE_ORDERS}{purchase_order.pk}/receive/"
    for data, text in (({}, "Enter the quantity that arrived on at least one line."),
                       ({"quantity": "2", "rejected": "3"}, "More was rejected than arrived."),
                       ({"quantity": "99"}, "are still to come on this line"),
                       ({"rejected": "1"}, "Enter the quantity that arrived."),
                       ({"quantity": "x"}, "Enter a number.")):
        response = planner.post(url, {f"line-{line.pk}-{name}": value for name, value in data.items()})
        assert response.status_code == 400, data
        assert text in html(response), data
    line.refresh_from_db()
    purchase_order.refresh_from_db()
    assert (line.received_quantity, line.rejected_quantity, purchase_order.state) == (0, 0, PurchaseOrderState.SENT)


# --- requisitions ----------------------------------------------------------------------------------------

def test_a_manual_requisition_is_raised_and_cancelled_from_the_list(users):
    product = ProductFactory(sku="REFILL-1", supply_type="stock")
    warehouse = WarehouseFactory(code="SH")
    planner = client_for(users["planner"])
    response = planner.post(f"{REQUISITIONS}new/", {"new-product": str(product.pk), "new-quantity": "0",
                                                    "new-warehouse": str(warehouse.pk)})
    assert response.status_code == 400 and not PurchaseRequisition.objects.exists()
    response = planner.post(f"{REQUISITIONS}new/", {"new-product": str(product.pk), "new-quantity": "40",
                                                    "new-needed_by": _days(-5).isoformat()})
    assert response.status_code == 400 and "The date cannot be in the past." in html(response)
    assert not PurchaseRequisition.objects.exists()
    response = planner.post(f"{REQUISITIONS}new/", {"new-product": str(product.pk), "new-quantity": "40",
                                                    "new-needed_by": _days(20).isoformat(),
                                                    "new-warehouse": str(warehouse.pk), "new-note": "Refill"})
    assert response.status_code == 302
    requisition = PurchaseRequisition.objects.get()
    assert (requisition.product, requisition.quantity, requisition.warehouse, requisition.created_by) == (
        product, 40, warehouse, users["planner"])
    assert f'data-requisition="{requisition.pk}"' in html(planner.get(REQUISITIONS))

    response = planner.post(f"{REQUISITIONS}{requisition.pk}/cancel/", {"next": REQUISITIONS})
    assert response.status_code == 302
    requisition.refresh_from_db()
    assert requisition.state == RequisitionState.CANCELLED
    assert f'data-requisition="{requisition.pk}"' not in html(planner.get(REQUISITIONS))
    assert f'data-requisition="{requisition.pk}"' in html(planner.get(REQUISITIONS, {"state": "all"}))
    response = planner.post(f"{REQUISITIONS}{requisition.pk}/cancel/", follow=True)
    assert "Only an open requisition can be cancelled." in html(response)


def test_requisitions_are_listed_highest_priority_first(users):
    product = ProductFactory(supply_type="buy")
    stock(product, "1")
    low_order, low = waiting_for_purchase(users, product=product, quantity="3")
    high_order, high = waiting_for_purchase(users, product=product, quantity="3")
    high_order = services.order_reprioritise(order_id=high_order.pk, by=users["planner"], reason="Line stopped",
                                             urgent=True)
    low_order.refresh_from_db()
    assert high_order.priority > low_order.priority
    page = html(client_for(users["planner"]).get(REQUISITIONS))
    assert page.index(f'data-requisition="{high.pk}"') < page.index(f'data-requisition="{low.pk}"')


# --- fixed query counts ----------------------------------------------------------------------------------

def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def _blocked_orders(users, count: int) -> None:
    for _ in range(count):
        _, work_order = waiting_for_production(users)
        work_order_block(work_order_id=work_order.pk, kind="other", note="stop", by=users["planner"])


def test_the_board_costs_the_same_for_one_or_ten_rows(users, supplier):
    _, requisition = waiting_for_purchase(users)
    sent_purchase_order(users, supplier, [requisition])
    _blocked_orders(users, 1)
    client = client_for(users["planner"])
    one = _queries(client, BOARD)
    _blocked_orders(users, 9)
    _, requisition = waiting_for_purchase(users)
    sent_purchase_order(users, supplier, [requisition])
    page = html(client.get(BOARD))
    assert page.count("data-exception=") == 10 and page.count("data-waiting-line=") == 12
    assert _queries(client, BOARD) == one <= BOARD_QUERIES


def test_the_lists_cost_the_same_for_one_or_ten_rows(users, supplier):
    warehouse = WarehouseFactory()
    make, buy = ProductFactory(supply_type="make"), ProductFactory(supply_type="buy")

    def add_rows(count: int) -> None:
        for _ in range(count):
            waiting_for_production(users)  # a work order for an order
            work_order_create(product=make, quantity="2", warehouse=warehouse, due_date=_days(9), by=users["planner"])
            _, requisition = waiting_for_purchase(users)
            purchase_order_create(supplier=supplier, warehouse=warehouse, expected_date=_days(9), by=users["planner"],
                                  requisition_ids=[requisition.pk], lines=[{"product": buy, "quantity": "3"}])
            requisition_create(product=buy, quantity="5", warehouse=warehouse, by=users["planner"])

    client = client_for(users["planner"])
    add_rows(1)
    urls = (WORK_ORDERS, PURCHASE_ORDERS, REQUISITIONS, f"{REQUISITIONS}?state=all")
    one = {url: _queries(client, url) for url in urls}
    add_rows(9)
    assert html(client.get(PURCHASE_ORDERS)).count("data-purchase-order=") == 10
    assert html(client.get(WORK_ORDERS)).count("data-work-order=") == 20
    assert {url: _queries(client, url) for url in urls} == one
    assert max(one.values()) <= LIST_QUERIES


def test_the_detail_pages_cost_the_same_however_many_lines(users, supplier, django_assert_max_num_queries):
    planner = client_for(users["planner"])
    warehouse = Warehouse.objects.create(code="DET", name="Detail")
    small = purchase_order_create(supplier=supplier, warehouse=warehouse, expected_date=_days(5), by=users["planner"],
                                  lines=[{"product": ProductFactory(), "quantity": "1"}])
    big = purchase_order_create(supplier=supplier, warehouse=warehouse, expected_date=_days(5), by=users["planner"],
                                lines=[{"product": ProductFactory(), "quantity": "1"} for _ in range(8)])
    for purchase_order in (small, big):
        purchase_order_transition(purchase_order_id=purchase_order.pk, name="send", by=users["planner"])
    counts = [_queries(planner, f"{PURCHASE_ORDERS}{po.pk}/") for po in (small, big)]
    assert counts[0] == counts[1]
    assert html(planner.get(f"{PURCHASE_ORDERS}{big.pk}/")).count("data-receive-line=") == 8


def test_the_lists_filter_by_state_and_supplier(users, supplier):
    other = Supplier.objects.create(code="SUP-2", name="Bolt & Nut Trading")
    warehouse = WarehouseFactory()
    product = ProductFactory(supply_type="buy")
    ours = purchase_order_create(supplier=supplier, warehouse=warehouse, expected_date=_days(9), by=users["planner"],
                                 lines=[{"product": product, "quantity": "3"}])
    theirs = purchase_order_create(supplier=other, warehouse=warehouse, expected_date=_days(9), by=users["planner"],
                                   lines=[{"product": product, "quantity": "3"}])
    purchase_order_transition(purchase_order_id=theirs.pk, name="send", by=users["planner"])
    planner = client_for(users["planner"])
    page = html(planner.get(PURCHASE_ORDERS, {"supplier": supplier.pk}))
    assert f'data-purchase-order="{ours.pk}"' in page and f'data-purchase-order="{theirs.pk}"' not in page
    page = html(planner.get(PURCHASE_ORDERS, {"state": "open"}))  # sent: still to come; a draft is not
    assert f'data-purchase-order="{theirs.pk}"' in page and f'data-purchase-order="{ours.pk}"' not in page

    make = ProductFactory(supply_type="make")
    planned = work_order_create(product=make, quantity="2", warehouse=warehouse, due_date=_days(9),
                                by=users["planner"])
    released = work_order_create(product=make, quantity="2", warehouse=warehouse, due_date=_days(9),
                                 by=users["planner"])
    planner.post(f"{WORK_ORDERS}{released.pk}/release/")
    page = html(planner.get(WORK_ORDERS, {"state": "released"}))
    assert f'data-work-order="{released.pk}"' in page and f'data-work-order="{planned.pk}"' not in page


def test_quantities_show_plainly_in_the_completion_form_and_its_message(users):
    _order, work_order = waiting_for_production(users, quantity="11", on_hand="1")
    for step in ("release", "start"):
        _post(users["planner"], f"/inventory/work-orders/{work_order.pk}/{step}/")
    page = html(client_for(users["planner"]).get(f"/inventory/work-orders/{work_order.pk}/"))
    assert 'value="10"' in page and "1E+1" not in page
    response = client_for(users["planner"]).post(f"/inventory/work-orders/{work_order.pk}/complete/",
                                                 {"quantity": "10", "rejected": ""}, follow=True)
    assert "10 accepted into stock" in html(response)
