"""Files that leave Jingzhun: the import template, the error report, and exports of the register.

All three use ``columns.COLUMNS`` so a file exported here imports back unchanged (lossless round trip).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from django.db.models import Q, QuerySet

from jingzhun.accounts.models import User
from jingzhun.core import quoting
from jingzhun.regions.models import Region, pad
from jingzhun.registry import access, codelists
from jingzhun.registry.choices import IdKind, LeaveReason, Relation
from jingzhun.registry.columns import (
    CODES_SHEET,
    COLUMNS,
    DATA_SHEET,
    FIELD_NAME,
    HELP_SHEET,
    LEAVE_KEYS,
    NATIONAL_EXPORT,
    PLACE_COLUMNS,
    REPORT_LIST_SHEET,
    REPORT_SHEET,
    Column,
    Kind,
    Level,
)
from jingzhun.registry.models import MEMBER_YEARLY_FIELDS, Household, HouseholdYear, Member, MemberYear

SHEET = DATA_SHEET
TEXT_KINDS = {Kind.TEXT, Kind.ID, Kind.REGION, Kind.CODE, Kind.CODES}


def template_columns() -> list[Column]:
    return [c for c in COLUMNS if not c.derived and c.level != Level.INFO]


def _label_map(col: Column) -> dict[str, str]:
    return {str(v): str(lbl) for v, lbl in col.codes.choices} if col.codes else {}


def _offered_labels(col: Column) -> list[str]:
    """The labels a template offers: the list's current values, not the retired ones of older forms."""
    return [c.label for c in codelists.get(col.codes.codelist).current]  # type: ignore[union-attr]  # a code column has a list


def _describe(col: Column) -> str:
    if col.codes:
        return "、".join(_offered_labels(col))
    return {
        Kind.BOOL: "是 / 否",
        Kind.MONEY: "元，数字",
        Kind.AREA: "数字",
        Kind.DATE: "日期，如 2024-03-15",
        Kind.YEAR: "年份，如 2024",
        Kind.INT: f"整数{f'，0–{col.max_value}' if col.max_value else ''}",
        Kind.ID: "18 位身份证号码或 20 位残疾人证号",
        Kind.REGION: "12 位统计用区划代码",
    }.get(col.kind, f"文字{f'，最多 {col.max_length} 字' if col.max_length else ''}")


def write_template(path: Path, fmt: str = "xlsx") -> Path:
    """The import template with Chinese headers; required ones marked *, code lists as drop-downs."""
    cols = template_columns()
    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerow([c.header for c in cols])
        return path
    wb = xlsxwriter.Workbook(str(path))
    head = wb.add_format(
        {"bold": True, "bg_color": "#F2F2F2", "border": 1, "text_wrap": True, "valign": "vcenter"}
    )
    req = wb.add_format(
        {
            "bold": True,
            "bg_color": "#FDE9E7",
            "font_color": "#B00000",
            "border": 1,
            "text_wrap": True,
            "valign": "vcenter",
        }
    )
    text = wb.add_format({"num_format": "@"})
    ws = wb.add_worksheet(SHEET)
    codes_ws = wb.add_worksheet(CODES_SHEET)
    help_ws = wb.add_worksheet(HELP_SHEET)
    ws.freeze_panes(1, 0)
    ws.set_row(0, 36)
    code_col = 0
    for j, col in enumerate(cols):
        ws.write(0, j, col.header + ("*" if col.required else ""), req if col.required else head)
        ws.set_column(j, j, max(10, len(col.header) * 2 + 2), text if col.kind in TEXT_KINDS else None)
        if col.codes and col.kind == Kind.CODE:
            labels = _offered_labels(col)
            codes_ws.write(0, code_col, col.header)
            for i, label in enumerate(labels, start=1):
                codes_ws.write(i, code_col, label)
            letter = xlsxwriter.utility.xl_col_to_name(code_col)
            ws.data_validation(
                1,
                j,
                100000,
                j,
                {
                    "validate": "list",
                    "source": f"={CODES_SHEET}!${letter}$2:${letter}${len(labels) + 1}",
                    "error_type": "warning",
                    "error_message": f"请从下拉列表中选择{col.header}",
                },
            )
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


