"""Run the doubt-rule catalogue over a snapshot and department files, on DuckDB or on Spark.

Each rule is written once, in DuckDB's SQL (``data/rules.toml``). DuckDB runs it as written; Spark runs the
same text translated by sqlglot (``read="duckdb", write="spark"``). Both engines see the same named tables:
the snapshot's ``households``, ``members``, ``years``, ``status_events`` and ``policy``, and ``d_<dataset>``
for each department dataset (the current loads' Parquet files, or an empty table of the declared columns
when a dataset was never loaded: its rules are then skipped and the run says so).

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
from jingzhun.comparison.snapshot import TABLES, Snapshot, policy_schema, schema

log = logging.getLogger(__name__)

CATALOGUE = Path(__file__).parent / "data" / "rules.toml"
FINDING_COLUMNS = ("rule_code", "household_number", "person_number", "id_number", "name", "village_code", "detail")
FINDINGS_SCHEMA = pa.schema([(name, pa.string()) for name in FINDING_COLUMNS])
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")
Progress = Callable[[int, str], None]


class RuleError(ValueError):
    """A rule that cannot run; the message is Chinese and names the rule."""


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
    county_checks: tuple[str, ...] = ()  # the county tools' logic checks (逻辑校验) this rule is
    on_import: bool = False  # also run on every registry import, as a warning naming ``column``
    column: str = ""  # the register column (key) an import warning names


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
        rules.append(RuleSpec(
            code=r["code"], category=r["category"], severity=r["severity"], name=r["name"], message=r["message"],
            sql=r["sql"], explanation=r.get("explanation", ""), datasets=tuple(r.get("datasets", ())),
            audience=tuple(r.get("audience", ())), on_true=r.get("on_true", ""), exact=r.get("exact", True),
            parameters=dict(r.get("parameters", {})), county_checks=tuple(r.get("county_checks", ())),
            on_import=r.get("on_import", False), column=r.get("column", ""),
        ))
    codes = [r.code for r in rules]
    if len(codes) != len(set(codes)):
        raise RuleError("规则编号重复")
    for rule in rules:
        unknown = set(rule.datasets) - set(ds.BY_CODE)
        if unknown:
            raise RuleError(f"规则 {rule.code} 使用了不存在的部门数据集：{'、'.join(sorted(unknown))}")
    checks = tuple(CountyCheck(c["number"], c["name"], c.get("at_import", ""), c.get("not_checked", ""))
                   for c in data.get("county_check", []))
    return Catalogue(views, tuple(rules), checks)


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
        return "'" + value.replace("'", "''") + "'"  # text (and "NaN"/"Infinity") stays a quoted string
    raise RuleError(f"不支持的参数值：{value!r}")


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
    skipped: str = ""  # why the rule did not run (a dataset missing), in Chinese


@dataclass
class Result:
    findings: pa.Table
    outcomes: list[RuleOutcome]
    engine: str
    seconds: float

    def counts(self) -> dict[str, int]:
        return {o.code: o.rows for o in self.outcomes if not o.skipped}


class Engine(Protocol):
    name: str

    def table(self, name: str, paths: Sequence[str], arrow_schema: pa.Schema) -> None: ...
    def view(self, name: str, sql: str) -> None: ...
    def query(self, sql: str) -> pa.Table: ...
    def close(self) -> None: ...


def dataset_schema(dataset: ds.Dataset) -> pa.Schema:
    types = {
        ds.T.ID: pa.string(), ds.T.TEXT: pa.string(), ds.T.REGION: pa.string(), ds.T.CODE: pa.string(),
        ds.T.DATE: pa.date32(), ds.T.MONEY: pa.decimal128(14, 2), ds.T.INT: pa.int32(), ds.T.BOOL: pa.bool_(),
    }
    fields = [(col.key, types[col.type]) for col in dataset.columns]
    fields += [("row_number", pa.int32()), ("id_valid", pa.bool_())]
    return pa.schema(fields)


class DuckEngine:
    name = "duckdb"

    def __init__(self, *, threads: int | None = None, memory_limit: str | None = None) -> None:
        import duckdb

        self.con = duckdb.connect()
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{memory_limit}'")
        self.con.execute("SET preserve_insertion_order = false")

    def table(self, name: str, paths: Sequence[str], arrow_schema: pa.Schema) -> None:
        cols = ", ".join(f'"{f.name}"' for f in arrow_schema)
        if paths:
            files = "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"
            self.con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT {cols} "
                             f"FROM read_parquet({files}, hive_partitioning = false, union_by_name = true)")
        else:
            self.con.register(f"_empty_{name}", arrow_schema.empty_table())
            self.con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT {cols} FROM _empty_{name}")
            self.con.unregister(f"_empty_{name}")

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

    def table(self, name: str, paths: Sequence[str], arrow_schema: pa.Schema) -> None:
        spark_schema = _spark_schema(arrow_schema)
        if paths:
            frame = self.spark.read.schema(spark_schema).parquet(*paths)
            frame = frame.select(*[f.name for f in arrow_schema])
        else:
            frame = self.spark.createDataFrame([], spark_schema)
        frame.createOrReplaceTempView(name)

    def view(self, name: str, sql: str) -> None:
        self.spark.sql(to_spark(sql)).createOrReplaceTempView(name)

    def query(self, sql: str) -> pa.Table:
        frame = self.spark.sql(to_spark(sql))
        rows = frame.collect()
        names = frame.columns
        return pa.Table.from_pylist([dict(zip(names, row, strict=True)) for row in rows],
                                    schema=pa.schema([(n, pa.string()) for n in names]))

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
        SparkSession.builder.master(master).appName("jingzhun-compare")
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


def make_engine(name: str, *, spark_master: str = "local[2]", threads: int | None = None,
                memory_limit: str | None = None) -> Engine:
    if name == "duckdb":
        return DuckEngine(threads=threads, memory_limit=memory_limit)
    if name == "spark":
        return SparkEngine(spark_master)
    raise RuleError(f"不支持的比对引擎：{name}（可用：duckdb、spark）")


def _rule_query(rule: RuleSpec, sql: str) -> str:
    cols = ", ".join(f"CAST(f.{c} AS VARCHAR) AS {c}" for c in FINDING_COLUMNS[1:])
    code = rule.code.replace("'", "")
    return f"SELECT '{code}' AS rule_code, {cols} FROM ({sql}) f"


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
) -> Result:
    """Run ``rules`` (default: the whole catalogue) and return every finding.

    ``dataset_files`` maps a dataset code to its stored Parquet files; a rule whose dataset has none is
    skipped. ``parameters`` overrides a rule's threshold parameters by rule code.
    """
    started = time.perf_counter()
    catalogue = catalogue or load_catalogue()
    chosen = list(rules) if rules is not None else list(catalogue.rules)
    for table in TABLES:
        if not snapshot.has(table):  # a snapshot older than the table: read as empty
            engine.table(table, [], schema(table))
            continue
        engine.table(table, [snapshot.table_glob(table)] if engine.name == "duckdb" else
                     [str(p) for p in sorted((snapshot.path / table).glob("*/*.parquet"))], schema(table))
    policy_paths = [str(snapshot.policy_path)] if snapshot.policy_path.exists() else []
    engine.table("policy", policy_paths, policy_schema())
    for dataset in ds.DATASETS:
        engine.table(f"d_{dataset.code}", list(dataset_files.get(dataset.code, ())), dataset_schema(dataset))
    params = base_parameters(as_of)
    for view in catalogue.views:
        engine.view(view.name, render(view.sql, params, where=f"视图 {view.name}"))
    outcomes: list[RuleOutcome] = []
    tables: list[pa.Table] = []
    total = max(1, len(chosen))
    for index, rule in enumerate(chosen):
        outcome = RuleOutcome(rule.code)
        outcomes.append(outcome)
        missing = [code for code in rule.datasets if not dataset_files.get(code)]
        if missing:
            outcome.skipped = "缺少部门数据：" + "、".join(ds.BY_CODE[c].name for c in missing)
            continue
        if progress:
            progress(int(100 * index / total), f"{rule.code} {rule.name}")
        values = {**params, **rule.parameters, **(parameters or {}).get(rule.code, {})}
        sql = _rule_query(rule, render(rule.sql, values, where=f"规则 {rule.code}"))
        t0 = time.perf_counter()
        try:
            table = engine.query(sql)
        except Exception as exc:  # the engines raise their own types; name the rule for the user
            raise RuleError(f"规则 {rule.code}（{rule.name}）执行失败：{exc}") from exc
        outcome.seconds = time.perf_counter() - t0
        outcome.rows = table.num_rows
        tables.append(table.cast(FINDINGS_SCHEMA))
        log.info("rule %s: %d rows in %.2fs", rule.code, table.num_rows, outcome.seconds)
    if progress:
        progress(100, "完成")
    findings = pa.concat_tables(tables) if tables else FINDINGS_SCHEMA.empty_table()
    return Result(findings, outcomes, engine.name, time.perf_counter() - started)


def finding_rows(table: pa.Table) -> set[tuple[str | None, ...]]:
    """The findings as a set of tuples, for comparing engines row for row."""
    columns = [table.column(c).to_pylist() for c in FINDING_COLUMNS]
    return set(zip(*columns, strict=True))
