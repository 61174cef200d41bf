"""The national logic checks (逻辑校验) on every registry import, as warnings.

The checks are rules of the comparison catalogue (``comparison/data/rules.toml``) marked ``on_import``, each
written once over the snapshot's tables. For an import those tables are views over the staged file, in the
snapshot's shape (``comparison.snapshot``): ``households`` over each household's values (``hh_first``),
``members`` over the parsed rows (``p0``), and over them the catalogue's own views ``registered``, ``people``
and ``registered_people``. All rules run in one set-based DuckDB query; each finding becomes a warning on
the person's row (the household's first row for a household-level finding) naming the rule's column.

Warnings never reject a row. Where the national system refuses a value (an invalid ID, a relation not in the
list, no head or several heads …) the import's validation already gives a row error, and a warning on a cell
that already has an error is dropped. The table ``warnings`` holds them next to ``errors``.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import pyarrow as pa

from jingzhun.comparison import engine, snapshot
from jingzhun.core import quoting
from jingzhun.registry.columns import BY_KEY, INPUT_COLUMNS, Kind, Level
from jingzhun.registry.staging import Staged
from jingzhun.registry.validation import SHARED

VIEWS = ("registered", "people", "registered_people")
PREVIEW = 200


def _duck_type(typ: pa.DataType) -> str:
    if pa.types.is_string(typ):
        return "VARCHAR"
    if pa.types.is_date(typ):
        return "DATE"
    if pa.types.is_boolean(typ):
        return "BOOLEAN"
    if pa.types.is_decimal(typ):
        return f"DECIMAL({typ.precision}, {typ.scale})"
    if pa.types.is_int64(typ):
        return "BIGINT"
    if pa.types.is_integer(typ):
        return "INTEGER"
    raise TypeError(typ)


def _multi(expr: str) -> str:
    """A parsed code list as the snapshot writes it: ``,a,b,`` ('' when empty)."""
    return (
        f"CASE WHEN coalesce(len({expr}), 0) = 0 THEN '' ELSE ',' || array_to_string({expr}, ',') || ',' END"
    )


MEMBER_KEYS = {c.key for c in INPUT_COLUMNS if c.level == Level.MEMBER}
SHARED_KEYS = {c.key for c in SHARED}
# Snapshot columns whose value in the staged file is not simply ``v_<name>`` / ``h_<name>``.
# The members carry no village code: rules output it for routing doubts, which an import does not do, and
# leaving it out spares every rule a join of the rows with their households (``registered`` has it).
# A row without a person number (an error of its own) gets one made of its row index, so that its findings
# still come back to it and never to the household's first row.
PERSON_KEY = "coalesce(v_person_number, '#' || _i)"
MEMBER_EXPR = {
    "member_id": "_i",
    "household_number": "hh",
    "village_code": "NULL",
    "county_code": "NULL",
    "person_number": PERSON_KEY,
    "id_number": "id_canon",
    "disability_cert_number": "id_cert",
    "sex": "coalesce(id_sex, v_sex)",
    "birth_date": "coalesce(id_birth, v_birth_date)",
    "disability_category": "id_dcat",
    "disability_grade": "id_dgrade",
    "health": _multi("v_health"),
}
HOUSEHOLD_EXPR = {
    "household_number": "hh",
    "village_code": "h_village",
    "county_code": "substr(h_village, 1, 6)",
    "phone_shape": "CASE WHEN regexp_full_match(h_phone, '[0-9]{11}') THEN '99999999999' "
    "ELSE translate(trim(coalesce(h_phone, '')), '0123456789', '9999999999') END",
    "other_causes": _multi("h_other_causes"),
    "risk_types": _multi("h_risk_types"),
}


def _select(table: str, exprs: dict[str, str], prefix: str, keys: set[str]) -> str:
    cols = []
    for f in snapshot.schema(table):
        expr = exprs.get(f.name) or (f"{prefix}_{f.name}" if f.name in keys else "NULL")
        cols.append(f"CAST({expr} AS {_duck_type(f.type)}) AS {f.name}")
    return ", ".join(cols)


@cache
def shipped() -> engine.Catalogue:
    """The catalogue as shipped, read once per process (every import reads it several times)."""
    return engine.load_catalogue()


def import_rules(catalogue: engine.Catalogue | None = None) -> list[engine.RuleSpec]:
    catalogue = catalogue or shipped()
    return [r for r in catalogue.rules if r.on_import]


def build_tables(
    staged: Staged, *, as_of: dt.date | None = None, catalogue: engine.Catalogue | None = None
) -> None:
    """Views ``households`` and ``members`` of the snapshot's shape over the parsed file, and the catalogue's
    views over them. Views, not copies: each rule reads only the columns and rows it needs (a million
    members are checked in well under a second)."""
    con = staged.con
    catalogue = catalogue or shipped()
    con.execute(
        f"CREATE VIEW households AS SELECT {_select('households', HOUSEHOLD_EXPR, 'h', SHARED_KEYS)} "
        "FROM hh_first"
    )
    con.execute(
        f"CREATE VIEW members AS SELECT {_select('members', MEMBER_EXPR, 'v', MEMBER_KEYS)} "
        "FROM p0 WHERE hh IS NOT NULL"
    )
    params = engine.base_parameters(as_of or dt.date.today())
    views = {v.name: v for v in catalogue.views}
    for name in VIEWS:
        con.execute(f"CREATE VIEW {name} AS {engine.render(views[name].sql, params, where=f'视图 {name}')}")


def run_checks(
    staged: Staged, *, as_of: dt.date | None = None, catalogue: engine.Catalogue | None = None
) -> None:
    """Table ``warnings`` (one row per warning, as ``errors`` plus the rule code) from the import rules."""
    con = staged.con
    catalogue = catalogue or shipped()
    rules = import_rules(catalogue)
    build_tables(staged, as_of=as_of, catalogue=catalogue)
    if not rules:
        con.execute(
            "CREATE TABLE warnings AS SELECT _i, _sheet, _row, hh, CAST(NULL AS VARCHAR) AS rule_code, col, val,"
            " msg FROM errors LIMIT 0"
        )
        return
    params = engine.base_parameters(as_of or dt.date.today())
    parts = [
        f"SELECT {quoting.literal(r.code)} AS rule_code, CAST(f.household_number AS VARCHAR) AS household_number, "
        f"CAST(f.person_number AS VARCHAR) AS person_number, CAST(f.detail AS VARCHAR) AS detail "
        f"FROM ({engine.render(r.sql, {**params, **r.parameters}, where=f'规则 {r.code}')}) f"
        for r in rules
    ]
    con.execute("CREATE TABLE logic_findings AS " + " UNION ALL ".join(parts))
    headers = " ".join(
        f"WHEN {quoting.literal(r.code)} THEN {quoting.literal(BY_KEY[r.column].header)}" for r in rules
    )
    texts = " ".join(
        f"WHEN {quoting.literal(r.code)} THEN r.{quoting.identifier(r.column)}"
        for r in rules
        if BY_KEY[r.column].kind != Kind.ID
    )
    value = f"CASE l.rule_code {texts} END" if texts else "NULL"
    con.execute(f"""CREATE TABLE warnings AS
        WITH firsts AS (SELECT hh, min(_i) AS _i FROM p0 WHERE hh IN (
            SELECT household_number FROM logic_findings WHERE person_number IS NULL) GROUP BY hh),
        located AS (
            SELECT q._i, f.* FROM logic_findings f
            JOIN p0 q ON q.hh = f.household_number AND coalesce(q.v_person_number, '#' || q._i) = f.person_number
            UNION ALL
            SELECT firsts._i, f.* FROM logic_findings f JOIN firsts ON firsts.hh = f.household_number
            WHERE f.person_number IS NULL)
        SELECT l._i, q._sheet, q._row, q.hh, l.rule_code, CASE l.rule_code {headers} END AS col,
               CAST({value} AS VARCHAR) AS val, l.detail AS msg
        FROM located l JOIN p0 q USING (_i) JOIN raw r USING (_i)""")
    # A cell that already has an error needs no warning about the same column.
    con.execute(
        "DELETE FROM warnings w WHERE EXISTS (SELECT 1 FROM errors e WHERE e._i = w._i AND e.col = w.col)"
    )


def counts(staged: Staged) -> dict[str, int]:
    """Rows per rule (every warning; the lists below hold only the first ones)."""
    return dict(staged.con.execute("SELECT rule_code, count(*) FROM warnings GROUP BY rule_code").fetchall())


def _labels(catalogue: engine.Catalogue | None) -> dict[str, str]:
    from jingzhun.comparison.checks import label

    return {r.code: label(r) for r in (catalogue or shipped()).rules}


def preview(
    staged: Staged, limit: int = PREVIEW, catalogue: engine.Catalogue | None = None
) -> list[dict[str, Any]]:
    """The first warnings in file order, as the batch keeps them (the same keys as its errors, plus the rule
    and the county tools' check)."""
    labels = _labels(catalogue)
    rows = staged.con.execute(
        """SELECT _sheet, _row, col, coalesce(val, ''), msg, coalesce(hh, ''), rule_code
        FROM warnings ORDER BY _i, rule_code LIMIT ?""",
        [limit],
    ).fetchall()
    return [
        {
            "sheet": r[0],
            "row": r[1],
            "column": r[2],
            "value": r[3],
            "message": r[4],
            "household_number": r[5],
            "rule": r[6],
            "check": labels.get(r[6], r[6]),
        }
        for r in rows
    ]


def summary(found: dict[str, int], catalogue: engine.Catalogue | None = None) -> list[dict[str, Any]]:
    """The import's 疑点数据统计表: the failed checks and their rows, in the tools' order."""
    from jingzhun.comparison.checks import summary as check_summary

    return [
        {"numbers": s.numbers, "name": s.name, "rule": s.rule, "rows": s.rows}
        for s in check_summary(found, catalogue=catalogue or shipped())
        if s.failed
    ]


WARNING_HEADERS = ("工作表", "行号", "户编号", "列", "填写内容", "说明")


def add_report_sheets(
    wb: Any, staged: Staged, found: dict[str, int], catalogue: engine.Catalogue | None = None
) -> None:
    """The county tools' sheets in the import's report: the summary and one sheet per failed check, each
    listing its first ``DETAIL_LIMIT`` warnings (read from DuckDB, so a million warnings stay cheap)."""
    from jingzhun.comparison.checks import DETAIL_LIMIT, add_sheets
    from jingzhun.comparison.checks import summary as check_summary

    catalogue = catalogue or shipped()
    details: dict[str, list[list[Any]]] = {}
    for code, *row in staged.con.execute(
        """SELECT rule_code, _sheet, _row, coalesce(hh, ''), col, coalesce(val, ''),
            msg FROM (SELECT *, row_number() OVER (PARTITION BY rule_code ORDER BY _i) AS n FROM warnings)
        WHERE n <= ? ORDER BY rule_code, _i""",
        [DETAIL_LIMIT],
    ).fetchall():
        details.setdefault(code, []).append(row)
    add_sheets(
        wb,
        check_summary(found, catalogue=catalogue, rules=[r.code for r in import_rules(catalogue)]),
        details,
        WARNING_HEADERS,
        totals_by_rule=found,
        catalogue=catalogue,
    )
