"""One order's whole journey in a real (headless) Chromium, through the pages only, once in
English and once in Simplified Chinese: sales records the inquiry, drafts the quotation,
finance approves it, sales sends it and records the acceptance, drafts the contract, the
manager approves it in legal review and sales records the signed copy; the order desk
submits the contracted order; a reviewer (not the person who entered it) approves it
from the approval queue; the planner releases it to fulfilment; the warehouse plans the
shipment, picks from the pick list, packs and verifies; logistics chooses the carrier,
ships and records the proof of delivery. Each person logs in with their own role and, in
the Chinese run, picks the language in the top bar. A screenshot of every stage is kept
as a test artifact (journey-<language>-<nn>-<stage>.png). In the Chinese run, the labels
of the buttons pressed must be translated, and no English may be left in the headings,
buttons, labels and badges of the pages passed (what is found is listed in
journey-zh-hans-latin-text.txt)."""

from __future__ import annotations

import datetime
import importlib
import re
import time
import urllib.request
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone, translation

from inventory.models import Location, MoveKind, StockLevel, StockMove
from inventory.services import stock_receive
from logistics.models import ProofOfDelivery, Shipment, ShipmentState
from orders.models import OrderState, SalesOrder
from orders.transitions import TRANSITIONS
from tests.e2e.conftest import STEP_TIMEOUT_MS, artifacts_dir, log_in_as, switch_language
from tests.factories import CustomerFactory, ProductFactory, WarehouseFactory, carrier_service

LANGUAGES = ["en", "zh-hans"]
#: Sending the quotation, packing and shipping render PDF documents before the page answers.
PDF_STEP_TIMEOUT_MS = 30_000
#: The order's state changes, in the order the timeline must show them.
JOURNEY = ["quote", "contract", "submit", "approve", "start_fulfilment", "mark_ready", "ship", "deliver"]
#: The labels of the buttons and headings the journey passes; in Chinese each must be translated.
KEY_LABELS = ["New inquiry", "Save inquiry", "Create quotation", "Save and submit for review", "Approve",
              "Send to the customer", "Customer accepted", "Create contract", "Save and submit for legal review",
              "Approve for signing", "Record signed contract", "Submit for review", "Release to fulfilment",
              "Orders to ship", "Plan shipment", "Pick list", "Start picking", "Pack", "Pack and verify",
              "Verify and pack", "Save weight and size", "Mark packed", "Accept recommended", "Record delivery",
              "Proof of delivery", "Timeline"]
#: Latin text that is data or a name, not an untranslated label.
NOT_LABELS = re.compile(r"OMS|API|PDF|SKU|Acme Gears Ltd|Gearbox GB-100|Ball bearing 7|Wu Lei|RFQ-\d+|"
                        r"[A-Z]{1,3}-?\d[\w-]*|[A-Z]{2,}-\d{4}-\d+|\w+\d+|Road freight|TRUCKCO Logistics|"
                        r"Shanghai main|Shelf A-01|C-ACME|[\w.]+@[\w.]+|\d+ Test Road|Shanghai|kg|cm|\(\w+\)")


@pytest.fixture
def contract_templates(transactional_db):
    """The standard clause templates come from a data migration, which a transactional
    test's flush removes: put them back."""
    migration = importlib.import_module("orders.migrations.0004_contract_templates")
    migration.create_templates(apps, None)


