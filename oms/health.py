"""Liveness of the parts: database, cache, and when a worker last ran a task."""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

HEARTBEAT_KEY = "oms:worker-heartbeat"


def record_worker_heartbeat() -> str:
    stamp = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, stamp, timeout=None)
    return stamp


def health_status() -> dict[str, object]:
    status: dict[str, object] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        status["database"] = "ok"
    except Exception as exc:  # report, never raise: this feeds a health endpoint
        status["database"] = f"error: {exc.__class__.__name__}"
    try:
        status["last_worker_heartbeat"] = cache.get(HEARTBEAT_KEY)
        status["cache"] = "ok"
    except Exception as exc:
        status["cache"] = f"error: {exc.__class__.__name__}"
    status["ok"] = status["database"] == "ok" and status["cache"] == "ok"
    return status
