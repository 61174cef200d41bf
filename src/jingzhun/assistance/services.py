"""Writes of assistance: importing helper pairings (帮扶结对) and assistance measures (帮扶措施) from a file,
and saving one of them from the household page (``save_pairing``, ``save_measure``, at the end).

An import reads the whole file (.csv in UTF-8 or GB18030, or .xlsx), checks every row and only then writes,
in one transaction, recording every created or changed row in the audit log (``core.audit``), under the
household it belongs to. By default it is all or nothing: one bad row and nothing is written. With
``keep_valid`` the good rows are written and the bad ones reported. Rows are upserted on their natural keys
(household + helper + start date; household + year + family), so importing the same file again changes
nothing and records nothing.

Only roles that edit the register may import, and only for households inside their jurisdiction
(``registry.access.households_for``); a household outside it is reported exactly like one that does not
exist.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import duckdb
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from jingzhun.accounts.models import User
from jingzhun.assistance.choices import MeasureFamily, UnitLevel
from jingzhun.assistance.models import FIRST_YEAR, LAST_YEAR, Measure, Pairing
from jingzhun.core import audit, quoting, workbooks
from jingzhun.core.errors import (
    ConcurrentEditError,
    NotFoundOrForbidden,
    PermissionDeniedError,
    ValidationFailed,
)
from jingzhun.core.locking import bump_version
from jingzhun.core.models import ChangeAction
from jingzhun.registry.access import households_for
from jingzhun.registry.models import Household
from jingzhun.registry.staging import (
    CSV_OPTIONS,
    ImportFileError,
    csv_format_error,
    csv_into_raw,
    match_headers,
    unreadable_sheet,
)

Kind = Literal["pairings", "measures"]
MAX_NOTE = 1000
CHUNK = 2000
NOT_FOUND = "户编号不存在或无权访问"
EXCEL_NUMBER = "户编号被 Excel 存成了数字，末尾几位已丢失，请把该列设为文本后重新填写"


# --------------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class RowError:
    """One rejected cell: where it is (sheet, row as Excel or a text editor shows it, column header) and why."""

    row: int
    column: str
    value: str
    message: str
    sheet: str = ""

    def __str__(self) -> str:
        where = f"{self.sheet} " if self.sheet and self.sheet != "CSV" else ""
        shown = f"「{self.value}」" if self.value else ""
        return f"{where}第 {self.row} 行「{self.column}」{shown}：{self.message}"


@dataclass
class ImportResult:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: bool = False
    batch: str = ""

    @property
    def name(self) -> str:
        return KINDS[self.kind].name

    @property
    def summary(self) -> str:
        counts = f"新增 {self.created} 条，更新 {self.updated} 条，未变 {self.unchanged} 条，拒绝 {self.rejected} 行"
        if self.rejected and not self.written:
            return f"{self.name}未导入：{self.rejected} 行有错误，全部行都正确才导入（共 {self.rows} 行）"
        return f"{self.name}已导入：共 {self.rows} 行，{counts}"


# --------------------------------------------------------------------------------------------------
# Columns and cell checks


class _Bad(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool
    hint: str
    parse: Callable[[Any], Any]
    text: bool = False  # kept as text in the template (codes, numbers with leading zeros, phone numbers)


def _text(value: Any) -> str:
    """A cell as trimmed text; Excel numbers without their '.0', dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _household_number(value: Any) -> str:
    if isinstance(value, float) and abs(value) >= 1e15:
        raise _Bad(EXCEL_NUMBER)
    text = _text(value)
    if not text:
        raise _Bad("请填写户编号")
    if re.fullmatch(r"\d(\.\d+)?[eE]\+?\d+", text):
        raise _Bad(EXCEL_NUMBER)
    if len(text) > 30:
        raise _Bad("户编号不能超过30位")
    return text


def _required_text(label: str, limit: int) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = _text(value)
        if not text:
            raise _Bad(f"请填写{label}")
        if len(text) > limit:
            raise _Bad(f"{label}不能超过{limit}个字")
        return text

    return parse


def _phone(value: Any) -> str:
    text = _text(value)
    if text and not re.fullmatch(r"[0-9][0-9-]*", text):
        raise _Bad("联系电话只能包含数字和“-”")
    if len(text) > 20:
        raise _Bad("联系电话不能超过20位")
    return text


