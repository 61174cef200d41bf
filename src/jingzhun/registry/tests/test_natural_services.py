"""The registry's writers of natural changes (members leave, join, move; a new household; 自然销户), called
directly: what they refuse, and that a refusal writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from jingzhun.core.audit import Actor, object_type
from jingzhun.core.errors import ValidationFailed
from jingzhun.core.models import ObjectChange
from jingzhun.registry import services
from jingzhun.registry.choices import LeaveReason, Relation
from jingzhun.registry.models import Household, Member
from jingzhun.testing.factories import HouseholdFactory, MemberFactory

ON = dt.date(2024, 2, 20)


@pytest.fixture
def actor(world):
    return Actor.of(world.users["village_officer"])


def two(world, number: str) -> Household:
    hh = HouseholdFactory.create(village=world.household_a.village, household_number=number, head_name="甲")
    MemberFactory(household=hh, name="甲", relation=Relation.HEAD, person_number=number + "01")
    MemberFactory(household=hh, name="乙", relation=Relation.SON, person_number=number + "02")
    return hh


def test_members_leave_bumps_the_version_and_audits(world, actor):
    hh = two(world, "620502100201770001")
    son = hh.members.get(name="乙")
    version = hh.version
    services.members_leave(actor=actor, household=hh, members=[son], left_on=ON, reason=LeaveReason.DEATH)
    hh.refresh_from_db()
    son.refresh_from_db()
    assert hh.version == version + 1 and son.left_on == ON
    assert ObjectChange.objects.filter(object_type=object_type(Member), object_id=str(son.pk)).count() == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"left_on": dt.date(2999, 1, 1)}, "不能晚于今天"),
        ({"reason": "nonsense"}, "未知的减员原因"),
        ({"who": "甲"}, "请指定新户主"),
        ({"who": "甲,乙"}, "自然销户"),
        ({"new_head": "乙"}, "户主未减员"),
    ],
)
def test_members_leave_refusals_write_nothing(world, actor, kwargs, message):
    hh = two(world, "620502100201770001")
    names = kwargs.pop("who", "乙").split(",")
    members = [hh.members.get(name=n) for n in names]
    new_head = hh.members.get(name=kwargs.pop("new_head")) if "new_head" in kwargs else None
    lines = ObjectChange.objects.count()
    with pytest.raises(ValidationFailed, match=message):
        services.members_leave(
            actor=actor,
            household=hh,
            members=members,
            new_head=new_head,
            **{"left_on": ON, "reason": LeaveReason.DEATH, **kwargs},
        )
    assert ObjectChange.objects.count() == lines
    assert not Member.objects.filter(household=hh, left_on__isnull=False).exists()


def test_a_member_leaves_only_once(world, actor):
    hh = two(world, "620502100201770001")
    son = hh.members.get(name="乙")
    services.members_leave(actor=actor, household=hh, members=[son], left_on=ON, reason=LeaveReason.DEATH)
    with pytest.raises(ValidationFailed, match="已于 2024-02-20 减员"):
        services.members_leave(actor=actor, household=hh, members=[son], left_on=ON, reason=LeaveReason.DEATH)


def test_move_keeps_one_person_in_one_household(world, actor):
    a, b = two(world, "620502100201770001"), two(world, "620502100201770002")
    son = a.members.get(name="乙")
    moved = services.move_members(
        actor=actor, source=a, target=b, moves=[(son, Relation.GRANDSON)], on=ON, reason=LeaveReason.MOVED
    )[0]
    assert moved.person_number == "62050210020177000203" and moved.household == b
    assert list(Member.objects.filter(id_number=son.id_number, left_on__isnull=True)) == [moved]
    assert Member.objects.get(pk=son.pk).left_on == ON


@pytest.mark.parametrize(("relation", "message"), [(Relation.HEAD, "只能有一个户主"), ("x9", "代码无效")])
def test_move_refuses_a_second_head_or_a_bad_code(world, actor, relation, message):
    a, b = two(world, "620502100201770001"), two(world, "620502100201770002")
    with pytest.raises(ValidationFailed, match=message):
        services.move_members(
            actor=actor,
            source=a,
            target=b,
            moves=[(a.members.get(name="乙"), relation)],
            on=ON,
            reason=LeaveReason.MOVED,
        )
    assert b.members.count() == 2


def test_nothing_moves_into_a_closed_household(world, actor):
    a, b = two(world, "620502100201770001"), two(world, "620502100201770002")
    services.close_household(
        actor=actor, household=b, on=ON, reason="全户迁往外省", leave_reason=LeaveReason.MOVED
    )
    with pytest.raises(ValidationFailed, match="已于 2024-02-20 销户"):
        services.move_members(
            actor=actor,
            source=a,
            target=b,
            moves=[(a.members.get(name="乙"), Relation.SON)],
            on=ON,
            reason=LeaveReason.MOVED,
        )
    with pytest.raises(ValidationFailed, match="销户"):
        services.member_joins(
            actor=actor,
            household=b,
            joined_on=ON,
            data={"name": "丙", "relation": Relation.SON, "id_number": "620502202402200011"},
        )


def test_close_household_needs_a_reason_for_the_remaining_members(world, actor):
    hh = two(world, "620502100201770001")
    with pytest.raises(ValidationFailed, match="请选择成员的减少原因"):
        services.close_household(actor=actor, household=hh, on=ON, reason="全户死亡")
    with pytest.raises(ValidationFailed, match="请填写销户原因"):
        services.close_household(actor=actor, household=hh, on=ON, reason=" ", leave_reason=LeaveReason.DEATH)
    hh.refresh_from_db()
    assert hh.closed_on is None and hh.members.filter(left_on__isnull=True).count() == 2


def test_create_household_refuses_a_taken_number(world, actor):
    hh = two(world, "620502100201770001")
    with pytest.raises(ValidationFailed, match="户编号 620502100201770001 已存在"):
        services.create_household(
            actor=actor, village=hh.village, household_number=hh.household_number, head_name="乙"
        )
