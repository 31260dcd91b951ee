"""Review pages: the approval queue (who may open it, its order, what each order shows,
the approve / hold / reject / re-run / override buttons and what they refuse), the review
panel of the order page, the home page's pointer to the queue — and what they cost."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from orders import services
from orders.models import ChecksResult, OrderState, ReviewCheck, SalesOrder
from tests.factories import CustomerFactory, ProductFactory, make_order, make_user, order_in_state, stock
from tests.pages import client_for, html

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate
QUEUE = "/orders/review/"
#: What the approval queue may cost, whatever its length: session, user, permissions,
#: groups (the role names in the header), the count, the page of orders, and one query
#: each for lines, checks, signed contracts, their quotations and quotation lines.
QUEUE_QUERIES = 12
#: The same for an order page with the review panel (lines, events, needs, notes,
#: quotations, contracts, files, checks, signed contracts, …).
ORDER_PAGE_QUERIES = 17




def checked(order: SalesOrder) -> SalesOrder:
    """What the Celery task does after `submit` commits."""
    services.order_run_checks(order_id=order.pk)
    order.refresh_from_db()
    return order


def in_review(users, *, customer=None, lines=None, requested_in_days: int = 14, by: str = "order_desk",
              **kwargs) -> SalesOrder:
    """An order entered and submitted by the order desk, with its checks run. Products
    without stock make the availability check fail (the order goes on hold)."""
    customer = customer or CustomerFactory(owner=users["sales"])
    order = make_order(by=users[by], customer=customer, lines=lines, submit=True,
                       requested_date=TODAY() + datetime.timedelta(days=requested_in_days), **kwargs)
    return checked(order)


def stocked(sku: str | None = None, on_hand: str = "1000", **kwargs):
    product = ProductFactory(**({"sku": sku} if sku else {}), **kwargs)
    stock(product, on_hand)
    return product


def card(page: str, order: SalesOrder) -> str:
    """The queue's card of one order."""
    match = re.search(rf'<article[^>]*data-order="{order.number}".*?</article>', page, re.S)
    assert match, f"{order.number} is not in the queue"
    return match.group(0)


def buttons(fragment: str) -> set[str]:
    return set(re.findall(r'data-(?:transition|action)="([a-z_-]+)"', fragment))


# --- who may open the queue, and what it lists -----------------------------------------------------

@pytest.mark.parametrize("role", ["sales", "order_desk", "planner", "warehouse", "logistics", "integration"])
def test_the_queue_is_refused_to_roles_that_neither_approve_nor_override(users, role):
    assert client_for(users[role]).get(QUEUE).status_code == 403
    assert "Approval queue" not in html(client_for(users[role]).get("/"))


@pytest.mark.parametrize("role", ["reviewer", "manager"])
def test_reviewers_and_managers_open_the_queue_from_the_menu(users, role):
    page = html(client_for(users[role]).get("/"))
    assert f'href="{reverse("orders:approval_queue")}"' in page and "Approval queue" in page
    assert client_for(users[role]).get(QUEUE).status_code == 200


def test_the_queue_lists_orders_in_review_by_priority_then_requested_date(users):
    # priority (orders/priority.py) = tier points (A 300, B 200, C 100) + 5 a day inside 30 days of the due date
    late_key_account = in_review(users, customer=CustomerFactory(owner=users["sales"], tier="A"),
                                 lines=[(stocked(), "1")], requested_in_days=30)  # 300
    later_key_account = in_review(users, customer=CustomerFactory(owner=users["sales"], tier="A"),
                                  lines=[(stocked(), "1")], requested_in_days=40)  # 300, requested later
    early_regular = in_review(users, customer=CustomerFactory(owner=users["sales"], tier="B"),
                              lines=[(stocked(), "1")], requested_in_days=5)  # 200 + 125
    later_regular = in_review(users, customer=CustomerFactory(owner=users["sales"], tier="B"),
                              lines=[(stocked(), "1")], requested_in_days=9)  # 200 + 105
    held = in_review(users, customer=CustomerFactory(owner=users["sales"], tier="C"),
                     lines=[(ProductFactory(), "1")], requested_in_days=2)  # no stock: on hold; 100 + 140
    approved = order_in_state("approved", users)
    draft = make_order(by=users["sales"])
    assert held.state == OrderState.ON_HOLD

    page = html(client_for(users["reviewer"]).get(QUEUE))
    numbers = re.findall(r'data-order="([^"]+)"', page)
    assert numbers == [early_regular.number, later_regular.number, late_key_account.number,
                       later_key_account.number, held.number]
    assert approved.number not in page and draft.number not in page
    assert "5 orders waiting" in page


