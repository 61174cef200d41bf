"""core.bulk.load_queries: DuckDB queries into tables; on PostgreSQL by binary COPY (pgpq), CSV as fallback."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pytest
from django.db import connection

from jingzhun.core import bulk
from jingzhun.core.models import ObjectChange
from jingzhun.registry.models import Household, HouseholdYear, Member, StatusEvent

FIELDS = [
    "time",
    "user",
    "user_name",
    "remote_addr",
    "source",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "batch",
    "before",
    "after",
]
STAMP = dt.datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=dt.UTC)


def _source() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("""CREATE TABLE src AS SELECT * FROM (VALUES
        (1, '127.0.0.1', '{"a": [1, 2], "名": "张三"}'),
        (2, '2001:db8::1', NULL),
        (3, NULL, '{"batch": "b1", "household_number": "620502001201000001"}'),
        (4, '10.1.2.3', '[]')) t(k, addr, after)""")
    return con


def _load(con: duckdb.DuckDBPyConnection, batch: str) -> list[int]:
    stamp = bulk.db_datetime(STAMP)
    sql = f"""SELECT '{stamp}', NULL, '导入人', addr, 'import', 'create', 'x', CAST(k AS VARCHAR),
                     '户（' || k || '）', '{batch}', NULL, after FROM src ORDER BY k"""
    return bulk.load_queries(con, [bulk.Load(ObjectChange, FIELDS, sql)])


def _rows(batch: str) -> list[tuple]:
    return list(
        ObjectChange.objects.filter(batch=batch)
        .order_by("object_id")
        .values_list(
            "time",
            "user_id",
            "user_name",
            "remote_addr",
            "source",
            "action",
            "object_id",
            "object_repr",
            "before",
            "after",
            "request_id",
            "root_type",
        )
    )


EXPECTED: list[tuple[Any, ...]] = [
    (
        STAMP,
        None,
        "导入人",
        "127.0.0.1",
        "import",
        "create",
        "1",
        "户（1）",
        None,
        {"a": [1, 2], "名": "张三"},
        "",
        "",
    ),
    (STAMP, None, "导入人", "2001:db8::1", "import", "create", "2", "户（2）", None, None, "", ""),
    (
        STAMP,
        None,
        "导入人",
        None,
        "import",
        "create",
        "3",
        "户（3）",
        None,
        {"batch": "b1", "household_number": "620502001201000001"},
        "",
        "",
    ),
    (STAMP, None, "导入人", "10.1.2.3", "import", "create", "4", "户（4）", None, [], "", ""),
]


@pytest.mark.django_db
def test_load_queries_writes_every_type():
    # Timestamps, inet, jsonb (and JSON null), text and a NULL foreign key; left-out fields get their defaults.
    assert _load(_source(), "binary") == [4]
    assert _rows("binary") == EXPECTED


@pytest.mark.django_db
def test_csv_fallback_writes_the_same(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite takes executemany")
    monkeypatch.setattr(bulk, "_binary_plan", lambda load: None)
    assert _load(_source(), "csv") == [4]
    assert _rows("csv") == EXPECTED


@pytest.mark.django_db
def test_import_tables_go_by_binary_copy():
    """Every table a province import writes has only column types the binary encoder handles."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    for model in (Household, HouseholdYear, StatusEvent, Member, ObjectChange):
        fields = [f.name for f in model._meta.concrete_fields if not f.primary_key]
        assert bulk._binary_plan(bulk.Load(model, fields, "SELECT 1")) is not None, model


@pytest.mark.django_db
def test_binary_copy_error_reaches_the_caller():
    """A value PostgreSQL refuses (text longer than the column) fails the load with Django's DataError, and
    the worker thread does not hang on a full queue."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    from django.db import DataError, transaction

    con = duckdb.connect()
    con.execute("CREATE TABLE src AS SELECT range AS k FROM range(300000)")
    stamp = bulk.db_datetime(STAMP)
    sql = f"""SELECT '{stamp}', NULL, 'x', NULL, 'import', 'create', 'x', CAST(k AS VARCHAR),
                     CASE WHEN k = 299999 THEN repeat('长', 300) ELSE 'ok' END, 'err', NULL, NULL FROM src"""
    with pytest.raises(DataError), transaction.atomic():
        bulk.load_queries(
            con, [bulk.Load(ObjectChange, FIELDS, sql)] * 3, then=["CREATE TABLE after_load AS SELECT 1"]
        )
