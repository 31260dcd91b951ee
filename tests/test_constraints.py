"""Database constraints hold whatever code writes: negative amounts, duplicates, over-reservation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from customers.models import Address, Contact
from inventory.models import StockLevel
from orders.models import SalesOrder, SalesOrderLine
from tests.factories import CustomerFactory, ProductFactory, WarehouseFactory, make_order

pytestmark = pytest.mark.django_db


def _refused(fn) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()


def test_product_sku_is_unique_and_price_not_negative():
    ProductFactory(sku="DUP-1")
    _refused(lambda: ProductFactory(sku="DUP-1"))
    _refused(lambda: ProductFactory(list_price=Decimal("-0.01")))
    _refused(lambda: ProductFactory(weight_kg=Decimal("-1")))


def test_customer_code_unique_and_credit_limit_not_negative():
    CustomerFactory(code="C-DUP")
    _refused(lambda: CustomerFactory(code="C-DUP"))
    _refused(lambda: CustomerFactory(credit_limit=Decimal("-1")))


def test_one_primary_contact_and_one_default_address_per_customer():
    customer = CustomerFactory()  # comes with a primary contact and a default address
    _refused(lambda: Contact.objects.create(customer=customer, name="Second", is_primary=True))
    _refused(lambda: Address.objects.create(customer=customer, line1="x", city="y", is_default_shipping=True))


def test_stock_levels_never_negative_nor_over_reserved():
    product, warehouse = ProductFactory(), WarehouseFactory()
    level = StockLevel.objects.create(product=product, warehouse=warehouse, on_hand=Decimal("5"))
    _refused(lambda: StockLevel.objects.create(product=product, warehouse=warehouse))
    _refused(lambda: StockLevel.objects.filter(pk=level.pk).update(on_hand=Decimal("-1")))
    _refused(lambda: StockLevel.objects.filter(pk=level.pk).update(reserved=Decimal("6")))
    _refused(lambda: StockLevel.objects.filter(pk=level.pk).update(reserved=Decimal("-1")))
    StockLevel.objects.filter(pk=level.pk).update(reserved=Decimal("5"))
    level.refresh_from_db()
    assert level.available == 0


def test_order_lines_need_positive_quantity_and_non_negative_price(users):
    order = make_order(by=users["sales"])
    product = ProductFactory()
    _refused(lambda: SalesOrderLine.objects.create(order=order, line_no=9, product=product, quantity=0,
                                                   unit_price=1))
    _refused(lambda: SalesOrderLine.objects.create(order=order, line_no=9, product=product, quantity=-1,
                                                   unit_price=1))
    _refused(lambda: SalesOrderLine.objects.create(order=order, line_no=9, product=product, quantity=1,
                                                   unit_price=-1))
    _refused(lambda: SalesOrderLine.objects.create(order=order, line_no=9, product=product, quantity=1,
                                                   unit_price=1, discount_percent=101))
    _refused(lambda: SalesOrderLine.objects.create(order=order, line_no=1, product=product, quantity=1,
                                                   unit_price=1))  # line 1 exists


def test_order_number_unique_and_totals_not_negative(users):
    order = make_order(by=users["sales"])
    other = make_order(by=users["sales"])
    _refused(lambda: SalesOrder.objects.filter(pk=other.pk).update(number=order.number))
    _refused(lambda: SalesOrder.objects.filter(pk=order.pk).update(total_amount=Decimal("-1")))
    _refused(lambda: SalesOrder.objects.filter(pk=order.pk).update(state="teleported"))