def test_an_empty_queue_says_so(users):
    order_in_state("approved", users)
    page = html(client_for(users["reviewer"]).get(QUEUE))
    assert "No orders are waiting for approval." in page and "data-order=" not in page


def test_the_queue_paginates(users):
    product = stocked()
    customer = CustomerFactory(owner=users["sales"])
    orders = [in_review(users, customer=customer, lines=[(product, "1")], requested_in_days=5 + i) for i in range(27)]
    client = client_for(users["reviewer"])
    first, second = html(client.get(QUEUE)), html(client.get(QUEUE + "?page=2"))
    assert "Page 1 of 2" in first and orders[0].number in first and orders[26].number not in first
    assert orders[26].number in second and orders[0].number not in second
    # the buttons on page 2 come back to page 2
    assert 'name="next" value="/orders/review/?page=2"' in second


# --- what each order shows --------------------------------------------------------------------------

def test_a_card_shows_the_order_at_a_glance_with_check_results_figures_and_promise_dates(users):
    customer = CustomerFactory(owner=users["sales"], name="Acme Gears", code="C-ACME", tier="A",
                               credit_limit=Decimal("1000"))
    on_time = stocked("GB-100", list_price=Decimal("100"))
    short = ProductFactory(sku="SD-750", list_price=Decimal("100"), supply_type="buy", lead_time_days=30)
    nowhere = ProductFactory(sku="NOWHERE-1", list_price=Decimal("100"))  # stock item, no stock
    order = in_review(users, customer=customer, lines=[(on_time, "3"), (short, "2"), (nowhere, "7")], channel="phone")
    assert order.state == OrderState.ON_HOLD and order.checks_result == ChecksResult.FAILED

    page = card(html(client_for(users["reviewer"]).get(QUEUE)), order)
    assert f'href="/orders/{order.pk}/"' in page and "Acme Gears" in page and "A (key account)" in page
    assert "On hold" in page and "A check failed" in page
    assert "Entered by" in page and users["order_desk"].username in page and "Phone (verbal)" in page
    assert "¥1,200.00" in page  # the total: the reviewer sees prices
    assert "Awaiting written confirmation" in page
    # credit: 1,200 against a limit of 1,000 → over by 200
    assert 'data-check="credit" data-result="fail"' in page
    assert "Open exposure" in page and "Credit limit" in page and "¥1,000.00" in page
    assert re.search(r'<div class="over"><dt>Over by</dt><dd>¥200.00</dd>', page)
    assert "Prepayment required" not in page
    # availability: line 1 on time, line 2 late by 16 days (lead time 30, requested in 14), line 3 cannot be supplied
    assert 'data-check="availability" data-result="fail"' in page
    promise = (TODAY() + datetime.timedelta(days=30)).strftime("%Y-%m-%d")
    assert re.search(r'<tr class="promise-met">\s*<td>1</td><td>GB-100</td>', page)
    assert re.search(rf'<tr class="promise-late">\s*<td>2</td><td>SD-750</td>.*?{promise}.*?16 days late', page, re.S)
    assert re.search(r'<tr class="promise-unavailable">\s*<td>3</td><td>NOWHERE-1</td>.*?cannot supply', page, re.S)
    # a failed check blocks approval; the reviewer holds, rejects or re-runs, but may not override
    assert buttons(page) == {"reject", "rerun-checks"}  # already on hold: no "hold"
    assert "A failed check must be overridden before the order can be approved." in page
    assert "Override" not in page


def test_credit_figures_are_hidden_from_a_reviewer_without_credit_data(users):
    order = in_review(users, customer=CustomerFactory(owner=users["sales"], credit_limit=Decimal("50")),
                      lines=[(stocked(list_price=Decimal("100")), "1")])
    # every reviewer-like role sees credit data; an approver without it is possible all the same
    approver = make_user()
    approver.user_permissions.set(Permission.objects.filter(
        codename__in=["view_salesorder", "view_all_orders", "approve_order", "view_prices"]))
    page = card(html(client_for(approver).get(QUEUE)), order)
    assert 'data-check="credit" data-result="fail"' in page and "Credit figures are not shown to your role." in page
    assert "Open exposure" not in page and "Over by" not in page and "¥50.00" not in page
    assert "Credit limit exceeded" not in page
    for role in ("reviewer", "manager"):
        assert "Open exposure" in card(html(client_for(users[role]).get(QUEUE)), order)


