"""Comparison API: runs (list, read, start), doubts (list, read, verify, resolve) and the rule catalogue.

Thin like the procedures': doubts, runs and rules come through ``doubt_access`` (missing and not-yours
give the same 404; a doubt the user sees but may not verify or resolve gives 403), writes go through
``services`` (a run through ``jobs``, in the background: poll the run until ``state`` is no longer
``running``). Verification material is uploaded on the web page. A department user gets only the person's
name, ID, village and the evidence of a doubt, nothing of the household.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict

from jingzhun.accounts.choices import Role
from jingzhun.comparison import datasets, doubt_access, jobs, selectors, services
from jingzhun.comparison.models import Category, ComparisonRun, Doubt, DoubtState
from jingzhun.core import audit
from jingzhun.core.api import READ_ERRORS, WRITE_ERRORS, ErrorOut, RoleAuth, user_of
from jingzhun.core.errors import NotFoundOrForbidden, PermissionDeniedError, ValidationFailed
from jingzhun.regions.access import access_region
from jingzhun.regions.choices import Level
from jingzhun.registry.api import Pagination
from jingzhun.registry.schemas import MAX_ID, RegionRef, mask_id

router = Router()
TAGS = ["行业数据比对"]
RunId = Annotated[int, Path(ge=1, le=MAX_ID, description="比对任务 ID")]
DoubtId = Annotated[int, Path(ge=1, le=MAX_ID, description="疑点 ID")]
STATES = "，".join(f"{v} {label}" for v, label in DoubtState.choices)


runner_auth = RoleAuth(doubt_access.RUNNERS, "只有县级管理员可以发起比对")


class Converted:
    """A queryset seen through a conversion: the paginator counts and slices it, and only the page asked
    for is read and converted (a county's doubts are many thousands)."""

    def __init__(self, qs: QuerySet[Any], convert: Callable[[list[Any]], list[dict[str, Any]]]) -> None:
        self.qs, self.convert = qs, convert

    def __len__(self) -> int:
        return self.qs.count()

    def __getitem__(self, page: slice) -> list[dict[str, Any]]:
        return self.convert(list(self.qs[page]))


# --------------------------------------------------------------------------------------------------
# Schemas


class RunIn(Schema):
    model_config = ConfigDict(extra="forbid")

    region: str = Field(max_length=12, description="比对范围：县的 6 位或 12 位区划代码（须在本人辖区内）")
    engine: Literal["duckdb", "spark"] = Field("duckdb", description="比对引擎：duckdb 单机，spark 集群")
    as_of: dt.date | None = Field(None, description="比对基准日（默认今天）")


class RunOut(Schema):
    id: int
    region: RegionRef
    engine: str
    as_of: dt.date
    state: str = Field(description="running 进行中，done 已完成，failed 失败")
    state_label: str
    progress: int = Field(description="进度（0–100）")
    stage: str = Field(description="当前阶段")
    user_name: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    seconds: float | None
    findings: int = Field(description="命中数")
    doubts_created: int = Field(description="新增疑点")
    doubts_skipped: int = Field(description="已有疑点，未重复下发")
    message: str


class TownshipCount(Schema):
    code: str = Field(description="乡镇区划前缀（9 位）")
    name: str
    total: int = Field(description="本次下发的疑点")
    open: int = Field(description="其中仍待核实")


class RunDetailOut(RunOut):
    counts: dict[str, int] = Field(description="各规则命中数（规则编号 → 条数）")
    skipped: dict[str, str] = Field(
        description="未运行（或部分县未运行）的规则及原因（规则编号 → 中文说明："
        "缺少的部门数据，或缺少的政策参数及其年度和县）"
    )
    loads: dict[str, list[str]] = Field(description="使用的部门数据批次（数据集 → 批次 ID）")
    townships: list[TownshipCount] = Field(description="本人辖区内各乡镇的疑点")


class RuleRef(Schema):
    code: str
    name: str
    category: str
    category_label: str
    severity: str


class DoubtOut(Schema):
    id: int
    rule: RuleRef
    village: RegionRef
    household_id: int | None = Field(description="户 ID（不在登记系统中的人为 null；部门用户恒为 null）")
    name: str = Field(description="姓名")
    id_number: str = Field(description="证件号码（只读角色看到的是遮蔽后的号码）")
    detail: str = Field(description="证据")
    state: str = Field(description="状态：" + STATES)
    state_label: str
    raised_at: dt.datetime
    run_id: int
    verified_by_name: str
    verified_at: dt.datetime | None
    verification_note: str = Field(description="核实说明（部门用户不返回）")
    case_id: int | None = Field(description="属实后启动的程序案件 ID")
    version: int = Field(description="版本号（核实、整改时原样带回）")


class VerifyIn(Schema):
    model_config = ConfigDict(extra="forbid")

    confirmed: bool = Field(description="true 属实，false 不属实")
    note: str = Field(min_length=1, max_length=2000, description="核实说明：属实的情况或不属实的理由")
    version: int = Field(ge=1, description="疑点版本号（读取时的 version）")


class ResolveIn(Schema):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=2000, description="整改情况")
    version: int = Field(ge=1, description="疑点版本号（读取时的 version）")


