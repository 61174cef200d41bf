"""The estimates against examples worked out by hand (docs/assessment.md, "Intervals")."""

from __future__ import annotations

import math

import pytest

from jingzhun.assessment import estimates as e
from jingzhun.assessment.estimates import Cluster, County, Estimate, Village, Visit


def test_wilson_matches_published_values():
    # the usual worked examples: 2/10 → 0.0567–0.5098; 0/10 → 0–0.2775; 10/10 → 0.7225–1
    assert e.wilson(0.2, 10) == pytest.approx((0.0567, 0.5098), abs=5e-5)
    assert e.wilson(0.0, 10) == pytest.approx((0.0, 0.2775), abs=5e-5)
    assert e.wilson(1.0, 10) == pytest.approx((0.7225, 1.0), abs=5e-5)


def test_wilson_by_the_formula_for_a_fractional_sample():
    # p = 0.1, n = 36: z² = 3.8415; (0.1 + 3.8415/72) / (1 + 3.8415/36) = 0.13857;
    # half = 1.96 · √(0.09/36 + 3.8415/5184) / 1.10671 = 0.10082
    low, high = e.wilson(0.1, 36)
    assert (low + high) / 2 == pytest.approx(0.13857, abs=5e-5)
    assert (high - low) / 2 == pytest.approx(0.10082, abs=5e-5)


def test_design_effect_from_village_clustering():
    # given two strata of two villages, 10 people each, 1 and 3 cases in the poor villages, none elsewhere
    clusters = [
        Cluster("poor", 1, 10),
        Cluster("poor", 3, 10),
        Cluster("non_poor", 0, 10),
        Cluster("non_poor", 0, 10),
    ]
    # when
    estimate = e.ratio_estimate("x", "x", "x", clusters)
    # then R = 4/40 = 0.1; z = (y − 0.1x)/40 = 0, 0.05, −0.025, −0.025
    # Var = 2·(0.025² + 0.025²) + 0 = 0.0025; SRS = 0.1·0.9/40 = 0.00225; deff = 10/9; n_eff = 36
    assert estimate.value == pytest.approx(0.1)
    variance, note = e.linearised_variance(clusters, 0.1)
    assert variance == pytest.approx(0.0025) and note == ""
    assert estimate.deff == pytest.approx(10 / 9)
    assert estimate.n_eff == pytest.approx(36)
    assert (estimate.low, estimate.high) == pytest.approx(e.wilson(0.1, 36))
    assert (estimate.low, estimate.high) == pytest.approx((0.03775, 0.23939), abs=5e-5)


def test_a_design_effect_below_one_is_taken_as_one():
    # every village has the pooled proportion: the linearised variance is 0, less than the SRS variance
    clusters = [Cluster("poor", 1, 10), Cluster("poor", 1, 10)]
    estimate = e.ratio_estimate("x", "x", "x", clusters)
    assert estimate.deff == 1.0
    assert (estimate.low, estimate.high) == pytest.approx(e.wilson(0.1, 20))


def test_strata_of_one_village_are_collapsed():
    clusters = [Cluster("poor", 2, 10), Cluster("non_poor", 0, 10)]
    variance, note = e.linearised_variance(clusters, 0.1)
    # one stratum: z = (2 − 1)/20, (0 − 1)/20 = ±0.05 → 2·(0.05² + 0.05²) = 0.01
    assert variance == pytest.approx(0.01)
    assert "合并" in note


def test_one_village_falls_back_to_wilson_on_the_pooled_proportion():
    estimate = e.ratio_estimate("x", "x", "x", [Cluster("poor", 2, 10)])
    assert estimate.deff == 1.0
    assert (estimate.low, estimate.high) == pytest.approx(e.wilson(0.2, 10))
    assert any("不足2个" in n for n in estimate.notes)


def test_no_results_give_no_estimate():
    estimate = e.ratio_estimate("x", "x", "x", [Cluster("poor", 0, 0)])
    assert estimate.value is None and estimate.value_text == "—"


def _visit(village: str, **kw: object) -> Visit:
    defaults: dict[str, object] = {"people": 4, "exited": False, "non_registered": False, "approves": True}
    return Visit(village=village, **(defaults | kw))  # type: ignore[arg-type]


VILLAGES = [Village("A", "poor", 100), Village("B", "poor", 300)]


def test_approval_counts_households():
    visits = [_visit("A"), _visit("A", approves=False), _visit("B"), _visit("B")]
    estimate = e.approval(visits, VILLAGES)
    assert (estimate.numerator, estimate.denominator, estimate.value) == (3, 4, 0.75)
    assert estimate.clusters == 2