def test_overrides_and_contract_differences_are_shown(users):
    product, extra = stocked("GB-100"), stocked("CB-05")
    order = order_in_state("contracted", users, lines=[(product, "3")])
    services.order_transition(order_id=order.pk, name="submit", by=users["order_desk"])
    checked(order)
    services.order_transition(order_id=order.pk, name="reject", by=users["reviewer"], reason="Check quantities")
    services.order_update(order_id=order.pk, by=users["sales"], lines=[
        services.LineInput(product=product, quantity=Decimal("5")), services.LineInput(product=extra,
                                                                                       quantity=Decimal("1"))])
    services.order_transition(order_id=order.pk, name="submit", by=users["sales"])
    order = checked(order)
    matching = order_in_state("contracted", users, lines=[(stocked(), "2")])
    services.order_transition(order_id=matching.pk, name="submit", by=users["order_desk"])
    checked(matching)
    held = in_review(users, customer=CustomerFactory(owner=users["sales"], first_paid_on=None),
                     lines=[(stocked(), "1")])  # a new customer: prepayment
    assert "Prepayment required</span> <span class=\"muted\">a new customer without payment history" in card(
        html(client_for(users["reviewer"]).get(QUEUE)), held)
    credit = held.checks.get(run=held.checks_run, kind="credit")
    services.order_override_check(order_id=held.pk, check_id=credit.pk, by=users["manager"],
                                  reason="Prepaid by bank transfer this morning.")

    page = html(client_for(users["reviewer"]).get(QUEUE))
    differences = card(page, order)
    assert "Against the signed contract" in differences
    assert "quantity 3 in the contract, 5 ordered" in differences and "not in the contract (ordered 1)" in differences
    assert "match the signed contract" in card(page, matching)
    overridden = card(page, held)
    assert "Against the signed contract" not in overridden
    assert "Failed check overridden" in overridden and "Overridden by" in overridden
    assert users["manager"].username in overridden and "Prepaid by bank transfer this morning." in overridden
    assert 'data-transition="approve"' in overridden  # the override cleared the way


# --- actions -------------------------------------------------------------------------------------------

def test_the_person_who_entered_an_order_gets_no_approve_button_and_cannot_approve_it(users):
    desk_and_reviewer = make_user("order_desk")
    desk_and_reviewer.groups.add(Group.objects.get(name="reviewer"))
    own = checked(make_order(by=desk_and_reviewer, customer=CustomerFactory(owner=users["sales"]), submit=True))
    other = in_review(users)
    client = client_for(desk_and_reviewer)

    page = html(client.get(QUEUE))
    assert 'data-transition="approve"' not in card(page, own)
    assert "You entered this order: a second person approves it." in card(page, own)
    assert 'data-transition="approve"' in card(page, other)

    response = client.post(f"/orders/{own.pk}/transitions/approve/", {"next": QUEUE}, follow=True)
    assert response.redirect_chain[-1][0] == QUEUE
    assert "The person who entered an order cannot approve it." in html(response)
    own.refresh_from_db()
    assert own.state == OrderState.SUBMITTED and not own.events.filter(kind="approve").exists()
    # the order page says the same
    assert "You entered this order: a second person approves it." in html(client.get(f"/orders/{own.pk}/"))


def test_approve_from_the_queue_returns_to_the_queue_with_a_message(users):
    order = in_review(users)
    response = client_for(users["reviewer"]).post(f"/orders/{order.pk}/transitions/approve/",
                                                  {"next": QUEUE + "?page=3"})
    assert response.status_code == 302 and response["Location"] == QUEUE + "?page=3"
    order.refresh_from_db()
    assert order.state == OrderState.APPROVED
    page = html(client_for(users["reviewer"]).get(QUEUE + "?page=3"))
    assert order.number not in page


def test_next_may_only_point_into_this_site(users):
    order = in_review(users)
    response = client_for(users["reviewer"]).post(f"/orders/{order.pk}/transitions/hold/",
                                                  {"reason": "x", "next": "https://evil.example/"})
    assert response["Location"] == f"/orders/{order.pk}/"
    response = client_for(users["reviewer"]).post(f"/orders/{order.pk}/checks/rerun/", {"next": "//evil.example/"})
    assert response["Location"] == f"/orders/{order.pk}/"


