"""The national poverty line per year (issue 14): the NBS series as shipped, 2014 identification judged on
2013's line, and migration 0003 correcting an installation that still holds the earlier release's rows."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps as django_apps

from jingzhun.core.models import ObjectChange
from jingzhun.policy import catalogue as c
from jingzhun.policy.criteria import evaluate_household
from jingzhun.policy.models import Parameter
from jingzhun.registry.choices import LabourSkill
from jingzhun.testing.factories import HouseholdFactory, HouseholdYearFactory, MemberFactory
from jingzhun.testing.world import TOWNSHIP_A

pytestmark = pytest.mark.django_db
# Current-price values of the 2010 standard (2,300 yuan at 2010 prices), docs/policy.md.
SERIES = {
    2010: 2300,
    2011: 2536,
    2012: 2625,
    2013: 2736,
    2014: 2800,
    2015: 2855,
    2016: 2952,
    2017: 2952,
    2018: 2995,
    2019: 3218,
    2020: 4000,
}
migration = importlib.import_module("jingzhun.policy.migrations.0003_poverty_lines_corrected")


def national(year: int) -> Parameter:
    return Parameter.objects.get(key=c.POVERTY_LINE, region_prefix="", year=year, effective_from__isnull=True)


def test_every_year_from_2010_to_2020_has_its_line_and_its_source() -> None:
    assert {y: int(national(y).value) for y in SERIES} == SERIES
    for year in range(2011, 2017):
        row = national(year)
        assert not row.unconfirmed and "《云南调查年鉴2017》" in row.document
    # what no stored source gives stays marked for the province to confirm
    assert national(2017).unconfirmed and national(2018).unconfirmed
    assert not national(2010).unconfirmed and "2010年不变价" in national(2010).document


@pytest.mark.parametrize(("income", "identified"), [("2735", True), ("2736", False), ("2737", False)])
def test_identification_in_2014_compares_2013_income_with_2013s_line(
    world: Any, income: str, identified: bool
) -> None:
    hh = HouseholdFactory.create(
        village=world.villages[TOWNSHIP_A + "201"], poverty_status="", head_name="王大山"
    )
    MemberFactory(household=hh, name="王大山", labour_skill=LabourSkill.ORDINARY)
    HouseholdYearFactory(household=hh, year=2013, household_size=1, wage_income=Decimal(income))
    evaluation = evaluate_household(hh, purpose="identification", on=dt.date(2014, 5, 1))
    criterion = next(x for x in evaluation.criteria if x.code == "income")
    assert criterion.passed is identified
    assert criterion.parameter.year == 2013 and criterion.parameter.value == Decimal("2736")
    assert "2,736" in criterion.threshold and "《云南调查年鉴2017》" in criterion.threshold


def _ship_as_before(year: int) -> Parameter:
    row = national(year)
    value, document = migration.SHIPPED[year]
    Parameter.objects.filter(pk=row.pk).update(value=value, document=document, unconfirmed=True, source="old")
    return national(year)


def test_the_migration_corrects_rows_still_as_shipped_and_audits_each_correction() -> None:
    # given an installation of the earlier release: 2014 and 2018 as shipped then, 2016 edited by a
    # province, and no 2011 row at all
    _ship_as_before(2014)
    _ship_as_before(2018)
    Parameter.objects.filter(pk=national(2016).pk).update(value=Decimal("3000"), document="某省文件")
    Parameter.objects.filter(pk=national(2011).pk).delete()
    # when the migration runs
    migration.forwards(django_apps, None)
    # then the shipped rows hold the series, the province's own number is untouched, 2011 is back
    assert national(2014).value == Decimal("2800") and not national(2014).unconfirmed
    assert national(2018).value == Decimal("2995") and national(2018).unconfirmed
    assert national(2016).value == Decimal("3000") and national(2016).document == "某省文件"
    assert national(2011).value == Decimal("2536")
    changes = ObjectChange.objects.filter(object_type="policy.parameter", source="migration")
    assert {(ch.before["value"], ch.after["value"]) for ch in changes} == {("2952", "2800"), ("2952", "2995")}
    assert {ch.user_name for ch in changes} == {migration.ACTOR}
    # and running it again changes nothing more
    migration.forwards(django_apps, None)
    assert ObjectChange.objects.filter(object_type="policy.parameter", source="migration").count() == 2
