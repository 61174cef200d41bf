"""Procedures API: cases (list, read, open, complete a step), bulk moves and village notices.

Thin like the registry's: objects come through ``access`` (missing and not-yours give the same 404;
visible but not changeable gives 403), writes go through ``services``. Documents given through the API
are named paper documents (``name``); uploads go through the web pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.db.models import F
from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict

from jingzhun.accounts.choices import EDITOR_ROLES
from jingzhun.core import audit
from jingzhun.core.api import READ_ERRORS, WRITE_ERRORS, ErrorOut, RoleAuth, user_of
from jingzhun.core.errors import NotFoundOrForbidden, PermissionDeniedError, ValidationFailed
from jingzhun.procedures import access, selectors, services
from jingzhun.procedures.choices import CaseState, ProcedureKind
from jingzhun.procedures.models import Case, Notice
from jingzhun.procedures.services import EvidenceInput, Signature
from jingzhun.regions.models import Region
from jingzhun.registry import access as registry_access
from jingzhun.registry.api import Pagination
from jingzhun.registry.schemas import MAX_ID

router = Router()
TAGS = ["业务程序"]
CaseId = Annotated[int, Path(ge=1, le=MAX_ID, description="案件 ID")]
HouseholdId = Annotated[int, Path(ge=1, le=MAX_ID, description="农户 ID")]
NoticeId = Annotated[int, Path(ge=1, le=MAX_ID, description="公示 ID")]
ObjectId = Annotated[int, Field(ge=1, le=MAX_ID)]


editor_auth = RoleAuth(EDITOR_ROLES, "只读角色不能办理业务程序")


def _changeable(user: Any, case: Case) -> None:
    if not access.cases_for(user, "change").filter(pk=case.pk).exists():
        raise PermissionDeniedError("无权办理此案件")


class SignatureIn(Schema):
    signer: str = Field(
        description="签字人类型：household 农户，officer 核查人员，village_committee 村两委，"
        "work_team 驻村工作队，township 乡镇审核人，county 县级审批人",
        max_length=30,
    )
    name: str = Field(description="签字人姓名", max_length=50)


class EvidenceIn(Schema):
    kind: str = Field(
        description="材料类型代码（application_form、pledge、visit_record、appraisal_minutes、"
        "notice_photo、data_check、exit_table、change_proof、approval_document）",
        max_length=30,
    )
    name: str = Field(description="材料名称（存档纸质材料的名称或编号）", max_length=200)


class StepIn(Schema):
    model_config = ConfigDict(extra="forbid")

    step_code: str = Field(description="要办理的步骤代码（必须是案件当前等待的步骤）", max_length=40)
    version: int = Field(ge=1, description="案件版本号（读取时的 version，原样带回）")
    on: dt.date | None = Field(None, description="办理日期（默认今天，不能晚于今天）")
    effective_on: dt.date | None = Field(None, description="生效日期（仅办结步骤；默认办理日期）")
    signatures: list[SignatureIn] = Field(default_factory=list, max_length=10)
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=20)
    comment: str = Field("", max_length=2000, description="意见")


class OpenIn(Schema):
    model_config = ConfigDict(extra="forbid")

    kind: ProcedureKind = Field(description="程序类型")
    discovered_on: dt.date = Field(description="发现日期（申请或排查发现之日）")
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="办理参数：monitoring_type 监测对象类型（监测）、"
        "mode 消除方式 1 帮扶消除 / 2 自然消除（风险消除）；自然变更：change 变更类型、"
        "event_on 变更日期、note 变更说明，及按类型的 members 成员 id 列表、"
        "relations {成员 id: 在迁入户中与户主关系代码}、new_head 新户主成员 id、"
        "target 迁入户户编号、new_household_number 新户户编号、new_member 新成员信息"
        "（同添加成员）、leave_reason 销户时成员减少原因",
    )


class BulkIn(Schema):
    model_config = ConfigDict(extra="forbid")

    case_ids: list[ObjectId] = Field(min_length=1, max_length=20000, description="案件 ID（同一步骤）")
    step_code: str = Field(max_length=40)
    on: dt.date | None = None
    signatures: list[SignatureIn] = Field(default_factory=list, max_length=10)
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=20)
    comment: str = Field("", max_length=2000)


class NoticeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    village: str = Field(description="行政村区划代码（12位）", max_length=12)
    case_ids: list[ObjectId] = Field(
        min_length=1, max_length=2000, description="案件 ID（同一村、同一公示步骤）"
    )
    step_code: str = Field(max_length=40, description="公示步骤代码")
    start_on: dt.date = Field(description="公示开始日期")
    photo_name: str = Field("", max_length=200, description="张贴照片的存档名称（可稍后在网页上传）")


class StepOut(Schema):
    code: str
    name: str
    done_on: dt.date
    user_name: str
    signatures: list[dict[str, str]]
    comment: str
    evaluation: dict[str, Any] | None = Field(description="当时的政策标准评估（规则、所用数值及文件、结论）")
    superseded: bool = Field(description="已因异议退回重办")


class CaseOut(Schema):
    id: int
    household_id: int
    household_number: str
    kind: str
    kind_label: str
    state: str
    state_label: str
    next_step: str | None = Field(description="等待办理的步骤代码")
    next_step_name: str | None
    discovered_on: dt.date
    deadline: dt.date | None
    overdue: bool
    closed_on: dt.date | None
    effective_on: dt.date | None
    params: dict[str, Any]
    version: int


class CaseDetailOut(CaseOut):
    steps: list[StepOut]
    policy: dict[str, Any] = Field(description="开案时所用的政策参数（办理时限）")


class BulkResultOut(Schema):
    case_id: int
    household_number: str
    ok: bool
    message: str


class NoticeOut(Schema):
    id: int
    village: str
    kind: str
    kind_label: str
    title: str
    start_on: dt.date
    end_on: dt.date = Field(description="公示期满次日（此日起可办理下一步）")
    days: int
    policy: dict[str, Any]
    entries: list[dict[str, Any]] = Field(
        description="公示名单：户编号、户主姓名、村组、人口数、备注（不含证件、电话、银行、健康信息）"
    )


def _case_out(case: Case) -> dict[str, Any]:
    step = case.next_step
    return {
        "id": case.pk,
        "household_id": case.household_id,
        "household_number": case.household.household_number if case.household else "",
        "kind": case.kind,
        "kind_label": case.get_kind_display(),
        "state": case.state,
        "state_label": case.get_state_display(),
        "next_step": step.code if step else None,
        "next_step_name": step.name if step else None,
        "discovered_on": case.discovered_on,
        "deadline": case.deadline,
        "overdue": selectors.is_overdue(case),
        "closed_on": case.closed_on,
        "effective_on": case.effective_on,
        "params": case.params,
        "version": case.version,
    }


def _detail(case: Case) -> dict[str, Any]:
    steps = [
        {
            "code": s.step.code,
            "name": s.step.name,
            "done_on": s.done_on,
            "user_name": s.user_name,
            "signatures": s.signatures,
            "comment": s.comment,
            "evaluation": s.evaluation,
            "superseded": s.superseded,
        }
        for s in selectors.steps_of(case)
    ]
    return {**_case_out(case), "steps": steps, "policy": case.policy}


def _notice_out(notice: Notice) -> dict[str, Any]:
    content = selectors.notice_content(notice)
    return {
        "id": notice.pk,
        "village": notice.village_id,
        "kind": notice.kind,
        "kind_label": notice.get_kind_display(),
        "title": content.title,
        "start_on": notice.start_on,
        "end_on": notice.end_on,
        "days": notice.days,
        "policy": notice.policy,
        "entries": [
            {
                "household_number": e.household_number,
                "head_name": e.head_name,
                "place": e.place,
                "size": e.size,
                "note": e.note,
            }
            for e in content.entries
        ],
    }


def _signatures(items: list[SignatureIn]) -> list[Signature]:
    return [Signature(s.signer, s.name) for s in items]


def _evidence(items: list[EvidenceIn]) -> list[EvidenceInput]:
    return [EvidenceInput(e.kind, e.name) for e in items]


@router.get(
    "/cases",
    response=list[CaseOut],
    tags=TAGS,
    summary="查询案件",
    description="本人辖区内的案件；可按状态、程序类型筛选，mine=true 只列本人角色可办理的（待办）。",
)
@paginate(Pagination)
def list_cases(
    request: HttpRequest,
    state: str = Query(
        "", description="状态：" + "，".join(f"{v} {label}" for v, label in CaseState.choices)
    ),
    kind: str = Query(
        "", description="程序类型：" + "，".join(f"{v} {label}" for v, label in ProcedureKind.choices)
    ),
    mine: bool = Query(False, description="只列我的待办"),
) -> list[dict[str, Any]]:
    user = user_of(request)
    qs = (
        selectors.queue_for(user) if mine else access.cases_for(user).select_related("household", "next_step")
    )
    if state:
        if state not in CaseState.values:
            raise ValidationFailed(f"未知的状态：{state}", {"state": ["未知的状态"]})
        qs = qs.filter(state=state)
    if kind:
        if kind not in ProcedureKind.values:
            raise ValidationFailed(f"未知的程序类型：{kind}", {"kind": ["未知的程序类型"]})
        qs = qs.filter(kind=kind)
    return [_case_out(c) for c in qs.order_by(F("deadline").asc(nulls_last=True), "pk")[:5000]]


@router.get(
    "/cases/{id}",
    response={200: CaseDetailOut, READ_ERRORS: ErrorOut},
    tags=TAGS,
    summary="案件详情",
    description="案件、已办步骤（办理人、日期、签字、政策标准评估）。",
)
def get_case(request: HttpRequest, id: CaseId) -> dict[str, Any]:
    return _detail(access.access_case(user_of(request), id))


@router.post(
    "/households/{id}/cases",
    response={201: CaseDetailOut, WRITE_ERRORS: ErrorOut},
    tags=TAGS,
    summary="开案",
    description="为一户开启程序（同一户同类程序只能有一个办理中的案件）。",
)
def open_case(request: HttpRequest, id: HouseholdId, payload: OpenIn) -> Status:
    user = user_of(request)
    household = registry_access.access_household(user, id, "view")
    if not registry_access.households_for(user, "change").filter(pk=household.pk).exists():
        raise PermissionDeniedError("只读角色不能开案")
    case = services.open_case(
        actor=audit.Actor.of(user),
        household=household,
        kind=payload.kind,
        discovered_on=payload.discovered_on,
        params=payload.params,
    )
    return Status(201, _detail(access.access_case(user, case.pk)))


@router.post(
    "/cases/{id}/steps",
    response={200: CaseDetailOut, WRITE_ERRORS: ErrorOut},
    tags=TAGS,
    summary="办理步骤",
    description="办理案件当前等待的步骤：须由该步骤的角色办理，带齐签字和材料；公示步骤须公示期满且无未复核异议；"
    "审批步骤不符合政策标准的不能通过。他人已先办理时返回 409。",
)
def complete_step(request: HttpRequest, id: CaseId, payload: StepIn) -> dict[str, Any]:
    user = user_of(request)
    case = access.access_case(user, id)
    _changeable(user, case)
    services.complete_step(
        actor=audit.Actor.of(user),
        case=case,
        step_code=payload.step_code,
        expected_version=payload.version,
        on=payload.on,
        effective_on=payload.effective_on,
        signatures=_signatures(payload.signatures),
        evidence=_evidence(payload.evidence),
        comment=payload.comment,
    )
    return _detail(access.access_case(user, id))


@router.post(
    "/bulk",
    response={200: list[BulkResultOut], WRITE_ERRORS: ErrorOut},
    tags=TAGS,
    auth=editor_auth,
    summary="批量办理",
    description="多个案件一起办理同一步骤；逐案返回是否成功及原因（失败的案件不受影响）。",
)
def advance_many(request: HttpRequest, payload: BulkIn) -> list[dict[str, Any]]:
    user = user_of(request)
    results = services.advance_many(
        actor=audit.Actor.of(user),
        cases=[Case(pk=i) for i in payload.case_ids],
        step_code=payload.step_code,
        on=payload.on,
        signatures=_signatures(payload.signatures),
        evidence=_evidence(payload.evidence),
        comment=payload.comment,
    )
    return [vars(r) for r in results]


@router.get(
    "/notices/{id}",
    response={200: NoticeOut, READ_ERRORS: ErrorOut},
    tags=TAGS,
    summary="公示详情",
    description="一次公示或公告：村、类型、公示期和名单（户编号、户主、人口）；不含身份证号、电话、银行账号和健康状况。",
)
def get_notice(request: HttpRequest, id: NoticeId) -> dict[str, Any]:
    return _notice_out(access.access_notice(user_of(request), id))


@router.post(
    "/notices",
    response={201: NoticeOut, WRITE_ERRORS: ErrorOut},
    tags=TAGS,
    auth=editor_auth,
    summary="发布公示",
    description="同一村、同一公示步骤的多个案件发布一张公示；公示天数取政策参数。",
)
def post_notice(request: HttpRequest, payload: NoticeIn) -> Status:
    user = user_of(request)
    try:
        village = Region.objects.get(code=payload.village)
    except Region.DoesNotExist:
        raise NotFoundOrForbidden("行政村不存在或无权访问") from None
    photo = EvidenceInput("notice_photo", payload.photo_name) if payload.photo_name.strip() else None
    notice = services.post_notice(
        actor=audit.Actor.of(user),
        village=village,
        cases=[Case(pk=i) for i in payload.case_ids],
        step_code=payload.step_code,
        start_on=payload.start_on,
        photo=photo,
    )
    return Status(201, _notice_out(notice))
