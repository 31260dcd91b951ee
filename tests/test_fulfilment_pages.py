"""Fulfilment on the sales-order pages: what each line has reserved, backordered and
shipped and when it is promised, the work orders and requisitions raised for it, the
banner of an open supply exception, the planner's priority form, the queues sorted by
priority, the planner's home card — and what the order page costs."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from inventory.models import PurchaseRequisition, SupplyException, WorkOrder
from inventory.services import work_order_block
from orders import selectors, services
from orders.models import OrderEvent, SalesOrder
from tests.factories import CustomerFactory, ProductFactory, make_order, order_in_state, stock
from tests.pages import client_for, html

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate
#: What the order page may cost with its review panel (tests/test_review_pages.py) plus the
#: three reads of the fulfilment section: work orders, requisitions, open exceptions.
ORDER_PAGE_QUERIES = 17 + 3


def _day(date: datetime.date) -> str:
    return date.strftime("%-d %b %Y")  # DATE_FORMAT in English: 12 Jan 2026


def _url(name: str, *args) -> str:
    """The URL, or "" while the inventory pages that own it have not landed."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _approved(users, *, lines, customer=None, requested_in_days: int = 5) -> SalesOrder:
    """An approved order entered by the order desk for a customer of `users["sales"]`, its
    failed availability check overridden (the stock is short on purpose)."""
    order = make_order(by=users["order_desk"], customer=customer or CustomerFactory(owner=users["sales"]),
                       lines=lines, submit=True, requested_date=TODAY() + datetime.timedelta(days=requested_in_days))
    services.order_run_checks(order_id=order.pk)
    order.refresh_from_db()
    for check in order.checks.filter(run=order.checks_run, result="fail"):
        services.order_override_check(order_id=order.pk, check_id=check.pk, by=users["manager"],
                                      reason="test: release anyway")
    services.order_transition(order_id=order.pk, name="approve", by=users["reviewer"])
    return order


def _in_fulfilment(users, capture, *, lines, **kwargs) -> SalesOrder:
    """Released to fulfilment; the promise dates of the waiting lines refreshed after the
    commit, as the worker does."""
    order = _approved(users, lines=lines, **kwargs)
    with capture(execute=True):
        services.order_transition(order_id=order.pk, name="start_fulfilment", by=users["planner"])
    order.refresh_from_db()
    return order


def _made(on_hand: str = "2", **kwargs):
    product = ProductFactory(supply_type="make", lead_time_days=10, **kwargs)
    stock(product, on_hand)
    return product


def _bought(on_hand: str = "1", **kwargs):
    product = ProductFactory(supply_type="buy", lead_time_days=12, **kwargs)
    stock(product, on_hand)
    return product


def _row(page: str, line_no: int) -> str:
    match = re.search(rf'<tr data-line="{line_no}">.*?</tr>', page, re.S)
    assert match, f"line {line_no} is not in the fulfilment section"
    return match.group(0)


@pytest.fixture
def blocked(users, django_capture_on_commit_callbacks):
    """An order in fulfilment whose make line waits for a work order, which then broke
    down with a new due date 20 days out (later than the requested date)."""
    order = _in_fulfilment(users, django_capture_on_commit_callbacks, lines=[(_made(sku="GEAR-7"), "5")])
    work_order = WorkOrder.objects.get(sales_order_line__order=order)
    new_date = TODAY() + datetime.timedelta(days=20)
    exception = work_order_block(work_order_id=work_order.pk, kind="machine_breakdown", by=users["planner"],
                                 note="Spindle motor failed on line 3.", new_due_date=new_date)
    return order, work_order, exception, new_date


# --- the fulfilment section --------------------------------------------------------------------

def test_an_order_in_fulfilment_shows_reserved_backordered_and_the_supply_raised(users,
                                                                                 django_capture_on_commit_callbacks):
    made, bought = _made(on_hand="2", sku="GEAR-7"), _bought(on_hand="1", sku="VALVE-3")
    order = _in_fulfilment(users, django_capture_on_commit_callbacks, lines=[(made, "5"), (bought, "4")])
    work_order = WorkOrder.objects.get(sales_order_line__order=order)
    requisition = PurchaseRequisition.objects.get(sales_order_line__order=order)
    assert (work_order.quantity, requisition.quantity) == (3, 3)

    page = html(client_for(users["sales"]).get(f"/orders/{order.pk}/"))
    assert 'id="fulfilment"' in page and "Backorder: some lines wait for supply" in page
    first, second = _row(page, 1), _row(page, 2)
    assert 'data-reserved="2"' in first and 'data-backordered="3"' in first and 'data-shipped="0"' in first
    assert 'data-reserved="1"' in second and 'data-backordered="3"' in second
    # the waiting make line is promised for when its work order is due
    assert _day(work_order.due_date) in first
    assert f'data-work-order="{work_order.number}"' in page and f'data-requisition="{requisition.number}"' in page
    assert "not ordered yet" in page
    # sales cannot open work orders: the number shows, without a link
    work_order_url = _url("inventory:work_order_detail", work_order.pk)
    assert not work_order_url or f'href="{work_order_url}"' not in page

    planner_page = html(client_for(users["planner"]).get(f"/orders/{order.pk}/"))
    assert f'data-work-order="{work_order.number}"' in planner_page
    if work_order_url:  # a link only once the work order page exists
        assert f'href="{work_order_url}"' in planner_page
    # the release is on the timeline with what it reserved and raised
    assert "3 reserved, 6 backordered" in planner_page and "Work orders raised: 1" in planner_page


