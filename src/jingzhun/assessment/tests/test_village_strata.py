"""Poor-village strata of a draw: the county's 贫困村 register first, else the province comparison of the
2014 rule ("高于全省一倍以上", a policy number), the county's own share only when the province's is unset."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from jingzhun.assessment import services
from jingzhun.assessment.choices import Stratum, StratumRule
from jingzhun.assessment.sampling import Design, VillageStats, assign_strata
from jingzhun.core.audit import Actor
from jingzhun.policy import catalogue
from jingzhun.policy import services as policy_services
from jingzhun.regions.models import Region
from jingzhun.villages import services as village_services

DESIGN = {"villages": {"poor": 3, "non_poor": 3}, "households_per_village": 5}


def test_the_register_decides_when_the_county_has_one() -> None:
    stats = [VillageStats("a", 1000, 900), VillageStats("b", 1000, 0), VillageStats("c", None, 0)]
    strata = {v.code: v.stratum for v in assign_strata(stats, Design(), register=["b", "c"])}
    assert strata == {"a": Stratum.NON_POOR, "b": Stratum.POOR, "c": Stratum.POOR}
    listed = Design(stratum_rule=StratumRule.LIST, poor_villages=("a",))  # a typed-in list still wins
    assert {v.code: v.stratum for v in assign_strata(stats, listed, register=["b"])}["a"] == Stratum.POOR


@pytest.mark.parametrize(("registered", "poor"), [(39, False), (40, True), (41, True)])
def test_province_comparison_at_the_boundary(registered: int, poor: bool) -> None:
    # province 2% × factor 2 = 4%: a village of 1,000 people with 40 registered is exactly at it ("以上")
    stats = [VillageStats("v", 1000, registered), VillageStats("w", 10, 10)]
    strata = assign_strata(stats, Design(), province_rate=Decimal("0.02"), factor=Decimal("2"))
    assert (strata[0].stratum == Stratum.POOR) is poor


def test_the_design_factor_overrides_the_policy_factor() -> None:
    stats = [VillageStats("v", 1000, 30)]  # 3% ≥ 1.5 × 2%, but < 2 × 2%
    assert (
        assign_strata(stats, Design(), province_rate=Decimal("0.02"), factor=Decimal("2"))[0].stratum
        == Stratum.NON_POOR
    )
    assert (
        assign_strata(
            stats,
            Design(poor_village_factor=Decimal("1.5")),
            province_rate=Decimal("0.02"),
            factor=Decimal("2"),
        )[0].stratum
        == Stratum.POOR
    )


def _draw(assessed: Any, seed: int = 3) -> Any:
    return services.draw_survey(
        actor=Actor.of(assessed.users["county_admin"]),
        county=assessed.county,
        year=2025,
        seed=seed,
        design=DESIGN,
    )


def test_a_draw_uses_the_register(assessed: Any) -> None:
    villages = list(Region.objects.filter(level=5, code__startswith="620502").order_by("code")[:4])
    actor = Actor.of(assessed.users["county_admin"])
    village_services.import_poor_villages(
        actor=actor,
        county=assessed.county,
        text="\n".join(v.code for v in villages),
        identified_year=2014,
        source_document="秦州区贫困村名单（2014）",
    )
    survey = _draw(assessed)
    assert survey.frame["stratum_source"] == "register" and "4个村" in survey.frame["stratum_note"]
    poor = {v.village_id for v in survey.villages.filter(stratum=Stratum.POOR)}
    assert poor and poor <= {v.code for v in villages}


def test_a_draw_compares_with_the_province_when_it_is_set(assessed: Any) -> None:
    survey = _draw(assessed)
    assert (
        survey.frame["stratum_source"] == "county"
        and "未设置2013年全省农村贫困发生率" in survey.frame["stratum_note"]
    )
    policy_services.create_parameter(
        actor=Actor.of(assessed.users["admin"]),
        key=catalogue.PROVINCE_POVERTY_INCIDENCE,
        region_prefix="62",
        year=2013,
        value="0.05",
        document="甘肃省2013年统计数据",
        unconfirmed=True,
    )
    survey = _draw(assessed, seed=4)
    assert survey.frame["stratum_source"] == "province"
    assert "全省农村贫困发生率 5% 的 2 倍" in survey.frame["stratum_note"]
