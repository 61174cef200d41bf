"""The indicator pages: the dashboard shows the table's numbers inside the jurisdiction only, every number
opens the households behind it (and they add up to it), the exit checks show every criterion, and the
county administrator's refresh."""

from __future__ import annotations

import re
from decimal import Decimal
from html import escape as html_escape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import resolve, reverse

from jingzhun.analytics import indicators
from jingzhun.analytics.models import IndicatorRefresh, IndicatorValue
from jingzhun.analytics.tests.conftest import YEAR, Figures
from jingzhun.regions.models import Region
from jingzhun.registry.models import Member

pytestmark = pytest.mark.django_db
DASHBOARD = "/analytics/"


def client_for(figures: Figures, name: str) -> Client:
    client = Client()
    client.force_login(figures.users[name])
    return client


CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=|"X-CSRFToken": )"[^"]*"')


def without_tokens(response, path: str) -> str:
    """The body without what differs by construction: CSRF tokens and the requested path."""
    return CSRF.sub(r"\1", response.content.decode()).replace(path.replace("&", "&amp;"), "{path}")


def value(region: Region, code: str, dim: str | None = None) -> Decimal:
    rows = IndicatorValue.objects.filter(region_code=region.code, year=YEAR, code=code)
    if dim is not None:
        rows = rows.filter(dim=dim)
    return sum((r.value for r in rows), Decimal(0))


def card_values(html: str) -> dict[str, Decimal]:
    """data-card → the number shown in the card's headline."""
    found = re.findall(
        r'data-card="(\w+)">.*?<div class="stat-value">(?:<a|<span)[^>]*data-value="([\d.]+)"', html, re.S
    )
    return {key: Decimal(raw) for key, raw in found}


def test_a_county_leader_sees_the_numbers_of_the_table(figures):
    # given the county's indicators were computed
    county = figures.county
    # when the county's leader opens the dashboard (no region chosen: their own)
    response = client_for(figures, "leader").get(DASHBOARD)
    # then every card shows the number the indicator table holds for the county
    assert response.status_code == 200
    assert response.context["region"] == county and response.context["year"] == YEAR
    shown = card_values(response.content.decode())
    assert shown == {
        "registered": value(county, "households_by_status"),
        "remaining": value(county, "remaining_poor_people"),
        "incidence": value(county, "poverty_incidence", ""),
        "monitoring": value(county, "monitoring_by_type"),
        "eliminated": value(county, "elimination_by_mode"),
        "gaps": value(county, "guarantee_gaps"),
        "unpaired": value(county, "helper_coverage", "unpaired"),
        "doubts_open": value(county, "doubts_open_by_rule"),
    }
    assert shown["registered"] > 0 and shown["monitoring"] > 0
    # and the region bar compares its townships with their own rows
    items = response.context["charts"]["regions"]["items"]
    assert {i["code"]: Decimal(str(i["value"])) for i in items if i["value"]} == _township_sums()
    assert "指标更新于" in response.content.decode()


def _township_sums() -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for row in IndicatorValue.objects.filter(level=4, year=YEAR, code="households_by_status"):
        sums[row.region_code] = sums.get(row.region_code, Decimal(0)) + row.value
    return {k: v for k, v in sums.items() if v}


def test_the_dashboard_reads_only_the_indicator_table(figures, django_assert_max_num_queries):
    client = client_for(figures, "leader")
    with django_assert_max_num_queries(14) as queries:
        assert client.get(DASHBOARD, {"region": figures.county.code}).status_code == 200
    touched = " ".join(q["sql"] for q in queries.captured_queries)
    assert "analytics_indicatorvalue" in touched
    assert "registry_" not in touched and "comparison_" not in touched  # never the register itself


def test_an_officer_sees_their_township_and_nothing_outside(figures):
    client = client_for(figures, "officer_b")
    # the default region is their own township; the picker lists it and its villages, nothing above
    page = client.get(DASHBOARD)
    assert page.context["region"] == figures.township_b
    options = re.findall(
        r'<option value="(\d{12})"', page.content.decode().split('id="region"')[1].split("</select>")[0]
    )
    assert options and all(code.startswith(figures.township_b.prefix) for code in options)
    # another township, the county, and a code that does not exist all give the same 404
    for url in (DASHBOARD, "/analytics/exit/", "/analytics/households_by_status/"):
        missing_path = f"{url}?region={figures.township_b.code[:9]}999&year={YEAR}"
        missing = client.get(missing_path)
        assert missing.status_code == 404
        for outside in (figures.township_a, figures.county):
            path = f"{url}?region={outside.code}&year={YEAR}"
            response = client.get(path)
            assert response.status_code == 404, path
            assert without_tokens(response, path) == without_tokens(missing, missing_path)


@pytest.mark.parametrize("role", ["helper", "department"])
def test_helpers_and_departments_see_no_figures(figures, role):
    client = client_for(figures, role)
    village = figures.village_of(figures.township_a)
    for url in (DASHBOARD, "/analytics/exit/", "/analytics/households_by_status/"):
        assert client.get(url).status_code == 404, url
        assert client.get(url, {"region": village.code}).status_code == 404, url
    assert client.post("/analytics/refresh/", {"region": village.code}).status_code == 404
    assert "统计指标" not in client.get("/").content.decode()


