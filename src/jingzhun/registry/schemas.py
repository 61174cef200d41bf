"""Request and response shapes of the registry API (Django Ninja schemas).

Descriptions come from the models' Chinese verbose names (with the national field code where one is
known), so the OpenAPI document reads like the national forms. Coded fields are returned as
``{"code", "label"}``; on input they take the code. Write bodies forbid unknown fields, so a typo or a
read-only field (户编号, 性别 …) is refused with 422 instead of being silently ignored.

``to_out`` builds the output dicts from either a model instance or an audit snapshot (the as-of view),
masking ID numbers, phones and bank accounts for users who may not edit the household.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from ninja import Schema
from pydantic import ConfigDict, Field, field_validator

from jingzhun.registry import columns
from jingzhun.registry.choices import ExpenseKind, LeaveReason, RecordSource
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

MAX_ID = 2**63 - 1  # larger ids overflow the database's integer and would be a 500, not a 404


# --------------------------------------------------------------------------------------------------
# Helpers: descriptions from the models, codes with labels, masking
# --------------------------------------------------------------------------------------------------


def describe(model: type[models.Model], name: str, extra: str = "") -> str:
    field = model._meta.get_field(name)
    text = str(getattr(field, "verbose_name", name))
    comment = getattr(field, "db_comment", None)
    if comment:
        text += f"（国家字段 {comment}）"
    choices = getattr(field, "choices", None) or (
        columns.BY_KEY[name].codes.choices if name in LIST_CODES else None  # type: ignore[union-attr]  # a list column
    )
    if choices:
        text += "。代码：" + "，".join(f"{code}={label}" for code, label in choices)
    return text + (f"。{extra}" if extra else "")


def fd(model: type[models.Model], name: str, default: Any = ..., extra: str = "", **kw: Any) -> Any:
    """A pydantic Field described from the model field (``fd`` = field with description)."""
    return Field(default, description=describe(model, name, extra), **kw)


GUARANTEE_NOTE = "两不愁；null 为未填写（脱贫退出时须核实）；不在全国导入导出表中"
WATER_NOTE = "《农村饮水安全评价准则》四项指标之一，true 为达标；null 为未填写；不在全国导入导出表中"

# Multi-valued coded fields (JSON lists) and the code list each draws from (columns.py).
LIST_CODES = ("other_causes", "risk_types", "health")


def mask_id(value: str) -> str:
    """Keep the area code and the last four characters: 620502********1234."""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_account(value: str) -> str:
    if len(value) <= 4:
        return "*" * len(value)
    return "*" * (len(value) - 4) + value[-4:]


MASKERS: dict[str, Callable[[str], str]] = {
    "id_number": mask_id,
    "disability_cert_number": mask_id,
    "phone": mask_phone,
    "bank_account": mask_account,
}
MASK_NOTE = "仅对有权修改该户的用户完整显示，其他用户看到脱敏后的值"


def mask(name: str, value: Any) -> Any:
    masker = MASKERS.get(name)
    if masker is None or not value or not isinstance(value, str):
        return value
    return masker(value)


def code_of(model: type[models.Model], name: str, value: Any) -> dict[str, str] | None:
    """``{"code", "label"}`` for a stored code; None for blank. An unknown code keeps its value."""
    if value in (None, ""):
        return None
    if name in LIST_CODES:
        choices = columns.BY_KEY[name].codes
        labels = dict(choices.choices) if choices else {}
    else:
        labels = dict(model._meta.get_field(name).flatchoices)  # type: ignore[union-attr]  # a concrete field
    return {"code": str(value), "label": str(labels.get(value, labels.get(str(value), f"未知代码 {value}")))}


def to_out(model: type[models.Model], values: Mapping[str, Any], *, full: bool) -> dict[str, Any]:
    """Output values of ``model`` from raw field values (instance or audit snapshot)."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:  # snapshot keys of fields since removed pass through untouched
            out[name] = value
            continue
        if name in LIST_CODES:
            out[name] = [code_of(model, name, v) for v in (value or [])]
        elif getattr(field, "choices", None):
            out[name] = code_of(model, name, value)
        elif isinstance(field, models.DecimalField) and value not in (None, ""):
            out[name] = Decimal(str(value)).quantize(Decimal(1).scaleb(-field.decimal_places))
        else:
            out[name] = value if full else mask(name, value)
    return out


def field_values(obj: models.Model) -> dict[str, Any]:
    """Every stored field of ``obj`` by name (foreign keys as their id)."""
    return {f.name: f.value_from_object(obj) for f in obj._meta.concrete_fields}


