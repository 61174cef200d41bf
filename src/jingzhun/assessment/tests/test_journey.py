"""Browser journey: a county administrator draws a sample, downloads a village's list, enters a result on a
phone, and reads the estimates. Screenshots are left in /tmp for a person to look at."""

from __future__ import annotations

import io

import openpyxl
import pytest
from playwright.sync_api import expect

from jingzhun.accounts.choices import Role
from jingzhun.assessment import selectors
from jingzhun.assessment.models import Survey
from jingzhun.regions.models import Region
from jingzhun.testing.county import import_generated_county
from jingzhun.testing.factories import UserFactory
from jingzhun.testing.fixtures import reseed_reference_data
from jingzhun.testing.world import PASSWORD

pytestmark = pytest.mark.browser
SHOTS = "/tmp/jingzhun-assessment-{}.png"


def test_county_admin_draws_prints_enters_and_reads(page, live_server, transactional_db, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    reseed_reference_data()
    import_generated_county(tmp_path / "gen", households=300)
    UserFactory(username="county_admin", role=Role.COUNTY_ADMIN, region=Region.objects.get(prefix="620502"))
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", "county_admin")
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")

    # when she draws a sample from the form
    page.locator(".nav-links").get_by_role("link", name="评估调查").click()
    page.click("#new-survey")
    page.fill("#id_seed", "20171101")
    page.fill("#id_poor", "3")
    page.fill("#id_non_poor", "2")
    page.get_by_role("button", name="抽取样本").click()
    expect(page.locator("#seed")).to_have_text("20171101")
    survey = Survey.objects.get()
    page.screenshot(path=SHOTS.format("survey"), full_page=True)

    # and opens the first village and downloads its list
    page.locator("#villages a.row-link").first.click()
    with page.expect_download() as download:
        page.click("#list-xlsx")
    book = openpyxl.load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    village = survey.villages.order_by("order").first()
    names = [row[2].value for row in book.active.iter_rows(min_row=4, max_row=3 + village.households.count())]
    assert names == list(village.households.order_by("order").values_list("head_name", flat=True))

    # then on a phone she enters the first household's result
    page.set_viewport_size({"width": 375, "height": 800})
    page.locator("#households a.row-link").first.click()
    first = village.households.order_by("order").first()
    page.fill("#id_interviewers", "评估员甲、评估员乙")
    page.locator("#id_approves_0").check()
    if first.exited:
        page.locator("#id_wrongly_exited_1").check()
    if first.non_registered:
        page.locator("#id_missed_1").check()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=SHOTS.format("interview-mobile"), full_page=True)
    box = page.locator("label:has(#id_approves_0)").bounding_box()
    assert box is not None and box["height"] >= 40  # a finger-sized answer
    page.get_by_role("button", name="保存，下一户").click()
    expect(page.locator(".alert-success")).to_contain_text(f"已保存{first.head_name}户的调查结果")

    # and the estimates page shows what the selectors compute
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + f"/assessment/surveys/{survey.pk}/estimates/")
    figures = selectors.survey_estimates(survey)
    expect(page.locator("#figure-approval")).to_contain_text(figures.approval.value_text)
    expect(page.locator("#figure-approval")).to_contain_text(figures.approval.interval_text)
    expect(page.locator("#criterion-approval")).to_be_visible()
    page.screenshot(path=SHOTS.format("estimates"), full_page=True)
