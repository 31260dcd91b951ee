"""Exactly-once POSTs: the `Idempotency-Key` header (DESIGN.md §7).

A POST under /api/v1/ from an API client that carries a key claims it in the same
database transaction as the work (`joinable_transaction()`, which the services join):

1. On PostgreSQL, a transaction-level advisory lock on (client, key); a second request
   with the key while the first still runs gets 409 `idempotency_key_in_use`.
2. `INSERT … ON CONFLICT (client_id, key)` claims the key: a new row, or an expired one
   (older than 24 hours) reset in place; on PostgreSQL the lock and the claim are one
   statement. A live row already there was committed by an earlier request: the same
   request (method, path, body) gets that first answer replayed byte for byte with
   `Idempotent-Replayed: true`, another request gets 422 `idempotency_key_reused`.
   `idempotency_keys_purge` deletes expired keys every hour.
3. Otherwise the view runs. A 2xx answer is stored on the claim and commits with the work;
   any other answer rolls everything back, the claim included, so a corrected retry with
   the same key runs afresh.

Keys are scoped to the client; requests with no API client (sessions, bad tokens) pass
through untouched and the view answers them.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from .api_auth import ApiTokenAuthentication
from .errors import PROBLEM_CONTENT_TYPE, problem
from .models import ApiClient, IdempotencyKey
from .services import joinable_transaction

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
API_PREFIX = "/api/v1/"
#: How long a key and its answer are kept: a retry after that runs as a new request.
KEY_LIFETIME = datetime.timedelta(hours=24)
#: 1 to 255 printable ASCII characters (space to tilde), not starting or ending with a space
#: (HTTP would strip it).
KEY_PATTERN = r"^[!-~](?:[ -~]{0,253}[!-~])?$"
_KEY_RE = re.compile(KEY_PATTERN)
#: The headers of a stored answer that a replay repeats.
REPLAYED_HEADERS = ("Content-Type", "Location")


# --- the client --------------------------------------------------------------------------

def client_from_request(request: HttpRequest) -> ApiClient | None:
    """The active API client whose `Authorization: Token …` header the request carries, or
    None (no token, a bad one, or a browser session). DRF reuses what is read here; the
    token's query already requires an active client and user."""
    try:
        authenticated = ApiTokenAuthentication().authenticate(Request(request))
    except AuthenticationFailed:
        return None
    return authenticated[1].client if authenticated else None


# --- claiming a key ----------------------------------------------------------------------

def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests "the same": method, path (with its query) and the raw body."""
    digest = hashlib.sha256()
    for part in (method.encode(), b"\n", path.encode(), b"\n", body):
        digest.update(part)
    return digest.hexdigest()


@dataclass(frozen=True)
class Claim:
    """The outcome of `idempotency_claim`: exactly one of the three is set."""

    claimed_id: int | None = None  # the key is ours: run the request, then record its answer
    earlier: IdempotencyKey | None = None  # a request with the key finished before
    busy: bool = False  # a request with the key is running now


def _lock(client_id: int, key: str) -> bool:
    """Take the transaction-level advisory lock on (client, key); False when another
    transaction holds it. SQLite serialises writers (`transaction_mode: IMMEDIATE`) and has
    no advisory locks: nothing to take there."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, hashtext(%s))", [client_id & 0x7FFFFFFF, key])
        return bool(cursor.fetchone()[0])


