"""The register (建档立卡): households, their members, yearly income and conditions, status history.

Field names follow the national system's forms; the national field code is in each ``db_comment`` where
one is known (domain.md §1.2, §1.3). Derived figures (income totals, per-capita net income) are computed
by ``income.compute`` in the services and never typed in.
"""

from __future__ import annotations

from typing import TypedDict

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from jingzhun.core.restrict import Restricted
from jingzhun.registry.choices import (
    Attribute,
    Cause,
    DisabilityCategory,
    DisabilityGrade,
    Education,
    Ethnicity,
    ExpenseKind,
    FuelType,
    HousingGrade,
    IdentificationStandard,
    IdKind,
    LabourSkill,
    LeaveReason,
    MonitoringType,
    PoliticalStatus,
    PovertyStatus,
    RecordSource,
    Relation,
    RiskElimination,
    RoadType,
    Schooling,
    Sex,
)


class _Money(TypedDict):
    max_digits: int
    decimal_places: int
    default: int


class _Area(TypedDict):
    max_digits: int
    decimal_places: int
    null: bool
    blank: bool


MONEY: _Money = {"max_digits": 12, "decimal_places": 2, "default": 0}
AREA: _Area = {"max_digits": 10, "decimal_places": 2, "null": True, "blank": True}


class Household(Restricted):
    """A household (户) of the register: people who live together and share expenses (domain.md §1.1).

    ``household_number`` is the national platform's 户编号 (aac001) and the stable key across years and
    imports. ``village`` is the 行政村 (aad001); every jurisdiction check filters on its code prefix.
    ``version`` is the optimistic lock: every save increments it and a save from a stale form fails.
    """

    region_paths = ("village__code",)

    household_number = models.CharField("户编号", max_length=30, unique=True, db_comment="aac001")
    village = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="households",
        verbose_name="行政村",
        db_comment="aad001",
        db_index=False,  # the (village, household_number) index serves village lookups
    )
    natural_village = models.CharField("自然村/组", max_length=60, blank=True, db_comment="aar007")
    head_name = models.CharField("户主姓名", max_length=50, db_comment="aac029")
    phone = models.CharField("联系电话", max_length=20, blank=True, db_comment="aar012")
    bank_name = models.CharField("开户银行", max_length=60, blank=True, db_comment="aaq002")
    bank_account = models.CharField("银行卡号", max_length=32, blank=True, db_comment="aac004")
    identification_standard = models.CharField(
        "识别标准", max_length=1, choices=IdentificationStandard.choices, blank=True
    )
    attribute = models.CharField(
        "贫困户属性", max_length=2, choices=Attribute.choices, default=Attribute.ORDINARY, db_comment="aac006"
    )
    poverty_status = models.CharField(
        "脱贫状态", max_length=1, choices=PovertyStatus.choices, blank=True, db_comment="aar010"
    )
    main_cause = models.CharField(
        "主要致贫原因", max_length=2, choices=Cause.choices, blank=True, db_comment="aac007"
    )
    other_causes = models.JSONField("其他致贫原因", default=list, blank=True, db_comment="aac008")
    first_identified_on = models.DateField("首次识别时间", null=True, blank=True, db_comment="aar041")
    exit_year = models.PositiveSmallIntegerField("脱贫年度", null=True, blank=True, db_comment="aac023")
    return_year = models.PositiveSmallIntegerField("返贫年度", null=True, blank=True)
    relocated = models.BooleanField("是否易地扶贫搬迁户", default=False)
    military_family = models.BooleanField("是否军烈属", default=False)
    monitoring_type = models.CharField(
        "监测对象类型", max_length=1, choices=MonitoringType.choices, blank=True
    )
    monitoring_identified_on = models.DateField("风险识别时间", null=True, blank=True)
    risk_types = models.JSONField("致贫返贫风险", default=list, blank=True)
    risk_elimination = models.CharField(
        "风险是否消除", max_length=1, choices=RiskElimination.choices, blank=True
    )
    risk_eliminated_on = models.DateField("风险消除时间", null=True, blank=True)
    # 自然销户 (domain.md §2.4): the whole household is gone (members died or moved, merged into another
    # household). Set only by ``services.close_household``; the row stays for history.
    closed_on = models.DateField("销户时间", null=True, blank=True, editable=False)
    close_reason = models.CharField("销户原因", max_length=200, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "农户"
        verbose_name_plural = "农户"
        # Few indexes on purpose: every index is paid for on each imported row. Name search is a substring
        # match, which no B-tree index serves; counts come from pre-aggregated tables.
        indexes = [models.Index(fields=["village", "household_number"], name="registry_hh_village")]

    def __str__(self) -> str:
        return f"{self.head_name}户（{self.household_number}）"

    @property
    def kind(self) -> str:
        """户类型: 脱贫户 / 监测户 / 一般农户, as the national exports label it."""
        if self.monitoring_type:
            return "监测户"
        if self.poverty_status:
            return "脱贫户" if self.poverty_status in ("1", "4") else "贫困户"
        return "一般农户"


class Member(Restricted):
    """A person in a household (家庭成员, domain.md §1.3).

    ``id_number`` is the canonical 18-digit ID (GB 11643); a person is an active member of at most one
    household in the whole register (partial unique index). A member who leaves (death, marriage, split)
    keeps the row with ``left_on`` set, so history and exits stay explainable.
    """

    region_paths = ("household__village__code",)

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="members", verbose_name="户"
    )
    person_number = models.CharField("人编号", max_length=30)  # unique: see Meta (no LIKE-pattern index)
    name = models.CharField("姓名", max_length=50)
    id_number = models.CharField("证件号码", max_length=18, db_comment="aab004")
    id_kind = models.CharField("证件类型", max_length=20, choices=IdKind.choices, default=IdKind.RESIDENT_ID)
    disability_cert_number = models.CharField("残疾人证号", max_length=20, blank=True)
    sex = models.CharField("性别", max_length=1, choices=Sex.choices)
    birth_date = models.DateField("出生日期")
    relation = models.CharField("与户主关系", max_length=2, choices=Relation.choices, db_comment="aab006")
    ethnicity = models.CharField(
        "民族", max_length=2, choices=Ethnicity.choices, blank=True, db_comment="aab007"
    )
    political_status = models.CharField(
        "政治面貌", max_length=2, choices=PoliticalStatus.choices, blank=True, db_comment="aak033"
    )
    education = models.CharField(
        "文化程度", max_length=1, choices=Education.choices, blank=True, db_comment="aab008"
    )
    schooling = models.CharField(
        "在校生状况", max_length=2, choices=Schooling.choices, blank=True, db_comment="aab009"
    )
    dropout_reason = models.CharField("失学或辍学原因", max_length=50, blank=True)
    health = models.JSONField("健康状况", default=list, blank=True, db_comment="aab017")
    disability_category = models.CharField(
        "残疾类别", max_length=1, choices=DisabilityCategory.choices, blank=True
    )
    disability_grade = models.CharField("残疾等级", max_length=1, choices=DisabilityGrade.choices, blank=True)
    labour_skill = models.CharField(
        "劳动技能", max_length=1, choices=LabourSkill.choices, blank=True, db_comment="aab010"
    )
    migrant_months = models.PositiveSmallIntegerField("务工时间（月）", default=0, db_comment="aab012")
    migrant_place = models.CharField("务工所在地", max_length=100, blank=True, db_comment="aab025-aab028")
    speaks_mandarin = models.BooleanField("是否会讲普通话", null=True, blank=True, db_comment="aab065")
    basic_medical_insurance = models.BooleanField(
        "是否参加城乡居民基本医疗保险", null=True, blank=True, db_comment="aab013"
    )
    employee_medical_insurance = models.BooleanField("是否参加城镇职工基本医疗保险", null=True, blank=True)
    serious_illness_insurance = models.BooleanField(
        "是否参加大病保险", null=True, blank=True, db_comment="aab022"
    )
    commercial_medical_insurance = models.BooleanField(
        "是否参加商业补充医疗保险", null=True, blank=True, db_comment="aab067"
    )
    basic_pension_insurance = models.BooleanField(
        "是否参加城乡居民基本养老保险", null=True, blank=True, db_comment="aab014"
    )
    dibao = models.BooleanField("是否享受农村最低生活保障", default=False, db_comment="aab030")
    tekun = models.BooleanField("是否特困供养", default=False)
    accident_insurance = models.BooleanField(
        "是否享受人身意外保险补贴", null=True, blank=True, db_comment="aab066"
    )
    phone = models.CharField("联系电话", max_length=20, blank=True)
    joined_on = models.DateField("人员识别时间", null=True, blank=True)
    data_year = models.PositiveSmallIntegerField(
        "数据年度",
        null=True,
        blank=True,
        help_text="本行年度字段（在校生状况、健康状况、务工、保险等）所属的数据年度",
    )
    left_on = models.DateField("减少时间", null=True, blank=True)
    leave_reason = models.CharField("减少原因", max_length=20, choices=LeaveReason.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "家庭成员"
        verbose_name_plural = "家庭成员"
        constraints = [
            models.UniqueConstraint(fields=["person_number"], name="registry_member_person_number_unique"),
            models.UniqueConstraint(
                fields=["id_number"],
                condition=Q(left_on__isnull=True),
                name="registry_member_one_household",
                violation_error_message="此人已是另一户的成员，一人只能在一户",
            ),
            models.CheckConstraint(
                condition=Q(migrant_months__gte=0) & Q(migrant_months__lte=12),
                name="registry_member_months",
                violation_error_message="务工时间应为 0 到 12 个月",
            ),
        ]
        indexes = [models.Index(fields=["id_number"], name="registry_member_id")]

    def __str__(self) -> str:
        return f"{self.name}（{self.person_number}）"

    @property
    def active(self) -> bool:
        return self.left_on is None


class HouseholdYear(models.Model):
    """A household's income, expenses and production and living conditions for one data year (分区年度 aar040).

    Totals and the per-capita net income are derived (``income.compute``): net = wage + business +
    property + transfer − business expenses; per capita = net / household size that year.
    """

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="years", verbose_name="户", db_index=False
    )  # the (household, year) unique index serves lookups by household
    year = models.PositiveSmallIntegerField("数据年度", db_comment="aar040")
    household_size = models.PositiveSmallIntegerField("家庭人口数", db_comment="aac017")
    wage_income = models.DecimalField("工资性收入", **MONEY, db_comment="aac073")
    business_income = models.DecimalField("生产经营性收入", **MONEY, db_comment="aac071")
    business_expense = models.DecimalField("生产经营性支出", **MONEY, db_comment="aac074")
    dividend_income = models.DecimalField("资产收益分红型收入", **MONEY, db_comment="aac092")
    other_property_income = models.DecimalField("其他财产性收入", **MONEY, db_comment="aac093")
    family_planning_income = models.DecimalField("计划生育金", **MONEY, db_comment="aac076")
    dibao_income = models.DecimalField("低保金", **MONEY, db_comment="aac077")
    tekun_income = models.DecimalField("特困供养金", **MONEY, db_comment="aac086")
    pension_income = models.DecimalField("养老保险金", **MONEY, db_comment="aac087")
    eco_compensation_income = models.DecimalField("生态补偿金", **MONEY, db_comment="aac078")
    other_transfer_income = models.DecimalField("其他转移性收入", **MONEY, db_comment="aac083")
    property_income = models.DecimalField("财产性收入", **MONEY, editable=False, db_comment="aac072")
    transfer_income = models.DecimalField("转移性收入", **MONEY, editable=False)
    net_income = models.DecimalField("家庭纯收入", **MONEY, editable=False)
    per_capita_net_income = models.DecimalField("人均纯收入", **MONEY, editable=False)
    cultivated_land = models.DecimalField("耕地面积（亩）", **AREA, db_comment="aac301")
    irrigated_land = models.DecimalField("有效灌溉面积（亩）", **AREA)
    forest_land = models.DecimalField("林地面积（亩）", **AREA, db_comment="aac303")
    returned_farmland = models.DecimalField("退耕还林面积（亩）", **AREA, db_comment="aac304")
    orchard_land = models.DecimalField("林果面积（亩）", **AREA, db_comment="aac305")
    pasture_land = models.DecimalField("牧草地面积（亩）", **AREA, db_comment="aac306")
    water_surface = models.DecimalField("水面面积（亩）", **AREA, db_comment="aac307")
    in_cooperative = models.BooleanField("是否加入农民专业合作社", null=True, blank=True, db_comment="aac084")
    leading_enterprise = models.BooleanField("是否有龙头企业带动", null=True, blank=True, db_comment="aac088")
    entrepreneur_led = models.BooleanField(
        "是否有创业致富带头人带动", null=True, blank=True, db_comment="aac089"
    )
    production_power = models.BooleanField("是否通生产用电", null=True, blank=True, db_comment="aac308")
    living_power = models.BooleanField("是否通生活用电", null=True, blank=True, db_comment="aac313")
    broadcast_tv = models.BooleanField("是否通广播电视", null=True, blank=True, db_comment="aac314")
    road_distance_km = models.DecimalField("与村主干路距离（公里）", **AREA, db_comment="aac315")
    road_type = models.CharField(
        "入户路类型", max_length=1, choices=RoadType.choices, blank=True, db_comment="aac316"
    )
    housing_area = models.DecimalField("住房面积（平方米）", **AREA, db_comment="aac317")
    water_difficult = models.BooleanField("饮水是否困难", null=True, blank=True, db_comment="aac311")
    water_safe = models.BooleanField("是否解决安全饮用水", null=True, blank=True, db_comment="aac091")
    dangerous_house = models.BooleanField("是否危房户", null=True, blank=True, db_comment="aac318")
    housing_grade = models.CharField(
        "危房级别", max_length=1, choices=HousingGrade.choices, blank=True, db_comment="aac322"
    )
    # 两不愁三保障 and the four water indicators (domain.md §3.2, T/CHES 18-2018): Jingzhun's own screen/API
    # fields, not columns of the national exports (docs/policy.md); null means 未填写.
    food_secure = models.BooleanField("是否不愁吃", null=True, blank=True)
    clothing_secure = models.BooleanField("是否不愁穿", null=True, blank=True)
    water_quantity_ok = models.BooleanField("饮水水量是否达标", null=True, blank=True)
    water_quality_ok = models.BooleanField("饮水水质是否达标", null=True, blank=True)
    water_convenience_ok = models.BooleanField("用水方便程度是否达标", null=True, blank=True)
    water_reliability_ok = models.BooleanField("供水保证率是否达标", null=True, blank=True)
    renovation_year = models.PositiveSmallIntegerField(
        "危房改造竣工年度",
        null=True,
        blank=True,
        help_text="已完成危房改造（或改造后验收）的年度；未改造留空",
        validators=[
            MinValueValidator(1980, "危房改造竣工年度应在1980到2100之间"),
            MaxValueValidator(2100, "危房改造竣工年度应在1980到2100之间"),
        ],
    )
    sanitary_toilet = models.BooleanField("有无卫生厕所", null=True, blank=True, db_comment="aac319")
    fuel_type = models.CharField(
        "主要燃料类型", max_length=1, choices=FuelType.choices, blank=True, db_comment="aac320"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "年度收入与生产生活条件"
        verbose_name_plural = "年度收入与生产生活条件"
        constraints = [models.UniqueConstraint(fields=["household", "year"], name="registry_year_unique")]
        ordering = ["household", "-year"]

    def __str__(self) -> str:
        return f"{self.household_id} {self.year}年度"


# A member's values that the national system keeps per data year (分区年度), like the household's income.
# ``Member`` holds them for its ``data_year`` (the latest one imported); ``MemberYear`` for the other years.
MEMBER_YEARLY_FIELDS = (
    "education",
    "schooling",
    "dropout_reason",
    "health",
    "labour_skill",
    "migrant_months",
    "migrant_place",
    "speaks_mandarin",
    "basic_medical_insurance",
    "serious_illness_insurance",
    "commercial_medical_insurance",
    "basic_pension_insurance",
    "dibao",
    "tekun",
    "accident_insurance",
    "employee_medical_insurance",
)


class MemberYear(models.Model):
    """A member's yearly values for a data year other than the member's current ``data_year``.

    Written when a newer year's file arrives (the member's values of the year before are kept here) or an
    older year's file is imported; exports of that year read them, so each year's export comes back
    unchanged. The fields are the member's own (``MEMBER_YEARLY_FIELDS``), added below.
    """

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="years", verbose_name="成员", db_index=False
    )  # the (member, year) unique index serves lookups by member
    year = models.PositiveSmallIntegerField("数据年度", db_comment="aar040")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "成员年度信息"
        verbose_name_plural = "成员年度信息"
        constraints = [models.UniqueConstraint(fields=["member", "year"], name="registry_member_year_unique")]
        ordering = ["member", "-year"]

    def __str__(self) -> str:
        # The member's name when it is at hand (no query per row in bulk writes), else its id.
        cached = type(self).member.is_cached(self)
        return f"{self.member.name if cached else self.member_id} {self.year}年度"