def write_error_report(
    staged: Any, errors: list[Any], path: Path, warnings: Mapping[str, int] | None = None
) -> Path:
    """Rows of the rejected households as they were typed, with the problems beside them, ready to re-import;
    then the logic checks' warnings (``warnings``: rows per rule) as the county tools list them
    (``registry.logic``).

    The report has the columns the file had, no more: a column the file lacked must stay absent when the
    corrected report is imported, or its empty cells would clear what the register holds."""
    con = staged.con
    given = {c.key for c in staged.columns}
    cols = [c for c in (*PLACE_COLUMNS, *template_columns()) if c.key in given]
    bad_rows = con.execute("""
        SELECT DISTINCT p._i FROM p WHERE p.hh IN (SELECT hh FROM errors WHERE hh IS NOT NULL)
        UNION SELECT _i FROM errors WHERE hh IS NULL ORDER BY 1""").fetchall()
    indexes = [r[0] for r in bad_rows]
    by_index: dict[int, list[Any]] = {}
    for r in con.execute("SELECT _i, col, msg FROM errors").fetchall():
        by_index.setdefault(r[0], []).append((r[1], r[2]))
    raw = {
        r[0]: r
        for r in con.execute(
            "SELECT _i, _sheet, _row, "
            + ", ".join(quoting.identifier(c.key) for c in cols)
            + " FROM raw WHERE _i IN (SELECT * FROM "
            "(SELECT DISTINCT p._i FROM p WHERE p.hh IN (SELECT hh FROM errors WHERE hh IS NOT NULL) UNION "
            "SELECT _i FROM errors WHERE hh IS NULL))"
        ).fetchall()
    }
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": False})
    head = wb.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    bad = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006", "num_format": "@"})
    text = wb.add_format({"num_format": "@"})
    msg_fmt = wb.add_format({"font_color": "#9C0006", "text_wrap": True})
    ws = wb.add_worksheet(REPORT_SHEET)
    headers = ["错误说明", "原工作表", "原行号", *(c.header for c in cols)]
    ws.write_row(0, 0, headers, head)
    ws.freeze_panes(1, 3)
    ws.set_column(0, 0, 50)
    col_pos = {c.header: j + 3 for j, c in enumerate(cols)}
    for out_row, i in enumerate(indexes, start=1):
        r = raw[i]
        problems = by_index.get(i, [])
        message = (
            "；".join(f"{c}：{m}" for c, m in problems) or "本户其他成员有错误，整户需一并修改后重新导入"
        )
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
    ws2 = wb.add_worksheet(REPORT_LIST_SHEET)
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


CODE_SEPARATORS = re.compile(
    r"[、,，;；/\s]"
)  # how an import splits a multi-code cell (validation.CODE_PARTS)


