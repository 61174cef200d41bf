"""Fill the indicator table from a snapshot: count per village in DuckDB, sum up the region tree, replace.

``refresh_snapshot(snapshot, year=…)`` computes every indicator for every village, township, county (and
city and province when the snapshot holds them) inside the snapshot's region, in one DuckDB pass, and
makes those rows of ``IndicatorValue`` for the year equal the result in one transaction, writing only the
rows that differ (the first time, all of them, by binary COPY on PostgreSQL): running it twice gives the
same table (idempotent), and the second run writes nothing. ``IndicatorRefresh`` keeps when each region
was computed. Regions above the snapshot (the city and province of a county) are re-summed from their
counties' rows, so a county's refresh keeps the province's figures right. Figures that live in the database
rather than the register (doubts, procedure deadlines) are counted per village through the ORM and rolled
up the same way.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa
from django.db import connection, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from jingzhun.analytics.indicators import INDICATORS
from jingzhun.analytics.models import IndicatorRefresh, IndicatorValue, StagedValue
from jingzhun.comparison.snapshot import TABLES, Snapshot, schema
from jingzhun.core import bulk, quoting

log = logging.getLogger(__name__)
LEVELS = ((2, 1), (4, 2), (6, 3), (9, 4), (12, 5))  # significant digits → Region.Level
DB_INDICATORS = {
    "doubts_open_by_rule": ("待核实疑点数（按规则）", "条"),
    "doubts_confirmed_by_rule": ("核实属实疑点数（按规则，含已整改）", "条"),
    "doubts_rejected_by_rule": ("核实不属实疑点数（按规则）", "条"),
    "monitoring_decisions": ("监测对象识别办结情况（对照办理时限）", "件"),
}
DECISIONS = {
    "within": "时限内办结",
    "late": "超时办结",
    "open_overdue": "办理中已超时",
    "open": "办理中未超时",
}


@dataclass(frozen=True)
class RefreshResult:
    year: int
    region_prefix: str
    rows: int  # the values computed
    seconds: float
    written: int = 0  # the rows deleted, updated or inserted to make the table equal them


def _prefix_of(snapshot: Snapshot) -> str:
    if snapshot.region_prefix:
        return snapshot.region_prefix
    counties = snapshot.counties
    if not counties:
        return ""
    common = counties[0]
    for county in counties[1:]:
        while not county.startswith(common):
            common = common[:-2]
    return common if len(counties) > 1 else counties[0]


def _village_counts_sql() -> str:
    parts = [
        f"SELECT '{i.code}' AS code, village_code, CAST(dim AS VARCHAR) AS dim, CAST(n AS BIGINT) AS n "
        f"FROM ({i.sql}) q"
        for i in INDICATORS
    ]
    return "\nUNION ALL\n".join(parts)


def _db_village_counts(prefix: str, today: dt.date) -> pa.Table:
    from jingzhun.comparison.models import Doubt, DoubtState
    from jingzhun.procedures.models import Case

    rows: list[dict[str, object]] = []
    from jingzhun.regions.choices import PREFIX_LENGTH

    doubts = (
        Doubt.objects.filter(village__code__startswith=prefix)
        .values("village_id", "village__level", "rule__code", "state")
        .annotate(n=Count("id"))
    )
    by_state: dict[str, str] = {
        DoubtState.OPEN: "doubts_open_by_rule",
        DoubtState.REJECTED: "doubts_rejected_by_rule",
    }
    for row in doubts:
        code = by_state.get(row["state"], "doubts_confirmed_by_rule")
        # a doubt about a person not in the register may sit on a township or county (its address code)
        rows.append(
            {
                "code": code,
                "village_code": row["village_id"],
                "dim": row["rule__code"],
                "n": row["n"],
                "digits": PREFIX_LENGTH[row["village__level"]],
            }
        )
    cases = Case.objects.filter(
        kind="monitoring", household__village__code__startswith=prefix, deadline__isnull=False
    ).exclude(state="withdrawn")
    buckets = {
        "within": cases.filter(state="approved", closed_on__lte=F("deadline")),
        "late": cases.filter(state="approved", closed_on__gt=F("deadline")),
        "open_overdue": cases.filter(state="open", deadline__lt=today),
        "open": cases.filter(state="open", deadline__gte=today),
    }
    for dim, qs in buckets.items():
        for counted in qs.values("household__village_id").annotate(n=Count("id")):
            rows.append(
                {
                    "code": "monitoring_decisions",
                    "village_code": counted["household__village_id"],
                    "dim": dim,
                    "n": counted["n"],
                    "digits": 12,
                }
            )
    return pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [
                ("code", pa.string()),
                ("village_code", pa.string()),
                ("dim", pa.string()),
                ("n", pa.int64()),
                ("digits", pa.int32()),
            ]
        ),
    )


def _population(prefix: str) -> pa.Table:
    from jingzhun.regions.models import Region

    rows = Region.objects.filter(level=5, code__startswith=prefix).values_list("code", "rural_population")
    codes, people = zip(*rows, strict=True) if rows else ((), ())
    return pa.table(
        {
            "village_code": pa.array(codes, pa.string()),
            "population": pa.array([p or 0 for p in people], pa.int64()),
        }
    )


@functools.cache
def _snapshot_columns() -> dict[str, set[str]]:
    """The snapshot tables the indicators read, each with the column names the indicators mention."""
    import sqlglot
    from sqlglot import exp

    tables: set[str] = set()
    names: set[str] = set()
    for indicator in INDICATORS:
        tree = sqlglot.parse_one(indicator.sql, read="duckdb")
        tables |= {t.name for t in tree.find_all(exp.Table)}
        names |= {c.name for c in tree.find_all(exp.Column)}
    return {t: {f.name for f in schema(t)} & names for t in TABLES if t in tables}


def compute(snapshot: Snapshot, *, prefix: str, today: dt.date) -> pa.Table:
    """Every indicator for every region inside ``prefix``: (code, region_code, level, dim, n, denominator)."""
    from jingzhun.comparison.engine import DuckEngine

    engine = DuckEngine()  # the snapshot's tables as the comparison rules see them
    con = engine.con
    try:
        like = prefix + "%"
        used = _snapshot_columns()
        for table in TABLES:
            if table not in used:
                continue
            # Each snapshot table is read once, only the columns the indicators name, into memory: a dozen
            # queries then scan it instead of decoding the Parquet files a dozen times.
            files = (
                [snapshot.table_glob(table)] if snapshot.has(table) else []
            )  # older snapshots lack some tables
            engine.table(f"_snapshot_{table}", files, schema(table))
            columns = ", ".join(f.name for f in schema(table) if f.name in used[table])
            con.execute(
                f"CREATE TABLE {table} AS SELECT {columns} FROM _snapshot_{table} "
                f"WHERE village_code LIKE {quoting.literal(like)}"
            )
        con.register("db_counts", _db_village_counts(prefix, today))
        con.register("population", _population(prefix))
        rates = _codes(i.code for i in INDICATORS if i.rate)
        levels = [(n, level) for n, level in LEVELS if n >= len(prefix)]
        rollup = "\nUNION ALL\n".join(
            f"SELECT code, rpad(substr(village_code, 1, {n}), 12, '0') AS region_code, {level} AS level, dim, "
            f"SUM(n) AS n, SUM(population) AS denominator FROM v WHERE digits >= {n} GROUP BY ALL"
            for n, level in levels
        )
        sql = f"""
