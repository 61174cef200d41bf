"""The reports page and downloads: the file is the table the selectors give, and a region or household
outside the user's reach is a 404 exactly like a missing one."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from jingzhun.registry.models import Household
from jingzhun.reports.tests.conftest import YEAR
from jingzhun.reports.tests.readback import pdf_text, read_xlsx

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# What differs by construction: CSRF tokens, and the requested path in the language form's "next".
VARYING = re.compile(rb'(name="csrfmiddlewaretoken" value=|"X-CSRFToken": |name="next" value=)"[^"]*"')


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def page(response) -> bytes:
    """The body without what differs by construction."""
    return VARYING.sub(rb"\1", response.content)


def test_the_page_lists_each_report_with_its_download_links(client, county):
    client.force_login(county.users["leader"])
    response = client.get(reverse("reports:index"), {"region": county.township.code})
    assert response.status_code == 200
    html = response.content.decode()
    assert f"{county.township.name}{YEAR}年建档立卡户和人口基本情况表" in html
    for kind in ("basic", "causes", "monitoring", "doubts"):
        assert f'data-report="{kind}"' in html
        assert (
            f"{reverse(f'reports:{kind}')}?region={county.township.code}&amp;year={YEAR}&amp;format=pdf"
            in html
        )
    assert 'id="card-lookup"' in html  # a leader reads households: they may print cards


def test_a_download_is_the_table_of_the_chosen_region_and_year(client, county):
    client.force_login(county.users["township_officer"])
    # no region: the officer's own township
    response = client.get(reverse("reports:basic"), {"year": YEAR, "format": "xlsx"})
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    read = read_xlsx(body(response))
    assert read.title == f"{county.township.name}{YEAR}年建档立卡户和人口基本情况表"
    assert list(read.rows)[-1] == "合计"
    response = client.get(reverse("reports:doubts"), {"region": county.township.code, "format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f"{county.township.name}{YEAR}年疑点核实情况表" in pdf_text(body(response))[0]


def test_bad_year_format_or_a_year_without_figures_is_said_on_the_page(client, county):
    client.force_login(county.users["leader"])
    url = reverse("reports:causes")
    for params, message in (
        ({"year": "20x6"}, "年度应为四位数字"),
        ({"format": "docx"}, "报表格式应为 xlsx 或 pdf"),
        ({"year": "2019"}, "2019年尚无统计指标数据"),
    ):
        response = client.get(url, {"region": county.region.code, **params})
        assert response.status_code == 422, params
        assert message in response.content.decode()


def test_outsiders_get_the_404_of_a_missing_region_or_household(client, county):
    inside = Household.objects.filter(village__code__startswith=county.township.prefix).first()
    for role in ("other_officer", "helper"):
        client.force_login(county.users[role])
        for name in ("reports:basic", "reports:index"):
            got = client.get(reverse(name), {"region": county.township.code, "format": "xlsx"})
            missing = client.get(
                reverse(name), {"region": county.township.code[:9] + "999", "format": "xlsx"}
            )
            assert got.status_code == missing.status_code == 404, (role, name)
            assert page(got) == page(missing)
        got = client.get(reverse("reports:card", kwargs={"pk": inside.pk}))
        missing = client.get(reverse("reports:card", kwargs={"pk": 10**9}))
        assert got.status_code == missing.status_code == 404 and page(got) == page(missing)
        assert (
            client.get(reverse("reports:card_lookup"), {"household": inside.household_number}).status_code
            == 404
        )


def test_the_card_prints_for_whoever_sees_the_household(client, county):
    inside = Household.objects.filter(village__code__startswith=county.township.prefix).first()
    client.force_login(county.users["township_officer"])
    lookup = client.get(reverse("reports:card_lookup"), {"household": inside.household_number})
    assert lookup.status_code == 302 and lookup["Location"] == reverse(
        "reports:card", kwargs={"pk": inside.pk}
    )
    response = client.get(lookup["Location"])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "inline" in response["Content-Disposition"]
    assert inside.household_number in "".join(pdf_text(body(response)))
    assert client.post(lookup["Location"]).status_code == 405


def test_a_region_never_refreshed_says_so_and_helpers_see_no_reports(client, world):
    client.force_login(world.users["county_admin"])
    response = client.get(reverse("reports:index"))
    assert response.status_code == 200
    assert "该地区尚无统计指标数据" in response.content.decode()
    assert client.get(reverse("reports:basic")).status_code == 422  # no figures yet: said on the page
    client.force_login(world.users["helper"])
    assert client.get(reverse("reports:index")).status_code == 404