def _plain(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else f"{value:.2f}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _formatter(col: Column) -> Callable[[Any], str]:
    """How an export writes a stored value of ``col``: yes/no as 是/否, codes as their labels (a label an
    import would split in two, in a multi-code cell, as its code), dates as ISO, amounts without trailing
    zeros. Built once per column and export, not per cell."""
    if col.kind == Kind.BOOL:
        return lambda v: "" if v is None else ("是" if v else "否")
    if col.kind == Kind.CODE and col.codes:
        labels = _label_map(col)
        return lambda v: "" if v is None or v == "" else labels.get(str(v), str(v))
    if col.kind == Kind.CODES and col.codes:
        written = {
            code: code if CODE_SEPARATORS.search(label) else label for code, label in _label_map(col).items()
        }
        return lambda v: "、".join(written.get(str(x), str(x)) for x in v) if v else ""
    return _plain


EXPORT_CHUNK = 2000


def member_id_text(member: Member) -> str:
    """证件号码 as the national forms hold it: the 20-digit disability certificate number for a member whose
    document is the certificate (it carries the ID, the category and the grade), else the 18-digit ID."""
    if member.id_kind == IdKind.DISABILITY_CERT and member.disability_cert_number:
        return member.disability_cert_number
    return member.id_number


def export_rows(
    user: User,
    *,
    region_prefix: str = "",
    year: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[dict[str, str]]:
    """One dict per active member (keys = column keys, of the template and of the national layout),
    restricted to what ``user`` may see. ``year``: the data year of the income and conditions columns
    (default: each household's latest). ``progress(done, total)`` counts households, after each chunk."""
    households = access.households_for(user, "view")
    if region_prefix:
        households = households.filter(village__code__startswith=region_prefix)
    total = households.count() if progress else 0
    done = 0
    hh_cols = _writers(Level.HOUSEHOLD)
    year_cols = _writers(Level.YEAR)
    mem_cols = [(key, attr, write) for key, attr, write in _writers(Level.MEMBER) if key != "id_number"]
    names = _region_names(households)
    id_kinds = dict(IdKind.choices)
    ordered = households.order_by("village_id", "household_number")
    chunk: list[Household] = []
    for hh in ordered.iterator(chunk_size=EXPORT_CHUNK):
        chunk.append(hh)
        if len(chunk) == EXPORT_CHUNK:
            yield from _export_chunk(chunk, year, names, id_kinds, hh_cols, year_cols, mem_cols)
            done += len(chunk)
            chunk = []
            if progress:
                progress(done, total)
    if chunk:
        yield from _export_chunk(chunk, year, names, id_kinds, hh_cols, year_cols, mem_cols)
        if progress:
            progress(done + len(chunk), total)


Writer = tuple[str, str, Callable[[Any], str]]  # (column key, model attribute, formatter)


def _writers(level: Level) -> list[Writer]:
    return [(c.key, FIELD_NAME.get(c.key, c.key), _formatter(c)) for c in COLUMNS if c.level == level]


def _export_chunk(
    chunk: list[Household],
    year: int | None,
    names: dict[str, str],
    id_kinds: dict[str, str],
    hh_cols: list[Writer],
    year_cols: list[Writer],
    mem_cols: list[Writer],
) -> Iterator[dict[str, str]]:
    records: dict[int, HouseholdYear] = {}
    for record in HouseholdYear.objects.filter(
        household__in=chunk, **({"year": year} if year is not None else {})
    ):
        if record.household_id not in records or record.year > records[record.household_id].year:
            records[record.household_id] = record
    members: dict[int, list[Member]] = {}
    for m in members_of_year(Member.objects.filter(household__in=chunk), year).order_by("person_number"):
        members.setdefault(m.household_id, []).append(m)
    # A member's yearly values of a year other than its own data year are in MemberYear.
    member_years = {
        (y.member_id, y.year): y
        for y in MemberYear.objects.filter(
            member__in=members_of_year(Member.objects.filter(household__in=chunk), year),
            **({"year": year} if year is not None else {}),
        )
    }
    leave_reasons = dict(LeaveReason.choices)
    for hh in chunk:
        latest = records.get(hh.pk)
        village = hh.village_id
        base: dict[str, str] = {
            "province_name": names.get(village[:2], ""),
            "city_name": names.get(village[:4], ""),
            "county_name": names.get(village[:6], ""),
            "township_name": names.get(village[:9], ""),
            "village_name": names.get(village, ""),
            "household_kind": hh.kind,
        }
        for key, attr, write in hh_cols:
            base[key] = write(getattr(hh, attr))
        for key, attr, write in year_cols:
            base[key] = write(getattr(latest, attr) if latest else None)
        people = members.get(hh.pk, [])
        heads = sorted(
            (m for m in people if m.relation == Relation.HEAD), key=lambda m: m.left_on is not None
        )
        base["head_id_number"] = member_id_text(heads[0]) if heads else ""
        for m in people:
            row = dict(base)
            row["id_number"] = member_id_text(m)
            row["id_kind"] = id_kinds.get(m.id_kind, m.id_kind)
            row["left_on"] = m.left_on.isoformat() if m.left_on else ""
            row["leave_reason"] = leave_reasons.get(m.leave_reason, m.leave_reason)
            yearly = _yearly_source(m, latest.year if latest else None, member_years)
            for key, attr, write in mem_cols:
                source = yearly if attr in MEMBER_YEARLY_FIELDS else m
                row[key] = write(getattr(source, attr) if source is not None else None)
            yield row


def members_of_year(members: QuerySet[Member], year: int | None) -> QuerySet[Member]:
    """The members of data year ``year``: those in the household at the end of that year (joined by then, not
    left by then), so a member who died, moved out or split off later is still in that year's export, and
    one who joined later is not. Without a year: the members in the household today."""
    if year is None:
        return members.filter(left_on__isnull=True)
    end = dt.date(year, 12, 31)
    return members.filter(Q(joined_on__isnull=True) | Q(joined_on__lte=end)).filter(
        Q(left_on__isnull=True) | Q(left_on__gt=end)
    )


def _yearly_source(member: Member, year: int | None, member_years: dict[tuple[int, int], MemberYear]) -> Any:
    """Where a member's values of data year ``year`` are: the member itself for its own data year, else that
    year's MemberYear, else nowhere (None: the register holds no member values for that year)."""
    if year is None or member.data_year in (None, year):
        return member
    return member_years.get((member.pk, year))


def _region_names(households: Any) -> dict[str, str]:
    prefixes = set()
    for code in households.values_list("village_id", flat=True).distinct():
        prefixes.update({code, code[:9], code[:6], code[:4], code[:2]})
    codes = [p if len(p) == 12 else pad(p) for p in prefixes]
    return {r.prefix: r.name for r in Region.objects.filter(code__in=codes)}


def export_households(
    user: User,
    *,
    path: Path,
    layout: str = "template",
    fmt: str = "xlsx",
    region_prefix: str = "",
    year: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write the register visible to ``user`` as the import template layout or the national export layout
    (``progress(done, total)`` in households, see ``export_rows``)."""
    if layout == "national":
        headers = [h for h, _ in NATIONAL_EXPORT]
        keys = [k for _, k in NATIONAL_EXPORT]
    else:
        cols = [c for c in COLUMNS if not c.derived or c.level == Level.YEAR or c.key in LEAVE_KEYS]
        headers = [c.header for c in cols]
        keys = [c.key for c in cols]
    rows = export_rows(user, region_prefix=region_prefix, year=year, progress=progress)
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
