"""The household information card (明白卡): what a household and its helper should both know, on one page.

Villages print a card per registered or monitored household and post it in the home: who lives there,
the household's status, last year's income against the poverty line and the monitoring range, the help
it receives, and signatures (domain.md §9 lists it among the documents of "一户一档"; §10.7 asks that it
be printed from the one record, not typed again). It hangs on a wall, so it shows no phone number, bank
account or full ID number: an ID is masked to its first 6 and last 4 characters.

``household_card`` reads the household through ``access_household``: a household outside the user's
reach is answered like a missing one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from jingzhun.core.restrict import UserLike
from jingzhun.policy import catalogue
from jingzhun.policy.criteria import age_on
from jingzhun.policy.selectors import ParameterMissing, resolve
from jingzhun.registry.access import access_household
from jingzhun.registry.choices import Relation, RiskType
from jingzhun.registry.models import Household, HouseholdYear, Member
from jingzhun.reports.layout import format_date

HOTLINE = "12317"  # the public 防止返贫监测帮扶 hotline
RISKS = dict(RiskType.choices)


def mask_id(number: str) -> str:
    """First 6 + **** + last 4 (620502****1234); anything shorter than 10 characters is hidden entirely."""
    number = (number or "").strip()
    return f"{number[:6]}****{number[-4:]}" if len(number) >= 10 else "****"


def money(value: Decimal | int) -> str:
    return f"{Decimal(value):,.2f}"


@dataclass(frozen=True)
class CardMember:
    name: str
    relation: str
    sex: str
    age: str
    id_masked: str
    labour: str
    schooling: str


@dataclass(frozen=True)
class Card:
    title: str
    household_number: str
    head_name: str
    place: str
    facts: tuple[tuple[str, str], ...]  # 基本情况: (label, value)
    members: tuple[CardMember, ...]
    income_year: int | None
    income: tuple[tuple[str, str], ...]  # (label, amount in 元)
    policies: tuple[str, ...]
    printed_on: dt.date

    def file_name(self) -> str:
        return f"明白卡_{self.household_number}_{self.head_name}.pdf"

    def all_text(self) -> str:
        """Every character the PDF prints, to check the font has a glyph for each."""
        parts = [
            self.title,
            self.household_number,
            self.head_name,
            self.place,
            *self.policies,
            *(a + b for a, b in self.facts),
            *(a + b for a, b in self.income),
        ]
        for m in self.members:
            parts.extend((m.name, m.relation, m.sex, m.age, m.id_masked, m.labour, m.schooling))
        return "".join(parts)


def _members(household: Household, on: dt.date) -> tuple[CardMember, ...]:
    active = list(household.members.filter(left_on__isnull=True).order_by("person_number"))
    active.sort(key=lambda m: m.relation != Relation.HEAD)
    return tuple(_member(m, on) for m in active)


def _member(m: Member, on: dt.date) -> CardMember:
    # No health on a card that hangs on a wall (domain.md §2.4: notices show no health data).
    return CardMember(
        name=m.name,
        relation=m.get_relation_display(),
        sex=m.get_sex_display(),
        age=str(age_on(m.birth_date, on)),
        id_masked=mask_id(m.id_number),
        labour=m.get_labour_skill_display() or "—",
        schooling=m.get_schooling_display() or "—",
    )


def _facts(household: Household, size: int) -> tuple[tuple[str, str], ...]:
    h = household
    facts = [
        ("户编号", h.household_number),
        ("户主姓名", h.head_name),
        ("家庭人口", f"{size} 人"),
        ("户类型", h.kind),
        ("贫困户属性", h.get_attribute_display()),
        ("脱贫状态", h.get_poverty_status_display() or "—"),
        ("脱贫年度", f"{h.exit_year}年" if h.exit_year else "—"),
        ("主要致贫原因", h.get_main_cause_display() or "—"),
    ]
    if h.monitoring_type:
        facts += [
            ("监测对象类型", h.get_monitoring_type_display()),
            ("风险识别时间", format_date(h.monitoring_identified_on) if h.monitoring_identified_on else "—"),
            ("致贫返贫风险", "、".join(RISKS.get(str(r), str(r)) for r in h.risk_types or []) or "—"),
            ("风险是否消除", h.get_risk_elimination_display() or "风险未消除"),
        ]
    return tuple(facts)


def _income(year: HouseholdYear | None) -> tuple[tuple[str, str], ...]:
    if year is None:
        return ()
    y = year
    return (
        ("工资性收入", money(y.wage_income)),
        ("生产经营性收入", money(y.business_income)),
        ("生产经营性支出", money(y.business_expense)),
        ("财产性收入", money(y.property_income)),
        ("转移性收入", money(y.transfer_income)),
        ("家庭纯收入", money(y.net_income)),
        ("家庭人口数", f"{y.household_size} 人"),
        ("人均纯收入", money(y.per_capita_net_income)),
    )


def _line(key: str, village_code: str, year: int) -> tuple[str, Decimal | None]:
    entry = catalogue.get(key)
    try:
        found = resolve(key, region_code=village_code, year=year)
    except ParameterMissing:
        return f"{year}年{entry.name}：＿＿＿＿ {entry.unit}（系统中尚未设置，由村委会填写）", None
    document = f"（{found.document}）" if found.document else ""
    return f"{year}年{entry.name}：{found.display_value}{document}", found.value


def _policies(household: Household, year: HouseholdYear | None, on: dt.date) -> tuple[str, ...]:
    """The income lines that apply to the household's village for its latest data year, and where its
    income stands against them."""
    data_year = year.year if year else on.year
    lines: list[str] = []
    for key in (catalogue.POVERTY_LINE, catalogue.MONITORING_LINE):
        text, value = _line(key, household.village_id, data_year)
        lines.append(text)
        if year is not None and value is not None:
            word = "高于" if year.per_capita_net_income > value else "不高于"
            lines.append(
                f"　　本户{data_year}年人均纯收入 {money(year.per_capita_net_income)} 元，{word}此标准。"
            )
    lines.append(
        f"家中遇到困难、收入下降或有返贫致贫风险，可向村委会、帮扶责任人反映，或拨打 {HOTLINE} 防止返贫监测帮扶热线。"
    )
    return tuple(lines)


def household_card(user: UserLike, household_id: int | str, *, on: dt.date | None = None) -> Card:
    """The card of one household the user may see (``NotFoundOrForbidden`` otherwise)."""
    household = access_household(user, household_id)
    return card_of(household, on=on)


def card_of(household: Household, *, on: dt.date | None = None) -> Card:
    on = on or timezone.localdate()
    members = _members(household, on)
    latest = household.years.order_by("-year").first()
    place = "".join(filter(None, (household.village.full_name(), household.natural_village)))
    return Card(
        title=f"{household.kind}明白卡",
        household_number=household.household_number,
        head_name=household.head_name,
        place=place,
        facts=_facts(household, len(members)),
        members=members,
        income_year=latest.year if latest else None,
        income=_income(latest),
        policies=_policies(household, latest, on),
        printed_on=on,
    )
