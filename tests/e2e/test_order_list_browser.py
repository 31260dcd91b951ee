"""The order list's customer filter in a real (headless) Chromium: the order desk types a
few letters of a name, picks the customer from the suggestions with the keyboard, and the
list shows that customer's orders; the same in Chinese. Screenshots with the suggestions
open are kept as test artifacts."""

from __future__ import annotations

from tests.e2e.conftest import STEP_TIMEOUT_MS, artifacts_dir, log_in_as, switch_language
from tests.factories import CustomerFactory, make_order

SCREENSHOTS = ("order-list-customer-filter.png", "order-list-customer-filter-zh.png")


def test_the_order_desk_filters_the_order_list_by_a_suggested_customer(transactional_db, users, live_server,
                                                                       browser):
    from playwright.sync_api import expect

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    acme = CustomerFactory(name="Acme Gears Ltd", code="C-ACME", owner=users["sales"])
    tools = CustomerFactory(name="Acme Tools", code="C-ACMT", owner=users["sales"])
    wanted, other = make_order(by=users["sales"], customer=acme), make_order(by=users["sales"], customer=tools)
    artifacts = artifacts_dir()
    for name in SCREENSHOTS:
        (artifacts / name).unlink(missing_ok=True)

    desk = log_in_as(browser, live_server, users["order_desk"], label="order_desk")
    for language, screenshot in (("en", SCREENSHOTS[0]), ("zh-hans", SCREENSHOTS[1])):
        if language != "en":
            switch_language(desk, language)
        desk.goto(f"{live_server.url}/orders/")
        field = desk.locator("input[name=customer]")
        field.press_sequentially("acme")
        options = desk.locator(".filters .suggestions [role=option]")
        expect(options).to_have_count(2)
        expect(options.nth(0)).to_contain_text("C-ACME")
        expect(options.nth(0)).to_contain_text("Acme Gears Ltd")
        desk.screenshot(path=str(artifacts / screenshot), full_page=True)
        field.press("ArrowDown")
        field.press("Enter")  # picks the highlighted customer
        expect(field).to_have_value("C-ACME")
        field.press("Enter")  # then filters
        expect(desk).to_have_url(f"{live_server.url}/orders/?q=&state=&customer=C-ACME&sort=")
        expect(desk.locator("table.table")).to_contain_text(wanted.number)
        expect(desk.locator("table.table")).not_to_contain_text(other.number)
    for name in SCREENSHOTS:
        assert (artifacts / name).stat().st_size > 0
