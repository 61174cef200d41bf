"""Fast set-based writes for imports: COPY on PostgreSQL, executemany on SQLite.

The ORM's bulk_create is fine for thousands of rows; a province import writes millions, so rows go to
the database as tuples in the column order given, inside the caller's transaction.
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, models

from jingzhun.core import quoting

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
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    json_text: bool = False,
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
    json_idx = (
        []
        if json_text
        else [i for i, f in enumerate(fields) if isinstance(_field(model, f), models.JSONField)]
    )
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
    column = model._meta.pk.column
    assert column is not None  # a concrete primary key has a column
    pk = connection.ops.quote_name(column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, column])
            sequence = cursor.fetchone()[0]
            cursor.execute(
                f"SELECT greatest((SELECT coalesce(max({pk}), 0) FROM {table}), "
                f"(SELECT last_value FROM {sequence})) + 1"
            )
            first = int(cursor.fetchone()[0])
            cursor.execute("SELECT setval(%s, %s, true)", [sequence, first + count - 1])
            return first
        # SQLite: the import's IMMEDIATE transaction already holds the write lock.
        cursor.execute(f"SELECT coalesce(max({pk}), 0) FROM {table}")
        return int(cursor.fetchone()[0]) + 1


@dataclass(frozen=True)
class Load:
    """Rows for one table: a DuckDB query whose columns are in the order of ``fields`` (JSON as text)."""

    model: type[models.Model]
    fields: Sequence[str]
    sql: str


def load_queries(con: Any, loads: Sequence[Load], *, then: Sequence[str] = ()) -> list[int]:
    """Stream DuckDB queries into tables, in order; return the row counts. ``then``: DuckDB statements to run
    once the rows are out (a batch's Parquet copy), off the critical path where possible.

    PostgreSQL: binary COPY. A worker thread runs each query in DuckDB, casts its columns to the table's
    own column types and encodes the Arrow batches in PostgreSQL's binary COPY format (``pgpq``) while the
    main thread sends the previous ones, so DuckDB and the server work at the same time (two cores) and
    neither side prints or parses a number or date as text. A table with a column type the encoder cannot
    write goes by CSV instead. SQLite: executemany, one table after the other.
    """
    if connection.vendor != "postgresql":
        counts = [_insert_query(con, load) for load in loads]
        for sql in then:
            con.execute(sql)
        return counts
    counts = []
    plans = [_binary_plan(load) for load in loads]
    with tempfile.TemporaryDirectory(prefix="jz-copy-") as tmp, ThreadPoolExecutor(1) as pool:
        worker = con.cursor()  # a DuckDB connection of its own to the same database, for the other thread
        streams: list[queue.Queue[Any]] = []
        exports: list[Future[Any]] = []
        for k, (load, plan) in enumerate(zip(loads, plans, strict=True)):
            if plan is None:
                exports.append(pool.submit(_export_csv, worker, load, Path(tmp) / f"{k}.csv"))
            else:
                stream: queue.Queue[Any] = queue.Queue(maxsize=_QUEUED_BLOCKS)
                streams.append(stream)
                exports.append(pool.submit(_export_binary, worker, plan, stream))
        tails = [pool.submit(worker.execute, sql) for sql in then]
        pending = iter(streams)
        try:
            for load, plan, export in zip(loads, plans, exports, strict=True):
                started = time.perf_counter()
                count: int
                if plan is None:
                    fields, path, count = export.result()
                    _copy_csv(load.model, fields, path)
                    path.unlink()
                else:
                    _copy_binary(plan, next(pending))
                    count = export.result()
                counts.append(count)
                log.info(
                    "loaded %s rows into %s in %.2f s",
                    count,
                    load.model._meta.db_table,
                    time.perf_counter() - started,
                )
        except BaseException:
            for future in [*exports, *tails]:
                future.cancel()
            for stream in streams:  # let a worker blocked on a full queue see that nobody reads it any more
                _abandon(stream)
            raise
        for tail in tails:
            tail.result()
    return counts


# Encoded blocks a worker may be ahead of the COPY (each is one Arrow batch of _BATCH_ROWS rows, a few MB).
_QUEUED_BLOCKS = 64
_BATCH_ROWS = 50_000
_END = object()


@dataclass(frozen=True)
class _BinaryPlan:
    model: type[models.Model]
    table: str
    columns: list[str]
    sql: str  # the load's query with every column cast to the table's type
    jsonb: frozenset[int]  # positions of jsonb columns (text in DuckDB)
    inet: frozenset[int]  # positions of inet columns (text in DuckDB, encoded in Python per distinct value)


# PostgreSQL column type (format_type) → DuckDB type whose Arrow form pgpq encodes as that column's binary.
_DUCK_TYPES = {
    "smallint": "SMALLINT",
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "text": "VARCHAR",
    "character varying": "VARCHAR",
    "jsonb": "VARCHAR",
    "inet": "VARCHAR",
    "timestamp with time zone": "TIMESTAMPTZ",
    "timestamp without time zone": "TIMESTAMP",
    "double precision": "DOUBLE",
    "real": "FLOAT",
}


def _duck_type(pg_type: str) -> str | None:
    base = pg_type.split("(", 1)[0]
    if base == "numeric":  # numeric(p, s): DuckDB's DECIMAL(p, s) leaves as decimal128, pgpq writes numeric
        try:
            precision, scale = (int(x) for x in pg_type[len("numeric(") : -1].split(","))
        except ValueError:
            return None
        return f"DECIMAL({precision}, {scale})" if precision <= 38 else None
    return _DUCK_TYPES.get(base)


def _binary_plan(load: Load) -> _BinaryPlan | None:
    """How to COPY the load in binary, or None when a column's type is one the encoder cannot write."""
    fields, sql = list(load.fields), load.sql
    extra_names, extra_values = _defaults(load.model, fields)
    if extra_names:
        sql = f"SELECT *, {_literals(extra_values)} FROM ({sql})"
        fields += extra_names
    table, columns = _table_and_columns(load.model, fields)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            [connection.ops.quote_name(table)],
        )
        pg_types = dict(cur.fetchall())
    duck = [_duck_type(pg_types[c]) for c in columns]
    if None in duck:
        return None
    casts = ", ".join(f"CAST(#{k + 1} AS {t})" for k, t in enumerate(duck))
    return _BinaryPlan(
        model=load.model,
        table=table,
        columns=columns,
        sql=f"SELECT {casts} FROM ({sql})",
        jsonb=frozenset(k for k, c in enumerate(columns) if pg_types[c] == "jsonb"),
        inet=frozenset(k for k, c in enumerate(columns) if pg_types[c] == "inet"),
    )


