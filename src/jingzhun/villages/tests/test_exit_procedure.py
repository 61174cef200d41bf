"""The village exit procedure (§3.3: 自主申请 → 评估上报 → 审核批复 → 公示公告 → 备案销号) run by the procedure
engine with the village as the case's subject; its last step sets the register's exit year."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from jingzhun.core.audit import Actor
from jingzhun.core.errors import JingzhunError, PermissionDeniedError, ValidationFailed
from jingzhun.core.models import ObjectChange
from jingzhun.procedures import services
from jingzhun.procedures.choices import CaseState, EvidenceKind, ProcedureKind, Signer
from jingzhun.procedures.models import Case, CaseStep
from jingzhun.procedures.services import EvidenceInput, Signature
from jingzhun.testing.world import TOWNSHIP_A
from jingzhun.villages.models import PoorVillage, VillageYear

VILLAGE = TOWNSHIP_A + "201"  # 南山村: the world's village officer works here
ROLE_USER = {
    "village_officer": "village_officer",
    "township_officer": "township_officer",
    "county_admin": "county_admin",
}


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def listed(world: Any) -> PoorVillage:
    village = world.villages[VILLAGE]
    VillageYear.objects.create(
        village=village,
        year=today().year,
        hardened_road=True,
        safe_water_coverage=Decimal("0.96"),
        power=True,
        clinic=True,
        broadband=True,
        radio_tv=True,
        collective_income=Decimal("52000"),
        rural_population=1000,
    )
    return PoorVillage.objects.create(
        village=village, identified_year=2014, source_document="秦州区贫困村名单"
    )


def open_case(world: Any, on: dt.date) -> Case:
    return services.open_village_case(
        actor=Actor.of(world.users["village_officer"]),
        village=world.villages[VILLAGE],
        kind=ProcedureKind.VILLAGE_EXIT,
        discovered_on=on,
    )


def do(
    world: Any,
    case: Case,
    on: dt.date,
    *,
    user: str | None = None,
    signatures: list[Signature] | None = None,
    evidence: list[EvidenceInput] | None = None,
) -> Case:
    case.refresh_from_db()
    step = case.next_step
    assert step is not None
    services.complete_step(
        actor=Actor.of(world.users[user or ROLE_USER[step.role_list[0]]]),
        case=case,
        step_code=step.code,
        expected_version=case.version,
        on=on,
        signatures=signatures
        if signatures is not None
        else [Signature(s, f"{Signer(s).label}{i}") for i, s in enumerate(step.signature_list)],
        evidence=evidence
        if evidence is not None
        else [EvidenceInput(k, f"{EvidenceKind(k).label}（存档）") for k in step.evidence_list],
    )
    case.refresh_from_db()
    return case


def post(world: Any, case: Case, on: dt.date) -> Any:
    return services.post_notice(
        actor=Actor.of(world.users["township_officer"]),
        village=world.villages[VILLAGE],
        cases=[case],
        step_code="notice",
        start_on=on,
        photo=EvidenceInput("notice_photo", "公示照片"),
    )


def test_the_village_exit_runs_through_every_step_to_the_register(world: Any, listed: PoorVillage) -> None:
    start = today() - dt.timedelta(days=20)
    case = open_case(world, start)
    assert case.household is None and case.village_id == VILLAGE and case.next_step.code == "application"
    case = do(world, case, start)  # 自主申请
    case = do(world, case, start + dt.timedelta(days=1))  # 评估上报 (evaluated)
    case = do(world, case, start + dt.timedelta(days=2))  # 审核批复 (must pass)
    notice = post(world, case, start + dt.timedelta(days=3))
    assert notice.days == 7 and notice.policy["notice_days"]["key"] == "notice_days_village_exit"
    entry = notice.entries.get()
    assert (entry.household_number, entry.head_name, entry.size) == (VILLAGE, "南山村", 1000)
    case = do(world, case, notice.end_on)  # 公示公告, after the 7 days
    assert case.next_step.code == "filing"
    case = do(world, case, notice.end_on)  # 备案销号
    assert case.state == CaseState.APPROVED and case.closed_on == notice.end_on
    listed.refresh_from_db()
    assert listed.exit_year == notice.end_on.year and not listed.is_poor
    steps = list(CaseStep.objects.filter(case=case).order_by("pk").select_related("step"))
    assert [s.step.code for s in steps] == ["application", "assessment", "approval", "notice", "filing"]
    approval = steps[2].evaluation
    assert approval["purpose"] == "village_exit" and approval["passed"]
    assert {c["code"] for c in approval["criteria"]} >= {
        "incidence",
        "road",
        "water",
        "broadband",
        "collective_income",
    }
    assert steps[4].signatures[0]["label"] == "县级审批人"
    exit_change = ObjectChange.objects.filter(
        object_type="villages.poorvillage", object_id=str(listed.pk)
    ).get()
    assert exit_change.after["exit_year"] == listed.exit_year and exit_change.root_type == "procedures.case"
    # Exited: a second exit is refused, in Chinese.
    with pytest.raises(ValidationFailed, match=r"已于.*年退出"):
        open_case(world, today())


def test_a_village_failing_an_item_is_refused_at_approval_with_the_reason(
    world: Any, listed: PoorVillage
) -> None:
    VillageYear.objects.filter(village_id=VILLAGE).update(broadband=False)
    start = today() - dt.timedelta(days=5)
    case = do(world, open_case(world, start), start)
    case = do(world, case, start)  # the township's assessment records the evaluation, failing or not
    assert not CaseStep.objects.filter(case=case).last().evaluation["passed"]
    with pytest.raises(ValidationFailed) as refused:
        do(world, case, start)
    assert (
        "不符合政策标准，不能通过「审核批复」" in refused.value.message and "通宽带" in refused.value.message
    )
    case.refresh_from_db()
    assert case.next_step.code == "approval" and case.state == CaseState.OPEN


def test_steps_cannot_be_skipped_or_done_by_another_role(world: Any, listed: PoorVillage) -> None:
    start = today() - dt.timedelta(days=5)
    case = open_case(world, start)
    with pytest.raises(ValidationFailed, match="当前应办理「自主申请」，不能跳过"):
        services.complete_step(
            actor=Actor.of(world.users["county_admin"]),
            case=case,
            step_code="filing",
            expected_version=case.version,
            on=start,
        )
    case = do(world, case, start)
    with pytest.raises(PermissionDeniedError, match="「评估上报」应由乡镇干部办理"):
        do(world, case, start, user="village_officer")
    with pytest.raises(ValidationFailed, match="缺少签字：乡镇审核人1人"):
        do(world, case, start, signatures=[])
    with pytest.raises(ValidationFailed, match="缺少材料：贫困村退出评估报告"):
        do(world, case, start, evidence=[])


def test_the_notice_period_and_objections(world: Any, listed: PoorVillage) -> None:
    start = today() - dt.timedelta(days=12)
    case = open_case(world, start)
    for _ in range(3):
        case = do(world, case, start)
    with pytest.raises(ValidationFailed, match="尚未张贴「公示公告」"):
        do(world, case, start)
    notice = post(world, case, start + dt.timedelta(days=1))
    with pytest.raises(ValidationFailed, match=r"公示期至 .* 届满"):
        do(world, case, notice.end_on - dt.timedelta(days=1))
    objection = services.record_objection(
        actor=Actor.of(world.users["township_officer"]),
        notice=notice,
        case=case,
        text="村集体经济收入不实",
        received_on=notice.start_on + dt.timedelta(days=2),
    )
    case.refresh_from_db()
    assert objection.sent_back_to == "assessment" and case.next_step.code == "assessment"
    services.resolve_objection(
        actor=Actor.of(world.users["township_officer"]),
        objection=objection,
        upheld=True,
        resolution="经复核，集体经济收入为借款，不符合出列条件",
        on=notice.start_on + dt.timedelta(days=3),
    )
    case.refresh_from_db()
    assert case.state == CaseState.REJECTED and "异议成立" in case.close_reason
    listed.refresh_from_db()
    assert listed.exit_year is None


def test_only_listed_villages_and_not_as_a_household(world: Any) -> None:
    with pytest.raises(ValidationFailed, match="不在贫困村名单中"):
        open_case(world, today())
    with pytest.raises(ValidationFailed, match="对象是村"):
        services.open_case(
            actor=Actor.of(world.users["village_officer"]),
            household=world.household_a,
            kind=ProcedureKind.VILLAGE_EXIT,
            discovered_on=today(),
        )
    with pytest.raises(JingzhunError):  # another township's officer cannot open 南山村's case
        services.open_village_case(
            actor=Actor.of(world.users["township_b_officer"]),
            village=world.villages[VILLAGE],
            kind=ProcedureKind.VILLAGE_EXIT,
            discovered_on=today(),
        )


def test_a_village_case_is_rejected_with_a_reason(world: Any, listed: PoorVillage) -> None:
    case = open_case(world, today())
    services.reject_case(
        actor=Actor.of(world.users["county_admin"]),
        case=case,
        expected_version=case.version,
        reason="村集体经济收入未达到标准",
    )
    case.refresh_from_db()
    assert case.state == CaseState.REJECTED and case.close_reason == "村集体经济收入未达到标准"
    assert Case.objects.filter(village_id=VILLAGE, household__isnull=True).count() == 1
