"""Checking a rule a county wrote before it may be switched on.

In order, each step stopping at the first that fails, every message in Chinese naming what does not fit:
the placeholders (``{{name}}``: the rule's parameters and ``as_of`` …), the syntax (sqlglot, DuckDB's
dialect: one SELECT, no file or table functions), every table the rule reads (the snapshot's tables, the
department datasets ``d_<code>``, ``policy``, ``name_keys``, the catalogue's views, its own WITH names)
and every column it names (against the columns those have on the county's latest snapshot), the columns a
doubt needs in its result, the translation for Spark (sqlglot, ``write="spark"``), and finally a trial on
the latest snapshot of the region in DuckDB (at most ``TRIAL_ROWS`` rows, stopped after
``TRIAL_SECONDS``), filtered to the rule's region as a run filters it.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError
from sqlglot.optimizer.scope import Scope, traverse_scope

from jingzhun.comparison import engine
from jingzhun.comparison.snapshot import Snapshot, open_snapshot, write_snapshot

log = logging.getLogger(__name__)

TRIAL_ROWS = 1000
TRIAL_SECONDS = 30
SAMPLE_ROWS = 20
NEEDED = engine.FINDING_COLUMNS[1:]
# Functions that read files, settings or the session: a rule reads only the named tables.
BLOCKED_PREFIXES = ("read_", "parquet_", "duckdb_", "pragma_", "iceberg_", "delta_", "sniff_", "glob")
BLOCKED_NAMES = {"getenv", "current_setting", "query", "query_table", "load", "install", "which_secret"}


@dataclass
class CheckResult:
    errors: list[str] = field(default_factory=list)
    rows: int = 0  # findings in the trial (at most TRIAL_ROWS)
    capped: bool = False  # more than TRIAL_ROWS
    sample: list[dict[str, Any]] = field(default_factory=list)
    snapshot: str = ""
    seconds: float = 0.0
    note: str = ""  # what the trial lacked (a dataset not loaded for the county), in Chinese

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def message(self) -> str:
        return "；".join(self.errors)


class RuleRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --------------------------------------------------------------------------------------------------
# Static checks (no data)


def parse(sql: str) -> exp.Query:
    """One SELECT in DuckDB's dialect, or ``RuleRefused`` naming where the syntax breaks."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        near = (first.get("highlight") or "").strip()
        where = f"第 {first['line']} 行第 {first['col']} 列" if first.get("line") else ""
        raise RuleRefused(
            f"SQL 语法错误：{where}「{near}」附近" if near else f"SQL 语法错误：{where}"
        ) from None
    except sqlglot.errors.SqlglotError:
        raise RuleRefused("SQL 语法错误：无法解析该查询") from None
    if not statements:
        raise RuleRefused("查询语句为空")
    if len(statements) > 1:
        raise RuleRefused("只能写一条 SELECT 查询（不要用分号连接多条语句）")
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise RuleRefused("规则只能是一条 SELECT 查询，不能修改数据或设置")
    return tree


