"""Natural changes (自然变更) that change the register: each change type carried to approval, the register, its
audit lines and the as-of view before and after the event; refusals when the register moved on meanwhile."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from jingzhun.core import audit
from jingzhun.core.audit import Actor, object_type
from jingzhun.core.errors import ValidationFailed
from jingzhun.core.models import ObjectChange
from jingzhun.procedures import services
from jingzhun.procedures.choices import CaseState
from jingzhun.procedures.models import Case
from jingzhun.procedures.tests import helpers
from jingzhun.procedures.tests.conftest import VILLAGE_A
from jingzhun.registry.choices import LeaveReason, Relation
from jingzhun.registry.models import Household, Member, StatusEvent
from jingzhun.registry.selectors import household_as_of
from jingzhun.testing.factories import HouseholdFactory, MemberFactory, next_id

START = dt.date(2024, 3, 1)
EVENT = dt.date(2024, 2, 20)


def family(world: Any, number: str = "620502101201000001") -> Household:
    """户主 王建国, 配偶 李秀英, 之子 王小军 (18), of 南山村."""
    hh = HouseholdFactory.create(
        village=world.villages[VILLAGE_A], household_number=number, head_name="王建国"
    )
    MemberFactory(household=hh, name="王建国", relation=Relation.HEAD, person_number=f"{number}01")
    MemberFactory(
        household=hh,
        name="李秀英",
        relation=Relation.SPOUSE,
        person_number=f"{number}02",
        id_number=next_id(male=False),
    )
    MemberFactory(
        household=hh,
        name="王小军",
        relation=Relation.SON,
        person_number=f"{number}03",
        id_number=next_id(birth=dt.date(2006, 1, 3)),
    )
    return hh


def member(hh: Household, name: str) -> Member:
    return hh.members.get(name=name, left_on__isnull=True)


def approve(world: Any, hh: Household, change: str, **params: Any) -> Case:
    case = helpers.open_case(
        world,
        hh,
        "natural_change",
        START,
        change=change,
        event_on=EVENT.isoformat(),
        note="村委会证明",
        **params,
    )
    helpers.run_through(world, case, START)
    case.refresh_from_db()
    return case


def active(hh: Household) -> set[str]:
    return set(hh.members.filter(left_on__isnull=True).values_list("name", flat=True))


def as_of_names(hh: Household, day: dt.date) -> set[str]:
    at = dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)
    return {m["name"] for m in household_as_of(hh, at).members}


def test_death_leaves_the_member_from_the_event_date_audited(world):
    hh = family(world)
    son = member(hh, "王小军")
    case = approve(world, hh, "death", members=[son.pk])
    assert case.state == CaseState.APPROVED
    son.refresh_from_db()
    assert son.left_on == EVENT and son.leave_reason == LeaveReason.DEATH
    assert active(hh) == {"王建国", "李秀英"}
    line = ObjectChange.objects.filter(object_type=object_type(Member), object_id=str(son.pk)).get()
    assert line.before["left_on"] is None and line.after["left_on"] == EVENT.isoformat()
    assert line.user_name == "county_admin" and line.root_id == str(hh.pk)
    assert any("王小军已于 2024-02-20 减员" in line for line in case.params["applied"])


def recorded_in_january(hh: Household) -> None:
    """The household as the register recorded it before the event (audit lines dated back)."""
    at = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    ObjectChange.objects.create(
        time=at,
        user_name="导入",
        action="create",
        object_type=object_type(Household),
        object_id=str(hh.pk),
        object_repr=hh.head_name,
        root_type=object_type(Household),
        root_id=str(hh.pk),
        after=audit.snapshot(hh),
    )
    for m in hh.members.all():
        ObjectChange.objects.create(
            time=at,
            user_name="导入",
            action="create",
            object_type=object_type(Member),
            object_id=str(m.pk),
            object_repr=m.name,
            root_type=object_type(Household),
            root_id=str(hh.pk),
            after=audit.snapshot(m),
        )


def test_as_of_counts_a_birth_from_the_birth_date(world):
    hh = family(world)
    recorded_in_january(hh)
    approve(
        world,
        hh,
        "birth",
        new_member={
            "name": "王小花",
            "id_number": helpers.born_on(EVENT, male=False),
            "relation": Relation.GRANDDAUGHTER,
        },
    )
    assert "王小花" not in as_of_names(hh, EVENT - dt.timedelta(days=1))
    assert "王小花" in as_of_names(hh, EVENT)


def test_a_leave_before_the_member_joined_is_refused(world):
    hh = family(world)
    son = member(hh, "王小军")
    Member.objects.filter(pk=son.pk).update(joined_on=dt.date(2024, 3, 1))
    with pytest.raises(ValidationFailed, match="早于王小军成为本户成员的日期 2024-03-01"):
        helpers.open_case(
            world,
            hh,
            "natural_change",
            START,
            change="death",
            event_on=EVENT.isoformat(),
            note="x",
            members=[son.pk],
        )


def test_as_of_before_the_event_shows_the_member_and_after_does_not(world):
    hh = family(world)
    son = member(hh, "王小军")
    # the household as the register recorded it before the event (audit lines dated back)
    ObjectChange.objects.create(
        time=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        user_name="导入",
        action="create",
        object_type=object_type(Household),
        object_id=str(hh.pk),
        object_repr=hh.head_name,
        root_type=object_type(Household),
        root_id=str(hh.pk),
        after=audit.snapshot(hh),
    )
    for m in hh.members.all():
        ObjectChange.objects.create(
            time=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
            user_name="导入",
            action="create",
            object_type=object_type(Member),
            object_id=str(m.pk),
            object_repr=m.name,
            root_type=object_type(Household),
            root_id=str(hh.pk),
            after={"name": m.name, "person_number": m.person_number, "relation": m.relation, "left_on": None},
        )
    approve(world, hh, "death", members=[son.pk])
    assert "王小军" in as_of_names(hh, EVENT - dt.timedelta(days=1))
    # recorded later, the death counts from its date: the day of the event and after, he is gone
    assert "王小军" not in as_of_names(hh, EVENT)
    assert "王小军" not in as_of_names(hh, timezone.localdate())
    assert as_of_names(hh, EVENT) == {"王建国", "李秀英"}


def test_death_of_the_head_needs_a_new_head(world):
    hh = family(world)
    head = member(hh, "王建国")
    with pytest.raises(ValidationFailed, match="请指定新户主"):
        helpers.open_case(
            world,
            hh,
            "natural_change",
            START,
            change="death",
            event_on=EVENT.isoformat(),
            note="死亡证明",
            members=[head.pk],
        )
    wife = member(hh, "李秀英")
    approve(world, hh, "death", members=[head.pk], new_head=wife.pk)
    hh.refresh_from_db()
    wife.refresh_from_db()
    assert wife.relation == Relation.HEAD and hh.head_name == "李秀英"
    assert hh.members.filter(left_on__isnull=True, relation=Relation.HEAD).count() == 1


def test_birth_adds_the_member_from_the_birth_date(world):
    hh = family(world)
    baby = helpers.born_on(EVENT, male=False)
    case = approve(
        world,
        hh,
        "birth",
        new_member={
            "name": "王小花",
            "id_number": baby,
            "relation": Relation.GRANDDAUGHTER,
            "ethnicity": "01",
        },
    )
    new = member(hh, "王小花")
    assert new.joined_on == EVENT and new.birth_date == EVENT and new.sex == "2"
    assert new.person_number == "62050210120100000104"
    assert ObjectChange.objects.filter(
        object_type=object_type(Member), object_id=str(new.pk), action="create"
    ).exists()
    assert "已新增成员 王小花" in case.params["applied"][0]


def test_birth_with_a_birth_date_other_than_the_event_date_is_refused(world):
    hh = family(world)
    with pytest.raises(ValidationFailed, match="出生日期"):
        helpers.open_case(
            world,
            hh,
            "natural_change",
            START,
            change="birth",
            event_on=EVENT.isoformat(),
            note="出生证明",
            new_member={
                "name": "王小花",
                "id_number": next_id(birth=dt.date(2024, 1, 1)),
                "relation": Relation.GRANDDAUGHTER,
            },
        )


def test_marriage_in_with_a_bad_id_names_the_field(world):
    hh = family(world)
    with pytest.raises(ValidationFailed) as err:
        helpers.open_case(
            world,
            hh,
            "natural_change",
            START,
            change="marriage_in",
            event_on=EVENT.isoformat(),
            note="结婚登记",
            new_member={"name": "赵敏", "id_number": "12345", "relation": "05"},
        )
    assert "id_number" in err.value.errors


def test_marriage_in_and_out(world):
    hh = family(world)
    bride = next_id(birth=dt.date(2003, 4, 5), male=False)
    approve(
        world,
        hh,
        "marriage_in",
        new_member={"name": "赵敏", "id_number": bride, "relation": Relation.DAUGHTER_IN_LAW},
    )
    assert "赵敏" in active(hh)
    approve(world, hh, "marriage_out", members=[member(hh, "赵敏").pk])
    gone = hh.members.get(name="赵敏")
    assert gone.left_on == EVENT and gone.leave_reason == LeaveReason.MARRIAGE_OUT


def test_marriage_in_of_someone_still_in_another_household_is_refused(world):
    hh = family(world)
    other = family(world, "620502101201000002")
    taken = member(other, "李秀英").id_number
    with pytest.raises(ValidationFailed, match="一人只能在一户"):
        helpers.open_case(
            world,
            hh,
            "natural_change",
            START,
            change="marriage_in",
            event_on=EVENT.isoformat(),
            note="结婚登记",
            new_member={"name": "李秀英", "id_number": taken, "relation": "05"},
        )


def test_split_into_a_new_household(world):
    hh = family(world)
    son = member(hh, "王小军")
    case = approve(
        world,
        hh,
        "split",
        members=[son.pk],
        relations={str(son.pk): Relation.HEAD},
        new_household_number="620502101201000009",
    )
    new = Household.objects.get(household_number="620502101201000009")
    assert new.head_name == "王小军" and new.village_id == hh.village_id
    assert new.attribute == hh.attribute and new.poverty_status == hh.poverty_status
    assert StatusEvent.objects.filter(household=new, effective_on=EVENT).exists()
    moved = new.members.get()
    assert moved.relation == Relation.HEAD and moved.joined_on == EVENT and moved.id_number == son.id_number
    assert moved.person_number == "62050210120100000901"
    son.refresh_from_db()
    assert son.left_on == EVENT and son.leave_reason == LeaveReason.SPLIT
    assert Member.objects.filter(id_number=son.id_number, left_on__isnull=True).count() == 1
    assert ObjectChange.objects.filter(
        object_type=object_type(Household), object_id=str(new.pk), action="create"
    ).exists()
    assert "已建立新户" in case.params["applied"][0]


def test_split_to_a_new_household_needs_one_head(world):
    hh = family(world)
    son = member(hh, "王小军")
    with pytest.raises(ValidationFailed, match="新户须有且只有一个户主"):
        helpers.open_case(
            world,
            hh,
            "natural_change",
            START,
            change="split",
            event_on=EVENT.isoformat(),
            note="分户",
            members=[son.pk],
            relations={str(son.pk): Relation.SON},
            new_household_number="620502101201000009",
        )


def test_move_out_to_another_household_of_the_register(world):
    hh = family(world)
    other = family(world, "620502101201000002")
    wife = member(hh, "李秀英")
    approve(
        world,
        hh,
        "move_out",
        members=[wife.pk],
        target=other.household_number,
        relations={str(wife.pk): Relation.MOTHER},
    )
    assert "李秀英" not in active(hh)
    moved = other.members.get(id_number=wife.id_number)
    assert moved.relation == Relation.MOTHER and moved.joined_on == EVENT
    wife.refresh_from_db()
    assert wife.leave_reason == LeaveReason.MOVED
    # the other household's as-of on the event day shows her; its own audit root holds the line
    assert ObjectChange.objects.filter(root_id=str(other.pk), object_id=str(moved.pk)).exists()


def test_move_out_of_the_area_is_a_leave(world):
    hh = family(world)
    son = member(hh, "王小军")
    approve(world, hh, "move_out", members=[son.pk])
    son.refresh_from_db()
    assert son.left_on == EVENT and son.leave_reason == LeaveReason.MOVED


def test_merge_moves_everyone_and_closes_the_household(world):
    hh = family(world)
    other = family(world, "620502101201000002")
    relations = {
        str(member(hh, "王建国").pk): Relation.SON,
        str(member(hh, "李秀英").pk): Relation.DAUGHTER_IN_LAW,
        str(member(hh, "王小军").pk): Relation.GRANDSON,
    }
    approve(world, hh, "merge", target=other.household_number, relations=relations)
    hh.refresh_from_db()
    assert hh.closed_on == EVENT and active(hh) == set()
    assert set(hh.members.values_list("leave_reason", flat=True)) == {LeaveReason.MERGED}
    assert other.members.filter(left_on__isnull=True).count() == 6
    assert other.members.filter(left_on__isnull=True, relation=Relation.HEAD).count() == 1


def test_household_gone(world):
    hh = family(world)
    approve(world, hh, "household_gone", leave_reason=LeaveReason.DEATH)
    hh.refresh_from_db()
    assert hh.closed_on == EVENT and "村委会证明" in hh.close_reason
    assert active(hh) == set()
    with pytest.raises(ValidationFailed, match="销户"):
        helpers.open_case(
            world,
            hh,
            "natural_change",
            START,
            change="birth",
            event_on=EVENT.isoformat(),
            note="x",
            new_member={"name": "x", "id_number": helpers.born_on(EVENT), "relation": "03"},
        )


def test_death_of_every_member_is_refused_as_a_death(world):
    hh = family(world)
    with pytest.raises(ValidationFailed, match="自然销户"):
        helpers.open_case(
            world,
            hh,
            "natural_change",
            START,
            change="death",
            event_on=EVENT.isoformat(),
            note="x",
            members=[m.pk for m in hh.members.all()],
            new_head=None,
        )


def test_approval_is_refused_if_the_member_left_meanwhile_and_nothing_is_written(world):
    hh = family(world)
    son = member(hh, "王小军")
    case = helpers.open_case(
        world,
        hh,
        "natural_change",
        START,
        change="marriage_out",
        event_on=EVENT.isoformat(),
        note="结婚登记",
        members=[son.pk],
    )
    case, on = helpers.do_step(world, case, START)
    case, on = helpers.do_step(world, case, on)
    Member.objects.filter(pk=son.pk).update(left_on=dt.date(2024, 2, 1), leave_reason=LeaveReason.DEATH)
    lines = ObjectChange.objects.count()
    with pytest.raises(ValidationFailed, match=r"登记信息已与开案时不同.*王小军已于 2024-02-01 减员"):
        helpers.do_step(world, case, on)
    case.refresh_from_db()
    son.refresh_from_db()
    assert case.state == CaseState.OPEN and son.leave_reason == LeaveReason.DEATH
    assert ObjectChange.objects.count() == lines


def test_approval_is_refused_if_the_target_household_is_gone(world):
    hh = family(world)
    other = family(world, "620502101201000002")
    son = member(hh, "王小军")
    case = helpers.open_case(
        world,
        hh,
        "natural_change",
        START,
        change="move_out",
        event_on=EVENT.isoformat(),
        note="迁出",
        members=[son.pk],
        target=other.household_number,
        relations={str(son.pk): Relation.GRANDSON},
    )
    case, on = helpers.do_step(world, case, START)
    case, on = helpers.do_step(world, case, on)
    Household.objects.filter(pk=other.pk).update(closed_on=dt.date(2024, 2, 25))
    with pytest.raises(ValidationFailed, match="已于 2024-02-25 销户"):
        helpers.do_step(world, case, on)
    assert active(hh) == {"王建国", "李秀英", "王小军"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"members": [1]}, "event_on"),
        ({"event_on": "2024-13-01"}, "event_on"),
        ({"event_on": "2999-01-01"}, "event_on"),
        ({"event_on": "2024-02-20"}, "note"),
        ({"event_on": "2024-02-20", "note": "x"}, "members"),
        ({"event_on": "2024-02-20", "note": "x", "members": ["abc"]}, "members"),
    ],
)
def test_bad_details_name_the_field(world, params, field):
    hh = family(world)
    with pytest.raises(ValidationFailed) as err:
        helpers.open_case(world, hh, "natural_change", START, change="death", **params)
    assert field in err.value.errors
    assert not Case.objects.filter(household=hh).exists()


# ---------------------------------------------------------------------------------------------------
# Screens


def _page(response) -> str:
    return response.content.decode()


def test_opening_form_shows_the_fields_of_the_change_chosen(client, world):
    hh = family(world)
    client.force_login(world.users["village_officer"])
    url = reverse("procedures:case_open", args=[hh.pk])
    death = client.get(url, {"change": "death"}, headers={"HX-Request": "true"})
    assert death.status_code == 200 and 'name="members"' in _page(death) and "王小军" in _page(death)
    assert "<html" not in _page(death)
    birth = _page(client.get(url, {"change": "birth"}, headers={"HX-Request": "true"}))
    assert 'name="m-id_number"' in birth and 'name="m-relation"' in birth and 'name="members"' not in birth
    split = _page(client.get(url, {"change": "split"}, headers={"HX-Request": "true"}))
    assert 'name="new_household_number"' in split and f'name="rel_{member(hh, "王小军").pk}"' in split


def test_opening_a_death_on_the_page_and_the_case_page_shows_what_will_be_applied(client, world):
    hh = family(world)
    son = member(hh, "王小军")
    client.force_login(world.users["village_officer"])
    response = client.post(
        reverse("procedures:case_open", args=[hh.pk]),
        {
            "kind": "natural_change",
            "discovered_on": "2024-03-01",
            "change": "death",
            "event_on": "2024-02-20",
            "note": "死亡医学证明",
            "members": [str(son.pk)],
        },
    )
    assert response.status_code == 302
    case = Case.objects.get(household=hh)
    assert case.params["members"] == [son.pk] and case.params["event_on"] == "2024-02-20"
    page = _page(client.get(response["Location"]))
    assert "办结后将登记的变更" in page and "减员：王小军，自 2024-02-20 起不再是本户成员" in page
    helpers.run_through(world, case, START)
    page = _page(client.get(response["Location"]))
    assert "已登记的变更" in page and "王小军已于 2024-02-20 减员" in page


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"event_on": "", "note": "证明"}, "变更日期：请填写"),
        ({"event_on": "2024-02-30", "note": "证明"}, "变更日期：格式不正确"),
        ({"event_on": "2024-02-20", "note": ""}, "变更说明：请填写"),
        ({"event_on": "2024-02-20", "note": "证明", "change": ""}, "变更类型：请选择"),
    ],
)
def test_a_bad_field_is_named_in_chinese_and_nothing_is_lost(client, world, post, message):
    hh = family(world)
    son = member(hh, "王小军")
    client.force_login(world.users["village_officer"])
    data = {
        "kind": "natural_change",
        "discovered_on": "2024-03-01",
        "change": "death",
        "members": [str(son.pk)],
        **post,
    }
    response = client.post(reverse("procedures:case_open", args=[hh.pk]), data)
    page = _page(response)
    assert response.status_code == 422 and message in page
    if data["change"]:
        assert f'value="{son.pk}" id="member_{son.pk}" checked' in page
    if post["note"]:
        assert f'value="{post["note"]}"' in page
    assert not Case.objects.filter(household=hh).exists()


def test_a_bad_new_member_names_the_field_and_keeps_the_input(client, world):
    hh = family(world)
    client.force_login(world.users["village_officer"])
    response = client.post(
        reverse("procedures:case_open", args=[hh.pk]),
        {
            "kind": "natural_change",
            "discovered_on": "2024-03-01",
            "change": "birth",
            "event_on": "2024-02-20",
            "note": "出生医学证明",
            "m-name": "王小花",
            "m-id_number": "62050220240220123",
            "m-relation": "08",
            "m-migrant_months": "0",
        },
    )
    page = _page(response)
    assert "证件号码长度为 17 位" in page.split('id="form-error"', 1)[1].split("</div>", 1)[0]
    assert response.status_code == 422 and "证件号码" in page and 'value="王小花"' in page
    assert (
        'value="62050220240220123"' in page and 'value="2024-03-01"' in page and 'value="2024-02-20"' in page
    )
    field = page.split('for="id_m-id_number"', 1)[0].rsplit('<div class="field', 1)[1]
    assert field.startswith(" has-error")  # the ID number's input is marked, with the registry's message
    missing = client.post(
        reverse("procedures:case_open", args=[hh.pk]),
        {
            "kind": "natural_change",
            "discovered_on": "2024-03-01",
            "change": "birth",
            "event_on": "2024-02-20",
            "note": "出生医学证明",
            "m-id_number": helpers.born_on(EVENT),
            "m-relation": "08",
        },
    )
    assert missing.status_code == 422 and "新成员信息填写有误：姓名" in _page(missing)
    assert not Case.objects.filter(household=hh).exists()


def test_a_birth_opened_on_the_page(client, world):
    hh = family(world)
    client.force_login(world.users["village_officer"])
    baby = helpers.born_on(EVENT, male=False)
    response = client.post(
        reverse("procedures:case_open", args=[hh.pk]),
        {
            "kind": "natural_change",
            "discovered_on": "2024-03-01",
            "change": "birth",
            "event_on": "2024-02-20",
            "note": "出生医学证明",
            "m-name": "王小花",
            "m-id_number": baby,
            "m-relation": "08",
            "m-ethnicity": "01",
            "m-migrant_months": "0",
        },
    )
    assert response.status_code == 302, _page(response)
    case = Case.objects.get(household=hh)
    helpers.run_through(world, case, START)
    assert member(hh, "王小花").joined_on == EVENT


def test_the_change_log_masks_the_new_members_id_for_a_reader_who_does_not_edit(client, world):
    hh = family(world)
    baby = helpers.born_on(EVENT, male=False)
    helpers.open_case(
        world,
        hh,
        "natural_change",
        START,
        change="birth",
        event_on=EVENT.isoformat(),
        note="出生医学证明",
        new_member={
            "name": "王小花",
            "id_number": baby,
            "relation": Relation.GRANDDAUGHTER,
            "health": ["1"],
            "phone": "13912345678",
        },
    )
    client.force_login(world.users["auditor"])
    page = _page(client.get(reverse("registry:household_detail", args=[hh.pk])))
    assert "王小花" in page and baby[:6] + "********" + baby[-4:] in page
    assert baby not in page and "13912345678" not in page


def test_a_closed_household_opens_no_other_procedure(world):
    hh = family(world)
    approve(world, hh, "household_gone", leave_reason=LeaveReason.MOVED)
    hh.refresh_from_db()
    with pytest.raises(ValidationFailed, match="该户已于 2024-02-20 销户"):
        helpers.open_case(world, hh, "monitoring", START, monitoring_type="1")


def test_a_county_approves_many_natural_changes_at_once_each_passing_or_failing_alone(world):
    first, second = family(world), family(world, "620502101201000002")
    cases = []
    for hh in (first, second):
        son = member(hh, "王小军")
        case = helpers.open_case(
            world,
            hh,
            "natural_change",
            START,
            change="marriage_out",
            event_on=EVENT.isoformat(),
            note="结婚登记",
            members=[son.pk],
        )
        case, on = helpers.do_step(world, case, START)
        case, on = helpers.do_step(world, case, on)
        cases.append(case)
    Member.objects.filter(pk=member(second, "王小军").pk).update(
        left_on=dt.date(2024, 2, 1), leave_reason="death"
    )
    results = services.advance_many(
        actor=Actor.of(world.users["county_admin"]),
        cases=cases,
        step_code="county_approval",
        on=on,
        signatures=[services.Signature("county", "刘县长")],
    )
    assert [r.ok for r in results] == [True, False]
    assert "王小军已于 2024-02-01 减员" in results[1].message
    assert first.members.get(name="王小军").leave_reason == LeaveReason.MARRIAGE_OUT
    assert Case.objects.get(pk=cases[1].pk).state == CaseState.OPEN


def test_a_move_to_a_household_of_another_county_is_refused(world):
    from jingzhun.regions.choices import Level
    from jingzhun.regions.models import Region

    hh = family(world)
    elsewhere = Region.objects.create(
        code="620503100201",
        prefix="620503100201",
        name="外县村",
        level=Level.VILLAGE,
        parent=world.villages[VILLAGE_A].parent,
    )
    other = HouseholdFactory.create(village=elsewhere, household_number="620503100201000001")
    son = member(hh, "王小军")
    with pytest.raises(ValidationFailed, match="不在本县"):
        helpers.open_case(
            world,
            hh,
            "natural_change",
            START,
            change="move_out",
            event_on=EVENT.isoformat(),
            note="迁出",
            members=[son.pk],
            target=other.household_number,
            relations={str(son.pk): Relation.SON},
        )
