"""Browser journey: the township officer finds a household, corrects its phone number, sees the change log.

Screenshots of the household page on a laptop and on a phone (375×800) are left in /tmp for a person to
look at; the test itself checks that nothing overflows the phone's width and that the menu collapses.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from jingzhun.testing.world import PASSWORD

pytestmark = pytest.mark.browser

SHOTS = "/tmp/jingzhun-household-{}.png"


def log_in(page, live_server, username: str) -> None:
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(live_server.url + "/")


def test_officer_corrects_a_phone_number(page, live_server, transactional_world):
    world = transactional_world
    household = world.household_a
    # given the 玉泉镇 officer is logged in
    log_in(page, live_server, "township_officer")
    expect(page.locator(".nav-user")).to_contain_text("乡镇干部")
    expect(page.locator(".nav-user")).to_contain_text("玉泉镇")

    # when she searches the household by the head's name (live search, no submit)
    page.locator(".nav-links").get_by_role("link", name="农户查询").click()
    expect(page.locator("#result-count")).to_contain_text("共 2 户")
    page.fill("#q", household.head_name)
    expect(page.locator("#result-count")).to_contain_text("共 1 户")
    expect(page).to_have_url(re.compile(r"q="))  # htmx pushed the query into the address bar

    # and opens it
    page.locator("#household-rows a", has_text=household.head_name).click()
    expect(page.locator("h1")).to_contain_text(f"{household.head_name}户")

    # and changes the phone number
    page.get_by_role("link", name="修改基本信息").click()
    page.fill("#id_phone", "13912345678")
    page.get_by_role("button", name="保存").click()

    # then the household page says so and the change log shows the new value
    expect(page.locator(".alert-success")).to_contain_text("农户信息已保存")
    log = page.locator("#change-log .log > li").first
    expect(log).to_contain_text("township_officer")
    expect(log).to_contain_text("修改")
    expect(log).to_contain_text("联系电话")
    expect(log.locator(".after")).to_contain_text("13912345678")
    page.screenshot(path=SHOTS.format("desktop"), full_page=True)

    # and on a phone the page fits the screen and the menu folds away
    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    expect(page.locator(".nav-links")).to_be_hidden()
    page.locator(".nav-toggle-label").click()
    expect(page.locator(".nav-links")).to_be_visible()
    page.locator(".nav-toggle-label").click()
    page.screenshot(path=SHOTS.format("mobile"), full_page=True)
    box = page.get_by_role("link", name="修改基本信息").bounding_box()
    assert box is not None and box["height"] >= 40  # a finger-sized target
