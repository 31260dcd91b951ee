"""Shipping in a real (headless) Chromium on a tablet-sized screen, through the pages only:
an order is released and a shipment planned (through the services); the warehouse opens
the pick list of its warehouse, starts picking, scans a wrong SKU and sees the refusal,
scans each line with its batch, weighs and measures the package and marks it packed;
then (the warehouse may ship) accepts the recommended carrier, enters the tracking
number and ships. The order is shipped and the ledger issued the stock. Screenshots of
the pages, and of the pick list and pack page in Chinese, are kept as test artifacts."""

from __future__ import annotations

import datetime
from decimal import Decimal

from inventory.models import Location, MoveKind, StockLevel, StockMove
from inventory.services import stock_receive
from logistics.models import PackedItem, Shipment, ShipmentState
from orders.models import OrderState
from tests.e2e.conftest import STEP_TIMEOUT_MS, artifacts_dir, log_in_as
from tests.factories import (
    CustomerFactory,
    ProductFactory,
    WarehouseFactory,
    carrier_service,
    plan_shipment,
    released_order,
)

SCREENSHOTS = ("shipping-1-pick-list.png", "shipping-2-refused-scan.png", "shipping-3-pack-verified.png",
               "shipping-4-packed.png", "shipping-5-shipped.png", "shipping-6-pick-list-zh.png",
               "shipping-7-pack-zh.png")
TABLET = {"width": 1024, "height": 768}


