"""PostgreSQL COPY for the bench loaders: rows of a model written as COPY text, in chunks,
sent by a background thread (`Copier`) while the loader builds the next ones (psycopg2
lets go of the GIL while the server works, so two cores are both busy).

Ids are given by the loader (so children can point at parents without reading anything
back); `finish()` moves each table's identity sequence past the largest id, so the
application's own inserts never collide with loaded rows. Every NOT NULL column the
loader does not name gets the model field's default (an error if it has none).
"""

from __future__ import annotations

import datetime
import io
import json
import queue
import threading
from decimal import Decimal
from typing import Any

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
CHUNK_ROWS = 20_000


def _json(value: Any) -> str:
    if not value:
        return "{}" if isinstance(value, dict) else "[]"
    return json.dumps(value, ensure_ascii=False).translate(_ESCAPES)


_ENCODERS: dict[type, Any] = {
    type(None): lambda _value: r"\N",
    bool: lambda value: "t" if value else "f",
    int: str,
    Decimal: str,
    str: lambda value: value.translate(_ESCAPES),
    datetime.date: datetime.date.isoformat,
    datetime.datetime: datetime.datetime.isoformat,  # with its offset
    dict: _json,
    list: _json,
}


def encode(value: Any) -> str:
    """One value in PostgreSQL's COPY text format (one dictionary look-up: this runs
    millions of times)."""
    return _ENCODERS[type(value)](value)


class Copier:
    """Sends COPY chunks on one psycopg2 cursor from a background thread, in order. Any
    other use of the cursor must `drain()` first; an error in the thread is raised by
    the next `send` or `drain`."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.chunks: queue.Queue = queue.Queue(maxsize=3)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="copier", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            sql, text = self.chunks.get()
            try:
                if sql is not None and self.error is None:
                    self.cursor.copy_expert(sql, io.StringIO(text), size=1 << 20)
            except BaseException as exc:  # handed to the loader's thread
                self.error = exc
            finally:
                self.chunks.task_done()
            if sql is None:
                return

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def send(self, sql: str, text: str) -> None:
        self._raise()
        self.chunks.put((sql, text))

    def drain(self) -> Any:
        """Wait until every chunk is in; the cursor is free to use."""
        self.chunks.join()
        self._raise()
        return self.cursor

    def close(self) -> None:
        self.drain()
        self.chunks.put((None, ""))
        self.thread.join()


class Table:
    """Rows of one model, sent with COPY every CHUNK_ROWS rows (and on flush)."""

    def __init__(self, copier: Copier, model: Any, fields: list[str]) -> None:
        meta = model._meta
        self.copier, self.model, self.name = copier, model, meta.db_table
        by_name = {f.name: f for f in meta.concrete_fields} | {f.attname: f for f in meta.concrete_fields}
        named = [by_name[field] for field in fields]
        rest = [f for f in meta.concrete_fields if f not in named and not f.primary_key and not f.null]
        for field in rest:
            if field.get_default() is None:
                raise ValueError(f"{self.name}.{field.column} needs a value: the loader must name it")
        columns = [f.column for f in named + rest]
        self.suffix = "".join("\t" + encode(field.get_default()) for field in rest)
        self.sql = f"COPY {self.name} ({', '.join(columns)}) FROM STDIN"
        self.rows: list[str] = []
        self.count = 0
        cursor = copier.drain()
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {self.name}")
        self.last_id = cursor.fetchone()[0]

    def next_id(self) -> int:
        self.last_id += 1
        return self.last_id

    def add(self, *values: Any) -> None:
        self.rows.append("\t".join(map(encode, values)) + self.suffix)
        if len(self.rows) >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.copier.send(self.sql, "\n".join(self.rows) + "\n")
            self.count += len(self.rows)
            self.rows = []

    def finish(self) -> None:
        """Send what is left and move the table's id sequence past the loaded rows."""
        self.flush()
        self.copier.drain().execute(f"SELECT setval(pg_get_serial_sequence('{self.name}', 'id'), "
                                    f"(SELECT COALESCE(MAX(id), 1) FROM {self.name}))")


def drop_foreign_keys(cursor: Any, tables: list[str]) -> list[tuple[str, str, str]]:
    """Drop the foreign keys of these tables (checking them row by row at the commit costs
    more than the load); returns what `restore_foreign_keys` puts back, validated. Checks
    the rows written so far in the transaction first (a table with pending checks cannot
    be altered)."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])", [tables])
    dropped = cursor.fetchall()
    for table, name, _definition in dropped:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    return dropped


def restore_foreign_keys(cursor: Any, dropped: list[tuple[str, str, str]]) -> None:
    """Add the foreign keys again, as they were; each is checked once, with one join."""
    for table, name, definition in dropped:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
