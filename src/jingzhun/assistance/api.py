"""Assistance API: a household's helper pairings (帮扶结对) and measures (帮扶措施), read and written one at a
time. A thin layer like the registry's: reads through ``selectors`` (restricted by ``registry.access``),
writes through ``services`` (the import's cell checks, the household's version as the lock, audited)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema, Status

from jingzhun.assistance import selectors, services
from jingzhun.assistance.choices import MeasureFamily, UnitLevel
from jingzhun.assistance.models import FIRST_YEAR, LAST_YEAR, Measure, Pairing
from jingzhun.core import audit
from jingzhun.core.api import READ_ERRORS, WRITE_ERRORS, ErrorOut, user_of
from jingzhun.registry import access
from jingzhun.registry.schemas import MAX_ID

router = Router()

TAGS = ["帮扶"]
HouseholdId = Annotated[int, Path(ge=1, le=MAX_ID, description="农户 ID")]
PairingId = Annotated[int, Path(ge=1, le=MAX_ID, description="帮扶结对 ID")]
MeasureId = Annotated[int, Path(ge=1, le=MAX_ID, description="帮扶措施 ID")]
UNIT_LEVELS = "，".join(f"{v} {label}" for v, label in UnitLevel.choices)
FAMILIES = "，".join(f"{v} {label}" for v, label in MeasureFamily.choices)


class PairingOut(Schema):
    id: int
    helper_name: str = Field(description="帮扶责任人姓名")
    helper_unit: str = Field(description="帮扶单位")
    unit_level: str = Field(description=f"单位隶属关系：{UNIT_LEVELS}")
    helper_phone: str = Field(description="帮扶责任人联系电话")
    started_on: dt.date = Field(description="帮扶开始日期")
    ended_on: dt.date | None = Field(description="帮扶结束日期（空：仍在帮扶）")
    in_force: bool = Field(description="今天是否在帮")


class MeasureOut(Schema):
    id: int
    year: int = Field(description="年度")
    family: str = Field(description=f"措施类别：{FAMILIES}")
    implemented: bool = Field(description="是否已实施")
    note: str = Field(description="备注")


class AssistanceOut(Schema):
    household_id: int = Field(description="农户 ID")
    version: int = Field(description="农户的版本号：新增或修改结对、措施时带回")
    pairings: list[PairingOut] = Field(description="帮扶结对，在帮的在前")
    measures: list[MeasureOut] = Field(description="帮扶措施，新年度在前")


class PairingIn(Schema):
    version: int = Field(ge=1, description="读取时得到的农户 version")
    helper_name: str = Field(max_length=40, description="帮扶责任人姓名")
    helper_unit: str = Field(max_length=100, description="帮扶单位")
    unit_level: str = Field(max_length=1, description=f"单位隶属关系：{UNIT_LEVELS}")
    helper_phone: str = Field("", max_length=20, description="联系电话（数字和“-”）")
    started_on: dt.date = Field(description="帮扶开始日期")
    ended_on: dt.date | None = Field(None, description="帮扶结束日期；仍在帮扶留空")


class MeasureIn(Schema):
    version: int = Field(ge=1, description="读取时得到的农户 version")
    year: int = Field(ge=FIRST_YEAR, le=LAST_YEAR, description="年度")
    family: str = Field(max_length=2, description=f"措施类别：{FAMILIES}")
    implemented: bool = Field(False, description="是否已实施")
    note: str = Field("", max_length=services.MAX_NOTE, description="备注")


def _assistance(user: Any, household_id: int) -> dict[str, Any]:
    household = access.access_household(user, household_id, "view")
    found = selectors.household_assistance(user, household.pk)
    pairings = [{**_pairing_values(p), "in_force": in_force} for p, in_force in found.pairings]
    measures = [_measure_values(m) for _year, rows in found.years for m in rows]
    return {
        "household_id": household.pk,
        "version": household.version,
        "pairings": pairings,
        "measures": measures,
    }


def _pairing_values(p: Pairing) -> dict[str, Any]:
    return {"id": p.pk, **{k: getattr(p, k) for k in services.PAIRING_FIELDS}}


def _measure_values(m: Measure) -> dict[str, Any]:
    return {"id": m.pk, **{k: getattr(m, k) for k in services.MEASURE_FIELDS}}


@router.get(
    "/households/{id}",
    response={200: AssistanceOut, READ_ERRORS: ErrorOut},
    tags=TAGS,
    summary="农户的帮扶情况",
    description="一户的帮扶结对（在帮的在前）和各年度帮扶措施（新年度在前），以及修改时要带回的农户 version。",
)
def household_assistance(request: HttpRequest, id: HouseholdId) -> dict[str, Any]:
    return _assistance(user_of(request), id)


@router.post(
    "/households/{id}/pairings",
    response={201: AssistanceOut, WRITE_ERRORS: ErrorOut},
    tags=TAGS,
    summary="新增帮扶结对",
    description="为本户新增一位帮扶责任人。同一帮扶责任人同一开始日期只能有一条。需带上农户的 version；"
    "他人已先保存时返回 409。返回本户最新的帮扶情况。",
)
def add_pairing(request: HttpRequest, payload: PairingIn, id: HouseholdId) -> Status:
    user = user_of(request)
    services.save_pairing(
        actor=audit.Actor.of(user),
        user=user,
        household_id=id,
        expected_version=payload.version,
        data=payload.model_dump(exclude={"version"}),
    )
    return Status(201, _assistance(user, id))


@router.put(
    "/pairings/{id}",
    response={200: AssistanceOut, WRITE_ERRORS: ErrorOut},
    tags=TAGS,
    summary="修改帮扶结对",
    description="整条替换一条帮扶结对；结束结对即填写帮扶结束日期。需带上农户的 version。返回本户最新的帮扶情况。",
)
def update_pairing(request: HttpRequest, payload: PairingIn, id: PairingId) -> dict[str, Any]:
    user = user_of(request)
    household_id = selectors.record_of(Pairing, user, id).household_id
    services.save_pairing(
        actor=audit.Actor.of(user),
        user=user,
        household_id=household_id,
        expected_version=payload.version,
        data=payload.model_dump(exclude={"version"}),
        pairing_id=id,
    )
    return _assistance(user, household_id)


@router.post(
    "/households/{id}/measures",
    response={201: AssistanceOut, WRITE_ERRORS: ErrorOut},
    tags=TAGS,
    summary="新增帮扶措施",
    description="为本户新增某一年度的一类帮扶措施（同一年度同一类只能有一条）。需带上农户的 version。"
    "返回本户最新的帮扶情况。",
)
def add_measure(request: HttpRequest, payload: MeasureIn, id: HouseholdId) -> Status:
    user = user_of(request)
    services.save_measure(
        actor=audit.Actor.of(user),
        user=user,
        household_id=id,
        expected_version=payload.version,
        data=payload.model_dump(exclude={"version"}),
    )
    return Status(201, _assistance(user, id))


@router.put(
    "/measures/{id}",
    response={200: AssistanceOut, WRITE_ERRORS: ErrorOut},
    tags=TAGS,
    summary="修改帮扶措施",
    description="整条替换一条帮扶措施，例如入户核实后标记为已实施。需带上农户的 version。返回本户最新的帮扶情况。",
)
def update_measure(request: HttpRequest, payload: MeasureIn, id: MeasureId) -> dict[str, Any]:
    user = user_of(request)
    household_id = selectors.record_of(Measure, user, id).household_id
    services.save_measure(
        actor=audit.Actor.of(user),
        user=user,
        household_id=household_id,
        expected_version=payload.version,
        data=payload.model_dump(exclude={"version"}),
        measure_id=id,
    )
    return _assistance(user, household_id)
