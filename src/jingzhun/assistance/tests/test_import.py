"""Importing helper pairings and measures: checks, all-or-nothing, keep_valid, jurisdiction, idempotence, audit.

The named test world: the 玉泉镇 township officer edits the households of 南山村 and 北坡村; 东川村 and 西岭村
belong to 太京镇, outside the officer's jurisdiction.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from jingzhun.assistance import services
from jingzhun.assistance.choices import MeasureFamily, UnitLevel
from jingzhun.assistance.models import Measure, Pairing
from jingzhun.assistance.tests.files import MEASURE_HEADERS, PAIRING_HEADERS, write_csv, write_xlsx
from jingzhun.core.audit import Actor
from jingzhun.core.errors import PermissionDeniedError
from jingzhun.core.models import ChangeAction, ObjectChange
from jingzhun.registry.staging import ImportFileError
from jingzhun.testing.world import TOWNSHIP_A, TOWNSHIP_B


def _numbers(world: Any) -> tuple[str, str, str]:
    """南山村 and 北坡村 (玉泉镇, the officer's) and 东川村 (太京镇, not)."""
    return (
        world.households[TOWNSHIP_A + "201"].household_number,
        world.households[TOWNSHIP_A + "202"].household_number,
        world.households[TOWNSHIP_B + "201"].household_number,
    )


def _import(
    kind: str, world: Any, path: Path, username: str = "township_officer", **kw: Any
) -> services.ImportResult:
    user = world.users[username]
    run = services.import_pairings if kind == "pairings" else services.import_measures
    return run(actor=Actor.of(user), user=user, path=path, **kw)


def _changes() -> int:
    return ObjectChange.objects.count()


def _good_pairings(world: Any) -> list[list[Any]]:
    a, b, _ = _numbers(world)
    return [
        [a, "张建平", "秦州区农业农村局", "县直", "13909381234", "2024-03-01", ""],
        [b, "李娜", "玉泉镇人民政府", "4", "0938-8212345", "2021-05-06", "2024-12-31"],
        [b, "王海涛", "天水市财政局", "市直", "", "2025-01-01", ""],
    ]


def test_pairings_import_then_the_same_file_again_changes_nothing(world, tmp_path):
    path = write_csv(tmp_path / "pairings.csv", PAIRING_HEADERS, _good_pairings(world))
    before = _changes()
    result = _import("pairings", world, path)
    assert (result.created, result.updated, result.unchanged, result.rejected) == (3, 0, 0, 0)
    assert result.written and not result.errors and result.rows == 3
    a, b, _ = _numbers(world)
    first = Pairing.objects.get(household__household_number=a)
    assert (first.helper_name, first.helper_unit, first.unit_level, first.helper_phone) == (
        "张建平",
        "秦州区农业农村局",
        UnitLevel.COUNTY,
        "13909381234",
    )
    assert first.started_on == dt.date(2024, 3, 1) and first.ended_on is None
    ended = Pairing.objects.get(helper_name="李娜")
    assert ended.unit_level == UnitLevel.TOWNSHIP and ended.ended_on == dt.date(2024, 12, 31)
    assert (
        Pairing.objects.filter(household__household_number=b).active_on(dt.date(2025, 6, 1)).get().helper_name
        == "王海涛"
    )
    assert ended.active_on(dt.date(2024, 12, 31)) and not ended.active_on(dt.date(2025, 1, 1))
    assert _changes() == before + 3

    again = _import("pairings", world, path)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 3, 0)
    assert Pairing.objects.count() == 3 and _changes() == before + 3  # nothing written, nothing audited


def test_a_changed_row_is_updated_and_audited_with_before_and_after(world, tmp_path):
    rows = _good_pairings(world)
    _import("pairings", world, write_csv(tmp_path / "v1.csv", PAIRING_HEADERS, rows))
    rows[0][4] = "13800000000"  # new phone
    rows[0][6] = "2025-06-30"  # and the pairing ended
    last = ObjectChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    result = _import("pairings", world, write_csv(tmp_path / "v2.csv", PAIRING_HEADERS, rows))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    change = ObjectChange.objects.get(pk__gt=last)
    pairing = Pairing.objects.get(helper_name="张建平")
    assert change.action == ChangeAction.UPDATE and change.user_name == "township_officer"
    assert change.object_type == "assistance.pairing" and change.object_id == str(pairing.pk)
    assert change.root_type == "registry.household" and change.root_id == str(pairing.household_id)
    assert change.before["helper_phone"] == "13909381234" and change.before["ended_on"] is None
    assert change.after["helper_phone"] == "13800000000" and change.after["ended_on"] == "2025-06-30"
    assert change.batch == result.batch and change.time is not None
    assert pairing.helper_phone == "13800000000" and pairing.ended_on == dt.date(2025, 6, 30)


