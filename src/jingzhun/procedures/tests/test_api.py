"""The procedures API: open, complete a step, bulk, notices; lists stay inside the jurisdiction."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from jingzhun.accounts.services import create_api_token
from jingzhun.core.audit import Actor
from jingzhun.procedures import services
from jingzhun.procedures.tests import helpers


@pytest.fixture
def api(world):
    def client(name: str) -> Client:
        raw = create_api_token(actor=Actor(user=None, name="测试"), user=world.users[name])[1]
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return client


def test_open_and_complete_through_the_api(world, api, poor_household):
    village = api("village_officer")
    opened = village.post(
        f"/api/procedures/households/{poor_household.pk}/cases",
        {"kind": "exit", "discovered_on": "2019-09-01"},
        content_type="application/json",
    )
    assert opened.status_code == 201, opened.content
    case = opened.json()
    assert case["next_step"] == "proposal" and case["version"] == 1
    missing = village.post(
        f"/api/procedures/cases/{case['id']}/steps",
        {"step_code": "proposal", "version": 1, "on": "2019-09-02"},
        content_type="application/json",
    )
    assert missing.status_code == 422 and "缺少" in missing.json()["detail"]
    done = village.post(
        f"/api/procedures/cases/{case['id']}/steps",
        {
            "step_code": "proposal",
            "version": 1,
            "on": "2019-09-02",
            "signatures": [{"signer": "village_committee", "name": "张主任"}],
            "evidence": [{"kind": "appraisal_minutes", "name": "会议记录"}],
        },
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["next_step"] == "verification"
    stale = village.post(
        f"/api/procedures/cases/{case['id']}/steps",
        {"step_code": "verification", "version": 1},
        content_type="application/json",
    )
    assert stale.status_code == 409


def test_bulk_and_notice_through_the_api(world, api, poor_household):
    case = helpers.open_case(world, poor_household, "exit", dt.date(2019, 9, 1))
    village = api("village_officer")
    results = village.post(
        "/api/procedures/bulk",
        {
            "case_ids": [case.pk, 10**9],
            "step_code": "proposal",
            "on": "2019-09-02",
            "signatures": [{"signer": "village_committee", "name": "张主任"}],
            "evidence": [{"kind": "appraisal_minutes", "name": "会议记录"}],
        },
        content_type="application/json",
    ).json()
    assert [r["ok"] for r in results] == [True, False]
    case, on = helpers.do_step(world, case, dt.date(2019, 9, 2))
    case, on = helpers.do_step(world, case, on)
    posted = village.post(
        "/api/procedures/notices",
        {
            "village": poor_household.village_id,
            "case_ids": [case.pk],
            "step_code": "village_notice",
            "start_on": on.isoformat(),
            "photo_name": "照片",
        },
        content_type="application/json",
    )
    assert posted.status_code == 201, posted.content
    notice = api("leader").get(f"/api/procedures/notices/{posted.json()['id']}").json()
    assert notice["days"] == 7 and notice["entries"][0]["household_number"] == poor_household.household_number
    assert set(notice["entries"][0]) == {"household_number", "head_name", "place", "size", "note"}


def test_case_lists_never_leave_the_jurisdiction(world, api, make_household):
    for hh in world.households.values():
        services.open_case(
            actor=Actor.of(world.users["admin"]),
            household=hh,
            kind="natural_change",
            discovered_on=dt.date(2020, 1, 1),
            params=helpers.birth(dt.date(2020, 1, 1)),
        )
    seen = {
        item["household_id"]
        for item in api("township_b_officer").get("/api/procedures/cases").json()["items"]
    }
    assert seen == {world.household_b.pk, world.households["620502101202"].pk}
    assert api("department").get("/api/procedures/cases").json()["count"] == 0
    mine = api("township_officer").get("/api/procedures/cases", {"mine": "true"}).json()
    assert mine["count"] == 0  # natural changes wait for the village's report first


def test_bad_input_is_a_chinese_422_not_a_500(world, api, poor_household):
    village = api("village_officer")
    huge = village.post(
        "/api/procedures/bulk",
        {"case_ids": [10**30], "step_code": "proposal"},
        content_type="application/json",
    )
    assert huge.status_code == 422 and "case_ids" in str(huge.json()["errors"])
    bad_kind = village.post(
        f"/api/procedures/households/{poor_household.pk}/cases",
        {"kind": "monitoring", "discovered_on": "2021-01-01", "params": {"monitoring_type": "x"}},
        content_type="application/json",
    )
    assert bad_kind.status_code == 422 and "监测对象类型" in bad_kind.json()["detail"]
    unknown = village.post(
        f"/api/procedures/households/{poor_household.pk}/cases",
        {"kind": "exit", "discovered_on": "2019-01-01", "params": {"foo": 1}},
        content_type="application/json",
    )
    assert unknown.status_code == 422 and "foo" in unknown.json()["detail"]
    future = village.post(
        f"/api/procedures/households/{poor_household.pk}/cases",
        {"kind": "exit", "discovered_on": "2999-01-01"},
        content_type="application/json",
    )
    assert future.status_code == 422 and "发现日期" in future.json()["detail"]
