"""Drawing, redrawing, entering results and closing, on a generated county: checked against the register."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import pytest
from django.db.models import Count, Q

from jingzhun.assessment import access, selectors, services
from jingzhun.assessment.choices import Group, Outcome, Stratum, SurveyState
from jingzhun.assessment.models import Interview, SampledHousehold, Survey
from jingzhun.core.audit import Actor
from jingzhun.core.errors import ConcurrentEditError, NotFoundOrForbidden, ValidationFailed
from jingzhun.core.models import ObjectChange
from jingzhun.regions.models import Region
from jingzhun.registry.models import Household

DESIGN = {"villages": {"poor": 6, "non_poor": 6}, "households_per_village": 10}
TODAY = dt.date.today()


def _draw(assessed: Any, seed: int = 42, **kw: Any) -> Survey:
    actor = Actor.of(assessed.users["county_admin"])
    return services.draw_survey(
        actor=actor, county=assessed.county, year=2025, seed=seed, design=kw.pop("design", DESIGN), **kw
    )


def _sample(survey: Survey) -> list[tuple[str, list[tuple[int | None, str]]]]:
    return [
        (v.village_id, [(h.household_id, h.group) for h in v.households.order_by("order")])
        for v in survey.villages.order_by("order")
    ]


def _register_facts() -> dict[int, dict[str, Any]]:
    """Each household's group and size, counted here from the members (independently of the selectors)."""
    active = Q(members__left_on__isnull=True)
    rows = Household.objects.annotate(
        people=Count("members", filter=active),
        labour=Count("members", filter=active & Q(members__labour_skill__in=["1", "2"])),
    )
    facts = {}
    for h in rows:
        group: Group | None
        if h.poverty_status:
            group = Group.REGISTERED_WITH_LABOUR if h.labour else Group.REGISTERED_WITHOUT_LABOUR
        else:
            group = None if h.monitoring_type else Group.NON_REGISTERED
        facts[h.pk] = {
            "group": group,
            "people": h.people,
            "village": h.village_id,
            "status": h.poverty_status,
        }
    return facts


def test_the_same_seed_draws_the_same_sample_and_another_seed_another(assessed):
    first, again, other = _draw(assessed, 42), _draw(assessed, 42), _draw(assessed, 43)
    assert _sample(first) == _sample(again)
    assert _sample(first) != _sample(other)


def test_the_sample_follows_the_design_and_the_register(assessed):
    survey = _draw(assessed)
    facts = _register_facts()
    # strata by incidence, computed here: registered people ÷ rural population ≥ 2 × the county's
    registered: dict[str, int] = defaultdict(int)
    for f in facts.values():
        if f["status"]:
            registered[f["village"]] += f["people"]
    villages = dict(
        Region.objects.filter(level=5, code__startswith="620502").values_list("code", "rural_population")
    )
    rate = sum(registered.values()) / sum(villages.values())
    with_households = {f["village"] for f in facts.values() if f["group"] and f["people"]}
    poor = {c for c in with_households if registered[c] / villages[c] >= 2 * rate}
    expected = {Stratum.POOR: min(6, len(poor)), Stratum.NON_POOR: min(6, len(with_households - poor))}
    drawn = survey.villages.values("stratum").annotate(n=Count("id"))
    assert {row["stratum"]: row["n"] for row in drawn} == expected
    for village in survey.villages.all():
        assert village.stratum == (Stratum.POOR if village.village_id in poor else Stratum.NON_POOR)
        assert village.registered_people == registered[village.village_id]
        assert village.rural_population == villages[village.village_id]
        households = list(village.households.all())
        available = [
            pk for pk, f in facts.items() if f["village"] == village.village_id and f["group"] and f["people"]
        ]
        assert len(households) == min(10, len(available))
        for h in households:
            fact = facts[h.household_id]
            assert fact["village"] == village.village_id
            assert (h.group, h.people, h.poverty_status) == (fact["group"], fact["people"], fact["status"])
    # nobody twice; the county's figures as the register has them
    ids = list(survey.households.values_list("household_id", flat=True))
    assert len(ids) == len(set(ids))
    assert survey.frame["registered_people"] == sum(registered.values())
    assert survey.frame["exited_people"] == sum(
        f["people"] for f in facts.values() if f["status"] in ("1", "4")
    )
    assert survey.frame["rural_population"] == sum(villages.values())