def test_every_created_row_is_audited_under_its_household(world, tmp_path):
    a, b, _ = _numbers(world)
    path = write_csv(
        tmp_path / "m.csv",
        MEASURE_HEADERS,
        [[a, 2025, "健康", "是", "家庭医生签约"], [a, 2025, "08", "否", ""], [b, "2025", "3", "1", ""]],
    )
    last = ObjectChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    result = _import("measures", world, path)
    assert result.created == 3
    lines = list(ObjectChange.objects.filter(pk__gt=last))
    measures = {str(m.pk): m for m in Measure.objects.all()}
    assert sorted(c.object_id for c in lines) == sorted(measures)
    for change in lines:
        measure = measures[change.object_id]
        assert change.action == ChangeAction.CREATE and change.before is None
        assert change.user_name == "township_officer" and change.user == world.users["township_officer"]
        assert change.root_id == str(measure.household_id) and change.after["family"] == measure.family
    assert {(m.family, m.implemented) for m in measures.values()} == {
        (MeasureFamily.HEALTH, True),
        (MeasureFamily.SOCIAL_SECURITY, False),
        (MeasureFamily.FINANCE, True),
    }


def test_a_gb18030_csv_is_read(world, tmp_path):
    a, _, _ = _numbers(world)
    path = write_csv(
        tmp_path / "gbk.csv",
        MEASURE_HEADERS,
        [[a, 2024, "义务教育保障", "是", "落实营养改善计划"]],
        encoding="gb18030",
    )
    result = _import("measures", world, path)
    assert result.created == 1
    assert Measure.objects.get().note == "落实营养改善计划"


def test_xlsx_with_typed_cells_from_the_template(world, tmp_path):
    """The generated template, filled in Excel: dates as dates, numbers as numbers, headers marked *."""
    a, b, _ = _numbers(world)
    template = services.write_template("pairings", tmp_path / "template.xlsx")
    book = openpyxl.load_workbook(template)
    sheet = book["帮扶结对"]
    assert [c.value for c in sheet[1]] == [
        "户编号*",
        "帮扶责任人姓名*",
        "帮扶单位*",
        "单位隶属关系*",
        "联系电话",
        "帮扶开始日期*",
        "帮扶结束日期",
    ]
    sheet.append([a, "赵丽", "甘肃省教育厅", 1, 13919381234, dt.datetime(2022, 4, 1), None])
    sheet.append(
        [b, "孙伟", "北坡村村民委员会", "村级", None, dt.datetime(2023, 7, 15), dt.datetime(2024, 7, 14)]
    )
    book.save(tmp_path / "filled.xlsx")
    result = _import("pairings", world, tmp_path / "filled.xlsx")
    assert (result.created, result.rejected) == (2, 0), result.errors
    zhao = Pairing.objects.get(helper_name="赵丽")
    assert (zhao.unit_level, zhao.helper_phone, zhao.started_on) == (
        UnitLevel.PROVINCE,
        "13919381234",
        dt.date(2022, 4, 1),
    )
    assert Pairing.objects.get(helper_name="孙伟").ended_on == dt.date(2024, 7, 14)
    assert _import("pairings", world, tmp_path / "filled.xlsx").unchanged == 2


def test_measures_template_and_an_xlsx_with_numbers(world, tmp_path):
    a, _, _ = _numbers(world)
    book = openpyxl.load_workbook(services.write_template("measures", tmp_path / "t.xlsx"))
    assert [c.value for c in book["帮扶措施"][1]] == ["户编号*", "年度*", "措施类别*", "是否已实施*", "备注"]
    assert "填写说明" in book.sheetnames
    path = write_xlsx(
        tmp_path / "m.xlsx", MEASURE_HEADERS, [[a, 2025, 1, 1, "养牛"], [a, 2025.0, "14", False, None]]
    )
    result = _import("measures", world, path)
    assert result.created == 2, result.errors
    assert {(m.family, m.implemented) for m in Measure.objects.all()} == {
        (MeasureFamily.INDUSTRY, True),
        (MeasureFamily.INFRASTRUCTURE, False),
    }


