"""Objects of 秦州区 for the isolation meta-tests (tests/test_web_isolation.py, tests/test_api_isolation.py)
and the audit meta-test (``audit_calls``).

Plain ORM rows (setting up a scene is not an audited edit), made once per test: a survey of the county with
南山村 (玉泉镇) drawn and its household (exited, no labour) on the list. Surveys are county-level: the
county administrator and the administrator change them, the county's leader and auditor read them, and
nobody else sees them (not even the 玉泉镇 officer whose village was drawn).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from jingzhun.assessment import sampling
from jingzhun.assessment.choices import Group, Stratum
from jingzhun.assessment.models import SampledHousehold, SampledVillage, Survey

MISSING_ID = 10**9
READERS = {"admin", "county_admin", "leader", "auditor"}
EDITORS = {"admin", "county_admin"}


def survey_a(world: Any) -> Survey:
    survey, _ = Survey.objects.get_or_create(
        county=world.county,
        year=2025,
        seed=1,
        defaults={
            "name": "秦州区2025年退出评估抽样（隔离测试）",
            "design": sampling.Design().as_json(),
            "frame": {"rural_population": 4000, "registered_people": 4, "poor_people": 0, "exited_people": 4},
            "created_by_name": "isolation",
        },
    )
    return survey


def village_a(world: Any) -> SampledVillage:
    village, _ = SampledVillage.objects.get_or_create(
        survey=survey_a(world),
        village=world.household_a.village,
        defaults={"stratum": Stratum.POOR, "order": 1, "rural_population": 1000, "registered_people": 1},
    )
    return village


def sampled_a(world: Any) -> SampledHousehold:
    household = world.household_a
    sampled, _ = SampledHousehold.objects.get_or_create(
        survey=survey_a(world),
        household=household,
        defaults={
            "village": village_a(world),
            "group": Group.REGISTERED_WITHOUT_LABOUR,
            "order": 1,
            "household_number": household.household_number,
            "head_name": household.head_name,
            "people": 1,
            "poverty_status": household.poverty_status,
        },
    )
    return sampled


# Web: kwargs of each URL for the target object and for a missing one, and what is posted.


def survey_kwargs(scene: Any, missing: bool) -> dict[str, Any]:
    return {"pk": MISSING_ID if missing else survey_a(scene.world).pk}


def lists_kwargs(scene: Any, missing: bool) -> dict[str, Any]:
    return {**survey_kwargs(scene, missing), "fmt": "xlsx"}


def village_kwargs(scene: Any, missing: bool) -> dict[str, Any]:
    return {"pk": MISSING_ID if missing else village_a(scene.world).pk}


def village_list_kwargs(scene: Any, missing: bool) -> dict[str, Any]:
    return {**village_kwargs(scene, missing), "fmt": "xlsx"}


def sampled_kwargs(scene: Any, missing: bool) -> dict[str, Any]:
    return {"pk": MISSING_ID if missing else sampled_a(scene.world).pk}


def redraw_form(scene: Any) -> dict[str, Any]:
    return {"seed": 99, "version": 1}


def close_form(scene: Any) -> dict[str, Any]:
    return {"version": 1}


def add_form(scene: Any) -> dict[str, Any]:
    return {"head_name": "越权补充", "address": "南山村1组", "people": 3}


def interview_form(scene: Any) -> dict[str, Any]:
    return {
        "outcome": "completed",
        "visited_on": dt.date.today().isoformat(),
        "interviewers": "越权",
        "approves": "1",
        "wrongly_exited": "0",
        "version": 0,
    }


def interview_body() -> dict[str, Any]:
    """The API's body for the 南山村 household (exited: asked 是否错退)."""
    return {
        "visited_on": dt.date.today().isoformat(),
        "interviewers": "评估员甲、评估员乙",
        "approves": True,
        "wrongly_exited": False,
        "version": 0,
    }
