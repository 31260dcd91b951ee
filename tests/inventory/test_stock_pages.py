"""Stock pages: stock by product and warehouse, a product's stock by location and batch with
its ledger, receiving and adjusting, transfers, cycle counts — who may open and use them,
what they change in the ledger, what they refuse, and what they cost."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory.models import (
    Batch,
    CountState,
    CycleCount,
    Location,
    MoveKind,
    StockLevel,
    StockMove,
    StockQuant,
    Transfer,
    TransferState,
)
from inventory.services import (
    count_create,
    count_enter,
    stock_adjust,
    stock_receive,
    transfer_receive,
    transfer_send,
    work_order_create,
)
from tests.factories import ProductFactory, WarehouseFactory, make_user
from tests.pages import client_for, html

pytestmark = pytest.mark.django_db

STOCK = "/inventory/stock/"
TRANSFERS = "/inventory/transfers/"
COUNTS = "/inventory/counts/"
#: A list page's cost whatever its length: session, user, the user's and the groups'
#: permissions, the groups (role names in the header), the count and the page; the stock
#: list adds the filter's warehouses, the levels and three incoming sums (12), the others
#: the locations of their forms.
LIST_QUERIES = 12
#: A product page with its ledger and both forms: the above plus product, levels, quants,
#: incoming (3), transfers in transit, the ledger's warehouses, count and page, and the
#: receive / adjust forms' warehouses, locations and batches.
PRODUCT_QUERIES = 19
#: A count sheet: session, user, permissions, groups, the count, its lines, products, batches.
COUNT_QUERIES = 9
PRICE = "98765.43"


def location(warehouse, code: str = "A-01") -> Location:
    return Location.objects.create(warehouse=warehouse, code=code, name=f"Shelf {code}")


def stocked(quantity: str = "20", *, warehouse=None, where: Location | None = None, **product_fields):
    """A product with `quantity` received (by the system) into `where` (a new location of a
    new warehouse by default)."""
    product = ProductFactory(list_price=Decimal(PRICE), **product_fields)
    warehouse = warehouse or (where.warehouse if where else WarehouseFactory())
    where = where or location(warehouse)
    stock_receive(product=product, warehouse=warehouse, location=where, quantity=quantity, reference="OPENING",
                  batch_code="B1" if product.batch_tracked else "")
    return product, where


def level(product, warehouse) -> StockLevel:
    return StockLevel.objects.get(product=product, warehouse=warehouse)


def on_hand_at(product, where: Location) -> Decimal:
    return sum((q.on_hand for q in StockQuant.objects.filter(product=product, location=where)), Decimal(0))


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def post_follow(client, url: str, data: dict):
    return client.post(url, data, follow=True)


def both_roles(users):
    """A user who counts and may confirm counts (warehouse and planner groups)."""
    user = make_user("warehouse")
    user.groups.add(Group.objects.get(name="planner"))
    return user


# --- every page renders, for the roles that use them, in both languages -----------------------------

@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("role", ["warehouse", "planner"])
def test_each_stock_page_renders_for_warehouse_and_planner(users, role, language):
    product, where = stocked("30", batch_tracked=True)
    other = WarehouseFactory()
    transfer_send(product=product, from_location=where, to_warehouse=other, quantity="4",
                  batch=Batch.objects.get(product=product), by=users["warehouse"], note="to the south")
    count = count_create(location=where, by=users["warehouse"])
    client = client_for(users[role], language)
    pages = [STOCK, f"{STOCK}{product.pk}/", TRANSFERS, f"{TRANSFERS}new/?product={product.pk}", COUNTS,
             f"{COUNTS}{count.pk}/"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        page = html(response)
        assert f'<html lang="{language}">' in page
        assert url == COUNTS or product.sku in page, url
        assert PRICE not in page and "98,765.43" not in page, f"a sales price on {url}"
    product_page = html(client.get(f"{STOCK}{product.pk}/"))
    assert 'id="ledger"' in product_page and "OPENING" in product_page  # the receipt in the ledger
    assert 'data-location="' in product_page and "B1" in product_page  # by location and batch


def test_the_stock_list_shows_levels_and_incoming_per_product(users):
    make = ProductFactory(sku="MAKE-1", supply_type="make")
    product, where = stocked("10", sku="GEAR-1")
    second = WarehouseFactory(code="SZ")
    stock_receive(product=product, warehouse=second, quantity="5")
    transfer_send(product=product, from_location=where, to_warehouse=second, quantity="3", by=users["warehouse"])
    work_order_create(product=make, quantity="7", warehouse=second,
                      due_date=timezone.localdate() + datetime.timedelta(days=5), by=users["planner"])
    page = html(client_for(users["planner"]).get(STOCK))
    group = re.search(r'<tbody class="product-group" data-sku="GEAR-1">.*?</tbody>', page, re.S).group(0)
    assert group.count("<tr") == 2  # one row per warehouse
    assert re.search(r"SZ</span></td>\s*<td class=\"num\">5</td>\s*<td class=\"num\">0</td>\s*"
                     r"<td class=\"num available\">5</td>\s*<td class=\"num\">3</td>", group)
    make_group = re.search(r'data-sku="MAKE-1">.*?</tbody>', page, re.S).group(0)
    assert "No stock in any warehouse" in make_group and "<strong>7</strong>" in make_group  # the work order


def test_the_stock_list_filters_by_search_warehouse_and_shortage(users):
    short, where = stocked("5", sku="SHORT-1")
    plenty, _where = stocked("50", sku="PLENTY-1")
    never = ProductFactory(sku="NEVER-1")
    client = client_for(users["warehouse"])
    page = html(client.get(STOCK, {"q": "plenty"}))
    assert "PLENTY-1" in page and "SHORT-1" not in page
    page = html(client.get(STOCK, {"warehouse": where.warehouse_id}))
    assert "SHORT-1" in page and "PLENTY-1" not in page and never.sku not in page
    stock_adjust(product=short, location=where, delta="-5", reason="damaged")
    page = html(client.get(STOCK, {"short": "on"}))
    assert "SHORT-1" in page and "NEVER-1" in page and "PLENTY-1" not in page
    assert html(client.get(STOCK, {"q": "nothing-like-this"})).count("No stock matches these filters.") == 1


# --- permissions --------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [TRANSFERS, f"{TRANSFERS}new/", COUNTS])
def test_sales_may_not_open_transfers_or_counts(users, url):
    assert client_for(users["sales"]).get(url).status_code == 403


def test_sales_see_stock_without_the_ledger_or_the_forms(users):
    product, where = stocked("8")
    count = count_create(location=where, by=users["warehouse"])
    client = client_for(users["sales"])
    assert client.get(f"{COUNTS}{count.pk}/").status_code == 403
    page = html(client.get(f"{STOCK}{product.pk}/"))
    assert product.sku in page and PRICE not in page
    assert 'id="ledger"' not in page and "OPENING" not in page
    assert 'id="receive"' not in page and 'id="adjust"' not in page and "new-transfer" not in page
    assert client.post(f"{STOCK}{product.pk}/receive/", {"receive-warehouse": where.warehouse_id,
                                                         "receive-quantity": "5"}).status_code == 403
    assert level(product, where.warehouse).on_hand == 8


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(STOCK)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_buttons_follow_permissions(users):
    product, where = stocked("8")
    planner = html(client_for(users["planner"]).get(f"{STOCK}{product.pk}/"))
    assert 'id="receive"' in planner and 'id="adjust"' not in planner  # planners receive, do not adjust
    warehouse = html(client_for(users["warehouse"]).get(f"{STOCK}{product.pk}/"))
    assert 'id="receive"' in warehouse and 'id="adjust"' in warehouse
    assert 'data-action="create-count"' in html(client_for(users["warehouse"]).get(COUNTS))
    assert 'data-action="create-count"' not in html(client_for(users["planner"]).get(COUNTS))
    response = client_for(users["planner"]).post(f"{STOCK}{product.pk}/adjust/", {
        "adjust-location": where.pk, "adjust-change": "-1", "adjust-reason": "x"})
    assert response.status_code == 403 and level(product, where.warehouse).on_hand == 8
    assert client_for(users["planner"]).post(f"{COUNTS}new/", {"location": where.pk}).status_code == 403
    assert not CycleCount.objects.exists()


# --- receiving and adjusting ------------------------------------------------------------------------

def test_receiving_through_the_page_posts_a_receipt(users):
    product, where = stocked("10", batch_tracked=True)
    shelf = location(where.warehouse, "B-02")
    expires = timezone.localdate() + datetime.timedelta(days=200)
    response = post_follow(client_for(users["warehouse"]), f"{STOCK}{product.pk}/receive/", {
        "receive-warehouse": where.warehouse_id, "receive-location": shelf.pk, "receive-quantity": "12",
        "receive-rejected": "2", "receive-batch": "LOT-7", "receive-expires_on": expires.isoformat(),
        "receive-reference": "PO-2026-000001"})
    assert response.status_code == 200
    assert any("Received 10" in m and "2 rejected" in m for m in messages_of(response))
    move = StockMove.objects.get(product=product, reference="PO-2026-000001")
    assert (move.kind, move.on_hand_delta, move.rejected_quantity, move.location, move.by) == (
        MoveKind.RECEIPT, Decimal(10), Decimal(2), shelf, users["warehouse"])
    assert (move.batch.code, move.batch.expires_on) == ("LOT-7", expires)
    assert level(product, where.warehouse).on_hand == 20 and on_hand_at(product, shelf) == 10
    assert "PO-2026-000001" in html(response) and "LOT-7" in html(response)  # ledger and quants


def test_adjusting_through_the_page_posts_an_adjustment(users):
    product, where = stocked("10")
    response = post_follow(client_for(users["warehouse"]), f"{STOCK}{product.pk}/adjust/", {
        "adjust-location": where.pk, "adjust-change": "-3", "adjust-reason": "Dropped forklift"})
    assert any("by -3" in m for m in messages_of(response))
    move = StockMove.objects.get(product=product, kind=MoveKind.ADJUST)
    assert (move.on_hand_delta, move.reason, move.location) == (Decimal(-3), "Dropped forklift", where)
    assert level(product, where.warehouse).on_hand == 7 and on_hand_at(product, where) == 7


@pytest.mark.parametrize("data, field, message", [
    ({"receive-quantity": "ten"}, "receive-quantity", "Enter a number."),
    ({"receive-quantity": "5", "receive-rejected": "6"}, "receive-rejected", "More was rejected than arrived."),
    ({"receive-quantity": "0"}, "receive-quantity", "Enter a quantity greater than zero."),
])
def test_bad_receipts_show_a_form_error_and_change_nothing(users, data, field, message):
    product, where = stocked("10")
    moves = StockMove.objects.count()
    response = client_for(users["warehouse"]).post(f"{STOCK}{product.pk}/receive/",
                                                   {"receive-warehouse": where.warehouse_id, **data})
    assert response.status_code == 400
    assert message in response.context["receive_form"].errors[field.removeprefix("receive-")]
    assert message in html(response)
    assert StockMove.objects.count() == moves and level(product, where.warehouse).on_hand == 10


def test_a_receipt_into_a_location_of_another_warehouse_is_refused(users):
    product, where = stocked("10")
    elsewhere = location(WarehouseFactory())
    response = client_for(users["warehouse"]).post(f"{STOCK}{product.pk}/receive/", {
        "receive-warehouse": where.warehouse_id, "receive-location": elsewhere.pk, "receive-quantity": "1"})
    assert response.status_code == 400
    assert "The location is in another warehouse." in response.context["receive_form"].errors["location"]
    assert level(product, where.warehouse).on_hand == 10


@pytest.mark.parametrize("change, message", [("-11", "The location does not hold that much."),
                                             ("abc", "Enter a number."), ("0", "Enter the change, not zero.")])
def test_bad_adjustments_show_a_form_error_and_change_nothing(users, change, message):
    product, where = stocked("10")
    response = client_for(users["warehouse"]).post(f"{STOCK}{product.pk}/adjust/", {
        "adjust-location": where.pk, "adjust-change": change, "adjust-reason": "count"})
    assert response.status_code == 400
    assert message in response.context["adjust_form"].errors["change"]
    assert not StockMove.objects.filter(kind=MoveKind.ADJUST).exists()
    assert level(product, where.warehouse).on_hand == 10


def test_the_ledger_filters_by_warehouse_and_kind(users):
    product, where = stocked("10")
    second = WarehouseFactory()
    stock_receive(product=product, warehouse=second, quantity="4", reference="SECOND-WH")
    stock_adjust(product=product, location=where, delta="-1", reason="broken seal")
    client = client_for(users["warehouse"])
    page = html(client.get(f"{STOCK}{product.pk}/", {"warehouse": second.pk}))
    assert "SECOND-WH" in page and "OPENING" not in page
    page = html(client.get(f"{STOCK}{product.pk}/", {"kind": "adjust"}))
    assert "broken seal" in page and "OPENING" not in page and "SECOND-WH" not in page


# --- transfers -----------------------------------------------------------------------------------------

def test_a_transfer_is_sent_and_received_through_the_pages(users):
    product, where = stocked("10")
    south = WarehouseFactory(code="SOUTH")
    dock = location(south, "DOCK")
    response = post_follow(client_for(users["warehouse"]), f"{TRANSFERS}new/", {
        "product": product.sku.lower(), "from_location": where.pk, "to_warehouse": south.pk, "quantity": "4",
        "note": "for the Guangzhou orders"})
    transfer = Transfer.objects.get(product=product)
    assert any(transfer.number in m and "sent" in m for m in messages_of(response))
    assert (transfer.state, transfer.quantity, transfer.from_location, transfer.sent_by) == (
        TransferState.IN_TRANSIT, Decimal(4), where, users["warehouse"])
    assert level(product, where.warehouse).on_hand == 6 and on_hand_at(product, where) == 6
    assert (level(product, south).on_hand, level(product, south).in_transit) == (0, 4)
    listing = html(response)
    assert f'data-transfer="{transfer.number}"' in listing and 'data-action="receive-transfer"' in listing

    response = post_follow(client_for(users["planner"]), f"{TRANSFERS}{transfer.pk}/receive/",
                           {"location": dock.pk, "next": TRANSFERS})
    assert any(f"{transfer.number} received" in m for m in messages_of(response))
    transfer.refresh_from_db()
    assert (transfer.state, transfer.to_location, transfer.received_by) == (
        TransferState.RECEIVED, dock, users["planner"])
    assert (level(product, south).on_hand, level(product, south).in_transit) == (4, 0)
    assert on_hand_at(product, dock) == 4
    assert StockMove.objects.filter(product=product, kind=MoveKind.TRANSFER_IN, location=dock,
                                    reference=transfer.number).count() == 1
    # received twice: refused with a message, nothing changes
    response = post_follow(client_for(users["planner"]), f"{TRANSFERS}{transfer.pk}/receive/", {})
    assert "This transfer was already received." in messages_of(response)
    assert level(product, south).on_hand == 4


def test_transferring_more_than_the_location_holds_is_refused(users):
    product, where = stocked("10")
    south = WarehouseFactory()
    response = client_for(users["warehouse"]).post(f"{TRANSFERS}new/", {
        "product": product.sku, "from_location": where.pk, "to_warehouse": south.pk, "quantity": "13"})
    assert response.status_code == 400
    errors = response.context["form"].errors["quantity"]
    assert errors == [f"{where} holds only 10."]  # plainly, not 1E+1
    assert errors[0] in html(response)
    assert not Transfer.objects.exists()
    assert level(product, where.warehouse).on_hand == 10 and not StockLevel.objects.filter(warehouse=south,
                                                                                            in_transit__gt=0)


@pytest.mark.parametrize("data, field, message", [
    ({"quantity": "four"}, "quantity", "Enter a number."),
    ({"product": "NO-SUCH-SKU"}, "product", "There is no product with the code “NO-SUCH-SKU”."),
    ({"same_warehouse": True}, "to_warehouse", "Choose another warehouse than the one it leaves."),
    ({"batch": "NOPE"}, "batch", "has no batch “NOPE”."),
])
def test_bad_transfers_show_a_form_error_and_change_nothing(users, data, field, message):
    product, where = stocked("10")
    south = WarehouseFactory()
    post = {"product": product.sku, "from_location": where.pk, "to_warehouse": south.pk, "quantity": "1"}
    if data.pop("same_warehouse", False):
        post["to_warehouse"] = where.warehouse_id
    response = client_for(users["warehouse"]).post(f"{TRANSFERS}new/", {**post, **data})
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    assert not Transfer.objects.exists() and level(product, where.warehouse).on_hand == 10


def test_the_transfer_list_puts_transfers_in_transit_first(users):
    product, where = stocked("10")
    south = WarehouseFactory()
    first = transfer_send(product=product, from_location=where, to_warehouse=south, quantity="1",
                          by=users["warehouse"])
    transfer_receive(transfer_id=first.pk, by=users["warehouse"])
    second = transfer_send(product=product, from_location=where, to_warehouse=south, quantity="2",
                           by=users["warehouse"])
    page = html(client_for(users["planner"]).get(TRANSFERS))
    assert page.index(f'data-transfer="{second.number}"') < page.index(f'data-transfer="{first.number}"')
    received_only = html(client_for(users["planner"]).get(TRANSFERS, {"state": "received"}))
    assert first.number in received_only and second.number not in received_only


# --- cycle counts -------------------------------------------------------------------------------------

def _count_sheet(users, where: Location):
    response = post_follow(client_for(users["warehouse"]), f"{COUNTS}new/", {"location": where.pk})
    count = CycleCount.objects.get(location=where)
    assert response.redirect_chain[-1][0] == f"{COUNTS}{count.pk}/"
    return count


def test_a_count_entered_by_the_warehouse_and_confirmed_by_the_planner_posts_the_differences(users):
    product, where = stocked("10")
    matching, _where = stocked("4", where=where)
    found = ProductFactory(sku="FOUND-1")
    count = _count_sheet(users, where)
    lines = {line.product_id: line for line in count.lines.all()}
    assert {line.expected for line in lines.values()} == {Decimal(10), Decimal(4)}

    warehouse = client_for(users["warehouse"])
    response = post_follow(warehouse, f"{COUNTS}{count.pk}/enter/", {
        f"line_{lines[product.pk].pk}": "8", f"line_{lines[matching.pk].pk}": "4",
        "extra-0-sku": "found-1", "extra-0-counted": "5"})
    count.refresh_from_db()
    assert (count.state, count.counted_by) == (CountState.COUNTED, users["warehouse"])
    page = html(response)
    assert "a second person" in page.lower()
    assert 'data-action="confirm-count"' not in page  # the warehouse does not confirm
    assert warehouse.post(f"{COUNTS}{count.pk}/confirm/").status_code == 403
    assert not StockMove.objects.filter(kind=MoveKind.ADJUST).exists()

    planner = client_for(users["planner"])
    page = html(planner.get(f"{COUNTS}{count.pk}/"))
    assert 'data-action="confirm-count"' in page and "2 differences will be posted" in page
    assert re.search(r'data-line="FOUND-1".*?<td class="num">0</td>\s*<td class="num">5</td>', page, re.S)
    response = post_follow(planner, f"{COUNTS}{count.pk}/confirm/", {})
    count.refresh_from_db()
    assert (count.state, count.confirmed_by) == (CountState.CONFIRMED, users["planner"])
    adjustments = {move.product_id: move.on_hand_delta for move in StockMove.objects.filter(
        kind=MoveKind.ADJUST, source_type="cycle_count", source_id=count.pk)}
    assert adjustments == {product.pk: Decimal(-2), found.pk: Decimal(5)}
    assert level(product, where.warehouse).on_hand == 8 and on_hand_at(found, where) == 5
    assert level(matching, where.warehouse).on_hand == 4
    page = html(response)
    assert 'id="adjustments"' in page and 'data-adjustment="FOUND-1"' in page
    assert 'data-action="enter-count"' not in page  # closed


def test_the_counter_may_not_confirm_their_own_count(users):
    product, where = stocked("10")
    counter = both_roles(users)
    count = count_create(location=where, by=counter)
    line = count.lines.get()
    client = client_for(counter)
    post_follow(client, f"{COUNTS}{count.pk}/enter/", {f"line_{line.pk}": "9"})
    page = html(client.get(f"{COUNTS}{count.pk}/"))
    assert 'data-note="second-person"' in page and 'data-action="confirm-count"' not in page
    response = post_follow(client, f"{COUNTS}{count.pk}/confirm/", {})
    assert "A second person must confirm the count." in messages_of(response)
    count.refresh_from_db()
    assert count.state == CountState.COUNTED and count.confirmed_by is None
    assert level(product, where.warehouse).on_hand == 10
    assert not StockMove.objects.filter(kind=MoveKind.ADJUST).exists()


@pytest.mark.parametrize("value, message", [("", "Enter the counted quantity."), ("lots", "Enter a number."),
                                            ("-1", "Enter a quantity greater than zero.")])
def test_bad_counted_quantities_show_a_form_error_and_change_nothing(users, value, message):
    product, where = stocked("10")
    count = count_create(location=where, by=users["warehouse"])
    line = count.lines.get()
    response = client_for(users["warehouse"]).post(f"{COUNTS}{count.pk}/enter/", {f"line_{line.pk}": value})
    assert response.status_code == 400
    assert message in response.context["entry_form"].errors[f"line_{line.pk}"]
    assert message in html(response)
    count.refresh_from_db()
    line.refresh_from_db()
    assert (count.state, line.counted) == (CountState.OPEN, None)


def test_a_found_product_already_on_the_sheet_is_refused_next_to_its_row(users):
    product, where = stocked("10")
    count = count_create(location=where, by=users["warehouse"])
    line = count.lines.get()
    response = client_for(users["warehouse"]).post(f"{COUNTS}{count.pk}/enter/", {
        f"line_{line.pk}": "10", "extra-1-sku": product.sku, "extra-1-counted": "1"})
    assert response.status_code == 400
    assert "Already on the sheet." in response.context["entry_form"].errors["extra-1-sku"]
    count.refresh_from_db()
    assert count.state == CountState.OPEN and count.lines.count() == 1


def test_a_second_sheet_for_the_same_location_is_refused(users):
    _product, where = stocked("10")
    count_create(location=where, by=users["warehouse"])
    response = client_for(users["warehouse"]).post(f"{COUNTS}new/", {"location": where.pk})
    assert response.status_code == 409
    assert "This location already has a count in progress." in html(response)
    assert CycleCount.objects.count() == 1


def test_a_count_can_be_cancelled(users):
    product, where = stocked("10")
    count = count_create(location=where, by=users["warehouse"])
    response = post_follow(client_for(users["warehouse"]), f"{COUNTS}{count.pk}/cancel/", {})
    count.refresh_from_db()
    assert count.state == CountState.CANCELLED
    assert any("cancelled" in m for m in messages_of(response))
    assert 'data-action="cancel-count"' not in html(response)
    assert client_for(users["planner"]).post(f"{COUNTS}{count.pk}/cancel/").status_code == 403


# --- what the pages cost -----------------------------------------------------------------------------

def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_stock_list_costs_the_same_for_1_and_10_products(users):
    second = WarehouseFactory()
    client = client_for(users["planner"])
    product, _where = stocked("5")
    stock_receive(product=product, warehouse=second, quantity="1")
    one = _queries(client, STOCK)
    for _ in range(9):
        other, _where = stocked("5")
        stock_receive(product=other, warehouse=second, quantity="1")
    assert _queries(client, STOCK) == one <= LIST_QUERIES


def test_the_transfer_list_costs_the_same_for_1_and_10_transfers(users):
    product, where = stocked("100")
    south = WarehouseFactory()
    location(south, "DOCK")
    client = client_for(users["warehouse"])
    transfer_send(product=product, from_location=where, to_warehouse=south, quantity="1", by=users["warehouse"])
    one = _queries(client, TRANSFERS)
    for _ in range(9):
        other, other_where = stocked("5")
        transfer_send(product=other, from_location=other_where, to_warehouse=south, quantity="1",
                      by=users["warehouse"])
    assert _queries(client, TRANSFERS) == one <= LIST_QUERIES


def test_the_count_list_and_a_count_sheet_cost_the_same_for_1_and_10_rows(users):
    client = client_for(users["warehouse"])
    _product, where = stocked("5")
    count = count_create(location=where, by=users["warehouse"])
    list_one, sheet_one = _queries(client, COUNTS), _queries(client, f"{COUNTS}{count.pk}/")
    for _ in range(9):
        stocked("5", where=where)
        _other, other_where = stocked("5")
        count_create(location=other_where, by=users["warehouse"])
    count.delete()
    count = count_create(location=where, by=users["warehouse"])
    assert count.lines.count() == 10
    count_enter(count_id=count.pk, counted={line.pk: "5" for line in count.lines.all()}, by=users["warehouse"])
    assert _queries(client, COUNTS) == list_one <= LIST_QUERIES
    assert _queries(client, f"{COUNTS}{count.pk}/") == sheet_one <= COUNT_QUERIES


def test_the_product_page_costs_the_same_for_1_and_10_moves(users):
    product, where = stocked("5", batch_tracked=True)
    client = client_for(users["warehouse"])
    one = _queries(client, f"{STOCK}{product.pk}/")
    south = WarehouseFactory()
    for index in range(9):
        stock_receive(product=product, warehouse=south, location=location(south, f"S-{index}"), quantity="1",
                      batch_code=f"B{index + 2}", by=users["warehouse"])
    transfer_send(product=product, from_location=where, to_warehouse=south, quantity="1",
                  batch=Batch.objects.get(product=product, code="B1"), by=users["warehouse"])
    assert StockMove.objects.filter(product=product).count() >= 10
    assert _queries(client, f"{STOCK}{product.pk}/") == one <= PRODUCT_QUERIES
