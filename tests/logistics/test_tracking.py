"""Carrier tracking adapters: the http_json adapter against a carrier stub on 127.0.0.1, the manual
adapter, the adapter registry and the poller's backoff."""

from __future__ import annotations

import datetime
import socket

import pytest

from logistics.models import Carrier
from logistics.tracking import (
    EXTERNAL_ID_MAX_LENGTH,
    MAX_RESPONSE_BYTES,
    HttpJsonAdapter,
    ManualAdapter,
    TrackingAdapter,
    TrackingStatus,
    TrackingUnavailable,
    adapter_for,
    backoff_delay,
    map_status,
)

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


@pytest.fixture
def carrier(stub) -> Carrier:
    return Carrier.objects.create(code="SF", name="SF Express", tracking_adapter="http_json",
                                  tracking_url_template=f"http://127.0.0.1:{stub.port}/track/{{tracking_number}}")


def _fetch(carrier: Carrier, number: str = "SF100") -> list:
    return HttpJsonAdapter().fetch(carrier, number)


EVENTS = {"events": [
    # deliberately out of order, with mixed offsets, cases and spellings
    {"id": "e3", "time": "2025-03-04T09:30:00+08:00", "status": "Out for delivery", "location": "上海 浦东",
     "description": "快递员派送中"},
    {"id": "e1", "time": "2025-03-03T08:00:00Z", "status": "PICKED_UP", "location": "Shenzhen",
     "description": "Picked up from sender"},
    {"id": "e2", "time": "2025-03-03T20:15:00", "status": "in-transit", "location": "Hangzhou hub",
     "description": "Departed facility"},
    {"id": 4, "time": "2025-03-04T06:02:11.500+00:00", "status": "已签收", "location": "上海",
     "description": "本人签收"},
]}


# --- http_json adapter: answers ---------------------------------------------------------------

def test_http_json_maps_and_orders_the_carriers_events(stub, carrier):
    stub.answer_json("/track/SF100", EVENTS)

    updates = _fetch(carrier)

    assert [(u.external_id, u.status, u.location, u.description) for u in updates] == [
        ("e1", TrackingStatus.PICKED_UP, "Shenzhen", "Picked up from sender"),
        ("e2", TrackingStatus.IN_TRANSIT, "Hangzhou hub", "Departed facility"),
        ("e3", TrackingStatus.OUT_FOR_DELIVERY, "上海 浦东", "快递员派送中"),
        ("4", TrackingStatus.DELIVERED, "上海", "本人签收"),
    ]
    assert [u.occurred_at for u in updates] == [
        datetime.datetime(2025, 3, 3, 8, 0, tzinfo=UTC),
        datetime.datetime(2025, 3, 3, 20, 15, tzinfo=UTC),  # naive: taken as UTC
        datetime.datetime(2025, 3, 4, 1, 30, tzinfo=UTC),  # +08:00 converted
        datetime.datetime(2025, 3, 4, 6, 2, 11, 500000, tzinfo=UTC),
    ]
    assert updates[0].raw == EVENTS["events"][1]
    (request,) = stub.requests
    assert request[0] == "/track/SF100"
    assert request[1]["Accept"] == "application/json"


def test_http_json_same_answer_twice_gives_the_same_external_ids(stub, carrier):
    # e1 and e2 keep the carrier's ids; e3 and 4 lose theirs and are known by their content.
    events = [event if event["id"] in ("e1", "e2") else {k: v for k, v in event.items() if k != "id"}
              for event in EVENTS["events"]]
    stub.answer_json("/track/SF100", {"events": events})

    first, second = _fetch(carrier), _fetch(carrier)

    assert [u.external_id for u in first] == [u.external_id for u in second]
    assert first == second
    ids = [u.external_id for u in first]
    assert ids[:2] == ["e1", "e2"]
    assert all(i.startswith("sha256:") for i in ids[2:])
    assert len(set(ids)) == 4
    assert len(stub.requests) == 2


def test_hashed_external_id_depends_on_the_event_not_on_how_its_time_is_written(stub, carrier):
    base = {"time": "2025-03-04T09:30:00+08:00", "status": "transit", "location": "上海", "description": "到达"}
    stub.answer_json("/track/A", {"events": [base]})
    stub.answer_json("/track/B", {"events": [{**base, "time": "2025-03-04T01:30:00Z"}]})
    stub.answer_json("/track/C", {"events": [{**base, "description": "离开"}]})

    (a,), (b,), (c,) = _fetch(carrier, "A"), _fetch(carrier, "B"), _fetch(carrier, "C")

    assert a.external_id == b.external_id
    assert a.external_id != c.external_id


