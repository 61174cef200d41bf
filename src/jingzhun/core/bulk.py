"""Fast set-based writes for imports: COPY on PostgreSQL, executemany on SQLite.

The ORM's bulk_create is fine for thousands of rows; a province import writes millions, so rows go to
the database as tuples in the column order given, inside the caller's transaction.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from django.db import connection, models

log = logging.getLogger(__name__)


def _field(model: type[models.Model], name: str) -> Any:
    for f in model._meta.concrete_fields:
        if name in (f.name, f.attname):
            return f
    raise LookupError(f"{model.__name__} has no field {name}")


def _table_and_columns(model: type[models.Model], fields: Sequence[str]) -> tuple[str, list[str]]:
    meta = model._meta
    columns = [_field(model, f).column for f in fields]
    return meta.db_table, columns


def _defaults(model: type[models.Model], fields: Sequence[str]) -> tuple[list[str], list[Any]]:
    """Fields the caller left out that have a model default (the ORM would have filled them in)."""
    names, values = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key or f.name in fields or f.attname in fields:
            continue
        if not f.has_default() and (f.null or not f.empty_strings_allowed):
            continue
        names.append(f.name)
        values.append(f.get_default())
    return names, values


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]], *, json_text: bool = False
) -> int:
    """Insert plain tuples. JSON fields take Python lists/dicts, or JSON text with ``json_text=True``.

    Fields not named that have a model default get it, as they would through the ORM.
    """
    extra_names, extra_values = _defaults(model, fields)
    if extra_names:
        fields = [*fields, *extra_names]
        rows = ((*row, *extra_values) for row in rows)
    table, columns = _table_and_columns(model, fields)
    qn = connection.ops.quote_name
    col_sql = ", ".join(qn(c) for c in columns)
    json_idx = [] if json_text else [i for i, f in enumerate(fields) if isinstance(_field(model, f), models.JSONField)]
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg 3 cursor
            with raw.copy(f"COPY {qn(table)} ({col_sql}) FROM STDIN") as copy:
                for row in rows:
                    if json_idx:
                        row = list(row)
                        for i in json_idx:
                            row[i] = json.dumps(row[i], ensure_ascii=False)
                    copy.write_row(row)
                    count += 1
        else:
            sql = f"INSERT INTO {qn(table)} ({col_sql}) VALUES ({', '.join(['?'] * len(columns))})"
            counted = _Counter(_json_encoded(rows, json_idx) if json_idx else rows)
            # sqlite3's own executemany streams the rows; Django's wrapper would copy the iterator first.
            sqlite3.Cursor.executemany(cursor.cursor, sql, counted)
            count = counted.n
    return count


class _Counter:
    def __init__(self, rows: Iterable[Sequence[Any]]) -> None:
        self.rows = iter(rows)
        self.n = 0

    def __iter__(self) -> _Counter:
        return self

    def __next__(self) -> Sequence[Any]:
        row = next(self.rows)
        self.n += 1
        return row


def _json_encoded(rows: Iterable[Sequence[Any]], json_idx: list[int]) -> Iterator[Sequence[Any]]:
    for row in rows:
        row = list(row)
        for i in json_idx:
            row[i] = json.dumps(row[i], ensure_ascii=False)
        yield row


def reserve_ids(model: type[models.Model], count: int) -> int:
    """Reserve ``count`` consecutive primary keys and return the first; the table stays locked for writers
    until the transaction ends, so nobody else can take them."""
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, model._meta.pk.column])  # type: ignore[union-attr]
            sequence = cursor.fetchone()[0]
            cursor.execute(f"SELECT greatest((SELECT coalesce(max({pk}), 0) FROM {table}), "
                           f"(SELECT last_value FROM {sequence})) + 1")
            first = int(cursor.fetchone()[0])
            cursor.execute("SELECT setval(%s, %s, true)", [sequence, first + count - 1])
            return first
        # SQLite: the import's IMMEDIATE transaction already holds the write lock.
        cursor.execute(f"SELECT coalesce(max({pk}), 0) FROM {table}")
        return int(cursor.fetchone()[0]) + 1


def load_query(con: Any, model: type[models.Model], fields: Sequence[str], sql: str) -> int:
    """Stream the rows of a DuckDB query into a table: COPY … FROM STDIN (CSV) on PostgreSQL, executemany
    on SQLite. The query's columns are in the order of ``fields``; JSON columns come as JSON text."""
    started = time.perf_counter()
    if connection.vendor != "postgresql":
        cursor = con.execute(sql)
        count = insert_rows(model, fields, _fetchmany(cursor), json_text=True)
        log.info("loaded %s rows into %s in %.2f s", count, model._meta.db_table, time.perf_counter() - started)
        return count
    extra_names, extra_values = _defaults(model, fields)
    if extra_names:
        literals = ", ".join("'" + json.dumps(v) + "'" if isinstance(v, list | dict) else
                             ("NULL" if v is None else "'" + str(v).replace("'", "''") + "'") for v in extra_values)
        sql = f"SELECT *, {literals} FROM ({sql})"
        fields = [*fields, *extra_names]
    table, columns = _table_and_columns(model, fields)
    qn = connection.ops.quote_name
    with tempfile.TemporaryDirectory(prefix="jz-copy-") as tmp:
        path = Path(tmp) / "rows.csv"
        count = int(con.execute(f"COPY ({sql}) TO '{path}' (FORMAT csv, HEADER false)").fetchone()[0])
        with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {qn(table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN (FORMAT csv)"
        ) as copy, path.open("rb") as fh:
            while block := fh.read(1 << 20):
                copy.write(block)
    log.info("loaded %s rows into %s in %.2f s", count, table, time.perf_counter() - started)
    return count


def _fetchmany(cursor: Any, size: int = 20000) -> Iterator[Sequence[Any]]:
    while chunk := cursor.fetchmany(size):
        yield from chunk


def db_datetime(value: Any) -> Any:
    """A timestamp as the database driver takes it (ISO text for SQLite), converted once per import."""
    return connection.ops.adapt_datetimefield_value(value)


def ids_by_key(model: type[models.Model], key: str, values: Sequence[str], chunk: int = 5000) -> dict[str, int]:
    """Map natural keys to primary keys for many values at once."""
    result: dict[str, int] = {}
    manager = model._default_manager
    for start in range(0, len(values), chunk):
        part = values[start : start + chunk]
        result.update({k: pk for pk, k in manager.filter(**{f"{key}__in": part}).values_list("pk", key)})
    return result
