"""A transaction that rolls back publishes nothing: an order submitted inside a transaction
that then fails sends no task to the broker (its checks) and writes no webhook event, so
nothing is delivered. Tasks start on commit (`transaction.on_commit`) and the outbox event
is written in the change's own transaction.

The same submit committed puts one check and one webhook dispatch on the broker and
delivers one event, so the test sees them when they are there. It observes the suite's
Redis broker and a receiver on 127.0.0.1; the tasks are not run in place."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
import redis
from django.conf import settings

from oms import webhooks
from oms.celery import app as celery_app
from oms.models import OutboxEvent, WebhookDelivery, WebhookSubscription
from oms.services import joinable_transaction
from orders.models import SalesOrder
from tests.factories import CustomerFactory, ProductFactory, make_order, make_user, stock

from .support import CHECK_TASK, CHECKS_QUEUE, discard, queued, subscribe_everything

pytestmark = pytest.mark.django_db(transaction=True)

DISPATCH_TASK, WEBHOOKS_QUEUE = "oms.tasks.webhooks_dispatch", "webhooks"


@pytest.fixture
def broker():
    """The suite's Redis broker, with tasks sent there rather than run in place."""
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.fail("This test watches the Redis broker: run it with REDIS_URL set (as `make test` does).")
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        yield redis.Redis.from_url(settings.CELERY_BROKER_URL)
    finally:
        celery_app.conf.task_always_eager = previous


class Failed(Exception):
    """What made the caller's transaction fail after the service ran."""


def test_a_rolled_back_submit_sends_no_task_and_no_webhook(broker, receiver):
    subscribe_everything(receiver.url())
    [subscription] = WebhookSubscription.objects.values_list("pk", flat=True)
    desk = make_user("order_desk")
    customer, product = CustomerFactory(), ProductFactory(list_price=Decimal("10"))
    stock(product, "100")

    def submit() -> SalesOrder:
        return make_order(by=desk, customer=customer, lines=[(product, "2")], submit=True)

    def on_broker() -> Counter:
        return Counter(queued(broker, CHECKS_QUEUE) + queued(broker, WEBHOOKS_QUEUE))

    before = on_broker()
    with pytest.raises(Failed), joinable_transaction():
        order = submit()
        assert OutboxEvent.objects.filter(aggregate_id=order.pk).count() == 1  # written in the transaction
        raise Failed
    assert not SalesOrder.objects.filter(pk=order.pk).exists()
    assert on_broker() == before
    assert not OutboxEvent.objects.exists() and not WebhookDelivery.objects.exists()
    assert webhooks.webhooks_dispatch(subscription) == 0  # what the worker and the beat sweep would do
    assert receiver.requests == []

    # The same, committed: one check and one dispatch reach the broker, one event the receiver.
    order = submit()
    try:
        assert on_broker() - before == Counter([(CHECK_TASK, (order.pk,)), (DISPATCH_TASK, (subscription,))])
    finally:
        discard(broker, CHECKS_QUEUE, CHECK_TASK, (order.pk,))
        discard(broker, WEBHOOKS_QUEUE, DISPATCH_TASK, (subscription,))
    assert on_broker() == before
    assert webhooks.webhooks_dispatch(subscription) == 1
    [event] = OutboxEvent.objects.filter(aggregate_id=order.pk)
    assert [r["headers"]["OMS-Event-Id"] for r in receiver.accepted] == [str(event.event_id)]