WITH counted AS (
  SELECT *, 12 AS digits FROM ({_village_counts_sql()}) c WHERE village_code LIKE '{like}'
  UNION ALL SELECT code, village_code, dim, n, digits FROM db_counts
),
v AS (
  SELECT c.code, c.village_code, c.dim, c.n, c.digits, CAST(NULL AS BIGINT) AS population FROM counted c
  UNION ALL  -- a rate's denominator, once per village (so a village nobody is counted in has rate 0)
  SELECT r.code, p.village_code, '', 0, 12, p.population
  FROM population p CROSS JOIN (SELECT UNNEST([{rates}]) AS code) r
  WHERE p.village_code LIKE '{like}'
)
SELECT code, region_code, level, dim, CAST(n AS BIGINT) AS n, CAST(denominator AS BIGINT) AS denominator
FROM ({rollup}) r
ORDER BY region_code, code, dim  -- the unique index's order: the insert appends to its B-tree
"""
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()


def _value(n: int, denominator: int | None, rate: bool) -> Decimal:
    if not rate:
        return Decimal(n)
    if not denominator:
        return Decimal(0)
    return (Decimal(n) * 100 / Decimal(denominator)).quantize(Decimal("0.0001"))


def _codes(rates: Iterable[str]) -> str:
    return ", ".join(quoting.literal(c) for c in sorted(rates)) or "''"


def _value_sql(rates: Iterable[str]) -> str:
    """``_value`` in DuckDB, exactly: a rate is n × 100 / denominator to four places, rounded half to even
    (as ``Decimal.quantize``), computed on integers so no float ever rounds it."""
    codes = _codes(rates)
    scaled = (
        "(n * 1000000 // denominator + CASE WHEN 2 * (n * 1000000 % denominator) > denominator OR "
        "(2 * (n * 1000000 % denominator) = denominator AND (n * 1000000 // denominator) % 2 = 1) "
        "THEN 1 ELSE 0 END)"
    )
    return (
        f"CASE WHEN code NOT IN ({codes}) THEN CAST(n AS DECIMAL(18, 4)) "
        f"WHEN coalesce(denominator, 0) = 0 THEN CAST(0 AS DECIMAL(18, 4)) "
        f"ELSE CAST(CAST({scaled} AS DECIMAL(18, 0)) * CAST(0.0001 AS DECIMAL(5, 4)) AS DECIMAL(18, 4)) END"
    )


FIELDS = ("code", "region_code", "level", "year", "dim", "value", "numerator", "denominator")


def refresh_snapshot(snapshot: Snapshot, *, year: int, today: dt.date | None = None) -> RefreshResult:
    """Bring the year's indicator rows inside the snapshot's region up to date, then re-sum the regions
    above it, and stamp every region's computation time."""
    started = time.perf_counter()
    today = today or timezone.localdate()
    prefix = _prefix_of(snapshot)
    table = compute(snapshot, prefix=prefix, today=today)
    rates = {i.code for i in INDICATORS if i.rate}
    now = timezone.now()
    sql = (
        f"SELECT code, region_code, level, {int(year)} AS year, coalesce(dim, '') AS dim, "
        f"{_value_sql(rates)} AS value, n AS numerator, "
        f"CASE WHEN code IN ({_codes(rates)}) THEN denominator END AS denominator FROM computed"
    )
    with duckdb.connect() as con, transaction.atomic():
        # a table of the DuckDB database, not a view of this connection: the COPY reads it from a cursor of its own
        con.register("computed_arrow", table)
        con.execute("CREATE TABLE computed AS SELECT * FROM computed_arrow")
        changed = _replace(con, sql, prefix, year)
        ancestors = _resum_ancestors(prefix, year, rates)
        regions = [r for (r,) in con.execute("SELECT DISTINCT region_code FROM computed").fetchall()]
        _stamp(regions + ancestors, year, now)
    seconds = time.perf_counter() - started
    log.info(
        "indicators %s %s: %d rows, %d written, in %.2fs",
        prefix or "全部",
        year,
        table.num_rows,
        changed,
        seconds,
    )
    return RefreshResult(year, prefix, table.num_rows, seconds, changed)


