"""Long numbers in number cells: only a cell that still holds the exact digits is read (issue #13).

A spreadsheet keeps a number cell as a double. Excel keeps 15 significant digits of what is typed or
pasted, and a double holds every whole number below 2**53 (about 9.007e15, 16 digits) exactly; an 18-digit
ID written as a number by a program (openpyxl, xlsxwriter, a database export) comes back as the nearest
double: 620502198211188624 is read as 620502198211188608, a different and possibly valid ID. The digits
the file holds are not the ones typed, and nothing in the file says which digits changed.

The rule, for the columns that hold long numbers (证件号码 including the 20-digit 残疾人证号, 户编号, 人编号,
银行卡号, 行政村编号, and the departments' ID and certificate columns): a number cell is read only when it is
a whole number of at most 15 digits (below ``LIMIT``); then its digits are exact. Any other number cell (16
digits or more, a fraction, an exponent) is a row error for that column (``idnumbers.damaged_number_message``)
and its value is never stored, neither as a valid nor as an invalid number. Text cells are read as they are.

``settle`` applies the rule to a column; every reader calls it with the values of its number cells:
python-calamine gives typed values; fastexcel renders every cell as text, so which cells are numbers is
read from the sheet's XML (``xlsx_numbers``); a Parquet file says so by its column's type (see
``comparison.loading``). A CSV file is text.
"""

from __future__ import annotations

import re
import threading
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from jingzhun.core.workbooks import Book, Sheet, sheet_members
from jingzhun.registry import idnumbers

#: A number cell is read when it is a whole number below this: 15 digits, as many as Excel keeps (a double
#: would hold up to 2**53 exactly, but Excel has already zeroed the 16th digit of a number typed into it).
LIMIT = 10**idnumbers.NUMBER_CELL_DIGITS
#: How a number cell's value looks when fastexcel renders it as text.
NUMBER_TEXT = r"^-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$"
#: A whole number of at most 15 digits: read the same whether the cell is a number or text.
EXACT_TEXT = rf"^-?[0-9]{{1,{idnumbers.NUMBER_CELL_DIGITS}}}$"
BLOCK = 1 << 24


def settle(
    text: pa.Array, number: pa.Array, limit: float = LIMIT
) -> tuple[pa.Array, list[tuple[int, idnumbers.DamagedNumber]]]:
    """The rule for one column. ``text`` is each cell as the reader rendered it, ``number`` the value of each
    number cell (null where the cell is text or empty); ``limit`` is lower for a column of single-precision
    floats (2**24). Returns the text to read, in which an exact number cell is its digits and a damaged one
    the number as Excel shows it (for the error report; never a value to store), and the damaged cells:
    (position, that text as ``idnumbers.DamagedNumber``)."""
    number, text = pc.cast(_array(number), pa.float64()), pc.cast(_array(text), pa.string())
    exact = pc.and_(pc.equal(pc.floor(number), number), pc.less(pc.abs(number), float(limit)))
    damaged = pc.fill_null(pc.invert(exact), False)
    digits = pc.cast(pc.cast(pc.if_else(exact, number, None), pa.int64()), pa.string())
    settled = pc.if_else(pc.is_null(number), text, digits)
    where = pc.indices_nonzero(damaged).to_pylist()
    if not where:
        return settled, []
    values = pc.take(number, pa.array(where, pa.int64())).to_pylist()
    shown = [(k, idnumbers.DamagedNumber.of(v)) for k, v in zip(where, values, strict=True)]
    return pc.replace_with_mask(settled, damaged, pa.array([v for _, v in shown], pa.string())), shown


# ----------------------------------------------------------------------------------------- .xlsx files


