"""Reading an import file into a DuckDB staging table, every cell as text, with its sheet and row.

Excel is read with python-calamine (Rust); CSV (UTF-8 or GB18030) by DuckDB's own reader. Headers are
matched to ``columns.COLUMNS`` by their Chinese names; the header row may sit below a title row. A number
cell in a long-number column (``NUMBER_KEYS``) is read only when it still holds the exact digits
(``numbercells``); otherwise it is a row error.
"""

from __future__ import annotations

import codecs
import datetime as dt
import logging
import re
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pyarrow as pa

from jingzhun.core import quoting, workbooks
from jingzhun.core.errors import JingzhunError
from jingzhun.registry import idnumbers, numbercells
from jingzhun.registry.columns import (
    CODES_SHEET,
    DATA_SHEET,
    HELP_SHEET,
    IDENTITY_KEYS,
    INPUT_COLUMNS,
    READ_COLUMNS,
    REPORT_LIST_SHEET,
    REPORT_SHEET,
    Column,
    Kind,
    Level,
    header_index,
    normalise_header,
)

T = TypeVar("T")
log = logging.getLogger(__name__)

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
CSV_SUFFIXES = {".csv", ".txt"}
# Keys whose long digit strings Excel ruins when it stores them as numbers (15 significant digits).
LONG_NUMBER_KEYS = {"household_number", "person_number", "bank_account", "village"}
NUMBER_KEYS = ("id_number", *sorted(LONG_NUMBER_KEYS))


class ImportFileError(JingzhunError):
    """The file as a whole cannot be read: nothing is imported."""

    code = "bad_file"


# What a user is told to do when a file's headers are wrong: the template is on the import page. Messages
# shown on web pages never name a command; the command line adds its own hint.
TEMPLATE_HINT = "请在导入页面点击“下载导入模板”，按模板的表头填写"
NO_ROWS_HINT = "请在表头下面每位家庭成员填写一行（同一户的户信息填在本户各行或第一行）后再上传"


def unreadable_excel(exc: Exception) -> ImportFileError:
    """An Excel file the reader refuses, in words a village officer can act on (the reader's text is English)."""
    log.info("Excel file not readable: %s", exc)
    return ImportFileError(workbooks.OPEN_FAILED)


def unreadable_sheet(name: str, exc: Exception) -> ImportFileError:
    log.info("Excel sheet %r not readable: %s", name, exc)
    return ImportFileError(workbooks.sheet_failed(name))


def csv_format_error(exc: Exception) -> ImportFileError:
    """A CSV the reader refuses; the reader's own message (English) goes to the log, not to the user."""
    log.info("CSV file not readable: %s", exc)
    line = re.search(r"[Ll]ine:?\s*(\d+)", str(exc))
    where = f"第 {line.group(1)} 行附近" if line else ""
    return ImportFileError(
        f"CSV 文件{where}格式有误（某一行的列数与表头不一致，或者引号不成对），无法读取。"
        "请用 Excel 或 WPS 打开它，另存为“CSV UTF-8（逗号分隔）”格式后再上传。"
    )


# Sheets of Jingzhun's own workbooks (template, export, error report): True for a data sheet. A workbook
# whose sheets are all among these is ours, and only its data sheets are read.
OWN_SHEETS = {
    DATA_SHEET: True,
    CODES_SHEET: False,
    HELP_SHEET: False,
    REPORT_SHEET: True,
    REPORT_LIST_SHEET: False,
}
# Words in the name of a sheet that is a code list or filling instructions, never data.
NOT_DATA_WORDS = ("代码", "码表", "字典", "说明", "下拉", "选项")


def sheets_to_read(names: Sequence[str], warnings: list[str]) -> list[str]:
    """The sheets of a workbook that may hold member rows. Our own workbooks: their data sheet only (the
    template's hidden code list names many columns and must not be read as data). Other workbooks: every
    sheet except those named as code lists or instructions (each one skipped is noted)."""
    if set(names) <= set(OWN_SHEETS) and any(OWN_SHEETS[n] for n in names):
        return [n for n in names if OWN_SHEETS[n]]
    keep = []
    for name in names:
        if any(word in name for word in NOT_DATA_WORDS):
            warnings.append(f"工作表「{name}」是代码表或填写说明，不作为数据导入")
        else:
            keep.append(name)
    return keep