def test_http_json_unknown_statuses_become_other(stub, carrier):
    stub.answer_json("/track/SF100", {"events": [
        {"id": "1", "time": "2025-03-03T08:00:00Z", "status": "Weather delay at origin"},
        {"id": "2", "time": "2025-03-03T09:00:00Z", "status": ""},
        {"id": "3", "time": "2025-03-03T10:00:00Z", "status": "  Delivered "},
    ]})

    assert [u.status for u in _fetch(carrier)] == [TrackingStatus.OTHER, TrackingStatus.OTHER,
                                                   TrackingStatus.DELIVERED]


def test_http_json_skips_malformed_events_and_keeps_the_good_ones(stub, carrier):
    good = {"id": "ok", "time": "2025-03-03T08:00:00Z", "status": "picked_up"}
    stub.answer_json("/track/SF100", {"events": [
        "not an object",
        None,
        {"id": "no-time", "status": "picked_up"},
        {"id": "bad-time", "time": "yesterday", "status": "picked_up"},
        {"id": "number-time", "time": 1741000000, "status": "picked_up"},
        {"id": "no-status", "time": "2025-03-03T08:00:00Z"},
        {"id": "list-status", "time": "2025-03-03T08:00:00Z", "status": ["picked_up"]},
        {"id": "bad-location", "time": "2025-03-03T08:00:00Z", "status": "picked_up", "location": {"city": "x"}},
        {"id": ["bad-id"], "time": "2025-03-03T08:00:00Z", "status": "picked_up"},
        {"id": True, "time": "2025-03-03T08:00:00Z", "status": "picked_up"},
        good,
        {**good, "description": "the same id again is kept once"},
        {"id": None, "time": "2025-03-03T07:00:00", "status": "collected", "location": None},
    ]})

    updates = _fetch(carrier)

    assert [(u.external_id.startswith("sha256:"), u.status, u.location, u.description) for u in updates] == [
        (True, TrackingStatus.PICKED_UP, "", ""),
        (False, TrackingStatus.PICKED_UP, "", ""),
    ]
    assert updates[1].external_id == "ok"


def test_http_json_empty_event_list_is_no_updates(stub, carrier):
    stub.answer_json("/track/SF100", {"events": []})

    assert _fetch(carrier) == []


def test_http_json_overlong_carrier_id_is_hashed_stably(stub, carrier):
    long_id = "x" * (EXTERNAL_ID_MAX_LENGTH + 1)
    stub.answer_json("/track/SF100", {"events": [{"id": long_id, "time": "2025-03-03T08:00:00Z", "status": "x"}]})

    (first,), (second,) = _fetch(carrier), _fetch(carrier)

    assert first.external_id == second.external_id
    assert first.external_id.startswith("sha256:")
    assert len(first.external_id) <= EXTERNAL_ID_MAX_LENGTH


def test_http_json_tracking_number_is_quoted_into_the_address(stub, carrier):
    stub.answer_json("/track/AB%2F12%20X", {"events": []})

    assert _fetch(carrier, " AB/12 X ") == []
    assert stub.requests[0][0] == "/track/AB%2F12%20X"


# --- http_json adapter: failures --------------------------------------------------------------

def _unavailable(carrier: Carrier, number: str = "SF100", **adapter_kwargs) -> TrackingUnavailable:
    with pytest.raises(TrackingUnavailable) as caught:
        HttpJsonAdapter(**adapter_kwargs).fetch(carrier, number)
    assert caught.value.message  # something logistics can read
    return caught.value


@pytest.mark.parametrize("status", [500, 503, 404, 400])
def test_http_json_error_status_is_unavailable(stub, carrier, status):
    stub.answer_json("/track/SF100", EVENTS, status=status)

    error = _unavailable(carrier)

    assert error.code == "http_status"
    assert str(status) in error.message


def test_http_json_survives_a_stub_error_then_reads_again(stub, carrier):
    stub.answer_raw("/track/SF100", b"Internal Server Error", status=500)
    assert _unavailable(carrier).code == "http_status"

    stub.answer_json("/track/SF100", EVENTS)

    assert [u.external_id for u in _fetch(carrier)] == ["e1", "e2", "e3", "4"]


@pytest.mark.parametrize("body", [b"<html>busy</html>", b"", b'{"events": [', b"\xff\xfe\x00garbage"])
def test_http_json_invalid_json_is_unavailable(stub, carrier, body):
    stub.answer_raw("/track/SF100", body, headers={"Content-Type": "application/json"})

    assert _unavailable(carrier).code == "invalid_json"


@pytest.mark.parametrize("payload", [[], {"events": None}, {"events": {"id": "1"}}, {"data": []}, "events", 42])
def test_http_json_wrong_shape_is_unavailable(stub, carrier, payload):
    stub.answer_json("/track/SF100", payload)

    assert _unavailable(carrier).code == "wrong_shape"


