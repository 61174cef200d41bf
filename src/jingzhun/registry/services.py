"""Writes to the register. Every change goes through here: validated, optimistic-locked, audited.

Views, the API, imports and commands call these functions; nothing else saves registry models
(HackSoft services; Zulip's one writer per state change).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import JSONField
from django.utils import timezone

from jingzhun.core import audit
from jingzhun.core.errors import NotFoundOrForbidden, ValidationFailed
from jingzhun.core.models import ChangeAction
from jingzhun.registry import idnumbers, income
from jingzhun.registry.choices import (
    Attribute,
    Cause,
    ExpenseKind,
    Health,
    LeaveReason,
    MonitoringType,
    PovertyStatus,
    Relation,
    RiskElimination,
    RiskType,
)
from jingzhun.registry.locking import lock_household as _lock
from jingzhun.registry.models import (
    Household,
    HouseholdExpense,
    HouseholdYear,
    IncomeAssessment,
    Member,
    StatusEvent,
)

STATUS_FIELDS = ("attribute", "poverty_status", "monitoring_type", "risk_elimination")
# Moving a household to another village is a procedure (分户/迁移), not an edit, and must not cross
# jurisdictions; sex, birth date and certificate fields follow from the ID number; leaving is remove_member.
HOUSEHOLD_EDITABLE = tuple(
    f.name
    for f in Household._meta.concrete_fields
    if f.editable and f.name not in {"id", "household_number", "village", "version", "created_at", "updated_at"}
)
MEMBER_EDITABLE = tuple(
    f.name
    for f in Member._meta.concrete_fields
    if f.editable
    and f.name
    not in {
        "id", "household", "person_number", "created_at", "updated_at", "sex", "birth_date", "id_kind",
        "disability_cert_number", "left_on", "leave_reason",
    }
)
# Multi-valued code fields: their code list and how many items the national form allows.
CODE_LISTS: dict[str, tuple[type[Any], int]] = {
    "other_causes": (Cause, 2),
    "risk_types": (RiskType, 5),
    "health": (Health, 4),
}
YEAR_EDITABLE = (
    "household_size",
    *income.INPUT_FIELDS,
    *(
        f.name
        for f in HouseholdYear._meta.concrete_fields
        if f.editable
        and f.name not in {"id", "household", "year", "household_size", "updated_at", *income.INPUT_FIELDS}
    ),
)


def _only(data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationFailed(f"不能修改的字段：{', '.join(sorted(unknown))}")


def _normalise(model: type[Any], data: dict[str, Any]) -> dict[str, Any]:
    """None becomes '' for text fields; code lists are checked, de-duplicated and put in code order."""
    result = dict(data)
    for key, value in data.items():
        field = model._meta.get_field(key)
        if value is None and field.empty_strings_allowed and not field.null and not isinstance(field, JSONField):
            result[key] = ""
        if key in CODE_LISTS:
            result[key] = _check_code_list(key, value)
    return result


def _check_code_list(key: str, value: Any) -> list[str]:
    codes, max_items = CODE_LISTS[key]
    label = {"other_causes": "其他致贫原因", "risk_types": "致贫返贫风险", "health": "健康状况"}[key]
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple):
        raise ValidationFailed(f"{label}应为代码列表", {key: ["应为代码列表"]})
    items = [str(v) for v in value]
    bad = [v for v in items if v not in codes.values]
    if bad:
        raise ValidationFailed(f"{label}中有无效代码：{'、'.join(bad)}", {key: [f"无效代码：{'、'.join(bad)}"]})
    unique = sorted(set(items), key=lambda c: (len(c), c))
    if len(unique) > max_items:
        raise ValidationFailed(f"{label}最多 {max_items} 项", {key: [f"最多 {max_items} 项"]})
    return unique


def _clean(obj: Any, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=True)
    except ValidationError as exc:
        errors = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        raise ValidationFailed(
            "填写有误：" + "；".join(f"{_label(obj, k)}{'，'.join(v)}" for k, v in errors.items()), errors
        ) from exc


def _label(obj: Any, name: str) -> str:
    """A field's Chinese name followed by a space ("" for errors of the whole record)."""
    try:
        return f"{obj._meta.get_field(name).verbose_name} "
    except Exception:  # "__all__" or a name that is not a field
        return ""


