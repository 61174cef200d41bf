"""Reads of procedures: which definition applies, my queue, a case's history, a year's decisions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import F, QuerySet
from django.utils import timezone

from jingzhun.core.errors import ValidationFailed
from jingzhun.core.restrict import UserLike
from jingzhun.policy import criteria
from jingzhun.procedures import rendering
from jingzhun.procedures.access import cases_for
from jingzhun.procedures.choices import CaseState, NoticeKind, ProcedureKind
from jingzhun.procedures.effects import PURPOSE
from jingzhun.procedures.models import Case, CaseStep, Notice, ProcedureDefinition


def definition_for(kind: str, village_code: str) -> ProcedureDefinition:
    """The most specific definition whose region prefix starts the village code ("" = national)."""
    if kind not in ProcedureKind.values:
        raise ValidationFailed(f"未知的程序类型：{kind}", {"kind": ["未知的程序类型"]})
    prefixes = [village_code[:n] for n in (12, 9, 6, 4, 2)] + [""]
    found = ProcedureDefinition.objects.filter(kind=kind, region_prefix__in=prefixes)
    best = max(found, key=lambda d: len(d.region_prefix), default=None)
    if best is None:
        raise ValidationFailed(f"没有适用于区划 {village_code} 的「{ProcedureKind(kind).label}」程序定义")
    return best


def queue_for(user: UserLike) -> QuerySet[Case]:
    """Open cases in my jurisdiction whose waiting step my role may do; overdue first, then oldest."""
    role = getattr(user, "role", "")
    return (
        cases_for(user, "change")
        .filter(state=CaseState.OPEN, next_step__roles__contains=f",{role},")
        .select_related("household__village", "next_step")
        .order_by(F("deadline").asc(nulls_last=True), "discovered_on", "pk")
    )


def overdue(user: UserLike, on: dt.date | None = None) -> QuerySet[Case]:
    on = on or timezone.localdate()
    return cases_for(user).filter(state=CaseState.OPEN, deadline__lt=on)


def is_overdue(case: Case, on: dt.date | None = None) -> bool:
    on = on or timezone.localdate()
    return case.state == CaseState.OPEN and case.deadline is not None and case.deadline < on


def steps_of(case: Case) -> QuerySet[CaseStep]:
    return case.steps.select_related("step", "notice", "user").prefetch_related("documents").order_by("pk")


@dataclass(frozen=True)
class Decision:
    """A closed case of a year with the criteria evaluation it was decided on (the numbers used)."""

    case: Case
    evaluation: dict[str, Any] | None

    @property
    def parameters(self) -> list[dict[str, Any]]:
        if not self.evaluation:
            return []
        return [c["parameter"] for c in self.evaluation.get("criteria", []) if c.get("parameter")]


def decisions(user: UserLike, year: int, kind: str | None = None) -> list[Decision]:
    """Approved cases whose decision took effect in ``year``, each with its stored approval evaluation."""
    qs = cases_for(user).filter(state=CaseState.APPROVED, effective_on__year=year)
    if kind:
        qs = qs.filter(kind=kind)
    qs = qs.select_related("household").order_by("effective_on", "pk")
    evaluations = _last_evaluations([c.pk for c in qs])
    return [Decision(case=c, evaluation=evaluations.get(c.pk)) for c in qs]


def _last_evaluations(case_ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = (
        CaseStep.objects.filter(case_id__in=case_ids, superseded=False)
        .filter(evaluation__isnull=False)
        .order_by("case_id", "pk")
        .values_list("case_id", "evaluation")
    )
    return {case_id: evaluation for case_id, evaluation in rows if evaluation is not None}


@dataclass(frozen=True)
class Replay:
    """A stored decision re-derived today: the same household and day, today's parameter rows."""

    decision: Decision
    passed_then: bool
    passed_now: bool
    changed: list[str]  # criteria whose threshold or result differs, in Chinese

    @property
    def still_holds(self) -> bool:
        return self.passed_now == self.passed_then and not self.changed


def replay(user: UserLike, year: int, kind: str | None = None) -> list[Replay]:
    """Re-run each decision of ``year`` (an annual adjustment) against the current parameters and say
    whether it still holds. What was stored is never changed: it is what the decision was taken on."""
    results = []
    for decision in decisions(user, year, kind):
        stored = decision.evaluation
        purpose = PURPOSE.get(decision.case.kind)
        household = decision.case.household
        if not stored or purpose is None or household is None:
            continue
        on = dt.date.fromisoformat(stored["on"])
        params = decision.case.params
        now = criteria.evaluate_household(
            household,
            purpose=purpose,
            on=on,
            monitoring_type=params.get("monitoring_type"),
            mode=params.get("mode"),
        ).as_json()
        results.append(Replay(decision, _passed(stored), _passed(now), _differences(stored, now)))
    return results


