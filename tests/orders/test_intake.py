"""Order intake through the services: channels, completeness, agreed prices, revising a
rejected order, verbal orders and their reminders, CSV uploads."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from logistics import services as shipping
from logistics.models import PackedItem
from oms.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from orders import services
from orders.models import AttachmentKind, Channel, OrderState, SalesOrder
from tests.factories import (
    CustomerFactory,
    ProductFactory,
    make_order,
    make_user,
    order_in_state,
    plan_shipment,
    ship_shipment,
    stock,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def _scan(name="order.png"):
    return SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png")


def _lines(product=None, quantity="2"):
    if product is None:
        product = ProductFactory()
        stock(product, "100")
    return [services.LineInput(product=product, quantity=Decimal(quantity))]


def _create(users, role="order_desk", **kwargs):
    kwargs.setdefault("customer", CustomerFactory(owner=users["sales"]))
    kwargs.setdefault("lines", _lines())
    kwargs.setdefault("requested_date", TODAY() + datetime.timedelta(days=10))
    return services.order_create(by=users[role], **kwargs)


# --- channels --------------------------------------------------------------------------------

@pytest.mark.parametrize("channel", [Channel.WEB, Channel.API, Channel.ESHOP, Channel.CSV, Channel.SALES])
def test_plain_channels_are_recorded_on_the_order(users, channel):
    order = _create(users, channel=channel, submit=True)
    assert (order.channel, order.state, order.awaiting_confirmation) == (channel, OrderState.SUBMITTED, False)
    assert order.events.get(kind="created").payload["channel"] == channel


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.FAX])
def test_email_and_fax_orders_carry_their_scan(users, channel):
    with pytest.raises(ValidationFailed) as refused:
        _create(users, channel=channel)
    assert set(refused.value.errors) == {"document"}
    order = _create(users, channel=channel, document=_scan("fax-0042.png"), submit=True)
    scan = order.attachments.get()
    assert (scan.kind, scan.filename, scan.content_type) == (AttachmentKind.ORDER_DOCUMENT, "fax-0042.png",
                                                             "image/png")
    with pytest.raises(ValidationFailed) as refused:
        _create(users, channel=channel, document=SimpleUploadedFile("x.exe", b"MZ\x90\x00"))
    assert "document" in refused.value.errors


def test_phone_orders_wait_for_written_confirmation_and_cannot_ship_before(users):
    order = _create(users, channel=Channel.PHONE)
    assert order.awaiting_confirmation
    assert order.confirmation_due == TODAY() + datetime.timedelta(days=2)
    with pytest.raises(ValidationFailed):
        _create(users, channel=Channel.PHONE, confirmation_due=TODAY() - datetime.timedelta(days=1))
    with pytest.raises(ValidationFailed):
        _create(users, channel=Channel.WEB, confirmation_due=TODAY())

    # a verbal order's goods are neither packed nor shipped before the written confirmation
    waiting = order_in_state("in_fulfilment", users)
    SalesOrder.objects.filter(pk=waiting.pk).update(confirmation_due=TODAY(), channel=Channel.PHONE)
    shipment = plan_shipment(waiting, users)
    line = shipment.lines.select_related("order_line__product").get()
    for step in (lambda: shipping.shipment_verify(shipment_id=shipment.pk, by=users["warehouse"],
                                                  sku=line.order_line.product.sku, quantity=line.quantity),
                 lambda: shipping.shipment_pack(shipment_id=shipment.pk, by=users["warehouse"])):
        with pytest.raises(TransitionNotAllowed) as refused:
            step()
        assert refused.value.code == "awaiting_written_confirmation"
    assert not PackedItem.objects.filter(line__shipment=shipment).exists()

    ready = order_in_state("ready_to_ship", users)  # packed before it was known to be verbal
    SalesOrder.objects.filter(pk=ready.pk).update(confirmation_due=TODAY(), channel=Channel.PHONE)
    packed = ready.shipments.get()
    with pytest.raises(TransitionNotAllowed) as refused:
        ship_shipment(packed, users)
    assert refused.value.code == "awaiting_written_confirmation"
    services.order_confirm_in_writing(order_id=ready.pk, by=users["order_desk"], upload=_scan("signed-po.png"))
    ready.refresh_from_db()
    assert not ready.awaiting_confirmation
    assert ready.attachments.get(kind=AttachmentKind.CONFIRMATION).filename == "signed-po.png"
    ship_shipment(packed, users)
    ready.refresh_from_db()
    assert ready.state == "shipped"
    with pytest.raises(TransitionNotAllowed):
        services.order_confirm_in_writing(order_id=ready.pk, by=users["order_desk"], upload=_scan())


def test_verbal_order_reminders_go_once_when_due_and_once_when_overdue(users, django_capture_on_commit_callbacks):
    users["order_desk"].email = "desk@oms.example"
    users["order_desk"].save()
    order = _create(users, channel=Channel.PHONE, confirmation_due=TODAY() + datetime.timedelta(days=1))
    later = _create(users, channel=Channel.PHONE, confirmation_due=TODAY() + datetime.timedelta(days=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.verbal_orders_remind() == {"due": 1, "overdue": 0}
        assert services.verbal_orders_remind() == {"due": 0, "overdue": 0}
        assert services.verbal_orders_remind(today=TODAY() + datetime.timedelta(days=2)) == {"due": 0, "overdue": 1}
        assert services.verbal_orders_remind(today=TODAY() + datetime.timedelta(days=3)) == {"due": 0, "overdue": 0}
    assert [m.to for m in mail.outbox] == [["desk@oms.example"]] * 2
    assert order.number in mail.outbox[0].subject and "due" in mail.outbox[0].subject
    assert "overdue" in mail.outbox[1].subject
    assert later.number not in "".join(m.subject for m in mail.outbox)


# --- completeness and prices -------------------------------------------------------------------

def test_submit_lists_every_missing_item_at_once(users):
    customer = CustomerFactory(owner=users["sales"], with_address_and_contact=False, payment_terms="net30")
    with pytest.raises(TransitionNotAllowed) as refused:
        _create(users, customer=customer, requested_date=None, submit=True)
    assert refused.value.code == "order_incomplete"
    assert set(refused.value.errors) == {"contact", "delivery_address", "requested_date"}
    assert not SalesOrder.objects.filter(customer=customer).exists()


def test_bad_lines_and_header_are_reported_together(users):
    other = CustomerFactory()
    retired = ProductFactory(is_active=False)
    with pytest.raises(ValidationFailed) as refused:
        _create(users, delivery_address=other.addresses.get(), payment_terms="net999",
                requested_date=TODAY() - datetime.timedelta(days=1),
                lines=[services.LineInput(product=retired, quantity=Decimal(1)),
                       services.LineInput(product=ProductFactory(), quantity=Decimal(0))])
    assert set(refused.value.errors) == {"delivery_address", "payment_terms", "requested_date", "lines.0.product",
                                         "lines.1.quantity"}


def test_lines_without_a_price_get_the_contract_price_else_the_list_price(users):
    contracted = order_in_state("contracted", users)
    agreed = contracted.lines.get()
    other = ProductFactory(list_price=Decimal("7.50"))
    stock(other, "100")
    order = _create(users, customer=contracted.customer, lines=[
        services.LineInput(product=agreed.product, quantity=Decimal(1)),
        services.LineInput(product=other, quantity=Decimal(1)),
        services.LineInput(product=agreed.product, quantity=Decimal(1), unit_price=Decimal("1.00"))])
    prices = list(order.lines.order_by("line_no").values_list("unit_price", "discount_percent"))
    assert prices == [(agreed.unit_price, agreed.discount_percent), (Decimal("7.50"), 0), (Decimal("1.00"), 0)]
    assert order.events.get(kind="created").payload["agreed_prices"] == [agreed.product.sku]
    stranger = _create(users, lines=[services.LineInput(product=agreed.product, quantity=Decimal(1))])
    assert stranger.lines.get().unit_price == agreed.product.list_price  # another customer's contract


# --- rejected orders go back to sales ----------------------------------------------------------

def test_a_rejected_order_is_revised_and_resubmitted_and_checked_again(users):
    order = order_in_state("rejected", users)
    assert order.events.get(kind="reject").reason
    product = ProductFactory(list_price=Decimal("20"))
    stock(product, "100")
    services.order_update(order_id=order.pk, by=users["sales"], customer_reference="PO-NEW",
                          lines=[services.LineInput(product=product, quantity=Decimal(3))])
    order.refresh_from_db()
    assert (order.customer_reference, order.total_amount) == ("PO-NEW", Decimal("60.00"))
    services.order_transition(order_id=order.pk, name="submit", by=users["sales"])
    assert services.order_run_checks(order_id=order.pk) == "passed"
    order.refresh_from_db()
    assert (order.state, order.checks_run) == (OrderState.SUBMITTED, 2)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.order_update(order_id=order.pk, by=users["sales"], notes="too late")
    assert refused.value.code == "order_not_editable"


def test_a_rejected_order_can_be_cancelled_by_sales(users):
    order = order_in_state("rejected", users)
    services.order_transition(order_id=order.pk, name="cancel", by=users["sales"], reason="Customer withdrew")
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED


# --- CSV ---------------------------------------------------------------------------------------

def _csv(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("orders.csv", text.encode("utf-8-sig"), content_type="text/csv")


def test_csv_creates_the_good_orders_and_lists_every_bad_row(users):
    good = CustomerFactory(code="C-GOOD")
    CustomerFactory(code="C-BAD")
    gearbox, cable = ProductFactory(sku="GB-1", list_price=Decimal("100")), ProductFactory(sku="CB-1")
    stock(gearbox, "100")
    stock(cable, "100")
    due = (TODAY() + datetime.timedelta(days=20)).isoformat()
    report = services.orders_import_csv(by=users["order_desk"], upload=_csv(
        "customer_code,customer_reference,requested_date,sku,quantity,unit_price,discount_percent\n"
        f"C-GOOD,PO-1,{due},GB-1,2,,5\n"
        f"C-GOOD,PO-1,{due},cb-1,10,3.50,\n"
        f"C-BAD,PO-2,{due},GB-1,1,,\n"
        f"C-BAD,PO-2,{due},NOPE,0,,\n"
        f"C-NONE,PO-3,31/12/2026,GB-1,x,,\n"
        "\n"))
    assert report.rows == 5
    order = report.created[0]
    assert len(report.created) == 1 and order.customer == good and order.channel == Channel.CSV
    assert order.state == OrderState.SUBMITTED and order.customer_reference == "PO-1"
    assert list(order.lines.values_list("product__sku", "quantity", "unit_price")) == [
        ("GB-1", Decimal("2.000"), Decimal("100.00")), ("CB-1", Decimal("10.000"), Decimal("3.50"))]
    problems = {(e.row, e.field) for e in report.errors}
    assert problems == {(4, "order"), (5, "sku"), (5, "quantity"), (6, "customer_code"), (6, "requested_date"),
                        (6, "quantity")}
    assert not SalesOrder.objects.filter(customer__code="C-BAD").exists()


def test_csv_refuses_a_file_without_the_columns_or_not_utf8(users):
    with pytest.raises(ValidationFailed) as refused:
        services.orders_import_csv(by=users["order_desk"], upload=_csv("customer,sku\nC-1,GB-1\n"))
    assert refused.value.code == "csv_header"
    with pytest.raises(ValidationFailed):
        services.orders_import_csv(by=users["order_desk"], upload=SimpleUploadedFile("o.csv", "é".encode("latin-1")))
    with pytest.raises(PermissionDenied):
        services.orders_import_csv(by=users["warehouse"], upload=_csv("customer_code\n"))


def test_csv_rows_for_customers_the_user_does_not_own_are_refused(users):
    mine = CustomerFactory(code="C-MINE", owner=users["sales"])
    CustomerFactory(code="C-THEIRS", owner=make_user("sales"))
    product = ProductFactory(sku="P-1")
    stock(product, "10")
    due = (TODAY() + datetime.timedelta(days=20)).isoformat()
    report = services.orders_import_csv(by=users["sales"], upload=_csv(
        "customer_code,customer_reference,requested_date,sku,quantity\n"
        f"C-MINE,A,{due},P-1,1\nC-THEIRS,B,{due},P-1,1\n"))
    assert [o.customer for o in report.created] == [mine]
    assert [(e.row, e.field) for e in report.errors] == [(3, "customer_code")]


def test_orders_for_a_customer_need_the_right_to_enter_them(users):
    with pytest.raises(PermissionDenied):
        make_order(by=users["sales"], customer=CustomerFactory(owner=make_user("sales")))


def test_numbers_that_do_not_fit_are_refused_not_a_server_error(users):
    product = ProductFactory()
    for quantity, price, field in [("0.0001", None, "lines.0.quantity"), ("1e20", None, "lines.0.quantity"),
                                   ("1", "0.001", "lines.0.unit_price"), ("99999999999", "1000.00", "lines")]:
        with pytest.raises(ValidationFailed) as refused:
            _create(users, lines=[services.LineInput(product=product, quantity=Decimal(quantity),
                                                     unit_price=None if price is None else Decimal(price))])
        assert field in refused.value.errors, (quantity, price)
    with pytest.raises(ValidationFailed) as refused:
        _create(users, customer_reference="R" * 65)
    assert "customer_reference" in refused.value.errors


def test_csv_with_an_oversized_field_is_refused_whole(users):
    with pytest.raises(ValidationFailed) as refused:
        services.orders_import_csv(by=users["order_desk"], upload=_csv(
            "customer_code,customer_reference,requested_date,sku,quantity\n" + '"' + "x" * 200_000 + '",A,,P,1\n'))
    assert "file" in refused.value.errors