def _record_status(household: Household, before: dict[str, Any], on: dt.date, reason: str) -> None:
    if any(before.get(f) != getattr(household, f) for f in STATUS_FIELDS):
        StatusEvent.objects.create(
            household=household,
            effective_on=on,
            reason=reason,
            **{f: getattr(household, f) for f in STATUS_FIELDS},
        )


@transaction.atomic
def update_household(
    *, actor: audit.Actor, household: Household, expected_version: int, data: dict[str, Any], reason: str = ""
) -> Household:
    """Change a household's own fields. Raises ConcurrentEditError if it changed since ``expected_version``."""
    _only(data, HOUSEHOLD_EDITABLE)
    data = _normalise(Household, data)
    if data.get("main_cause") and data["main_cause"] in data.get("other_causes", household.other_causes):
        raise ValidationFailed("其他致贫原因不能与主要致贫原因重复", {"other_causes": ["与主要致贫原因重复"]})
    before = audit.snapshot(household)
    if all(before.get(k) == audit.jsonable(v) for k, v in data.items()):
        return household  # nothing changed: no new version, no audit noise
    for key, value in data.items():
        setattr(household, key, value)
    _clean(household)
    _lock(household, expected_version)
    household.save(update_fields=[*data.keys(), "updated_at"])
    audit.record(actor, ChangeAction.UPDATE, household, before=before)
    _record_status(household, before, timezone.localdate(), reason or "人工修改")
    return household


def parse_id_for_member(raw: str) -> idnumbers.ParsedId:
    try:
        return idnumbers.parse(raw)
    except idnumbers.IdNumberError as exc:
        raise ValidationFailed(exc.message, {"id_number": [exc.message]}) from exc


def _check_one_household(id_number: str, member_pk: int | None) -> None:
    clash = Member.objects.filter(id_number=id_number, left_on__isnull=True)
    if member_pk is not None:
        clash = clash.exclude(pk=member_pk)
    other = clash.select_related("household").first()
    if other is not None:
        msg = f"证件号码 {id_number[:6]}******{id_number[-4:]} 已是另一户（户编号 {other.household.household_number}）的成员，一人只能在一户"
        raise ValidationFailed(msg, {"id_number": [msg]})


def _apply_id(member: Member, raw: str) -> None:
    parsed = parse_id_for_member(raw)
    member.id_number = parsed.number
    member.id_kind = parsed.kind
    member.disability_cert_number = parsed.disability_cert or ""
    if parsed.disability_category:
        member.disability_category = parsed.disability_category
        member.disability_grade = parsed.disability_grade or ""
    member.sex = parsed.sex
    member.birth_date = parsed.birth_date


def _check_single_head(household: Household, exclude_pk: int | None) -> None:
    heads = household.members.filter(left_on__isnull=True, relation=Relation.HEAD)
    if exclude_pk is not None:
        heads = heads.exclude(pk=exclude_pk)
    if heads.exists():
        raise ValidationFailed("一户只能有一个户主：请先把原户主改为其他关系", {"relation": ["本户已有户主"]})


@transaction.atomic
def update_member(
    *, actor: audit.Actor, member: Member, expected_version: int, data: dict[str, Any]
) -> Member:
    """Change a member. The household's version is the lock for the whole household."""
    _only(data, MEMBER_EDITABLE)
    household = member.household
    data = _normalise(Member, data)
    if data.get("relation") == Relation.HEAD and member.relation != Relation.HEAD:
        _check_single_head(household, exclude_pk=member.pk)
    before = audit.snapshot(member)
    raw_id = data.pop("id_number", None)
    for key, value in data.items():
        setattr(member, key, value)
    if raw_id is not None and raw_id != member.id_number:
        _apply_id(member, raw_id)
        _check_one_household(member.id_number, member.pk)
    _clean(member, exclude=["household"])
    _lock(household, expected_version)
    member.save()
    audit.record(actor, ChangeAction.UPDATE, member, before=before, root=household)
    return member