# The household's status criterion is left out: the decision itself changed that status.
REPLAY_SKIP = {"status"}


def _passed(evaluation: dict[str, Any]) -> bool:
    return all(
        c["passed"]
        for c in evaluation["criteria"]
        if c.get("required", True) and c["code"] not in REPLAY_SKIP
    )


def _differences(stored: dict[str, Any], now: dict[str, Any]) -> list[str]:
    current = {c["code"]: c for c in now["criteria"]}
    changes = []
    for old in stored["criteria"]:
        if old["code"] in REPLAY_SKIP:
            continue
        new = current.get(old["code"])
        if new is None:
            changes.append(f"{old['name']}：现已不再评估")
        elif (old["threshold"], old["passed"]) != (new["threshold"], new["passed"]):
            changes.append(
                f"{old['name']}：当时 {old['threshold']}（{_yes(old)}），现在 {new['threshold']}（{_yes(new)}）"
            )
    return changes


def _yes(criterion: dict[str, Any]) -> str:
    return "符合" if criterion["passed"] else "不符合"


# ---------------------------------------------------------------------------------------------------
# Notices as posted


BODIES = {
    ProcedureKind.IDENTIFICATION: "经农户申请、村民代表大会民主评议，拟将下列农户识别为建档立卡贫困户，现予公示。",
    ProcedureKind.EXIT: "经村两委民主评议、村两委和驻村工作队核实、农户本人认可，下列贫困户拟脱贫退出，现予公示。",
    ProcedureKind.RETURN: "经入户核实、民主评议，下列农户拟认定为返贫户，现予公示。",
    ProcedureKind.NATURAL_CHANGE: "下列农户家庭人口发生自然变更，现予公示。",
    ProcedureKind.MONITORING: "经农户申请（或干部排查）、入户核实、民主评议，下列农户拟纳入防止返贫监测对象，现予公示。",
    ProcedureKind.ELIMINATION: "经入户核实、民主评议，下列监测对象拟标注风险消除，现予公示。",
    ProcedureKind.VILLAGE_EXIT: "经村自主申请、乡镇评估上报、县级审核批复，下列贫困村拟退出（出列），现予公示。",
}


def notice_content(notice: Notice) -> rendering.NoticeContent:
    """The notice as the renderer needs it, from the entries stored when it was posted (only allowed
    fields: household number, head's name, place, size, note)."""
    village = notice.village
    township = village.parent.name if village.parent else ""
    kind = ProcedureKind(notice.procedure_kind)
    announcement = notice.kind == NoticeKind.ANNOUNCEMENT
    issuer = f"{township}人民政府" if announcement and township else _committee(village.name)

    def decided(note: str) -> str:  # the announcement states the decision: 拟退出 → 退出
        return note.removeprefix("拟") if announcement else note

    entries = [
        rendering.NoticeEntry(
            household_number=e.household_number,
            head_name=e.head_name,
            place=e.place,
            size=e.size,
            note=decided(e.note),
        )
        for e in notice.entries.order_by("household_number")
    ]
    body = BODIES[kind]
    objection_how = rendering.standard_objection_how(village=_committee(village.name), township=township)
    word = "公示"
    if announcement:  # the announcement follows the county's approval: it is 公告, not another 公示
        body = body.replace("拟将", "将").replace("拟", "").replace("现予公示", "经县级审批，现予公告")
        objection_how = objection_how.replace("公示期间", "公告期间")
        word = "公告"
    return rendering.NoticeContent(
        title=f"{village.name}{notice.start_on.year}年{kind.label}{notice.get_kind_display()}",
        kind_label=str(notice.get_kind_display()),
        issuer=issuer,
        region_name=village.full_name(),
        period_start=notice.start_on,
        period_end=notice.end_on - dt.timedelta(days=1),
        body=body,
        entries=entries,
        objection_how=objection_how,
        published_on=notice.start_on,
        reference=f"{village.name}{word}〔{notice.start_on.year}〕{notice.pk}号",
    )


def _committee(village_name: str) -> str:
    return (village_name[:-1] if village_name.endswith("村") else village_name) + "村民委员会"
