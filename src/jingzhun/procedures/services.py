"""Writers of procedures: open a case, complete its steps, post notices, record and resolve objections,
reject or withdraw, and move many cases through one step. Nothing else saves procedure models.

Every function validates, writes and audits in one transaction; a case's ``version`` is the optimistic
lock. Checks are shared by ``complete_step`` and ``advance_many`` (``_problem``), so the invariants hold
for one case and for ten thousand: a household reaches an approved state only through every step, with
every signature and document, after a complete notice period and with every objection resolved.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.files import File
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from jingzhun.accounts.models import User
from jingzhun.core import audit, bulk, signals
from jingzhun.core.errors import (
    JingzhunError,
    NotFoundOrForbidden,
    PermissionDeniedError,
    ValidationFailed,
)
from jingzhun.core.locking import bump_version, check_version
from jingzhun.core.models import ChangeAction, ObjectChange
from jingzhun.policy import criteria
from jingzhun.policy.selectors import resolve
from jingzhun.procedures import access, effects, natural
from jingzhun.procedures import village as village_subject
from jingzhun.procedures.choices import (
    CaseState,
    EvidenceKind,
    NaturalChange,
    NoticeState,
    ObjectionState,
    ProcedureKind,
    Signer,
)
from jingzhun.procedures.models import (
    Case,
    CaseStep,
    Evidence,
    Notice,
    NoticeEntry,
    Objection,
    ProcedureDefinition,
    StepDefinition,
)
from jingzhun.procedures.selectors import definition_for
from jingzhun.regions.models import Region
from jingzhun.registry.access import households_for
from jingzhun.registry.choices import MonitoringType
from jingzhun.registry.models import Household
from jingzhun.registry.services import change_status_many

CHUNK = 2000
MAX_UPLOAD = 20 * 2**20  # a phone photo or a scanned form, not a video
CONFLICT = "该案件已被他人办理或修改，请刷新后重试"


@dataclass(frozen=True)
class Signature:
    """A signed confirmation of a step: as whom (``Signer`` code) and the signer's name."""

    signer: str
    name: str

    def as_json(self, on: dt.date) -> dict[str, str]:
        return {
            "signer": self.signer,
            "label": str(Signer(self.signer).label),
            "name": self.name,
            "signed_on": on.isoformat(),
        }


@dataclass(frozen=True)
class EvidenceInput:
    """A document for a step: an uploaded file, or the name of a paper document kept on file."""

    kind: str
    name: str
    file: File[bytes] | None = None


@dataclass
class BulkResult:
    case_id: int
    household_number: str
    ok: bool
    message: str = ""


def _user(actor: audit.Actor) -> Any:
    if actor.user is None:
        raise PermissionDeniedError("办理步骤须由登录的工作人员进行，不能由系统代办")
    return actor.user


def _today() -> dt.date:
    return timezone.localdate()


