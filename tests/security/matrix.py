"""Reading the tables of spec.py, and classifying what a client got.

A table is a block of text: a header row naming the columns (the clients), then one row
per request: `<url name> <arguments>` and one outcome per column; `#` starts a comment
line. Arguments are `kwarg=world-key` pairs (a single kwarg may be given as just the world
key), an optional `?query` whose `{world-key}` parts are filled in, and an optional
`data:field=value&…` for a POST."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import get_resolver, reverse

from .world import PDF

#: Column name in the tables → key of the client (a role of tests/conftest.py `users`,
#: `sales2`: a second sales user who owns customer B, or `anon`: not logged in).
COLUMNS = {
    "sales": "sales", "sales2": "sales2", "desk": "order_desk", "review": "reviewer", "plan": "planner",
    "wareh": "warehouse", "logist": "logistics", "manag": "manager", "integr": "integration", "anon": "anon",
}
PAGE_NAMESPACES = ("orders", "customers", "inventory", "logistics")


@dataclass(frozen=True)
class Row:
    name: str
    kwargs: tuple[tuple[str, str], ...]
    query: str
    data: str
    expected: dict[str, str]  # client key → outcome

    @property
    def label(self) -> str:
        args = " ".join(f"{k}={v}" for k, v in self.kwargs)
        extra = (f" ?{self.query}" if self.query else "") + (f" data:{self.data}" if self.data else "")
        return f"{self.name} {args}{extra}".strip()

    def post_data(self) -> dict[str, Any]:
        """The form data; `@pdf` stands for a small PDF file."""
        data: dict[str, Any] = dict(pair.split("=", 1) for pair in self.data.split("&")) if self.data else {}
        return {key: SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf") if value == "@pdf"
                else value for key, value in data.items()}

    def url(self, world, *, prefix: str = "") -> str:
        kwargs = {key: world[value] if value in world.ids else value for key, value in self.kwargs}
        url = reverse(prefix + self.name, kwargs=kwargs)
        if self.query:
            url += "?" + re.sub(r"\{(\w+)\}", lambda m: str(world[m.group(1)]), self.query)
        return url


def _kwarg_names(name: str) -> list[str]:
    namespace, _sep, short = name.rpartition(":")
    resolver = get_resolver().namespace_dict[namespace][1] if namespace else get_resolver()
    return list(resolver.reverse_dict[short][0][0][1])


def parse_table(text: str) -> list[Row]:
    lines = [line for line in text.strip().splitlines() if line.strip() and not line.lstrip().startswith("#")]
    header = lines[0].split()
    columns = [COLUMNS[column] for column in header[1:]]
    rows = []
    for line in lines[1:]:
        parts = line.split()
        outcomes = parts[-len(columns):]
        name, *args = parts[:-len(columns)]
        query = data = ""
        if args and args[-1].startswith("data:"):
            data = args.pop()[len("data:"):]
        if args and args[-1].startswith("?"):
            query = args.pop()[1:]
        names = _kwarg_names(name)
        kwargs = []
        for arg in args:
            key, sep, value = arg.partition("=")
            kwargs.append((key, value) if sep else (names[0], key))
        rows.append(Row(name, tuple(kwargs), query, data, dict(zip(columns, outcomes, strict=True))))
    return rows


def page_names() -> set[str]:
    """Every named URL of the page namespaces, as the resolver knows them."""
    resolver = get_resolver()
    return {f"{ns}:{name}" for ns in PAGE_NAMESPACES
            for name in resolver.namespace_dict[ns][1].reverse_dict if isinstance(name, str)}


def api_routes() -> dict[str, set[str]]:
    """Every named URL of the API router (not its format-suffix twins) and the HTTP methods
    it answers (the API root: GET)."""
    from oms.urls import router

    routes: dict[str, set[str]] = {}
    for url in router.urls:
        if url.name and "format" not in str(url.pattern):
            actions = getattr(url.callback, "actions", None) or {"get": "root"}
            routes.setdefault(url.name, set()).update(method.upper() for method in actions)
    return routes


def outcome(response) -> str:
    """200, 403, 404, 405… as a string; a redirect to the login page (or the API's 401) is
    `login`, any other redirect `302`."""
    if response.status_code in (301, 302, 303):
        return "login" if "/accounts/login/" in response["Location"] else "302"
    if response.status_code == 401:
        return "login"
    return str(response.status_code)


def action_outcome(response) -> str:
    """What a POST did: `done` (redirected with no error message), `no` (refused with an
    error message, or the form shown again with its errors), else as `outcome`."""
    seen = outcome(response)
    if seen in ("login", "403", "404", "405"):
        return seen
    # only the messages this request added (earlier, unread ones are loaded with it)
    shown = getattr(getattr(response.wsgi_request, "_messages", None), "_queued_messages", [])
    if response.status_code in (301, 302, 303) and not any(m.level >= messages.ERROR for m in shown):
        return "done"
    return "no"


@contextlib.contextmanager
def rolled_back() -> Iterator[None]:
    """One request's changes, undone afterwards (a savepoint the services may run inside)."""
    savepoint = transaction.atomic()
    savepoint._from_testcase = True
    with savepoint:
        yield
        transaction.set_rollback(True)
