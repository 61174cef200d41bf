"""Writes to the register. Every change goes through here: validated, optimistic-locked, audited.

Views, the API, imports and commands call these functions; nothing else saves registry models
(HackSoft services; Zulip's one writer per state change).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import JSONField
from django.utils import timezone

from jingzhun.core import audit
from jingzhun.core.errors import NotFoundOrForbidden, ValidationFailed
from jingzhun.core.locking import bump_version
from jingzhun.core.models import ChangeAction
from jingzhun.registry import codelists, columns, idnumbers, income
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
from jingzhun.registry.models import (
    MEMBER_YEARLY_FIELDS,
    STATUS_FIELDS,
    Household,
    HouseholdExpense,
    HouseholdYear,
    IncomeAssessment,
    Member,
    MemberYear,
    StatusEvent,
)
from jingzhun.registry.selectors import member_current_year

# Moving a household to another village is a procedure (分户/迁移), not an edit, and must not cross
# jurisdictions; sex, birth date and certificate fields follow from the ID number; leaving is remove_member.
HOUSEHOLD_EDITABLE = tuple(
    f.name
    for f in Household._meta.concrete_fields
    if f.editable
    and f.name not in {"id", "household_number", "village", "version", "created_at", "updated_at"}
)
MEMBER_EDITABLE = tuple(
    f.name
    for f in Member._meta.concrete_fields
    if f.editable
    and f.name
    not in {
        "id",
        "household",
        "person_number",
        "created_at",
        "updated_at",
        "sex",
        "birth_date",
        "id_kind",
        "disability_cert_number",
        "left_on",
        "leave_reason",
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
    """None becomes '' for text fields; coded values are checked against the national code lists
    (``codelists``); code lists are de-duplicated and put in code order."""
    result = dict(data)
    for key, value in data.items():
        field = model._meta.get_field(key)
        if (
            value is None
            and field.empty_strings_allowed
            and not field.null
            and not isinstance(field, JSONField)
        ):
            result[key] = ""
        if key in CODE_LISTS:
            result[key] = _check_code_list(key, value)
        elif value not in (None, "") and (listed := _national_list(key)) is not None:
            _check_code(key, str(field.verbose_name), listed, value)
    return result


def _national_list(key: str) -> codelists.CodeList | None:
    """The national code list a field's values come from (its column's ``codes``), if any."""
    col = columns.BY_KEY.get(key)
    name = getattr(col.codes, "codelist", None) if col is not None and col.codes is not None else None
    return codelists.get(name) if name else None


def _allowed(listed: codelists.CodeList) -> str:
    """The values offered for new entries, as "code label" (retired codes of older forms stay accepted)."""
    return "、".join(f"{c.code} {c.label}" for c in listed.current)


def _check_code(key: str, label: str, listed: codelists.CodeList, value: Any) -> None:
    if str(value) not in {c.code for c in listed.codes}:
        msg = f"{label}的值「{value}」不在全国代码表中，可填：{_allowed(listed)}"
        raise ValidationFailed(msg, {key: [msg]})


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
        allowed = _allowed(codelists.get(codes.codelist))
        raise ValidationFailed(
            f"{label}中有无效代码：{'、'.join(bad)}，可填：{allowed}",
            {key: [f"无效代码：{'、'.join(bad)}，可填：{allowed}"]},
        )
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


def status_event(
    household: Household, before: dict[str, Any] | None, *, on: dt.date, reason: str
) -> StatusEvent | None:
    """The StatusEvent (not saved) recording the household's status from ``on``: None when ``before`` (its
    audit snapshot before the change) has the same status; always a row when ``before`` is None.

    The one place an event row is made: the single-household services save it, the bulk status changes
    and the import's writer collect the rows and insert them together (no query per household)."""
    if before is not None and all(before.get(f) == getattr(household, f) for f in STATUS_FIELDS):
        return None
    return StatusEvent(
        household=household,
        effective_on=on,
        reason=reason[:200],
        **{f: getattr(household, f) for f in STATUS_FIELDS},
    )


def _record_status(household: Household, before: dict[str, Any], on: dt.date, reason: str) -> None:
    event = status_event(household, before, on=on, reason=reason)
    if event is not None:
        event.save()


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
    bump_version(household, expected_version)
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
    bump_version(household, expected_version)
    member.save()
    audit.record(actor, ChangeAction.UPDATE, member, before=before, root=household)
    return member


