"""Helpers of the fault tests: what waits in the broker (and what a worker holds there),
sending a task as beat would, a webhook subscription, and the "checked exactly once" check."""

from __future__ import annotations

import ast
import json

import redis
from django.apps import apps
from django.contrib.auth.models import Group
from django.db.models import Count
from kombu import Connection

from oms import roles
from oms.api_clients import api_client_create
from oms.webhooks import webhook_subscription_create
from orders.models import OrderEvent, ReviewCheck, SalesOrder

#: the checks queue and where kombu keeps the messages a worker took but has not acknowledged
CHECKS_QUEUE, UNACKED = "checks", "unacked"
CHECK_TASK = "orders.tasks.order_checks_run"


def subscribe_everything(url: str) -> None:
    """An integration subscribed to every event at `url`."""
    if not Group.objects.filter(name=roles.INTEGRATION).exists():  # a transactional test flushed the roles
        roles.sync_role_permissions(apps)
    client = api_client_create(name=f"ERP at {url}", rate_limit=10_000)
    webhook_subscription_create(client=client, by=client.user, url=url)


def send_to(broker_url: str, task, *args) -> None:
    """Send `task` to the broker at `broker_url`, as beat (or another process) would."""
    with Connection(broker_url) as connection:
        task.apply_async(args, connection=connection)


def queued(client: redis.Redis, queue: str) -> list[tuple[str, tuple]]:
    """(task, arguments) of each message waiting in `queue`, oldest first."""
    return [_task_of(json.loads(raw)) for raw in reversed(client.lrange(queue, 0, -1))]


def held(client: redis.Redis) -> list[tuple[str, tuple]]:
    """(task, arguments) of each message a worker took and has not acknowledged (kombu keeps
    such messages aside until the acknowledgement, to give them back if it never comes)."""
    return [_task_of(json.loads(raw)[0]) for raw in client.hvals(UNACKED)]


def _task_of(message: dict) -> tuple[str, tuple]:
    return message["headers"]["task"], ast.literal_eval(message["headers"]["argsrepr"])


def queued_checks(client: redis.Redis) -> list[int]:
    """The orders whose checks wait in the queue, oldest first."""
    return [args[0] for task, args in queued(client, CHECKS_QUEUE) if task == CHECK_TASK]


def held_checks(client: redis.Redis) -> list[int]:
    """The orders whose checks a worker holds unacknowledged."""
    return [args[0] for task, args in held(client) if task == CHECK_TASK]


def discard(client: redis.Redis, queue: str, task: str, args: tuple) -> None:
    """Take the newest message of `task` with `args` out of `queue`."""
    for raw in client.lrange(queue, 0, -1):  # newest first
        if _task_of(json.loads(raw)) == (task, args):
            client.lrem(queue, 1, raw)
            return


def checked(order_ids: list[int]) -> set[int]:
    return set(SalesOrder.objects.filter(pk__in=order_ids, checks_done_at__isnull=False).values_list("pk", flat=True))


def assert_checked_exactly_once(ids: list[int]) -> None:
    per_kind = (ReviewCheck.objects.filter(order_id__in=ids).values("order_id", "kind")
                .annotate(n=Count("id")).values_list("order_id", "kind", "n"))
    assert sorted(per_kind) == sorted((pk, kind, 1) for pk in ids for kind in ("availability", "credit"))
    assert set(SalesOrder.objects.filter(pk__in=ids).values_list("checks_run", "checks_result")) == {(1, "passed")}
    events = (OrderEvent.objects.filter(order_id__in=ids, kind="checks_passed").values("order_id")
              .annotate(n=Count("id")).values_list("order_id", "n"))
    assert sorted(events) == [(pk, 1) for pk in sorted(ids)]
