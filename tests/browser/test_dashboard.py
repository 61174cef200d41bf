"""Browser journey (issue 5): the county leader opens the dashboard, drills by the region bar from the
county to a township and a village, opens the households behind a number and one household's page, then
downloads the basic statistics table from the dashboard; read back, it holds the numbers the page shows.

The import of the generated county refreshes the indicators itself (the analytics hook, run inside the
request here). Screenshots of the county dashboard on a laptop and on a phone are left in /tmp.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from jingzhun.accounts.choices import Role
from jingzhun.analytics.models import IndicatorValue
from jingzhun.regions.models import Region
from jingzhun.reports.tests.readback import read_xlsx
from jingzhun.testing.county import COUNTY, import_generated_county
from jingzhun.testing.factories import UserFactory
from jingzhun.testing.world import PASSWORD

pytestmark = pytest.mark.browser

SHOTS = "/tmp/jingzhun-dashboard-{}.png"


@pytest.fixture
def county(transactional_db, settings, tmp_path) -> Region:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.JINGZHUN_SYNC_IMPORTS = True  # the hook refreshes the figures when the import commits
    settings.JINGZHUN_AUTO_REFRESH = True
    import_generated_county(tmp_path / "gen", households=200)
    county = Region.objects.get(prefix=COUNTY)
    UserFactory(username="leader", role=Role.LEADER, region=county)
    assert IndicatorValue.objects.filter(region_code=county.code).exists()
    return county


def log_in(page: Page, live_server, username: str) -> None:
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(live_server.url + "/")


def card(page: Page, key: str) -> Decimal:
    return Decimal(page.locator(f'[data-card="{key}"] .stat-value [data-value]').get_attribute("data-value"))


def click_bar(page: Page, code: str) -> None:
    """Click the region's bar in the ECharts region chart (where ECharts itself says the bar is)."""
    chart = page.locator("#chart-regions")
    expect(chart).to_have_attribute("data-drawn", "1")  # the bars have grown to their length
    point = page.evaluate(
        """code => {
        const chart = echarts.getInstanceByDom(document.getElementById('chart-regions'));
        const data = chart.getOption().series[0].data;
        const i = data.findIndex(d => d.code === code);
        return chart.convertToPixel({seriesIndex: 0}, [data[i].value / 2, i]);
    }""",
        code,
    )
    chart.click(position={"x": point[0], "y": point[1]})  # scrolled into view; the point is inside the chart


def biggest_child(page: Page) -> str:
    """The child region with the largest number in the region table (a bar wide enough to click)."""
    rows = page.locator("#region-rows tbody tr")
    values = {
        rows.nth(i).get_attribute("data-code"): Decimal(
            rows.nth(i).locator("[data-value]").get_attribute("data-value")
        )
        for i in range(rows.count())
    }
    return max(values, key=lambda code: values[code])


def test_leader_drills_from_county_to_household_and_downloads_the_report(page, live_server, county):
    # given the county's leader is logged in and opens 统计指标
    log_in(page, live_server, "leader")
    page.locator(".nav-links").get_by_role("link", name="统计指标").click()
    expect(page.locator("h1")).to_contain_text("秦州区统计指标")
    expect(page.locator("#refreshed-at")).to_contain_text("指标更新于")
    registered = card(page, "registered")
    assert registered == sum(
        v.value for v in IndicatorValue.objects.filter(region_code=county.code, code="households_by_status")
    )
    expect(page.locator("#chart-trend canvas")).to_be_visible()
    expect(page.locator("#chart-causes canvas")).to_be_visible()
    page.screenshot(path=SHOTS.format("desktop"), full_page=True)
    numbers = {
        "registered": registered,
        "people": Decimal(
            page.locator('[data-card="registered"] .stat-parts [data-value]').first.get_attribute(
                "data-value"
            )
        ),
        "remaining": card(page, "remaining"),
        "incidence": card(page, "incidence"),
    }
    townships = {
        page.locator(f'#region-rows tr[data-code="{code}"] .row-link').inner_text(): Decimal(
            page.locator(f'#region-rows tr[data-code="{code}"] [data-value]').get_attribute("data-value")
        )
        for code in page.locator("#region-rows tbody tr").evaluate_all("rs => rs.map(r => r.dataset.code)")
    }

    # and downloads the basic statistics table from the dashboard
    with page.expect_download() as download_info:
        page.locator("#report-basic").click()
    report = read_xlsx(open(download_info.value.path(), "rb").read())
    # then the report's 合计 row and its township rows hold the numbers the page shows
    assert "秦州区" in report.title and "基本情况" in report.title
    total = report.rows["合计"]
    assert Decimal(str(total[("建档立卡户数（户）", "合计")])) == numbers["registered"]
    assert Decimal(str(total[("建档立卡人数（人）", "合计")])) == numbers["people"]
    assert Decimal(str(total[("", "剩余贫困人口（人）")])) == numbers["remaining"]
    assert Decimal(str(total[("", "贫困发生率（%）")])).quantize(Decimal("0.01")) == numbers[
        "incidence"
    ].quantize(Decimal("0.01"))
    for name, value in townships.items():
        assert Decimal(str(report.rows[name][("建档立卡户数（户）", "合计")])) == value, name

    # when they click the bar of the largest township
    township = biggest_child(page)
    click_bar(page, township)
    # then that township's dashboard opens
    expect(page).to_have_url(re.compile(rf"region={township}"))
    expect(page.locator("#region-path li")).to_have_count(2)
    # and the bar of its largest village opens the village's
    village = biggest_child(page)
    click_bar(page, village)
    expect(page).to_have_url(re.compile(rf"region={village}"))
    village_name = Region.objects.get(code=village).name
    expect(page.locator("h1")).to_contain_text(village_name)
    expect(page.locator("#regions")).to_have_count(0)  # a village has no region bar

    # when they open the village's 建档立卡户 number
    shown = card(page, "registered")
    page.locator('[data-card="registered"] .stat-value a').click()
    # then the list has exactly that many households, each linking to its page
    expect(page.locator("#list-count")).to_have_text(f"{int(shown):,}")
    expect(page.locator("#household-rows tbody tr")).to_have_count(min(int(shown), 50))
    first = page.locator("#household-rows .row-link").first
    head = first.inner_text()
    first.click()
    expect(page.locator("h1")).to_contain_text(f"{head}户")

    # and on a phone the dashboard fits the screen
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/analytics/?region={county.code}")
    expect(page.locator("#chart-regions canvas")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=SHOTS.format("mobile"), full_page=True)
