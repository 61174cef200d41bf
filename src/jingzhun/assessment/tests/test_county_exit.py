"""The county exit check (policy.criteria.evaluate_county_exit) on a generated county equals the "三率一度"
computed here independently, with plain sums over the interview rows and the survey's frame (§3.4)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest

from jingzhun.assessment import selectors, services
from jingzhun.assessment.choices import Group, Outcome
from jingzhun.assessment.models import SampledHousehold, Survey
from jingzhun.core.audit import Actor
from jingzhun.policy.criteria import evaluate_county_exit
from jingzhun.registry.choices import PovertyStatus

YEAR = 2025
DESIGN = {"villages": {"poor": 6, "non_poor": 6}, "households_per_village": 10}
EXITED = {PovertyStatus.EXITED_ENJOYING, PovertyStatus.EXITED_NOT_ENJOYING}


def _survey(assessed: Any, seed: int = 11) -> Survey:
    return services.draw_survey(
        actor=Actor.of(assessed.users["county_admin"]),
        county=assessed.county,
        year=YEAR,
        seed=seed,
        design=DESIGN,
    )


def _interview_everybody(survey: Survey) -> None:
    """Varied results: some not at home (not counted), some not approving, some wrong exits
    and missed households of one to three people."""
    actor = Actor.of(None)
    for i, h in enumerate(survey.households.order_by("pk")):
        data: dict[str, Any] = {"visited_on": dt.date.today(), "interviewers": "评估员甲、评估员乙"}
        if i % 11 == 5:
            data["outcome"] = Outcome.NOT_AT_HOME
        else:
            data["approves"] = i % 6 != 0
            if h.exited:
                data |= {
                    "wrongly_exited": i % 4 == 0,
                    "wrong_exit_reason": "收入不稳定" if i % 4 == 0 else "",
                }
            if h.non_registered:
                missed = i % 3 == 0
                data |= {"missed": missed, "missed_people": (i % 3) + 1 if missed else None}
        services.record_interview(actor=actor, sampled=h, data=data)


def _independent(survey: Survey) -> dict[str, float]:
    """The four figures from the rows, written out without the estimator."""
    rows = [
        h
        for h in SampledHousehold.objects.filter(survey=survey).select_related("interview", "village")
        if hasattr(h, "interview") and h.interview.outcome == Outcome.COMPLETED
    ]
    answered = [h for h in rows if h.interview.approves is not None]
    approval = sum(1 for h in answered if h.interview.approves) / len(answered)
    judged = [h for h in rows if h.poverty_status in EXITED and h.interview.wrongly_exited is not None]
    wrong = sum(h.people for h in judged if h.interview.wrongly_exited) / sum(h.people for h in judged)
    # 漏评率: each sampled village's missed people among the non-registered people visited there, expanded to
    # the village's non-registered population, over that population (= the formula when all are screened).
    missed_people: dict[int, int] = defaultdict(int)
    visited_people: dict[int, int] = defaultdict(int)
    for h in rows:
        if h.group == Group.NON_REGISTERED and h.interview.missed is not None:
            visited_people[h.village_id] += h.people
            if h.interview.missed:
                assert h.interview.missed_people is not None  # required when someone was missed
                missed_people[h.village_id] += h.interview.missed_people
    population = {
        v.pk: v.rural_population - v.registered_people
        for v in survey.villages.all()
        if v.rural_population is not None
    }
    counted = [v for v in visited_people if visited_people[v] > 0 and v in population]
    missed_found = sum(population[v] * missed_people[v] / visited_people[v] for v in counted)
    missed_base = sum(population[v] for v in counted)
    missed = missed_found / missed_base
    frame = survey.frame
    non_registered = max(frame["rural_population"] - frame["registered_people"], 0)
    numerator = frame["poor_people"] + missed * non_registered + wrong * frame["exited_people"]
    return {
        "incidence": numerator / frame["rural_population"],
        "incidence_numerator": numerator,
        "wrong_exit_rate": wrong,
        "wrong_numerator": sum(h.people for h in judged if h.interview.wrongly_exited),
        "wrong_denominator": sum(h.people for h in judged),
        "missed_rate": missed,
        "missed_numerator": missed_found,
        "missed_denominator": missed_base,
        "approval": approval,
        "approval_numerator": sum(1 for h in answered if h.interview.approves),
        "approval_denominator": len(answered),
    }


def test_the_county_exit_check_equals_an_independent_computation(assessed: Any) -> None:
    survey = _survey(assessed)
    _interview_everybody(survey)
    expected = _independent(survey)
    assert (
        0 < expected["wrong_exit_rate"] < 1
        and 0 < expected["missed_rate"] < 1
        and 0 < expected["approval"] < 1
    )

    evaluation = evaluate_county_exit(assessed.county, year=YEAR)  # finds the survey by itself
    assert evaluation.survey is not None and evaluation.survey["id"] == survey.pk
    figures = evaluation.figures
    for code in ("incidence", "wrong_exit_rate", "missed_rate", "approval"):
        assert figures[code]["value"] == pytest.approx(expected[code], rel=1e-12), code
    assert figures["incidence"]["numerator"] == pytest.approx(expected["incidence_numerator"], rel=1e-12)
    assert figures["incidence"]["denominator"] == survey.frame["rural_population"]
    for code, name in (("wrong_exit_rate", "wrong"), ("missed_rate", "missed"), ("approval", "approval")):
        assert figures[code]["numerator"] == pytest.approx(expected[f"{name}_numerator"], rel=1e-12)
        assert figures[code]["denominator"] == pytest.approx(expected[f"{name}_denominator"], rel=1e-12)

    by_code = {c.code: c for c in evaluation.criteria}
    limits = {
        "incidence": Decimal("0.03"),
        "wrong_exit_rate": Decimal("0.02"),
        "missed_rate": Decimal("0.02"),
    }
    for code, limit in limits.items():  # 甘肃 is western: 3% incidence
        assert by_code[code].passed == (Decimal(str(expected[code])) < limit), code
        assert by_code[code].parameter.value == limit
    assert by_code["approval"].passed == (Decimal(str(expected["approval"])) >= Decimal("0.9"))
    assert f"÷ {expected['approval_denominator']}；调查「{survey.name}」" in by_code["approval"].value
    assert f"÷ {survey.frame['rural_population']}人" in by_code["incidence"].value
    # The survey's page computes the same evaluation.
    assert selectors.exit_evaluation(survey).figures == figures


def test_a_typed_in_rate_overrides_the_survey_and_says_so(assessed: Any) -> None:
    survey = _survey(assessed)
    _interview_everybody(survey)
    evaluation = evaluate_county_exit(assessed.county, year=YEAR, survey=survey, approval="0.95")
    approval = {c.code: c for c in evaluation.criteria}["approval"]
    assert approval.passed and "人工填写，覆盖调查估计" in approval.value
    assert "调查「" in approval.note and evaluation.figures["approval"]["overridden"] is True


def test_without_a_survey_the_rates_are_not_assessed(assessed: Any) -> None:
    evaluation = evaluate_county_exit(assessed.county, year=YEAR)
    by_code = {c.code: c for c in evaluation.criteria}
    assert evaluation.survey is None and not evaluation.passed
    assert "不含漏评、错退人口" in by_code["incidence"].note
    assert all("专项评估检查" in by_code[c].value for c in ("wrong_exit_rate", "missed_rate", "approval"))