def match_headers(
    names: Iterable[object],
    columns: Sequence[Any],
    *,
    where: str,
    what: str,
    template: str,
    warnings: list[str],
    ignored: Iterable[str] = (),
) -> dict[str, int]:
    """Column key → position of ``columns`` (each with ``key``, ``header`` and ``required``) among a file's
    header cells ``names``. A header names a column by its Chinese header or its key, ignoring spaces, the
    width of brackets, a required column's asterisk and case. An unknown header is warned about (``what``: the
    table it is not a column of); a column given twice, or a required column missing, is an ImportFileError
    that points to ``template`` (where a web user downloads the right template: never a command)."""

    def norm(text: object) -> str:
        return normalise_header(text).lower()

    index: dict[str, Any] = {}
    for col in columns:
        index[norm(col.header)] = index[norm(col.key)] = col
    skipped = {norm(h) for h in ignored}
    found: dict[str, int] = {}
    for j, name in enumerate(names):
        key = norm(name)
        if not key or key in skipped:
            continue
        col = index.get(key)
        if col is None:
            warnings.append(f"{where}：列「{str(name).strip()}」不是{what}的列，已忽略")
        elif col.key in found:
            raise ImportFileError(
                f"{where}：列「{col.header}」出现了两次（第 {found[col.key] + 1} 列和第 {j + 1} 列）"
            )
        else:
            found[col.key] = j
    missing = [c.header for c in columns if c.required and c.key not in found]
    if missing:
        raise ImportFileError(f"{where}：缺少必需的列：{'、'.join(missing)}。请按{template}的表头填写")
    return found


@dataclass
class CellError:
    index: int
    sheet: str
    row: int
    column: str
    value: str
    message: str


@dataclass
class Staged:
    con: duckdb.DuckDBPyConnection
    rows: int
    # The ID cells of an Excel file (text; idnumbers.DamagedNumber for a damaged number cell, NULL in ``raw``);
    # None: the text in ``raw``.
    id_values: list[Any] | None
    columns: list[Column]
    cell_errors: list[CellError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _cell_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        s = v.strip()
        return s or None
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float):
        if v != v:  # NaN
            return None
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v).strip() or None


def _find_header(rows: list[list[Any]], index: dict[str, Column]) -> int | None:
    for i, row in enumerate(rows[:10]):
        hits = sum(1 for v in row if isinstance(v, str) and normalise_header(v) in index)
        if hits >= 3:
            return i
    return None


def _map_headers(
    header: list[Any], index: dict[str, Column], where: str, warnings: list[str]
) -> dict[int, Column]:
    mapping: dict[int, Column] = {}
    seen: dict[str, int] = {}
    places: dict[str, int] = {}
    for j, name in enumerate(header):
        if name is None or str(name).strip() == "":
            continue
        col = index.get(normalise_header(name))
        if col is None:
            warnings.append(f"{where}：列「{str(name).strip()}」不是模板中的列，已忽略")
            continue
        if col.derived:
            continue
        if col.level == Level.INFO:
            places.setdefault(col.key, j)
            continue
        if col.key in seen:
            raise ImportFileError(
                f"{where}：列「{col.header}」出现了两次（第 {seen[col.key] + 1} 列和第 {j + 1} 列）"
            )
        seen[col.key] = j
        mapping[j] = col
    if "village" not in seen:  # region names are read only to find the village when its code is missing
        for key, j in places.items():
            mapping[j] = _PLACES[key]
    return mapping


_PLACES = {c.key: c for c in READ_COLUMNS if c.level == Level.INFO}


ROW_KEYS = ("household_number", "person_number", "id_number", "name")


def _is_data(mapping: dict[int, Column]) -> bool:
    """A sheet without any column naming a household or a person (a code list, a summary) is not data."""
    return any(c.key in ROW_KEYS for c in mapping.values())