def check_new_member(*, household: Household, person_number: str, data: dict[str, Any]) -> Member:
    """A new member of ``household`` built and checked as ``add_member`` would save it (nothing is written):
    the fields, the ID number (sex and birth date follow from it), one head, one household per person."""
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
    return member


@transaction.atomic
def add_member(
    *,
    actor: audit.Actor,
    household: Household,
    expected_version: int,
    person_number: str,
    data: dict[str, Any],
) -> Member:
    member = check_new_member(household=household, person_number=person_number, data=data)
    bump_version(household, expected_version)
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
    bump_version(member.household, expected_version)
    member.save(update_fields=["left_on", "leave_reason", "updated_at"])
    audit.record(actor, ChangeAction.UPDATE, member, before=before, root=member.household)
    return member


# ---------------------------------------------------------------------------------------------------
# A member's values of one data year (MEMBER_YEARLY_FIELDS: 在校生状况, 健康状况, 劳动技能, 务工, insurance …).
# The member row holds them for its ``data_year`` (the latest year); MemberYear for the other years.

MIN_DATA_YEAR = 2000


def _check_member_year(member: Member, year: int) -> None:
    last = timezone.localdate().year
    if not MIN_DATA_YEAR <= year <= last:
        msg = f"数据年度应在 {MIN_DATA_YEAR} 到 {last} 之间"
        raise ValidationFailed(msg, {"year": [msg]})
    if member.left_on is not None and year > member.left_on.year:
        msg = f"{member.name}已于 {member.left_on:%Y-%m-%d} 减员，不能填写 {member.left_on.year} 年以后的年度信息"
        raise ValidationFailed(msg, {"year": [msg]})


def _yearly_values(data: dict[str, Any]) -> dict[str, Any]:
    _only(data, MEMBER_YEARLY_FIELDS)
    data = _normalise(MemberYear, data)
    months = data.get("migrant_months")
    if months is not None and not (isinstance(months, int) and 0 <= months <= 12):
        raise ValidationFailed("务工时间应为 0 到 12 个月", {"migrant_months": ["应为 0 到 12 个月"]})
    return data


def _new_member_year(member: Member, year: int) -> MemberYear:
    """A year's record with every value unknown (the fields' defaults), as a new HouseholdYear starts."""
    return MemberYear(member=member, year=year)


def _write_member_year(actor: audit.Actor, record: MemberYear, values: dict[str, Any]) -> MemberYear:
    before = audit.snapshot(record) if record.pk else None
    for key, value in values.items():
        setattr(record, key, value)
    _clean(record, exclude=["member"])
    record.save()
    audit.record(
        actor,
        ChangeAction.UPDATE if before else ChangeAction.CREATE,
        record,
        before=before,
        root=record.member.household,
    )
    return record


@transaction.atomic
def save_member_year(
    *, actor: audit.Actor, member: Member, expected_version: int, year: int, data: dict[str, Any]
) -> Member | MemberYear:
    """Add or correct a member's values of data year ``year`` (only ``MEMBER_YEARLY_FIELDS``); the household's
    version is the lock, every write is audited under the household.

    * ``year`` is the member's current data year (``member_current_year``): the member row is changed (a
      member without a data year gets it), as the member page does.
    * an older year: that year's ``MemberYear`` is added or changed; the member row is left as it is.
    * a newer year: the member's values stay in a ``MemberYear`` of their year and the member row takes the
      new year's values, starting from unknown, as an import of a newer year's file does.
    Returns the record written: the member, or the older year's ``MemberYear``."""
    household = member.household
    _check_member_year(member, year)
    data = _yearly_values(data)
    current = member_current_year(member)
    if year < current:
        record = MemberYear.objects.filter(member=member, year=year).first() or _new_member_year(member, year)
        record.member = member  # (names the member in the audit row without a query)
        if record.pk and all(
            audit.jsonable(getattr(record, k)) == audit.jsonable(v) for k, v in data.items()
        ):
            return record  # nothing changed: no new version, no audit noise
        bump_version(household, expected_version)
        return _write_member_year(actor, record, data)
    before = audit.snapshot(member)
    if year > current:
        fresh = _new_member_year(member, year)
        data = {**{k: getattr(fresh, k) for k in MEMBER_YEARLY_FIELDS}, **data}
    data = {**data, "data_year": year}
    if all(before.get(k) == audit.jsonable(v) for k, v in data.items()):
        return member
    bump_version(household, expected_version)
    if year > current:
        kept = MemberYear.objects.filter(member=member, year=current).first() or _new_member_year(
            member, current
        )
        kept.member = member
        _write_member_year(actor, kept, {k: getattr(member, k) for k in MEMBER_YEARLY_FIELDS})
    for key, value in data.items():
        setattr(member, key, value)
    _clean(member, exclude=["household"])
    member.save()
    audit.record(actor, ChangeAction.UPDATE, member, before=before, root=household)
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
    bump_version(household, expected_version)
    record.save()
    audit.record(
        actor, ChangeAction.UPDATE if before else ChangeAction.CREATE, record, before=before, root=household
    )
    return record