def test_no_id_or_phone_is_copied_into_the_sample(assessed):
    survey = _draw(assessed)
    fields = {f.name for f in SampledHousehold._meta.concrete_fields}
    assert not fields & {"id_number", "phone", "bank_account"}
    assert survey.households.exists()


def test_every_row_of_a_draw_is_audited(assessed):
    before = ObjectChange.objects.count()
    survey = _draw(assessed)
    changes = ObjectChange.objects.all()[: ObjectChange.objects.count() - before]
    expected = 1 + survey.villages.count() + survey.households.count()
    assert ObjectChange.objects.count() - before == expected
    assert {c.user_name for c in changes} == {"county_admin"}
    assert {(c.root_type, c.root_id) for c in changes} == {("assessment.survey", str(survey.pk))}


def test_a_county_with_no_households_cannot_be_drawn(assessed):
    other = Region.objects.get(prefix="620503")
    with pytest.raises(ValidationFailed) as caught:
        services.draw_survey(actor=Actor.of(None), county=other, year=2025, seed=1)
    assert "没有可抽样的农户" in caught.value.message


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"year": 2013}, "year"),
        ({"seed": -1}, "seed"),
        ({"design": {"stratum_rule": "list", "poor_villages": "620503100201"}}, "poor_villages"),
    ],
)
def test_bad_draws_are_refused(assessed, kw, field):
    with pytest.raises(ValidationFailed) as caught:
        services.draw_survey(actor=Actor.of(None), county=assessed.county, **({"year": 2025, "seed": 1} | kw))
    assert field in caught.value.errors


def _first(survey: Survey, **filters: Any) -> SampledHousehold | None:
    return survey.households.filter(**filters).order_by("pk").first()


def _result(**kw: Any) -> dict[str, Any]:
    return {"visited_on": TODAY, "interviewers": "评估员甲、评估员乙", "approves": True} | kw


def test_an_exited_household_is_asked_about_a_wrong_exit(assessed):
    survey = _draw(assessed)
    exited = _first(survey, poverty_status__in=["1", "4"])
    actor = Actor.of(assessed.users["county_admin"])
    with pytest.raises(ValidationFailed) as caught:
        services.record_interview(actor=actor, sampled=exited, data=_result())
    assert "wrongly_exited" in caught.value.errors
    with pytest.raises(ValidationFailed) as caught:
        services.record_interview(actor=actor, sampled=exited, data=_result(wrongly_exited=True))
    assert "wrong_exit_reason" in caught.value.errors
    saved = services.record_interview(
        actor=actor, sampled=exited, data=_result(wrongly_exited=True, wrong_exit_reason="收入未达标")
    )
    assert saved.wrongly_exited is True and saved.missed is None
    survey.refresh_from_db()
    assert survey.state == SurveyState.FIELDWORK


def test_a_non_registered_household_is_asked_about_being_missed(assessed):
    survey = _draw(assessed)
    household = _first(survey, group=Group.NON_REGISTERED)
    actor = Actor.of(assessed.users["county_admin"])
    with pytest.raises(ValidationFailed) as caught:
        services.record_interview(actor=actor, sampled=household, data=_result(missed=True))
    assert "missed_people" in caught.value.errors
    with pytest.raises(ValidationFailed):
        services.record_interview(
            actor=actor, sampled=household, data=_result(missed=True, missed_people=household.people + 1)
        )
    saved = services.record_interview(
        actor=actor, sampled=household, data=_result(missed=True, missed_people=1)
    )
    assert (saved.missed, saved.missed_people, saved.wrongly_exited) == (True, 1, None)