def test_a_promise_date_later_than_the_requested_date_is_highlighted(users, django_capture_on_commit_callbacks):
    order = _in_fulfilment(users, django_capture_on_commit_callbacks, lines=[(_made(), "5")], requested_in_days=3)
    line = order.lines.get()
    assert line.promise_date > order.requested_date
    row = _row(html(client_for(users["sales"]).get(f"/orders/{order.pk}/")), 1)
    assert f'<span class="late-date" data-late>{_day(line.promise_date)}</span>' in row
    assert "later than requested" in row


def test_orders_before_approval_have_no_fulfilment_section(users):
    order = order_in_state("submitted", users)
    page = html(client_for(users["planner"]).get(f"/orders/{order.pk}/"))
    assert 'id="fulfilment"' not in page and "data-supply-exceptions" not in page


def test_an_approved_order_says_what_release_will_do(users):
    order = order_in_state("approved", users)
    page = html(client_for(users["planner"]).get(f"/orders/{order.pk}/"))
    assert 'id="fulfilment"' in page and "when the order is released to fulfilment" in page


# --- supply exceptions ---------------------------------------------------------------------------

def test_an_open_exception_shows_as_a_banner_with_the_new_promise_date_for_the_sales_owner(users, blocked):
    order, work_order, exception, new_date = blocked
    assert list(exception.affected_orders.all()) == [order]
    line = order.lines.get()
    assert line.promise_date == new_date

    page = html(client_for(users["sales"]).get(f"/orders/{order.pk}/"))
    banner = re.search(r'<section class="banner danger supply-exceptions".*?</section>', page, re.S).group(0)
    assert "Machine breakdown" in banner and work_order.number in banner
    assert "Spindle motor failed on line 3." in banner
    assert f"New expected date: <strong data-new-date>{_day(new_date)}</strong>" in banner
    assert f'<strong class="late-date">{_day(new_date)}</strong>' in banner  # the line's new promise date
    # the banner comes before the order's facts, so it is seen first
    assert page.index("supply-exceptions") < page.index("<h2>Order</h2>")
    # the timeline says the promise date moved, from what to what, and why
    assert "Promise dates changed" in page
    assert re.search(rf"Line 1 \(GEAR-7\): [^<]+ → {_day(new_date)}", page)
    assert OrderEvent.objects.filter(order=order, kind="promise_date_changed").exists()


def test_a_resolved_exception_leaves_the_banner(users, blocked):
    order, _work_order, exception, _new_date = blocked
    SupplyException.objects.filter(pk=exception.pk).update(resolved_at=timezone.now())
    page = html(client_for(users["sales"]).get(f"/orders/{order.pk}/"))
    assert "data-supply-exceptions" not in page and 'id="fulfilment"' in page


# --- priority --------------------------------------------------------------------------------------

def test_the_order_page_shows_the_priority_score_and_what_makes_it(users):
    order = order_in_state("approved", users, customer=CustomerFactory(owner=users["sales"], tier="A"),
                           requested_date=TODAY() + datetime.timedelta(days=40))
    page = html(client_for(users["sales"]).get(f"/orders/{order.pk}/"))
    assert order.priority == 300
    assert 'data-priority="300"' in page and "customer tier 300, due date 0" in page
    assert "data-priority-form" not in page  # sales cannot change it
    assert "data-priority-form" in html(client_for(users["planner"]).get(f"/orders/{order.pk}/"))


