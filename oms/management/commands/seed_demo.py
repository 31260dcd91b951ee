"""Load a small, believable demo data set and one demo user per role.

Runs once: a database that already has the demo users is left alone. Every order is
created and moved through the real services, so the timeline reads like real work.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from customers.models import Address, Contact, Customer
from inventory import services as inventory_services
from inventory.models import Location, Product, PurchaseRequisition, Supplier, Warehouse, WorkOrder
from inventory.services import stock_receive
from logistics import services as shipping
from logistics.models import Carrier, CarrierService
from logistics.selectors import pick_list
from oms import roles
from oms.api_clients import api_client_create, api_token_create
from oms.models import ApiScope
from orders import services
from orders.documents import html_to_pdf, render_contract_pdf
from orders.models import Channel, QuotationPolicy, SalesOrder

DEMO_USERS = [
    # username, role, first name, last name
    ("sales", roles.SALES, "Na", "Li"),
    ("sales2", roles.SALES, "Tom", "Becker"),
    ("desk", roles.ORDER_DESK, "Fang", "Wang"),
    ("reviewer", roles.REVIEWER, "Jun", "Zhao"),
    ("planner", roles.PLANNER, "Lei", "Chen"),
    ("warehouse", roles.WAREHOUSE, "Qiang", "Liu"),
    ("logistics", roles.LOGISTICS, "Mei", "Sun"),
    ("manager", roles.MANAGER, "Hua", "Zhou"),
    ("integration", roles.INTEGRATION, "E-shop", "Gateway"),
]

CUSTOMERS = [
    # code, name, tier, credit limit, terms, prepayment, owner, city, address
    ("C-1001", "上海华东精密机械有限公司", "A", "2000000", "net60", False, "sales", "上海", "浦东新区张江路 88 号"),
    ("C-1002", "深圳前海智能装备有限公司", "A", "1500000", "net30", False, "sales", "深圳", "南山区科技园南路 16 号"),
    ("C-1003", "Nordwind Antriebstechnik GmbH", "B", "400000", "net30", False, "sales2", "Hamburg",
     "Wandsbeker Chaussee 12"),
    ("C-1004", "成都西部电气设备厂", "B", "300000", "net30", False, "sales", "成都", "高新区天府大道 1200 号"),
    ("C-1005", "Pacific Marine Supplies Ltd", "C", "50000", "prepaid", True, "sales2", "Singapore",
     "21 Tuas South Avenue"),
    ("C-1006", "杭州新辰自动化科技有限公司", "C", "80000", "net30", False, "sales", "杭州", "滨江区江南大道 588 号"),
]

PRODUCTS = [
    # sku, name, unit, price, supply, kg, m3, fragile, lead days
    ("GB-100", "Planetary gearbox PG-100 (减速机)", "pcs", "3200.00", "stock", "12.5", "0.0180", False, 3),
    ("GB-200", "Planetary gearbox PG-200 (减速机)", "pcs", "5800.00", "stock", "21.0", "0.0320", False, 3),
    ("SM-750", "Servo motor 750 W (伺服电机)", "pcs", "1850.00", "stock", "3.2", "0.0060", False, 2),
    ("SD-750", "Servo drive 750 W (伺服驱动器)", "pcs", "1450.00", "buy", "1.1", "0.0030", True, 14),
    ("CB-05", "Encoder cable 5 m (编码器电缆)", "pcs", "120.00", "stock", "0.4", "0.0010", False, 1),
    ("LR-1200", "Linear rail 1200 mm (直线导轨)", "pcs", "980.00", "stock", "6.8", "0.0090", False, 3),
    ("CP-CUSTOM", "Custom control panel (定制控制柜)", "set", "26500.00", "make", "85.0", "0.6500", True, 25),
    ("BR-6205", "Bearing 6205-2RS (轴承)", "pcs", "18.50", "stock", "0.12", "0.0002", False, 1),
    ("PLC-S7", "PLC controller S7 compatible (可编程控制器)", "pcs", "4200.00", "buy", "0.9", "0.0040", True, 10),
    ("HX-OIL", "Gear oil ISO VG 220 (齿轮油)", "l", "36.00", "stock", "0.9", "0.0010", False, 2),
]

STOCK = {
    # sku: (Shanghai, Shenzhen)
    "GB-100": ("40", "12"), "GB-200": ("8", "4"), "SM-750": ("120", "60"), "CB-05": ("800", "300"),
    "LR-1200": ("25", "10"), "BR-6205": ("5000", "2000"), "HX-OIL": ("600", "0"), "SD-750": ("6", "0"),
    "PLC-S7": ("2", "1"),
}

# Each demo order: customer, entered by, channel, lines [(sku, qty, discount)], the steps it
# has gone through [(transition, user, reason)], and a payment (by finance) if any. The
# shipping steps go through shipments: "plan" plans shipments of everything reserved (left
# for the warehouse to pick), "pack" plans, verifies and packs everything reserved
# ("pack_first_line" only the first line), "ship" ships what is packed with the recommended
# carrier, "deliver" records proof of delivery.
# Orders whose first step is "review", "quote" or "contract" start as inquiries and go
# through the quotation (and contract) documents instead of order transitions.
ORDERS = [
    ("C-1001", "sales", Channel.SALES, [("GB-100", 10, 0), ("SM-750", 10, 5)], [("review", "sales", "")]),
    ("C-1004", "sales", Channel.EMAIL, [("LR-1200", 12, 0)], [("quote", "sales", "")]),
    ("C-1002", "sales", Channel.SALES, [("CP-CUSTOM", 2, 3), ("PLC-S7", 2, 0)],
     [("quote", "sales", ""), ("contract", "sales", "")]),
    ("C-1003", "desk", Channel.FAX, [("GB-200", 3, 0), ("CB-05", 20, 0)], [("submit", "desk", "")]),
    ("C-1006", "desk", Channel.PHONE, [("SM-750", 30, 0), ("SD-750", 30, 0)],
     [("submit", "desk", ""), ("hold", "reviewer", "Customer to confirm the drive model in writing.")]),
    ("C-1001", "desk", Channel.EMAIL, [("BR-6205", 400, 10), ("HX-OIL", 60, 0)],
     [("submit", "desk", ""), ("approve", "reviewer", "")]),
    ("C-1004", "sales", Channel.SALES, [("GB-100", 2, 0)],
     [("submit", "sales", ""),
      ("reject", "reviewer", "Unit price below the agreed framework price; please re-quote.")]),
    ("C-1002", "integration", Channel.API, [("SM-750", 16, 5), ("CB-05", 16, 0)],
     [("submit", "integration", ""), ("approve", "reviewer", ""), ("start_fulfilment", "planner", ""),
      ("plan", "warehouse", "")]),
    ("C-1001", "desk", Channel.EMAIL, [("GB-200", 2, 0), ("LR-1200", 4, 0)],
     [("submit", "desk", ""), ("approve", "reviewer", ""), ("start_fulfilment", "planner", ""),
      ("pack", "warehouse", "")]),
    ("C-1003", "sales2", Channel.SALES, [("GB-100", 6, 0), ("SD-750", 6, 0)],
     [("submit", "sales2", ""), ("approve", "reviewer", ""), ("start_fulfilment", "planner", ""),
      ("pack_first_line", "warehouse", ""), ("ship", "logistics", "")]),
    ("C-1002", "desk", Channel.ESHOP, [("BR-6205", 1000, 12)],
     [("submit", "desk", ""), ("approve", "reviewer", ""), ("start_fulfilment", "planner", ""),
      ("pack", "warehouse", ""), ("ship", "logistics", "")]),
    ("C-1004", "sales", Channel.SALES, [("SM-750", 8, 0), ("CB-05", 8, 0)],
     [("submit", "sales", ""), ("approve", "reviewer", ""), ("start_fulfilment", "planner", ""),
      ("pack", "warehouse", ""), ("ship", "logistics", ""), ("deliver", "logistics", "")]),
    ("C-1001", "sales", Channel.SALES, [("GB-100", 4, 0)],
     [("submit", "sales", ""), ("approve", "reviewer", ""), ("start_fulfilment", "planner", ""),
      ("pack", "warehouse", ""), ("ship", "logistics", ""), ("deliver", "logistics", ""),
      ("invoice", "reviewer", "")]),
    ("C-1002", "desk", Channel.CSV, [("HX-OIL", 100, 0), ("BR-6205", 200, 0)],
     [("submit", "desk", ""), ("approve", "reviewer", ""), ("start_fulfilment", "planner", ""),
      ("pack", "warehouse", ""), ("ship", "logistics", ""), ("deliver", "logistics", ""),
      ("invoice", "reviewer", ""), ("pay", "reviewer", ""), ("close", "manager", "")]),
    ("C-1006", "sales", Channel.PHONE, [("LR-1200", 2, 0)],
     [("cancel", "sales", "Customer bought locally after the delivery date moved.")]),
    # short of stock when released: a work order for the panel, a requisition for the drives
    ("C-1001", "sales", Channel.SALES, [("CP-CUSTOM", 1, 0), ("SD-750", 10, 0), ("GB-100", 2, 0)],
     [("submit", "sales", ""), ("approve", "reviewer", ""), ("start_fulfilment", "planner", "")]),
    ("C-1004", "desk", Channel.SALES, [("PLC-S7", 4, 0)],
     [("submit", "desk", ""), ("approve", "reviewer", ""), ("start_fulfilment", "planner", "")]),
]

SUPPLIERS = [
    # code, name, contact, e-mail, lead days
    ("S-201", "苏州汇川驱动技术有限公司", "Zhang Wei", "sales@s-201.example", 12),
    ("S-202", "Rhein Automation AG", "Julia Kraus", "orders@s-202.example", 21),
    ("S-203", "宁波精工钣金有限公司", "Chen Gang", "chen@s-203.example", 8),
]
LOCATIONS = {"SH": ["A-01", "A-02", "B-01", "B-02"], "SZ": ["A-01", "A-02"]}


#: Demo standard cost as a share of the list price (finance sees margins against it).
COST_RATIO = Decimal("0.68")
PREORDER_STEPS = {"review", "quote", "contract"}
SHIPPING_STEPS = {"plan", "pack", "pack_first_line", "ship", "deliver"}

CARRIERS = [
    # code, name, tracking URL, [(mode, service, base fee, per kg, per m³, transit days, max kg, fragile, regions)]
    ("SF", "顺丰速运 SF Express", "https://www.sf-express.com/track?no={tracking_number}", [
        ("express", "Next-day express", "25", "12", "0", 1, "50", True, ""),
        ("air", "International air express", "320", "38", "0", 4, "300", True, "DE, SG"),
    ]),
    ("DEPPON", "德邦物流 Deppon Logistics", "", [
        ("truck", "Less-than-truckload", "120", "1.8", "180", 3, "5000", True, "CN"),
    ]),
    ("CRE", "China Railway Express", "", [
        ("rail", "China–Europe rail freight", "800", "0.6", "60", 18, "20000", False, "DE"),
    ]),
    ("COSCO", "COSCO Shipping", "", [
        ("sea", "LCL sea freight", "1500", "0", "90", 30, None, False, "DE, SG"),
    ]),
]


def country_of(city: str) -> str:
    return {"Hamburg": "DE", "Singapore": "SG"}.get(city, "CN")


def _preorder(users: dict[str, User], customer: Customer, products: dict[str, Product],
              lines: list[tuple[str, int, int]], steps: list[str], *, requested_date: datetime.date) -> None:
    """An inquiry taken to its last step through the quotation and contract services:
    "review" (quotation waiting for sign-offs), "quote" (sent), "contract" (signed)."""
    sales = users["sales"]
    needs = [services.NeedInput(product=products[sku], quantity=Decimal(qty), requested_date=requested_date)
             for sku, qty, _discount in lines]
    if steps == ["review"]:  # a need still in the customer's words, to be matched to a product
        needs.append(services.NeedInput(quantity=Decimal(1), requirement="Installation and commissioning on site",
                                        expectations="Engineer on site for two days; Chinese-speaking"))
    order = services.inquiry_create(
        by=sales, customer=customer, requested_date=requested_date, needs=needs,
        note="Visited the plant; the customer wants a firm price before their budget meeting.",
    )
    quotation = services.quotation_create(
        order_id=order.pk, by=sales, warranty_terms="12 months from delivery",
        lines=[services.LineInput(product=products[sku], quantity=Decimal(qty), discount_percent=Decimal(discount))
               for sku, qty, discount in lines])
    services.quotation_submit_review(quotation_id=quotation.pk, by=sales)
    if steps == ["review"]:
        return
    signers = {"finance": users["reviewer"], "operations": users["planner"], "manager": users["manager"]}
    for area in services.required_signoffs(quotation, list(quotation.lines.select_related("product")),
                                           QuotationPolicy.current()):
        services.quotation_signoff(quotation_id=quotation.pk, by=signers[area], area=area, approve=True,
                                   comment="OK")
    services.quotation_send(quotation_id=quotation.pk, by=sales)
    if "contract" not in steps:
        return
    services.quotation_record_decision(quotation_id=quotation.pk, by=sales, accepted=True,
                                       note="Accepted by e-mail from the purchasing manager.")
    contract = services.contract_create(quotation_id=quotation.pk, by=sales)
    services.contract_submit_review(contract_id=contract.pk, by=sales)
    services.contract_review(contract_id=contract.pk, by=users["manager"], approve=True, comment="")
    signed_copy = SimpleUploadedFile("signed-contract.pdf", render_contract_pdf(contract),
                                     content_type="application/pdf")
    services.contract_sign(contract_id=contract.pk, by=sales, signed_on=timezone.localdate(), upload=signed_copy)


def _scan(customer_code: str, reference: str) -> SimpleUploadedFile:
    """A stand-in for the scanned order document of an e-mail or fax order."""
    html = (f"<h1>Purchase order {reference}</h1><p>Customer {customer_code}</p>"
            "<p>(Demo scan: the original arrived by e-mail or fax.)</p>")
    return SimpleUploadedFile(f"{reference}.pdf", html_to_pdf(html), content_type="application/pdf")


class Command(BaseCommand):
    help = "Load demo data and one demo user per role (once; safe to run again)."

    def handle(self, *args, **options) -> None:
        if User.objects.filter(username="manager").exists():
            self.stdout.write("Demo data already present; nothing to do.")
            return
        users = self._users()
        customers = self._customers(users)
        products = self._catalogue()
        self._carriers()
        self._orders(users, customers, products)
        self._supply(users, products)
        self.stdout.write(self.style.SUCCESS(
            f"Demo data loaded: {len(users) - 1} users, {len(customers)} customers, {len(products)} products, "
            f"{len(ORDERS)} orders."))
        self._api_client(users)

    def _users(self) -> dict[str, User]:
        users: dict[str, User] = {}
        with transaction.atomic():
            for username, role, first, last in DEMO_USERS:
                user = User.objects.create_user(username, f"{username}@oms.example", settings.OMS_DEMO_PASSWORD,
                                                first_name=first, last_name=last)
                user.groups.add(Group.objects.get(name=role))
                users[username] = user
            users["admin"] = User.objects.create_superuser("admin", "admin@oms.example",
                                                           settings.OMS_DEMO_PASSWORD)
        return users

    def _api_client(self, users: dict[str, User]) -> None:
        """The demo e-shop, acting as the `integration` user, with a token for every scope;
        its key is printed here only (just its hash is stored)."""
        client = api_client_create(name="Demo e-shop", user=users["integration"],
                                   notes="Demo integration created by seed_demo.")
        _token, key = api_token_create(client=client, name="demo", scopes=ApiScope.values)
        self.stdout.write(f"API token of the 'Demo e-shop' client (acts as 'integration'; shown once): {key}")

    def _customers(self, users: dict[str, User]) -> dict[str, Customer]:
        customers = {}
        history_since = timezone.localdate() - datetime.timedelta(days=400)
        with transaction.atomic():
            for code, name, tier, limit, terms, prepay, owner, city, street in CUSTOMERS:
                customer = Customer.objects.create(code=code, name=name, tier=tier, credit_limit=Decimal(limit),
                                                   payment_terms=terms, prepayment_required=prepay,
                                                   owner=users[owner], language="en" if country_of(city) != "CN"
                                                   else "zh-hans",
                                                   # C-1006 is new: no payment history, so it prepays
                                                   first_paid_on=None if code == "C-1006" else history_since,
                                                   currency="EUR" if code == "C-1003" else "CNY")
                country = country_of(city)
                Address.objects.create(customer=customer, label="Main", line1=street, city=city, country=country,
                                       is_default_shipping=True)
                Contact.objects.create(customer=customer, name=f"Purchasing {code}",
                                       email=f"buyer@{code.lower()}.example", phone="+86 21 5555 0100",
                                       role="Purchasing", is_primary=True)
                customers[code] = customer
        return customers

    def _catalogue(self) -> dict[str, Product]:
        products = {}
        with transaction.atomic():
            shanghai = Warehouse.objects.create(code="SH", name="Shanghai main warehouse",
                                                address="上海市嘉定区 安亭镇 1 号", regions="上海, 江苏, 浙江, 四川")
            shenzhen = Warehouse.objects.create(code="SZ", name="Shenzhen warehouse", address="深圳市宝安区 福永 2 号",
                                                regions="广东, 广西, 福建")
            for sku, name, unit, price, supply, kg, m3, fragile, lead in PRODUCTS:
                products[sku] = Product.objects.create(
                    sku=sku, name=name, unit=unit, list_price=Decimal(price), supply_type=supply,
                    standard_cost=(Decimal(price) * COST_RATIO).quantize(Decimal("0.01")),
                    weight_kg=Decimal(kg), volume_m3=Decimal(m3), fragile=fragile, lead_time_days=lead)
        for sku, (sh, sz) in STOCK.items():  # opening stock, through the ledger
            for warehouse, quantity in ((shanghai, sh), (shenzhen, sz)):
                if Decimal(quantity) > 0:
                    stock_receive(product=products[sku], warehouse=warehouse, quantity=quantity,
                                  reference="OPENING")
        return products

    def _orders(self, users: dict[str, User], customers: dict[str, Customer], products: dict[str, Product]) -> None:
        today = timezone.localdate()
        for index, (code, entered_by, channel, lines, steps) in enumerate(ORDERS):
            if steps and steps[0][0] in PREORDER_STEPS:
                _preorder(users, customers[code], products, lines, [name for name, _user, _reason in steps],
                          requested_date=today + datetime.timedelta(days=21 + 3 * index))
                continue
            order = services.order_create(
                by=users[entered_by], customer=customers[code], channel=channel,
                requested_date=today + datetime.timedelta(days=7 + 3 * index),
                customer_reference=f"PO-{2026_0400 + index}",
                lines=[services.LineInput(product=products[sku], quantity=Decimal(qty),
                                          discount_percent=Decimal(discount)) for sku, qty, discount in lines],
                document=_scan(code, f"PO-{2026_0400 + index}") if channel in (Channel.EMAIL, Channel.FAX) else None,
            )
            for name, username, reason in steps:
                order.refresh_from_db()
                if name in SHIPPING_STEPS:
                    self._shipping_step(order, name, users[username])
                    continue
                if name == "pay":
                    services.order_record_payment(order_id=order.pk, amount=order.total_amount, by=users[username],
                                                  reference="Bank transfer")
                    continue
                if name == "hold" and order.state == "on_hold":
                    continue  # the automatic checks held it already
                if name == "approve" and order.checks_result == "failed":
                    for check in order.checks.filter(run=order.checks_run, result="fail"):
                        services.order_override_check(order_id=order.pk, check_id=check.pk, by=users["manager"],
                                                      reason="Long-standing customer; agreed with the sales director.")
                services.order_transition(order_id=order.pk, name=name, by=users[username], reason=reason)
                if name == "submit":  # the worker would run them after the commit; the demo needs them now
                    services.order_run_checks(order_id=order.pk)

    def _carriers(self) -> None:
        for code, name, url, services_ in CARRIERS:
            carrier = Carrier.objects.create(code=code, name=name, tracking_url_template=url)
            for mode, label, base, per_kg, per_m3, days, max_kg, fragile, regions in services_:
                CarrierService.objects.create(
                    carrier=carrier, mode=mode, name=label, base_fee=Decimal(base), per_kg=Decimal(per_kg),
                    per_m3=Decimal(per_m3), transit_days=days, max_weight_kg=Decimal(max_kg) if max_kg else None,
                    fragile_allowed=fragile, regions=regions)

    def _shipping_step(self, order: SalesOrder, name: str, user: User) -> None:
        """Pack, ship or deliver the order's shipments through the shipping services, as the
        warehouse and logistics would on their pages."""
        if name == "plan":
            shipping.shipment_create(order_id=order.pk, by=user)
        elif name in ("pack", "pack_first_line"):
            first = order.lines.order_by("line_no").first()
            quantities = {first.pk: first.reserved_quantity} if name == "pack_first_line" else None
            for shipment in shipping.shipment_create(order_id=order.pk, by=user, quantities=quantities):
                for _location, rows in pick_list(shipment.warehouse, shipment_ids=[shipment.pk]).groups:
                    for row in rows:
                        shipping.shipment_verify(shipment_id=shipment.pk, by=user, sku=row.product.sku,
                                                 quantity=row.quantity, batch=row.batch.code if row.batch else "")
                weight = max(Decimal("1"), shipping.shipment_measures(shipment)[0]).quantize(Decimal("0.001"))
                shipping.package_measure(shipment_id=shipment.pk, by=user, number=1, weight_kg=weight,
                                         length_cm="80", width_cm="60", height_cm="50")
                shipping.shipment_pack(shipment_id=shipment.pk, by=user)
        elif name == "ship":
            for shipment in order.shipments.filter(state="packed"):
                chosen = shipping.shipment_choose_carrier(shipment_id=shipment.pk, by=user)
                number = f"{chosen.carrier_service.carrier.code}{7_100_000 + shipment.pk}"
                shipping.shipment_ship(shipment_id=shipment.pk, by=user, tracking_number=number)
        elif name == "deliver":
            for shipment in order.shipments.filter(state__in=["shipped", "in_transit"]):
                shipping.tracking_event_add(shipment_id=shipment.pk, by=user, status="in_transit",
                                            location="Hub", description="Departed the sorting centre")
                shipping.shipment_deliver(shipment_id=shipment.pk, by=user, recipient_name="Receiving dock",
                                          notes="Received in good order.")

    def _supply(self, users: dict[str, User], products: dict[str, Product]) -> None:
        """Suppliers, bins, a purchase order for the drives the released orders wait for
        (delayed by the supplier), the panel's work order in production, a transfer on its
        way and a cycle count waiting for confirmation."""
        today = timezone.localdate()
        planner = users["planner"]
        suppliers = [Supplier.objects.create(code=code, name=name, contact_name=contact, email=email,
                                             lead_time_days=days) for code, name, contact, email, days in SUPPLIERS]
        warehouses = {w.code: w for w in Warehouse.objects.all()}
        for code, bins in LOCATIONS.items():
            for bin_code in bins:
                Location.objects.create(warehouse=warehouses[code], code=bin_code, name=f"Rack {bin_code}")
        shelf = Location.objects.get(warehouse=warehouses["SH"], code="A-01")
        inventory_services.stock_receive(product=products["BR-6205"], warehouse=warehouses["SH"], quantity="500",
                                         location=shelf, batch_code="BR-2026-10", reference="OPENING")
        requisitions = list(PurchaseRequisition.objects.filter(product=products["SD-750"]).values_list("pk",
                                                                                                      flat=True))
        if requisitions:
            order = inventory_services.purchase_order_create(
                supplier=suppliers[0], warehouse=warehouses["SH"], expected_date=today + datetime.timedelta(days=6),
                requisition_ids=requisitions, by=planner)
            for step in ("send", "confirm"):
                inventory_services.purchase_order_transition(purchase_order_id=order.pk, name=step, by=planner,
                                                             supplier_reference="HC-88231")
            inventory_services.purchase_order_delay(
                purchase_order_id=order.pk, new_expected_date=today + datetime.timedelta(days=13),
                note="Supplier reports a component shortage; shipping one week later.", by=planner)
        for work_order in WorkOrder.objects.filter(product=products["CP-CUSTOM"]):
            for step in ("release", "start"):
                inventory_services.work_order_transition(work_order_id=work_order.pk, name=step, by=planner)
        inventory_services.transfer_send(product=products["SM-750"], from_location=inventory_services.default_location(
            warehouses["SH"]), to_warehouse=warehouses["SZ"], quantity="10", by=users["warehouse"],
            note="Refill Shenzhen for the south region")
        count = inventory_services.count_create(location=shelf, by=users["warehouse"])
        inventory_services.count_enter(count_id=count.pk, by=users["warehouse"], counted={
            line.pk: line.expected - 2 if n == 0 else line.expected for n, line in enumerate(count.lines.all())})
        inventory_services.rebalance(product_ids=[p.pk for p in products.values()])