def test_a_visit_without_an_interview_keeps_no_answers(assessed):
    survey = _draw(assessed)
    household = _first(survey, group=Group.NON_REGISTERED)
    saved = services.record_interview(
        actor=Actor.of(None),
        sampled=household,
        data=_result(outcome=Outcome.NOT_AT_HOME, approves=True, missed=True, missed_people=1),
    )
    assert (saved.approves, saved.missed, saved.missed_people) == (None, None, None)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"visited_on": TODAY + dt.timedelta(days=1)}, "visited_on"),
        ({"visited_on": TODAY - dt.timedelta(days=3)}, "visited_on"),
        ({"interviewers": " "}, "interviewers"),
        ({"approves": None}, "approves"),
        ({"outcome": "moved"}, "outcome"),
    ],
)
def test_bad_results_are_refused(assessed, data, field):
    survey = _draw(assessed)
    household = _first(survey, group=Group.REGISTERED_WITH_LABOUR, poverty_status="")
    household = household or _first(survey, group=Group.NON_REGISTERED)
    with pytest.raises(ValidationFailed) as caught:
        services.record_interview(actor=Actor.of(None), sampled=household, data=_result(missed=False) | data)
    assert field in caught.value.errors


def test_a_result_saved_meanwhile_is_not_overwritten(assessed):
    survey = _draw(assessed)
    household = _first(survey, group=Group.NON_REGISTERED)
    actor = Actor.of(assessed.users["county_admin"])
    saved = services.record_interview(actor=actor, sampled=household, data=_result(missed=False))
    with pytest.raises(ConcurrentEditError):
        services.record_interview(
            actor=actor, sampled=household, data=_result(missed=False), expected_version=0
        )
    before = ObjectChange.objects.count()
    fixed = services.record_interview(
        actor=actor,
        sampled=household,
        data=_result(missed=False, approves=False),
        expected_version=saved.version,
    )
    assert fixed.version == 2 and fixed.approves is False
    change = ObjectChange.objects.order_by("-pk").first()
    assert ObjectChange.objects.count() == before + 1 and change.before["approves"] is True


def test_a_redraw_without_results_supersedes_the_survey(assessed):
    survey = _draw(assessed)
    new = services.redraw_survey(actor=Actor.of(None), survey=survey, seed=7, expected_version=survey.version)
    survey.refresh_from_db()
    assert survey.state == SurveyState.SUPERSEDED and new.redrawn_from == survey
    assert (new.county, new.year, new.design) == (survey.county, survey.year, survey.design)
    with pytest.raises(ValidationFailed):
        services.redraw_survey(actor=Actor.of(None), survey=new, seed=7, expected_version=new.version)


def test_a_redraw_never_changes_a_survey_with_results(assessed):
    survey = _draw(assessed)
    household = _first(survey, group=Group.NON_REGISTERED)
    services.record_interview(actor=Actor.of(None), sampled=household, data=_result(missed=False))
    survey.refresh_from_db()
    before = (survey.state, survey.version, _sample(survey), Interview.objects.count())
    services.redraw_survey(actor=Actor.of(None), survey=survey, seed=9, expected_version=survey.version)
    survey.refresh_from_db()
    assert (survey.state, survey.version, _sample(survey), Interview.objects.count()) == before


def test_assessors_add_a_household_that_is_in_no_register(assessed):
    survey = _draw(assessed)
    village = survey.villages.order_by("order").first()
    last = village.households.count()
    added = services.add_household(
        actor=Actor.of(None), village=village, head_name="张三", address="三组12号", people=4
    )
    assert (added.group, added.by_hand, added.household_id, added.order) == (
        Group.NON_REGISTERED,
        True,
        None,
        last + 1,
    )
    services.record_interview(actor=Actor.of(None), sampled=added, data=_result(missed=True, missed_people=4))
    figures = selectors.survey_estimates(survey)
    assert figures.missed_rate.numerator > 0
    with pytest.raises(ValidationFailed):
        services.add_household(actor=Actor.of(None), village=village, head_name="", address="x", people=1)


