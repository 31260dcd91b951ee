"""The tracking poller (Celery beat) against a carrier stub on 127.0.0.1: each event is
recorded once however often it polls, an error backs off and is survived, and the
carrier's delivery completes the order."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from logistics import services as shipping
from logistics.models import EventSource, Shipment, ShipmentState, TrackingEvent
from logistics.tasks import shipments_track
from oms.errors import ValidationFailed
from orders.models import OrderState
from tests.factories import carrier_service, order_in_state, ship_shipment

pytestmark = pytest.mark.django_db

PATH = "/track/SF100"


def _event(number: int, status: str, hour: int) -> dict:
    return {"id": f"E{number}", "time": f"2026-11-20T{hour:02d}:00:00Z", "status": status,
            "location": "Shanghai hub", "description": f"event {number}"}


@pytest.fixture
def shipped(stub, users) -> Shipment:
    service = carrier_service(code="SFX", mode="express", name="Express")
    service.carrier.tracking_adapter = "http_json"
    service.carrier.tracking_url_template = stub.url("/track/{tracking_number}")
    service.carrier.save()
    order = order_in_state("ready_to_ship", users)
    return ship_shipment(order.shipments.get(), users, tracking_number="SF100", service=service)


def _make_due(shipment: Shipment) -> None:
    Shipment.objects.filter(pk=shipment.pk).update(next_poll_at=timezone.now() - datetime.timedelta(seconds=1))


def test_the_beat_job_polls_and_records_each_event_once(stub, shipped):
    assert settings.CELERY_BEAT_SCHEDULE["shipments-track"]["task"] == "logistics.tasks.shipments_track"
    assert shipped.next_poll_at is not None  # due at once after shipping
    stub.answer_json(PATH, {"events": [_event(1, "picked_up", 8), _event(2, "in_transit", 9)]})

    assert shipments_track.delay().get() == {"polled": 1, "events": 2}
    shipped.refresh_from_db()
    assert shipped.state == ShipmentState.IN_TRANSIT
    assert shipped.next_poll_at > timezone.now()
    assert shipments_track.delay().get() == {"polled": 0, "events": 0}  # not due yet

    _make_due(shipped)
    assert shipping.tracking_poll_due() == {"polled": 1, "events": 0}  # the same answer: nothing new
    assert list(TrackingEvent.objects.filter(shipment=shipped).values_list("external_id", "status")) == [
        ("E1", "picked_up"), ("E2", "in_transit")]
    assert len(stub.requests) == 2


def test_a_carrier_error_backs_off_and_the_next_answer_is_recorded(stub, shipped, users):
    stub.answer_json(PATH, {"events": [_event(1, "picked_up", 8)]})
    shipping.tracking_poll_due()
    stub.answer_json(PATH, {"error": "maintenance"}, status=503)
    _make_due(shipped)
    before = timezone.now()
    assert shipping.tracking_poll_due() == {"polled": 1, "events": 0}
    shipped.refresh_from_db()
    assert shipped.poll_failures == 1 and shipped.last_poll_error.startswith("http_status")
    assert before + datetime.timedelta(minutes=4) < shipped.next_poll_at <= timezone.now() + datetime.timedelta(
        minutes=5)
    assert shipping.tracking_poll_due() == {"polled": 0, "events": 0}  # backing off
    _make_due(shipped)
    shipping.tracking_poll_due()
    shipped.refresh_from_db()
    assert shipped.poll_failures == 2  # the wait doubles: 10 minutes
    assert shipped.next_poll_at > timezone.now() + datetime.timedelta(minutes=9)

    # the carrier answers again, now with the delivery: recorded once, the order is delivered
    stub.answer_json(PATH, {"events": [_event(1, "picked_up", 8), _event(2, "in_transit", 9),
                                       _event(3, "delivered", 15)]})
    _make_due(shipped)
    assert shipping.tracking_poll_due() == {"polled": 1, "events": 2}
    shipped.refresh_from_db()
    assert (shipped.state, shipped.poll_failures, shipped.last_poll_error, shipped.next_poll_at) == (
        ShipmentState.DELIVERED, 0, "", None)
    proof = shipped.proof_of_delivery
    assert proof.source == EventSource.CARRIER and proof.delivered_at.hour == 15
    shipped.order.refresh_from_db()
    assert shipped.order.state == OrderState.DELIVERED
    assert TrackingEvent.objects.filter(shipment=shipped).count() == 3
    assert shipping.tracking_poll_due() == {"polled": 0, "events": 0}  # delivered: no more polls


def test_a_carrier_exception_flags_the_shipment(stub, shipped):
    stub.answer_json(PATH, {"events": [_event(1, "exception", 10)]})
    shipping.tracking_poll_due()
    shipped.refresh_from_db()
    assert (shipped.state, shipped.exception_kind, shipped.exception_note) == (
        ShipmentState.EXCEPTION, "carrier", "event 1")
    assert shipped.next_poll_at is not None  # still followed


def test_manual_tracking_events(users):
    order = order_in_state("shipped", users)
    shipment = order.shipments.get()
    add = {"shipment_id": shipment.pk, "by": users["logistics"]}
    for wrong in ({"status": "delivered"}, {"status": "in_transit", "occurred_at": "yesterday-ish"},
                  {"status": "in_transit", "occurred_at": (timezone.now() + datetime.timedelta(hours=2)).isoformat()}):
        with pytest.raises(ValidationFailed):
            shipping.tracking_event_add(**add, **wrong)
    event = shipping.tracking_event_add(**add, status="in_transit", location="Wuxi", description="On the truck")
    assert (event.source, event.recorded_by, event.location) == ("manual", users["logistics"], "Wuxi")
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.IN_TRANSIT and shipment.next_poll_at is None  # manual carrier