# --------------------------------------------------------------------------------------------------
# Shared shapes
# --------------------------------------------------------------------------------------------------


class CodeOut(Schema):
    """A coded value: the national code and its Chinese label."""

    code: str = Field(description="代码")
    label: str = Field(description="中文名称")


class RegionRef(Schema):
    code: str = Field(description="12 位统计用区划代码")
    name: str = Field(description="名称")


# --------------------------------------------------------------------------------------------------
# Households
# --------------------------------------------------------------------------------------------------


class HouseholdListItem(Schema):
    """One row of a household search."""

    id: int = Field(description="农户 ID")
    household_number: str = fd(Household, "household_number")
    head_name: str = fd(Household, "head_name")
    village: RegionRef = fd(Household, "village")
    natural_village: str = fd(Household, "natural_village")
    kind: str = Field(description="户类型：脱贫户 / 贫困户 / 监测户 / 一般农户")
    attribute: CodeOut | None = fd(Household, "attribute")
    poverty_status: CodeOut | None = fd(Household, "poverty_status")
    monitoring_type: CodeOut | None = fd(Household, "monitoring_type")
    version: int = Field(description="版本号（修改时原样带回，用于防止覆盖他人的修改）")

    @staticmethod
    def resolve_attribute(obj: Household) -> dict[str, str] | None:
        return code_of(Household, "attribute", obj.attribute)

    @staticmethod
    def resolve_poverty_status(obj: Household) -> dict[str, str] | None:
        return code_of(Household, "poverty_status", obj.poverty_status)

    @staticmethod
    def resolve_monitoring_type(obj: Household) -> dict[str, str] | None:
        return code_of(Household, "monitoring_type", obj.monitoring_type)


class HouseholdState(Schema):
    """A household's own fields (also as rebuilt for a past date)."""

    id: int = Field(description="农户 ID")
    household_number: str = fd(Household, "household_number")
    village: RegionRef = fd(Household, "village")
    natural_village: str = fd(Household, "natural_village")
    head_name: str = fd(Household, "head_name")
    phone: str = fd(Household, "phone", extra=MASK_NOTE)
    bank_name: str = fd(Household, "bank_name")
    bank_account: str = fd(Household, "bank_account", extra=MASK_NOTE)
    identification_standard: CodeOut | None = fd(Household, "identification_standard")
    attribute: CodeOut | None = fd(Household, "attribute")
    poverty_status: CodeOut | None = fd(Household, "poverty_status")
    main_cause: CodeOut | None = fd(Household, "main_cause")
    other_causes: list[CodeOut | None] = fd(Household, "other_causes")
    first_identified_on: dt.date | None = fd(Household, "first_identified_on")
    exit_year: int | None = fd(Household, "exit_year")
    return_year: int | None = fd(Household, "return_year")
    relocated: bool = fd(Household, "relocated")
    military_family: bool = fd(Household, "military_family")
    monitoring_type: CodeOut | None = fd(Household, "monitoring_type")
    monitoring_identified_on: dt.date | None = fd(Household, "monitoring_identified_on")
    risk_types: list[CodeOut | None] = fd(Household, "risk_types")
    risk_elimination: CodeOut | None = fd(Household, "risk_elimination")
    risk_eliminated_on: dt.date | None = fd(Household, "risk_eliminated_on")


class MemberOut(Schema):
    """A member of a household (家庭成员)."""

    id: int = Field(description="成员 ID")
    household: int = Field(description="所属农户 ID")
    person_number: str = fd(Member, "person_number")
    name: str = fd(Member, "name")
    id_number: str = fd(Member, "id_number", extra=MASK_NOTE)
    id_kind: CodeOut | None = fd(Member, "id_kind")
    disability_cert_number: str = fd(Member, "disability_cert_number", extra=MASK_NOTE)
    sex: CodeOut | None = fd(Member, "sex")
    birth_date: dt.date = fd(Member, "birth_date")
    relation: CodeOut | None = fd(Member, "relation")
    ethnicity: CodeOut | None = fd(Member, "ethnicity")
    political_status: CodeOut | None = fd(Member, "political_status")
    education: CodeOut | None = fd(Member, "education")
    schooling: CodeOut | None = fd(Member, "schooling")
    health: list[CodeOut | None] = fd(Member, "health")
    disability_category: CodeOut | None = fd(Member, "disability_category")
    disability_grade: CodeOut | None = fd(Member, "disability_grade")
    labour_skill: CodeOut | None = fd(Member, "labour_skill")
    migrant_months: int = fd(Member, "migrant_months")
    migrant_place: str = fd(Member, "migrant_place")
    speaks_mandarin: bool | None = fd(Member, "speaks_mandarin")
    basic_medical_insurance: bool | None = fd(Member, "basic_medical_insurance")
    employee_medical_insurance: bool | None = fd(Member, "employee_medical_insurance")
    serious_illness_insurance: bool | None = fd(Member, "serious_illness_insurance")
    commercial_medical_insurance: bool | None = fd(Member, "commercial_medical_insurance")
    basic_pension_insurance: bool | None = fd(Member, "basic_pension_insurance")
    dibao: bool = fd(Member, "dibao")
    tekun: bool = fd(Member, "tekun")
    accident_insurance: bool | None = fd(Member, "accident_insurance")
    phone: str = fd(Member, "phone", extra=MASK_NOTE)
    joined_on: dt.date | None = fd(Member, "joined_on")
    left_on: dt.date | None = fd(Member, "left_on")
    leave_reason: CodeOut | None = fd(Member, "leave_reason")