def _letters(index: int) -> bytes:
    """Excel's column letters of a 0-based column index (0 → A, 26 → AA)."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name.encode()


def _number_cells(path: Path, sheet: str, columns: Sequence[int]) -> dict[int, dict[int, bytes]] | None:
    """Sheet column (0-based) → Excel row (1-based) → value, of the number cells with a value in these columns:
    cells with no type or type ``n`` (text is ``s``/``inlineStr``/``str``, booleans ``b``, errors ``e``, ISO
    dates ``d``). One pass of a regular expression over the sheet's XML, in blocks cut after a cell; None
    when the cells are not written as ``<c r="A1" ...>`` (a namespace prefix, no cell references), which the
    expression would not see."""
    by_letters = {_letters(j): j for j in columns}
    cell = re.compile(
        rb'<c r="(' + b"|".join(by_letters) + rb')([0-9]+)"(?![^>]*\st="(?!n")[^"]*")[^>]*>'
        rb"\s*(?:<f[^>]*/>\s*|<f[^>]*>[^<]*</f>\s*)?<v(?:\s[^>]*)?>\s*([^<]*?)\s*</v>"
    )
    first_cell = re.compile(rb"<(?:[\w.-]+:)?c[\s/>]")
    found: dict[int, dict[int, bytes]] = {j: {} for j in columns}
    with zipfile.ZipFile(path) as zf:
        member = sheet_members(zf).get(sheet)
        if member is None:
            return None
        with zf.open(member) as fh:
            tail, checked = b"", False
            while True:
                block = fh.read(BLOCK)
                data = tail + block
                end = data.rfind(b"</c>") if block else len(data) - 4
                cut = end + 4 if end >= 0 else 0
                data, tail = data[:cut], data[cut:]
                if not checked and (start := first_cell.search(data)) is not None:
                    if not data.startswith(b'<c r="', start.start()):
                        return None
                    checked = True
                for letters, row, value in cell.findall(data):
                    found[by_letters[letters]][int(row)] = value
                if not block:
                    return found


Cells = dict[int, dict[int, bytes]]


class Prescan:
    """``_number_cells`` of the columns a guess names, in a thread started before the workbook is read: the
    reader runs in its child on one core while this reads the sheet's XML on the other (the calling thread
    only waits for the child). ``cells`` hands a sheet's result over when the columns asked for are the
    ones scanned; otherwise (a wrong guess) the caller scans itself."""

    def __init__(self, path: Path, guess: Callable[[Path], dict[str, list[int]]]) -> None:
        self.path, self.guess = path, guess
        self.columns: dict[str, list[int]] = {}
        self.found: dict[str, Cells | None] = {}
        self.thread = threading.Thread(target=self._run, name="jingzhun-number-cells", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        try:
            self.columns = self.guess(self.path)
            for sheet, columns in self.columns.items():
                self.found[sheet] = _number_cells(self.path, sheet, columns)
        except Exception:  # a guess only: the caller scans again what is missing
            pass

    def cells(self, sheet: str, columns: Sequence[int]) -> tuple[bool, Cells | None]:
        """(True, the scan) when ``columns`` of ``sheet`` were scanned; (False, None) otherwise."""
        if self.thread.ident is not None:  # started
            self.thread.join()
        if sheet in self.found and set(columns) <= set(self.columns.get(sheet, ())):
            return True, self.found[sheet]
        return False, None


def xlsx_numbers(
    path: Path,
    book: Book,
    sheet: Sheet,
    table: pa.Table,
    header: int,
    columns: Mapping[str, int],
    first_row: int,
    prescan: Prescan | None = None,
) -> dict[str, pa.Array]:
    """For the .xlsx readers (fastexcel, every cell rendered as text): key → the value of each number cell of
    the column that is not already exact as text (float64, null elsewhere; keys without one are left out),
    for ``settle`` over the rows below the header.

    ``sheet`` is the sheet as ``core.workbooks`` read it and ``table`` its cells, ``header`` the
    header row's index in it, ``columns`` key → column index, ``first_row`` the Excel row (1-based) of the
    first row below the header. Only a cell whose text could be a damaged number (16 digits or more, a
    fraction, an exponent) needs its type, so a sheet without one costs nothing more; otherwise the sheet's
    XML is read once (about 1 s of CPU for a 445 MB sheet). Each number cell found there must have the same
    value as fastexcel's cell of that row (so the rows are matched right); when they differ, or the XML is
    not written the usual way, the columns are read again by fastexcel (booleans: a value for number cells
    only), which costs as much as reading the sheet. ``prescan``: a scan already started (``Prescan``), used
    when it covers the columns."""
    body = table.slice(header + 1)
    suspects: dict[str, pa.Array] = {}
    for key, j in columns.items():
        text = _array(body.column(j))
        suspect = pc.and_(
            pc.match_substring_regex(text, NUMBER_TEXT), pc.invert(pc.match_substring_regex(text, EXACT_TEXT))
        )
        if pc.any(suspect).as_py():
            suspects[key] = pc.fill_null(suspect, False)
    if not suspects:
        return {}
    absolute = {key: sheet.absolute[columns[key]] for key in suspects}
    scanned, cells = (False, None) if prescan is None else prescan.cells(sheet.name, list(absolute.values()))
    if not scanned:
        cells = _number_cells(path, sheet.name, list(absolute.values()))
    result: dict[str, pa.Array] = {}
    for key, suspect in suspects.items():
        text = _array(body.column(columns[key]))
        is_number = None if cells is None else _matched(text, cells[absolute[key]], first_row)
        if is_number is None:
            flags = book.number_flags(sheet.name, absolute[key])
            is_number = pc.is_valid(_array(flags.slice(header + 1)))
        result[key] = pc.cast(pc.if_else(pc.and_(suspect, is_number), text, None), pa.float64())
    return result


def _matched(text: pa.Array, cells: dict[int, bytes], first_row: int) -> pa.Array | None:
    """Which rows of a column are number cells, from the XML's cells (row → value); None when a number cell
    of the XML does not have the value fastexcel gave for that row."""
    rows = pa.array([r - first_row for r in cells if r >= first_row], pa.int64())
    values = pa.array([v.decode() for r, v in cells.items() if r >= first_row], pa.string())
    if len(rows) == 0:
        return pa.array([False] * len(text), pa.bool_())
    if pc.max(rows).as_py() >= len(text):
        return None
    given = pc.take(text, rows)
    if not pc.all(pc.fill_null(pc.match_substring_regex(given, NUMBER_TEXT), False)).as_py():
        return None
    try:
        if not pc.all(pc.equal(pc.cast(given, pa.float64()), pc.cast(values, pa.float64()))).as_py():
            return None
    except pa.ArrowInvalid:  # a value the XML writes in a way Arrow does not read
        return None
    return pc.is_in(pa.array(range(len(text)), pa.int64()), value_set=rows)


def _array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
