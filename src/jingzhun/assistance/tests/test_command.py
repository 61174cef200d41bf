"""``jingzhun assistance template|import|generate``."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from jingzhun.assistance.models import Measure, Pairing
from jingzhun.assistance.tests.files import MEASURE_HEADERS, PAIRING_HEADERS, write_csv
from jingzhun.core.models import ObjectChange
from jingzhun.testing.world import TOWNSHIP_B


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("assistance", *args, stdout=out)
    return out.getvalue()


def test_template_writes_the_headers(db, tmp_path):
    out = _run("template", "measures", str(tmp_path / "m.xlsx"))
    assert "帮扶措施导入模板已生成" in out
    headers = [c.value for c in openpyxl.load_workbook(tmp_path / "m.xlsx")["帮扶措施"][1]]
    assert headers == ["户编号*", "年度*", "措施类别*", "是否已实施*", "备注"]
    with pytest.raises(CommandError, match=r"\.xlsx"):
        _run("template", "pairings", str(tmp_path / "p.csv"))


def test_import_prints_counts_and_imports_as_the_user(world, tmp_path):
    path = write_csv(
        tmp_path / "p.csv",
        PAIRING_HEADERS,
        [
            [
                world.household_a.household_number,
                "张建平",
                "秦州区农业农村局",
                "县直",
                "13909381234",
                "2024-03-01",
                "",
            ]
        ],
    )
    out = _run("import", "pairings", str(path), "--user", "township_officer")
    assert "新增 1" in out and "拒绝 0" in out
    assert ObjectChange.objects.get(object_type="assistance.pairing").source == "cli"
    assert "未变 1" in _run("import", "pairings", str(path), "--user", "township_officer")
    assert Pairing.objects.count() == 1


def test_rejected_rows_are_printed_and_the_command_fails(world, tmp_path):
    other = world.households[TOWNSHIP_B + "201"].household_number
    path = write_csv(
        tmp_path / "m.csv",
        MEASURE_HEADERS,
        [
            [world.household_a.household_number, 2025, "健康", "是", ""],
            [other, 2025, "健康", "是", ""],
            [world.household_a.household_number, 1900, "就业", "是", ""],
        ],
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="没有写入任何记录"):
        call_command("assistance", "import", "measures", str(path), "--user", "township_officer", stdout=out)
    text = out.getvalue()
    assert "第 3 行「户编号」" in text and "户编号不存在或无权访问" in text and "第 4 行「年度」" in text
    assert not Measure.objects.exists()
    kept = _run("import", "measures", str(path), "--user", "township_officer", "--keep-valid")
    assert "新增 1" in kept and "拒绝 2" in kept and Measure.objects.count() == 1


def test_import_refuses_unknown_users_and_readers(world, tmp_path):
    path = write_csv(
        tmp_path / "m.csv", MEASURE_HEADERS, [[world.household_a.household_number, 2025, "健康", "是", ""]]
    )
    with pytest.raises(CommandError, match="用户不存在"):
        _run("import", "measures", str(path), "--user", "nobody")
    with pytest.raises(CommandError, match="只有"):
        _run("import", "measures", str(path), "--user", "leader")
    with pytest.raises(CommandError, match="文件不存在"):
        _run("import", "measures", str(tmp_path / "missing.csv"), "--user", "township_officer")
    assert not Measure.objects.exists()


def test_generate_command(county):
    out = _run("generate", "--region", "620502", "--year", "2025")
    assert "已为 620502 生成帮扶结对" in out
    assert Pairing.objects.exists() and Measure.objects.filter(year=2025).exists()
    with pytest.raises(CommandError, match="区划不存在"):
        _run("generate", "--region", "999999", "--year", "2025")
