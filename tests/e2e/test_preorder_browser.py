"""The whole pre-order path in a real (headless) Chromium, through the pages only: sales
captures needs with the product search, drafts and revises the quotation, finance sends
it back once and then approves, sales sends it, records the acceptance and drafts the
contract, the manager approves it in legal review, sales uploads the signed copy and the
order is contracted. Screenshots of the pages are kept as test artifacts."""

from __future__ import annotations

import datetime
import importlib
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.utils import timezone

from customers.models import Contact
from orders.models import Contract, ContractState, OrderState, Quotation, QuotationState, SalesOrder
from tests.e2e.conftest import STEP_TIMEOUT_MS, artifacts_dir, log_in_as
from tests.factories import CustomerFactory, ProductFactory


@pytest.fixture
def contract_templates(transactional_db):
    """The standard clause templates come from a data migration, which a transactional
    test's flush removes: put them back."""
    migration = importlib.import_module("orders.migrations.0004_contract_templates")
    migration.create_templates(apps, None)


def test_inquiry_to_signed_contract_in_the_browser(transactional_db, users, contract_templates, live_server, browser,
                                                   tmp_path):
    from playwright.sync_api import expect

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    customer = CustomerFactory(owner=users["sales"], name="Acme Gears Ltd", code="C-ACME", language="en",
                               payment_terms="net30")
    Contact.objects.filter(customer=customer).update(name="Wu Lei", email="wu.lei@acme.example")
    ProductFactory(sku="GB-100", name="Gearbox GB-100", list_price=Decimal("1234.50"),
                   standard_cost=Decimal("700.00"))
    ProductFactory(sku="BR-7", name="Ball bearing 7", list_price=Decimal("12.80"), standard_cost=Decimal("6.00"))
    ProductFactory(sku="GX-9", name="Gear shaft", list_price=Decimal("88.00"), standard_cost=Decimal("40.00"))
    artifacts = artifacts_dir()

    def log_in(role: str):
        return log_in_as(browser, live_server, users[role], label=role)

    def shot(page, name: str) -> Path:
        path = artifacts / name
        page.screenshot(path=str(path), full_page=True)
        return path

    state_badge = "[data-quotation-state]"

    # --- sales: customer page → new inquiry, needs through the product search -------------------
    sales = log_in("sales")
    sales.click("nav.mainnav >> text=Customers")
    sales.click("text=Acme Gears Ltd")
    expect(sales.locator("h1")).to_contain_text("Acme Gears Ltd")
    shot(sales, "customer.png")
    sales.click("[data-action=new-inquiry]")
    expect(sales.locator("h1")).to_contain_text("New inquiry")
    later = timezone.localdate() + datetime.timedelta(days=30)
    sales.fill("#id_requested_date", later.isoformat())
    sales.fill("#id_customer_reference", "RFQ-2026-17")
    sales.fill("#id_note", "Called Wu Lei: needs gearboxes for the new line, price-sensitive.")

    product = sales.locator("[name=needs-0-product]")
    product.press_sequentially("gearb")
    sales.locator(".suggestions [role=option]", has_text="GB-100").click()
    expect(product).to_have_value("GB-100")
    expect(sales.locator("[data-formset-body] tr").first.locator("[data-product-name]")).to_have_text("Gearbox GB-100")
    sales.fill("[name=needs-0-quantity]", "4")
    sales.fill("[name=needs-0-expectations]", "Factory test report with each unit")
    sales.press("[name=needs-0-quantity]", "Enter")  # Enter in the last row adds a row
    second = sales.locator("[name=needs-1-product]")
    expect(second).to_be_focused()
    second.press_sequentially("BR")
    expect(sales.locator("[data-formset-body] tr").nth(1).locator(".suggestions [role=option]")).to_have_count(1)
    shot(sales, "inquiry-search.png")
    second.press("ArrowDown")
    second.press("Enter")  # keyboard: pick the highlighted suggestion
    expect(second).to_have_value("BR-7")
    sales.fill("[name=needs-1-quantity]", "20")
    sales.click("[data-action=save-inquiry]")

    # --- the order page: needs and note; create the quotation ----------------------------------------
    expect(sales.locator("#needs")).to_contain_text("Gearbox GB-100")
    expect(sales.locator("#notes")).to_contain_text("price-sensitive")
    order = SalesOrder.objects.get(customer=customer)
    sales.click("[data-action=create-quotation]")
    expect(sales.locator(state_badge)).to_have_text("Draft")
    quotation_url = sales.url

    # lines and terms: a discount on the gearbox, a third line found by name, warranty
    sales.fill("[name=lines-0-unit_price]", "1150.00")
    sales.fill("[name=lines-0-discount_percent]", "8")
    sales.click("[data-formset-add]")
    third = sales.locator("[name=lines-2-product]")
    expect(third).to_be_focused()
    third.press_sequentially("shaft")
    sales.locator(".suggestions [role=option]", has_text="GX-9").click()
    expect(sales.locator("[name=lines-2-unit_price]")).to_have_value("88.00")
    sales.fill("[name=lines-2-quantity]", "4")
    sales.fill("#id_warranty_terms", "24 months from delivery")
    sales.fill("#id_lead_time_days", "21")
    expect(sales.locator("[data-grand-total]")).to_have_text("¥4,840.00")  # live total: 4×1058 + 20×12.80 + 4×88
    shot(sales, "quotation-draft.png")
    sales.click("[data-action=save-draft]")
    expect(sales.locator(".message.success")).to_contain_text("Draft saved.")
    expect(sales.locator("[name=lines-2-product]")).to_have_value("GX-9")
    sales.click("[data-action=submit-review]")
    expect(sales.locator(state_badge)).to_have_text("In internal review")

    # --- finance sends it back with a comment ------------------------------------------------------
    finance = log_in("reviewer")
    queue = finance.locator("#signoff-queue")
    expect(queue).to_contain_text(order.customer.name)
    shot(finance, "home-reviewer.png")
    queue.locator("a", has_text="rev 1").click()
    form = finance.locator("[data-signoff-form=finance]")
    form.locator("[data-action=signoff-changes]").click()
    expect(finance.locator("[data-signoff-form=finance] .errorlist")).to_contain_text("Say what should change.")
    shot(finance, "quotation-signoff-error.png")
    finance.fill("[data-signoff-form=finance] textarea[name=comment]", "8% off the gearbox is too much: 5% at most.")
    finance.click("[data-signoff-form=finance] [data-action=signoff-changes]")
    expect(finance.locator(state_badge)).to_have_text("Draft")

    # --- sales: new revision with a smaller discount, submitted again ------------------------------
    sales.goto(quotation_url)
    expect(sales.locator("#review")).to_contain_text("5% at most")
    sales.click("[data-action=revise]")
    expect(sales.locator("h1")).to_contain_text("rev 2")
    sales.fill("[name=lines-0-discount_percent]", "5")
    sales.click("[data-action=submit-review]")
    expect(sales.locator(state_badge)).to_have_text("In internal review")
    revision_2_url = sales.url

    # --- finance approves (stock items only: no production / purchasing sign-off) -----------------
    finance.goto(revision_2_url)
    expect(finance.locator("#review details.round")).to_contain_text("5% at most")  # rev 1's review
    finance.fill("[data-signoff-form=finance] textarea[name=comment]", "Margin fine.")
    shot(finance, "quotation-review.png")
    finance.click("[data-signoff-form=finance] [data-action=signoff-approve]")
    expect(finance.locator(state_badge)).to_have_text("Approved")

    # --- sales sends it, records the acceptance, drafts the contract ---------------------------------
    sales.goto(revision_2_url)
    expect(sales.locator("#id_to_email")).to_have_value("wu.lei@acme.example")
    sales.click("[data-action=send]")
    expect(sales.locator(state_badge)).to_have_text("Sent")
    sales.fill("#id_note", "Accepted by e-mail, PO to follow.")
    sales.click("[data-action=accept]")
    expect(sales.locator(state_badge)).to_have_text("Accepted")
    quotation_png = shot(sales, "quotation.png")
    sales.click("[data-action=create-contract]")
    expect(sales.locator("[data-contract-state]")).to_have_text("Draft")
    expect(sales.locator("#clauses")).to_contain_text("Dispute resolution")
    sales.click("[data-action=contract-submit]")
    expect(sales.locator("[data-contract-state]")).to_have_text("In legal review")
    contract_url = sales.url

    # --- manager: legal review from the home queue --------------------------------------------------
    manager = log_in("manager")
    manager.locator("#contract-queue a").first.click()
    manager.fill("[data-review-form] textarea[name=comment]", "Standard terms; approved.")
    manager.click("[data-action=contract-approve]")
    expect(manager.locator("[data-contract-state]")).to_have_text("Approved for signing")

    # --- sales: signed copy and signing date → signed, the order is contracted ----------------------
    signed = tmp_path / "signed-contract.pdf"
    signed.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    sales.goto(contract_url)
    sales.set_input_files("#id_signed_copy", str(signed))
    expect(sales.locator("#id_signed_on")).to_have_value(timezone.localdate().isoformat())
    sales.click("[data-action=sign]")
    expect(sales.locator("[data-contract-state]")).to_have_text("Signed")
    expect(sales.locator("[data-action=signed-copy]")).to_have_text("signed-contract.pdf")
    shot(sales, "contract.png")
    sales.click(f"text={order.number}")
    expect(sales.locator(".pagehead .badge").first).to_have_text("Contracted")
    expect(sales.locator("#attachments")).to_contain_text("signed-contract.pdf")
    shot(sales, "order.png")

    # the same pages in Chinese, through the language switch
    sales.goto(revision_2_url)
    sales.select_option("#language-select", "zh-hans")
    expect(sales.locator("html")).to_have_attribute("lang", "zh-hans")
    shot(sales, "quotation-zh.png")

    # --- what the database says --------------------------------------------------------------------
    order.refresh_from_db()
    assert order.state == OrderState.CONTRACTED
    revisions = list(Quotation.objects.filter(order=order).order_by("revision"))
    assert [q.state for q in revisions] == [QuotationState.SUPERSEDED, QuotationState.ACCEPTED]
    assert revisions[1].lines.get(line_no=1).discount_percent == 5
    contract = Contract.objects.get(order=order)
    assert contract.state == ContractState.SIGNED and contract.signed_copy.filename == "signed-contract.pdf"
    assert quotation_png.exists() and quotation_png.stat().st_size > 10_000
