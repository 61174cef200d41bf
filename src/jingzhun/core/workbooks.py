"""Reading uploaded workbooks safely: checked before reading, read in a limited child process (issue 16).

Every Excel reader of the project goes through here (the register import, the department loads, the
assistance imports):

1. ``check`` looks at the file before any reader does: for a zip-based workbook (.xlsx, .xlsm, .ods), the
   members' total uncompressed size and each large member's compression ratio (a zip bomb), and each
   sheet's declared ``<dimension>`` (a crafted used range such as A1:XFD1048576 makes the Rust readers
   allocate rows × columns cells, 512 GiB for that one).
2. ``open_xlsx`` (fastexcel, every cell as text, straight to Arrow) and ``open_cells`` (python-calamine,
   typed cells as Python values) read in a child process (``sandbox.run``) with memory and CPU limits;
   the sheets come back as Arrow IPC files (memory-mapped, not copied) or pickled rows. A file that makes
   the reader abort, run out of memory or time takes only the child: the caller gets ``WorkbookError``
   with a Chinese message that says what to do.

The functions whose names start with ``child_`` run in the child: this module imports nothing from Django.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from jingzhun.core import sandbox
from jingzhun.core.errors import JingzhunError

#: Limits of ``check``; the environment may raise them for a province's files.
MAX_UNCOMPRESSED = 8 << 30  # bytes, all members together
MAX_RATIO = 200  # uncompressed ÷ compressed, for members larger than RATIO_FROM
RATIO_FROM = 50 << 20
MAX_CELLS = 200_000_000  # rows × columns of a sheet's declared used range

OPEN_FAILED = (
    "无法读取 Excel 文件：文件已损坏，或者并不是 Excel 文件（例如把其他文件改成了 .xlsx 扩展名）。"
    "请用 Excel 或 WPS 打开它，另存为 .xlsx 格式后再上传。"
)
RESAVE = "请用 Excel 或 WPS 打开文件，只保留有数据的区域（删除多余的行和列），另存为新的 .xlsx 文件后再上传。"


class WorkbookError(JingzhunError):
    """The workbook cannot be read; ``message`` is Chinese and says what to do. ``sheet`` names the sheet
    when only that sheet failed."""

    code = "bad_file"

    def __init__(self, message: str, *, sheet: str | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.sheet = sheet
        self.detail = detail


def sheet_failed(name: str) -> str:
    return (
        f"工作表「{name}」无法读取（可能已损坏）。请用 Excel 或 WPS 打开文件，把这张表的内容复制到"
        "新的工作簿，另存为 .xlsx 格式后再上传。"
    )


# --------------------------------------------------------------------------------------------------
# 1. Before reading


def _cells(ref: str) -> tuple[int, int] | None:
    """(row, column) of "XFD1048576", 1-based."""
    match = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})", ref.strip())
    if not match:
        return None
    column = 0
    for ch in match.group(1).upper():
        column = column * 26 + ord(ch) - 64
    return int(match.group(2)), column


def declared_cells(head: bytes) -> tuple[str, int] | None:
    """The ``<dimension ref>`` at the top of a sheet's XML and how many cells it spans."""
    match = re.search(rb'<(?:\w+:)?dimension\s+ref="([^"]+)"', head)
    if not match:
        return None
    ref = match.group(1).decode("ascii", "replace")
    corners = [_cells(part) for part in ref.split(":")]
    if not corners or any(c is None for c in corners):
        return None
    rows = [c[0] for c in corners if c]
    cols = [c[1] for c in corners if c]
    return ref, (max(rows) - min(rows) + 1) * (max(cols) - min(cols) + 1)


def check(path: Path, sheet_names: Callable[[zipfile.ZipFile], dict[str, str]] | None = None) -> None:
    """Refuse a zip-based workbook that no reader should open (see the module's docstring). Other files
    (.xls, .csv) pass: their readers are limited by the child process alone."""
    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            if total > MAX_UNCOMPRESSED:
                raise WorkbookError(
                    f"文件解压后有 {total / (1 << 30):.1f} GB，超过上限 {MAX_UNCOMPRESSED >> 30} GB，"
                    f"不能读取。{RESAVE}"
                )
            for info in infos:
                if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * max(1, info.compress_size):
                    raise WorkbookError(
                        f"文件中的 {info.filename} 压缩比异常（{info.file_size // max(1, info.compress_size)}"
                        f" 倍），可能是“压缩炸弹”，不能读取。{RESAVE}"
                    )
            names = (sheet_names or _sheet_parts)(zf)
            for name, member in names.items():
                if member not in zf.namelist():
                    continue
                with zf.open(member) as fh:
                    declared = declared_cells(fh.read(4096))
                if declared and declared[1] > MAX_CELLS:
                    raise WorkbookError(
                        f"工作表「{name}」的使用区域是 {declared[0]}，约 {declared[1]:,} 个单元格，"
                        f"远超正常数据（上限 {MAX_CELLS:,} 个），不能读取。{RESAVE}"
                    )
    except WorkbookError:
        raise
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, ET.ParseError) as exc:
        raise WorkbookError(OPEN_FAILED, detail=str(exc)) from None


