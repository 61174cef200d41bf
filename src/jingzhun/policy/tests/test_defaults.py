"""The shipped defaults: every key has a national value, the west has 3%, unconfirmed numbers are marked."""

from __future__ import annotations

import pytest

from jingzhun.policy import catalogue as c
from jingzhun.policy import defaults
from jingzhun.policy.models import Parameter

WEST = {"15", "45", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"}


def test_every_key_has_a_national_default_with_a_document_and_a_source() -> None:
    rows = defaults.rows()
    assert {r["key"] for r in rows if r["region_prefix"] == ""} == {k.key for k in c.KEYS if not k.regional}
    assert all(r["document"] and r["source"] for r in rows)
    # a number is confirmed only when it cites domain.md or the NBS yearbook series (docs/policy.md)
    cited = ("domain.md", "Yunnan Survey Yearbook 2017")
    assert all(r["unconfirmed"] for r in rows if not r["source"].startswith(cited))


def test_the_twelve_western_provinces_get_three_percent() -> None:
    for key in (c.VILLAGE_EXIT_MAX_INCIDENCE, c.COUNTY_EXIT_MAX_INCIDENCE):
        west = {r["region_prefix"] for r in defaults.rows() if r["key"] == key and str(r["value"]) == "0.03"}
        assert west == WEST


def test_unconfirmed_numbers_are_marked() -> None:
    unconfirmed = {(r["key"], r["year"]) for r in defaults.rows() if r["unconfirmed"]}
    assert (c.MONITORING_LINE, 2021) in unconfirmed and (c.MEDICAL_SELF_PAY_TRIGGER, None) in unconfirmed
    assert (c.POVERTY_LINE, 2018) in unconfirmed and (c.POVERTY_LINE, 2015) not in unconfirmed


@pytest.mark.django_db
def test_the_migration_loaded_them_all() -> None:
    assert Parameter.objects.count() == len(defaults.rows())
    assert defaults.load(Parameter) == 0  # loading again adds nothing
