"""Reservations per second under concurrency, on PostgreSQL.

Builds a scratch database (test_<name of DATABASE_URL's database>), fills it through the
services — products in several warehouses with scarce stock, customers, and approved
orders — then releases the orders to fulfilment from several threads at once (each
release reserves its lines under row locks, backorders the rest and raises work orders
and requisitions; the promise-date refresh it schedules after the commit is queued, not
run, as a worker would run it elsewhere). While they run, receipts add stock and fill
waiting orders in priority order (in the receiving thread). Prints
the releases and reserved lines per second, the deadlocks PostgreSQL counted during the
run (pg_stat_database), checks nothing was over-reserved and the ledger rebuilds the
levels, and drops the scratch database. `--json PATH` also writes the figures as JSON
(bench/run.py, `make bench`, reads them).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms .venv/bin/python bench/reservations.py \
        --orders 400 --threads 8

Exit status 1 if any check fails, a release raised or PostgreSQL counted a deadlock.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=400, help="orders released concurrently (default 400)")
    parser.add_argument("--threads", type=int, default=8, help="releasing threads (default 8)")
    parser.add_argument("--skus", type=int, default=12, help="products (default 12)")
    parser.add_argument("--warehouses", type=int, default=3, help="warehouses (default 3)")
    parser.add_argument("--lines", type=int, default=3, help="lines per order (default 3)")
    parser.add_argument("--receipts", type=int, default=40, help="receipts during the run (default 40)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON (bench/run.py reads them)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        print("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://…", file=sys.stderr)
        return 2
    from oms.celery import app as celery_app

    # Set-up runs follow-up tasks in place; during the timed run they are queued in memory
    # (in production a worker runs them after the commit, off the request).
    celery_app.conf.task_always_eager = True
    celery_app.conf.broker_url = "memory://"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        return run(args, name)
    finally:
        connection.close()
        connection.creation.destroy_test_db(name, verbosity=0)


def run(args: argparse.Namespace, database: str) -> int:
    import random

    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.db.models import F, Sum
    from django.utils import timezone

    from customers.models import Address, Contact, Customer
    from inventory.models import Product, StockLevel, Warehouse
    from inventory.services import WAITING_STATES, ledger_differences, stock_receive
    from oms.celery import app as celery_app
    from orders import services
    from orders.models import SalesOrder, SalesOrderLine

    rng = random.Random(2026)
    today = timezone.localdate()

    def user(role: str) -> User:
        account = User.objects.create_user(f"bench-{role}", password="bench-password")
        account.groups.add(Group.objects.get(name=role))
        return account

    desk, reviewer, planner, manager, warehouse_user = (user(role) for role in
                                                        ("order_desk", "reviewer", "planner", "manager", "warehouse"))
    warehouses = [Warehouse.objects.create(code=f"B{n}", name=f"Bench {n}", regions=f"R{n}")
                  for n in range(args.warehouses)]
    products = [Product.objects.create(sku=f"BENCH-{n:03d}", name=f"Bench product {n}", list_price=Decimal("10"),
                                       supply_type=rng.choice(["stock", "stock", "make", "buy"]), lead_time_days=7)
                for n in range(args.skus)]
    demand_per_order = args.lines * 3
    # scarce on purpose: about 60 % of the demand is in stock
    per_level = max(1, int(args.orders * demand_per_order * 0.6 / (args.skus * args.warehouses)))
    for product in products:
        for warehouse in warehouses:
            stock_receive(product=product, warehouse=warehouse, quantity=per_level)
    customers = []
    for n in range(12):
        customer = Customer.objects.create(code=f"BC{n}", name=f"Bench customer {n}", tier="ABC"[n % 3],
                                           credit_limit=Decimal("1e11"), first_paid_on="2025-01-01")
        Contact.objects.create(customer=customer, name="Buyer", email="buyer@example.com", is_primary=True)
        Address.objects.create(customer=customer, line1="1 Road", city="City", region=f"R{n % args.warehouses}",
                               country="CN", is_default_shipping=True)
        customers.append(customer)

    started = time.perf_counter()
    orders = []
    for n in range(args.orders):
        lines = [services.LineInput(product=product, quantity=Decimal(rng.randint(1, 5)))
                 for product in rng.sample(products, args.lines)]
        order = services.order_create(by=desk, customer=customers[n % len(customers)], lines=lines, submit=True,
                                      requested_date=today + datetime.timedelta(days=rng.randint(3, 40)))
        services.order_run_checks(order_id=order.pk)
        order.refresh_from_db()
        for check in order.checks.filter(run=order.checks_run, result="fail"):
            services.order_override_check(order_id=order.pk, check_id=check.pk, by=manager, reason="bench")
        services.order_transition(order_id=order.pk, name="approve", by=reviewer)
        orders.append(order.pk)
    print(f"set-up: {args.orders} approved orders in {time.perf_counter() - started:.1f} s "
          f"({args.skus} SKUs x {args.warehouses} warehouses, {per_level} units each)")

    celery_app.conf.task_always_eager = False
    queue = list(orders)
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    barrier = threading.Barrier(args.threads + 1)

    def releaser() -> None:
        try:
            barrier.wait()
            while True:
                with lock:
                    if not queue:
                        return
                    order_id = queue.pop()
                begun = time.perf_counter()
                services.order_transition(order_id=order_id, name="start_fulfilment", by=planner)
                with lock:
                    latencies.append(time.perf_counter() - begun)
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    def receiver() -> None:
        try:
            barrier.wait()
            for _ in range(args.receipts):
                stock_receive(product=rng.choice(products), warehouse=rng.choice(warehouses), quantity=5,
                              by=warehouse_user)
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    deadlocks_before = deadlocks_of(database)
    threads = [threading.Thread(target=releaser) for _ in range(args.threads - 1)]
    threads.append(threading.Thread(target=receiver))
    for thread in threads:
        thread.start()
    barrier.wait()
    begun = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - begun

    released = len(latencies)
    lines = SalesOrderLine.objects.filter(order__state__in=WAITING_STATES)
    line_count = lines.count()
    over = StockLevel.objects.filter(reserved__gt=F("on_hand"))
    oversold = over.count()
    oversold_units = over.aggregate(units=Sum(F("reserved") - F("on_hand")))["units"] or 0
    deadlocks = deadlocks_of(database, wait_for_threads=True) - deadlocks_before
    unbalanced = lines.exclude(quantity=F("reserved_quantity") + F("backorder_quantity") + F("shipped_quantity"))
    reserved = lines.aggregate(total=Sum("reserved_quantity"))["total"] or 0
    backordered = lines.aggregate(total=Sum("backorder_quantity"))["total"] or 0
    differences = ledger_differences()
    latencies.sort()
    print(f"database: {database} (PostgreSQL {connection.pg_version // 10000}), {args.threads} threads "
          f"({args.threads - 1} releasing + 1 receiving {args.receipts} times), {os.cpu_count()} CPUs")
    print(f"released {released} orders / {line_count} lines in {elapsed:.2f} s: "
          f"{released / elapsed:.1f} releases/s, {line_count / elapsed:.1f} reserved lines/s")
    if latencies:
        p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
        print(f"release latency: median {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
    print(f"deadlocks (pg_stat_database): {deadlocks}; oversold units: {oversold_units}")
    print(f"units reserved {reserved}, backordered {backordered}; over-reserved levels: {oversold}; "
          f"lines not reserved+backordered: {unbalanced.count()}; ledger differences: {len(differences)}; "
          f"errors: {len(errors)}; in fulfilment: "
          f"{SalesOrder.objects.filter(state='in_fulfilment').count()}/{args.orders}")
    for error in errors[:5]:
        print("error:", error)
    ok = (not errors and not oversold and not deadlocks and not unbalanced.exists() and not differences
          and released == args.orders)
    print("OK" if ok else "FAILED")
    if args.json:
        p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))] if latencies else 0.0
        Path(args.json).write_text(json.dumps({
            "orders": args.orders, "threads": args.threads, "skus": args.skus, "warehouses": args.warehouses,
            "lines": args.lines, "released": released, "seconds": elapsed, "releases_per_second": released / elapsed,
            "lines_per_second": line_count / elapsed,
            "p50_ms": statistics.median(latencies) * 1000 if latencies else 0.0, "p95_ms": p95 * 1000,
            "deadlocks": deadlocks, "oversold_levels": oversold, "oversold_units": float(oversold_units),
            "errors": len(errors), "ok": ok}))
    return 0 if ok else 1


def deadlocks_of(database: str, *, wait_for_threads: bool = False) -> int:
    """pg_stat_database.deadlocks of `database`. With `wait_for_threads`, first waits (up
    to 10 s) for the other sessions on it to end: a session reports its counts when it
    ends, at the latest."""
    from django.db import connection

    with connection.cursor() as cursor:
        deadline = time.monotonic() + 10
        while wait_for_threads and time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                           [database])
            if cursor.fetchone()[0] == 0:
                break
            time.sleep(0.05)
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = %s", [database])
        return cursor.fetchone()[0]


if __name__ == "__main__":
    sys.exit(main())
