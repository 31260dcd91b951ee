"""Helpers the API tests share: a token-authenticated client and the problem-details check."""

from __future__ import annotations

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

PROBLEM = "application/problem+json"


def client_for(user) -> APIClient:
    """An API client authenticated with `user`'s token (made on first use)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def assert_problem(response, status: int, code: str | None = None) -> dict:
    """The response is an RFC 9457 problem document with this status (and code)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    if code:
        assert body["code"] == code
    return body
