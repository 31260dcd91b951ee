"""Outbound webhooks: subscriptions, signed delivery in event order, retries, dead letters.

Delivery (`webhooks_dispatch`) runs in a Celery worker, outside any transaction. One run
per subscription at a time — a lease on the subscription row (`leased_until`) — takes the
subscription's pending deliveries in event order and POSTs them one by one:

- 2xx: delivered.
- anything else, a timeout or a network error: the attempt is recorded, the next one is due
  after a backoff (30 s, doubling, at most 1 h), and the run stops: later events wait behind
  the failing one, so a receiver always gets a subscription's events in order.
- failing for more than 24 hours since its first attempt: a dead letter; the run goes on with
  the next event. Staff (admin) and the client (API) can replay dead letters.

A delivery is at least once: a worker killed between the POST and recording it sends the
event again, with the same `OMS-Event-Id`, which receivers use to drop repeats.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import http.client
import json
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import NotFound, PermissionDenied, ValidationFailed
from .models import ApiClient, DeliveryState, EventType, OutboxEvent, WebhookDelivery, WebhookSubscription
from .services import service_transaction

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5
LEASE = datetime.timedelta(minutes=2)
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600
RETRY_FOR = datetime.timedelta(hours=24)
#: deliveries per lease; a longer queue goes on in a fresh run
MAX_PER_RUN = 200
ALLOWED_SCHEMES = ("http", "https")
SIGNATURE_VERSION = "v1"
REPLAYABLE_STATES = (DeliveryState.DEAD, DeliveryState.DELIVERED)
USER_AGENT = "OMS-Webhooks/1"


# --- subscriptions ----------------------------------------------------------------------------

def new_signing_secret() -> str:
    return secrets.token_hex(32)


def webhook_url_errors(url: str) -> list[str]:
    """Why `url` cannot receive webhooks (empty when it can): http or https with a host."""
    parts = urlsplit(url or "")
    if parts.scheme.lower() not in ALLOWED_SCHEMES or not parts.hostname:
        return [_("Enter an http:// or https:// address.")]
    try:
        parts.port  # noqa: B018 (raises on a port that is not a number in range)
    except ValueError:
        return [_("The port is not valid.")]
    return []


def event_types_errors(event_types: list[str]) -> list[str]:
    unknown = sorted(set(event_types) - set(EventType.values))
    if unknown:
        return [_("Unknown event types: %(types)s.") % {"types": ", ".join(unknown)}]
    return []


def webhook_subscription_create(*, client: ApiClient, by: Any, url: str, event_types: list[str] | None = None,
                                is_active: bool = True) -> WebhookSubscription:
    """Subscribe `client` to events (none given: every event) at `url`, with a new signing
    secret that the caller shows once."""
    if not client.is_active or (by.pk != client.user_id and not by.is_staff):
        raise PermissionDenied(_("Only the API client itself or staff may add its webhooks."))
    url = (url or "").strip()
    event_types = list(dict.fromkeys(event_types or []))
    errors = {}
    if url_errors := webhook_url_errors(url):
        errors["url"] = url_errors
    if type_errors := event_types_errors(event_types):
        errors["event_types"] = type_errors
    if errors:
        raise ValidationFailed(errors=errors)
    with service_transaction():
        return WebhookSubscription.objects.create(client=client, url=url, event_types=event_types,
                                                  is_active=is_active, secret=new_signing_secret())


def webhook_subscription_delete(*, client: ApiClient, subscription_id: int, by: Any) -> None:
    """Remove one of `client`'s subscriptions, with its deliveries (the events stay in the feed)."""
    if by.pk != client.user_id and not by.is_staff:
        raise PermissionDenied(_("Only the API client itself or staff may remove its webhooks."))
    with service_transaction():
        deleted, _by_model = WebhookSubscription.objects.filter(pk=subscription_id, client=client).delete()
    if not deleted:
        raise NotFound(_("Webhook not found."))


