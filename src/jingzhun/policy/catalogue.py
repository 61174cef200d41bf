"""The catalogue of policy parameters: every number the rules use, with its Chinese name and unit.

A parameter's value lives in the database (``models.Parameter``), per region and per year or date range,
with the document that set it; this module only says which keys exist and what they mean. Keys are stable
strings: procedures store them in their snapshots (domain.md §2.2, §3.1–3.4, §4.2, §4.3, §4.6, §4.7).
"""

from __future__ import annotations

from dataclasses import dataclass

from jingzhun.core.errors import ValidationFailed

POVERTY_LINE = "poverty_line"
MONITORING_LINE = "monitoring_line"
MONITORING_INCOME_MONTHS = "monitoring_income_months"
NOTICE_DAYS_IDENTIFICATION = "notice_days_identification"
NOTICE_DAYS_EXIT = "notice_days_exit"
NOTICE_DAYS_RETURN = "notice_days_return"
NOTICE_DAYS_MONITORING = "notice_days_monitoring"
NOTICE_DAYS_ELIMINATION = "notice_days_elimination"
DECISION_DEADLINE_DAYS = "decision_deadline_days"
ELIMINATION_STABLE_MONTHS = "elimination_stable_months"
VILLAGE_EXIT_MAX_INCIDENCE = "village_exit_max_incidence"
COUNTY_EXIT_MAX_INCIDENCE = "county_exit_max_incidence"
COUNTY_EXIT_MAX_WRONG_EXIT_RATE = "county_exit_max_wrong_exit_rate"
COUNTY_EXIT_MAX_MISSED_RATE = "county_exit_max_missed_rate"
COUNTY_EXIT_MIN_APPROVAL = "county_exit_min_approval"
MEDICAL_SELF_PAY_TRIGGER = "medical_self_pay_trigger"
SUDDEN_HARDSHIP_EXPENSE_SHARE = "sudden_hardship_expense_share"
SUDDEN_HARDSHIP_EXPENSE_AMOUNT = "sudden_hardship_expense_amount"
RURAL_DISPOSABLE_INCOME = "rural_disposable_income"
COMPULSORY_SCHOOL_AGE_FROM = "compulsory_school_age_from"
COMPULSORY_SCHOOL_AGE_TO = "compulsory_school_age_to"
MEDICAL_REQUIRES_SERIOUS_ILLNESS = "medical_requires_serious_illness"
# Poor villages (贫困村): identification "一高一低一无" (§2.1) and exit items (§3.3).
POOR_VILLAGE_INCIDENCE_FACTOR = "poor_village_incidence_factor"
POOR_VILLAGE_INCOME_SHARE = "poor_village_income_share"
PROVINCE_POVERTY_INCIDENCE = "province_poverty_incidence"
PROVINCE_RURAL_INCOME = "province_rural_income"
VILLAGE_EXIT_REQUIRE_ROAD = "village_exit_require_road"
VILLAGE_EXIT_MIN_WATER_COVERAGE = "village_exit_min_water_coverage"
VILLAGE_EXIT_REQUIRE_POWER = "village_exit_require_power"
VILLAGE_EXIT_REQUIRE_CLINIC = "village_exit_require_clinic"
VILLAGE_EXIT_REQUIRE_BROADBAND = "village_exit_require_broadband"
VILLAGE_EXIT_REQUIRE_RADIO_TV = "village_exit_require_radio_tv"
VILLAGE_EXIT_MIN_COLLECTIVE_INCOME = "village_exit_min_collective_income"
NOTICE_DAYS_VILLAGE_EXIT = "notice_days_village_exit"

YUAN_PER_PERSON_YEAR = "元/人·年"
DAYS = "天"
MONTHS = "个月"
RATIO = "比例"
YUAN_PER_YEAR = "元/年"
AGE_YEARS = "周岁"
SWITCH = "是/否"
TIMES = "倍"


@dataclass(frozen=True)
class Key:
    """One parameter key. ``yearly`` keys hold one value per (income) year; the others are dated
    (effective_from … effective_to). ``integer`` values are counts of days or months; ``ratio`` values lie
    in [0, 1] (0.02 = 2%)."""

    key: str
    name: str
    unit: str
    description: str
    yearly: bool = False
    integer: bool = False
    ratio: bool = False
    switch: bool = False  # a policy choice stored as 1 (yes) or 0 (no)
    regional: bool = False  # a province's own figure: no national default is shipped

    def format(self, value: object) -> str:
        """The value as users read it: 2,855 元/人·年, 7 天, 2%."""
        from decimal import Decimal

        number = Decimal(str(value))
        if self.switch:
            return "是" if number else "否"
        if self.ratio:
            return f"{(number * 100).normalize():f}%"
        text = f"{number.normalize():,f}" if not self.integer else f"{int(number)}"
        return f"{text} {self.unit}"


