"""Loading department data: every cell checked as a set, accepted rows stored as typed Parquet, every
rejected row named with its row, header and a Chinese reason; current loads; who may see and load what."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter
from django.core.management import call_command
from django.core.management.base import CommandError

from jingzhun.accounts.choices import Role
from jingzhun.comparison import datasets
from jingzhun.comparison.access import access_load, can_load, loads_for
from jingzhun.comparison.loading import (
    current_by_county,
    current_load,
    current_loads,
    load_dataset,
    report_file,
)
from jingzhun.comparison.models import DatasetLoad, LoadState
from jingzhun.core.audit import Actor
from jingzhun.core.errors import NotFoundOrForbidden, PermissionDeniedError, ValidationFailed
from jingzhun.core.models import ObjectChange
from jingzhun.registry import idnumbers
from jingzhun.testing.factories import UserFactory
from jingzhun.testing.world import COUNTY, TOWNSHIP_A, TOWNSHIP_B

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


def pid(n: int, born: dt.date = dt.date(1960, 3, 1)) -> str:
    return idnumbers.make_id("620502", born + dt.timedelta(days=n), (n * 2 + 1) % 1000)


def wrong_check_digit(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


def id_ending_in_x() -> str:
    return next(i for i in (pid(n) for n in range(200)) if i.endswith("X"))


def write_csv(path: Path, header: list[str], rows: list[list[Any]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def expense(n: int, **changes: Any) -> list[Any]:
    row = {
        "id": pid(n),
        "name": f"王{n}",
        "on": "2025-03-15",
        "type": "住院",
        "hospital": "秦州区人民医院",
        "total": "1200.50",
        "fund": "900",
        "self": "300.50",
    }
    row.update(changes)
    return list(row.values())


def load(
    path: Path,
    dataset: str = "medical_expense",
    *,
    user: Any = None,
    policy: str = "valid",
    region_prefix: str = "",
    as_of: dt.date = AS_OF,
    **kw: Any,
) -> DatasetLoad:
    actor = Actor.of(user) if user is not None else SYSTEM
    return load_dataset(
        actor=actor,
        user=user,
        path=path,
        dataset=dataset,
        as_of=as_of,
        region_prefix=region_prefix,
        policy=policy,
        **kw,
    )


def stored(result: DatasetLoad) -> list[dict[str, Any]]:
    return pq.read_table(result.parquet_path).to_pylist()


def errors_by(result: DatasetLoad) -> dict[tuple[int, str], str]:
    return {(e["row"], e["column"]): e["message"] for e in result.errors_preview}


@pytest.fixture
def media(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return world


# ------------------------------------------------------------------------------------------ good files


def test_good_csv_is_stored_with_the_dataset_types_row_numbers_and_an_audit_record(media, tmp_path):
    # given a UTF-8 (BOM) file with IDs written the ways people write them
    full_width = pid(2).translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    old15 = "620502600101123"
    rows = [
        expense(1),
        expense(0, id=f" {full_width} "),
        expense(3, id=id_ending_in_x().lower()),
        expense(4, id=old15, total="1,234.50", fund="1000", self="234.5", type=" 门诊慢特病 "),
    ]
    seen: list[tuple[int, str]] = []
    # when the system loads it
    result = load(
        write_csv(tmp_path / "expense.csv", MEDICAL_EXPENSE, rows), progress=lambda p, s: seen.append((p, s))
    )
    # then every row is stored with exactly the typed columns
    assert result.state == LoadState.COMMITTED, result.message
    assert (result.rows_total, result.rows_accepted, result.rows_rejected) == (4, 4, 0)
    table = pq.read_table(result.parquet_path)
    assert table.schema.names == [*datasets.get("medical_expense").keys, "row_number", "id_valid"]
    assert table.schema.field("settled_on").type == pa.date32()
    assert table.schema.field("total_cost").type == pa.decimal128(14, 2)
    assert table.schema.field("row_number").type == pa.int32()
    assert pq.ParquetFile(result.parquet_path).metadata.row_group(0).column(0).compression == "ZSTD"
    first, wide, lower_x, upgraded = table.to_pylist()
    assert first["settled_on"] == dt.date(2025, 3, 15) and first["total_cost"] == Decimal("1200.50")
    assert first["row_number"] == 2 and first["id_valid"] is True and first["visit_type"] == "住院"
    assert wide["id_number"] == pid(2) and lower_x["id_number"].endswith("X")
    assert upgraded["id_number"] == idnumbers.upgrade15(old15) and upgraded["visit_type"] == "门诊慢特病"
    assert upgraded["total_cost"] == Decimal("1234.50") and upgraded["row_number"] == 5
    assert result.parquet_path.endswith(f"datasets/medical_expense/{result.id}.parquet")
    # and the load is finished, audited once, and reported progress
    assert (result.progress, result.stage, result.finished_at is not None) == (100, "完成", True)
    assert DatasetLoad.objects.get(pk=result.pk).state == LoadState.COMMITTED
    change = ObjectChange.objects.get(object_type="comparison.datasetload", object_id=result.id)
    assert change.action == "create" and change.after["rows_accepted"] == 4
    assert seen[0] == (5, "读取文件") and seen[-1] == (100, "完成")
    assert result.department == "medical" and result.file_sha256 and not result.error_report


def test_gb18030_csv_with_other_date_and_yes_no_spellings(media, tmp_path):
    header = ["身份证号码", "姓名", "参保年度", "是否参加基本医保", "是否参加大病保险", "是否资助参保"]
    rows = [
        [pid(1), "李一", "2025", "是", "否", "Y"],
        [pid(2), "李二", "2025", "1", "0", "true"],
        [pid(3), "李三", "2025", "FALSE", "n", ""],
    ]
    result = load(write_csv(tmp_path / "gbk.csv", header, rows, encoding="gb18030"), "medical_enrolment")
    assert result.state == LoadState.COMMITTED, result.message
    got = [
        (r["name"], r["year"], r["basic_enrolled"], r["serious_illness_enrolled"], r["subsidised"])
        for r in stored(result)
    ]
    assert got == [
        ("李一", 2025, True, False, True),
        ("李二", 2025, True, False, True),
        ("李三", 2025, False, False, None),
    ]


def test_utf16_is_read_and_a_file_mixing_encodings_is_refused_with_its_lines(media, tmp_path):
    header = ["身份证号码", "姓名", "参保年度", "是否参加基本医保", "是否参加大病保险", "是否资助参保"]
    rows = [[pid(1), "李一", "2025", "是", "否", "是"], [pid(2), "李二", "2025", "是", "是", "否"]]
    result = load(write_csv(tmp_path / "u16.csv", header, rows, encoding="utf-16"), "medical_enrolment")
    assert result.state == LoadState.COMMITTED, result.message
    assert [r["name"] for r in stored(result)] == ["李一", "李二"]
    mixed = write_csv(tmp_path / "mixed.csv", header, rows, encoding="utf-8")
    lines = mixed.read_bytes().split(b"\n")
    lines[2] = lines[2].decode().encode("gb18030")
    mixed.write_bytes(b"\n".join(lines))
    refused = load(mixed, "medical_enrolment")
    assert (
        refused.state == LoadState.REJECTED and not refused.parquet_path and "混有两种编码" in refused.message
    )
    assert "第 3 行是 GB18030（GBK）编码" in refused.message


def test_bad_integers_and_yes_no_values_are_named(media, tmp_path):
    header = ["身份证号码", "姓名", "参保年度", "是否参加基本医保", "是否资助参保"]
    rows = [[pid(1), "李一", "2025.5", "是的", "否"], [pid(2), "李二", "二〇二五", "否", "2"]]
    result = load(write_csv(tmp_path / "e.csv", header, rows), "medical_enrolment")
    assert result.state == LoadState.REJECTED
    assert errors_by(result) == {
        (2, "参保年度"): "应为整数，实际为「2025.5」",
        (2, "是否参加基本医保"): "应填“是”或“否”，实际为「是的」",
        (3, "参保年度"): "应为整数，实际为「二〇二五」",
        (3, "是否资助参保"): "应填“是”或“否”，实际为「2」",
    }


def test_xlsx_with_title_row_date_cells_numbers_and_key_headers(media, tmp_path):
    path = tmp_path / "education.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("学籍")
    date_format = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write(0, 0, "秦州区 2025 年春季学期学籍名单")
    ws.write_row(
        1,
        0,
        ["id_number", "姓名", "学校名称", "学段", "年级", "学籍状态", "状态日期", "资助后自付费用", "备注"],
    )
    ws.write_row(2, 0, [pid(1), "赵一", "玉泉中学", "初中", 2, "在读"])
    ws.write_datetime(2, 6, dt.datetime(2025, 3, 1), date_format)
    ws.write_number(2, 7, 150.5)
    ws.write_row(3, 0, [pid(2), "赵二", "玉泉小学", "小学", "5", "辍学", "2024/9/1", "0"])
    ws.write_row(4, 0, [pid(3), "赵三", "玉泉小学", "小学", 6, "在读"])
    ws.write_number(4, 6, 45352)  # a date cell that lost its format: Excel's serial for 2024-03-01
    ws.write_row(5, 0, [pid(4), "赵四", "玉泉小学", "学前教育", None, "转出", "20240901", "1,200"])
    wb.close()
    result = load(path, "education")
    assert result.state == LoadState.COMMITTED, result.message
    rows = stored(result)
    assert [(r["grade"], r["state_on"], r["self_paid_fees"], r["row_number"]) for r in rows] == [
        (2, dt.date(2025, 3, 1), Decimal("150.50"), 3),
        (5, dt.date(2024, 9, 1), Decimal("0.00"), 4),
        (6, dt.date(2024, 3, 1), None, 5),
        (None, dt.date(2024, 9, 1), Decimal("1200.00"), 6),
    ]
    assert "「备注」不是学籍信息的列，已忽略" in result.message


def test_parquet_from_a_machine_with_keys_and_typed_columns(media, tmp_path):
    table = pa.table(
        {
            "id_number": [pid(1), wrong_check_digit(pid(2))],
            "name": ["孙一", "孙二"],
            "plate": ["甘E12345", "甘E54321"],
            "vehicle_type": ["小型轿车", "摩托车"],
            "registered_on": pa.array([dt.date(2023, 5, 1), dt.date(2024, 1, 2)], pa.date32()),
            "price": pa.array([Decimal("158000.00"), Decimal("6800.00")], pa.decimal128(12, 2)),
        }
    )
    path = tmp_path / "vehicles.parquet"
    pq.write_table(table, path)
    result = load(path, "vehicles")
    assert result.state == LoadState.COMMITTED, result.message
    rows = stored(result)
    assert [(r["plate"], r["price"], r["registered_on"], r["row_number"], r["id_valid"]) for r in rows] == [
        ("甘E12345", Decimal("158000.00"), dt.date(2023, 5, 1), 1, True),
        ("甘E54321", Decimal("6800.00"), dt.date(2024, 1, 2), 2, False),
    ]


# ------------------------------------------------------------------------------------------- bad cells


def civil(n: int, **changes: Any) -> list[Any]:
    row = {
        "id": pid(n),
        "name": f"周{n}",
        "region": "620502100201",
        "head": pid(n + 50),
        "kind": "低保",
        "start": "2024-01-01",
        "end": "",
        "amount": "560",
    }
    row.update(changes)
    return list(row.values())


CIVIL = [
    "身份证号码",
    "姓名",
    "户籍所在地区划代码",
    "户主身份证号码",
    "救助类别",
    "开始日期",
    "终止日期",
    "月保障金额",
]
BAD_CIVIL = [  # (changes, header named, words the message must contain)
    ({"name": ""}, "姓名", "必填"),
    ({"name": "名" * 51}, "姓名", "超过 50 个字符"),
    ({"region": "62050210"}, "户籍所在地区划代码", "6、9 或 12 位"),
    ({"kind": "五保"}, "救助类别", "「五保」不是有效的救助类别"),
    ({"start": "2024-02-30"}, "开始日期", "日期格式"),
    ({"start": "明年"}, "开始日期", "日期格式"),
    ({"amount": "-5"}, "月保障金额", "负数"),
    ({"amount": "12.345"}, "月保障金额", "两位小数"),
    ({"amount": "五百"}, "月保障金额", "应为数字"),
    ({"id": "6.20502E+17"}, "身份证号码", "Excel"),
    ({"head": "6.20502E+17"}, "户主身份证号码", "Excel"),
    ({"id": ""}, "身份证号码", "必填"),
]


def bad_civil_file(tmp_path: Path) -> Path:
    rows = [civil(0)] + [civil(k + 1, **changes) for k, (changes, _, _) in enumerate(BAD_CIVIL)] + [civil(99)]
    return write_csv(tmp_path / "civil.csv", CIVIL, rows)


def test_every_bad_cell_is_named_with_row_header_and_a_chinese_reason_and_valid_rows_are_stored(
    media, tmp_path
):
    result = load(bad_civil_file(tmp_path), "civil_assistance", policy="valid")
    assert result.state == LoadState.PARTIAL, result.message
    found = errors_by(result)
    for k, (_, header, words) in enumerate(BAD_CIVIL):
        row = k + 3  # header is row 1, the good first row is row 2
        assert (row, header) in found, f"第 {row} 行「{header}」没有报错；实际：{sorted(found)}"
        assert words in found[(row, header)], found[(row, header)]
    assert (result.rows_total, result.rows_rejected, result.rows_accepted) == (
        len(BAD_CIVIL) + 2,
        len(BAD_CIVIL),
        2,
    )
    assert [r["row_number"] for r in stored(result)] == [2, len(BAD_CIVIL) + 3]
    assert f"有错误未入库 {len(BAD_CIVIL)} 行" in result.message
    first = result.errors_preview[0]
    assert (
        set(first) == {"sheet", "row", "column", "value", "message", "severity"} and first["sheet"] == "CSV"
    )
    # the error report lists the rejected rows as typed, with the reasons, ready to correct and load again
    report = openpyxl.load_workbook(report_file(result))
    sheet = report["待修改数据"]
    assert [c.value for c in sheet[1]] == ["错误说明", "原工作表", "原行号", *CIVIL]
    data = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[2] for r in data] == list(range(3, len(BAD_CIVIL) + 3))
    assert "救助类别：「五保」不是有效的救助类别" in data[3][0] and data[3][7] == "五保"
    listed = {(r[1], r[2]) for r in report["错误清单"].iter_rows(min_row=2, values_only=True)}
    assert {(k + 3, header) for k, (_, header, _) in enumerate(BAD_CIVIL)} <= listed


def test_the_corrected_error_report_loads_back(media, tmp_path):
    rows = [civil(1), civil(2, kind="五保")]
    first = load(write_csv(tmp_path / "civil.csv", CIVIL, rows), "civil_assistance", policy="all")
    path = report_file(first)
    wb = openpyxl.load_workbook(path)
    ws = wb["待修改数据"]
    ws.cell(row=2, column=[c.value for c in ws[1]].index("救助类别") + 1, value="特困供养")
    wb.save(path)
    again = load(path, "civil_assistance")
    assert again.state == LoadState.COMMITTED, again.message
    assert [r["kind"] for r in stored(again)] == ["特困供养"]
    assert "已忽略" not in again.message  # 错误说明, 原工作表, 原行号 are known, not foreign columns


def test_policy_all_stores_nothing_when_one_row_is_wrong(media, tmp_path):
    rows = [expense(1), expense(2), expense(3, on="2025-13-01")]
    result = load(write_csv(tmp_path / "e.csv", MEDICAL_EXPENSE, rows), policy="all")
    assert result.state == LoadState.REJECTED
    assert (result.rows_total, result.rows_accepted, result.rows_rejected) == (3, 0, 1)
    assert not result.parquet_path and not list(report_file(result).parent.glob("*.parquet"))
    assert errors_by(result) == {(4, "结算日期"): "日期格式应为 2024-03-15，实际为「2025-13-01」"}
    assert "没有入库任何数据" in result.message and result.error_report
    assert current_load("medical_expense", COUNTY) is None


def test_a_file_where_every_row_is_wrong_stores_nothing_even_with_policy_valid(media, tmp_path):
    result = load(write_csv(tmp_path / "e.csv", MEDICAL_EXPENSE, [expense(1, type="急诊")]))
    assert result.state == LoadState.REJECTED and not result.parquet_path
    assert "所有行都有错误" in result.message


def test_invalid_id_is_kept_with_id_valid_false_and_invalid_head_id_is_blanked_with_a_warning(
    media, tmp_path
):
    rows = [civil(1, id=wrong_check_digit(pid(1))), civil(2, head="123"), civil(3, id="62050219600301")]
    result = load(write_csv(tmp_path / "civil.csv", CIVIL, rows), "civil_assistance", policy="all")
    assert result.state == LoadState.COMMITTED, result.message
    kept = stored(result)
    assert [(r["id_number"], r["id_valid"]) for r in kept] == [
        (wrong_check_digit(pid(1)), False),
        (pid(2), True),
        ("62050219600301", False),
    ]
    assert kept[1]["head_id_number"] is None and kept[0]["head_id_number"] == pid(51)
    assert "2 行证件号码无效，已保留供数据质量规则核查" in result.message
    warning = result.errors_preview[0]
    assert (warning["row"], warning["column"], warning["severity"]) == (3, "户主身份证号码", "warning")
    assert "长度" in warning["message"] and "已按空值保存" in warning["message"]
    assert result.rows_rejected == 0 and result.error_report  # the warning is listed in the report


def test_excel_mangled_id_in_a_number_cell_is_a_row_error(media, tmp_path):
    path = tmp_path / "e.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, MEDICAL_EXPENSE)
    ws.write_row(1, 0, expense(1))
    mangled = float(f"{float(pid(2)):.15g}")  # what Excel keeps of an ID typed into a number cell
    ws.write_row(2, 0, [mangled, *expense(2)[1:]])
    wb.close()
    result = load(path)
    assert result.state == LoadState.PARTIAL and result.rows_accepted == 1
    message = errors_by(result)[(3, "身份证号码")]
    assert "Excel 或生成文件的程序把这一列存成了数字" in message and "设为“文本”格式" in message


def test_a_missing_required_column_rejects_the_file_naming_it(media, tmp_path):
    header = ["身份证号码", "姓名", "结算日期", "医疗机构", "医疗总费用", "基金支付", "个人自付", "科室"]
    result = load(write_csv(tmp_path / "e.csv", header, [expense(1)[:3] + expense(1)[4:] + ["内科"]]))
    assert result.state == LoadState.REJECTED
    assert "缺少必需的列：就诊类型" in result.message
    # the message points to the page's template, not to a command a village officer cannot run
    assert "“部门数据”页面" in result.message and "jingzhun" not in result.message
    assert not result.parquet_path and result.rows_total == 0
    assert ObjectChange.objects.filter(object_id=result.id).count() == 1  # rejected loads are audited too


@pytest.mark.parametrize(
    "name,content,words",
    [
        ("empty.csv", b"", "没有任何数据"),
        ("header-only.csv", ",".join(MEDICAL_EXPENSE).encode(), "没有任何数据行"),
        ("a.pdf", b"%PDF-1.4", "不支持的文件类型"),
        ("broken.xlsx", b"PK\x03\x04 not a zip", "无法读取 Excel"),
    ],
)
def test_unusable_files_are_rejected_with_a_reason(media, tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    result = load(path)
    assert result.state == LoadState.REJECTED and words in result.message, result.message


def test_loading_the_same_file_again_notes_it_and_changes_nothing(media, tmp_path):
    path = write_csv(tmp_path / "e.csv", MEDICAL_EXPENSE, [expense(1)])
    first = load(path, region_prefix=COUNTY)
    second = load(path, region_prefix=COUNTY)
    assert second.state == LoadState.COMMITTED and first.id in second.message
    assert stored(first) == stored(second)
    assert current_load("medical_expense", COUNTY) == second


# ------------------------------------------------------------------------------------------ current data


def make_load(
    dataset: str, as_of: dt.date, prefix: str = "", state: str = LoadState.COMMITTED
) -> DatasetLoad:
    ds = datasets.get(dataset)
    n = DatasetLoad.objects.count()
    return DatasetLoad.objects.create(
        id=f"load{n:04d}",
        dataset=dataset,
        department=ds.department,
        as_of=as_of,
        region_prefix=prefix,
        file_name="f.csv",
        file_sha256="0" * 64,
        user_name="系统",
        state=state,
        parquet_path=f"/data/{n}.parquet",
    )


def test_current_load_is_the_newest_committed_or_partial_load_covering_the_county(db):
    province = make_load("education", dt.date(2025, 3, 31), "62")
    make_load("education", dt.date(2025, 1, 31), COUNTY)  # older
    make_load("education", dt.date(2025, 9, 30), COUNTY, state=LoadState.REJECTED)
    make_load("education", dt.date(2025, 9, 30), "620503")  # another county
    make_load("education", dt.date(2025, 9, 30), TOWNSHIP_A)  # covers only part of the county
    assert current_load("education", COUNTY) == province
    partial = make_load("education", dt.date(2025, 6, 30), COUNTY, state=LoadState.PARTIAL)
    assert current_load("education", COUNTY) == partial
    again = make_load("education", dt.date(2025, 6, 30), "")  # same date, loaded later, covers everything
    assert current_load("education", COUNTY) == again
    assert current_load("medical_expense", COUNTY) is None


def test_current_loads_lists_each_load_once_for_the_counties_of_a_run(db):
    everywhere = make_load("housing", dt.date(2025, 6, 30), "")
    own = make_load("housing", dt.date(2025, 7, 31), COUNTY)
    edu = make_load("education", dt.date(2025, 6, 30), "62")
    loads = current_loads([COUNTY, "620503"])
    assert loads["housing"] == [own, everywhere] and loads["education"] == [edu]
    assert loads["payroll"] == [] and set(loads) == set(datasets.BY_CODE)
    by_county = current_by_county([COUNTY, "620503"])
    assert by_county[COUNTY] == {"housing": own, "education": edu}
    assert by_county["620503"] == {"housing": everywhere, "education": edu}


# ---------------------------------------------------------------------------------------------- access


@pytest.fixture
def departments(media):
    medical = media.users["department"]
    medical.department = datasets.Department.MEDICAL
    medical.save()
    education = UserFactory(
        username="education",
        role=Role.DEPARTMENT,
        region=media.county,
        department=datasets.Department.EDUCATION,
    )
    return medical, education


def test_a_department_user_sees_and_loads_only_their_own_department_data(departments, tmp_path):
    medical, education = departments
    path = write_csv(tmp_path / "e.csv", MEDICAL_EXPENSE, [expense(1)])
    own = load(path, user=medical)
    assert own.state == LoadState.COMMITTED and own.region_prefix == COUNTY  # defaults to their jurisdiction
    assert own.user == medical and own.user_name == medical.username
    school = make_load("education", AS_OF, COUNTY)
    assert can_load(medical, "medical_expense") and can_load(medical, "medical_enrolment")
    assert not can_load(medical, "education") and not can_load(medical, "no_such_dataset")
    with pytest.raises(PermissionDeniedError):
        load(path, "education", user=medical)
    assert list(loads_for(medical)) == [own] and list(loads_for(education)) == [school]
    assert access_load(medical, own.id) == own
    for missing in (school.id, "no-such-load"):
        with pytest.raises(NotFoundOrForbidden) as caught:
            access_load(medical, missing)
        assert caught.value.message == "部门数据批次不存在或无权访问"


def test_jurisdiction_roles_see_loads_covering_their_region_or_inside_it(media):
    users = media.users
    everywhere = make_load("education", AS_OF, "")
    county = make_load("housing", AS_OF, COUNTY)
    township_a = make_load("housing", AS_OF, TOWNSHIP_A)
    make_load("housing", AS_OF, TOWNSHIP_B)
    make_load("housing", AS_OF, "620503")
    assert set(loads_for(users["township_officer"])) == {everywhere, county, township_a}
    assert (
        set(loads_for(users["county_admin"]))
        == set(loads_for(users["leader"]))
        == set(DatasetLoad.objects.exclude(region_prefix="620503"))
    )
    assert set(loads_for(users["village_officer"])) == {everywhere, county, township_a}
    assert loads_for(users["admin"]).count() == 5
    assert not loads_for(users["helper"]).exists() and not loads_for(users["department"]).exists()
    assert not can_load(users["township_officer"], "education") and not can_load(users["helper"], "education")
    assert can_load(users["county_admin"], "education") and can_load(users["admin"], "property")


def test_a_county_admin_may_not_cover_a_region_outside_their_jurisdiction(media, tmp_path):
    path = write_csv(tmp_path / "e.csv", MEDICAL_EXPENSE, [expense(1)])
    admin = media.users["county_admin"]
    for outside in ("62", "6205", "620503"):
        with pytest.raises(PermissionDeniedError):
            load(path, user=admin, region_prefix=outside)
    with pytest.raises(ValidationFailed):
        load(path, user=admin, region_prefix="62050")
    assert load(path, user=admin, region_prefix=TOWNSHIP_A).region_prefix == TOWNSHIP_A
    assert DatasetLoad.objects.count() == 1


# ------------------------------------------------------------------------------------------------- CLI


def test_cli_template_load_and_list(media, tmp_path, capsys):
    out = tmp_path / "t.xlsx"
    call_command("dataset", "template", "medical_expense", "--out", str(out))
    wb = openpyxl.load_workbook(out)
    assert [c.value for c in wb.worksheets[0][1]][:2] == ["身份证号码*", "姓名*"]
    assert wb["填写说明"]["E5"].value == "住院、门诊慢特病、普通门诊"
    call_command("dataset", "template", "housing", "--out", str(tmp_path / "t.csv"), "--format", "csv")
    assert (
        (tmp_path / "t.csv").read_text(encoding="utf-8-sig").startswith("户主身份证号码,姓名,所在地区划代码")
    )
    # the template, filled in, loads
    ws = wb.worksheets[0]
    for j, value in enumerate(expense(1), start=1):
        ws.cell(row=2, column=j, value=value)
    wb.save(out)
    call_command(
        "dataset",
        "load",
        str(out),
        "--dataset",
        "medical_expense",
        "--as-of",
        "2025-06-30",
        "--region",
        COUNTY,
    )
    captured = capsys.readouterr()
    assert "已入库：入库 1 行。" in captured.out and "[100%] 完成" in captured.err
    assert DatasetLoad.objects.get().state == LoadState.COMMITTED
    # a bad file: the summary, the first errors and the report copied; the command fails
    bad = write_csv(tmp_path / "bad.csv", MEDICAL_EXPENSE, [expense(2, self="-1")])
    report = tmp_path / "report.xlsx"
    with pytest.raises(CommandError, match="未入库"):
        call_command(
            "dataset",
            "load",
            str(bad),
            "--dataset",
            "medical_expense",
            "--as-of",
            "2025-06-30",
            "--policy",
            "all",
            "--report",
            str(report),
        )
    captured = capsys.readouterr()
    assert "错误 CSV 第 2 行「个人自付」-1：不能为负数" in captured.out and report.is_file()
    call_command("dataset", "list")
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 2 and "有错误，未入库" in listed[0] and "已入库" in listed[1]
    with pytest.raises(CommandError, match="不能上传"):
        call_command(
            "dataset", "load", str(bad), "--dataset", "education", "--as-of", "2025-06-30", "--user", "helper"
        )


def test_housing_grades_are_read_through_the_registers_code_list(media, tmp_path):
    # given a housing department's file that writes grades as the register accepts them
    header = ["户主身份证号码", "姓名", "所在地区划代码", "鉴定等级", "鉴定日期", "是否已完成改造"]
    spellings = [("D级", "D"), ("整幢危房", "D"), ("C级（局部危房）", "C"), ("b", "B"), ("A", "A")]
    rows = [
        [pid(n), f"王{n}", "620502100201", text, "2024-05-01", "否"] for n, (text, _) in enumerate(spellings)
    ]
    rows.append([pid(9), "王9", "620502100201", "E级", "2024-05-01", "否"])
    # when it is loaded
    result = load(write_csv(tmp_path / "housing.csv", header, rows), "housing")
    # then each grade is stored as the code it means, and a grade outside the list is refused with the list
    assert [r["grade"] for r in stored(result)] == [c for _, c in spellings]
    message = errors_by(result)[(7, "鉴定等级")]
    assert "E级" in message and "D级（整幢危房）" in message
