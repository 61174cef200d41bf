"""The department datasets (行业部门数据, domain.md §5.1): who sends what, in which columns.

Each dataset has a stable code, the department that owns it, a Chinese name, and its columns: the key the
rules use (English, snake_case), the Chinese header departments write in their files, the type, and whether
the value is required. ``jingzhun dataset load`` reads a department's .xlsx/.csv/.parquet with these headers
(or the keys), checks every cell, and stores the accepted rows as Parquet, one file per load
(``MEDIA_ROOT/datasets/<dataset>/<load id>.parquet``), with the typed columns below. The comparison rules read
the newest committed load of each dataset through a view named ``d_<code>`` (``engine.py``).

Column types and their Parquet/SQL type:

* ``id`` — an 18-digit resident ID (GB 11643, normalised like the register's: lowercase x, full-width digits,
  15-digit upgraded). VARCHAR. A department row whose ID is invalid is **kept** with ``id_valid`` false when
  the dataset says ``keep_invalid_ids`` (the data-quality rules want to see them); otherwise rejected.
* ``text`` — VARCHAR, trimmed. ``region`` — a 6-, 9- or 12-digit region code, VARCHAR.
* ``code`` — one of ``choices`` (given as the code or the Chinese label), stored as the Chinese label.
* ``date`` — DATE. ``money`` — DECIMAL(14,2), not negative. ``int`` — INTEGER. ``bool`` — BOOLEAN (是/否).

Every stored file also has ``row_number`` (INTEGER, the row in the department's file) so a doubt's evidence
can name the row a department sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from jingzhun.registry import codelists


class Department(StrEnum):
    EDUCATION = "education"
    MEDICAL = "medical"
    CIVIL = "civil"
    DISABILITY = "disability"
    HOUSING = "housing"
    HR = "hr"
    POLICE = "police"
    VEHICLES = "vehicles"
    BUSINESS = "business"
    FINANCE = "finance"
    PROPERTY = "property"


DEPARTMENT_NAMES: dict[str, str] = {
    Department.EDUCATION: "教育部门",
    Department.MEDICAL: "医疗保障部门",
    Department.CIVIL: "民政部门",
    Department.DISABILITY: "残疾人联合会",
    Department.HOUSING: "住房和城乡建设部门",
    Department.HR: "人力资源和社会保障部门",
    Department.POLICE: "公安部门",
    Department.VEHICLES: "公安交管部门",
    Department.BUSINESS: "市场监督管理部门",
    Department.FINANCE: "财政/编办",
    Department.PROPERTY: "不动产登记部门",
}


class T(StrEnum):
    ID = "id"
    TEXT = "text"
    REGION = "region"
    CODE = "code"
    DATE = "date"
    MONEY = "money"
    INT = "int"
    BOOL = "bool"


SQL_TYPES: dict[T, str] = {
    T.ID: "VARCHAR",
    T.TEXT: "VARCHAR",
    T.REGION: "VARCHAR",
    T.CODE: "VARCHAR",
    T.DATE: "DATE",
    T.MONEY: "DECIMAL(14,2)",
    T.INT: "INTEGER",
    T.BOOL: "BOOLEAN",
}


@dataclass(frozen=True)
class Col:
    key: str
    header: str
    type: T = T.TEXT
    required: bool = False
    choices: tuple[str, ...] = ()
    max_length: int = 100
    notes: str = ""
    # A code column backed by one of the register's code lists (registry/data/codelists.toml): it accepts the
    # list's codes, labels and aliases; ``store_code`` keeps the code (else the label); choices are its labels.
    codelist: str = ""
    store_code: bool = False
    # A long number kept as text (a certificate or credit code): like an ID column, a number cell that cannot
    # hold its digits exactly is a row error (registry.numbercells).
    digits: bool = False

    def __post_init__(self) -> None:
        if self.codelist and not self.choices:
            object.__setattr__(self, "choices", tuple(c.label for c in codelists.get(self.codelist).current))

    def stored_value(self, spelling_code: str) -> str:
        """What a code-list column stores for the code a spelling means."""
        return spelling_code if self.store_code else codelists.get(self.codelist).label(spelling_code)

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]

    @property
    def long_number(self) -> bool:
        return self.type == T.ID or self.digits


@dataclass(frozen=True)
class Dataset:
    code: str
    department: Department
    name: str
    description: str
    columns: tuple[Col, ...]
    keep_invalid_ids: bool = True
    notes: str = field(default="", compare=False)

    @property
    def department_name(self) -> str:
        return DEPARTMENT_NAMES[self.department]

    def column(self, key: str) -> Col:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(col.key for col in self.columns)


def _person(header: str = "身份证号码") -> tuple[Col, Col]:
    return (Col("id_number", header, T.ID, required=True), Col("name", "姓名", required=True, max_length=50))


STAGES = ("学前教育", "小学", "初中", "高中", "中职", "高职", "大专及以上")
STUDY_STATES = ("在读", "休学", "辍学", "毕业", "转出")
VISIT_TYPES = ("住院", "门诊慢特病", "普通门诊")
CIVIL_KINDS = ("低保", "特困供养", "孤儿", "事实无人抚养儿童", "残疾人两项补贴", "高龄津贴", "临时救助")
DISABILITY_CATEGORIES = tuple(c.label for c in codelists.get("disability_category").current)
DISABILITY_GRADES = tuple(c.label for c in codelists.get("disability_grade").current)
HOUSING_GRADES = tuple(c.code for c in codelists.get("housing_grade").current)
POLICE_EVENTS = ("死亡", "迁出", "迁入", "出生")
VEHICLE_TYPES = (
    "小型轿车",
    "小型越野客车",
    "小型普通客车",
    "轻型货车",
    "重型货车",
    "三轮汽车",
    "摩托车",
    "工程机械",
)
BUSINESS_ROLES = ("法定代表人", "股东", "个体工商户经营者")
BUSINESS_STATES = ("存续", "在业", "吊销", "注销")
PROPERTY_TYPES = ("商品住房", "商铺", "写字楼", "自建房", "车位")

DATASETS: tuple[Dataset, ...] = (
    Dataset(
        "education",
        Department.EDUCATION,
        "学籍信息",
        "全国学生资助/学籍系统的在校学生名单：学段、年级、在读或辍学，以及资助后仍自付的学费",
        (
            *_person(),
            Col("school", "学校名称", required=True),
            Col("stage", "学段", T.CODE, required=True, choices=STAGES),
            Col("grade", "年级", T.INT),
            Col("state", "学籍状态", T.CODE, required=True, choices=STUDY_STATES),
            Col("state_on", "状态日期", T.DATE, required=True),
            Col("self_paid_fees", "资助后自付费用", T.MONEY),
        ),
    ),
    Dataset(
        "medical_enrolment",
        Department.MEDICAL,
        "医保参保信息",
        "城乡居民基本医疗保险、大病保险参保情况，按参保年度",
        (
            *_person(),
            Col("year", "参保年度", T.INT, required=True),
            Col("basic_enrolled", "是否参加基本医保", T.BOOL, required=True),
            Col("serious_illness_enrolled", "是否参加大病保险", T.BOOL),
            Col("subsidised", "是否资助参保", T.BOOL),
        ),
    ),
    Dataset(
        "medical_expense",
        Department.MEDICAL,
        "医保结算信息",
        "每次结算的总费用、基本医保+大病保险+医疗救助支付和个人自付（合规自付）",
        (
            *_person(),
            Col("settled_on", "结算日期", T.DATE, required=True),
            Col("visit_type", "就诊类型", T.CODE, required=True, choices=VISIT_TYPES),
            Col("hospital", "医疗机构"),
            Col("total_cost", "医疗总费用", T.MONEY, required=True),
            Col("fund_paid", "基金支付", T.MONEY, required=True),
            Col("self_paid", "个人自付", T.MONEY, required=True),
        ),
    ),
    Dataset(
        "civil_assistance",
        Department.CIVIL,
        "民政救助信息",
        "低保、特困供养、孤儿与事实无人抚养儿童、残疾人两项补贴等在保人员，含户籍所在村",
        (
            *_person(),
            Col("region_code", "户籍所在地区划代码", T.REGION, required=True, max_length=12),
            Col("head_id_number", "户主身份证号码", T.ID),
            Col("kind", "救助类别", T.CODE, required=True, choices=CIVIL_KINDS),
            Col("start_on", "开始日期", T.DATE, required=True),
            Col("end_on", "终止日期", T.DATE),
            Col("monthly_amount", "月保障金额", T.MONEY),
        ),
    ),
    Dataset(
        "disability",
        Department.DISABILITY,
        "残疾人证信息",
        "第二代残疾人证持证人员：残疾类别、等级、发证日期与持证状态，含户籍所在村",
        (
            *_person(),
            Col("certificate_number", "残疾人证号", required=True, max_length=22, digits=True),
            Col("region_code", "户籍所在地区划代码", T.REGION, max_length=12),
            Col("category", "残疾类别", T.CODE, required=True, codelist="disability_category"),
            Col("grade", "残疾等级", T.CODE, required=True, codelist="disability_grade"),
            Col("issued_on", "发证日期", T.DATE, required=True),
            Col("valid", "是否有效", T.BOOL, required=True),
        ),
    ),
    Dataset(
        "housing",
        Department.HOUSING,
        "农房安全鉴定信息",
        "农村住房安全性鉴定（A–D级）与危房改造情况，按户主",
        (
            *_person("户主身份证号码"),
            Col("region_code", "所在地区划代码", T.REGION, required=True, max_length=12),
            Col(
                "grade",
                "鉴定等级",
                T.CODE,
                required=True,
                codelist="housing_grade",
                store_code=True,
                notes="A、B、C、D 级；C 级为局部危房，D 级为整幢危房（也可填“D级”等写法）",
            ),
            Col("assessed_on", "鉴定日期", T.DATE, required=True),
            Col("renovated", "是否已完成改造", T.BOOL, required=True),
        ),
    ),
    Dataset(
        "employment",
        Department.HR,
        "就业与社保信息",
        "人社部门的就业登记与职工社会保险参保：单位、起止日期、月缴费工资",
        (
            *_person(),
            Col("employer", "就业单位", required=True),
            Col("start_on", "就业开始日期", T.DATE, required=True),
            Col("end_on", "就业终止日期", T.DATE),
            Col("monthly_wage", "月缴费工资", T.MONEY),
        ),
    ),
    Dataset(
        "police_events",
        Department.POLICE,
        "户籍变动信息",
        "公安户籍系统的死亡注销、迁出、迁入和出生登记",
        (
            *_person(),
            Col("event", "变动类型", T.CODE, required=True, choices=POLICE_EVENTS),
            Col("event_on", "变动日期", T.DATE, required=True),
            Col("region_code", "户籍地区划代码", T.REGION, max_length=12),
        ),
    ),
    Dataset(
        "vehicles",
        Department.VEHICLES,
        "机动车登记信息",
        "车管所登记的机动车：车辆类型、登记日期、购置价格（发票价）",
        (
            *_person("所有人身份证号码"),
            Col("plate", "号牌号码", required=True, max_length=20),
            Col("vehicle_type", "车辆类型", T.CODE, required=True, choices=VEHICLE_TYPES),
            Col("registered_on", "初次登记日期", T.DATE, required=True),
            Col("price", "购置价格", T.MONEY, required=True),
        ),
    ),
    Dataset(
        "business",
        Department.BUSINESS,
        "市场主体登记信息",
        "企业法定代表人、股东和个体工商户经营者，含注册资本、成立日期与登记状态",
        (
            *_person(),
            Col("entity_name", "市场主体名称", required=True),
            Col("credit_code", "统一社会信用代码", required=True, max_length=18, digits=True),
            Col("role", "身份", T.CODE, required=True, choices=BUSINESS_ROLES),
            Col("capital", "注册资本（万元）", T.MONEY),
            Col("established_on", "成立日期", T.DATE, required=True),
            Col("state", "登记状态", T.CODE, required=True, choices=BUSINESS_STATES),
        ),
    ),
    Dataset(
        "payroll",
        Department.FINANCE,
        "财政供养人员信息",
        "机关事业单位在编在岗及离退休人员（财政供养），含入编与离岗日期",
        (
            *_person(),
            Col("employer", "工作单位", required=True),
            Col("post", "岗位"),
            Col("start_on", "入编日期", T.DATE, required=True),
            Col("end_on", "离岗日期", T.DATE),
        ),
    ),
    Dataset(
        "property",
        Department.PROPERTY,
        "不动产登记信息",
        "不动产权利人：商品住房、商铺、自建房等的类型、坐落、面积与登记日期",
        (
            *_person("权利人身份证号码"),
            Col("property_type", "不动产类型", T.CODE, required=True, choices=PROPERTY_TYPES),
            Col("location", "坐落", required=True, max_length=200),
            Col("area", "建筑面积（平方米）", T.MONEY),
            Col("registered_on", "登记日期", T.DATE, required=True),
        ),
    ),
)

BY_CODE: dict[str, Dataset] = {ds.code: ds for ds in DATASETS}


def get(code: str) -> Dataset:
    """The dataset with this code; a Chinese error naming the known codes otherwise."""
    from jingzhun.core.errors import ValidationFailed

    try:
        return BY_CODE[code]
    except KeyError:
        known = "、".join(f"{ds.code}（{ds.name}）" for ds in DATASETS)
        raise ValidationFailed(f"没有这个部门数据集：{code}。可用的有：{known}") from None


def for_department(department: str) -> tuple[Dataset, ...]:
    return tuple(ds for ds in DATASETS if ds.department == department)


# Every stored Parquet file has these columns besides the dataset's own.
STORED_EXTRA = (("row_number", "INTEGER"), ("id_valid", "BOOLEAN"))
