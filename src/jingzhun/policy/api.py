"""Policy API: parameters (list, read, create, change) and a household's evaluation against a standard.

A thin layer like the registry's: rows come through ``access`` (missing and not-yours give the same
404; visible but not editable gives 403), writes go through ``services``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict

from jingzhun.core import audit
from jingzhun.core.api import READ_ERRORS, WRITE_ERRORS, ErrorOut, RoleAuth, user_of
from jingzhun.core.errors import PermissionDeniedError, ValidationFailed
from jingzhun.policy import access, catalogue, selectors, services
from jingzhun.policy.criteria import PURPOSES, evaluate_household
from jingzhun.policy.models import Parameter
from jingzhun.registry import access as registry_access
from jingzhun.registry.api import Pagination
from jingzhun.registry.schemas import MAX_ID

router = Router()
TAGS = ["政策参数"]
ParameterId = Annotated[int, Path(ge=1, le=MAX_ID, description="政策参数 ID")]
HouseholdId = Annotated[int, Path(ge=1, le=MAX_ID, description="农户 ID")]
KEY_NOTE = "参数代码：" + "，".join(f"{k.key} {k.name}（{k.unit}）" for k in catalogue.KEYS)


editor_auth = RoleAuth(access.can_edit_any, "只有系统管理员和县级（省级）管理员可以设置政策参数")


class ParameterOut(Schema):
    id: int
    key: str = Field(description=KEY_NOTE)
    name: str = Field(description="参数名称")
    unit: str = Field(description="单位")
    region_prefix: str = Field(description="适用区划代码前缀；空 = 全国")
    year: int | None = Field(description="年度（按年度的参数）")
    effective_from: dt.date | None = Field(description="生效日期（按日期的参数）")
    effective_to: dt.date | None = Field(description="失效日期（最后有效的一天）；空 = 长期有效")
    value: str = Field(description="数值（比例为小数，0.02 = 2%）")
    display_value: str = Field(description="带单位的数值")
    document: str = Field(description="文件名称/文号")
    document_date: dt.date | None
    source: str = Field(description="出处")
    note: str
    unconfirmed: bool = Field(description="待确认：数值未经文件确认的默认值")
    version: int = Field(description="版本号（修改时原样带回）")


class ParameterChange(Schema):
    model_config = ConfigDict(extra="forbid")

    value: Decimal | None = Field(None, description="数值", max_digits=14, decimal_places=4)
    document: str | None = Field(None, max_length=200, description="文件名称/文号")
    document_date: dt.date | None = None
    effective_from: dt.date | None = Field(None, description="生效日期（按日期的参数）")
    effective_to: dt.date | None = Field(None, description="失效日期；停用参数时填写")
    unconfirmed: bool | None = None
    source: str | None = Field(None, max_length=400)
    note: str | None = Field(None, max_length=2000)


class ParameterCreate(ParameterChange):
    key: str = Field(max_length=50, description=KEY_NOTE)
    region_prefix: str = Field("", max_length=12, description="适用区划代码前缀（2/4/6/9/12 位）；空 = 全国")
    year: int | None = Field(None, ge=1978, le=2100, description="年度（贫困线、监测范围必填）")
    value: Decimal = Field(description="数值", max_digits=14, decimal_places=4)
    document: str = Field(max_length=200, description="文件名称/文号")


class ParameterUpdate(ParameterChange):
    version: int = Field(ge=1, le=2**31 - 1, description="读取时得到的 version 原样带回")


class ParameterRef(Schema):
    key: str
    name: str
    value: str
    unit: str
    year: int | None
    region_prefix: str
    document: str
    unconfirmed: bool
    parameter_id: int
    effective_from: str | None
    effective_to: str | None


class CriterionOut(Schema):
    code: str = Field(description="条件代码")
    name: str
    rule: str = Field(description="规则（中文）")
    threshold: str = Field(description="标准及依据")
    value: str = Field(description="实际情况")
    passed: bool
    required: bool = Field(description="false = 仅供参考，不影响结论")
    note: str
    parameter: ParameterRef | None = Field(description="所用的政策参数（保存决定时一并保存）")


class EvaluationOut(Schema):
    purpose: str
    purpose_name: str
    subject: str
    on: str
    passed: bool
    summary: str
    criteria: list[CriterionOut]


def _out(row: Parameter) -> dict[str, Any]:
    entry = row.entry
    return {
        "id": row.pk,
        "key": row.key,
        "name": entry.name,
        "unit": entry.unit,
        "region_prefix": row.region_prefix,
        "year": row.year,
        "effective_from": row.effective_from,
        "effective_to": row.effective_to,
        "value": format(row.value.normalize(), "f"),
        "display_value": row.display_value,
        "document": row.document,
        "document_date": row.document_date,
        "source": row.source,
        "note": row.note,
        "unconfirmed": row.unconfirmed,
        "version": row.version,
    }


@router.get(
    "/parameters",
    response=list[ParameterOut],
    tags=TAGS,
    summary="政策参数列表",
    description="本人辖区适用的参数（全国、上级和辖区内各级），可按参数、区划（该区划适用的各级数值）、年度筛选。",
)
@paginate(Pagination)
def list_parameters(
    request: HttpRequest,
    key: str = Query("", max_length=50, description=KEY_NOTE),
    region: str = Query("", max_length=12, description="只看适用于该区划的数值（该区划及其上级、全国）"),
    year: int | None = Query(None, ge=1978, le=2100, description="年度"),
    unconfirmed: bool | None = Query(None, description="true 只看待确认"),
) -> list[dict[str, Any]]:
    if key:
        catalogue.get(key)
    rows = selectors.parameters_for(
        user_of(request),
        key=key,
        region=region,
        year=year,
        unconfirmed=unconfirmed,
    )
    return [_out(r) for r in rows]


@router.get(
    "/parameters/{id}",
    response={200: ParameterOut, READ_ERRORS: ErrorOut},
    tags=TAGS,
    summary="政策参数详情",
    description="一条政策参数：数值、适用区划和年度、发文及日期、是否待确认。辖区外的参数与不存在的一样返回 404。",
)
def get_parameter(request: HttpRequest, id: ParameterId) -> dict[str, Any]:
    return _out(access.access_parameter(user_of(request), id))


@router.post(
    "/parameters",
    response={201: ParameterOut, WRITE_ERRORS: ErrorOut},
    tags=TAGS,
    summary="新增政策参数",
    auth=editor_auth,
    description="系统管理员可设置任何区划；县级（省级）管理员只能设置本辖区内的区划。"
    "同一参数、区划、年度（或生效日期）只能有一条。",
)
def create_parameter(request: HttpRequest, payload: ParameterCreate) -> Status:
    user = user_of(request)
    data = payload.model_dump()
    access.require_edit(user, data["region_prefix"] or "")
    data["source"], data["note"] = data["source"] or "", data["note"] or ""
    data["unconfirmed"] = bool(data["unconfirmed"])
    row = services.create_parameter(actor=audit.Actor.of(user), **data)
    return Status(201, _out(row))


@router.patch(
    "/parameters/{id}",
    response={200: ParameterOut, WRITE_ERRORS: ErrorOut},
    tags=TAGS,
    summary="修改政策参数",
    description="只提交要修改的字段并带上 version；他人已先保存时返回 409。参数、区划、年度不能修改（请新增一条）。"
    "停用参数：提交 effective_to。修改只影响这一条，已作出的决定保存了当时所用的数值。",
)
def update_parameter(request: HttpRequest, payload: ParameterUpdate, id: ParameterId) -> dict[str, Any]:
    user = user_of(request)
    row = access.access_parameter(user, id, "view")
    if not access.parameters_for(user, "change").filter(pk=row.pk).exists():
        raise PermissionDeniedError("无权修改这条政策参数")
    data = payload.model_dump(exclude_unset=True, exclude={"version"})
    if not data:
        raise ValidationFailed("没有要修改的字段", {"__all__": ["请至少提供一个要修改的字段"]})
    services.update_parameter(
        actor=audit.Actor.of(user), parameter=row, expected_version=payload.version, data=data
    )
    return _out(access.access_parameter(user, id))


@router.get(
    "/households/{id}/evaluation",
    response={200: EvaluationOut, READ_ERRORS: ErrorOut},
    tags=TAGS,
    summary="农户条件评估",
    description="按识别、退出、返贫、监测或风险消除的标准逐项评估一户：规则、所用数值及文件、实际情况、是否满足。"
    "结果中的 parameter 是决定应保存的依据。",
)
def household_evaluation(
    request: HttpRequest,
    id: HouseholdId,
    purpose: str = Query("exit", description="用途：" + "，".join(f"{k} {v}" for k, v in PURPOSES.items())),
    on: dt.date | None = Query(None, description="评估日期（默认今天）"),  # noqa: B008
    monitoring_type: str = Query(
        "",
        max_length=1,
        description="监测识别时申请的监测对象类型：1 脱贫不稳定户，"
        "2 边缘易致贫户，3 突发严重困难户（不填按户的情况推定）",
    ),
    mode: str | None = Query(
        None,
        description="风险消除方式（仅 elimination）：1 帮扶消除（须有已实施的帮扶措施），"
        "2 自然消除；不填时帮扶措施一项仅供参考",
    ),
) -> dict[str, Any]:
    household = registry_access.access_household(user_of(request), id)
    evaluation = evaluate_household(
        household,
        purpose=purpose,
        on=on or timezone.localdate(),
        monitoring_type=monitoring_type or None,
        mode=mode,
    )
    return {**evaluation.as_json(), "summary": evaluation.summary_zh()}
