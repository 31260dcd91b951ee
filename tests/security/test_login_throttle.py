"""Log-in throttling (oms/login.py): five failures for a username from one address lock it
there for fifteen minutes, the right password included, on the log-in page and the
admin's; the answers never tell whether the username exists.

The failures are counted in the cache (Redis under `make test`), so each test uses
usernames and addresses of its own."""

from __future__ import annotations

import itertools
import time
import uuid
from unittest import mock

import pytest
from django.conf import settings
from django.test import Client

from oms import login
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"  # tests/factories.py make_user
LOGIN = "/accounts/login/"
INVALID = "Please enter a correct username and password."
THROTTLED = "Too many failed log-in attempts. Try again in 15 minutes."
_addresses = (f"198.51.100.{n}" for n in itertools.cycle(range(1, 255)))


@pytest.fixture
def address() -> str:
    return next(_addresses)


@pytest.fixture
def person():
    """A user with a name no other test (or earlier run: the counts live in Redis) uses."""
    return make_user("sales", username=f"throttle-{uuid.uuid4().hex[:12]}")


def _attempt(username: str, password: str, address: str, path: str = LOGIN) -> tuple[int, str, Client]:
    client = Client(REMOTE_ADDR=address)
    response = client.post(path, {"username": username, "password": password, "next": "/"})
    errors = " ".join(str(e) for e in response.context["form"].non_field_errors()) if response.context else ""
    return response.status_code, errors, client


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_five_failures_lock_the_username_and_even_the_right_password_is_refused(person, address):
    answers = [_attempt(person.username, "wrong", address)[:2] for _ in range(settings.OMS_LOGIN_FAILURE_LIMIT)]
    assert [status for status, _errors in answers] == [200, 200, 200, 200, 429]
    assert all(INVALID in errors for _status, errors in answers[:4])
    assert answers[4][1] == THROTTLED  # the attempt that locks it says so

    status, errors, client = _attempt(person.username, PASSWORD, address)
    assert (status, errors) == (429, THROTTLED)
    assert not _logged_in(client)
    response = client.post(LOGIN, {"username": person.username, "password": PASSWORD})
    assert response["Retry-After"] and 0 < int(response["Retry-After"]) <= settings.OMS_LOGIN_LOCKOUT_SECONDS


def test_an_unknown_username_is_answered_exactly_like_a_known_one(person, address):
    unknown = f"nobody-{uuid.uuid4().hex[:12]}"
    for _ in range(settings.OMS_LOGIN_FAILURE_LIMIT + 1):
        assert _attempt(person.username, "wrong", address)[:2] == _attempt(unknown, "wrong", address)[:2]


def test_the_lock_is_per_username_and_address(person, address):
    for _ in range(settings.OMS_LOGIN_FAILURE_LIMIT):
        _attempt(person.username, "wrong", address)
    assert _attempt(person.username, PASSWORD, address)[0] == 429
    other = make_user("sales", username=f"throttle-{uuid.uuid4().hex[:12]}")
    status, _errors, client = _attempt(other.username, PASSWORD, address)  # another user, same address
    assert status == 302 and _logged_in(client)
    status, _errors, client = _attempt(person.username, PASSWORD, next(_addresses))  # same user, elsewhere
    assert status == 302 and _logged_in(client)


def test_the_lock_ends_after_the_lockout(person, address):
    for _ in range(settings.OMS_LOGIN_FAILURE_LIMIT):
        _attempt(person.username, "wrong", address)
    assert _attempt(person.username, PASSWORD, address)[0] == 429
    later = time.time() + settings.OMS_LOGIN_LOCKOUT_SECONDS + 1
    with mock.patch("oms.login.time.time", return_value=later):
        status, _errors, client = _attempt(person.username, PASSWORD, address)
    assert status == 302 and _logged_in(client)


def test_a_successful_log_in_clears_the_count(person, address):
    for _round in range(2):
        for _ in range(settings.OMS_LOGIN_FAILURE_LIMIT - 1):
            assert _attempt(person.username, "wrong", address)[0] == 200
        assert _attempt(person.username, PASSWORD, address)[0] == 302


def test_failures_older_than_the_window_do_not_count(person, address, settings):
    settings.OMS_LOGIN_FAILURE_WINDOW = 1
    for _ in range(settings.OMS_LOGIN_FAILURE_LIMIT - 1):
        _attempt(person.username, "wrong", address)
    key = login._failures_key(login._ident(mock.Mock(META={"REMOTE_ADDR": address}), person.username))
    deadline = time.monotonic() + 10
    while login.cache.get(key) is not None:  # the window (the count's time to live) runs out
        assert time.monotonic() < deadline, "the failure count outlived its window"
        time.sleep(0.05)
    assert _attempt(person.username, "wrong", address)[0] == 200  # one failure in a new window
    assert _attempt(person.username, PASSWORD, address)[0] == 302


def test_the_admin_log_in_is_throttled_too(address):
    staff = make_user(username=f"throttle-staff-{uuid.uuid4().hex[:12]}")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    admin_login = "/admin/login/"
    for _ in range(settings.OMS_LOGIN_FAILURE_LIMIT):
        _attempt(staff.username, "wrong", address, path=admin_login)
    _status, errors, client = _attempt(staff.username, PASSWORD, address, path=admin_login)
    assert errors == THROTTLED and not _logged_in(client)
    # and the lock is the same one the log-in page keeps
    assert _attempt(staff.username, PASSWORD, address)[:2] == (429, THROTTLED)
