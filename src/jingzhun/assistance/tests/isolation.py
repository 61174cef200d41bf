"""Objects of 玉泉镇 for the isolation meta-tests (tests/test_web_isolation.py, tests/test_api_isolation.py):
a pairing and a measure of the 南山村 household, made with plain ORM rows (setting up a scene is not an
audited edit)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from jingzhun.assistance.models import Measure, Pairing

MISSING_ID = 10**9


def pairing_a(household: Any) -> Pairing:
    pairing, _ = Pairing.objects.get_or_create(
        household=household,
        helper_name="张建平",
        started_on=dt.date(2024, 3, 1),
        defaults={"helper_unit": "秦州区农业农村局", "unit_level": "3"},
    )
    return pairing


def measure_a(household: Any) -> Measure:
    measure, _ = Measure.objects.get_or_create(
        household=household, year=2025, family="04", defaults={"implemented": False}
    )
    return measure


def pairing_kwargs(scene: Any, missing: bool) -> dict[str, Any]:
    return {"pk": MISSING_ID if missing else pairing_a(scene.household).pk}


def measure_kwargs(scene: Any, missing: bool) -> dict[str, Any]:
    return {"pk": MISSING_ID if missing else measure_a(scene.household).pk}


def pairing_form(scene: Any) -> dict[str, Any]:
    return {
        "version": scene.household.version,
        "helper_name": "李娜",
        "helper_unit": "玉泉镇人民政府",
        "unit_level": "4",
        "started_on": "2025-01-01",
    }


def measure_form(scene: Any) -> dict[str, Any]:
    return {
        "version": scene.household.version,
        "year": "2025",
        "family": "04",
        "implemented": "on",
        "note": "改",
    }


def pairing_body() -> dict[str, Any]:
    """An API body; version 1 is the test world's households' version."""
    return {
        "version": 1,
        "helper_name": "李娜",
        "helper_unit": "玉泉镇人民政府",
        "unit_level": "4",
        "started_on": "2025-01-01",
    }


def measure_body() -> dict[str, Any]:
    return {"version": 1, "year": 2026, "family": "05", "implemented": True, "note": "家庭医生签约"}