@transaction.atomic
def add_member(
    *, actor: audit.Actor, household: Household, expected_version: int, person_number: str, data: dict[str, Any]
) -> Member:
    data = _normalise(Member, data)
    unknown = set(data) - set(MEMBER_EDITABLE)
    if unknown:
        raise ValidationFailed(f"不能填写的字段：{', '.join(sorted(unknown))}")
    if data.get("relation") == Relation.HEAD:
        _check_single_head(household, exclude_pk=None)
    raw_id = data.pop("id_number", "")
    member = Member(household=household, person_number=person_number, **data)
    _apply_id(member, raw_id)
    _check_one_household(member.id_number, None)
    if Member.objects.filter(person_number=person_number).exists():
        raise ValidationFailed(f"人编号 {person_number} 已存在", {"person_number": ["人编号已存在"]})
    _clean(member, exclude=["household"])
    _lock(household, expected_version)
    member.save()
    audit.record(actor, ChangeAction.CREATE, member, root=household)
    return member


@transaction.atomic
def remove_member(
    *, actor: audit.Actor, member: Member, expected_version: int, reason: str, left_on: dt.date
) -> Member:
    """A member leaves (death, marriage, split …): the row stays with the date and reason."""
    if member.left_on is not None:
        raise ValidationFailed(f"该成员已于 {member.left_on:%Y-%m-%d} 减员，不能重复减员")
    if left_on > timezone.localdate():
        raise ValidationFailed("减员日期不能晚于今天", {"left_on": ["不能晚于今天"]})
    if reason not in LeaveReason.values:
        raise ValidationFailed(f"未知的减员原因：{reason}", {"leave_reason": ["请选择减员原因"]})
    if member.relation == Relation.HEAD and member.household.members.filter(left_on__isnull=True).count() > 1:
        raise ValidationFailed("户主不能直接减员：请先变更户主")
    before = audit.snapshot(member)
    member.left_on = left_on
    member.leave_reason = reason
    _clean(member, exclude=["household"])
    _lock(member.household, expected_version)
    member.save(update_fields=["left_on", "leave_reason", "updated_at"])
    audit.record(actor, ChangeAction.UPDATE, member, before=before, root=member.household)
    return member


@transaction.atomic
def save_year(
    *, actor: audit.Actor, household: Household, expected_version: int, year: int, data: dict[str, Any]
) -> HouseholdYear:
    """Create or change a data year's income and conditions; totals are derived here, never typed in."""
    _only(data, YEAR_EDITABLE)
    record = HouseholdYear.objects.filter(household=household, year=year).first()
    before = audit.snapshot(record) if record else None
    if record is None:
        size = data.get("household_size") or household.members.filter(left_on__isnull=True).count()
        record = HouseholdYear(household=household, year=year, household_size=size)
    data = _normalise(HouseholdYear, data)
    for key, value in data.items():
        setattr(record, key, value)
    for key, value in income.compute(
        {k: getattr(record, k) for k in income.INPUT_FIELDS}, record.household_size
    ).items():
        setattr(record, key, value)
    _clean(record, exclude=["household"])
    _lock(household, expected_version)
    record.save()
    audit.record(actor, ChangeAction.UPDATE if before else ChangeAction.CREATE, record, before=before, root=household)
    return record


# ---------------------------------------------------------------------------------------------------
# Monitoring evidence: rigid expenses and the income of a period (domain.md §4.2), entered at 入户核实

EXPENSE_FIELDS = ("kind", "incurred_on", "amount", "total_cost", "reimbursed", "source", "note")
ASSESSMENT_FIELDS = ("period_start", "period_end", "net_income", "persons", "source", "note")


def _record_of(model: type[Any], household: Household, pk: int) -> Any:
    found = model.objects.filter(pk=pk, household=household).first()
    if found is None:
        raise NotFoundOrForbidden(f"{model._meta.verbose_name}记录不存在或无权访问")
    return found


def _not_future(day: Any, field: str, label: str) -> None:
    if isinstance(day, dt.date) and day > timezone.localdate():
        raise ValidationFailed(f"{label}不能晚于今天", {field: ["不能晚于今天"]})