def _check_required(mapping: dict[int, Column], where: str) -> None:
    """Only the columns saying which household and person a row is are required of every file; the others
    may be left out (kept as stored on update; a new household's required values are checked per row)."""
    present = {c.key for c in mapping.values()}
    missing = [c.header for c in INPUT_COLUMNS if c.key in IDENTITY_KEYS and c.key not in present]
    if missing:
        raise ImportFileError(f"{where}：缺少必需的列：{'、'.join(missing)}。{TEMPLATE_HINT}")


def _sheet_first_rows(path: Path) -> dict[str, int]:
    """0-based index of the first row with a value in each sheet of an .xlsx (the reader trims leading
    empty rows; error messages must still name the row as Excel shows it)."""
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(path) as zf:
        return {
            name: _first_value_row(zf, member, ns) for name, member in workbooks.sheet_members(zf).items()
        }


def _first_value_row(zf: zipfile.ZipFile, member: str, ns: str) -> int:
    with zf.open(member) as fh:
        for _, elem in ET.iterparse(fh, events=("end",)):
            if elem.tag == f"{ns}c" and (elem.find(f"{ns}v") is not None or elem.find(f"{ns}is") is not None):
                ref = elem.get("r", "A1")
                return int("".join(ch for ch in ref if ch.isdigit())) - 1
            if elem.tag == f"{ns}row":
                elem.clear()
    return 0


def _number_error(index: int, sheet: str, row: int, col: Column, shown: str) -> CellError:
    return CellError(index, sheet, row, col.header, shown, idnumbers.damaged_number_message(shown))


def _settle_typed(values: Sequence[Any]) -> tuple[list[Any], list[tuple[int, idnumbers.DamagedNumber]]]:
    """Typed cells (python-calamine) of a long-number column as text, number cells by ``numbercells.settle``;
    and the damaged ones."""
    numbers = [float(v) if v.__class__ in (int, float) else None for v in values]
    texts = [v if v.__class__ is str else _cell_text(v) for v in values]
    if all(n is None for n in numbers):
        return texts, []
    settled, damaged = numbercells.settle(pa.array(texts, pa.string()), pa.array(numbers, pa.float64()))
    return settled.to_pylist(), damaged


def _number_columns(path: Path) -> dict[str, list[int]]:
    """Sheet → the sheet columns of its long-number keys, guessed from the XML's first rows
    (``workbooks.head_rows``) for ``numbercells.Prescan``; ``read_xlsx_fast`` confirms it."""
    index = header_index()
    found: dict[str, list[int]] = {}
    for name, rows in workbooks.head_rows(path).items():
        h = _find_header(rows, index)
        if h is None:
            continue
        try:
            mapping = _map_headers(rows[h], index, name, [])
        except ImportFileError:
            continue
        columns = sorted(j for j, c in mapping.items() if c.key in NUMBER_KEYS)
        if columns:
            found[name] = columns
    return found