def _export_binary(con: Any, plan: _BinaryPlan, stream: queue.Queue[Any]) -> int:
    """Run the plan's query and put its rows on ``stream`` as blocks of binary COPY data; return the count."""
    import pgpq
    import pyarrow as pa
    from pgpq import encoders, schema

    count = 0
    try:
        reader = con.sql(plan.sql).to_arrow_reader(_BATCH_ROWS)
        arrow_schema = _binary_schema(reader.schema, plan)
        builders: dict[str, Any] = {}
        for k, f in enumerate(arrow_schema):
            if k in plan.jsonb:
                builders[f.name] = encoders.StringEncoderBuilder.new_with_output(f, schema.Jsonb())
            elif k in plan.inet:
                builders[f.name] = encoders.BinaryEncoderBuilder(f)
            else:
                builders[f.name] = pgpq.ArrowToPostgresBinaryEncoder.infer_encoder(f)
        encoder = pgpq.ArrowToPostgresBinaryEncoder.new_with_encoders(arrow_schema, builders)
        _put(stream, encoder.write_header())
        for batch in reader:
            if plan.inet:
                batch = pa.RecordBatch.from_arrays(
                    [_inet_binary(a) if k in plan.inet else a for k, a in enumerate(batch.columns)],
                    schema=arrow_schema,
                )
            else:
                batch = batch.rename_columns(arrow_schema.names)
            count += batch.num_rows
            _put(stream, encoder.write_batch(batch))
        _put(stream, encoder.finish())
    except BaseException as exc:
        _put(stream, exc)
        raise
    _put(stream, _END)
    return count


def _binary_schema(source: Any, plan: _BinaryPlan) -> Any:
    """The Arrow schema the encoder sees: the table's column names (DuckDB names cast columns after the
    expression), string types for text, binary for inet."""
    import pyarrow as pa

    fields = []
    for k, (f, column) in enumerate(zip(source, plan.columns, strict=True)):
        fields.append(pa.field(column, pa.binary() if k in plan.inet else f.type))
    return pa.schema(fields)