class YearOut(Schema):
    """A data year's income, expenses and production and living conditions."""

    id: int = Field(description="记录 ID")
    year: int = fd(HouseholdYear, "year")
    household_size: int = fd(HouseholdYear, "household_size")
    wage_income: Decimal = fd(HouseholdYear, "wage_income", extra="元")
    business_income: Decimal = fd(HouseholdYear, "business_income", extra="元")
    business_expense: Decimal = fd(HouseholdYear, "business_expense", extra="元")
    dividend_income: Decimal = fd(HouseholdYear, "dividend_income", extra="元")
    other_property_income: Decimal = fd(HouseholdYear, "other_property_income", extra="元")
    family_planning_income: Decimal = fd(HouseholdYear, "family_planning_income", extra="元")
    dibao_income: Decimal = fd(HouseholdYear, "dibao_income", extra="元")
    tekun_income: Decimal = fd(HouseholdYear, "tekun_income", extra="元")
    pension_income: Decimal = fd(HouseholdYear, "pension_income", extra="元")
    eco_compensation_income: Decimal = fd(HouseholdYear, "eco_compensation_income", extra="元")
    other_transfer_income: Decimal = fd(HouseholdYear, "other_transfer_income", extra="元")
    property_income: Decimal = fd(HouseholdYear, "property_income", extra="元，由各项自动计算")
    transfer_income: Decimal = fd(HouseholdYear, "transfer_income", extra="元，由各项自动计算")
    net_income: Decimal = fd(HouseholdYear, "net_income", extra="元，由各项自动计算")
    per_capita_net_income: Decimal = fd(HouseholdYear, "per_capita_net_income", extra="元，由各项自动计算")
    cultivated_land: Decimal | None = fd(HouseholdYear, "cultivated_land")
    irrigated_land: Decimal | None = fd(HouseholdYear, "irrigated_land")
    forest_land: Decimal | None = fd(HouseholdYear, "forest_land")
    returned_farmland: Decimal | None = fd(HouseholdYear, "returned_farmland")
    orchard_land: Decimal | None = fd(HouseholdYear, "orchard_land")
    pasture_land: Decimal | None = fd(HouseholdYear, "pasture_land")
    water_surface: Decimal | None = fd(HouseholdYear, "water_surface")
    in_cooperative: bool | None = fd(HouseholdYear, "in_cooperative")
    leading_enterprise: bool | None = fd(HouseholdYear, "leading_enterprise")
    entrepreneur_led: bool | None = fd(HouseholdYear, "entrepreneur_led")
    production_power: bool | None = fd(HouseholdYear, "production_power")
    living_power: bool | None = fd(HouseholdYear, "living_power")
    broadcast_tv: bool | None = fd(HouseholdYear, "broadcast_tv")
    road_distance_km: Decimal | None = fd(HouseholdYear, "road_distance_km")
    road_type: CodeOut | None = fd(HouseholdYear, "road_type")
    housing_area: Decimal | None = fd(HouseholdYear, "housing_area")
    water_difficult: bool | None = fd(HouseholdYear, "water_difficult")
    water_safe: bool | None = fd(HouseholdYear, "water_safe")
    dangerous_house: bool | None = fd(HouseholdYear, "dangerous_house")
    housing_grade: CodeOut | None = fd(HouseholdYear, "housing_grade")
    renovation_year: int | None = fd(HouseholdYear, "renovation_year")
    food_secure: bool | None = fd(HouseholdYear, "food_secure", extra=GUARANTEE_NOTE)
    clothing_secure: bool | None = fd(HouseholdYear, "clothing_secure", extra=GUARANTEE_NOTE)
    water_quantity_ok: bool | None = fd(HouseholdYear, "water_quantity_ok", extra=WATER_NOTE)
    water_quality_ok: bool | None = fd(HouseholdYear, "water_quality_ok", extra=WATER_NOTE)
    water_convenience_ok: bool | None = fd(HouseholdYear, "water_convenience_ok", extra=WATER_NOTE)
    water_reliability_ok: bool | None = fd(HouseholdYear, "water_reliability_ok", extra=WATER_NOTE)
    sanitary_toilet: bool | None = fd(HouseholdYear, "sanitary_toilet")
    fuel_type: CodeOut | None = fd(HouseholdYear, "fuel_type")


