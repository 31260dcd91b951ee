"""Server time of the busy pages and their API twins with 100,000 orders in the database.

Builds a scratch database (bench_scale_<name of DATABASE_URL's database>), loads it with
bench/generate.py (PostgreSQL COPY: 100,000 orders of about 5 lines, 10,000 customers,
2,000 SKUs by default), starts up as a web process does (`oms.warmup.warm_up`, see
oms/wsgi.py), then requests each page and endpoint in this process through Django's test
client (the whole middleware stack, no network), logged in as the role that uses it: two
warm-up requests, then --runs measured ones. Prints a markdown table
of queries, SQL time and p50 / p95 server time, and PASS / FAIL against the target:
p95 under 100 ms for the order list, the approval queue and the pick list, pages and
API. For each target missed it prints the slowest queries with EXPLAIN ANALYZE (all
target rows with --explain). Drops the scratch database unless --keep.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_scale REDIS_URL=redis://127.0.0.1:6379/11 \
        .venv/bin/python bench/scale.py                    # 100,000 orders
        .venv/bin/python bench/scale.py --orders 10000     # a smoke run
        .venv/bin/python bench/scale.py --keep             # then measure again with --reuse

Exit status 1 if a request does not answer 200 or a target is missed.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")

TARGET_MS = 100.0
TARGET_GROUPS = {"list", "queue", "pick"}
WARM_UP = 2


@dataclass
class Row:
    label: str
    username: str
    url: str
    group: str = ""  # list, queue, pick: held to the target
    timings: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    queries: int = 0
    status: int = 0
    slowest: list[tuple[float, str]] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.timings)

    @property
    def p95(self) -> float:
        ordered = sorted(self.timings)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]

    @property
    def verdict(self) -> str:
        if self.status != 200:
            return f"status {self.status}"
        if self.group not in TARGET_GROUPS:
            return ""
        return "PASS" if self.p95 < TARGET_MS else f"FAIL (+{self.p95 - TARGET_MS:.0f} ms)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--lines-per-order", type=int, default=5)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--skus", type=int, default=2_000)
    parser.add_argument("--per-day", type=float, default=140.0, help="orders a day (sets how many are in flight)")
    parser.add_argument("--runs", type=int, default=20, help="measured requests per row (default 20)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", action="store_true", help="measure a scratch database kept by --keep")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest queries of every "
                                                               "target row, not only of those that miss")
    parser.add_argument("--check", action="store_true", help="check the loaded data is consistent first")
    parser.add_argument("--profile", metavar="LABEL", help="cProfile one request of the rows whose label "
                                                           "contains LABEL")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        print("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://…", file=sys.stderr)
        return 2
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    # its own name, so pytest's test database (test_<name>) and this one never replace each other
    test = settings.DATABASES["default"].setdefault("TEST", {})
    test["NAME"] = f"bench_scale_{settings.DATABASES['default']['NAME']}"
    name = connection.creation.create_test_db(verbosity=0, autoclobber=not args.reuse, keepdb=args.reuse)
    try:
        from django.contrib.auth.models import User

        if not User.objects.filter(username__startswith="bench-").exists():
            from bench import generate

            print(f"loading {args.orders:,} orders into {name} …", flush=True)
            summary = generate.load(orders=args.orders, lines_per_order=args.lines_per_order,
                                    customers=args.customers, skus=args.skus, per_day=args.per_day)
            generate.print_summary(summary)
        if args.check:
            from bench.generate import verify

            problems = verify()
            print("\n".join(problems) if problems else "data consistent: the ledger rebuilds the stock, nothing "
                                                        "oversold, orders where their shipments put them")
            if problems:
                return 1
        return measure(args, name)
    finally:
        connection.close()
        if args.keep or args.reuse:
            print(f"kept {name} (measure it again with --reuse)")
        else:
            connection.creation.destroy_test_db(name, verbosity=0)


def _rows() -> list[Row]:
    """What to request, as whom: the pages and endpoints of the target, their twins, the
    order page and the home page of each role."""
    from django.db.models import Count, Q

    from customers.models import Customer
    from inventory.models import Warehouse
    from orders.models import SalesOrder

    def first(role: str) -> str:
        from django.contrib.auth.models import User

        return User.objects.filter(username__startswith=f"bench-{role}").order_by("username").first().username

    desk, sales, reviewer, planner = first("desk"), first("sales"), first("reviewer"), first("planner")
    warehouse_user, logistics, manager, integration = (first("warehouse"), first("logistics"), first("manager"),
                                                       first("integration"))
    busiest = (Warehouse.objects.annotate(n=Count("shipments", filter=Q(shipments__state__in=["planned", "picking"])))
               .order_by("-n", "pk").first())
    # an order in fulfilment of one of the sales user's customers, with a shipment and a backorder if any
    in_fulfilment = (SalesOrder.objects.filter(state="in_fulfilment", customer__owner__username=sales)
                     .annotate(shipments_n=Count("shipments"))
                     .order_by("-shipments_n", "-lines__backorder_quantity", "pk").first())
    on_hold = SalesOrder.objects.filter(state="on_hold").order_by("pk").first()
    customer = Customer.objects.order_by("pk")[100]  # an ordinary customer, some 40 orders at 100,000
    rows = [
        Row("order list page", desk, "/orders/", "list"),
        Row("order list page, own customers", sales, "/orders/", "list"),
        Row("order list page, in fulfilment by priority", desk, "/orders/?state=in_fulfilment&sort=priority",
            "list"),
        Row("order list page, search a customer code", desk, f"/orders/?q={customer.code}", "list"),
        Row("GET /api/v1/orders/", integration, "/api/v1/orders/", "list"),
        Row("GET /api/v1/orders/?state=submitted", integration, "/api/v1/orders/?state=submitted", "list"),
        Row("approval queue page", reviewer, "/orders/review/", "queue"),
        Row("GET /api/v1/orders/review-queue/", reviewer, "/api/v1/orders/review-queue/", "queue"),
        Row(f"pick list page ({busiest.code}, {busiest.n} shipments)", warehouse_user,
            f"/shipping/pick/{busiest.pk}/", "pick"),
        Row("GET /api/v1/shipments/pick-list/", warehouse_user,
            f"/api/v1/shipments/pick-list/?warehouse={busiest.pk}", "pick"),
        Row("order page (in fulfilment, owner)", sales, f"/orders/{in_fulfilment.pk}/"),
        Row("order page (on hold, reviewer)", reviewer, f"/orders/{on_hold.pk}/"),
        Row("GET /api/v1/orders/{id}/ (in fulfilment)", integration, f"/api/v1/orders/{in_fulfilment.pk}/"),
        Row("GET /api/v1/orders/{id}/ (on hold)", reviewer, f"/api/v1/orders/{on_hold.pk}/"),
    ]
    for username, role in ((desk, "order desk"), (sales, "sales"), (reviewer, "reviewer"), (planner, "planner"),
                           (warehouse_user, "warehouse"), (logistics, "logistics"), (manager, "manager")):
        rows.append(Row(f"home page ({role})", username, "/"))
    return rows


def measure(args: argparse.Namespace, database: str) -> int:
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from oms.warmup import warm_up
    from orders.models import SalesOrder, SalesOrderLine

    warm_up()  # as a web process does when it starts (oms/wsgi.py)
    rows = _rows()
    load_before = os.getloadavg()
    for row in rows:
        client = Client()
        client.force_login(User.objects.get(username=row.username))
        for _ in range(WARM_UP):
            client.get(row.url)
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as captured:
                started, cpu = time.perf_counter(), time.process_time()
                response = client.get(row.url)
                row.timings.append((time.perf_counter() - started) * 1000)
                row.cpu_ms.append((time.process_time() - cpu) * 1000)
            queries = captured.captured_queries
            row.sql_ms.append(sum(float(query["time"]) for query in queries) * 1000)
            row.queries, row.status = len(queries), response.status_code
            row.slowest = sorted(((float(q["time"]) * 1000, q["sql"]) for q in queries), reverse=True)[:3]
        if args.profile and args.profile in row.label:
            profile(client, row)
    load_after = os.getloadavg()

    orders, lines = SalesOrder.objects.count(), SalesOrderLine.objects.count()
    print(f"\n{database}: {orders:,} orders, {lines:,} lines; PostgreSQL {connection.pg_version // 10000}; "
          f"{os.cpu_count()} CPUs, load average {load_before[0]:.1f} → {load_after[0]:.1f}; "
          f"{args.runs} requests a row after {WARM_UP} warm-up, in-process (Django test client)\n")
    print("| request (as) | queries | SQL ms | Python CPU ms | p50 ms | p95 ms | target p95 < 100 ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for row in rows:
        print(f"| {row.label} ({row.username}) | {row.queries} | {statistics.median(row.sql_ms):.1f} | "
              f"{statistics.median(row.cpu_ms):.0f} | {row.p50:.0f} | {row.p95:.0f} | {row.verdict} |")
    print("\nSQL ms: time spent in the database calls (p50); Python CPU ms: this process's CPU time (p50), "
          "which the other processes on a busy machine do not inflate; p50 / p95: wall time of the request.")
    failed = [row for row in rows if row.verdict.startswith(("FAIL", "status"))]
    for row in rows:
        if row.group in TARGET_GROUPS and (args.explain or row.verdict.startswith("FAIL")):
            explain(row)
    print("\n" + ("FAILED: " + ", ".join(row.label for row in failed) if failed else "all scale targets met"))
    return 1 if failed else 0


def explain(row: Row) -> None:
    """The slowest queries of the row's last request, with their plans."""
    from django.db import connection

    python_ms = row.p50 - statistics.median(row.sql_ms)
    print(f"\n### {row.label}: p95 {row.p95:.0f} ms, p50 {row.p50:.0f} ms of which SQL "
          f"{statistics.median(row.sql_ms):.0f} ms, Python {python_ms:.0f} ms ({row.queries} queries)")
    for ms, sql in row.slowest:
        print(f"\n{ms:.1f} ms: {sql[:600]}{' …' if len(sql) > 600 else ''}")
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            print("\n".join("    " + line for (line,) in cursor.fetchall()))


def profile(client, row: Row) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    client.get(row.url)
    profiler.disable()
    print(f"\n### profile of {row.label}")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    sys.exit(main())
