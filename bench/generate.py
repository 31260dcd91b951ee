"""Load a large, believable order book fast, with PostgreSQL COPY (bench/bulk.py).

What it builds (defaults: 100,000 orders, about 5 lines each, 10,000 customers, 2,000 SKUs,
3 warehouses):

- users per role (`bench-desk-01`, `bench-reviewer-01`, `bench-planner`… and
  `bench-sales-01`… who own the customers), warehouses with bins, two carriers, products (some made, some bought in,
  some batch tracked with expiry dates), customers with a contact and a delivery address
  in a region one warehouse serves;
- orders over a history of `orders / per-day` days. The open states hold what a business
  taking `--per-day` orders a day has in flight (each state holds the orders of the days
  an order typically spends in it: PIPELINE), a few percent are cancelled, the rest are
  closed. Their timelines (events), automatic check results, priorities, payments;
- for orders released to fulfilment: reservations in the order's warehouse, backorders
  only on a few scarce SKUs (whose free stock is zero everywhere, so no waiting line
  could be filled), with a work order or purchase requisition raised for each; shipments
  planned, picking (partly verified), packed (verified, one package), shipped, in
  transit and delivered (with proof of delivery);
- a stock ledger the levels rebuild from: a receipt per stock quant (location, batch),
  a reservation move per reserved line, an issue move per shipped line; stock levels and
  quants equal to the ledger's sums (inventory.services.ledger_differences is empty).

Document numbers continue each (prefix, year) sequence of orders.NumberSequence and the
sequence rows are moved past them, so orders, shipments, work orders and requisitions
created later by the application never collide. Ids continue each table, and the
identity sequences are moved past them.

Not built (the measured pages do not read them; the tables stay empty for bench rows):
quotations and contracts of quoted / contracted orders, attachments, carrier tracking
events, packages of shipments that left.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_scale .venv/bin/python bench/generate.py --orders 5000

loads into the database of DATABASE_URL (migrated, without bench users). bench/scale.py
uses `load()` on a scratch database.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")

from bench.bulk import Copier, Table, drop_foreign_keys, restore_foreign_keys
from bench.orderbook import CENT, PIPELINE, ZERO, OrderBook, weighted

#: Warehouses (code, name, regions served, share of the customers in those regions).
WAREHOUSES = [
    ("BSH", "Bench Shanghai", ["上海", "江苏", "浙江", "安徽"], 50),
    ("BSZ", "Bench Shenzhen", ["广东", "广西", "福建", "海南"], 30),
    ("BBJ", "Bench Beijing", ["北京", "天津", "河北", "山东"], 20),
    ("BCD", "Bench Chengdu", ["四川", "重庆", "云南"], 15),
    ("BWH", "Bench Wuhan", ["湖北", "湖南", "河南"], 15),
]
ROLE_USERS = [("desk", "order_desk", 3), ("reviewer", "reviewer", 2), ("planner", "planner", 1),
              ("warehouse", "warehouse", 2), ("logistics", "logistics", 1), ("manager", "manager", 1),
              ("integration", "integration", 1)]
SCARCE_EVERY = 50  # one SKU in 50 is scarce: its free stock is zero, its released lines wait


class Loader(OrderBook):
    """Reference data, catalogue, customers and stock; the orders come from OrderBook."""

    def __init__(self, *, orders: int, lines_per_order: int, customers: int, skus: int, warehouses: int,
                 per_day: float, sales_users: int, seed: int) -> None:
        from django.utils import timezone

        self.n_orders, self.lines_per_order, self.n_customers, self.n_skus = orders, lines_per_order, customers, skus
        self.n_warehouses, self.per_day, self.n_sales = min(warehouses, len(WAREHOUSES)), per_day, sales_users
        self.rng = random.Random(seed)
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.days = max(orders / per_day, 60.0)
        self.counters: dict[tuple[str, int], int] = {}
        # stock bookkeeping: (product, warehouse) → open reserved, issued from the primary quant
        self.reserved: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
        self.issued: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
        self.tally: dict[str, int] = defaultdict(int)

    # --- numbers ------------------------------------------------------------------------------

    def number(self, prefix: str, when: datetime.datetime) -> str:
        """The next number of a (prefix, year) sequence, continuing what the database holds."""
        from django.utils import timezone

        year = timezone.localtime(when).year  # as next_document_number: the local year
        key = (prefix, year)
        if key not in self.counters:
            self.counters[key] = self.sequences.get(key, 0)
        self.counters[key] += 1
        return f"{prefix}-{year}-{self.counters[key]:06d}"

    def save_sequences(self) -> None:
        from django.db import connection

        from orders.models import NumberSequence

        table = NumberSequence._meta.db_table
        with connection.cursor() as cursor:
            for (prefix, year), value in self.counters.items():
                cursor.execute(
                    f"INSERT INTO {table} (prefix, year, last_value) VALUES (%s, %s, %s) ON CONFLICT (prefix, year) "
                    f"DO UPDATE SET last_value = GREATEST({table}.last_value, EXCLUDED.last_value)",
                    [prefix, year, value])

    # --- reference data -----------------------------------------------------------------------

    def reference_data(self) -> None:
        """Users, warehouses, bins, carriers (through the ORM: a few rows)."""
        from django.contrib.auth.hashers import make_password
        from django.contrib.auth.models import Group, User

        from inventory.models import Location, Warehouse
        from logistics.models import Carrier, CarrierService
        from orders.models import NumberSequence

        if User.objects.filter(username__startswith="bench-").exists():
            raise SystemExit("This database already holds bench data (users bench-…); load into a fresh one.")
        # where the document numbers stand (read now: the COPY thread owns the connection later)
        self.sequences = {(row.prefix, row.year): row.last_value for row in NumberSequence.objects.all()}
        unusable = make_password(None)
        self.users: dict[str, list[Any]] = {}
        for name, role, count in [*ROLE_USERS, ("sales", "sales", self.n_sales)]:
            group = Group.objects.get(name=role)
            accounts = User.objects.bulk_create([
                User(username=f"bench-{name}" + (f"-{n:02d}" if count > 1 else ""), password=unusable,
                     first_name=name.capitalize(), last_name=f"{n:02d}", email=f"{name}{n}@bench.example")
                for n in range(1, count + 1)])
            group.user_set.add(*accounts)
            self.users[name] = [account.pk for account in accounts]
        self.warehouses = []
        self.bins: dict[int, list[int]] = {}
        for code, name, regions, _share in WAREHOUSES[:self.n_warehouses]:
            warehouse = Warehouse.objects.create(code=code, name=name, regions=", ".join(regions),
                                                 address=f"{regions[0]} bench park 1")
            locations = Location.objects.bulk_create([
                Location(warehouse=warehouse, code=f"{aisle}-{slot:02d}", name=f"Rack {aisle}-{slot:02d}")
                for aisle in "ABCDEF" for slot in range(1, 21)])
            self.warehouses.append(warehouse.pk)
            self.bins[warehouse.pk] = [location.pk for location in locations]
        self.region_warehouse = {region: self.warehouses[index] for index, (_c, _n, regions, _s)
                                 in enumerate(WAREHOUSES[:self.n_warehouses]) for region in regions}
        self.regions = [(region, share) for _c, _n, regions, share in WAREHOUSES[:self.n_warehouses]
                        for region in regions]
        express = Carrier.objects.create(code="BENCH-EXP", name="Bench Express",
                                         tracking_url_template="https://track.bench.example/{tracking_number}")
        truck = Carrier.objects.create(code="BENCH-TRK", name="Bench Trucking")
        self.services = [
            CarrierService.objects.create(carrier=express, mode="express", name="Next day", base_fee=Decimal(20),
                                          per_kg=Decimal(8), transit_days=1, max_weight_kg=Decimal(70),
                                          fragile_allowed=True).pk,
            CarrierService.objects.create(carrier=truck, mode="truck", name="Groupage", base_fee=Decimal(120),
                                          per_kg=Decimal("1.2"), per_m3=Decimal(90), transit_days=3).pk,
        ]

    def catalogue(self, copier: Copier) -> None:
        from customers.models import Address, Contact, Customer
        from inventory.models import Batch, Product

        rng = self.rng
        products = Table(copier, Product, ["id", "sku", "name", "unit", "list_price", "standard_cost", "supply_type",
                                           "weight_kg", "volume_m3", "fragile", "lead_time_days", "batch_tracked"])
        batches = Table(copier, Batch, ["id", "product", "code", "expires_on", "received_on"])
        self.products: list[tuple[int, Decimal, str, bool, str]] = []  # id, price, supply type, scarce, SKU
        self.batches: dict[int, list[int]] = {}
        for n in range(self.n_skus):
            pk = products.next_id()
            price = Decimal(rng.choice([12, 35, 80, 150, 420, 900, 2400, 6800])) + Decimal(rng.randint(0, 99)) / 100
            supply = weighted(rng, [("stock", 70), ("make", 15), ("buy", 15)])
            tracked = n % 20 == 3
            products.add(pk, f"BN-{n + 1:05d}", f"Bench part {n + 1:05d} (轴承 / gear / seal)", "pcs", price,
                         (price * Decimal("0.62")).quantize(CENT), supply, Decimal(rng.randint(1, 400)) / 10,
                         Decimal(rng.randint(1, 500)) / 10000, n % 17 == 5, rng.choice([3, 7, 14, 30]), tracked)
            if tracked:
                self.batches[pk] = []
                for b in (1, 2):
                    batch = batches.next_id()
                    batches.add(batch, pk, f"L{n + 1:05d}-{b}", self.today + datetime.timedelta(days=200 * b),
                                self.today - datetime.timedelta(days=30))
                    self.batches[pk].append(batch)
            self.products.append((pk, price, supply, n % SCARCE_EVERY == 7, f"BN-{n + 1:05d}"))
        for table in (products, batches):
            table.finish()
        customers = Table(copier, Customer, ["id", "code", "name", "tier", "credit_limit", "currency", "payment_terms",
                                             "prepayment_required", "first_paid_on", "language", "owner",
                                             "is_active", "created_at", "updated_at"])
        contacts = Table(copier, Contact, ["id", "customer", "name", "email", "phone", "role", "is_primary"])
        addresses = Table(copier, Address, ["id", "customer", "label", "line1", "city", "region", "postal_code",
                                            "country", "is_default_shipping"])
        since = self.now - datetime.timedelta(days=self.days + 30)
        self.customers: list[tuple[int, str, int, int, int, str, str, int]] = []
        sales = self.users["sales"]
        for n in range(self.n_customers):
            pk = customers.next_id()
            tier = "A" if n < self.n_customers * 0.1 else "B" if n < self.n_customers * 0.4 else "C"
            abroad = n % 25 == 11
            region = "" if abroad else weighted(rng, self.regions)
            owner = sales[n % len(sales)]
            terms = "prepaid" if n % 40 == 9 else weighted(rng, [("net30", 60), ("net60", 25), ("cod", 10),
                                                                  ("net90", 5)])
            currency = "EUR" if abroad else "CNY"
            customers.add(pk, f"BC-{n + 1:05d}", f"Bench customer {n + 1:05d} 有限公司", tier,
                          Decimal(rng.choice([200_000, 500_000, 2_000_000, 10_000_000])), currency, terms,
                          terms == "prepaid", None if n % 97 == 13 else since.date(), "en" if abroad else "zh-hans",
                          owner, True, since, since)
            contact, address = contacts.next_id(), addresses.next_id()
            contacts.add(contact, pk, f"Buyer {n + 1:05d}", f"buyer{n + 1}@customer.example", "+86 21 5555 0100",
                         "Purchasing", True)
            addresses.add(address, pk, "Main", f"{n % 900 + 1} Industrial Road", "Hamburg" if abroad else region,
                          region, f"{200000 + n % 9000}", "DE" if abroad else "CN", True)
            warehouse = self.warehouses[0] if abroad else self.region_warehouse[region]
            self.customers.append((pk, tier, owner, contact, address, terms, currency, warehouse))
        for table in (customers, contacts, addresses):
            table.finish()
        # where each product lies in each warehouse: a primary bin (first batch) and for some a second bin
        self.bin_of: dict[tuple[int, int], list[tuple[int, int | None]]] = {}
        for pk, *_rest in self.products:
            for warehouse in self.warehouses:
                bins = rng.sample(self.bins[warehouse], 2)
                tracked = self.batches.get(pk)
                spots = [(bins[0], tracked[0] if tracked else None)]
                if tracked or rng.random() < 0.3:
                    spots.append((bins[1], tracked[1] if tracked else None))
                self.bin_of[(pk, warehouse)] = spots

    # --- orders -------------------------------------------------------------------------------

    def _user(self, role: str) -> int:
        return self.rng.choice(self.users[role])

    def stock(self, copier: Copier) -> None:
        """Levels and quants that hold every open reservation plus free stock (none for the
        scarce SKUs), and the receipts that, with the issues, make them up."""
        from inventory.models import StockLevel, StockQuant

        rng = self.rng
        levels = Table(copier, StockLevel, ["product", "warehouse", "on_hand", "reserved", "in_transit",
                                            "updated_at"])
        quants = Table(copier, StockQuant, ["product", "warehouse", "location", "batch", "on_hand"])
        opened = self.now - datetime.timedelta(days=self.days + 10)
        receiver = self._user("warehouse")
        for product, _price, _supply, scarce, _sku in self.products:
            for warehouse in self.warehouses:
                key = (product, warehouse)
                reserved = self.reserved.get(key, ZERO)
                free = ZERO if scarce else Decimal(rng.choice([0, 20, 40, 80, 150, 300, 600]))
                on_hand = reserved + free
                levels.add(product, warehouse, on_hand, reserved, ZERO, self.now)
                spots = self.bin_of[key]
                second = (on_hand // 3) if len(spots) > 1 else ZERO
                for (location, batch), held, issued in ((spots[0], on_hand - second, self.issued.get(key, ZERO)),
                                                        *([(spots[1], second, ZERO)] if len(spots) > 1 else [])):
                    if held + issued <= 0:
                        continue
                    quants.add(product, warehouse, location, batch, held)
                    self.t_moves.add("receipt", product, warehouse, location, batch, held + issued, ZERO, ZERO, ZERO,
                                     "", None, "OPENING", receiver, opened)
        for table in (levels, quants, self.t_moves):
            table.finish()


def loaded_tables() -> list[str]:
    """The tables the loader writes with COPY."""
    from customers.models import Address, Contact, Customer
    from inventory.models import Batch, Product, PurchaseRequisition, StockLevel, StockMove, StockQuant, WorkOrder
    from logistics.models import Package, PackedItem, ProofOfDelivery, Shipment, ShipmentLine
    from orders.models import OrderEvent, ReviewCheck, SalesOrder, SalesOrderLine

    return [model._meta.db_table for model in (
        Product, Batch, Customer, Contact, Address, SalesOrder, SalesOrderLine, OrderEvent, ReviewCheck, Shipment,
        ShipmentLine, Package, PackedItem, ProofOfDelivery, StockMove, WorkOrder, PurchaseRequisition, StockLevel,
        StockQuant)]


def load(*, orders: int = 100_000, lines_per_order: int = 5, customers: int = 10_000, skus: int = 2_000,
         warehouses: int = 3, per_day: float = 140.0, sales_users: int = 20, seed: int = 2026) -> dict[str, Any]:
    """Load the data set into the default database (PostgreSQL, migrated, no bench data
    yet) in one transaction, then VACUUM (ANALYZE), as autovacuum would soon after such a
    load (it sets the visibility map, which index-only scans need: counts over the orders
    read an index then instead of the table). Returns the counts and seconds per phase."""
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        raise SystemExit("The loader needs PostgreSQL (COPY): set DATABASE_URL=postgres://…")
    loader = Loader(orders=orders, lines_per_order=lines_per_order, customers=customers, skus=skus,
                    warehouses=warehouses, per_day=per_day, sales_users=sales_users, seed=seed)
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def lap(name: str) -> None:
        timings[name] = time.perf_counter() - started - sum(timings.values())

    with transaction.atomic():
        loader.reference_data()
        cursor = connection.connection.cursor()  # the raw psycopg2 cursor, in Django's transaction
        dropped = drop_foreign_keys(cursor, loaded_tables())
        copier = Copier(cursor)
        loader.catalogue(copier)
        lap("catalogue and customers")
        loader.orders(copier)
        lap("orders")
        loader.stock(copier)
        copier.close()
        loader.save_sequences()
        lap("stock")
        restore_foreign_keys(cursor, dropped)
        lap("foreign keys")
    lap("commit")
    with connection.cursor() as cursor:  # autocommit here: VACUUM runs outside a transaction
        cursor.execute("VACUUM (ANALYZE)")
    lap("vacuum and analyze")
    rows = {table.name: table.count for table in (
        loader.t_orders, loader.t_lines, loader.t_events, loader.t_checks, loader.t_shipments,
        loader.t_shipment_lines, loader.t_pods, loader.t_moves, loader.t_work_orders, loader.t_requisitions)}
    return {"seconds": time.perf_counter() - started, "timings": timings, "rows": rows,
            "states": dict(loader.tally), "days": loader.days, "warehouses": loader.warehouses,
            "users": loader.users}


def verify(sample: int = 1000) -> list[str]:
    """What would be wrong with the loaded data: the ledger not rebuilding the levels and
    quants, oversold levels, released lines whose reserved, backordered and shipped do not
    add up, waiting lines while their product has free stock, orders (a sample) not in the
    state their shipments put them in. Empty when all is consistent."""
    from django.db.models import F

    from inventory.models import StockLevel
    from inventory.services import WAITING_STATES, ledger_differences
    from inventory.services.allocation import products_to_rebalance
    from logistics.services.orders import order_target_state
    from orders.models import SalesOrder, SalesOrderLine

    problems = []
    if differences := ledger_differences():
        problems.append(f"{len(differences)} stock levels or quants differ from the ledger")
    if oversold := StockLevel.objects.filter(reserved__gt=F("on_hand")).count():
        problems.append(f"{oversold} stock levels reserve more than they hold")
    waiting = SalesOrderLine.objects.filter(order__state__in=WAITING_STATES)
    if unbalanced := waiting.exclude(quantity=F("reserved_quantity") + F("backorder_quantity")
                                     + F("shipped_quantity")).count():
        problems.append(f"{unbalanced} released lines are not reserved + backordered + shipped")
    if products := products_to_rebalance():
        problems.append(f"{len(products)} products have waiting lines and free stock")
    shipping = SalesOrder.objects.filter(state__in=[*WAITING_STATES, "shipped", "delivered"]).order_by("?")
    misplaced = [order.number for order in shipping.prefetch_related("lines")[:sample]
                 if order_target_state(order) != order.state]
    if misplaced:
        problems.append(f"orders not in the state their shipments give: {', '.join(misplaced[:5])}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--lines-per-order", type=int, default=5, help="average (1 to 2n-1 lines an order)")
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--skus", type=int, default=2_000)
    parser.add_argument("--warehouses", type=int, default=3, help=f"1 to {len(WAREHOUSES)}")
    parser.add_argument("--per-day", type=float, default=140.0,
                        help="orders a day: sets how many are in flight (default 140)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--check", action="store_true", help="then check the data is consistent (verify())")
    args = parser.parse_args()

    import django

    django.setup()
    summary = load(orders=args.orders, lines_per_order=args.lines_per_order, customers=args.customers,
                   skus=args.skus, warehouses=args.warehouses, per_day=args.per_day, seed=args.seed)
    print_summary(summary)
    if args.check:
        problems = verify()
        print("\n".join(problems) if problems else "consistent: the ledger rebuilds the stock, nothing oversold")
        return 1 if problems else 0
    return 0


def print_summary(summary: dict[str, Any]) -> None:
    print(f"loaded in {summary['seconds']:.1f} s ("
          + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in summary["timings"].items()) + ")")
    print("rows: " + ", ".join(f"{name} {count:,}" for name, count in summary["rows"].items()))
    tally = summary["states"]
    order = [state for state, _days in PIPELINE] + ["closed", "cancelled"]
    print(f"history {summary['days']:.0f} days; orders by state: "
          + ", ".join(f"{state} {tally[state]:,}" for state in order if state in tally))
    print("shipments: " + ", ".join(f"{key.split()[1]} {count:,}" for key, count in sorted(tally.items())
                                    if key.startswith("shipments "))
          + f"; lines waiting for stock (backorders): {tally.get('waiting lines', 0):,}")


if __name__ == "__main__":
    sys.exit(main())