def test_a_closed_survey_takes_no_more_results(assessed):
    survey = _draw(assessed)
    services.close_survey(actor=Actor.of(None), survey=survey, expected_version=1)
    with pytest.raises(ValidationFailed):
        services.record_interview(actor=Actor.of(None), sampled=_first(survey), data=_result())
    with pytest.raises(ValidationFailed):
        services.close_survey(actor=Actor.of(None), survey=survey, expected_version=2)
    with pytest.raises(ConcurrentEditError):
        services.redraw_survey(actor=Actor.of(None), survey=survey, seed=5, expected_version=1)


def _enter_everything(survey: Survey) -> None:
    actor = Actor.of(None)
    for h in survey.households.order_by("pk"):
        data = _result(approves=h.pk % 5 != 0)
        if h.exited:
            data |= {"wrongly_exited": h.pk % 3 == 0, "wrong_exit_reason": "收入不达标"}
        if h.non_registered:
            data |= {"missed": h.pk % 2 == 0, "missed_people": 1}
        services.record_interview(actor=actor, sampled=h, data=data)


def test_the_estimates_are_the_assessment_formulas_over_the_results(assessed):
    survey = _draw(assessed)
    _enter_everything(survey)
    figures = selectors.survey_estimates(survey)
    rows = list(survey.households.select_related("village", "interview"))
    # 认可度 = approving households ÷ surveyed households
    assert figures.approval.value == pytest.approx(sum(h.interview.approves for h in rows) / len(rows))
    # 错退率 = wrongly exited people ÷ exited people in the sample
    exited = [h for h in rows if h.poverty_status in ("1", "4")]
    assert figures.wrong_exit_rate.value == pytest.approx(
        sum(h.people for h in exited if h.interview.wrongly_exited) / sum(h.people for h in exited)
    )
    # 漏评率 = Σ P_v · (missed_v / visited_v) ÷ Σ P_v over villages with non-registered visits
    found: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for h in rows:
        if h.group == Group.NON_REGISTERED:
            found[h.village_id][0] += h.interview.missed_people or 0
            found[h.village_id][1] += h.people
    population = {v.pk: v.rural_population - v.registered_people for v in survey.villages.all()}
    expected = sum(population[v] * y / m for v, (y, m) in found.items()) / sum(population[v] for v in found)
    assert figures.missed_rate.value == pytest.approx(expected)
    for e in (
        figures.approval,
        figures.wrong_exit_rate,
        figures.missed_rate,
        figures.comprehensive_incidence,
    ):
        assert e.low <= e.value <= e.high and e.deff >= 1


def test_the_exit_check_is_fed_with_the_survey_rates(assessed):
    survey = _draw(assessed)
    _enter_everything(survey)
    figures = selectors.survey_estimates(survey)
    evaluation = selectors.exit_evaluation(survey, figures)
    by_code = {c.code: c for c in evaluation.criteria}
    # One 综合贫困发生率, with the survey's missed and wrongly exited people (no register-only second row).
    assert set(by_code) == {"incidence", "wrong_exit_rate", "missed_rate", "approval"}
    shown = f"{figures.approval.value * 100:.2f}".rstrip("0").rstrip(".") + "%"
    assert by_code["approval"].value.startswith(shown + "（") and survey.name in by_code["approval"].value
    assert by_code["approval"].passed == (figures.approval.value >= 0.9)
    assert by_code["wrong_exit_rate"].passed == (figures.wrong_exit_rate.value < 0.02)
    assert "95%置信区间" in by_code["wrong_exit_rate"].note
    assert evaluation.figures["incidence"]["value"] == pytest.approx(figures.comprehensive_incidence.value)
    assert evaluation.survey["id"] == survey.pk


def test_outsiders_cannot_reach_a_survey(assessed):
    survey = _draw(assessed)
    users = assessed.users
    for name in ("admin", "county_admin", "leader", "auditor"):
        assert access.access_survey(users[name], survey.pk) == survey
    for name in ("township_officer", "other_county_admin", "department"):
        with pytest.raises(NotFoundOrForbidden):
            access.access_survey(users[name], survey.pk)
    for name in ("leader", "auditor"):
        with pytest.raises(NotFoundOrForbidden):
            access.access_survey(users[name], survey.pk, "change")
    assert list(access.counties_for(users["county_admin"])) == [assessed.county]
