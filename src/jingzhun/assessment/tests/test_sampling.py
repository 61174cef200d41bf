"""The draw as a pure function: deterministic by seed, ratio and stratum counts respected, nobody twice."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jingzhun.assessment import sampling
from jingzhun.assessment.choices import GROUP_ORDER, STRATUM_ORDER, Group, Stratum, StratumRule
from jingzhun.assessment.sampling import Design, FrameHousehold, FrameVillage, VillageStats
from jingzhun.core.errors import ValidationFailed


@st.composite
def frames(draw: st.DrawFn) -> tuple[list[FrameVillage], list[FrameHousehold]]:
    n_villages = draw(st.integers(1, 25))
    codes = [f"620502100{200 + i:03d}" for i in range(n_villages)]
    strata = draw(st.lists(st.sampled_from(STRATUM_ORDER), min_size=n_villages, max_size=n_villages))
    villages = [FrameVillage(code, stratum) for code, stratum in zip(codes, strata, strict=True)]
    rows = draw(
        st.lists(
            st.tuples(st.integers(0, n_villages - 1), st.integers(0, 2), st.integers(0, 999)), max_size=200
        )
    )
    households = [
        FrameHousehold(i + 1, f"{codes[v]}{number:06d}", codes[v], GROUP_ORDER[g])
        for i, (v, g, number) in enumerate(rows)
    ]
    return villages, households


designs = st.builds(
    lambda poor, non_poor, per, ratio: Design(
        villages={Stratum.POOR: poor, Stratum.NON_POOR: non_poor},
        households_per_village=per,
        ratio=dict(zip(GROUP_ORDER, ratio, strict=True)),
    ),
    st.integers(0, 12),
    st.integers(0, 12),
    st.integers(1, 20),
    st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, 6)).filter(lambda r: sum(r) > 0),
)
seeds = st.integers(0, sampling.MAX_SEED)


@settings(max_examples=100, deadline=None)
@given(frame=frames(), design=designs, seed=seeds)
def test_the_same_seed_draws_the_same_sample(frame, design, seed):
    villages, households = frame
    first = sampling.draw(villages, households, design, seed)
    # the frame in another order changes nothing: the draw sorts it
    again = sampling.draw(list(reversed(villages)), list(reversed(households)), design, seed)
    assert first == again


@settings(max_examples=100, deadline=None)
@given(frame=frames(), design=designs, seed=seeds)
def test_never_a_household_twice_and_only_from_its_village_and_group(frame, design, seed):
    villages, households = frame
    sample = sampling.draw(villages, households, design, seed)
    ids = [h.id for h in sample.households]
    assert len(ids) == len(set(ids))
    by_id = {h.id: h for h in households}
    for village in sample.villages:
        for h in village.households:
            assert by_id[h.id].village == village.code and by_id[h.id].group == h.group


@settings(max_examples=100, deadline=None)
@given(frame=frames(), design=designs, seed=seeds)
def test_each_stratum_gives_its_number_of_villages(frame, design, seed):
    villages, households = frame
    sample = sampling.draw(villages, households, design, seed)
    available = Counter(v.stratum for v in villages)
    drawn = Counter(v.stratum for v in sample.villages)
    for stratum in STRATUM_ORDER:
        assert drawn[stratum] == min(design.villages[stratum], available[stratum])
    assert len({v.code for v in sample.villages}) == len(sample.villages)


@settings(max_examples=150, deadline=None)
@given(frame=frames(), design=designs, seed=seeds)
def test_the_ratio_holds_when_the_village_has_enough_households(frame, design, seed):
    villages, households = frame
    sample = sampling.draw(villages, households, design, seed)
    quota = sampling.allocate(design.households_per_village, design.ratio)
    for village in sample.villages:
        got = Counter(h.group for h in village.households)
        usable = sum(village.available[g] for g in GROUP_ORDER if design.ratio[g] > 0)
        # the village's quota is filled as far as its households allow, never from a group with ratio 0
        assert sum(got.values()) == min(design.households_per_village, usable)
        assert all(got[g] == 0 for g in GROUP_ORDER if design.ratio[g] == 0)
        if all(village.available[g] >= quota[g] for g in GROUP_ORDER):
            assert {g: got[g] for g in GROUP_ORDER} == quota


@settings(max_examples=100, deadline=None)
@given(total=st.integers(0, 1000), weights=st.tuples(st.integers(0, 9), st.integers(0, 9), st.integers(0, 9)))
def test_allocate_sums_to_the_total_and_stays_within_one_of_the_exact_share(total, weights):
    ratio = dict(zip(GROUP_ORDER, weights, strict=True))
    counts = sampling.allocate(total, ratio)
    share = sum(weights)
    if share == 0:
        assert sum(counts.values()) == 0
        return
    assert sum(counts.values()) == total
    for g in GROUP_ORDER:
        assert abs(counts[g] - total * ratio[g] / share) < 1


@settings(max_examples=100, deadline=None)
@given(n_items=st.integers(0, 200), n=st.integers(0, 220), seed=seeds)
def test_systematic_sampling_takes_n_distinct_items_spread_by_the_interval(n_items, n, seed):
    items = list(range(n_items))
    picked = sampling.systematic(items, n, random.Random(seed))
    assert len(picked) == min(max(n, 0), n_items)
    assert picked == sorted(set(picked))
    if 0 < n < n_items:
        gaps = {b - a for a, b in itertools.pairwise(picked)}
        interval = n_items / n
        assert all(int(interval) <= gap <= int(interval) + 1 for gap in gaps)


def test_the_5_3_2_split_of_35_households():
    assert sampling.allocate(35, Design().ratio) == {
        Group.REGISTERED_WITH_LABOUR: 18,
        Group.NON_REGISTERED: 10,
        Group.REGISTERED_WITHOUT_LABOUR: 7,
    }
    assert sampling.allocate(10, Design().ratio) == {
        Group.REGISTERED_WITH_LABOUR: 5,
        Group.NON_REGISTERED: 3,
        Group.REGISTERED_WITHOUT_LABOUR: 2,
    }


def test_a_short_group_is_filled_from_the_others_in_the_ratio():
    counts = sampling.village_counts(
        10,
        Design().ratio,
        {Group.REGISTERED_WITH_LABOUR: 20, Group.NON_REGISTERED: 1, Group.REGISTERED_WITHOUT_LABOUR: 20},
    )
    # 5:3:2 asks 5, 3, 2; one non-registered household: the 2 missing are split 5:2 (exact 1.43 and 0.57,
    # largest remainder → 1 and 1)
    assert counts == {
        Group.REGISTERED_WITH_LABOUR: 6,
        Group.NON_REGISTERED: 1,
        Group.REGISTERED_WITHOUT_LABOUR: 3,
    }


def test_another_seed_draws_another_sample():
    villages = [FrameVillage(f"620502100{200 + i:03d}", Stratum.POOR) for i in range(40)]
    households = [
        FrameHousehold(i, f"{v.code}{i:06d}", v.code, GROUP_ORDER[i % 3]) for i, v in enumerate(villages * 5)
    ]
    design = Design(villages={Stratum.POOR: 5, Stratum.NON_POOR: 0}, households_per_village=3)
    samples = {
        tuple(v.code for v in sampling.draw(villages, households, design, seed).villages) for seed in range(5)
    }
    assert len(samples) > 1


def test_strata_by_incidence():
    # county: 60 registered of 3000 = 2%; factor 2 → a village of ≥ 4% is a 贫困村
    stats = [
        VillageStats("a", 1000, 40),
        VillageStats("b", 1000, 10),
        VillageStats("c", 1000, 10),
        VillageStats("d", None, 50),
    ]
    strata = {v.code: v.stratum for v in sampling.assign_strata(stats, Design())}
    assert strata == {"a": Stratum.POOR, "b": Stratum.NON_POOR, "c": Stratum.NON_POOR, "d": Stratum.NON_POOR}


def test_strata_by_list():
    design = Design(stratum_rule=StratumRule.LIST, poor_villages=("b",))
    strata = {
        v.code: v.stratum
        for v in sampling.assign_strata([VillageStats("a", 10, 9), VillageStats("b", 10, 0)], design)
    }
    assert strata == {"a": Stratum.NON_POOR, "b": Stratum.POOR}


def test_a_design_round_trips_through_json():
    design = Design(
        villages={Stratum.POOR: 3, Stratum.NON_POOR: 2},
        households_per_village=12,
        poor_village_factor=Decimal("1.5"),
    )
    assert Design.from_json(design.as_json()) == design


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"villages": {"poor": 0, "non_poor": 0}}, "villages"),
        ({"villages": {"poor": -1, "non_poor": 2}}, "villages"),
        ({"villages": {"west": 2}}, "villages"),
        ({"households_per_village": 0}, "households_per_village"),
        ({"households_per_village": "3.5"}, "households_per_village"),
        ({"households_per_village": True}, "households_per_village"),
        (
            {"ratio": {"registered_with_labour": 0, "non_registered": 0, "registered_without_labour": 0}},
            "ratio",
        ),
        ({"stratum_rule": "random"}, "stratum_rule"),
        ({"poor_village_factor": "abc"}, "poor_village_factor"),
        ({"stratum_rule": "list"}, "poor_villages"),
        ({"poor_villages": "6205021002"}, "poor_villages"),
    ],
)
def test_bad_designs_are_refused_in_chinese(data, field):
    with pytest.raises(ValidationFailed) as caught:
        Design.from_json(data)
    assert field in caught.value.errors


def test_parse_ratio():
    assert sampling.parse_ratio("5：3：2") == dict(zip(GROUP_ORDER, (5, 3, 2), strict=True))
    with pytest.raises(ValidationFailed):
        sampling.parse_ratio("5:3")


def test_a_village_with_enough_of_every_group_gets_exactly_5_3_2():
    villages = [FrameVillage("620502100201", Stratum.POOR)]
    households = [
        FrameHousehold(i, f"620502100201{i:06d}", "620502100201", GROUP_ORDER[i % 3]) for i in range(60)
    ]
    design = Design(villages={Stratum.POOR: 1, Stratum.NON_POOR: 0}, households_per_village=10)
    sample = sampling.draw(villages, households, design, seed=2018)
    assert Counter(h.group for h in sample.households) == {
        Group.REGISTERED_WITH_LABOUR: 5,
        Group.NON_REGISTERED: 3,
        Group.REGISTERED_WITHOUT_LABOUR: 2,
    }