def read_xlsx_fast(path: Path) -> Staged:
    """.xlsx straight to Arrow (fastexcel, Rust calamine): no Python object per cell."""
    prescan = numbercells.Prescan(path, _number_columns)
    try:
        book = workbooks.open_xlsx(path, checked=prescan.start)
        first_rows = _sheet_first_rows(path)
    except workbooks.WorkbookError as exc:
        raise ImportFileError(exc.message) from exc
    except Exception as exc:  # corrupt zip, not a workbook
        raise unreadable_excel(exc) from exc
    index = header_index()
    keys = [c.key for c in READ_COLUMNS]
    parts: list[pa.Table] = []
    id_values: list[Any] = []
    warnings: list[str] = []
    errors: list[CellError] = []
    used: set[str] = set()
    damaged_rows: list[int] = []
    total = 0
    for name in sheets_to_read(book.sheet_names, warnings):
        try:
            sheet = book.sheet(name)
        except workbooks.WorkbookError as exc:
            raise ImportFileError(exc.message) from exc
        table = sheet.table
        if table.num_rows == 0:
            warnings.append(f"工作表「{name}」是空的，已跳过")
            continue
        head = [list(r.values()) for r in table.slice(0, 10).to_pylist()]
        h = _find_header(head, index)
        if h is None:
            warnings.append(f"工作表「{name}」没有找到模板表头，已跳过")
            continue
        mapping = _map_headers(head[h], index, f"工作表「{name}」", warnings)
        if not _is_data(mapping):
            warnings.append(f"工作表「{name}」没有户编号、证件号码等成员信息列，不是数据表，已跳过")
            continue
        _check_required(mapping, f"工作表「{name}」")
        body = table.slice(h + 1)
        n = body.num_rows
        first_row = first_rows.get(name, 0) + h + 2
        by_key = {c.key: j for j, c in mapping.items()}
        used.update(by_key)
        columns = {k: body.column(by_key[k]) if k in by_key else pa.nulls(n, pa.string()) for k in keys}
        # The reader renders number cells as digits: a long number Excel could not hold is found by the cell's type.
        numbers = numbercells.xlsx_numbers(
            path,
            book,
            sheet,
            table,
            h,
            {k: by_key[k] for k in NUMBER_KEYS if k in by_key},
            first_row,
            prescan,
        )
        ids: list[Any] | None = None
        for key, number in numbers.items():
            columns[key], damaged = numbercells.settle(columns[key], number)
            damaged_rows += [total + k for k, _ in damaged]
            if key != "id_number":  # stays as Excel shows it, with a cell error
                errors += [
                    _number_error(total + k, name, first_row + k, mapping[by_key[key]], v) for k, v in damaged
                ]
            elif damaged:  # goes on as the marker idnumbers.parse rejects, NULL for the SQL check
                ids = columns[key].to_pylist()
                for k, shown in damaged:
                    ids[k] = shown
                columns[key] = pa.array(
                    [None if isinstance(v, idnumbers.DamagedNumber) else v for v in ids], pa.string()
                )
        id_values.extend(columns["id_number"].to_pylist() if ids is None else ids)
        parts.append(
            pa.table(
                {
                    "_i": pa.array(range(total, total + n), pa.int64()),
                    "_sheet": pa.array([name] * n, pa.string()),
                    "_row": pa.array(range(first_row, first_row + n), pa.int32()),
                    **columns,
                }
            )
        )
        total += n
    if not parts:
        raise ImportFileError(f"文件中没有任何数据行（所有工作表都是空的或没有模板表头）。{TEMPLATE_HINT}")
    con = duckdb.connect()
    con.register("raw_arrow", pa.concat_tables(parts))
    trimmed = ", ".join(f'nullif(trim("{k}"), \'\') AS "{k}"' for k in keys)
    con.execute(f"CREATE TABLE raw AS SELECT _i, _sheet, _row, {trimmed} FROM raw_arrow")
    con.unregister("raw_arrow")
    # Excel's used range can run past the data: rows with nothing in them are not data rows.
    filled = " OR ".join(f"{quoting.identifier(k)} IS NOT NULL" for k in keys)
    con.execute(f"DELETE FROM raw WHERE NOT ({filled}) AND NOT list_contains(?, _i)", [damaged_rows])
    kept = [r[0] for r in con.execute("SELECT _i FROM raw ORDER BY _i").fetchall()]
    if len(kept) != total:
        id_values = [id_values[i] for i in kept]
        kept_set = set(kept)
        errors = [e for e in errors if e.index in kept_set]
        remap = {old: new for new, old in enumerate(kept)}
        con.register("remap_arrow", pa.table({"old": list(remap), "new": list(remap.values())}))
        con.execute("UPDATE raw SET _i = m.new FROM remap_arrow m WHERE raw._i = m.old")
        con.unregister("remap_arrow")
        for e in errors:
            e.index = remap[e.index]
    if not kept:
        raise ImportFileError(f"文件中没有任何数据行：{NO_ROWS_HINT}")
    columns_used = [c for c in READ_COLUMNS if c.key in used]
    return Staged(
        con=con,
        rows=len(kept),
        id_values=id_values,
        columns=columns_used,
        cell_errors=errors,
        warnings=warnings,
    )


