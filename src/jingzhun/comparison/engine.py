"""Run the doubt-rule catalogue over a snapshot and department files, on DuckDB or on Spark.

Each rule is written once, in DuckDB's SQL (``data/rules.toml``). DuckDB runs it as written; Spark runs the
same text translated by sqlglot (``read="duckdb", write="spark"``). Both engines see the same named tables:
the snapshot's ``households``, ``members``, ``years``, ``status_events`` and ``policy``, and ``d_<dataset>``
for each department dataset (the current loads' Parquet files, or an empty table of the declared columns
when a dataset was never loaded: its rules are then skipped and the run says so). Each ``d_<dataset>`` row
also has ``load_region``: the region prefix the file was loaded for (NULL when it covers everything).

Names are compared as people would (``namekeys.py``): before the views, the engine fills the table
``name_keys(name, name_key)`` with the names of the catalogue's ``name_keys`` sources whose key differs from
the name (a rule reads ``COALESCE(k.name_key, x.name)``). Rules that need a policy number (``policy``) run
only where the snapshot's ``policy`` table has it: counties without it are reported, and a rule no county
can run is skipped with the reason, never run with a default.

Findings are rows of (rule_code, household_number, person_number, id_number, name, village_code, detail).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from jingzhun.comparison import datasets as ds
from jingzhun.comparison import namekeys
from jingzhun.comparison.snapshot import POLICY, TABLES, Snapshot, policy_schema, schema
from jingzhun.core import quoting

log = logging.getLogger(__name__)

CATALOGUE = Path(__file__).parent / "data" / "rules.toml"
FINDING_COLUMNS = (
    "rule_code",
    "household_number",
    "person_number",
    "id_number",
    "name",
    "village_code",
    "detail",
)
FINDINGS_SCHEMA = pa.schema([(name, pa.string()) for name in FINDING_COLUMNS])
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")
NAME_KEYS_SCHEMA = pa.schema([("name", pa.string()), ("name_key", pa.string())])
POLICY_YEARS = ("data", "as_of")
Progress = Callable[[int, str], None]


class RuleError(ValueError):
    """A rule that cannot run; the message is Chinese and names the rule. ``detail``: the engine's own text
    (English), for the log and the command line, never for a page."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


@dataclass(frozen=True)
class View:
    name: str
    sql: str


@dataclass(frozen=True)
class RuleSpec:
    code: str
    category: str
    severity: str
    name: str
    message: str
    sql: str
    explanation: str = ""
    datasets: tuple[str, ...] = ()
    audience: tuple[str, ...] = ()
    on_true: str = ""
    exact: bool = True
    parameters: Mapping[str, Any] = field(default_factory=dict)
    policy: tuple[
        str, ...
    ] = ()  # the policy numbers (columns of the snapshot's policy table) it compares with
    policy_year: str = ""  # which year's number: "data" (each household's latest data year) or "as_of"
    county_checks: tuple[str, ...] = ()  # the county tools' logic checks (逻辑校验) this rule is
    on_import: bool = False  # also run on every registry import, as a warning naming ``column``
    column: str = ""  # the register column (key) an import warning names
    # Where its findings count (rulebook.py): inside ``region_prefix`` ("" everywhere) but not inside any of
    # ``excluded`` (the regions where a more specific row or threshold of the same code applies).
    region_prefix: str = ""
    excluded: tuple[str, ...] = ()
    pandas_twin: bool = False  # the shipped rule has a twin in baseline.py (compared by test_baseline)
    planted: bool = False  # deptgen plants its anomalies (the exact department rules' recall is tested)


@dataclass(frozen=True)
class CountyCheck:
    """One of the logic checks county tools run on the national member export (national-forms.md), and
    where Jingzhun checks it: the rules that are it, or the import's own refusal (``at_import``)."""

    number: str
    name: str
    at_import: str = ""
    not_checked: str = ""


@dataclass(frozen=True)
class Catalogue:
    views: tuple[View, ...]
    rules: tuple[RuleSpec, ...]
    name_sources: tuple[str, ...] = ()  # tables whose ``name`` column the table name_keys covers
    county_checks: tuple[CountyCheck, ...] = ()

    def rule(self, code: str) -> RuleSpec:
        for rule in self.rules:
            if rule.code == code:
                return rule
        raise KeyError(code)