def _replace(con: duckdb.DuckDBPyConnection, sql: str, prefix: str, year: int) -> int:
    """Make the year's rows inside ``prefix`` equal the rows of ``sql`` (a DuckDB query of ``FIELDS``),
    writing only what differs; return the rows deleted, updated and inserted.

    A first refresh copies the rows straight in. Later ones stage them in a temporary table and delete,
    update and insert only the differences: most figures are the same as an hour ago, and replacing half a
    million unchanged rows each time would leave as many dead ones behind (PostgreSQL then checks each
    insert against them in the unique index).
    """
    if not IndicatorValue.objects.filter(year=year, region_code__startswith=prefix).exists():
        count = bulk.load_queries(con, [bulk.Load(IndicatorValue, FIELDS, sql)])[0]
        if (
            connection.vendor == "postgresql"
        ):  # the next refresh plans its comparison on the table's real size
            with connection.cursor() as cur:
                cur.execute(f"ANALYZE {connection.ops.quote_name(IndicatorValue._meta.db_table)}")
        return count
    qn = connection.ops.quote_name
    target, stage = qn(IndicatorValue._meta.db_table), qn(StagedValue._meta.db_table)
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {stage}")
        cur.execute(
            f"CREATE TEMPORARY TABLE {stage} (code varchar(40) NOT NULL, region_code varchar(12) NOT NULL,"
            " level smallint NOT NULL, year smallint NOT NULL, dim varchar(20) NOT NULL,"
            " value numeric(18, 4) NOT NULL, numerator bigint, denominator bigint)"
            + (" ON COMMIT DROP" if postgres else "")
        )
        try:
            t = time.perf_counter()
            bulk.load_queries(con, [bulk.Load(StagedValue, FIELDS, sql)])
            log.debug("staged in %.2f s", time.perf_counter() - t)
            written = _apply_differences(cur, target, stage, year, prefix + "%", postgres)
        finally:
            if not postgres:
                cur.execute(f"DROP TABLE IF EXISTS {stage}")
    return written


