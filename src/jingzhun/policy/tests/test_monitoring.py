"""Monitoring identification by the four factors and the stability of income at elimination (domain.md §4.1–4.3,
§4.7, §4.9), each threshold at, one under and one over its value. Records are written through the registry's
services, as 入户核实 writes them."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from jingzhun.core.audit import Actor
from jingzhun.core.errors import ValidationFailed
from jingzhun.policy import catalogue as c
from jingzhun.policy import services as policy_services
from jingzhun.policy.criteria import add_months, covered_months, evaluate_household
from jingzhun.registry import services
from jingzhun.registry.choices import ExpenseKind, LabourSkill, MonitoringType, PovertyStatus, RecordSource
from jingzhun.registry.models import Household
from jingzhun.testing.factories import (
    MEMBER_INSURED,
    YEAR_GUARANTEES_MET,
    HouseholdFactory,
    HouseholdYearFactory,
    MemberFactory,
)
from jingzhun.testing.world import TOWNSHIP_A

VILLAGE = TOWNSHIP_A + "201"
ON = dt.date(
    2025, 4, 1
)  # decisions of 2025: the 2025 Gansu range (7,000) and 2024's disposable income (23,119)
PERIOD = (dt.date(2024, 4, 1), dt.date(2025, 3, 31))  # the 12 months before
UNSTABLE, MARGINAL, SUDDEN = (
    MonitoringType.UNSTABLE_EXITED,
    MonitoringType.MARGINAL,
    MonitoringType.SUDDEN_HARDSHIP,
)


def admin(world: Any) -> Actor:
    return Actor.of(world.users["admin"])


def parameter(world: Any, key: str, value: str, *, year: int | None = None) -> None:
    dated: dict[str, Any] = {} if year else {"effective_from": dt.date(2020, 1, 1)}
    policy_services.create_parameter(
        actor=admin(world),
        key=key,
        region_prefix="62",
        year=year,
        value=value,
        document="甘肃省测试文件",
        **dated,
    )


@pytest.fixture
def gansu(world: Any) -> Any:
    parameter(world, c.MONITORING_LINE, "7000", year=2025)
    return world


def household(world: Any, status: str = "") -> Household:
    hh = HouseholdFactory.create(village=world.villages[VILLAGE], poverty_status=status, head_name="赵大山")
    MemberFactory(household=hh, name="赵大山", labour_skill=LabourSkill.ORDINARY, **MEMBER_INSURED)
    HouseholdYearFactory(
        household=hh, year=2024, household_size=1, wage_income=Decimal("3000"), **YEAR_GUARANTEES_MET
    )
    return hh


def assess(
    world: Any, hh: Household, net: str, persons: int = 1, period: tuple[dt.date, dt.date] = PERIOD
) -> Any:
    hh.refresh_from_db()
    return services.save_income_assessment(
        actor=admin(world),
        household=hh,
        expected_version=hh.version,
        data={
            "period_start": period[0],
            "period_end": period[1],
            "net_income": Decimal(net),
            "persons": persons,
            "source": RecordSource.VERIFIED,
        },
    )


def spend(
    world: Any,
    hh: Household,
    amount: str,
    on: dt.date = dt.date(2025, 2, 10),
    kind: str = ExpenseKind.MEDICAL,
    **extra: Any,
) -> Any:
    hh.refresh_from_db()
    return services.save_expense(
        actor=admin(world),
        household=hh,
        expected_version=hh.version,
        data={
            "kind": kind,
            "incurred_on": on,
            "amount": Decimal(amount),
            "source": RecordSource.MEDICAL_INSURANCE,
            **extra,
        },
    )


def judge(hh: Household, applied: str | None, on: dt.date = ON) -> dict[str, Any]:
    evaluation = evaluate_household(hh, purpose="monitoring", on=on, monitoring_type=applied)
    json.dumps(evaluation.as_json(), ensure_ascii=False)  # what a decision stores stays JSON
    return {
        "passed": evaluation.passed,
        "summary": evaluation.summary_zh(),
        **{x.code: x for x in evaluation.criteria},
    }


# --- income of the 12 months before, for each type --------------------------------------------------


@pytest.mark.parametrize(("applied", "status"), [(UNSTABLE, PovertyStatus.EXITED_ENJOYING), (MARGINAL, "")])
@pytest.mark.parametrize(("net", "inside"), [("6999", True), ("7000", True), ("7001", False)])
def test_income_of_the_twelve_months_against_the_range(
    gansu: Any, applied: str, status: str, net: str, inside: bool
) -> None:
    hh = household(gansu, status)
    assess(gansu, hh, net)
    result = judge(hh, applied)
    income = result["income"]
    assert income.passed is inside and income.required and result["passed"] is inside
    assert f"{int(net):,} 元/人·年（2024-04-01至2025-03-31收入核算）" == income.value
    assert "≤ 7,000" in income.threshold and "甘肃省" in income.threshold
    assert "采用入户核实的12个月收入" in income.note
    assert result["category"].passed and not result["expenses"].required


@pytest.mark.parametrize(("net", "passed"), [("6999", True), ("7000", True), ("7001", False)])
def test_a_sudden_hardship_household_within_the_range_passes_on_income_alone(
    gansu: Any, net: str, passed: bool
) -> None:
    # no expenses at all: income after expenses is the income itself
    hh = household(gansu)
    assess(gansu, hh, net)
    result = judge(hh, SUDDEN)
    assert result["expenses"].passed is passed and result["passed"] is passed
    assert not result["income"].required  # for this type income above the range is allowed


def test_the_type_applied_for_decides_who_may_be_monitored(gansu: Any) -> None:
    ordinary, exited = household(gansu), household(gansu, PovertyStatus.EXITED_ENJOYING)
    poor = household(gansu, PovertyStatus.NOT_EXITED)
    for hh in (ordinary, exited, poor):
        assess(gansu, hh, "5000")
    assert not judge(ordinary, UNSTABLE)["category"].passed
    assert judge(ordinary, MARGINAL)["category"].passed and judge(ordinary, SUDDEN)["category"].passed
    assert not judge(exited, MARGINAL)["category"].passed
    assert judge(exited, UNSTABLE)["category"].passed and judge(exited, SUDDEN)["category"].passed
    refused = judge(poor, SUDDEN)
    assert not refused["category"].passed and "对象类别" in refused["summary"]
    assert "申请类型：突发严重困难户" in refused["category"].value


def test_without_a_type_the_household_status_decides_and_says_so(gansu: Any) -> None:
    hh = household(gansu, PovertyStatus.EXITED_ENJOYING)
    assert "按脱贫不稳定户判断" in judge(hh, None)["category"].note
    with pytest.raises(ValidationFailed, match="监测对象类型无效"):
        judge(hh, "9")


def test_an_assessment_outside_the_window_or_too_short_is_not_used(gansu: Any) -> None:
    hh = household(gansu)
    assess(gansu, hh, "2000", period=(dt.date(2023, 3, 1), dt.date(2024, 2, 29)))  # ended 13 months before
    assess(gansu, hh, "1000", period=(dt.date(2024, 5, 1), dt.date(2025, 3, 31)))  # 11 months only
    income = judge(hh, MARGINAL)["income"]
    assert "2024年度数据" in income.value and "3,000" in income.value
    assert "没有截至2025-04-01前12个月内、覆盖12个月的收入核算" in income.note
    # the latest qualifying one wins when there are several
    assess(gansu, hh, "6500", period=(dt.date(2024, 3, 1), dt.date(2025, 2, 28)))
    assess(gansu, hh, "7500", period=PERIOD)
    income = judge(hh, MARGINAL)["income"]
    assert "7,500" in income.value and not income.passed


def test_window_arithmetic() -> None:
    assert covered_months(*PERIOD) == 12 and covered_months(dt.date(2024, 5, 1), dt.date(2025, 3, 31)) == 11
    assert add_months(dt.date(2025, 3, 31), -1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2024, 12, 15), 2) == dt.date(2025, 2, 15)


# --- 突发严重困难户: the compliant rigid expenses -------------------------------------------------------


@pytest.mark.parametrize(("expense", "passed"), [("4999", False), ("5000", True), ("5001", True)])
def test_income_after_expenses_at_the_range(gansu: Any, expense: str, passed: bool) -> None:
    # one person, 12,000 a year: after the expenses 7,001 / 7,000 / 6,999 against the range of 7,000
    hh = household(gansu)
    assess(gansu, hh, "12000")
    spend(gansu, hh, expense, total_cost=Decimal("30000"), reimbursed=Decimal("20000"))
    result = judge(hh, SUDDEN)
    expenses = result["expenses"]
    assert expenses.passed is passed and result["passed"] is passed and expenses.required
    after = 12000 - int(expense)
    assert f"扣除后人均 {after:,} 元/人·年" in expenses.value
    assert (
        f"合规刚性支出 {int(expense):,} 元（医疗自付（报销后） {int(expense):,} 元，共1笔）" in expenses.value
    )
    assert "扣除后人均 ≤ 7,000" in expenses.threshold
    if not passed:
        assert "合规自付支出" in result["summary"]


@pytest.mark.parametrize(("expense", "passed"), [("19999", False), ("20000", False), ("20001", True)])
def test_expenses_over_half_of_net_income(gansu: Any, expense: str, passed: bool) -> None:
    # two persons, 40,000 (20,000 each, under 2024's 23,119): half of it is 20,000; the amount line is raised
    # out of the way, and after the expenses income stays above the range (≥ 9,999.50 each)
    parameter(gansu, c.SUDDEN_HARDSHIP_EXPENSE_AMOUNT, "30000")
    hh = household(gansu)
    assess(gansu, hh, "40000", persons=2)
    spend(gansu, hh, expense, kind=ExpenseKind.DISASTER)
    expenses = judge(hh, SUDDEN)["expenses"]
    assert expenses.passed is passed
    assert "家庭纯收入×50%" in expenses.threshold
    assert "< 23,119" in expenses.threshold and "待确认" in expenses.threshold  # the shipped national figure


@pytest.mark.parametrize(("expense", "passed"), [("14999", False), ("15000", False), ("15001", True)])
def test_expenses_over_the_amount(gansu: Any, expense: str, passed: bool) -> None:
    parameter(gansu, c.SUDDEN_HARDSHIP_EXPENSE_AMOUNT, "15000")
    parameter(gansu, c.SUDDEN_HARDSHIP_EXPENSE_SHARE, "0.9")
    hh = household(gansu)
    assess(gansu, hh, "40000", persons=2)
    spend(gansu, hh, expense, kind=ExpenseKind.ACCIDENT)
    expenses = judge(hh, SUDDEN)["expenses"]
    assert expenses.passed is passed and "> 15,000 元/年" in expenses.threshold


@pytest.mark.parametrize(("net", "passed"), [("46236", True), ("46238", False), ("46240", False)])
def test_the_share_and_amount_only_count_under_last_years_disposable_income(
    gansu: Any, net: str, passed: bool
) -> None:
    # 2 persons: 23,118 / 23,119 / 23,120 each against 2024's rural disposable income of 23,119
    hh = household(gansu)
    assess(gansu, hh, net, persons=2)
    spend(gansu, hh, "25000", kind=ExpenseKind.EDUCATION)  # over half of income and over 20,000
    assert judge(hh, SUDDEN)["expenses"].passed is passed


def test_only_the_expenses_of_the_income_period_count(gansu: Any) -> None:
    hh = household(gansu)
    assess(gansu, hh, "12000")
    spend(gansu, hh, "9000", on=dt.date(2024, 3, 31))  # the day before the period
    spend(gansu, hh, "9000", on=dt.date(2025, 4, 1))  # the decision day, after the period
    spend(gansu, hh, "2000", on=dt.date(2024, 4, 1), kind=ExpenseKind.OTHER)
    expenses = judge(hh, SUDDEN)["expenses"]
    assert not expenses.passed and "合规刚性支出 2,000 元" in expenses.value and "共1笔" in expenses.value


def test_without_an_assessment_the_expenses_of_the_months_before_the_decision_count(gansu: Any) -> None:
    hh = household(gansu)  # the 2024 data year: 3,000 (under the range anyway); 12,000 here
    hh.years.update(
        wage_income=Decimal("12000"), net_income=Decimal("12000"), per_capita_net_income=Decimal("12000")
    )
    spend(gansu, hh, "5000", on=dt.date(2024, 4, 2))
    spend(gansu, hh, "5000", on=dt.date(2024, 4, 1))  # 12 months and a day before: not counted
    result = judge(hh, SUDDEN)
    assert "2024-04-02至2025-04-01合规刚性支出 5,000 元" in result["expenses"].value
    assert result["expenses"].passed and "2024年度人均纯收入" in result["expenses"].note


def test_the_other_two_factors_are_shown_for_reference(gansu: Any) -> None:
    hh = household(gansu)
    hh.years.update(water_safe=False)
    Household.objects.filter(pk=hh.pk).update(risk_types=["1"])
    hh.refresh_from_db()
    result = judge(hh, MARGINAL)
    hardship, coping = result["hardship"], result["coping"]
    assert hardship.passed and not hardship.required and "饮水安全" in hardship.value
    assert "登记的致贫返贫风险" in hardship.note
    assert not coping.required and "劳动力 1 人（共 1 人）" in coping.value and "承诺授权书" in coping.note
    assert [x for x in ("category", "income", "expenses", "hardship", "coping") if x in result]


def test_a_missing_threshold_is_named_and_the_other_test_still_judged(gansu: Any) -> None:
    from jingzhun.policy.models import Parameter

    Parameter.objects.filter(key=c.RURAL_DISPOSABLE_INCOME).delete()
    hh = household(gansu)
    assess(gansu, hh, "12000")
    spend(gansu, hh, "6000")
    expenses = judge(hh, SUDDEN)["expenses"]
    assert expenses.passed and "未设置政策参数「农村居民人均可支配收入」" in expenses.note


# --- elimination: income stably above the range -----------------------------------------------------


def monitored(world: Any, identified: dt.date = dt.date(2023, 1, 1)) -> Household:
    hh = household(world, PovertyStatus.EXITED_ENJOYING)
    hh.years.update(
        wage_income=Decimal("9000"), net_income=Decimal("9000"), per_capita_net_income=Decimal("9000")
    )
    Household.objects.filter(pk=hh.pk).update(
        monitoring_type=UNSTABLE, risk_elimination="0", monitoring_identified_on=identified
    )
    hh.refresh_from_db()
    return hh


@pytest.mark.parametrize(
    ("on", "months", "passed"),
    [(dt.date(2025, 3, 31), 5, False), (dt.date(2025, 4, 1), 6, True), (dt.date(2025, 5, 1), 7, True)],
)
def test_stable_months_count_from_when_income_rose_above_the_range(
    gansu: Any, on: dt.date, months: int, passed: bool
) -> None:
    hh = monitored(gansu)
    assess(gansu, hh, "6000", period=(dt.date(2023, 10, 1), dt.date(2024, 9, 30)))  # within the range
    assess(gansu, hh, "9000", period=PERIOD)  # above it
    evaluation = evaluate_household(hh, purpose="elimination", on=on)
    stable = {x.code: x for x in evaluation.criteria}["stable"]
    assert stable.passed is passed and evaluation.passed is passed
    assert f"自2024-10-01起收入高于监测范围，已{months}个月" in stable.value
    assert "≥ 6 个月" in stable.threshold and "2023-10-01至2024-09-30收入核算人均 6,000 元" in stable.note


def test_stability_is_not_counted_before_identification(gansu: Any) -> None:
    hh = monitored(gansu, identified=dt.date(2025, 1, 15))
    assess(gansu, hh, "9000", period=PERIOD)
    stable = {
        x.code: x for x in evaluate_household(hh, purpose="elimination", on=dt.date(2025, 4, 1)).criteria
    }
    assert not stable["stable"].passed and "自2025-01-15起" in stable["stable"].value
    assert "纳入监测" in stable["stable"].note


def test_latest_income_within_the_range_is_not_stable(gansu: Any) -> None:
    hh = monitored(gansu)
    assess(gansu, hh, "9000", period=(dt.date(2023, 4, 1), dt.date(2024, 3, 31)))
    assess(gansu, hh, "7000", period=PERIOD)  # at the range: not above it
    evaluation = evaluate_household(hh, purpose="elimination", on=dt.date(2025, 4, 1))
    stable = {x.code: x for x in evaluation.criteria}["stable"]
    assert not stable.passed and "最近的收入 7,000 元/人·年" in stable.value and not evaluation.passed


# --- the evaluation page and API take the type applied for ------------------------------------------


def test_the_evaluation_page_and_api_judge_the_type_chosen(gansu: Any, client: Any, settings: Any) -> None:
    from django.test import Client
    from django.urls import reverse

    from jingzhun.accounts.services import create_api_token

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    hh = household(gansu)
    assess(gansu, hh, "12000")
    spend(gansu, hh, "5000")
    client.force_login(gansu.users["village_officer"])
    url = reverse("policy:household_evaluate", args=[hh.pk])
    page = client.get(
        url, {"purpose": "monitoring", "on": "2025-04-01", "monitoring_type": SUDDEN}
    ).content.decode()
    assert 'id="verdict">全部满足' in page and "扣除后人均 7,000 元/人·年" in page
    page = client.get(url, {"purpose": "monitoring", "on": "2025-04-01", "monitoring_type": "x"})
    assert page.status_code == 200 and "监测对象类型无效" in page.content.decode()
    _token, raw = create_api_token(actor=Actor(user=None, name="测试"), user=gansu.users["village_officer"])
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    path = f"/api/policy/households/{hh.pk}/evaluation"
    body = api.get(path, {"purpose": "monitoring", "on": "2025-04-01", "monitoring_type": SUDDEN}).json()
    assert body["passed"] and {c["code"] for c in body["criteria"]} >= {
        "category",
        "expenses",
        "hardship",
        "coping",
    }
    refused = api.get(path, {"purpose": "monitoring", "on": "2025-04-01", "monitoring_type": "9"})
    assert refused.status_code == 422 and "监测对象类型无效" in refused.json()["detail"]
    assert not api.get(
        path, {"purpose": "monitoring", "on": "2025-04-01", "monitoring_type": MARGINAL}
    ).json()["passed"]