def _numbers_on(html: str) -> list[str]:
    return sorted(
        set(re.findall(r'href="(/analytics/(?!exit/)[a-z_]+/\?[^"]+)"', html.replace("&amp;", "&")))
    )


def _check_list(client: Client, url: str) -> int:
    """Open a number's list; its households (or their members, for people) add up to the number."""
    response = client.get(url)
    assert response.status_code == 200, url
    ctx = response.context
    indicator = ctx["indicator"]
    if ctx["multi"]:
        return 0
    if indicator.people:
        assert ctx["people"] == (ctx["numerator"] if indicator.rate else ctx["raw"]), url
        qs = ctx["page"].paginator.object_list
        assert (
            Member.objects.filter(household__in=qs.order_by().values("pk"), left_on__isnull=True).count()
            == ctx["people"]
        )
    else:
        assert ctx["page"].paginator.count == ctx["raw"], url
    assert not ctx["differs"]
    return 1


@pytest.mark.parametrize("level", ["county", "township"])
def test_every_number_opens_the_households_behind_it(figures, level):
    client = client_for(figures, "leader")
    region = figures.county if level == "county" else figures.township_a
    html = client.get(DASHBOARD, {"region": region.code}).content.decode()
    urls = _numbers_on(html)
    assert len(urls) > 15
    checked = sum(_check_list(client, url) for url in urls)
    assert checked > 15
    # a list links each household to its page
    first = client.get(next(u for u in urls if u.startswith("/analytics/households_by_status/")))
    assert re.search(r'href="/registry/\d+/"', first.content.decode())


def test_a_drill_down_list_is_paginated_and_keeps_its_number(figures):
    client = client_for(figures, "leader")
    url = f"/analytics/households_by_status/?region={figures.county.code}&year={YEAR}"
    page1 = client.get(url)
    count = page1.context["page"].paginator.count
    assert count > 50 and len(page1.context["page"].object_list) == 50
    page2 = client.get(url + "&page=2")
    assert page2.context["page"].number == 2 and page2.context["raw"] == page1.context["raw"] == count
    assert "下一页" in page1.content.decode()


def test_a_region_bar_opens_the_child_regions_dashboard_down_to_the_village(figures):
    client = client_for(figures, "leader")
    url = f"{DASHBOARD}?region={figures.county.code}&year={YEAR}"
    for expected_level in (4, 5):
        response = client.get(url)
        item = next(i for i in response.context["charts"]["regions"]["items"] if i["value"])
        url = item["url"]
        child = client.get(url)
        assert child.status_code == 200 and child.context["region"].level == expected_level
        assert child.context["region"].code == item["code"]
    # a village has no region bar, and its numbers still open its households
    assert not child.context["charts"]["regions"]["items"]
    assert sum(_check_list(client, u) for u in _numbers_on(child.content.decode())) > 3


def test_the_region_bar_compares_the_chosen_indicator(figures):
    client = client_for(figures, "leader")
    response = client.get(DASHBOARD, {"indicator": "poverty_incidence"})
    items = response.context["charts"]["regions"]["items"]
    rows = {
        r.region_code: r.value
        for r in IndicatorValue.objects.filter(code="poverty_incidence", level=4, year=YEAR)
    }
    assert {i["code"]: Decimal(str(i["value"])) for i in items} == {
        c: rows.get(c, Decimal(0)) for c in [i["code"] for i in items]
    }
    bad = client.get(DASHBOARD, {"indicator": "nonsense", "year": "abc"})
    assert (
        bad.status_code == 200
        and "已忽略" in bad.content.decode()
        and "已显示建档立卡户数" in bad.content.decode()
    )


def test_unknown_indicators_and_breakdowns_are_404(figures):
    client = client_for(figures, "leader")
    assert client.get("/analytics/no_such_thing/").status_code == 404
    assert client.get("/analytics/households_by_status/", {"dim": "x"}).status_code == 404
    assert client.get("/analytics/exits_by_year/", {"dim": "20x1"}).status_code == 404
    assert client.get("/analytics/remaining_poor_people/", {"dim": "1"}).status_code == 404
    assert client.post("/analytics/households_by_status/").status_code == 405


def test_a_year_without_figures_says_so(figures):
    response = client_for(figures, "leader").get(DASHBOARD, {"year": 2019})
    assert response.status_code == 200 and "2019年还没有计算指标" in response.content.decode()


def test_the_township_exit_check_shows_every_villages_criteria(figures):
    client = client_for(figures, "officer_a")
    response = client.get("/analytics/exit/", {"year": YEAR})
    assert response.status_code == 200
    checks = response.context["checks"]
    villages = list(figures.township_a.children.order_by("code"))
    assert [c.region for c in checks] == villages
    html = response.content.decode()
    for check in checks:
        assert check.evaluation.criteria
        for criterion in check.evaluation.criteria:
            assert f'id="criterion-{check.region.code}-{criterion.code}"' in html
            assert html_escape(criterion.threshold) in html and html_escape(criterion.value) in html
    assert "贫困发生率" in html