def test_the_warehouse_picks_packs_verifies_and_ships_an_order(transactional_db, users, live_server, browser):
    from playwright.sync_api import expect

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    warehouse = WarehouseFactory(code="SH1", name="Shanghai main")
    shelf_a = Location.objects.create(warehouse=warehouse, code="A-01", name="Shelf A-01")
    shelf_b = Location.objects.create(warehouse=warehouse, code="B-02", name="Shelf B-02")
    bearing = ProductFactory(sku="BRG-6204", name="Deep groove ball bearing 6204", batch_tracked=True,
                             weight_kg=Decimal("0.2"), list_price=Decimal("18.60"))
    gearbox = ProductFactory(sku="GB-100", name="Planetary gearbox GB-100", weight_kg=Decimal("9"),
                             list_price=Decimal("12800.00"))
    stock_receive(product=bearing, warehouse=warehouse, location=shelf_a, quantity="40", batch_code="B2401",
                  expires_on=datetime.date(2030, 3, 31), reference="OPENING")
    stock_receive(product=gearbox, warehouse=warehouse, location=shelf_b, quantity="5", reference="OPENING")
    road = carrier_service(code="ROADCO", name="Road freight", base_fee=Decimal("80"), transit_days=2)
    carrier_service(code="AIRCO", mode="air", name="Air parcel", max_weight_kg=Decimal("10"), transit_days=1)
    customer = CustomerFactory(name="Acme Gears Ltd", code="C-ACME", owner=users["sales"])
    order = released_order(users, customer=customer, lines=[(bearing, "12"), (gearbox, "2")])
    shipment = plan_shipment(order, users)
    artifacts = artifacts_dir()
    for name in SCREENSHOTS:
        (artifacts / name).unlink(missing_ok=True)

    def shot(page, name: str) -> None:
        page.screenshot(path=str(artifacts / name), full_page=True)

    page = log_in_as(browser, live_server, users["warehouse"], label="warehouse")
    page.set_viewport_size(TABLET)

    # --- the pick list of the warehouse ---------------------------------------------------------------
    expect(page.locator("#shipping-waiting [data-to-pick]")).to_have_text("1")
    page.click("[data-action=open-pick-lists]")
    expect(page.locator("h1")).to_have_text("Pick lists")
    page.click("[data-warehouse=SH1]")
    row = page.locator(f"[data-location='A-01'] [data-pick-row='{shipment.number}'][data-sku='BRG-6204']")
    expect(row).to_contain_text("B2401")
    expect(row).to_contain_text("12")
    expect(page.locator(f"[data-location='B-02'] [data-pick-row='{shipment.number}'][data-sku='GB-100']")
           ).to_be_visible()
    expect(page.locator("[data-action=print-pick-list]")).to_be_visible()
    shot(page, "shipping-1-pick-list.png")
    page.click("[data-action=start-picking]")
    expect(page.locator(".message.success")).to_contain_text(f"Picking of {shipment.number} started")
    page.click(f"[data-pick-shipment='{shipment.number}'] [data-action=pack]")

    # --- pack and verify: a wrong SKU is refused and changes nothing --------------------------------
    expect(page.locator("h1")).to_contain_text(shipment.number)
    expect(page.locator("#id_scan_sku")).to_be_focused()
    page.fill("#id_scan_sku", "GB-200")
    page.fill("#id_scan_quantity", "1")
    page.click("[data-action=verify]")
    refusal = page.locator("[data-scan-refused]")
    expect(refusal).to_have_attribute("role", "alert")
    expect(refusal).to_contain_text(f"GB-200 is not on shipment {shipment.number}")
    shot(page, "shipping-2-refused-scan.png")
    assert not PackedItem.objects.exists()

    for sku, quantity, batch in (("BRG-6204", "12", "B2401"), ("GB-100", "2", "")):
        page.fill("#id_scan_sku", sku)
        page.fill("#id_scan_quantity", quantity)
        page.fill("#id_scan_batch", batch)
        page.fill("#id_scan_package", "1")
        page.press("#id_scan_package", "Enter")  # a scanner ends with Enter
        batch_text = f" (batch {batch})" if batch else ""
        expect(page.locator(".message.success")).to_have_text(
            f"Verified {quantity} × {sku}{batch_text} into package 1.")
        expect(page.locator(f"tr.ship-done[data-line-sku='{sku}']")).to_be_visible()
    expect(page.locator("[data-all-verified]")).to_be_visible()
    package = page.locator("[data-package='1']")
    for field, value in (("weight_kg", "21.4"), ("length_cm", "60"), ("width_cm", "40"), ("height_cm", "35")):
        package.locator(f"#id_measure_1_{field}").fill(value)
    package.locator("[data-action=measure]").click()
    expect(page.locator(".message.success")).to_contain_text("Package 1: 21.4 kg, 60 × 40 × 35 cm.")
    shot(page, "shipping-3-pack-verified.png")
    page.click("[data-action=mark-packed]")
    expect(page.locator(".message.success")).to_contain_text(f"{shipment.number} is packed")
    expect(page.locator("[data-shipment-state]")).to_have_text("Packed")

    # --- the carrier: the recommended one is accepted; the air parcel is too light for 21.4 kg --------
    expect(page.locator(f"[data-option='{road.pk}'] [data-recommended]")).to_be_visible()
    expect(page.locator("#carrier [data-excluded] [data-reason=too_heavy]")).to_contain_text("at most 10 kg")
    shot(page, "shipping-4-packed.png")
    page.click("[data-action=accept-recommended]")
    expect(page.locator(".message.success")).to_contain_text("Carrier chosen")
    expect(page.locator("[data-carrier]")).to_contain_text("Road freight")
    page.fill("#id_ship_tracking_number", "ROAD-88001234")
    page.click("[data-action=ship]")
    expect(page.locator(".message.success")).to_contain_text("is now Shipped")
    expect(page.locator("[data-shipment-state]")).to_have_text("Shipped")
    expect(page.locator("[data-tracking-number]")).to_have_text("ROAD-88001234")
    shot(page, "shipping-5-shipped.png")

    # --- what the database says ----------------------------------------------------------------------
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert (shipment.state, shipment.carrier_service, shipment.tracking_number) == (
        ShipmentState.SHIPPED, road, "ROAD-88001234")
    assert order.state == OrderState.SHIPPED
    issued = {(move.product.sku, move.batch.code if move.batch else "", move.location.code, -move.on_hand_delta)
              for move in StockMove.objects.filter(kind=MoveKind.ISSUE, reference=shipment.number)
              .select_related("product", "batch", "location")}
    assert issued == {("BRG-6204", "B2401", "A-01", 12), ("GB-100", "", "B-02", 2)}
    assert StockLevel.objects.get(product=bearing, warehouse=warehouse).on_hand == 28
    assert StockLevel.objects.get(product=gearbox, warehouse=warehouse).reserved == 0

    # --- the same pages in Chinese: the layout holds ----------------------------------------------------
    second = plan_shipment(released_order(users, customer=customer, lines=[(bearing, "5"), (gearbox, "1")]), users)
    page.goto(f"{live_server.url}/shipping/pick/{warehouse.pk}/")
    page.select_option("#language-select", "zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator(f"[data-pick-row='{second.number}'][data-sku='BRG-6204']")).to_be_visible()
    shot(page, "shipping-6-pick-list-zh.png")
    page.goto(f"{live_server.url}/shipping/{second.pk}/pack/")
    expect(page.locator("#id_scan_sku")).to_be_focused()
    shot(page, "shipping-7-pack-zh.png")
    assert Shipment.objects.get(pk=second.pk).state == ShipmentState.PLANNED
