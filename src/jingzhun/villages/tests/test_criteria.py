"""The village standards at their boundaries: exit (§3.3: incidence and the province's items) and the 2014
identification rule "一高一低一无" (§2.1), every threshold read from policy data."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from jingzhun.core.audit import Actor
from jingzhun.policy import catalogue as c
from jingzhun.policy import services as policy_services
from jingzhun.policy.criteria import evaluate_village_exit, evaluate_village_identification
from jingzhun.testing.world import TOWNSHIP_A
from jingzhun.villages.models import VillageYear

VILLAGE = TOWNSHIP_A + "201"  # 南山村, 1,000 rural people, in 甘肃 (62)
GOOD = {
    "hardened_road": True,
    "safe_water_coverage": Decimal("0.95"),
    "power": True,
    "clinic": True,
    "broadband": True,
    "radio_tv": False,
    "collective_income": Decimal("50000"),
    "rural_population": 1000,
}


def record(world: Any, year: int = 2019, **values: Any) -> VillageYear:
    return VillageYear.objects.create(village=world.villages[VILLAGE], year=year, **(GOOD | values))


def by_code(evaluation: Any) -> dict[str, Any]:
    return {x.code: x for x in evaluation.criteria}


def set_parameter(key: str, value: str, *, prefix: str = "62", year: int | None = None) -> None:
    import datetime as dt

    policy_services.create_parameter(
        actor=Actor(None, "测试"),
        key=key,
        region_prefix=prefix,
        value=value,
        document="甘肃省测试文件",
        year=year,
        effective_from=None if year else dt.date(2016, 1, 1),
    )


def test_a_village_meeting_every_item_exits(world: Any) -> None:
    record(world)
    evaluation = evaluate_village_exit(world.villages[VILLAGE], year=2019)
    assert [x.code for x in evaluation.criteria] == [
        "incidence",
        "road",
        "water",
        "power",
        "clinic",
        "broadband",
        "radio_tv",
        "collective_income",
    ]
    assert evaluation.passed, evaluation.summary_zh()
    radio = by_code(evaluation)["radio_tv"]
    assert not radio.passed and not radio.required and "本地不作要求" in radio.threshold  # 0 by default
    water = by_code(evaluation)["water"]
    assert "≥ 90%" in water.threshold and "95%（2019年度数据）" == water.value and water.parameter.unconfirmed


@pytest.mark.parametrize(("coverage", "passed"), [("0.8999", False), ("0.9", True), ("0.9001", True)])
def test_safe_water_at_the_threshold(world: Any, coverage: str, passed: bool) -> None:
    record(world, safe_water_coverage=Decimal(coverage))
    assert by_code(evaluate_village_exit(world.villages[VILLAGE], year=2019))["water"].passed is passed


@pytest.mark.parametrize(("income", "passed"), [("39999.99", False), ("40000", True), ("40000.01", True)])
def test_collective_income_at_the_threshold(world: Any, income: str, passed: bool) -> None:
    record(world, collective_income=Decimal(income))
    evaluation = evaluate_village_exit(world.villages[VILLAGE], year=2019)
    criterion = by_code(evaluation)["collective_income"]
    assert criterion.passed is passed and evaluation.passed is passed
    assert "≥ 40,000 元/年" in criterion.threshold and "武陵源" in criterion.threshold


@pytest.mark.parametrize("item", ["hardened_road", "power", "clinic", "broadband"])
@pytest.mark.parametrize(("fact", "shown"), [(False, "否"), (None, "未填写")])
def test_a_missing_item_blocks_the_exit(world: Any, item: str, fact: bool | None, shown: str) -> None:
    values: dict[str, Any] = {item: fact}
    record(world, **values)
    evaluation = evaluate_village_exit(world.villages[VILLAGE], year=2019)
    failed = evaluation.failed
    assert len(failed) == 1 and failed[0].value.startswith(shown) and not evaluation.passed
    assert failed[0].name in evaluation.summary_zh()


def test_a_province_may_drop_or_add_an_item(world: Any) -> None:
    record(world, broadband=False, radio_tv=False)
    set_parameter(c.VILLAGE_EXIT_REQUIRE_BROADBAND, "0")
    set_parameter(c.VILLAGE_EXIT_REQUIRE_RADIO_TV, "1")
    result = by_code(evaluate_village_exit(world.villages[VILLAGE], year=2019))
    assert not result["broadband"].required and result["radio_tv"].required and not result["radio_tv"].passed
    assert result["radio_tv"].parameter.region_prefix == "62"


def test_without_a_yearly_record_the_items_must_be_verified(world: Any) -> None:
    evaluation = evaluate_village_exit(world.villages[VILLAGE], year=2019)
    result = by_code(evaluation)
    assert result["incidence"].passed and not evaluation.passed
    assert result["road"].value == "无村级年度数据" and "没有2019年度及以前" in result["road"].note


def test_an_earlier_record_is_used_and_said(world: Any) -> None:
    record(world, year=2017)
    road = by_code(evaluate_village_exit(world.villages[VILLAGE], year=2019))["road"]
    assert road.passed and "采用最近的2017年度数据" in road.note and "2017年度数据" in road.value


def test_the_yearly_population_is_the_incidence_denominator(world: Any) -> None:
    record(world, rural_population=800)
    incidence = by_code(evaluate_village_exit(world.villages[VILLAGE], year=2019))["incidence"]
    assert "÷ 800人" in incidence.value and "2019年度村级年度情况" in incidence.note


# --- identification: 一高一低一无 -------------------------------------------------------------------------


def province_2013() -> None:
    set_parameter(c.PROVINCE_POVERTY_INCIDENCE, "0.10", year=2013)
    set_parameter(c.PROVINCE_RURAL_INCOME, "5000", year=2013)


def data_2013(world: Any, **values: Any) -> None:
    base = {
        "rural_population": 1000,
        "poor_population": 250,
        "per_capita_income": Decimal("2500"),
        "collective_income": Decimal("0"),
    }
    VillageYear.objects.create(village=world.villages[VILLAGE], year=2013, **(base | values))


def test_a_village_meeting_the_three_conditions_is_identified(world: Any) -> None:
    province_2013()
    data_2013(world)
    evaluation = evaluate_village_identification(world.villages[VILLAGE], year=2014)
    assert evaluation.passed and evaluation.purpose_name.startswith("贫困村识别")
    high = by_code(evaluation)["high_incidence"]
    assert "≥ 2倍 × 全省 10% = 20%" in high.threshold and "25%（250人 ÷ 1000人" in high.value


@pytest.mark.parametrize(("poor", "passed"), [(199, False), (200, True), (201, True)])
def test_incidence_at_twice_the_province(world: Any, poor: int, passed: bool) -> None:
    province_2013()
    data_2013(world, poor_population=poor)
    assert (
        by_code(evaluate_village_identification(world.villages[VILLAGE], year=2014))["high_incidence"].passed
        is passed
    )


@pytest.mark.parametrize(("income", "passed"), [("2999.99", True), ("3000", False), ("3000.01", False)])
def test_income_under_sixty_percent_of_the_province(world: Any, income: str, passed: bool) -> None:
    province_2013()
    data_2013(world, per_capita_income=Decimal(income))
    low = by_code(evaluate_village_identification(world.villages[VILLAGE], year=2014))["low_income"]
    assert low.passed is passed and "< 60% × 全省 5,000 元 = 3,000 元" in low.threshold


@pytest.mark.parametrize(("income", "passed"), [("0", True), ("0.01", False), (None, False)])
def test_no_collective_income(world: Any, income: str | None, passed: bool) -> None:
    province_2013()
    data_2013(world, collective_income=Decimal(income) if income is not None else None)
    assert (
        by_code(evaluate_village_identification(world.villages[VILLAGE], year=2014))[
            "no_collective_income"
        ].passed
        is passed
    )


def test_without_the_province_figures_identification_names_what_is_missing(world: Any) -> None:
    data_2013(world)
    evaluation = evaluate_village_identification(world.villages[VILLAGE], year=2014)
    high = by_code(evaluation)["high_incidence"]
    assert not evaluation.passed and high.threshold == "未设置" and "全省农村贫困发生率" in high.note
