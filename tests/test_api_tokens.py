"""API clients and scoped tokens (oms/api_auth.py, oms/api_clients.py, oms/permissions.py,
oms/throttling.py): hashed keys, revocation and expiry, last use, scopes on every
endpoint, rate limits per client, the admin and the `api_token` command."""

from __future__ import annotations

import datetime
import hashlib
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.permissions import AllowAny
from rest_framework.test import APIClient

from oms import roles
from oms.api_clients import api_client_create, api_token_create, api_token_revoke
from oms.api_tokens import scopes_cover
from oms.errors import ValidationFailed
from oms.models import ApiClient, ApiScope, ApiToken
from oms.permissions import required_scope
from oms.throttling import ClientRateThrottle
from tests.api import assert_problem, client_for, client_with_scopes
from tests.factories import make_user

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def integration_client(db) -> ApiClient:
    return api_client_create(name="Web shop")


# --- tokens -----------------------------------------------------------------------------------

def test_a_token_is_stored_hashed_and_its_key_authenticates_as_the_clients_user(integration_client):
    token, key = api_token_create(client=integration_client, name="shop", scopes=["orders:read"])
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert key not in {str(value) for value in row.values()}
    assert row["key_hash"] == hashlib.sha256(key.encode()).hexdigest() and row["prefix"] == key[:8]
    assert len(key) >= 40
    response = token_client(key).get(ORDERS)
    assert response.status_code == 200, response.content
    user = integration_client.user
    assert user.groups.get().name == roles.INTEGRATION and not user.has_usable_password()


def test_token_scopes_are_checked_when_made(integration_client):
    with pytest.raises(ValidationFailed) as error:
        api_token_create(client=integration_client, scopes=["orders:read", "orders:delete"])
    assert "orders:delete" in error.value.errors["scopes"][0]
    with pytest.raises(ValidationFailed):
        api_token_create(client=integration_client, scopes=[])
    with pytest.raises(ValidationFailed):
        api_token_create(client=integration_client, scopes=["orders:read"],
                         expires_at=timezone.now() - datetime.timedelta(minutes=1))
    token, _key = api_token_create(client=integration_client, scopes=["stock:read", "orders:write", "stock:read"])
    assert token.scopes == ["orders:write", "stock:read"]


def test_revoked_expired_or_inactive_tokens_get_401(integration_client):
    token, key = api_token_create(client=integration_client, scopes=["orders:read"])
    client = token_client(key)
    assert client.get(ORDERS).status_code == 200

    api_token_revoke(token_id=token.pk)
    body = assert_problem(client.get(ORDERS), 401, "authentication_failed")
    assert "revoked" in body["detail"]

    token, key = api_token_create(client=integration_client, scopes=["orders:read"],
                                  expires_at=timezone.now() + datetime.timedelta(hours=1))
    assert token_client(key).get(ORDERS).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = token_client(key).get(ORDERS)
    assert_problem(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"] == "Token"

    _token, key = api_token_create(client=integration_client, scopes=["orders:read"])
    ApiClient.objects.filter(pk=integration_client.pk).update(is_active=False)
    assert_problem(token_client(key).get(ORDERS), 401, "authentication_failed")
    ApiClient.objects.filter(pk=integration_client.pk).update(is_active=True)
    User.objects.filter(pk=integration_client.user_id).update(is_active=False)
    assert_problem(token_client(key).get(ORDERS), 401, "authentication_failed")

    for header in ("Token", "Token a b", "Token \xff"):
        bad = APIClient()
        bad.credentials(HTTP_AUTHORIZATION=header)
        assert_problem(bad.get(ORDERS), 401, "authentication_failed")


def test_last_use_is_recorded_at_most_once_a_minute(integration_client):
    token, key = api_token_create(client=integration_client, scopes=["orders:read"])
    assert token.last_used_at is None
    client = token_client(key)
    client.get(ORDERS)
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None and timezone.now() - first_use < datetime.timedelta(seconds=30)

    with CaptureQueriesContext(connection) as queries:
        client.get(ORDERS)
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    token.refresh_from_db()
    assert token.last_used_at == first_use

    two_minutes_ago = timezone.now() - datetime.timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=two_minutes_ago)
    client.get(ORDERS)
    token.refresh_from_db()
    assert token.last_used_at > two_minutes_ago + datetime.timedelta(seconds=100)