def test_a_planner_reprioritises_through_the_page(users, django_capture_on_commit_callbacks):
    order = _in_fulfilment(users, django_capture_on_commit_callbacks, lines=[(_made(), "5")])
    before = order.priority
    client = client_for(users["planner"])
    response = client.post(f"/orders/{order.pk}/priority/",
                           {"urgent": "on", "boost": "150", "reason": "Customer's line stops on Friday."})
    assert response.status_code == 302 and response["Location"] == f"/orders/{order.pk}/#priority"
    order.refresh_from_db()
    assert (order.urgent, order.priority_boost, order.priority) == (True, 150, before + 200 + 150)
    event = OrderEvent.objects.get(order=order, kind="reprioritised")
    assert (event.by, event.reason) == (users["planner"], "Customer's line stops on Friday.")
    assert event.payload["to"] == {"priority": before + 350, "urgent": True, "boost": 150}

    page = html(client.get(response["Location"]))
    assert f"Priority changed: the score is now {before + 350}." in page
    assert f'data-priority="{before + 350}"' in page and "data-urgent" in page and 'data-boost="150"' in page
    assert "Priority changed</strong>" in page and f"Priority {before} → {before + 350}" in page
    assert "Marked urgent" in page and "Adjustment +0 → +150 points" in page


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"urgent": "on", "boost": "100", "reason": "  "}, "reason", "Say why the priority changes."),
    ({"boost": "5000", "reason": "Customer escalated"}, "boost", "less than or equal to 1000"),
    ({"boost": "lots", "reason": "Customer escalated"}, "boost", "Enter a whole number."),
])
def test_a_refused_reprioritisation_shows_the_error_and_changes_nothing(users, data, field, message):
    order = order_in_state("approved", users)
    before = (order.priority, order.urgent, order.priority_boost)
    response = client_for(users["planner"]).post(f"/orders/{order.pk}/priority/", data)
    assert response.status_code == 400
    page = html(response)
    assert "The priority was not changed." in page and message in page
    assert re.search(rf'<div class="field has-error">\s*<label for="priority-{field}"', page)
    assert f'id="priority-{field}"' in page and order.number in page  # the order page, the form kept
    order.refresh_from_db()
    assert (order.priority, order.urgent, order.priority_boost) == before
    assert not OrderEvent.objects.filter(order=order, kind="reprioritised").exists()


def test_a_shipped_in_full_order_can_no_longer_be_reprioritised(users):
    order = order_in_state("shipped", users)
    page = html(client_for(users["planner"]).get(f"/orders/{order.pk}/"))
    assert "data-priority-form" not in page and "data-priority=" not in page
    response = client_for(users["planner"]).post(f"/orders/{order.pk}/priority/",
                                                 {"boost": "10", "reason": "Try anyway"})
    assert response.status_code == 409 and "no longer matters" in html(response)
    order.refresh_from_db()
    assert order.priority_boost == 0


@pytest.mark.parametrize("role", ["sales", "warehouse", "reviewer"])
def test_roles_without_the_permission_get_403_on_the_priority_view(users, role):
    order = order_in_state("approved", users)
    response = client_for(users[role]).post(f"/orders/{order.pk}/priority/",
                                            {"urgent": "on", "boost": "500", "reason": "Please"})
    assert response.status_code == 403
    order.refresh_from_db()
    assert (order.urgent, order.priority_boost) == (False, 0)


def test_the_priority_view_only_accepts_post_and_hides_unknown_orders(users):
    order = order_in_state("approved", users)
    assert client_for(users["planner"]).get(f"/orders/{order.pk}/priority/").status_code == 405
    response = client_for(users["planner"]).post("/orders/999999/priority/", {"boost": "1", "reason": "x"})
    assert response.status_code == 404


# --- queues by priority -------------------------------------------------------------------------------

def test_the_approval_queue_lists_the_higher_priority_order_first(users):
    regular = make_order(by=users["order_desk"], customer=CustomerFactory(owner=users["sales"], tier="A"),
                         submit=True, requested_date=TODAY() + datetime.timedelta(days=5))
    small = make_order(by=users["order_desk"], customer=CustomerFactory(owner=users["sales"], tier="C"),
                       submit=True, requested_date=TODAY() + datetime.timedelta(days=20))
    for order in (regular, small):
        services.order_run_checks(order_id=order.pk)
    numbers = re.findall(r'data-order="([^"]+)"', html(client_for(users["reviewer"]).get("/orders/review/")))
    assert numbers == [regular.number, small.number]

    services.order_reprioritise(order_id=small.pk, by=users["planner"], urgent=True, boost=300,
                                reason="Replacement for a failed delivery")
    numbers = re.findall(r'data-order="([^"]+)"', html(client_for(users["reviewer"]).get("/orders/review/")))
    assert numbers == [small.number, regular.number]


