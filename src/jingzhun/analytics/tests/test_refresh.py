"""Each indicator checked against a count computed independently from the register, at village, township
and county level (issue 5), and the refresh is idempotent."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jingzhun.analytics import indicators
from jingzhun.analytics.models import IndicatorRefresh, IndicatorValue
from jingzhun.analytics.refresh import refresh_snapshot
from jingzhun.comparison.snapshot import write_snapshot
from jingzhun.regions.models import Region
from jingzhun.registry.models import Household, HouseholdYear, Member
from jingzhun.testing.assistance import generate_assistance
from jingzhun.testing.county import COUNTY, import_generated_county

pytestmark = pytest.mark.django_db
YEAR = 2026


@pytest.fixture
def county(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    import_generated_county(tmp_path / "gen", households=300)
    generate_assistance(COUNTY, year=YEAR)
    snap = write_snapshot(COUNTY)
    refresh_snapshot(snap, year=YEAR, today=dt.date(2026, 11, 30))
    return snap


def _values(code: str, level: int) -> dict[tuple[str, str], Decimal]:
    return {
        (v.region_code, v.dim): v.value
        for v in IndicatorValue.objects.filter(code=code, level=level, year=YEAR)
    }


def _expected(counter: Counter, level_digits: int) -> dict[tuple[str, str], Decimal]:
    out: Counter = Counter()
    for (village, dim), n in counter.items():
        out[(village[:level_digits].ljust(12, "0"), dim)] += n
    return {k: Decimal(v) for k, v in out.items()}


def _independent() -> dict[str, Counter]:
    """The definitions of docs/indicators.md, counted in Python from the ORM rows."""
    counts: dict[str, Counter] = {i.code: Counter() for i in indicators.INDICATORS}
    active: Counter[int] = Counter()
    for m in Member.objects.filter(left_on__isnull=True).values("household_id"):
        active[m["household_id"]] += 1
    latest: dict[int, HouseholdYear] = {}
    for year_row in HouseholdYear.objects.order_by("household_id", "year"):
        latest[year_row.household_id] = year_row
    dropout = set(
        Member.objects.filter(left_on__isnull=True, schooling="8").values_list("household_id", flat=True)
    )
    no_medical = set(
        Member.objects.filter(left_on__isnull=True, basic_medical_insurance=False).values_list(
            "household_id", flat=True
        )
    )
    from jingzhun.assistance.models import Measure, Pairing

    today = dt.date.today()
    paired = {
        p.household_id
        for p in Pairing.objects.all()
        if p.started_on <= today and (p.ended_on is None or p.ended_on >= today)
    }
    last_year: dict[int, int] = {}
    for measure in Measure.objects.all():
        last_year[measure.household_id] = max(measure.year, last_year.get(measure.household_id, measure.year))
    measured = {
        m.household_id
        for m in Measure.objects.filter(implemented=True)
        if m.year == last_year[m.household_id]
    }
    for h in Household.objects.all():
        v = h.village_id
        if h.poverty_status in ("0", "1", "3") or (
            bool(h.monitoring_type) and h.risk_elimination in ("", "0")
        ):
            counts["helper_coverage"][(v, "paired" if h.pk in paired else "unpaired")] += 1
            counts["measure_coverage"][(v, "with" if h.pk in measured else "without")] += 1
        registered = bool(h.poverty_status)
        remaining = h.poverty_status in ("0", "3")
        open_risk = bool(h.monitoring_type) and h.risk_elimination in ("", "0")
        if registered:
            counts["households_by_status"][(v, h.poverty_status)] += 1
            counts["people_by_status"][(v, h.poverty_status)] += active[h.pk]
            counts["households_by_attribute"][(v, h.attribute)] += 1
            if h.main_cause:
                counts["households_by_cause"][(v, h.main_cause)] += 1
            if h.exit_year:
                counts["exits_by_year"][(v, str(h.exit_year))] += 1
        if h.return_year:
            counts["returns_by_year"][(v, str(h.return_year))] += 1
        if remaining:
            counts["remaining_poor_people"][(v, "")] += active[h.pk]
        if open_risk:
            counts["monitoring_by_type"][(v, h.monitoring_type)] += 1
            for risk in h.risk_types:
                counts["monitoring_by_risk"][(v, str(risk))] += 1
        if h.monitoring_type and h.risk_elimination in ("1", "2"):
            counts["elimination_by_mode"][(v, h.risk_elimination)] += 1
        if remaining or open_risk:
            y = latest.get(h.pk)
            for dim, hit in (
                ("dropout", h.pk in dropout),
                ("no_medical", h.pk in no_medical),
                ("housing", y is not None and y.housing_grade in ("C", "D")),
                ("water", y is not None and y.water_safe is False),
            ):
                if hit:
                    counts["guarantee_gaps"][(v, dim)] += 1
    return counts


def test_every_count_indicator_matches_an_independent_count_at_every_level(county):
    counts = _independent()
    checked = 0
    for indicator in indicators.INDICATORS:
        if indicator.rate:
            continue
        for digits, level in ((12, 5), (9, 4), (6, 3)):
            expected = {k: v for k, v in _expected(counts[indicator.code], digits).items() if v}
            got = {k: v for k, v in _values(indicator.code, level).items() if v}
            assert got == expected, (indicator.code, level)
            checked += len(expected)
    assert checked > 100
    assert counts["households_by_status"] and counts["monitoring_by_type"] and counts["exits_by_year"]
    assert {d for _, d in counts["helper_coverage"]} == {"paired", "unpaired"}
    assert {d for _, d in counts["measure_coverage"]} == {"with", "without"}


def test_incidence_is_the_ratio_of_the_sums_not_an_average(county):
    poor = _independent()["remaining_poor_people"]
    villages = dict(
        Region.objects.filter(level=5, code__startswith=COUNTY).values_list("code", "rural_population")
    )
    for digits, level in ((12, 5), (9, 4), (6, 3)):
        got = {v.region_code: v for v in IndicatorValue.objects.filter(code="poverty_incidence", level=level)}
        areas = {code[:digits].ljust(12, "0") for code in villages}
        assert set(got) == areas
        for area in areas:
            people = sum(n for (v, _), n in poor.items() if v.startswith(area[:digits]))
            population = sum(p or 0 for v, p in villages.items() if v.startswith(area[:digits]))
            row = got[area]
            assert (row.numerator, row.denominator) == (people, population)
            assert row.value == (Decimal(people) * 100 / population).quantize(Decimal("0.0001"))


ROW = ("code", "region_code", "level", "year", "dim", "value", "numerator", "denominator")


def test_refresh_is_idempotent_and_keeps_the_province_summed(county):
    before = sorted(IndicatorValue.objects.values_list(*ROW))
    stamped = IndicatorRefresh.objects.get(region_code=COUNTY.ljust(12, "0"), year=YEAR).refreshed_at
    result = refresh_snapshot(county, year=YEAR, today=dt.date(2026, 11, 30))
    after = sorted(IndicatorValue.objects.values_list(*ROW))
    assert before == after
    # the second refresh wrote nothing below the county, and every region was stamped again
    assert result.rows > 1000
    above = IndicatorValue.objects.filter(year=YEAR, region_code__in=["620000000000", "620500000000"]).count()
    assert result.written == 0 and above > 0
    stamps = dict(IndicatorRefresh.objects.filter(year=YEAR).values_list("region_code", "refreshed_at"))
    assert set(stamps) == {r for _, r, *_ in after}
    assert stamps[COUNTY.ljust(12, "0")] > stamped and len(set(stamps.values())) == 1

    def by_dim(region: str) -> dict[str, Decimal]:
        return dict(
            IndicatorValue.objects.filter(
                code="households_by_status", region_code=region, year=YEAR
            ).values_list("dim", "value")
        )

    assert by_dim("620000000000") == by_dim("620500000000") == by_dim("620502000000")
    assert sum(by_dim("620000000000").values()) == Household.objects.exclude(poverty_status="").count() > 0


def test_the_households_behind_each_number_add_up_to_it(county):
    from jingzhun.accounts.choices import Role
    from jingzhun.analytics.selectors import households_behind
    from jingzhun.testing.factories import UserFactory

    leader = UserFactory(role=Role.LEADER, region=Region.objects.get(prefix=COUNTY))
    checked = 0
    for v in (
        IndicatorValue.objects.filter(level__in=[4, 5], year=YEAR)
        .exclude(code__startswith="doubts_")
        .exclude(code="monitoring_decisions")
    ):
        indicator = indicators.get(v.code)
        behind = households_behind(leader, v.code, v.region_code, v.dim)
        if indicator.people:
            got = Member.objects.filter(household__in=behind, left_on__isnull=True).count()
            assert got == v.numerator, (v.code, v.region_code, v.dim)
        else:
            assert behind.count() == v.value, (v.code, v.region_code, v.dim)
        checked += 1
    assert checked > 50
    helper = UserFactory(role=Role.HELPER, region=Region.objects.get(prefix=COUNTY))
    assert not households_behind(helper, "households_by_status", COUNTY, "1").exists()


def test_a_refresh_repairs_changed_missing_and_stray_rows(county):
    before = sorted(IndicatorValue.objects.values_list(*ROW))
    # given a table that has drifted from the register: a value changed, a rate's row lost, a stray row
    changed = IndicatorValue.objects.filter(code="households_by_status", level=5, year=YEAR).first()
    IndicatorValue.objects.filter(pk=changed.pk).update(
        value=changed.value + 5, numerator=changed.numerator + 5
    )
    lost = IndicatorValue.objects.filter(code="poverty_incidence", level=4, year=YEAR).first()
    lost.delete()
    IndicatorValue.objects.create(
        code="households_by_cause",
        region_code=changed.region_code,
        level=5,
        year=YEAR,
        dim="99",
        value=3,
        numerator=3,
    )
    other_year = IndicatorValue.objects.create(
        code="households_by_cause",
        region_code=changed.region_code,
        level=5,
        year=YEAR - 1,
        dim="1",
        value=1,
        numerator=1,
    )
    # when the indicators are refreshed
    result = refresh_snapshot(county, year=YEAR, today=dt.date(2026, 11, 30))
    # then exactly those three rows were written, and the table is as a full recount leaves it
    assert result.written == 3
    assert sorted(IndicatorValue.objects.filter(year=YEAR).values_list(*ROW)) == before
    # and another year's figures are not touched
    assert IndicatorValue.objects.filter(pk=other_year.pk).exists()


@given(n=st.integers(0, 10_000_000), denominator=st.integers(1, 50_000_000))
@settings(max_examples=300, deadline=None)
def test_a_rate_is_rounded_in_duckdb_exactly_as_decimal_rounds_it(n, denominator):
    import duckdb

    from jingzhun.analytics.refresh import _value, _value_sql

    sql = f"SELECT {_value_sql(['r'])} FROM (SELECT 'r' AS code, {n}::BIGINT AS n, {denominator}::BIGINT AS denominator)"
    got = duckdb.sql(sql).fetchall()[0][0]
    assert got == _value(n, denominator, True)


def test_half_way_rates_round_to_even():
    import duckdb

    from jingzhun.analytics.refresh import _value_sql

    cases = [(1, 128), (3, 128), (5, 128), (0, 0), (7, 0), (128, 128)]
    rows = " UNION ALL ".join(
        f"SELECT {i} AS i, 'r' AS code, {n}::BIGINT AS n, {d}::BIGINT AS denominator"
        for i, (n, d) in enumerate(cases)
    )
    got = [v for _, v in duckdb.sql(f"SELECT i, {_value_sql(['r'])} FROM ({rows}) ORDER BY i").fetchall()]
    # 1/128 = 0.78125 %, 3/128 = 2.34375 %, 5/128 = 3.90625 %: the tie goes to the even last digit
    assert got == [Decimal("0.7812"), Decimal("2.3438"), Decimal("3.9062"), 0, 0, Decimal("100")]
