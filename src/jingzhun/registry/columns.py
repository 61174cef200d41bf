"""The register's file layout: one row per member, household columns repeated (as national exports are).

This table is the single description of every column the template, the import, the export and the data
generator use: its Chinese header (as the national system names it, domain.md §1.2–1.3), the model field
it fills, which record it belongs to, how its text is parsed, and whether it is required.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from django.db import models

from jingzhun.registry import choices as c


class Level(StrEnum):
    HOUSEHOLD = "household"
    YEAR = "year"
    MEMBER = "member"
    INFO = "info"  # shown in exports for people; region names are read only to find a village without a code


class Kind(StrEnum):
    TEXT = "text"
    CODE = "code"  # one code of a code list, given as code or label
    CODES = "codes"  # several codes separated by 、,，;；/ or spaces
    BOOL = "bool"
    INT = "int"
    YEAR = "year"
    MONEY = "money"
    AREA = "area"  # non-negative decimal
    DATE = "date"
    ID = "id"  # identity number, GB 11643
    REGION = "region"  # 12-digit village code


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    level: Level
    kind: Kind = Kind.TEXT
    required: bool = False
    codes: type[models.Choices] | None = None
    max_length: int = 0
    aliases: tuple[str, ...] = ()
    derived: bool = False  # written on export, never read on import
    max_value: int | None = None
    max_items: int | None = None
    notes: str = ""
    national: bool = field(default=False, compare=False)


H, Y, M, INFO = Level.HOUSEHOLD, Level.YEAR, Level.MEMBER, Level.INFO

# Sheets of the workbooks Jingzhun writes: the template and the exports (data sheet, hidden code lists, help)
# and the error report (rows to correct, list of problems). Import reads only the data sheets of these.
DATA_SHEET = "成员信息"
CODES_SHEET = "代码表"
HELP_SHEET = "填写说明"
REPORT_SHEET = "待修改数据"
REPORT_LIST_SHEET = "错误清单"

COLUMNS: tuple[Column, ...] = (
    Column("省", "province_name", INFO, aliases=("省份", "省名称"), derived=True),
    Column("市", "city_name", INFO, aliases=("市州", "地市", "市名称"), derived=True),
    Column("县（市、区）", "county_name", INFO, aliases=("县", "县名称")),
    Column("乡（镇）", "township_name", INFO, aliases=("乡", "乡镇", "乡镇名称")),
    Column(
        "行政村",
        "village_name",
        INFO,
        aliases=("村", "行政村名称"),
        notes="没有“行政村编号”列时，按县、乡、村名称在您的辖区内查找行政村",
    ),
    Column(
        "行政村编号",
        "village",
        H,
        Kind.REGION,
        required=True,
        aliases=("所在行政村编号", "村编号", "区划代码"),
        notes="12 位统计用区划代码",
    ),
    Column("自然村", "natural_village", H, max_length=60, aliases=("所在组", "自然村（组）")),
    Column("户编号", "household_number", H, required=True, max_length=30),
    Column("户主姓名", "head_name", H, required=True, max_length=50),
    Column("户联系电话", "phone", H, max_length=20, aliases=("联系电话",)),
    Column("开户银行", "bank_name", H, max_length=60),
    Column("银行卡号", "bank_account", H, max_length=32),
    Column("识别标准", "identification_standard", H, Kind.CODE, codes=c.IdentificationStandard),
    Column("贫困户属性", "attribute", H, Kind.CODE, required=True, codes=c.Attribute, aliases=("户属性",)),
    Column("脱贫状态", "poverty_status", H, Kind.CODE, codes=c.PovertyStatus, aliases=("脱贫标志",)),
    Column("主要致贫原因", "main_cause", H, Kind.CODE, codes=c.Cause, aliases=("致贫原因1",)),
    Column("其他致贫原因", "other_causes", H, Kind.CODES, codes=c.Cause, max_items=2),
    Column("首次识别时间", "first_identified_on", H, Kind.DATE),
    Column("脱贫年度", "exit_year", H, Kind.YEAR),
    Column("返贫年度", "return_year", H, Kind.YEAR),
    Column("是否易地扶贫搬迁户", "relocated", H, Kind.BOOL),
    Column("是否军烈属", "military_family", H, Kind.BOOL),
    Column(
        "易返贫致贫户(监测对象)类型",
        "monitoring_type",
        H,
        Kind.CODE,
        codes=c.MonitoringType,
        aliases=("监测对象类型",),
    ),
    Column("风险识别时间", "monitoring_identified_on", H, Kind.DATE),
    Column("致贫返贫风险", "risk_types", H, Kind.CODES, codes=c.RiskType, max_items=5),
    Column("风险是否消除", "risk_elimination", H, Kind.CODE, codes=c.RiskElimination),
    Column("风险消除时间", "risk_eliminated_on", H, Kind.DATE),
    Column("数据年度", "year", Y, Kind.YEAR, required=True, aliases=("分区年度", "年度")),
    Column("工资性收入", "wage_income", Y, Kind.MONEY),
    Column("生产经营性收入", "business_income", Y, Kind.MONEY),
    Column("生产经营性支出", "business_expense", Y, Kind.MONEY),
    Column("资产收益分红型收入", "dividend_income", Y, Kind.MONEY),
    Column("其他财产性收入", "other_property_income", Y, Kind.MONEY),
    Column("计划生育金", "family_planning_income", Y, Kind.MONEY),
    Column("低保金", "dibao_income", Y, Kind.MONEY),
    Column("特困供养金", "tekun_income", Y, Kind.MONEY),
    Column("养老保险金", "pension_income", Y, Kind.MONEY),
    Column("生态补偿金", "eco_compensation_income", Y, Kind.MONEY),
    Column("其他转移性收入", "other_transfer_income", Y, Kind.MONEY),
    Column("财产性收入", "property_income", Y, Kind.MONEY, derived=True),
    Column("转移性收入", "transfer_income", Y, Kind.MONEY, derived=True),
    Column("家庭纯收入", "net_income", Y, Kind.MONEY, derived=True),
    Column(
        "人数",
        "household_size",
        Y,
        Kind.INT,
        max_value=99,
        aliases=("家庭人口数",),
        notes="该数据年度的家庭人口数；可不填，按本户的成员行数计算",
    ),
    Column("人均纯收入", "per_capita_net_income", Y, Kind.MONEY, derived=True),
    Column("耕地面积（亩）", "cultivated_land", Y, Kind.AREA, aliases=("耕地面积",)),
    Column("有效灌溉面积（亩）", "irrigated_land", Y, Kind.AREA, aliases=("有效灌溉面积",)),
    Column("林地面积（亩）", "forest_land", Y, Kind.AREA, aliases=("林地面积",)),
    Column("退耕还林面积（亩）", "returned_farmland", Y, Kind.AREA, aliases=("退耕还林面积",)),
    Column("林果面积（亩）", "orchard_land", Y, Kind.AREA, aliases=("林果面积",)),
    Column("牧草地面积（亩）", "pasture_land", Y, Kind.AREA, aliases=("牧草地面积",)),
    Column("水面面积（亩）", "water_surface", Y, Kind.AREA, aliases=("水面面积",)),
    Column("是否加入农民专业合作社", "in_cooperative", Y, Kind.BOOL),
    Column("是否有龙头企业带动", "leading_enterprise", Y, Kind.BOOL),
    Column("是否有创业致富带头人带动", "entrepreneur_led", Y, Kind.BOOL),
    Column("是否通生产用电", "production_power", Y, Kind.BOOL),
    Column("是否通生活用电", "living_power", Y, Kind.BOOL),
    Column("是否通广播电视", "broadcast_tv", Y, Kind.BOOL),
    Column("与村主干路距离（公里）", "road_distance_km", Y, Kind.AREA, aliases=("与村主干路距离",)),
    Column("入户路类型", "road_type", Y, Kind.CODE, codes=c.RoadType),
    Column("住房面积（平方米）", "housing_area", Y, Kind.AREA, aliases=("住房面积",)),
    Column("饮水是否困难", "water_difficult", Y, Kind.BOOL),
    Column("是否解决安全饮用水", "water_safe", Y, Kind.BOOL, aliases=("饮水是否安全",)),
    Column("危房户", "dangerous_house", Y, Kind.BOOL, aliases=("是否危房户",)),
    Column("危房级别", "housing_grade", Y, Kind.CODE, codes=c.HousingGrade, aliases=("危房等级",)),
    # 两不愁, the four water indicators and the renovation: Jingzhun's own columns (not in the national
    # exports, docs/policy.md), so a county can fill the exit test's data for all households in one file.
    Column("是否不愁吃", "food_secure", Y, Kind.BOOL, aliases=("不愁吃",)),
    Column("是否不愁穿", "clothing_secure", Y, Kind.BOOL, aliases=("不愁穿",)),
    Column(
        "饮水水量是否达标",
        "water_quantity_ok",
        Y,
        Kind.BOOL,
        aliases=("水量是否达标",),
        notes="每人每天可获得水量：丰水地区不低于35升，缺水地区不低于20升",
    ),
    Column("饮水水质是否达标", "water_quality_ok", Y, Kind.BOOL, aliases=("水质是否达标",)),
    Column(
        "用水方便程度是否达标",
        "water_convenience_ok",
        Y,
        Kind.BOOL,
        aliases=("用水方便程度",),
        notes="供水入户，或取水往返不超过20分钟",
    ),
    Column(
        "供水保证率是否达标",
        "water_reliability_ok",
        Y,
        Kind.BOOL,
        aliases=("供水保证率",),
        notes="一年内停水断水累计不超过36天",
    ),
    Column("危房改造竣工年度", "renovation_year", Y, Kind.YEAR, notes="已完成危房改造的年度；未改造留空"),
    Column("有无卫生厕所", "sanitary_toilet", Y, Kind.BOOL),
    Column("主要燃料类型", "fuel_type", Y, Kind.CODE, codes=c.FuelType),
    Column("户类型", "household_kind", INFO, derived=True),
    Column("人编号", "person_number", M, required=True, max_length=30, aliases=("人口编号", "成员编号")),
    Column("姓名", "name", M, required=True, max_length=50),
    Column(
        "证件类型", "id_kind", INFO, derived=True, notes="由证件号码推算：20 位为残疾人证，其余为居民身份证"
    ),
    Column(
        "证件号码",
        "id_number",
        M,
        Kind.ID,
        required=True,
        aliases=("身份证号码", "证件号码（身份证或残疾证）"),
        notes="18 位居民身份证号码，或 20 位残疾人证号（身份证号码加残疾类别、残疾等级各 1 位）",
    ),
    Column("性别", "sex", M, Kind.CODE, codes=c.Sex, notes="可不填，由证件号码推算；填写时须与证件号码一致"),
    Column("出生日期", "birth_date", M, Kind.DATE, notes="可不填，由证件号码推算；填写时须与证件号码一致"),
    Column("与户主关系", "relation", M, Kind.CODE, required=True, codes=c.Relation),
    Column("民族", "ethnicity", M, Kind.CODE, codes=c.Ethnicity),
    Column("政治面貌", "political_status", M, Kind.CODE, codes=c.PoliticalStatus),
    Column("文化程度", "education", M, Kind.CODE, codes=c.Education),
    Column(
        "在校生状况", "schooling", M, Kind.CODE, codes=c.Schooling, notes="在校学生填写年级；非在校生留空"
    ),
    Column(
        "失学或辍学原因", "dropout_reason", M, max_length=50, notes="失学或辍学的义务教育阶段儿童填写原因"
    ),
    Column("健康状况", "health", M, Kind.CODES, codes=c.Health, max_items=4),
    Column(
        "残疾类别",
        "disability_category",
        M,
        Kind.CODE,
        codes=c.DisabilityCategory,
        notes="可不填：证件号码为 20 位残疾人证号时由第 19 位推算；填写时以填写的为准",
    ),
    Column(
        "残疾等级",
        "disability_grade",
        M,
        Kind.CODE,
        codes=c.DisabilityGrade,
        notes="可不填：证件号码为 20 位残疾人证号时由第 20 位推算；填写时以填写的为准",
    ),
    Column("劳动技能", "labour_skill", M, Kind.CODE, codes=c.LabourSkill),
    Column("务工时间（月）", "migrant_months", M, Kind.INT, max_value=12, aliases=("务工时间",)),
    Column("务工所在地", "migrant_place", M, max_length=100, aliases=("务工区域",)),
    Column("是否会讲普通话", "speaks_mandarin", M, Kind.BOOL),
    Column(
        "是否参加城乡居民基本医疗保险",
        "basic_medical_insurance",
        M,
        Kind.BOOL,
        aliases=("是否参加新型农村合作医疗（城乡居民基本医疗保险）", "是否参加新型农村合作医疗"),
    ),
    Column("是否参加城镇职工基本医疗保险", "employee_medical_insurance", M, Kind.BOOL),
    Column("是否参加大病保险", "serious_illness_insurance", M, Kind.BOOL),
    Column("是否参加商业补充医疗保险", "commercial_medical_insurance", M, Kind.BOOL),
    Column("是否参加城乡居民基本养老保险", "basic_pension_insurance", M, Kind.BOOL),
    Column("是否享受农村最低生活保障", "dibao", M, Kind.BOOL, aliases=("是否享受低保",)),
    Column("是否特困供养", "tekun", M, Kind.BOOL, aliases=("是否特困供养人员",)),
    Column("是否享受人身意外保险补贴", "accident_insurance", M, Kind.BOOL),
    Column("人联系电话", "member_phone", M, max_length=20, aliases=("成员联系电话",)),
    Column("人员识别时间", "joined_on", M, Kind.DATE),
    Column("户主证件号码", "head_id_number", INFO, derived=True),
    # A member who has left the household since the exported data year (自然变更: death, moving out, split):
    # written in the template layout for people, never read on import (docs/exchange.md).
    Column("减少时间", "left_on", INFO, Kind.DATE, derived=True, notes="该年度之后减员的成员：减员日期"),
    Column("减少原因", "leave_reason", INFO, derived=True, notes="该年度之后减员的成员：减员原因"),
)
LEAVE_KEYS = ("left_on", "leave_reason")

BY_KEY = {col.key: col for col in COLUMNS}
INPUT_COLUMNS = tuple(col for col in COLUMNS if not col.derived and col.level != Level.INFO)
# Region names: read on import only when the file has no 行政村编号 column (the village is then found by name).
PLACE_COLUMNS = tuple(col for col in COLUMNS if col.level == Level.INFO and not col.derived)
READ_COLUMNS = INPUT_COLUMNS + PLACE_COLUMNS  # what an import reads of a file (staging's columns)
# Columns every file must have: they say which household and which person a row is. Any other column may be
# left out: on update the stored value stays as it is; a new household still needs the required ones.
IDENTITY_KEYS = ("household_number", "person_number", "name", "id_number", "relation")
# Model field name where it differs from the column key.
FIELD_NAME = {"member_phone": "phone", "village": "village_id"}

# The national system's person-level export of the monitoring era (national-forms.md, "Member export
# columns"), in its order, as far as the register holds the field; then the columns of the 2022 export
# (domain.md §1.3) that the monitoring-era list lacks. The 2022 headers (人编号, 人联系电话, 县/乡/行政村 …)
# are accepted on import as aliases (``COLUMNS``).
NATIONAL_EXPORT: tuple[tuple[str, str], ...] = (
    ("省", "province_name"),
    ("市", "city_name"),
    ("县", "county_name"),
    ("乡", "township_name"),
    ("村", "village_name"),
    ("户编号", "household_number"),
    ("人口编号", "person_number"),
    ("姓名", "name"),
    ("性别", "sex"),
    ("出生日期", "birth_date"),
    ("证件类型", "id_kind"),
    ("证件号码", "id_number"),
    ("民族", "ethnicity"),
    ("户联系电话", "phone"),
    ("成员联系电话", "member_phone"),
    ("年度", "year"),
    ("与户主关系", "relation"),
    ("文化程度", "education"),
    ("在校生状况", "schooling"),
    ("劳动技能", "labour_skill"),
    ("务工时间（月）", "migrant_months"),
    ("健康状况", "health"),
    ("政治面貌", "political_status"),
    ("是否享受低保", "dibao"),
    ("是否参加大病保险", "serious_illness_insurance"),
    ("是否参加新型农村合作医疗（城乡居民基本医疗保险）", "basic_medical_insurance"),
    ("是否参加城乡居民基本养老保险", "basic_pension_insurance"),
    ("失学或辍学原因", "dropout_reason"),
    ("是否会讲普通话", "speaks_mandarin"),
    ("是否参加商业补充医疗保险", "commercial_medical_insurance"),
    ("残疾类别", "disability_category"),
    ("务工所在地", "migrant_place"),
    ("户主姓名", "head_name"),
    ("户主证件号码", "head_id_number"),
    ("是否特困供养人员", "tekun"),
    ("识别标准", "identification_standard"),
    # the 2022 export's further columns
    ("自然村", "natural_village"),
    ("人数", "household_size"),
    ("致贫原因1", "main_cause"),
    ("危房户", "dangerous_house"),
    ("是否解决安全饮用水", "water_safe"),
    ("人均纯收入", "per_capita_net_income"),
    ("首次识别时间", "first_identified_on"),
    ("人员识别时间", "joined_on"),
    ("户类型", "household_kind"),
    ("易返贫致贫户(监测对象)类型", "monitoring_type"),
    ("风险是否消除", "risk_elimination"),
    ("风险识别时间", "monitoring_identified_on"),
    ("风险消除时间", "risk_eliminated_on"),
)


def columns_of(level: Level) -> tuple[Column, ...]:
    return tuple(col for col in INPUT_COLUMNS if col.level == level)


def header_index() -> dict[str, Column]:
    """Every accepted header spelling (normalised) → column."""
    index: dict[str, Column] = {}
    for col in COLUMNS:
        for name in (col.header, *col.aliases):
            index[normalise_header(name)] = col
    return index


def normalise_header(text: object) -> str:
    """Headers are matched ignoring spaces, full-width/half-width brackets and a trailing '*' (required)."""
    s = str(text or "").strip().replace(" ", "").replace("\u3000", "").replace("\n", "")
    s = s.replace("(", "（").replace(")", "）").rstrip("*＊")
    return s
