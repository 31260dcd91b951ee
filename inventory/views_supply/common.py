"""Shared helpers of the planners' pages: paging, refusals, form errors, going back."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy

from oms.errors import ApplicationError
from oms.navigation import PAGE_SIZE, page_of, query_without  # noqa: F401 (used by the views)

from .. import selectors

PLAN = "inventory.plan_supply"
RECEIVE = "inventory.receive_stock"

STEP_LABELS = {
    "release": gettext_lazy("Released to production"),
    "start": gettext_lazy("Production started"),
    "resume": gettext_lazy("Production resumed"),
    "send": gettext_lazy("Marked as sent to the supplier"),
    "confirm": gettext_lazy("The supplier's confirmation is recorded"),
    "close": gettext_lazy("Closed short"),
    "cancel": gettext_lazy("Cancelled"),
}


def require(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def raise_refusal(exc: ApplicationError) -> None:
    """Not found and not allowed get their own pages; the rest is shown on the form."""
    if exc.status == 404:
        raise Http404(exc.message) from None
    if exc.status == 403:
        raise PermissionDenied(exc.message) from None


def active(items: QuerySet) -> list:
    return list(items.filter(is_active=True))


def locations_of(warehouse_id: int) -> list:
    return list(selectors.location_list().filter(warehouse_id=warehouse_id).order_by("code"))