# --- scopes -----------------------------------------------------------------------------------

def test_a_read_scope_reads_and_a_write_scope_is_needed_to_write(users):
    reader = client_with_scopes(users["sales"], ["orders:read"])
    assert reader.get(ORDERS).status_code == 200
    body = assert_problem(reader.post(ORDERS, {}, format="json"), 403, "insufficient_scope")
    assert body["required_scope"] == "orders:write" and "orders:write" in body["detail"]
    # another area's scope does not help; a write scope includes its read
    assert_problem(client_with_scopes(users["sales"], ["customers:write"]).get(ORDERS), 403, "insufficient_scope")
    writer = client_with_scopes(users["sales"], ["orders:write"])
    assert writer.get(ORDERS).status_code == 200
    assert_problem(writer.post(ORDERS, {}, format="json"), 400, "validation_failed")
    assert writer.get("/api/v1/customers/").json()["required_scope"] == "customers:read"


def test_tracking_events_need_the_tracking_scope(users):
    shipment = "/api/v1/shipments/999999"
    shipping = client_with_scopes(users["logistics"], ["shipments:write"])
    assert_problem(shipping.get(f"{shipment}/tracking-events/"), 404)  # reading needs shipments:read only
    for action in ("tracking-events", "exception", "resume", "proof-of-delivery"):
        body = assert_problem(shipping.post(f"{shipment}/{action}/", {}, format="json"), 403, "insufficient_scope")
        assert body["required_scope"] == "tracking:write", action
    carrier = client_with_scopes(users["logistics"], ["tracking:write"])
    assert_problem(carrier.post(f"{shipment}/tracking-events/", {}, format="json"), 404)
    assert_problem(carrier.get(f"{shipment}/tracking-events/"), 403, "insufficient_scope")


def test_browser_sessions_are_not_scope_checked(users):
    client = APIClient()
    client.force_login(users["sales"])
    assert client.get(ORDERS).status_code == 200
    assert client.get("/api/v1/customers/").status_code == 200


