"""Test data builders. Orders are built through the services, so tests run the real path."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from customers.models import Address, Contact, Customer
from inventory.models import Product, StockLevel, Warehouse
from orders import services
from orders.models import Contract, Quotation, QuotationSignoff, SalesOrder

_counter = itertools.count(1)


def make_user(role: str | None = None, username: str | None = None) -> User:
    user = User.objects.create_user(username or f"{role or 'user'}{next(_counter)}", password="pw-for-tests-1")
    if role:
        if not Group.objects.filter(name=role).exists():
            # a transactional test flushed the groups the migration created
            from django.apps import apps

            from oms.roles import sync_role_permissions

            sync_role_permissions(apps)
        user.groups.add(Group.objects.get(name=role))
    return user


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"C-{n:05d}")
    name = factory.Sequence(lambda n: f"Customer {n} Ltd")
    tier = "B"
    credit_limit = Decimal("1000000")
    payment_terms = "net30"
    # an established customer with a payment history; pass first_paid_on=None for a new one
    first_paid_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=365))

    @factory.post_generation
    def with_address_and_contact(obj, create, extracted, **kwargs):  # noqa: N805 (factory_boy passes the object)
        if create and extracted is not False:
            Address.objects.create(customer=obj, line1="1 Test Road", city="Shanghai", is_default_shipping=True)
            Contact.objects.create(customer=obj, name="Buyer", email=f"buyer@{obj.code.lower()}.example",
                                   is_primary=True)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    list_price = Decimal("100.00")
    supply_type = "stock"


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse

    code = factory.Sequence(lambda n: f"W{n}")
    name = factory.Sequence(lambda n: f"Warehouse {n}")


def stock(product: Product, on_hand: str | Decimal, warehouse: Warehouse | None = None) -> StockLevel:
    """Receive `on_hand` of `product` into a (new) warehouse, through the stock ledger."""
    from inventory.services import stock_receive

    warehouse = warehouse or WarehouseFactory()
    stock_receive(product=product, warehouse=warehouse, quantity=on_hand, reference="TEST")
    return StockLevel.objects.get(product=product, warehouse=warehouse)


def make_order(*, by: User, customer: Customer | None = None, lines: list[tuple[Product, str]] | None = None,
               submit: bool = False, **kwargs) -> SalesOrder:
    """An order entered by `by` (who must be allowed to enter it), with one line by default."""
    if customer is None:
        customer = CustomerFactory(owner=by)
    if lines is None:
        product = ProductFactory()
        stock(product, "1000")
        lines = [(product, "2")]
    kwargs.setdefault("requested_date", timezone.localdate() + datetime.timedelta(days=14))
    return services.order_create(
        by=by, customer=customer, submit=submit,
        lines=[services.LineInput(product=p, quantity=Decimal(q)) for p, q in lines], **kwargs,
    )


#: How to bring a fresh order (entered by sales) to each state: (transition, role) steps.
PATH_TO_STATE: dict[str, list[tuple[str, str]]] = {
    "inquiry": [],
    "quoted": [("send_quotation", "sales")],
    "contracted": [("send_quotation", "sales"), ("sign_contract", "sales")],
    "submitted": [("submit", "order_desk"), ("checks", "system")],
    "on_hold": [("submit", "order_desk"), ("checks", "system"), ("hold", "reviewer")],
    "approved": [("submit", "order_desk"), ("checks", "system"), ("approve", "reviewer")],
    "rejected": [("submit", "order_desk"), ("checks", "system"), ("reject", "reviewer")],
    "in_fulfilment": [("submit", "order_desk"), ("checks", "system"), ("approve", "reviewer"),
                      ("start_fulfilment", "planner")],
}
# the shipping states follow the order's shipments (logistics.services): pack one, ship it, deliver it
PATH_TO_STATE["ready_to_ship"] = [*PATH_TO_STATE["in_fulfilment"], ("pack_all", "warehouse")]
PATH_TO_STATE["partially_shipped"] = [*PATH_TO_STATE["in_fulfilment"], ("pack_part", "warehouse"),
                                      ("ship_shipment", "logistics")]
PATH_TO_STATE["shipped"] = [*PATH_TO_STATE["ready_to_ship"], ("ship_shipment", "logistics")]
PATH_TO_STATE["delivered"] = [*PATH_TO_STATE["shipped"], ("deliver_shipment", "logistics")]
PATH_TO_STATE["invoiced"] = [*PATH_TO_STATE["delivered"], ("invoice", "reviewer")]
PATH_TO_STATE["closed"] = [*PATH_TO_STATE["invoiced"], ("pay", "reviewer"), ("close", "manager")]
PATH_TO_STATE["cancelled"] = [("cancel", "sales")]


def quotation_for(order: SalesOrder, users: dict[str, User], **terms) -> Quotation:
    """A draft quotation of `order` by sales, quoting the order's lines."""
    return services.quotation_create(
        order_id=order.pk, by=users["sales"], **terms,
        lines=[services.LineInput(product=line.product, quantity=line.quantity, unit_price=line.unit_price,
                                  discount_percent=line.discount_percent) for line in order.lines.all()])


