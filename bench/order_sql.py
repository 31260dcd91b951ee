"""The SQL one order create issues, as a replayable template (used by bench/run.py).

`capture_order_create` sends one `POST /api/v1/orders/` (5 lines, an Idempotency-Key,
`submit`) through the whole Django stack in this process — middleware, authentication,
idempotency, the service, the 201 answer — and records every statement exactly as
psycopg2 sent it. The statements become a template that can run again and again:

- the values that must be unique per order (the Idempotency-Key, the order number) become
  `('b' || {u1})`-style placeholders, filled with a fresh random integer per order (the
  same one wherever the value appears, so the advisory lock, the key's delete and its
  insert still name one key);
- uuid literals (the outbox event id) become `gen_random_uuid()`;
- BEGIN and COMMIT are left out: a replay runs all the statements in one transaction;
- ids the request's own INSERTs produced (the order, the idempotency row) become
  `currval(…)` / `currval(…) - k` of their sequence, so the lines, events and updates
  refer to the rows this replay inserted. To recognise them, every sequence is moved to
  a distinctive value before the captured request.

String literals are left alone (a JSON payload that quotes an id keeps the captured one).
`render_pgbench` and `render_sql` give the template to pgbench and to the bare view.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

#: Literals in the SQL psycopg2 sends: '…' with '' for a quote (standard_conforming_strings).
_STRING = re.compile(r"'(?:[^']|'')*'")
_NUMBER = re.compile(r"(?<![\w.\"$])(\d+)(?![\w.\"])")
_UUID_LITERAL = re.compile(r"'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'::uuid")
_PLACEHOLDER = re.compile(r"\{(u\d+)\}")
#: Django logs these too; the template leaves them out.
TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK"}
#: Sequences start captured requests at SEQUENCE_BASE + n * SEQUENCE_STEP (fits an int4 column).
SEQUENCE_BASE = 1_500_000_000
SEQUENCE_STEP = 1_000_000


def _outside_strings(sql: str, replace) -> str:
    """Apply `replace` to the parts of `sql` outside string literals."""
    parts, last = [], 0
    for literal in _STRING.finditer(sql):
        parts.append(replace(sql[last:literal.start()]))
        parts.append(literal.group(0))
        last = literal.end()
    parts.append(replace(sql[last:]))
    return "".join(parts)


def make_template(statements: list[str], *, unique_strings: list[str],
                  issued: dict[str, tuple[int, int]]) -> list[str]:
    """The replayable form of `statements`.

    `unique_strings`: values that must differ per replay (each becomes `{uN}`);
    `issued`: sequence name → (first, last) value the captured request drew from it."""
    template = []
    uniques = {value: f"u{n}" for n, value in enumerate(unique_strings, start=1)}

    def ids(text: str) -> str:
        def one(match: re.Match) -> str:
            value = int(match.group(1))
            for sequence, (first, last) in issued.items():
                if first <= value <= last:
                    back = last - value
                    current = f"currval('{sequence}')"
                    return current if back == 0 else f"({current} - {back})"
            return match.group(0)

        return _NUMBER.sub(one, text)

    for sql in statements:
        if sql.strip().upper() in TRANSACTION_CONTROL:
            continue  # the replay runs everything in one transaction of its own
        for value, name in uniques.items():
            literal = "'" + value.replace("'", "''") + "'"
            sql = sql.replace(literal, f"('b' || {{{name}}})")
        sql = _UUID_LITERAL.sub("gen_random_uuid()", sql)
        template.append(_outside_strings(sql, ids))
    return template


def placeholders(template: list[str]) -> list[str]:
    return sorted({name for sql in template for name in _PLACEHOLDER.findall(sql)})


def render_sql(template: list[str], rng: random.Random | None = None) -> list[str]:
    """The statements of one replay, for a database cursor (the bare view)."""
    rng = rng or random.SystemRandom()
    values = {name: str(rng.randrange(1, 10**15)) for name in placeholders(template)}
    return [_PLACEHOLDER.sub(lambda match: values[match.group(1)], sql) for sql in template]


def render_pgbench(template: list[str]) -> str:
    """A pgbench script running the statements in one transaction, with fresh unique values."""
    lines = [f"\\set bench_{name} random(1, 999999999999999)" for name in placeholders(template)]
    lines.append("BEGIN;")
    lines += [_PLACEHOLDER.sub(lambda match: f":bench_{match.group(1)}", sql).rstrip().rstrip(";") + ";"
              for sql in template]
    lines.append("COMMIT;")
    return "\n".join(lines) + "\n"


def load(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


# --- capture (Django) ----------------------------------------------------------------------------------------

def _sequences(cursor) -> list[str]:
    cursor.execute("SELECT schemaname || '.' || sequencename FROM pg_sequences WHERE schemaname = 'public' "
                   "ORDER BY sequencename")
    return [row[0] for row in cursor.fetchall()]


def capture_order_create(*, token: str, body: dict, warm_up_body: dict) -> dict[str, Any]:
    """Send `warm_up_body`, then `body` (the captured one), each with a fresh Idempotency-Key;
    return the statements of the second and their template."""
    import uuid

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")

    def post(payload: dict, key: str):
        response = client.post("/api/v1/orders/", json.dumps(payload), content_type="application/json",
                               HTTP_IDEMPOTENCY_KEY=key)
        if response.status_code != 201:
            raise RuntimeError(f"order create answered {response.status_code}: {response.content[:500]!r}")
        return response

    post(warm_up_body, str(uuid.uuid4()))  # connection set-up and per-process caches
    with connection.cursor() as cursor:
        sequences = _sequences(cursor)
        bases = {}
        for n, sequence in enumerate(sequences):
            bases[sequence] = SEQUENCE_BASE + n * SEQUENCE_STEP
            cursor.execute("SELECT setval(%s, %s)", [sequence, bases[sequence]])
    key = f"bench-{uuid.uuid4()}"
    with CaptureQueriesContext(connection) as captured:
        response = post(body, key)
    statements = [query["sql"] for query in captured.captured_queries]
    issued = {}
    with connection.cursor() as cursor:
        for sequence in sequences:
            cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
            last, called = cursor.fetchone()
            if called and last > bases[sequence]:
                issued[sequence] = (bases[sequence] + 1, last)
    number = response.json()["number"]
    template = make_template(statements, unique_strings=[key, number], issued=issued)
    return {"statements": statements, "template": template, "issued": issued, "order_number": number,
            "idempotency_key": key}
