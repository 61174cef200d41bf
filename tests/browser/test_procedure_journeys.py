"""Browser journeys of the procedures (issue 3): one identification (两公示一公告) and one exit (退出),
from the application to the announcement, every step done in the browser by the role allowed to do it,
each role logging in with its own account in its own browser context and logging out afterwards.

Dates are those of the procedures app's own tests (2019, when the national lines shipped in policy
apply; the household's 2018 income decides). No test-only shortcut is needed for the notice periods: the
village page lets the officer choose the posting date (公示开始日期) and each step its date (办理日期), so
the whole case is done "in 2019" through the forms.

Screenshots of a case page and of a notice page are left in /tmp for a person to look at.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin

import pytest
from playwright.sync_api import Page, expect

from jingzhun.core.models import ObjectChange
from jingzhun.procedures.choices import CaseState
from jingzhun.procedures.models import Case, CaseStep
from jingzhun.registry.choices import Attribute, LabourSkill, PovertyStatus
from jingzhun.registry.models import Household
from jingzhun.testing.factories import (
    MEMBER_INSURED,
    YEAR_GUARANTEES_MET,
    HouseholdFactory,
    HouseholdYearFactory,
    MemberFactory,
)
from jingzhun.testing.world import PASSWORD, TOWNSHIP_A

pytestmark = pytest.mark.browser

VILLAGE = TOWNSHIP_A + "201"  # 南山村, the village officer's village
SHOTS = "/tmp/jingzhun-procedure-{}.png"
PHONE = "13919876543"
# A tiny valid PNG: the scanned application form the village officer uploads.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def make_household(world, *, number: str, head: str, income: int, **fields) -> Household:
    """A one-person household of 南山村 with its 2018 data year (the year before the 2019 decisions)."""
    hh = HouseholdFactory(
        village=world.villages[VILLAGE], household_number=number, head_name=head, phone=PHONE, **fields
    )
    MemberFactory(household=hh, name=head, labour_skill=LabourSkill.ORDINARY, **MEMBER_INSURED)
    HouseholdYearFactory(
        household=hh,
        year=2018,
        household_size=1,
        wage_income=income,
        housing_grade="A",
        **YEAR_GUARANTEES_MET,
    )
    return hh


# ---------------------------------------------------------------------------------------------------
# One person at a browser


@contextmanager
def signed_in(browser, live_server, username: str, role: str) -> Iterator[Page]:
    """A fresh browser context for one user: log in, hand over the page, log out with the 退出 button."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("#login-form button[type=submit]")
        expect(page.locator(".nav-user")).to_contain_text(role)
        yield page
        page.locator(".logout-form").get_by_role("button", name="退出").click()
        expect(page.locator("#login-form, .nav-user")).not_to_contain_text(role)
    finally:
        context.close()


def full_shot(page: Page, name: str) -> None:
    """The whole page with a window as tall as the page: a full-page capture of a short window would
    draw the sticky form buttons (.form-actions, bottom: 0) in the middle of the page."""
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 1280, "height": height})
    page.screenshot(path=SHOTS.format(name))
    page.set_viewport_size({"width": 1280, "height": 900})


def open_case_page(page: Page, head: str) -> None:
    """From the menu: 我的待办 → the household's case."""
    page.locator(".nav-links").get_by_role("link", name="我的待办").click()
    page.locator("#queue-rows a", has_text=head).click()
    expect(page.locator("h1")).to_be_visible()


def do_step(
    page: Page,
    name: str,
    on: str,
    *,
    signatures: dict[str, str] | None = None,
    documents: dict[str, str] | None = None,
    uploads: dict[str, Path] | None = None,
) -> None:
    """Fill the case page's next-step form: the day, each signer's name, each document's name or file."""
    form = page.locator("#next-step")
    expect(form.locator("h2")).to_contain_text(f"办理：{name}")
    form.get_by_label("办理日期", exact=True).fill(on)
    for signer, person in (signatures or {}).items():
        form.get_by_label(f"{signer}签字（姓名）").fill(person)
    for label, document in (documents or {}).items():
        form.locator("fieldset", has=page.locator("legend", has_text=label)).locator("input[name^=ev_]").fill(
            document
        )
    for label, path in (uploads or {}).items():
        form.locator("fieldset", has=page.locator("legend", has_text=label)).locator(
            "input[type=file]"
        ).set_input_files(str(path))
    form.get_by_role("button", name="确认办理").click()
    expect(page.locator(".alert-success")).to_contain_text(f"已办理「{name}」")