def test_the_order_list_sorts_by_priority(users):
    low = make_order(by=users["sales"], customer=CustomerFactory(owner=users["sales"], tier="C"))
    high = make_order(by=users["sales"], customer=CustomerFactory(owner=users["sales"], tier="A"))
    newest = make_order(by=users["sales"], customer=CustomerFactory(owner=users["sales"], tier="B"))
    assert list(selectors.order_search(users["manager"])) == [newest, high, low]
    assert list(selectors.order_search(users["manager"], sort="priority")) == [high, newest, low]
    assert list(selectors.order_search(users["manager"], sort="nonsense")) == [newest, high, low]


def test_the_planners_home_sorts_by_priority_and_counts_exceptions_and_waiting_lines(users, blocked):
    order, _work_order, _exception, _new_date = blocked
    urgent = order_in_state("approved", users, customer=CustomerFactory(owner=users["sales"], tier="C"),
                            requested_date=TODAY() + datetime.timedelta(days=60))
    services.order_reprioritise(order_id=urgent.pk, by=users["planner"], urgent=True, boost=900, reason="CEO asks")
    page = html(client_for(users["planner"]).get("/"))
    assert page.index(urgent.number) < page.index(order.number)
    card = re.search(r'<section class="card approval-callout" id="supply-waiting".*?</section>', page, re.S).group(0)
    assert re.search(r"data-open-exceptions>1</strong>\s*open supply exception\b", card)
    assert re.search(r"data-waiting-lines>1</strong>\s*order line waiting for supply", card)
    board_url = _url("inventory:exceptions_board")
    assert (f'href="{board_url}"' in card) if board_url else "data-action=\"open-exceptions-board\"" not in card
    # sales sees neither the card nor the planning menu
    sales_home = html(client_for(users["sales"]).get("/"))
    assert "supply-waiting" not in sales_home and ">Planning</a>" not in sales_home


def test_the_menu_links_planning_and_stock_when_their_pages_exist(users):
    client = client_for(users["planner"])
    page = html(client.get("/"))
    board, stock_list = _url("inventory:exceptions_board"), _url("inventory:stock_list")
    for url, label in ((board, "Planning"), (stock_list, "Stock")):
        assert (f'<a href="{url}" >{label}</a>' in page) if url else f">{label}</a>" not in page
    # inside the inventory pages, the menu marks the one the page belongs to
    if board and stock_list:
        page = html(client.get(board))
        assert f'<a href="{board}" aria-current="page">Planning</a>' in page
        assert f'<a href="{stock_list}" >Stock</a>' in page
        page = html(client.get(stock_list))
        assert f'<a href="{board}" >Planning</a>' in page
        assert f'<a href="{stock_list}" aria-current="page">Stock</a>' in page


# --- languages and cost ----------------------------------------------------------------------------

def test_the_pages_render_in_chinese(users, blocked):
    order, work_order, _exception, _new_date = blocked
    for role, path in (("sales", f"/orders/{order.pk}/"), ("planner", f"/orders/{order.pk}/"), ("planner", "/")):
        response = client_for(users[role], "zh-hans").get(path)
        assert response.status_code == 200
        page = html(response)
        assert '<html lang="zh-hans">' in page
    assert work_order.number in html(client_for(users["sales"], "zh-hans").get(f"/orders/{order.pk}/"))
    response = client_for(users["planner"], "zh-hans").post(f"/orders/{order.pk}/priority/", {"boost": "1"})
    assert response.status_code == 400 and '<html lang="zh-hans">' in html(response)


def test_the_order_page_in_fulfilment_costs_a_fixed_number_of_queries(users, django_capture_on_commit_callbacks,
                                                                     django_assert_max_num_queries):
    small = _in_fulfilment(users, django_capture_on_commit_callbacks, lines=[(_made(), "3")])
    big = _in_fulfilment(users, django_capture_on_commit_callbacks,
                         lines=[(_made(), "5") for _ in range(4)] + [(_bought(), "4") for _ in range(4)])
    for work_order in WorkOrder.objects.filter(sales_order_line__order=big)[:2]:
        work_order_block(work_order_id=work_order.pk, kind="material_shortage", by=users["planner"],
                         note="Steel late", new_due_date=TODAY() + datetime.timedelta(days=30))
    assert SupplyException.objects.filter(affected_orders=big).count() == 2
    client = client_for(users["planner"])
    counts = {}
    for order in (small, big):
        with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(ORDER_PAGE_QUERIES):
            page = html(client.get(f"/orders/{order.pk}/"))
        counts[order.pk] = len(queries)
        assert 'id="fulfilment"' in page
    assert counts[small.pk] == counts[big.pk]
    # outside fulfilment the section costs nothing
    submitted = order_in_state("submitted", users)
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/orders/{submitted.pk}/")
    assert len(queries) <= counts[small.pk] - 3

