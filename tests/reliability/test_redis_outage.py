"""Redis stopped while orders are submitted loses nothing and delivers nothing twice.

While Redis (broker and cache) is down, the API still answers: every order is saved,
answered 201 promptly and readable; the rate limit and the log-in lockout, which count in
Redis, are not enforced rather than failing (oms/cache_outage.py). The checks and webhooks
that could not be queued — and those Redis held when it stopped, since it kept nothing on
disk — are found by the beat sweeps once Redis is back (`order_checks_sweep`,
`webhooks_dispatch_due`): each order is checked exactly once and each event reaches the
receiver exactly once. The web process reconnects by itself: an order submitted afterwards
is checked and delivered without any sweep.

The first test runs gunicorn, a worker and a Redis server of its own on 127.0.0.1, and stops
and starts that Redis; the second runs in the test process against a Redis port where
nothing listens."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.test import Client
from django.utils import timezone

from oms.models import DeliveryState, OutboxEvent, WebhookDelivery
from oms.tasks import webhooks_dispatch_due
from orders.models import SalesOrder
from orders.tasks import order_checks_sweep
from tests.api import client_for
from tests.factories import make_user
from tests.processes import free_port, wait_until

from .support import (
    CHECKS_QUEUE,
    UNACKED,
    assert_checked_exactly_once,
    checked,
    queued_checks,
    send_to,
    subscribe_everything,
)

DEADLINE = 60
#: An order answered within this, Redis down or not (a send to the broker gives up after
#: about 0.6 s; it used to wait ~20 s for the result store).
PROMPT_SECONDS = 5


def submit(web, intake) -> int:
    try:
        status, body = web.request("POST", "/api/v1/orders/", token=intake.token, body=intake.order(),
                                   timeout=PROMPT_SECONDS)
    except TimeoutError:
        pytest.fail(f"an order was not answered within {PROMPT_SECONDS} s")
    assert status == 201, body
    assert body["state"] == "submitted"
    return body["id"]


def delivered(ids: list[int]) -> bool:
    deliveries = WebhookDelivery.objects.filter(event__aggregate_type="order", event__aggregate_id__in=ids)
    return deliveries.count() == len(ids) and not deliveries.exclude(state=DeliveryState.DELIVERED).exists()


def test_orders_submitted_while_redis_is_down_are_answered_then_checked_and_delivered_once(
        own_redis, processes, intake, receiver):
    subscribe_everything(receiver.url())
    web = processes.web(redis_url=own_redis.url())
    broker = own_redis.client()
    before = [submit(web, intake)]  # its check and its webhook wait in Redis: no worker yet
    assert queued_checks(broker) == before

    own_redis.stop()
    during = [submit(web, intake) for _ in range(4)]
    status, body = web.request("GET", f"/api/v1/orders/{during[0]}/", token=intake.token)
    assert (status, body["state"]) == (200, "submitted")
    status, body = web.request("GET", "/health/")
    assert (status, body["database"], body["cache"]) == (503, "ok", "error: ConnectionError")
    ids = before + during
    assert SalesOrder.objects.filter(pk__in=ids, state="submitted", checks_done_at__isnull=True).count() == 5
    assert WebhookDelivery.objects.filter(event__aggregate_id__in=ids, state=DeliveryState.PENDING).count() == 5
    assert receiver.requests == []

    own_redis.start()  # empty: it kept nothing on disk, so the first order's messages are gone too
    assert not broker.llen(CHECKS_QUEUE)
    processes.worker(redis_url=own_redis.url())
    # Beat, two minutes later (twice over, as overlapping runs would): the sweeps send again
    # what never reached the broker or was lost with it.
    SalesOrder.objects.filter(pk__in=ids).update(updated_at=timezone.now() - datetime.timedelta(minutes=3))
    for _ in range(2):
        send_to(own_redis.url(), order_checks_sweep)
        send_to(own_redis.url(), webhooks_dispatch_due)
    wait_until(lambda: checked(ids) == set(ids) and delivered(ids), timeout=DEADLINE,
               what="the sweeps to bring every check and webhook through")

    # The web process found Redis again by itself: no sweep needed for the next order.
    after = submit(web, intake)
    wait_until(lambda: checked([after]) and delivered([after]), timeout=DEADLINE,
               what="the next order to be checked and delivered")
    ids.append(after)
    wait_until(lambda: not broker.llen(CHECKS_QUEUE) and not broker.hlen(UNACKED), timeout=DEADLINE,
               what="the worker to finish")

    assert_checked_exactly_once(ids)
    events = {str(pk) for pk in OutboxEvent.objects.filter(aggregate_id__in=ids).values_list("event_id", flat=True)}
    assert len(events) == len(ids)
    assert Counter(r["headers"]["OMS-Event-Id"] for r in receiver.accepted) == dict.fromkeys(events, 1)
    assert set(WebhookDelivery.objects.values_list("state", "attempts")) == {(DeliveryState.DELIVERED, 1)}


def test_log_in_and_the_api_answer_while_the_cache_is_unreachable(settings, users):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}}  # nothing listens there
    person = make_user("sales")
    page = Client()
    response = page.post("/accounts/login/", {"username": person.username, "password": "not it"})
    assert response.status_code == 200 and "Please enter a correct username and password" in response.text
    response = page.post("/accounts/login/", {"username": person.username, "password": "pw-for-tests-1"})
    assert response.status_code == 302 and "_auth_user_id" in page.session

    api = client_for(users["order_desk"])  # rate-limited per client, counted in the cache
    assert api.get("/api/v1/orders/").status_code == 200
    response = page.get("/health/")
    assert response.status_code == 503 and response.json()["cache"] == "error: ConnectionError"
