"""Tracking until proof of delivery: events from the carrier (polled) or entered by
logistics, delivery exceptions, and the proof of delivery that completes the order."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from inventory.services.supply import refuse, run_step
from oms.errors import ValidationFailed
from oms.models import EventType
from oms.outbox import publish_shipment
from oms.services import require_perm, service_transaction
from orders.models import Attachment, AttachmentKind
from orders.services.attachments import attachment_store, sniff_upload

from ..locks import lock_shipment
from ..models import (
    UNDER_WAY_STATES,
    DeliveryExceptionKind,
    EventSource,
    ProofOfDelivery,
    Shipment,
    ShipmentState,
    TrackingAdapter,
    TrackingEvent,
    TrackingStatus,
)
from ..tracking import TrackingUnavailable, TrackingUpdate, adapter_for, backoff_delay
from .orders import follow_shipments

TRACK = "logistics.track_shipment"
#: How often an under-way shipment's carrier is asked, while it answers.
POLL_INTERVAL = datetime.timedelta(minutes=30)
#: How many due shipments one run of the beat job polls (the next run takes the rest).
POLL_BATCH = 200
#: What logistics may enter by hand; delivery and exceptions have their own steps.
MANUAL_STATUSES = [TrackingStatus.PICKED_UP, TrackingStatus.IN_TRANSIT, TrackingStatus.OUT_FOR_DELIVERY,
                   TrackingStatus.OTHER]
_MOVING = (TrackingStatus.PICKED_UP, TrackingStatus.IN_TRANSIT, TrackingStatus.OUT_FOR_DELIVERY)


def _check_time(value: Any, field: str, *, not_before: datetime.datetime | None = None) -> datetime.datetime:
    if value in (None, ""):
        return timezone.now()
    moment = value if isinstance(value, datetime.datetime) else parse_datetime(str(value).strip())
    if moment is None:
        raise ValidationFailed(errors={field: [_("Enter a date and time, e.g. 2026-11-27 14:30.")]})
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationFailed(errors={field: [_("This time is in the future.")]})
    if not_before is not None and moment < not_before:
        raise ValidationFailed(errors={field: [_("This is before the shipment left.")]})
    return moment


def _notify_owner(shipment_id: int) -> None:
    from ..tasks import shipment_exception_email

    shipment_exception_email.delay(shipment_id)


def _apply(order: Any, shipment: Shipment, update: TrackingUpdate, *, by: Any) -> None:
    """Move the shipment by one new carrier event: on its way, delivered (the carrier's
    proof), or a delivery exception (the owner is told)."""
    if update.status in _MOVING and shipment.state == ShipmentState.SHIPPED:
        shipment.depart()
        shipment.save()
    elif update.status == TrackingStatus.DELIVERED and shipment.state in UNDER_WAY_STATES:
        _deliver(order, shipment, by=by, delivered_at=update.occurred_at, recipient="", notes=update.description,
                 source=EventSource.CARRIER)
    elif update.status == TrackingStatus.EXCEPTION and shipment.state in (ShipmentState.SHIPPED,
                                                                          ShipmentState.IN_TRANSIT):
        _report(order, shipment, by=by, kind=DeliveryExceptionKind.CARRIER, note=update.description)


def tracking_record(*, shipment_id: int, updates: list[TrackingUpdate], by: Any = None,
                    source: str = EventSource.CARRIER) -> list[TrackingEvent]:
    """Record the updates the shipment does not have yet (by event id) and apply them in
    time order; returns the new events. Recording the same updates twice records nothing
    the second time. A carrier's answer resets the poller's failure count."""
    with service_transaction():
        order, shipment = lock_shipment(shipment_id)
        return _record(order, shipment, updates, by=by, source=source)


def _record(order: Any, shipment: Shipment, updates: list[TrackingUpdate], *, by: Any,
            source: str) -> list[TrackingEvent]:
    known = set(shipment.tracking_events.filter(external_id__in=[u.external_id for u in updates])
                .values_list("external_id", flat=True))
    fresh: dict[str, TrackingUpdate] = {}
    for update in sorted(updates, key=lambda u: u.occurred_at):
        if update.external_id not in known:
            fresh.setdefault(update.external_id, update)
    events = TrackingEvent.objects.bulk_create([
        TrackingEvent(shipment=shipment, external_id=u.external_id, occurred_at=u.occurred_at, status=u.status,
                      location=u.location[:200], description=u.description[:500], raw=u.raw, source=source,
                      recorded_by=by if by is not None and by.is_authenticated else None)
        for u in fresh.values()])
    for update in fresh.values():
        _apply(order, shipment, update, by=by)
    if source == EventSource.CARRIER:
        shipment.last_polled_at = timezone.now()
        shipment.poll_failures, shipment.last_poll_error = 0, ""
    shipment.next_poll_at = _next_poll(shipment)
    shipment.save()
    return events


def _next_poll(shipment: Shipment) -> datetime.datetime | None:
    service = shipment.carrier_service
    if shipment.state not in UNDER_WAY_STATES or service is None \
            or service.carrier.tracking_adapter != TrackingAdapter.HTTP_JSON:
        return None
    return timezone.now() + POLL_INTERVAL


def tracking_poll(*, shipment_id: int) -> int:
    """Ask the carrier about one shipment (outside any transaction: the carrier may be
    slow) and record what is new. A failure backs the next poll off (tracking.backoff_delay)
    and is kept on the shipment for logistics to see. Returns the number of new events."""
    shipment = (Shipment.objects.select_related("carrier_service__carrier")
                .filter(pk=shipment_id, state__in=UNDER_WAY_STATES).first())
    if shipment is None or shipment.carrier_service is None:
        return 0
    try:
        updates = adapter_for(shipment.carrier_service.carrier).fetch(shipment.carrier_service.carrier,
                                                                      shipment.tracking_number)
    except TrackingUnavailable as exc:
        with service_transaction():
            _order, locked = lock_shipment(shipment_id)
            locked.poll_failures += 1
            locked.last_polled_at = timezone.now()
            locked.last_poll_error = f"{exc.code}: {exc.message}"[:300]
            locked.next_poll_at = timezone.now() + backoff_delay(locked.poll_failures)
            locked.save(update_fields=["poll_failures", "last_polled_at", "last_poll_error", "next_poll_at"])
        return 0
    return len(tracking_record(shipment_id=shipment_id, updates=updates))


def tracking_poll_due(*, limit: int = POLL_BATCH) -> dict[str, int]:
    """Poll the under-way shipments whose next poll is due, oldest first (the beat job)."""
    due = list(Shipment.objects.filter(state__in=UNDER_WAY_STATES, next_poll_at__lte=timezone.now())
               .order_by("next_poll_at", "pk").values_list("pk", flat=True)[:limit])
    polled = events = 0
    for shipment_id in due:
        events += tracking_poll(shipment_id=shipment_id)
        polled += 1
    return {"polled": polled, "events": events}


def tracking_event_add(*, shipment_id: int, by: Any, status: str, occurred_at: Any = None, location: str = "",
                       description: str = "") -> TrackingEvent:
    """Logistics enters a tracking event by hand (a carrier without a tracking interface)."""
    require_perm(by, TRACK, _("You are not allowed to record tracking."))
    if status not in MANUAL_STATUSES:
        raise ValidationFailed(errors={"status": [
            _("Choose picked up, in transit, out for delivery or other; record a delivery with its proof and a "
              "problem as a delivery exception.")]})
    with service_transaction():
        order, shipment = lock_shipment(shipment_id)
        if shipment.state not in UNDER_WAY_STATES:
            raise refuse(shipment, "track")
        moment = _check_time(occurred_at, "occurred_at", not_before=shipment.shipped_at)
        update = TrackingUpdate(external_id=f"manual-{uuid.uuid4().hex}", occurred_at=moment,
                                status=TrackingStatus(status), location=location.strip()[:200],
                                description=description.strip()[:500])
        return _record(order, shipment, [update], by=by, source=EventSource.MANUAL)[0]


def _report(order: Any, shipment: Shipment, *, by: Any, kind: str, note: str) -> None:
    run_step(shipment, "report_exception")
    shipment.exception_kind, shipment.exception_note = kind, note
    shipment.save()
    follow_shipments(order, shipment=shipment, kind="shipment_exception", by=by, reason=note,
                     payload={"exception": kind})
    transaction.on_commit(lambda: _notify_owner(shipment.pk), robust=True)


def shipment_report_exception(*, shipment_id: int, by: Any, kind: str, note: str) -> Shipment:
    """A delivery went wrong (damaged, refused, lost): the shipment is flagged and the
    order's owner is told by e-mail."""
    require_perm(by, TRACK, _("You are not allowed to record tracking."))
    if kind not in DeliveryExceptionKind.values:
        raise ValidationFailed(errors={"kind": [_("Choose damaged, refused or lost.")]})
    if not note.strip():
        raise ValidationFailed(errors={"note": [_("Describe what happened.")]})
    with service_transaction():
        order, shipment = lock_shipment(shipment_id)
        _report(order, shipment, by=by, kind=kind, note=note.strip())
    return shipment


