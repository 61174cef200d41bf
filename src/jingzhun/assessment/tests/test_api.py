"""The assessment API: surveys with their estimates, and results entered from an app."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client

from jingzhun.accounts.services import create_api_token
from jingzhun.assessment import services
from jingzhun.assessment.models import Interview
from jingzhun.core.audit import Actor


def _client(user: Any) -> Client:
    _token, raw = create_api_token(actor=Actor.of(None), user=user)
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_surveys_with_estimates_and_results_through_the_api(assessed):
    survey = services.draw_survey(
        actor=Actor.of(None),
        county=assessed.county,
        year=2025,
        seed=11,
        design={"villages": {"poor": 2, "non_poor": 2}},
    )
    household = services.add_household(
        actor=Actor.of(None), village=survey.villages.first(), head_name="赵六", address="一组", people=2
    )
    admin = _client(assessed.users["county_admin"])
    listed = admin.get("/api/assessment/surveys").json()
    assert [s["id"] for s in listed["items"]] == [survey.pk]
    body = {
        "visited_on": dt.date.today().isoformat(),
        "interviewers": "甲、乙",
        "approves": True,
        "missed": True,
        "missed_people": 1,
        "version": 0,
    }
    saved = admin.post(
        f"/api/assessment/households/{household.pk}/interview", body, content_type="application/json"
    )
    assert saved.status_code == 200 and saved.json()["version"] == 1
    stale = admin.post(
        f"/api/assessment/households/{household.pk}/interview", body, content_type="application/json"
    )
    assert stale.status_code == 409
    detail = admin.get(f"/api/assessment/surveys/{survey.pk}").json()
    figures = {e["code"]: e for e in detail["estimates"]}
    assert figures["approval"]["value"] == 1.0 and figures["missed_rate"]["value"] > 0
    assert {c["code"] for c in detail["exit_check"]["criteria"]} >= {"approval", "missed_rate"}
    # a leader reads but may not write (403); another county's administrator sees nothing (404)
    leader = _client(assessed.users["leader"])
    assert leader.get(f"/api/assessment/surveys/{survey.pk}").status_code == 200
    refused = leader.post(
        f"/api/assessment/households/{household.pk}/interview",
        body | {"version": 1},
        content_type="application/json",
    )
    assert refused.status_code == 403
    other = _client(assessed.users["other_county_admin"])
    assert other.get(f"/api/assessment/surveys/{survey.pk}").status_code == 404
    assert other.get("/api/assessment/surveys").json()["count"] == 0
    bad = admin.post(
        f"/api/assessment/households/{household.pk}/interview",
        body | {"version": 1, "missed_people": None},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "missed_people" in bad.json()["errors"]
    assert Interview.objects.get().version == 1