def _claim(values: dict[str, Any], *, expired_before: datetime.datetime) -> int | None:
    """Claim the key in one statement — a new row, or the row of an expired key reset in
    place — and on PostgreSQL take the advisory lock on (client, key) in the same
    statement, claiming only if it was free. The claim's id, or None when the key is taken
    (or, on PostgreSQL, the lock is held elsewhere). SQLite serialises writers
    (`transaction_mode: IMMEDIATE`) and has no advisory locks."""
    meta, quote = IdempotencyKey._meta, connection.ops.quote_name
    fields = [meta.get_field(name) for name in values]
    table, columns = quote(meta.db_table), [quote(f.column) for f in fields]
    client_column, key_column = (quote(meta.get_field(name).column) for name in ("client", "key"))
    reset = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns)
    status, created = (quote(meta.get_field(name).column) for name in ("response_status", "created_at"))
    placeholders = ", ".join(["%s"] * len(fields))
    params = [f.get_db_prep_save(values[f.name], connection) for f in fields]
    if connection.vendor == "postgresql":
        rows = f"SELECT {placeholders} FROM lock WHERE lock.held"
        lock = "WITH lock AS (SELECT pg_try_advisory_xact_lock(%s, hashtext(%s)) AS held) "
        params = [values["client"] & 0x7FFFFFFF, values["key"], *params]
    else:
        rows, lock = f"VALUES ({placeholders})", ""
    sql = (f"{lock}INSERT INTO {table} ({', '.join(columns)}) {rows} ON CONFLICT ({client_column}, {key_column}) "
           f"DO UPDATE SET {reset}, {status} = NULL WHERE {table}.{created} < %s RETURNING {quote(meta.pk.column)}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, expired_before])
        row = cursor.fetchone()
    return row[0] if row else None


def idempotency_claim(*, client: ApiClient, key: str, method: str, path: str, request_hash: str) -> Claim:
    """Claim `key` for `client`, or say who has it.

    Precondition: runs inside the transaction of the request's work
    (`joinable_transaction()`): the claim commits or rolls back with it, and the advisory
    lock is held until then."""
    now = timezone.now()
    values = {"client": client.pk, "key": key, "method": method, "path": path[:500], "request_hash": request_hash,
              "response_headers": {}, "response_body": b"", "created_at": now}
    claimed_id = _claim(values, expired_before=now - KEY_LIFETIME)
    if claimed_id is not None:
        return Claim(claimed_id=claimed_id)
    # not claimed: another transaction holds the lock (taking it again is a no-op for the
    # holder), or the key is taken
    if not _lock(client.pk, key):
        return Claim(busy=True)
    earlier = IdempotencyKey.objects.filter(client=client, key=key).first()
    if earlier is None or earlier.response_status is None:  # cannot be committed so; be safe all the same
        return Claim(busy=True)
    return Claim(earlier=earlier)


def idempotency_record(*, claimed_id: int, response: HttpResponse) -> None:
    """Store the answer on the claim, in the request's transaction."""
    headers = {name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)}
    IdempotencyKey.objects.filter(pk=claimed_id).update(
        response_status=response.status_code, response_headers=headers, response_body=bytes(response.content))


def idempotency_keys_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete the keys older than 24 hours; how many. Beat runs it every hour."""
    deleted, _counts = IdempotencyKey.objects.filter(created_at__lt=(now or timezone.now()) - KEY_LIFETIME).delete()
    return deleted


# --- the middleware ----------------------------------------------------------------------

def _problem_response(request: HttpRequest, status: int, title: str, detail: str, code: str) -> JsonResponse:
    body = problem(status, title, detail, code=code, instance=request.path)
    return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)


def _replay(earlier: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(bytes(earlier.response_body), status=earlier.response_status,
                            content_type=earlier.response_headers.get("Content-Type"))
    if "Location" in earlier.response_headers:
        response["Location"] = earlier.response_headers["Location"]
    response[REPLAY_HEADER] = "true"
    return response


class IdempotencyMiddleware:
    """Applies the `Idempotency-Key` policy (see the module docstring) to API POSTs. Sits
    after AuthenticationMiddleware; Django renders DRF responses before they come back
    here, so `response.content` is final."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        client = client_from_request(request)
        if client is None:
            return self.get_response(request)  # the view answers 401 (or serves the session user)
        if not _KEY_RE.fullmatch(key):
            return _problem_response(request, 400, _("Bad request"), _(
                "The Idempotency-Key header must be 1 to 255 printable ASCII characters, not starting or ending "
                "with a space."),
                "invalid_idempotency_key")
        try:
            body = request.body
        except RequestDataTooBig:
            return _problem_response(request, 413, _("Request too large"),
                                     _("The request body is too large."), "request_too_large")
        request_hash = request_fingerprint(request.method, request.get_full_path(), body)
        with joinable_transaction():
            claim = idempotency_claim(client=client, key=key, method=request.method, path=request.path,
                                      request_hash=request_hash)
            if claim.busy:
                response = _problem_response(request, 409, _("Conflict"), _(
                    "A request with this Idempotency-Key is still running; retry later."), "idempotency_key_in_use")
                response["Retry-After"] = "1"
                return response
            if claim.earlier is not None:
                if claim.earlier.request_hash == request_hash:
                    return _replay(claim.earlier)
                return _problem_response(request, 422, _("Unprocessable content"), _(
                    "This Idempotency-Key was already used for a different request (method, path or body); "
                    "use a new key for a new request."), "idempotency_key_reused")
            response = self.get_response(request)
            if 200 <= response.status_code < 300:
                if response.streaming:  # none of ours stream; kept whole so that it can be replayed
                    response = HttpResponse(b"".join(response.streaming_content), status=response.status_code,
                                            headers=dict(response.items()))
                idempotency_record(claimed_id=claim.claimed_id, response=response)
            else:  # nothing of a failed request persists, the claim neither: a corrected retry runs afresh
                transaction.set_rollback(True)
        return response


