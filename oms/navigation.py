"""Page navigation shared by the apps."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def redirect_back(request: HttpRequest, default: str) -> HttpResponse:
    """To the page the button was on — the path posted as `next`, when it is one of this
    site's — else to `default` (a URL)."""
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


#: Rows per page of the staff lists.
PAGE_SIZE = 25


def page_of(request: HttpRequest, items: Any, param: str = "page") -> Page:
    """The page of `items` asked for in `?<param>=` (the last one for a number past the end)."""
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get(param))


def query_without(request: HttpRequest, *drop: str) -> str:
    """The current filters for pagination links, without the page numbers."""
    query = request.GET.copy()
    for name in drop:
        query.pop(name, None)
    return query.urlencode()
