"""Seed the benchmark's scratch database and capture the SQL of one order create (bench/run.py).

Run by bench/run.py after `migrate`, with DATABASE_URL and REDIS_URL set to the scratch
database and the benchmark's Redis db: a warehouse with ample stock of --skus products,
--customers customers (address, contact, credit), an API client for the load (its own
integration user, a token with the orders scopes, a rate limit that never bites), and
the captured SQL of one `POST /api/v1/orders/` (bench/order_sql.py). Writes all of it to
the JSON file given.

    .venv/bin/python bench/seed.py out.json --customers 50 --skus 200
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")

LINES = 5


def order_body(customer_id: int, skus: list[str], rng: random.Random) -> dict:
    """An order as the load generator sends it: 5 lines of distinct SKUs, submitted."""
    requested = datetime.date.today() + datetime.timedelta(days=rng.randint(10, 40))
    return {"customer": customer_id, "submit": True, "requested_date": requested.isoformat(),
            "lines": [{"sku": sku, "quantity": str(rng.randint(1, 5))} for sku in rng.sample(skus, LINES)]}


def seed_data(*, customers: int, skus: int) -> dict:
    """Products with ample stock in one warehouse, customers with an address, a contact and
    credit, and an API client with a token for the load; what the load needs to know."""
    from django.contrib.auth.models import Group, User
    from django.db import transaction

    from customers.models import Address, Contact, Customer
    from inventory.models import Product, Warehouse
    from inventory.services import stock_receive
    from oms import roles
    from oms.api_clients import api_client_create, api_token_create

    rng = random.Random(2026)
    with transaction.atomic():
        warehouse = Warehouse.objects.create(code="BW", name="Bench warehouse", regions="R1")
        products = Product.objects.bulk_create(
            Product(sku=f"BENCH-{n:05d}", name=f"Bench product {n}", list_price=Decimal(rng.randint(5, 500)),
                    supply_type="stock", lead_time_days=7)
            for n in range(skus))
        owner = User.objects.create_user("bench-sales", password=None)
        owner.groups.add(Group.objects.get(name=roles.SALES))
        rows = Customer.objects.bulk_create(
            Customer(code=f"BC{n:05d}", name=f"Bench customer {n}", tier="ABC"[n % 3], credit_limit=Decimal("1e10"),
                     payment_terms="net30", first_paid_on=datetime.date(2025, 1, 1), owner=owner)
            for n in range(customers))
        Contact.objects.bulk_create(Contact(customer=customer, name="Buyer", email="buyer@example.com",
                                            is_primary=True) for customer in rows)
        Address.objects.bulk_create(Address(customer=customer, line1="1 Bench Road", city="Shanghai", region="R1",
                                            country="CN", is_default_shipping=True) for customer in rows)
    for product in products:  # through the ledger, as receipts are
        stock_receive(product=product, warehouse=warehouse, quantity=Decimal(10**7), reference="BENCH")
    client = api_client_create(name="bench load", rate_limit=2_000_000_000)
    _token, key = api_token_create(client=client, name="bench", scopes=["orders:write", "customers:read",
                                                                        "catalogue:read"])
    return {"token": key, "customers": [customer.pk for customer in rows],
            "skus": [product.sku for product in products], "lines": LINES}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="JSON file to write")
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--skus", type=int, default=200)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    from bench import order_sql

    seeded = seed_data(customers=args.customers, skus=args.skus)
    rng = random.Random(2027)
    customer_ids, skus = seeded["customers"], seeded["skus"]
    captured = order_sql.capture_order_create(token=seeded["token"], body=order_body(customer_ids[0], skus, rng),
                                              warm_up_body=order_body(customer_ids[1], skus, rng))
    Path(args.out).write_text(json.dumps({**seeded, **captured}, indent=1))
    print(f"seeded {len(skus)} products, {len(customer_ids)} customers; one order create issues "
          f"{len(captured['statements'])} statements")
    return 0


if __name__ == "__main__":
    sys.exit(main())