# --- the schema --------------------------------------------------------------------------

def _policy() -> str:
    return _(
        "Makes the POST exactly-once. Send a unique value (e.g. a UUID) per intended request and the same value on "
        "every retry of it. Keys are scoped to the API client and kept for 24 hours. A retry with the same key, "
        "method, path and body gets the first successful answer again, byte for byte, with the header "
        "`Idempotent-Replayed: true`, and changes nothing; while the first request is still running a retry gets "
        "409 `idempotency_key_in_use` (with `Retry-After`); the same key with another body gets 422 "
        "`idempotency_key_reused`. An error answer is not kept: a corrected retry with the same key runs afresh.")


def _problem_content(schemas: dict[str, Any]) -> dict[str, Any]:
    schema = ({"$ref": "#/components/schemas/Problem"} if "Problem" in schemas
              else {"type": "object", "properties": {name: {"type": "string"} for name in
                                                      ("type", "title", "detail", "code")}})
    return {PROBLEM_CONTENT_TYPE: {"schema": schema}}


def _document(responses: dict[str, Any], status: str, description: str, schemas: dict[str, Any]) -> dict[str, Any]:
    """Add `description` to the operation's answer `status`, documenting the answer if it was not."""
    if status in responses:
        responses[status]["description"] = f"{responses[status].get('description', '')} {description}".strip()
    else:
        responses[status] = {"description": description, "content": _problem_content(schemas)}
    return responses[status]


def idempotency_schema_hook(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every POST documents the optional
    `Idempotency-Key` header and its 400, 409 and 422 answers."""
    schemas = result.get("components", {}).get("schemas", {})
    parameter = {
        "in": "header", "name": HEADER, "required": False, "description": _policy(),
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": KEY_PATTERN},
    }
    invalid = _("`invalid_idempotency_key`: the Idempotency-Key header is not 1 to 255 printable ASCII "
                "characters (no space first or last).")
    in_use = _("`idempotency_key_in_use`: a request with the same Idempotency-Key is still running; retry "
               "after `Retry-After` seconds.")
    for operations in result.get("paths", {}).values():
        operation = operations.get("post")
        if operation is None:
            continue
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("in") == "header" and p.get("name") == HEADER for p in parameters):
            parameters.append(copy.deepcopy(parameter))  # no shared objects: YAML would write aliases
        responses = operation.setdefault("responses", {})
        _document(responses, "400", invalid, schemas)
        conflict = _document(responses, "409", in_use, schemas)
        conflict.setdefault("headers", {})["Retry-After"] = {
            "schema": {"type": "integer"}, "description": _("Seconds to wait before retrying (on 409 "
                                                            "`idempotency_key_in_use`).")}
        responses["422"] = {"description": _(
            "`idempotency_key_reused`: the Idempotency-Key was already used for a different request."),
            "content": _problem_content(schemas)}
    return result
