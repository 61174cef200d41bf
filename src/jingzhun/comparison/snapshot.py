"""Registry snapshots: the register written to Parquet, partitioned by county, for analysis engines.

A snapshot is a folder ``<root>/<name>/`` holding, for each table below, ``<table>/county=<code>/data.parquet``
(Hive partitioning, readable by DuckDB and Spark alike), and ``policy.parquet`` with the policy numbers each
county's rules need for each year. The comparison and the indicators read these files, never the ORM.

Conventions that keep rules portable between DuckDB and Spark SQL:

* multi-valued codes (health, causes, risk types) are strings like ``,2,3,`` so ``LIKE '%,3,%'`` tests one;
* no phone or bank numbers: analysis needs none. The household phone's shape is kept for the logic check
  of its length (``phone_shape``: every digit written as 9, so ``99999999999`` is an 11-digit number);
* dates are DATE, money DECIMAL(14,2); booleans may be NULL (not filled in).
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.conf import settings
from django.db import connection

log = logging.getLogger(__name__)

MONEY = pa.decimal128(14, 2)

# (column, arrow type, SQL expression over the joined tables). Order is the file's column order.
HOUSEHOLDS: tuple[tuple[str, pa.DataType, str], ...] = (
    ("household_id", pa.int64(), "h.id"),
    ("household_number", pa.string(), "h.household_number"),
    ("village_code", pa.string(), "h.village_id"),
    ("natural_village", pa.string(), "h.natural_village"),
    ("head_name", pa.string(), "h.head_name"),
    ("phone_shape", pa.string(), "h.phone"),
    ("identification_standard", pa.string(), "h.identification_standard"),
    ("attribute", pa.string(), "h.attribute"),
    ("poverty_status", pa.string(), "h.poverty_status"),
    ("main_cause", pa.string(), "h.main_cause"),
    ("other_causes", pa.string(), "h.other_causes"),
    ("first_identified_on", pa.date32(), "h.first_identified_on"),
    ("exit_year", pa.int32(), "h.exit_year"),
    ("return_year", pa.int32(), "h.return_year"),
    ("relocated", pa.bool_(), "h.relocated"),
    ("monitoring_type", pa.string(), "h.monitoring_type"),
    ("monitoring_identified_on", pa.date32(), "h.monitoring_identified_on"),
    ("risk_types", pa.string(), "h.risk_types"),
    ("risk_elimination", pa.string(), "h.risk_elimination"),
    ("risk_eliminated_on", pa.date32(), "h.risk_eliminated_on"),
)
MEMBERS: tuple[tuple[str, pa.DataType, str], ...] = (
    ("member_id", pa.int64(), "m.id"),
    ("household_number", pa.string(), "h.household_number"),
    ("village_code", pa.string(), "h.village_id"),
    ("person_number", pa.string(), "m.person_number"),
    ("name", pa.string(), "m.name"),
    ("id_number", pa.string(), "m.id_number"),
    ("disability_cert_number", pa.string(), "m.disability_cert_number"),
    ("sex", pa.string(), "m.sex"),
    ("birth_date", pa.date32(), "m.birth_date"),
    ("relation", pa.string(), "m.relation"),
    ("political_status", pa.string(), "m.political_status"),
    ("education", pa.string(), "m.education"),
    ("schooling", pa.string(), "m.schooling"),
    ("dropout_reason", pa.string(), "m.dropout_reason"),
    ("health", pa.string(), "m.health"),
    ("disability_category", pa.string(), "m.disability_category"),
    ("disability_grade", pa.string(), "m.disability_grade"),
    ("labour_skill", pa.string(), "m.labour_skill"),
    ("migrant_months", pa.int32(), "m.migrant_months"),
    ("migrant_place", pa.string(), "m.migrant_place"),
    ("speaks_mandarin", pa.bool_(), "m.speaks_mandarin"),
    ("basic_medical_insurance", pa.bool_(), "m.basic_medical_insurance"),
    ("employee_medical_insurance", pa.bool_(), "m.employee_medical_insurance"),
    ("serious_illness_insurance", pa.bool_(), "m.serious_illness_insurance"),
    ("commercial_medical_insurance", pa.bool_(), "m.commercial_medical_insurance"),
    ("basic_pension_insurance", pa.bool_(), "m.basic_pension_insurance"),
    ("dibao", pa.bool_(), "m.dibao"),
    ("tekun", pa.bool_(), "m.tekun"),
    ("joined_on", pa.date32(), "m.joined_on"),
    ("left_on", pa.date32(), "m.left_on"),
    ("leave_reason", pa.string(), "m.leave_reason"),
)
YEARS: tuple[tuple[str, pa.DataType, str], ...] = (
    ("household_number", pa.string(), "h.household_number"),
    ("village_code", pa.string(), "h.village_id"),
    ("year", pa.int32(), "y.year"),
    ("household_size", pa.int32(), "y.household_size"),
    ("wage_income", MONEY, "y.wage_income"),
    ("business_income", MONEY, "y.business_income"),
    ("business_expense", MONEY, "y.business_expense"),
    ("property_income", MONEY, "y.property_income"),
    ("transfer_income", MONEY, "y.transfer_income"),
    ("dibao_income", MONEY, "y.dibao_income"),
    ("tekun_income", MONEY, "y.tekun_income"),
    ("net_income", MONEY, "y.net_income"),
    ("per_capita_net_income", MONEY, "y.per_capita_net_income"),
    ("cultivated_land", MONEY, "y.cultivated_land"),
    ("forest_land", MONEY, "y.forest_land"),
    ("road_distance_km", MONEY, "y.road_distance_km"),
    ("housing_area", MONEY, "y.housing_area"),
    ("living_power", pa.bool_(), "y.living_power"),
    ("water_difficult", pa.bool_(), "y.water_difficult"),
    ("water_safe", pa.bool_(), "y.water_safe"),
    ("dangerous_house", pa.bool_(), "y.dangerous_house"),
    ("housing_grade", pa.string(), "y.housing_grade"),
)
STATUS_EVENTS: tuple[tuple[str, pa.DataType, str], ...] = (
    ("household_number", pa.string(), "h.household_number"),
    ("village_code", pa.string(), "h.village_id"),
    ("effective_on", pa.date32(), "e.effective_on"),
    ("attribute", pa.string(), "e.attribute"),
    ("poverty_status", pa.string(), "e.poverty_status"),
    ("monitoring_type", pa.string(), "e.monitoring_type"),
    ("risk_elimination", pa.string(), "e.risk_elimination"),
)
# Assistance (帮扶): the helper pairings (no names or phones: analysis counts them) and the measures per year.
PAIRINGS: tuple[tuple[str, pa.DataType, str], ...] = (
    ("household_number", pa.string(), "h.household_number"),
    ("village_code", pa.string(), "h.village_id"),
    ("unit_level", pa.string(), "p.unit_level"),
    ("started_on", pa.date32(), "p.started_on"),
    ("ended_on", pa.date32(), "p.ended_on"),
)
MEASURES: tuple[tuple[str, pa.DataType, str], ...] = (
    ("household_number", pa.string(), "h.household_number"),
    ("village_code", pa.string(), "h.village_id"),
    ("year", pa.int32(), "x.year"),
    ("family", pa.string(), "x.family"),
    ("implemented", pa.bool_(), "x.implemented"),
)
POLICY: tuple[tuple[str, pa.DataType], ...] = (
    ("county_code", pa.string()),
    ("year", pa.int32()),
    ("poverty_line", MONEY),
    ("monitoring_line", MONEY),
    ("medical_self_pay_trigger", MONEY),
)

TABLES: dict[str, tuple[tuple[str, pa.DataType, str], ...]] = {
    "households": HOUSEHOLDS,
    "members": MEMBERS,
    "years": YEARS,
    "status_events": STATUS_EVENTS,
    "pairings": PAIRINGS,
    "measures": MEASURES,
}
FROM = {
    "households": "registry_household h",
    "members": "registry_member m JOIN registry_household h ON h.id = m.household_id",
    "years": "registry_householdyear y JOIN registry_household h ON h.id = y.household_id",
    "status_events": "registry_statusevent e JOIN registry_household h ON h.id = e.household_id",
    "pairings": "assistance_pairing p JOIN registry_household h ON h.id = p.household_id",
    "measures": "assistance_measure x JOIN registry_household h ON h.id = x.household_id",
}
MULTI = {"other_causes", "risk_types", "health"}
FETCH = 50_000


def schema(table: str) -> pa.Schema:
    cols = TABLES[table]
    return pa.schema([(name, typ) for name, typ, _ in cols] + [("county_code", pa.string())])


def policy_schema() -> pa.Schema:
    return pa.schema(list(POLICY))


def snapshots_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "snapshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class Snapshot:
    path: Path
    region_prefix: str
    counties: tuple[str, ...]
    rows: dict[str, int]
    years: tuple[int, ...]

    def table_glob(self, table: str) -> str:
        return str(self.path / table / "*" / "*.parquet")

    def has(self, table: str) -> bool:
        """Whether the snapshot holds the table (one written before the table existed does not)."""
        return any((self.path / table).glob("*/*.parquet"))

    @property
    def policy_path(self) -> Path:
        return self.path / "policy.parquet"


def _multi(value: Any) -> str:
    """JSON list text or list → ``,a,b,``; empty → ''."""
    import json

    if value is None or value == "":
        return ""
    items = json.loads(value) if isinstance(value, str) else value
    items = [str(item) for item in items if str(item)]
    return f",{','.join(items)}," if items else ""


def phone_shape(value: Any) -> str:
    """A phone number with every digit written as 9 ("" when empty): its length and form, not the number.
    ``registry.logic`` computes the same in DuckDB for an import."""
    return "".join("9" if ch in "0123456789" else ch for ch in str(value or "").strip())


def _convert(name: str, typ: pa.DataType, values: list[Any]) -> pa.Array:
    if name in MULTI:
        values = [_multi(v) for v in values]
    elif name == "phone_shape":
        values = [phone_shape(v) for v in values]
    elif pa.types.is_decimal(typ):
        cent = Decimal("0.01")
        values = [None if v is None else Decimal(str(v)).quantize(cent) for v in values]
    elif pa.types.is_date(typ):
        values = [dt.date.fromisoformat(v) if isinstance(v, str) else v for v in values]
    elif pa.types.is_boolean(typ):
        values = [None if v is None else bool(v) for v in values]
    elif pa.types.is_string(typ):
        values = [None if v is None else str(v) for v in values]
    return pa.array(values, type=typ)


def _county_filter(prefix: str) -> tuple[str, list[str]]:
    if not prefix:
        return "", []
    return " WHERE h.village_id LIKE %s", [prefix + "%"]


def _write_table(
    table: str, root: Path, prefix: str, progress: Callable[[str], None] | None
) -> dict[str, int]:
    cols = TABLES[table]
    where, params = _county_filter(prefix)
    sql = (
        f"SELECT {', '.join(expr for _, _, expr in cols)} FROM {FROM[table]}{where} "
        "ORDER BY h.village_id, h.household_number"
    )
    sch = schema(table)
    writers: dict[str, pq.ParquetWriter] = {}
    counts: dict[str, int] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            while True:
                rows = cursor.fetchmany(FETCH)
                if not rows:
                    break
                columns = list(zip(*rows, strict=True))
                arrays = [_convert(name, typ, list(columns[i])) for i, (name, typ, _) in enumerate(cols)]
                village_idx = [name for name, _, _ in cols].index("village_code")
                counties = [str(v)[:6] for v in columns[village_idx]]
                arrays.append(pa.array(counties, type=pa.string()))
                batch = pa.Table.from_arrays(arrays, schema=sch)
                # Rows are ordered by village, so each county's rows arrive together.
                for county in dict.fromkeys(counties):
                    part = batch.filter(pc.equal(batch["county_code"], county))
                    writer = writers.get(county)
                    if writer is None:
                        folder = root / table / f"county={county}"
                        folder.mkdir(parents=True, exist_ok=True)
                        writer = writers[county] = pq.ParquetWriter(
                            folder / "data.parquet", sch, compression="zstd"
                        )
                    writer.write_table(part)
                    counts[county] = counts.get(county, 0) + part.num_rows
                if progress:
                    progress(f"{table}: {sum(counts.values()):,} 行")
    finally:
        for writer in writers.values():
            writer.close()
    return counts


def _policy_rows(counties: Sequence[str], years: Iterable[int]) -> pa.Table:
    from jingzhun.policy import catalogue
    from jingzhun.policy.selectors import ParameterMissing, resolve

    rows: dict[str, list[Any]] = {name: [] for name, _ in POLICY}
    for county in counties:
        code = county.ljust(12, "0")
        for year in years:
            values: dict[str, Decimal | None] = {}
            for name, key, yearly in (
                ("poverty_line", catalogue.POVERTY_LINE, True),
                ("monitoring_line", catalogue.MONITORING_LINE, True),
                ("medical_self_pay_trigger", catalogue.MEDICAL_SELF_PAY_TRIGGER, False),
            ):
                try:
                    found = (
                        resolve(key, region_code=code, year=year)
                        if yearly
                        else resolve(key, region_code=code, on=dt.date(year, 12, 31))
                    )
                    values[name] = Decimal(str(found.value)).quantize(Decimal("0.01"))
                except ParameterMissing:
                    values[name] = None
            rows["county_code"].append(county)
            rows["year"].append(year)
            for name in ("poverty_line", "monitoring_line", "medical_self_pay_trigger"):
                rows[name].append(values[name])
    return pa.Table.from_pydict(rows, schema=policy_schema())


def write_snapshot(
    region_prefix: str = "",
    *,
    name: str | None = None,
    root: Path | None = None,
    years: Iterable[int] | None = None,
    extra_years: Iterable[int] = (),
    progress: Callable[[str], None] | None = None,
) -> Snapshot:
    """Write the register under ``region_prefix`` (all of it for "") to a new snapshot folder.

    ``years`` are the years the policy table covers (default: every data year in the register, and the
    current one), plus ``extra_years`` (a comparison's as-of year). A number the policy app does not have
    for a county and year is NULL: no default is filled in. The folder is written under a temporary name
    and renamed when complete, so a reader never sees half a snapshot.
    """
    base = root or snapshots_dir()
    name = name or f"{region_prefix or 'all'}-{dt.datetime.now():%Y%m%d-%H%M%S-%f}"
    final = base / name
    tmp = base / f".{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    rows: dict[str, int] = {}
    counties: set[str] = set()
    for table in TABLES:
        counts = _write_table(table, tmp, region_prefix, progress)
        rows[table] = sum(counts.values())
        counties.update(counts)
    if years is None:
        from jingzhun.registry.models import HouseholdYear

        found = set(HouseholdYear.objects.values_list("year", flat=True).distinct())
        found.add(dt.date.today().year)
        years = sorted(found)
    year_list = tuple(sorted(set(years) | set(extra_years)))
    pq.write_table(_policy_rows(sorted(counties), year_list), tmp / "policy.parquet")
    ensure_tables(tmp)
    if final.exists():
        shutil.rmtree(final)
    tmp.rename(final)
    log.info("snapshot %s: %s", final, rows)
    return Snapshot(final, region_prefix, tuple(sorted(counties)), rows, year_list)


def ensure_tables(path: Path) -> None:
    """Give every table at least one (empty) file, so a snapshot of an empty region still reads."""
    for table in TABLES:
        folder = path / table
        if not any(folder.glob("*/*.parquet")):
            (folder / "county=000000").mkdir(parents=True, exist_ok=True)
            pq.write_table(schema(table).empty_table(), folder / "county=000000" / "data.parquet")


def open_snapshot(path: Path | str) -> Snapshot:
    """A snapshot folder written before (by this module or by the department data generator's tools)."""
    path = Path(path)
    counties = sorted({p.name.split("=", 1)[1] for p in (path / "households").glob("county=*")} - {"000000"})
    rows = {
        table: sum(pq.ParquetFile(f).metadata.num_rows for f in (path / table).glob("*/*.parquet"))
        for table in TABLES
    }
    years: tuple[int, ...] = ()
    if (path / "policy.parquet").exists():
        years = tuple(
            sorted(set(pq.read_table(path / "policy.parquet", columns=["year"])["year"].to_pylist()))
        )
    return Snapshot(path, "", tuple(counties), rows, years)
