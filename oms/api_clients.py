"""API clients and their tokens (DESIGN.md §7): create a client with its integration
user, create and revoke scoped tokens.

A token's key is shown once, when it is created; only its SHA-256 is stored, with the
first characters (`prefix`) to recognise it in lists.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group, User
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from . import roles
from .api_tokens import hash_key
from .errors import NotFound, ValidationFailed
from .models import ApiClient, ApiScope, ApiToken
from .services import require_perm, service_transaction

#: How many characters of the key are kept in clear to recognise a token.
PREFIX_LENGTH = 8
_VALID_SCOPES = frozenset(ApiScope.values)


def clean_scopes(scopes: Iterable[str]) -> list[str]:
    """The scopes, checked against `ApiScope`, without duplicates, sorted; `ValidationFailed`
    naming the unknown ones."""
    scopes = [str(scope).strip() for scope in scopes if str(scope).strip()]
    unknown = sorted({scope for scope in scopes if scope not in _VALID_SCOPES})
    if unknown:
        raise ValidationFailed(errors={"scopes": [
            _("Unknown scope(s): %(unknown)s. Known scopes: %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(ApiScope.values)}]})
    if not scopes:
        raise ValidationFailed(errors={"scopes": [_("Give the token at least one scope.")]})
    return sorted(set(scopes))


def _integration_username(name: str) -> str:
    base = f"api-{slugify(name)[:130] or 'client'}"
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    return username


def api_client_create(*, name: str, user: User | None = None, rate_limit: int | None = None, notes: str = "",
                      is_active: bool = True, by: Any = None) -> ApiClient:
    """Create an API client. Without `user`, its own integration user is made (in the
    `integration` group, no usable password: it signs in only with tokens)."""
    if by is not None:
        require_perm(by, "oms.add_apiclient", _("You may not create API clients."))
    name = name.strip()
    if not name:
        raise ValidationFailed(errors={"name": [_("Give the client a name.")]})
    if rate_limit is not None and rate_limit < 1:
        raise ValidationFailed(errors={"rate_limit": [_("Allow at least one request a minute.")]})
    with service_transaction():
        if ApiClient.objects.filter(name=name).exists():
            raise ValidationFailed(errors={"name": [_("An API client with this name exists already.")]})
        if user is None:
            user = User(username=_integration_username(name), first_name=name[:150])
            user.set_unusable_password()
            user.save()
            user.groups.add(Group.objects.get(name=roles.INTEGRATION))
        elif ApiClient.objects.filter(user=user).exists():
            raise ValidationFailed(errors={"user": [_("This user already acts for another API client.")]})
        fields: dict[str, Any] = {"name": name, "user": user, "notes": notes, "is_active": is_active}
        if rate_limit is not None:
            fields["rate_limit"] = rate_limit
        return ApiClient.objects.create(**fields)


def api_token_create(*, client: ApiClient, name: str = "", scopes: Iterable[str], by: Any = None,
                     expires_at: datetime.datetime | None = None) -> tuple[ApiToken, str]:
    """Create a token for `client` with `scopes`; returns the token and its key, which is
    not stored anywhere and cannot be shown again."""
    if by is not None:
        require_perm(by, "oms.add_apitoken", _("You may not create API tokens."))
    scopes = clean_scopes(scopes)
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed(errors={"expires_at": [_("The expiry must be in the future.")]})
    key = secrets.token_hex(32)  # hex: a key never starts with "-", which a shell command would read as an option
    with service_transaction():
        token = ApiToken.objects.create(client=client, name=name.strip(), prefix=key[:PREFIX_LENGTH],
                                        key_hash=hash_key(key), scopes=scopes, expires_at=expires_at,
                                        created_by=by if by is not None and by.is_authenticated else None)
    return token, key


def api_token_revoke(*, token_id: int, by: Any = None) -> ApiToken:
    """Revoke a token: from now on it is refused (401). Revoking twice keeps the first time."""
    if by is not None:
        require_perm(by, "oms.change_apitoken", _("You may not revoke API tokens."))
    with service_transaction():
        token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
        if token is None:
            raise NotFound(_("No such API token."))
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    return token
