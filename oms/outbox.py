"""The outbox: business events written in the same transaction as the change they report.

`publish` records an `OutboxEvent` and one pending `WebhookDelivery` per subscription that
wants it, inside the caller's transaction, so an event exists exactly when its change
committed. Delivery starts after the commit (oms/webhooks.py); the pull feed
(GET /api/v1/events/) reads the same table.

Payloads stay small — ids, numbers and states; a client reads the rest from the API:

- `order.state_changed`: {"order": {"id", "number", "state"}, "from", "to", "event"} — `event` is
  the step that moved it (`submit`, `approve`, `ship`, …)
- `order.promise_date_changed`: {"order": {…}, "lines": [{"line_no", "sku", "promise_date"}]}
- `shipment.shipped`, `shipment.delivered`: {"shipment": {"id", "number", "state",
  "tracking_number", "carrier"}, "order": {…}}
- `invoice.issued`: {"order": {…}, "amount", "currency"} (an order is invoiced in full)

The helpers below take the objects duck-typed, so this shared module imports no app.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import EventType, OutboxEvent, WebhookDelivery, WebhookSubscription


def publish(type: str, *, aggregate_type: str, aggregate_id: int, payload: dict[str, Any]) -> OutboxEvent:
    """Record event `type` about `aggregate_type` #`aggregate_id` and queue it for every
    active subscription that wants it (no event types = every event); their delivery is
    enqueued once the transaction commits. Nothing is published when it rolls back.

    Precondition: runs inside the caller's transaction (the change's own)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("publish() must run inside the transaction of the change it reports.")
    if type not in EventType.values:
        raise ValueError(f"Unknown event type {type!r}.")
    event = OutboxEvent.objects.create(type=type, aggregate_type=aggregate_type, aggregate_id=aggregate_id,
                                       payload=payload)
    # few subscriptions: filter in Python, the same on every database (JSON `contains` is not)
    wanted = [pk for pk, types in WebhookSubscription.objects.filter(is_active=True).values_list("id", "event_types")
              if not types or type in types]
    if wanted:
        now = timezone.now()
        WebhookDelivery.objects.bulk_create(
            [WebhookDelivery(subscription_id=pk, event=event, next_attempt_at=now) for pk in wanted])
        transaction.on_commit(lambda: enqueue_dispatch(wanted), robust=True)
    return event


@dataclass(frozen=True)
class FeedPage:
    events: list[OutboxEvent]
    next_cursor: int
    has_more: bool


#: Events younger than this may still be joined by events with lower ids whose
#: transactions have not committed yet (ids are taken before the commit).
FEED_SETTLE_SECONDS = 30
#: How many recent events the feed looks at to find where it may safely stop.
_RECENT_SCAN = 5000


def events_after(after: int, *, limit: int, type: str | None = None) -> FeedPage:
    """The feed: events with an id above the cursor `after`, in id order, at most `limit`.

    Ids are taken when an event is written but become visible when its transaction commits,
    so a reader could pass an id whose transaction is still open and never see it. The
    feed therefore stops before the first missing id among recent events (younger than
    FEED_SETTLE_SECONDS); an id still missing after that belongs to a rolled-back
    transaction and is skipped. `next_cursor` is where to resume: the last event returned
    when `has_more`, else the point up to which everything was seen (past events of other
    types when `type` filters)."""
    settle = datetime.timedelta(seconds=getattr(settings, "OMS_EVENT_FEED_SETTLE_SECONDS", FEED_SETTLE_SECONDS))
    settled = (OutboxEvent.objects.filter(occurred_at__lte=timezone.now() - settle).order_by("-pk")
               .values_list("pk", flat=True).first()) or 0
    horizon = max(settled, after)
    for pk in OutboxEvent.objects.filter(pk__gt=horizon).order_by("pk").values_list("pk", flat=True)[:_RECENT_SCAN]:
        if pk != horizon + 1:
            break
        horizon = pk
    events = OutboxEvent.objects.filter(pk__gt=after, pk__lte=horizon).order_by("pk")
    if type:
        events = events.filter(type=type)
    page = list(events[:limit + 1])
    has_more = len(page) > limit
    page = page[:limit]
    return FeedPage(page, page[-1].pk if has_more else max(horizon, after), has_more)


def enqueue_dispatch(subscription_ids: Iterable[int]) -> None:
    """Ask the webhooks workers to deliver these subscriptions' due events. A broker outage
    loses nothing: the beat job `webhooks_dispatch_due` finds them within 30 seconds."""
    from .tasks import webhooks_dispatch

    for subscription_id in sorted(set(subscription_ids)):
        webhooks_dispatch.delay(subscription_id)


# --- what the apps publish --------------------------------------------------------------------

def order_ref(order: Any) -> dict[str, Any]:
    return {"id": order.pk, "number": order.number, "state": order.state}


def shipment_ref(shipment: Any) -> dict[str, Any]:
    service = shipment.carrier_service
    return {"id": shipment.pk, "number": shipment.number, "state": shipment.state,
            "tracking_number": shipment.tracking_number, "carrier": service.carrier.code if service else None}


def publish_order_transition(order: Any, *, step: str, from_state: str) -> None:
    """`order.state_changed` for a transition just recorded, and `invoice.issued` when the
    step was the invoice (the order's invoice transition is its invoice). Precondition:
    inside the transition's transaction, after the order was saved."""
    publish(EventType.ORDER_STATE_CHANGED, aggregate_type="order", aggregate_id=order.pk,
            payload={"order": order_ref(order), "from": from_state, "to": order.state, "event": step})
    if step == "invoice":
        publish(EventType.INVOICE_ISSUED, aggregate_type="order", aggregate_id=order.pk,
                payload={"order": order_ref(order), "amount": str(order.total_amount), "currency": order.currency})


def publish_promise_dates(order: Any, lines: Iterable[tuple[int, str, datetime.date | None]]) -> None:
    """`order.promise_date_changed` with the new date of each changed line, given as
    (line number, SKU, promise date or None when nothing covers it yet)."""
    publish(EventType.ORDER_PROMISE_DATE_CHANGED, aggregate_type="order", aggregate_id=order.pk, payload={
        "order": order_ref(order),
        "lines": [{"line_no": line_no, "sku": sku, "promise_date": date.isoformat() if date else None}
                  for line_no, sku, date in lines]})


def publish_shipment(type: str, shipment: Any, order: Any) -> None:
    """`shipment.shipped` or `shipment.delivered`, after the shipment (and the order it
    moved) were saved."""
    publish(type, aggregate_type="shipment", aggregate_id=shipment.pk,
            payload={"shipment": shipment_ref(shipment), "order": order_ref(order)})
