"""The engine's rules: order, roles, signatures, documents, notice periods, objections, locks, jurisdiction."""

from __future__ import annotations

import datetime as dt

import pytest

from jingzhun.core.audit import Actor
from jingzhun.core.errors import (
    ConcurrentEditError,
    NotFoundOrForbidden,
    PermissionDeniedError,
    ValidationFailed,
)
from jingzhun.core.models import ObjectChange
from jingzhun.procedures import access, definitions, selectors, services
from jingzhun.procedures.choices import CaseState, ObjectionState
from jingzhun.procedures.models import Case, CaseStep, ProcedureDefinition, StepDefinition
from jingzhun.procedures.services import EvidenceInput, Signature
from jingzhun.procedures.tests import helpers
from jingzhun.procedures.tests.conftest import VILLAGE_B
from jingzhun.registry.choices import LabourSkill, PovertyStatus

START = dt.date(2019, 9, 1)


@pytest.fixture
def case(world, poor_household):
    return helpers.open_case(world, poor_household, "exit", START)


def _until(world, case, code):
    on = START
    case.refresh_from_db()
    while case.next_step.code != code:
        case, on = helpers.do_step(world, case, on)
    return case, on


def _complete(world, case, code, on, user="village_officer", **kwargs):
    case.refresh_from_db()
    step = StepDefinition.objects.get(definition=case.definition, code=code)
    kwargs.setdefault("signatures", helpers.signatures_for(step))
    kwargs.setdefault("evidence", helpers.evidence_for(step))
    return services.complete_step(
        actor=Actor.of(world.users[user]),
        case=case,
        step_code=code,
        expected_version=case.version,
        on=on,
        **kwargs,
    )


def test_one_open_case_per_household_and_kind(world, poor_household, case):
    with pytest.raises(ValidationFailed, match="已有办理中"):
        helpers.open_case(world, poor_household, "exit", START)


def test_a_household_that_is_not_poor_cannot_exit(world, make_household):
    with pytest.raises(ValidationFailed, match="只有未脱贫户或返贫户"):
        helpers.open_case(world, make_household(), "exit", START)


def test_steps_go_in_order(world, case):
    with pytest.raises(ValidationFailed, match="当前应办理「村两委民主评议后提出」"):
        _complete(world, case, "verification", START)


def test_only_the_role_of_the_step(world, case):
    with pytest.raises(PermissionDeniedError, match="村干部"):
        _complete(world, case, "proposal", START, user="township_officer")


def test_missing_signature_and_document_are_named(world, case):
    with pytest.raises(ValidationFailed, match="缺少材料：民主评议记录"):
        _complete(world, case, "proposal", START, evidence=[])
    with pytest.raises(ValidationFailed, match="缺少签字：村两委1人"):
        _complete(world, case, "proposal", START, signatures=[])
    case, on = helpers.do_step(world, case, START)
    with pytest.raises(ValidationFailed, match="不同的人"):
        _complete(
            world,
            case,
            "verification",
            on,
            signatures=[Signature("village_committee", "李四"), Signature("village_committee", "王五")],
        )
    assert case.steps.count() == 1


def test_stale_version_is_refused(world, case):
    helpers.do_step(world, case, START)
    with pytest.raises(ConcurrentEditError):
        services.complete_step(
            actor=Actor.of(world.users["village_officer"]),
            case=case,
            step_code="verification",
            expected_version=1,
            on=START,
            signatures=[Signature("village_committee", "甲"), Signature("work_team", "乙")],
            evidence=[EvidenceInput("visit_record", "核实表")],
        )


def test_the_notice_period_must_end_before_the_next_step(world, case):
    case, on = _until(world, case, "village_notice")
    notice = helpers.post(world, case, on)
    assert notice.end_on == on + dt.timedelta(days=7) and notice.policy["notice_days"]["value"] == "7"
    with pytest.raises(ValidationFailed, match="期满后才能办理"):
        _complete(world, case, "village_notice", notice.end_on - dt.timedelta(days=1))
    _complete(world, case, "village_notice", notice.end_on)
    case.refresh_from_db()
    assert case.next_step.code == "county_approval"


def test_a_notice_step_without_a_notice_is_refused(world, case):
    case, on = _until(world, case, "village_notice")
    with pytest.raises(ValidationFailed, match="尚未张贴"):
        _complete(world, case, "village_notice", on)


