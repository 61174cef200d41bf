"""Regions API: the divisions of the user's jurisdiction, with counts of the households they may see.

A region outside the user's jurisdiction is answered exactly like a code that does not exist.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema

from jingzhun.core.api import READ_ERRORS, ErrorOut, user_of
from jingzhun.regions.access import access_region
from jingzhun.regions.choices import Level
from jingzhun.regions.models import Region
from jingzhun.registry import selectors
from jingzhun.registry.schemas import CodeOut, RegionRef

router = Router(tags=["区划"])

CODE_NOTE = "12 位统计用区划代码，也可只写有效前缀（如 620502 表示秦州区）"


# --------------------------------------------------------------------------------------------------
# Schemas
# --------------------------------------------------------------------------------------------------


class RegionCountOut(Schema):
    """A child region with counts of the households the user may see in it."""

    code: str = Field(description="12 位统计用区划代码")
    name: str = Field(description="名称")
    level: CodeOut = Field(description="层级：1 省，2 市，3 县，4 乡镇，5 村")
    households: int = Field(description="户数")
    members: int = Field(description="在册人数")
    registered: int = Field(description="建档立卡户数（有脱贫状态）")
    monitored: int = Field(description="监测对象户数")


class RegionOut(Schema):
    code: str = Field(description="12 位统计用区划代码")
    prefix: str = Field(description="区划前缀（本级有效位数）")
    gb_code: str = Field(description="GB/T 2260 六位代码")
    name: str = Field(description="名称")
    full_name: str = Field(description="全称（含上级）")
    level: CodeOut = Field(description="层级：1 省，2 市，3 县，4 乡镇，5 村")
    parent: RegionRef | None = Field(description="上级区划")
    urban_rural_class: CodeOut | None = Field(description="城乡分类代码")
    rural_population: int | None = Field(description="农村户籍人口")
    natural_villages: list[str] = Field(description="自然村/村民小组")


class RegionChildrenOut(Schema):
    parent: RegionOut | None = Field(description="上级区划；系统管理员未指定上级时为 null（列出各省）")
    children: list[RegionCountOut] = Field(description="下级区划及户数、人数")


def _level(value: int) -> dict[str, str]:
    return {"code": str(value), "label": str(Level(value).label)}


def region_out(region: Region) -> dict[str, object]:
    parent = region.parent
    urban = region.urban_rural_class
    return {
        "code": region.code,
        "prefix": region.prefix,
        "gb_code": region.gb_code,
        "name": region.name,
        "full_name": region.full_name(),
        "level": _level(region.level),
        "parent": {"code": parent.code, "name": parent.name} if parent else None,
        "urban_rural_class": {"code": urban, "label": region.get_urban_rural_class_display()}
        if urban
        else None,
        "rural_population": region.rural_population,
        "natural_villages": [line.strip() for line in region.natural_villages.splitlines() if line.strip()],
    }


# --------------------------------------------------------------------------------------------------
# Operations
# --------------------------------------------------------------------------------------------------


@router.get(
    "/",
    response={200: RegionChildrenOut, READ_ERRORS: ErrorOut},
    summary="下级区划及户数",
    description="列出 parent 的下级区划及各自的户数、在册人数、建档立卡户数和监测对象户数（只计当前用户能看到的农户）。"
    "不给 parent 时为本人辖区的下级。辖区以外的区划与不存在的代码一样返回 404。",
)
def list_regions(
    request: HttpRequest,
    parent: str = Query("", max_length=12, description="上级区划代码；" + CODE_NOTE + "；不填为本人辖区"),
) -> dict[str, object]:
    user = user_of(request)
    if parent:
        base: Region | None = access_region(user, parent)
    else:
        base = getattr(user, "region", None)
    counts = selectors.region_children_counts(user, base)
    return {
        "parent": region_out(base) if base else None,
        "children": [
            {
                "code": c.region.code,
                "name": c.region.name,
                "level": _level(c.region.level),
                "households": c.households,
                "members": c.members,
                "registered": c.registered,
                "monitored": c.monitored,
            }
            for c in counts
        ],
    }


@router.get(
    "/{code}",
    response={200: RegionOut, frozenset({401, 404}): ErrorOut},
    summary="区划详情",
    description="一个区划的代码、名称、全称、层级和上级。只能查看本人辖区内的区划；辖区以外与不存在的代码一样返回 404。",
)
def get_region(request: HttpRequest, code: str = Path(..., description=CODE_NOTE)) -> dict[str, object]:
    return region_out(access_region(user_of(request), code))