def _api_routes() -> Iterator[tuple[str, URLPattern]]:
    def walk(patterns: list, prefix: str) -> Iterator[tuple[str, URLPattern]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif "format" not in pattern.pattern.regex.groupindex:  # the `.json` twins
                yield prefix + str(pattern.pattern), pattern

    for route, pattern in walk(get_resolver().url_patterns, ""):
        if route.startswith("api/v1/") and getattr(pattern.callback, "cls", None) is not None:
            yield route, pattern


def _is_public(view_class: Any) -> bool:
    return all(issubclass(permission, AllowAny) for permission in view_class.permission_classes)


def test_every_api_view_declares_its_scope_area():
    missing = sorted({pattern.callback.cls.__name__ for _route, pattern in _api_routes()
                      if not _is_public(pattern.callback.cls) and not hasattr(pattern.callback.cls, "api_scope")})
    assert missing == [], "API views without `api_scope`: " + ", ".join(missing)


def _endpoints() -> Iterator[tuple[str, str, str]]:
    """(url, method, required scope) of every operation a token may call."""
    for _route, pattern in _api_routes():
        callback = pattern.callback
        if _is_public(callback.cls) or not getattr(callback, "actions", None):
            continue
        kwargs = {name: "approve" if name == "name" else "999999" for name in pattern.pattern.regex.groupindex}
        url = reverse(pattern.name, kwargs=kwargs)
        for method, action in callback.actions.items():
            if method in ("head", "options"):  # DRF maps HEAD to GET's action once it has served one
                continue
            view = callback.cls(**callback.initkwargs)
            view.action = action
            scope = required_scope(view, method)
            if scope is not None:
                yield url, method, scope


def test_every_endpoint_refuses_a_token_without_its_scope():
    """Walks every API route: a token holding every scope but the one an operation needs
    gets 403 `insufficient_scope` naming it; a token holding just that scope gets past the
    scope check (to the role's or the object's answer)."""
    user = User.objects.create_superuser("scopes-admin", "a@oms.example", "pw-for-tests-1")
    clients: dict[str, APIClient] = {}

    def client(scopes: tuple[str, ...]) -> APIClient:
        if scopes not in clients:
            clients[scopes] = client_with_scopes(user, scopes)
        return clients[scopes]

    endpoints = list(_endpoints())
    assert len(endpoints) > 80
    areas = set()
    for url, method, scope in endpoints:
        assert scope in ApiScope.values, (url, method, scope)
        areas.add(scope.partition(":")[0])
        others = tuple(s for s in ApiScope.values if not scopes_cover([s], scope))
        response = getattr(client(others), method)(url, {}, format="json")
        assert response.status_code == 403, (url, method, response.status_code, response.content[:300])
        body = assert_problem(response, 403, "insufficient_scope")
        assert body["required_scope"] == scope, (url, method)
        response = getattr(client((scope,)), method)(url, {}, format="json")
        assert response.status_code != 403 or response.json()["code"] != "insufficient_scope", (url, method)
    assert areas >= {"customers", "catalogue", "stock", "supply", "orders", "shipments", "tracking"}


def test_a_view_without_a_scope_area_is_closed_to_tokens():
    class Undeclared:
        action = "list"

    from oms.errors import PermissionDenied

    with pytest.raises(PermissionDenied) as error:
        required_scope(Undeclared(), "GET")
    assert error.value.code == "insufficient_scope"


def test_the_api_root_is_open_to_any_valid_token(users):
    response = client_with_scopes(users["sales"], ["events:read"]).get("/api/v1/")
    assert response.status_code == 200 and "orders" in response.json()


# --- rate limits ------------------------------------------------------------------------------

def test_a_client_over_its_rate_limit_gets_429_with_retry_after(users):
    client = client_with_scopes(users["sales"], ["orders:read"])
    api_client = ApiClient.objects.get(user=users["sales"])
    api_client.rate_limit = 2
    api_client.save()
    cache.delete(ClientRateThrottle.cache_key_for(api_client))  # a client of an earlier run had this id

    assert client.get(ORDERS).status_code == 200
    assert client.get(ORDERS).status_code == 200
    response = client.get(ORDERS)
    assert_problem(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60
    # a limit lowered below the requests already counted still says when to come back
    ApiClient.objects.filter(pk=api_client.pk).update(rate_limit=1)
    response = client.get(ORDERS)
    assert_problem(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60
    ApiClient.objects.filter(pk=api_client.pk).update(rate_limit=2)
    # the limit is the client's, over all its tokens; other clients and sessions go on
    assert_problem(client_with_scopes(users["sales"], ["orders:read"]).get(ORDERS), 429)
    assert client_for(users["order_desk"]).get(ORDERS).status_code == 200
    session = APIClient()
    session.force_login(users["sales"])
    assert all(session.get(ORDERS).status_code == 200 for _ in range(3))
    cache.delete(ClientRateThrottle.cache_key_for(api_client))


# --- the schema -------------------------------------------------------------------------------

def test_the_schema_declares_the_token_scheme_and_the_scope_and_rate_problems(users):
    client = APIClient()
    client.force_login(users["manager"])
    schema = client.get("/api/v1/schema/?format=json").json()
    scheme = schema["components"]["securitySchemes"]["tokenAuth"]
    assert scheme["type"] == "apiKey" and scheme["in"] == "header" and scheme["name"] == "Authorization"
    assert "Token <key>" in scheme["description"]
    assert {"tokenAuth": []} in schema["paths"]["/api/v1/orders/"]["get"]["security"]
    assert "required_scope" in schema["components"]["schemas"]["Problem"]["properties"]
    responses = schema["paths"]["/api/v1/orders/"]["post"]["responses"]
    assert {"401", "403", "429"} <= set(responses)
    assert "/api/v1/auth/token/" not in schema["paths"]


# --- the command ------------------------------------------------------------------------------

def run(*args: str) -> str:
    out = io.StringIO()
    call_command("api_token", *args, stdout=out)
    return out.getvalue()


def test_the_command_creates_lists_and_revokes_tokens(integration_client):
    out = run("create", "--client", "Web shop", "--scopes", "orders:read, orders:write", "--name", "checkout")
    key = out.strip().splitlines()[-1]
    token = ApiToken.objects.get(client=integration_client)
    assert token.name == "checkout" and token.scopes == ["orders:read", "orders:write"] and token.prefix in out
    assert token_client(key).get(ORDERS).status_code == 200

    listing = run("list")
    assert token.prefix in listing and "checkout" in listing and "active" in listing and key not in listing

    run("revoke", token.prefix)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert_problem(token_client(key).get(ORDERS), 401)
    assert "revoked" in run("list", "--client", "Web shop")

    other, _key = api_token_create(client=integration_client, scopes=["stock:read"])
    run("revoke", str(other.pk))
    other.refresh_from_db()
    assert other.revoked_at is not None


def test_the_command_refuses_bad_input_clearly(integration_client):
    with pytest.raises(CommandError, match="orders:remove"):
        run("create", "--client", "Web shop", "--scopes", "orders:remove")
    with pytest.raises(CommandError, match="No API client named 'ERP'"):
        run("create", "--client", "ERP", "--scopes", "orders:read")
    with pytest.raises(CommandError, match="No API token"):
        run("revoke", "nothing")
    assert ApiToken.objects.count() == 0

    out = run("create", "--client", "ERP", "--create-client", "--scopes", "all", "--expires-in-days", "30")
    token = ApiToken.objects.get(client__name="ERP")
    assert sorted(token.scopes) == sorted(ApiScope.values) and token.expires_at > timezone.now()
    assert token_client(out.strip().splitlines()[-1]).get(ORDERS).status_code == 200


# --- the admin --------------------------------------------------------------------------------

@pytest.fixture
def staff(db) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@oms.example", "pw-for-tests-1"))
    return client


def test_admin_pages_render(staff, integration_client):
    token, _key = api_token_create(client=integration_client, scopes=["orders:read"])
    client_for(make_user("sales"))  # another client with a token in the lists
    pages = ["admin:oms_apiclient_changelist", "admin:oms_apiclient_add", "admin:oms_apitoken_changelist",
             "admin:oms_apitoken_add"]
    for name in pages:
        assert staff.get(reverse(name)).status_code == 200, name
    page = staff.get(reverse("admin:oms_apiclient_change", args=[integration_client.pk]))
    assert page.status_code == 200 and token.prefix in page.content.decode()
    assert f"{reverse('admin:oms_apitoken_add')}?client={integration_client.pk}" in page.content.decode()
    page = staff.get(reverse("admin:oms_apitoken_change", args=[token.pk]))
    assert page.status_code == 200 and "orders:read" in page.content.decode()


def test_admin_adds_a_client_and_a_token_showing_its_key_once(staff):
    response = staff.post(reverse("admin:oms_apiclient_add"), {
        "name": "EDI gateway", "user": "", "is_active": "on", "rate_limit": "120", "notes": ""}, follow=True)
    assert response.status_code == 200
    api_client = ApiClient.objects.get(name="EDI gateway")
    assert api_client.rate_limit == 120 and api_client.user.groups.get().name == roles.INTEGRATION

    response = staff.post(reverse("admin:oms_apitoken_add"), {
        "client": api_client.pk, "name": "edi", "scopes": ["orders:write", "stock:read"]}, follow=True)
    assert response.status_code == 200
    token = ApiToken.objects.get(client=api_client)
    assert token.scopes == ["orders:write", "stock:read"] and token.created_by.username == "root"
    message = next(str(m) for m in response.context["messages"] if "<code>" in str(m))
    key = re.search(r"<code>([^<]+)</code>", message).group(1)
    assert key.startswith(token.prefix) and token_client(key).get(ORDERS).status_code == 200
    page = staff.get(reverse("admin:oms_apitoken_change", args=[token.pk])).content.decode()
    assert key not in page

    response = staff.post(reverse("admin:oms_apitoken_add"), {
        "client": api_client.pk, "name": "none", "scopes": []})
    assert response.status_code == 200 and ApiToken.objects.count() == 1  # the form says what is missing

    response = staff.post(reverse("admin:oms_apitoken_changelist"), {
        "action": "revoke", "_selected_action": [token.pk]}, follow=True)
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert_problem(token_client(key).get(ORDERS), 401)