def test_http_json_too_large_answer_is_unavailable(stub, carrier):
    stub.answer_raw("/track/SF100", b'{"events": []}' + b" " * MAX_RESPONSE_BYTES)

    assert _unavailable(carrier).code == "too_large"


def test_http_json_closed_port_is_unavailable(stub, carrier):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]  # nothing listens once the socket is closed
    carrier.tracking_url_template = f"http://127.0.0.1:{closed_port}/track/{{tracking_number}}"

    assert _unavailable(carrier).code == "transport"


def test_http_json_silent_carrier_times_out(carrier):
    # The kernel accepts the connection into the backlog, but nobody ever answers.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        carrier.tracking_url_template = f"http://127.0.0.1:{silent.getsockname()[1]}/track/{{tracking_number}}"

        assert _unavailable(carrier, timeout=0.2).code == "timeout"


@pytest.mark.parametrize("template", [
    "file:///etc/passwd?{tracking_number}",
    "ftp://127.0.0.1/track/{tracking_number}",
    "gopher://127.0.0.1/{tracking_number}",
    "127.0.0.1/track/{tracking_number}",
    "http:///track/{tracking_number}",
    "",
])
def test_http_json_refuses_addresses_that_are_not_http(stub, carrier, template):
    carrier.tracking_url_template = template

    assert _unavailable(carrier).code == "bad_url"
    assert stub.requests == []


def test_http_json_without_tracking_number_is_unavailable(stub, carrier):
    assert _unavailable(carrier, "  ").code == "bad_url"
    assert stub.requests == []


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://127.0.0.1/x"])
def test_http_json_refuses_redirects_away_from_http(stub, carrier, location):
    stub.answer_raw("/track/SF100", b"", status=302, headers={"Location": location})

    error = _unavailable(carrier)

    assert error.code == "bad_url"
    assert [path for path, _ in stub.requests] == ["/track/SF100"]


def test_http_json_follows_a_redirect_to_http(stub, carrier):
    stub.answer_raw("/track/SF100", b"", status=302, headers={"Location": stub.url("/v2/SF100")})
    stub.answer_json("/v2/SF100", EVENTS)

    assert len(_fetch(carrier)) == 4
    assert [path for path, _ in stub.requests] == ["/track/SF100", "/v2/SF100"]


# --- manual adapter, registry, status mapping, backoff ----------------------------------------

def test_manual_adapter_returns_no_updates(stub):
    carrier = Carrier.objects.create(code="OWN", name="Own trucks",
                                     tracking_url_template=stub.url("/track/{tracking_number}"))
    stub.answer_json("/track/T1", EVENTS)

    assert isinstance(adapter_for(carrier), ManualAdapter)
    assert adapter_for(carrier).fetch(carrier, "T1") == []
    assert stub.requests == []  # nothing is polled


def test_adapter_for_follows_the_carriers_tracking_adapter(carrier):
    adapter = adapter_for(carrier)

    assert isinstance(adapter, HttpJsonAdapter)
    assert isinstance(adapter, TrackingAdapter)
    assert isinstance(ManualAdapter(), TrackingAdapter)
    assert adapter.name == carrier.tracking_adapter == "http_json"

    carrier.tracking_adapter = "manual"
    assert adapter_for(carrier).name == "manual"

    carrier.tracking_adapter = "pigeon"
    with pytest.raises(LookupError):
        adapter_for(carrier)


@pytest.mark.parametrize(("word", "status"), [
    ("picked_up", TrackingStatus.PICKED_UP),
    ("Picked Up", TrackingStatus.PICKED_UP),
    ("IN-TRANSIT", TrackingStatus.IN_TRANSIT),
    (" in   transit ", TrackingStatus.IN_TRANSIT),
    ("派送中", TrackingStatus.OUT_FOR_DELIVERY),
    ("DELIVERED", TrackingStatus.DELIVERED),
    ("Refused", TrackingStatus.EXCEPTION),
    ("exception", TrackingStatus.EXCEPTION),
    ("delivered?", TrackingStatus.OTHER),
    ("", TrackingStatus.OTHER),
])
def test_map_status_is_case_insensitive_and_unknown_is_other(word, status):
    assert map_status(word) == status


def test_backoff_grows_exponentially_and_is_capped_at_six_hours():
    minutes = datetime.timedelta(minutes=1)

    assert backoff_delay(0) == datetime.timedelta(0)
    assert [backoff_delay(n) / minutes for n in range(1, 8)] == [5, 10, 20, 40, 80, 160, 320]
    assert backoff_delay(8) == datetime.timedelta(hours=6)
    assert backoff_delay(10_000) == datetime.timedelta(hours=6)
    assert all(backoff_delay(n) <= backoff_delay(n + 1) for n in range(0, 50))