DATE_TEXT = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?: 00:00(?::00)?)?")
EXCEL_EPOCH = dt.date(1899, 12, 30)


def _date_or_none(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if not 1 <= value < 2958466 or value != int(value):  # an Excel date serial is a whole number of days
            raise _Bad("日期格式应为 YYYY-MM-DD（如 2024-03-01）")
        day = EXCEL_EPOCH + dt.timedelta(days=int(value))
    else:
        text = _text(value)
        if not text:
            return None
        match = DATE_TEXT.fullmatch(text)
        if not match:
            raise _Bad("日期格式应为 YYYY-MM-DD（如 2024-03-01）")
        try:
            day = dt.date(*map(int, match.groups()))
        except ValueError:
            raise _Bad("日期不存在（请检查月份和日）") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise _Bad(f"日期应在{FIRST_YEAR}年到{LAST_YEAR}年之间")
    return day


def _date(value: Any) -> dt.date:
    day = _date_or_none(value)
    if day is None:
        raise _Bad("请填写日期")
    return day


def _code(choices: type[models.TextChoices], label: str, width: int = 0) -> Callable[[Any], str]:
    lookup = {**{v: v for v in choices.values}, **{lab: v for v, lab in choices.choices}}
    allowed = "、".join(f"{v} {lab}" for v, lab in choices.choices)

    def parse(value: Any) -> str:
        text = _text(value)
        if not text:
            raise _Bad(f"请填写{label}")
        if width and text.isdigit():
            text = text.zfill(width)
        if text not in lookup:
            raise _Bad(f"{label}应为以下代码或名称之一：{allowed}")
        return lookup[text]

    return parse


def _year(value: Any) -> int:
    text = _text(value)
    if not text:
        raise _Bad("请填写年度")
    if not re.fullmatch(r"\d{4}", text):
        raise _Bad("年度应为四位数字（如 2025）")
    year = int(text)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise _Bad(f"年度应在{FIRST_YEAR}到{LAST_YEAR}之间")
    return year


YES = {"是", "1", "true", "y"}
NO = {"否", "0", "false", "n"}


def _yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise _Bad("请填写“是”或“否”（或 1、0）" if not text else "应填“是”或“否”（或 1、0）")


def _note(value: Any) -> str:
    text = _text(value)
    if len(text) > MAX_NOTE:
        raise _Bad(f"备注不能超过{MAX_NOTE}个字")
    return text


NUMBER = Column(
    "household_number",
    "户编号",
    True,
    "国家平台的户编号（文本格式，不要让 Excel 转成数字）",
    _household_number,
    text=True,
)
PAIRING_COLUMNS: tuple[Column, ...] = (
    NUMBER,
    Column("helper_name", "帮扶责任人姓名", True, "最多40个字", _required_text("帮扶责任人姓名", 40)),
    Column(
        "helper_unit", "帮扶单位", True, "最多100个字，如：秦州区农业农村局", _required_text("帮扶单位", 100)
    ),
    Column(
        "unit_level",
        "单位隶属关系",
        True,
        "代码或名称：" + "、".join(f"{v} {lab}" for v, lab in UnitLevel.choices),
        _code(UnitLevel, "单位隶属关系"),
        text=True,
    ),
    Column("helper_phone", "联系电话", False, "数字和“-”，最多20位", _phone, text=True),
    Column("started_on", "帮扶开始日期", True, "YYYY-MM-DD，如 2024-03-01", _date),
    Column("ended_on", "帮扶结束日期", False, "YYYY-MM-DD；仍在帮扶的不填", _date_or_none),
)
MEASURE_COLUMNS: tuple[Column, ...] = (
    NUMBER,
    Column("year", "年度", True, f"四位数字，{FIRST_YEAR}–{LAST_YEAR}", _year, text=True),
    Column(
        "family",
        "措施类别",
        True,
        "代码或名称：" + "、".join(f"{v} {lab}" for v, lab in MeasureFamily.choices),
        _code(MeasureFamily, "措施类别", width=2),
        text=True,
    ),
    Column("implemented", "是否已实施", True, "是 / 否（或 1 / 0）", _yes_no),
    Column("note", "备注", False, f"最多{MAX_NOTE}个字", _note),
)


@dataclass(frozen=True)
class _KindSpec:
    code: Kind
    name: str
    model: type[models.Model]
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # the natural key, with household_id for the household number
    values: tuple[str, ...]  # the other stored fields an import sets
    duplicate: str  # what the key means, for the duplicate-row message

    def check(self, values: dict[str, Any]) -> list[tuple[str, str]]:
        """Checks across cells of one row: (column header, message)."""
        if self.code == "pairings":
            start, end = values.get("started_on"), values.get("ended_on")
            if start and end and end < start:
                return [("帮扶结束日期", "帮扶结束日期早于帮扶开始日期")]
        return []


KINDS: dict[str, _KindSpec] = {
    "pairings": _KindSpec(
        "pairings",
        "帮扶结对",
        Pairing,
        PAIRING_COLUMNS,
        ("household_id", "helper_name", "started_on"),
        ("helper_unit", "unit_level", "helper_phone", "ended_on"),
        "同一户、同一帮扶责任人、同一帮扶开始日期",
    ),
    "measures": _KindSpec(
        "measures",
        "帮扶措施",
        Measure,
        MEASURE_COLUMNS,
        ("household_id", "year", "family"),
        ("implemented", "note"),
        "同一户、同一年度、同一措施类别",
    ),
}


def _spec(kind: str) -> _KindSpec:
    try:
        return KINDS[kind]
    except KeyError:
        raise ImportFileError(
            f"未知的导入类型「{kind}」：应为 pairings（帮扶结对）或 measures（帮扶措施）"
        ) from None


# --------------------------------------------------------------------------------------------------
# Reading a file: (sheet, row number, {key: cell}) for every non-empty row


@dataclass
class _Raw:
    sheet: str
    row: int
    cells: dict[str, Any]


def _norm_header(name: object) -> str:
    return re.sub(r"[\s*＊]", "", str(name or ""))


def _map_headers(names: Iterable[object], spec: _KindSpec, where: str, warnings: list[str]) -> dict[str, int]:
    """{column key: position} of the spec's columns among ``names``; unknown headers are warned about."""
    return match_headers(
        names,
        spec.columns,
        where=where,
        what=f"{spec.name}模板中",
        warnings=warnings,
        template=_template_hint(spec),
    )


def _template_hint(spec: _KindSpec) -> str:
    return f"导入页面“下载{spec.name}模板”得到的模板"


def _read_csv(path: Path, spec: _KindSpec, warnings: list[str]) -> list[_Raw]:
    def read(con: duckdb.DuckDBPyConnection, source: Path, found_warnings: list[str]) -> dict[str, int]:
        try:
            names = [
                r[0]
                for r in con.execute(
                    f"DESCRIBE SELECT * FROM read_csv(?, {CSV_OPTIONS})", [str(source)]
                ).fetchall()
            ]
            found = _map_headers(names, spec, "CSV", found_warnings)
            select = ", ".join(
                f"{quoting.identifier(names[j])}::VARCHAR AS {quoting.identifier(key)}"
                for key, j in found.items()
            )
            con.execute(
                f"CREATE TABLE raw_text AS SELECT {select} FROM read_csv(?, {CSV_OPTIONS})", [str(source)]
            )
        except duckdb.InvalidInputException:
            raise  # csv_into_raw reads a file that is not UTF-8 again as GB18030
        except duckdb.Error as exc:
            raise csv_format_error(exc) from exc
        return found

    con, found = csv_into_raw(path, read, warnings)
    try:
        keys = list(found)
        rows = con.execute(
            f"SELECT _row, {', '.join(quoting.identifier(k) for k in keys)} FROM raw ORDER BY _i"
        ).fetchall()
    finally:
        con.close()
    return [_Raw("CSV", r[0], dict(zip(keys, r[1:], strict=True))) for r in rows]


def _read_xlsx(path: Path, spec: _KindSpec, warnings: list[str]) -> list[_Raw]:
    """Every sheet with the template's header row (within its first ten rows); cells as calamine gives them
    (text, numbers, dates), rows numbered as Excel shows them."""
    try:
        sheet_names, sheets, failed = workbooks.open_cells(path)
    except workbooks.WorkbookError as exc:
        raise ImportFileError(exc.message) from exc
    headers = {c.header for c in spec.columns}
    result: list[_Raw] = []
    found_any = False
    for name in sheet_names:
        if name in failed:
            raise unreadable_sheet(name, Exception(failed[name]))
        rows = sheets[name]
        h = next(
            (
                i
                for i, row in enumerate(rows[:10])
                if sum(1 for v in row if isinstance(v, str) and _norm_header(v) in headers) >= 2
            ),
            None,
        )
        if h is None:
            continue
        found_any = True
        found = _map_headers(rows[h], spec, f"工作表「{name}」", warnings)
        for offset, row in enumerate(rows[h + 1 :]):
            cells = {key: row[j] if j < len(row) else None for key, j in found.items()}
            result.append(_Raw(name, h + 2 + offset, cells))
    if not found_any:
        raise ImportFileError(f"文件中没有找到{spec.name}的表头：请按{_template_hint(spec)}的表头填写")
    return result


def _read(path: Path, spec: _KindSpec, warnings: list[str]) -> list[_Raw]:
    if not path.exists():
        raise ImportFileError(f"文件不存在：{path.name}")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows = _read_xlsx(path, spec, warnings)
    elif suffix in (".csv", ".txt"):
        rows = _read_csv(path, spec, warnings)
    else:
        raise ImportFileError(f"不支持的文件类型「{suffix or '无扩展名'}」：请使用 .xlsx 或 .csv 文件")
    rows = [r for r in rows if any(_text(v) for v in r.cells.values())]
    if not rows:
        raise ImportFileError("文件中没有任何数据行")
    return rows


# --------------------------------------------------------------------------------------------------
# Checking


@dataclass
class _Row:
    raw: _Raw
    values: dict[str, Any]
    ok: bool = True


def _check_rows(raws: list[_Raw], spec: _KindSpec, user: User, errors: list[RowError]) -> list[_Row]:
    headers = {c.key: c.header for c in spec.columns}
    rows: list[_Row] = []

    def fail(row: _Row, key: str, message: str, header: str | None = None) -> None:
        row.ok = False
        errors.append(
            RowError(
                row.raw.row, header or headers[key], _text(row.raw.cells.get(key)), message, row.raw.sheet
            )
        )

    for raw in raws:
        row = _Row(raw, {})
        for col in spec.columns:
            if col.key not in raw.cells:
                continue  # an optional column the file does not have: left as it is
            try:
                row.values[col.key] = col.parse(raw.cells[col.key])
            except _Bad as bad:
                fail(row, col.key, bad.message)
        for header, message in spec.check(row.values):
            key = next(k for k, h in headers.items() if h == header)
            fail(row, key, message)
        rows.append(row)
    # Households: must exist inside the user's jurisdiction; either failure reads the same.
    numbers = sorted({r.values["household_number"] for r in rows if "household_number" in r.values})
    ids: dict[str, int] = {}
    allowed = households_for(user, "change")
    for start in range(0, len(numbers), CHUNK):
        ids.update(
            allowed.filter(household_number__in=numbers[start : start + CHUNK]).values_list(
                "household_number", "pk"
            )
        )
    for row in rows:
        number = row.values.pop("household_number", None)
        if number is None:
            continue
        if number not in ids:
            fail(row, "household_number", NOT_FOUND)
        else:
            row.values["household_id"] = ids[number]
    # The same key twice in one file: the second row is refused (which one should win is not for us to guess).
    seen: dict[tuple[Any, ...], _Row] = {}
    for row in rows:
        if not row.ok:
            continue  # a row refused already is not the first of a pair
        seen_key = tuple(row.values[k] for k in spec.key)
        first = seen.setdefault(seen_key, row)
        if first is not row:
            where = (
                f"{first.raw.sheet}第 {first.raw.row} 行"
                if first.raw.sheet != row.raw.sheet
                else f"第 {first.raw.row} 行"
            )
            fail(row, "household_number", f"与{where}重复（{spec.duplicate}）")
    return rows


# --------------------------------------------------------------------------------------------------
# Writing


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _write(spec: _KindSpec, rows: list[_Row], actor: audit.Actor, batch: str, result: ImportResult) -> None:
    model: Any = spec.model  # Pairing or Measure
    household_ids = sorted({r.values["household_id"] for r in rows})
    existing: dict[tuple[Any, ...], Any] = {}
    for chunk in _chunks(household_ids):
        for obj in model.objects.filter(household_id__in=chunk):
            existing[tuple(getattr(obj, k) for k in spec.key)] = obj
    created: list[Any] = []
    updated: list[tuple[Any, dict[str, Any]]] = []
    for row in rows:
        obj = existing.get(tuple(row.values[k] for k in spec.key))
        if obj is None:
            created.append(model(**row.values))
            continue
        changes = {
            f: row.values[f] for f in spec.values if f in row.values and getattr(obj, f) != row.values[f]
        }
        if not changes:
            result.unchanged += 1
            continue
        before = audit.snapshot(obj)
        for name, value in changes.items():
            setattr(obj, name, value)
        updated.append((obj, before))
    now = timezone.now()
    model.objects.bulk_create(created, batch_size=1000)
    if updated:
        fields = list(spec.values)
        if any(f.name == "updated_at" for f in model._meta.concrete_fields):
            for obj, _ in updated:
                obj.updated_at = now
            fields.append("updated_at")
        model.objects.bulk_update([obj for obj, _ in updated], fields, batch_size=500)

    def root(obj: Any) -> Household:
        return Household(pk=obj.household_id)  # the audit line's aggregate: the household's history shows it

    audit.record_many(
        [
            *(
                audit.build_change(
                    actor,
                    ChangeAction.CREATE,
                    obj,
                    before=None,
                    after=audit.snapshot(obj),
                    root=root(obj),
                    batch=batch,
                    at=now,
                )
                for obj in created
            ),
            *(
                audit.build_change(
                    actor,
                    ChangeAction.UPDATE,
                    obj,
                    before=before,
                    after=audit.snapshot(obj),
                    root=root(obj),
                    batch=batch,
                    at=now,
                )
                for obj, before in updated
            ),
        ]
    )
    result.created, result.updated = len(created), len(updated)


def _import(
    spec: _KindSpec, *, actor: audit.Actor, user: User, path: Path | str, keep_valid: bool
) -> ImportResult:
    if not getattr(user, "can_edit_registry", False):
        raise PermissionDeniedError(f"只有系统管理员、县级管理员和乡镇、村级经办人员可以导入{spec.name}")
    result = ImportResult(kind=spec.code)
    raws = _read(Path(path), spec, result.warnings)
    result.rows = len(raws)
    rows = _check_rows(raws, spec, user, result.errors)
    result.errors.sort(key=lambda e: (e.sheet, e.row))
    result.rejected = sum(1 for r in rows if not r.ok)
    if result.rejected and not keep_valid:
        return result
    good = [r for r in rows if r.ok]
    result.batch = f"assistance-{spec.code}-{uuid.uuid4().hex[:16]}"
    try:
        with transaction.atomic():
            _write(spec, good, actor, result.batch, result)
    except IntegrityError:
        raise ConcurrentEditError(f"导入{spec.name}时有人同时写入了同样的记录，请稍后重新导入") from None
    result.written = True
    return result


def import_pairings(
    *, actor: audit.Actor, user: User, path: Path | str, keep_valid: bool = False
) -> ImportResult:
    """Import helper pairings (帮扶结对) from ``path`` (.csv or .xlsx) as ``user`` (whose jurisdiction bounds
    the households), recorded as ``actor``. All or nothing unless ``keep_valid``."""
    return _import(KINDS["pairings"], actor=actor, user=user, path=path, keep_valid=keep_valid)


def import_measures(
    *, actor: audit.Actor, user: User, path: Path | str, keep_valid: bool = False
) -> ImportResult:
    """Import assistance measures (帮扶措施) from ``path`` (.csv or .xlsx); see ``import_pairings``."""
    return _import(KINDS["measures"], actor=actor, user=user, path=path, keep_valid=keep_valid)


# --------------------------------------------------------------------------------------------------
# Template


def write_template(kind: str, path: Path | str) -> Path:
    """An empty .xlsx with the import's Chinese headers (required ones marked *), text format for numbers
    and codes (so Excel keeps every digit), drop-downs for code lists, and a sheet describing each column."""
    import xlsxwriter

    spec = _spec(kind)
    path = Path(path)
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    head = book.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    required = book.add_format({"bold": True, "bg_color": "#FDE9E7", "font_color": "#B00000", "border": 1})
    text = book.add_format({"num_format": "@"})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet = book.add_worksheet(spec.name)
    sheet.freeze_panes(1, 0)
    lists = {"unit_level": UnitLevel.labels, "family": MeasureFamily.labels, "implemented": ["是", "否"]}
    for j, col in enumerate(spec.columns):
        sheet.write(0, j, col.header + ("*" if col.required else ""), required if col.required else head)
        fmt = text if col.text else date if col.key in ("started_on", "ended_on") else None
        sheet.set_column(j, j, max(12, len(col.header) * 2 + 4), fmt)
        if col.key in lists:
            sheet.data_validation(
                1,
                j,
                1_048_575,
                j,
                {"validate": "list", "source": list(lists[col.key]), "error_type": "warning"},
            )
    notes = book.add_worksheet("填写说明")
    notes.write_row(0, 0, ["列名", "是否必填", "填写要求"], head)
    for i, col in enumerate(spec.columns, start=1):
        notes.write_row(i, 0, [col.header, "必填" if col.required else "", col.hint])
    tail = len(spec.columns) + 2
    notes.write(tail, 0, f"每行一条{spec.name}；以{spec.duplicate}为准，重复导入同一文件不会重复记录。")
    notes.write(tail + 1, 0, "户编号须是本人辖区内已登记的农户；表头可带或不带 *。")
    notes.set_column(0, 0, 16)
    notes.set_column(2, 2, 70)
    book.close()
    return path


# --------------------------------------------------------------------------------------------------
# One record from the household page

PAIRING_FIELDS = ("helper_name", "helper_unit", "unit_level", "helper_phone", "started_on", "ended_on")
MEASURE_FIELDS = ("year", "family", "implemented", "note")


def _editable(user: User, household_id: int) -> Household:
    """The household, if the user may change it. Visible but read-only → PermissionDeniedError (403);
    invisible or missing → the same NotFoundOrForbidden (404), as the registry's writes answer."""
    household = households_for(user, "change").filter(pk=household_id).first()
    if household is not None:
        return household
    if households_for(user, "view").filter(pk=household_id).exists():
        raise PermissionDeniedError("当前角色只能查看，不能修改该户的帮扶情况")
    raise NotFoundOrForbidden("农户不存在或无权访问")


def _checked(
    obj: models.Model,
    parsers: dict[str, Callable[[Any], Any]],
    data: dict[str, Any],
    twin: Callable[[], tuple[str, str] | None],
) -> None:
    """Set the record's fields from ``data`` through the import's own cell checks, so a value the import
    refuses is refused here too with the same message; then ``twin`` (another record with the same natural
    key: (field, message) or None), then the model's constraints (dates, year range)."""
    from django.core.exceptions import ValidationError

    unknown = set(data) - set(parsers)
    if unknown:
        raise ValidationFailed(f"不能填写的字段：{', '.join(sorted(unknown))}")
    errors: dict[str, list[str]] = {}
    for key, parse in parsers.items():
        if key not in data:
            continue
        try:
            setattr(obj, key, parse(data[key]))
        except _Bad as bad:
            errors[key] = [bad.message]
    if not errors and (found := twin()) is not None:
        errors = {found[0]: [found[1]]}
    if not errors:
        try:
            obj.full_clean(validate_unique=False, validate_constraints=True)
        except ValidationError as exc:
            errors = {
                k: [str(m) for m in v] for k, v in exc.message_dict.items()
            }  # "__all__": the form's top
    if errors:
        raise ValidationFailed("填写有误：" + "；".join("，".join(v) for v in errors.values()), errors)


def _as_is(value: Any) -> Any:
    return value


def _date_field(label: str, required: bool) -> Callable[[Any], dt.date | None]:
    def parse(value: Any) -> dt.date | None:
        if value is None or value == "":
            if required:
                raise _Bad(f"请填写{label}")
            return None
        return value if isinstance(value, dt.date) else _date(value)

    return parse


def _choice(choices: type[models.TextChoices], label: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if value not in choices.values:
            raise _Bad(f"请选择{label}")
        return str(value)

    return parse


PAIRING_PARSERS: dict[str, Callable[[Any], Any]] = {
    "helper_name": _required_text("帮扶责任人姓名", 40),
    "helper_unit": _required_text("帮扶单位", 100),
    "unit_level": _choice(UnitLevel, "单位隶属关系"),
    "helper_phone": _phone,
    "started_on": _date_field("帮扶开始日期", True),
    "ended_on": _date_field("帮扶结束日期", False),
}
MEASURE_PARSERS: dict[str, Callable[[Any], Any]] = {
    "year": _as_is,  # the model's range check says what is wrong with it
    "family": _choice(MeasureFamily, "措施类别"),
    "implemented": bool,
    "note": _note,
}


_M = TypeVar("_M", Pairing, Measure)


@dataclass(frozen=True)
class _Record(Generic[_M]):
    """How one record of a household is saved from a form: its model, the cell checks of its fields, the
    natural key besides the household and what to say when another record already has it."""

    model: type[_M]
    parsers: dict[str, Callable[[Any], Any]]
    key: tuple[str, ...]
    key_field: str
    duplicate: str


PAIRING = _Record(
    Pairing,
    PAIRING_PARSERS,
    ("helper_name", "started_on"),
    "started_on",
    "本户已有这位帮扶责任人从这一天开始的结对记录",
)
MEASURE = _Record(
    Measure, MEASURE_PARSERS, ("year", "family"), "family", "本户这一年度已有这一类帮扶措施，请修改原有记录"
)


def _save(
    spec: _Record[_M],
    *,
    actor: audit.Actor,
    user: User,
    household_id: int,
    expected_version: int,
    data: dict[str, Any],
    record_id: int | None,
) -> _M:
    household = _editable(user, household_id)
    if record_id is None:
        record, before = spec.model(household=household), None
    else:
        found = spec.model.objects.filter(pk=record_id, household=household).first()
        if found is None:
            raise NotFoundOrForbidden(f"{spec.model._meta.verbose_name}不存在或无权访问")
        record, before = found, audit.snapshot(found)

    def twin() -> tuple[str, str] | None:
        same = spec.model.objects.filter(household=household, **{k: getattr(record, k) for k in spec.key})
        return (spec.key_field, spec.duplicate) if same.exclude(pk=record.pk).exists() else None

    _checked(record, spec.parsers, data, twin)
    bump_version(household, expected_version)
    record.save()
    audit.record(
        actor,
        ChangeAction.CREATE if before is None else ChangeAction.UPDATE,
        record,
        before=before,
        root=household,
    )
    return record


@transaction.atomic
def save_pairing(
    *,
    actor: audit.Actor,
    user: User,
    household_id: int,
    expected_version: int,
    data: dict[str, Any],
    pairing_id: int | None = None,
) -> Pairing:
    """Add a helper pairing to a household (``pairing_id`` None) or change one; ending a pairing is setting
    its end date. The household's version is the lock, as for every edit under a household; audited under
    the household. A household or pairing the user may not see: NotFoundOrForbidden; one the user may
    only read: PermissionDeniedError."""
    return _save(
        PAIRING,
        actor=actor,
        user=user,
        household_id=household_id,
        expected_version=expected_version,
        data=data,
        record_id=pairing_id,
    )


@transaction.atomic
def save_measure(
    *,
    actor: audit.Actor,
    user: User,
    household_id: int,
    expected_version: int,
    data: dict[str, Any],
    measure_id: int | None = None,
) -> Measure:
    """Add an assistance measure to a household (``measure_id`` None) or change one (mark it carried out,
    say what was done). Lock, audit and refusals as ``save_pairing``."""
    return _save(
        MEASURE,
        actor=actor,
        user=user,
        household_id=household_id,
        expected_version=expected_version,
        data=data,
        record_id=measure_id,
    )
