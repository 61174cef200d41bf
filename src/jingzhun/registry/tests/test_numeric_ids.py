"""IDs and other long numbers in number cells (issue #13): only a cell that still holds the exact digits
is read; any other number cell is a row error naming the row and column, and nothing of it is stored."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pytest
import xlsxwriter

from jingzhun.core import workbooks
from jingzhun.core.audit import Actor
from jingzhun.registry import idnumbers, importer, numbercells, staging
from jingzhun.registry.exchange import template_columns
from jingzhun.registry.importer import run_import
from jingzhun.registry.models import Household, ImportBatch, Member
from jingzhun.registry.tests.importdata import household_rows

# An ID whose nearest double, 620502198211188608, is itself a valid ID: read as a number, it would be stored
# as somebody else's.
TRAP = "620502198211188624"
HOUSEHOLDS = [f"6205021002010002{k:02d}" for k in range(10)]


@pytest.fixture
def officer(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return world.users["township_officer"]


def do_import(user: Any, path: Path, policy: str = "valid") -> ImportBatch:
    return run_import(actor=Actor.of(user), user=user, path=path, policy=policy)


def twenty_members() -> list[dict[str, str]]:
    """Ten households of two; the fourth member's ID is TRAP."""
    rows = [r for k, number in enumerate(HOUSEHOLDS) for r in household_rows(number, start=100 + 2 * k)]
    rows[3]["id_number"] = TRAP
    return rows


def cells(rows: list[dict[str, str]], numbers: set[str]) -> list[list[Any]]:
    """The template's cells of each row: the ``numbers`` columns as number cells (Python ints), the rest text."""
    return [
        [
            (int(r[c.key]) if c.key in numbers else r[c.key]) if r.get(c.key) else None
            for c in template_columns()
        ]
        for r in rows
    ]


def write_openpyxl(path: Path, rows: list[list[Any]], *, first_column: int = 1) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "成员信息"
    for i, row in enumerate([[c.header for c in template_columns()], *rows], start=1):
        for j, value in enumerate(row):
            if value is not None:
                ws.cell(row=i, column=first_column + j, value=value)
    wb.save(path)
    return path


def write_xlsxwriter(path: Path, rows: list[list[Any]]) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("成员信息")
    ws.write_row(0, 0, [c.header for c in template_columns()])
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            if isinstance(value, int):
                ws.write_number(i, j, value)
            elif value is not None:
                ws.write_string(i, j, value)
    wb.close()
    return path


WRITERS = {"openpyxl": write_openpyxl, "xlsxwriter": write_xlsxwriter}


def stored_anything(rows: list[dict[str, str]]) -> bool:
    ids = {r["id_number"] for r in rows}
    damaged = {str(int(float(i))) for i in ids}  # what the number cells hold
    return (
        Member.objects.filter(id_number__in=ids | damaged).exists()
        or Household.objects.filter(household_number__in=HOUSEHOLDS).exists()
    )


def assert_damage(message: str) -> None:
    assert "数字" in message and "Excel" in message and "“文本”格式" in message and "CSV" in message, message


# --------------------------------------------------------------------------------------------------- rule


def test_the_rule_reads_a_number_cell_only_when_it_holds_the_exact_digits():
    values = [
        110105491231002.0,
        999_999_999_999_999.0,
        12.0,
        -3.0,
        float(TRAP),
        1e15,
        2.0**53,
        1.5,
        6.20502e17,
        float("nan"),
        None,
    ]
    text, damaged = numbercells.settle(pa.array(["x"] * len(values)), pa.array(values, pa.float64()))
    # a damaged cell reads as Excel shows it (15 significant digits), to quote in the error report
    shown = ["620502198211189000", "1000000000000000", "9007199254740990", "1.5", "620502000000000000", "NAN"]
    assert text.to_pylist() == ["110105491231002", "999999999999999", "12", "-3", *shown, "x"]
    assert damaged == list(zip(range(4, 10), shown, strict=True))
    assert all(isinstance(v, idnumbers.DamagedNumber) for _, v in damaged)


