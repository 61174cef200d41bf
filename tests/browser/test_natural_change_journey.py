"""Browser journey of a natural change (issue 14): a death reported by the village, reviewed by the township and
approved by the county removes the member from the household from the day of the death; the household's
as-of view on the day before still shows the member, and the member is listed as left with the reason.

The household was registered in January 2024 (its audit lines carry that time, as if typed in then); the death
on 2024-02-20 is reported on 2024-03-01 and approved a few days later, every step in the browser by its role.
"""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from playwright.sync_api import expect

from jingzhun.core.audit import Actor
from jingzhun.procedures.choices import CaseState
from jingzhun.procedures.models import Case
from jingzhun.registry import services as registry_services
from jingzhun.registry.choices import LeaveReason, Relation
from jingzhun.registry.models import Household
from jingzhun.testing.factories import next_id
from jingzhun.testing.world import TOWNSHIP_A
from tests.browser.test_procedure_journeys import do_step, full_shot, open_case_page, signed_in

pytestmark = pytest.mark.browser

VILLAGE = TOWNSHIP_A + "201"  # 南山村, the village officer's village
REGISTERED = dt.datetime(2024, 1, 5, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def registered_family(world) -> Household:
    """王建国户 (户主, 配偶, 之子 王小军), entered through the registry's services on 2024-01-05."""
    actor = Actor.of(world.users["village_officer"])
    with mock.patch("django.utils.timezone.now", return_value=REGISTERED):
        hh = registry_services.create_household(
            actor=actor,
            village=world.villages[VILLAGE],
            household_number=VILLAGE + "880001",
            head_name="王建国",
        )
        for name, relation, birth, male in (
            ("王建国", Relation.HEAD, dt.date(1968, 3, 2), True),
            ("李秀英", Relation.SPOUSE, dt.date(1970, 7, 9), False),
            ("王小军", Relation.SON, dt.date(1995, 11, 20), True),
        ):
            registry_services.add_member(
                actor=actor,
                household=hh,
                expected_version=hh.version,
                person_number=registry_services.next_person_number(hh),
                data={"name": name, "relation": relation, "id_number": next_id(birth=birth, male=male)},
            )
    return hh


def test_a_death_approved_as_a_natural_change(browser, live_server, transactional_world):
    world = transactional_world
    hh = registered_family(world)
    son = hh.members.get(name="王小军")

    # the village officer opens the case from the household page: 自然变更, 死亡, picks 王小军 from the
    # members the form shows for a death, and reports it with the death certificate
    with signed_in(browser, live_server, "village_officer", "村干部") as page:
        page.goto(f"{live_server.url}/registry/{hh.pk}/")
        page.locator("#procedures").get_by_role("link", name="开案办理").click()
        page.get_by_label("程序类型").select_option(label="自然变更")
        page.get_by_label("发现日期").fill("2024-03-01")
        page.get_by_label("变更类型").select_option(label="死亡")
        page.get_by_role("checkbox", name="王小军").check()  # the member list is loaded for the change chosen
        page.get_by_label("变更日期").fill("2024-02-20")
        page.get_by_label("变更说明").fill("王小军因病去世，有死亡医学证明")
        page.get_by_role("button", name="开案").click()
        expect(page.locator(".alert-success")).to_contain_text("已开案：自然变更")
        plan = page.locator("#natural-change")
        expect(plan).to_contain_text("办结后将登记的变更")
        expect(plan).to_contain_text("减员：王小军，自 2024-02-20 起不再是本户成员（减少原因：死亡）")
        assert son.id_number not in page.content()
        do_step(
            page,
            "村级上报",
            "2024-03-01",
            signatures={"村两委": "张支书"},
            documents={"变更证明材料": "王小军死亡医学证明"},
        )

    # the township reviews, the county approves
    with signed_in(browser, live_server, "township_officer", "乡镇干部") as page:
        open_case_page(page, "王建国")
        do_step(page, "乡镇审核", "2024-03-04", signatures={"乡镇审核人": "王审核"})
    with signed_in(browser, live_server, "county_admin", "县级管理员") as page:
        open_case_page(page, "王建国")
        do_step(page, "县级审批", "2024-03-06", signatures={"县级审批人": "刘县长"})
        expect(page.locator("#natural-change")).to_contain_text("已登记的变更")
        expect(page.locator("#natural-change")).to_contain_text("王小军已于 2024-02-20 减员（死亡）")
        full_shot(page, "natural-change-case")

        # the household page: 王小军 is no longer a member; he is listed as left, from the day of the death
        page.locator(".sub a", has_text="王建国户").click()
        current = page.locator("#members > .card-body table tbody")
        expect(page.locator("#members .card-head")).to_contain_text("2 人")
        expect(current).to_contain_text("李秀英")
        expect(current).not_to_contain_text("王小军")
        left = page.locator("#left-members")
        left.locator("summary").click()
        expect(left).to_contain_text("王小军")
        expect(left).to_contain_text("死亡")
        expect(left).to_contain_text("2024-02-20")

        # as of the day before the death he is still a member; as of the day of the death he is not
        page.get_by_label("日期", exact=True).fill("2024-02-19")
        page.get_by_role("button", name="查看", exact=True).click()
        panel = page.locator("#as-of-panel")
        expect(panel).to_contain_text("王小军")
        expect(panel).to_contain_text("王建国")
        page.get_by_label("日期", exact=True).fill("2024-02-20")
        page.get_by_role("button", name="查看", exact=True).click()
        expect(page.locator("#as-of-panel")).to_contain_text("李秀英")
        expect(page.locator("#as-of-panel")).not_to_contain_text("王小军")
        full_shot(page, "natural-change-household")

    case = Case.objects.get(household=hh)
    son.refresh_from_db()
    assert case.state == CaseState.APPROVED
    assert son.left_on == dt.date(2024, 2, 20) and son.leave_reason == LeaveReason.DEATH
