"""Order creation, numbering, totals, payments and the automatic checks."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from oms.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from orders import services
from orders.models import OrderState, SalesOrder
from tests.factories import CustomerFactory, ProductFactory, make_order, make_user, order_in_state

pytestmark = pytest.mark.django_db


def test_order_create_numbers_totals_defaults_and_timeline(users):
    customer = CustomerFactory(owner=users["sales"], payment_terms="net60")
    gear = ProductFactory(list_price=Decimal("3200.00"))
    cable = ProductFactory(list_price=Decimal("120.00"))
    order = services.order_create(
        by=users["sales"], customer=customer, requested_date=timezone.localdate() + datetime.timedelta(days=5),
        lines=[services.LineInput(product=gear, quantity=Decimal("3"), discount_percent=Decimal("10")),
               services.LineInput(product=cable, quantity=Decimal("2.5"), unit_price=Decimal("99.99"))],
    )
    assert re.fullmatch(rf"SO-{timezone.localdate().year}-\d{{6}}", order.number)
    assert order.state == OrderState.INQUIRY
    assert order.total_amount == Decimal("8640.00") + Decimal("249.98")  # 3×3200×0.9 + 2.5×99.99
    assert order.payment_terms == "net60"
    assert order.delivery_address == customer.addresses.get()
    assert order.contact == customer.contacts.get()
    assert [line.line_no for line in order.lines.all()] == [1, 2]
    assert list(order.events.values_list("kind", "to_state")) == [("created", "inquiry")]


def test_order_numbers_are_sequential_and_unique(users):
    numbers = [make_order(by=users["sales"]).number for _ in range(3)]
    tails = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert tails == [tails[0], tails[0] + 1, tails[0] + 2]
    assert services.next_document_number("SO", year=1999) == "SO-1999-000001"


def test_order_create_with_submit_enters_at_submitted(users):
    order = make_order(by=users["integration"], customer=CustomerFactory(), submit=True)
    assert order.state == OrderState.SUBMITTED
    assert list(order.events.values_list("kind", flat=True)) == ["created", "submit"]


def test_order_create_reports_every_bad_line_and_writes_nothing(users):
    customer = CustomerFactory(owner=users["sales"])
    product = ProductFactory()
    with pytest.raises(ValidationFailed) as refused:
        services.order_create(by=users["sales"], customer=customer, lines=[
            services.LineInput(product=product, quantity=Decimal("0")),
            services.LineInput(product=product, quantity=Decimal("1"), unit_price=Decimal("-5")),
            services.LineInput(product=product, quantity=Decimal("1"), discount_percent=Decimal("120")),
        ], requested_date=timezone.localdate() - datetime.timedelta(days=1))
    assert set(refused.value.errors) == {"lines.0.quantity", "lines.1.unit_price", "lines.2.discount_percent",
                                         "requested_date"}
    assert SalesOrder.objects.count() == 0


def test_order_create_refuses_an_address_of_another_customer(users):
    customer = CustomerFactory(owner=users["sales"])
    foreign = CustomerFactory().addresses.get()
    with pytest.raises(ValidationFailed) as refused:
        make_order(by=users["sales"], customer=customer, delivery_address=foreign)
    assert "delivery_address" in refused.value.errors


def test_sales_cannot_enter_orders_for_customers_they_do_not_own(users):
    with pytest.raises(PermissionDenied):
        make_order(by=users["sales"], customer=CustomerFactory(owner=make_user("sales")))


@pytest.mark.parametrize("role", ["warehouse", "planner", "logistics", "reviewer"])
def test_roles_without_intake_cannot_create_orders(role, users):
    with pytest.raises(PermissionDenied):
        make_order(by=users[role], customer=CustomerFactory())


def test_payment_cannot_exceed_what_is_outstanding(users):
    order = order_in_state("delivered", users)
    with pytest.raises(ValidationFailed):
        services.order_record_payment(order_id=order.pk, amount=order.total_amount + 1, by=users["reviewer"])
    with pytest.raises(ValidationFailed):
        services.order_record_payment(order_id=order.pk, amount=Decimal("-1"), by=users["reviewer"])
    with pytest.raises(PermissionDenied):
        services.order_record_payment(order_id=order.pk, amount=Decimal("1"), by=users["warehouse"])
    services.order_record_payment(order_id=order.pk, amount=Decimal("50.00"), by=users["reviewer"])
    order.refresh_from_db()
    assert order.amount_paid == Decimal("50.00")
    assert order.events.filter(kind="payment").count() == 1


def test_payment_refused_on_a_cancelled_order(users):
    order = order_in_state("cancelled", users)
    with pytest.raises(TransitionNotAllowed):
        services.order_record_payment(order_id=order.pk, amount=Decimal("1"), by=users["reviewer"])


def test_sweep_finds_submitted_orders_whose_checks_never_ran(users):
    order = make_order(by=users["sales"], submit=True)
    SalesOrder.objects.filter(pk=order.pk).update(updated_at=timezone.now() - datetime.timedelta(minutes=10))
    assert services.orders_awaiting_checks(older_than=datetime.timedelta(minutes=2)) == [order.pk]
    services.order_run_checks(order_id=order.pk)
    assert services.orders_awaiting_checks(older_than=datetime.timedelta(minutes=2)) == []
