"""Calls of the assessment's writers for ``tests/test_every_write_audited.py``.

Each sets up what it needs with plain ORM rows (``isolation``; not audited, so the check sees only the
writer's own lines) and calls the writer as the county administrator, who draws and enters surveys.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from jingzhun.assessment import services
from jingzhun.assessment.tests import isolation
from jingzhun.core.audit import Actor

CALLS: dict[str, Callable[[Any, Actor], Any]] = {
    "jingzhun.assessment.services.draw_survey": lambda w, a: services.draw_survey(
        actor=a, county=w.county, year=2025, seed=7
    ),
    "jingzhun.assessment.services.redraw_survey": lambda w, a: services.redraw_survey(
        actor=a, survey=isolation.survey_a(w), seed=8, expected_version=1
    ),
    "jingzhun.assessment.services.close_survey": lambda w, a: services.close_survey(
        actor=a, survey=isolation.survey_a(w), expected_version=1
    ),
    "jingzhun.assessment.services.add_household": lambda w, a: services.add_household(
        actor=a, village=isolation.village_a(w), head_name="补充户", address="南山村3组", people=3
    ),
    "jingzhun.assessment.services.record_interview": lambda w, a: services.record_interview(
        actor=a,
        sampled=isolation.sampled_a(w),
        data={
            "visited_on": dt.date.today(),
            "interviewers": "评估员甲",
            "approves": True,
            "wrongly_exited": False,
        },
    ),
}
ACTORS = dict.fromkeys(CALLS, "county_admin")
