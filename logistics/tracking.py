"""Carrier tracking adapters (DESIGN.md §2.6, issue 6 item 7).

An adapter turns "where is tracking number X of carrier C?" into a list of
`TrackingUpdate`s. Which adapter a carrier uses is `Carrier.tracking_adapter`:

- ``manual``: logistics enters the events by hand, there is nothing to poll; `fetch` returns [].
- ``http_json``: GET `carrier.tracking_url(number)` and read the JSON answer
  ``{"events": [{"id", "time", "status", "location", "description"}, ...]}``.

Adapters only read: they do not touch the database. The poller (a Celery beat job, with the
shipments) records each update once by its `external_id`, so the same answer fetched twice
must give the same ids, and backs off with `backoff_delay` while `fetch` raises
`TrackingUnavailable`.
"""

from __future__ import annotations

import datetime
import hashlib
import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urljoin, urlsplit

from django.utils.translation import gettext as _

from .models import Carrier, TrackingStatus
from .models import TrackingAdapter as AdapterKind

# How long one poll may wait on the carrier (connect, and each read), in seconds. The poller
# runs many polls in a row: a slow carrier must not hold it up.
TRACKING_TIMEOUT_SECONDS = 5.0
# A tracking answer is a few kilobytes; anything much bigger is not one.
MAX_RESPONSE_BYTES = 1_000_000
# Carrier event ids longer than this are replaced by their hash, so they fit a database column.
EXTERNAL_ID_MAX_LENGTH = 100
ALLOWED_SCHEMES = frozenset({"http", "https"})

# Backoff for the poller: 5 min after the first failure, doubling, never more than 6 h.
BACKOFF_BASE = datetime.timedelta(minutes=5)
BACKOFF_CAP = datetime.timedelta(hours=6)


# Carrier status words → our status. Keys are compared after `_status_key` (case-folded,
# trimmed, spaces and hyphens as "_"), so "Out for delivery", "OUT-FOR-DELIVERY" and
# "out_for_delivery" are one key. Anything not listed is `other`. Our own values are listed too,
# so a carrier (or a stub) that already speaks them maps one to one.
STATUS_MAP: dict[str, TrackingStatus] = {
    **{status.value: status for status in TrackingStatus},
    # picked up
    "pickup": TrackingStatus.PICKED_UP,
    "picked": TrackingStatus.PICKED_UP,
    "collected": TrackingStatus.PICKED_UP,
    "accepted": TrackingStatus.PICKED_UP,
    "已揽收": TrackingStatus.PICKED_UP,
    "揽收": TrackingStatus.PICKED_UP,
    # in transit
    "transit": TrackingStatus.IN_TRANSIT,
    "departed": TrackingStatus.IN_TRANSIT,
    "arrived": TrackingStatus.IN_TRANSIT,
    "arrived_at_facility": TrackingStatus.IN_TRANSIT,
    "customs_cleared": TrackingStatus.IN_TRANSIT,
    "运输中": TrackingStatus.IN_TRANSIT,
    # out for delivery
    "with_courier": TrackingStatus.OUT_FOR_DELIVERY,
    "on_vehicle_for_delivery": TrackingStatus.OUT_FOR_DELIVERY,
    "派送中": TrackingStatus.OUT_FOR_DELIVERY,
    "派件中": TrackingStatus.OUT_FOR_DELIVERY,
    # delivered
    "signed": TrackingStatus.DELIVERED,
    "signed_for": TrackingStatus.DELIVERED,
    "已签收": TrackingStatus.DELIVERED,
    "签收": TrackingStatus.DELIVERED,
    # exception
    "failed_attempt": TrackingStatus.EXCEPTION,
    "delivery_failed": TrackingStatus.EXCEPTION,
    "damaged": TrackingStatus.EXCEPTION,
    "refused": TrackingStatus.EXCEPTION,
    "lost": TrackingStatus.EXCEPTION,
    "returned": TrackingStatus.EXCEPTION,
    "return_to_sender": TrackingStatus.EXCEPTION,
    "异常": TrackingStatus.EXCEPTION,
    "拒收": TrackingStatus.EXCEPTION,
}


def _status_key(value: str) -> str:
    return "_".join(value.strip().casefold().replace("-", " ").split())


