"""IDs and certificate numbers in number cells of a department's file (issue #13): a number cell that cannot
hold the digits is a row error naming the row and column, never stored as a valid or an invalid ID; exact
number cells and text cells are read."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter

from jingzhun.comparison.loading import load_dataset, report_file
from jingzhun.comparison.models import DatasetLoad, LoadState
from jingzhun.core.audit import Actor
from jingzhun.registry import idnumbers

AS_OF = dt.date(2025, 6, 30)
SYSTEM = Actor(user=None, name="系统（测试）")
MEDICAL_EXPENSE = [
    "身份证号码",
    "姓名",
    "结算日期",
    "就诊类型",
    "医疗机构",
    "医疗总费用",
    "基金支付",
    "个人自付",
]
# Stored as a double this ID becomes 620502198211188608, itself a valid ID (somebody else's).
TRAP = "620502198211188624"
OLD15 = "620502400305123"  # a 15-digit ID: a number cell holds it exactly


def pid(n: int) -> str:
    return idnumbers.make_id("620502", dt.date(1960, 3, 1) + dt.timedelta(days=n), (n * 2 + 1) % 1000)


NUMERIC_IDS = [*[i for i in map(pid, range(10, 40)) if not i.endswith("X")][:19], TRAP]  # twenty


def expense(number: Any, n: int) -> list[Any]:
    return [number, f"王{n}", "2025-03-15", "住院", "秦州区人民医院", "1200.50", "900", "300.50"]


def write_openpyxl(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def write_xlsxwriter(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("数据")
    ws.write_row(0, 0, header)
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            if isinstance(value, int):
                ws.write_number(i, j, value)
            elif value is not None:
                ws.write_string(i, j, value)
    wb.close()
    return path


WRITERS = {"openpyxl": write_openpyxl, "xlsxwriter": write_xlsxwriter}


def load(path: Path, dataset: str = "medical_expense", policy: str = "valid") -> DatasetLoad:
    return load_dataset(actor=SYSTEM, user=None, path=path, dataset=dataset, as_of=AS_OF, policy=policy)


def stored(result: DatasetLoad) -> list[dict[str, Any]]:
    return pq.read_table(result.parquet_path).to_pylist() if result.parquet_path else []


def errors_by(result: DatasetLoad) -> dict[tuple[int, str], dict[str, Any]]:
    return {(e["row"], e["column"]): e for e in result.errors_preview}


def assert_damage(message: str) -> None:
    assert "数字" in message and "Excel" in message and "“文本”格式" in message and "CSV" in message, message


def damaged_forms(number: str) -> set[str]:
    """An ID and what a number cell makes of it: the double's digits, Excel's 15 significant digits."""
    value = float(number)
    return {number, str(int(value)), str(idnumbers.DamagedNumber.of(value))}


@pytest.fixture
def media(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return world


@pytest.mark.parametrize("writer", WRITERS)
def test_twenty_ids_written_as_numbers_are_row_errors_and_none_is_stored(media, tmp_path, writer):
    rows = [expense(pid(1), 1), expense(pid(2), 2)] + [
        expense(int(n), k) for k, n in enumerate(NUMERIC_IDS, 3)
    ]
    result = load(WRITERS[writer](tmp_path / f"{writer}.xlsx", MEDICAL_EXPENSE, rows))
    assert result.state == LoadState.PARTIAL, result.message
    assert (result.rows_total, result.rows_accepted, result.rows_rejected) == (22, 2, 20)
    found = errors_by(result)
    assert sorted(found) == [(row, "身份证号码") for row in range(4, 24)]
    for e in found.values():
        assert_damage(e["message"]) and e["severity"] == "error"
    assert found[(23, "身份证号码")]["value"] == "620502198211189000"  # TRAP as Excel shows it
    assert [r["id_number"] for r in stored(result)] == [pid(1), pid(2)]
    assert "证件号码无效" not in result.message  # none kept as an invalid ID either


def test_a_second_id_column_and_the_certificate_number_are_checked_too(media, tmp_path):
    civil = ["身份证号码", "姓名", "户籍所在地区划代码", "户主身份证号码", "救助类别", "开始日期"]
    rows = [
        [pid(1), "周一", "620502100201", int(TRAP), "低保", "2024-01-01"],
        [pid(2), "周二", 620502100201, pid(3), "低保", "2024-01-01"],
    ]  # a 12-digit code: exact
    result = load(write_openpyxl(tmp_path / "civil.xlsx", civil, rows), "civil_assistance")
    assert result.state == LoadState.PARTIAL and result.rows_accepted == 1, result.message
    found = errors_by(result)
    assert list(found) == [(2, "户主身份证号码")] and found[(2, "户主身份证号码")]["severity"] == "error"
    assert_damage(found[(2, "户主身份证号码")]["message"])
    assert [(r["head_id_number"], r["region_code"]) for r in stored(result)] == [(pid(3), "620502100201")]

    disability = ["身份证号码", "姓名", "残疾人证号", "残疾类别", "残疾等级", "发证日期", "是否有效"]
    rows = [
        [pid(4), "吴四", int(pid(4) + "42"), "肢体残疾", "二级", "2020-05-01", "是"],
        [pid(5), "吴五", pid(5) + "13", "视力残疾", "三级", "2020-05-01", "是"],
    ]
    result = load(write_xlsxwriter(tmp_path / "disability.xlsx", disability, rows), "disability")
    found = errors_by(result)
    assert list(found) == [(2, "残疾人证号")], found
    assert_damage(found[(2, "残疾人证号")]["message"])
    assert [r["certificate_number"] for r in stored(result)] == [pid(5) + "13"]


def test_exact_number_cells_and_text_cells_are_read(media, tmp_path):
    rows = [expense(int(OLD15), 1), expense(pid(2), 2), expense(" " + TRAP + " ", 3)]
    result = load(write_openpyxl(tmp_path / "exact.xlsx", MEDICAL_EXPENSE, rows), policy="all")
    assert result.state == LoadState.COMMITTED, result.errors_preview
    assert [(r["id_number"], r["id_valid"]) for r in stored(result)] == [
        (idnumbers.upgrade15(OLD15), True),
        (pid(2), True),
        (TRAP, True),
    ]


def test_parquet_int64_ids_are_exact_and_float64_ids_are_not(media, tmp_path):
    base = {
        "name": ["甲", "乙", "丙"],
        "settled_on": ["2025-03-15"] * 3,
        "visit_type": ["住院"] * 3,
        "total_cost": ["100"] * 3,
        "fund_paid": ["50"] * 3,
        "self_paid": ["50"] * 3,
    }
    exact = tmp_path / "int64.parquet"
    pq.write_table(
        pa.table({"id_number": pa.array([int(TRAP), int(OLD15), int(pid(1))], pa.int64()), **base}), exact
    )
    result = load(exact, policy="all")
    assert result.state == LoadState.COMMITTED, result.errors_preview
    assert [r["id_number"] for r in stored(result)] == [TRAP, idnumbers.upgrade15(OLD15), pid(1)]

    floats = tmp_path / "float64.parquet"
    pq.write_table(
        pa.table({"id_number": pa.array([float(TRAP), float(OLD15), float(pid(1))], pa.float64()), **base}),
        floats,
    )
    result = load(floats)
    assert result.state == LoadState.PARTIAL, result.message
    found = errors_by(result)
    assert sorted(found) == [(1, "身份证号码"), (3, "身份证号码")]
    for e in found.values():
        assert_damage(e["message"])
    assert [r["id_number"] for r in stored(result)] == [idnumbers.upgrade15(OLD15)]


def test_the_error_report_shows_the_number_as_excel_does_with_the_reason(media, tmp_path):
    rows = [expense(pid(1), 1), expense(int(TRAP), 2)]
    result = load(write_openpyxl(tmp_path / "e.xlsx", MEDICAL_EXPENSE, rows))
    report = openpyxl.load_workbook(report_file(result))
    data = list(report["待修改数据"].iter_rows(min_row=2, values_only=True))
    assert len(data) == 1 and data[0][2] == 3 and data[0][3] == "620502198211189000"
    assert data[0][0].startswith("身份证号码：该单元格是数字（620502198211189000），不是文本")
    listed = list(report["错误清单"].iter_rows(min_row=2, values_only=True))
    assert [r[:4] for r in listed] == [("Sheet", 3, "身份证号码", "620502198211189000")]
    assert_damage(listed[0][4])
    assert not damaged_forms(TRAP) & {r["id_number"] for r in stored(result)}


def test_a_formula_giving_a_number_below_a_title_row_is_a_number_cell(media, tmp_path):
    path = tmp_path / "formula.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("结算")
    ws.write(0, 0, "2025 年第一季度结算")
    ws.write_row(1, 0, MEDICAL_EXPENSE)
    ws.write_row(2, 0, expense(pid(1), 1))
    ws.write_row(3, 0, expense(None, 2))
    ws.write_formula(3, 0, f"={TRAP}", None, int(TRAP))  # the formula's value, as Excel saves it
    wb.close()
    result = load(path)
    found = errors_by(result)
    assert list(found) == [(4, "身份证号码")]
    assert_damage(found[(4, "身份证号码")]["message"])
    assert [r["id_number"] for r in stored(result)] == [pid(1)]


def test_rows_the_xml_and_the_reader_count_differently_fall_back_to_the_reader(media, tmp_path):
    # An empty value in A1 (<v></v>): the reader starts the sheet at row 2, the row count of the XML at row 1.
    # The number cell found in the XML then does not match the reader's cell of that row, so the column is
    # read again by the reader and the number cell is still found.
    path = write_openpyxl(
        tmp_path / "shifted.xlsx", ["说明"], [MEDICAL_EXPENSE, expense(int(TRAP), 1), expense(pid(2), 2)]
    )
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet], replaced = re.subn(
        rb'<c r="A1" t="inlineStr"><is><t>[^<]*</t></is></c>', rb'<c r="A1" t="n"><v></v></c>', parts[sheet]
    )
    assert replaced == 1
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    result = load(path)
    assert [e["column"] for e in result.errors_preview] == ["身份证号码"]
    assert_damage(result.errors_preview[0]["message"])
    assert [r["id_number"] for r in stored(result)] == [pid(2)]
