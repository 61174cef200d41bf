"""Fill the indicator table from a snapshot: count per village in DuckDB, sum up the region tree, replace.

``refresh_snapshot(snapshot, year=…)`` computes every indicator for every village, township, county (and
city and province when the snapshot holds them) inside the snapshot's region, in one DuckDB pass, and
replaces those rows of ``IndicatorValue`` for the year in one transaction: running it twice gives the same
table (idempotent). Regions above the snapshot (the city and province of a county) are re-summed from their
counties' rows, so a county's refresh keeps the province's figures right. Figures that live in the database
rather than the register (doubts, procedure deadlines) are counted per village through the ORM and rolled
up the same way.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import pyarrow as pa
from django.db import connection, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from jingzhun.analytics.indicators import INDICATORS
from jingzhun.analytics.models import IndicatorValue
from jingzhun.comparison.snapshot import TABLES, Snapshot, schema
from jingzhun.core import bulk

log = logging.getLogger(__name__)
LEVELS = ((2, 1), (4, 2), (6, 3), (9, 4), (12, 5))  # significant digits → Region.Level
DB_INDICATORS = {
    "doubts_open_by_rule": ("待核实疑点数（按规则）", "条"),
    "doubts_confirmed_by_rule": ("核实属实疑点数（按规则，含已整改）", "条"),
    "doubts_rejected_by_rule": ("核实不属实疑点数（按规则）", "条"),
    "monitoring_decisions": ("监测对象识别办结情况（对照办理时限）", "件"),
}
DECISIONS = {"within": "时限内办结", "late": "超时办结", "open_overdue": "办理中已超时", "open": "办理中未超时"}


@dataclass(frozen=True)
class RefreshResult:
    year: int
    region_prefix: str
    rows: int
    seconds: float


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
    parts = [f"SELECT '{i.code}' AS code, village_code, CAST(dim AS VARCHAR) AS dim, CAST(n AS BIGINT) AS n "
             f"FROM ({i.sql}) q" for i in INDICATORS]
    return "\nUNION ALL\n".join(parts)


def _db_village_counts(prefix: str, today: dt.date) -> pa.Table:
    from jingzhun.comparison.models import Doubt, DoubtState
    from jingzhun.procedures.models import Case

    rows: list[dict[str, object]] = []
    from jingzhun.regions.choices import PREFIX_LENGTH

    doubts = (Doubt.objects.filter(village__code__startswith=prefix)
              .values("village_id", "village__level", "rule__code", "state").annotate(n=Count("id")))
    for row in doubts:
        code = {DoubtState.OPEN: "doubts_open_by_rule", DoubtState.REJECTED: "doubts_rejected_by_rule"}.get(
            row["state"], "doubts_confirmed_by_rule")
        # a doubt about a person not in the register may sit on a township or county (its address code)
        rows.append({"code": code, "village_code": row["village_id"], "dim": row["rule__code"], "n": row["n"],
                     "digits": PREFIX_LENGTH[row["village__level"]]})
    cases = Case.objects.filter(kind="monitoring", household__village__code__startswith=prefix,
                                deadline__isnull=False).exclude(state="withdrawn")
    buckets = {
        "within": cases.filter(state="approved", closed_on__lte=F("deadline")),
        "late": cases.filter(state="approved", closed_on__gt=F("deadline")),
        "open_overdue": cases.filter(state="open", deadline__lt=today),
        "open": cases.filter(state="open", deadline__gte=today),
    }
    for dim, qs in buckets.items():
        for row in qs.values("household__village_id").annotate(n=Count("id")):
            rows.append({"code": "monitoring_decisions", "village_code": row["household__village_id"], "dim": dim,
                         "n": row["n"], "digits": 12})
    return pa.Table.from_pylist(rows, schema=pa.schema([("code", pa.string()), ("village_code", pa.string()),
                                                        ("dim", pa.string()), ("n", pa.int64()),
                                                        ("digits", pa.int32())]))


def _population(prefix: str) -> pa.Table:
    from jingzhun.regions.models import Region

    rows = Region.objects.filter(level=5, code__startswith=prefix).values_list("code", "rural_population")
    codes, people = zip(*rows, strict=True) if rows else ((), ())
    return pa.table({"village_code": pa.array(codes, pa.string()),
                     "population": pa.array([p or 0 for p in people], pa.int64())})


def compute(snapshot: Snapshot, *, prefix: str, today: dt.date) -> pa.Table:
    """Every indicator for every region inside ``prefix``: (code, region_code, level, dim, n, denominator)."""
    from jingzhun.comparison.engine import DuckEngine

    engine = DuckEngine()  # the snapshot's tables as the comparison rules see them
    con = engine.con
    try:
        for table in TABLES:
            engine.table(table, [snapshot.table_glob(table)], schema(table))
        con.register("db_counts", _db_village_counts(prefix, today))
        con.register("population", _population(prefix))
        rates = ", ".join(f"'{i.code}'" for i in INDICATORS if i.rate) or "''"
        levels = [(n, level) for n, level in LEVELS if n >= len(prefix)]
        rollup = "\nUNION ALL\n".join(
            f"SELECT code, rpad(substr(village_code, 1, {n}), 12, '0') AS region_code, {level} AS level, dim, "
            f"SUM(n) AS n, SUM(population) AS denominator FROM v WHERE digits >= {n} GROUP BY ALL"
            for n, level in levels)
        like = prefix.replace("'", "") + "%"
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


def refresh_snapshot(snapshot: Snapshot, *, year: int, today: dt.date | None = None) -> RefreshResult:
    """Replace the year's indicator rows inside the snapshot's region, then re-sum the regions above it."""
    started = time.perf_counter()
    today = today or timezone.localdate()
    prefix = _prefix_of(snapshot)
    table = compute(snapshot, prefix=prefix, today=today)
    rates = {i.code for i in INDICATORS if i.rate}
    now = timezone.now()
    # Half a million rows for a province: the timestamp is adapted once (as the ORM would, per row) and a
    # count's value is the integer itself, so the per-row work is building the tuple.
    stamp = connection.ops.adapt_datetimefield_value(now)
    cols = [table.column(c).to_pylist() for c in ("code", "region_code", "level", "dim", "n", "denominator")]
    rows = [
        (code, region, level, year, dim or "", _value(n, den, True), n, den, stamp) if code in rates else
        (code, region, level, year, dim or "", n, n, None, stamp)
        for code, region, level, dim, n, den in zip(*cols, strict=True)
    ]
    fields = ("code", "region_code", "level", "year", "dim", "value", "numerator", "denominator", "refreshed_at")
    with transaction.atomic():
        IndicatorValue.objects.filter(year=year, region_code__startswith=prefix).delete()
        bulk.insert_rows(IndicatorValue, fields, rows)
        _resum_ancestors(prefix, year, now, rates)
    seconds = time.perf_counter() - started
    log.info("indicators %s %s: %d rows in %.2fs", prefix or "全部", year, len(rows), seconds)
    return RefreshResult(year, prefix, len(rows), seconds)


def _resum_ancestors(prefix: str, year: int, now: dt.datetime, rates: Iterable[str]) -> None:
    """The city and province above a refreshed county: the sum of their counties' rows."""
    rates = set(rates)
    for n, level in LEVELS:
        if n >= len(prefix) or len(prefix) < 6:
            continue
        region = prefix[:n].ljust(12, "0")
        IndicatorValue.objects.filter(year=year, region_code=region).delete()
        sums = (IndicatorValue.objects.filter(year=year, level=3, region_code__startswith=prefix[:n])
                .values("code", "dim").annotate(n=Sum("numerator"), den=Sum("denominator")))
        IndicatorValue.objects.bulk_create([
            IndicatorValue(code=s["code"], region_code=region, level=level, year=year, dim=s["dim"],
                           value=_value(s["n"] or 0, s["den"], s["code"] in rates), numerator=s["n"] or 0,
                           denominator=s["den"] if s["code"] in rates else None, refreshed_at=now)
            for s in sums
        ], batch_size=2000)


def refresh_region(prefix: str, *, year: int | None = None) -> RefreshResult:
    """Write a fresh snapshot of a county (or larger region) and refresh its indicators."""
    from jingzhun.comparison.snapshot import write_snapshot

    if len(prefix) > 6:
        prefix = prefix[:6]
    snap = write_snapshot(prefix)
    return refresh_snapshot(snap, year=year or timezone.localdate().year)

