"""The comparison API: runs (list, read, start), doubts (list, read, verify, resolve), rules with precision;
every list stays inside the jurisdiction, department users get only their rules' doubts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from jingzhun.accounts.services import create_api_token
from jingzhun.comparison.models import ComparisonRun, Doubt, DoubtState, RunState
from jingzhun.comparison.tests import helpers
from jingzhun.core.audit import Actor
from jingzhun.testing.factories import next_id
from jingzhun.testing.world import TOWNSHIP_A, TOWNSHIP_B

CHILD_ID = next_id(birth=dt.date(2014, 3, 1))
JSON = "application/json"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.JINGZHUN_SYNC_IMPORTS = True  # a run started through the API finishes inside the request


@pytest.fixture
def api(world: Any) -> Any:
    def client(name: str) -> Client:
        raw = create_api_token(actor=Actor(user=None, name="测试"), user=world.users[name])[1]
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return client


@pytest.fixture
def doubts(world: Any) -> dict[str, Doubt]:
    rows = [
        helpers.finding("SJ06", world.household_a, name="户主0"),
        helpers.finding("SB01", world.household_a, name="张小明", id_number=CHILD_ID, person="P-CHILD"),
        helpers.finding("SJ06", world.household_b, name="户主2"),
    ]
    made = helpers.raise_doubts(world.county, rows, user=world.users["county_admin"])
    return {f"{d.rule.code}-{d.village_id[:9]}": d for d in made}


def names(body: dict[str, Any]) -> set[str]:
    return {item["name"] for item in body["items"]}


def test_doubt_lists_stay_inside_the_jurisdiction(world, api, doubts):
    assert names(api("township_officer").get("/api/comparison/doubts").json()) == {"户主0", "张小明"}
    assert names(api("township_b_officer").get("/api/comparison/doubts").json()) == {"户主2"}
    assert api("helper").get("/api/comparison/doubts").json()["count"] == 0
    county = api("county_admin")
    assert county.get("/api/comparison/doubts").json()["count"] == 3
    assert names(county.get("/api/comparison/doubts", {"rule": "SB01"}).json()) == {"张小明"}
    assert names(county.get("/api/comparison/doubts", {"region": TOWNSHIP_B}).json()) == {"户主2"}
    assert county.get("/api/comparison/doubts", {"state": "confirmed"}).json()["count"] == 0
    assert county.get("/api/comparison/doubts", {"limit": 2}).json()["count"] == 3
    assert len(county.get("/api/comparison/doubts", {"limit": 2}).json()["items"]) == 2
    # a region outside is answered like a missing one; an unknown state is a Chinese 422
    outside = api("township_b_officer").get("/api/comparison/doubts", {"region": TOWNSHIP_A})
    assert outside.status_code == 404 and outside.json()["code"] == "not_found"
    bad = county.get("/api/comparison/doubts", {"state": "maybe"})
    assert bad.status_code == 422 and "未知的状态" in bad.json()["detail"]


def test_department_users_get_their_rules_doubts_without_the_household(world, api, doubts):
    user = world.users["department"]
    user.department = "education"
    user.save()
    body = api("department").get("/api/comparison/doubts").json()
    assert names(body) == {"张小明"}
    item = body["items"][0]
    assert (
        item["id_number"] == CHILD_ID and item["household_id"] is None and item["village"]["name"] == "南山村"
    )
    other = doubts[f"SJ06-{TOWNSHIP_A}"]
    assert api("department").get(f"/api/comparison/doubts/{other.pk}").status_code == 404
    assert [r["code"] for r in api("department").get("/api/comparison/rules").json()] == ["CT01", "SB01"]


def test_read_only_roles_see_masked_ids_and_may_not_verify(world, api, doubts):
    doubt = doubts[f"SB01-{TOWNSHIP_A}"]
    leader = api("leader")
    seen = leader.get(f"/api/comparison/doubts/{doubt.pk}").json()
    assert seen["id_number"] != CHILD_ID and seen["id_number"].endswith(CHILD_ID[-4:])
    assert api("village_officer").get(f"/api/comparison/doubts/{doubt.pk}").json()["id_number"] == CHILD_ID
    refused = leader.post(
        f"/api/comparison/doubts/{doubt.pk}/verify",
        {"confirmed": True, "note": "属实", "version": 1},
        content_type=JSON,
    )
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert Doubt.objects.get(pk=doubt.pk).state == DoubtState.OPEN


def test_verify_and_resolve_through_the_api(world, api, doubts):
    doubt = doubts[f"SJ06-{TOWNSHIP_A}"]
    village = api("village_officer")
    url = f"/api/comparison/doubts/{doubt.pk}"
    # an empty note is refused by the schema, in Chinese
    empty = village.post(f"{url}/verify", {"confirmed": True, "note": "", "version": 1}, content_type=JSON)
    assert empty.status_code == 422 and "note" in empty.json()["errors"]
    done = village.post(
        f"{url}/verify",
        {"confirmed": True, "note": "无患病成员，致贫原因录错", "version": 1},
        content_type=JSON,
    )
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "confirmed" and done.json()["version"] == 2
    assert done.json()["verified_by_name"] == "village_officer"
    again = village.post(
        f"{url}/verify", {"confirmed": False, "note": "不属实", "version": 1}, content_type=JSON
    )
    assert again.status_code == 409
    # the village may not resolve; the township may
    refused = village.post(f"{url}/resolve", {"note": "已更正", "version": 2}, content_type=JSON)
    assert refused.status_code == 403
    resolved = api("township_officer").post(
        f"{url}/resolve", {"note": "已更正致贫原因", "version": 2}, content_type=JSON
    )
    assert resolved.status_code == 200 and resolved.json()["state"] == "resolved"
    # and the rule's precision counts it as true
    rules = {r["code"]: r for r in api("township_officer").get("/api/comparison/rules").json()}
    assert rules["SJ06"]["resolved"] == 1 and rules["SJ06"]["precision"] == 1.0
    assert rules["SB01"]["open"] == 1 and rules["SB01"]["precision"] is None
    # 太京镇's officer still counts only their own doubt
    theirs = {r["code"]: r for r in api("township_b_officer").get("/api/comparison/rules").json()}
    assert theirs["SJ06"]["open"] == 1 and theirs["SJ06"]["resolved"] == 0


def test_start_a_run_and_read_it(world, api):
    county = api("county_admin")
    started = county.post("/api/comparison/runs", {"region": "620502", "engine": "duckdb"}, content_type=JSON)
    assert started.status_code == 202, started.content
    run = started.json()
    assert run["region"]["name"] == "秦州区" and run["state"] == RunState.DONE
    detail = county.get(f"/api/comparison/runs/{run['id']}").json()
    assert detail["counts"] and all(n > 0 for n in detail["counts"].values())
    assert detail["skipped"]["SB01"] == "缺少部门数据：学籍信息"
    townships = {t["code"]: t for t in detail["townships"]}
    assert set(townships) == {TOWNSHIP_A, TOWNSHIP_B} and townships[TOWNSHIP_A]["name"] == "玉泉镇"
    assert sum(t["total"] for t in townships.values()) == detail["doubts_created"]
    assert county.get("/api/comparison/runs").json()["count"] == 1
    # the county's run covered the township: its officer reads it (their doubts came from it) but may not start one
    assert api("township_officer").get(f"/api/comparison/runs/{run['id']}").status_code == 200
    assert api("township_officer").get("/api/comparison/runs").json()["count"] == 1
    assert api("helper").get(f"/api/comparison/runs/{run['id']}").status_code == 404
    refused = api("township_officer").post("/api/comparison/runs", {"region": "620502"}, content_type=JSON)
    assert refused.status_code == 403 and ComparisonRun.objects.count() == 1


def test_a_run_must_be_of_a_county_inside_the_jurisdiction(world, api):
    county = api("county_admin")
    township = county.post("/api/comparison/runs", {"region": TOWNSHIP_A}, content_type=JSON)
    assert township.status_code == 422 and "县" in township.json()["detail"]
    neighbour = county.post("/api/comparison/runs", {"region": "620503"}, content_type=JSON)
    assert neighbour.status_code == 404
    engine = county.post("/api/comparison/runs", {"region": "620502", "engine": "excel"}, content_type=JSON)
    assert engine.status_code == 422
    assert not ComparisonRun.objects.exists()


def test_a_second_run_waits_for_the_first(world, api):
    ComparisonRun.objects.create(region=world.county, as_of=dt.date.today(), user_name="county_admin")
    busy = api("county_admin").post("/api/comparison/runs", {"region": "620502"}, content_type=JSON)
    assert busy.status_code == 422 and "正在进行" in busy.json()["detail"]