class HouseholdDetail(HouseholdState):
    """A household with its members and data years, as it is now."""

    kind: str = Field(description="户类型：脱贫户 / 贫困户 / 监测户 / 一般农户")
    version: int = Field(
        description="版本号：修改本户或其成员、年度数据时原样带回；他人先保存后再提交会得到 409"
    )
    created_at: dt.datetime = Field(description="建档时间")
    updated_at: dt.datetime = Field(description="最后修改时间")
    can_edit: bool = Field(description="当前用户能否修改本户")
    members: list[MemberOut] = Field(description="在册成员")
    former_members: list[MemberOut] = Field(description="已减少的成员（死亡、婚出、分户等）")
    years: list[YearOut] = Field(description="各数据年度的收入与生产生活条件，新年度在前")


class HouseholdRef(Schema):
    id: int = Field(description="农户 ID")
    household_number: str = fd(Household, "household_number")
    head_name: str = fd(Household, "head_name")
    version: int = Field(description="农户版本号：修改成员时原样带回")


class MemberDetail(MemberOut):
    household_ref: HouseholdRef = Field(description="所属农户")
    can_edit: bool = Field(description="当前用户能否修改该成员")


class MemberYearOut(Schema):
    """A member's values of one data year."""

    year: int = fd(MemberYear, "year")
    current: bool = Field(description="是否为成员当前的数据年度（成员信息中显示的就是这一年度的值）")
    education: CodeOut | None = fd(Member, "education")
    schooling: CodeOut | None = fd(Member, "schooling")
    dropout_reason: str = fd(Member, "dropout_reason")
    health: list[CodeOut | None] = fd(Member, "health")
    labour_skill: CodeOut | None = fd(Member, "labour_skill")
    migrant_months: int = fd(Member, "migrant_months")
    migrant_place: str = fd(Member, "migrant_place")
    speaks_mandarin: bool | None = fd(Member, "speaks_mandarin")
    basic_medical_insurance: bool | None = fd(Member, "basic_medical_insurance")
    employee_medical_insurance: bool | None = fd(Member, "employee_medical_insurance")
    serious_illness_insurance: bool | None = fd(Member, "serious_illness_insurance")
    commercial_medical_insurance: bool | None = fd(Member, "commercial_medical_insurance")
    basic_pension_insurance: bool | None = fd(Member, "basic_pension_insurance")
    dibao: bool = fd(Member, "dibao")
    tekun: bool = fd(Member, "tekun")
    accident_insurance: bool | None = fd(Member, "accident_insurance")


class MemberYearsOut(Schema):
    member_id: int = Field(description="成员 ID")
    household_version: int = Field(description="所属农户的版本号：修改年度信息时原样带回")
    years: list[MemberYearOut] = Field(description="各数据年度的信息，新年度在前")


class MemberYearSaved(MemberYearOut):
    household_version: int = Field(description="保存后的农户版本号")


class YearSaved(YearOut):
    household_version: int = Field(description="保存后的农户版本号")


class FieldChange(Schema):
    field: str = Field(description="字段名")
    label: str = Field(description="字段中文名")
    before: Any = Field(None, description="修改前的值")
    after: Any = Field(None, description="修改后的值")


class HistoryEntry(Schema):
    """One audited write to the household, one of its members or data years."""

    id: int = Field(description="记录 ID")
    time: dt.datetime = Field(description="时间")
    user_name: str = Field(description="操作人")
    source: str = Field(description="来源：web 网页，api 接口，import 导入，cli 命令行，system 系统")
    action: CodeOut = Field(description="操作：create 新增，update 修改，delete 删除")
    object_type: str = Field(description="对象类型，如 registry.household")
    object_label: str = Field(description="对象类型中文名")
    object_id: str = Field(description="对象 ID")
    object_repr: str = Field(description="对象名称")
    batch: str = Field(description="导入批次（如由导入产生）")
    changes: list[FieldChange] = Field(description="改动的字段")