for _name in MEMBER_YEARLY_FIELDS:
    _field = Member._meta.get_field(_name)
    assert isinstance(_field, models.Field)  # a column of Member, never a reverse relation
    _field.clone().contribute_to_class(MemberYear, _name)


class HouseholdExpense(Restricted):
    """A compliant rigid expense or loss of a household (合规自付支出, domain.md §4.2), for monitoring.

    ``amount`` is what counts: for medical costs the compliant self-pay after 基本医保, 大病保险 and 医疗救助
    (合规自付), which cannot exceed the total cost less the reimbursements when both are given.
    """

    region_paths = ("household__village__code",)

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="expenses", verbose_name="户", db_index=False
    )  # the (household, incurred_on) index serves lookups by household
    kind = models.CharField("支出类别", max_length=10, choices=ExpenseKind.choices)
    incurred_on = models.DateField("发生日期", help_text="支出或损失发生的日期（住院费用填出院结算日期）")
    amount = models.DecimalField(
        "计入金额（元）",
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text="计入刚性支出的金额；医疗为报销后的合规自付部分",
    )
    total_cost = models.DecimalField(
        "医疗总费用（元）",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="仅医疗：报销前的总费用",
    )
    reimbursed = models.DecimalField(
        "已报销金额（元）",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="仅医疗：基本医保、大病保险、医疗救助等已报销的合计",
    )
    source = models.CharField("数据来源", max_length=20, choices=RecordSource.choices)
    note = models.CharField("说明", max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "刚性支出"
        verbose_name_plural = "刚性支出"
        ordering = ["household", "-incurred_on", "-id"]
        indexes = [models.Index(fields=["household", "incurred_on"], name="registry_expense_hh")]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="registry_expense_amount",
                violation_error_message="计入金额不能为负数",
            ),
            models.CheckConstraint(
                condition=Q(total_cost__isnull=True)
                | Q(reimbursed__isnull=True)
                | Q(reimbursed__lte=F("total_cost")),
                name="registry_expense_reimbursed",
                violation_error_message="已报销金额不能大于医疗总费用",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} 元（{self.incurred_on:%Y-%m-%d}）"


