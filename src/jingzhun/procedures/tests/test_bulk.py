"""Bulk: a village's cases through one step, each passing or failing by itself with a Chinese reason."""

from __future__ import annotations

import datetime as dt

import pytest

from jingzhun.core.audit import Actor
from jingzhun.core.models import ObjectChange
from jingzhun.procedures import services
from jingzhun.procedures.choices import CaseState
from jingzhun.procedures.models import Case, CaseStep
from jingzhun.procedures.services import EvidenceInput, Signature
from jingzhun.procedures.tests import helpers
from jingzhun.registry.choices import PovertyStatus

START = dt.date(2019, 9, 1)
MINUTES = [EvidenceInput("appraisal_minutes", "南山村2019年第3次村民代表大会记录")]
COMMITTEE = [Signature("village_committee", "张主任")]


@pytest.fixture
def cases(world, poor_household, make_household):
    households = [poor_household] + [
        make_household(poverty_status="0", attribute="01", income=5000) for _ in range(4)
    ]
    return [helpers.open_case(world, hh, "exit", START) for hh in households]


def test_some_cases_fail_by_themselves(world, cases):
    # one case already moved on, one withdrawn; a case of another township is not even visible
    helpers.do_step(world, cases[0], START)
    services.withdraw_case(
        actor=Actor.of(world.users["village_officer"]), case=cases[1], expected_version=1, reason="撤回"
    )
    before = ObjectChange.objects.count()
    results = services.advance_many(
        actor=Actor.of(world.users["village_officer"]),
        cases=cases,
        step_code="proposal",
        on=START,
        signatures=COMMITTEE,
        evidence=MINUTES,
    )
    by_case = {r.case_id: r for r in results}
    assert [r.ok for r in results] == [False, False, True, True, True]
    assert "当前应办理「村两委和驻村工作队核实」" in by_case[cases[0].pk].message
    assert "已撤回" in by_case[cases[1].pk].message
    for case in cases[2:]:
        case.refresh_from_db()
        assert case.next_step.code == "verification" and case.version == 2
        assert CaseStep.objects.get(case=case).documents.get().name == MINUTES[0].name
    assert CaseStep.objects.filter(step__code="proposal").count() == 4
    # audited: per passing case the step (with its documents) and the case update
    new = ObjectChange.objects.order_by("pk")[before:]
    assert len(new) == 7 and all(c.user_name == "village_officer" for c in new)  # + the one shared document
    step_line = next(c for c in new if c.object_type == "procedures.casestep")
    document = next(c for c in new if c.object_type == "procedures.evidence")
    assert step_line.after["evidence"] == [int(document.object_id)]
    assert document.after["name"] == MINUTES[0].name


def test_nothing_half_done_when_every_case_fails(world, cases):
    results = services.advance_many(
        actor=Actor.of(world.users["village_officer"]),
        cases=cases,
        step_code="proposal",
        on=START,
        signatures=[],
        evidence=MINUTES,
    )
    assert not any(r.ok for r in results) and "缺少签字" in results[0].message
    assert not CaseStep.objects.exists()
    assert set(Case.objects.values_list("version", flat=True)) == {1}


def test_a_household_signature_cannot_be_given_in_bulk(world, cases):
    on = START
    for case in cases:
        case, on = helpers.do_step(world, case, START)
        case, on = helpers.do_step(world, case, on)
    results = services.advance_many(
        actor=Actor.of(world.users["village_officer"]),
        cases=cases,
        step_code="household_agreement",
        on=on,
        signatures=[Signature("household", "代签")],
        evidence=[EvidenceInput("exit_table", "验收表")],
    )
    assert all("农户本人签字" in r.message for r in results)


def test_bulk_outside_the_jurisdiction_is_not_found(world, cases):
    results = services.advance_many(
        actor=Actor.of(world.users["township_b_officer"]),
        cases=cases,
        step_code="proposal",
        on=START,
        signatures=COMMITTEE,
        evidence=MINUTES,
    )
    assert all(r.message == "案件不存在或无权访问" for r in results)


def test_bulk_through_the_final_step_changes_the_register(world, cases):
    on = START
    for case in cases:
        while case.next_step.code != "strike_off":
            case, on = helpers.do_step(world, case, on)
    results = services.advance_many(
        actor=Actor.of(world.users["county_admin"]),
        cases=cases,
        step_code="strike_off",
        on=on,
        signatures=[Signature("county", "县审批人")],
    )
    assert all(r.ok for r in results)
    assert set(Case.objects.values_list("state", flat=True)) == {CaseState.APPROVED}
    for case in cases:
        case.household.refresh_from_db()
        assert case.household.poverty_status == PovertyStatus.EXITED_ENJOYING
        assert case.household.status_events.count() == 1


def test_bulk_audit_lines_read_back_like_orm_ones(world, cases):
    results = services.advance_many(
        actor=Actor.of(world.users["village_officer"]),
        cases=cases,
        step_code="proposal",
        on=START,
        signatures=COMMITTEE,
        evidence=MINUTES,
    )
    assert all(r.ok for r in results)
    line = ObjectChange.objects.filter(object_type="procedures.case").latest("pk")
    orm_line = ObjectChange.objects.filter(object_type="procedures.case", action="create").latest("pk")
    assert line.time >= orm_line.time and line.time.tzinfo is not None
    assert line.user == world.users["village_officer"] and line.before["next_step"] != line.after["next_step"]
    assert (
        ObjectChange.objects.filter(time__gte=orm_line.time, object_type="procedures.casestep").count() == 5
    )
