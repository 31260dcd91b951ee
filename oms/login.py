"""Log-in throttling: after `OMS_LOGIN_FAILURE_LIMIT` failed attempts for one username from
one address within `OMS_LOGIN_FAILURE_WINDOW` seconds, every further attempt for that
username from that address is refused for `OMS_LOGIN_LOCKOUT_SECONDS`, the right password
included.

The failures are counted in the default cache (Redis when REDIS_URL is set), so every web
process counts the same attempts. While the cache is unreachable nothing is counted or
locked and people can still log in (oms/cache_outage.py); the outage is logged. Nothing
tells whether the username exists: unknown and known usernames are counted, locked and
answered alike.

- `ThrottledModelBackend` (AUTHENTICATION_BACKENDS) counts and refuses for every surface
  that checks a password through `authenticate()`: the log-in page and the admin's.
- `ThrottledAuthenticationForm` and `LoginView` tell the person why, in their language,
  with 429 and `Retry-After`.

The address is REMOTE_ADDR. Behind a reverse proxy that is the proxy's, so the lock is
then in effect per username.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from typing import Any

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import ngettext

from .cache_outage import CACHE_ERRORS
from .user_permissions import PermissionsInOneQuery

logger = logging.getLogger(__name__)

_PREFIX = "oms:login"


def _ident(request: HttpRequest | None, username: str) -> str:
    address = (request.META.get("REMOTE_ADDR", "") if request is not None else "") or "-"
    return hashlib.sha256(f"{username.strip().casefold()}\n{address}".encode()).hexdigest()


def _failures_key(ident: str) -> str:
    return f"{_PREFIX}:failures:{ident}"


def _lock_key(ident: str) -> str:
    return f"{_PREFIX}:locked:{ident}"


def _outage(exc: Exception) -> None:
    logger.error("log-in throttling not enforced, the cache is unreachable: %r", exc)


def locked_for(request: HttpRequest | None, username: str) -> int:
    """Seconds until `username` may try again from this address (0: not locked)."""
    try:
        until = cache.get(_lock_key(_ident(request, username)))
    except CACHE_ERRORS as exc:
        _outage(exc)
        return 0
    return max(0, math.ceil(until - time.time())) if until else 0


def record_failure(request: HttpRequest | None, username: str) -> None:
    """Count a failed attempt; the one that reaches the limit locks the username here."""
    try:
        _count_failure(_ident(request, username))
    except CACHE_ERRORS as exc:
        _outage(exc)


def _count_failure(ident: str) -> None:
    key = _failures_key(ident)
    cache.add(key, 0, timeout=settings.OMS_LOGIN_FAILURE_WINDOW)  # the window starts at the first failure
    try:
        failures = cache.incr(key)
    except ValueError:  # the window ended between the two calls
        failures = 1
        cache.set(key, failures, timeout=settings.OMS_LOGIN_FAILURE_WINDOW)
    if failures >= settings.OMS_LOGIN_FAILURE_LIMIT:
        lockout = settings.OMS_LOGIN_LOCKOUT_SECONDS
        cache.set(_lock_key(ident), time.time() + lockout, timeout=lockout)
        cache.delete(key)


def clear_failures(request: HttpRequest | None, username: str) -> None:
    try:
        cache.delete(_failures_key(_ident(request, username)))
    except CACHE_ERRORS as exc:
        _outage(exc)


class ThrottledModelBackend(PermissionsInOneQuery):
    """Django's username and password check, refused while the username is locked here
    (and the user's permissions read in one query)."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None, password: str | None = None,
                     **kwargs: Any) -> Any:
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        if locked_for(request, username):
            raise PermissionDenied  # stops authenticate() from asking any other backend
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            record_failure(request, username)
        else:
            clear_failures(request, username)
        return user


def _throttled(seconds: int) -> ValidationError:
    minutes = max(1, math.ceil(seconds / 60))
    return ValidationError(
        ngettext("Too many failed log-in attempts. Try again in %(minutes)s minute.",
                 "Too many failed log-in attempts. Try again in %(minutes)s minutes.", minutes),
        code="throttled", params={"minutes": minutes})


class _ThrottleMessage:
    """Says "too many attempts" instead of "wrong password" while the username is locked
    (the backend refuses either way)."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if username and (seconds := locked_for(self.request, username)):
            raise _throttled(seconds)
        try:
            return super().clean()
        except ValidationError:
            if username and (seconds := locked_for(self.request, username)):  # this failure locked it
                raise _throttled(seconds) from None
            raise


class ThrottledAuthenticationForm(_ThrottleMessage, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(_ThrottleMessage, AdminAuthenticationForm):
    pass


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, "throttled"):
            response.status_code = 429
            response["Retry-After"] = str(max(1, locked_for(self.request, form.cleaned_data.get("username", ""))))
        return response
