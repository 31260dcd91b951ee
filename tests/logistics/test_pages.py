"""Shipping pages: the shipments list, orders to ship and planning, pick lists (page and
PDF), pack and verify, the shipment page with its carrier choice, shipping, tracking and
proof of delivery, the shipments on the order page and the home card — who may open and
use them, what they change, what they refuse, and what they cost."""

from __future__ import annotations

import datetime
import re
import subprocess
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import Batch, Location, StockMove
from inventory.services import stock_receive
from logistics import services as shipping
from logistics.models import Package, PackedItem, Shipment, ShipmentState, TrackingEvent
from orders.models import OrderState, SalesOrder
from tests.factories import (
    CustomerFactory,
    ProductFactory,
    WarehouseFactory,
    carrier_service,
    deliver_shipment,
    make_user,
    packed_shipment,
    plan_shipment,
    released_order,
    ship_shipment,
    verify_everything,
)
from tests.pages import client_for, html

pytestmark = pytest.mark.django_db

LIST = "/shipping/"
TO_SHIP = "/shipping/to-ship/"
PICK = "/shipping/pick/"
PRICE = "98765.43"
EXPIRES = datetime.date(2030, 6, 30)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
#: The shipments list whatever its length: session, user, the user's and the groups'
#: permissions, the groups (role names in the header), the filter's warehouses, the count
#: and the page.
LIST_QUERIES = 8


@pytest.fixture
def goods(db):
    """A warehouse with a batch-tracked bearing (batch B1 on shelf A-01) and a gearbox
    without batches (shelf B-02), both priced so a leaked price would show."""
    warehouse = WarehouseFactory(code="SH1", name="Shanghai main")
    shelf_a = Location.objects.create(warehouse=warehouse, code="A-01", name="Shelf A-01")
    shelf_b = Location.objects.create(warehouse=warehouse, code="B-02", name="Shelf B-02")
    bearing = ProductFactory(sku="BRG-6204", name="Ball bearing 6204", batch_tracked=True, list_price=Decimal(PRICE))
    gearbox = ProductFactory(sku="GB-100", name="Gearbox GB-100", list_price=Decimal(PRICE),
                             weight_kg=Decimal("8"))
    stock_receive(product=bearing, warehouse=warehouse, location=shelf_a, quantity="50", batch_code="B1",
                  expires_on=EXPIRES, reference="OPENING")
    stock_receive(product=gearbox, warehouse=warehouse, location=shelf_b, quantity="10", reference="OPENING")
    return {"warehouse": warehouse, "bearing": bearing, "gearbox": gearbox}


