"""CSRF: every form of the site, and every API write made with a browser session, is
refused without the token, and the same request with the token gets past the check.

The page URLs are those of spec.py (every URL of the page namespaces has a row there) plus
the log-in, log-out and language forms; each is posted as a user who may use it, so the
refusal is the CSRF check's and not a missing permission. The API writes are every
non-GET method of every route of the API router."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.middleware.csrf import CSRF_ALLOWED_CHARS
from django.test import Client
from django.urls import reverse
from django.utils.crypto import get_random_string
from rest_framework.test import APIClient

from oms.urls import router
from tests.api import client_for as token_client_for

from .matrix import COLUMNS, rolled_back
from .spec import ACTIONS, PAGES

pytestmark = pytest.mark.django_db

REFUSED = ("403", "404", "405", "login")
#: Forms outside the four page namespaces.
SITE_FORMS = ["login", "logout", "set_language"]


def _with_token(client) -> str:
    """Give the client a CSRF cookie; return the token a form (or header) would carry."""
    secret = get_random_string(32, CSRF_ALLOWED_CHARS)
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    return secret


def _refused_for_csrf(response) -> bool:
    return response.status_code == 403 and b"CSRF" in response.content


def _page_posts(world) -> list[tuple[str, str, dict]]:
    """(URL, user key, data) for every page URL: posted as the first client of the table who
    gets past the door (anyone for the pages that ignore a POST: they are refused too)."""
    posts = {}
    for row in [*ACTIONS, *PAGES]:
        url = row.url(world)
        if url in posts:
            continue
        user = next((key for key in COLUMNS.values() if key != "anon" and row.expected[key] not in REFUSED),
                    "manager")
        posts[url] = (user, row.post_data())
    return [(url, user, data) for url, (user, data) in posts.items()]


def test_every_page_form_is_refused_without_the_csrf_token(world):
    clients = {}
    passed = []
    for url, user, data in _page_posts(world):
        client = clients.get(user)
        if client is None:
            client = clients[user] = Client(enforce_csrf_checks=True)
            client.force_login(world.users[user])
        if not _refused_for_csrf(client.post(url, data)):
            passed.append(url)
    assert passed == [], f"posted without a CSRF token and not refused: {passed}"


def test_the_same_forms_get_past_the_check_with_the_token(world):
    """The control: the refusals above are the token's doing (each form, with the token, is
    answered by its view — success, a form error or a refusal of the view's own)."""
    stopped = []
    clients = {}
    for url, user, data in _page_posts(world):
        client = clients.get(user)
        if client is None:
            client = clients[user] = Client(enforce_csrf_checks=True)
            client.force_login(world.users[user])
        token = _with_token(client)
        with rolled_back():
            if _refused_for_csrf(client.post(url, {**data, "csrfmiddlewaretoken": token})):
                stopped.append(url)
    assert stopped == []


@pytest.mark.parametrize("name", SITE_FORMS)
def test_the_log_in_log_out_and_language_forms_need_the_token(world, name):
    client = Client(enforce_csrf_checks=True)
    data = {"username": "someone", "password": "x", "language": "zh-hans", "next": "/"}
    assert _refused_for_csrf(client.post(reverse(name), data))
    token = _with_token(client)
    assert not _refused_for_csrf(client.post(reverse(name), {**data, "csrfmiddlewaretoken": token}))


# --- the API ----------------------------------------------------------------------------------

_ARGUMENTS = {"pk": "1", "name": "approve", "check_id": "1", "number": "1", "item_id": "1"}


def _api_writes() -> list[tuple[str, str]]:
    """(method, URL) of every non-GET route of the API router. The ids need not exist: the
    CSRF check comes with the authentication, before any lookup."""
    writes = []
    for url in router.urls:
        actions = getattr(url.callback, "actions", None) or {}
        if not url.name or "format" in str(url.pattern):
            continue
        kwargs = {name: _ARGUMENTS[name] for name in re.compile(url.pattern.regex.pattern).groupindex}
        path = reverse(url.name, kwargs=kwargs)
        writes += [(method.upper(), path) for method in actions if method not in ("get", "head", "options")]
    return sorted(set(writes))


def test_every_api_write_with_a_session_is_refused_without_the_csrf_token(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.users["manager"])
    passed = []
    writes = _api_writes()
    assert len(writes) > 40  # every write route of the router
    for method, path in writes:
        response = client.generic(method, path, "{}", content_type="application/json")
        if not (response.status_code == 403 and "CSRF" in response.json()["detail"]):
            passed.append(f"{method} {path}: {response.status_code}")
    assert passed == [], "written through a session without a CSRF token:\n" + "\n".join(passed)


def test_api_writes_with_a_session_and_the_token_get_past_the_check(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.users["manager"])
    token = _with_token(client)
    stopped = []
    for method, path in _api_writes():
        with rolled_back():
            response = client.generic(method, path, "{}", content_type="application/json", HTTP_X_CSRFTOKEN=token)
        if response.status_code == 403 and "CSRF" in response.content.decode():
            stopped.append(f"{method} {path}")
    assert stopped == []


def test_api_tokens_need_no_csrf_token(world):
    """An API client is no browser: a request with its token carries no CSRF token."""
    client = token_client_for(world.users["reviewer"])
    response = client.post(f"/api/v1/orders/{world['submitted']}/transitions/hold/", {"reason": "checking"},
                           format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "on_hold"