KEYS: tuple[Key, ...] = (
    Key(
        POVERTY_LINE,
        "国家扶贫标准（贫困线）",
        YUAN_PER_PERSON_YEAR,
        "该年度人均纯收入的贫困线（2010年不变价2300元的当年现价），识别、退出、返贫按此比较（§3.1）",
        yearly=True,
    ),
    Key(
        MONITORING_LINE,
        "防止返贫监测范围（上限）",
        YUAN_PER_PERSON_YEAR,
        "该年度监测范围的上限：人均纯收入不高于此值的脱贫户、一般农户可纳入监测（§4.3）",
        yearly=True,
    ),
    Key(
        MONITORING_INCOME_MONTHS,
        "监测收入计算月数",
        MONTHS,
        "识别监测对象时看申请前多少个月的收入（§4.2）",
        integer=True,
    ),
    Key(
        NOTICE_DAYS_IDENTIFICATION,
        "贫困户识别公示天数",
        DAYS,
        "识别程序中每次村内公示的天数（§2.2）",
        integer=True,
    ),
    Key(NOTICE_DAYS_EXIT, "脱贫退出公示天数", DAYS, "贫困户退出村内公示的天数（§3.2）", integer=True),
    Key(NOTICE_DAYS_RETURN, "返贫认定公示天数", DAYS, "返贫认定村内公示的天数（§2.2）", integer=True),
    Key(
        NOTICE_DAYS_MONITORING,
        "监测对象识别公示天数",
        DAYS,
        "监测对象识别村内公示的天数，不少于5天（§4.6）",
        integer=True,
    ),
    Key(NOTICE_DAYS_ELIMINATION, "风险消除公示天数", DAYS, "风险消除村内公示的天数（§4.7）", integer=True),
    Key(DECISION_DEADLINE_DAYS, "监测识别办结时限", DAYS, "从发现到县级审批的最长天数（§4.6）", integer=True),
    Key(
        ELIMINATION_STABLE_MONTHS,
        "风险消除收入稳定月数",
        MONTHS,
        "收入稳定超过监测范围至少多少个月才可标注风险消除（§4.7）",
        integer=True,
    ),
    Key(
        VILLAGE_EXIT_MAX_INCIDENCE,
        "贫困村退出贫困发生率上限",
        RATIO,
        "贫困村出列时贫困发生率应低于此值（§3.3）",
        ratio=True,
    ),
    Key(
        COUNTY_EXIT_MAX_INCIDENCE,
        "贫困县退出综合贫困发生率上限",
        RATIO,
        "贫困县摘帽时综合贫困发生率应低于此值（§3.4）",
        ratio=True,
    ),
    Key(
        COUNTY_EXIT_MAX_WRONG_EXIT_RATE, "贫困县退出错退率上限", RATIO, "错退率应低于此值（§3.4）", ratio=True
    ),
    Key(COUNTY_EXIT_MAX_MISSED_RATE, "贫困县退出漏评率上限", RATIO, "漏评率应低于此值（§3.4）", ratio=True),
    Key(
        COUNTY_EXIT_MIN_APPROVAL,
        "贫困县退出群众认可度下限",
        RATIO,
        "群众认可度不低于此值（§3.4）",
        ratio=True,
    ),
    Key(
        MEDICAL_SELF_PAY_TRIGGER,
        "医疗自付预警线",
        YUAN_PER_YEAR,
        "年度合规医疗自付费用超过此值时推送预警（§4.2、§5.1；各地不同，默认值待确认）",
    ),
    Key(
        SUDDEN_HARDSHIP_EXPENSE_SHARE,
        "突发严重困难：刚性支出占家庭纯收入比例",
        RATIO,
        "识别突发严重困难户：人均收入低于上年农村居民人均可支配收入，且申请前规定月数的合规刚性支出超过家庭纯收入的"
        "此比例时，视为基本生活严重困难（§4.2、§4.9、§5.1；各地不同，默认值待确认）",
        ratio=True,
    ),
    Key(
        SUDDEN_HARDSHIP_EXPENSE_AMOUNT,
        "突发严重困难：刚性支出金额线",
        YUAN_PER_YEAR,
        "识别突发严重困难户：人均收入低于上年农村居民人均可支配收入，且申请前规定月数的合规刚性支出超过此金额时，"
        "视为基本生活严重困难（§5.1；各地不同，默认值待确认）",
    ),
    Key(
        RURAL_DISPOSABLE_INCOME,
        "农村居民人均可支配收入",
        YUAN_PER_PERSON_YEAR,
        "该年度本地农村居民人均可支配收入；识别突发严重困难户时与上年数值比较（§4.9 民政刚性支出困难）",
        yearly=True,
    ),
    Key(
        COMPULSORY_SCHOOL_AGE_FROM,
        "义务教育适龄起始年龄",
        AGE_YEARS,
        "年满此周岁的成员起算义务教育阶段，须在校（§3.2；义务教育法第十一条：年满六周岁）",
        integer=True,
    ),
    Key(
        COMPULSORY_SCHOOL_AGE_TO,
        "义务教育适龄截止年龄",
        AGE_YEARS,
        "不超过此周岁的成员仍在义务教育阶段（§3.2；九年义务教育，6—15周岁）",
        integer=True,
    ),
    Key(
        MEDICAL_REQUIRES_SERIOUS_ILLNESS,
        "基本医疗保障是否要求大病保险",
        SWITCH,
        "1：每名参加城乡居民医保的成员还须登记参加大病保险；0：参加城乡居民医保即视为已覆盖大病保险"
        "（国办发〔2015〕57号：大病保险覆盖所有城乡居民基本医保参保人）",
        integer=True,
        switch=True,
    ),
    Key(
        POOR_VILLAGE_INCIDENCE_FACTOR,
        "贫困村识别：贫困发生率高于全省的倍数",
        TIMES,
        "“一高”：村贫困发生率达到全省贫困发生率的此倍数以上（高于全省一倍以上 = 2倍，§2.1）",
    ),
    Key(
        POOR_VILLAGE_INCOME_SHARE,
        "贫困村识别：人均纯收入低于全省平均的比例",
        RATIO,
        "“一低”：村农民人均纯收入低于全省平均水平的此比例（60%，§2.1）",
        ratio=True,
    ),
    Key(
        PROVINCE_POVERTY_INCIDENCE,
        "全省农村贫困发生率",
        RATIO,
        "该年度本省农村贫困发生率，贫困村识别（“一高”）和评估抽样分层与之比较；按省填写（§2.1）",
        yearly=True,
        ratio=True,
        regional=True,
    ),
    Key(
        PROVINCE_RURAL_INCOME,
        "全省农民人均纯收入",
        YUAN_PER_PERSON_YEAR,
        "该年度本省农民人均纯收入，贫困村识别（“一低”）与之比较；按省填写（§2.1）",
        yearly=True,
        regional=True,
    ),
    Key(
        VILLAGE_EXIT_REQUIRE_ROAD,
        "贫困村退出：要求通硬化路",
        SWITCH,
        "贫困村出列须通硬化路（§3.3，省定标准）",
        integer=True,
        switch=True,
    ),
    Key(
        VILLAGE_EXIT_MIN_WATER_COVERAGE,
        "贫困村退出：安全饮水覆盖率下限",
        RATIO,
        "贫困村出列时安全饮水覆盖率不低于此值（§3.3，省定标准）",
        ratio=True,
    ),
    Key(
        VILLAGE_EXIT_REQUIRE_POWER,
        "贫困村退出：要求通动力电",
        SWITCH,
        "贫困村出列须通动力电（§3.3，省定标准）",
        integer=True,
        switch=True,
    ),
    Key(
        VILLAGE_EXIT_REQUIRE_CLINIC,
        "贫困村退出：要求标准化卫生室和合格村医",
        SWITCH,
        "贫困村出列须有标准化卫生室和合格村医（§3.3，省定标准）",
        integer=True,
        switch=True,
    ),
    Key(
        VILLAGE_EXIT_REQUIRE_BROADBAND,
        "贫困村退出：要求通宽带",
        SWITCH,
        "贫困村出列须通宽带（§3.3，省定标准）",
        integer=True,
        switch=True,
    ),
    Key(
        VILLAGE_EXIT_REQUIRE_RADIO_TV,
        "贫困村退出：要求通广播电视",
        SWITCH,
        "贫困村出列须通广播电视（§3.3，部分省份的标准）",
        integer=True,
        switch=True,
    ),
    Key(
        VILLAGE_EXIT_MIN_COLLECTIVE_INCOME,
        "贫困村退出：村集体经济收入下限",
        YUAN_PER_YEAR,
        "贫困村出列时村集体经济年收入不低于此值（§3.3，省定标准）",
    ),
    Key(
        NOTICE_DAYS_VILLAGE_EXIT,
        "贫困村退出公示天数",
        DAYS,
        "贫困村退出公示公告的天数（§2.2、§3.3）",
        integer=True,
    ),
)
CATALOGUE: dict[str, Key] = {k.key: k for k in KEYS}
CHOICES: list[tuple[str, str]] = [(k.key, k.name) for k in KEYS]


def get(key: str) -> Key:
    """The catalogue entry for ``key``; an unknown key is a user error, named in Chinese."""
    try:
        return CATALOGUE[key]
    except KeyError:
        raise ValidationFailed(f"未知的政策参数：{key}", {"key": [f"未知的参数：{key}"]}) from None