# ---------------------------------------------------------------------------------------------------
# Monitoring evidence: rigid expenses and the income of a period (domain.md §4.2), entered at 入户核实

EXPENSE_FIELDS = ("kind", "incurred_on", "amount", "total_cost", "reimbursed", "source", "note")
ASSESSMENT_FIELDS = ("period_start", "period_end", "net_income", "persons", "source", "note")


_E = TypeVar("_E", HouseholdExpense, IncomeAssessment)


def _record_of(model: type[_E], household: Household, pk: int) -> _E:
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


def _save_evidence(
    actor: audit.Actor,
    household: Household,
    expected_version: int,
    record: _E,
    data: dict[str, Any],
    allowed: tuple[str, ...],
    check: Callable[[_E], None],
    derive: Callable[[_E], None] | None = None,
) -> _E:
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
    bump_version(household, expected_version)
    record.save()
    audit.record(
        actor, ChangeAction.UPDATE if before else ChangeAction.CREATE, record, before=before, root=household
    )
    return record


@transaction.atomic
def save_expense(
    *,
    actor: audit.Actor,
    household: Household,
    expected_version: int,
    data: dict[str, Any],
    expense_id: int | None = None,
) -> HouseholdExpense:
    """Add a rigid expense of the household (``expense_id`` None) or correct one; audited under the household,
    the household's version as the lock."""
    record = (
        HouseholdExpense(household=household)
        if expense_id is None
        else _record_of(HouseholdExpense, household, expense_id)
    )

    def check(expense: HouseholdExpense) -> None:
        _not_future(expense.incurred_on, "incurred_on", "发生日期")
        _check_medical(expense)

    return _save_evidence(actor, household, expected_version, record, data, EXPENSE_FIELDS, check)


@transaction.atomic
def save_income_assessment(
    *,
    actor: audit.Actor,
    household: Household,
    expected_version: int,
    data: dict[str, Any],
    assessment_id: int | None = None,
) -> IncomeAssessment:
    """Add (``assessment_id`` None) or correct the household's net income over a period; the per-capita
    figure is derived here, never typed in."""
    record = (
        IncomeAssessment(household=household)
        if assessment_id is None
        else _record_of(IncomeAssessment, household, assessment_id)
    )

    def derive(assessment: IncomeAssessment) -> None:
        valid = isinstance(assessment.persons, int) and 0 < assessment.persons < 100
        assessment.per_capita_income = (
            income.per_capita(assessment.net_income, assessment.persons)
            if valid and assessment.net_income is not None
            else Decimal(0)
        )

    def check(assessment: IncomeAssessment) -> None:
        _not_future(assessment.period_end, "period_end", "收入截止日期")
        clash = IncomeAssessment.objects.filter(
            household=household, period_start=assessment.period_start, period_end=assessment.period_end
        )
        if clash.exclude(pk=assessment.pk).exists():
            msg = "本户已有同一期间的收入核算，请修改原有记录"
            raise ValidationFailed(msg, {"period_end": [msg]})

    return _save_evidence(actor, household, expected_version, record, data, ASSESSMENT_FIELDS, check, derive)


def _delete_evidence(actor: audit.Actor, household: Household, expected_version: int, record: Any) -> None:
    before = audit.snapshot(record)
    bump_version(household, expected_version)
    audit.record(actor, ChangeAction.DELETE, record, before=before, root=household)
    record.delete()