def _apply_differences(cur: Any, target: str, stage: str, year: int, like: str, postgres: bool) -> int:
    """Delete, update and insert the rows where ``target`` (the year, inside ``like``) and ``stage`` differ."""
    columns = ", ".join(FIELDS)
    differs = (
        "t.value <> s.value OR t.level <> s.level OR t.numerator {op} s.numerator OR "
        "t.denominator {op} s.denominator"
    )
    if postgres:
        # One hash full join finds every difference; the three writes then touch only those rows, by id.
        diff = connection.ops.quote_name("analytics_staged_diff")
        cur.execute(f"ANALYZE {stage}")
        # the join holds half a million keys: in memory rather than in batches on disk (the default is 4 MB)
        cur.execute("SET LOCAL work_mem = '256MB'")
        t = time.perf_counter()
        cur.execute(
            f"CREATE TEMPORARY TABLE {diff} ON COMMIT DROP AS SELECT t.id AS id, "
            + ", ".join(f"s.{c}" for c in FIELDS)
            + f" FROM (SELECT * FROM {target} WHERE year = %s AND region_code LIKE %s) t FULL JOIN {stage} s "
            "ON s.region_code = t.region_code AND s.code = t.code AND s.dim = t.dim "
            f"WHERE t.id IS NULL OR s.code IS NULL OR {differs.format(op='IS DISTINCT FROM')}",
            [year, like],
        )
        log.debug("compared in %.2f s: %d differ", time.perf_counter() - t, cur.rowcount)
        t = time.perf_counter()
        cur.execute(f"DELETE FROM {target} WHERE id IN (SELECT id FROM {diff} WHERE code IS NULL)")
        written = cur.rowcount
        cur.execute(
            f"UPDATE {target} SET level = d.level, value = d.value, numerator = d.numerator, "
            f"denominator = d.denominator FROM {diff} d WHERE {target}.id = d.id AND d.code IS NOT NULL"
        )
        written += cur.rowcount
        cur.execute(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {diff} WHERE id IS NULL")
        log.debug("wrote the differences in %.2f s", time.perf_counter() - t)
        return written + cur.rowcount
    # SQLite (no full join before 3.39): three statements, each looking rows up by the stage's index.
    cur.execute(f"CREATE INDEX analytics_staged_key ON {stage} (region_code, year, code, dim)")
    key = " AND ".join(f"s.{c} = t.{c}" for c in ("region_code", "year", "code", "dim"))
    cur.execute(
        f"DELETE FROM {target} AS t WHERE t.year = %s AND t.region_code LIKE %s AND "
        f"NOT EXISTS (SELECT 1 FROM {stage} s WHERE {key})",
        [year, like],
    )
    written = cur.rowcount
    cur.execute(
        f"UPDATE {target} AS t SET level = s.level, value = s.value, numerator = s.numerator, "
        f"denominator = s.denominator FROM {stage} s WHERE {key} AND ({differs.format(op='IS NOT')})"
    )
    written += cur.rowcount
    cur.execute(
        f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {stage} s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {target} t WHERE {key})"
    )
    return written + cur.rowcount


def _resum_ancestors(prefix: str, year: int, rates: Iterable[str]) -> list[str]:
    """The city and province above a refreshed county: the sum of their counties' rows. Returns their codes."""
    rates = set(rates)
    regions = []
    for n, level in LEVELS:
        if n >= len(prefix) or len(prefix) < 6:
            continue
        region = prefix[:n].ljust(12, "0")
        regions.append(region)
        IndicatorValue.objects.filter(year=year, region_code=region).delete()
        sums = (
            IndicatorValue.objects.filter(year=year, level=3, region_code__startswith=prefix[:n])
            .values("code", "dim")
            .annotate(n=Sum("numerator"), den=Sum("denominator"))
        )
        IndicatorValue.objects.bulk_create(
            [
                IndicatorValue(
                    code=s["code"],
                    region_code=region,
                    level=level,
                    year=year,
                    dim=s["dim"],
                    value=_value(s["n"] or 0, s["den"], s["code"] in rates),
                    numerator=s["n"] or 0,
                    denominator=s["den"] if s["code"] in rates else None,
                )
                for s in sums
            ],
            batch_size=2000,
        )
    return regions


def _stamp(regions: list[str], year: int, now: dt.datetime) -> None:
    """The figures of ``regions`` for the year were computed ``now``."""
    qn = connection.ops.quote_name
    stamps = qn(IndicatorRefresh._meta.db_table)
    upsert = "ON CONFLICT (region_code, year) DO UPDATE SET refreshed_at = excluded.refreshed_at"
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                f"INSERT INTO {stamps} (region_code, year, refreshed_at) "
                f"SELECT unnest(%s::varchar[]), %s, %s {upsert}",
                [regions, year, at],
            )
        else:
            cur.executemany(
                f"INSERT INTO {stamps} (region_code, year, refreshed_at) VALUES (%s, %s, %s) {upsert}",
                [(r, year, at) for r in regions],
            )


def refresh_region(prefix: str, *, year: int | None = None) -> RefreshResult:
    """Write a fresh snapshot of a county (or larger region) and refresh its indicators."""
    from jingzhun.comparison.snapshot import write_snapshot

    if len(prefix) > 6:
        prefix = prefix[:6]
    snap = write_snapshot(prefix)
    return refresh_snapshot(snap, year=year or timezone.localdate().year)
