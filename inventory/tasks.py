"""Inventory background work: thin, idempotent tasks that call one service."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def stock_rebalance(product_ids: list[int]) -> str:
    """Fill waiting backorders and refresh promise dates for these products (safe to run
    twice: a second run finds nothing to fill and no date to move)."""
    result = services.rebalance(product_ids=product_ids)
    return f"reserved {result.reserved}, {len(result.changes)} promise dates moved"


@shared_task(acks_late=True)
def stock_rebalance_sweep() -> int:
    """Every 10 minutes: fill orders still waiting for stock that is free (a rebalance
    queued after a commit can be lost while the broker is down)."""
    return len(services.rebalance_waiting())