def _inet_binary(values: Any) -> Any:
    """inet text → PostgreSQL's binary inet (inet_send): family, bits, is_cidr, length, address bytes.
    Computed once per distinct value: an import's audit rows share one address."""
    import ipaddress

    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(values)
    out = []
    for text in encoded.dictionary.to_pylist():
        iface = ipaddress.ip_interface(text)
        family = 2 if iface.version == 4 else 3  # PGSQL_AF_INET, PGSQL_AF_INET6
        packed = iface.ip.packed
        out.append(bytes([family, iface.network.prefixlen, 0, len(packed)]) + packed)
    return pc.take(pa.array(out, pa.binary()), encoded.indices)


def _put(stream: queue.Queue[Any], item: Any) -> None:
    while not getattr(stream, "abandoned", False):
        try:
            stream.put(item, timeout=0.5)
            return
        except queue.Full:
            pass
    raise RuntimeError("COPY abandoned")


def _abandon(stream: queue.Queue[Any]) -> None:
    stream.abandoned = True  # type: ignore[attr-defined]  # a flag the writer thread reads
    try:
        while True:
            stream.get_nowait()
    except queue.Empty:
        pass


def _copy_binary(plan: _BinaryPlan, stream: queue.Queue[Any]) -> None:
    qn = connection.ops.quote_name
    # The raw psycopg cursor bypasses Django's error translation: wrap it, so callers see IntegrityError etc.
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY {qn(plan.table)} ({', '.join(qn(c) for c in plan.columns)}) FROM STDIN (FORMAT binary)"
        ) as copy,
    ):
        while (block := stream.get()) is not _END:
            if isinstance(block, BaseException):
                raise block
            copy.write(block)


def _insert_query(con: Any, load: Load) -> int:
    started = time.perf_counter()
    count = insert_rows(load.model, load.fields, _fetchmany(con.execute(load.sql)), json_text=True)
    log.info(
        "loaded %s rows into %s in %.2f s", count, load.model._meta.db_table, time.perf_counter() - started
    )
    return count


def _literals(values: Sequence[Any]) -> str:
    return ", ".join(quoting.literal(v) for v in values)


def _export_csv(con: Any, load: Load, path: Path) -> tuple[list[str], Path, int]:
    fields, sql = list(load.fields), load.sql
    extra_names, extra_values = _defaults(load.model, fields)
    if extra_names:
        sql = f"SELECT *, {_literals(extra_values)} FROM ({sql})"
        fields += extra_names
    count = int(con.execute(f"COPY ({sql}) TO {quoting.path(path)} (FORMAT csv, HEADER false)").fetchone()[0])
    return fields, path, count


def _copy_csv(model: type[models.Model], fields: Sequence[str], path: Path) -> None:
    table, columns = _table_and_columns(model, fields)
    qn = connection.ops.quote_name
    # The raw psycopg cursor bypasses Django's error translation: wrap it, so callers see IntegrityError etc.
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY {qn(table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN (FORMAT csv)"
        ) as copy,
        path.open("rb") as fh,
    ):
        while block := fh.read(1 << 20):
            copy.write(block)


def _fetchmany(cursor: Any, size: int = 20000) -> Iterator[Sequence[Any]]:
    while chunk := cursor.fetchmany(size):
        yield from chunk


def db_datetime(value: Any) -> Any:
    """A timestamp as the database driver takes it (ISO text for SQLite), converted once per import."""
    return connection.ops.adapt_datetimefield_value(value)


def ids_by_key(
    model: type[models.Model], key: str, values: Sequence[str], chunk: int = 5000
) -> dict[str, int]:
    """Map natural keys to primary keys for many values at once."""
    result: dict[str, int] = {}
    manager = model._default_manager
    for start in range(0, len(values), chunk):
        part = values[start : start + chunk]
        result.update({k: pk for pk, k in manager.filter(**{f"{key}__in": part}).values_list("pk", key)})
    return result


# Below this many new rows (setting JINGZHUN_BULK_REBUILD_MIN_ROWS), or when the table already holds more
# rows than the load adds, rows go in with the indexes in place: rebuilding the indexes of a big table for a
# small load costs more than it saves.
REBUILD_MIN_ROWS = 50_000