def load_catalogue(path: Path = CATALOGUE) -> Catalogue:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    views = tuple(View(v["name"], v["sql"]) for v in data.get("view", []))
    rules = []
    for r in data.get("rule", []):
        rules.append(
            RuleSpec(
                code=r["code"],
                category=r["category"],
                severity=r["severity"],
                name=r["name"],
                message=r["message"],
                sql=r["sql"],
                explanation=r.get("explanation", ""),
                datasets=tuple(r.get("datasets", ())),
                audience=tuple(r.get("audience", ())),
                on_true=r.get("on_true", ""),
                exact=r.get("exact", True),
                parameters=dict(r.get("parameters", {})),
                policy=tuple(r.get("policy", ())),
                policy_year=r.get("policy_year", ""),
                county_checks=tuple(r.get("county_checks", ())),
                on_import=r.get("on_import", False),
                column=r.get("column", ""),
                pandas_twin=r.get("pandas_twin", False),
                planted=r.get("planted", False),
            )
        )
    codes = [r.code for r in rules]
    if len(codes) != len(set(codes)):
        raise RuleError("规则编号重复")
    numbers = {name for name, _ in POLICY if name not in ("county_code", "year")}
    for rule in rules:
        unknown = set(rule.datasets) - set(ds.BY_CODE)
        if unknown:
            raise RuleError(f"规则 {rule.code} 使用了不存在的部门数据集：{'、'.join(sorted(unknown))}")
        if set(rule.policy) - numbers:
            raise RuleError(
                f"规则 {rule.code} 使用了不存在的政策参数：{'、'.join(sorted(set(rule.policy) - numbers))}"
            )
        if rule.policy and rule.policy_year not in POLICY_YEARS:
            raise RuleError(f"规则 {rule.code} 的 policy_year 应为 {' 或 '.join(POLICY_YEARS)}")
    sources = tuple(data.get("name_keys", ()))
    known = set(TABLES) | {f"d_{d.code}" for d in ds.DATASETS}
    if set(sources) - known:
        raise RuleError(f"name_keys 使用了不存在的表：{'、'.join(sorted(set(sources) - known))}")
    checks = tuple(
        CountyCheck(c["number"], c["name"], c.get("at_import", ""), c.get("not_checked", ""))
        for c in data.get("county_check", [])
    )
    return Catalogue(views, tuple(rules), sources, checks)


def minus_months(day: dt.date, months: int) -> dt.date:
    month = day.year * 12 + day.month - 1 - months
    year, month0 = divmod(month, 12)
    import calendar

    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(day.day, last))


def base_parameters(as_of: dt.date) -> dict[str, Any]:
    return {
        "as_of": as_of,
        "as_of_year": as_of.year,
        "as_of_minus_12m": minus_months(as_of, 12),
        "as_of_mmdd": as_of.month * 100 + as_of.day,
    }