def sheet_members(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its XML part in an .xlsx."""
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    members: dict[str, str] = {}
    for sheet in ET.fromstring(zf.read("xl/workbook.xml")).iter(f"{ns}sheet"):
        target = targets.get(sheet.get(f"{rel_ns}id"), "")
        members[sheet.get("name", "")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return members


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → XML part, for .xlsx; nothing for other zip formats (.ods has one content.xml)."""
    if "xl/workbook.xml" not in zf.namelist() or "xl/_rels/workbook.xml.rels" not in zf.namelist():
        return {}
    return sheet_members(zf)


def _crash_message(exc: sandbox.Crashed) -> str:
    if exc.reason == "time":
        return f"读取文件超时（文件过大或格式异常），没有导入任何数据。{RESAVE}"
    return (
        f"读取文件时超出内存限制或读取程序异常退出（文件中可能有远超正常范围的单元格位置，或是异常的"
        f" Excel 文件），没有导入任何数据。{RESAVE}"
    )


# --------------------------------------------------------------------------------------------------
# 2. fastexcel: every cell as text, as Arrow


@dataclass
class Sheet:
    name: str
    table: pa.RecordBatch | pa.Table  # one RecordBatch, as fastexcel gives it
    absolute: list[int]  # the sheet column of each table column (0-based)


@dataclass
class Book:
    """A workbook read by ``open_xlsx``; ``sheet(name)`` raises ``WorkbookError`` for a sheet that failed."""

    path: Path
    sheet_names: list[str]
    sheets: dict[str, Sheet] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    def sheet(self, name: str) -> Sheet:
        if name in self.failed:
            raise WorkbookError(sheet_failed(name), sheet=name, detail=self.failed[name])
        return self.sheets[name]

    def number_flags(self, sheet: str, column: int) -> pa.Array:
        """Which cells of a sheet column are number cells (a value where the cell is a number), read again
        by fastexcel as booleans (the fallback of ``numbercells.xlsx_numbers``)."""
        return _limited(child_flags, str(self.path), sheet, column)


def open_xlsx(path: Path, *, checked: Callable[[], None] | None = None) -> Book:
    """Check, then read every sheet of an .xlsx as text (fastexcel) in a limited child. ``checked`` is
    called after the check, before the child reads: work that may overlap with the read (the caller's
    thread runs on the other core while this one waits for the child)."""
    check(path)
    if checked is not None:
        checked()
    out = Path(tempfile.mkdtemp(prefix="jz-book-"))
    try:
        result = _limited(child_strings, str(path), str(out))
        book = Book(path=path, sheet_names=result["names"], failed=result["failed"])
        for name, (file, absolute) in result["sheets"].items():
            reader = pa.ipc.open_file(pa.memory_map(file))  # the buffers keep the mapping
            table = reader.get_batch(0) if reader.num_record_batches == 1 else reader.read_all()
            book.sheets[name] = Sheet(name=name, table=table, absolute=absolute)
        return book
    finally:
        shutil.rmtree(out, ignore_errors=True)  # the tables stay valid: their pages are mapped


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
#: ``head_rows`` reads no further than this into a sheet's XML or its shared strings (uncompressed bytes).
HEAD_BYTES = 8 << 20


def _column_index(ref: str) -> int | None:
    letters = ref.rstrip("0123456789")
    if not letters or not letters.isalpha() or not letters.isupper():
        return None
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1


class _Limited:
    """A file object that ends after ``limit`` bytes (``head_rows`` never parses a whole large sheet)."""

    def __init__(self, fh: Any, limit: int) -> None:
        self.fh, self.left = fh, limit

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        size = self.left if size < 0 else min(size, self.left)
        data: bytes = self.fh.read(size)
        self.left -= len(data)
        return data


def head_rows(path: Path, rows: int = 10) -> dict[str, list[list[str | None]]]:
    """The first ``rows`` rows with a value of each sheet of a checked .xlsx, as text by sheet column
    (0-based; shared strings resolved), read from the XML in the calling process without a reader. For
    work that can start on the header while ``open_xlsx`` reads the file: it is a guess the caller must
    confirm against what the reader gives. Anything unusual gives no entry for the sheet (or ``{}``)."""
    try:
        with zipfile.ZipFile(path) as zf:
            found: dict[str, list[dict[int, tuple[str, str]]]] = {}
            for name, member in sheet_members(zf).items():
                try:
                    got = _head_cells(zf, member, rows)
                except ET.ParseError:  # cut off at HEAD_BYTES, or not well-formed: the reader will say
                    continue
                if got is not None:
                    found[name] = got
            needed = {
                int(v) for sheet in found.values() for row in sheet for t, v in row.values() if t == "s"
            }
            shared = _shared_strings(zf, max(needed)) if needed else []
    except (zipfile.BadZipFile, OSError, ET.ParseError, ValueError, KeyError):
        return {}
    result: dict[str, list[list[str | None]]] = {}
    for name, sheet in found.items():
        table: list[list[str | None]] = []
        for row in sheet:
            width = max(row) + 1
            line: list[str | None] = [None] * width
            for j, (kind, value) in row.items():
                if kind == "s":
                    k = int(value)
                    line[j] = shared[k] if k < len(shared) else None
                else:
                    line[j] = value
            table.append(line)
        result[name] = table
    return result


def _head_cells(zf: zipfile.ZipFile, member: str, rows: int) -> list[dict[int, tuple[str, str]]] | None:
    """Column → (cell type, text) of the first ``rows`` rows with a value; type "s" holds the shared
    string's index. None when a cell has no reference or a column beyond Excel's."""
    table: list[dict[int, tuple[str, str]]] = []
    with zf.open(member) as fh:
        for _, elem in ET.iterparse(_Limited(fh, HEAD_BYTES), events=("end",)):
            if elem.tag != f"{_NS}row":
                continue
            row: dict[int, tuple[str, str]] = {}
            for c in elem.iter(f"{_NS}c"):
                j = _column_index(c.get("r", ""))
                if j is None or j >= 16384:
                    return None
                kind = c.get("t", "n")
                if kind == "inlineStr":
                    text = "".join(t.text or "" for t in c.iter(f"{_NS}t"))
                else:
                    v = c.find(f"{_NS}v")
                    if v is None or v.text is None:
                        continue
                    text = v.text
                if text.strip():
                    row[j] = (kind, text)
            elem.clear()
            if row:
                table.append(row)
                if len(table) >= rows:
                    break
    return table


def _shared_strings(zf: zipfile.ZipFile, last: int) -> list[str]:
    """The shared strings up to index ``last`` (the rest of the table is not read)."""
    names = [n for n in zf.namelist() if n.lower() == "xl/sharedstrings.xml"]
    strings: list[str] = []
    if not names:
        return strings
    with zf.open(names[0]) as fh:
        for _, elem in ET.iterparse(_Limited(fh, HEAD_BYTES), events=("end",)):
            if elem.tag == f"{_NS}si":
                strings.append(_si_text(elem))
                elem.clear()
                if len(strings) > last:
                    break
    return strings


def _si_text(si: ET.Element) -> str:
    """A shared string's text: its ``<t>``, or its runs' (not the phonetic runs, ``<rPh>``)."""
    t = si.find(f"{_NS}t")
    if t is not None:
        return t.text or ""
    return "".join(t.text or "" for r in si.findall(f"{_NS}r") for t in r.findall(f"{_NS}t"))


def open_cells(path: Path) -> tuple[list[str], dict[str, list[list[Any]]], dict[str, str]]:
    """Check, then read every sheet with python-calamine (typed Python values, the used area kept) in a
    limited child: (sheet names, rows by sheet, failed sheets with the reader's text)."""
    check(path)
    result = _limited(child_cells, str(path))
    return result["names"], result["sheets"], result["failed"]


def _limited(func: Callable[..., Any], *args: Any) -> Any:
    try:
        return sandbox.run(func, *args)
    except sandbox.Crashed as exc:
        raise WorkbookError(_crash_message(exc), detail=str(exc)) from None
    except sandbox.ChildError as exc:
        raise WorkbookError(OPEN_FAILED, detail=str(exc)) from None


def child_strings(path: str, out: str) -> dict[str, Any]:
    import fastexcel

    reader = fastexcel.read_excel(path)
    names = list(reader.sheet_names)
    sheets: dict[str, tuple[str, list[int]]] = {}
    failed: dict[str, str] = {}
    for k, name in enumerate(names):
        try:
            sheet = reader.load_sheet(name, header_row=None, dtypes="string")
            table = sheet.to_arrow()
            absolute = [c.absolute_index for c in sheet.selected_columns]
        except Exception as exc:
            failed[name] = f"{type(exc).__name__}: {exc}"[:500]
            continue
        file = str(Path(out) / f"{k}.arrow")
        with pa.OSFile(file, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write(table)
        sheets[name] = (file, absolute)
    return {"names": names, "sheets": sheets, "failed": failed}


def child_flags(path: str, sheet: str, column: int) -> pa.Array:
    import fastexcel

    flags = (
        fastexcel.read_excel(path)
        .load_sheet(sheet, header_row=None, dtypes="boolean", use_columns=[column])
        .to_arrow()
        .column(0)
    )
    return flags.combine_chunks() if isinstance(flags, pa.ChunkedArray) else flags


def child_cells(path: str) -> dict[str, Any]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(path)
    names = list(book.sheet_names)
    sheets: dict[str, list[list[Any]]] = {}
    failed: dict[str, str] = {}
    for name in names:
        try:
            sheets[name] = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as exc:
            failed[name] = f"{type(exc).__name__}: {exc}"[:500]
    return {"names": names, "sheets": sheets, "failed": failed}