def test_hold_and_reject_need_a_reason(users):
    order = in_review(users)
    client = client_for(users["reviewer"])
    assert buttons(card(html(client.get(QUEUE)), order)) == {"approve", "hold", "reject", "rerun-checks"}

    for name in ("hold", "reject"):
        response = client.post(f"/orders/{order.pk}/transitions/{name}/", {"reason": "  ", "next": QUEUE}, follow=True)
        assert "Please give a reason." in html(response)
        order.refresh_from_db()
        assert order.state == OrderState.SUBMITTED

    response = client.post(f"/orders/{order.pk}/transitions/hold/", {"reason": "Customer to confirm the model.",
                                                                      "next": QUEUE}, follow=True)
    assert "The order is now On hold." in html(response)
    order.refresh_from_db()
    assert order.state == OrderState.ON_HOLD
    assert buttons(card(html(response), order)) == {"approve", "reject", "rerun-checks"}

    response = client.post(f"/orders/{order.pk}/transitions/reject/", {"reason": "Wrong drive model; re-quote.",
                                                                        "next": QUEUE}, follow=True)
    order.refresh_from_db()
    assert order.state == OrderState.REJECTED
    assert order.events.get(kind="reject").reason == "Wrong drive model; re-quote."
    assert order.number not in html(response)


def test_override_needs_the_permission_and_a_reason_then_approval_works(users):
    order = in_review(users, customer=CustomerFactory(owner=users["sales"], credit_limit=Decimal("100")),
                      lines=[(stocked(list_price=Decimal("150")), "1")])
    assert order.state == OrderState.ON_HOLD
    credit = ReviewCheck.objects.get(order=order, run=order.checks_run, kind="credit")
    url = f"/orders/{order.pk}/checks/{credit.pk}/override/"

    reviewer, manager = client_for(users["reviewer"]), client_for(users["manager"])
    assert "override-credit" not in buttons(card(html(reviewer.get(QUEUE)), order))
    response = reviewer.post(url, {"reason": "Good customer.", "next": QUEUE}, follow=True)
    assert "Overriding a failed check needs its own permission." in html(response)
    credit.refresh_from_db()
    assert credit.overridden_at is None

    manager_card = card(html(manager.get(QUEUE)), order)
    assert buttons(manager_card) == {"override-credit", "rerun-checks"}  # a manager neither approves nor rejects
    assert "Approve" not in manager_card
    response = manager.post(url, {"reason": "   ", "next": QUEUE}, follow=True)
    assert "Say why the failed check may be overridden." in html(response)
    credit.refresh_from_db()
    assert credit.overridden_at is None

    response = manager.post(url, {"reason": "Paid in advance, see bank slip.", "next": QUEUE}, follow=True)
    assert response.redirect_chain[-1][0] == QUEUE
    assert f"{order.number}: the failed check “Credit” is overridden." in html(response)
    credit.refresh_from_db()
    order.refresh_from_db()
    assert credit.overridden_by == users["manager"] and credit.override_reason == "Paid in advance, see bank slip."
    assert order.checks_result == ChecksResult.OVERRIDDEN

    page = card(html(reviewer.get(QUEUE)), order)
    assert 'data-transition="approve"' in page and "Paid in advance, see bank slip." in page
    reviewer.post(f"/orders/{order.pk}/transitions/approve/", {"next": QUEUE})
    order.refresh_from_db()
    assert order.state == OrderState.APPROVED