class HouseholdAsOf(Schema):
    at: dt.datetime = Field(description="时点（所给日期当天结束时）")
    household: HouseholdState | None = Field(description="当时记录的农户信息；该时点尚无记录时为 null")
    members: list[MemberOut] = Field(description="当时在册的成员")
    years: list[YearOut] = Field(description="当时已记录的年度数据")


# --------------------------------------------------------------------------------------------------
# Write bodies
# --------------------------------------------------------------------------------------------------

MONEY_IN: dict[str, Any] = {"ge": 0, "max_digits": 12, "decimal_places": 2}
AREA_IN: dict[str, Any] = {"ge": 0, "max_digits": 10, "decimal_places": 2}


def _check_codes(name: str, values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    col = columns.BY_KEY[name]
    allowed = set(col.codes.values) if col.codes else set()
    bad = [v for v in values if v not in allowed]
    if bad:
        raise ValueError(f"未知代码：{'、'.join(bad)}")
    if len(set(values)) != len(values):
        raise ValueError("代码不能重复")
    if col.max_items is not None and len(values) > col.max_items:
        raise ValueError(f"最多填写 {col.max_items} 项")
    return values


class WriteBody(Schema):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2**31 - 1, description="农户版本号（读取时得到的 version 原样带回）")


class HouseholdUpdate(WriteBody):
    """Fields to change on a household; leave out what stays the same. 户编号 and 行政村 are not changed here."""

    reason: str = Field("", max_length=200, description="修改原因（状态变化时记入状态变更）")
    natural_village: str = fd(Household, "natural_village", None, max_length=60)
    head_name: str = fd(Household, "head_name", None, min_length=1, max_length=50)
    phone: str = fd(Household, "phone", None, max_length=20)
    bank_name: str = fd(Household, "bank_name", None, max_length=60)
    bank_account: str = fd(Household, "bank_account", None, max_length=32)
    identification_standard: str = fd(Household, "identification_standard", None, extra="留空表示无")
    attribute: str = fd(Household, "attribute", None)
    poverty_status: str = fd(Household, "poverty_status", None, extra="留空表示未建档")
    main_cause: str = fd(Household, "main_cause", None)
    other_causes: list[str] = fd(Household, "other_causes", None, extra="最多 2 项")
    first_identified_on: dt.date | None = fd(Household, "first_identified_on", None)
    exit_year: int | None = fd(Household, "exit_year", None, ge=2000, le=2100)
    return_year: int | None = fd(Household, "return_year", None, ge=2000, le=2100)
    relocated: bool = fd(Household, "relocated", None)
    military_family: bool = fd(Household, "military_family", None)
    monitoring_type: str = fd(Household, "monitoring_type", None, extra="留空表示不是监测对象")
    monitoring_identified_on: dt.date | None = fd(Household, "monitoring_identified_on", None)
    risk_types: list[str] = fd(Household, "risk_types", None, extra="最多 5 项")
    risk_elimination: str = fd(Household, "risk_elimination", None)
    risk_eliminated_on: dt.date | None = fd(Household, "risk_eliminated_on", None)

    @field_validator("other_causes", "risk_types")
    @classmethod
    def _codes(cls, value: list[str] | None, info: Any) -> list[str] | None:
        return _check_codes(info.field_name, value)


class MemberFields(Schema):
    """Member fields a user may type in. 性别、出生日期、证件类型 and 残疾人证号 follow from the ID number."""

    model_config = ConfigDict(extra="forbid")

    ethnicity: str = fd(Member, "ethnicity", None)
    political_status: str = fd(Member, "political_status", None)
    education: str = fd(Member, "education", None)
    schooling: str = fd(Member, "schooling", None)
    health: list[str] = fd(Member, "health", None)
    disability_category: str = fd(Member, "disability_category", None)
    disability_grade: str = fd(Member, "disability_grade", None)
    labour_skill: str = fd(Member, "labour_skill", None)
    migrant_months: int = fd(Member, "migrant_months", None, ge=0, le=12)
    migrant_place: str = fd(Member, "migrant_place", None, max_length=100)
    speaks_mandarin: bool | None = fd(Member, "speaks_mandarin", None)
    basic_medical_insurance: bool | None = fd(Member, "basic_medical_insurance", None)
    employee_medical_insurance: bool | None = fd(Member, "employee_medical_insurance", None)
    serious_illness_insurance: bool | None = fd(Member, "serious_illness_insurance", None)
    commercial_medical_insurance: bool | None = fd(Member, "commercial_medical_insurance", None)
    basic_pension_insurance: bool | None = fd(Member, "basic_pension_insurance", None)
    dibao: bool = fd(Member, "dibao", None)
    tekun: bool = fd(Member, "tekun", None)
    accident_insurance: bool | None = fd(Member, "accident_insurance", None)
    phone: str = fd(Member, "phone", None, max_length=20)
    joined_on: dt.date | None = fd(Member, "joined_on", None)

    @field_validator("health")
    @classmethod
    def _codes(cls, value: list[str] | None, info: Any) -> list[str] | None:
        return _check_codes(info.field_name, value)