def approve_quotation(quotation: Quotation, users: dict[str, User]) -> Quotation:
    """Submit a draft for review and give every required sign-off."""
    services.quotation_submit_review(quotation_id=quotation.pk, by=users["sales"])
    signers = {"finance": "reviewer", "operations": "planner", "manager": "manager"}
    for signoff in QuotationSignoff.objects.filter(quotation=quotation, decision="pending"):
        services.quotation_signoff(quotation_id=quotation.pk, by=users[signers[signoff.area]], area=signoff.area,
                                   approve=True)
    quotation.refresh_from_db()
    return quotation


def send_quotation(order: SalesOrder, users: dict[str, User]) -> Quotation:
    quotation = approve_quotation(quotation_for(order, users), users)
    return services.quotation_send(quotation_id=quotation.pk, by=users["sales"])


def signed_copy(name: str = "signed.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n% signed copy\n%%EOF\n", content_type="application/pdf")


def sign_contract(order: SalesOrder, users: dict[str, User]) -> Contract:
    quotation = order.quotations.get(state="sent")
    services.quotation_record_decision(quotation_id=quotation.pk, by=users["sales"], accepted=True)
    contract = services.contract_create(quotation_id=quotation.pk, by=users["sales"])
    services.contract_submit_review(contract_id=contract.pk, by=users["sales"])
    services.contract_review(contract_id=contract.pk, by=users["manager"], approve=True)
    return services.contract_sign(contract_id=contract.pk, by=users["sales"], signed_on=timezone.localdate(),
                                  upload=signed_copy())


def order_in_state(state: str, users: dict[str, User], **kwargs) -> SalesOrder:
    """An order entered by `users["sales"]` and moved to `state` through the services."""
    for product, _quantity in kwargs.get("lines") or []:
        if not product.stock_levels.exists():  # enough stock, so the checks pass on the way
            stock(product, "1000")
    order = make_order(by=users["sales"], **kwargs)
    for name, role in PATH_TO_STATE[state]:
        if name == "checks":  # what the Celery task does after the commit of `submit`
            assert services.order_run_checks(order_id=order.pk) == "passed"
        elif name == "send_quotation":
            send_quotation(order, users)
        elif name == "sign_contract":
            sign_contract(order, users)
        elif name in ("pack_all", "pack_part"):
            line = order.lines.first()
            quantities = None if name == "pack_all" else {line.pk: line.quantity / 2}
            packed_shipments(order, users, quantities=quantities)
        elif name == "ship_shipment":
            for shipment in order.shipments.filter(state="packed"):
                ship_shipment(shipment, users)
        elif name == "deliver_shipment":
            for shipment in order.shipments.filter(state__in=["shipped", "in_transit"]):
                deliver_shipment(shipment, users)
        elif name == "pay":
            order.refresh_from_db()
            services.order_record_payment(order_id=order.pk, amount=order.total_amount, by=users[role])
        else:
            services.order_transition(order_id=order.pk, name=name, by=users[role], reason="test reason")
    order.refresh_from_db()
    assert order.state == state
    return order


