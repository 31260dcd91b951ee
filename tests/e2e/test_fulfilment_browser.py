"""A supply problem in a real (headless) Chromium, through the pages only: an order for a
make item is short, so a work order was raised; the planner finds the order on the
exceptions board, releases and starts the work order, then blocks it with a machine
breakdown and a new due date; the board shows the exception with the affected order and
sales sees the supply problem and the moved promise date on the order page; the planner
resumes and completes the work order and the order line is fully reserved. Screenshots of
the pages are kept as test artifacts."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import date_format

from inventory.models import SupplyException, WorkOrder, WorkOrderState
from inventory.services import rebalance
from orders.models import OrderState
from tests.e2e.conftest import STEP_TIMEOUT_MS, artifacts_dir, log_in_as
from tests.factories import CustomerFactory, ProductFactory, WarehouseFactory, released_order, stock

SCREENSHOTS = ("planner_exceptions_board.png", "planner_work_order.png", "sales_order_exception.png")


def test_planner_blocks_and_completes_a_work_order_and_sales_sees_the_moved_promise_date(
        transactional_db, users, live_server, browser):
    from playwright.sync_api import expect

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    # a make item with 1 in stock, an order for 4: 1 reserved, 3 backordered on a work order
    warehouse = WarehouseFactory(code="SH1", name="Shanghai main")
    product = ProductFactory(sku="GB-100", name="Gearbox GB-100", supply_type="make", lead_time_days=10,
                             list_price=Decimal("1234.50"))
    stock(product, "1", warehouse)
    customer = CustomerFactory(name="Acme Gears Ltd", code="C-ACME", owner=users["sales"])
    order = released_order(users, customer=customer, lines=[(product, "4")])
    rebalance(product_ids=[product.pk])
    line = order.lines.get()
    work_order = WorkOrder.objects.get(sales_order_line=line)
    assert (order.state, line.reserved_quantity, line.backorder_quantity) == (OrderState.IN_FULFILMENT, 1, 3)
    assert (work_order.state, work_order.quantity, work_order.warehouse) == (WorkOrderState.PLANNED, 3, warehouse)
    line.refresh_from_db()
    assert line.promise_date == work_order.due_date
    new_due = timezone.localdate() + datetime.timedelta(days=20)
    new_due_shown = date_format(new_due, "DATE_FORMAT")
    artifacts = artifacts_dir()
    for name in SCREENSHOTS:
        (artifacts / name).unlink(missing_ok=True)

    def log_in(role: str):
        return log_in_as(browser, live_server, users[role], label=role)

    def shot(page, name: str):
        path = artifacts / name
        page.screenshot(path=str(path), full_page=True)
        return path

    state_badge = "[data-work-order-state]"
    work_order_url = f"{live_server.url}/inventory/work-orders/{work_order.pk}/"

    # --- the planner: the board shows the order waiting for supply; follow its work order ----------
    planner = log_in("planner")
    planner.click("nav.mainnav >> text=Planning")
    expect(planner.locator("h1")).to_have_text("Exceptions board")
    expect(planner.locator("#open-exceptions .empty")).to_be_visible()
    waiting = planner.locator(f"#waiting [data-waiting-line='{line.pk}']")
    expect(waiting).to_contain_text(order.number)
    expect(waiting).to_contain_text("Acme Gears Ltd")
    expect(waiting).to_contain_text("GB-100")
    waiting.locator("a", has_text=work_order.number).click()
    expect(planner).to_have_url(work_order_url)
    expect(planner.locator(state_badge)).to_have_text("Planned")
    expect(planner.locator("#sales-order-line")).to_contain_text(order.number)

    # --- release, start, then block with a machine breakdown and a new due date ---------------------
    planner.click("[data-action=release]")
    expect(planner.locator(".message.success")).to_contain_text("Released to production")
    expect(planner.locator(state_badge)).to_have_text("Released")
    planner.click("[data-action=start]")
    expect(planner.locator(".message.success")).to_contain_text("Production started")
    expect(planner.locator(state_badge)).to_have_text("In progress")
    planner.click("details.block-action > summary")
    planner.select_option("#id_block_kind", label="Machine breakdown")
    planner.fill("#id_block_note", "Press 3 hydraulic pump failed; spare part on its way.")
    planner.fill("#id_block_new_due_date", new_due.isoformat())  # an <input type=date> takes ISO dates
    planner.click("[data-action=block]")
    expect(planner.locator(".message.success")).to_contain_text("is blocked: Machine breakdown")
    expect(planner.locator(state_badge)).to_have_text("Blocked")
    history = planner.locator("#exceptions [data-exception]")
    expect(history).to_have_count(1)
    expect(history).to_contain_text("Press 3 hydraulic pump failed")
    expect(history.locator("[data-new-date]")).to_have_attribute("data-new-date", new_due.isoformat())
    expect(history).to_contain_text(order.number)
    expect(planner.locator("[data-action=resume]")).to_be_visible()
    shot(planner, "planner_work_order.png")

    exception = SupplyException.objects.get(work_order=work_order)
    work_order.refresh_from_db()
    line.refresh_from_db()
    assert (exception.kind, exception.new_date, exception.raised_by) == ("machine_breakdown", new_due,
                                                                         users["planner"])
    assert exception.resolved_at is None and list(exception.affected_orders.all()) == [order]
    assert (work_order.state, work_order.due_date) == (WorkOrderState.BLOCKED, new_due)
    assert (line.promise_date, line.reserved_quantity, line.backorder_quantity) == (new_due, 1, 3)

    # the board: the open exception with the affected order and its moved promise date
    planner.click("nav.subnav >> text=Exceptions board")
    row = planner.locator(f"#open-exceptions [data-exception='{exception.pk}']")
    expect(row).to_contain_text("Machine breakdown")
    expect(row).to_contain_text(work_order.number)
    expect(row).to_contain_text("Press 3 hydraulic pump failed")
    affected = row.locator(f"[data-affected-order='{order.pk}']")
    expect(affected).to_contain_text(order.number)
    expect(affected).to_contain_text(f"promised {new_due_shown}")
    expect(planner.locator(f"#waiting [data-waiting-line='{line.pk}']")).to_contain_text(new_due_shown)
    shot(planner, "planner_exceptions_board.png")

    # --- sales: the order page shows the supply problem and the new promise date --------------------
    sales = log_in("sales")
    sales.click("nav.mainnav >> text=Orders")
    sales.click(f"text={order.number}")
    expect(sales.locator("h1")).to_contain_text(order.number)
    banner = sales.locator("#supply-exceptions")
    expect(banner).to_contain_text("A supply problem delays this order")
    notice = banner.locator(f"[data-exception='{exception.pk}']")
    expect(notice).to_have_attribute("data-kind", "machine_breakdown")
    expect(notice).to_contain_text("Machine breakdown")
    expect(notice).to_contain_text(work_order.number)
    expect(notice).to_contain_text("Press 3 hydraulic pump failed")
    expect(notice.locator("[data-new-date]")).to_have_text(new_due_shown)
    expect(notice.locator(".promise-now[data-line='1']")).to_contain_text(new_due_shown)
    shot(sales, "sales_order_exception.png")

    # --- the planner resumes and completes the work order: 3 made, none rejected --------------------
    planner.goto(work_order_url)
    planner.click("[data-action=resume]")
    expect(planner.locator(".message.success")).to_contain_text("Production resumed")
    expect(planner.locator(state_badge)).to_have_text("In progress")
    complete = planner.locator("details.inline-action", has=planner.locator("[data-action=complete]"))
    expect(complete).to_have_attribute("open", "")  # no button step left: the form is open
    planner.fill("#id_complete_quantity", "3")
    planner.fill("#id_complete_rejected", "0")
    planner.click("[data-action=complete]")
    expect(planner.locator(".message.success")).to_contain_text("is done: 3 accepted into stock")
    expect(planner.locator(state_badge)).to_have_text("Done")
    expect(planner.locator("#sales-order-line")).to_contain_text("4 reserved, 0 backordered")

    # --- what the database says ----------------------------------------------------------------------
    work_order.refresh_from_db()
    line.refresh_from_db()
    exception.refresh_from_db()
    assert (work_order.state, work_order.completed_quantity, work_order.rejected_quantity) == (
        WorkOrderState.DONE, 3, 0)
    assert (line.reserved_quantity, line.backorder_quantity) == (4, 0)
    assert exception.resolved_at is not None and exception.resolved_by == users["planner"]
    assert not SupplyException.objects.filter(resolved_at=None).exists()
    for name in SCREENSHOTS:
        path = artifacts / name
        assert path.exists() and path.stat().st_size > 10_000, name