class RuleOut(Schema):
    id: int
    code: str
    region_prefix: str = Field(description="适用区划代码前缀：空为全国（系统规则），否则为该地区自己的规则")
    shipped: bool = Field(description="随系统发布的规则")
    name: str
    category: str
    category_label: str
    severity: str
    severity_label: str
    message: str
    explanation: str
    datasets: list[str] = Field(description="使用的部门数据集代码")
    audience: list[str] = Field(description="推送的部门代码")
    on_true: str = Field(description="属实后的处理：程序类型代码，或 correct 更正登记信息")
    enabled: bool
    parameters: dict[str, Any] = Field(description="阈值参数")
    sql: str = Field(description="查询语句（DuckDB SQL）")
    version: int
    open: int = Field(description="待核实（本人可见的疑点）")
    confirmed: int
    rejected: int
    resolved: int
    precision: float | None = Field(description="准确率：（属实 + 已整改）/ 已核实；尚无核实时为 null")


class RegionRuleIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=100, description="规则名称")
    category: str = Field(description="类别：" + "，".join(f"{v} {label}" for v, label in Category.choices))
    severity: str = Field(description="严重程度：high、medium、low")
    on_true: str = Field(
        "correct", description="属实后处理：correct 更正登记信息，monitoring 启动监测帮扶程序"
    )
    message: str = Field(max_length=300, description="疑点说明")
    explanation: str = Field("", max_length=4000, description="依据与证据说明")
    datasets: list[str] = Field(default_factory=list, description="使用的部门数据集代码")
    parameters: dict[str, int | float | str] = Field(
        default_factory=dict, description="阈值参数（名称 → 数值）"
    )
    sql: str = Field(max_length=20000, description="一条 SELECT（DuckDB SQL），返回疑点需要的六列")


class RegionRuleCreateIn(RegionRuleIn):
    region_prefix: str = Field(max_length=12, description="适用的区划代码（本人辖区内的县）")
    code: str = Field(max_length=20, description="规则编号；用系统规则的编号则在该地区替换该规则")


class RegionRuleUpdateIn(RegionRuleIn):
    version: int = Field(ge=1, description="规则版本号（读取时的 version）")


class SwitchIn(Schema):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(description="true 启用（先校验并试运行，不通过则拒绝，返回 422），false 停用")
    version: int = Field(ge=1, description="规则版本号")


class CheckOut(Schema):
    ok: bool
    errors: list[str] = Field(description="不符合之处（中文），通过时为空")
    rows: int = Field(description="试运行命中条数（最多 1000）")
    capped: bool = Field(description="命中超过试运行上限")
    sample: list[dict[str, Any]] = Field(description="前 20 条命中")


class ThresholdIn(Schema):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=20, description="规则编号")
    region_prefix: str = Field(max_length=12, description="区划代码（本人辖区内）")

    parameters: dict[str, int | float | str] = Field(
        description="本地区的阈值（空值沿用上级；全部为空则删除）"
    )
    version: int = Field(0, ge=0, description="本地区阈值的版本号（尚未设置时为 0）")


class ThresholdOut(Schema):
    code: str
    region_prefix: str
    parameters: dict[str, Any]
    version: int = Field(description="版本号；0 表示已删除，沿用上级的值")


# Refuses (403) roles that may never own a region's rules, before the body is read.
rule_owner_auth = RoleAuth(doubt_access.RUNNERS, "只有县级管理员可以管理本县的比对规则")


# --------------------------------------------------------------------------------------------------
# Conversions


def _run_out(run: ComparisonRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "region": {"code": run.region.code, "name": run.region.name},
        "engine": run.engine,
        "as_of": run.as_of,
        "state": run.state,
        "state_label": run.get_state_display(),
        "progress": run.progress,
        "stage": run.stage,
        "user_name": run.user_name,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "seconds": run.seconds,
        "findings": run.findings,
        "doubts_created": run.doubts_created,
        "doubts_skipped": run.doubts_skipped,
        "message": run.message,
    }