def approved_order(users: dict[str, User], *, customer: Customer, lines: list[tuple[Product, str]],
                   **kwargs) -> SalesOrder:
    """An approved order entered by the order desk; failed automatic checks are overridden
    (tests about short supply release orders the checks would hold)."""
    order = make_order(by=users["order_desk"], customer=customer, lines=lines, submit=True, **kwargs)
    services.order_run_checks(order_id=order.pk)
    order.refresh_from_db()
    for check in order.checks.filter(run=order.checks_run, result="fail"):
        services.order_override_check(order_id=order.pk, check_id=check.pk, by=users["manager"],
                                      reason="test: release anyway")
    services.order_transition(order_id=order.pk, name="approve", by=users["reviewer"])
    order.refresh_from_db()
    return order


def released_order(users: dict[str, User], *, customer: Customer, lines: list[tuple[Product, str]],
                   **kwargs) -> SalesOrder:
    """An order approved and released to fulfilment (reserved, the rest backordered)."""
    order = approved_order(users, customer=customer, lines=lines, **kwargs)
    services.order_transition(order_id=order.pk, name="start_fulfilment", by=users["planner"])
    order.refresh_from_db()
    return order


# --- shipping ---------------------------------------------------------------------------------

def carrier_service(*, code: str = "TRUCKCO", mode: str = "truck", name: str = "Road freight", **rates):
    """An active carrier service that takes any shipment unless `rates` say otherwise."""
    from logistics.models import Carrier, CarrierService

    carrier, _created = Carrier.objects.get_or_create(code=code, defaults={"name": f"{code} Logistics"})
    defaults = {"base_fee": Decimal("50"), "per_kg": Decimal("2"), "per_m3": Decimal("100"), "transit_days": 2,
                "fragile_allowed": True, **rates}
    service, _created = CarrierService.objects.get_or_create(carrier=carrier, name=name, mode=mode, defaults=defaults)
    return service


def plan_shipment(order: SalesOrder, users: dict[str, User], *, quantities: dict | None = None):
    from logistics import services as shipping

    return shipping.shipment_create(order_id=order.pk, by=users["warehouse"], quantities=quantities)[0]


def verify_everything(shipment, users: dict[str, User], *, package: int = 1) -> None:
    """Scan every line as the pick list suggests (SKU, quantity, batch) into `package`."""
    from logistics import services as shipping
    from logistics.selectors import pick_list

    for _location, rows in pick_list(shipment.warehouse, shipment_ids=[shipment.pk]).groups:
        for row in rows:
            shipping.shipment_verify(shipment_id=shipment.pk, by=users["warehouse"], sku=row.product.sku,
                                     quantity=row.quantity, batch=row.batch.code if row.batch else "",
                                     package=package)


def packed_shipments(order: SalesOrder, users: dict[str, User], *, quantities: dict | None = None) -> list:
    """Plan shipments of the order's reserved lines (or `quantities`: one shipment), verify
    each, weigh and measure its package and pack it."""
    from logistics import services as shipping

    packed = []
    for shipment in shipping.shipment_create(order_id=order.pk, by=users["warehouse"], quantities=quantities):
        verify_everything(shipment, users)
        shipping.package_measure(shipment_id=shipment.pk, by=users["warehouse"], number=1, weight_kg="12.5",
                                 length_cm="60", width_cm="40", height_cm="30")
        packed.append(shipping.shipment_pack(shipment_id=shipment.pk, by=users["warehouse"]))
    return packed


def packed_shipment(order: SalesOrder, users: dict[str, User], *, quantities: dict | None = None):
    """Plan one shipment of the order's reserved lines (or `quantities`), verify it, weigh
    and measure its package and pack it (the order's stock is in one warehouse)."""
    shipments = packed_shipments(order, users, quantities=quantities)
    assert len(shipments) == 1, "the order's stock is in several warehouses"
    return shipments[0]


def ship_shipment(shipment, users: dict[str, User], *, tracking_number: str = "", service=None):
    from logistics import services as shipping

    service = service or carrier_service()
    shipping.shipment_choose_carrier(shipment_id=shipment.pk, by=users["logistics"], service_id=service.pk)
    return shipping.shipment_ship(shipment_id=shipment.pk, by=users["logistics"],
                                  tracking_number=tracking_number or f"TRK{shipment.pk:06d}")


def deliver_shipment(shipment, users: dict[str, User], *, recipient: str = "Wang Fang"):
    from logistics import services as shipping

    return shipping.shipment_deliver(shipment_id=shipment.pk, by=users["logistics"], recipient_name=recipient)
