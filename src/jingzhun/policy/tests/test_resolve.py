"""resolve: the most specific region wins, per year or per day; shipped defaults; Resolver in bulk."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from jingzhun.policy import catalogue as c
from jingzhun.policy.models import Parameter
from jingzhun.policy.selectors import ParameterMissing, Resolver, candidate_prefixes, resolve

VILLAGE = "620502100201"  # 南山村, 玉泉镇, 秦州区, 天水市, 甘肃


def add(
    key: str,
    prefix: str,
    value: str,
    *,
    year: int | None = None,
    start: dt.date | None = None,
    **extra: object,
) -> Parameter:
    return Parameter.objects.create(
        key=key,
        region_prefix=prefix,
        year=year,
        effective_from=start,
        value=Decimal(value),
        document=f"测试文件 {prefix or '全国'}",
        **extra,
    )


def test_candidates_go_from_village_to_national() -> None:
    assert candidate_prefixes(VILLAGE) == [VILLAGE, "620502100", "620502", "6205", "62", ""]
    assert candidate_prefixes("620502000000") == ["620502", "6205", "62", ""]
    assert candidate_prefixes("53") == ["53", ""]


@pytest.mark.django_db
def test_shipped_poverty_lines_per_year() -> None:
    assert resolve(c.POVERTY_LINE, region_code=VILLAGE, year=2015).value == Decimal("2855")
    line_2019 = resolve(c.POVERTY_LINE, region_code=VILLAGE, year=2019)
    assert line_2019.value == Decimal("3218") and line_2019.region_prefix == "" and not line_2019.unconfirmed
    assert resolve(c.POVERTY_LINE, region_code=VILLAGE, year=2018).unconfirmed is True
    assert resolve(c.POVERTY_LINE, region_code=VILLAGE, year=2020).value == Decimal("4000")


@pytest.mark.django_db
def test_western_province_gets_three_percent_and_the_east_two() -> None:
    gansu = resolve(c.VILLAGE_EXIT_MAX_INCIDENCE, region_code=VILLAGE, year=2019)
    assert (gansu.value, gansu.region_prefix) == (Decimal("0.03"), "62")
    jiangsu = resolve(c.COUNTY_EXIT_MAX_INCIDENCE, region_code="320508", on=dt.date(2019, 6, 1))
    assert (jiangsu.value, jiangsu.region_prefix) == (Decimal("0.02"), "")


@pytest.mark.django_db
def test_county_beats_province_beats_national() -> None:
    add(c.MONITORING_LINE, "", "6500", year=2024)
    add(c.MONITORING_LINE, "62", "6800", year=2024)
    assert resolve(c.MONITORING_LINE, region_code=VILLAGE, year=2024).value == Decimal("6800")
    add(c.MONITORING_LINE, "620502", "7000", year=2024)
    assert resolve(c.MONITORING_LINE, region_code=VILLAGE, year=2024).value == Decimal("7000")
    assert resolve(c.MONITORING_LINE, region_code="620503", year=2024).value == Decimal("6800")  # 麦积区
    assert resolve(c.MONITORING_LINE, region_code="41", year=2024).value == Decimal("6500")


@pytest.mark.django_db
def test_yunnan_county_and_province_values_of_the_shipped_defaults() -> None:
    assert resolve(c.MONITORING_LINE, region_code="532328000000", year=2023).value == Decimal("8050")
    assert resolve(c.MONITORING_LINE, region_code="532301", year=2025).value == Decimal("8700")
    assert resolve(c.MONITORING_LINE, region_code="410581", year=2023).value == Decimal("7500")


@pytest.mark.django_db
def test_a_year_without_a_value_is_missing_with_a_chinese_message() -> None:
    with pytest.raises(ParameterMissing) as excinfo:
        resolve(c.MONITORING_LINE, region_code=VILLAGE, year=2024)
    assert "防止返贫监测范围" in excinfo.value.message and "2024年度" in excinfo.value.message
    assert VILLAGE in excinfo.value.message


@pytest.mark.django_db
def test_dated_keys_follow_effective_dates() -> None:
    assert resolve(c.NOTICE_DAYS_MONITORING, region_code=VILLAGE, on=dt.date(2024, 3, 1)).value == 5
    add(
        c.NOTICE_DAYS_MONITORING, "620502", "7", start=dt.date(2024, 1, 1), effective_to=dt.date(2024, 12, 31)
    )
    assert resolve(c.NOTICE_DAYS_MONITORING, region_code=VILLAGE, on=dt.date(2023, 12, 31)).value == 5
    assert resolve(c.NOTICE_DAYS_MONITORING, region_code=VILLAGE, on=dt.date(2024, 6, 1)).value == 7
    assert resolve(c.NOTICE_DAYS_MONITORING, region_code=VILLAGE, on=dt.date(2025, 1, 1)).value == 5
    with pytest.raises(ParameterMissing):
        resolve(c.NOTICE_DAYS_MONITORING, region_code=VILLAGE, on=dt.date(2019, 1, 1))


@pytest.mark.django_db
def test_as_json_names_the_value_and_its_document() -> None:
    data = resolve(c.POVERTY_LINE, region_code=VILLAGE, year=2015).as_json()
    assert data["value"] == "2855" and data["year"] == 2015 and data["region_prefix"] == ""
    assert "2015年国家扶贫标准" in data["document"] and data["unit"] == "元/人·年"


@pytest.mark.django_db
def test_resolver_answers_many_regions_with_one_query(django_assert_num_queries: Any) -> None:
    add(c.NOTICE_DAYS_EXIT, "620502100", "10", start=dt.date(2016, 1, 1))
    with django_assert_num_queries(1):
        resolver = Resolver(c.NOTICE_DAYS_EXIT)
        values = [
            resolver.resolve(c.NOTICE_DAYS_EXIT, region_code=code, on=dt.date(2019, 5, 1)).value
            for code in [VILLAGE, "620502101201"] * 500
        ]
    assert values[:2] == [Decimal("10"), Decimal("7")]


@pytest.mark.django_db
def test_resolve_is_one_query(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        resolve(c.DECISION_DEADLINE_DAYS, region_code=VILLAGE)