def webhook_deliveries_replay(ids: list[int], by: Any, *, subscription: WebhookSubscription | None = None) -> list[int]:
    """Send dead letters (or delivered events) again: each becomes pending with a fresh
    24-hour retry window and is due now; delivery is enqueued after the commit. Deliveries
    already pending are left as they are. Returns the ids replayed.

    Staff with `oms.change_webhookdelivery` replay any delivery; a client replays those of
    its own `subscription` (ids of another subscription are refused with 400)."""
    from .outbox import enqueue_dispatch

    ids = sorted({int(pk) for pk in ids})
    if subscription is None:
        if not (by.is_staff and by.has_perm("oms.change_webhookdelivery")):
            raise PermissionDenied(_("You are not allowed to replay webhook deliveries."))
    elif by.pk != subscription.client.user_id and not by.is_staff:
        raise PermissionDenied(_("Only the API client itself or staff may replay its webhooks."))
    with service_transaction():
        deliveries = WebhookDelivery.objects.select_for_update().filter(pk__in=ids).order_by("pk")
        if subscription is not None:
            deliveries = deliveries.filter(subscription=subscription)
        found = {d.pk: d for d in deliveries}
        missing = [pk for pk in ids if pk not in found]
        if missing:
            raise ValidationFailed(errors={"ids": [_("No such delivery: %(ids)s.")
                                                   % {"ids": ", ".join(map(str, missing))}]})
        replay = [d for d in found.values() if d.state in REPLAYABLE_STATES]
        now = timezone.now()
        WebhookDelivery.objects.filter(pk__in=[d.pk for d in replay]).update(
            state=DeliveryState.PENDING, attempts=0, first_attempt_at=None, next_attempt_at=now,
            delivered_at=None, last_status=None, last_error="")
        subscription_ids = {d.subscription_id for d in replay}
        if subscription_ids:
            transaction.on_commit(lambda: enqueue_dispatch(subscription_ids), robust=True)
    logger.info("webhook deliveries %s replayed by %s", [d.pk for d in replay], by)
    return [d.pk for d in replay]


# --- delivery ---------------------------------------------------------------------------------

def backoff(attempts: int) -> datetime.timedelta:
    """The wait after `attempts` failed attempts: 30 s, 1 min, 2 min, … at most 1 hour."""
    return datetime.timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS))


def envelope(event: OutboxEvent) -> dict[str, Any]:
    """What a receiver gets (and a feed entry holds, with its cursor)."""
    return {"id": str(event.event_id), "type": event.type,
            "occurred_at": timezone.localtime(event.occurred_at).isoformat(), "data": event.payload}


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`v1=` and the hex HMAC-SHA256, keyed with the subscription's secret, of
    `<timestamp>.<body>`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


@dataclass(frozen=True)
class Attempt:
    ok: bool
    status: int | None = None
    error: str = ""


def post_event(subscription: WebhookSubscription, event: OutboxEvent) -> Attempt:
    """POST one event, signed, without following redirects; 2xx is success."""
    body = json.dumps(envelope(event), separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json", "User-Agent": USER_AGENT,
        "OMS-Event-Id": str(event.event_id), "OMS-Event-Type": event.type, "OMS-Timestamp": timestamp,
        "OMS-Signature": signature(subscription.secret, timestamp, body),
    }
    if errors := webhook_url_errors(subscription.url):
        return Attempt(False, error=errors[0])
    parts = urlsplit(subscription.url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection_class = http.client.HTTPSConnection if parts.scheme.lower() == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=TIMEOUT_SECONDS)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)  # what the receiver says does not matter, only its status
        status = response.status
    except TimeoutError:
        return Attempt(False, error=_("No answer within %(seconds)s seconds.") % {"seconds": TIMEOUT_SECONDS})
    except (OSError, http.client.HTTPException, ValueError) as error:
        return Attempt(False, error=(_("Could not deliver: %(reason)s") % {"reason": error})[:300])
    finally:
        connection.close()
    if 200 <= status < 300:
        return Attempt(True, status)
    return Attempt(False, status, _("The receiver answered with HTTP status %(status)s.") % {"status": status})


def _take_lease(subscription_id: int) -> datetime.datetime | None:
    """Lease the subscription for one run; None when another worker holds it (or it is
    inactive or gone). The lease's expiry is the holder's token."""
    now = timezone.now()
    until = now + LEASE
    taken = (WebhookSubscription.objects.filter(pk=subscription_id, is_active=True)
             .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now)).update(leased_until=until))
    return until if taken else None


def _renew_lease(subscription_id: int, lease: datetime.datetime) -> datetime.datetime | None:
    """Extend our lease when half of it is gone; None when we lost it (it expired and
    another worker took it)."""
    now = timezone.now()
    if lease - now > LEASE / 2:
        return lease
    until = now + LEASE
    renewed = WebhookSubscription.objects.filter(pk=subscription_id, leased_until=lease).update(leased_until=until)
    return until if renewed else None