def order_for(users, goods, *, bearings: str = "6", gearboxes: str = "2"):
    customer = CustomerFactory(owner=users["sales"], name="Acme Gears Ltd")
    return released_order(users, customer=customer, lines=[(goods["bearing"], bearings), (goods["gearbox"], gearboxes)])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def text_of(response) -> str:
    """The page's visible text, tags stripped and spaces collapsed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", html(response), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def assert_no_price(page: str, url: str) -> None:
    assert PRICE not in page and "98,765.43" not in page, f"a sales price on {url}"


def pdf_text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
                          ).stdout.decode()


# --- every page renders, with data and empty -------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("role", ["warehouse", "logistics"])
def test_each_shipping_page_renders_with_shipments_in_every_state(users, goods, role, language):
    carrier_service()
    planned = plan_shipment(order_for(users, goods), users)
    packed = packed_shipment(order_for(users, goods), users)
    shipped = ship_shipment(packed_shipment(order_for(users, goods), users), users)
    delivered = ship_shipment(packed_shipment(order_for(users, goods), users), users)
    deliver_shipment(delivered, users)
    waiting = order_for(users, goods)  # reserved, not planned
    client = client_for(users[role], language)
    pages = {
        LIST: [planned.number, packed.number, shipped.number, delivered.number],
        TO_SHIP: [waiting.number],
        f"/shipping/plan/{waiting.pk}/": ["BRG-6204", "GB-100"],
        PICK: ["SH1"],
        f"{PICK}{goods['warehouse'].pk}/": [planned.number, "BRG-6204", "A-01", "B-02", "B1"],
        # where to take the goods from, for those who pack
        f"/shipping/{planned.pk}/pack/": ["BRG-6204", *(["A-01"] if role == "warehouse" else [])],
        f"/shipping/{planned.pk}/": [planned.number],
        f"/shipping/{packed.pk}/": [packed.number],
        f"/shipping/{shipped.pk}/": [shipped.number, shipped.tracking_number],
        f"/shipping/{delivered.pk}/": [delivered.number, "Wang Fang"],
    }
    for url, expected in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        page = html(response)
        assert f'<html lang="{language}">' in page
        for text in expected:
            assert text in page, (url, text)
        if role == "warehouse":
            assert_no_price(page, url)


def test_shipping_pages_say_when_there_is_nothing(users):
    client = client_for(users["warehouse"])
    assert "No shipments yet" in text_of(client.get(LIST))
    assert "No shipments match these filters" in text_of(client.get(LIST + "?state=delivered"))
    assert "Nothing waits to be shipped" in text_of(client.get(TO_SHIP))
    assert "There are no warehouses yet" in text_of(client.get(PICK))
    warehouse = WarehouseFactory()
    assert "Nothing waits to be picked in this warehouse" in text_of(client.get(f"{PICK}{warehouse.pk}/"))
    empty_pdf = client.get(f"{PICK}{warehouse.pk}/pdf/")
    assert empty_pdf["Content-Type"] == "application/pdf"
    assert warehouse.code in pdf_text(empty_pdf.content)


def test_bad_addresses_and_input_get_404_or_a_message_never_a_500(users, goods):
    client = client_for(users["warehouse"])
    shipment = plan_shipment(order_for(users, goods), users)
    for url in ("/shipping/999999/", "/shipping/999999/pack/", f"{PICK}999999/", f"{PICK}999999/pdf/",
                "/shipping/plan/999999/"):
        assert client.get(url).status_code == 404, url
    assert client.get(LIST + "?state=nonsense&warehouse=abc&page=zzz").status_code == 200
    assert client.post(f"/shipping/{shipment.pk}/pack/scan/", {"sku": "BRG-6204", "quantity": "x",
                                                               "batch": "B1"}).status_code == 400
    assert client.post(f"/shipping/{shipment.pk}/pack/scan/", {"sku": "BRG-6204", "quantity": "1",
                                                               "package": "-3"}).status_code == 400
    response = client.post(f"/shipping/{shipment.pk}/pack/packages/1/measure/",
                           {"weight_kg": "heavy", "length_cm": "0", "width_cm": "1e9", "height_cm": ""})
    assert response.status_code == 400
    assert client.post(f"/shipping/{shipment.pk}/carrier/", {}).status_code == 400
    assert client.post(f"/shipping/{shipment.pk}/ship/", {"tracking_number": "X1"}).status_code == 409
    assert not PackedItem.objects.exists() and not Package.objects.exists()


# --- who may open what ---------------------------------------------------------------------------

def test_sales_cannot_open_the_pick_and_pack_pages_or_act_on_a_shipment(users, goods):
    shipment = plan_shipment(order_for(users, goods), users)
    sales = client_for(users["sales"])
    for url in (PICK, f"{PICK}{goods['warehouse'].pk}/", f"{PICK}{goods['warehouse'].pk}/pdf/",
                f"/shipping/{shipment.pk}/pack/", TO_SHIP, f"/shipping/plan/{shipment.order_id}/"):
        assert sales.get(url).status_code in (403, 404), url
    for url, data in ((f"/shipping/{shipment.pk}/pack/scan/", {"sku": "GB-100", "quantity": "1"}),
                      (f"/shipping/{shipment.pk}/start-picking/", {}),
                      (f"/shipping/{shipment.pk}/cancel/", {"reason": "no"}),
                      (f"/shipping/{shipment.pk}/pack/done/", {})):
        assert sales.post(url, data).status_code in (403, 404), url
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.PLANNED and not PackedItem.objects.exists()
    # another salesperson's customer's shipment is not found at all
    assert client_for(make_user("sales")).get(f"/shipping/{shipment.pk}/").status_code == 404
    # the order's own salesperson follows it (read only), without the warehouse's buttons
    page = sales.get(f"/shipping/{shipment.pk}/")
    assert page.status_code == 200 and 'data-action="start-picking"' not in html(page)
    assert 'href="/shipping/"' not in html(sales.get("/"))  # no Shipping menu link


def test_the_warehouse_does_not_see_shipping_costs_and_logistics_does(users, goods):
    carrier_service(base_fee=Decimal("777.00"))
    shipment = ship_shipment(packed_shipment(order_for(users, goods), users), users)
    for role, shown in (("warehouse", False), ("logistics", True), ("manager", True)):
        page = text_of(client_for(users[role]).get(f"/shipping/{shipment.pk}/"))
        assert ("Shipping cost" in page) is shown, role
        assert ("¥" in page) is shown, role


# --- planning ------------------------------------------------------------------------------------

def test_plan_shipment_from_orders_to_ship_plans_everything_reserved(users, goods):
    order = order_for(users, goods)
    client = client_for(users["warehouse"])
    assert order.number in text_of(client.get(TO_SHIP))
    response = client.post(f"/shipping/plan/{order.pk}/all/", {"next": TO_SHIP}, follow=True)
    shipment = Shipment.objects.get(order=order)
    assert response.redirect_chain[-1][0] == f"/shipping/{shipment.pk}/"
    assert any(shipment.number in m and "SH1" in m for m in messages_of(response))
    assert {(line.order_line.product.sku, line.quantity) for line in shipment.lines.all()} == {
        ("BRG-6204", 6), ("GB-100", 2)}
    assert order.number not in text_of(client.get(TO_SHIP))
    again = client.post(f"/shipping/plan/{order.pk}/all/", {"next": TO_SHIP}, follow=True)
    assert any("Nothing reserved is left to ship" in m for m in messages_of(again))
    assert Shipment.objects.filter(order=order).count() == 1


def test_the_plan_page_plans_the_quantities_typed_and_refuses_more_than_reserved(users, goods):
    order = order_for(users, goods)
    bearing_line = order.lines.get(product=goods["bearing"])
    gearbox_line = order.lines.get(product=goods["gearbox"])
    client = client_for(users["logistics"])
    url = f"/shipping/plan/{order.pk}/"
    page = html(client.get(url))
    assert f'name="line_{bearing_line.pk}"' in page and 'value="6"' in page
    too_many = client.post(url, {"warehouse": goods["warehouse"].pk, f"line_{bearing_line.pk}": "7",
                                 f"line_{gearbox_line.pk}": "0"})
    assert too_many.status_code == 400
    assert "has 6 reserved here that no shipment carries yet" in text_of(too_many)
    assert not Shipment.objects.exists()
    assert client.post(url, {"warehouse": "x"}).status_code == 400
    response = client.post(url, {"warehouse": goods["warehouse"].pk, f"line_{bearing_line.pk}": "4",
                                 f"line_{gearbox_line.pk}": ""}, follow=True)
    shipment = Shipment.objects.get()
    assert response.redirect_chain[-1][0] == f"/shipping/{shipment.pk}/"
    assert [(line.order_line_id, line.quantity) for line in shipment.lines.all()] == [(bearing_line.pk, 4)]
    left = html(client.get(url))
    assert f'name="line_{bearing_line.pk}"' in left and f'name="line_{gearbox_line.pk}"' in left
    assert shipment.number in left  # the open shipment of the order


# --- the pick list ---------------------------------------------------------------------------------

def test_the_pick_list_groups_rows_by_location_and_lists_shortages(users, goods):
    first = plan_shipment(order_for(users, goods, bearings="4", gearboxes="1"), users)
    # a seal whose only batch expires after it was reserved: nothing can be picked for it
    seal = ProductFactory(sku="SEAL-9", name="Shaft seal", batch_tracked=True)
    stock_receive(product=seal, warehouse=goods["warehouse"], location=Location.objects.get(code="A-01"),
                  quantity="5", batch_code="OLD", expires_on=EXPIRES, reference="OPENING")
    customer = CustomerFactory(owner=users["sales"])
    second = plan_shipment(released_order(users, customer=customer, lines=[(goods["bearing"], "3"), (seal, "2")]),
                           users)
    Batch.objects.filter(code="OLD").update(expires_on=timezone.localdate() - datetime.timedelta(days=1))
    client = client_for(users["warehouse"])
    response = client.get(f"{PICK}{goods['warehouse'].pk}/")
    page = html(response)
    assert page.index('data-location="A-01"') < page.index('data-location="B-02"') < page.index('id="shortages"')
    a01 = page[page.index('data-location="A-01"'):page.index('data-location="B-02"')]
    assert a01.count("data-pick-row=") == 2 and "B1" in a01 and first.number in a01 and second.number in a01
    assert "OLD" not in page  # an expired batch is never suggested
    shortages = page[page.index('id="shortages"'):]
    assert f'data-shortage="{second.number}"' in shortages and 'data-sku="SEAL-9"' in shortages
    assert 'data-action="start-picking"' in page and f'href="/shipping/{first.pk}/pack/"' in page
    # start picking from the list comes back to the list
    back = client.post(f"/shipping/{first.pk}/start-picking/", {"next": f"{PICK}{goods['warehouse'].pk}/"},
                       follow=True)
    assert back.redirect_chain[-1][0] == f"{PICK}{goods['warehouse'].pk}/"
    first.refresh_from_db()
    assert first.state == ShipmentState.PICKING
    only = html(client.get(f"{PICK}{goods['warehouse'].pk}/?shipment={second.pk}"))
    assert f'data-pick-shipment="{second.number}"' in only and f'data-pick-shipment="{first.number}"' not in only


def test_the_pick_list_of_a_busy_warehouse_shows_the_most_urgent_shipments(users, goods, monkeypatch):
    monkeypatch.setattr("logistics.views.picking.PICK_LIMIT", 1)
    low, high = (plan_shipment(order_for(users, goods, bearings="2", gearboxes="1"), users) for _ in range(2))
    SalesOrder.objects.filter(pk=high.order_id).update(priority=900)
    page = html(client_for(users["warehouse"]).get(f"{PICK}{goods['warehouse'].pk}/"))
    assert f'data-pick-shipment="{high.number}"' in page and f'data-pick-shipment="{low.number}"' not in page
    assert f'data-pick-row="{low.number}"' not in page
    banner = page[page.index("data-pick-limit"):]
    assert "The 1 most urgent of 2 shipments are shown" in banner[:banner.index("</p>")]


def test_the_pick_list_pdf_downloads_with_the_skus_batches_and_locations(users, goods):
    shipment = plan_shipment(order_for(users, goods), users)
    response = client_for(users["warehouse"]).get(f"{PICK}{goods['warehouse'].pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "pick-list-SH1-" in response["Content-Disposition"]
    text = pdf_text(response.content)
    for expected in ("BRG-6204", "GB-100", "A-01", "B-02", "B1", shipment.number, shipment.order.number):
        assert expected in text
    assert PRICE not in text


def test_the_pick_list_pdf_prints_chinese(users, goods):
    goods["gearbox"].name = "行星齿轮箱"
    goods["gearbox"].save()
    plan_shipment(order_for(users, goods), users)
    response = client_for(users["warehouse"], "zh-hans").get(f"{PICK}{goods['warehouse'].pk}/pdf/")
    assert "行星齿轮箱" in pdf_text(response.content)


# --- pack and verify -------------------------------------------------------------------------------

def test_a_refused_scan_shows_the_message_prominently_and_creates_nothing(users, goods):
    shipment = plan_shipment(order_for(users, goods), users)
    client = client_for(users["warehouse"])
    url = f"/shipping/{shipment.pk}/pack/scan/"
    for data, message in (
            ({"sku": "XX-999", "quantity": "1", "package": "1"}, f"XX-999 is not on shipment {shipment.number}"),
            ({"sku": "BRG-6204", "quantity": "1", "batch": ""}, "BRG-6204 is batch-tracked: scan or type the batch"),
            ({"sku": "BRG-6204", "quantity": "1", "batch": "B9"}, "B9 is not a batch of BRG-6204"),
            ({"sku": "GB-100", "quantity": "3"}, "Only 2 of GB-100 are still to be packed")):
        response = client.post(url, data)
        assert response.status_code == 400, data
        page = html(response)
        alert = page[page.index('role="alert" data-scan-refused'):]
        assert message in alert[:alert.index("</div>")], data
        assert f'value="{data["sku"]}"' in page  # what was typed stays, to correct it
    assert not PackedItem.objects.exists() and not Package.objects.exists()
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.PLANNED


def test_packing_through_the_pack_page_verifies_measures_and_packs(users, goods):
    order = order_for(users, goods)
    shipment = plan_shipment(order, users)
    client = client_for(users["warehouse"])
    pack = f"/shipping/{shipment.pk}/pack/"
    assert 'autofocus' in html(client.get(pack))
    scanned = client.post(pack + "scan/", {"sku": "brg-6204", "quantity": "2", "batch": "B1", "package": "1"},
                          follow=True)
    assert "Verified 2 × BRG-6204 (batch B1) into package 1." in messages_of(scanned)
    assert scanned.redirect_chain[-1][0] == pack + "?package=1"
    # the packer takes a wrong item out again
    item = PackedItem.objects.get()
    client.post(pack + f"items/{item.pk}/remove/")
    assert not PackedItem.objects.exists()
    for data in ({"sku": "BRG-6204", "quantity": "6", "batch": "B1", "package": "1"},
                 {"sku": "GB-100", "quantity": "2", "package": "2"}):
        assert client.post(pack + "scan/", data).status_code == 302
    page = html(client.get(pack))
    assert page.count('class="ship-done"') == 2 and "data-all-verified" in page
    # not measured: refused, with the reason
    refused = client.post(pack + "done/")
    assert refused.status_code == 400
    assert "Weigh and measure package 1." in text_of(refused) and "Weigh and measure package 2." in text_of(refused)
    for number in (1, 2):
        measured = client.post(pack + f"packages/{number}/measure/",
                               {"weight_kg": "12,5", "length_cm": "60", "width_cm": "40", "height_cm": "30"},
                               follow=True)
        assert f"Package {number}: 12.5 kg, 60 × 40 × 30 cm." in messages_of(measured)
    # an extra empty package is removed
    client.post(pack + "packages/3/measure/", {"weight_kg": "1", "length_cm": "1", "width_cm": "1",
                                               "height_cm": "1"})
    client.post(pack + "packages/3/remove/")
    assert shipment.packages.count() == 2
    done = client.post(pack + "done/", follow=True)
    assert done.redirect_chain[-1][0] == f"/shipping/{shipment.pk}/"
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert (shipment.state, shipment.packed_by, order.state) == (ShipmentState.PACKED, users["warehouse"],
                                                                 OrderState.READY_TO_SHIP)
    # the pack page now offers to reopen, which needs a reason
    assert 'data-action="reopen"' in html(client.get(pack))
    no_reason = client.post(f"/shipping/{shipment.pk}/reopen/", {"reason": "", "page": "pack"})
    assert no_reason.status_code == 400 and "Say why." in text_of(no_reason)
    reopened = client.post(f"/shipping/{shipment.pk}/reopen/", {"reason": "customer adds a note", "page": "pack"},
                           follow=True)
    assert reopened.redirect_chain[-1][0] == pack
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.PICKING


def test_mark_packed_lists_the_lines_not_verified(users, goods):
    shipment = plan_shipment(order_for(users, goods), users)
    response = client_for(users["warehouse"]).post(f"/shipping/{shipment.pk}/pack/done/")
    assert response.status_code == 400
    page = text_of(response)
    assert "BRG-6204: 0 of 6 verified." in page and "GB-100: 0 of 2 verified." in page
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.PLANNED


# --- carrier choice and shipping -------------------------------------------------------------------

def test_the_carrier_section_ranks_options_and_explains_the_excluded_ones(users, goods):
    road = carrier_service(id=987654)  # an id a localised template would print as "987,654"
    sea = carrier_service(code="SEACO", mode="sea", name="Sea freight", max_weight_kg=Decimal("5"))
    shipment = packed_shipment(order_for(users, goods), users)
    response = client_for(users["logistics"]).get(f"/shipping/{shipment.pk}/")
    page = html(response)
    options = page[page.index('id="carrier"'):]
    assert f'data-option="{road.pk}"' in options and "data-recommended" in options
    excluded = options[options.index(f'data-excluded="{sea.pk}"'):]
    assert 'data-reason="too_heavy"' in excluded
    assert "The shipment weighs 12.5 kg, this service takes at most 5 kg." in text_of(response)
    # choosing the excluded one is refused with the same reason
    refused = client_for(users["logistics"]).post(f"/shipping/{shipment.pk}/carrier/", {"service": sea.pk})
    assert refused.status_code == 400 and "takes at most 5 kg" in text_of(refused)
    shipment.refresh_from_db()
    assert shipment.carrier_service is None
    # the radio's value is what the choice posts back
    assert f'name="service" value="{road.pk}"' in options
    client_for(users["logistics"]).post(f"/shipping/{shipment.pk}/carrier/", {"service": str(road.pk)})
    shipment.refresh_from_db()
    assert shipment.carrier_service == road


def test_accepting_the_recommended_carrier_and_shipping_issues_the_stock(users, goods):
    cheap = carrier_service(base_fee=Decimal("10"))
    carrier_service(code="EXPRESSCO", mode="express", name="Next day", base_fee=Decimal("90"), transit_days=1)
    order = order_for(users, goods)
    shipment = packed_shipment(order, users)
    client = client_for(users["warehouse"])  # the warehouse ships, too
    detail = f"/shipping/{shipment.pk}/"
    assert 'id="ship"' not in html(client.get(detail))  # no ship form before a carrier is chosen
    chosen = client.post(detail + "carrier/", {"accept": "1", "service": ""}, follow=True)
    assert any("Carrier chosen" in m for m in messages_of(chosen))
    shipment.refresh_from_db()
    assert shipment.carrier_service == cheap
    future = client.post(detail + "ship/", {"tracking_number": "TRK-1",
                                            "ship_date": (timezone.localdate()
                                                          + datetime.timedelta(days=3)).isoformat()})
    assert future.status_code == 400 and "cannot be in the future" in text_of(future)
    assert client.post(detail + "ship/", {"tracking_number": ""}).status_code == 400
    shipped = client.post(detail + "ship/", {"tracking_number": "TRK-0001", "ship_date": ""}, follow=True)
    assert any("tracking number TRK-0001" in m and "is now Shipped" in m for m in messages_of(shipped))
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert (shipment.state, shipment.tracking_number, order.state) == (ShipmentState.SHIPPED, "TRK-0001",
                                                                       OrderState.SHIPPED)
    issued = StockMove.objects.filter(kind="issue", reference=shipment.number)
    assert {(move.product.sku, -move.on_hand_delta) for move in issued} == {("BRG-6204", 6), ("GB-100", 2)}


# --- tracking and proof of delivery ----------------------------------------------------------------

def test_logistics_records_tracking_an_exception_and_the_proof_of_delivery(users, goods):
    carrier_service()
    order = order_for(users, goods)
    shipment = ship_shipment(packed_shipment(order, users), users)
    client = client_for(users["logistics"])
    detail = f"/shipping/{shipment.pk}/"
    assert 'data-action="add-tracking-event"' not in html(client_for(users["warehouse"]).get(detail))
    Shipment.objects.filter(pk=shipment.pk).update(shipped_at=timezone.now() - datetime.timedelta(hours=3))
    moment = (timezone.localtime() - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")  # datetime-local
    assert client.post(detail + "tracking/", {"status": "delivered", "occurred_at": moment}).status_code == 400
    too_early = client.post(detail + "tracking/", {"status": "in_transit", "occurred_at": "2020-01-01T10:00"})
    assert too_early.status_code == 400 and "before the shipment left" in text_of(too_early)
    assert client.post(detail + "tracking/", {"status": "other", "occurred_at": "yesterday"}).status_code == 400
    client.post(detail + "tracking/", {"status": "in_transit", "occurred_at": moment, "location": "Hangzhou hub",
                                       "description": "Arrived at hub"})
    assert TrackingEvent.objects.get().location == "Hangzhou hub"
    assert client.post(detail + "exception/", {"kind": "damaged", "note": ""}).status_code == 400
    client.post(detail + "exception/", {"kind": "damaged", "note": "Crate corner crushed"})
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.EXCEPTION
    page = text_of(client.get(detail))
    assert "Crate corner crushed" in page and "Hangzhou hub" in page
    client.post(detail + "resume/", {"note": "Repacked at the hub"})
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.IN_TRANSIT
    not_an_image = client.post(detail + "deliver/", {
        "recipient_name": "Li Lei", "delivered_at": moment,
        "signature": SimpleUploadedFile("sig.txt", b"hello", content_type="text/plain")})
    assert not_an_image.status_code == 400 and "Only PDF, PNG or JPEG" in text_of(not_an_image)
    delivered = client.post(detail + "deliver/", {
        "recipient_name": "Li Lei", "delivered_at": moment, "notes": "Left at gate 2",
        "signature": SimpleUploadedFile("sig.png", PNG, content_type="image/png")}, follow=True)
    assert any("received by Li Lei" in m for m in messages_of(delivered))
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert (shipment.state, order.state) == (ShipmentState.DELIVERED, OrderState.DELIVERED)
    page = html(client.get(detail))
    proof = shipment.proof_of_delivery
    assert "data-pod-signature" in page and f"/orders/attachments/{proof.signature_id}/" in page
    assert client.get(f"/orders/attachments/{proof.signature_id}/").status_code == 200


def test_documents_are_listed_and_rendered_on_demand(users, goods):
    carrier_service()
    shipment = packed_shipment(order_for(users, goods), users)
    client = client_for(users["warehouse"])
    response = client.post(f"/shipping/{shipment.pk}/documents/", follow=True)
    assert any("Documents rendered" in m for m in messages_of(response))
    page = html(response)
    assert 'data-attachment="delivery_note"' in page and 'data-attachment="packing_list"' in page
    assert 'data-attachment="commercial_invoice"' not in page  # a domestic shipment; none for the warehouse anyway
    planned = plan_shipment(order_for(users, goods), users)
    nothing = client.post(f"/shipping/{planned.pk}/documents/", follow=True)
    assert any("has no documents to render" in m for m in messages_of(nothing))
    assert client_for(users["sales"]).post(f"/shipping/{shipment.pk}/documents/").status_code == 403


def test_cancel_needs_a_reason_and_keeps_the_goods_reserved(users, goods):
    order = order_for(users, goods)
    shipment = plan_shipment(order, users)
    client = client_for(users["logistics"])
    assert client.post(f"/shipping/{shipment.pk}/cancel/", {"reason": " "}).status_code == 400
    client.post(f"/shipping/{shipment.pk}/cancel/", {"reason": "customer asked to wait"})
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.CANCELLED
    assert order.number in text_of(client.get(TO_SHIP))  # its goods wait for another shipment


# --- the order page and the home page ---------------------------------------------------------------

def test_the_order_page_shows_its_shipments_and_the_plan_button(users, goods):
    order = order_for(users, goods, bearings="6", gearboxes="2")
    line = order.lines.get(product=goods["bearing"])
    shipment = plan_shipment(order, users, quantities={line.pk: "4"})
    warehouse = html(client_for(users["warehouse"]).get(f"/orders/{order.pk}/"))
    section = warehouse[warehouse.index('id="shipments"'):]
    assert f'data-shipment="{shipment.number}"' in section and "BRG-6204 × 4" in section
    assert 'data-unplanned="4"' in section and 'data-action="plan-shipment"' in section
    sales = html(client_for(users["sales"]).get(f"/orders/{order.pk}/"))
    assert f'href="/shipping/{shipment.pk}/"' in sales and 'data-action="plan-shipment"' not in sales


def test_the_order_page_costs_the_same_with_1_and_10_shipments(users, goods):
    order = order_for(users, goods, bearings="20", gearboxes="1")
    line = order.lines.get(product=goods["bearing"])
    client = client_for(users["warehouse"])
    plan_shipment(order, users, quantities={line.pk: "1"})
    one = _queries(client, f"/orders/{order.pk}/")
    for _ in range(9):
        plan_shipment(order, users, quantities={line.pk: "1"})
    assert _queries(client, f"/orders/{order.pk}/") == one


def test_the_home_page_counts_shipments_to_pick_to_ship_and_exceptions(users, goods):
    carrier_service()
    plan_shipment(order_for(users, goods), users)
    packed_shipment(order_for(users, goods), users)
    troubled = ship_shipment(packed_shipment(order_for(users, goods), users), users)
    shipping.shipment_report_exception(shipment_id=troubled.pk, by=users["logistics"], kind="lost", note="gone")
    for role in ("warehouse", "logistics"):
        page = html(client_for(users[role]).get("/"))
        card = page[page.index('id="shipping-waiting"'):]
        assert re.search(r"data-to-pick>1<", card) and re.search(r"data-packed>1<", card)
        assert re.search(r"data-exceptions>1<", card)
    assert 'id="shipping-waiting"' not in html(client_for(users["sales"]).get("/"))


# --- what the pages cost ------------------------------------------------------------------------------

def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_shipments_list_costs_the_same_for_1_and_10_shipments(users, goods):
    carrier_service()
    client = client_for(users["logistics"])
    ship_shipment(packed_shipment(order_for(users, goods, bearings="1", gearboxes="1"), users), users)
    one = _queries(client, LIST)
    for _ in range(9):
        plan_shipment(order_for(users, goods, bearings="1", gearboxes="1"), users)
    assert _queries(client, LIST) == one <= LIST_QUERIES
    assert _queries(client, LIST + "?state=to_pick&q=SO-") == one


def test_the_pick_list_and_pack_page_cost_the_same_for_1_and_10_shipments(users, goods):
    client = client_for(users["warehouse"])
    first = plan_shipment(order_for(users, goods, bearings="1", gearboxes="1"), users)
    verify_everything(first, users)  # a package with items on the pack page
    pick_url = f"{PICK}{goods['warehouse'].pk}/"
    pick_one, pack_one = _queries(client, pick_url), _queries(client, f"/shipping/{first.pk}/pack/")
    for _ in range(9):
        plan_shipment(order_for(users, goods, bearings="1", gearboxes="1"), users)
    assert _queries(client, pick_url) == pick_one
    assert _queries(client, f"/shipping/{first.pk}/pack/") == pack_one
