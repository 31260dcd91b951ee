"""The bare baseline of the intake benchmark (bench/run.py): a Django view that runs the
SQL one order create issues (captured by bench/order_sql.py), in one transaction, and
nothing else — no authentication, serializers, services or rendering.

Mounted at /bench/bare-order/ by oms/urls.py only when OMS_BENCH=1; the template is read
from the JSON file named by OMS_BENCH_SQL (written by bench/seed.py).
"""

from __future__ import annotations

import os
from functools import cache

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import order_sql


@cache
def _template() -> list[str]:
    return order_sql.load(os.environ["OMS_BENCH_SQL"])["template"]


@csrf_exempt
@require_POST
def bare_order(request: HttpRequest) -> HttpResponse:
    statements = order_sql.render_sql(_template())
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            if cursor.description is not None:
                cursor.fetchall()
    return JsonResponse({"statements": len(statements)}, status=201)


urlpatterns = [path("bench/bare-order/", bare_order, name="bench-bare-order")]
