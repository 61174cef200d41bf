"""jingzhun report, end to end: the files it writes read back as the tables, bad input is said in Chinese."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from jingzhun.analytics.models import IndicatorValue
from jingzhun.registry.models import Household
from jingzhun.reports.tests.conftest import YEAR
from jingzhun.reports.tests.readback import pdf_text, read_xlsx

pytestmark = pytest.mark.django_db


def run(*args: str, **opts: str) -> str:
    out = io.StringIO()
    call_command("report", *args, stdout=out, **opts)
    return out.getvalue()


def test_the_command_writes_each_table_and_a_card(county, tmp_path):
    code = county.region.code
    # a table as .xlsx into a directory: named by its title
    message = run("basic", region=code[:6], out=str(tmp_path))
    path = tmp_path / f"{county.region.name}{YEAR}年建档立卡户和人口基本情况表.xlsx"
    assert path.is_file() and str(path) in message
    read = read_xlsx(path.read_bytes())
    households = sum(
        int(v)
        for v in IndicatorValue.objects.filter(
            region_code=code, year=YEAR, code="households_by_status"
        ).values_list("value", flat=True)
    )
    assert read.value("合计", "合计", "建档立卡户数（户）") == households > 0
    # a table as PDF to a file, as a user of the township
    target = tmp_path / "监测.pdf"
    run(
        "monitoring",
        region=county.township.code,
        year=str(YEAR),
        format="pdf",
        out=str(target),
        user="officer",
    )
    assert f"{county.township.name}{YEAR}年防止返贫监测对象情况表" in pdf_text(target.read_bytes())[0]
    # a household's card
    household = Household.objects.order_by("household_number").first()
    run("card", household=household.household_number, out=str(tmp_path / "card.pdf"))
    assert household.household_number in "".join(pdf_text((tmp_path / "card.pdf").read_bytes()))


BAD_INPUT = [
    (("weekly",), {}, "没有这种报表：weekly"),
    (("basic",), {}, "请用 --region 指定区划代码"),
    (("basic",), {"region": "620502", "year": "26"}, "年度应为四位数字"),
    (("basic",), {"region": "620502", "format": "docx"}, "报表格式应为 xlsx 或 pdf"),
    (("basic",), {"region": "999999"}, "区划不存在或无权访问"),
    (("basic",), {"region": "620502", "year": "2019"}, "2019年尚无统计指标数据"),
    (("basic",), {"region": "620502", "user": "nobody"}, "用户不存在：nobody"),
    (("card",), {}, "请用 --household 指定户编号"),
    (("card",), {"household": "000"}, "农户不存在或无权访问"),
    (("basic",), {"region": "620502", "out": "/nonexistent/dir/x.xlsx"}, "输出目录不存在"),
]


def test_bad_input_is_refused_in_chinese(county):
    for args, opts, message in BAD_INPUT:
        with pytest.raises(CommandError, match=message):
            run(*args, **opts)


def test_another_townships_officer_cannot_print_this_townships_card(county, tmp_path):
    household = Household.objects.filter(village__code__startswith=county.township.prefix).first()
    with pytest.raises(CommandError, match="农户不存在或无权访问"):
        run("card", household=household.household_number, user="other", out=str(tmp_path))
