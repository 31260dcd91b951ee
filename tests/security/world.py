"""A small data set with one object of every kind a page or endpoint addresses, built
through the services once for the tests of this package (see conftest.py), and the helper
that looks for prices, credit data and other owners' data in what a user is shown.

Amounts are chosen so that they cannot appear by chance: if a page or an API answer
contains one, it shows that amount."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group, User
from django.utils import timezone

from inventory.models import Location, StockLevel, StockMove, StockQuant, Supplier, WorkOrder
from inventory.services import (
    count_create,
    purchase_order_create,
    purchase_order_transition,
    requisition_create,
    stock_receive,
    transfer_send,
    work_order_block,
)
from logistics.models import Carrier, PackedItem
from oms.roles import ROLE_PERMISSIONS
from orders import services
from orders.models import Attachment, AttachmentKind, ReviewCheck, SalesOrder
from orders.services.attachments import attachment_store
from tests.factories import (
    CustomerFactory,
    ProductFactory,
    WarehouseFactory,
    make_order,
    make_user,
    order_in_state,
    packed_shipment,
    released_order,
)

#: The sales price of the product every order is for, and what it costs the company.
LIST_PRICE = Decimal("98765.43")
STANDARD_COST = Decimal("43219.87")
#: What the purchase order pays the supplier per unit.
PURCHASE_PRICE = Decimal("34567.12")
#: Customer A's credit limit.
CREDIT_LIMIT = Decimal("7654321")

PDF = b"%PDF-1.4\n% a test document\n%%EOF\n"


def role_users() -> dict[str, User]:
    """One user per role (the roles of tests/conftest.py `users`), another sales user who
    owns other customers, and a user who may both enter and approve orders."""
    people = {role: make_user(role) for role in ROLE_PERMISSIONS}
    people["sales2"] = make_user("sales")
    people["desk_reviewer"] = make_user("order_desk")
    people["desk_reviewer"].groups.add(Group.objects.get(name="reviewer"))
    return people


@dataclass
class World:
    users: dict[str, User]
    ids: dict[str, Any] = field(default_factory=dict)
    #: Amounts that only people with the matching permission may be shown, by kind.
    sales_amounts: set[Decimal] = field(default_factory=set)
    purchase_amounts: set[Decimal] = field(default_factory=lambda: {PURCHASE_PRICE})
    cost_amounts: set[Decimal] = field(default_factory=lambda: {STANDARD_COST})
    credit_amounts: set[Decimal] = field(default_factory=lambda: {CREDIT_LIMIT})
    #: What identifies customer B (owned by sales2) and its orders.
    other_owner_marks: set[str] = field(default_factory=set)
    media_root: Any = None

    def __getitem__(self, key: str) -> Any:
        return self.ids[key]


def _days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def build_world() -> World:
    """Customers A (owned by `sales`) and B (owned by `sales2`); orders of A in inquiry,
    contracted (quotation sent, contract signed: priced files), submitted (checks run),
    in fulfilment (a packed shipment with its documents), waiting for production,
    invoiced, held by a failed credit check, and the three that take uploads (a phone
    order, an approved contract, a shipment on its way); orders of B; and the supply and
    stock documents the planner and warehouse work on."""
    users = role_users()
    world = World(users=users)
    ids = world.ids

    warehouse = WarehouseFactory()
    shelf = Location.objects.create(warehouse=warehouse, code="SEC-01", name="Security shelf")
    other_warehouse = WarehouseFactory()
    product = ProductFactory(list_price=LIST_PRICE, standard_cost=STANDARD_COST)
    stock_receive(product=product, warehouse=warehouse, location=shelf, quantity="500", reference="OPENING")
    make_item = ProductFactory(supply_type="make", lead_time_days=10, list_price=LIST_PRICE,
                               standard_cost=STANDARD_COST)
    stock_receive(product=make_item, warehouse=warehouse, location=shelf, quantity="1", reference="OPENING")
    buy_item = ProductFactory(supply_type="buy", lead_time_days=7, list_price=LIST_PRICE,
                              standard_cost=STANDARD_COST)
    ids.update(product=product.pk, product_sku=product.sku, warehouse=warehouse.pk)

    customer_a = CustomerFactory(owner=users["sales"], credit_limit=CREDIT_LIMIT, name="Alpha Own Customer Ltd")
    customer_b = CustomerFactory(owner=users["sales2"], credit_limit=CREDIT_LIMIT, name="Zulu Foreign Owner Ltd",
                                 code="C-ZULU")
    ids.update(customer=customer_a.pk, other_customer=customer_b.pk)
    lines = [(product, "2")]

    inquiry = make_order(by=users["sales"], customer=customer_a, lines=lines)
    contracted = order_in_state("contracted", users, customer=customer_a, lines=lines)
    submitted = order_in_state("submitted", users, customer=customer_a, lines=lines)
    ready = order_in_state("in_fulfilment", users, customer=customer_a, lines=lines)
    shipment = packed_shipment(ready, users)
    other = make_order(by=users["sales2"], customer=customer_b, lines=lines, submit=True)
    services.order_run_checks(order_id=other.pk)
    waiting = released_order(users, customer=customer_a, lines=[(make_item, "5")])
    invoiced = order_in_state("invoiced", users, customer=customer_a, lines=lines)
    # a customer without credit: its order's credit check fails and the order is held
    held = make_order(by=users["sales"], customer=CustomerFactory(owner=users["sales"], credit_limit=Decimal("1")),
                      lines=lines, submit=True)
    assert services.order_run_checks(order_id=held.pk) == "on_hold"
    # what the upload tests attach files to: a phone order awaiting its written confirmation,
    # an approved contract waiting for its signed copy, a shipment on its way
    verbal = make_order(by=users["order_desk"], customer=customer_a, lines=lines, channel="phone", submit=True)
    quoted = order_in_state("quoted", users, customer=customer_a, lines=lines)
    approved_contract = _approved_contract(quoted, users)
    shipped = order_in_state("shipped", users, customer=customer_a, lines=lines)
    ids.update(inquiry=inquiry.pk, contracted=contracted.pk, submitted=submitted.pk, fulfil=ready.pk,
               other_order=other.pk, waiting=waiting.pk, invoiced=invoiced.pk, held=held.pk, shipment=shipment.pk,
               failed_check=ReviewCheck.objects.get(order=held, result="fail").pk,
               delivered_shipment=invoiced.shipments.get().pk)
    ids.update(verbal=verbal.pk, approved_contract=approved_contract.pk,
               shipped_shipment=shipped.shipments.get(state="shipped").pk)

    quotation = contracted.quotations.get(state="accepted")
    contract = contracted.contracts.get(state="signed")
    ids.update(quotation=quotation.pk, contract=contract.pk,
               other_quotation=_quotation_of_other(other, users),
               waiting_line=waiting.lines.get().pk,
               package_number=shipment.packages.get().number,
               packed_item=PackedItem.objects.filter(line__shipment=shipment).first().pk)

    # the files: quotation PDF and signed contract (priced), shipping documents of the
    # shipment (the commercial invoice is priced, the packing list is not)
    ids.update(quotation_pdf=Attachment.objects.get(order=contracted, kind=AttachmentKind.QUOTATION_PDF).pk,
               signed_contract=Attachment.objects.get(order=contracted, kind=AttachmentKind.SIGNED_CONTRACT).pk)
    for kind in (AttachmentKind.COMMERCIAL_INVOICE, AttachmentKind.PACKING_LIST):
        ids[str(kind)] = attachment_store(order=ready, kind=kind, content=PDF + kind.encode(), filename=f"{kind}.pdf",
                                          content_type="application/pdf", shipment=shipment).pk
    ids["other_document"] = attachment_store(order=other, kind=AttachmentKind.ORDER_DOCUMENT, content=PDF,
                                             content_type="application/pdf", filename="po.pdf").pk

    # supply: a work order held up (a supply exception), a requisition and a sent purchase order
    work_order = WorkOrder.objects.get(sales_order_line__order=waiting)
    exception = work_order_block(work_order_id=work_order.pk, kind="machine_breakdown", note="Press 3 down",
                                 by=users["planner"], new_due_date=_days(20))
    supplier = Supplier.objects.create(code="SUP-SEC", name="Security Supplies", lead_time_days=12)
    requisition = requisition_create(product=buy_item, quantity="3", by=users["planner"])
    purchase_order = purchase_order_create(
        supplier=supplier, warehouse=warehouse, expected_date=_days(10), by=users["planner"],
        lines=[{"product": buy_item, "quantity": "4", "unit_price": PURCHASE_PRICE}])
    purchase_order = purchase_order_transition(purchase_order_id=purchase_order.pk, name="send", by=users["planner"])
    ids.update(work_order=work_order.pk, supply_exception=exception.pk, requisition=requisition.pk,
               purchase_order=purchase_order.pk)

    # stock: a transfer in transit and a cycle count sheet
    transfer = transfer_send(product=product, from_location=shelf, to_warehouse=other_warehouse, quantity="3",
                             by=users["warehouse"])
    count = count_create(location=shelf, by=users["warehouse"])
    ids.update(transfer=transfer.pk, count=count.pk, supplier=supplier.pk,
               stock_level=StockLevel.objects.get(product=product, warehouse=warehouse).pk,
               stock_move=StockMove.objects.filter(product=product).first().pk,
               stock_quant=StockQuant.objects.filter(product=product).first().pk,
               carrier=Carrier.objects.first().pk)

    for order in SalesOrder.objects.filter(customer=customer_a).prefetch_related("lines"):
        world.sales_amounts |= _order_amounts(order)
    world.other_owner_marks = {customer_b.name, customer_b.code,
                               *SalesOrder.objects.filter(customer=customer_b).values_list("number", flat=True)}
    return world


def _approved_contract(order: SalesOrder, users: dict[str, User]) -> Any:
    quotation = order.quotations.get(state="sent")
    services.quotation_record_decision(quotation_id=quotation.pk, by=users["sales"], accepted=True)
    contract = services.contract_create(quotation_id=quotation.pk, by=users["sales"])
    services.contract_submit_review(contract_id=contract.pk, by=users["sales"])
    return services.contract_review(contract_id=contract.pk, by=users["manager"], approve=True)


def _quotation_of_other(order: SalesOrder, users: dict[str, User]) -> int:
    """A draft quotation on customer B's order (sales2's), for the 404 of sales."""
    inquiry = make_order(by=users["sales2"], customer=order.customer,
                         lines=[(line.product, str(line.quantity)) for line in order.lines.all()])
    quotation = services.quotation_create(
        order_id=inquiry.pk, by=users["sales2"],
        lines=[services.LineInput(product=line.product, quantity=line.quantity, unit_price=line.unit_price)
               for line in inquiry.lines.all()])
    return quotation.pk


def _order_amounts(order: SalesOrder) -> set[Decimal]:
    amounts = {order.total_amount}
    for line in order.lines.all():
        amounts |= {line.unit_price, line.unit_price * line.quantity}
    return {amount for amount in amounts if amount}


# --- what a user is shown ----------------------------------------------------------------------

_GROUPING = re.compile(r"(?<=\d)[,\u00a0\u202f '](?=\d{3})")


def _plain(text: str) -> str:
    """The text with the digit grouping of every locale taken out (98,765.43 → 98765.43)."""
    return _GROUPING.sub("", text)


def _integral(amount: Decimal) -> str:
    return str(int(amount))


def shown_amounts(text: str, amounts: set[Decimal]) -> list[str]:
    """The amounts whose integral part (five or more digits, so never by chance) appears in
    `text`, however the page or answer groups the digits."""
    plain = _plain(text)
    return sorted(str(a) for a in amounts if re.search(rf"(?<!\d){_integral(a)}(?!\d)", plain))


def leaks(world: World, user: User, text: str) -> list[str]:
    """What `text` shows `user` that their role may not see: sales amounts without
    `orders.view_prices`; purchase prices without `inventory.view_purchase_prices`; the
    product's cost without either; credit data without `customers.view_credit`; and, to
    whoever sees neither all customers nor all orders (sales, the warehouse), customer B
    and its orders unless they own B."""
    found = []
    prices, purchase = user.has_perm("orders.view_prices"), user.has_perm("inventory.view_purchase_prices")
    if not prices:
        found += [f"sales amount {a}" for a in shown_amounts(text, world.sales_amounts)]
    if not purchase:
        found += [f"purchase price {a}" for a in shown_amounts(text, world.purchase_amounts)]
    if not (prices or purchase):
        found += [f"cost {a}" for a in shown_amounts(text, world.cost_amounts)]
    if not user.has_perm("customers.view_credit"):
        found += [f"credit amount {a}" for a in shown_amounts(text, world.credit_amounts)]
        if re.search(r"credit[ _]limit", text, re.IGNORECASE) or "信用额度" in text:
            found.append("the words 'credit limit'")
    sees_everyone = user.has_perm("customers.view_all_customers") or user.has_perm("orders.view_all_orders")
    if not sees_everyone and user != world.users["sales2"]:
        found += [f"other owner's {mark}" for mark in sorted(world.other_owner_marks) if mark in text]
    return found
