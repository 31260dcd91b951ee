"""Queries and server time per page and API call, with the demo data.

Builds a scratch database (bench_pages_<name of DATABASE_URL's database>, beside pytest's
test_<name>), loads `seed_demo`, then requests each page and endpoint through Django's
test client as the role that uses it (logged in), five times, and prints the number of SQL queries and the median time
(server time, without the network). Drops the scratch database afterwards.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms .venv/bin/python bench/pages.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")

RUNS = 5


def main() -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from oms.celery import app as celery_app

    celery_app.conf.task_always_eager = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    connection.settings_dict["TEST"]["NAME"] = f"bench_pages_{connection.settings_dict['NAME']}"  # beside pytest's
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from django.core.management import call_command

        with open(os.devnull, "w") as quiet:
            call_command("seed_demo", stdout=quiet)
        return measure()
    finally:
        connection.close()
        connection.creation.destroy_test_db(name, verbosity=0)


def measure() -> int:
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from inventory.models import Product, PurchaseOrder, Warehouse, WorkOrder
    from logistics.models import Shipment
    from orders.models import SalesOrder

    waiting = SalesOrder.objects.filter(lines__backorder_quantity__gt=0).order_by("pk").first()
    work_order = WorkOrder.objects.order_by("pk").first()
    purchase_order = PurchaseOrder.objects.order_by("pk").first()
    product = Product.objects.get(sku="BR-6205")
    planned = Shipment.objects.filter(state="planned").order_by("pk").first()
    delivered = Shipment.objects.filter(state="delivered").order_by("pk").first()
    shanghai = Warehouse.objects.get(code="SH")
    requests = [
        ("warehouse", "/shipping/", "shipments page"),
        ("warehouse", "/shipping/to-ship/", "to-ship page"),
        ("warehouse", f"/shipping/pick/{shanghai.pk}/", "pick list page"),
        ("warehouse", f"/shipping/{planned.pk}/pack/", "pack and verify page"),
        ("logistics", f"/shipping/{delivered.pk}/", "shipment page (delivered: tracking, proof, documents)"),
        ("logistics", "/api/v1/shipments/", "GET /api/v1/shipments/"),
        ("logistics", f"/api/v1/shipments/{delivered.pk}/", "GET /api/v1/shipments/{id}/"),
        ("planner", "/inventory/exceptions/", "exceptions board page"),
        ("planner", "/inventory/work-orders/", "work orders page"),
        ("planner", f"/inventory/work-orders/{work_order.pk}/", "work order page"),
        ("planner", "/inventory/purchase-orders/", "purchase orders page"),
        ("planner", f"/inventory/purchase-orders/{purchase_order.pk}/", "purchase order page"),
        ("planner", "/inventory/requisitions/", "requisitions page"),
        ("warehouse", "/inventory/stock/", "stock page"),
        ("warehouse", f"/inventory/stock/{product.pk}/", "product stock page (batches, ledger)"),
        ("warehouse", "/inventory/transfers/", "transfers page"),
        ("warehouse", "/inventory/counts/", "cycle counts page"),
        ("sales", f"/orders/{waiting.pk}/", "order page, in fulfilment with a backorder and an exception"),
        ("planner", "/", "home page"),
        ("planner", "/api/v1/work-orders/", "GET /api/v1/work-orders/"),
        ("planner", "/api/v1/purchase-orders/", "GET /api/v1/purchase-orders/"),
        ("planner", "/api/v1/supply-exceptions/", "GET /api/v1/supply-exceptions/"),
        ("planner", "/api/v1/stock-moves/", "GET /api/v1/stock-moves/"),
        ("integration", f"/api/v1/orders/{waiting.pk}/", "GET /api/v1/orders/{id}/ (in fulfilment)"),
    ]
    print("| request | queries | ms |\n| --- | --- | --- |")
    failed = False
    for username, url, label in requests:
        client = Client()
        client.force_login(User.objects.get(username=username))
        timings, queries, status = [], 0, 0
        for _ in range(RUNS):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
            queries, status = len(captured), response.status_code
        if status != 200:
            failed = True
        print(f"| {label} ({username}) | {queries} | {statistics.median(timings):.0f} |"
              + ("" if status == 200 else f" status {status}"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