def test_an_objection_sends_the_case_back_and_blocks_it_until_resolved(world, case):
    case, on = _until(world, case, "village_notice")
    notice = helpers.post(world, case, on)
    objection = services.record_objection(
        actor=Actor.of(world.users["village_officer"]),
        notice=notice,
        case=case,
        text="群众反映该户收入不实",
        received_on=on + dt.timedelta(days=2),
    )
    case.refresh_from_db()
    assert case.next_step.code == "verification"  # the configured re-check step
    assert CaseStep.objects.filter(case=case, superseded=True).count() == 2  # verification, agreement
    with pytest.raises(ValidationFailed, match="未复核的异议"):
        _complete(world, case, "verification", notice.end_on)
    with pytest.raises(PermissionDeniedError):
        services.resolve_objection(
            actor=Actor.of(world.users["village_officer"]),
            objection=objection,
            upheld=False,
            resolution="不成立",
        )
    services.resolve_objection(
        actor=Actor.of(world.users["township_officer"]),
        objection=objection,
        upheld=False,
        resolution="经入户复核，收入属实",
        on=notice.end_on,
    )
    # the case is re-checked and must be noticed again
    case, on = helpers.do_step(world, case, notice.end_on)
    case, on = helpers.do_step(world, case, on)
    assert case.next_step.code == "village_notice"
    with pytest.raises(ValidationFailed, match="尚未张贴"):
        _complete(world, case, "village_notice", on)


def test_an_upheld_objection_rejects_the_case(world, case, poor_household):
    case, on = _until(world, case, "village_notice")
    notice = helpers.post(world, case, on)
    objection = services.record_objection(
        actor=Actor.of(world.users["village_officer"]),
        notice=notice,
        case=case,
        text="家中有财政供养人员",
        received_on=on,
    )
    objection = services.resolve_objection(
        actor=Actor.of(world.users["township_officer"]),
        objection=objection,
        upheld=True,
        resolution="属实",
        on=on,
    )
    case.refresh_from_db()
    poor_household.refresh_from_db()
    assert case.state == CaseState.REJECTED and objection.state == ObjectionState.UPHELD
    assert poor_household.poverty_status == PovertyStatus.NOT_EXITED


def test_an_objection_outside_the_period_is_refused(world, case):
    case, on = _until(world, case, "village_notice")
    notice = helpers.post(world, case, on)
    with pytest.raises(ValidationFailed, match="公示期内"):
        services.record_objection(
            actor=Actor.of(world.users["village_officer"]),
            notice=notice,
            case=case,
            text="迟到的异议",
            received_on=notice.end_on,
        )


def test_approval_refuses_a_household_that_fails_the_criteria(world, case, poor_household):
    case, on = _until(world, case, "county_approval")
    poor_household.years.update(water_safe=False)
    with pytest.raises(ValidationFailed, match=r"不符合政策标准.*饮水安全"):
        _complete(world, case, "county_approval", on, user="county_admin")
    case.refresh_from_db()
    assert case.next_step.code == "county_approval"


def test_a_household_without_labour_is_never_eliminated(world, make_household):
    hh = make_household(
        poverty_status="1",
        attribute="05",
        income=9000,
        year=2021,
        labour=LabourSkill.NONE,
        monitoring_type="1",
        risk_elimination="0",
        monitoring_identified_on=dt.date(2021, 1, 5),
    )
    case = helpers.open_case(world, hh, "elimination", dt.date(2021, 9, 1), mode="1")
    on = dt.date(2021, 9, 1)
    case, on = helpers.do_step(world, case, on)
    case, on = helpers.do_step(world, case, on)
    with pytest.raises(ValidationFailed, match="劳动能力"):
        helpers.do_step(world, case, on)
    hh.refresh_from_db()
    assert hh.risk_elimination == "0"


def test_reject_and_withdraw(world, case, poor_household, make_household):
    with pytest.raises(ValidationFailed, match="原因"):
        services.withdraw_case(
            actor=Actor.of(world.users["village_officer"]), case=case, expected_version=1, reason=" "
        )
    services.withdraw_case(
        actor=Actor.of(world.users["village_officer"]), case=case, expected_version=1, reason="农户申请撤回"
    )
    case.refresh_from_db()
    assert case.state == CaseState.WITHDRAWN and case.next_step is None
    other = helpers.open_case(world, poor_household, "exit", START)
    services.reject_case(
        actor=Actor.of(world.users["township_officer"]), case=other, expected_version=1, reason="收入核实不符"
    )
    other.refresh_from_db()
    assert other.state == CaseState.REJECTED


def test_township_b_cannot_see_or_act_on_township_a_cases(world, case):
    officer_b = world.users["township_b_officer"]
    assert not access.cases_for(officer_b).exists()
    with pytest.raises(NotFoundOrForbidden) as outside:
        access.access_case(officer_b, case.pk)
    with pytest.raises(NotFoundOrForbidden) as missing:
        access.access_case(officer_b, 999999)
    assert outside.value.message == missing.value.message
    with pytest.raises(NotFoundOrForbidden):
        services.complete_step(actor=Actor.of(officer_b), case=case, step_code="proposal", expected_version=1)
    with pytest.raises(NotFoundOrForbidden):
        services.open_case(
            actor=Actor.of(officer_b), household=case.household, kind="return", discovered_on=START
        )
    assert access.cases_for(world.users["township_officer"]).filter(pk=case.pk).exists()


