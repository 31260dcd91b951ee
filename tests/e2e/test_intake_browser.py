"""Order intake and review in a real (headless) Chromium, through the pages only: the order
desk picks the customer by typing in the search, enters two lines with the product search
using only the keyboard and submits the order; the automatic checks run; a reviewer
approves it from the approval queue and the order page shows it approved. Screenshots
of the pages are kept as test artifacts."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from orders.models import ChecksResult, OrderState, SalesOrder
from tests.e2e.conftest import STEP_TIMEOUT_MS, artifacts_dir, log_in_as
from tests.factories import CustomerFactory, ProductFactory, stock

SCREENSHOTS = ("order-entry.png", "order-entry-zh.png", "approval-queue.png", "order-approved.png")


def test_order_desk_enters_an_order_with_the_keyboard_and_a_reviewer_approves_it(
        transactional_db, users, live_server, browser):
    from playwright.sync_api import expect

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    # an established customer (payment history, credit) and products in stock: the checks pass
    customer = CustomerFactory(name="Acme Gears Ltd", code="C-ACME", owner=users["sales"], payment_terms="net30")
    stock(ProductFactory(sku="GB-100", name="Gearbox GB-100", list_price=Decimal("1234.50")), "100")
    stock(ProductFactory(sku="BR-7", name="Ball bearing 7", list_price=Decimal("12.80")), "1000")
    CustomerFactory(name="Acme Tools", code="C-ACMT")  # a second match in the search
    artifacts = artifacts_dir()
    for name in SCREENSHOTS:
        (artifacts / name).unlink(missing_ok=True)

    def log_in(role: str):
        return log_in_as(browser, live_server, users[role], label=role)

    def shot(page, name: str):
        path = artifacts / name
        page.screenshot(path=str(path), full_page=True)
        return path

    # --- the order desk: home → new order → customer by search ------------------------------------
    desk = log_in("order_desk")
    desk.click("[data-action=home-new]")
    expect(desk.locator("h1")).to_have_text("New order")
    search = desk.locator("#customer-search")
    expect(search).to_be_focused()
    search.press_sequentially("acme")
    options = desk.locator(".customer-search .suggestions [role=option]")
    expect(options).to_have_count(2)
    search.press("ArrowDown")
    search.press("Enter")
    expect(desk.locator("h1")).to_contain_text("Acme Gears Ltd")
    channel = desk.locator("#id_channel")
    expect(channel).to_be_focused()
    expect(channel).to_have_value("web")
    expect(desk.locator("#id_document")).to_be_hidden()  # only e-mail and fax orders carry a scan
    channel.select_option("phone")
    expect(desk.locator("#id_confirmation_due")).to_be_visible()
    channel.select_option("web")
    expect(desk.locator("#id_confirmation_due")).to_be_hidden()
    expect(desk.locator("#id_contact option:checked")).to_contain_text("Buyer")
    expect(desk.locator("#id_payment_terms")).to_have_value("net30")
    requested = timezone.localdate() + datetime.timedelta(days=14)
    desk.fill("#id_requested_date", requested.isoformat())
    desk.fill("#id_customer_reference", "PO-2026-0815")
    desk.press("#id_customer_reference", "Enter")  # moves on, does not submit half an order
    expect(desk.locator("#id_requested_date")).to_be_focused()
    assert not SalesOrder.objects.exists()

    # --- two lines, keyboard only: search, ↓, Enter, Tab to the quantity, Enter for a new row ----
    rows = desk.locator("[data-formset-body] > tr")
    first = desk.locator("[name=lines-0-product]")
    first.focus()
    first.press_sequentially("gearb")
    expect(rows.nth(0).locator(".suggestions [role=option]")).to_have_count(1)
    first.press("ArrowDown")
    first.press("Enter")
    expect(first).to_have_value("GB-100")
    expect(rows.nth(0).locator("[data-product-name]")).to_have_text("Gearbox GB-100")
    expect(rows.nth(0).locator("[data-price-hint]")).to_have_text("List price ¥1,234.50")
    first.press("Tab")
    quantity = desk.locator("[name=lines-0-quantity]")
    expect(quantity).to_be_focused()
    quantity.press_sequentially("4")
    quantity.press("Enter")  # Enter in the last row adds a row
    second = desk.locator("[name=lines-1-product]")
    expect(second).to_be_focused()
    second.press_sequentially("BR")
    expect(rows.nth(1).locator(".suggestions [role=option]")).to_have_count(1)
    second.press("ArrowDown")
    second.press("Enter")
    expect(second).to_have_value("BR-7")
    second.press("Tab")
    desk.keyboard.type("20")
    expect(desk.locator("[name=lines-1-quantity]")).to_have_value("20")
    expect(rows.nth(1).locator("[data-price-hint]")).to_have_text("List price ¥12.80")
    expect(desk.locator("[data-grand-total]")).to_have_text("¥5,194.00")  # 4 × 1,234.50 + 20 × 12.80
    shot(desk, "order-entry.png")
    desk.click("[data-action=submit-order]")
    expect(desk.locator(".message.success")).to_contain_text("submitted for review")
    expect(desk.locator(".pagehead .badge").first).to_have_text("Submitted")

    order = SalesOrder.objects.get(customer=customer)
    assert (order.channel, order.entered_by, order.customer_reference) == ("web", users["order_desk"], "PO-2026-0815")
    assert list(order.lines.values_list("product__sku", "quantity")) == [("GB-100", 4), ("BR-7", 20)]
    # the checks ran on commit of the submit, eagerly in the live server's thread
    order.refresh_from_db()
    assert order.checks_done_at is not None
    assert (order.state, order.checks_result) == (OrderState.SUBMITTED, ChecksResult.PASSED)

    # the same page in Chinese, through the language switch
    desk.goto(f"{live_server.url}/orders/new/?customer={customer.pk}")
    desk.select_option("#language-select", "zh-hans")
    expect(desk.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(desk.locator("h1")).to_contain_text("Acme Gears Ltd")
    shot(desk, "order-entry-zh.png")

    # --- a second person approves it from the approval queue --------------------------------------
    reviewer = log_in("reviewer")
    reviewer.click("nav.mainnav >> text=Approval queue")
    card = reviewer.locator(f"[data-order='{order.number}']")
    expect(card).to_contain_text("Acme Gears Ltd")
    shot(reviewer, "approval-queue.png")
    card.locator("[data-transition=approve]").click()
    expect(reviewer.locator(".message.success")).to_be_visible()
    reviewer.goto(f"{live_server.url}/orders/{order.pk}/")
    expect(reviewer.locator(".pagehead .badge").first).to_have_text("Approved")
    shot(reviewer, "order-approved.png")

    order.refresh_from_db()
    assert order.state == OrderState.APPROVED
    assert order.events.filter(kind="approve", by=users["reviewer"]).exists()
    for name in SCREENSHOTS:
        path = artifacts / name
        assert path.exists() and path.stat().st_size > 10_000, name
