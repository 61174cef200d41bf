"""Criteria with explanations: does a household, village or county meet a standard, and why (not)?

Every criterion says in Chinese the rule, the threshold used (with its document), the value found and
whether it passed, so a decision can be explained later from its stored ``as_json()`` alone. The numbers
come from ``selectors`` (policy parameters), the facts from the register (domain.md §1.2, §1.3, §1.5,
§3.2–3.4, §4.2, §4.3, §4.7).

Decisions taken here (see docs/policy.md):
* "稳定超过" (exit, elimination) is strict: income exactly at the line does NOT pass; identification and
  return need income strictly below the line; monitoring allows "at or below" the range's upper bound.
* Income of identification, exit and return is the data year before the decision year; monitoring and
  elimination use the income assessment of the 12 months before the decision (入户核实), else the latest
  data year up to the decision year, and the criterion says so.
* Monitoring judges the type applied for with the four factors (收入, 合规自付支出, 突出困难问题, 自主应对能力);
  elimination counts the stable months from when income rose above the range (docs/policy.md).
* A yes/no fact the register does not hold (insurance, 两不愁, a water indicator) fails as "未填写": it must be
  verified. The exit and elimination guarantees are 两不愁 + 义务教育 + 基本医疗 + 住房 + 饮水 (the four water
  indicators of T/CHES 18-2018; the national yes/no water fields are shown, never converted).
* 帮扶消除 needs an implemented assistance measure in the monitoring period; 自然消除 does not.
* Labour capacity means a member coded 普通劳动力 or 技能劳动力 (``CAPABLE_LABOUR``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from jingzhun.assistance.models import Measure
from jingzhun.core.errors import ValidationFailed
from jingzhun.policy import catalogue as c
from jingzhun.policy.selectors import ParameterMissing, Resolved, Resolver, candidate_prefixes
from jingzhun.regions.choices import Level
from jingzhun.regions.models import Region
from jingzhun.registry.choices import (
    HousingGrade,
    LabourSkill,
    MonitoringType,
    PovertyStatus,
    RiskElimination,
    RiskType,
    Schooling,
)
from jingzhun.registry.income import per_capita
from jingzhun.registry.models import (
    Household,
    HouseholdExpense,
    HouseholdYear,
    IncomeAssessment,
    Member,
)
from jingzhun.villages.models import VillageYear

PURPOSES = {
    "identification": "贫困户识别",
    "exit": "贫困户脱贫退出",
    "return": "返贫认定",
    "monitoring": "监测对象识别",
    "elimination": "监测对象风险消除",
}
REGION_PURPOSES = {
    "village_identification": "贫困村识别（一高一低一无）",
    "village_exit": "贫困村退出",
    "county_exit": "贫困县退出",
}
CAPABLE_LABOUR = frozenset({LabourSkill.ORDINARY, LabourSkill.SKILLED})
UNSAFE_GRADES = frozenset({HousingGrade.C, HousingGrade.D})
REGISTERED_POOR = frozenset({PovertyStatus.NOT_EXITED, PovertyStatus.RETURNED})
EXITED = frozenset({PovertyStatus.EXITED_ENJOYING, PovertyStatus.EXITED_NOT_ENJOYING})


@dataclass(frozen=True)
class Criterion:
    """One condition checked. ``required`` is False for facts shown for reference only (the guarantees
    at identification): they do not decide ``Evaluation.passed``."""

    code: str
    name: str
    rule: str
    threshold: str
    value: str
    passed: bool
    parameter: Resolved | None = None
    note: str = ""
    required: bool = True

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "rule": self.rule,
            "threshold": self.threshold,
            "value": self.value,
            "passed": self.passed,
            "required": self.required,
            "note": self.note,
            "parameter": self.parameter.as_json() if self.parameter else None,
        }


@dataclass
class Evaluation:
    purpose: str
    subject: str
    on: dt.date
    criteria: list[Criterion] = field(default_factory=list)
    # County exit: the survey the rates come from, and each rate's numerator and denominator.
    survey: dict[str, Any] | None = None
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """All required criteria passed (reference-only criteria do not count)."""
        return all(x.passed for x in self.criteria if x.required)

    @property
    def purpose_name(self) -> str:
        return PURPOSES.get(self.purpose, REGION_PURPOSES.get(self.purpose, self.purpose))

    @property
    def failed(self) -> list[Criterion]:
        return [x for x in self.criteria if x.required and not x.passed]

    def as_json(self) -> dict[str, Any]:
        data = {
            "purpose": self.purpose,
            "purpose_name": self.purpose_name,
            "subject": self.subject,
            "on": self.on.isoformat(),
            "passed": self.passed,
            "criteria": [x.as_json() for x in self.criteria],
        }
        if self.survey is not None or self.figures:
            data |= {"survey": self.survey, "figures": self.figures}
        return data

    def summary_zh(self) -> str:
        head = f"{self.subject}，{self.on:%Y年%m月%d日}{self.purpose_name}条件"
        if self.passed:
            return f"{head}：全部满足（{sum(x.required for x in self.criteria)}项）"
        return f"{head}：不满足（{'、'.join(x.name for x in self.failed)}）"


# --------------------------------------------------------------------------------------------------
# Formatting


def money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')).normalize():,f}"


def percent(value: Decimal) -> str:
    return f"{(value * 100).quantize(Decimal('0.01')).normalize():f}%"


def source(p: Resolved) -> str:
    """Where a number comes from: "2015年度，全国，《…》（待确认）"."""
    when = (
        f"{p.year}年度"
        if p.year is not None
        else f"自{p.effective_from:%Y-%m-%d}起"
        if p.effective_from
        else ""
    )
    where = "全国" if not p.region_prefix else f"区划{p.region_prefix}"
    flag = "，待确认" if p.unconfirmed else ""
    return f"{when}，{where}，{p.document}{flag}"


def _missing(code: str, name: str, rule: str, exc: ParameterMissing) -> Criterion:
    return Criterion(
        code=code, name=name, rule=rule, threshold="未设置", value="—", passed=False, note=exc.message
    )


# --------------------------------------------------------------------------------------------------
# Household facts


@dataclass
class Facts:
    """What the register says about a household on a day: its members then and its data years."""

    household: Household
    on: dt.date
    members: list[Member]
    years: dict[int, HouseholdYear]
    # Monitoring evidence, loaded on first use by the monitoring criteria (one query each).
    assessments: list[PeriodIncome] | None = None
    expenses: list[HouseholdExpense] | None = None

    @classmethod
    def load(cls, household: Household, on: dt.date) -> Facts:
        members = [
            m
            for m in household.members.all()
            if (m.left_on is None or m.left_on > on) and (m.joined_on is None or m.joined_on <= on)
        ]
        years = {y.year: y for y in HouseholdYear.objects.filter(household=household)}
        return cls(household=household, on=on, members=members, years=years)

    def year_for(self, purpose: str) -> tuple[HouseholdYear | None, str]:
        """The data year the income criterion reads, and a note when it is not the expected one."""
        if purpose in ("identification", "exit", "return"):
            wanted = self.on.year - 1
            if wanted in self.years:
                return self.years[wanted], ""
            earlier = [y for y in self.years if y < wanted]
            if earlier:
                y = max(earlier)
                return self.years[y], f"没有{wanted}年度数据，采用最近的{y}年度数据"
            return None, f"没有{wanted}年度及以前的收入数据"
        usable = [y for y in self.years if y <= self.on.year]
        if not usable:
            return None, f"没有{self.on.year}年度及以前的收入数据"
        y = max(usable)
        return self.years[y], f"登记系统为年度数据：采用最近的{y}年度人均纯收入，代替按月计算的收入"


def age_on(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# --------------------------------------------------------------------------------------------------
# Income


def _income(facts: Facts, purpose: str, resolver: Resolver, applied: str = "") -> Criterion:
    code = "income"
    if purpose in ("identification", "exit", "return"):
        record, note = facts.year_for(purpose)
        return _income_vs_poverty_line(facts, purpose, record, note, resolver)
    sudden = purpose == "monitoring" and applied == MonitoringType.SUDDEN_HARDSHIP
    rule = (
        "申请前规定月数的人均纯收入不高于当年监测范围上限"
        if purpose == "monitoring"
        else "人均纯收入稳定超过当年监测范围（高于上限）"
    )
    if sudden:
        rule = "突发严重困难户：收入可高于监测范围，由合规自付支出判断（仅供参考）"
    try:
        line = _monitoring_line(facts, resolver)
        period, note = period_income(facts, resolver)
    except ParameterMissing as exc:
        return _missing(code, "收入", rule, exc)
    if period is None:
        return Criterion(
            code,
            "收入",
            rule,
            _line_text(line, purpose),
            "无收入数据",
            False,
            line,
            note,
            required=not sudden,
        )
    value = f"{money(period.per_capita)} 元/人·年（{period.label}）"
    passed = period.per_capita <= line.value if purpose == "monitoring" else period.per_capita > line.value
    return Criterion(
        code, "收入", rule, _line_text(line, purpose), value, passed, line, note, required=not sudden
    )


def _line_text(line: Resolved, purpose: str) -> str:
    sign = {"identification": "<", "return": "<", "exit": ">", "monitoring": "≤", "elimination": ">"}[purpose]
    return f"{sign} {money(line.value)} {line.unit}（{source(line)}）"


def _income_vs_poverty_line(
    facts: Facts, purpose: str, record: HouseholdYear | None, note: str, resolver: Resolver
) -> Criterion:
    below = purpose != "exit"
    rule = (
        "上年度人均纯收入低于当年国家扶贫标准"
        if below
        else "上年度人均纯收入稳定超过当年国家扶贫标准（恰好等于标准不算超过）"
    )
    if record is None:
        return Criterion("income", "收入", rule, "—", "无收入数据", False, None, note)
    try:
        line = resolver.resolve(c.POVERTY_LINE, region_code=facts.household.village_id, year=record.year)
    except ParameterMissing as exc:
        return _missing("income", "收入", rule, exc)
    income = record.per_capita_net_income
    passed = income < line.value if below else income > line.value
    value = f"{money(income)} 元/人·年（{record.year}年度数据）"
    return Criterion("income", "收入", rule, _line_text(line, purpose), value, passed, line, note)


# --------------------------------------------------------------------------------------------------
# 两不愁三保障 and safe water


def _yes_no(value: bool | None, yes: str, no: str) -> str:
    return yes if value is True else no if value is False else "未填写，须核实"


def _food_clothing(record: HouseholdYear | None, required: bool) -> Criterion:
    """两不愁 (§3.2): the household does not worry about food and clothing, as recorded for the data year."""
    rule = "吃穿不愁：不愁吃、不愁穿（两不愁，§3.2）"
    threshold = "不愁吃＝是，且不愁穿＝是"
    if record is None:
        return Criterion(
            "food_clothing", "不愁吃、不愁穿", rule, threshold, "无年度数据", False, required=required
        )
    items = [("不愁吃", record.food_secure), ("不愁穿", record.clothing_secure)]
    value = "；".join(f"{name}：{_yes_no(v, '是', '否')}" for name, v in items) + f"（{record.year}年度数据）"
    passed = all(v is True for _, v in items)
    return Criterion("food_clothing", "不愁吃、不愁穿", rule, threshold, value, passed, required=required)


# 失学或辍学原因 that still count as receiving compulsory education: 送教上门 for children with severe
# disabilities (the 在校生状况 list has no code for it; docs/policy.md, 待确认).
SCHOOLING_AT_HOME = ("送教上门",)
NOT_A_PUPIL = frozenset({"", Schooling.PRESCHOOL_CHILD})


def _school_ages(facts: Facts, resolver: Resolver) -> tuple[Resolved, Resolved]:
    where = facts.household.village_id
    return (
        resolver.resolve(c.COMPULSORY_SCHOOL_AGE_FROM, region_code=where, on=facts.on),
        resolver.resolve(c.COMPULSORY_SCHOOL_AGE_TO, region_code=where, on=facts.on),
    )


def _education(facts: Facts, required: bool, resolver: Resolver) -> Criterion:
    name = "义务教育保障"
    try:
        low_p, high_p = _school_ages(facts, resolver)
    except ParameterMissing as exc:
        return replace(_missing("education", name, "义务教育阶段适龄成员都在校", exc), required=required)
    low, high = int(low_p.value), int(high_p.value)
    children = [m for m in facts.members if low <= age_on(m.birth_date, facts.on) <= high]
    out = [m for m in children if _out_of_school(m)]
    rule = (
        f"{low}—{high}周岁义务教育阶段成员都在校（在校生状况为在读年级，无失学、辍学）；"
        "学龄前儿童（未入学）视为未在校；重度残疾儿童送教上门视为在校"
    )
    if out:
        value = "、".join(f"{m.name}（{age_on(m.birth_date, facts.on)}岁，{_out_of_school(m)}）" for m in out)
    else:
        value = f"{len(children)}名适龄成员均在校" if children else "无义务教育阶段适龄成员"
    threshold = f"失学辍学人数 = 0（适龄：{source(low_p)}；截止：{source(high_p)}）"
    note = "在校生状况为成员当前数据年度的登记值"
    return Criterion("education", name, rule, threshold, value, not out, low_p, note, required=required)


def _out_of_school(member: Member) -> str:
    """Why a member of compulsory age is not receiving compulsory education ('' if they are)."""
    reason = member.dropout_reason.strip()
    if any(word in reason for word in SCHOOLING_AT_HOME):
        return ""
    if reason:
        return f"失学或辍学：{reason}"
    if member.schooling in NOT_A_PUPIL:
        return "学龄前儿童，未入学" if member.schooling else "非在校生"
    return ""


def _medical(facts: Facts, required: bool, resolver: Resolver) -> Criterion:
    name = "基本医疗保障"
    rule = (
        "每名在册成员都参加基本医疗保险（城乡居民基本医疗保险或城镇职工基本医疗保险）；"
        "参加城乡居民医保的成员按政策参数还须参加大病保险"
    )
    try:
        switch = resolver.resolve(
            c.MEDICAL_REQUIRES_SERIOUS_ILLNESS, region_code=facts.household.village_id, on=facts.on
        )
    except ParameterMissing as exc:
        return replace(_missing("medical", name, rule, exc), required=required)
    need_serious = bool(switch.value)
    problems = [(m, p) for m in facts.members if (p := _medical_problem(m, need_serious))]
    value = (
        "、".join(f"{m.name}（{p}）" for m, p in problems)
        if problems
        else f"{len(facts.members)}名成员均已参保"
    )
    serious = "须登记参加大病保险" if need_serious else "随城乡居民医保覆盖，不另行核对"
    threshold = f"未参保人数 = 0（大病保险：{serious}；{source(switch)}）"
    note = "" if need_serious else "国办发〔2015〕57号：大病保险覆盖所有城乡居民基本医保参保人"
    return Criterion("medical", name, rule, threshold, value, not problems, switch, note, required=required)


def _medical_problem(member: Member, need_serious: bool) -> str:
    if member.employee_medical_insurance is True:
        return ""  # employees' insurance has its own large-expense cover (职工大额医疗费用补助)
    if member.basic_medical_insurance is not True:
        unfilled = member.basic_medical_insurance is None and member.employee_medical_insurance is None
        return "未填写是否参加基本医疗保险，须核实" if unfilled else "未参加基本医疗保险"
    if need_serious and member.serious_illness_insurance is not True:
        return (
            "未填写是否参加大病保险，须核实" if member.serious_illness_insurance is None else "未参加大病保险"
        )
    return ""


def _renovation(facts: Facts, record: HouseholdYear) -> int | None:
    """The latest completed 危房改造 recorded in a data year up to the decision, done in the grade's data year
    or later (an older renovation does not outweigh a later grading) and not after the decision year."""
    years = [
        y.renovation_year
        for y in facts.years.values()
        if y.year <= facts.on.year and y.renovation_year is not None
    ]
    done = [y for y in years if record.year <= y <= facts.on.year]
    return max(done) if done else None


def _housing(facts: Facts, record: HouseholdYear | None, required: bool) -> Criterion:
    rule = "住房安全：鉴定为A级或B级（不是C级局部危房、D级整幢危房），或已完成危房改造（§1.5）"
    threshold = "A级、B级、非危房，或危房改造已竣工（不晚于决定年度）"
    if record is None:
        return Criterion("housing", "住房安全保障", rule, threshold, "无年度数据", False, required=required)
    unsafe = record.housing_grade in UNSAFE_GRADES or (
        record.dangerous_house is True and not record.housing_grade
    )
    grade = (
        record.get_housing_grade_display()
        if record.housing_grade
        else ("危房（未定级）" if unsafe else "非危房")
    )
    value = f"{grade}（{record.year}年度数据）"
    renovated = _renovation(facts, record)
    note = ""
    if unsafe and renovated is not None:
        value += f"；{renovated}年已完成危房改造"
    elif unsafe:
        later = sorted({y.renovation_year for y in facts.years.values() if y.renovation_year is not None})
        if later:
            note = (
                "登记的危房改造竣工年度"
                + "、".join(map(str, later))
                + f"不在{record.year}—{facts.on.year}年之间（早于危房鉴定或晚于决定年度），不予认可"
            )
    passed = not unsafe or renovated is not None
    return Criterion("housing", "住房安全保障", rule, threshold, value, passed, note=note, required=required)


# The four indicators of 《农村饮水安全评价准则》(T/CHES 18-2018) and what 达标 means (docs/policy.md).
WATER_INDICATORS: tuple[tuple[str, str, str], ...] = (
    ("water_quantity_ok", "水量", "每人每天可获得的水量：丰水地区不低于35升，缺水地区不低于20升"),
    (
        "water_quality_ok",
        "水质",
        "符合生活饮用水卫生标准（GB 5749）：以水质检测报告为准，分散供水户可现场评价",
    ),
    (
        "water_convenience_ok",
        "用水方便程度",
        "供水入户，或人力取水往返不超过20分钟，或水平距离不超过800米、垂直距离不超过80米（一说100米，待确认）",
    ),
    (
        "water_reliability_ok",
        "供水保证率",
        "一年内停水断水累计不超过36天（保证率约90%；缺水地区不低于90%，其他地区不低于95%）",
    ),
)


def _water(record: HouseholdYear | None, required: bool) -> Criterion:
    rule = (
        "饮水安全：水量、水质、用水方便程度、供水保证率四项指标全部达标（含基本达标），"
        "《农村饮水安全评价准则》T/CHES 18-2018：" + "；".join(f"{n}：{t}" for _, n, t in WATER_INDICATORS)
    )
    threshold = "四项指标均为达标"
    if record is None:
        return Criterion("water", "饮水安全", rule, threshold, "无年度数据", False, required=required)
    values = {key: getattr(record, key) for key, _, _ in WATER_INDICATORS}
    parts = [f"{n}{_yes_no(values[key], '达标', '不达标')}" for key, n, _ in WATER_INDICATORS]
    passed = all(v is True for v in values.values())
    legacy = _legacy_water(record)
    note = ""
    if all(v is None for v in values.values()) and legacy:
        note = f"只有旧字段（{legacy}），不能代替四项指标：须入户核实并填写四项指标"
    elif passed and (record.water_safe is False or record.water_difficult is True):
        passed = False
        note = f"四项指标均达标，但旧字段为（{legacy}），前后不一致，须核实"
    value = "；".join(parts) + (f"；旧字段：{legacy}" if legacy else "") + f"（{record.year}年度数据）"
    return Criterion("water", "饮水安全", rule, threshold, value, passed, note=note, required=required)


def _legacy_water(record: HouseholdYear) -> str:
    """The two yes/no fields of the national forms (aac091, aac311), shown as they are, never converted."""
    parts = []
    if record.water_safe is not None:
        parts.append("已解决安全饮用水" if record.water_safe else "未解决安全饮用水")
    if record.water_difficult is not None:
        parts.append("饮水困难" if record.water_difficult else "饮水不困难")
    return "、".join(parts)


def _guarantees(
    facts: Facts, record: HouseholdYear | None, required: bool, resolver: Resolver
) -> list[Criterion]:
    return [
        _food_clothing(record, required),
        _education(facts, required, resolver),
        _medical(facts, required, resolver),
        _housing(facts, record, required),
        _water(record, required),
    ]


def _assistance(facts: Facts, mode: str | None) -> Criterion:
    """帮扶消除 needs at least one assistance measure carried out for the household while it was monitored
    (national check 1_11_009, §4.7); 自然消除 (the risk disappeared by itself) needs none."""
    since = facts.household.monitoring_identified_on
    first = since.year if since else None
    measures = Measure.objects.filter(household=facts.household, implemented=True, year__lte=facts.on.year)
    if first is not None:
        measures = measures.filter(year__gte=first)
    found = sorted(measures, key=lambda x: (x.year, x.family))
    period = f"{first}—{facts.on.year}年度" if first else f"{facts.on.year}年度及以前"
    rule = f"帮扶消除：监测期间（{period}）至少有一项已实施的帮扶措施；自然消除不要求"
    value = "、".join(f"{x.year}年{x.get_family_display()}" for x in found) or "监测期间没有已实施的帮扶措施"
    threshold = "已实施的帮扶措施 ≥ 1"
    if mode == RiskElimination.NATURAL:
        return Criterion(
            "assistance",
            "帮扶措施",
            rule,
            threshold,
            value,
            True,
            note="按自然消除办理：风险自然消失，不要求帮扶措施（仅供参考）",
            required=False,
        )
    if mode is None:
        return Criterion(
            "assistance",
            "帮扶措施",
            rule,
            threshold,
            value,
            bool(found),
            note="未选择消除方式：按帮扶消除办理时此项必须满足（仅供参考）",
            required=False,
        )
    return Criterion("assistance", "帮扶措施", rule, threshold, value, bool(found))


# --------------------------------------------------------------------------------------------------
# Status, labour, risks, stability


def _status(facts: Facts, purpose: str) -> Criterion:
    hh = facts.household
    status = hh.get_poverty_status_display() if hh.poverty_status else "非建档立卡户"
    monitored = hh.monitoring_type and hh.risk_elimination not in ("1", "2")
    rules: dict[str, tuple[str, bool]] = {
        "identification": ("尚未纳入建档立卡（非贫困户）", hh.poverty_status not in REGISTERED_POOR),
        "exit": ("为未脱贫或返贫的建档立卡贫困户", hh.poverty_status in REGISTERED_POOR),
        "return": ("为已脱贫户", hh.poverty_status in EXITED),
        "monitoring": ("尚未纳入监测（或已消除风险）", not monitored),
        "elimination": ("为风险未消除的监测对象", bool(monitored)),
    }
    rule, passed = rules[purpose]
    value = status + (f"，{hh.get_monitoring_type_display()}" if hh.monitoring_type else "")
    if hh.risk_elimination:
        value += f"，{hh.get_risk_elimination_display()}"
    return Criterion("status", "对象身份", rule, "—", value, passed)


def _labour(facts: Facts) -> Criterion:
    capable = [m for m in facts.members if m.labour_skill in CAPABLE_LABOUR]
    rule = "有劳动能力（至少一名普通劳动力或技能劳动力）；无劳动能力、靠兜底保障的户不标注风险消除，继续监测（§4.7）"
    value = "、".join(f"{m.name}（{m.get_labour_skill_display()}）" for m in capable) or "无劳动能力成员"
    return Criterion("labour", "劳动能力", rule, "有劳动力成员 ≥ 1", value, bool(capable))


RISK_CHECKS: dict[str, str] = {
    RiskType.SCHOOLING: "education",
    RiskType.ILLNESS: "medical",
    RiskType.DISABILITY: "medical",
    RiskType.HOUSING: "housing",
    RiskType.WATER: "water",
    RiskType.LACK_LABOUR: "labour",
}


def _risks(facts: Facts, checked: dict[str, Criterion]) -> Criterion:
    rule = "登记的致贫返贫风险已稳定消除（可由数据核对的：义务教育、医保、住房、饮水、劳动力）"
    open_risks, to_verify = [], []
    for code in facts.household.risk_types or []:
        label = RiskType(code).label if code in RiskType.values else code
        check = RISK_CHECKS.get(code)
        if check is None:
            to_verify.append(label)
        elif not checked[check].passed:
            open_risks.append(label)
    value = ("未消除：" + "、".join(open_risks)) if open_risks else "可核对的风险均已消除"
    note = f"须入户核实：{'、'.join(to_verify)}" if to_verify else ""
    if not facts.household.risk_types:
        value = "未登记风险"
    return Criterion("risks", "风险消除", rule, "未消除风险 = 0", value, not open_risks, note=note)


def months_between(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


# --------------------------------------------------------------------------------------------------
# Monitoring: the four factors (收入, 合规自付支出, 突出困难问题, 自主应对能力; domain.md §4.1–4.3) and
# the stability of income at risk elimination (§4.7). See docs/policy.md "Monitoring identification".


@dataclass(frozen=True)
class PeriodIncome:
    """An income the monitoring criteria read: an income assessment (收入核算) of a period, or a data year."""

    per_capita: Decimal
    net: Decimal
    persons: int
    start: dt.date
    end: dt.date
    assessed: bool  # an IncomeAssessment (True) or a HouseholdYear (False)

    @property
    def label(self) -> str:
        if self.assessed:
            return f"{self.start:%Y-%m-%d}至{self.end:%Y-%m-%d}收入核算"
        return f"{self.start.year}年度数据"


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (earlier if negative), on the month's last day when it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = (dt.date(year + (month == 11), (month + 1) % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month + 1, min(day.day, last))


def covered_months(start: dt.date, end: dt.date) -> int:
    """Whole months from ``start`` to ``end`` inclusive: 2024-04-01 … 2025-03-31 is 12."""
    return months_between(start, end + dt.timedelta(days=1))


def _assessments(facts: Facts) -> list[PeriodIncome]:
    if facts.assessments is None:
        facts.assessments = [
            PeriodIncome(a.per_capita_income, a.net_income, a.persons, a.period_start, a.period_end, True)
            for a in IncomeAssessment.objects.filter(household=facts.household).order_by("-period_end", "-id")
        ]
    return facts.assessments


def _expense_rows(facts: Facts) -> list[HouseholdExpense]:
    if facts.expenses is None:
        facts.expenses = list(HouseholdExpense.objects.filter(household=facts.household))
    return facts.expenses


def _year_income(record: HouseholdYear, on: dt.date) -> PeriodIncome:
    end = min(dt.date(record.year, 12, 31), on)
    return PeriodIncome(
        record.per_capita_net_income,
        record.net_income,
        record.household_size,
        dt.date(record.year, 1, 1),
        end,
        False,
    )


def _income_months(facts: Facts, resolver: Resolver) -> Resolved:
    return resolver.resolve(c.MONITORING_INCOME_MONTHS, region_code=facts.household.village_id, on=facts.on)


def _monitoring_line(facts: Facts, resolver: Resolver) -> Resolved:
    return resolver.resolve(c.MONITORING_LINE, region_code=facts.household.village_id, year=facts.on.year)


def period_income(facts: Facts, resolver: Resolver) -> tuple[PeriodIncome | None, str]:
    """The income of the policy's months before the decision day (``monitoring_income_months``, §4.2): the
    latest income assessment that ends within those months before ``facts.on`` and covers at least that many
    months; otherwise the latest data year, and the note says so."""
    need = int(_income_months(facts, resolver).value)
    earliest_end = add_months(facts.on, -need)
    for found in _assessments(facts):
        if earliest_end < found.end <= facts.on and covered_months(found.start, found.end) >= need:
            return found, f"采用入户核实的{need}个月收入（{found.label}）"
    record, _ = facts.year_for("monitoring")
    if record is None:
        return (
            None,
            f"没有截至{facts.on:%Y-%m-%d}前{need}个月内、覆盖{need}个月的收入核算，也没有年度收入数据",
        )
    return (
        _year_income(record, facts.on),
        f"没有截至{facts.on:%Y-%m-%d}前{need}个月内、覆盖{need}个月的收入核算：登记系统为年度数据，"
        f"采用最近的{record.year}年度人均纯收入，代替申请前{need}个月的收入",
    )


def applied_type(household: Household, monitoring_type: str | None) -> tuple[str, str]:
    """The monitoring type judged (the one applied for) and a note when it had to be assumed."""
    if monitoring_type:
        if monitoring_type not in MonitoringType.values:
            raise ValidationFailed(f"监测对象类型无效：{monitoring_type}", {"monitoring_type": ["无效代码"]})
        return monitoring_type, ""
    if household.monitoring_type:
        return household.monitoring_type, "未指定申请的类型，按户登记的监测对象类型判断"
    if household.poverty_status in EXITED:
        return MonitoringType.UNSTABLE_EXITED, "未指定申请的类型，脱贫户按脱贫不稳定户判断"
    return MonitoringType.MARGINAL, "未指定申请的类型，按边缘易致贫户判断"


def _category(facts: Facts, applied: str, note: str) -> Criterion:
    """Who may be monitored as the type applied for (§4.1)."""
    status = facts.household.poverty_status
    rules = {
        MonitoringType.UNSTABLE_EXITED: ("脱贫不稳定户须为脱贫户", status in EXITED),
        MonitoringType.MARGINAL: ("边缘易致贫户须为一般农户（未建档立卡）", not status),
        MonitoringType.SUDDEN_HARDSHIP: (
            "突发严重困难户须为脱贫户或一般农户（不是未脱贫户、返贫户）",
            status not in REGISTERED_POOR,
        ),
    }
    rule, passed = rules[applied]
    shown = facts.household.get_poverty_status_display() if status else "一般农户（未建档立卡）"
    value = f"{shown}；申请类型：{MonitoringType(applied).label}"
    return Criterion("category", "对象类别", rule, "—", value, passed, note=note)


@dataclass(frozen=True)
class ExpenseThresholds:
    line: Resolved
    share: Resolved | None
    amount: Resolved | None
    disposable: Resolved | None
    missing: list[str]


def _expense_thresholds(facts: Facts, line: Resolved, resolver: Resolver) -> ExpenseThresholds:
    region, found, missing = facts.household.village_id, {}, []
    for key, kwargs in (
        (c.SUDDEN_HARDSHIP_EXPENSE_SHARE, {"on": facts.on}),
        (c.SUDDEN_HARDSHIP_EXPENSE_AMOUNT, {"on": facts.on}),
        (c.RURAL_DISPOSABLE_INCOME, {"year": facts.on.year - 1}),
    ):
        try:
            found[key] = resolver.resolve(key, region_code=region, **kwargs)
        except ParameterMissing as exc:
            missing.append(exc.message)
    return ExpenseThresholds(
        line,
        found.get(c.SUDDEN_HARDSHIP_EXPENSE_SHARE),
        found.get(c.SUDDEN_HARDSHIP_EXPENSE_AMOUNT),
        found.get(c.RURAL_DISPOSABLE_INCOME),
        missing,
    )


def _expenses(facts: Facts, applied: str, resolver: Resolver) -> Criterion:
    """合规自付支出: whether the compliant rigid expenses of the income period make basic living seriously
    difficult. Decisive for 突发严重困难户, shown for reference for the other types. Serious difficulty is
    (a) per-capita income after the expenses within the monitoring range, or (b) per-capita income below last
    year's rural per-capita disposable income and the expenses above the share of the household's net
    income or above the amount (民政's 刚性支出困难, §4.9; thresholds §5.1)."""
    required = applied == MonitoringType.SUDDEN_HARDSHIP
    name = "合规自付支出"
    rule = (
        "刚性支出导致基本生活严重困难：扣除合规刚性支出后的人均收入不高于监测范围；或人均收入低于上年农村居民"
        "人均可支配收入，且刚性支出超过家庭纯收入的规定比例或超过规定金额"
    )
    try:
        line = _monitoring_line(facts, resolver)
        period, income_note = period_income(facts, resolver)
        months = int(_income_months(facts, resolver).value)
    except ParameterMissing as exc:
        return replace(_missing("expenses", name, rule, exc), required=required)
    t = _expense_thresholds(facts, line, resolver)
    start, end = (
        (period.start, period.end)
        if period and period.assessed
        else (add_months(facts.on, -months) + dt.timedelta(days=1), facts.on)
    )
    rows = [e for e in _expense_rows(facts) if start <= e.incurred_on <= end]
    total = sum((e.amount for e in rows), Decimal(0))
    by_kind: dict[str, Decimal] = {}
    for e in rows:
        by_kind[e.get_kind_display()] = by_kind.get(e.get_kind_display(), Decimal(0)) + e.amount
    parts = "、".join(f"{k} {money(v)} 元" for k, v in by_kind.items())
    value = f"{start:%Y-%m-%d}至{end:%Y-%m-%d}合规刚性支出 {money(total)} 元" + (
        f"（{parts}，共{len(rows)}笔）" if rows else "（无支出记录）"
    )
    threshold = _expense_threshold_text(t)
    notes = [n for n in (income_note, *t.missing) if n]
    if period is None:
        return Criterion(
            "expenses",
            name,
            rule,
            threshold,
            value + "；无收入数据",
            False,
            line,
            "；".join(notes),
            required=required,
        )
    after = per_capita(period.net - total, period.persons)
    value += f"；家庭纯收入 {money(period.net)} 元，{period.persons}人；扣除后人均 {money(after)} 元/人·年"
    passed = after <= line.value
    if not passed and t.disposable is not None and period.per_capita < t.disposable.value:
        over_share = t.share is not None and (
            total > t.share.value * period.net if period.net > 0 else total > 0
        )
        over_amount = t.amount is not None and total > t.amount.value
        passed = over_share or over_amount
    if period.net > 0:
        value += f"；支出占家庭纯收入 {percent(total / period.net)}"
    return Criterion(
        "expenses", name, rule, threshold, value, passed, line, "；".join(notes), required=required
    )


def _expense_threshold_text(t: ExpenseThresholds) -> str:
    text = f"扣除后人均 ≤ {money(t.line.value)} {t.line.unit}（{source(t.line)}）"
    if t.disposable is not None:
        text += f"；或人均收入 < {money(t.disposable.value)} {t.disposable.unit}（{source(t.disposable)}）且"
        alternatives = []
        if t.share is not None:
            alternatives.append(f"支出 > 家庭纯收入×{percent(t.share.value)}（{source(t.share)}）")
        if t.amount is not None:
            alternatives.append(f"支出 > {money(t.amount.value)} {t.amount.unit}（{source(t.amount)}）")
        text += "或".join(alternatives) or "（比例、金额均未设置）"
    return text


def _hardship(facts: Facts, guarantees: list[Criterion]) -> Criterion:
    """突出困难问题: the 三保障 and drinking-water problems the register shows, and the risks recorded."""
    problems = [f"{x.name}：{x.value}" for x in guarantees if not x.passed]
    risks = [RiskType(r).label if r in RiskType.values else r for r in facts.household.risk_types or []]
    value = "；".join(problems) or "登记数据未显示三保障和饮水问题"
    note = f"登记的致贫返贫风险：{'、'.join(risks)}" if risks else ""
    rule = "有义务教育、基本医疗、住房安全或饮水安全方面的突出问题（与收入、支出综合研判，仅供参考）"
    return Criterion(
        "hardship", "突出困难问题", rule, "有问题 ≥ 1 项", value, bool(problems), note=note, required=False
    )


def _coping(facts: Facts) -> Criterion:
    """自主应对能力: what the register says about the household's own capacity; savings and assets are not in
    the register and are checked at 入户核实 (承诺授权书)."""
    capable = [m for m in facts.members if m.labour_skill in CAPABLE_LABOUR]
    assisted = [m for m in facts.members if m.dibao or m.tekun]
    months = sum(m.migrant_months or 0 for m in capable)
    value = f"劳动力 {len(capable)} 人（共 {len(facts.members)} 人），务工 {months} 个月" + (
        f"；享受低保或特困供养：{'、'.join(m.name for m in assisted)}" if assisted else ""
    )
    rule = "自身难以应对：无劳动能力成员，或已靠低保、特困供养兜底（仅供参考；存款、资产等须入户核实）"
    note = "存款、车辆、房产等家庭资产不在登记系统中，须入户核实（承诺授权书授权查询）；有劳动力的户宜采取开发式帮扶"
    return Criterion(
        "coping",
        "自主应对能力",
        rule,
        "劳动力 = 0 或享受兜底",
        value,
        not capable or bool(assisted),
        note=note,
        required=False,
    )


def _income_history(facts: Facts, resolver: Resolver) -> list[PeriodIncome]:
    """Every income the register holds for a year's worth of months up to the decision day, latest first:
    assessments covering the policy's months, and data years (a data year the same as an assessment's period
    is left out: the assessment was verified at the household)."""
    need = int(_income_months(facts, resolver).value)
    found = [a for a in _assessments(facts) if a.end <= facts.on and covered_months(a.start, a.end) >= need]
    periods = {(a.start, a.end) for a in found}
    for record in facts.years.values():
        if record.year <= facts.on.year:
            year = _year_income(record, facts.on)
            if (year.start, dt.date(record.year, 12, 31)) not in periods:
                found.append(year)
    return sorted(found, key=lambda x: (x.end, x.assessed), reverse=True)


def _stable(facts: Facts, income: Criterion, resolver: Resolver) -> Criterion:
    """Income above the range without a break for the policy's months (§4.7), counted from when it rose above
    the range: the start of the unbroken run of above-range incomes, after the last income at or below it,
    and not before the household was identified (it was at risk then)."""
    rule = "收入持续稳定超过监测范围（从收入高于监测范围起连续计算，不早于纳入监测），不少于规定月数"
    try:
        months = resolver.resolve(
            c.ELIMINATION_STABLE_MONTHS, region_code=facts.household.village_id, on=facts.on
        )
        line = _monitoring_line(facts, resolver)
        history = _income_history(facts, resolver)
    except ParameterMissing as exc:
        return _missing("stable", "收入稳定", rule, exc)
    need = int(months.value)
    threshold = (
        f"≥ {need} 个月（{source(months)}）；监测范围 > {money(line.value)} {line.unit}（{source(line)}）"
    )
    if not history:
        return Criterion("stable", "收入稳定", rule, threshold, "无收入数据", False, months)
    if history[0].per_capita <= line.value:
        value = f"最近的收入 {money(history[0].per_capita)} 元/人·年（{history[0].label}）未高于监测范围"
        return Criterion("stable", "收入稳定", rule, threshold, value, False, months)
    run, below = [], None
    for item in history:
        if item.per_capita <= line.value:
            below = item
            break
        run.append(item)
    since = min(x.start for x in run)
    notes = []
    if below is not None and below.end >= since:
        since = below.end + dt.timedelta(days=1)
    if below is not None:
        notes.append(f"此前{below.label}人均 {money(below.per_capita)} 元，未高于监测范围")
    identified = facts.household.monitoring_identified_on
    if identified and identified > since:
        since = identified
        notes.append(f"于{identified:%Y-%m-%d}纳入监测，从该日起计算")
    if any(not x.assessed for x in run):
        notes.append("登记系统年度数据按整年度计算")
    elapsed = months_between(since, facts.on)
    used = "、".join(f"{x.label}人均 {money(x.per_capita)} 元" for x in run)
    value = f"自{since:%Y-%m-%d}起收入高于监测范围，已{elapsed}个月（{used}）"
    return Criterion(
        "stable",
        "收入稳定",
        rule,
        threshold,
        value,
        income.passed and elapsed >= need,
        months,
        "；".join(notes),
    )


# --------------------------------------------------------------------------------------------------
# Entry points


HOUSEHOLD_KEYS = (
    c.POVERTY_LINE,
    c.MONITORING_LINE,
    c.MONITORING_INCOME_MONTHS,
    c.ELIMINATION_STABLE_MONTHS,
    c.SUDDEN_HARDSHIP_EXPENSE_SHARE,
    c.SUDDEN_HARDSHIP_EXPENSE_AMOUNT,
    c.RURAL_DISPOSABLE_INCOME,
    c.COMPULSORY_SCHOOL_AGE_FROM,
    c.COMPULSORY_SCHOOL_AGE_TO,
    c.MEDICAL_REQUIRES_SERIOUS_ILLNESS,
)


def evaluate_household(
    household: Household,
    *,
    purpose: str,
    on: dt.date,
    monitoring_type: str | None = None,
    mode: str | None = None,
) -> Evaluation:
    """Check a household against the standard of ``purpose`` on ``on`` (one query per table).

    ``monitoring_type`` is the type applied for in a monitoring case (the case's params); without it the
    household's registered type, or the one its status implies, is judged. ``mode`` is the elimination mode
    of a 风险消除 (帮扶消除 "1" / 自然消除 "2"): 帮扶消除 requires an implemented assistance measure; without a
    mode that criterion is shown for reference only."""
    if purpose not in PURPOSES:
        raise ValidationFailed(
            f"未知的评估用途：{purpose}（应为 {'、'.join(PURPOSES)}）", {"purpose": ["未知的评估用途"]}
        )
    if mode not in (None, "", RiskElimination.BY_ASSISTANCE, RiskElimination.NATURAL):
        raise ValidationFailed(
            f"风险消除方式无效：{mode}（应为帮扶消除或自然消除）", {"mode": ["风险消除方式无效"]}
        )
    facts = Facts.load(household, on)
    resolver = Resolver(HOUSEHOLD_KEYS, region_prefixes=candidate_prefixes(household.village_id))
    record, _ = facts.year_for(purpose)
    applied, type_note = applied_type(household, monitoring_type) if purpose == "monitoring" else ("", "")
    income = _income(facts, purpose, resolver, applied)
    reference_only = purpose in ("identification", "return", "monitoring")
    guarantees = _guarantees(facts, record, required=not reference_only, resolver=resolver)
    criteria = [_status(facts, purpose), income, *guarantees]
    if purpose == "monitoring":
        criteria[1:1] = [_category(facts, applied, type_note)]
        criteria[3:3] = [_expenses(facts, applied, resolver), _hardship(facts, guarantees), _coping(facts)]
    if purpose == "elimination":
        labour = _labour(facts)
        checked = {x.code: x for x in [*guarantees, labour]}
        criteria += [
            _stable(facts, income, resolver),
            _risks(facts, checked),
            labour,
            _assistance(facts, mode or None),
        ]
    subject = f"{household.head_name}户（户编号 {household.household_number}）"
    return Evaluation(purpose=purpose, subject=subject, on=on, criteria=criteria)


def _poor_people(where: dict[str, Any]) -> int:
    """Remaining registered poor people: active members of households 未脱贫 or 返贫."""
    return Member.objects.filter(
        left_on__isnull=True, household__poverty_status__in=list(REGISTERED_POOR), **where
    ).count()


def _incidence(
    code: str,
    name: str,
    key: str,
    region: Region,
    poor: int,
    population: int | None,
    year: int,
    note: str = "",
) -> Criterion:
    rule = "贫困发生率（剩余建档立卡贫困人口 ÷ 农村户籍人口）低于上限"
    try:
        limit = resolve_for(key, region.code, year)
    except ParameterMissing as exc:
        return _missing(code, name, rule, exc)
    threshold = f"< {percent(limit.value)}（{source(limit)}）"
    if not population:
        return Criterion(code, name, rule, threshold, f"{poor}人 ÷ 农村人口未填写", False, limit, note)
    rate = Decimal(poor) / Decimal(population)
    value = f"{percent(rate)}（{poor}人 ÷ {population}人）"
    return Criterion(code, name, rule, threshold, value, rate < limit.value, limit, note)


def resolve_for(key: str, region_code: str, year: int) -> Resolved:
    return Resolver(key, region_prefixes=candidate_prefixes(region_code)).resolve(
        key, region_code=region_code, year=year, on=dt.date(year, 12, 31)
    )


# --------------------------------------------------------------------------------------------------
# Poor villages (贫困村): identification "一高一低一无" (§2.1) and exit (§3.3)


VILLAGE_EXIT_KEYS = (
    c.VILLAGE_EXIT_MAX_INCIDENCE,
    c.VILLAGE_EXIT_REQUIRE_ROAD,
    c.VILLAGE_EXIT_MIN_WATER_COVERAGE,
    c.VILLAGE_EXIT_REQUIRE_POWER,
    c.VILLAGE_EXIT_REQUIRE_CLINIC,
    c.VILLAGE_EXIT_REQUIRE_BROADBAND,
    c.VILLAGE_EXIT_REQUIRE_RADIO_TV,
    c.VILLAGE_EXIT_MIN_COLLECTIVE_INCOME,
)
VILLAGE_IDENTIFICATION_KEYS = (
    c.POOR_VILLAGE_INCIDENCE_FACTOR,
    c.POOR_VILLAGE_INCOME_SHARE,
    c.PROVINCE_POVERTY_INCIDENCE,
    c.PROVINCE_RURAL_INCOME,
)
# (code, name, key, VillageYear field) of the yes/no items of a village exit (§3.3).
VILLAGE_SWITCHES = (
    ("road", "通硬化路", c.VILLAGE_EXIT_REQUIRE_ROAD, "hardened_road"),
    ("power", "通动力电", c.VILLAGE_EXIT_REQUIRE_POWER, "power"),
    ("clinic", "标准化卫生室和合格村医", c.VILLAGE_EXIT_REQUIRE_CLINIC, "clinic"),
    ("broadband", "通宽带", c.VILLAGE_EXIT_REQUIRE_BROADBAND, "broadband"),
    ("radio_tv", "通广播电视", c.VILLAGE_EXIT_REQUIRE_RADIO_TV, "radio_tv"),
)


def village_record(village: Region, year: int) -> tuple[VillageYear | None, str]:
    """The village's yearly record of ``year``, else its latest earlier one with a note saying so."""
    record = VillageYear.objects.filter(village=village, year__lte=year).order_by("-year").first()
    if record is None:
        return None, f"没有{year}年度及以前的村级年度情况"
    if record.year != year:
        return record, f"没有{year}年度村级年度情况，采用最近的{record.year}年度数据"
    return record, ""


def _fact(record: VillageYear | None, value: str) -> str:
    return f"{value}（{record.year}年度数据）" if record is not None else "无村级年度数据"


def _switch(
    code: str,
    name: str,
    key: str,
    attr: str,
    record: VillageYear | None,
    resolver: Resolver,
    village: Region,
    on: dt.date,
    note: str,
) -> Criterion:
    """A yes/no item: passes only when the record says yes; not required where the province does not ask."""
    rule = f"{name}（省定出列标准）"
    try:
        flag = resolver.resolve(key, region_code=village.code, on=on)
    except ParameterMissing as exc:
        return _missing(code, name, rule, exc)
    required = bool(flag.value)
    fact = getattr(record, attr) if record is not None else None
    shown = "是" if fact is True else "否" if fact is False else "未填写"
    threshold = f"{'要求：是' if required else '本地不作要求'}（{source(flag)}）"
    return Criterion(
        code, name, rule, threshold, _fact(record, shown), fact is True, flag, note, required=required
    )


def _at_least(
    code: str,
    name: str,
    rule: str,
    key: str,
    value: Decimal | None,
    shown: str,
    record: VillageYear | None,
    resolver: Resolver,
    village: Region,
    on: dt.date,
    note: str,
) -> Criterion:
    """A number that must reach the threshold (at the threshold passes: "不低于")."""
    try:
        limit = resolver.resolve(key, region_code=village.code, on=on)
    except ParameterMissing as exc:
        return _missing(code, name, rule, exc)
    threshold = f"≥ {limit.display_value}（{source(limit)}）"
    if value is None:
        return Criterion(code, name, rule, threshold, _fact(record, "未填写"), False, limit, note)
    return Criterion(code, name, rule, threshold, _fact(record, shown), value >= limit.value, limit, note)


def evaluate_village_exit(village: Region, *, year: int) -> Evaluation:
    """贫困村出列 (§3.3): incidence below 2% (3% in the west) AND the province's infrastructure, public
    service and collective-income items, judged on the village's yearly record of ``year``."""
    on = dt.date(year, 12, 31)
    resolver = Resolver(VILLAGE_EXIT_KEYS, region_prefixes=candidate_prefixes(village.code))
    record, note = village_record(village, year)
    poor = _poor_people({"household__village": village})
    population = village.rural_population
    incidence_note = "剩余贫困人口按登记系统当前在册人口计算"
    if record is not None and record.rural_population:
        population = record.rural_population
        incidence_note += f"；农村户籍人口取{record.year}年度村级年度情况"
    criteria = [
        _incidence(
            "incidence",
            "贫困发生率",
            c.VILLAGE_EXIT_MAX_INCIDENCE,
            village,
            poor,
            population,
            year,
            incidence_note,
        )
    ]
    for code, name, key, attr in VILLAGE_SWITCHES[:3]:
        criteria.append(_switch(code, name, key, attr, record, resolver, village, on, note))
    water = record.safe_water_coverage if record is not None else None
    criteria.insert(
        2,
        _at_least(
            "water",
            "安全饮水",
            "安全饮水覆盖率不低于省定标准",
            c.VILLAGE_EXIT_MIN_WATER_COVERAGE,
            water,
            percent(water) if water is not None else "",
            record,
            resolver,
            village,
            on,
            note,
        ),
    )
    for code, name, key, attr in VILLAGE_SWITCHES[3:]:
        criteria.append(_switch(code, name, key, attr, record, resolver, village, on, note))
    income = record.collective_income if record is not None else None
    criteria.append(
        _at_least(
            "collective_income",
            "村集体经济收入",
            "村集体经济年收入不低于省定标准",
            c.VILLAGE_EXIT_MIN_COLLECTIVE_INCOME,
            income,
            f"{money(income)} 元" if income is not None else "",
            record,
            resolver,
            village,
            on,
            note,
        )
    )
    return Evaluation(purpose="village_exit", subject=village.full_name(), on=on, criteria=criteria)


def _registered_people(village: Region) -> int:
    """Active members of the village's registered (建档立卡) households, whatever their status."""
    return (
        Member.objects.filter(left_on__isnull=True, household__village=village)
        .exclude(household__poverty_status="")
        .count()
    )


def evaluate_village_identification(village: Region, *, year: int) -> Evaluation:
    """贫困村识别 "一高一低一无" (§2.1, 国开办发〔2014〕24号): in ``year`` a village qualifies when, on the previous
    year's data, its poverty incidence is at least ``poor_village_incidence_factor`` times the province's
    ("高于全省一倍以上"), its farmers' per-capita net income is below ``poor_village_income_share`` of the
    province's average, and it has no collective-economy income. The province's figures are yearly
    policy data (``province_poverty_incidence``, ``province_rural_income``) filled per province."""
    data_year = year - 1
    on = dt.date(year, 12, 31)
    resolver = Resolver(VILLAGE_IDENTIFICATION_KEYS, region_prefixes=candidate_prefixes(village.code))
    record, note = village_record(village, data_year)
    return Evaluation(
        purpose="village_identification",
        subject=village.full_name(),
        on=on,
        criteria=[
            _high(village, record, data_year, on, resolver, note),
            _low(village, record, data_year, on, resolver, note),
            _no_collective_income(record, note),
        ],
    )


def _high(
    village: Region, record: VillageYear | None, data_year: int, on: dt.date, resolver: Resolver, note: str
) -> Criterion:
    code, name = "high_incidence", "一高：贫困发生率"
    rule = "村贫困发生率达到全省农村贫困发生率的规定倍数以上（高于全省一倍以上）"
    try:
        factor = resolver.resolve(c.POOR_VILLAGE_INCIDENCE_FACTOR, region_code=village.code, on=on)
        province = resolver.resolve(c.PROVINCE_POVERTY_INCIDENCE, region_code=village.code, year=data_year)
    except ParameterMissing as exc:
        return _missing(code, name, rule, exc)
    cut = factor.value * province.value
    threshold = (
        f"≥ {factor.value.normalize():f}倍 × 全省 {percent(province.value)} = {percent(cut)}"
        f"（{source(factor)}；全省：{source(province)}）"
    )
    if record is not None and record.poor_population is not None:
        poor, whence = record.poor_population, f"{record.year}年度村级年度情况"
    else:
        poor, whence = _registered_people(village), "登记系统建档立卡人口"
    population = (
        record.rural_population
        if record is not None and record.rural_population
        else village.rural_population
    )
    if not population:
        return Criterion(code, name, rule, threshold, f"{poor}人 ÷ 农村人口未填写", False, province, note)
    rate = Decimal(poor) / Decimal(population)
    value = f"{percent(rate)}（{poor}人 ÷ {population}人，贫困人口取{whence}）"
    return Criterion(code, name, rule, threshold, value, rate >= cut, province, note)


def _low(
    village: Region, record: VillageYear | None, data_year: int, on: dt.date, resolver: Resolver, note: str
) -> Criterion:
    code, name = "low_income", "一低：农民人均纯收入"
    rule = "村农民人均纯收入低于全省平均水平的规定比例"
    try:
        share = resolver.resolve(c.POOR_VILLAGE_INCOME_SHARE, region_code=village.code, on=on)
        province = resolver.resolve(c.PROVINCE_RURAL_INCOME, region_code=village.code, year=data_year)
    except ParameterMissing as exc:
        return _missing(code, name, rule, exc)
    cut = share.value * province.value
    threshold = (
        f"< {percent(share.value)} × 全省 {money(province.value)} 元 = {money(cut)} 元"
        f"（{source(share)}；全省：{source(province)}）"
    )
    income = record.per_capita_income if record is not None else None
    if income is None:
        return Criterion(code, name, rule, threshold, _fact(record, "未填写"), False, province, note)
    return Criterion(
        code, name, rule, threshold, _fact(record, f"{money(income)} 元/人·年"), income < cut, province, note
    )


def _no_collective_income(record: VillageYear | None, note: str) -> Criterion:
    code, name = "no_collective_income", "一无：集体经济收入"
    rule = "村无集体经济收入"
    income = record.collective_income if record is not None else None
    if income is None:
        return Criterion(code, name, rule, "= 0 元", _fact(record, "未填写"), False, None, note)
    return Criterion(
        code, name, rule, "= 0 元", _fact(record, f"{money(income)} 元"), income == 0, None, note
    )


# --------------------------------------------------------------------------------------------------
# County exit (摘帽): 三率一度 from the assessment survey (§3.4)


RATES = (
    ("wrong_exit_rate", "错退率", c.COUNTY_EXIT_MAX_WRONG_EXIT_RATE, False, "抽查错退人数 ÷ 抽查脱贫人数"),
    ("missed_rate", "漏评率", c.COUNTY_EXIT_MAX_MISSED_RATE, False, "核实漏评人数 ÷ 抽查村未建档农村人口"),
    ("approval", "群众认可度", c.COUNTY_EXIT_MIN_APPROVAL, True, "认可户数 ÷ 调查户数"),
)
OVERRIDE_NOTE = "人工填写，覆盖调查估计"


def _rate(
    code: str,
    name: str,
    key: str,
    county: Region,
    year: int,
    given: Decimal | None,
    at_least: bool,
    formula: str,
    figure: Any = None,
    survey_name: str = "",
) -> Criterion:
    """One of the three rates: from the survey's estimate (``figure``, an ``assessment.estimates.Estimate``)
    or, when ``given``, a typed-in value that overrides it and says so."""
    rule = f"{name}（{formula}）{'不低于' if at_least else '低于'}{'下限' if at_least else '上限'}"
    try:
        limit = resolve_for(key, county.code, year)
    except ParameterMissing as exc:
        return _missing(code, name, rule, exc)
    threshold = f"{'≥' if at_least else '<'} {percent(limit.value)}（{source(limit)}）"
    note = ""
    if given is not None:
        rate, value = given, f"{percent(given)}（{OVERRIDE_NOTE}）"
        if figure is not None and figure.value is not None:
            note = f"调查「{survey_name}」的估计值为 {figure.value_text}"
    elif figure is not None and figure.value is not None:
        rate = Decimal(str(figure.value))
        value = (
            f"{percent(rate)}（{_count(figure.numerator)} ÷ {_count(figure.denominator)}；"
            f"调查「{survey_name}」）"
        )
        note = "；".join([f"95%置信区间 {figure.interval_text}", *figure.notes])
    else:
        why = "；".join(figure.notes) if figure is not None else ""
        return Criterion(code, name, rule, threshold, "未提供（由专项评估检查得出）", False, limit, why)
    passed = rate >= limit.value if at_least else rate < limit.value
    return Criterion(code, name, rule, threshold, value, passed, limit, note)


def _count(number: float) -> str:
    """A count as shown: whole numbers plainly, expanded (weighted) counts to one decimal."""
    return f"{number:,.0f}" if float(number).is_integer() else f"{number:,.1f}"


def _county_population(county: Region) -> tuple[int, int]:
    villages = Region.objects.filter(level=Level.VILLAGE, code__startswith=county.prefix)
    values = list(villages.values_list("rural_population", flat=True))
    return sum(v or 0 for v in values), sum(1 for v in values if not v)


def _register_figures(county: Region) -> dict[str, int]:
    """The county's figures from the register now (when there is no survey, whose frame holds them)."""
    population, _ = _county_population(county)
    where = {"household__village__code__startswith": county.prefix}
    registered = (
        Member.objects.filter(left_on__isnull=True, **where).exclude(household__poverty_status="").count()
    )
    exited = Member.objects.filter(
        left_on__isnull=True, household__poverty_status__in=list(EXITED), **where
    ).count()
    return {
        "rural_population": population,
        "registered_people": registered,
        "poor_people": _poor_people(where),
        "exited_people": exited,
    }


def evaluate_county_exit(
    county: Region,
    *,
    year: int,
    survey: Any = None,
    figures: Any = None,
    wrong_exit_rate: Decimal | float | str | None = None,
    missed_rate: Decimal | float | str | None = None,
    approval: Decimal | float | str | None = None,
) -> Evaluation:
    """贫困县摘帽 (§3.4): 综合贫困发生率 and the three rates of the assessment ("三率一度"), from ``survey`` (an
    ``assessment.Survey``; ``figures`` its estimates when already computed) or, when none is given, the county's latest survey of ``year`` with results.

    综合贫困发生率 = (remaining registered poor + missed + wrongly exited) ÷ rural population, with the missed
    and wrongly exited people estimated from the survey (``assessment.estimates``). Typed-in rates may
    override the survey's and are labelled so; without a survey and without them, the rates are not
    passed and the incidence counts the register only (said in its note).
    """
    from jingzhun.assessment import estimates
    from jingzhun.assessment.selectors import exit_survey, survey_estimates

    given = {
        code: _decimal(value, code)
        for code, value in (
            ("wrong_exit_rate", wrong_exit_rate),
            ("missed_rate", missed_rate),
            ("approval", approval),
        )
    }
    if survey is None:
        survey = exit_survey(county, year)
    if survey is None:
        figures = None
    elif figures is None:
        figures = survey_estimates(survey)
    counts = dict(survey.frame or {}) if survey is not None else _register_figures(county)
    estimated = (
        {
            "wrong_exit_rate": figures.wrong_exit_rate,
            "missed_rate": figures.missed_rate,
            "approval": figures.approval,
        }
        if figures is not None
        else {}
    )
    used = {
        code: (
            estimates.Estimate(code, "", "", float(typed), float(typed), float(typed))
            if (typed := given[code]) is not None
            else estimated.get(code)
        )
        for code in given
    }
    frame = estimates.County(
        rural_population=int(counts.get("rural_population", 0)),
        registered_people=int(counts.get("registered_people", 0)),
        poor_people=int(counts.get("poor_people", 0)),
        exited_people=int(counts.get("exited_people", 0)),
    )
    survey_name = survey.name if survey is not None else ""
    criteria = [
        _comprehensive(
            county,
            year,
            frame,
            used.get("wrong_exit_rate"),
            used.get("missed_rate"),
            survey_name,
            any(given[k] is not None for k in ("wrong_exit_rate", "missed_rate")),
        )
    ]
    criteria += [
        _rate(code, name, key, county, year, given[code], at_least, formula, estimated.get(code), survey_name)
        for code, name, key, at_least, formula in RATES
    ]
    evaluation = Evaluation(
        purpose="county_exit", subject=county.full_name(), on=dt.date(year, 12, 31), criteria=criteria
    )
    if survey is not None:
        evaluation.survey = {
            "id": survey.pk,
            "name": survey.name,
            "year": survey.year,
            "seed": survey.seed,
            "interviews": figures.interviews if figures else 0,
            "villages": figures.villages if figures else 0,
        }
    evaluation.figures = _figures(criteria, frame, used, estimated, given)
    return evaluation


def _comprehensive(
    county: Region, year: int, frame: Any, wrong: Any, missed: Any, survey_name: str, overridden: bool
) -> Criterion:
    """综合贫困发生率 by ``assessment.estimates.comprehensive_incidence`` (the one place of its formula)."""
    from jingzhun.assessment import estimates

    code, name = "incidence", "综合贫困发生率"
    rule = "综合贫困发生率（（剩余建档立卡贫困人口 + 漏评人口 + 错退人口）÷ 农村户籍人口）低于上限"
    try:
        limit = resolve_for(c.COUNTY_EXIT_MAX_INCIDENCE, county.code, year)
    except ParameterMissing as exc:
        return _missing(code, name, rule, exc)
    threshold = f"< {percent(limit.value)}（{source(limit)}）"
    population, poor = frame.rural_population, frame.poor_people
    if not population:
        return Criterion(code, name, rule, threshold, f"{poor}人 ÷ 农村人口未填写", False, limit)
    if wrong is None or missed is None or wrong.value is None or missed.value is None:
        rate = Decimal(poor) / Decimal(population)
        value = f"{percent(rate)}（{poor}人 ÷ {population}人）"
        note = "没有评估调查的错退率和漏评率：只计登记系统剩余贫困人口，不含漏评、错退人口"
        return Criterion(code, name, rule, threshold, value, rate < limit.value, limit, note)
    figure = estimates.comprehensive_incidence(frame, wrong, missed)
    assert figure.value is not None
    rate = Decimal(str(figure.value))
    wrongly, missing = wrong.value * frame.exited_people, missed.value * frame.non_registered_population
    value = (
        f"{percent(rate)}（（{poor} + {_count(round(missing, 1))} + {_count(round(wrongly, 1))}）人 ÷ "
        f"{population}人）"
    )
    where = f"调查「{survey_name}」" if survey_name else "人工填写的比率"
    note = (
        f"剩余建档立卡贫困人口 {poor} 人；漏评人口 = 漏评率 × 未建档农村人口 {frame.non_registered_population} 人"
        f" ≈ {missing:.1f}；错退人口 = 错退率 × 脱贫人口 {frame.exited_people} 人 ≈ {wrongly:.1f}（比率取{where}"
        f"{'，含' + OVERRIDE_NOTE if overridden else ''}）"
    )
    return Criterion(code, name, rule, threshold, value, rate < limit.value, limit, note)


def _figures(
    criteria: list[Criterion],
    frame: Any,
    used: dict[str, Any],
    estimated: dict[str, Any],
    given: dict[str, Decimal | None],
) -> dict[str, dict[str, Any]]:
    """Each rate's value, numerator and denominator as used (for pages, the API and checks)."""
    result: dict[str, dict[str, Any]] = {}
    wrong, missed = used.get("wrong_exit_rate"), used.get("missed_rate")
    if wrong is not None and missed is not None and wrong.value is not None and missed.value is not None:
        wrongly, missing = wrong.value * frame.exited_people, missed.value * frame.non_registered_population
        numerator = frame.poor_people + wrongly + missing
        result["incidence"] = {
            "value": numerator / frame.rural_population if frame.rural_population else None,
            "numerator": numerator,
            "denominator": frame.rural_population,
            "poor_people": frame.poor_people,
            "missed_people": missing,
            "wrongly_exited_people": wrongly,
        }
    else:
        result["incidence"] = {
            "value": frame.poor_people / frame.rural_population if frame.rural_population else None,
            "numerator": frame.poor_people,
            "denominator": frame.rural_population,
            "poor_people": frame.poor_people,
            "missed_people": None,
            "wrongly_exited_people": None,
        }
    for code in ("wrong_exit_rate", "missed_rate", "approval"):
        figure, typed = estimated.get(code), given[code]
        result[code] = {
            "value": float(typed) if typed is not None else (figure.value if figure else None),
            "numerator": figure.numerator if figure else None,
            "denominator": figure.denominator if figure else None,
            "overridden": given[code] is not None,
        }
    return result


def _decimal(value: Any, name: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise ValidationFailed(
            f"{name} 应为0到1之间的数字：{value}", {name: ["应为0到1之间的数字"]}
        ) from None
    if not number.is_finite() or not 0 <= number <= 1:
        raise ValidationFailed(f"{name} 应为0到1之间的数字：{value}", {name: ["应为0到1之间的数字"]})
    return number
