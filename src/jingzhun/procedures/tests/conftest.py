"""Fixtures of the procedures tests: households ready for each kind of procedure, in 南山村 (玉泉镇)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from jingzhun.assistance.choices import MeasureFamily
from jingzhun.assistance.models import Measure
from jingzhun.registry.choices import Attribute, LabourSkill, PovertyStatus
from jingzhun.registry.models import Household
from jingzhun.testing.factories import (
    MEMBER_INSURED,
    YEAR_GUARANTEES_MET,
    HouseholdFactory,
    HouseholdYearFactory,
    MemberFactory,
)
from jingzhun.testing.world import TOWNSHIP_A, TOWNSHIP_B

VILLAGE_A = TOWNSHIP_A + "201"  # 南山村
VILLAGE_B = TOWNSHIP_B + "201"  # 东川村


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def make_household(world: Any) -> Callable[..., Household]:
    """A one-person household with a data year: income, 两不愁, insured, safe housing and water unless told;
    a monitored one also has an implemented assistance measure that year (帮扶消除 needs one)."""

    def make(
        *,
        village: str = VILLAGE_A,
        poverty_status: str = "",
        attribute: str = Attribute.ORDINARY,
        income: int = 1000,
        year: int = 2018,
        labour: str = LabourSkill.ORDINARY,
        **fields: Any,
    ) -> Household:
        hh = HouseholdFactory.create(
            village=world.villages[village], poverty_status=poverty_status, attribute=attribute, **fields
        )
        MemberFactory(household=hh, name=hh.head_name, labour_skill=labour, **MEMBER_INSURED)
        HouseholdYearFactory(
            household=hh,
            year=year,
            household_size=1,
            wage_income=income,
            housing_grade="A",
            **YEAR_GUARANTEES_MET,
        )
        if hh.monitoring_type:
            Measure.objects.create(household=hh, year=year, family=MeasureFamily.EMPLOYMENT, implemented=True)
        return hh

    return make


@pytest.fixture
def poor_household(make_household: Callable[..., Household]) -> Household:
    """Registered poor (未脱贫) since 2014, income 2018 above the line: ready to exit in 2019."""
    return make_household(
        poverty_status=PovertyStatus.NOT_EXITED,
        attribute=Attribute.GENERAL_POOR,
        income=5000,
        first_identified_on=dt.date(2014, 10, 1),
    )
