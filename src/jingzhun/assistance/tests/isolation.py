"""Objects of 玉泉镇 for the isolation meta-test (tests/test_web_isolation.py): a pairing and a measure of the
南山村 household, made with plain ORM rows (setting up a scene is not an audited edit)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from jingzhun.assistance.models import Measure, Pairing

MISSING_ID = 10**9


def pairing_kwargs(scene: Any, missing: bool) -> dict[str, Any]:
    pairing, _ = Pairing.objects.get_or_create(
        household=scene.household, helper_name="张建平", started_on=dt.date(2024, 3, 1),
        defaults={"helper_unit": "秦州区农业农村局", "unit_level": "3"})
    return {"pk": MISSING_ID if missing else pairing.pk}


def measure_kwargs(scene: Any, missing: bool) -> dict[str, Any]:
    measure, _ = Measure.objects.get_or_create(household=scene.household, year=2025, family="04",
                                               defaults={"implemented": False})
    return {"pk": MISSING_ID if missing else measure.pk}


def pairing_form(scene: Any) -> dict[str, Any]:
    return {"version": scene.household.version, "helper_name": "李娜", "helper_unit": "玉泉镇人民政府",
            "unit_level": "4", "started_on": "2025-01-01"}


def measure_form(scene: Any) -> dict[str, Any]:
    return {"version": scene.household.version, "year": "2025", "family": "04", "implemented": "on",
            "note": "改"}