def _require_text(value: str, field_name: str, label: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationFailed(f"请填写{label}", {field_name: [f"请填写{label}"]})
    return text


def _not_future(on: dt.date, field_name: str, label: str) -> None:
    if on > _today():
        raise ValidationFailed(f"{label}不能晚于今天", {field_name: ["不能晚于今天"]})


AUDIT_FIELDS = [f.attname for f in ObjectChange._meta.concrete_fields if not f.primary_key]


def _record_many(changes: Sequence[ObjectChange]) -> None:
    """Write audit lines set-based through ``core.bulk`` (COPY on PostgreSQL, where the ORM's bulk insert
    spends most of its time quoting the JSON snapshots into arrays; executemany on SQLite)."""
    stamps: dict[dt.datetime, Any] = {}  # a move's lines share a few timestamps: convert each once

    def row(change: ObjectChange) -> list[Any]:
        if change.time not in stamps:
            stamps[change.time] = bulk.db_datetime(change.time)
        return [stamps[change.time] if f == "time" else getattr(change, f) for f in AUDIT_FIELDS]

    bulk.insert_rows(ObjectChange, AUDIT_FIELDS, (row(c) for c in changes))


# ---------------------------------------------------------------------------------------------------
# Opening


@transaction.atomic
def open_case(
    *,
    actor: audit.Actor,
    household: Household,
    kind: str,
    discovered_on: dt.date,
    params: dict[str, Any] | None = None,
) -> Case:
    """Open a case for a household (one open case per household and kind). A step with a deadline key
    (monitoring: discovery → county decision ≤ 15 days) sets the case deadline from policy."""
    user = _user(actor)
    if not households_for(user, "change").filter(pk=household.pk).exists():
        raise NotFoundOrForbidden("农户不存在或无权访问")
    _not_future(discovered_on, "discovered_on", "发现日期")
    if kind in village_subject.VILLAGE_KINDS:
        raise ValidationFailed("贫困村退出的对象是村，不是农户：请在贫困村页面办理", {"kind": ["对象应为村"]})
    village_code = household.village.code
    definition = definition_for(kind, village_code)
    clean = effects.clean_params(kind, params or {}, household)
    refused = effects.refusal(kind, household)
    if refused:
        raise ValidationFailed(refused)
    if Case.objects.filter(household=household, kind=kind, state=CaseState.OPEN).exists():
        raise ValidationFailed(f"该户已有办理中的「{definition.get_kind_display()}」案件")
    steps = list(definition.steps.order_by("order"))
    case = Case(
        household=household,
        kind=kind,
        definition=definition,
        next_step=steps[0],
        params=clean,
        discovered_on=discovered_on,
        opened_by=actor.name,
    )
    timed = next((s for s in steps if s.deadline_key), None)
    if timed is not None:
        days = resolve(timed.deadline_key, region_code=village_code, on=discovered_on)
        case.deadline = discovered_on + dt.timedelta(days=int(days.value))
        case.policy = {"deadline": {**days.as_json(), "step": timed.code}}
    case.save()
    audit.record(actor, ChangeAction.CREATE, case, root=household)
    return case


@transaction.atomic
def open_village_case(*, actor: audit.Actor, village: Region, kind: str, discovered_on: dt.date) -> Case:
    """Open a case whose subject is a village (贫困村退出, §3.3): by staff whose jurisdiction holds it."""
    user = _user(actor)
    if not access.may_change_village(user, village):
        raise NotFoundOrForbidden("村不存在或无权访问")
    _not_future(discovered_on, "discovered_on", "申请日期")
    return village_subject.open_case(
        actor=actor, village=village, kind=kind, discovered_on=discovered_on, user=user
    )


# ---------------------------------------------------------------------------------------------------
# Checks shared by complete_step and advance_many


@dataclass
class _Facts:
    """What the checks need about a set of cases, each loaded in one query."""

    last_done: dict[int, dt.date] = field(default_factory=dict)
    open_objections: set[int] = field(default_factory=set)
    notices: dict[int, Notice] = field(default_factory=dict)

    @classmethod
    def load(cls, cases: Sequence[Case], step_code: str) -> _Facts:
        ids = [c.pk for c in cases]
        facts = cls()
        for i in range(0, len(ids), CHUNK):
            part = ids[i : i + CHUNK]
            facts.last_done.update(
                CaseStep.objects.filter(case_id__in=part, superseded=False)
                .values("case_id")
                .annotate(last=Max("done_on"))
                .values_list("case_id", "last")
            )
            facts.open_objections.update(
                Objection.objects.filter(case_id__in=part, state=ObjectionState.OPEN).values_list(
                    "case_id", flat=True
                )
            )
            entries = NoticeEntry.objects.filter(
                case_id__in=part, active=True, notice__step_code=step_code, notice__state=NoticeState.POSTED
            ).select_related("notice__photo")
            facts.notices.update({e.case_id: e.notice for e in entries})
        return facts


def _problem(case: Case, step_code: str, on: dt.date, facts: _Facts, kinds: set[str]) -> str | None:
    """The first reason this case cannot pass ``step_code`` on ``on`` (None if it can)."""
    step = case.next_step
    if case.state != CaseState.OPEN or step is None:
        return f"案件{case.get_state_display()}，不能继续办理"
    if step.code != step_code:
        return f"当前应办理「{step.name}」，不能跳过或重复办理其他步骤"
    if case.pk in facts.open_objections:
        return "有未复核的异议，复核完成前不能继续办理"
    last = facts.last_done.get(case.pk, case.discovered_on)
    if on < last:
        return f"办理日期不能早于上一步骤的日期 {last:%Y-%m-%d}"
    if step.notice_kind:
        notice = facts.notices.get(case.pk)
        if notice is None:
            return f"尚未张贴「{step.name}」，请先发布公示"
        if on < notice.end_on:
            return f"公示期至 {notice.end_on:%Y-%m-%d} 届满，期满后才能办理下一步"
        if notice.photo_id:
            kinds = kinds | {EvidenceKind.NOTICE_PHOTO}
    missing = [str(EvidenceKind(k).label) for k in step.evidence_list if k not in kinds]
    if missing:
        return f"缺少材料：{'、'.join(missing)}"
    if step.final:
        if case.village is not None:
            return village_subject.refusal(case.kind, case.village)
        if case.kind == ProcedureKind.NATURAL_CHANGE:
            return natural.refusal(_household_of(case), case.params)
        return effects.refusal(case.kind, _household_of(case))
    return None


def _household_of(case: Case) -> Household:
    """The household of a household case (a village case is handled before this is asked)."""
    if case.household is None:
        raise ValidationFailed("该案件的对象是村，不是农户")
    return case.household


def _check_signatures(step: StepDefinition, signatures: Sequence[Signature]) -> None:
    for sig in signatures:
        if sig.signer not in Signer.values:
            raise ValidationFailed(f"未知的签字人类型：{sig.signer}", {"signatures": ["未知的签字人类型"]})
        if not sig.name.strip():
            raise ValidationFailed(
                f"{Signer(sig.signer).label}签字须填写姓名", {"signatures": ["须填写签字人姓名"]}
            )
    needed = Counter(step.signature_list)
    given: dict[str, set[str]] = {}
    for sig in signatures:
        given.setdefault(sig.signer, set()).add(sig.name.strip())
    short = [f"{Signer(k).label}{n}人" for k, n in needed.items() if len(given.get(k, ())) < n]
    if short:
        raise ValidationFailed(f"缺少签字：{'、'.join(short)}（多人签字须为不同的人）", {"signatures": short})


def _check_evidence(evidence: Sequence[EvidenceInput]) -> set[str]:
    for item in evidence:
        if item.kind not in EvidenceKind.values:
            raise ValidationFailed(f"未知的材料类型：{item.kind}", {"evidence": ["未知的材料类型"]})
        if not item.name.strip() and item.file is None:
            raise ValidationFailed(
                f"{EvidenceKind(item.kind).label}须上传文件或填写材料名称", {"evidence": ["须有名称"]}
            )
        if item.file is not None and (item.file.size or 0) > MAX_UPLOAD:
            raise ValidationFailed(
                f"{EvidenceKind(item.kind).label}文件不能超过 20 MB", {"evidence": ["文件过大"]}
            )
    return {item.kind for item in evidence}


def _evaluation(case: Case, step: StepDefinition, on: dt.date) -> dict[str, Any] | None:
    """Evaluate the policy criteria at this step; an approval step refuses a failing household."""
    purpose = effects.PURPOSE.get(case.kind)
    if not step.evaluate:
        return None
    if case.village_id:
        evaluation = village_subject.evaluation(case, on)
    elif purpose is None:
        return None
    else:
        evaluation = criteria.evaluate_household(
            _household_of(case),
            purpose=purpose,
            on=on,
            monitoring_type=case.params.get("monitoring_type"),
            mode=case.params.get("mode"),
        )
    if step.require_pass and not evaluation.passed:
        raise ValidationFailed(f"不符合政策标准，不能通过「{step.name}」：{evaluation.summary_zh()}")
    result: dict[str, Any] = evaluation.as_json()
    return result


# ---------------------------------------------------------------------------------------------------
# One case, one step


@transaction.atomic
def complete_step(
    *,
    actor: audit.Actor,
    case: Case,
    step_code: str,
    expected_version: int,
    on: dt.date | None = None,
    signatures: Sequence[Signature] = (),
    evidence: Sequence[EvidenceInput] = (),
    comment: str = "",
    effective_on: dt.date | None = None,
) -> CaseStep:
    """Do the waiting step of a case. The last step applies the effect to the register, effective on
    ``effective_on`` (default: the day of the step) — a StatusEvent with the decision's date."""
    user = _user(actor)
    case = access.access_case(user, case.pk, "change", villages=True)
    check_version(
        case.version, expected_version, CONFLICT
    )  # a stale form: say so before judging its contents
    on = on or _today()
    _not_future(on, "on", "办理日期")
    kinds = _check_evidence(evidence)
    facts = _Facts.load([case], step_code)
    problem = _problem(case, step_code, on, facts, kinds)
    if problem:
        raise ValidationFailed(problem)
    step = case.next_step
    assert step is not None
    access.require_role(user, step)
    _check_signatures(step, signatures)
    if effective_on is not None and not step.final:
        raise ValidationFailed("只有办结步骤才能填写生效日期", {"effective_on": ["不是办结步骤"]})
    evaluation = _evaluation(case, step, on)
    bump_version(case, expected_version, message=CONFLICT)
    done = _write_steps(actor, [case], step, on, signatures, evidence, comment, {case.pk: evaluation}, facts)[
        0
    ]
    if step.final:
        _close(actor, [case], on, effective_on or on, bump=False)
    else:
        _advance(actor, [case], step, bump=False)
    return done


def _write_steps(
    actor: audit.Actor,
    cases: Sequence[Case],
    step: StepDefinition,
    on: dt.date,
    signatures: Sequence[Signature],
    evidence: Sequence[EvidenceInput],
    comment: str,
    evaluations: dict[int, dict[str, Any] | None],
    facts: _Facts,
) -> list[CaseStep]:
    signed = [s.as_json(on) for s in signatures]
    done = [
        CaseStep(
            case=c,
            step=step,
            done_on=on,
            user=actor.user,
            user_name=actor.name,
            signatures=signed,
            comment=comment,
            evaluation=evaluations.get(c.pk),
            notice=facts.notices.get(c.pk),
        )
        for c in cases
    ]
    CaseStep.objects.bulk_create(done, batch_size=CHUNK)
    # One row per document, shared by all the cases of the move (a village's minutes cover them all).
    docs = [
        Evidence(
            case=cases[0] if len(cases) == 1 else None,
            kind=e.kind,
            name=e.name.strip() or getattr(e.file, "name", ""),
            added_by=actor.name,
        )
        for e in evidence
    ]
    for doc, item in zip(docs, evidence, strict=True):
        if item.file is not None:
            doc.file.save(item.file.name or "evidence", item.file, save=False)
    Evidence.objects.bulk_create(docs)
    link = CaseStep.documents.through
    link.objects.bulk_create(
        [link(casestep_id=d.pk, evidence_id=doc.pk) for d in done for doc in docs], batch_size=CHUNK
    )
    # Each document is audited once; a step's audit line names its documents by id.
    root = cases[0].household if len(cases) == 1 else None
    changes = [
        audit.build_change(
            actor, ChangeAction.CREATE, doc, before=None, after=_evidence_snapshot(doc), root=root
        )
        for doc in docs
    ]
    ids = [doc.pk for doc in docs]
    changes += [
        audit.build_change(
            actor,
            ChangeAction.CREATE,
            d,
            before=None,
            root=d.case.household,
            after={**audit.snapshot(d), "evidence": ids},
        )
        for d in done
    ]
    _record_many(changes)
    return done


def _advance(actor: audit.Actor, cases: Sequence[Case], step: StepDefinition, bump: bool = True) -> None:
    following = StepDefinition.objects.filter(
        definition_id=step.definition_id, order__gt=step.order
    ).order_by("order")
    nxt = following.first()
    _update_cases(actor, cases, bump=bump, next_step=nxt)


def _close(
    actor: audit.Actor, cases: Sequence[Case], on: dt.date, effective_on: dt.date, bump: bool = True
) -> None:
    """The last step: the register change (set-based) and the case closed as approved."""
    changes = []
    for case in cases:
        if case.village_id:  # 备案销号 of a village: the 贫困村 register's exit year
            village_subject.close(actor, case, effective_on)
            continue
        reason = f"{case.definition.name}（案件 #{case.pk}）"
        change = effects.status_change(
            case.definition.effect, _household_of(case), case.params, effective_on, reason
        )
        if change is not None:
            changes.append(change)
        if case.kind == ProcedureKind.NATURAL_CHANGE:
            _apply_natural(actor, case, reason)
    change_status_many(actor=actor, changes=changes)
    _update_cases(
        actor,
        cases,
        bump=bump,
        next_step=None,
        state=CaseState.APPROVED,
        closed_on=on,
        effective_on=effective_on,
    )
    signals.register_changed.send(
        sender=Case, prefixes={village_subject.subject_code(c)[:6] for c in cases}, cause="procedure"
    )


def _apply_natural(actor: audit.Actor, case: Case, reason: str) -> None:
    """A natural change's member changes, written through the registry, and what was written kept on the case."""
    before = audit.snapshot(case)
    applied = natural.apply(actor, _household_of(case), case.params, reason)
    case.params = {**case.params, "applied": applied}
    Case.objects.filter(pk=case.pk).update(params=case.params)
    audit.record(actor, ChangeAction.UPDATE, case, before=before, root=case.household)


def _update_cases(actor: audit.Actor, cases: Sequence[Case], bump: bool = True, **values: Any) -> None:
    """Set the same values on many cases: one UPDATE per chunk, one audit line per case. ``bump`` is off
    when the caller already took the optimistic lock (which bumped the version)."""
    now = timezone.now()
    logs = []
    for case in cases:
        before = audit.snapshot(case)
        for key, value in values.items():
            setattr(case, key, value)
        logs.append(
            audit.build_change(
                actor,
                ChangeAction.UPDATE,
                case,
                before=before,
                after=audit.snapshot(case),
                root=case.household,
                at=now,
            )
        )
    ids = [c.pk for c in cases]
    for i in range(0, len(ids), CHUNK):
        extra = {"version": F("version") + 1} if bump else {}
        Case.objects.filter(pk__in=ids[i : i + CHUNK]).update(**values, **extra, updated_at=now)
    for case in cases if bump else ():
        case.version += 1
    _record_many(logs)


# ---------------------------------------------------------------------------------------------------
# Many cases, one step


@transaction.atomic
def advance_many(
    *,
    actor: audit.Actor,
    cases: Iterable[Case],
    step_code: str,
    on: dt.date | None = None,
    signatures: Sequence[Signature] = (),
    evidence: Sequence[EvidenceInput] = (),
    comment: str = "",
) -> list[BulkResult]:
    """Move many cases (a village's, a township's) through one step. Each case passes or fails by itself
    with a Chinese reason; all checks run first, then the passing cases are written set-based.

    A household's own signature cannot be given for many households at once, so such steps are refused.
    """
    user = _user(actor)
    on = on or _today()
    _not_future(on, "on", "办理日期")
    kinds = _check_evidence(evidence)
    wanted = [c.pk for c in cases]
    loaded = _load_for_update(user, wanted)
    results: dict[int, BulkResult] = {pk: BulkResult(pk, "", False, "案件不存在或无权访问") for pk in wanted}
    facts = _Facts.load(list(loaded.values()), step_code)
    passing: dict[int, list[Case]] = {}
    evaluations: dict[int, dict[str, Any] | None] = {}
    for case in loaded.values():
        result = results[case.pk]
        result.household_number = village_subject.label(case)
        try:
            _check_one(user, case, step_code, on, facts, kinds, signatures, evaluations)
        except JingzhunError as exc:
            result.message = exc.message
            continue
        result.ok, result.message = True, "已办理"
        passing.setdefault(case.next_step_id or 0, []).append(case)
    for group in passing.values():
        step = group[0].next_step
        assert step is not None
        _write_steps(actor, group, step, on, signatures, evidence, comment, evaluations, facts)
        _close(actor, group, on, on) if step.final else _advance(actor, group, step)
    return [results[pk] for pk in wanted]


def _load_for_update(user: User, ids: list[int]) -> dict[int, Case]:
    """Lock and load the cases with their households; steps and definitions are shared objects (a village's
    cases wait at a handful of steps), which keeps ten thousand cases cheap to load."""
    loaded: dict[int, Case] = {}
    qs = access.cases_for(user, "change").select_related("household")
    for i in range(0, len(ids), CHUNK):
        loaded.update({c.pk: c for c in qs.filter(pk__in=ids[i : i + CHUNK]).select_for_update(of=("self",))})
    steps = StepDefinition.objects.in_bulk({c.next_step_id for c in loaded.values() if c.next_step_id})
    definitions = ProcedureDefinition.objects.in_bulk({c.definition_id for c in loaded.values()})
    for case in loaded.values():
        case.next_step = steps.get(case.next_step_id) if case.next_step_id else None
        case.definition = definitions[case.definition_id]
    return loaded


def _check_one(
    user: User,
    case: Case,
    step_code: str,
    on: dt.date,
    facts: _Facts,
    kinds: set[str],
    signatures: Sequence[Signature],
    evaluations: dict[int, dict[str, Any] | None],
) -> None:
    problem = _problem(case, step_code, on, facts, kinds)
    if problem:
        raise ValidationFailed(problem)
    step = case.next_step
    assert step is not None
    access.require_role(user, step)
    if Signer.HOUSEHOLD in step.signature_list:
        raise ValidationFailed("此步骤须由农户本人签字，请逐户办理")
    _check_signatures(step, signatures)
    evaluations[case.pk] = _evaluation(case, step, on)


# ---------------------------------------------------------------------------------------------------
# Notices and objections


@transaction.atomic
def post_notice(
    *,
    actor: audit.Actor,
    village: Region,
    cases: Sequence[Case],
    step_code: str,
    start_on: dt.date,
    photo: EvidenceInput | None = None,
) -> Notice:
    """Post one village notice listing several cases waiting at the same notice step. The period is
    ``start_on`` to ``start_on + days`` with days from policy for the village and the start date."""
    user = _user(actor)
    if not cases:
        raise ValidationFailed("请选择要公示的农户", {"cases": ["至少一户"]})
    loaded = list(
        access.cases_for(user, "change", villages=True)
        .filter(pk__in=[c.pk for c in cases])
        .select_related("household__village", "village__parent", "next_step", "definition")
    )
    if len(loaded) != len({c.pk for c in cases}):
        raise NotFoundOrForbidden("案件不存在或无权访问")
    step = _notice_step(loaded, village, step_code)
    access.require_role(user, step)
    facts = _Facts.load(loaded, step_code)
    for case in loaded:
        _check_postable(case, facts, start_on)
    days = resolve(step.notice_days_key, region_code=village.code, on=start_on)
    notice = Notice(
        village=village,
        kind=step.notice_kind,
        step_code=step_code,
        procedure_kind=loaded[0].kind,
        start_on=start_on,
        end_on=start_on + dt.timedelta(days=int(days.value)),
        days=int(days.value),
        policy={"notice_days": days.as_json()},
        posted_by=actor.name,
    )
    if photo is not None:
        notice.photo = _save_photo(actor, photo)
    notice.save()
    entries = [_entry(notice, case) for case in loaded]
    NoticeEntry.objects.bulk_create(entries)
    audit.record(actor, ChangeAction.CREATE, notice)
    audit.record_many(
        audit.build_change(
            actor, ChangeAction.CREATE, e, before=None, after=audit.snapshot(e), root=e.case.household
        )
        for e in entries
    )
    return notice


def _notice_step(cases: Sequence[Case], village: Region, step_code: str) -> StepDefinition:
    steps = {c.next_step_id for c in cases}
    first = cases[0].next_step
    if any(village_subject.subject_code(c) != village.pk for c in cases):
        raise ValidationFailed(f"一张公示只能列同一个村的农户：有农户不在{village.name}")
    if len(steps) != 1 or first is None or first.code != step_code or not first.notice_kind:
        raise ValidationFailed(f"所选案件不都在等待公示步骤「{step_code}」，不能一起公示")
    if any(c.state != CaseState.OPEN for c in cases):
        raise ValidationFailed("已办结或撤回的案件不能公示")
    return first


def _check_postable(case: Case, facts: _Facts, start_on: dt.date) -> None:
    number = village_subject.label(case)
    if case.pk in facts.notices:
        raise ValidationFailed(f"户编号 {number} 已在公示中，不能重复公示")
    if case.pk in facts.open_objections:
        raise ValidationFailed(f"户编号 {number} 有未复核的异议")
    last = facts.last_done.get(case.pk, case.discovered_on)
    if start_on < last:
        raise ValidationFailed(
            f"公示开始日期不能早于上一步骤的日期 {last:%Y-%m-%d}", {"start_on": ["早于上一步骤"]}
        )


def _entry(notice: Notice, case: Case) -> NoticeEntry:
    """Only what a notice may show (domain.md §4.6): number, head's name, place, size, a note."""
    if case.village_id:
        return village_subject.notice_entry(notice, case)
    hh = _household_of(case)
    note = effects.NOTE.get(case.kind, "")
    if case.kind == ProcedureKind.NATURAL_CHANGE and case.params.get("change") in NaturalChange.values:
        note = f"自然变更（{NaturalChange(case.params['change']).label}）"
    if case.kind == "monitoring":
        note = f"拟纳入{MonitoringType(case.params['monitoring_type']).label}"
    place = f"{hh.village.name}{hh.natural_village}"
    size = hh.members.filter(left_on__isnull=True).count()
    return NoticeEntry(
        notice=notice,
        case=case,
        household_number=hh.household_number,
        head_name=hh.head_name,
        place=place[:120],
        size=size,
        note=note,
    )


def _save_photo(actor: audit.Actor, photo: EvidenceInput) -> Evidence:
    _check_evidence([photo])
    doc = Evidence(
        kind=EvidenceKind.NOTICE_PHOTO,
        name=photo.name.strip() or getattr(photo.file, "name", ""),
        added_by=actor.name,
    )
    if photo.file is not None:
        doc.file.save(photo.file.name or "notice-photo", photo.file, save=False)
    doc.save()
    audit.build_change(actor, ChangeAction.CREATE, doc, before=None, after=_evidence_snapshot(doc)).save()
    return doc


def _evidence_snapshot(doc: Evidence) -> dict[str, Any]:
    """The audit snapshot of a document: the stored file by its path under MEDIA_ROOT."""
    data = {
        f.name: audit.jsonable(f.value_from_object(doc))
        for f in doc._meta.concrete_fields
        if f.name != "file"
    }
    data["file"] = doc.file.name or ""
    return data


@transaction.atomic
def attach_notice_photo(*, actor: audit.Actor, notice: Notice, photo: EvidenceInput) -> Notice:
    """Attach the photo of the posted notice (张贴照片), which the notice step requires as evidence."""
    user = _user(actor)
    notice = access.access_notice(user, notice.pk, "change", villages=True)
    before = audit.snapshot(notice)
    notice.photo = _save_photo(actor, photo)
    notice.save(update_fields=["photo"])
    audit.record(actor, ChangeAction.UPDATE, notice, before=before)
    return notice


@transaction.atomic
def record_objection(
    *, actor: audit.Actor, notice: Notice, case: Case, text: str, received_on: dt.date
) -> Objection:
    """An objection during the notice period sends the case back to the step the definition names
    (复核); the steps from there are superseded and the case must be noticed again."""
    user = _user(actor)
    notice = access.access_notice(user, notice.pk, "change", villages=True)
    case = access.access_case(user, case.pk, "change", villages=True)
    text = _require_text(text, "text", "异议内容")
    _not_future(received_on, "received_on", "收到日期")
    if not NoticeEntry.objects.filter(notice=notice, case=case, active=True).exists():
        raise ValidationFailed("该户不在此公示名单上（或已因异议退回）")
    if not notice.start_on <= received_on < notice.end_on:
        last = notice.end_on - dt.timedelta(days=1)
        raise ValidationFailed(
            f"异议应在公示期内（{notice.start_on:%Y-%m-%d} 至 {last:%Y-%m-%d}）提出",
            {"received_on": ["不在公示期内"]},
        )
    step = case.next_step
    if case.state != CaseState.OPEN or step is None or step.code != notice.step_code:
        raise ValidationFailed("该户已通过此公示步骤，不能再登记异议")
    target = StepDefinition.objects.get(
        definition_id=case.definition_id, code=step.objection_step or step.code
    )
    objection = Objection.objects.create(
        notice=notice,
        case=case,
        text=text,
        received_on=received_on,
        sent_back_to=target.code,
        recorded_by=actor.name,
    )
    audit.record(actor, ChangeAction.CREATE, objection, root=case.household)
    _send_back(actor, case, target)
    return objection


def _send_back(actor: audit.Actor, case: Case, target: StepDefinition) -> None:
    redo = StepDefinition.objects.filter(definition_id=case.definition_id, order__gte=target.order)
    for done in CaseStep.objects.filter(case=case, superseded=False, step__in=redo):
        before = audit.snapshot(done)
        done.superseded = True
        done.save(update_fields=["superseded"])
        audit.record(actor, ChangeAction.UPDATE, done, before=before, root=case.household)
    for entry in NoticeEntry.objects.filter(case=case, active=True).select_related("notice"):
        before = audit.snapshot(entry)
        entry.active = False
        entry.save(update_fields=["active"])
        audit.record(actor, ChangeAction.UPDATE, entry, before=before, root=case.household)
    _update_cases(actor, [case], next_step=target)


@transaction.atomic
def resolve_objection(
    *, actor: audit.Actor, objection: Objection, upheld: bool, resolution: str, on: dt.date | None = None
) -> Objection:
    """The re-check's conclusion. Unfounded: the case goes on from the step it was sent back to.
    Founded: the household does not qualify and the case is closed as not passed."""
    user = _user(actor)
    objection = access.access_objection(user, objection.pk, "change", villages=True)
    access.require_reviewer(user)
    resolution = _require_text(resolution, "resolution", "复核结论")
    on = on or _today()
    _not_future(on, "on", "复核日期")
    if objection.state != ObjectionState.OPEN:
        raise ValidationFailed("该异议已复核，不能重复复核")
    if on < objection.received_on:
        raise ValidationFailed("复核日期不能早于收到异议的日期", {"on": ["早于收到日期"]})
    before = audit.snapshot(objection)
    objection.state = ObjectionState.UPHELD if upheld else ObjectionState.DISMISSED
    objection.resolution, objection.resolved_by, objection.resolved_on = resolution, actor.name, on
    objection.save()
    case = Case.objects.select_related("household").get(pk=objection.case_id)
    audit.record(actor, ChangeAction.UPDATE, objection, before=before, root=case.household)
    if upheld and case.state == CaseState.OPEN:
        _update_cases(
            actor,
            [case],
            next_step=None,
            state=CaseState.REJECTED,
            closed_on=on,
            close_reason=f"异议成立：{resolution}"[:300],
        )
    return objection


# ---------------------------------------------------------------------------------------------------
# Ending a case otherwise


@transaction.atomic
def reject_case(
    *, actor: audit.Actor, case: Case, expected_version: int, reason: str, on: dt.date | None = None
) -> Case:
    """Not passed (不予通过) at a review: by the township or county, or by whoever may do the waiting step."""
    return _end(actor, case, expected_version, reason, on, CaseState.REJECTED)


@transaction.atomic
def withdraw_case(
    *, actor: audit.Actor, case: Case, expected_version: int, reason: str, on: dt.date | None = None
) -> Case:
    """The household withdraws its application (or the case was opened by mistake)."""
    return _end(actor, case, expected_version, reason, on, CaseState.WITHDRAWN)


def _end(
    actor: audit.Actor, case: Case, expected_version: int, reason: str, on: dt.date | None, state: str
) -> Case:
    user = _user(actor)
    case = access.access_case(user, case.pk, "change", villages=True)
    reason = _require_text(reason, "reason", "原因")
    on = on or _today()
    _not_future(on, "on", "日期")
    if case.state != CaseState.OPEN or case.next_step is None:
        raise ValidationFailed(f"案件{case.get_state_display()}，不能再改变")
    if not access.may_do(user, case.next_step):
        access.require_reviewer(user)
    bump_version(case, expected_version, message=CONFLICT)
    _update_cases(
        actor, [case], bump=False, next_step=None, state=state, closed_on=on, close_reason=reason[:300]
    )
    return case