def test_wrong_exit_rate_counts_people_of_exited_households():
    visits = [
        _visit("A", exited=True, people=5, wrongly_exited=True),
        _visit("A", exited=True, people=3, wrongly_exited=False),
        _visit("B", exited=True, people=2, wrongly_exited=False),
        _visit("B", people=6),  # a registered household not exited is not asked
    ]
    estimate = e.wrong_exit_rate(visits, VILLAGES)
    assert (estimate.numerator, estimate.denominator) == (5, 10)
    assert estimate.value == 0.5


def test_missed_rate_expands_each_village_to_its_non_registered_population():
    # given 10 non-registered people visited in each village; 2 missed in A (P = 100), none in B (P = 300)
    visits = [
        _visit("A", non_registered=True, people=5, missed=True, missed_people=2),
        _visit("A", non_registered=True, people=5, missed=False),
        _visit("B", non_registered=True, people=10, missed=False),
    ]
    estimate = e.missed_rate(visits, VILLAGES)
    # then R = (100·2/10 + 300·0/10) / 400 = 0.05 (the literal formula would give 2/400 = 0.5%)
    assert estimate.value == pytest.approx(0.05)
    assert any("0.5000%" in n for n in estimate.notes)
    # weights a = 10, 30; z = 10·(2 − 0.5)/400 = 0.0375, 30·(0 − 0.5)/400 = −0.0375
    # Var = 2·(2·0.0375²) = 0.005625; SRS = 0.05·0.95/20 = 0.002375; deff = 2.3684
    assert estimate.deff == pytest.approx(0.005625 / 0.002375)
    assert (estimate.low, estimate.high) == pytest.approx((0.00456, 0.37685), abs=5e-5)


def test_missed_rate_leaves_out_villages_without_population_or_visits():
    villages = [*VILLAGES, Village("C", "poor", None)]
    visits = [
        _visit("A", non_registered=True, people=10, missed=False),
        _visit("B"),
        _visit("C", non_registered=True, people=10, missed=True, missed_people=1),
    ]
    estimate = e.missed_rate(visits, villages)
    assert estimate.value == 0.0 and estimate.clusters == 1
    assert any("未填农村户籍人口" in n for n in estimate.notes)
    assert any("没有非建档立卡户" in n for n in estimate.notes)


def test_comprehensive_incidence_by_mover():
    # given a county of 10,000 rural people, 1,000 registered, 50 still poor, 950 exited
    county = County(rural_population=10000, registered_people=1000, poor_people=50, exited_people=950)
    wrong = Estimate("w", "错退率", "", 0.02, 0.01, 0.04, n=100, clusters=3)
    missed = Estimate("m", "漏评率", "", 0.001, 0.0005, 0.003, n=200, clusters=3)
    # when
    estimate = e.comprehensive_incidence(county, wrong, missed)
    # then (50 + 950·0.02 + 9000·0.001) / 10000 = 78 / 10000
    assert estimate.value == pytest.approx(0.0078)
    # lower: 0.0078 − √((950·0.01)² + (9000·0.0005)²)/10000 = 0.0078 − √110.5/10000
    assert estimate.low == pytest.approx(0.0078 - math.sqrt(110.5) / 10000)
    # upper: 0.0078 + √((950·0.02)² + (9000·0.002)²)/10000 = 0.0078 + √685/10000
    assert estimate.high == pytest.approx(0.0078 + math.sqrt(685) / 10000)


def test_comprehensive_incidence_never_below_the_registered_poor():
    county = County(rural_population=1000, registered_people=100, poor_people=10, exited_people=90)
    wrong = Estimate("w", "", "", 0.0, 0.0, 0.3)
    missed = Estimate("m", "", "", 0.0, 0.0, 0.1)
    estimate = e.comprehensive_incidence(county, wrong, missed)
    assert estimate.value == pytest.approx(0.01) and estimate.low == pytest.approx(0.01)
    assert estimate.high == pytest.approx(0.01 + math.hypot(90 * 0.3, 900 * 0.1) / 1000)


def test_comprehensive_incidence_needs_both_rates():
    county = County(rural_population=1000, registered_people=100, poor_people=10, exited_people=90)
    assert (
        e.comprehensive_incidence(county, Estimate("w", "", "", None), Estimate("m", "", "", 0.1)).value
        is None
    )


def test_compute_puts_the_four_together():
    visits = [_visit("A", exited=True, wrongly_exited=False), _visit("B", non_registered=True, missed=False)]
    county = County(rural_population=400, registered_people=8, poor_people=0, exited_people=4)
    figures = e.compute(visits, VILLAGES, county)
    assert [x.code for x in figures.all] == [
        "comprehensive_incidence",
        "wrong_exit_rate",
        "missed_rate",
        "approval",
    ]
    assert figures.comprehensive_incidence.value == 0.0
    assert figures.interviews == 2 and figures.villages == 2
    assert figures.as_json()["approval"]["value"] == 1.0
