"""A 突发严重困难户 case for an ordinary household whose income is above the range (issue 14): carried to approval
by its recorded expenses, and refused at 县级审批 with the reason shown when the expenses do not make its basic
living seriously difficult. The type judged is the one applied for (the case's params), not the household's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from jingzhun.core.audit import Actor
from jingzhun.core.errors import ValidationFailed
from jingzhun.procedures import services as procedures
from jingzhun.procedures.choices import CaseState
from jingzhun.procedures.models import CaseStep
from jingzhun.procedures.tests import helpers
from jingzhun.registry import services
from jingzhun.registry.choices import ExpenseKind, MonitoringType, RecordSource, RiskElimination

DISCOVERED = dt.date(
    2021, 6, 1
)  # 2021: the national range of 6,000 (待确认); 2020's disposable income 17,131


def ordinary_household_above_the_range(world, make_household, self_pay: str):
    """An ordinary household of two: 30,000 in the 12 months before (15,000 each, above 6,000), and a hospital
    stay whose compliant self-pay, recorded from the 医保 push, is ``self_pay``."""
    hh = make_household(income=20000, year=2020)
    actor = Actor.of(world.users["village_officer"])
    services.save_income_assessment(
        actor=actor,
        household=hh,
        expected_version=hh.version,
        data={
            "period_start": dt.date(2020, 6, 1),
            "period_end": dt.date(2021, 5, 31),
            "net_income": Decimal(30000),
            "persons": 2,
            "source": RecordSource.VERIFIED,
            "note": "入户核实",
        },
    )
    services.save_expense(
        actor=actor,
        household=hh,
        expected_version=hh.version,
        data={
            "kind": ExpenseKind.MEDICAL,
            "incurred_on": dt.date(2021, 3, 15),
            "amount": Decimal(self_pay),
            "total_cost": Decimal(80000),
            "reimbursed": Decimal(80000) - Decimal(self_pay) - 1000,
            "source": RecordSource.MEDICAL_INSURANCE,
            "note": "住院（不含目录外费用1,000元）",
        },
    )
    hh.refresh_from_db()
    return hh


def test_a_sudden_hardship_case_above_the_range_is_approved_by_its_expenses(world, make_household):
    hh = ordinary_household_above_the_range(world, make_household, "20000")  # (30,000 − 20,000) / 2 = 5,000
    case = helpers.open_case(
        world, hh, "monitoring", DISCOVERED, monitoring_type=MonitoringType.SUDDEN_HARDSHIP
    )
    helpers.run_through(world, case, DISCOVERED)
    case.refresh_from_db()
    hh.refresh_from_db()
    assert case.state == CaseState.APPROVED
    assert (
        hh.monitoring_type == MonitoringType.SUDDEN_HARDSHIP
        and hh.risk_elimination == RiskElimination.NOT_ELIMINATED
    )
    approval = CaseStep.objects.get(case=case, step__code="county_approval").evaluation
    criteria = {c["code"]: c for c in approval["criteria"]}
    assert approval["passed"] and not criteria["income"]["passed"] and not criteria["income"]["required"]
    assert "15,000 元/人·年（2020-06-01至2021-05-31收入核算）" == criteria["income"]["value"]
    assert criteria["expenses"]["passed"] and "扣除后人均 5,000 元/人·年" in criteria["expenses"]["value"]
    assert "申请类型：突发严重困难户" in criteria["category"]["value"]


def test_a_sudden_hardship_case_without_enough_expenses_is_refused_at_approval_with_the_reason(
    client, world, make_household
):
    hh = ordinary_household_above_the_range(
        world, make_household, "5000"
    )  # 12,500 each after; 5,000 < 20,000
    case = helpers.open_case(
        world, hh, "monitoring", DISCOVERED, monitoring_type=MonitoringType.SUDDEN_HARDSHIP
    )
    on = DISCOVERED
    while case.next_step.code != "county_approval":
        case, on = helpers.do_step(world, case, on)
    step = case.next_step
    with pytest.raises(ValidationFailed, match=r"不能通过「县级审批」.*合规自付支出"):
        procedures.complete_step(
            actor=helpers.actor_for(world, step),
            case=case,
            step_code=step.code,
            expected_version=case.version,
            on=on,
            signatures=helpers.signatures_for(step),
            evidence=helpers.evidence_for(step),
        )
    # the county officer sees the reason on the case page, and nothing is decided
    client.force_login(world.users["county_admin"])
    page = client.post(
        reverse("procedures:case_detail", args=[case.pk]),
        {
            "action": "step",
            "version": case.version,
            "step_code": "county_approval",
            "on": on.isoformat(),
            "sig_0": "县领导",
            "ev_approval_document": "县乡村振兴局批复",
        },
    )
    text = page.content.decode()
    assert page.status_code == 422 and "不符合政策标准" in text and "合规自付支出" in text
    case.refresh_from_db()
    hh.refresh_from_db()
    assert (
        case.state == CaseState.OPEN and case.next_step.code == "county_approval" and hh.monitoring_type == ""
    )
    # the township's review recorded why, with the numbers
    review = CaseStep.objects.get(case=case, step__code="township_review").evaluation
    expenses = next(c for c in review["criteria"] if c["code"] == "expenses")
    assert not expenses["passed"] and "合规刚性支出 5,000 元" in expenses["value"]
    assert (
        "扣除后人均 12,500 元/人·年" in expenses["value"] and "支出占家庭纯收入 16.67%" in expenses["value"]
    )
