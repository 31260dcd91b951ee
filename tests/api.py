"""Helpers the API tests share: token-authenticated clients and the problem-details check."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone
from rest_framework.test import APIClient

from oms.api_clients import api_client_create, api_token_create
from oms.api_tokens import hash_key
from oms.models import ApiClient, ApiScope, ApiToken

PROBLEM = "application/problem+json"
#: Test clients are not throttled in practice (the throttling tests set their own limit).
TEST_RATE_LIMIT = 1_000_000

# user id → key of the all-scopes token `client_for` made for that user (the database only
# keeps its hash); checked against the database, which rolls back between tests
_all_scope_keys: dict[int, str] = {}


def api_client_of(user) -> ApiClient:
    """The user's API client, made on first use (the client acts as the user)."""
    client = ApiClient.objects.filter(user=user).first()
    if client is None:
        client = api_client_create(name=f"Tests {user.username} #{user.pk}", user=user, rate_limit=TEST_RATE_LIMIT)
    return client


def _authenticated(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def client_for(user) -> APIClient:
    """An API client authenticated as `user` with a token holding every scope (made once
    per user), so only the user's role decides."""
    key = _all_scope_keys.get(user.pk)
    if key is None or not ApiToken.objects.filter(key_hash=hash_key(key), client__user=user,
                                                  revoked_at__isnull=True).exists():
        token, key = api_token_create(client=api_client_of(user), name="all scopes", scopes=ApiScope.values)
        # counts as just used, so the first request does not add the UPDATE recording the use
        # (the query-count tests compare a first request with a later one)
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        _all_scope_keys[user.pk] = key
    return _authenticated(key)


def client_with_scopes(user, scopes: Iterable[str]) -> APIClient:
    """An API client authenticated as `user` with a new token holding only `scopes`."""
    _token, key = api_token_create(client=api_client_of(user), name="some scopes", scopes=scopes)
    return _authenticated(key)


def assert_problem(response, status: int, code: str | None = None) -> dict:
    """The response is an RFC 9457 problem document with this status (and code)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    if code:
        assert body["code"] == code
    return body