class MemberUpdate(MemberFields):
    """Fields to change on a member; leave out what stays the same. ``version`` is the household's."""

    version: int = Field(ge=1, le=2**31 - 1, description="所属农户的版本号")
    name: str = fd(Member, "name", None, min_length=1, max_length=50)
    id_number: str = fd(
        Member,
        "id_number",
        None,
        max_length=30,
        extra="18 位身份证号或 20 位残疾人证号；性别、出生日期随之更新",
    )
    relation: str = fd(Member, "relation", None)


class MemberYearSave(WriteBody):
    """A member's values of one data year; leave out what stays the same (a new year starts from unknown).
    ``version`` is the household's."""

    education: str = fd(Member, "education", None)
    schooling: str = fd(Member, "schooling", None)
    dropout_reason: str = fd(Member, "dropout_reason", None, max_length=50)
    health: list[str] = fd(Member, "health", None)
    labour_skill: str = fd(Member, "labour_skill", None)
    migrant_months: int = fd(Member, "migrant_months", None, ge=0, le=12)
    migrant_place: str = fd(Member, "migrant_place", None, max_length=100)
    speaks_mandarin: bool | None = fd(Member, "speaks_mandarin", None)
    basic_medical_insurance: bool | None = fd(Member, "basic_medical_insurance", None)
    employee_medical_insurance: bool | None = fd(Member, "employee_medical_insurance", None)
    serious_illness_insurance: bool | None = fd(Member, "serious_illness_insurance", None)
    commercial_medical_insurance: bool | None = fd(Member, "commercial_medical_insurance", None)
    basic_pension_insurance: bool | None = fd(Member, "basic_pension_insurance", None)
    dibao: bool = fd(Member, "dibao", None)
    tekun: bool = fd(Member, "tekun", None)
    accident_insurance: bool | None = fd(Member, "accident_insurance", None)


assert set(MemberYearSave.model_fields) - {"version"} == set(MEMBER_YEARLY_FIELDS)


class MemberCreate(MemberFields):
    """A new member of the household."""

    version: int = Field(ge=1, le=2**31 - 1, description="农户版本号")
    person_number: str = fd(Member, "person_number", min_length=1, max_length=30)
    name: str = fd(Member, "name", min_length=1, max_length=50)
    id_number: str = fd(Member, "id_number", max_length=30, extra="18 位身份证号或 20 位残疾人证号")
    relation: str = fd(Member, "relation")


class MemberLeave(WriteBody):
    """A member leaves the household (减员): the record stays, with the date and reason."""

    reason: LeaveReason = Field(
        description="减少原因。代码：" + "，".join(f"{c}={lbl}" for c, lbl in LeaveReason.choices)
    )
    date: dt.date = Field(description="减少时间（不能晚于今天）")

    @field_validator("date")
    @classmethod
    def _not_future(cls, value: dt.date) -> dt.date:
        from django.utils import timezone

        if value > timezone.localdate():
            raise ValueError("减少时间不能晚于今天")
        return value