def test_a_damaged_id_is_rejected_by_parse_with_the_fix():
    with pytest.raises(idnumbers.IdNumberError) as caught:
        idnumbers.parse(idnumbers.DamagedNumber.of(float(TRAP)))
    err = caught.value
    assert err.code == "excel_number" and "620502198211189000" in err.message
    assert_damage(err.message)


# --------------------------------------------------------------------------------------------- register


@pytest.mark.parametrize("writer", WRITERS)
def test_twenty_ids_written_as_numbers_are_row_errors_and_none_is_stored(officer, tmp_path, writer):
    rows = twenty_members()
    path = WRITERS[writer](tmp_path / f"{writer}.xlsx", cells(rows, {"id_number"}))
    batch = do_import(officer, path)
    errors = [e for e in batch.errors_preview if e["column"] == "证件号码"]
    assert [e["row"] for e in errors] == list(range(2, 22))
    for e in errors:
        assert_damage(e["message"])
    assert errors[3]["value"] == "620502198211189000"  # TRAP as Excel shows it, not a valid-looking ID
    assert batch.households_created == 0 and batch.members_created == 0
    assert not stored_anything(rows)


@pytest.mark.parametrize("policy", ["all", "valid"])
def test_long_numbers_written_as_numbers_are_row_errors_of_their_column(officer, tmp_path, policy):
    rows = twenty_members()
    for k, r in enumerate(rows):
        r["bank_account"] = f"62284804025648{k:05d}"
    path = write_openpyxl(
        tmp_path / "numbers.xlsx",
        cells(rows, {"household_number", "person_number", "bank_account", "village"}),
    )
    batch = do_import(officer, path, policy)
    found: dict[tuple[int, str], list[str]] = {}
    for e in batch.errors_preview:
        found.setdefault((e["row"], e["column"]), []).append(e["message"])
    for row in range(2, 22):
        for column in ("户编号", "人编号", "银行卡号"):
            assert any("Excel" in m for m in found[(row, column)]), found.get((row, column))
            assert_damage(next(m for m in found[(row, column)] if "Excel" in m))
        assert (row, "行政村编号") not in found  # 12 digits: a number cell holds them exactly
    assert batch.households_created == 0 and not stored_anything(rows)


def test_exact_number_cells_and_text_cells_are_read(officer, tmp_path):
    rows = household_rows(HOUSEHOLDS[0], members=3, start=300)
    old = "620502400305123"  # a 15-digit ID of 1940, below 2**53: a number cell holds it exactly
    rows[2]["id_number"] = old
    data = cells(rows, {"village"})
    data[2][[c.key for c in template_columns()].index("id_number")] = int(old)
    batch = do_import(officer, write_openpyxl(tmp_path / "exact.xlsx", data), "all")
    assert batch.state == ImportBatch.State.COMMITTED, batch.errors_preview
    members = Household.objects.get(household_number=HOUSEHOLDS[0]).members
    assert set(members.values_list("id_number", flat=True)) == {
        rows[0]["id_number"],
        rows[1]["id_number"],
        idnumbers.upgrade15(old),
    }


def test_the_error_report_shows_the_number_as_excel_does_with_the_reason(officer, tmp_path):
    rows = twenty_members()
    batch = do_import(officer, write_openpyxl(tmp_path / "ids.xlsx", cells(rows, {"id_number"})))
    report = openpyxl.load_workbook(importer.imports_dir() / Path(batch.error_report).name)
    sheet = report["待修改数据"]
    header = [c.value for c in sheet[1]]
    trap_row = next(
        r for r in sheet.iter_rows(min_row=2) if r[2].value == 5
    )  # Excel row 5: the fourth member
    id_cell = trap_row[header.index("证件号码")]
    assert id_cell.value == "620502198211189000" and "文本" in id_cell.comment.text
    assert "证件号码：该单元格是数字" in trap_row[0].value
    listed = [
        r
        for r in report["错误清单"].iter_rows(min_row=2, values_only=True)
        if r[1] == 5 and r[3] == "证件号码"
    ]
    assert listed and listed[0][4] == "620502198211189000" and "CSV" in listed[0][5]


