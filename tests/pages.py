"""Helpers for page tests: a logged-in browser-like client and the page's text."""

from __future__ import annotations

from django.test import Client


def client_for(user, language: str = "en") -> Client:
    """A Django test client logged in as `user`, asking for pages in `language`."""
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()
