"""Poor-villages API: a county's 贫困村 list (read, import), a village's yearly records (read, write), its
exit and identification checks, and its exit case (open, read, do the waiting step).

Thin like the others: regions and cases come through ``access`` (missing and not-yours give the same
404; visible but not changeable gives 403), writes go through ``services`` and the procedure engine.

It lives in ``procedures`` (above ``villages``, which holds the records and sits below ``policy``, whose
village checks read them) because a village is mostly served through its exit procedure.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import ConfigDict

from jingzhun.core import audit
from jingzhun.core.api import READ_ERRORS, WRITE_ERRORS, ErrorOut, user_of
from jingzhun.core.errors import NotFoundOrForbidden, PermissionDeniedError
from jingzhun.policy.criteria import evaluate_village_exit, evaluate_village_identification
from jingzhun.procedures import access as procedure_access
from jingzhun.procedures import selectors as procedure_selectors
from jingzhun.procedures import services as procedure_services
from jingzhun.procedures.api import StepIn, _evidence, _signatures
from jingzhun.procedures.choices import CaseState, ProcedureKind
from jingzhun.procedures.models import Case
from jingzhun.registry.schemas import MAX_ID
from jingzhun.villages import access, selectors, services
from jingzhun.villages.models import PoorVillage, VillageYear

router = Router()
TAGS = ["贫困村"]
Code = Annotated[str, Path(max_length=12, description="区划代码：县6位或12位，村12位")]
Year = Annotated[int, Path(ge=1978, le=2100, description="年度")]
CaseId = Annotated[int, Path(ge=1, le=MAX_ID, description="案件 ID")]


class PoorVillageOut(Schema):
    code: str = Field(description="村12位区划代码")
    name: str = Field(description="村名")
    township: str = Field(description="乡镇")
    identified_year: int = Field(description="识别年度")
    exit_year: int | None = Field(description="退出（出列）年度；仍为贫困村时为 null")
    source_document: str = Field(description="依据文件")
    version: int


class ImportIn(Schema):
    model_config = ConfigDict(extra="forbid")

    codes: list[str] = Field(min_length=1, max_length=5000, description="12位村代码")
    identified_year: int = Field(ge=1978, le=2100, description="识别年度")
    source_document: str = Field(min_length=1, max_length=200, description="依据文件")


class ImportOut(Schema):
    created: list[str] = Field(description="新列入名单的村代码")
    already: list[str] = Field(description="原已在名单中、未改动的村代码")


class RecordIn(Schema):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(0, ge=0, description="记录版本号：新建填0，修改时原样带回读取时的 version")
    hardened_road: bool | None = Field(None, description="通硬化路")
    safe_water_coverage: Decimal | None = Field(None, ge=0, le=1, description="安全饮水覆盖率（0—1）")
    power: bool | None = Field(None, description="通动力电")
    clinic: bool | None = Field(None, description="有标准化卫生室和合格村医")
    broadband: bool | None = Field(None, description="通宽带")
    radio_tv: bool | None = Field(None, description="通广播电视")
    collective_income: Decimal | None = Field(None, ge=0, description="村集体经济收入（元）")
    per_capita_income: Decimal | None = Field(None, ge=0, description="农民人均纯收入（元）")
    rural_population: int | None = Field(None, ge=0, description="农村户籍人口")
    poor_population: int | None = Field(None, ge=0, description="建档立卡贫困人口（年末剩余）")
    note: str = Field("", max_length=2000)


class RecordOut(RecordIn):
    model_config = ConfigDict(extra="ignore")

    year: int


class OpenIn(Schema):
    model_config = ConfigDict(extra="forbid")

    discovered_on: dt.date = Field(description="申请日期")


class VillageCaseOut(Schema):
    id: int = Field(description="案件 ID")
    village: str = Field(description="村12位区划代码")
    kind: str = Field(description="程序类型（village_exit 贫困村退出）")
    state: str = Field(description="案件状态：" + "，".join(f"{c.value} {c.label}" for c in CaseState))
    version: int = Field(description="案件版本号：办理步骤时原样带回")
    next_step: str | None = Field(description="等待办理的步骤代码")
    steps: list[dict[str, Any]] = Field(
        description="已办理的步骤：代码、名称、日期、办理人、签字、评估结果、是否已因异议退回"
    )


def _poor_out(p: PoorVillage) -> dict[str, Any]:
    return {
        "code": p.village.code,
        "name": p.village.name,
        "township": p.village.parent.name if p.village.parent else "",
        "identified_year": p.identified_year,
        "exit_year": p.exit_year,
        "source_document": p.source_document,
        "version": p.version,
    }


def _record_out(r: VillageYear) -> dict[str, Any]:
    return {name: getattr(r, name) for name in (*services.RECORD_FIELDS, "year", "version")}


def _case_out(case: Case) -> dict[str, Any]:
    steps = [
        {
            "code": s.step.code,
            "name": s.step.name,
            "done_on": s.done_on.isoformat(),
            "user_name": s.user_name,
            "signatures": s.signatures,
            "evaluation": s.evaluation,
            "superseded": s.superseded,
        }
        for s in procedure_selectors.steps_of(case)
    ]
    return {
        "id": case.pk,
        "village": case.village_id,
        "kind": case.kind,
        "state": case.state,
        "version": case.version,
        "next_step": case.next_step.code if case.next_step else None,
        "steps": steps,
    }


def _village_case(user: Any, pk: int) -> Case:
    case = procedure_access.access_case(user, pk, villages=True)
    if case.village_id is None:
        raise NotFoundOrForbidden("案件不存在或无权访问")
    return case


@router.get(
    "/counties/{code}/poor-villages",
    response={200: list[PoorVillageOut], READ_ERRORS: ErrorOut},
    tags=TAGS,
    summary="贫困村名单",
    description="县的贫困村名单：识别年度、退出（出列）年度和依据文件。",
)
def list_poor_villages(request: HttpRequest, code: Code) -> list[dict[str, Any]]:
    county = access.access_county(user_of(request), code)
    return [_poor_out(p) for p in selectors.register_of(county).order_by("village_id")]


@router.post(
    "/counties/{code}/poor-villages",
    response={201: ImportOut, WRITE_ERRORS: ErrorOut},
    tags=TAGS,
    summary="导入贫困村名单",
    description="一组12位村代码列入县的贫困村名单（系统管理员、县级管理员）。任何一个代码有误时整批不导入，"
    "errors.codes 逐个说明原因；已在名单中的村不改动。",
)
def import_poor_villages(request: HttpRequest, code: Code, payload: ImportIn) -> Status:
    user = user_of(request)
    county = access.access_county(user, code, "change")
    result = services.import_poor_villages(
        actor=audit.Actor.of(user),
        county=county,
        text="\n".join(payload.codes),
        identified_year=payload.identified_year,
        source_document=payload.source_document,
    )
    return Status(201, {"created": [p.village_id for p in result.created], "already": result.already})


@router.get(
    "/{code}/years",
    response={200: list[RecordOut], READ_ERRORS: ErrorOut},
    tags=TAGS,
    summary="村级年度情况",
    description="村的各年度情况：道路、饮水、电、卫生室、宽带、广播电视、集体经济收入、人口。",
)
def list_records(request: HttpRequest, code: Code) -> list[dict[str, Any]]:
    village = access.access_village(user_of(request), code)
    return [_record_out(r) for r in selectors.records_of(village)]


@router.put(
    "/{code}/years/{year}",
    response={200: RecordOut, WRITE_ERRORS: ErrorOut},
    tags=TAGS,
    summary="填写村级年度情况",
    description="新建（version 0）或修改（带回读取时的 version）村的一个年度的情况（辖区内的村、乡镇干部和"
    "县级管理员）；他人已先修改时返回 409。",
)
def save_record(request: HttpRequest, code: Code, year: Year, payload: RecordIn) -> dict[str, Any]:
    user = user_of(request)
    village = access.access_village(user, code, "change", records=True)
    data = payload.dict(exclude={"version"})
    record = services.save_village_year(
        actor=audit.Actor.of(user), village=village, year=year, data=data, expected_version=payload.version
    )
    return _record_out(record)


@router.get(
    "/{code}/exit-check",
    response={200: dict[str, Any], READ_ERRORS: ErrorOut},
    tags=TAGS,
    summary="贫困村退出检查",
    description="贫困发生率和省定的道路、饮水、电、卫生室、宽带、集体经济收入等各项：规则、标准及依据、实际情况、是否满足。",
)
def exit_check(
    request: HttpRequest, code: Code, year: int = Query(..., ge=1978, le=2100, description="评估年度")
) -> dict[str, Any]:
    evaluation = evaluate_village_exit(access.access_village(user_of(request), code), year=year)
    return {**evaluation.as_json(), "summary": evaluation.summary_zh()}


@router.get(
    "/{code}/identification-check",
    response={200: dict[str, Any], READ_ERRORS: ErrorOut},
    tags=TAGS,
    summary="贫困村识别检查（一高一低一无）",
    description="按上一年度数据与全省比较：贫困发生率、农民人均纯收入、集体经济收入。",
)
def identification_check(
    request: HttpRequest, code: Code, year: int = Query(2014, ge=1978, le=2100, description="识别年度")
) -> dict[str, Any]:
    evaluation = evaluate_village_identification(access.access_village(user_of(request), code), year=year)
    return {**evaluation.as_json(), "summary": evaluation.summary_zh()}


@router.post(
    "/{code}/exit-cases",
    response={201: VillageCaseOut, WRITE_ERRORS: ErrorOut},
    tags=TAGS,
    summary="开始办理贫困村退出",
    description="贫困村自主申请退出（辖区内的村、乡镇干部和县级管理员）：开案，等待第一步“自主申请”。"
    "村须在贫困村名单中、尚未退出，且没有办理中的退出案件。",
)
def open_case(request: HttpRequest, code: Code, payload: OpenIn) -> Status:
    user = user_of(request)
    village = access.access_village(user, code)
    if not procedure_access.may_change_village(user, village):
        raise PermissionDeniedError("无权为此村办理贫困村退出")
    case = procedure_services.open_village_case(
        actor=audit.Actor.of(user),
        village=village,
        kind=ProcedureKind.VILLAGE_EXIT,
        discovered_on=payload.discovered_on,
    )
    return Status(201, _case_out(_village_case(user, case.pk)))


@router.get(
    "/cases/{id}",
    response={200: VillageCaseOut, READ_ERRORS: ErrorOut},
    tags=TAGS,
    summary="贫困村退出案件",
    description="一个贫困村退出案件：状态、等待办理的步骤和已办理的各步骤（签字、评估结果）。"
    "辖区内的村看得到的用户可以查看；农户的案件不在此查询。",
)
def get_case(request: HttpRequest, id: CaseId) -> dict[str, Any]:
    return _case_out(_village_case(user_of(request), id))


@router.post(
    "/cases/{id}/steps",
    response={200: VillageCaseOut, WRITE_ERRORS: ErrorOut},
    tags=TAGS,
    summary="办理贫困村退出步骤",
    description="办理案件当前等待的步骤（与农户程序同一引擎：角色、签字、材料、公示期、审批须符合退出条件）。"
    "公示步骤先用 POST /api/procedures/notices 发布公示。",
)
def complete_step(request: HttpRequest, id: CaseId, payload: StepIn) -> dict[str, Any]:
    user = user_of(request)
    case = _village_case(user, id)
    if case.village is None or not procedure_access.may_change_village(user, case.village):
        raise PermissionDeniedError("无权办理此案件")
    procedure_services.complete_step(
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
    return _case_out(_village_case(user, id))
