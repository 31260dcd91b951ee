"""Outbound webhooks and the event feed: events are written with the change that causes
them, delivered signed and in order to a receiver on 127.0.0.1 that is down for a while,
retried, dead after 24 hours of failures, replayed; the feed pages with its cursor."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from inventory.models import PurchaseRequisition, Supplier
from inventory.services import purchase_order_create, purchase_order_transition
from oms import tasks, webhooks
from oms.api_clients import api_client_create, api_token_create
from oms.models import DeliveryState, EventType, OutboxEvent, WebhookDelivery, WebhookSubscription
from oms.outbox import publish
from oms.services import joinable_transaction
from orders import services
from tests.api import assert_problem
from tests.factories import CustomerFactory, ProductFactory, WarehouseFactory, make_user, order_in_state, released_order

WEBHOOKS = "/api/v1/webhooks/"
EVENTS = "/api/v1/events/"


class Receiver:
    """A client's webhook endpoint: records every POST, answers 503 while `down` and 500 for
    the event ids in `refuse`, 204 otherwise."""

    def __init__(self) -> None:
        self.down = False
        self.redirect = False
        self.refuse: set[str] = set()
        self.requests: list[dict] = []  # {"path", "headers", "body", "status"} in arrival order
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = 503 if receiver.down else 500 if self.headers.get("OMS-Event-Id") in receiver.refuse else 204
                if receiver.redirect and self.path != "/elsewhere":
                    status = 307
                receiver.requests.append({"path": self.path, "headers": dict(self.headers.items()), "body": body,
                                          "status": status})
                self.send_response(status)
                if status == 307:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # bound, hence ready
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01},
                                       daemon=True)

    def url(self, path: str = "/hooks/oms") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    @property
    def accepted(self) -> list[dict]:
        return [r for r in self.requests if r["status"] == 204]

    def accepted_ids(self) -> list[str]:
        return [json.loads(r["body"])["id"] for r in self.accepted]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    stub = Receiver()
    stub.thread.start()
    try:
        yield stub
    finally:
        stub.server.shutdown()
        stub.server.server_close()
        stub.thread.join()


def integration(name: str, scopes: tuple[str, ...] = ("events:read",)) -> APIClient:
    """An API client (with its integration user) and a token with `scopes`."""
    client = api_client_create(name=name, rate_limit=1_000_000)
    _token, key = api_token_create(client=client, scopes=scopes)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def subscribe(api: APIClient, url: str, **fields) -> dict:
    response = api.post(WEBHOOKS, {"url": url, **fields}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def make_due() -> None:
    """What waiting for the backoff would do."""
    WebhookDelivery.objects.filter(state=DeliveryState.PENDING).update(
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=1))


def assert_signed(request: dict, secret: str) -> dict:
    """The request carries a valid signature of its timestamp and raw body; returns the body."""
    headers, body = request["headers"], request["body"]
    timestamp = headers["OMS-Timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["OMS-Signature"], f"v1={expected}")
    assert abs(int(timestamp) - timezone.now().timestamp()) < 60
    assert headers["Content-Type"] == "application/json"
    data = json.loads(body)
    assert (headers["OMS-Event-Id"], headers["OMS-Event-Type"]) == (data["id"], data["type"])
    return data


def test_events_are_signed_and_arrive_in_order_once_after_the_receiver_was_down(
        users, receiver, django_capture_on_commit_callbacks):
    api = integration("ERP")
    secret = subscribe(api, receiver.url())["secret"]
    assert len(secret) == 64
    receiver.down = True
    with django_capture_on_commit_callbacks(execute=True):
        order = order_in_state("approved", users)
        services.order_transition(order_id=order.pk, name="start_fulfilment", by=users["planner"])
    events = list(OutboxEvent.objects.order_by("id"))
    assert [(e.type, e.payload["event"]) for e in events] == [
        ("order.state_changed", "submit"), ("order.state_changed", "approve"),
        ("order.state_changed", "start_fulfilment")]
    # the head failed once; the later events wait behind it
    assert [r["status"] for r in receiver.requests] == [503]
    head = WebhookDelivery.objects.get(event=events[0])
    assert (head.attempts, head.last_status, head.state) == (1, 503, "pending")
    assert datetime.timedelta(seconds=25) < head.next_attempt_at - timezone.now() <= datetime.timedelta(seconds=30)
    assert set(WebhookDelivery.objects.exclude(pk=head.pk).values_list("attempts", flat=True)) == {0}

    assert tasks.webhooks_dispatch_due() == 0  # not due yet: nothing is sent
    assert len(receiver.requests) == 1
    make_due()
    tasks.webhooks_dispatch_due()
    head.refresh_from_db()
    assert (head.attempts, len(receiver.requests)) == (2, 2)
    assert datetime.timedelta(seconds=55) < head.next_attempt_at - timezone.now() <= datetime.timedelta(seconds=60)

    receiver.down = False
    make_due()
    assert tasks.webhooks_dispatch_due() == 1
    assert receiver.accepted_ids() == [str(e.event_id) for e in events]  # every event, once, in order
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"delivered"}
    bodies = [assert_signed(r, secret) for r in receiver.requests]
    assert {r["path"] for r in receiver.requests} == {"/hooks/oms"}
    order.refresh_from_db()
    assert bodies[-1]["data"] == {"order": {"id": order.pk, "number": order.number, "state": "in_fulfilment"},
                                  "from": "approved", "to": "in_fulfilment", "event": "start_fulfilment"}
    assert set(bodies[-1]) == {"id", "type", "occurred_at", "data"}

    # running again (a duplicate task, the beat) sends nothing twice
    tasks.webhooks_dispatch(WebhookSubscription.objects.get().pk)
    tasks.webhooks_dispatch_due()
    assert len(receiver.accepted) == 3


def test_a_rolled_back_change_publishes_nothing(users, receiver, django_capture_on_commit_callbacks):
    subscribe(integration("ERP"), receiver.url())
    order = order_in_state("submitted", users)
    before = OutboxEvent.objects.count()
    with (django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError),
          joinable_transaction()):
        services.order_transition(order_id=order.pk, name="approve", by=users["reviewer"])
        assert OutboxEvent.objects.count() == before + 1  # written in the change's transaction
        raise RuntimeError("the caller fails after the service")
    assert OutboxEvent.objects.count() == before
    assert not WebhookDelivery.objects.filter(event__type="order.state_changed", event__payload__event="approve")
    assert callbacks == [] and receiver.requests == []


def test_publishing_outside_a_transaction_is_refused(monkeypatch):
    class Outside:
        in_atomic_block = False

    monkeypatch.setattr(transaction, "get_connection", lambda: Outside())
    with pytest.raises(RuntimeError):
        publish(EventType.ORDER_STATE_CHANGED, aggregate_type="order", aggregate_id=1, payload={})


def test_shipments_invoices_and_promise_dates_are_published(users, receiver, django_capture_on_commit_callbacks):
    secret = subscribe(integration("ERP"), receiver.url(),
                       event_types=["shipment.shipped", "shipment.delivered", "invoice.issued",
                                    "order.promise_date_changed"])["secret"]
    with django_capture_on_commit_callbacks(execute=True):
        order = order_in_state("invoiced", users)
    bodies = [assert_signed(r, secret) for r in receiver.accepted]
    assert [b["type"] for b in bodies] == ["shipment.shipped", "shipment.delivered", "invoice.issued"]
    shipment = order.shipments.get()
    ref = {"id": order.pk, "number": order.number}
    assert bodies[0]["data"] == {
        "shipment": {"id": shipment.pk, "number": shipment.number, "state": "shipped",
                     "tracking_number": shipment.tracking_number, "carrier": "TRUCKCO"},
        "order": {**ref, "state": "shipped"}}
    assert bodies[1]["data"]["shipment"]["state"] == "delivered"
    assert bodies[1]["data"]["order"] == {**ref, "state": "delivered"}
    assert bodies[2]["data"] == {"order": {**ref, "state": "invoiced"}, "amount": str(order.total_amount),
                                 "currency": order.currency}

    # a purchase order sent for a bought-in line gives the line its promise date
    product = ProductFactory(supply_type="buy", lead_time_days=20)
    waiting = released_order(users, customer=CustomerFactory(owner=users["sales"]), lines=[(product, "5")])
    supplier = Supplier.objects.create(code="SUP-1", name="Acme Components", lead_time_days=10)
    expected = timezone.localdate() + datetime.timedelta(days=6)
    purchase_order = purchase_order_create(
        supplier=supplier, warehouse=WarehouseFactory(), expected_date=expected, by=users["planner"],
        requisition_ids=[PurchaseRequisition.objects.get(sales_order_line__order=waiting).pk])
    with django_capture_on_commit_callbacks(execute=True):
        purchase_order_transition(purchase_order_id=purchase_order.pk, name="send", by=users["planner"])
    promised = assert_signed(receiver.accepted[-1], secret)
    assert promised["type"] == "order.promise_date_changed"
    assert promised["data"] == {"order": {"id": waiting.pk, "number": waiting.number, "state": "in_fulfilment"},
                                "lines": [{"line_no": 1, "sku": product.sku, "promise_date": expected.isoformat()}]}


def test_a_delivery_failing_for_a_day_is_dead_the_next_events_flow_and_replay_sends_it(
        users, receiver, django_capture_on_commit_callbacks):
    api = integration("ERP")
    subscription = subscribe(api, receiver.url())
    receiver.down = True
    with django_capture_on_commit_callbacks(execute=True):
        order_in_state("approved", users)
    first, second = OutboxEvent.objects.order_by("id")
    head = WebhookDelivery.objects.get(event=first)
    assert head.attempts == 1
    receiver.down = False
    receiver.refuse = {str(first.event_id)}
    make_due()
    WebhookDelivery.objects.filter(pk=head.pk).update(
        first_attempt_at=timezone.now() - datetime.timedelta(hours=24, minutes=1))
    tasks.webhooks_dispatch_due()
    head.refresh_from_db()
    assert (head.state, head.attempts, head.last_status, head.next_attempt_at) == ("dead", 2, 500, None)
    assert receiver.accepted_ids() == [str(second.event_id)]  # the next event did not wait for the dead one

    dead = api.get(f"{WEBHOOKS}{subscription['id']}/deliveries/", {"state": "dead"})
    assert dead.status_code == 200
    assert [(d["id"], d["event_id"], d["state"], d["attempts"], d["last_status"]) for d in dead.json()["results"]] \
        == [(head.pk, str(first.event_id), "dead", 2, 500)]
    assert_problem(api.get(f"{WEBHOOKS}{subscription['id']}/deliveries/", {"state": "lost"}), 400)

    receiver.refuse.clear()
    with django_capture_on_commit_callbacks(execute=True):
        replay = api.post(f"{WEBHOOKS}{subscription['id']}/deliveries/replay/", {"ids": [head.pk]}, format="json")
    assert replay.status_code == 202 and replay.json() == {"replayed": [head.pk]}
    head.refresh_from_db()
    assert (head.state, head.attempts) == ("delivered", 1)
    assert receiver.accepted_ids() == [str(second.event_id), str(first.event_id)]
    # replaying a pending or unknown delivery: nothing, or 400
    assert_problem(api.post(f"{WEBHOOKS}{subscription['id']}/deliveries/replay/", {"ids": [head.pk + 10_000]},
                            format="json"), 400, "validation_failed")
    assert_problem(api.post(f"{WEBHOOKS}{subscription['id']}/deliveries/replay/", {"ids": []}, format="json"), 400)


def test_staff_see_dead_letters_in_the_admin_and_replay_them(users, receiver, django_capture_on_commit_callbacks,
                                                               client):
    subscribe(integration("ERP"), receiver.url())
    receiver.down = True
    with django_capture_on_commit_callbacks(execute=True):
        order_in_state("submitted", users)
    WebhookDelivery.objects.update(state=DeliveryState.DEAD)
    admin_user = make_user(username="admin")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    page = client.get("/admin/oms/webhookdelivery/", {"state__exact": "dead"})
    assert page.status_code == 200 and b"Dead letter" in page.content
    receiver.down = False
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/oms/webhookdelivery/", {
            "action": "replay", "_selected_action": list(WebhookDelivery.objects.values_list("pk", flat=True))})
    assert response.status_code == 302
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"delivered"}
    assert len(receiver.accepted) == 1

    # a subscription added in the admin gets a secret, shown once
    response = client.post("/admin/oms/webhooksubscription/add/", {
        "client": WebhookSubscription.objects.get().client_id, "url": "https://erp.example.com/events",
        "event_types": ["invoice.issued"], "is_active": "on"}, follow=True)
    added = WebhookSubscription.objects.get(url="https://erp.example.com/events")
    assert len(added.secret) == 64 and added.event_types == ["invoice.issued"]
    assert added.secret.encode() in response.content
    assert added.secret.encode() not in client.get(f"/admin/oms/webhooksubscription/{added.pk}/change/").content
    # nobody else may replay
    with pytest.raises(webhooks.PermissionDenied):
        webhooks.webhook_deliveries_replay([1], users["manager"])


def test_clients_see_only_their_own_webhooks(users, receiver):
    erp, shop = integration("ERP"), integration("Shop")
    mine = subscribe(erp, receiver.url(), event_types=["order.state_changed"])
    assert set(mine) == {"id", "url", "event_types", "is_active", "created_at", "secret"}
    listed = erp.get(WEBHOOKS).json()
    assert [s["id"] for s in listed] == [mine["id"]] and "secret" not in listed[0]
    assert shop.get(WEBHOOKS).json() == []
    for response in (shop.get(f"{WEBHOOKS}{mine['id']}/"), shop.get(f"{WEBHOOKS}{mine['id']}/deliveries/"),
                     shop.post(f"{WEBHOOKS}{mine['id']}/deliveries/replay/", {"ids": [1]}, format="json"),
                     shop.delete(f"{WEBHOOKS}{mine['id']}/")):
        assert_problem(response, 404)
    assert erp.get(f"{WEBHOOKS}{mine['id']}/").json()["url"] == receiver.url()

    assert_problem(erp.post(WEBHOOKS, {"url": "ftp://erp.example.com/"}, format="json"), 400)
    assert_problem(erp.post(WEBHOOKS, {"url": receiver.url(), "event_types": ["order.eaten"]}, format="json"), 400)
    # people signed in to the site have no webhooks; a token needs the events scope
    session = APIClient()
    session.force_login(users["manager"])
    assert_problem(session.get(WEBHOOKS), 403)
    assert_problem(integration("Stock", scopes=("stock:read",)).get(WEBHOOKS), 403, "insufficient_scope")
    assert_problem(APIClient().get(WEBHOOKS), 401)

    assert erp.delete(f"{WEBHOOKS}{mine['id']}/").status_code == 204
    assert not WebhookSubscription.objects.exists()


def test_a_leased_subscription_is_left_to_its_worker_and_redirects_are_not_followed(
        users, receiver, django_capture_on_commit_callbacks):
    subscription = subscribe(integration("ERP"), receiver.url())
    WebhookSubscription.objects.update(leased_until=timezone.now() + datetime.timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        order_in_state("submitted", users)
    assert receiver.requests == [] and tasks.webhooks_dispatch_due() == 0  # another worker holds it
    WebhookSubscription.objects.update(leased_until=timezone.now() - datetime.timedelta(seconds=1))  # it died
    receiver.redirect = True
    assert tasks.webhooks_dispatch(subscription["id"]) == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.last_status) == ("pending", 307)
    assert [r["path"] for r in receiver.requests] == ["/hooks/oms"]  # not followed
    assert WebhookSubscription.objects.get().leased_until is None  # released


def _events(n: int, type: str = EventType.ORDER_STATE_CHANGED) -> list[OutboxEvent]:
    with transaction.atomic():
        return [publish(type, aggregate_type="order", aggregate_id=i, payload={"n": i}) for i in range(n)]


def test_the_feed_pages_with_its_cursor(users, settings):
    settings.OMS_EVENT_FEED_SETTLE_SECONDS = 0  # ids of earlier (rolled back) tests are gaps
    events = _events(5)
    shipped = _events(1, EventType.SHIPMENT_SHIPPED)[0]
    api = integration("ERP")
    cursor, seen = events[0].pk - 1, []
    for _page in range(4):
        body = api.get(EVENTS, {"after": cursor, "limit": 2}).json()
        seen += body["results"]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            break
    assert [e["cursor"] for e in seen] == [e.pk for e in [*events, shipped]] and cursor == shipped.pk
    assert seen[0] == {"cursor": events[0].pk, "id": str(events[0].event_id), "type": "order.state_changed",
                       "occurred_at": seen[0]["occurred_at"], "data": {"n": 0}}
    assert api.get(EVENTS, {"after": cursor}).json() == {"results": [], "next_cursor": cursor, "has_more": False}
    only = api.get(EVENTS, {"after": events[0].pk - 1, "type": "shipment.shipped"}).json()
    assert [e["cursor"] for e in only["results"]] == [shipped.pk] and only["next_cursor"] == shipped.pk

    for bad in ({"limit": 501}, {"limit": 0}, {"after": -1}, {"after": "x"}, {"type": "order.eaten"}):
        assert_problem(api.get(EVENTS, bad), 400)
    assert_problem(integration("Stock", scopes=("stock:read",)).get(EVENTS), 403, "insufficient_scope")
    for role, allowed in (("manager", True), ("integration", True), ("sales", False), ("warehouse", False)):
        session = APIClient()
        session.force_login(users[role])
        assert session.get(EVENTS).status_code == (200 if allowed else 403), role


def test_the_feed_waits_for_a_missing_id_until_it_is_surely_rolled_back(db):
    first, missing, last = _events(3)
    missing.delete()  # as if its transaction were still open
    api = integration("ERP")
    held = api.get(EVENTS, {"after": first.pk}).json()
    assert held == {"results": [], "next_cursor": first.pk, "has_more": False}
    assert [e["cursor"] for e in api.get(EVENTS, {"after": first.pk - 1}).json()["results"]] == [first.pk]
    OutboxEvent.objects.filter(pk=last.pk).update(occurred_at=timezone.now() - datetime.timedelta(minutes=1))
    assert [e["cursor"] for e in api.get(EVENTS, {"after": first.pk}).json()["results"]] == [last.pk]


def test_backoff_doubles_from_30_seconds_up_to_an_hour():
    assert [webhooks.backoff(n).total_seconds() for n in (1, 2, 3, 7, 8, 20)] == [30, 60, 120, 1920, 3600, 3600]


def test_the_schema_documents_webhooks_and_the_feed(users):
    client = APIClient()
    client.force_authenticate(users["manager"])
    paths = client.get("/api/v1/schema/?format=json").json()["paths"]
    operations = {(path, method): operation["operationId"] for path, item in paths.items()
                  if path.startswith(("/api/v1/webhooks/", "/api/v1/events/"))
                  for method, operation in item.items() if method != "parameters"}
    assert operations == {
        ("/api/v1/webhooks/", "get"): "webhooks_list", ("/api/v1/webhooks/", "post"): "webhooks_create",
        ("/api/v1/webhooks/{id}/", "get"): "webhooks_retrieve",
        ("/api/v1/webhooks/{id}/", "delete"): "webhooks_destroy",
        ("/api/v1/webhooks/{id}/deliveries/", "get"): "webhooks_deliveries_list",
        ("/api/v1/webhooks/{id}/deliveries/replay/", "post"): "webhooks_deliveries_replay",
        ("/api/v1/events/", "get"): "events_list"}
    create = paths["/api/v1/webhooks/"]["post"]
    assert "OMS-Signature" in create["description"] and "24 hours" in create["description"]
    assert {"201", "400", "401", "403"} <= set(create["responses"])
    feed = paths["/api/v1/events/"]["get"]
    assert feed["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/EventFeed")
    assert {p["name"] for p in feed["parameters"]} == {"after", "limit", "type"}