@pytest.mark.parametrize("language", LANGUAGES)
def test_one_order_from_inquiry_to_proof_of_delivery(language, transactional_db, users, contract_templates,
                                                     live_server, browser, tmp_path):
    from playwright.sync_api import expect

    started = time.monotonic()
    expect.set_options(timeout=STEP_TIMEOUT_MS)
    warm_up(live_server)

    def t(text: str) -> str:
        """`text` as the pages show it in this run's language."""
        with translation.override(language):
            return str(translation.gettext(text))

    if language != "en":
        untranslated = [label for label in KEY_LABELS if t(label) == label]
        assert not untranslated, f"no {language} translation for: {untranslated}"

    # --- the data: a customer of the sales person, two stock items on a shelf, a carrier ----------
    warehouse = WarehouseFactory(code="SH1", name="Shanghai main")
    shelf = Location.objects.create(warehouse=warehouse, code="A-01", name="Shelf A-01")
    gearbox = ProductFactory(sku="GB-100", name="Gearbox GB-100", list_price=Decimal("1234.50"),
                             standard_cost=Decimal("700.00"), weight_kg=Decimal("9"))
    bearing = ProductFactory(sku="BR-7", name="Ball bearing 7", list_price=Decimal("12.80"),
                             standard_cost=Decimal("6.00"), weight_kg=Decimal("0.2"))
    for product in (gearbox, bearing):
        stock_receive(product=product, warehouse=warehouse, location=shelf, quantity="50", reference="OPENING")
    road = carrier_service(base_fee=Decimal("80"), transit_days=2)
    customer = CustomerFactory(owner=users["sales"], name="Acme Gears Ltd", code="C-ACME", payment_terms="net30")
    customer.contacts.update(name="Wu Lei", email="wu.lei@acme.example")

    artifacts = artifacts_dir()
    prefix = f"journey-{language}-"
    for old in artifacts.glob(f"{prefix}*"):
        old.unlink()
    shots: list[str] = []
    latin_text: dict[str, list[str]] = {}

    def shot(page, stage: str) -> None:
        name = f"{prefix}{len(shots) + 1:02d}-{stage}.png"
        page.screenshot(path=str(artifacts / name), full_page=True)
        shots.append(name)
        if language != "en":
            latin_text[name] = latin_leftovers(page)

    pages: dict[str, object] = {}

    def log_in(role: str):
        """Each person works in a browser of their own, logged in once with their role."""
        if role not in pages:
            page = log_in_as(browser, live_server, users[role], label=f"{language} {role}")
            if language != "en":
                switch_language(page, language)
            expect(page.locator("h1")).to_contain_text(t("Welcome, %(name)s") % {"name": users[role].username})
            pages[role] = page
        return pages[role]

    def press(page, selector: str, label: str, *, renders_pdf: bool = False) -> None:
        """Click the button or link at `selector` after checking it is labelled `label`
        in this run's language. A step that renders PDFs does so within the request here
        (tasks run eagerly in tests), which takes seconds on a busy machine."""
        button = page.locator(selector)
        expect(button).to_have_text(t(label))
        button.click(timeout=PDF_STEP_TIMEOUT_MS if renders_pdf else None)

    def order_state(page, state: str) -> None:
        expect(page.locator(".pagehead .badge").first).to_have_class(re.compile(rf"\bstate-{state}\b"))

    # --- 1 inquiry: sales, from the customer page, needs through the product search ----------------
    sales = log_in("sales")
    sales.click("nav.mainnav a[href='/customers/']")
    sales.click("text=Acme Gears Ltd")
    press(sales, "[data-action=new-inquiry]", "New inquiry")
    requested = timezone.localdate() + datetime.timedelta(days=30)
    sales.fill("#id_requested_date", requested.isoformat())
    sales.fill("#id_customer_reference", "RFQ-2026-42")
    for row, (search, sku, quantity) in enumerate((("gearb", "GB-100", "2"), ("BR", "BR-7", "10"))):
        product = sales.locator(f"[name=needs-{row}-product]")
        if row:
            expect(product).to_be_focused()
        product.press_sequentially(search)
        option = sales.locator("[data-formset-body] tr").nth(row).locator(".suggestions [role=option]")
        expect(option).to_have_count(1)
        option.click()
        expect(product).to_have_value(sku)
        sales.fill(f"[name=needs-{row}-quantity]", quantity)
        if not row:
            sales.press(f"[name=needs-{row}-quantity]", "Enter")  # Enter in the last row adds a row
    shot(sales, "inquiry")
    press(sales, "[data-action=save-inquiry]", "Save inquiry")
    expect(sales.locator("#needs")).to_contain_text("Gearbox GB-100")
    order = SalesOrder.objects.get(customer=customer)
    order_url = f"{live_server.url}/orders/{order.pk}/"
    order_state(sales, OrderState.INQUIRY)

    # --- 2 quotation: drafted from the needs, finance approves, sent, accepted ----------------------
    press(sales, "[data-action=create-quotation]", "Create quotation")
    expect(sales.locator("[data-quotation-state]")).to_have_attribute("data-quotation-state", "draft")
    expect(sales.locator("[name=lines-0-unit_price]")).to_have_value("1234.50")
    sales.fill("#id_lead_time_days", "21")
    sales.fill("#id_warranty_terms", "24 months from delivery")
    press(sales, "[data-action=submit-review]", "Save and submit for review")
    expect(sales.locator("[data-quotation-state]")).to_have_attribute("data-quotation-state", "in_review")
    quotation_url = sales.url

    finance = log_in("reviewer")
    finance.locator("#signoff-queue tbody a").first.click()
    finance.fill("[data-signoff-form=finance] textarea[name=comment]", "Margin and terms fine.")
    press(finance, "[data-signoff-form=finance] [data-action=signoff-approve]", "Approve")
    expect(finance.locator("[data-quotation-state]")).to_have_attribute("data-quotation-state", "approved")

    sales.goto(quotation_url)
    expect(sales.locator("#id_to_email")).to_have_value("wu.lei@acme.example")
    press(sales, "[data-action=send]", "Send to the customer", renders_pdf=True)
    expect(sales.locator("[data-quotation-state]")).to_have_attribute("data-quotation-state", "sent")
    sales.fill("#id_note", "Accepted by e-mail.")
    press(sales, "[data-action=accept]", "Customer accepted")
    expect(sales.locator("[data-quotation-state]")).to_have_attribute("data-quotation-state", "accepted")
    shot(sales, "quotation")

    # --- 3 contract: drafted, legal review by the manager, signed copy recorded ---------------------
    press(sales, "[data-action=create-contract]", "Create contract")
    expect(sales.locator("[data-contract-state]")).to_have_attribute("data-contract-state", "draft")
    press(sales, "[data-action=contract-submit]", "Save and submit for legal review")
    expect(sales.locator("[data-contract-state]")).to_have_attribute("data-contract-state", "in_review")
    contract_url = sales.url

    manager = log_in("manager")
    manager.locator("#contract-queue tbody a[href*='/orders/contracts/']").first.click()
    manager.fill("[data-review-form] textarea[name=comment]", "Standard terms.")
    press(manager, "[data-action=contract-approve]", "Approve for signing")
    expect(manager.locator("[data-contract-state]")).to_have_attribute("data-contract-state", "approved")

    sales.goto(contract_url)
    signed = tmp_path / "signed-contract.pdf"
    signed.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    sales.set_input_files("#id_signed_copy", str(signed))
    press(sales, "[data-action=sign]", "Record signed contract")
    expect(sales.locator("[data-contract-state]")).to_have_attribute("data-contract-state", "signed")
    shot(sales, "contract")

    # --- 4 order desk: the contracted order from the home queue, submitted for review --------------
    desk = log_in("order_desk")
    desk.locator(f"main a[href='/orders/{order.pk}/']").first.click()
    order_state(desk, OrderState.CONTRACTED)
    expect(desk.locator("#lines")).to_contain_text("GB-100")
    press(desk, "[data-transition=submit]", "Submit for review")
    expect(desk.locator(".message.success")).to_be_visible()
    order_state(desk, OrderState.SUBMITTED)
    desk.reload()  # the automatic checks ran on the commit of the submit
    expect(desk.locator("[data-check]").first).to_be_visible()
    shot(desk, "order-desk")

    # --- 5 approval: a second person, from the approval queue ---------------------------------------
    reviewer = log_in("reviewer")
    reviewer.click("nav.mainnav a[href='/orders/review/']")
    card = reviewer.locator(f"[data-order='{order.number}']")
    expect(card).to_contain_text("Acme Gears Ltd")
    expect(card.locator("[data-note=four-eyes]")).to_have_count(0)
    shot(reviewer, "approval")
    press(reviewer, f"[data-order='{order.number}'] [data-transition=approve]", "Approve")
    expect(reviewer.locator(".message.success")).to_be_visible()
    reviewer.goto(order_url)
    order_state(reviewer, OrderState.APPROVED)

    # --- 6 release to fulfilment: the planner, from the home queue ------------------------------------
    planner = log_in("planner")
    planner.locator(f"main a[href='/orders/{order.pk}/']").first.click()
    order_state(planner, OrderState.APPROVED)
    press(planner, "[data-transition=start_fulfilment]", "Release to fulfilment")
    order_state(planner, OrderState.IN_FULFILMENT)
    expect(planner.locator("#fulfilment [data-line='1'] [data-reserved]")).to_have_attribute("data-reserved", "2")
    expect(planner.locator("#fulfilment [data-line='2'] [data-reserved]")).to_have_attribute("data-reserved", "10")
    shot(planner, "fulfilment")

    # --- 7 pick: the warehouse plans the shipment, opens the pick list and starts picking ------------
    warehouse_page = log_in("warehouse")
    warehouse_page.click("nav.mainnav a[href='/shipping/']")
    press(warehouse_page, "[data-action=to-ship]", "Orders to ship")
    press(warehouse_page, f"[data-order='{order.number}'] [data-action=plan-shipment]", "Plan shipment")
    expect(warehouse_page.locator("[data-shipment-state]").first).to_have_attribute("data-shipment-state", "planned")
    shipment = Shipment.objects.get(order=order)
    warehouse_page.click("nav.subnav a[href='/shipping/pick/']")
    warehouse_page.click("[data-warehouse=SH1]")
    expect(warehouse_page.locator("h1")).to_contain_text(t("Pick list"))
    for sku, quantity in (("GB-100", "2"), ("BR-7", "10")):
        expect(warehouse_page.locator(f"[data-location='A-01'] [data-pick-row='{shipment.number}'][data-sku='{sku}']")
               ).to_contain_text(quantity)
    shot(warehouse_page, "pick-list")
    press(warehouse_page, f"[data-pick-shipment='{shipment.number}'] [data-action=start-picking]", "Start picking")
    expect(warehouse_page.locator(".message.success")).to_be_visible()

    # --- 8 pack: scan each line, weigh and measure, mark packed --------------------------------------
    press(warehouse_page, f"[data-pick-shipment='{shipment.number}'] [data-action=pack]", "Pack")
    expect(warehouse_page.locator("h1")).to_contain_text(f"{t('Pack and verify')} · {shipment.number}")
    for sku, quantity in (("GB-100", "2"), ("BR-7", "10")):
        expect(warehouse_page.locator("#id_scan_sku")).to_be_focused()
        warehouse_page.fill("#id_scan_sku", sku)
        warehouse_page.fill("#id_scan_quantity", quantity)
        warehouse_page.fill("#id_scan_package", "1")
        press(warehouse_page, "[data-action=verify]", "Verify and pack")
        expect(warehouse_page.locator(f"tr.ship-done[data-line-sku='{sku}']")).to_be_visible()
    expect(warehouse_page.locator("[data-all-verified]")).to_be_visible()
    package = warehouse_page.locator("[data-package='1']")
    for field, value in (("weight_kg", "20.5"), ("length_cm", "60"), ("width_cm", "40"), ("height_cm", "35")):
        package.locator(f"#id_measure_1_{field}").fill(value)
    press(warehouse_page, "[data-package='1'] [data-action=measure]", "Save weight and size")
    expect(package.locator("[data-measured]")).to_be_visible()
    shot(warehouse_page, "pack")
    press(warehouse_page, "[data-action=mark-packed]", "Mark packed", renders_pdf=True)
    expect(warehouse_page.locator("[data-shipment-state]").first).to_have_attribute("data-shipment-state", "packed")

    # --- 9 ship: logistics accepts the recommended carrier and ships with the tracking number -------
    logistics = log_in("logistics")
    logistics.click("#shipping-waiting a[href$='state=packed']")
    logistics.click(f"[data-shipment='{shipment.number}'] a")
    expect(logistics.locator(f"[data-option='{road.pk}'] [data-recommended]")).to_be_visible()
    press(logistics, "[data-action=accept-recommended]", "Accept recommended")
    expect(logistics.locator("[data-carrier]")).to_contain_text("Road freight")
    logistics.fill("#id_ship_tracking_number", "TRK-20260042")
    press(logistics, "[data-action=ship]", "Ship", renders_pdf=True)
    expect(logistics.locator("[data-shipment-state]").first).to_have_attribute("data-shipment-state", "shipped")
    expect(logistics.locator("[data-tracking-number]")).to_have_text("TRK-20260042")
    shot(logistics, "ship")

    # --- 10 proof of delivery: who received it, with the signed delivery note ------------------------
    expect(logistics.locator("#tracking h3").last).to_have_text(t("Proof of delivery"))
    logistics.fill("#id_delivery_recipient_name", "Wu Lei")
    signature = tmp_path / "signed-delivery-note.pdf"
    signature.write_bytes(signed.read_bytes())
    logistics.set_input_files("#id_delivery_signature", str(signature))
    press(logistics, "[data-action=deliver]", "Record delivery")
    expect(logistics.locator("[data-shipment-state]").first).to_have_attribute("data-shipment-state", "delivered")
    expect(logistics.locator("#proof-of-delivery")).to_contain_text("Wu Lei")
    expect(logistics.locator("[data-pod-signature]")).to_contain_text(shipment.number)
    shot(logistics, "proof-of-delivery")

    # the order page: delivered, with the whole journey on its timeline
    logistics.goto(order_url)
    order_state(logistics, OrderState.DELIVERED)
    entries = logistics.locator("ol.timeline > li > strong")
    expect(entries.last).to_have_text(t(str(TRANSITIONS["deliver"].done)))
    shown = entries.all_inner_texts()
    steps_shown = [shown.index(t(str(TRANSITIONS[step].done))) for step in JOURNEY]
    assert steps_shown == sorted(steps_shown), shown  # each step once, in the order it happened
    shot(logistics, "order-delivered")
    for page in pages.values():
        page.context.close()

    # --- what the database says -----------------------------------------------------------------------
    order.refresh_from_db()
    shipment.refresh_from_db()
    assert order.state == OrderState.DELIVERED
    assert (shipment.state, shipment.carrier_service, shipment.tracking_number) == (
        ShipmentState.DELIVERED, road, "TRK-20260042")
    assert ProofOfDelivery.objects.get(shipment=shipment).recipient_name == "Wu Lei"
    steps = [(event.kind, event.by) for event in order.events.order_by("at", "id") if event.kind in TRANSITIONS]
    assert [kind for kind, _by in steps] == JOURNEY
    who = dict(steps)
    assert (who["quote"], who["contract"], who["submit"], who["approve"], who["start_fulfilment"], who["ship"],
            who["deliver"]) == (users["sales"], users["sales"], users["order_desk"], users["reviewer"],
                                users["planner"], users["logistics"], users["logistics"])
    # four eyes: neither the person who entered the order nor the one who submitted it approved it
    assert order.entered_by == users["sales"] and who["approve"] not in (order.entered_by, who["submit"])
    issued = {(move.product.sku, -move.on_hand_delta)
              for move in StockMove.objects.filter(kind=MoveKind.ISSUE, reference=shipment.number)
              .select_related("product")}
    assert issued == {("GB-100", 2), ("BR-7", 10)}
    levels = {level.product.sku: (level.on_hand, level.reserved)
              for level in StockLevel.objects.filter(warehouse=warehouse).select_related("product")}
    assert levels == {"GB-100": (48, 0), "BR-7": (40, 0)}
    assert [line.shipped_quantity for line in order.lines.order_by("line_no")] == [2, 10]

    for name in shots:
        path = artifacts / name
        assert path.exists() and path.stat().st_size > 10_000, name
    if language != "en":  # no English left on the buttons, headings, labels and badges passed
        leftovers = "".join(f"{name}: {text!r}\n" for name, texts in latin_text.items() for text in texts)
        (artifacts / f"{prefix}latin-text.txt").write_text(leftovers or "none\n", encoding="utf-8")
        assert not leftovers, f"untranslated text in the {language} pages:\n{leftovers}"
    print(f"journey in {language}: {time.monotonic() - started:.1f} s, {len(shots)} screenshots")


def warm_up(live_server) -> None:
    """The first request to a fresh live server loads the URLs, templates and static files,
    which on a busy machine takes longer than one browser step may: make it before."""
    for path in ("/accounts/login/", "/static/css/oms.css", "/static/js/oms.js"):
        with urllib.request.urlopen(f"{live_server.url}{path}", timeout=60) as response:
            response.read()


def latin_leftovers(page) -> list[str]:
    """Latin words in the headings, buttons, links, labels and table heads of `page` that are
    not data (names, numbers, codes): candidates for untranslated text."""
    texts = page.eval_on_selector_all(
        "h1, h2, h3, button, a.button, nav a, label, th, summary, .badge, .message, .empty, dt",
        "nodes => nodes.filter(n => n.offsetParent !== null).map(n => n.innerText.trim())")
    found = []
    for text in texts:
        rest = NOT_LABELS.sub(" ", text)
        if re.search(r"[A-Za-z]{3,}", rest) and text not in found:
            found.append(text)
    return found