def _run_detail(user: Any, run: ComparisonRun) -> dict[str, Any]:
    from jingzhun.regions.models import Region

    rows = selectors.by_region(user, 9, prefix=run.region.prefix, run_id=run.pk)
    names = dict(Region.objects.filter(prefix__in=[r["area"] for r in rows]).values_list("prefix", "name"))
    return {
        **_run_out(run),
        "counts": run.counts or {},
        "skipped": (run.rules or {}).get("skipped", {}),
        "loads": run.loads or {},
        "townships": [
            {"code": r["area"], "name": names.get(r["area"], ""), "total": r["total"], "open": r["open"]}
            for r in rows
        ],
    }


def _doubts_out(user: Any, doubts: list[Doubt]) -> list[dict[str, Any]]:
    """ID numbers in full for those who verify the doubt (and the department that sent them), masked for
    read-only roles; nothing of the household for department users."""
    department = user.role == Role.DEPARTMENT
    verifiable = set(
        doubt_access.doubts_for(user, "verify")
        .filter(pk__in=[d.pk for d in doubts])
        .values_list("pk", flat=True)
    )
    return [_doubt_out(d, department=department, reveal=department or d.pk in verifiable) for d in doubts]


def _doubt_out(doubt: Doubt, *, department: bool, reveal: bool) -> dict[str, Any]:
    rule = doubt.rule
    return {
        "id": doubt.pk,
        "rule": {
            "code": rule.code,
            "name": rule.name,
            "category": rule.category,
            "category_label": rule.get_category_display(),
            "severity": rule.severity,
        },
        "village": {"code": doubt.village.code, "name": doubt.village.name},
        "household_id": None if department else doubt.household_id,
        "name": doubt.name,
        "id_number": doubt.id_number if reveal or not doubt.id_number else mask_id(doubt.id_number),
        "detail": doubt.detail,
        "state": doubt.state,
        "state_label": doubt.get_state_display(),
        "raised_at": doubt.raised_at,
        "run_id": doubt.run_id,
        "verified_by_name": doubt.verified_by_name,
        "verified_at": doubt.verified_at,
        "verification_note": "" if department else doubt.verification_note,
        "case_id": None if department else doubt.case_id,
        "version": doubt.version,
    }


def _writable(user: Any, doubt_id: int, action: Literal["verify", "resolve"]) -> None:
    """A doubt the user does not see is 404; one they see but may not change is 403."""
    doubt_access.access_doubt(user, doubt_id)
    if not doubt_access.doubts_for(user, action).filter(pk=doubt_id).exists():
        raise PermissionDeniedError("无权核实此疑点" if action == "verify" else "无权将此疑点标为已整改")


# --------------------------------------------------------------------------------------------------
# Runs


@router.get(
    "/runs",
    response=list[RunOut],
    tags=TAGS,
    summary="查询比对任务",
    description="本人辖区内的比对任务，最新的在前。",
)
@paginate(Pagination)
def list_runs(request: HttpRequest) -> Any:
    runs = doubt_access.runs_for(user_of(request)).select_related("region").order_by("-started_at", "-pk")
    return Converted(runs, lambda rows: [_run_out(r) for r in rows])


@router.get(
    "/runs/{id}",
    response={200: RunDetailOut, READ_ERRORS: ErrorOut},
    tags=TAGS,
    summary="比对任务详情",
    description="进度、各规则命中数、未运行的规则及原因、使用的部门数据批次和各乡镇的疑点数。",
)
def get_run(request: HttpRequest, id: RunId) -> dict[str, Any]:
    user = user_of(request)
    return _run_detail(user, doubt_access.access_run(user, id))


@router.post(
    "/runs",
    response={202: RunOut, WRITE_ERRORS: ErrorOut},
    tags=TAGS,
    auth=runner_auth,
    summary="发起比对",
    description="对本人辖区内的一个县发起比对（县级管理员）；比对在后台运行，返回 202 和任务，"
    "请轮询任务详情直到 state 不再是 running。同一县已有比对在进行时返回 422。",
)
def start_run(request: HttpRequest, payload: RunIn) -> Status:
    user = user_of(request)
    region = access_region(user, payload.region)
    if region.level != Level.COUNTY:
        raise ValidationFailed("比对范围应为县（区）", {"region": ["应为县级区划"]})
    run = jobs.start_run(user=user, region=region, engine_name=payload.engine, as_of=payload.as_of)
    return Status(202, _run_out(doubt_access.access_run(user, run.pk)))


