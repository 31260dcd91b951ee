"""`Authorization: Token <key>`: API clients authenticate with hashed, scoped tokens.

The request acts as the client's integration user (its role permissions apply) and
`request.auth` is the `ApiToken`, whose scopes `oms.permissions.ScopePermission` checks.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from .api_tokens import hash_key
from .models import ApiToken

KEYWORD = "Token"
#: `last_used_at` is written at most this often per token, so a busy client does not
#: write on every request.
LAST_USED_PRECISION = datetime.timedelta(seconds=60)
#: Where a request keeps its authenticated (user, token): the token is read once per
#: request, whoever asks first (the idempotency middleware, then DRF).
_AUTHENTICATED = "_oms_api_token"


class ApiTokenAuthentication(BaseAuthentication):
    """A valid token: known, not revoked, not expired, of an active client whose user is
    active. Anything else in the header is refused with 401; no header → next authenticator."""

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        http_request = getattr(request, "_request", request)
        known = getattr(http_request, _AUTHENTICATED, None)
        if known is not None:  # the idempotency middleware read this request's token already
            return known
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header: give `Token <key>`."))
        try:
            key = parts[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token header: give `Token <key>`.")) from None
        authenticated = self.authenticate_credentials(key)
        setattr(http_request, _AUTHENTICATED, authenticated)
        return authenticated

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        now = timezone.now()
        token = (ApiToken.objects.select_related("client__user")
                 .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now), key_hash=hash_key(key),
                         revoked_at__isnull=True, client__is_active=True, client__user__is_active=True)
                 .first())
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token: unknown, revoked or expired."))
        self._touch(token, now)
        return token.client.user, token

    @staticmethod
    def _touch(token: ApiToken, now: datetime.datetime) -> None:
        """Record the use; one UPDATE a minute at most (the filter makes concurrent requests
        agree without locking)."""
        stale = now - LAST_USED_PRECISION
        if token.last_used_at is not None and token.last_used_at > stale:
            return
        (ApiToken.objects.filter(pk=token.pk)
         .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale))
         .update(last_used_at=now))
        token.last_used_at = now

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD  # makes a missing or bad token a 401 with `WWW-Authenticate: Token`


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The token in the OpenAPI schema (drf-spectacular finds it by `target_class`)."""

    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": str(_("`Token <key>`: the key of an API token (shown once, when it is created)."))}