def shipment_resume(*, shipment_id: int, by: Any, note: str) -> Shipment:
    """The exception is cleared up and the shipment is on its way again."""
    require_perm(by, TRACK, _("You are not allowed to record tracking."))
    if not note.strip():
        raise ValidationFailed(errors={"note": [_("Say how the exception was resolved.")]})
    with service_transaction():
        order, shipment = lock_shipment(shipment_id)
        run_step(shipment, "resume")
        shipment.exception_note = (shipment.exception_note + "\n" if shipment.exception_note else "") + note.strip()
        shipment.save()
        follow_shipments(order, shipment=shipment, kind="shipment_resumed", by=by, reason=note.strip())
    return shipment


def _deliver(order: Any, shipment: Shipment, *, by: Any, delivered_at: datetime.datetime, recipient: str,
             notes: str, source: str, signature: Any = None, photo: Any = None) -> ProofOfDelivery:
    run_step(shipment, "deliver")
    shipment.delivered_at = delivered_at
    shipment.save()
    proof = ProofOfDelivery.objects.create(
        shipment=shipment, recipient_name=recipient, delivered_at=delivered_at, notes=notes, source=source,
        recorded_by=by if by is not None and by.is_authenticated else None, signature=signature, photo=photo)
    follow_shipments(order, shipment=shipment, kind="shipment_delivered", by=by,
                     payload={"recipient": recipient, "delivered_at": delivered_at.isoformat()})
    publish_shipment(EventType.SHIPMENT_DELIVERED, shipment, order)
    return proof