def test_read_only_roles_see_but_cannot_act(world, case):
    leader = world.users["leader"]
    assert access.access_case(leader, case.pk) == case
    with pytest.raises(NotFoundOrForbidden):
        access.access_case(leader, case.pk, "change")


def test_deadline_and_overdue(world, make_household):
    hh = make_household(poverty_status="1", attribute="05", income=5000, year=2021)
    case = helpers.open_case(world, hh, "monitoring", dt.date(2021, 6, 1), monitoring_type="2")
    assert selectors.is_overdue(case, on=dt.date(2021, 6, 17))
    assert not selectors.is_overdue(case, on=dt.date(2021, 6, 16))
    assert list(selectors.overdue(world.users["county_admin"])) == [case]
    queue = list(selectors.queue_for(world.users["village_officer"]))
    assert queue == [case]
    assert list(selectors.queue_for(world.users["county_admin"])) == []


def test_every_engine_write_is_audited_with_who(world, case):
    before = ObjectChange.objects.count()
    helpers.do_step(world, case, START)
    new = ObjectChange.objects.order_by("pk")[before:]
    kinds = {c.object_type for c in new}
    assert kinds == {"procedures.casestep", "procedures.case", "procedures.evidence"}
    document = next(c for c in new if c.object_type == "procedures.evidence")
    assert document.after["kind"] == "appraisal_minutes" and document.root_type == "registry.household"
    assert all(c.user_name == "village_officer" for c in new)
    update = next(c for c in new if c.object_type == "procedures.case")
    assert update.before["next_step"] != update.after["next_step"]


def test_a_local_variant_is_configuration(world, make_household):
    # 秦州区 adds a villager-group appraisal before the village appraisal (两评议): a definition, not code
    spec = next(d for d in definitions.shipped() if d["kind"] == "identification")
    extra = {
        "code": "group_appraisal",
        "name": "村民小组评议",
        "roles": ["village_officer"],
        "evidence": ["appraisal_minutes"],
        "signatures": [],
    }
    variant = {
        **spec,
        "region_prefix": "620502",
        "name": "秦州区贫困户识别（两评议两公示一公告）",
        "steps": [spec["steps"][0], extra, *spec["steps"][1:]],
    }
    definitions.load([variant], ProcedureDefinition, StepDefinition)
    case = helpers.open_case(world, make_household(income=1500), "identification", dt.date(2019, 3, 1))
    assert case.definition.region_prefix == "620502"
    helpers.run_through(world, case, dt.date(2019, 3, 1))
    codes = list(case.steps.values_list("step__code", flat=True))
    assert codes[1] == "group_appraisal" and len(codes) == 8
    other = services.open_case(
        actor=Actor.of(world.users["county_admin"]),
        kind="identification",
        household=make_household(village=VILLAGE_B, income=1500),
        discovered_on=dt.date(2019, 3, 1),
    )
    assert other.definition.region_prefix == "620502"  # 太京镇 is in 秦州区 too
    with pytest.raises(ValidationFailed, match="已有案件使用"):
        definitions.load([variant], ProcedureDefinition, StepDefinition)


def test_a_definition_must_end_in_one_final_step():
    spec = next(d for d in definitions.shipped() if d["kind"] == "exit")
    broken = {**spec, "steps": spec["steps"][:-1]}
    with pytest.raises(ValidationFailed, match="办结步骤"):
        definitions.check(broken)


def test_cases_keep_the_definition_they_were_opened_under(world, case):
    assert Case.objects.get(pk=case.pk).definition.region_prefix == ""


@pytest.mark.parametrize("action", ["view", "change"])
def test_cases_for_agrees_with_the_registry_jurisdiction(world, make_household, action):
    from jingzhun.registry.access import households_for

    for hh in [*world.households.values(), make_household()]:
        services.open_case(
            actor=Actor.of(world.users["admin"]),
            household=hh,
            kind="natural_change",
            discovered_on=START,
            params=helpers.birth(START),
        )
    for user in world.users.values():
        expected = set(households_for(user, action).values_list("pk", flat=True))
        assert set(access.cases_for(user, action).values_list("household_id", flat=True)) == expected


def test_an_uploaded_document_is_stored_under_media_root(world, case, settings):
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile("minutes.jpg", b"\xff\xd8\xff fake jpeg", content_type="image/jpeg")
    done = _complete(world, case, "proposal", START, evidence=[EvidenceInput("appraisal_minutes", "", photo)])
    document = done.documents.get()
    assert document.file.name.startswith("procedures/evidence/") and document.name == "minutes.jpg"
    assert (Path(settings.MEDIA_ROOT) / document.file.name).read_bytes() == b"\xff\xd8\xff fake jpeg"