class YearSave(WriteBody):
    """A data year's figures; leave out what stays the same (a new year starts from zero / unknown)."""

    household_size: int = fd(
        HouseholdYear, "household_size", None, ge=0, le=99, extra="新年度不填时取在册成员数"
    )
    wage_income: Decimal = fd(HouseholdYear, "wage_income", None, **MONEY_IN)
    business_income: Decimal = fd(HouseholdYear, "business_income", None, **MONEY_IN)
    business_expense: Decimal = fd(HouseholdYear, "business_expense", None, **MONEY_IN)
    dividend_income: Decimal = fd(HouseholdYear, "dividend_income", None, **MONEY_IN)
    other_property_income: Decimal = fd(HouseholdYear, "other_property_income", None, **MONEY_IN)
    family_planning_income: Decimal = fd(HouseholdYear, "family_planning_income", None, **MONEY_IN)
    dibao_income: Decimal = fd(HouseholdYear, "dibao_income", None, **MONEY_IN)
    tekun_income: Decimal = fd(HouseholdYear, "tekun_income", None, **MONEY_IN)
    pension_income: Decimal = fd(HouseholdYear, "pension_income", None, **MONEY_IN)
    eco_compensation_income: Decimal = fd(HouseholdYear, "eco_compensation_income", None, **MONEY_IN)
    other_transfer_income: Decimal = fd(HouseholdYear, "other_transfer_income", None, **MONEY_IN)
    cultivated_land: Decimal | None = fd(HouseholdYear, "cultivated_land", None, **AREA_IN)
    irrigated_land: Decimal | None = fd(HouseholdYear, "irrigated_land", None, **AREA_IN)
    forest_land: Decimal | None = fd(HouseholdYear, "forest_land", None, **AREA_IN)
    returned_farmland: Decimal | None = fd(HouseholdYear, "returned_farmland", None, **AREA_IN)
    orchard_land: Decimal | None = fd(HouseholdYear, "orchard_land", None, **AREA_IN)
    pasture_land: Decimal | None = fd(HouseholdYear, "pasture_land", None, **AREA_IN)
    water_surface: Decimal | None = fd(HouseholdYear, "water_surface", None, **AREA_IN)
    in_cooperative: bool | None = fd(HouseholdYear, "in_cooperative", None)
    leading_enterprise: bool | None = fd(HouseholdYear, "leading_enterprise", None)
    entrepreneur_led: bool | None = fd(HouseholdYear, "entrepreneur_led", None)
    production_power: bool | None = fd(HouseholdYear, "production_power", None)
    living_power: bool | None = fd(HouseholdYear, "living_power", None)
    broadcast_tv: bool | None = fd(HouseholdYear, "broadcast_tv", None)
    road_distance_km: Decimal | None = fd(HouseholdYear, "road_distance_km", None, **AREA_IN)
    road_type: str = fd(HouseholdYear, "road_type", None)
    housing_area: Decimal | None = fd(HouseholdYear, "housing_area", None, **AREA_IN)
    water_difficult: bool | None = fd(HouseholdYear, "water_difficult", None)
    water_safe: bool | None = fd(HouseholdYear, "water_safe", None)
    dangerous_house: bool | None = fd(HouseholdYear, "dangerous_house", None)
    housing_grade: str = fd(HouseholdYear, "housing_grade", None)
    renovation_year: int | None = fd(HouseholdYear, "renovation_year", None, ge=1980, le=2100)
    food_secure: bool | None = fd(HouseholdYear, "food_secure", None, extra=GUARANTEE_NOTE)
    clothing_secure: bool | None = fd(HouseholdYear, "clothing_secure", None, extra=GUARANTEE_NOTE)
    water_quantity_ok: bool | None = fd(HouseholdYear, "water_quantity_ok", None, extra=WATER_NOTE)
    water_quality_ok: bool | None = fd(HouseholdYear, "water_quality_ok", None, extra=WATER_NOTE)
    water_convenience_ok: bool | None = fd(HouseholdYear, "water_convenience_ok", None, extra=WATER_NOTE)
    water_reliability_ok: bool | None = fd(HouseholdYear, "water_reliability_ok", None, extra=WATER_NOTE)
    sanitary_toilet: bool | None = fd(HouseholdYear, "sanitary_toilet", None)
    fuel_type: str = fd(HouseholdYear, "fuel_type", None)


# --------------------------------------------------------------------------------------------------
# Imports
# --------------------------------------------------------------------------------------------------

ImportPolicy = Literal["all", "valid"]
POLICY_NOTE = "导入方式：" + "，".join(f"{c}={lbl}" for c, lbl in ImportBatch.Policy.choices)


class ImportRowError(Schema):
    """One error found in the uploaded file."""

    sheet: str = Field("", description="工作表")
    row: int | None = Field(None, description="行号（与 Excel 中看到的一致）")
    column: str = Field("", description="列名")
    value: str = Field("", description="单元格内容")
    message: str = Field(description="错误说明")
    household_number: str = Field("", description="所属户编号")


class ImportCheckCount(Schema):
    """One failed national logic check (逻辑校验) of an import and its rows: warnings, never refused."""

    numbers: str = Field(description="县级校验工具的校验项序号，如 11")
    name: str = Field(description="校验项名称")
    rule: str = Field(description="比对规则编号")
    rows: int = Field(description="提示行数")