def map_status(carrier_status: str) -> TrackingStatus:
    """Our status for a carrier's status word (see STATUS_MAP); unknown → `other`."""
    return STATUS_MAP.get(_status_key(carrier_status), TrackingStatus.OTHER)


class TrackingUnavailable(Exception):
    """The carrier could not be asked or gave no usable answer; try again later.

    `message` is translated, for logistics to read; `code` is stable, for the poller and logs:
    bad_url | transport | timeout | http_status | too_large | invalid_json | wrong_shape.
    """

    def __init__(self, message: str, *, code: str = "unavailable"):
        self.message = str(message)
        self.code = code
        super().__init__(self.message)


@dataclass(frozen=True)
class TrackingUpdate:
    """One event at the carrier, as the adapter read it."""

    external_id: str  # stable id of the event at the carrier (or a hash of its content)
    occurred_at: datetime.datetime  # aware, in UTC
    status: TrackingStatus
    location: str
    description: str
    raw: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@runtime_checkable
class TrackingAdapter(Protocol):
    name: str

    def fetch(self, carrier: Carrier, tracking_number: str) -> list[TrackingUpdate]:
        """The carrier's events for one tracking number, oldest first.

        Raises TrackingUnavailable when the carrier cannot be asked or answers badly.
        """
        ...


class ManualAdapter:
    """Logistics enters events by hand: there is nothing to poll."""

    name = AdapterKind.MANUAL.value

    def fetch(self, carrier: Carrier, tracking_number: str) -> list[TrackingUpdate]:
        return []