def _check_medical(expense: HouseholdExpense) -> None:
    """The compliant self-pay of a medical cost cannot exceed the cost less what was reimbursed; the cost and
    reimbursement fields belong to medical costs only."""
    if expense.kind != ExpenseKind.MEDICAL:
        if expense.total_cost is not None or expense.reimbursed is not None:
            msg = "只有医疗自付才填写医疗总费用和已报销金额"
            field = "total_cost" if expense.total_cost is not None else "reimbursed"
            raise ValidationFailed(msg, {field: [msg]})
        return
    if expense.total_cost is not None and expense.reimbursed is not None:
        limit = expense.total_cost - expense.reimbursed
        if expense.amount > limit:
            msg = f"计入金额（合规自付）不能大于医疗总费用减已报销金额（{limit:,.2f} 元）"
            raise ValidationFailed(msg, {"amount": [msg]})


def _save_evidence(actor: audit.Actor, household: Household, expected_version: int, record: Any,
                   data: dict[str, Any], allowed: tuple[str, ...], check: Any, derive: Any = None) -> Any:
    """Set the fields, derive what is computed, check each field (model validation), then the rules across
    fields (``check``); lock, save, audit under the household."""
    _only(data, allowed)
    before = audit.snapshot(record) if record.pk else None
    for key, value in _normalise(type(record), data).items():
        setattr(record, key, value)
    if derive is not None:
        derive(record)
    _clean(record, exclude=["household"])
    check(record)
    _lock(household, expected_version)
    record.save()
    audit.record(actor, ChangeAction.UPDATE if before else ChangeAction.CREATE, record, before=before, root=household)
    return record


@transaction.atomic
def save_expense(
    *, actor: audit.Actor, household: Household, expected_version: int, data: dict[str, Any],
    expense_id: int | None = None,
) -> HouseholdExpense:
    """Add a rigid expense of the household (``expense_id`` None) or correct one; audited under the household,
    the household's version as the lock."""
    record = (HouseholdExpense(household=household) if expense_id is None
              else _record_of(HouseholdExpense, household, expense_id))

    def check(expense: HouseholdExpense) -> None:
        _not_future(expense.incurred_on, "incurred_on", "发生日期")
        _check_medical(expense)

    return _save_evidence(actor, household, expected_version, record, data, EXPENSE_FIELDS, check)


@transaction.atomic
def save_income_assessment(
    *, actor: audit.Actor, household: Household, expected_version: int, data: dict[str, Any],
    assessment_id: int | None = None,
) -> IncomeAssessment:
    """Add (``assessment_id`` None) or correct the household's net income over a period; the per-capita
    figure is derived here, never typed in."""
    record = (IncomeAssessment(household=household) if assessment_id is None
              else _record_of(IncomeAssessment, household, assessment_id))

    def derive(assessment: IncomeAssessment) -> None:
        valid = isinstance(assessment.persons, int) and 0 < assessment.persons < 100
        assessment.per_capita_income = (income.per_capita(assessment.net_income, assessment.persons)
                                        if valid and assessment.net_income is not None else Decimal(0))

    def check(assessment: IncomeAssessment) -> None:
        _not_future(assessment.period_end, "period_end", "收入截止日期")
        clash = IncomeAssessment.objects.filter(household=household, period_start=assessment.period_start,
                                                period_end=assessment.period_end)
        if clash.exclude(pk=assessment.pk).exists():
            msg = "本户已有同一期间的收入核算，请修改原有记录"
            raise ValidationFailed(msg, {"period_end": [msg]})

    return _save_evidence(actor, household, expected_version, record, data, ASSESSMENT_FIELDS, check, derive)


def _delete_evidence(actor: audit.Actor, household: Household, expected_version: int, record: Any) -> None:
    before = audit.snapshot(record)
    _lock(household, expected_version)
    audit.record(actor, ChangeAction.DELETE, record, before=before, root=household)
    record.delete()