def _hostile_rows(world: Any) -> list[list[Any]]:
    a, b, other = _numbers(world)
    return [
        ["", "张三", "秦州区财政局", "县直", "", "2024-01-01", ""],  # 2: no household number
        ["620502999999999999", "张三", "秦州区财政局", "县直", "", "2024-01-01", ""],  # 3: unknown household
        [other, "张三", "秦州区财政局", "县直", "", "2024-01-01", ""],  # 4: another township's household
        [a, "张三", "秦州区财政局", "部直", "", "2024-01-01", ""],  # 5: unit level not in the list
        [a, "李四", "秦州区财政局", "3", "139-abc", "2024-01-01", ""],  # 6: phone with letters
        [a, "王五", "秦州区财政局", "3", "", "2024-02-30", ""],  # 7: no such day
        [a, "赵六", "秦州区财政局", "3", "", "2024年3月", ""],  # 8: not a date
        [a, "钱七", "秦州区财政局", "3", "", "2024-05-01", "2024-04-30"],  # 9: ends before it starts
        [a, "孙" * 41, "秦州区财政局", "3", "", "2024-01-01", ""],  # 10: name too long
        [a, "周八", "", "3", "", "2024-01-01", ""],  # 11: no unit
        ["6.20502100201E+17", "吴九", "秦州区财政局", "3", "", "2024-01-01", ""],  # 12: Excel ate the number
        [b, "郑十", "秦州区财政局", "3", "13912345678", "1970-01-01", ""],  # 13: before 1978
        [b, "冯一", "玉泉镇人民政府", "乡镇", "13912345678", "2024-01-01", ""],  # 14: good
        [b, "冯一", "玉泉镇人民政府", "乡镇", "13800000000", "2024-01-01", ""],  # 15: the same key again
    ]


EXPECTED = [
    (2, "户编号", "请填写户编号"),
    (3, "户编号", "户编号不存在或无权访问"),
    (4, "户编号", "户编号不存在或无权访问"),
    (5, "单位隶属关系", "单位隶属关系应为以下代码或名称之一"),
    (6, "联系电话", "联系电话只能包含数字"),
    (7, "帮扶开始日期", "日期不存在"),
    (8, "帮扶开始日期", "日期格式应为 YYYY-MM-DD"),
    (9, "帮扶结束日期", "帮扶结束日期早于帮扶开始日期"),
    (10, "帮扶责任人姓名", "帮扶责任人姓名不能超过40个字"),
    (11, "帮扶单位", "请填写帮扶单位"),
    (12, "户编号", "被 Excel 存成了数字"),
    (13, "帮扶开始日期", "日期应在1978年到2100年之间"),
    (15, "户编号", "与第 14 行重复"),
]


def test_a_hostile_file_reports_every_bad_row_and_writes_nothing(world, tmp_path):
    path = write_csv(tmp_path / "bad.csv", PAIRING_HEADERS, _hostile_rows(world))
    before = _changes()
    result = _import("pairings", world, path)
    assert not result.written and result.rows == 14 and result.rejected == 13
    assert (result.created, result.updated, result.unchanged) == (0, 0, 0)
    got = [(e.row, e.column, e.message) for e in result.errors]
    assert len(got) == len(EXPECTED)
    for (row, column, message), (want_row, want_column, want) in zip(got, EXPECTED, strict=True):
        assert (row, column) == (want_row, want_column) and want in message, (row, column, message)
    assert str(result.errors[4]) == "第 6 行「联系电话」「139-abc」：联系电话只能包含数字和“-”"
    assert "未导入" in result.summary
    assert not Pairing.objects.exists() and _changes() == before


