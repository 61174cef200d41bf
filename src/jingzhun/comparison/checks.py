"""The national logic checks (逻辑校验) as the county tools report them.

County tools run 28 checks on the national member export and write one sheet per failed check and a summary,
the 疑点数据统计表 (check, rows). In Jingzhun each check is a rule of the catalogue (``county_checks`` in
``data/rules.toml``) or the import's own refusal, and the catalogue's ``[[county_check]]`` table says which.
This module turns rule counts into that summary (for a comparison run per village, and for an import) and
writes the workbook: the summary sheet, a per-village sheet where there are villages, and one sheet per
failed check. ``registry.logic`` runs the same rules on every import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from jingzhun.accounts.models import User
from jingzhun.comparison import engine

DETAIL_LIMIT = 20_000  # rows listed per check sheet; the summary always has the full count
SUMMARY_SHEET = "疑点数据统计表"
VILLAGE_SHEET = "各村统计"
FINDING_HEADERS = ("村", "行政村编号", "户编号", "人编号", "姓名", "证件号码", "说明")


def logic_rules(catalogue: engine.Catalogue | None = None) -> list[engine.RuleSpec]:
    """The rules that are county-tool checks, in the order of the tools' numbers."""
    catalogue = catalogue or engine.load_catalogue()
    return sorted(
        (r for r in catalogue.rules if r.county_checks), key=lambda r: (min(r.county_checks), r.code)
    )


def label(rule: engine.RuleSpec) -> str:
    """How the county tools name the check: its numbers and name (``05、07 无户主或多个户主``)."""
    return f"{'、'.join(rule.county_checks)} {rule.name}"


@dataclass(frozen=True)
class SummaryRow:
    """One line of the 疑点数据统计表: a county-tool check (or several one rule covers) and its rows."""

    numbers: str
    name: str
    rule: str  # the rule code, "" when no rule runs it here
    rows: int | None  # None: not counted here (refused at import, or not recorded)
    where: str  # where Jingzhun checks it, in Chinese

    @property
    def failed(self) -> bool:
        return bool(self.rows)


def summary(
    counts: Mapping[str, int],
    *,
    catalogue: engine.Catalogue | None = None,
    rules: Iterable[str] | None = None,
) -> list[SummaryRow]:
    """All 28 checks in the tools' order with the rows each rule found (``counts`` by rule code). A rule
    covering several checks is one line; ``rules`` limits which rules ran (the others show no count)."""
    catalogue = catalogue or engine.load_catalogue()
    ran = set(rules) if rules is not None else None
    by_number: dict[str, list[engine.RuleSpec]] = {}
    for rule in logic_rules(catalogue):
        for number in rule.county_checks:
            by_number.setdefault(number, []).append(rule)
    rows: list[SummaryRow] = []
    done: set[str] = set()
    for check in catalogue.county_checks:
        here = by_number.get(check.number, [])
        if not here:
            where = f"导入校验：{check.at_import}" if check.at_import else f"未检查：{check.not_checked}"
            rows.append(SummaryRow(check.number, check.name, "", None, where))
            continue
        for rule in (r for r in here if r.code not in done):  # a rule of several checks: on its first line
            done.add(rule.code)
            covered = [c for c in catalogue.county_checks if c.number in rule.county_checks]
            where = f"比对规则 {rule.code}" + ("，导入时提示" if rule.on_import else "")
            where += "".join(f"；导入校验：{c.at_import}" for c in covered if c.at_import)
            count = None if ran is not None and rule.code not in ran else counts.get(rule.code, 0)
            rows.append(
                SummaryRow(
                    "、".join(rule.county_checks), "；".join(c.name for c in covered), rule.code, count, where
                )
            )
    return rows


# --------------------------------------------------------------------------------------------------
# A comparison run's findings