def _function_name(node: exp.Func) -> str:
    return (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()


def check_tables(tree: exp.Query, schema: Mapping[str, Sequence[str]]) -> list[str]:
    """Every table is a known table or view (or the query's own WITH name); no table or file functions."""
    errors: list[str] = []
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for node in tree.find_all(exp.Func):
        name = _function_name(node)
        if name in BLOCKED_NAMES or name.startswith(BLOCKED_PREFIXES) or isinstance(node, exp.ReadCSV):
            errors.append(f"规则不能调用函数 {name}（只能读取快照和部门数据的表）")
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            errors.append("规则不能在 FROM 中调用表函数或读取文件（只能读取快照和部门数据的表）")
            continue
        if table.args.get("db") or table.args.get("catalog"):
            errors.append(f"未知的表 {'.'.join(p.name for p in table.parts)}（表名前不能加库名）")
            continue
        if table.name not in schema and table.name not in ctes:
            errors.append(f"未知的表 {table.name}（可用的表：{'、'.join(sorted(schema))}）")
    return list(dict.fromkeys(errors))


def _source_columns(source: Any, schema: Mapping[str, Sequence[str]]) -> set[str] | None:
    """The columns a FROM source offers (None: unknown, e.g. a subquery selecting *)."""
    if isinstance(source, exp.Table):
        cols = schema.get(source.name)
        return set(cols) if cols is not None else None
    if isinstance(source, Scope):
        names = source.expression.named_selects if isinstance(source.expression, exp.Query) else []
        return None if "*" in names or not names else set(names)
    return None


def check_columns(tree: exp.Query, schema: Mapping[str, Sequence[str]]) -> list[str]:
    """Every column names one its table (or subquery) has: "未知的列 X（表 Y 没有这一列）"."""
    errors: list[str] = []
    for scope in traverse_scope(tree):
        aliases = set(scope.expression.named_selects) if isinstance(scope.expression, exp.Select) else set()
        for column in scope.columns:
            if not column.name or column.name == "*":
                continue
            if column.find_ancestor(exp.Select) is not scope.expression:
                continue  # a subquery's own column (sqlglot also lists it in the outer scope): checked there
            if column.table:
                holder: Scope | None = scope
                while holder is not None and column.table not in holder.sources:
                    holder = holder.parent
                if holder is None:
                    errors.append(f"未知的表别名 {column.table}（{column.table}.{column.name}）")
                    continue
                source = holder.sources[column.table]
                cols = _source_columns(source, schema)
                if cols is not None and column.name not in cols:
                    where = source.name if isinstance(source, exp.Table) else f"子查询 {column.table}"
                    errors.append(f"未知的列 {column.name}：表 {where} 没有这一列")
                continue
            offered: list[set[str] | None] = []
            holder = scope
            while holder is not None:
                offered += [_source_columns(s, schema) for s in holder.sources.values()]
                holder = holder.parent
            if column.name in aliases or any(cols is None or column.name in cols for cols in offered):
                continue
            tables = [s.name for s in scope.sources.values() if isinstance(s, exp.Table)]
            errors.append(f"未知的列 {column.name}：{'、'.join(tables) or 'FROM 中的表'} 都没有这一列")
    return list(dict.fromkeys(errors))


def check_output(tree: exp.Query, schema: Mapping[str, Sequence[str]]) -> list[str]:
    """The SELECT returns the columns a doubt needs."""
    from sqlglot.optimizer.qualify import qualify

    try:
        qualified = qualify(
            tree.copy(),
            schema={name: dict.fromkeys(cols, "VARCHAR") for name, cols in schema.items()},
            dialect="duckdb",
            validate_qualify_columns=False,
            quote_identifiers=False,
        )
        names = set(qualified.named_selects) if isinstance(qualified, exp.Query) else set()
    except sqlglot.errors.SqlglotError:
        names = set(tree.named_selects)
    missing = [c for c in NEEDED if c not in names]
    if missing:
        return [f"查询结果缺少疑点需要的列：{'、'.join(missing)}（须返回 {'、'.join(NEEDED)}）"]
    return []


def check_spark(sql: str) -> list[str]:
    try:
        sqlglot.transpile(sql, read="duckdb", write="spark", unsupported_level=ErrorLevel.RAISE)
    except sqlglot.errors.SqlglotError as exc:
        log.info("rule does not translate for Spark: %s", exc)
        found = re.search(r"(?i)unsupported\s+(?:function\s+)?['\"]?([A-Za-z_][\w]*)", str(exc))
        what = f"（{found.group(1)}）" if found else ""
        return [f"该查询无法转换为 Spark SQL{what}：请改用两个引擎都支持的写法（见规则目录的说明）"]
    return []


# --------------------------------------------------------------------------------------------------
# The trial on the latest snapshot


TRIAL_SNAPSHOT_AGE = 3600  # seconds a county's own trial snapshot is reused when no run left one


def latest_snapshot(region_prefix: str) -> Snapshot:
    """The snapshot of the newest finished run covering the region; without one, the county's trial
    snapshot (``rulecheck-<county>``, written anew when older than an hour, so trials leave one folder)."""
    from jingzhun.comparison.models import ComparisonRun, RunState
    from jingzhun.comparison.snapshot import snapshots_dir

    county = region_prefix[:6]
    runs = ComparisonRun.objects.filter(state=RunState.DONE).select_related("region").order_by("-finished_at")
    for run in runs[:50]:
        path = (run.rules or {}).get("snapshot", "")
        if path and county.startswith(run.region.prefix) and Path(path).is_dir():
            snap = open_snapshot(path)
            if county in snap.counties:
                return snap
    trial = snapshots_dir() / f"rulecheck-{county}"
    if trial.is_dir() and time.time() - trial.stat().st_mtime < TRIAL_SNAPSHOT_AGE:
        return open_snapshot(trial)
    return write_snapshot(county, name=trial.name)


DUCK_ERRORS = (
    (re.compile(r'syntax error at or near "([^"]*)"'), "SQL 语法错误：「{0}」附近"),
    (
        re.compile(r'Table "([^"]+)" does not have a column named "([^"]+)"'),
        "未知的列 {1}：表 {0} 没有这一列",
    ),
    (re.compile(r'Referenced column "([^"]+)" not found'), "未知的列 {0}"),
    (re.compile(r"Table with name (\S+) does not exist"), "未知的表 {0}"),
    (re.compile(r"Scalar Function with name (\S+) does not exist"), "DuckDB 没有函数 {0}"),
    (
        re.compile(r"No function matches the given name and argument types '([^(']+)"),
        "函数 {0} 的参数类型不符",
    ),
    (re.compile(r"Could not convert string '([^']*)'"), "无法把文本「{0}」转换为数字或日期"),
    (
        re.compile(r"Cannot compare values of type (\w+?)(?:_LITERAL)? and type (\w+?)(?:_LITERAL)?\b"),
        "不能比较 {0} 类型和 {1} 类型的值",
    ),
)


def duck_message(text: str) -> str:
    for pattern, message in DUCK_ERRORS:
        found = pattern.search(text)
        if found:
            return message.format(*(g.strip("'\"") for g in found.groups()))
    return "试运行失败：查询无法在快照上执行（类型不符、函数不存在或写法不被支持）"


def _schema_of(duck: engine.DuckEngine, names: Sequence[str]) -> dict[str, list[str]]:
    return {
        name: [row[0] for row in duck.con.execute(f"DESCRIBE SELECT * FROM {name}").fetchall()]
        for name in names
    }


def check(
    *,
    sql: str,
    code: str,
    region_prefix: str,
    parameters: Mapping[str, Any],
    datasets: Sequence[str] = (),
    as_of: dt.date | None = None,
    snapshot: Snapshot | None = None,
) -> CheckResult:
    """All the checks and the trial; ``CheckResult.errors`` is empty when the rule may be switched on."""
    from jingzhun.comparison import datasets as ds
    from jingzhun.comparison.services import dataset_files

    result = CheckResult()
    started = time.perf_counter()
    as_of = as_of or dt.date.today()
    if not (sql or "").strip():
        result.errors.append("请填写规则的查询语句")
        return result
    try:
        rendered = engine.render(sql, {**engine.base_parameters(as_of), **parameters}, where=f"规则 {code}")
        tree = parse(rendered)
    except (engine.RuleError, RuleRefused) as exc:
        result.errors.append(str(exc) if isinstance(exc, engine.RuleError) else exc.message)
        return result
    unknown = [d for d in datasets if d not in ds.BY_CODE]
    if unknown:
        result.errors.append(f"未知的部门数据集：{'、'.join(unknown)}")
        return result
    catalogue = engine.load_catalogue()
    snap = snapshot or latest_snapshot(region_prefix)
    result.snapshot = str(snap.path)
    files, _used, load_regions = dataset_files([region_prefix[:6]])
    duck = engine.DuckEngine(threads=1, memory_limit="1GB")
    try:
        spec = engine.RuleSpec(code, "quality", "low", code, "", sql, region_prefix=region_prefix)
        engine.prepare(
            duck, snap, files, as_of=as_of, catalogue=catalogue, rules=[spec], load_regions=load_regions
        )
        names = [*engine.TABLES, "policy", *(f"d_{d.code}" for d in ds.DATASETS), "name_keys"]
        schema = _schema_of(duck, [*names, *(v.name for v in catalogue.views)])
        result.errors += check_tables(tree, schema)
        if not result.errors:
            result.errors += check_columns(tree, schema)
        if not result.errors:
            result.errors += check_output(tree, schema)
        if not result.errors:
            result.errors += check_spark(engine._rule_query(spec, rendered))
        if result.errors:
            return result
        missing = [ds.BY_CODE[d].name for d in datasets if not files.get(d)]
        if missing:  # the rule would be skipped in a run: say so, the trial runs on empty tables
            result.note = f"本县还没有部门数据：{'、'.join(missing)}。试运行时按空表运行；比对时缺少这些数据会跳过该规则并说明原因"
        _trial(duck, engine._rule_query(spec, rendered), result)
    finally:
        duck.close()
        result.seconds = round(time.perf_counter() - started, 2)
    return result


def _trial(duck: engine.DuckEngine, query: str, result: CheckResult) -> None:
    import duckdb

    timer = threading.Timer(TRIAL_SECONDS, duck.con.interrupt)
    timer.start()
    try:
        table = duck.query(f"SELECT * FROM ({query}) t LIMIT {TRIAL_ROWS + 1}")
    except duckdb.InterruptException:
        result.errors.append(f"试运行超过 {TRIAL_SECONDS} 秒，已停止：请缩小查询范围或改写连接条件")
        return
    except duckdb.Error as exc:
        log.info("rule trial failed: %s", exc)
        result.errors.append(duck_message(str(exc)))
        return
    finally:
        timer.cancel()
    rows = table.to_pylist()
    result.capped = len(rows) > TRIAL_ROWS
    result.rows = min(len(rows), TRIAL_ROWS)
    result.sample = rows[:SAMPLE_ROWS]
