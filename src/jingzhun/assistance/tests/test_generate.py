"""The assistance generator on a generated county: who gets a helper, which measures, and the same again."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

from django.db.models import Q

from jingzhun.assistance.choices import MeasureFamily, UnitLevel
from jingzhun.assistance.models import Measure, Pairing
from jingzhun.core.models import ObjectChange
from jingzhun.registry.models import Household
from jingzhun.testing import assistance as generate

YEAR = 2025


def _eligible() -> dict[int, Household]:
    return {
        h.pk: h
        for h in Household.objects.filter(village__code__startswith="620502").filter(
            ~Q(poverty_status="") | ~Q(monitoring_type="")
        )
    }


def _rows() -> tuple[list[tuple], list[tuple]]:
    pairings = sorted(
        Pairing.objects.values_list(
            "household__household_number",
            "helper_name",
            "helper_unit",
            "unit_level",
            "helper_phone",
            "started_on",
            "ended_on",
        )
    )
    measures = sorted(
        Measure.objects.values_list("household__household_number", "year", "family", "implemented", "note")
    )
    return pairings, measures


def test_pairs_about_95_percent_with_plausible_helpers(county):
    eligible = _eligible()
    assert len(eligible) > 50  # the county has registered and monitored households to pair
    changes = ObjectChange.objects.count()
    pairings, measures = generate.generate_assistance("620502", year=YEAR)
    assert (pairings, measures) == (Pairing.objects.count(), Measure.objects.count())
    assert ObjectChange.objects.count() == changes  # generated data, not users' work
    paired = set(Pairing.objects.values_list("household_id", flat=True))
    assert paired <= set(eligible)
    assert 0.90 <= len(paired) / len(eligible) <= 0.99
    rows = list(Pairing.objects.all())
    ended = [p for p in rows if p.ended_on is not None]
    assert 0 < len(ended) <= 0.15 * len(rows)
    for p in rows:
        household = eligible[p.household_id]
        since = household.monitoring_identified_on if household.monitoring_type else None
        since = since or household.first_identified_on
        assert since is None or p.started_on >= since
        assert p.started_on <= dt.date(YEAR, 12, 31)
        assert p.ended_on is None or p.ended_on >= p.started_on
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,4}", p.helper_name), p.helper_name
        assert p.helper_phone == "" or re.fullmatch(r"1\d{10}", p.helper_phone)
    # every paired household has a helper today (an ended pairing was handed over)
    still = set(Pairing.objects.active_on(dt.date(YEAR, 12, 31)).values_list("household_id", flat=True))
    assert len(still) >= 0.97 * len(paired)
    levels = Counter(p.unit_level for p in rows)
    assert (levels[UnitLevel.COUNTY] + levels[UnitLevel.TOWNSHIP]) / len(rows) > 0.6
    assert levels[UnitLevel.COUNTY] > levels[UnitLevel.CITY] > levels[UnitLevel.PROVINCE]
    assert levels[UnitLevel.TOWNSHIP] > levels[UnitLevel.VILLAGE]
    units = {p.helper_unit for p in rows}
    assert any(u.startswith("秦州区") for u in units) and any(u.startswith("天水市") for u in units)
    # a helper is paired with a few households of a village (up to about four), not one each
    per_helper = Counter((p.helper_name, p.helper_unit) for p in rows)
    assert len(per_helper) < len(rows) and 3 <= max(per_helper.values()) <= 8


def test_measures_match_the_main_cause(county):
    eligible = _eligible()
    generate.generate_assistance("620502", year=YEAR)
    by_household: dict[int, set[str]] = {}
    for m in Measure.objects.all():
        assert m.year == YEAR
        by_household.setdefault(m.household_id, set()).add(m.family)
    assert set(by_household) == set(eligible)
    assert all(1 <= len(f) <= 3 for f in by_household.values())
    expected = {
        "1": MeasureFamily.HEALTH,
        "3": MeasureFamily.COMPULSORY_EDUCATION,
        "9": MeasureFamily.FINANCE,
        "8": MeasureFamily.SOCIAL_SECURITY,
        "2": MeasureFamily.SOCIAL_SECURITY,
    }
    checked = Counter()
    for pk, families in by_household.items():
        household = eligible[pk]
        main, _ = generate.families_for(household.main_cause, household.risk_types)
        assert main in families
        if household.main_cause in expected:
            assert expected[household.main_cause] in families
            checked[household.main_cause] += 1
        if not household.main_cause and not household.risk_types:
            assert MeasureFamily.INDUSTRY in families
    assert checked["1"] > 0  # 因病 is the commonest cause: the county has such households
    implemented = Measure.objects.filter(implemented=True).count() / Measure.objects.count()
    assert 0.82 <= implemented <= 0.97


def test_the_same_seed_gives_the_same_rows_and_a_second_run_adds_nothing(county):
    first = generate.generate_assistance("620502", year=YEAR, seed=11)
    rows = _rows()
    assert generate.generate_assistance("620502", year=YEAR, seed=11) == (
        0,
        0,
    )  # existing rows are left alone
    assert _rows() == rows
    Pairing.objects.all().delete()
    Measure.objects.all().delete()
    assert generate.generate_assistance("620502", year=YEAR, seed=11) == first
    assert _rows() == rows
    Pairing.objects.all().delete()
    Measure.objects.all().delete()
    generate.generate_assistance("620502", year=YEAR, seed=12)
    assert _rows() != rows
    # measures for another year go next to this year's
    _, measures = generate.generate_assistance("620502", year=YEAR - 1, seed=12)
    assert measures > 0 and Measure.objects.filter(year=YEAR - 1).count() == measures


def test_only_households_under_the_prefix(county):
    township = (
        Household.objects.filter(village__code__startswith="620502")
        .values_list("village__code", flat=True)
        .first()[:9]
    )
    generate.generate_assistance(township, year=YEAR)
    codes = set(Measure.objects.values_list("household__village__code", flat=True))
    assert codes and all(c.startswith(township) for c in codes)
    assert generate.generate_assistance("110101", year=YEAR) == (0, 0)