class _SafeRedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follows redirects like urllib does, but only to http or https (urllib also allows ftp)."""

    def http_error_302(self, req, fp, code, msg, headers):
        location = headers.get("location") or headers.get("uri")
        if location and urlsplit(urljoin(req.full_url, location)).scheme.lower() not in ALLOWED_SCHEMES:
            fp.close()
            raise TrackingUnavailable(
                _("The carrier redirected the tracking request to an address that is not http or https."),
                code="bad_url")
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


class HttpJsonAdapter:
    """Polls the carrier's tracking address and reads its JSON answer.

    The answer is ``{"events": [...]}``; each event is an object with
    ``time`` (ISO 8601, required; without an offset it is taken as UTC),
    ``status`` (a string, required; mapped by `map_status`, unknown → other),
    ``id`` (a string or integer; missing, null or blank → a hash of time, status, location and
    description, so the same event always gets the same id), and optional ``location`` and
    ``description`` strings. An event that breaks these rules is skipped and the others kept;
    a repeated id is kept once. Updates come oldest first.

    Any transport error, timeout, HTTP status other than 2xx, an answer over
    MAX_RESPONSE_BYTES, invalid JSON or an answer without an ``events`` list raises
    TrackingUnavailable, as does a carrier without an http(s) tracking address.
    """

    name = AdapterKind.HTTP_JSON.value

    def __init__(self, *, timeout: float = TRACKING_TIMEOUT_SECONDS):
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_SafeRedirectHandler)

    def fetch(self, carrier: Carrier, tracking_number: str) -> list[TrackingUpdate]:
        payload = self._get_json(self._url(carrier, tracking_number))
        events = payload.get("events") if isinstance(payload, dict) else None
        if not isinstance(events, list):
            raise TrackingUnavailable(_("The carrier's tracking answer has no list of events."), code="wrong_shape")
        updates: dict[str, TrackingUpdate] = {}
        for event in events:
            update = parse_event(event)
            if update is not None and update.external_id not in updates:
                updates[update.external_id] = update
        return sorted(updates.values(), key=lambda u: (u.occurred_at, u.external_id))

    def _url(self, carrier: Carrier, tracking_number: str) -> str:
        url = carrier.tracking_url((tracking_number or "").strip())
        if not url:
            raise TrackingUnavailable(_("Carrier %(carrier)s has no tracking address for this tracking number.")
                                      % {"carrier": carrier.code}, code="bad_url")
        parts = urlsplit(url)
        if parts.scheme.lower() not in ALLOWED_SCHEMES or not parts.hostname:
            raise TrackingUnavailable(_("The tracking address of carrier %(carrier)s must start with http:// "
                                        "or https://.") % {"carrier": carrier.code}, code="bad_url")
        return url

    def _get_json(self, url: str) -> Any:
        request = urllib.request.Request(url, headers={"Accept": "application/json",
                                                       "User-Agent": "OMS tracking poller"})
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                body = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as error:
            error.close()
            raise TrackingUnavailable(_("The carrier answered the tracking request with HTTP status %(status)s.")
                                      % {"status": error.code}, code="http_status") from error
        except (TimeoutError, urllib.error.URLError) as error:
            if isinstance(error, TimeoutError) or isinstance(getattr(error, "reason", None), TimeoutError):
                raise TrackingUnavailable(_("The carrier did not answer the tracking request in time."),
                                          code="timeout") from error
            raise TrackingUnavailable(_("The carrier could not be reached for tracking: %(reason)s")
                                      % {"reason": getattr(error, "reason", error)}, code="transport") from error
        except (OSError, http.client.HTTPException, ValueError) as error:
            raise TrackingUnavailable(_("The carrier could not be reached for tracking: %(reason)s")
                                      % {"reason": error}, code="transport") from error
        if len(body) > MAX_RESPONSE_BYTES:
            raise TrackingUnavailable(_("The carrier's tracking answer is too large."), code="too_large")
        try:
            return json.loads(body)
        except ValueError as error:  # JSONDecodeError and UnicodeDecodeError
            raise TrackingUnavailable(_("The carrier's tracking answer is not valid JSON."),
                                      code="invalid_json") from error


def _optional_text(event: Mapping[str, Any], key: str) -> str | None:
    """The stripped string at `key`, "" when missing or null, None when it is not a string."""
    value = event.get(key)
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else None


def _parse_time(value: Any) -> datetime.datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.datetime.fromisoformat(value.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
        return moment.astimezone(datetime.UTC)
    except (ValueError, OverflowError):
        return None


def _content_hash(*parts: str) -> str:
    text = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def parse_event(event: Any) -> TrackingUpdate | None:
    """One carrier event as a TrackingUpdate, or None when it is malformed (see HttpJsonAdapter)."""
    if not isinstance(event, dict):
        return None
    occurred_at = _parse_time(event.get("time"))
    status = event.get("status")
    location = _optional_text(event, "location")
    description = _optional_text(event, "description")
    if occurred_at is None or not isinstance(status, str) or location is None or description is None:
        return None
    raw_id = event.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int | None):
        return None
    external_id = str(raw_id).strip() if raw_id is not None else ""
    if not external_id:
        # The carrier's own status word, not our mapping of it: the id must not change when
        # STATUS_MAP grows. The time in UTC, so "10:00+08:00" and "02:00Z" are one event.
        external_id = _content_hash(occurred_at.isoformat(), status.strip(), location, description)
    elif len(external_id) > EXTERNAL_ID_MAX_LENGTH:
        external_id = _content_hash(external_id)
    return TrackingUpdate(external_id=external_id, occurred_at=occurred_at, status=map_status(status),
                          location=location, description=description, raw=event)


_ADAPTERS: dict[str, TrackingAdapter] = {
    AdapterKind.MANUAL: ManualAdapter(),
    AdapterKind.HTTP_JSON: HttpJsonAdapter(),
}


def adapter_for(carrier: Carrier) -> TrackingAdapter:
    """The adapter for `carrier.tracking_adapter`; LookupError for a kind nobody registered."""
    try:
        return _ADAPTERS[carrier.tracking_adapter]
    except KeyError:
        raise LookupError(f"No tracking adapter {carrier.tracking_adapter!r} for carrier {carrier.code}.") from None


def backoff_delay(failures: int) -> datetime.timedelta:
    """How long the poller waits after `failures` failed polls in a row.

    0 (or fewer) failures → no wait; then 5 min × 2^(failures − 1): 5, 10, 20, 40, 80, 160 and
    320 min, and from the 8th failure on the cap of 6 h.
    """
    if failures <= 0:
        return datetime.timedelta(0)
    # 2^7 × 5 min already exceeds the cap; stop there so huge counts cannot overflow.
    delay = BACKOFF_BASE * (2 ** min(failures - 1, 7))
    return min(delay, BACKOFF_CAP)