def read_excel(path: Path) -> Staged:
    """Other Excel formats (.xls, .xlsb, .ods): python-calamine, one Python value per cell."""
    try:
        sheet_names, sheets, failed = workbooks.open_cells(path)
    except workbooks.WorkbookError as exc:
        raise ImportFileError(exc.message) from exc
    index = header_index()
    keys = [c.key for c in READ_COLUMNS]
    data: dict[str, list[str | None]] = {k: [] for k in keys}
    meta_sheet: list[str] = []
    meta_row: list[int] = []
    id_values: list[Any] = []
    warnings: list[str] = []
    errors: list[CellError] = []
    used: set[str] = set()
    for name in sheets_to_read(sheet_names, warnings):
        if name in failed:
            raise unreadable_sheet(name, Exception(failed[name]))
        rows = sheets[name]
        if not any(any(v not in (None, "") for v in r) for r in rows):
            warnings.append(f"工作表「{name}」是空的，已跳过")
            continue
        h = _find_header(rows, index)
        if h is None:
            warnings.append(f"工作表「{name}」没有找到模板表头，已跳过")
            continue
        mapping = _map_headers(rows[h], index, f"工作表「{name}」", warnings)
        if not _is_data(mapping):
            warnings.append(f"工作表「{name}」没有户编号、证件号码等成员信息列，不是数据表，已跳过")
            continue
        _check_required(mapping, f"工作表「{name}」")
        body = rows[h + 1 :]
        # Drop trailing rows that are entirely empty (Excel's used range often extends past the data).
        while body and all(v in (None, "") for v in body[-1]):
            body.pop()
        base = len(meta_row)
        for offset in range(len(body)):
            meta_sheet.append(name)
            meta_row.append(h + 2 + offset)
        width_cols = {c.key: j for j, c in mapping.items()}
        used.update(width_cols)
        width = max(map(len, body)) if body else 0
        if any(len(r) != width for r in body):
            body = [r if len(r) == width else [*r, *[None] * (width - len(r))] for r in body]
        transposed = list(zip(*body, strict=True)) if body else []
        for key in keys:
            j = width_cols.get(key)
            if j is None:
                data[key].extend([None] * len(body))
                continue
            values = transposed[j]
            if key in NUMBER_KEYS:
                texts, damaged = _settle_typed(values)
                for k, shown in damaged:  # as in read_xlsx_fast (the ID is never in ``raw`` here)
                    if key == "id_number":
                        texts[k] = shown
                    else:
                        errors.append(_number_error(base + k, name, h + 2 + k, mapping[j], shown))
                if key == "id_number":
                    id_values.extend(texts)
                    data[key].extend([None] * len(body))
                else:
                    data[key].extend(texts)
                continue
            # Text cells pass as they are (DuckDB trims them); numbers, dates and booleans become text.
            if set(map(type, values)) <= {str}:
                data[key].extend(values)
            else:
                data[key].extend([v if v.__class__ is str else _cell_text(v) for v in values])
    if not meta_row:
        raise ImportFileError(f"文件中没有任何数据行（所有工作表都是空的或没有模板表头）。{TEMPLATE_HINT}")
    columns = [c for c in READ_COLUMNS if c.key in used]
    table = pa.table(
        {
            "_i": pa.array(range(len(meta_row)), pa.int64()),
            "_sheet": meta_sheet,
            "_row": meta_row,
            **{k: pa.array(v, pa.string()) for k, v in data.items()},
        }
    )
    con = duckdb.connect()
    con.register("raw_arrow", table)
    trimmed = ", ".join(f'nullif(trim("{k}"), \'\') AS "{k}"' for k in keys)
    con.execute(f"CREATE TABLE raw AS SELECT _i, _sheet, _row, {trimmed} FROM raw_arrow")
    con.unregister("raw_arrow")
    return Staged(
        con=con,
        rows=len(meta_row),
        id_values=id_values,
        columns=columns,
        cell_errors=errors,
        warnings=warnings,
    )


SAVE_AS_UTF8 = "请用 Excel 或 WPS 打开它，另存为“CSV UTF-8（逗号分隔）”格式后再上传"