def post_notice(page: Page, step: str, start_on: str, photo: str) -> str:
    """On the village page (我的待办 → 按村批量办理 → 南山村) post the notice of ``step`` from ``start_on``;
    returns the first day the next step may be done, as the page says."""
    page.locator(".nav-links").get_by_role("link", name="我的待办").click()
    page.get_by_role("link", name="南山村").click()
    expect(page.locator("h1")).to_contain_text("南山村 · 批量办理")
    group = page.locator("section.card", has=page.locator("h2", has_text=step))
    group.get_by_label("公示开始日期").fill(start_on)
    group.get_by_label("张贴照片存档名称（可稍后上传）").fill(photo)
    group.get_by_role("button", name="发布公示").click()
    message = page.locator(".alert-success")
    expect(message).to_contain_text("已发布公示，共 1 户")
    found = re.search(r"(\d{4}-\d{2}-\d{2}) 起可办理下一步", message.inner_text())
    assert found, message.inner_text()
    return found.group(1)


def notice_step(page: Page, head: str, step: str, start_on: str, photo: str) -> str:
    """Post the notice, then, the period over, do the notice step on the case page. Returns its day."""
    end = post_notice(page, step, start_on, photo)
    assert dt.date.fromisoformat(end) == dt.date.fromisoformat(start_on) + dt.timedelta(
        days=7
    )  # 7 days by policy
    open_case_page(page, head)
    do_step(page, step, end)
    return end


def check_uploaded_file(page: Page, name: str) -> str:
    """The document's link on the case page serves the uploaded bytes to the logged-in officer."""
    link = page.locator("#steps a", has_text=name)
    href = link.get_attribute("href")
    assert href
    url = urljoin(page.url, href)
    response = page.request.get(url)
    assert response.status == 200 and response.body() == PNG
    return url


def check_notice_page(page: Page, household: Household) -> None:
    """The notice lists the household by number and name only: no ID number, no phone."""
    notice = page.locator(".jz-notice")
    expect(notice).to_contain_text("现予公告")  # an announcement says so, not 现予公示
    expect(notice).to_contain_text("公告期间")
    expect(notice).not_to_contain_text("拟")  # the announcement states the decision, not a proposal
    expect(notice.locator("tbody tr")).to_have_count(1)
    expect(notice.locator("tbody tr")).to_contain_text(household.household_number)
    expect(notice.locator("tbody tr")).to_contain_text(household.head_name)
    html = page.content()
    member = household.members.get()
    assert member.id_number not in html and PHONE not in html


def check_household_page(page: Page, household: Household, status: str, user: str) -> None:
    """The household's page: the new status, the status event from the case, the case closed, audit lines."""
    page.locator(".sub a", has_text=f"{household.head_name}户").click()
    expect(page.locator("h1")).to_contain_text(f"{household.head_name}户")
    expect(page.locator("#basics")).to_contain_text(status)
    expect(page.locator("#status-history tbody tr").first).to_contain_text(status)
    expect(page.locator("#procedures")).to_contain_text("已办结")
    log = page.locator("#change-log .log > li", has_text="办理步骤记录")
    expect(log.first).to_contain_text(user)


# ---------------------------------------------------------------------------------------------------
# The journeys