@contextmanager
def indexes_rebuilt_after(loads: Sequence[tuple[type[models.Model], int]]) -> Iterator[list[str]]:
    """For loads that are large relative to their tables (a province's first import), drop the tables'
    secondary indexes and foreign keys inside the caller's transaction, and rebuild them when the block ends.

    ``loads`` pairs each model with the number of rows about to go in. PostgreSQL's own advice for bulk loads
    ("Populating a Database"): one sorted index build and one validating join per foreign key are far
    cheaper than maintaining five indexes and a deferred foreign-key trigger for each of millions of rows.
    DDL is transactional, so a failed import leaves the indexes as they were, and the rebuilt unique indexes
    check the loaded rows again. Until COMMIT the tables are locked against other sessions (ACCESS EXCLUSIVE),
    which is why only large loads do this. Yields the tables whose indexes were dropped. SQLite: nothing to do.
    """
    if connection.vendor != "postgresql":
        yield []
        return
    with connection.cursor() as cur:
        cur.execute(
            "SELECT relname, greatest(reltuples, 0) FROM pg_class WHERE relkind = 'r' AND relname = ANY(%s)",
            [[m._meta.db_table for m, _ in loads]],
        )
        present = dict(cur.fetchall())
        least = getattr(settings, "JINGZHUN_BULK_REBUILD_MIN_ROWS", REBUILD_MIN_ROWS)
        tables = [
            m._meta.db_table
            for m, rows in loads
            if rows >= least and float(present.get(m._meta.db_table, 0)) <= rows
        ]
        restore = _drop_secondary(cur, tables) if tables else []
    started = time.perf_counter()
    yield tables
    if not tables:
        return
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
        # Re-adding a foreign key checks every row with one join; with the default work_mem its hash table
        # of a province's households spills to disk in batches.
        cur.execute("SET LOCAL work_mem = '256MB'")
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the kept foreign keys' checks, before CREATE INDEX
        cur.execute("SET CONSTRAINTS ALL DEFERRED")
        for sql in restore:
            begun = time.perf_counter()
            cur.execute(sql)
            log.debug("%.2f s: %s", time.perf_counter() - begun, sql)
    log.info(
        "loaded %s with indexes dropped in %.2f s; rebuilt %s indexes and constraints in %.2f s",
        ", ".join(tables),
        load_seconds,
        len(restore),
        time.perf_counter() - started,
    )


def _drop_secondary(cur: Any, tables: list[str]) -> list[str]:
    """Drop the tables' foreign keys, unique constraints and plain indexes (never primary keys); return the
    statements that recreate them, indexes before the foreign keys that use them."""
    # Foreign keys to tables outside the load stay: dropping one would lock that table (users, regions)
    # against everyone for the length of the import.
    cur.execute(
        """SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype
           FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid LEFT JOIN pg_class r ON r.oid = c.confrelid
           WHERE t.relname = ANY(%s) AND (c.contype = 'u' OR (c.contype = 'f' AND r.relname = ANY(%s)))""",
        [tables, tables],
    )
    constraints = cur.fetchall()
    cur.execute(
        """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
           FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
           WHERE t.relname = ANY(%s) AND NOT i.indisprimary
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
        [tables],
    )
    indexes = cur.fetchall()
    qn = connection.ops.quote_name
    # ALTER TABLE refuses a table with deferred checks still pending in this transaction: run them now
    # (retroactively, as SET CONSTRAINTS does), then defer again as Django's constraints are declared.
    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cur.execute("SET CONSTRAINTS ALL DEFERRED")
    for table, name, _definition, _kind in sorted(constraints, key=lambda c: c[3] != "f"):  # FKs first
        cur.execute(f"ALTER TABLE {table} DROP CONSTRAINT {qn(name)}")
    for name, _definition in indexes:
        cur.execute(f"DROP INDEX {name}")
    restore = [definition for _name, definition in indexes]
    restore += [
        f"ALTER TABLE {table} ADD CONSTRAINT {qn(name)} {definition}"
        for table, name, definition, _kind in sorted(constraints, key=lambda c: c[3] == "f")
    ]  # FKs last
    return restore