def sniff_encoding(head: bytes) -> str:
    """The encoding a text file announces: a UTF-16/UTF-32 byte-order mark, or UTF-16 without one (NUL
    bytes next to ASCII characters, as Windows' "Unicode text" writes it: UTF-8 and GBK text has no NUL
    byte at all); else "utf-8", which DuckDB
    reads itself (a file that is not UTF-8 then goes through ``_utf8_copy`` as GB18030)."""
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:1024]
    if 0 in sample:
        odd_zeros = sample[1::2].count(0)
        return "utf-16-le" if odd_zeros >= sample[0::2].count(0) else "utf-16-be"
    return "utf-8"


def _utf8_copy(path: Path, encoding: str = "gb18030") -> Path:
    """A UTF-8 copy of a UTF-16/32 or GB18030 (GBK) file, so DuckDB can read it.

    UTF-16/32 is transcoded in blocks. A GB18030 file is read line by line, because a file that mixes
    encodings must be refused, not read as mojibake: GB18030 decodes almost any bytes, so a UTF-8 row in a
    GBK file (or a GBK row in a UTF-8 file, which is why DuckDB refused it) would otherwise be stored as
    garbage. A line counts as UTF-8 when it decodes as UTF-8 and has at least three non-ASCII characters
    (a real GBK line of Chinese text essentially never does)."""
    tmp = Path(tempfile.mkstemp(suffix=".csv", prefix="jz-utf8-")[1])
    try:
        with path.open("rb") as src, tmp.open("w", encoding="utf-8", newline="") as out:
            if encoding != "gb18030":
                decoder = codecs.getincrementaldecoder(encoding)()
                while block := src.read(1 << 24):
                    text = decoder.decode(block)
                    if (
                        out.tell() == 0 and "," not in text[:65536]
                    ):  # UTF-16 decodes any bytes: a CSV has commas
                        raise ImportFileError(
                            f"CSV 文件编码无法识别（不是 UTF-8、GB18030 或 UTF-16 的逗号分隔文件）。"
                            f"{SAVE_AS_UTF8}"
                        )
                    out.write(text)
                out.write(decoder.decode(b"", final=True))
                return tmp
            _gb18030_lines(src, out)
    except UnicodeDecodeError as exc:
        tmp.unlink(missing_ok=True)
        name = {"utf-32": "UTF-32", "utf-16": "UTF-16"}.get(encoding[:6], "UTF-16")
        raise ImportFileError(
            f"CSV 文件看起来是 {name} 编码，但其中有无法识别的内容，无法读取。{SAVE_AS_UTF8}"
        ) from exc
    except ImportFileError:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _gb18030_lines(src: Any, out: Any) -> None:
    utf8_lines: list[int] = []
    gbk_lines: list[int] = []
    for number, line in enumerate(src, start=1):
        if line.isascii():
            out.write(line.decode("ascii"))
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            if sum(not c.isascii() for c in text) >= 3:
                utf8_lines.append(number)
                continue
        try:
            out.write(line.decode("gb18030"))
        except UnicodeDecodeError:
            raise ImportFileError(
                f"CSV 文件第 {number} 行既不是 UTF-8 也不是 GB18030（GBK）编码，无法读取。{SAVE_AS_UTF8}"
            ) from None
        gbk_lines.append(number)
    if utf8_lines and gbk_lines:
        raise ImportFileError(
            "CSV 文件中混有两种编码，无法可靠读取："
            + _lines(utf8_lines)
            + "是 UTF-8 编码，"
            + _lines(gbk_lines)
            + f"是 GB18030（GBK）编码（常见于把两个文件的内容拼在一起）。{SAVE_AS_UTF8}"
        )


def _lines(numbers: list[int]) -> str:
    shown = "、".join(str(n) for n in numbers[:5])
    return f"第 {shown} 行" + (f"等 {len(numbers)} 行" if len(numbers) > 5 else "")


CSV_OPTIONS = "all_varchar=true, header=true, delim=',', quote='\"', escape='\"', null_padding=true, ignore_errors=false"