def literal(value: Any) -> str:
    """A value as the SQL text both engines read the same way (numbers bare, dates ISO, text quoted)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return str(Decimal(str(value)))
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except ArithmeticError:
            number = None
        if number is not None and number.is_finite():
            return str(number)
        return literal_text(value)  # text (and "NaN"/"Infinity") stays a quoted string
    raise RuleError(f"不支持的参数值：{value!r}")


def literal_text(value: str | None) -> str:
    """A string as an SQL string literal both engines read alike (NULL for None). Backslashes are refused:
    Spark reads them as escapes, DuckDB does not."""
    if value is None:
        return "NULL"
    if "\\" in value:
        raise RuleError(f"文本参数不能含反斜杠：{value!r}")
    return quoting.literal(value)


def render(sql: str, params: Mapping[str, Any], *, where: str) -> str:
    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in params:
            raise RuleError(f"{where} 使用了未定义的参数 {{{{{name}}}}}")
        return literal(params[name])

    return PLACEHOLDER.sub(sub, sql)


def to_spark(sql: str) -> str:
    import sqlglot

    return sqlglot.transpile(sql, read="duckdb", write="spark", pretty=False)[0]


@dataclass
class RuleOutcome:
    code: str
    rows: int = 0
    seconds: float = 0.0
    skipped: str = ""  # why the rule did not run (a dataset or a policy number missing), in Chinese
    partly_skipped: str = ""  # it ran, but not for these counties (a policy number missing), in Chinese

    @property
    def note(self) -> str:
        """What a run keeps and shows about a rule that did not run everywhere ("" when it did)."""
        return self.skipped or self.partly_skipped


@dataclass
class Result:
    findings: pa.Table
    outcomes: list[RuleOutcome]
    engine: str
    seconds: float

    def counts(self) -> dict[str, int]:
        """Rule code → findings (a code run for several regions, with their own rows or thresholds: summed)."""
        counts: dict[str, int] = {}
        for o in self.outcomes:
            if not o.skipped:
                counts[o.code] = counts.get(o.code, 0) + o.rows
        return counts

    def notes(self) -> dict[str, str]:
        """Rule code → why it did not run, or for which counties it did not (Chinese)."""
        notes: dict[str, list[str]] = {}
        for o in self.outcomes:
            if o.note and o.note not in notes.setdefault(o.code, []):
                notes[o.code].append(o.note)
        return {code: "；".join(texts) for code, texts in notes.items() if texts}


class Engine(Protocol):
    name: str

    def table(
        self,
        name: str,
        paths: Sequence[str],
        arrow_schema: pa.Schema,
        *,
        load_regions: Sequence[str | None] | None = None,
    ) -> None: ...
    def local(self, name: str, table: pa.Table) -> None: ...
    def view(self, name: str, sql: str) -> None: ...
    def query(self, sql: str) -> pa.Table: ...
    def close(self) -> None: ...


def dataset_schema(dataset: ds.Dataset) -> pa.Schema:
    types = {
        ds.T.ID: pa.string(),
        ds.T.TEXT: pa.string(),
        ds.T.REGION: pa.string(),
        ds.T.CODE: pa.string(),
        ds.T.DATE: pa.date32(),
        ds.T.MONEY: pa.decimal128(14, 2),
        ds.T.INT: pa.int32(),
        ds.T.BOOL: pa.bool_(),
    }
    fields = [(col.key, types[col.type]) for col in dataset.columns]
    fields += [("row_number", pa.int32()), ("id_valid", pa.bool_())]
    return pa.schema(fields)


LOAD_REGION = pa.field("load_region", pa.string())


def _by_region(paths: Sequence[str], regions: Sequence[str | None]) -> list[tuple[str | None, list[str]]]:
    """Files grouped by the region they were loaded for ("" and None: no region), in first-seen order."""
    if len(regions) != len(paths):
        raise ValueError("load_regions must name a region for each path")
    groups: dict[str | None, list[str]] = {}
    for path, region in zip(paths, regions, strict=True):
        groups.setdefault(region or None, []).append(path)
    return list(groups.items())


class DuckEngine:
    name = "duckdb"

    def __init__(self, *, threads: int | None = None, memory_limit: str | None = None) -> None:
        import duckdb

        self.con = duckdb.connect()
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            self.con.execute(f"SET memory_limit = {quoting.literal(memory_limit)}")
        self.con.execute("SET preserve_insertion_order = false")

    def table(
        self,
        name: str,
        paths: Sequence[str],
        arrow_schema: pa.Schema,
        *,
        load_regions: Sequence[str | None] | None = None,
    ) -> None:
        cols = ", ".join(quoting.identifier(f.name) for f in arrow_schema)
        if paths:
            groups = _by_region(paths, load_regions) if load_regions is not None else [(None, list(paths))]
            parts = []
            for region, group in groups:
                files = quoting.path_list(group)
                extra = (
                    ""
                    if load_regions is None
                    else f", CAST({literal_text(region)} AS VARCHAR) AS load_region"
                )
                parts.append(
                    f"SELECT {cols}{extra} "
                    f"FROM read_parquet({files}, hive_partitioning = false, union_by_name = true)"
                )
            self.con.execute(f"CREATE OR REPLACE VIEW {name} AS {' UNION ALL '.join(parts)}")
        else:
            empty = arrow_schema if load_regions is None else arrow_schema.append(LOAD_REGION)
            self.local(name, empty.empty_table())

    def local(self, name: str, table: pa.Table) -> None:
        """A small table from this process (the name keys, an empty dataset) as a table of the session."""
        self.con.register(f"_local_{name}", table)
        self.con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _local_{name}")
        self.con.unregister(f"_local_{name}")

    def view(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")

    def query(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()

    def close(self) -> None:
        self.con.close()


class SparkEngine:
    """Spark SQL over the same Parquet files. ``master`` is ``local[2]`` in tests, a cluster URL in production."""

    name = "spark"

    def __init__(self, master: str = "local[2]", *, session: Any | None = None) -> None:
        self.spark = session or spark_session(master)

    def table(
        self,
        name: str,
        paths: Sequence[str],
        arrow_schema: pa.Schema,
        *,
        load_regions: Sequence[str | None] | None = None,
    ) -> None:
        from pyspark.sql import functions as F

        spark_schema = _spark_schema(arrow_schema)
        if paths:
            groups = _by_region(paths, load_regions) if load_regions is not None else [(None, list(paths))]
            frame = None
            for region, group in groups:
                part = (
                    self.spark.read.schema(spark_schema)
                    .parquet(*group)
                    .select(*[f.name for f in arrow_schema])
                )
                if load_regions is not None:
                    part = part.withColumn("load_region", F.lit(region).cast("string"))
                frame = part if frame is None else frame.unionByName(part)
            assert frame is not None
            frame.createOrReplaceTempView(name)
        else:
            self.local(
                name,
                (arrow_schema if load_regions is None else arrow_schema.append(LOAD_REGION)).empty_table(),
            )

    def local(self, name: str, table: pa.Table) -> None:
        rows = [tuple(row.values()) for row in table.to_pylist()]
        self.spark.createDataFrame(rows, _spark_schema(table.schema)).createOrReplaceTempView(name)

    def view(self, name: str, sql: str) -> None:
        self.spark.sql(to_spark(sql)).createOrReplaceTempView(name)

    def query(self, sql: str) -> pa.Table:
        frame = self.spark.sql(to_spark(sql))
        rows = frame.collect()
        names = frame.columns
        return pa.Table.from_pylist(
            [dict(zip(names, row, strict=True)) for row in rows],
            schema=pa.schema([(n, pa.string()) for n in names]),
        )

    def close(self) -> None:  # the session is shared by the process; stopping it is the caller's choice
        return None


_SESSIONS: dict[str, Any] = {}


def spark_session(master: str = "local[2]") -> Any:
    """One Spark session per master for the process (starting Spark takes seconds)."""
    if master in _SESSIONS:
        return _SESSIONS[master]
    import os
    import sys

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master(master)
        .appName("jingzhun-compare")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "2g")
        .config("spark.sql.ansi.enabled", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    _SESSIONS[master] = session
    return session


def _spark_schema(arrow_schema: pa.Schema) -> Any:
    from pyspark.sql import types as st

    def convert(typ: pa.DataType) -> Any:
        if pa.types.is_string(typ):
            return st.StringType()
        if pa.types.is_date(typ):
            return st.DateType()
        if pa.types.is_decimal(typ):
            return st.DecimalType(typ.precision, typ.scale)
        if pa.types.is_int64(typ):
            return st.LongType()
        if pa.types.is_integer(typ):
            return st.IntegerType()
        if pa.types.is_boolean(typ):
            return st.BooleanType()
        raise TypeError(typ)

    return st.StructType([st.StructField(f.name, convert(f.type), True) for f in arrow_schema])


def make_engine(
    name: str, *, spark_master: str = "local[2]", threads: int | None = None, memory_limit: str | None = None
) -> Engine:
    if name == "duckdb":
        return DuckEngine(threads=threads, memory_limit=memory_limit)
    if name == "spark":
        return SparkEngine(spark_master)
    raise RuleError(f"不支持的比对引擎：{name}（可用：duckdb、spark）")


def region_filter(column: str, include: str, excluded: Sequence[str] = ()) -> str:
    """SQL keeping the rows whose region code ``column`` lies inside ``include`` and inside none of
    ``excluded`` ("TRUE" when everything counts); both engines read it alike."""

    def inside(prefix: str) -> str:
        return f"SUBSTR(COALESCE({column}, ''), 1, {len(prefix)}) = {literal_text(prefix)}"

    parts = [inside(include)] if include else []
    parts += [f"NOT ({inside(prefix)})" for prefix in excluded if prefix]
    return " AND ".join(parts) or "TRUE"


def _rule_query(rule: RuleSpec, sql: str) -> str:
    cols = ", ".join(f"CAST(f.{c} AS VARCHAR) AS {c}" for c in FINDING_COLUMNS[1:])
    query = f"SELECT {literal_text(rule.code)} AS rule_code, {cols} FROM ({sql}) f"
    if rule.region_prefix or rule.excluded:
        query += " WHERE " + region_filter("f.village_code", rule.region_prefix, rule.excluded)
    return query


def run_catalogue(
    engine: Engine,
    snapshot: Snapshot,
    dataset_files: Mapping[str, Sequence[str]],
    *,
    as_of: dt.date,
    rules: Iterable[RuleSpec] | None = None,
    parameters: Mapping[str, Mapping[str, Any]] | None = None,
    catalogue: Catalogue | None = None,
    progress: Progress | None = None,
    load_regions: Mapping[str, str | None] | None = None,
) -> Result:
    """Run ``rules`` (default: the whole catalogue) and return every finding.

    ``dataset_files`` maps a dataset code to its stored Parquet files; a rule whose dataset has none is
    skipped. ``load_regions`` maps a file to the region prefix it was loaded for (the ``load_region`` of its
    rows; a file not listed has none). ``parameters`` overrides a rule's threshold parameters by rule code.
    """
    started = time.perf_counter()
    catalogue = catalogue or load_catalogue()
    chosen = list(rules) if rules is not None else list(catalogue.rules)
    outcomes = [RuleOutcome(rule.code) for rule in chosen]
    for rule, outcome in zip(chosen, outcomes, strict=True):
        missing = [code for code in rule.datasets if not dataset_files.get(code)]
        if missing:
            outcome.skipped = "缺少部门数据：" + "、".join(ds.BY_CODE[c].name for c in missing)
    runnable = [rule for rule, outcome in zip(chosen, outcomes, strict=True) if not outcome.skipped]
    if progress and any(
        "name_keys" in t for t in [*(v.sql for v in catalogue.views), *(r.sql for r in runnable)]
    ):
        progress(0, "姓名比对键")
    params = prepare(
        engine,
        snapshot,
        dataset_files,
        as_of=as_of,
        catalogue=catalogue,
        rules=runnable,
        load_regions=load_regions,
    )
    tables: list[pa.Table] = []
    total = max(1, len(chosen))
    for index, (rule, outcome) in enumerate(zip(chosen, outcomes, strict=True)):
        if outcome.skipped:
            continue
        if rule.policy:
            whole, note = policy_gaps(engine, rule, params)
            if whole:
                outcome.skipped = note
                continue
            outcome.partly_skipped = note
        if progress:
            progress(int(100 * index / total), f"{rule.code} {rule.name}")
        values = {**params, **rule.parameters, **(parameters or {}).get(rule.code, {})}
        sql = _rule_query(rule, render(rule.sql, values, where=f"规则 {rule.code}"))
        t0 = time.perf_counter()
        try:
            table = engine.query(sql)
        except Exception as exc:  # the engines raise their own types; name the rule for the user
            raise RuleError(
                f"规则 {rule.code}（{rule.name}）执行失败：规则的查询无法执行，请系统管理员检查该规则的定义"
                "（详细原因见系统日志）",
                detail=str(exc),
            ) from exc
        outcome.seconds = time.perf_counter() - t0
        outcome.rows = table.num_rows
        tables.append(table.cast(FINDINGS_SCHEMA))
        log.info("rule %s: %d rows in %.2fs", rule.code, table.num_rows, outcome.seconds)
    if progress:
        progress(100, "完成")
    findings = pa.concat_tables(tables) if tables else FINDINGS_SCHEMA.empty_table()
    return Result(findings, outcomes, engine.name, time.perf_counter() - started)


def prepare(
    engine: Engine,
    snapshot: Snapshot,
    dataset_files: Mapping[str, Sequence[str]],
    *,
    as_of: dt.date,
    catalogue: Catalogue,
    rules: Sequence[RuleSpec],
    load_regions: Mapping[str, str | None] | None = None,
) -> dict[str, Any]:
    """The named tables and views every rule reads, on ``engine``; returns the base parameters
    (``as_of`` …). The table ``name_keys`` is filled only when a view or one of ``rules`` reads it."""
    for table in TABLES:
        if not snapshot.has(table):  # a snapshot older than the table: read as empty
            engine.table(table, [], schema(table))
            continue
        engine.table(
            table,
            [snapshot.table_glob(table)]
            if engine.name == "duckdb"
            else [str(p) for p in sorted((snapshot.path / table).glob("*/*.parquet"))],
            schema(table),
        )
    policy_paths = [str(snapshot.policy_path)] if snapshot.policy_path.exists() else []
    engine.table("policy", policy_paths, policy_schema())
    for dataset in ds.DATASETS:
        paths = list(dataset_files.get(dataset.code, ()))
        engine.table(
            f"d_{dataset.code}",
            paths,
            dataset_schema(dataset),
            load_regions=[(load_regions or {}).get(path) for path in paths],
        )
    params = base_parameters(as_of)
    keyed = any("name_keys" in text for text in [*(v.sql for v in catalogue.views), *(r.sql for r in rules)])
    engine.local(
        "name_keys", name_keys(engine, catalogue.name_sources) if keyed else NAME_KEYS_SCHEMA.empty_table()
    )
    for view in catalogue.views:
        engine.view(view.name, render(view.sql, params, where=f"视图 {view.name}"))
    return params


def name_keys(engine: Engine, sources: Sequence[str]) -> pa.Table:
    """The table ``name_keys``: each distinct name of the sources whose comparison key differs from it.

    The engine sends only the names ``namekeys.may_change`` matches (a few per cent: traditional characters,
    dot variants, spaces); Python folds each of those once."""
    if not sources:
        return NAME_KEYS_SCHEMA.empty_table()
    union = " UNION ALL ".join(f"SELECT name FROM {table}" for table in sources)
    sql = (
        f"SELECT DISTINCT n.name FROM ({union}) n "
        f"WHERE REGEXP_MATCHES(n.name, {literal_text(namekeys.may_change())})"
    )
    folded = namekeys.changed(engine.query(sql).column("name").to_pylist())
    return pa.table({"name": list(folded), "name_key": list(folded.values())}, schema=NAME_KEYS_SCHEMA)


# The (county, year) pairs a rule's policy numbers are needed for, by ``policy_year``: the year of the
# comparison date for every county of the snapshot, or each household's latest data year.
POLICY_NEEDS = {
    "as_of": "SELECT DISTINCT SUBSTR(h.village_code, 1, 6) AS county_code, {{as_of_year}} AS year FROM households h",
    "data": """SELECT DISTINCT SUBSTR(t.village_code, 1, 6) AS county_code, t.year FROM (
                 SELECT y.household_number, MIN(y.village_code) AS village_code, MAX(y.year) AS year
                 FROM years y GROUP BY y.household_number) t""",
}


def policy_gaps(engine: Engine, rule: RuleSpec, params: Mapping[str, Any]) -> tuple[bool, str]:
    """Whether none of the counties has the rule's policy numbers (skip it), and the Chinese note naming
    each missing number, year and county ("" when none is missing). Only the counties where the rule's
    findings count are asked about (a county's own version of a rule: that county)."""
    needs = render(POLICY_NEEDS[rule.policy_year], params, where=f"规则 {rule.code}")
    if rule.region_prefix or rule.excluded:
        counties = region_filter(
            "n.county_code", rule.region_prefix[:6], [p for p in rule.excluded if len(p) <= 6]
        )
        needs = f"SELECT n.county_code, n.year FROM ({needs}) n WHERE {counties}"
    values = ", ".join(f"CAST(MIN(pl.{number}) AS VARCHAR) AS {number}" for number in rule.policy)
    rows = engine.query(
        f"SELECT c.county_code, CAST(c.year AS VARCHAR) AS year, {values} FROM ({needs}) c "
        "LEFT JOIN policy pl ON pl.county_code = c.county_code AND pl.year = c.year "
        "GROUP BY c.county_code, c.year"
    ).to_pylist()
    missing = [
        (number, int(row["year"]), row["county_code"])
        for row in rows
        for number in rule.policy
        if row[number] is None
    ]
    complete = {
        (row["county_code"], row["year"]) for row in rows if all(row[n] is not None for n in rule.policy)
    }
    return bool(rows) and not complete, policy_note(missing, whole=bool(rows) and not complete)


def policy_note(missing: Iterable[tuple[str, int, str]], *, whole: bool) -> str:
    """ "缺少政策参数：2026 年度「国家扶贫标准（贫困线）」（620502、620503）…" from (number, year, county)."""
    from jingzhun.policy import catalogue as policy_catalogue

    grouped: dict[tuple[str, int], list[str]] = {}
    for number, year, county in missing:
        grouped.setdefault((number, year), []).append(county)
    if not grouped:
        return ""
    parts = []
    for (number, year), counties in sorted(grouped.items()):
        counties = sorted(set(counties))
        shown = "、".join(counties[:10]) + (f" 等 {len(counties)} 个县" if len(counties) > 10 else "")
        parts.append(f"{year} 年度「{policy_catalogue.get(number).name}」（{shown}）")
    text = "；".join(parts)
    if whole:
        return "缺少政策参数：" + text + "。未使用任何默认值，请在政策参数中补充后重新比对"
    # JC01 still compares ordinary households' members there: say what was left out, not more
    return "缺少政策参数的县未按该参数比对：" + text + "；其余县已比对"


def finding_rows(table: pa.Table) -> set[tuple[str | None, ...]]:
    """The findings as a set of tuples, for comparing engines row for row."""
    columns = [table.column(c).to_pylist() for c in FINDING_COLUMNS]
    return set(zip(*columns, strict=True))
