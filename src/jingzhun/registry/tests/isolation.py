"""Objects of 玉泉镇 for the isolation meta-tests (tests/test_web_isolation.py, tests/test_api_isolation.py): a
rigid expense and an income assessment of the 南山村 household, made with plain ORM rows (setting up a scene
is not an audited edit)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from jingzhun.registry.models import HouseholdExpense, IncomeAssessment

MISSING_ID = 10**9


def expense_a(household: Any) -> HouseholdExpense:
    expense, _ = HouseholdExpense.objects.get_or_create(
        household=household,
        kind="medical",
        incurred_on=dt.date(2025, 2, 1),
        defaults={"amount": Decimal(3000), "source": "medical_insurance"},
    )
    return expense


def assessment_a(household: Any) -> IncomeAssessment:
    assessment, _ = IncomeAssessment.objects.get_or_create(
        household=household,
        period_start=dt.date(2024, 2, 1),
        period_end=dt.date(2025, 1, 31),
        defaults={
            "net_income": Decimal(9000),
            "persons": 1,
            "per_capita_income": Decimal(9000),
            "source": "verified",
        },
    )
    return assessment


def expense_kwargs(scene: Any, missing: bool) -> dict[str, Any]:
    return {"pk": MISSING_ID if missing else expense_a(scene.household).pk}


def assessment_kwargs(scene: Any, missing: bool) -> dict[str, Any]:
    return {"pk": MISSING_ID if missing else assessment_a(scene.household).pk}


def expense_form(scene: Any) -> dict[str, Any]:
    return {
        "version": scene.household.version,
        "kind": "education",
        "incurred_on": "2025-01-01",
        "amount": "900",
        "source": "declared",
    }


def assessment_form(scene: Any) -> dict[str, Any]:
    return {
        "version": scene.household.version,
        "period_start": "2024-01-01",
        "period_end": "2024-12-31",
        "net_income": "100",
        "persons": "1",
        "source": "verified",
    }


def delete_form(scene: Any) -> dict[str, Any]:
    return {"version": scene.household.version}


def expense_body() -> dict[str, Any]:
    """An API body; version 1 is the test world's households' version."""
    return {
        "version": 1,
        "kind": "education",
        "incurred_on": "2025-01-01",
        "amount": "900",
        "source": "declared",
    }


def assessment_body() -> dict[str, Any]:
    return {
        "version": 1,
        "period_start": "2024-01-01",
        "period_end": "2024-12-31",
        "net_income": "100",
        "persons": 1,
        "source": "verified",
    }


def delete_body() -> dict[str, Any]:
    return {"version": 1}