class ImportBatchOut(Schema):
    """One run of an import and what happened."""

    id: str = Field(description="批次号")
    file_name: str = Field(description="文件名")
    user_name: str = Field(description="操作人")
    region: RegionRef | None = Field(description="导入者的辖区")
    policy: CodeOut | None = Field(description=POLICY_NOTE)
    state: CodeOut | None = Field(
        description="状态：" + "，".join(f"{c}={lbl}" for c, lbl in ImportBatch.State.choices)
    )
    progress: int = Field(description="进度（百分比）")
    stage: str = Field(description="阶段")
    rows_total: int = Field(description="总行数")
    rows_rejected: int = Field(description="错误行数")
    households_created: int = Field(description="新增户数")
    households_updated: int = Field(description="修改户数")
    households_unchanged: int = Field(description="未变化户数")
    households_rejected: int = Field(description="因错误未导入的户数")
    members_created: int = Field(description="新增成员数")
    members_updated: int = Field(description="修改成员数")
    members_left: int = Field(description="减少成员数")
    error_count: int = Field(description="错误条数")
    errors: list[ImportRowError] = Field(description="前 50 条错误；完整清单见错误报告")
    error_report_url: str | None = Field(
        description="错误报告（xlsx）下载地址；没有错误也没有逻辑校验提示时为 null"
    )
    warning_count: int = Field(0, description="逻辑校验提示条数（不影响导入）")
    warning_summary: list[ImportCheckCount] = Field(default_factory=list, description="各校验项的提示行数")
    message: str = Field(description="说明")
    started_at: dt.datetime = Field(description="开始时间")
    finished_at: dt.datetime | None = Field(description="结束时间")


# --------------------------------------------------------------------------------------------------
# Monitoring evidence: rigid expenses and income assessments (domain.md §4.2)
# --------------------------------------------------------------------------------------------------


class DeleteBody(WriteBody):
    """A deletion: only the household's version, the lock."""


class ExpenseIn(WriteBody):
    """One rigid expense or loss; a correction replaces the whole record."""

    kind: ExpenseKind = fd(HouseholdExpense, "kind")
    incurred_on: dt.date = fd(HouseholdExpense, "incurred_on", extra="不能晚于今天")
    amount: Decimal = fd(HouseholdExpense, "amount", extra="医疗为报销后的合规自付部分", **MONEY_IN)
    total_cost: Decimal | None = fd(HouseholdExpense, "total_cost", None, **MONEY_IN)
    reimbursed: Decimal | None = fd(HouseholdExpense, "reimbursed", None, **MONEY_IN)
    source: RecordSource = fd(HouseholdExpense, "source")
    note: str = fd(HouseholdExpense, "note", "", max_length=500)


class ExpenseOut(Schema):
    id: int
    kind: str = fd(HouseholdExpense, "kind")
    incurred_on: dt.date = fd(HouseholdExpense, "incurred_on")
    amount: Decimal = fd(HouseholdExpense, "amount")
    total_cost: Decimal | None = fd(HouseholdExpense, "total_cost")
    reimbursed: Decimal | None = fd(HouseholdExpense, "reimbursed")
    source: str = fd(HouseholdExpense, "source")
    note: str = fd(HouseholdExpense, "note")


class ExpensesOut(Schema):
    household_id: int = Field(description="农户 ID")
    version: int = Field(description="农户版本号：新增、修改、删除时带回")
    expenses: list[ExpenseOut] = Field(description="刚性支出，新发生的在前")


class IncomeAssessmentIn(WriteBody):
    """The household's net income over a period; the per-capita figure is computed."""

    period_start: dt.date = fd(IncomeAssessment, "period_start")
    period_end: dt.date = fd(IncomeAssessment, "period_end", extra="不能早于起始日期，不能晚于今天")
    net_income: Decimal = Field(
        max_digits=12,
        decimal_places=2,
        description=describe(IncomeAssessment, "net_income", "可为负数（经营亏损）"),
    )
    persons: int = fd(IncomeAssessment, "persons", ge=1, le=99)
    source: RecordSource = fd(IncomeAssessment, "source")
    note: str = fd(IncomeAssessment, "note", "", max_length=500)


class IncomeAssessmentOut(Schema):
    id: int
    period_start: dt.date = fd(IncomeAssessment, "period_start")
    period_end: dt.date = fd(IncomeAssessment, "period_end")
    net_income: Decimal = fd(IncomeAssessment, "net_income")
    persons: int = fd(IncomeAssessment, "persons")
    per_capita_income: Decimal = fd(IncomeAssessment, "per_capita_income")
    source: str = fd(IncomeAssessment, "source")
    note: str = fd(IncomeAssessment, "note")


class IncomeAssessmentsOut(Schema):
    household_id: int = Field(description="农户 ID")
    version: int = Field(description="农户版本号：新增、修改、删除时带回")
    assessments: list[IncomeAssessmentOut] = Field(description="收入核算，期间最近的在前")