@transaction.atomic
def delete_expense(*, actor: audit.Actor, household: Household, expected_version: int, expense_id: int) -> None:
    """Delete a wrongly entered expense; the audit log keeps what it was."""
    _delete_evidence(actor, household, expected_version, _record_of(HouseholdExpense, household, expense_id))


@transaction.atomic
def delete_income_assessment(
    *, actor: audit.Actor, household: Household, expected_version: int, assessment_id: int
) -> None:
    """Delete a wrongly entered income assessment; the audit log keeps what it was."""
    _delete_evidence(actor, household, expected_version, _record_of(IncomeAssessment, household, assessment_id))


# ---------------------------------------------------------------------------------------------------
# Status decisions (called by the procedures app's last step; registry never imports procedures)

EXITED = {PovertyStatus.EXITED_ENJOYING, PovertyStatus.EXITED_NOT_ENJOYING}
STATUS_CODES: dict[str, Any] = {
    "attribute": Attribute, "poverty_status": PovertyStatus, "monitoring_type": MonitoringType,
    "risk_elimination": RiskElimination,
}


@dataclass(frozen=True)
class StatusChange:
    """A decided change of status (None = unchanged), effective on a date, with the reason shown in history."""

    household: Household
    effective_on: dt.date
    reason: str
    attribute: str | None = None
    poverty_status: str | None = None
    monitoring_type: str | None = None
    risk_elimination: str | None = None


def _status_values(change: StatusChange) -> dict[str, Any]:
    """The fields to write: the status codes given, and the dates and years that follow from them."""
    hh, on = change.household, change.effective_on
    values = {f: getattr(change, f) for f in STATUS_FIELDS if getattr(change, f) is not None}
    for field, code in values.items():
        if code and code not in STATUS_CODES[field].values:
            raise ValidationFailed(f"无效的状态代码：{field}={code}", {field: ["无效代码"]})
    status = values.get("poverty_status")
    if status == PovertyStatus.NOT_EXITED and hh.first_identified_on is None:
        values["first_identified_on"] = on
    if status in EXITED and hh.poverty_status not in EXITED:
        values["exit_year"] = on.year
    if status == PovertyStatus.RETURNED:
        values["return_year"] = on.year
    if values.get("monitoring_type") and values.get("risk_elimination") == RiskElimination.NOT_ELIMINATED:
        values["monitoring_identified_on"] = on
        values["risk_eliminated_on"] = None
    if values.get("risk_elimination") in (RiskElimination.BY_ASSISTANCE, RiskElimination.NATURAL):
        values["risk_eliminated_on"] = on
    return values


@transaction.atomic
def change_status(*, actor: audit.Actor, change: StatusChange) -> Household:
    """Apply a decided status change: the household, a StatusEvent on the effective date, an audit line.

    The procedure that decided it is the authority, so there is no expected version; the version is still
    bumped so a form opened before the decision cannot overwrite it.
    """
    return change_status_many(actor=actor, changes=[change])[0]


@transaction.atomic
def change_status_many(*, actor: audit.Actor, changes: list[StatusChange], batch: str = "") -> list[Household]:
    """Set-based ``change_status`` for many households (a village's approvals in one go)."""
    households, events, logs, fields = [], [], [], {"version", "updated_at"}
    now = timezone.now()
    for change in changes:
        hh = change.household
        before = audit.snapshot(hh)
        values = _status_values(change)
        for key, value in values.items():
            setattr(hh, key, value)
        fields.update(values)
        hh.version += 1
        hh.updated_at = now
        households.append(hh)
        if any(before.get(f) != getattr(hh, f) for f in STATUS_FIELDS):
            events.append(StatusEvent(household=hh, effective_on=change.effective_on, reason=change.reason[:200],
                                      **{f: getattr(hh, f) for f in STATUS_FIELDS}))
        logs.append(audit.build_change(actor, ChangeAction.UPDATE, hh, before=before, after=audit.snapshot(hh),
                                       batch=batch, at=now))
    Household.objects.bulk_update(households, sorted(fields), batch_size=1000)
    StatusEvent.objects.bulk_create(events, batch_size=2000)
    audit.record_many(logs)
    return households