def test_hostile_measures_are_reported_too(world, tmp_path):
    a, _, _ = _numbers(world)
    path = write_csv(
        tmp_path / "bad.csv",
        MEASURE_HEADERS,
        [
            [a, 1977, "健康", "是", ""],
            [a, "二〇二五", "健康", "是", ""],
            [a, 2025, "99", "是", ""],
            [a, 2025, "健康", "也许", ""],
            [a, 2025, "健康", "", ""],
            [a, 2025, "健康", "是", "备" * 1001],
            [a, 2025, "05", "是", ""],
            [a, 2025, "健康", "否", "同一户同一年同一类"],
        ],
    )
    result = _import("measures", world, path)
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "年度"),
        (3, "年度"),
        (4, "措施类别"),
        (5, "是否已实施"),
        (6, "是否已实施"),
        (7, "备注"),
        (9, "户编号"),
    ]
    assert "1978到2100" in result.errors[0].message and "四位数字" in result.errors[1].message
    assert "01 产业" in result.errors[2].message and "与第 8 行重复" in result.errors[6].message
    assert not Measure.objects.exists()


def test_keep_valid_writes_only_the_good_rows(world, tmp_path):
    path = write_csv(tmp_path / "bad.csv", PAIRING_HEADERS, _hostile_rows(world))
    result = _import("pairings", world, path, keep_valid=True)
    assert result.written and (result.created, result.rejected) == (1, 13) and len(result.errors) == 13
    saved = Pairing.objects.get()
    assert (saved.helper_name, saved.helper_phone, saved.household_id) == (
        "冯一",
        "13912345678",
        world.households[TOWNSHIP_A + "202"].pk,
    )
    assert ObjectChange.objects.filter(object_type="assistance.pairing").count() == 1
    again = _import("pairings", world, path, keep_valid=True)
    assert (again.created, again.unchanged, again.rejected) == (0, 1, 13)


def test_another_townships_household_reads_exactly_like_a_missing_one(world, tmp_path):
    _, _, other = _numbers(world)
    rows = [[other, 2025, "健康", "是", ""], ["620502100201999999", 2025, "健康", "是", ""]]
    path = write_csv(tmp_path / "m.csv", MEASURE_HEADERS, rows)
    result = _import("measures", world, path, keep_valid=True)
    outside, missing = result.errors
    assert (
        (outside.column, outside.message)
        == (missing.column, missing.message)
        == ("户编号", "户编号不存在或无权访问")
    )
    assert not Measure.objects.exists()
    # the county administrator's jurisdiction holds it: the same file then imports that row
    by_county = _import("measures", world, path, username="county_admin", keep_valid=True)
    assert (
        by_county.created == 1
        and Measure.objects.get().household_id == world.households[TOWNSHIP_B + "201"].pk
    )


@pytest.mark.parametrize("username", ["leader", "auditor", "helper", "department"])
def test_roles_that_do_not_edit_the_register_are_refused(world, tmp_path, username):
    path = write_csv(tmp_path / "p.csv", PAIRING_HEADERS, _good_pairings(world))
    before = _changes()
    with pytest.raises(PermissionDeniedError) as refused:
        _import("pairings", world, path, username=username)
    assert "只有" in refused.value.message and refused.value.status == 403
    with pytest.raises(PermissionDeniedError):
        services.import_measures(actor=Actor.of(None), user=None, path=path)
    assert not Pairing.objects.exists() and _changes() == before


def test_a_file_that_is_not_the_template_is_refused_as_a_whole(world, tmp_path):
    a, _, _ = _numbers(world)
    no_dates = write_csv(tmp_path / "p.csv", PAIRING_HEADERS[:5], [[a, "张三", "单位", "3", ""]])
    with pytest.raises(ImportFileError) as missing:
        _import("pairings", world, no_dates)
    assert "缺少必需的列：帮扶开始日期" in missing.value.message
    empty = write_csv(tmp_path / "e.csv", MEASURE_HEADERS, [])
    with pytest.raises(ImportFileError, match="没有任何数据行"):
        _import("measures", world, empty)
    (tmp_path / "p.json").write_text("{}")
    with pytest.raises(ImportFileError, match="不支持的文件类型"):
        _import("measures", world, tmp_path / "p.json")


def test_an_optional_column_left_out_keeps_what_is_stored(world, tmp_path):
    _import("pairings", world, write_csv(tmp_path / "full.csv", PAIRING_HEADERS, _good_pairings(world)))
    headers = [h for h in PAIRING_HEADERS if h != "联系电话"]
    rows = [[v for j, v in enumerate(r) if j != 4] for r in _good_pairings(world)]
    result = _import("pairings", world, write_csv(tmp_path / "short.csv", headers, rows))
    assert result.unchanged == 3
    assert Pairing.objects.get(helper_name="张建平").helper_phone == "13909381234"
