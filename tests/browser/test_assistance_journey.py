"""Browser journey: a village officer, on a phone, records the household's new helper and ticks a measure
as carried out, and sees both on the household page and in its change log.

A screenshot of the household page on the phone (375×800) is left in /tmp for a person to look at.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from jingzhun.assistance.models import Measure, Pairing

from .test_household_journey import log_in

pytestmark = pytest.mark.browser

SHOT = "/tmp/jingzhun-assistance-mobile.png"


def test_village_officer_records_a_helper_and_a_measure_on_a_phone(page, live_server, transactional_world):
    household = transactional_world.household_a
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, live_server, "village_officer")
    page.goto(live_server.url + reverse("registry:household_detail", args=[household.pk]))
    section = page.locator("#assistance")
    expect(section).to_contain_text("没有帮扶结对记录。")

    # when she adds the helper the township assigned
    section.get_by_role("link", name="添加帮扶责任人").click()
    page.fill("#id_helper_name", "张建平")
    page.fill("#id_helper_unit", "秦州区农业农村局")
    page.select_option("#id_unit_level", label="县直")
    page.fill("#id_helper_phone", "13909381234")
    page.fill("#id_started_on", "2025-03-01")
    page.get_by_role("button", name="保存").click()

    # then the household page lists the helper in force, with a phone link
    expect(page.locator(".alert-success")).to_contain_text("已添加帮扶责任人")
    row = page.locator("#pairings tbody tr").first
    expect(row).to_contain_text("张建平")
    expect(row).to_contain_text("在帮")
    expect(row.locator("a[href='tel:13909381234']")).to_be_visible()

    # when she records this year's health measure and, after the visit, marks it carried out
    page.locator("#assistance").get_by_role("link", name="添加帮扶措施").click()
    page.select_option("#id_family", label="健康")
    page.fill("#id_note", "家庭医生签约")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#measures")).to_contain_text("未实施")
    page.locator("#measures").get_by_role("link", name="修改").click()
    page.check("#id_implemented")
    page.get_by_role("button", name="保存").click()

    # then the page shows it carried out, the change log has both, and the page fits the phone
    expect(page.locator("#measures")).to_contain_text("已实施")
    expect(page.locator("#change-log")).to_contain_text("张建平")
    expect(page.locator("#change-log")).to_contain_text("家庭医生签约")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=SHOT, full_page=True)
    assert Pairing.objects.get(household=household).helper_phone == "13909381234"
    assert Measure.objects.get(household=household).implemented
