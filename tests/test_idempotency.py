"""Exactly-once POSTs: the `Idempotency-Key` header (oms/idempotency.py) and the orders'
`external_ref`, on PostgreSQL."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connections
from django.utils import timezone
from rest_framework.test import APIClient

from oms.idempotency import KEY_LIFETIME
from oms.models import ApiClient, IdempotencyKey
from oms.tasks import idempotency_keys_purge
from orders.models import OrderEvent, SalesOrder
from tests.api import assert_problem, client_for
from tests.factories import CustomerFactory, ProductFactory, make_order, make_user, stock
from tests.threads import run_at_once

ORDERS = "/api/v1/orders/"


def integration(user) -> tuple[APIClient, ApiClient]:
    """An authenticated API client for `user` and the API client record its key is scoped to."""
    client = client_for(user)
    api_client, _created = ApiClient.objects.get_or_create(user=user, defaults={"name": f"{user.username} app"})
    return client, api_client


def order_payload(customer=None, **fields) -> dict:
    if customer is None:
        customer = CustomerFactory()
    product = ProductFactory()
    stock(product, "100")
    return {"customer": customer.pk, "requested_date": str(timezone.localdate() + datetime.timedelta(days=10)),
            "lines": [{"sku": product.sku, "quantity": "2"}], **fields}


def post(client: APIClient, payload, key: str | None, path: str = ORDERS):
    headers = {} if key is None else {"Idempotency-Key": key}
    return client.post(path, payload, format="json", headers=headers)


def is_replay(response) -> bool:
    return response.get("Idempotent-Replayed") == "true"


# --- exactly once ----------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_identical_creates_with_one_key_make_one_order(users):
    client, _api_client = integration(users["integration"])
    payload = order_payload()
    responses, lock = [], threading.Lock()

    def create():
        thread_client = APIClient()  # one per thread, the same token
        thread_client.credentials(**client._credentials)
        response = post(thread_client, payload, "order-42")
        with lock:
            responses.append(response)

    assert run_at_once([create] * 20) == []
    assert SalesOrder.objects.filter(customer_id=payload["customer"]).count() == 1
    assert IdempotencyKey.objects.count() == 1
    created = [r for r in responses if r.status_code == 201]
    first = [r for r in created if not is_replay(r)]
    assert len(responses) == 20 and len(first) == 1
    for response in responses:
        if response.status_code == 201:
            assert response.content == first[0].content and response["Content-Type"] == first[0]["Content-Type"]
        else:
            assert_problem(response, 409, "idempotency_key_in_use")
            assert response["Retry-After"] == "1"
    # every later retry replays the one order
    retry = post(client, payload, "order-42")
    assert retry.status_code == 201 and is_replay(retry) and retry.content == first[0].content


def test_a_retry_replays_the_first_answer_byte_for_byte_and_creates_nothing(users):
    client, _api_client = integration(users["integration"])
    payload = order_payload()
    first = post(client, payload, "k-1")
    assert first.status_code == 201, first.content
    assert not is_replay(first)
    retry = post(client, payload, "k-1")
    assert retry.status_code == 201 and is_replay(retry)
    assert retry.content == first.content and retry["Content-Type"] == first["Content-Type"]
    assert SalesOrder.objects.count() == 1
    stored = IdempotencyKey.objects.get()
    assert (stored.method, stored.path, stored.response_status) == ("POST", ORDERS, 201)
    # a new key is a new request
    assert post(client, payload, "k-2").status_code == 201
    assert SalesOrder.objects.count() == 2


def test_action_endpoints_are_covered_too(users):
    order = make_order(by=users["sales"])
    client, _api_client = integration(users["sales"])
    url = f"{ORDERS}{order.pk}/transitions/cancel/"
    first = post(client, {"reason": "Customer withdrew"}, "cancel-1", path=url)
    assert first.status_code == 200, first.content
    retry = post(client, {"reason": "Customer withdrew"}, "cancel-1", path=url)
    assert retry.status_code == 200 and is_replay(retry) and retry.content == first.content
    assert OrderEvent.objects.filter(order=order, kind="cancel").count() == 1
    # without the key the same request runs again, and the state machine refuses it
    assert_problem(post(client, {"reason": "Customer withdrew"}, None, path=url), 409, "transition_not_allowed")


def test_the_same_key_with_another_request_is_422_and_changes_nothing(users):
    client, _api_client = integration(users["integration"])
    customer = CustomerFactory()
    payload = order_payload(customer)
    assert post(client, payload, "k-1").status_code == 201
    body = assert_problem(post(client, {**payload, "notes": "changed"}, "k-1"), 422, "idempotency_key_reused")
    assert body["instance"] == ORDERS
    order = SalesOrder.objects.get()
    # another path with the key is another request as well
    assert_problem(post(client, {"reason": "x"}, "k-1", path=f"{ORDERS}{order.pk}/transitions/cancel/"), 422,
                   "idempotency_key_reused")
    assert SalesOrder.objects.count() == 1 and SalesOrder.objects.get().notes == ""
    assert order.events.count() == 1


def test_keys_are_scoped_to_the_client(users):
    first, first_client = integration(users["integration"])
    second, second_client = integration(make_user("integration"))
    assert first_client != second_client
    payload = order_payload()
    a, b = post(first, payload, "shared-key"), post(second, payload, "shared-key")
    assert a.status_code == b.status_code == 201
    assert not is_replay(b) and a.json()["id"] != b.json()["id"]
    assert IdempotencyKey.objects.filter(key="shared-key").count() == 2


def test_an_error_answer_keeps_nothing_and_a_corrected_retry_with_the_key_runs(users):
    client, _api_client = integration(users["integration"])
    payload = order_payload()
    assert_problem(post(client, {**payload, "lines": [{"sku": "NOPE", "quantity": "1"}]}, "k-1"), 400,
                   "validation_failed")
    assert_problem(post(client, {**payload, "requested_date": None, "submit": True}, "k-1"), 409, "order_incomplete")
    assert not IdempotencyKey.objects.exists() and not SalesOrder.objects.exists()
    corrected = post(client, payload, "k-1")
    assert corrected.status_code == 201 and not is_replay(corrected)
    assert is_replay(post(client, payload, "k-1")) and SalesOrder.objects.count() == 1


def test_a_retry_while_the_first_request_still_runs_gets_409(users):
    client, api_client = integration(users["integration"])
    payload = order_payload()
    # another connection holds the key's lock, as the first request's transaction does while it runs
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [api_client.pk, "busy-key"])
        response = post(client, payload, "busy-key")
        body = assert_problem(response, 409, "idempotency_key_in_use")
        assert response["Retry-After"] == "1" and "retry" in body["detail"]
        assert not SalesOrder.objects.exists() and not IdempotencyKey.objects.exists()
        with other.cursor() as cursor:
            cursor.execute("ROLLBACK")
    finally:
        other.close()
    assert post(client, payload, "busy-key").status_code == 201


def test_keys_expire_after_a_day_and_beat_purges_them(users):
    client, _api_client = integration(users["integration"])
    payload = order_payload()
    assert post(client, payload, "old").status_code == 201
    assert post(client, payload, "recent").status_code == 201
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - KEY_LIFETIME
                                                    - datetime.timedelta(minutes=1))
    assert idempotency_keys_purge.delay().get() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["recent"]
    again = post(client, payload, "old")  # a fresh request: a second order
    assert again.status_code == 201 and not is_replay(again)
    assert SalesOrder.objects.count() == 3
    assert is_replay(post(client, payload, "recent"))


def test_an_expired_key_not_yet_purged_counts_as_absent(users):
    client, _api_client = integration(users["integration"])
    payload = order_payload()
    assert post(client, payload, "k-1").status_code == 201
    IdempotencyKey.objects.update(created_at=timezone.now() - KEY_LIFETIME - datetime.timedelta(minutes=1))
    other = post(client, {**payload, "notes": "another order"}, "k-1")
    assert other.status_code == 201 and not is_replay(other)
    assert SalesOrder.objects.count() == 2 and IdempotencyKey.objects.count() == 1


def test_a_malformed_key_is_400_and_requests_without_an_api_client_pass_through(users):
    client, _api_client = integration(users["integration"])
    payload = order_payload()
    for key in ("", " ", " padded", "x" * 256, "clé-ünïcode", "tab\tkey"):
        assert_problem(post(client, payload, key), 400, "invalid_idempotency_key")
    assert post(client, payload, "x" * 255).status_code == 201
    assert_problem(post(APIClient(), payload, "k-anon"), 401)
    session = APIClient()
    session.force_login(users["order_desk"])  # the browser: no API client, the key is not kept
    assert post(session, order_payload(), "k-session").status_code == 201
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["x" * 255]


# --- external_ref ----------------------------------------------------------------------------

def test_external_ref_is_unique_per_customer_and_channel(users):
    client, _api_client = integration(users["integration"])
    customer = CustomerFactory()
    first = post(client, order_payload(customer, external_ref="ESHOP-1001"), None)
    assert first.status_code == 201, first.content
    assert first.json()["external_ref"] == "ESHOP-1001"
    body = assert_problem(post(client, order_payload(customer, external_ref="ESHOP-1001"), None), 409,
                          "duplicate_external_ref")
    assert body["existing_order"] == first.json()["id"] and body["existing_number"] == first.json()["number"]
    # the same reference from another channel or for another customer is another order
    assert post(client, order_payload(customer, external_ref="ESHOP-1001", channel="eshop"), None).status_code == 201
    assert post(client, order_payload(external_ref="ESHOP-1001"), None).status_code == 201
    # no reference, no uniqueness
    assert post(client, order_payload(customer), None).status_code == 201
    assert post(client, order_payload(customer), None).status_code == 201
    assert SalesOrder.objects.count() == 5
    listed = client.get(f"{ORDERS}?external_ref=ESHOP-1001&customer={customer.pk}").json()
    assert {o["channel"] for o in listed["results"]} == {"api", "eshop"}


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_with_one_external_ref_make_one_order(users):
    client, _api_client = integration(users["integration"])
    payload = order_payload(external_ref="ERP-77")
    responses, lock = [], threading.Lock()

    def create():
        thread_client = APIClient()
        thread_client.credentials(**client._credentials)
        response = post(thread_client, payload, None)
        with lock:
            responses.append(response)

    assert run_at_once([create] * 8) == []
    assert sorted(r.status_code for r in responses) == [201] + [409] * 7
    order = SalesOrder.objects.get(external_ref="ERP-77")
    for response in responses:
        if response.status_code == 409:
            assert assert_problem(response, 409, "duplicate_external_ref")["existing_order"] == order.pk


# --- the schema -------------------------------------------------------------------------------

def test_the_schema_documents_the_header_on_every_post(users):
    client, _api_client = integration(users["manager"])
    schema = client.get("/api/v1/schema/?format=json").json()
    posts = [ops["post"] for ops in schema["paths"].values() if "post" in ops]
    assert len(posts) > 20
    for operation in posts:
        header = [p for p in operation["parameters"] if p["in"] == "header" and p["name"] == "Idempotency-Key"]
        assert len(header) == 1 and header[0]["required"] is False, operation["operationId"]
        assert "24 hours" in header[0]["description"] and "Idempotent-Replayed" in header[0]["description"]
        responses = operation["responses"]
        assert "idempotency_key_in_use" in responses["409"]["description"]
        assert "Retry-After" in responses["409"]["headers"]
        assert responses["422"]["content"]["application/problem+json"]["schema"]["$ref"].endswith("/Problem")
        assert "invalid_idempotency_key" in responses["400"]["description"]
    # GET operations do not take the header
    assert not any(p["name"] == "Idempotency-Key" for p in schema["paths"]["/api/v1/orders/"]["get"]["parameters"])
    create = schema["components"]["schemas"]["OrderCreateRequest"]["properties"]
    assert create["external_ref"]["maxLength"] == 100