def test_rerun_from_the_queue_starts_a_new_run(users, django_capture_on_commit_callbacks):
    product = ProductFactory()
    order = in_review(users, lines=[(product, "4")])
    assert order.state == OrderState.ON_HOLD and order.checks_run == 1
    stock(product, "10")  # the goods arrived
    client = client_for(users["reviewer"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/orders/{order.pk}/checks/rerun/", {"next": QUEUE})
    assert response["Location"] == QUEUE
    order.refresh_from_db()
    assert order.checks_run == 2 and order.checks_result == ChecksResult.PASSED
    assert set(ReviewCheck.objects.filter(order=order, run=2).values_list("result", flat=True)) == {"pass"}
    page = html(client.get(QUEUE))
    assert "the checks run again in the background" in page
    assert 'data-check="availability" data-result="pass"' in card(page, order)


def test_roles_without_the_permission_cannot_rerun(users):
    order = in_review(users)
    response = client_for(users["planner"]).post(f"/orders/{order.pk}/checks/rerun/", follow=True)
    assert "You are not allowed to re-run the checks." in html(response)
    order.refresh_from_db()
    assert order.checks_done_at is not None
    assert client_for(users["reviewer"]).get(f"/orders/{order.pk}/checks/rerun/").status_code == 405


def test_a_pending_run_says_the_checks_are_running(users):
    order = make_order(by=users["order_desk"], customer=CustomerFactory(owner=users["sales"]), submit=True)
    page = card(html(client_for(users["reviewer"]).get(QUEUE)), order)
    assert "Checks pending" in page and "The checks are running in the background" in page
    assert "Approval waits for the checks." in page and 'data-transition="approve"' not in page


# --- cost ----------------------------------------------------------------------------------------------

def _many_orders_in_review(users, count: int) -> None:
    customers = [CustomerFactory(owner=users["sales"], tier=tier) for tier in "ABC"]
    products = [stocked() for _ in range(4)]
    for index in range(count):
        lines = [(product, str(index + 1)) for product in products]
        if index % 3 == 0:
            lines.append((ProductFactory(), "2"))  # no stock: held
        in_review(users, customer=customers[index % 3], lines=lines, requested_in_days=3 + index)
    # one with a signed contract and an override, so every prefetch has rows
    contracted = order_in_state("contracted", users, lines=[(products[0], "2")])
    services.order_transition(order_id=contracted.pk, name="submit", by=users["order_desk"])
    checked(contracted)
    held = SalesOrder.objects.filter(state=OrderState.ON_HOLD).first()
    check = held.checks.get(run=held.checks_run, result="fail")
    services.order_override_check(order_id=held.pk, check_id=check.pk, by=users["manager"], reason="ok")


@pytest.mark.parametrize("role", ["reviewer", "manager"])
def test_the_queue_costs_a_fixed_number_of_queries(users, role, django_assert_max_num_queries):
    client = client_for(users[role])
    in_review(users, lines=[(stocked(), "1")])
    with django_assert_max_num_queries(QUEUE_QUERIES):
        page = html(client.get(QUEUE))
    assert page.count("data-order=") == 1

    _many_orders_in_review(users, 14)
    with django_assert_max_num_queries(QUEUE_QUERIES):
        page = html(client.get(QUEUE))
    assert page.count("data-order=") == 16
    assert page.count('data-check="availability"') == 16


# --- the order page ------------------------------------------------------------------------------------

def test_order_page_review_panel_shows_checks_promise_dates_and_forms(users):
    late = ProductFactory(sku="PLC-S7", supply_type="buy", lead_time_days=20)
    order = in_review(users, lines=[(stocked("GB-100"), "2"), (late, "1")], requested_in_days=10)
    assert order.state == OrderState.ON_HOLD
    manager_page = html(client_for(users["manager"]).get(f"/orders/{order.pk}/"))
    assert 'id="review-checks"' in manager_page and "Review checks" in manager_page and "A check failed" in manager_page
    assert "<th>Promise date</th>" in manager_page
    today, promise = TODAY(), TODAY() + datetime.timedelta(days=20)
    assert today.strftime("%-d %b %Y") in manager_page
    assert re.search(rf'<span class="late-date">{promise.strftime("%-d %b %Y")}</span> <span class="badge bad">late'
                     r'</span>', manager_page)
    assert buttons(manager_page) >= {"override-availability", "rerun-checks"}
    assert "Open exposure" in manager_page

    reviewer_page = html(client_for(users["reviewer"]).get(f"/orders/{order.pk}/"))
    assert "override-availability" not in buttons(reviewer_page) and "rerun-checks" in buttons(reviewer_page)
    # the override on the order page comes back to the order page
    check = order.checks.get(kind="availability")
    response = client_for(users["manager"]).post(f"/orders/{order.pk}/checks/{check.pk}/override/",
                                                 {"reason": "Customer accepts the later date."})
    assert response["Location"] == f"/orders/{order.pk}/"


def test_order_page_keeps_the_checks_of_earlier_runs_and_after_review_read_only(users,
                                                                                django_capture_on_commit_callbacks):
    order = in_review(users, lines=[(stocked(), "1")])
    with django_capture_on_commit_callbacks(execute=True):
        services.order_request_checks(order_id=order.pk, by=users["reviewer"])
    services.order_transition(order_id=order.pk, name="approve", by=users["reviewer"])
    page = html(client_for(users["reviewer"]).get(f"/orders/{order.pk}/"))
    assert "Review checks" in page and "run 2" in page and "1 earlier run" in page and 'data-run="1"' in page
    assert "The order has left review" in page
    assert not buttons(page) & {"rerun-checks", "override-credit", "override-availability"}


def test_order_page_before_review_has_no_panel_nor_promise_column(users):
    page = html(client_for(users["reviewer"]).get(f"/orders/{make_order(by=users['sales']).pk}/"))
    assert 'id="review-checks"' not in page and "Promise date" not in page


def test_order_page_with_the_review_panel_costs_a_fixed_number_of_queries(users, django_assert_max_num_queries,
                                                                          django_capture_on_commit_callbacks):
    client = client_for(users["manager"])
    small = in_review(users, lines=[(stocked(), "1")])
    big = in_review(users, lines=[(stocked(), "2") for _ in range(8)] + [(ProductFactory(), "1")])
    for _ in range(2):  # more runs, more checks
        with django_capture_on_commit_callbacks(execute=True):
            services.order_request_checks(order_id=big.pk, by=users["reviewer"])
    for order in (small, big):
        with django_assert_max_num_queries(ORDER_PAGE_QUERIES):
            page = html(client.get(f"/orders/{order.pk}/"))
        assert "Review checks" in page


# --- home ----------------------------------------------------------------------------------------------

def test_home_points_reviewers_to_the_queue_with_the_number_waiting(users):
    in_review(users)
    in_review(users, lines=[(ProductFactory(), "1")])  # on hold
    order_in_state("approved", users)
    for role in ("reviewer", "manager"):
        page = html(client_for(users[role]).get("/"))
        assert re.search(r'<strong class="count">2</strong>\s*Orders waiting for approval', page)
        assert "(1 on hold)" in page and f'href="{QUEUE}"' in page
    assert "Orders waiting for approval" not in html(client_for(users["sales"]).get("/"))


def test_the_queue_speaks_chinese(users):
    in_review(users, lines=[(ProductFactory(), "1")])
    client = client_for(users["reviewer"], language="zh-hans")
    response = client.get(QUEUE)
    assert response.status_code == 200 and 'lang="zh-hans"' in html(response)


def test_a_quantity_change_alone_is_not_reported_as_a_price_difference(users):
    """The net unit price is compared as agreed, not recomputed from rounded line totals."""
    from tests.factories import send_quotation, sign_contract

    product = stocked("DISC-1", list_price=Decimal("10.00"))
    order = services.order_create(by=users["sales"], customer=CustomerFactory(owner=users["sales"]),
                                  requested_date=TODAY() + datetime.timedelta(days=14),
                                  lines=[services.LineInput(product=product, quantity=Decimal("3"),
                                                            discount_percent=Decimal("3.33"))])
    send_quotation(order, users)
    sign_contract(order, users)
    services.order_transition(order_id=order.pk, name="submit", by=users["order_desk"])
    checked(order)
    services.order_transition(order_id=order.pk, name="reject", by=users["reviewer"], reason="More needed")
    services.order_update(order_id=order.pk, by=users["sales"], lines=[
        services.LineInput(product=product, quantity=Decimal("5"), discount_percent=Decimal("3.33"))])
    services.order_transition(order_id=order.pk, name="submit", by=users["sales"])
    order = checked(order)
    page = card(html(client_for(users["reviewer"]).get(QUEUE)), order)
    assert "quantity 3 in the contract, 5 ordered" in page
    assert "net unit price" not in page


def test_order_page_hides_credit_figures_and_review_buttons_from_other_roles(users):
    order = in_review(users, customer=CustomerFactory(owner=users["sales"], credit_limit=Decimal("50")),
                      lines=[(stocked("GB-100", list_price=Decimal("100")), "1")])
    for role in ("planner", "sales"):
        page = html(client_for(users[role]).get(f"/orders/{order.pk}/"))
        assert 'data-check="credit" data-result="fail"' in page and "Credit figures are not shown to your role." in page
        assert "Open exposure" not in page and "¥50.00" not in page
        assert 'data-check="availability" data-result="pass"' in page and "GB-100" in page
        assert not buttons(page) & {"rerun-checks", "override-credit"}
