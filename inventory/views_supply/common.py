"""Shared helpers of the planners' pages: paging, refusals, form errors, going back."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy

from oms.errors import ApplicationError

from .. import selectors

PAGE_SIZE = 25
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


def page_of(request: HttpRequest, items: QuerySet, param: str = "page") -> Page:
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get(param))


def query_without(request: HttpRequest, *drop: str) -> str:
    """The current filters for pagination links, without the page numbers."""
    query = request.GET.copy()
    for name in drop:
        query.pop(name, None)
    return query.urlencode()


def require(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def raise_refusal(exc: ApplicationError) -> None:
    """Not found and not allowed get their own pages; the rest is shown on the form."""
    if exc.status == 404:
        raise Http404(exc.message) from None
    if exc.status == 403:
        raise PermissionDenied(exc.message) from None


ROW_KEY = re.compile(r"(\w+)\[(\d+)\]\.(\w+)")


def apply_errors(exc: ApplicationError, *, form: Any = None, rows: list | None = None, rows_key: str = "",
                 field_map: dict[str, str] | None = None) -> list[str]:
    """Put a service's field errors next to their fields: `<rows_key>[i].<field>` on the
    i-th row form, other names on `form`. Returns what no field could take."""
    leftover: list[str] = []
    field_map = field_map or {}
    for key, errors in exc.errors.items():
        target, name = form, field_map.get(key, key)
        match = ROW_KEY.fullmatch(key)
        if match and rows is not None and match[1] == rows_key and int(match[2]) < len(rows):
            target, name = rows[int(match[2])], field_map.get(match[3], match[3])
        if target is not None and name in target.fields:
            for error in errors:
                target.add_error(name, error)
        else:
            leftover.extend(errors)
    if not exc.errors:
        leftover.append(exc.message)
    return leftover


def back_to(request: HttpRequest, default: str) -> HttpResponse:
    """To the page the button was on (`next`, when it is one of this site's), else `default`."""
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


def active(items: QuerySet) -> list:
    return list(items.filter(is_active=True))


def locations_of(warehouse_id: int) -> list:
    return list(selectors.location_list().filter(warehouse_id=warehouse_id).order_by("code"))
