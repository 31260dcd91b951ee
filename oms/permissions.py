"""API permission: a token's scopes, then the Django model permission of the role.

Every API view names its area (`api_scope = "orders"`). A request authenticated with an
API token needs `<area>:read` for safe methods and `<area>:write` for the others (a write
scope includes its read); a view may name another scope for some of its actions with
`api_scope_actions = {"tracking_events": {"POST": "tracking:write"}}` (or a scope string
for every method of the action). `api_scope = None` opens a view to every valid token.
Browser sessions are not scope-checked: their role decides.

Reads need `view_<model>` (DRF's DjangoModelPermissions lets every GET through).
Which rows a user may see is decided by the selectors, not here.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.permissions import SAFE_METHODS, BasePermission, DjangoModelPermissions
from rest_framework.request import Request

from .api_tokens import scopes_cover
from .models import ApiToken

_UNDECLARED = object()


def _insufficient_scope(message: str, scope: str | None = None) -> Exception:
    """403 `insufficient_scope` (naming the scope in `required_scope`)."""
    # imported here: oms.errors imports DRF's views, whose settings load this module
    from .errors import PermissionDenied

    return PermissionDenied(message, code="insufficient_scope", extra={"required_scope": scope} if scope else None)


def required_scope(view: Any, method: str) -> str | None:
    """The scope a token needs to call `view` with `method`; None: any valid token.
    A view that declares no area cannot be called with a token (fail closed)."""
    overrides = getattr(view, "api_scope_actions", None) or {}
    override = overrides.get(getattr(view, "action", None))
    if isinstance(override, dict):
        override = override.get(method.upper())
    if override:
        return str(override)
    area = getattr(view, "api_scope", _UNDECLARED)
    if area is _UNDECLARED:
        raise _insufficient_scope(_("This endpoint is not open to API tokens."))
    if area is None:
        return None
    return f"{area}:read" if method.upper() in SAFE_METHODS else f"{area}:write"


class ScopePermission(BasePermission):
    """An authenticated caller; with an API token, one whose scopes cover the view's area
    (403 `insufficient_scope` naming the scope otherwise). Use it in place of
    `IsAuthenticated` on views that choose their own permissions."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        scope = required_scope(view, request.method)
        if scope is not None and not scopes_cover(token.scopes, scope):
            raise _insufficient_scope(_("This token lacks the scope %(scope)s.") % {"scope": scope}, scope)
        return True


class ModelRolePermission(ScopePermission, DjangoModelPermissions):
    """The token's scope (see `ScopePermission`), then the role's model permission. The
    permissions that narrow this one (ViewThenServiceChecks, ServiceChecksRole…) inherit
    the scope check."""

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": [],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def has_permission(self, request: Request, view: Any) -> bool:
        return ScopePermission.has_permission(self, request, view) and DjangoModelPermissions.has_permission(
            self, request, view)
