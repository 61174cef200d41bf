"""The four statistics tables on a generated, refreshed county: each in .xlsx and PDF, read back, shows
the indicator values (the dashboard's numbers), and its 合计 row is the parent region's own values."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from openpyxl.utils import get_column_letter

from jingzhun.analytics import indicators
from jingzhun.analytics.models import IndicatorValue
from jingzhun.analytics.refresh import DECISIONS
from jingzhun.comparison.models import Doubt, DoubtState, Rule
from jingzhun.core.errors import NotFoundOrForbidden
from jingzhun.regions.models import Region
from jingzhun.reports import exports, statistics
from jingzhun.reports.selectors import NoIndicators
from jingzhun.reports.tests.conftest import YEAR
from jingzhun.reports.tests.readback import pdf_text, read_xlsx

pytestmark = pytest.mark.django_db


def iv(region: Region, code: str, dim: str = "") -> IndicatorValue | None:
    return IndicatorValue.objects.filter(region_code=region.code, year=YEAR, code=code, dim=dim).first()


def n(region: Region, code: str, dim: str = "") -> int:
    row = iv(region, code, dim)
    return int(row.value) if row else 0


def dims_total(region: Region, code: str) -> int:
    return sum(
        int(v)
        for v in IndicatorValue.objects.filter(region_code=region.code, year=YEAR, code=code).values_list(
            "value", flat=True
        )
    )


def expected_region_row(kind: str, region: Region) -> dict[tuple[str, str], object]:
    """What a row must show, straight from IndicatorValue (independent of statistics.py's getters)."""
    out: dict[tuple[str, str], object] = {}
    if kind == "basic":
        for code, group in (
            ("households_by_status", "建档立卡户数（户）"),
            ("people_by_status", "建档立卡人数（人）"),
        ):
            out[(group, "合计")] = dims_total(region, code)
            out.update({(group, label): n(region, code, dim) for dim, label in indicators.STATUS.items()})
        incidence = iv(region, "poverty_incidence")
        assert incidence is not None
        out[("", "剩余贫困人口（人）")] = n(region, "remaining_poor_people")
        out[("", "农村户籍人口（人）")] = incidence.denominator
        out[("", "贫困发生率（%）")] = float(incidence.value)
    elif kind == "causes":
        whole = dims_total(region, "households_by_cause")
        out[("", "合计（户）")] = whole
        for dim, label in indicators.CAUSE.items():
            part = n(region, "households_by_cause", dim)
            out[(label, "户数")] = part
            out[(label, "占比%")] = round(part * 100 / whole, 2) if whole else 0
    elif kind == "monitoring":
        out[("风险未消除监测对象（户）", "合计")] = dims_total(region, "monitoring_by_type")
        out.update(
            {
                ("风险未消除监测对象（户）", label): n(region, "monitoring_by_type", dim)
                for dim, label in indicators.MONITORING.items()
            }
        )
        group = "按风险类型（户次，一户多种风险各计一次）"
        out.update(
            {(group, label): n(region, "monitoring_by_risk", dim) for dim, label in indicators.RISK.items()}
        )
        out[("风险已消除（户）", "合计")] = dims_total(region, "elimination_by_mode")
        out.update(
            {
                ("风险已消除（户）", label): n(region, "elimination_by_mode", dim)
                for dim, label in indicators.ELIMINATION.items()
            }
        )
        out.update(
            {
                ("识别认定办结情况（件）", label): n(region, "monitoring_decisions", dim)
                for dim, label in DECISIONS.items()
            }
        )
    return out


def check_xlsx(data: bytes, table, region: Region) -> None:
    read = read_xlsx(data)
    assert read.title == table.title == f"{region.name}{YEAR}年{table.name}"
    assert read.unit_line.startswith("填报单位：") and read.as_of_line.startswith("数据截至：")
    ws = read.sheet
    assert ws.freeze_panes == f"{'B' if table.label_columns == 1 else 'C'}{3 + table.heading_rows}"
    assert ws.page_setup.orientation == "landscape" and str(ws.page_setup.paperSize) == "9"
    assert ws.print_title_rows == f"$3:${2 + table.heading_rows}"
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert f"A1:{get_column_letter(len(table.columns))}1" in merged
    assert ws.cell(5, 2).border.left.style == "thin"
    if table.kind == "doubts":
        check_doubts(read, region)
        return
    children = list(region.children.order_by("code")) or [region]
    assert list(read.rows) == [c.name for c in children] + ["合计"]
    for child in children:
        assert read.rows[child.name] == {
            ("", read.headings[0][1]): child.name,
            **expected_region_row(table.kind, child),
        }
    # the 合计 row is the parent's own indicator values …
    total = read.rows["合计"]
    assert total == {("", read.headings[0][1]): "合计", **expected_region_row(table.kind, region)}
    # … which, for the counts, is the sum of the rows above it
    for heading, value in total.items():
        if isinstance(value, int) and "占比" not in heading[1]:
            assert value == sum(read.rows[c.name][heading] for c in children), heading


def check_doubts(read, region: Region) -> None:
    # independently of the indicator table: the doubts themselves
    states: Counter[tuple[str, str]] = Counter()
    for rule, state in Doubt.objects.filter(village__code__startswith=region.prefix).values_list(
        "rule__code", "state"
    ):
        states[(rule, "confirmed" if state == DoubtState.RESOLVED else state)] += 1
    assert set(read.rows) == set(Rule.objects.values_list("code", flat=True)) | {"合计"}
    for rule, row in read.rows.items():
        if rule == "合计":
            continue
        opened, confirmed, rejected = (states[(rule, s)] for s in ("open", "confirmed", "rejected"))
        assert (row[("", "待核实")], row[("已核实", "属实（含已整改）")], row[("已核实", "不属实")]) == (
            opened,
            confirmed,
            rejected,
        ), rule
        assert (opened, confirmed, rejected) == (
            n(region, "doubts_open_by_rule", rule),
            n(region, "doubts_confirmed_by_rule", rule),
            n(region, "doubts_rejected_by_rule", rule),
        )
        assert row[("", "疑点总数")] == opened + confirmed + rejected
    total = read.rows["合计"]
    assert total[("", "疑点总数")] == sum(states.values()) == Doubt.objects.count() > 0
    assert total[("", "待核实")] == dims_total(region, "doubts_open_by_rule")


def test_each_table_in_both_formats_shows_the_indicator_values(county):
    # given a county officer's leader and the refreshed county
    leader = county.users["leader"]
    for kind in statistics.DEFINITIONS:
        # when the table is made as .xlsx and as PDF
        xlsx = exports.report_file(leader, kind=kind, region=county.region.code, year=YEAR, fmt="xlsx")
        pdf = exports.report_file(leader, kind=kind, region=county.region.code, year=YEAR, fmt="pdf")
        # then the workbook, read back, shows the indicator values, and the 合计 row the county's own
        assert xlsx.name == f"{xlsx.table.title}.xlsx" and xlsx.data[:2] == b"PK"
        check_xlsx(xlsx.data, xlsx.table, county.region)
        # and the PDF has the title, the unit line and the 合计 row's numbers, headings on every page
        pages = pdf_text(pdf.data)
        text = "".join(pages)
        assert pdf.data[:5] == b"%PDF-" and pdf.table.title in pages[0]
        assert "填报单位：" in text and "数据截至：" in text and "合计" in text
        header = pdf.table.columns[-1].label
        for page in pages:
            if any(str(row.cells[0]) in page for row in pdf.table.rows[:-1]):
                assert header in page, kind
        total = "".join(
            str(c) if isinstance(c, str) else (f"{c:.2f}" if isinstance(c, Decimal) else f"{c:,}")
            for c in pdf.table.total.cells
        )
        assert total in text, kind


def test_a_townships_table_lists_its_villages_and_sums_to_the_township(county):
    officer = county.users["township_officer"]
    report = exports.report_file(officer, kind="basic", region=county.township.code, fmt="xlsx")
    assert report.table.year == YEAR  # the latest year with figures
    check_xlsx(report.data, report.table, county.township)
    village = county.township.children.order_by("code").first()
    village_report = exports.report_file(officer, kind="causes", region=village.code, fmt="xlsx")
    check_xlsx(village_report.data, village_report.table, village)


def test_reports_are_restricted_like_the_dashboard(county):
    other, helper = county.users["other_officer"], county.users["helper"]
    # another township's officer: the county and this township are answered like a missing region
    for region in (county.region.code, county.township.code, "620502999999"):
        with pytest.raises(NotFoundOrForbidden):
            statistics.build(other, "basic", region)
    # a helper sees no figures at all, not even of their own region
    with pytest.raises(NotFoundOrForbidden):
        statistics.build(helper, "basic", county.region.code)
    # own township: fine
    assert (
        statistics.build(other, "monitoring", county.other_township.code).region_code
        == county.other_township.code
    )


def test_a_year_without_figures_is_said_in_chinese(county):
    with pytest.raises(NoIndicators, match="2019年尚无统计指标数据"):
        statistics.build(county.users["leader"], "basic", county.region.code, 2019)
