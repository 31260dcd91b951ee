"""Shared helpers of the shipping pages: permissions, paging, the shipment being shown,
refusals."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from oms.errors import ApplicationError, ValidationFailed
from oms.navigation import PAGE_SIZE, page_of, query_without  # noqa: F401 (used by the views)

from .. import selectors
from ..models import Shipment

VIEW = "logistics.view_shipment"
PLAN = "logistics.plan_shipment"
PACK = "logistics.pack_shipment"
SHIP = "logistics.ship_shipment"
TRACK = "logistics.track_shipment"


def require(request: HttpRequest, *perms: str) -> None:
    if not all(request.user.has_perm(perm) for perm in perms):
        raise PermissionDenied


def visible_shipment(request: HttpRequest, pk: int) -> Shipment:
    """The shipment with everything its pages show, if the user sees it; else 404."""
    try:
        return selectors.shipment_detail(request.user).get(pk=pk)
    except Shipment.DoesNotExist:
        raise Http404(_("Shipment not found.")) from None


def raise_refusal(exc: ApplicationError) -> None:
    """Not found and not allowed get their own pages; the rest is shown on the page."""
    if exc.status == 404:
        raise Http404(exc.message) from None
    if exc.status == 403:
        raise PermissionDenied(exc.message) from None


def refusal_messages(exc: ApplicationError) -> list[str]:
    """Every sentence of a refusal, the general one first (unless it only says that some
    fields are not valid), then each field's."""
    general = [] if isinstance(exc, ValidationFailed) and exc.errors and \
        exc.message == str(ValidationFailed.default_message) else [exc.message]
    fields = [message for messages in exc.errors.values() for message in messages if message not in general]
    return general + fields


def refusal_text(exc: ApplicationError) -> str:
    return " ".join(refusal_messages(exc))


def person(user: Any) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username
