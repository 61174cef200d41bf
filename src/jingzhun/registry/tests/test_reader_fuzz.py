"""Hypothesis against the import readers (issue 16): whatever bytes, encoding or cells a file holds, reading it
gives rows or an ``ImportFileError``/``WorkbookError`` with a Chinese message, never another exception.

The CSV cases are cheap (DuckDB in this process); the .xlsx cases read in the limited child process, so they
get fewer examples. Every case is derandomized so a failure is reproducible.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from pathlib import Path

import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jingzhun.core.errors import JingzhunError
from jingzhun.registry.staging import Staged, read_file
from jingzhun.testing.register import HEADERS

CHINESE = re.compile(r"[\u4e00-\u9fff]")
FUZZ = settings(
    derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck), max_examples=60
)
SLOW_FUZZ = settings(FUZZ, max_examples=12)

ENCODINGS = st.sampled_from(
    ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16", "utf-16-le", "big5", "latin-1"]
)
# Cells: any text, with the characters that trouble CSV and spreadsheets over-represented.
CELL = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="\",;\t\r\n\\'=+-@ 0123456789Xx户主张王李\u3000\ufeff\x00", max_size=20),
    st.sampled_from(["", "430102199001011234", "1.23E+17", "=1+1", "户主", "2025-13-45", "NaN", "-0"]),
)


def read(data: bytes, suffix: str) -> Staged | JingzhunError:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"上传{suffix}"
        path.write_bytes(data)
        try:
            staged = read_file(path)
        except JingzhunError as exc:  # ImportFileError and WorkbookError
            assert CHINESE.search(exc.message), exc.message
            # No English library text: only the file's own names (quoted 「…」) and the product names.
            ours = re.sub(r"「[^」]*」|Excel|WPS|UTF|CSV|GB18030|xlsx|xls", "", exc.message)
            assert not re.search(r"[A-Za-z]{4,}", ours), exc.message
            return exc
        assert staged.rows > 0
        staged.con.execute("SELECT count(*) FROM raw").fetchall()
        staged.con.close()
        return staged


def encoded(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


def csv_text(rows: list[list[str]], header: list[str]) -> str:
    out = io.StringIO()
    import csv

    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@FUZZ
@given(data=st.binary(max_size=2000))
def test_any_bytes_as_csv(data: bytes) -> None:
    read(data, ".csv")


@FUZZ
@given(
    header=st.lists(st.sampled_from(HEADERS), min_size=1, max_size=12, unique=True),
    rows=st.lists(st.lists(CELL, max_size=14), max_size=6),
    encoding=ENCODINGS,
    tail=st.binary(max_size=40),
)
def test_template_headers_with_any_cells_in_any_encoding(
    header: list[str], rows: list[list[str]], encoding: str, tail: bytes
) -> None:
    data = encoded(csv_text(rows, header), encoding)
    read(data, ".csv")
    read(data + tail, ".csv")  # and a line in another encoding, or garbage, at the end


@FUZZ
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".xlsx", ".xls", ".ods", ".xlsb"]))
def test_any_bytes_as_excel(data: bytes, suffix: str) -> None:
    result = read(data, suffix)
    assert isinstance(result, JingzhunError)  # random bytes are never a workbook


@SLOW_FUZZ
@given(
    data=st.binary(min_size=1, max_size=500),
    name=st.sampled_from(["xl/worksheets/sheet1.xml", "[Content_Types].xml", "xl/workbook.xml"]),
)
def test_a_zip_with_any_part_as_xlsx(data: bytes, name: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(name, data)
    read(buffer.getvalue(), ".xlsx")


@SLOW_FUZZ
@given(
    header=st.lists(st.sampled_from(HEADERS), min_size=1, max_size=12, unique=True),
    rows=st.lists(
        st.lists(st.one_of(CELL, st.integers(), st.floats(allow_nan=True), st.booleans()), max_size=14),
        max_size=5,
    ),
    sheet=st.sampled_from(["成员信息", "Sheet1", "代码表", "x" * 31]),
)
def test_workbook_with_any_cells(header: list[str], rows: list[list[object]], sheet: str) -> None:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "nan_inf_to_errors": True})
    ws = workbook.add_worksheet(sheet)
    for j, value in enumerate(header):
        ws.write_string(0, j, value)
    for i, row in enumerate(rows, start=1):
        for j, cell in enumerate(row):
            if isinstance(cell, str):
                ws.write_string(i, j, cell.replace("\x00", ""))
            else:
                ws.write(i, j, cell)
    workbook.close()
    read(buffer.getvalue(), ".xlsx")