def shipment_deliver(*, shipment_id: int, by: Any, recipient_name: str, delivered_at: Any = None,
                     signature: Any = None, photo: Any = None, notes: str = "") -> ProofOfDelivery:
    """Record the proof of delivery: who took the goods and when, with a signature image
    or a photo (PDF, PNG or JPEG) and notes. When every shipment of the order is delivered
    and nothing is left to ship, the order is delivered."""
    require_perm(by, TRACK, _("You are not allowed to record tracking."))
    recipient_name = (recipient_name or "").strip()
    errors: dict[str, list[str]] = {}
    if not recipient_name:
        errors["recipient_name"] = [_("Enter who received the goods.")]
    elif len(recipient_name) > 120:
        errors["recipient_name"] = [_("At most 120 characters.")]
    files = {}
    for field, upload in (("signature", signature), ("photo", photo)):
        if upload is not None:
            try:
                files[field] = sniff_upload(upload, field=field)
            except ValidationFailed as exc:
                errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors=errors)
    with service_transaction():
        order, shipment = lock_shipment(shipment_id)
        if shipment.state not in UNDER_WAY_STATES:
            raise refuse(shipment, "deliver")
        moment = _check_time(delivered_at, "delivered_at", not_before=shipment.shipped_at)
        stored = {}
        for field, (content, content_type) in files.items():
            kind = AttachmentKind.POD_SIGNATURE if field == "signature" else AttachmentKind.POD_PHOTO
            name = f"{shipment.number}-{field}{Attachment.EXTENSIONS[content_type]}"
            stored[field] = attachment_store(order=order, kind=kind, content=content, content_type=content_type,
                                             filename=name, by=by, shipment=shipment)
        return _deliver(order, shipment, by=by, delivered_at=moment, recipient=recipient_name, notes=notes.strip(),
                        source=EventSource.MANUAL, **stored)