def test_the_calamine_reader_applies_the_same_rule(officer, tmp_path):
    # .xls, .xlsb and .ods go through python-calamine, which gives typed values: read an openpyxl file with it
    rows = twenty_members()
    data = cells(rows, {"id_number", "household_number"})
    data[0][[c.key for c in template_columns()].index("id_number")] = (
        "  " + rows[0]["id_number"]
    )  # a text cell
    staged = staging.read_excel(write_openpyxl(tmp_path / "typed.xlsx", data))
    assert staged.id_values is not None and staged.id_values[0] == "  " + rows[0]["id_number"]
    assert all(isinstance(v, idnumbers.DamagedNumber) for v in staged.id_values[1:])
    importer.validate(staged, officer.jurisdiction_prefix)
    found = {(e.row, e.column): e for e in importer.row_errors(staged)}
    for row in range(3, 22):
        assert_damage(found[(row, "证件号码")].message)
    for row in range(2, 22):
        assert_damage(found[(row, "户编号")].message)
    assert (2, "证件号码") not in found
    assert found[(5, "证件号码")].value == "620502198211189000"


def test_a_sheet_written_another_way_is_still_checked(officer, tmp_path):
    # cells written <c t="n" r="B2"> (attributes in another order) and starting in column B: the XML scan
    # cannot see them, so the columns are read again by fastexcel
    rows = twenty_members()
    path = write_openpyxl(tmp_path / "odd.xlsx", cells(rows, {"id_number"}), first_column=2)
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet], swapped = re.subn(rb'<c r="([A-Z]+[0-9]+)"([^>]*)>', rb'<c\2 r="\1">', parts[sheet])
    assert swapped > 20
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    batch = do_import(officer, path)
    errors = [e for e in batch.errors_preview if e["column"] == "证件号码"]
    assert [e["row"] for e in errors] == list(range(2, 22))
    assert_damage(errors[0]["message"])
    assert not stored_anything(rows)


def test_the_header_guess_reads_shared_and_inline_strings_and_finds_the_number_columns(tmp_path):
    # openpyxl writes shared strings, xlsxwriter's constant-memory mode inline strings; a leading empty row
    # and the table starting in column B are kept as the sheet's own columns
    rows = twenty_members()
    shared = write_openpyxl(tmp_path / "shared.xlsx", cells(rows, set()), first_column=2)
    wb = xlsxwriter.Workbook(str(tmp_path / "inline.xlsx"), {"constant_memory": True})
    ws = wb.add_worksheet("成员信息")
    ws.write_row(1, 0, [c.header for c in template_columns()])
    for i, row in enumerate(cells(rows, set()), start=2):
        ws.write_row(i, 0, [v or "" for v in row])
    wb.close()
    keys = [c.key for c in template_columns()]
    for path, offset in ((shared, 1), (tmp_path / "inline.xlsx", 0)):
        head = workbooks.head_rows(path)["成员信息"]
        assert head[0][offset : offset + 3] == [c.header for c in template_columns()][:3]
        assert head[1][offset + keys.index("id_number")] == rows[0]["id_number"]
        guess = staging._number_columns(path)["成员信息"]
        assert guess == sorted(offset + keys.index(k) for k in staging.NUMBER_KEYS if k in keys)


def test_a_wrong_header_guess_is_not_used(officer, tmp_path):
    rows = twenty_members()
    path = write_openpyxl(tmp_path / "ids.xlsx", cells(rows, {"id_number"}))
    prescan = numbercells.Prescan(path, lambda _: {"成员信息": [0]})
    prescan.start()
    id_column = [c.key for c in template_columns()].index("id_number")
    assert prescan.cells("成员信息", [id_column]) == (False, None)
    assert prescan.cells("成员信息", [0])[0] is True
    # and the import, whatever the guess, finds every damaged ID
    batch = do_import(officer, path)
    assert [e["row"] for e in batch.errors_preview if e["column"] == "证件号码"] == list(range(2, 22))
    assert not stored_anything(rows)
