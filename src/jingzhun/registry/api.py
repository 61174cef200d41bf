"""Registry API: households, members, data years and imports.

A thin layer: every object is fetched through ``access`` (not found and not allowed give the same
404), every write goes through ``services`` (validated, optimistic-locked, audited), and the output is
masked for users who may read but not edit the household.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path as FsPath
from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.http import FileResponse, HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Field, File, Form, Path, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate

from jingzhun.accounts.models import User
from jingzhun.core import audit
from jingzhun.core.api import READ_ERRORS, WRITE_ERRORS, ErrorOut, user_of
from jingzhun.core.errors import JingzhunError, NotFoundOrForbidden, PermissionDeniedError, ValidationFailed
from jingzhun.core.models import ObjectChange
from jingzhun.regions.access import access_region
from jingzhun.regions.models import Region
from jingzhun.registry import access, selectors, services
from jingzhun.registry.models import (
    MEMBER_YEARLY_FIELDS,
    Household,
    HouseholdExpense,
    HouseholdYear,
    ImportBatch,
    IncomeAssessment,
    Member,
    MemberYear,
)
from jingzhun.registry.schemas import (
    MAX_ID,
    POLICY_NOTE,
    DeleteBody,
    ExpenseIn,
    ExpensesOut,
    HistoryEntry,
    HouseholdAsOf,
    HouseholdDetail,
    HouseholdListItem,
    HouseholdUpdate,
    ImportBatchOut,
    ImportPolicy,
    ImportRowError,
    IncomeAssessmentIn,
    IncomeAssessmentsOut,
    MemberCreate,
    MemberDetail,
    MemberLeave,
    MemberUpdate,
    MemberYearSave,
    MemberYearSaved,
    MemberYearsOut,
    YearSave,
    YearSaved,
    code_of,
    field_values,
    mask,
    to_out,
)

router = Router()

HOUSEHOLDS = ["农户"]
MEMBERS = ["家庭成员"]
YEARS = ["年度收入与生产生活条件"]
IMPORTS = ["导入"]
EVIDENCE = ["收入核算与刚性支出"]
ERRORS_PREVIEW = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

HouseholdId = Annotated[int, Path(ge=1, le=MAX_ID, description="农户 ID")]
MemberId = Annotated[int, Path(ge=1, le=MAX_ID, description="成员 ID")]
EvidenceId = Annotated[int, Path(ge=1, le=MAX_ID, description="记录 ID")]
BatchId = Annotated[str, Path(max_length=32, description="导入批次号")]


class ServiceUnavailable(JingzhunError):
    code = "unavailable"
    status = 503


# --------------------------------------------------------------------------------------------------
# Who am I (mounted at the API's root: /api/me)
# --------------------------------------------------------------------------------------------------

account_router = Router()


class MeOut(Schema):
    username: str = Field(description="用户名")
    full_name: str = Field(description="姓名")
    role: dict[str, str] = Field(description="角色（code 代码，label 中文名称）")
    region: dict[str, str] | None = Field(description="辖区（code 区划代码，name 名称）；系统管理员可为 null")
    can_edit_registry: bool = Field(description="能否修改辖区内的农户信息")
    can_import: bool = Field(description="能否导入农户信息表")
    can_read_audit: bool = Field(description="能否查看变更记录")


@account_router.get(
    "/me",
    response=MeOut,
    tags=["账户"],
    summary="当前用户",
    description="令牌所属用户的角色、辖区和权限，供客户端决定显示哪些功能。",
    operation_id="jingzhun_api_me",  # its id from before it moved here
)
def me(request: HttpRequest) -> dict[str, Any]:
    user = user_of(request)
    region = user.region
    return {
        "username": user.username,
        "full_name": user.full_name,
        "role": {"code": user.role, "label": str(user.get_role_display())},
        "region": {"code": region.code, "name": region.name} if region else None,
        "can_edit_registry": user.can_edit_registry,
        "can_import": access.can_import(user),
        "can_read_audit": bool(access.can_read_audit(user)),
    }


def _actor(request: HttpRequest) -> audit.Actor:
    return audit.Actor.of(user_of(request))


def _can_edit(user: User, household: Household) -> bool:
    return access.households_for(user, "change").filter(pk=household.pk).exists()


def _household_for_change(user: User, household_id: int) -> Household:
    """The household to write to. Visible but read-only → 403; invisible or missing → the usual 404."""
    try:
        return access.access_household(user, household_id, "change")
    except NotFoundOrForbidden:
        access.access_household(user, household_id, "view")
        raise PermissionDeniedError("当前角色只能查看，不能修改该户") from None


def _member_for_change(user: User, member_id: int) -> Member:
    try:
        return access.access_member(user, member_id, "change")
    except NotFoundOrForbidden:
        access.access_member(user, member_id, "view")
        raise PermissionDeniedError("当前角色只能查看，不能修改该成员") from None


def _changes(payload: Schema, *, exclude: set[str]) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True, exclude=exclude)
    if not data:
        raise ValidationFailed("没有要修改的字段", {"__all__": ["请至少提供一个要修改的字段"]})
    return data


# --------------------------------------------------------------------------------------------------
# Output builders
# --------------------------------------------------------------------------------------------------


def _household_state(values: dict[str, Any], village_name: str, *, full: bool) -> dict[str, Any]:
    out = to_out(Household, values, full=full)
    out["village"] = {"code": values["village"], "name": village_name}
    return out


def _member_out(values: dict[str, Any], *, full: bool) -> dict[str, Any]:
    return to_out(Member, values, full=full)


def _year_out(values: dict[str, Any]) -> dict[str, Any]:
    return to_out(HouseholdYear, values, full=True)


def _household_detail(user: User, household: Household) -> dict[str, Any]:
    full = _can_edit(user, household)
    out = _household_state(field_values(household), household.village.name, full=full)
    members = list(household.members.order_by("relation", "person_number"))
    out.update(
        kind=household.kind,
        can_edit=full,
        members=[_member_out(field_values(m), full=full) for m in members if m.left_on is None],
        former_members=[_member_out(field_values(m), full=full) for m in members if m.left_on is not None],
        years=[_year_out(field_values(y)) for y in selectors.years(household)],
    )
    return out


def _member_detail(user: User, member: Member) -> dict[str, Any]:
    household = member.household
    full = _can_edit(user, household)
    out = _member_out(field_values(member), full=full)
    out["household_ref"] = {
        "id": household.pk,
        "household_number": household.household_number,
        "head_name": household.head_name,
        "version": household.version,
    }
    out["can_edit"] = full
    return out


MODELS_BY_TYPE = {
    audit.object_type(m): m
    for m in (Household, Member, MemberYear, HouseholdYear, HouseholdExpense, IncomeAssessment)
}


def _history_entry(change: ObjectChange, *, full: bool) -> dict[str, Any]:
    model = MODELS_BY_TYPE.get(change.object_type)
    fields = []
    for name, before, after in change.changed_fields():
        label = name
        if model is not None:
            try:
                label = str(getattr(model._meta.get_field(name), "verbose_name", name))
            except FieldDoesNotExist:  # a field since removed keeps its name as label
                label = name
        fields.append(
            {
                "field": name,
                "label": label,
                "before": before if full else mask(name, before),
                "after": after if full else mask(name, after),
            }
        )
    return {
        "id": change.pk,
        "time": change.time,
        "user_name": change.user_name,
        "source": change.source,
        "action": code_of(ObjectChange, "action", change.action) or {"code": "", "label": ""},
        "object_type": change.object_type,
        "object_label": str(model._meta.verbose_name) if model else change.object_type,
        "object_id": change.object_id,
        "object_repr": change.object_repr,
        "batch": change.batch,
        "changes": fields,
    }


def _row_error(error: Any) -> dict[str, Any]:
    if not isinstance(error, dict):
        return {"message": str(error)}
    return {key: error[key] for key in ImportRowError.model_fields if error.get(key) is not None}


def _batch_out(batch: ImportBatch) -> dict[str, Any]:
    region = batch.region
    return {
        "id": batch.pk,
        "file_name": batch.file_name,
        "user_name": batch.user_name,
        "region": {"code": region.code, "name": region.name} if region else None,
        "policy": code_of(ImportBatch, "policy", batch.policy),
        "state": code_of(ImportBatch, "state", batch.state),
        **{
            name: getattr(batch, name)
            for name in (
                "progress",
                "stage",
                "rows_total",
                "rows_rejected",
                "households_created",
                "households_updated",
                "households_unchanged",
                "households_rejected",
                "members_created",
                "members_updated",
                "members_left",
                "error_count",
                "message",
                "started_at",
                "finished_at",
                "warning_count",
                "warning_summary",
            )
        },
        "errors": [_row_error(e) for e in (batch.errors_preview or [])[:ERRORS_PREVIEW]],
        "error_report_url": reverse("api:import_errors", kwargs={"batch_id": batch.pk})
        if batch.error_report
        else None,
    }


# --------------------------------------------------------------------------------------------------
# Households
# --------------------------------------------------------------------------------------------------


class Pagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(50, ge=1, le=200, description="每页条数（1–200，默认 50）")
        offset: int = Field(0, ge=0, le=2**31 - 1, description="跳过的条数")


@router.get(
    "/households",
    response=list[HouseholdListItem],
    tags=HOUSEHOLDS,
    summary="查询农户",
    description="按姓名、证件号码、户编号或人编号查询本人辖区内的农户，可按区划、脱贫状态、监测对象类型筛选；分页返回。",
)
@paginate(Pagination)
def list_households(
    request: HttpRequest,
    q: str = Query("", max_length=50, description="户主或成员姓名、证件号码、户编号或人编号（前缀）"),
    region: str = Query(
        "", max_length=12, description="只看该区划内的农户（12 位代码或有效前缀），须在本人辖区内"
    ),
    poverty_status: str = Query(
        "",
        pattern=r"^(|0|1|3|4|none)$",
        description="脱贫状态：0 未脱贫，1 已脱贫(享受政策)，3 返贫，4 已脱贫(不再享受政策)，none 未建档",
    ),
    monitoring: str = Query(
        "",
        pattern=r"^(|1|2|3|yes)$",
        description="监测对象：yes 全部监测对象，1 脱贫不稳定户，2 边缘易致贫户，3 突发严重困难户",
    ),
) -> Any:
    user = user_of(request)
    prefix = access_region(user, region).prefix if region else ""
    return selectors.search_households(
        user, q=q, region_prefix=prefix, poverty_status=poverty_status, monitoring=monitoring
    )


@router.get(
    "/households/{id}",
    response={200: HouseholdDetail, READ_ERRORS: ErrorOut},
    tags=HOUSEHOLDS,
    summary="农户详情",
    description="一户的信息、在册及已减少的成员、各年度收入与生产生活条件。证件号码、电话、银行卡号仅对能修改本户的用户完整显示。",
)
def get_household(request: HttpRequest, id: HouseholdId) -> dict[str, Any]:
    user = user_of(request)
    return _household_detail(user, access.access_household(user, id))


@router.patch(
    "/households/{id}",
    response={200: HouseholdDetail, WRITE_ERRORS: ErrorOut},
    tags=HOUSEHOLDS,
    summary="修改农户信息",
    description="只提交要修改的字段，并带上读取时得到的 version。他人已先保存时返回 409，请重新读取后再改。"
    "户编号和所属行政村不能在此修改。每次修改都记入变更记录；状态字段变化时同时记入状态变更。",
)
def update_household(request: HttpRequest, payload: HouseholdUpdate, id: HouseholdId) -> dict[str, Any]:
    user = user_of(request)
    household = _household_for_change(user, id)
    data = _changes(payload, exclude={"version", "reason"})
    services.update_household(
        actor=_actor(request),
        household=household,
        expected_version=payload.version,
        data=data,
        reason=payload.reason,
    )
    return _household_detail(user, access.access_household(user, id))


@router.get(
    "/households/{id}/history",
    response={200: list[HistoryEntry], frozenset({401, 403, 404, 422}): ErrorOut},
    tags=HOUSEHOLDS,
    summary="农户变更记录",
    description="本户及其成员、年度数据的每一次修改：谁、何时、从哪里、改了什么（新在前）。"
    "只有能查看变更记录的角色（各级管理员、乡村干部、审计督查）可用。",
)
def household_history(request: HttpRequest, id: HouseholdId) -> list[dict[str, Any]]:
    user = user_of(request)
    household = access.access_household(user, id)
    if not access.can_read_audit(user):
        raise PermissionDeniedError("当前角色不能查看变更记录")
    full = _can_edit(user, household)
    return [_history_entry(c, full=full) for c in selectors.changes_for(household)]


@router.get(
    "/households/{id}/as-of",
    response={200: HouseholdAsOf, READ_ERRORS: ErrorOut},
    tags=HOUSEHOLDS,
    summary="某日的农户信息",
    description="按变更记录还原本户在某一天结束时的信息、在册成员和年度数据。该日尚无记录时 household 为 null。",
)
def household_as_of(
    request: HttpRequest,
    id: HouseholdId,
    date: dt.date = Query(..., description="日期，格式 YYYY-MM-DD"),  # noqa: B008
) -> dict[str, Any]:
    user = user_of(request)
    household = access.access_household(user, id)
    full = _can_edit(user, household)
    at = timezone.make_aware(dt.datetime.combine(date, dt.time.max))
    offset = at.utcoffset()
    if offset is not None and offset.seconds % 60:
        # Before 1901 the zone database gives Shanghai's local mean time (+08:05:43), whose seconds no
        # RFC 3339 date-time carries: such a day, long before any register, is answered in UTC.
        at = at.astimezone(dt.UTC)
    state = selectors.household_as_of(household, at)
    past = None
    if state.household:
        village = Region.objects.filter(code=state.household.get("village")).first()
        past = _household_state(state.household, village.name if village else "", full=full)
    return {
        "at": at,
        "household": past,
        "members": [_member_out(m, full=full) for m in state.members],
        "years": [_year_out(y) for y in state.years],
    }


# --------------------------------------------------------------------------------------------------
# Members
# --------------------------------------------------------------------------------------------------


@router.post(
    "/households/{id}/members",
    response={201: MemberDetail, WRITE_ERRORS: ErrorOut},
    tags=MEMBERS,
    summary="新增家庭成员",
    description="性别、出生日期由证件号码推算。一个人只能是一户的在册成员。需带上农户的 version。",
)
def add_member(request: HttpRequest, payload: MemberCreate, id: HouseholdId) -> Status:
    user = user_of(request)
    household = _household_for_change(user, id)
    data = payload.model_dump(exclude_unset=True, exclude={"version", "person_number"})
    member = services.add_member(
        actor=_actor(request),
        household=household,
        expected_version=payload.version,
        person_number=payload.person_number,
        data=data,
    )
    return Status(201, _member_detail(user, access.access_member(user, member.pk)))


@router.get(
    "/members/{id}",
    response={200: MemberDetail, READ_ERRORS: ErrorOut},
    tags=MEMBERS,
    summary="家庭成员详情",
    description="一位成员的信息及所属农户（含修改时要带回的农户 version）。证件号码、电话仅对能修改该户的用户完整显示。",
)
def get_member(request: HttpRequest, id: MemberId) -> dict[str, Any]:
    user = user_of(request)
    return _member_detail(user, access.access_member(user, id))


@router.patch(
    "/members/{id}",
    response={200: MemberDetail, WRITE_ERRORS: ErrorOut},
    tags=MEMBERS,
    summary="修改家庭成员",
    description="只提交要修改的字段，并带上所属农户的 version。改证件号码时性别、出生日期随之更新。减员请用“成员减少”。",
)
def update_member(request: HttpRequest, payload: MemberUpdate, id: MemberId) -> dict[str, Any]:
    user = user_of(request)
    member = _member_for_change(user, id)
    data = _changes(payload, exclude={"version"})
    services.update_member(actor=_actor(request), member=member, expected_version=payload.version, data=data)
    return _member_detail(user, access.access_member(user, id))


@router.post(
    "/members/{id}/leave",
    response={200: MemberDetail, WRITE_ERRORS: ErrorOut},
    tags=MEMBERS,
    summary="成员减少",
    description="成员因死亡、婚出、分户等离开本户：记录保留，写明减少时间和原因。户主须先变更后才能减员。需带上农户的 version。",
)
def leave_member(request: HttpRequest, payload: MemberLeave, id: MemberId) -> dict[str, Any]:
    user = user_of(request)
    member = _member_for_change(user, id)
    if member.left_on is not None:
        # services.remove_member would overwrite the first leave; refuse instead of rewriting history.
        raise ValidationFailed(f"该成员已于 {member.left_on:%Y-%m-%d} 减少", {"date": ["该成员已减少"]})
    services.remove_member(
        actor=_actor(request),
        member=member,
        expected_version=payload.version,
        reason=payload.reason,
        left_on=payload.date,
    )
    return _member_detail(user, access.access_member(user, id))


def _member_year_out(record: Member | MemberYear, year: int, current: bool) -> dict[str, Any]:
    values = {k: getattr(record, k) for k in MEMBER_YEARLY_FIELDS}
    return {**to_out(Member, values, full=True), "year": year, "current": current}


@router.get(
    "/members/{id}/years",
    response={200: MemberYearsOut, READ_ERRORS: ErrorOut},
    tags=MEMBERS,
    summary="成员各年度信息",
    description="一位成员按数据年度记录的信息（文化程度、在校生状况、健康状况、劳动技能、务工、保险、低保、特困等），"
    "新年度在前；current 为成员当前的数据年度。",
)
def member_years(request: HttpRequest, id: MemberId) -> dict[str, Any]:
    user = user_of(request)
    member = access.access_member(user, id)
    return {
        "member_id": member.pk,
        "household_version": member.household.version,
        "years": [
            _member_year_out(r["record"], r["year"], r["current"]) for r in selectors.member_years(member)
        ],
    }


@router.put(
    "/members/{id}/years/{year}",
    response={200: MemberYearSaved, WRITE_ERRORS: ErrorOut},
    tags=MEMBERS,
    summary="保存成员某年度信息",
    description="新建或修改成员某一数据年度的信息，只提交要填写或修改的项（新年度从“未填写”开始）。"
    "修改往年不改变成员当前年度的信息；修改当前年度即修改成员信息。代码须为全国代码表中的代码。需带上所属农户的 version。",
)
def save_member_year(
    request: HttpRequest,
    payload: MemberYearSave,
    id: MemberId,
    year: int = Path(..., ge=2000, le=2100, description="数据年度"),
) -> dict[str, Any]:
    user = user_of(request)
    member = _member_for_change(user, id)
    data = _changes(payload, exclude={"version"})
    services.save_member_year(
        actor=_actor(request), member=member, expected_version=payload.version, year=year, data=data
    )
    member = access.access_member(user, id)
    row = next(r for r in selectors.member_years(member) if r["year"] == year)
    return {
        **_member_year_out(row["record"], year, row["current"]),
        "household_version": member.household.version,
    }


# --------------------------------------------------------------------------------------------------
# Data years
# --------------------------------------------------------------------------------------------------


@router.put(
    "/households/{id}/years/{year}",
    response={200: YearSaved, WRITE_ERRORS: ErrorOut},
    tags=YEARS,
    summary="保存年度收入与生产生活条件",
    description="新建或修改某一数据年度的记录。只提交要填写或修改的项；财产性收入、转移性收入、家庭纯收入和人均纯收入"
    "由各项自动计算，不能直接填写。需带上农户的 version。",
)
def save_year(
    request: HttpRequest,
    payload: YearSave,
    id: HouseholdId,
    year: int = Path(..., ge=2000, le=2100, description="数据年度"),
) -> dict[str, Any]:
    user = user_of(request)
    household = _household_for_change(user, id)
    data = _changes(payload, exclude={"version"})
    record = services.save_year(
        actor=_actor(request), household=household, expected_version=payload.version, year=year, data=data
    )
    record.refresh_from_db()
    out = _year_out(field_values(record))
    out["household_version"] = household.version
    return out


# --------------------------------------------------------------------------------------------------
# Monitoring evidence: rigid expenses and income assessments (入户核实)
# --------------------------------------------------------------------------------------------------

EXPENSE_OUT = ("kind", "incurred_on", "amount", "total_cost", "reimbursed", "source", "note")
ASSESSMENT_OUT = (
    "period_start",
    "period_end",
    "net_income",
    "persons",
    "per_capita_income",
    "source",
    "note",
)


def _evidence_for_change(model: type[Any], user: User, record_id: int) -> Any:
    """The record to write to. Visible but read-only → 403; invisible or missing → the usual 404."""
    try:
        return access.access_evidence(model, user, record_id, "change")
    except NotFoundOrForbidden:
        access.access_evidence(model, user, record_id, "view")
        raise PermissionDeniedError("当前角色只能查看，不能修改该户") from None


def _expenses(user: User, household_id: int) -> dict[str, Any]:
    household = access.access_household(user, household_id, "view")
    rows = [{"id": e.pk, **{k: getattr(e, k) for k in EXPENSE_OUT}} for e in selectors.expenses(household)]
    return {"household_id": household.pk, "version": household.version, "expenses": rows}


def _assessments(user: User, household_id: int) -> dict[str, Any]:
    household = access.access_household(user, household_id, "view")
    rows = [
        {"id": a.pk, **{k: getattr(a, k) for k in ASSESSMENT_OUT}}
        for a in selectors.income_assessments(household)
    ]
    return {"household_id": household.pk, "version": household.version, "assessments": rows}


@router.get(
    "/households/{id}/expenses",
    response={200: ExpensesOut, READ_ERRORS: ErrorOut},
    tags=EVIDENCE,
    summary="农户的刚性支出",
    description="一户的合规刚性支出记录（医疗为报销后的合规自付），新发生的在前，以及修改时要带回的农户 version。",
)
def list_expenses(request: HttpRequest, id: HouseholdId) -> dict[str, Any]:
    return _expenses(user_of(request), id)


@router.post(
    "/households/{id}/expenses",
    response={201: ExpensesOut, WRITE_ERRORS: ErrorOut},
    tags=EVIDENCE,
    summary="新增刚性支出",
    description="为本户新增一笔刚性支出或损失。医疗自付的计入金额不能大于医疗总费用减已报销金额；"
    "只有医疗自付填写医疗总费用和已报销金额。需带上农户的 version，他人已先保存时返回 409。",
)
def add_expense(request: HttpRequest, payload: ExpenseIn, id: HouseholdId) -> Status:
    user = user_of(request)
    household = _household_for_change(user, id)
    services.save_expense(
        actor=_actor(request),
        household=household,
        expected_version=payload.version,
        data=payload.model_dump(exclude={"version"}),
    )
    return Status(201, _expenses(user, id))


@router.put(
    "/expenses/{id}",
    response={200: ExpensesOut, WRITE_ERRORS: ErrorOut},
    tags=EVIDENCE,
    summary="修改刚性支出",
    description="整条替换一笔刚性支出（更正金额、日期、来源等）。需带上农户的 version。",
)
def update_expense(request: HttpRequest, payload: ExpenseIn, id: EvidenceId) -> dict[str, Any]:
    user = user_of(request)
    record = _evidence_for_change(HouseholdExpense, user, id)
    services.save_expense(
        actor=_actor(request),
        household=record.household,
        expected_version=payload.version,
        data=payload.model_dump(exclude={"version"}),
        expense_id=record.pk,
    )
    return _expenses(user, record.household_id)


@router.delete(
    "/expenses/{id}",
    response={200: ExpensesOut, WRITE_ERRORS: ErrorOut},
    tags=EVIDENCE,
    summary="删除刚性支出",
    description="删除一笔录错的刚性支出；变更记录保留删除前的内容。需带上农户的 version。",
)
def delete_expense(request: HttpRequest, payload: DeleteBody, id: EvidenceId) -> dict[str, Any]:
    user = user_of(request)
    record = _evidence_for_change(HouseholdExpense, user, id)
    services.delete_expense(
        actor=_actor(request),
        household=record.household,
        expected_version=payload.version,
        expense_id=record.pk,
    )
    return _expenses(user, record.household_id)


@router.get(
    "/households/{id}/income-assessments",
    response={200: IncomeAssessmentsOut, READ_ERRORS: ErrorOut},
    tags=EVIDENCE,
    summary="农户的收入核算",
    description="一户各期间（一般为申请前12个月）的家庭纯收入和人均纯收入，期间最近的在前。",
)
def list_income_assessments(request: HttpRequest, id: HouseholdId) -> dict[str, Any]:
    return _assessments(user_of(request), id)


@router.post(
    "/households/{id}/income-assessments",
    response={201: IncomeAssessmentsOut, WRITE_ERRORS: ErrorOut},
    tags=EVIDENCE,
    summary="新增收入核算",
    description="录入入户核实的某一期间家庭纯收入和计算人口数；人均纯收入由系统计算。同一期间只能有一条。"
    "需带上农户的 version。",
)
def add_income_assessment(request: HttpRequest, payload: IncomeAssessmentIn, id: HouseholdId) -> Status:
    user = user_of(request)
    household = _household_for_change(user, id)
    services.save_income_assessment(
        actor=_actor(request),
        household=household,
        expected_version=payload.version,
        data=payload.model_dump(exclude={"version"}),
    )
    return Status(201, _assessments(user, id))


@router.put(
    "/income-assessments/{id}",
    response={200: IncomeAssessmentsOut, WRITE_ERRORS: ErrorOut},
    tags=EVIDENCE,
    summary="修改收入核算",
    description="整条替换一条收入核算。需带上农户的 version。",
)
def update_income_assessment(
    request: HttpRequest, payload: IncomeAssessmentIn, id: EvidenceId
) -> dict[str, Any]:
    user = user_of(request)
    record = _evidence_for_change(IncomeAssessment, user, id)
    services.save_income_assessment(
        actor=_actor(request),
        household=record.household,
        expected_version=payload.version,
        data=payload.model_dump(exclude={"version"}),
        assessment_id=record.pk,
    )
    return _assessments(user, record.household_id)


@router.delete(
    "/income-assessments/{id}",
    response={200: IncomeAssessmentsOut, WRITE_ERRORS: ErrorOut},
    tags=EVIDENCE,
    summary="删除收入核算",
    description="删除一条录错的收入核算；变更记录保留删除前的内容。需带上农户的 version。",
)
def delete_income_assessment(request: HttpRequest, payload: DeleteBody, id: EvidenceId) -> dict[str, Any]:
    user = user_of(request)
    record = _evidence_for_change(IncomeAssessment, user, id)
    services.delete_income_assessment(
        actor=_actor(request),
        household=record.household,
        expected_version=payload.version,
        assessment_id=record.pk,
    )
    return _assessments(user, record.household_id)


# --------------------------------------------------------------------------------------------------
# Imports
# --------------------------------------------------------------------------------------------------


def _access_batch(user: User, batch_id: str) -> ImportBatch:
    batch = access.import_batches_for(user).select_related("region").filter(pk=batch_id).first()
    if batch is None:
        raise NotFoundOrForbidden("导入批次不存在或无权访问")
    return batch


@router.post(
    "/imports",
    response={201: ImportBatchOut, frozenset({401, 403, 422, 503}): ErrorOut},
    tags=IMPORTS,
    summary="导入农户信息表",
    description="上传农户信息表（xlsx/xls/csv，每行一位成员），按所选方式校验并导入，返回批次结果和前若干条错误。"
    "all：全部正确才导入；valid：导入正确的户，报告错误的户。只有能修改农户信息的角色可用，且只能导入本人辖区内的户。",
)
def create_import(
    request: HttpRequest,
    file: UploadedFile = File(..., description="农户信息表文件"),  # noqa: B008
    policy: ImportPolicy = Form("all", description=POLICY_NOTE),  # noqa: B008
) -> Status:
    user = user_of(request)
    if not access.can_import(user):
        raise PermissionDeniedError("当前角色不能导入农户信息")
    if not file.size:
        raise ValidationFailed("上传的文件是空的", {"file": ["文件为空"]})
    if file.size > settings.JINGZHUN_MAX_IMPORT_BYTES:
        limit_mb = settings.JINGZHUN_MAX_IMPORT_BYTES // (1024 * 1024)
        raise ValidationFailed(f"文件超过 {limit_mb} MB，请分批导入", {"file": ["文件过大"]})
    try:
        from jingzhun.registry import jobs
        from jingzhun.registry.importer import new_batch
    except ImportError as exc:
        raise ServiceUnavailable("导入功能暂不可用，请稍后再试") from exc
    file_name = FsPath(file.name or "upload.xlsx").name
    with tempfile.TemporaryDirectory(prefix="jingzhun-api-import-") as tmp:
        path = FsPath(tmp) / ("upload" + FsPath(file_name).suffix.lower())
        with path.open("wb") as out:
            for chunk in file.chunks():
                out.write(chunk)
        # The same job as the page's upload, run in this request: the answer carries the batch's result.
        batch = new_batch(user=user, actor=_actor(request), path=path, file_name=file_name, policy=policy)
        jobs.start_import(user=user, batch=batch, path=path, source="api", inline=True)
    return Status(201, _batch_out(_access_batch(user, batch.pk)))


@router.get(
    "/imports/{batch_id}",
    response={200: ImportBatchOut, READ_ERRORS: ErrorOut},
    tags=IMPORTS,
    summary="导入批次结果",
    description="一次导入的状态、各项计数和前若干条错误。只能查看本人辖区内的导入批次。",
)
def get_import(request: HttpRequest, batch_id: BatchId) -> dict[str, Any]:
    return _batch_out(_access_batch(user_of(request), batch_id))


@router.get(
    "/imports/{batch_id}/errors",
    response={READ_ERRORS: ErrorOut},
    url_name="import_errors",
    tags=IMPORTS,
    summary="下载导入错误报告",
    description="下载该批次的错误报告（xlsx）：原表加上每行的错误说明。没有错误的批次返回 404。",
    openapi_extra={
        "responses": {
            200: {
                "description": "错误报告",
                "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def download_import_errors(request: HttpRequest, batch_id: BatchId) -> FileResponse:
    batch = _access_batch(user_of(request), batch_id)
    path = _report_path(batch.error_report)
    if path is None:
        raise NotFoundOrForbidden("该批次没有错误报告")
    stem = FsPath(batch.file_name).stem or batch.pk
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=f"{stem}-错误报告.xlsx", content_type=XLSX
    )


def _report_path(stored: str) -> FsPath | None:
    """The report file if it exists inside the app's data directory (never a path outside it)."""
    if not stored:
        return None
    home = FsPath(settings.HOME).resolve()
    raw = FsPath(stored)
    for candidate in [raw] if raw.is_absolute() else [FsPath(settings.MEDIA_ROOT) / raw, home / raw]:
        resolved = candidate.resolve()
        if resolved.is_relative_to(home) and resolved.is_file():
            return resolved
    return None