def test_the_county_exit_check_shows_the_assessment_rates_as_not_assessed(figures):
    response = client_for(figures, "leader").get(
        "/analytics/exit/", {"region": figures.county.code, "year": YEAR}
    )
    (check,) = response.context["checks"]
    codes = [c.code for c in check.evaluation.criteria]
    assert codes == ["incidence", "wrong_exit_rate", "missed_rate", "approval"]
    html = response.content.decode()
    assert html.count(">未评估<") == 3 * 2  # 实际情况 and 结果 of each rate
    assert check.verdict in {"pending", "failed"}
    assert "综合贫困发生率" in html


def test_the_exit_check_above_a_county_lists_where_to_go(figures):
    response = client_for(figures, "admin").get("/analytics/exit/", {"region": "62"})
    assert response.status_code == 200 and not response.context["checks"]
    assert "请选择县（区）或乡镇" in response.content.decode()


def test_the_county_administrator_refreshes_the_figures(figures):
    admin = client_for(figures, "county_admin")
    page = admin.get(DASHBOARD)
    assert 'id="refresh-button"' in page.content.decode()
    before = (
        IndicatorRefresh.objects.filter(region_code=figures.county.code).order_by("-refreshed_at").first()
    )
    # when the county administrator presses 「刷新指标」 (synchronously in tests)
    response = admin.post("/analytics/refresh/", {"region": figures.township_a.code, "year": YEAR})
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert resolve(target.path).view_name == "analytics:dashboard"
    assert parse_qs(target.query)["region"] == [figures.township_a.code]
    # then this year's figures of the county are recomputed
    from django.utils import timezone

    latest = (
        IndicatorRefresh.objects.filter(region_code=figures.county.code).order_by("-refreshed_at").first()
    )
    assert latest.refreshed_at > before.refreshed_at and latest.year == timezone.localdate().year
    assert admin.get(response["Location"]).context["refreshed_at"] is not None
    # and nobody else may
    for name in ("leader", "officer_a", "auditor"):
        client = client_for(figures, name)
        assert 'id="refresh-button"' not in client.get(DASHBOARD).content.decode()
        assert client.post("/analytics/refresh/", {"region": figures.township_a.code}).status_code == 403
    assert admin.get("/analytics/refresh/").status_code == 405


def test_every_indicator_of_the_catalogue_can_be_opened(figures):
    client = client_for(figures, "admin")
    for indicator in indicators.INDICATORS:
        url = reverse("analytics:households", args=[indicator.code])
        assert client.get(url, {"region": figures.county.code}).status_code == 200, indicator.code


def test_a_running_refresh_is_shown_and_polled_until_done(figures):
    from jingzhun.core import jobs
    from jingzhun.core.models import JobState

    client = client_for(figures, "leader")
    # given a refresh of the county waits for the worker
    job = jobs.start(
        kind="refresh", user=None, title="刷新", params={"prefix": figures.county.prefix}, inline=False
    )
    running = client.get(DASHBOARD)
    html = running.content.decode()
    assert "正在刷新" in html and 'hx-trigger="every 3s"' in html
    assert client.get(DASHBOARD, HTTP_HX_REQUEST="true").get("HX-Refresh") is None
    # when the worker has run it (here, in this process), the polling page reloads once
    assert jobs.run_here(job).state == JobState.SUCCEEDED
    assert client.get(DASHBOARD, HTTP_HX_REQUEST="true")["HX-Refresh"] == "true"
    assert "正在刷新" not in client.get(DASHBOARD).content.decode()


def test_the_figures_are_kept_rendered_until_the_next_refresh(figures):
    from jingzhun.analytics.refresh import refresh_snapshot
    from jingzhun.comparison.snapshot import write_snapshot
    from jingzhun.registry.models import Household

    leader = client_for(figures, "leader")
    path = f"{DASHBOARD}?region={figures.county.code}&year={YEAR}"
    # given a leader opened the county's dashboard
    first = leader.get(path)
    shown = card_values(first.content.decode())["registered"]
    assert shown == value(figures.county, "households_by_status") > 0
    # when another leader opens it, the page is the same, numbers and charts
    again = client_for(figures, "leader").get(path)
    assert without_tokens(again, path) == without_tokens(first, path)
    assert again.context["charts"] == first.context["charts"]
    # when a registered household leaves the register and the county is refreshed
    gone = (
        Household.objects.exclude(poverty_status="")
        .filter(village__code__startswith=figures.county.prefix)
        .first()
    )
    Household.objects.filter(pk=gone.pk).update(poverty_status="")
    import datetime as dt

    refresh_snapshot(write_snapshot(figures.county.prefix), year=YEAR, today=dt.date(YEAR, 11, 30))
    # then the dashboard shows the new number at once
    after = card_values(leader.get(path).content.decode())["registered"]
    assert after == shown - 1 == value(figures.county, "households_by_status")