class IncomeAssessment(Restricted):
    """A household's net income over a period (usually the 12 months before a monitoring application),
    entered at 入户核实 (domain.md §4.2). The per-capita figure is derived (``income.per_capita``)."""

    region_paths = ("household__village__code",)

    household = models.ForeignKey(
        Household,
        on_delete=models.CASCADE,
        related_name="income_assessments",
        verbose_name="户",
        db_index=False,
    )  # the unique (household, period_start, period_end) index serves lookups by household
    period_start = models.DateField("收入起始日期")
    period_end = models.DateField("收入截止日期")
    net_income = models.DecimalField("期间家庭纯收入（元）", max_digits=12, decimal_places=2)
    persons = models.PositiveSmallIntegerField(
        "计算人口数",
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text="收入期间的家庭人口数",
    )
    per_capita_income = models.DecimalField(
        "期间人均纯收入（元）", max_digits=12, decimal_places=2, editable=False
    )
    source = models.CharField("数据来源", max_length=20, choices=RecordSource.choices)
    note = models.CharField("说明", max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "收入核算"
        verbose_name_plural = "收入核算"
        ordering = ["household", "-period_end", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "period_start", "period_end"],
                name="registry_income_assessment_unique",
                violation_error_message="本户已有同一期间的收入核算，请修改原有记录",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="registry_income_period",
                violation_error_message="收入截止日期不能早于起始日期",
            ),
            models.CheckConstraint(
                condition=Q(persons__gte=1) & Q(persons__lte=99),
                name="registry_income_persons",
                violation_error_message="计算人口数应为 1 到 99",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.period_start:%Y-%m-%d}至{self.period_end:%Y-%m-%d}人均纯收入 {self.per_capita_income} 元"
        )


