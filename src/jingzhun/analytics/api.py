"""Indicators API: the catalogue, a region's values, its children for comparison, the households behind a
number, and the exit checks.

Thin like the web pages: every region goes through ``access.access_figures`` (outside the jurisdiction,
or a role that sees no figures: the same 404 as a region that does not exist); values come from the
pre-aggregated table through ``selectors``, the households behind a number through the indicator's own
definition and the registry's access.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema
from ninja.pagination import paginate

from jingzhun.analytics import access, drilldown, indicators, selectors
from jingzhun.analytics.refresh import DB_INDICATORS
from jingzhun.core.api import READ_ERRORS, ErrorOut, user_of
from jingzhun.core.errors import ValidationFailed
from jingzhun.policy.api import EvaluationOut
from jingzhun.policy.criteria import evaluate_county_exit, evaluate_village_exit
from jingzhun.regions.choices import Level
from jingzhun.registry.api import Pagination
from jingzhun.registry.schemas import HouseholdListItem, RegionRef

router = Router()
TAGS = ["统计指标"]
REGION_NOTE = "区划代码（12 位或 2/4/6/9 位前缀），须在本人辖区内"
YEAR_NOTE = "年度（默认：有指标的最近年度）"
RegionCode = Annotated[str, Path(min_length=2, max_length=12, description=REGION_NOTE)]
Year = Annotated[int | None, Query(ge=1978, le=2100, description=YEAR_NOTE)]
CODES = "，".join(f"{i.code} {i.name}" for i in indicators.INDICATORS)


def _year(user: Any, region_code: str, year: int | None) -> int:
    if year is not None:
        return year
    years = selectors.years(user, region_code)
    return years[-1] if years else timezone.localdate().year


def _indicator(code: str) -> indicators.Indicator:
    try:
        return indicators.BY_CODE[code]
    except KeyError:
        raise ValidationFailed(f"没有这个指标：{code}", {"indicator": ["未知的指标代码"]}) from None


# --------------------------------------------------------------------------------------------------
# Schemas


class IndicatorOut(Schema):
    code: str = Field(description="指标代码")
    name: str = Field(description="中文名称")
    unit: str = Field(description="单位（户、人、%、条、件）")
    definition: str = Field(description="口径（docs/indicators.md）")
    breakdown: str = Field(description="分组维度的中文名称；不分组时为空")
    dims: dict[str, str] = Field(description="分组代码 → 中文名称（按年度分组时为空：分组代码就是年份）")
    rate: bool = Field(description="是否为比率（数值为百分数，另给分子、分母）")
    drill_down: bool = Field(description="能否列出数字背后的农户")


class ValueOut(Schema):
    code: str = Field(description="指标代码")
    name: str = Field(description="指标名称")
    dim: str = Field(description="分组代码（不分组时为空）")
    dim_label: str = Field(description="分组的中文名称")
    value: Decimal = Field(description="数值（比率为百分数，如 2.35 表示 2.35%）")
    numerator: int | None = Field(description="分子（比率：剩余贫困人口；计数：等于数值）")
    denominator: int | None = Field(description="分母（比率：农村户籍人口；计数为 null）")
    unit: str


class RegionValuesOut(Schema):
    region: RegionRef
    level: int = Field(description="层级：1 省，2 市，3 县，4 乡镇，5 村")
    year: int
    refreshed_at: dt.datetime | None = Field(description="指标计算时间；该年度尚未计算时为 null")
    values: list[ValueOut]


class ChildOut(Schema):
    region: RegionRef
    value: Decimal = Field(description="该下级区划的数值（不指定分组时为各分组之和，比率为其本身）")


class ChildrenOut(Schema):
    region: RegionRef
    indicator: str
    dim: str | None
    year: int
    children: list[ChildOut]


class ExitOut(Schema):
    region: RegionRef
    year: int
    kind: str = Field(
        description="county 贫困县退出（综合贫困发生率和第三方评估的三项比率），village 贫困村退出"
    )
    evaluations: list[EvaluationOut] = Field(
        description="县：一项；乡镇：每个村一项；村：一项。第三方评估的比率尚无结果时，该项 value 为“未提供”、passed 为 false"
    )


# --------------------------------------------------------------------------------------------------
# Operations


def _labels(code: str) -> tuple[str, str]:
    """(name, unit) of a catalogue or database indicator."""
    if code in indicators.BY_CODE:
        return indicators.BY_CODE[code].name, indicators.BY_CODE[code].unit
    return DB_INDICATORS.get(code, (code, ""))


@router.get(
    "/indicators",
    response=list[IndicatorOut],
    tags=TAGS,
    summary="指标目录",
    description="每个指标的代码、中文名称、单位、口径和分组；与 docs/indicators.md 一致。",
)
def list_indicators(request: HttpRequest) -> list[dict[str, Any]]:
    rows = [
        {
            "code": i.code,
            "name": i.name,
            "unit": i.unit,
            "definition": i.definition,
            "breakdown": i.dim_name,
            "dims": i.dims,
            "rate": i.rate,
            "drill_down": i.households is not None,
        }
        for i in indicators.INDICATORS
    ]
    rows += [
        {
            "code": code,
            "name": name,
            "unit": unit,
            "definition": "按数据库中的疑点和监测案件逐村计数（见 docs/indicators.md）",
            "breakdown": "规则" if code.startswith("doubts_") else "办结情况",
            "dims": {},
            "rate": False,
            "drill_down": False,
        }
        for code, (name, unit) in DB_INDICATORS.items()
    ]
    return rows


@router.get(
    "/regions/{code}/values",
    response={200: RegionValuesOut, READ_ERRORS: ErrorOut},
    tags=TAGS,
    summary="区划的全部指标值",
    description="一个区划一个年度的全部指标值（按指标和分组），读自预先汇总的指标表；区划须在本人辖区内。",
)
def region_values(request: HttpRequest, code: RegionCode, year: Year = None) -> dict[str, Any]:
    user = user_of(request)
    region = access.access_figures(user, code)
    year = _year(user, region.code, year)
    _region, values = selectors.region_values(user, region.code, year)
    out = []
    for (ind_code, dim), row in sorted(values.items()):
        name, unit = _labels(ind_code)
        label = indicators.BY_CODE[ind_code].label(dim) if ind_code in indicators.BY_CODE else dim
        out.append(
            {
                "code": ind_code,
                "name": name,
                "dim": dim,
                "dim_label": label if dim else "",
                "value": row.value,
                "numerator": row.numerator,
                "denominator": row.denominator,
                "unit": unit,
            }
        )
    return {
        "region": {"code": region.code, "name": region.name},
        "level": region.level,
        "year": year,
        "refreshed_at": selectors.refreshed_at(region, year),
        "values": out,
    }


@router.get(
    "/regions/{code}/children",
    response={200: ChildrenOut, READ_ERRORS: ErrorOut},
    tags=TAGS,
    summary="下级区划的指标值",
    description="一个指标在各下级区划（县的乡镇、乡镇的村……）的数值，供对比和逐级下钻；村没有下级，返回空列表。",
)
def region_children(
    request: HttpRequest,
    code: RegionCode,
    indicator: str = Query(..., max_length=40, description="指标代码：" + CODES),
    dim: str | None = Query(None, max_length=20, description="分组代码（不填：各分组之和）"),
    year: Year = None,
) -> dict[str, Any]:
    user = user_of(request)
    region = access.access_figures(user, code)
    _indicator(indicator)
    year = _year(user, region.code, year)
    kids = selectors.children(user, region.code, year, indicator, dim) if region.level < Level.VILLAGE else []
    return {
        "region": {"code": region.code, "name": region.name},
        "indicator": indicator,
        "dim": dim,
        "year": year,
        "children": [{"region": {"code": k.code, "name": k.name}, "value": v} for k, v in kids],
    }


@router.get(
    "/regions/{code}/households",
    response={200: list[HouseholdListItem], READ_ERRORS: ErrorOut},
    tags=TAGS,
    summary="数字背后的农户",
    description="按指标口径列出一个数字背后的农户（登记系统当前数据），分页返回；不指定分组时为各分组的农户。"
    "人数类指标列出所计人员所在的户。只列本人能看到的农户。",
)
@paginate(Pagination)
def region_households(  # @paginate reads the signature in its own module: no type aliases here
    request: HttpRequest,
    code: str = Path(..., min_length=2, max_length=12, description=REGION_NOTE),
    indicator: str = Query(..., max_length=40, description="指标代码：" + CODES),
    dim: str = Query(
        "", max_length=20, description="分组代码（如脱贫状态 1、脱贫年度 2019）；不填：全部分组"
    ),
    year: int | None = Query(None, ge=1978, le=2100, description=YEAR_NOTE),
) -> Any:
    user = user_of(request)
    region = access.access_figures(user, code)
    ind = _indicator(indicator)
    if dim and not drilldown.valid_dim(ind, dim):
        raise ValidationFailed(f"指标 {indicator} 没有分组 {dim}", {"dim": ["未知的分组"]})
    year = _year(user, region.code, year)
    _region, values = selectors.region_values(user, region.code, year, codes=[indicator])
    return drilldown.households(user, ind, region, dim, values).select_related("village")


@router.get(
    "/regions/{code}/exit",
    response={200: ExitOut, READ_ERRORS: ErrorOut},
    tags=TAGS,
    summary="退出检查",
    description="县：贫困县退出的逐项检查（综合贫困发生率，及第三方评估的错退率、漏评率、群众认可度）；"
    "乡镇：各村的贫困村退出检查；村：本村的检查。每项给出规则、标准及依据、实际情况、是否满足。",
)
def exit_check(request: HttpRequest, code: RegionCode, year: Year = None) -> dict[str, Any]:
    user = user_of(request)
    region = access.access_figures(user, code)
    year = year or timezone.localdate().year
    if region.level == Level.COUNTY:
        evaluations, kind = [evaluate_county_exit(region, year=year)], "county"
    elif region.level == Level.TOWNSHIP:
        evaluations = [evaluate_village_exit(v, year=year) for v in region.children.order_by("code")]
        kind = "village"
    elif region.level == Level.VILLAGE:
        evaluations, kind = [evaluate_village_exit(region, year=year)], "village"
    else:
        raise ValidationFailed("退出检查的区划应为县、乡镇或村", {"code": ["应为县、乡镇或村"]})
    return {
        "region": {"code": region.code, "name": region.name},
        "year": year,
        "kind": kind,
        "evaluations": [{**e.as_json(), "summary": e.summary_zh()} for e in evaluations],
    }