def _read_csv_text(con: duckdb.DuckDBPyConnection, source: Path, warnings: list[str]) -> dict[str, str]:
    """Table ``raw_text``: every input column of the file as trimmed text (NULL when empty), in file order."""
    try:
        header = [
            r[0]
            for r in con.execute(
                f"DESCRIBE SELECT * FROM read_csv(?, {CSV_OPTIONS})", [str(source)]
            ).fetchall()
        ]
        mapping = _map_headers(header, header_index(), "CSV", warnings)
        _check_required(mapping, "CSV")
        by_key = {c.key: header[j] for j, c in mapping.items()}
        select = []
        for c in READ_COLUMNS:
            src = by_key.get(c.key)
            expr = "NULL" if src is None else f"nullif(trim({quoting.identifier(src)}), '')"
            select.append(f'{expr}::VARCHAR AS "{c.key}"')
        con.execute(
            f"CREATE TABLE raw_text AS SELECT {', '.join(select)} FROM read_csv(?, {CSV_OPTIONS})",
            [str(source)],
        )
    except duckdb.InvalidInputException:
        raise
    except duckdb.Error as exc:
        raise csv_format_error(exc) from exc
    return by_key


class _NotUtf8(Exception):
    """The file announces another encoding than UTF-8 (DuckDB reads UTF-8 only)."""


def csv_into_raw(
    path: Path, read: Callable[[duckdb.DuckDBPyConnection, Path, list[str]], T], warnings: list[str]
) -> tuple[duckdb.DuckDBPyConnection, T]:
    """A CSV file into a new DuckDB connection's ``raw_text`` by ``read`` (which creates that table), then
    the ``raw`` view numbering the rows by their position (DuckDB keeps insertion order, so ``rowid`` is the
    row's place in the file). DuckDB reads UTF-8 only; a file that is not UTF-8 is read again as GB18030
    (what Excel saves in China). Used by the register's import and the department loads."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    if not head.strip().lstrip(b"\xef\xbb\xbf").strip():
        raise ImportFileError("文件是空的，没有任何数据")
    con = duckdb.connect()
    encoding = sniff_encoding(head)
    try:
        if encoding != "utf-8":
            raise _NotUtf8
        result = read(con, path, warnings)
    except (duckdb.InvalidInputException, _NotUtf8) as exc:
        if isinstance(exc, duckdb.InvalidInputException) and "unicode" not in str(exc).lower():
            raise csv_format_error(exc) from exc
        source = _utf8_copy(path, "gb18030" if encoding == "utf-8" else encoding)
        warnings.clear()
        try:
            con.execute("DROP TABLE IF EXISTS raw_text")
            result = read(con, source, warnings)
        except duckdb.Error as again:
            raise csv_format_error(again) from again
        finally:
            source.unlink(missing_ok=True)
    con.execute(
        "CREATE VIEW raw AS SELECT rowid AS _i, 'CSV' AS _sheet, CAST(rowid + 2 AS INTEGER) AS _row, *"
        " FROM raw_text"
    )
    return con, result


def read_csv(path: Path) -> Staged:
    """One pass of DuckDB's parallel CSV reader into ``raw_text`` (``csv_into_raw``)."""
    warnings: list[str] = []
    con, by_key = csv_into_raw(path, _read_csv_text, warnings)
    rows = con.execute("SELECT count(*) FROM raw_text").fetchall()[0][0]
    if rows == 0:
        raise ImportFileError(f"CSV 文件中没有任何数据行：{NO_ROWS_HINT}")
    columns = [c for c in READ_COLUMNS if c.key in by_key]
    return Staged(con=con, rows=rows, id_values=None, columns=columns, warnings=warnings)


def read_file(path: Path) -> Staged:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx_fast(path)
    if suffix in EXCEL_SUFFIXES:
        return read_excel(path)
    if suffix in CSV_SUFFIXES:
        return read_csv(path)
    raise ImportFileError(f"不支持的文件类型「{suffix or '无扩展名'}」：请上传 .xlsx、.xls 或 .csv 文件")


def column_kinds() -> dict[str, Kind]:
    return {c.key: c.kind for c in INPUT_COLUMNS}