# The household's status: what a StatusEvent records of it (registry.services.status_event builds the rows).
STATUS_FIELDS = ("attribute", "poverty_status", "monitoring_type", "risk_elimination")


class StatusEvent(models.Model):
    """A change of a household's status on a date (append-only; domain.md §10.3).

    The household row holds the current status; these rows say what it was on any day, with the
    effective date (when the decision took effect), not the time it was typed in.
    """

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="status_events", db_index=False
    )  # the (household, effective_on) index serves lookups by household
    effective_on = models.DateField("生效日期")
    attribute = models.CharField("贫困户属性", max_length=2, choices=Attribute.choices)
    poverty_status = models.CharField("脱贫状态", max_length=1, choices=PovertyStatus.choices, blank=True)
    monitoring_type = models.CharField(
        "监测对象类型", max_length=1, choices=MonitoringType.choices, blank=True
    )
    risk_elimination = models.CharField(
        "风险是否消除", max_length=1, choices=RiskElimination.choices, blank=True
    )
    reason = models.CharField("原因", max_length=200, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "状态变更"
        verbose_name_plural = "状态变更"
        ordering = ["household", "effective_on", "id"]
        indexes = [models.Index(fields=["household", "effective_on"], name="registry_status_asof")]

    def __str__(self) -> str:
        return f"{self.household_id} {self.effective_on} {self.poverty_status}"


class ImportBatch(Restricted):
    """One run of an import: the file, who ran it, the policy chosen, and what happened."""

    region_paths = ("region__code",)

    class Policy(models.TextChoices):
        ALL_OR_NOTHING = "all", "全部正确才导入"
        VALID_ONLY = "valid", "导入正确的户，报告错误的户"

    class State(models.TextChoices):
        RUNNING = "running", "进行中"
        COMMITTED = "committed", "已导入"
        REJECTED = "rejected", "有错误，未导入"
        PARTIAL = "partial", "部分导入"
        FAILED = "failed", "失败"

    id = models.CharField(primary_key=True, max_length=32)
    file_name = models.CharField("文件名", max_length=255)
    file_sha256 = models.CharField(max_length=64)
    user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user_name = models.CharField("操作人", max_length=150)
    region = models.ForeignKey(
        "regions.Region",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="导入者的辖区；只有该辖区内的人能看到这个批次",
    )
    policy = models.CharField("导入方式", max_length=10, choices=Policy.choices)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.RUNNING)
    progress = models.PositiveSmallIntegerField("进度", default=0)
    stage = models.CharField("阶段", max_length=50, blank=True)
    rows_total = models.PositiveIntegerField("总行数", default=0)
    rows_rejected = models.PositiveIntegerField("错误行数", default=0)
    households_created = models.PositiveIntegerField(default=0)
    households_updated = models.PositiveIntegerField(default=0)
    households_unchanged = models.PositiveIntegerField(default=0)
    households_rejected = models.PositiveIntegerField(default=0)
    members_created = models.PositiveIntegerField(default=0)
    members_updated = models.PositiveIntegerField(default=0)
    members_left = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors_preview = models.JSONField(default=list, blank=True)
    error_report = models.CharField("错误报告", max_length=255, blank=True)
    # The national logic checks (逻辑校验) that found something but do not refuse the row (registry.logic).
    warning_count = models.PositiveIntegerField("校验提示数", default=0)
    warnings_preview = models.JSONField(default=list, blank=True)
    warning_summary = models.JSONField("各校验项提示数", default=list, blank=True)
    message = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "导入批次"
        verbose_name_plural = "导入批次"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_state_display()})"