def test_identification_from_application_to_announcement(browser, live_server, transactional_world, tmp_path):
    world = transactional_world
    # given an ordinary (not registered) household of 南山村 whose 2018 income is below the 2019 line
    hh = make_household(
        world,
        number=VILLAGE + "990001",
        head="李春生",
        income=1500,
        poverty_status="",
        attribute=Attribute.ORDINARY,
    )
    scan = tmp_path / "李春生申请书.png"
    scan.write_bytes(PNG)

    # the village officer opens the case from the household page, takes the application (with the scanned
    # form and the head's signature), records the villagers' appraisal and posts the first notice
    with signed_in(browser, live_server, "village_officer", "村干部") as page:
        page.goto(f"{live_server.url}/registry/{hh.pk}/")
        page.locator("#procedures").get_by_role("link", name="开案办理").click()
        page.get_by_label("程序类型").select_option(label="贫困户识别")
        page.get_by_label("发现日期").fill("2019-03-01")
        page.get_by_role("button", name="开案").click()
        expect(page.locator(".alert-success")).to_contain_text("已开案：贫困户识别")
        do_step(
            page, "农户申请", "2019-03-02", signatures={"农户（户主）": "李春生"}, uploads={"申请书": scan}
        )
        do_step(
            page,
            "村民代表大会民主评议",
            "2019-03-05",
            signatures={"村两委": "张支书"},
            documents={"民主评议记录": "南山村2019年第2次村民代表大会记录"},
        )
        end = notice_step(page, "李春生", "村内第一次公示", "2019-03-06", "第一次公示张贴照片")

    # the 玉泉镇 officer reviews it
    with signed_in(browser, live_server, "township_officer", "乡镇干部") as page:
        open_case_page(page, "李春生")
        do_step(page, "乡镇审核", "2019-03-15", signatures={"乡镇审核人": "王审核"})

    # the village officer posts the second notice
    with signed_in(browser, live_server, "village_officer", "村干部") as page:
        end = notice_step(page, "李春生", "村内第二次公示（乡镇审核后）", "2019-03-16", "第二次公示张贴照片")

    # the county approves (the criteria are evaluated and shown)
    with signed_in(browser, live_server, "county_admin", "县级管理员") as page:
        open_case_page(page, "李春生")
        do_step(
            page,
            "县级审批",
            "2019-03-25",
            signatures={"县级审批人": "赵县长"},
            documents={"审批文件": "秦扶发〔2019〕12号"},
        )
        expect(page.locator("#steps details").last).to_contain_text("政策标准评估：符合")

    # the village officer announces it: the last step writes the register
    with signed_in(browser, live_server, "village_officer", "村干部") as page:
        end = notice_step(page, "李春生", "村内公告", "2019-03-26", "公告张贴照片")
        expect(page.locator("h1 .badge")).to_have_text("已办结")
        expect(page.locator("#next-step")).to_have_count(0)
        expect(page.locator("#steps .timeline > li")).to_have_count(7)
        full_shot(page, "case")
        # the uploaded application form is linked from its step and opens
        scan_url = check_uploaded_file(page, "李春生申请书")
        # the announcement lists the household without its ID number or phone
        page.locator("#steps a", has_text="公告").last.click()
        expect(page.locator(".page-head h1")).to_contain_text("公告")
        check_notice_page(page, hh)
        full_shot(page, "notice")
        page.go_back()
        check_household_page(page, hh, "未脱贫", "village_officer")

    # the scanned form is not public: the other township's officer gets "not found"
    with signed_in(browser, live_server, "township_b_officer", "乡镇干部") as page:
        assert page.request.get(scan_url).status == 404

    case = Case.objects.get(household=hh)
    assert case.state == CaseState.APPROVED and case.effective_on == dt.date.fromisoformat(end)
    hh.refresh_from_db()
    assert hh.poverty_status == PovertyStatus.NOT_EXITED and hh.attribute == Attribute.GENERAL_POOR
    done = dict(CaseStep.objects.filter(case=case).values_list("step__code", "user_name"))
    assert done == {
        "application": "village_officer",
        "appraisal": "village_officer",
        "first_notice": "village_officer",
        "township_review": "township_officer",
        "second_notice": "village_officer",
        "county_approval": "county_admin",
        "announcement": "village_officer",
    }
    assert ObjectChange.objects.filter(object_type="procedures.casestep").count() == 7