# --------------------------------------------------------------------------------------------------
# Doubts


@router.get(
    "/doubts",
    response=list[DoubtOut],
    tags=TAGS,
    summary="查询疑点",
    description="本人可见的疑点（部门用户：推送给本部门的规则的疑点），可按状态、规则、区划筛选；分页返回。",
)
@paginate(Pagination)
def list_doubts(
    request: HttpRequest,
    state: str = Query("", description="状态（默认全部）：" + STATES),
    rule: str = Query("", max_length=20, description="规则编号，如 SB01"),
    region: str = Query(
        "", max_length=12, description="只看该区划内的疑点（区划代码或前缀），须在本人辖区内"
    ),
) -> Any:
    user = user_of(request)
    if state and state not in DoubtState.values:
        raise ValidationFailed(f"未知的状态：{state}", {"state": ["未知的状态"]})
    prefix = access_region(user, region).prefix if region else ""
    return Converted(
        selectors.queue(user, state=state, rule=rule, prefix=prefix), lambda rows: _doubts_out(user, rows)
    )


@router.get(
    "/doubts/{id}",
    response={200: DoubtOut, READ_ERRORS: ErrorOut},
    tags=TAGS,
    summary="疑点详情",
    description="疑点的规则、证据、状态和核实结果。",
)
def get_doubt(request: HttpRequest, id: DoubtId) -> dict[str, Any]:
    user = user_of(request)
    return _doubts_out(user, [doubt_access.access_doubt(user, id)])[0]


@router.post(
    "/doubts/{id}/verify",
    response={200: DoubtOut, WRITE_ERRORS: ErrorOut},
    tags=TAGS,
    summary="核实疑点",
    description="村、乡镇核实的结论：属实或不属实，须写核实说明。属实且规则指定了程序的，为该户启动程序"
    "（已有办理中的同类案件则关联）。已核实的疑点不能再次核实；他人已先核实时返回 409。",
)
def verify_doubt(request: HttpRequest, id: DoubtId, payload: VerifyIn) -> dict[str, Any]:
    user = user_of(request)
    _writable(user, id, "verify")
    services.verify(
        actor=audit.Actor.of(user),
        doubt_id=id,
        confirmed=payload.confirmed,
        note=payload.note,
        version=payload.version,
    )
    return _doubts_out(user, [doubt_access.access_doubt(user, id)])[0]


@router.post(
    "/doubts/{id}/resolve",
    response={200: DoubtOut, WRITE_ERRORS: ErrorOut},
    tags=TAGS,
    summary="疑点标为已整改",
    description="核实属实的疑点整改完成后标为已整改，须写整改情况；此后同一问题再次比中时会重新下发。",
)
def resolve_doubt(request: HttpRequest, id: DoubtId, payload: ResolveIn) -> dict[str, Any]:
    user = user_of(request)
    _writable(user, id, "resolve")
    services.resolve(actor=audit.Actor.of(user), doubt_id=id, note=payload.note, version=payload.version)
    return _doubts_out(user, [doubt_access.access_doubt(user, id)])[0]


# --------------------------------------------------------------------------------------------------
# Rules


@router.get(
    "/rules",
    response=list[RuleOut],
    tags=TAGS,
    summary="比对规则及准确率",
    description="疑点规则目录：类别、严重程度、使用的部门数据、阈值、是否启用，以及按本人可见疑点计算的"
    "各状态数量和准确率。",
)
def list_rules(request: HttpRequest) -> list[dict[str, Any]]:
    user = user_of(request)
    return [_rule_out(stats) for stats in selectors.rule_stats(user, doubt_access.rules_for(user))]


def _rule_out(stats: selectors.RuleStats) -> dict[str, Any]:
    rule = stats.rule
    return {
        "id": rule.pk,
        "code": rule.code,
        "region_prefix": rule.region_prefix,
        "shipped": rule.shipped,
        "name": rule.name,
        "category": rule.category,
        "category_label": rule.get_category_display(),
        "severity": rule.severity,
        "severity_label": rule.get_severity_display(),
        "message": rule.message,
        "explanation": rule.explanation,
        "datasets": [c for c in rule.datasets.split(",") if c in datasets.BY_CODE],
        "audience": [a for a in rule.audience.strip(",").split(",") if a],
        "on_true": rule.on_true,
        "enabled": rule.enabled,
        "parameters": rule.parameters,
        "sql": rule.sql,
        "version": rule.version,
        "open": stats.open,
        "confirmed": stats.confirmed,
        "rejected": stats.rejected,
        "resolved": stats.resolved,
        "precision": stats.precision,
    }


