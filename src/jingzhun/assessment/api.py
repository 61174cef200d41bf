"""Assessment API: surveys (list, read with estimates and the county exit check) and entering a visit's
result from a phone or a tablet app.

Thin: surveys and sampled households come through ``access`` (missing and not-yours give the same 404; a
survey the user sees but may not change gives 403 on a write); writes go through ``services``. Drawing a
sample and printing lists are on the web pages and the ``jingzhun survey`` command.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.db.models import Count, Q
from django.http import HttpRequest
from ninja import Field, Path, Router, Schema
from ninja.pagination import paginate
from pydantic import ConfigDict

from jingzhun.assessment import access, selectors, services
from jingzhun.assessment.choices import Outcome
from jingzhun.assessment.models import Interview, Survey
from jingzhun.core import audit
from jingzhun.core.api import READ_ERRORS, WRITE_ERRORS, ErrorOut, user_of
from jingzhun.registry.api import Pagination
from jingzhun.registry.schemas import MAX_ID, RegionRef

router = Router()
TAGS = ["评估抽样调查"]
SurveyId = Annotated[int, Path(ge=1, le=MAX_ID, description="评估调查 ID")]
SampledId = Annotated[int, Path(ge=1, le=MAX_ID, description="抽中户 ID")]
OUTCOMES = "，".join(f"{v} {label}" for v, label in Outcome.choices)


class SurveyOut(Schema):
    id: int
    name: str = Field(description="调查名称")
    county: RegionRef = Field(description="县")
    year: int = Field(description="评估年度")
    seed: int = Field(description="随机种子（同一登记数据、设计和种子抽出的样本相同）")
    state: dict[str, str] = Field(description="状态（code 代码，label 中文名称）")
    design: dict[str, Any] = Field(description="抽样设计：各层村数、每村户数、各组比例、分层方式")
    households: int = Field(description="抽中户数（含调查时补充的户）")
    completed: int = Field(description="完成访问的户数")
    created_at: dt.datetime


class EstimateOut(Schema):
    code: str = Field(
        description="wrong_exit_rate 错退率，missed_rate 漏评率，approval 群众认可度，"
        "comprehensive_incidence 综合贫困发生率"
    )
    name: str
    formula: str
    value: float | None = Field(description="估计值（0–1）；还没有结果时为 null")
    low: float | None = Field(description="95% 置信区间下限")
    high: float | None = Field(description="95% 置信区间上限")
    numerator: float
    denominator: float
    n: float = Field(description="分母中的样本单位数（人或户）")
    clusters: int = Field(description="有结果的抽中村数")
    deff: float = Field(description="村级整群的设计效应（不小于 1）")
    n_eff: float = Field(description="有效样本量 = n ÷ deff")
    notes: list[str]


class SurveyDetailOut(SurveyOut):
    frame: dict[str, Any] = Field(description="抽样时的抽样框：各层村数、各组户数、人口")
    estimates: list[EstimateOut]
    exit_check: dict[str, Any] = Field(description="用本调查的错退率、漏评率和认可度评估的贫困县退出条件")


class InterviewIn(Schema):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["completed", "not_at_home", "refused"] = Field(
        "completed", description=f"访问结果：{OUTCOMES}"
    )
    visited_on: dt.date = Field(description="访问日期")
    interviewers: str = Field(max_length=100, description="调查员（两人一组）")
    approves: bool | None = Field(None, description="是否认可（完成访问时必填）")
    wrongly_exited: bool | None = Field(None, description="是否错退（脱贫户完成访问时必填）")
    wrong_exit_reason: str = Field("", max_length=200, description="错退原因（错退时必填）")
    missed: bool | None = Field(None, description="是否漏评（非建档立卡户完成访问时必填）")
    missed_people: int | None = Field(None, ge=1, le=50, description="漏评人数（漏评时必填，不超过家庭人口）")
    notes: str = Field("", max_length=2000)
    version: int = Field(0, ge=0, le=2**31 - 1, description="所改结果的版本号；第一次录入为 0")


class InterviewOut(Schema):
    id: int
    sampled: int = Field(description="抽中户 ID")
    outcome: str
    visited_on: dt.date
    interviewers: str
    approves: bool | None
    wrongly_exited: bool | None
    wrong_exit_reason: str
    missed: bool | None
    missed_people: int | None
    notes: str
    version: int


def _survey_out(s: Any) -> dict[str, Any]:
    return {
        "id": s.pk,
        "name": s.name,
        "county": {"code": s.county.code, "name": s.county.name},
        "year": s.year,
        "seed": s.seed,
        "state": {"code": s.state, "label": s.get_state_display()},
        "design": s.design,
        "households": s.drawn,
        "completed": s.done,
        "created_at": s.created_at,
    }


def _counted(qs: Any) -> Any:
    return qs.select_related("county").annotate(
        drawn=Count("households", distinct=True),
        done=Count(
            "households__interview", distinct=True, filter=Q(households__interview__outcome=Outcome.COMPLETED)
        ),
    )


@router.get(
    "/surveys",
    response=list[SurveyOut],
    tags=TAGS,
    summary="查询评估调查",
    description="本人辖区内各县的评估抽样调查，最新的在前（县级管理员、领导、审计可见）。",
)
@paginate(Pagination)
def list_surveys(request: HttpRequest) -> Any:
    return [_survey_out(s) for s in _counted(access.surveys_for(user_of(request)))]


@router.get(
    "/surveys/{id}",
    response={200: SurveyDetailOut, READ_ERRORS: ErrorOut},
    tags=TAGS,
    summary="评估调查详情与结果",
    description="抽样设计、抽样框、错退率、漏评率、群众认可度和综合贫困发生率（含 95% 置信区间），"
    "以及据此评估的贫困县退出条件。",
)
def get_survey(request: HttpRequest, id: SurveyId) -> dict[str, Any]:
    user = user_of(request)
    survey: Survey = _counted(access.surveys_for(user)).filter(pk=access.access_survey(user, id).pk).get()
    figures = selectors.survey_estimates(survey)
    return {
        **_survey_out(survey),
        "frame": survey.frame,
        "estimates": [e.as_json() for e in figures.all],
        "exit_check": selectors.exit_evaluation(survey, figures).as_json(),
    }


def _interview_out(i: Interview) -> dict[str, Any]:
    return {
        "id": i.pk,
        "sampled": i.sampled_id,
        "outcome": i.outcome,
        "visited_on": i.visited_on,
        "interviewers": i.interviewers,
        "approves": i.approves,
        "wrongly_exited": i.wrongly_exited,
        "wrong_exit_reason": i.wrong_exit_reason,
        "missed": i.missed,
        "missed_people": i.missed_people,
        "notes": i.notes,
        "version": i.version,
    }


@router.post(
    "/households/{id}/interview",
    response={200: InterviewOut, WRITE_ERRORS: ErrorOut},
    tags=TAGS,
    summary="录入入户调查结果",
    description="录入或更正一户的调查结果。完成访问时必答是否认可；脱贫户还要答是否错退，非建档立卡户"
    "还要答是否漏评和漏评人数。更正时带上次返回的 version；他人已修改时返回 409。",
)
def record_interview(request: HttpRequest, id: SampledId, payload: InterviewIn) -> dict[str, Any]:
    user = user_of(request)
    sampled = access.access_sampled(user, id)
    access.require_change(user, sampled.survey)
    data = payload.model_dump()
    version = data.pop("version")
    saved = services.record_interview(
        actor=audit.Actor.of(user), sampled=sampled, data=data, expected_version=version
    )
    return _interview_out(saved)