def run_findings(findings_path: str, prefix: str = "", rule_codes: Iterable[str] | None = None) -> pa.Table:
    """The run's findings of the logic-check rules inside ``prefix`` (the reader's jurisdiction)."""
    path = Path(findings_path) if findings_path else None
    if path is None or not path.is_file():
        return engine.FINDINGS_SCHEMA.empty_table()
    codes = list(rule_codes) if rule_codes is not None else [r.code for r in logic_rules()]
    table = pq.read_table(path).cast(engine.FINDINGS_SCHEMA)
    mask = pc.is_in(table["rule_code"], value_set=pa.array(codes, pa.string()))
    if prefix:
        mask = pc.and_(mask, pc.fill_null(pc.starts_with(table["village_code"], prefix), False))
    return table.filter(mask)


def by_village(findings: pa.Table) -> dict[str, dict[str, int]]:
    """Village code → rule code → rows."""
    if findings.num_rows == 0:
        return {}
    grouped = findings.group_by(["village_code", "rule_code"]).aggregate([("rule_code", "count")])
    result: dict[str, dict[str, int]] = {}
    for village, code, n in zip(
        grouped["village_code"].to_pylist(),
        grouped["rule_code"].to_pylist(),
        grouped["rule_code_count"].to_pylist(),
        strict=True,
    ):
        result.setdefault(village or "", {})[code] = n
    return result