def test_exit_with_the_households_agreement(browser, live_server, transactional_world):
    world = transactional_world
    # given a registered poor household (未脱贫 since 2014) of 南山村 whose 2018 income is above the line
    hh = make_household(
        world,
        number=VILLAGE + "990002",
        head="马有福",
        income=5000,
        poverty_status=PovertyStatus.NOT_EXITED,
        attribute=Attribute.GENERAL_POOR,
        first_identified_on=dt.date(2014, 10, 1),
    )

    # the village committee proposes it, verifies it with the work team, the household signs its agreement,
    # and the village officer posts the village notice
    with signed_in(browser, live_server, "village_officer", "村干部") as page:
        page.goto(f"{live_server.url}/registry/{hh.pk}/")
        page.locator("#procedures").get_by_role("link", name="开案办理").click()
        page.get_by_label("程序类型").select_option(label="贫困户退出")
        page.get_by_label("发现日期").fill("2019-09-01")
        page.get_by_role("button", name="开案").click()
        expect(page.locator(".alert-success")).to_contain_text("已开案：贫困户退出")
        do_step(
            page,
            "村两委民主评议后提出",
            "2019-09-02",
            signatures={"村两委": "张支书"},
            documents={"民主评议记录": "南山村2019年第5次村两委会议记录"},
        )
        do_step(
            page,
            "村两委和驻村工作队核实",
            "2019-09-04",
            signatures={"村两委": "张支书", "驻村工作队": "刘队长"},
            documents={"入户核实记录": "马有福户核实表"},
        )
        expect(page.locator("#steps details").last).to_contain_text("政策标准评估：符合")
        # the household's own signature is required: without it the step is refused, naming what is missing
        form = page.locator("#next-step")
        form.locator("fieldset", has=page.locator("legend", has_text="脱贫户验收表")).locator(
            "input[name^=ev_]"
        ).fill("马有福户脱贫验收表")
        form.get_by_label("办理日期", exact=True).fill("2019-09-05")
        form.get_by_role("button", name="确认办理").click()
        expect(page.locator("#form-error")).to_contain_text("缺少签字：农户（户主）1人")
        full_shot(page, "case-form")
        do_step(
            page,
            "农户认可签字",
            "2019-09-05",
            signatures={"农户（户主）": "马有福"},
            documents={"脱贫户验收表": "马有福户脱贫验收表"},
        )
        notice_step(page, "马有福", "村内公示", "2019-09-06", "退出公示张贴照片")

    # the county approves the exit
    with signed_in(browser, live_server, "county_admin", "县级管理员") as page:
        open_case_page(page, "马有福")
        do_step(
            page,
            "批准退出",
            "2019-09-16",
            signatures={"县级审批人": "赵县长"},
            documents={"审批文件": "秦扶发〔2019〕30号"},
        )

    # the village officer announces it
    with signed_in(browser, live_server, "village_officer", "村干部") as page:
        notice_step(page, "马有福", "公告退出", "2019-09-17", "退出公告张贴照片")

    # and the county strikes it off (销号): the register says 已脱贫
    with signed_in(browser, live_server, "county_admin", "县级管理员") as page:
        open_case_page(page, "马有福")
        do_step(page, "销号", "2019-09-25", signatures={"县级审批人": "赵县长"})
        expect(page.locator("h1 .badge")).to_have_text("已办结")
        expect(page.locator("#steps .timeline > li").nth(2)).to_contain_text("农户（户主） 马有福")
        page.locator("#steps a", has_text="公告").last.click()
        check_notice_page(page, hh)
        page.go_back()
        check_household_page(page, hh, "已脱贫(享受政策)", "county_admin")

    hh.refresh_from_db()
    assert hh.poverty_status == PovertyStatus.EXITED_ENJOYING and hh.exit_year == 2019
    case = Case.objects.get(household=hh)
    assert case.state == CaseState.APPROVED and case.effective_on == dt.date(2019, 9, 25)
    agreement = CaseStep.objects.get(case=case, step__code="household_agreement")
    assert agreement.signatures[0]["signer"] == "household" and agreement.signatures[0]["name"] == "马有福"
    assert ObjectChange.objects.filter(object_type="procedures.casestep").count() == 7