def _rule_writable(user: Any, rule_id: int) -> None:
    """A region's rule the user does not see is 404; one they see but may not change is 403."""
    rule = doubt_access.rules_for(user).exclude(region_prefix="").filter(pk=rule_id).first()
    if rule is None:
        raise NotFoundOrForbidden("规则不存在或无权访问")
    if not doubt_access.can_edit_rules_of(user, rule.region_prefix):
        raise PermissionDeniedError("只有本县的县级管理员可以修改本县的比对规则")


def _one_rule(user: Any, rule_id: int) -> dict[str, Any]:
    return _rule_out(selectors.rule_stats(user, doubt_access.rules_for(user).filter(pk=rule_id))[0])


RuleId = Annotated[int, Path(ge=1, le=MAX_ID, description="规则 ID")]


@router.post(
    "/rules/region",
    response={201: RuleOut, WRITE_ERRORS: ErrorOut},
    tags=TAGS,
    auth=rule_owner_auth,
    summary="添加本地区的规则",
    description="县级管理员为本县添加规则（系统规则的编号则在本县替换该规则）。新规则是停用的：校验并试运行通过后"
    "才能启用（/switch）。",
)
def create_region_rule(request: HttpRequest, payload: RegionRuleCreateIn) -> Status:
    user = user_of(request)
    values = payload.dict()
    rule = services.save_region_rule(
        actor=audit.Actor.of(user), region_prefix=values.pop("region_prefix"), values=values
    )
    return Status(201, _one_rule(user, rule.pk))


@router.put(
    "/rules/region/{id}",
    response={200: RuleOut, WRITE_ERRORS: ErrorOut},
    tags=TAGS,
    summary="修改本地区的规则",
    description="修改后规则停用，须重新校验后启用。他人已先修改时返回 409。",
)
def update_region_rule(request: HttpRequest, id: RuleId, payload: RegionRuleUpdateIn) -> dict[str, Any]:
    user = user_of(request)
    _rule_writable(user, id)
    values = payload.dict()
    version = values.pop("version")
    services.save_region_rule(
        actor=audit.Actor.of(user), region_prefix="", values=values, rule_id=id, version=version
    )
    return _one_rule(user, id)


@router.post(
    "/rules/region/{id}/check",
    response={200: CheckOut, WRITE_ERRORS: ErrorOut},
    tags=TAGS,
    summary="校验并试运行本地区的规则",
    description="检查语法、表和列、结果列和 Spark 转换，并在该县最新的快照上试运行（最多 1000 条、30 秒）；"
    "不修改任何数据。",
)
def check_region_rule(request: HttpRequest, id: RuleId) -> dict[str, Any]:
    _rule_writable(user_of(request), id)
    result = services.check_region_rule(user=user_of(request), rule_id=id)
    return {
        "ok": result.ok,
        "errors": result.errors,
        "rows": result.rows,
        "capped": result.capped,
        "sample": result.sample,
    }


@router.post(
    "/rules/region/{id}/switch",
    response={200: RuleOut, WRITE_ERRORS: ErrorOut},
    tags=TAGS,
    summary="启用或停用本地区的规则",
    description="启用前校验并试运行，不通过返回 422 和不符合之处，规则保持停用。",
)
def switch_region_rule(request: HttpRequest, id: RuleId, payload: SwitchIn) -> dict[str, Any]:
    user = user_of(request)
    _rule_writable(user, id)
    services.switch_region_rule(
        actor=audit.Actor.of(user), rule_id=id, enabled=payload.enabled, version=payload.version
    )
    return _one_rule(user, id)


@router.put(
    "/thresholds",
    response={200: ThresholdOut, WRITE_ERRORS: ErrorOut},
    tags=TAGS,
    auth=rule_owner_auth,
    summary="设置本地区的阈值",
    description="该地区的户按这里的阈值比对（最具体的地区优先）；空值沿用上级的值，全部为空则删除本地区的阈值。",
)
def set_threshold(request: HttpRequest, payload: ThresholdIn) -> dict[str, Any]:
    code, region = payload.code, payload.region_prefix
    found = services.set_region_threshold(
        actor=audit.Actor.of(user_of(request)),
        code=code,
        region_prefix=region,
        parameters=dict(payload.parameters),
        version=payload.version,
    )
    if found is None:
        return {"code": code, "region_prefix": region, "parameters": {}, "version": 0}
    return {
        "code": found.code,
        "region_prefix": found.region_prefix,
        "parameters": found.parameters,
        "version": found.version,
    }