def totals(villages: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for counts in villages.values():
        for code, n in counts.items():
            out[code] = out.get(code, 0) + n
    return out


# --------------------------------------------------------------------------------------------------
# The workbook


def sheet_name(rule: engine.RuleSpec, used: set[str]) -> str:
    """A sheet name Excel accepts (31 characters, none of []:*?/\\), unique in the workbook."""
    name = label(rule)
    for ch in "[]:*?/\\":
        name = name.replace(ch, " ")
    name = name[:31]
    base, k = name, 2
    while name in used:
        name = f"{base[:28]}({k})"
        k += 1
    used.add(name)
    return name


def add_sheets(
    wb: Any,
    rows: Sequence[SummaryRow],
    details: Mapping[str, Sequence[Sequence[Any]]],
    headers: Sequence[str],
    *,
    villages: Mapping[str, Mapping[str, int]] | None = None,
    village_names: Mapping[str, str] | None = None,
    totals_by_rule: Mapping[str, int] | None = None,
    catalogue: engine.Catalogue | None = None,
) -> None:
    """Add the county tools' sheets to an xlsxwriter workbook: the summary, the villages (if given) and one
    sheet per failed check listing ``details[rule code]`` (at most ``DETAIL_LIMIT`` rows, then a note)."""
    catalogue = catalogue or engine.load_catalogue()
    head = wb.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    text = wb.add_format({"num_format": "@"})
    note = wb.add_format({"italic": True, "font_color": "#595959"})
    ws = wb.add_worksheet(SUMMARY_SHEET)
    ws.write_row(0, 0, ["序号", "校验项", "疑点数（行）", "规则", "检查方式"], head)
    for i, row in enumerate(rows, start=1):
        ws.write_string(i, 0, row.numbers)
        ws.write_string(i, 1, row.name)
        if row.rows is None:
            ws.write_string(i, 2, "—")
        else:
            ws.write_number(i, 2, row.rows)
        ws.write_string(i, 3, row.rule)
        ws.write_string(i, 4, row.where)
    ws.set_column(0, 0, 8)
    ws.set_column(1, 1, 40)
    ws.set_column(2, 3, 12)
    ws.set_column(4, 4, 80)
    ws.freeze_panes(1, 0)
    failed = [r for r in logic_rules(catalogue) if any(s.rule == r.code and s.failed for s in rows)]
    if villages is not None:
        vs = wb.add_worksheet(VILLAGE_SHEET)
        vs.write_row(0, 0, ["行政村编号", "村", "合计", *(label(r) for r in failed)], head)
        for i, code in enumerate(sorted(villages), start=1):
            counts = villages[code]
            vs.write_string(i, 0, code, text)
            vs.write_string(i, 1, (village_names or {}).get(code, ""))
            vs.write_number(i, 2, sum(counts.get(r.code, 0) for r in failed))
            for j, r in enumerate(failed, start=3):
                vs.write_number(i, j, counts.get(r.code, 0))
        vs.freeze_panes(1, 3)
        vs.set_column(0, 0, 14)
        vs.set_column(1, 1, 16)
    used = {SUMMARY_SHEET, VILLAGE_SHEET}
    for rule in failed:
        sheet = wb.add_worksheet(sheet_name(rule, used))
        sheet.write_row(0, 0, list(headers), head)
        listed = details.get(rule.code, ())
        sheet.set_column(0, len(headers) - 1, 16, text)
        for i, values in enumerate(listed[:DETAIL_LIMIT], start=1):
            sheet.write_row(i, 0, values)
        total = (totals_by_rule or {}).get(rule.code, len(listed))
        if total > DETAIL_LIMIT:
            sheet.write_string(DETAIL_LIMIT + 1, 0, f"共 {total} 行，这里只列出前 {DETAIL_LIMIT} 行", note)
        sheet.freeze_panes(1, 0)
        sheet.set_column(len(headers) - 1, len(headers) - 1, 50, text)


def write_run_workbook(
    path: Path, findings: pa.Table, village_names: Mapping[str, str], *, ran: Iterable[str] | None = None
) -> Path:
    """The comparison run's logic checks as the county tools write them."""
    import xlsxwriter

    catalogue = engine.load_catalogue()
    villages = by_village(findings)
    counts = totals(villages)
    details: dict[str, list[list[Any]]] = {}
    columns = [
        findings.column(c).to_pylist()
        for c in (
            "rule_code",
            "village_code",
            "household_number",
            "person_number",
            "name",
            "id_number",
            "detail",
        )
    ]
    for code, village, household, person, name, id_number, detail in zip(*columns, strict=True):
        listed = details.setdefault(code, [])
        if len(listed) < DETAIL_LIMIT:
            listed.append(
                [village_names.get(village or "", ""), village, household, person, name, id_number, detail]
            )
    for listed in details.values():
        listed.sort(key=lambda row: (row[1] or "", row[2] or "", row[3] or ""))
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": False, "strings_to_numbers": False})
    add_sheets(
        wb,
        summary(counts, catalogue=catalogue, rules=ran),
        details,
        FINDING_HEADERS,
        villages=villages,
        village_names=village_names,
        totals_by_rule=counts,
        catalogue=catalogue,
    )
    wb.close()
    return path


# --------------------------------------------------------------------------------------------------
# What a reader of a run sees


@dataclass
class RunChecks:
    """A run's logic checks inside one reader's jurisdiction: the summary and the counts per village."""

    rows: list[SummaryRow]
    villages: list[tuple[str, str, list[int], int]]  # (code, name, count per failed rule, total)
    failed: list[engine.RuleSpec]
    findings: pa.Table
    names: dict[str, str]


def reader_prefix(user: User, run_prefix: str) -> str:
    """The part of a run a user may see: their jurisdiction inside the run's region (a village officer reads
    their village of the county's run), or the whole region."""
    from jingzhun.core.restrict import jurisdiction

    own = jurisdiction(user) or ""
    return own if len(own) > len(run_prefix) else run_prefix


def for_run(findings_path: str, prefix: str, ran: Iterable[str] | None) -> RunChecks:
    from jingzhun.regions.models import Region

    catalogue = engine.load_catalogue()
    findings = run_findings(findings_path, prefix, [r.code for r in logic_rules(catalogue)])
    villages = by_village(findings)
    rows = summary(totals(villages), catalogue=catalogue, rules=ran)
    failed = [r for r in logic_rules(catalogue) if any(s.rule == r.code and s.failed for s in rows)]
    names = dict(Region.objects.filter(code__in=list(villages)).values_list("code", "name"))
    table = []
    for code in sorted(villages):
        counts = [villages[code].get(r.code, 0) for r in failed]
        table.append((code, names.get(code, ""), counts, sum(counts)))
    return RunChecks(rows, table, failed, findings, names)
