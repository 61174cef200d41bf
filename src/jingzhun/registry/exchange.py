"""Files that leave Jingzhun: the import template, the error report, and exports of the register.

All three use ``columns.COLUMNS`` so a file exported here imports back unchanged (lossless round trip).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from django.db.models import Max

from jingzhun.regions.models import Region, pad
from jingzhun.registry import access
from jingzhun.registry.columns import COLUMNS, NATIONAL_EXPORT, Column, Kind, Level
from jingzhun.registry.models import HouseholdYear

SHEET = "成员信息"
TEXT_KINDS = {Kind.TEXT, Kind.ID, Kind.REGION, Kind.CODE, Kind.CODES}


def template_columns() -> list[Column]:
    return [c for c in COLUMNS if not c.derived and c.level != Level.INFO]


def _label_map(col: Column) -> dict[str, str]:
    return {str(v): str(lbl) for v, lbl in col.codes.choices} if col.codes else {}


def _describe(col: Column) -> str:
    if col.codes:
        return "、".join(_label_map(col).values())
    return {
        Kind.BOOL: "是 / 否", Kind.MONEY: "元，数字", Kind.AREA: "数字", Kind.DATE: "日期，如 2024-03-15",
        Kind.YEAR: "年份，如 2024", Kind.INT: f"整数{f'，0–{col.max_value}' if col.max_value else ''}",
        Kind.ID: "18 位身份证号码或 20 位残疾人证号", Kind.REGION: "12 位统计用区划代码",
    }.get(col.kind, f"文字{f'，最多 {col.max_length} 字' if col.max_length else ''}")


def write_template(path: Path, fmt: str = "xlsx") -> Path:
    """The import template with Chinese headers; required ones marked *, code lists as drop-downs."""
    cols = template_columns()
    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerow([c.header for c in cols])
        return path
    wb = xlsxwriter.Workbook(str(path))
    head = wb.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1, "text_wrap": True, "valign": "vcenter"})
    req = wb.add_format({"bold": True, "bg_color": "#FDE9E7", "font_color": "#B00000", "border": 1, "text_wrap": True,
                         "valign": "vcenter"})
    text = wb.add_format({"num_format": "@"})
    ws = wb.add_worksheet(SHEET)
    codes_ws = wb.add_worksheet("代码表")
    help_ws = wb.add_worksheet("填写说明")
    ws.freeze_panes(1, 0)
    ws.set_row(0, 36)
    code_col = 0
    for j, col in enumerate(cols):
        ws.write(0, j, col.header + ("*" if col.required else ""), req if col.required else head)
        ws.set_column(j, j, max(10, len(col.header) * 2 + 2), text if col.kind in TEXT_KINDS else None)
        if col.codes and col.kind == Kind.CODE:
            labels = list(_label_map(col).values())
            codes_ws.write(0, code_col, col.header)
            for i, label in enumerate(labels, start=1):
                codes_ws.write(i, code_col, label)
            letter = xlsxwriter.utility.xl_col_to_name(code_col)
            ws.data_validation(1, j, 100000, j, {
                "validate": "list", "source": f"=代码表!${letter}$2:${letter}${len(labels) + 1}",
                "error_type": "warning", "error_message": f"请从下拉列表中选择{col.header}",
            })
            code_col += 1
    codes_ws.hide()
    help_ws.write_row(0, 0, ["列名", "是否必填", "填写要求", "说明"], head)
    for i, col in enumerate(cols, start=1):
        help_ws.write_row(i, 0, [col.header, "必填" if col.required else "", _describe(col), col.notes])
    notes = [
        "每个家庭成员一行；户的信息（户编号、行政村编号、收入等）在本户每一行都填写相同内容，或只在本户第一行填写。",
        "证件号码、户编号、人编号请保持为文本格式，不要让 Excel 转成数字（会丢失末尾数字）。",
        "人均纯收入、家庭纯收入等由系统根据各项收入自动计算，无需填写。",
        "代码列可以填名称（如“一般贫困户”）或代码（如“01”）。多选项用顿号分隔，如“长期慢性病、残疾”。",
    ]
    for k, note in enumerate(notes, start=len(cols) + 3):
        help_ws.write(k, 0, note)
    help_ws.set_column(0, 0, 30)
    help_ws.set_column(2, 2, 60)
    help_ws.set_column(3, 3, 40)
    wb.close()
    return path


IGNORED_HEADERS = {"错误说明", "原工作表", "原行号"}


def write_error_report(staged: Any, errors: list[Any], path: Path,
                       warnings: Mapping[str, int] | None = None) -> Path:
    """Rows of the rejected households as they were typed, with the problems beside them, ready to re-import;
    then the logic checks' warnings (``warnings``: rows per rule) as the county tools list them
    (``registry.logic``)."""
    con = staged.con
    cols = template_columns()
    bad_rows = con.execute("""
        SELECT DISTINCT p._i FROM p WHERE p.hh IN (SELECT hh FROM errors WHERE hh IS NOT NULL)
        UNION SELECT _i FROM errors WHERE hh IS NULL ORDER BY 1""").fetchall()
    indexes = [r[0] for r in bad_rows]
    by_index: dict[int, list[Any]] = {}
    for r in con.execute("SELECT _i, col, msg FROM errors").fetchall():
        by_index.setdefault(r[0], []).append((r[1], r[2]))
    raw = {r[0]: r for r in con.execute(
        "SELECT _i, _sheet, _row, " + ", ".join(f'"{c.key}"' for c in cols) + " FROM raw WHERE _i IN (SELECT * FROM "
        "(SELECT DISTINCT p._i FROM p WHERE p.hh IN (SELECT hh FROM errors WHERE hh IS NOT NULL) UNION "
        "SELECT _i FROM errors WHERE hh IS NULL))").fetchall()}
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": False})
    head = wb.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    bad = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006", "num_format": "@"})
    text = wb.add_format({"num_format": "@"})
    msg_fmt = wb.add_format({"font_color": "#9C0006", "text_wrap": True})
    ws = wb.add_worksheet("待修改数据")
    headers = ["错误说明", "原工作表", "原行号", *(c.header for c in cols)]
    ws.write_row(0, 0, headers, head)
    ws.freeze_panes(1, 3)
    ws.set_column(0, 0, 50)
    col_pos = {c.header: j + 3 for j, c in enumerate(cols)}
    for out_row, i in enumerate(indexes, start=1):
        r = raw[i]
        problems = by_index.get(i, [])
        message = "；".join(f"{c}：{m}" for c, m in problems) or "本户其他成员有错误，整户需一并修改后重新导入"
        ws.write_string(out_row, 0, message, msg_fmt)
        ws.write_string(out_row, 1, str(r[1]))
        ws.write_number(out_row, 2, r[2])
        flagged = {c for c, _ in problems}
        for j, col in enumerate(cols):
            value = r[3 + j]
            if col.kind == Kind.ID and staged.id_values is not None:
                raw_id = staged.id_values[i]
                value = None if raw_id is None else str(raw_id)
            if value is not None:
                ws.write_string(out_row, 3 + j, str(value), bad if col.header in flagged else text)
            elif col.header in flagged:
                ws.write_blank(out_row, 3 + j, None, bad)
        for c, m in problems:
            if c in col_pos:
                ws.write_comment(out_row, col_pos[c], m)
    ws2 = wb.add_worksheet("错误清单")
    ws2.write_row(0, 0, ["工作表", "行号", "户编号", "列", "填写内容", "错误原因"], head)
    for k, e in enumerate(errors, start=1):
        ws2.write_row(k, 0, [e.sheet, e.row, e.household_number, e.column, e.value, e.message])
    ws2.set_column(5, 5, 70)
    if warnings:
        from jingzhun.registry.logic import add_report_sheets

        add_report_sheets(wb, staged, dict(warnings))
    wb.close()
    return path


# ----------------------------------------------------------------------------------------------- export


def _cell(col_kind: Kind, col: Column | None, value: Any) -> str:
    if value is None or value == "":
        return ""
    if col_kind == Kind.BOOL:
        return "是" if value else "否"
    if col_kind == Kind.CODE and col is not None:
        return _label_map(col).get(str(value), str(value))
    if col_kind == Kind.CODES and col is not None:
        labels = _label_map(col)
        return "、".join(labels.get(str(v), str(v)) for v in value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else f"{value:.2f}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def export_rows(user: Any, *, region_prefix: str = "", year: int | None = None) -> Iterator[dict[str, str]]:
    """One dict per active member (keys = column keys), restricted to what ``user`` may see."""
    households = access.households_for(user, "view")
    if region_prefix:
        households = households.filter(village__code__startswith=region_prefix)
    hh_cols = [c for c in COLUMNS if c.level == Level.HOUSEHOLD]
    year_cols = [c for c in COLUMNS if c.level == Level.YEAR]
    mem_cols = [c for c in COLUMNS if c.level == Level.MEMBER]
    names = _region_names(households)
    latest = dict(
        HouseholdYear.objects.filter(household__in=households).values("household").annotate(y=Max("year"))
        .values_list("household", "y")
    ) if year is None else None
    for hh in households.order_by("village_id", "household_number").iterator(chunk_size=2000):
        y = year if year is not None else (latest or {}).get(hh.pk)
        record = HouseholdYear.objects.filter(household=hh, year=y).first() if y else None
        base: dict[str, str] = {
            "county_name": names.get(hh.village_id[:6], ""), "township_name": names.get(hh.village_id[:9], ""),
            "village_name": names.get(hh.village_id, ""), "household_kind": hh.kind,
        }
        for col in hh_cols:
            attr = "village_id" if col.key == "village" else col.key
            base[col.key] = _cell(col.kind, col, getattr(hh, attr))
        for col in year_cols:
            base[col.key] = _cell(col.kind, col, getattr(record, col.key, None) if record else None)
        for m in hh.members.filter(left_on__isnull=True).order_by("person_number"):
            row = dict(base)
            for col in mem_cols:
                attr = {"member_phone": "phone"}.get(col.key, col.key)
                row[col.key] = _cell(col.kind, col, getattr(m, attr))
            yield row


def _region_names(households: Any) -> dict[str, str]:
    prefixes = set()
    for code in households.values_list("village_id", flat=True).distinct():
        prefixes.update({code, code[:9], code[:6]})
    codes = [p if len(p) == 12 else pad(p) for p in prefixes]
    return {r.prefix: r.name for r in Region.objects.filter(code__in=codes)}


def export_households(user: Any, *, path: Path, layout: str = "template", fmt: str = "xlsx",
                      region_prefix: str = "", year: int | None = None) -> int:
    """Write the register visible to ``user`` as the import template layout or the national export layout."""
    if layout == "national":
        headers = [h for h, _ in NATIONAL_EXPORT]
        keys = [k for _, k in NATIONAL_EXPORT]
    else:
        cols = [c for c in COLUMNS if not c.derived or c.level == Level.YEAR]
        headers = [c.header for c in cols]
        keys = [c.key for c in cols]
    rows = export_rows(user, region_prefix=region_prefix, year=year)
    count = 0
    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(headers)
            for row in rows:
                w.writerow([row.get(k, "") for k in keys])
                count += 1
        return count
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    ws = wb.add_worksheet(SHEET)
    head = wb.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    ws.write_row(0, 0, headers, head)
    for r, row in enumerate(rows, start=1):
        for j, k in enumerate(keys):
            value = row.get(k, "")
            if value != "":
                ws.write_string(r, j, value)
        count += 1
    wb.close()
    return count


__all__ = ["export_households", "write_error_report", "write_template"]