def _release_lease(subscription_id: int, lease: datetime.datetime) -> None:
    WebhookSubscription.objects.filter(pk=subscription_id, leased_until=lease).update(leased_until=None)


def _head(subscription_id: int) -> WebhookDelivery | None:
    """The subscription's oldest pending delivery: the only one that may go now."""
    return (WebhookDelivery.objects.filter(subscription_id=subscription_id, state=DeliveryState.PENDING)
            .select_related("event").order_by("event_id").first())


def _head_due(subscription_id: int) -> bool:
    head = _head(subscription_id)
    return head is not None and (head.next_attempt_at is None or head.next_attempt_at <= timezone.now())


def _record(delivery: WebhookDelivery, attempt: Attempt) -> str:
    """Store the outcome of an attempt; returns the delivery's new state."""
    now = timezone.now()
    changes: dict[str, Any] = {"attempts": delivery.attempts + 1, "last_attempt_at": now,
                               "last_status": attempt.status, "last_error": attempt.error[:300],
                               "first_attempt_at": delivery.first_attempt_at or now}
    if attempt.ok:
        changes.update(state=DeliveryState.DELIVERED, delivered_at=now, next_attempt_at=None)
    elif now - changes["first_attempt_at"] > RETRY_FOR:
        changes.update(state=DeliveryState.DEAD, next_attempt_at=None)
    else:
        changes.update(next_attempt_at=now + backoff(changes["attempts"]))
    # only while still pending: a replay or a second run cannot be overwritten
    WebhookDelivery.objects.filter(pk=delivery.pk, state=DeliveryState.PENDING).update(**changes)
    return changes.get("state", DeliveryState.PENDING)


def _deliver_due(subscription: WebhookSubscription, lease: datetime.datetime) -> tuple[int, bool]:
    """Deliver the subscription's due events in order while we hold the lease. Returns
    (deliveries attempted, whether the run stopped at MAX_PER_RUN with more due)."""
    attempted = 0
    while attempted < MAX_PER_RUN:
        lease = _renew_lease(subscription.pk, lease)
        if lease is None:
            return attempted, False  # another worker carries on
        head = _head(subscription.pk)
        if head is None or (head.next_attempt_at is not None and head.next_attempt_at > timezone.now()):
            return attempted, False
        attempt = post_event(subscription, head.event)
        attempted += 1
        state = _record(head, attempt)
        if state == DeliveryState.PENDING:
            logger.info("webhook %s: event %s failed (%s), retrying later", subscription.pk, head.event_id,
                        attempt.error)
            return attempted, False  # later events wait behind this one
        if state == DeliveryState.DEAD:
            logger.warning("webhook %s: event %s is a dead letter after 24 hours of failures", subscription.pk,
                           head.event_id)
    return attempted, True


def webhooks_dispatch(subscription_id: int) -> int:
    """Deliver a subscription's due events in order; returns how many were attempted.

    Safe to run twice or at once: a run without the lease returns at once (the holder sees
    new deliveries too), and after releasing it a run looks once more for deliveries that
    arrived while a concurrent run was turned away. Runs outside any transaction."""
    from .outbox import enqueue_dispatch

    attempted = 0
    for _round in range(3):
        lease = _take_lease(subscription_id)
        if lease is None:
            return attempted
        try:
            subscription = WebhookSubscription.objects.filter(pk=subscription_id).first()
            done, more = _deliver_due(subscription, lease) if subscription else (0, False)
            attempted += done
        finally:
            _release_lease(subscription_id, lease)
        if more:
            enqueue_dispatch([subscription_id])
            return attempted
        if not _head_due(subscription_id):
            return attempted
    return attempted


def subscriptions_due() -> list[int]:
    """Active subscriptions, not leased now, whose oldest pending delivery is due."""
    now = timezone.now()
    earlier_pending = WebhookDelivery.objects.filter(subscription_id=OuterRef("subscription_id"),
                                                     state=DeliveryState.PENDING, event_id__lt=OuterRef("event_id"))
    due = (WebhookDelivery.objects.filter(state=DeliveryState.PENDING, subscription__is_active=True)
           .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
           .filter(Q(subscription__leased_until__isnull=True) | Q(subscription__leased_until__lt=now))
           .exclude(Exists(earlier_pending)))
    return sorted(set(due.values_list("subscription_id", flat=True)))