@transaction.atomic
def delete_expense(
    *, actor: audit.Actor, household: Household, expected_version: int, expense_id: int
) -> None:
    """Delete a wrongly entered expense; the audit log keeps what it was."""
    _delete_evidence(actor, household, expected_version, _record_of(HouseholdExpense, household, expense_id))


@transaction.atomic
def delete_income_assessment(
    *, actor: audit.Actor, household: Household, expected_version: int, assessment_id: int
) -> None:
    """Delete a wrongly entered income assessment; the audit log keeps what it was."""
    _delete_evidence(
        actor, household, expected_version, _record_of(IncomeAssessment, household, assessment_id)
    )


# ---------------------------------------------------------------------------------------------------
# Status decisions (called by the procedures app's last step; registry never imports procedures)

EXITED = {PovertyStatus.EXITED_ENJOYING, PovertyStatus.EXITED_NOT_ENJOYING}
STATUS_CODES: dict[str, Any] = {
    "attribute": Attribute,
    "poverty_status": PovertyStatus,
    "monitoring_type": MonitoringType,
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
def change_status_many(
    *, actor: audit.Actor, changes: list[StatusChange], batch: str = ""
) -> list[Household]:
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
        event = status_event(hh, before, on=change.effective_on, reason=change.reason)
        if event is not None:
            events.append(event)
        logs.append(
            audit.build_change(
                actor, ChangeAction.UPDATE, hh, before=before, after=audit.snapshot(hh), batch=batch, at=now
            )
        )
    Household.objects.bulk_update(households, sorted(fields), batch_size=1000)
    StatusEvent.objects.bulk_create(events, batch_size=2000)
    audit.record_many(logs)
    return households


# ---------------------------------------------------------------------------------------------------
# Natural changes (自然变更, domain.md §2.4): decided by the procedures app's natural-change case, effective on
# the date of the event (death, birth, marriage, split, merge, move). Like status decisions they carry no
# expected version (the approved case is the authority); each bumps the household's version, so a form opened
# before the change cannot overwrite it. A member who leaves keeps the row (left_on, leave_reason); a member
# who moves to another household leaves the old row and gets a new one there, so each household's history
# and as-of view stay whole and a person is an active member of one household only.

# Fields a member keeps when moving to another household (relation and dates are the new household's).
MEMBER_MOVED_FIELDS = tuple(
    f.name
    for f in Member._meta.concrete_fields
    if f.name
    not in {
        "id",
        "household",
        "person_number",
        "relation",
        "joined_on",
        "left_on",
        "leave_reason",
        "created_at",
        "updated_at",
    }
)


def _bump(household: Household) -> None:
    """Take the household's lock at its current version (the decision does not depend on a form)."""
    current = Household.objects.select_for_update().values_list("version", flat=True).get(pk=household.pk)
    bump_version(household, current)


def _require_open(household: Household) -> None:
    if household.closed_on is not None:
        raise ValidationFailed(
            f"户编号 {household.household_number} 已于 {household.closed_on:%Y-%m-%d} 销户"
        )


def _require_active(household: Household, members: list[Member]) -> None:
    for member in members:
        if member.household_id != household.pk:
            raise ValidationFailed(
                f"{member.name}不是户编号 {household.household_number} 的成员", {"members": ["不是本户成员"]}
            )
        if member.left_on is not None:
            raise ValidationFailed(
                f"{member.name}已于 {member.left_on:%Y-%m-%d} 减员", {"members": ["已减员"]}
            )


def _not_after_today(on: dt.date, label: str = "变更日期") -> None:
    if on > timezone.localdate():
        raise ValidationFailed(f"{label}不能晚于今天", {"event_on": ["不能晚于今天"]})


def next_person_number(household: Household, taken: set[str] | None = None) -> str:
    """The first free 人编号 of the form 户编号 + two digits (the national numbering of members)."""
    used = set(
        Member.objects.filter(person_number__startswith=household.household_number).values_list(
            "person_number", flat=True
        )
    ) | (taken or set())
    i = 1
    while f"{household.household_number}{i:02d}" in used:
        i += 1
    return f"{household.household_number}{i:02d}"


def _set_head(
    actor: audit.Actor, household: Household, new_head: Member | None, leaving: list[Member]
) -> None:
    """When the head leaves and others stay, the named staying member becomes head (户主)."""
    head_leaves = any(m.relation == Relation.HEAD for m in leaving)
    staying = household.members.filter(left_on__isnull=True).exclude(pk__in=[m.pk for m in leaving])
    if not head_leaves or not staying.exists():
        if new_head is not None and not head_leaves:
            raise ValidationFailed("户主未减员，不能另定新户主", {"new_head": ["户主未减员"]})
        return
    if new_head is None:
        raise ValidationFailed("户主减员后本户还有成员：请指定新户主", {"new_head": ["请指定新户主"]})
    if not staying.filter(pk=new_head.pk).exists():
        raise ValidationFailed("新户主应为留在本户的成员", {"new_head": ["应为留在本户的成员"]})
    before = audit.snapshot(new_head)
    new_head.relation = Relation.HEAD
    new_head.save(update_fields=["relation", "updated_at"])
    audit.record(actor, ChangeAction.UPDATE, new_head, before=before, root=household)
    hh_before = audit.snapshot(household)
    household.head_name = new_head.name
    household.save(update_fields=["head_name", "updated_at"])
    audit.record(actor, ChangeAction.UPDATE, household, before=hh_before)


def _leave(actor: audit.Actor, household: Household, members: list[Member], on: dt.date, reason: str) -> None:
    for member in members:
        before = audit.snapshot(member)
        member.left_on, member.leave_reason = on, reason
        member.save(update_fields=["left_on", "leave_reason", "updated_at"])
        audit.record(actor, ChangeAction.UPDATE, member, before=before, root=household)


@transaction.atomic
def members_leave(
    *,
    actor: audit.Actor,
    household: Household,
    members: list[Member],
    left_on: dt.date,
    reason: str,
    new_head: Member | None = None,
) -> list[Member]:
    """Members leave the household on ``left_on`` (death, marriage out, moving away). If the head leaves and
    others stay, ``new_head`` (one who stays) becomes head. The last members leave only by ``close_household``."""
    _require_open(household)
    if not members:
        raise ValidationFailed("请选择减员的成员", {"members": ["请选择成员"]})
    _require_active(household, members)
    _not_after_today(left_on)
    if reason not in LeaveReason.values:
        raise ValidationFailed(f"未知的减员原因：{reason}", {"leave_reason": ["请选择减员原因"]})
    if not household.members.filter(left_on__isnull=True).exclude(pk__in=[m.pk for m in members]).exists():
        raise ValidationFailed(
            "本户成员将全部减员：请办理自然销户（或合户）", {"members": ["成员将全部减员"]}
        )
    _bump(household)
    _set_head(actor, household, new_head, members)
    _leave(actor, household, members, left_on, reason)
    return members


@transaction.atomic
def member_joins(
    *,
    actor: audit.Actor,
    household: Household,
    data: dict[str, Any],
    joined_on: dt.date,
    person_number: str = "",
) -> Member:
    """A new member joins on ``joined_on`` (birth, marriage in, moving in); 人编号 is assigned if not given."""
    _require_open(household)
    _not_after_today(joined_on)
    member = check_new_member(
        household=household,
        person_number=person_number or next_person_number(household),
        data={**data, "joined_on": joined_on},
    )
    _bump(household)
    member.save()
    audit.record(actor, ChangeAction.CREATE, member, root=household)
    return member


@transaction.atomic
def create_household(
    *,
    actor: audit.Actor,
    village: Any,
    household_number: str,
    head_name: str,
    natural_village: str = "",
    status_from: Household | None = None,
    effective_on: dt.date | None = None,
    reason: str = "",
) -> Household:
    """A new household of the register (分户 into a new household). ``status_from``: the household it split
    from, whose status and identification it keeps (the people were identified with it); that status is
    recorded as a StatusEvent on ``effective_on``."""
    number = (household_number or "").strip()
    if not number:
        raise ValidationFailed("请填写新户的户编号", {"new_household_number": ["请填写户编号"]})
    if Household.objects.filter(household_number=number).exists():
        raise ValidationFailed(f"户编号 {number} 已存在", {"new_household_number": ["户编号已存在"]})
    household = Household(
        village=village, household_number=number, head_name=head_name, natural_village=natural_village
    )
    if status_from is not None:
        for name in (
            *STATUS_FIELDS,
            "identification_standard",
            "first_identified_on",
            "exit_year",
            "return_year",
            "monitoring_identified_on",
            "risk_eliminated_on",
        ):
            setattr(household, name, getattr(status_from, name))
    _clean(household)
    household.save()
    audit.record(actor, ChangeAction.CREATE, household)
    if status_from is not None and (
        household.attribute != Attribute.ORDINARY or household.poverty_status or household.monitoring_type
    ):
        event = status_event(household, None, on=effective_on or timezone.localdate(), reason=reason)
        assert event is not None
        event.save()
    return household


@transaction.atomic
def move_members(
    *,
    actor: audit.Actor,
    source: Household,
    target: Household,
    moves: list[tuple[Member, str]],
    on: dt.date,
    reason: str,
    new_head: Member | None = None,
) -> list[Member]:
    """Members move from ``source`` to ``target`` on ``on`` (分户, 迁出 to another household, 合户): each leaves
    ``source`` with ``reason`` and joins ``target`` as a new row with the given relation to its head."""
    _require_open(source)
    _require_open(target)
    if source.pk == target.pk:
        raise ValidationFailed("迁入户不能是本户", {"target": ["不能是本户"]})
    members = [m for m, _ in moves]
    if not members:
        raise ValidationFailed("请选择迁移的成员", {"members": ["请选择成员"]})
    _require_active(source, members)
    _not_after_today(on)
    if reason not in LeaveReason.values:
        raise ValidationFailed(f"未知的减员原因：{reason}", {"leave_reason": ["请选择减员原因"]})
    relations = [r for _, r in moves]
    bad = [r for r in relations if r not in Relation.values]
    if bad:
        raise ValidationFailed(f"与户主关系代码无效：{'、'.join(bad)}", {"relations": ["代码无效"]})
    heads = relations.count(Relation.HEAD)
    has_head = target.members.filter(left_on__isnull=True, relation=Relation.HEAD).exists()
    if heads > 1 or (heads and has_head):
        raise ValidationFailed(
            f"户编号 {target.household_number} 只能有一个户主", {"relations": ["户主重复"]}
        )
    if not heads and not has_head:
        raise ValidationFailed(
            f"户编号 {target.household_number} 没有户主：请指定迁入成员中的户主",
            {"relations": ["请指定户主"]},
        )
    closing = not source.members.filter(left_on__isnull=True).exclude(pk__in=[m.pk for m in members]).exists()
    _bump(source)
    _bump(target)
    if not closing:
        _set_head(actor, source, new_head, members)
    _leave(actor, source, members, on, reason)
    moved: list[Member] = []
    taken: set[str] = set()
    for member, relation in moves:
        copy = Member(
            household=target,
            relation=relation,
            joined_on=on,
            person_number=next_person_number(target, taken),
            **{f: getattr(member, f) for f in MEMBER_MOVED_FIELDS},
        )
        taken.add(copy.person_number)
        _check_one_household(copy.id_number, None)
        _clean(copy, exclude=["household"])
        copy.save()
        audit.record(actor, ChangeAction.CREATE, copy, root=target)
        moved.append(copy)
    if heads:
        head = next(c for c in moved if c.relation == Relation.HEAD)
        before = audit.snapshot(target)
        target.head_name = head.name
        target.save(update_fields=["head_name", "updated_at"])
        audit.record(actor, ChangeAction.UPDATE, target, before=before)
    return moved


@transaction.atomic
def close_household(
    *, actor: audit.Actor, household: Household, on: dt.date, reason: str, leave_reason: str = ""
) -> Household:
    """自然销户: the household is gone from ``on``. Members still active leave with ``leave_reason``
    (all died, all moved away); a household whose members all moved (合户) closes with none left."""
    _require_open(household)
    _not_after_today(on)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写销户原因", {"reason": ["请填写销户原因"]})
    active = list(household.members.filter(left_on__isnull=True))
    if active and leave_reason not in LeaveReason.values:
        raise ValidationFailed("本户还有成员：请选择成员的减少原因", {"leave_reason": ["请选择减少原因"]})
    _bump(household)
    _leave(actor, household, active, on, leave_reason)
    before = audit.snapshot(household)
    household.closed_on, household.close_reason = on, reason[:200]
    household.save(update_fields=["closed_on", "close_reason", "updated_at"])
    audit.record(actor, ChangeAction.UPDATE, household, before=before)
    return household
