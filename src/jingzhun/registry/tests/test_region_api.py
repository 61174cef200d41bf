"""The regions API: children with counts, region detail, and nothing outside the jurisdiction."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from jingzhun.accounts.services import create_api_token
from jingzhun.core.audit import Actor
from jingzhun.testing.world import TOWNSHIP_A, TOWNSHIP_B, World

UNKNOWN = "629999999999"


@pytest.fixture(autouse=True)
def fast_passwords(settings: object) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture
def as_user(world: World) -> Callable[[str], Client]:
    def client(name: str) -> Client:
        _token, raw = create_api_token(actor=Actor(user=None, name="测试"), user=world.users[name])
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return client


def test_officer_sees_the_villages_of_their_township_with_counts(
    as_user: Callable[[str], Client], world: World
) -> None:
    # Given the 玉泉镇 officer
    # When they ask for regions without a parent
    response = as_user("township_officer").get("/api/regions/")
    # Then they get their township and its two villages, each with one household of one person
    assert response.status_code == 200
    body = response.json()
    assert body["parent"]["code"] == world.township_a.code and body["parent"]["name"] == "玉泉镇"
    assert body["parent"]["level"] == {"code": "4", "label": "乡镇"}
    assert body["parent"]["full_name"].endswith("秦州区玉泉镇")
    children = {c["code"]: c for c in body["children"]}
    assert set(children) == {TOWNSHIP_A + "201", TOWNSHIP_A + "202"}
    nanshan = children[TOWNSHIP_A + "201"]
    assert nanshan["name"] == "南山村" and nanshan["level"]["label"] == "村"
    assert (nanshan["households"], nanshan["members"], nanshan["registered"], nanshan["monitored"]) == (
        1,
        1,
        1,
        0,
    )


def test_county_user_can_open_a_township(as_user: Callable[[str], Client], world: World) -> None:
    body = as_user("county_admin").get("/api/regions/", {"parent": world.township_b.prefix}).json()
    assert body["parent"]["code"] == world.township_b.code
    assert {c["code"] for c in body["children"]} == {TOWNSHIP_B + "201", TOWNSHIP_B + "202"}
    assert sum(c["households"] for c in body["children"]) == 2


def test_counts_only_include_households_the_user_may_see(
    as_user: Callable[[str], Client], world: World
) -> None:
    # A department user sees the county's regions but no households (department data comes by comparison)
    body = as_user("department").get("/api/regions/", {"parent": world.county.code}).json()
    assert {c["code"] for c in body["children"]} >= {world.township_a.code, world.township_b.code}
    assert all(c["households"] == 0 and c["members"] == 0 for c in body["children"])


def test_admin_without_region_starts_at_the_provinces(as_user: Callable[[str], Client]) -> None:
    body = as_user("admin").get("/api/regions/").json()
    assert body["parent"] is None
    gansu = next(c for c in body["children"] if c["code"] == "620000000000")
    assert gansu["name"] == "甘肃省" and gansu["households"] == 4


def test_region_detail(as_user: Callable[[str], Client], world: World) -> None:
    village = world.villages[TOWNSHIP_A + "201"]
    body = as_user("township_officer").get(f"/api/regions/{village.code}").json()
    assert body["code"] == village.code and body["name"] == "南山村"
    assert body["parent"] == {"code": world.township_a.code, "name": "玉泉镇"}
    assert body["urban_rural_class"] == {"code": "220", "label": "村庄"}
    assert body["rural_population"] == 1000 and body["gb_code"] == "620502"
    # A prefix works as well as the full code
    assert (
        as_user("township_officer").get(f"/api/regions/{world.township_a.prefix}").json()["name"] == "玉泉镇"
    )


@pytest.mark.parametrize(
    ("user", "outside"),
    [
        ("township_officer", TOWNSHIP_B + "201"),  # the other township's village
        ("township_officer", "620502000000"),  # their own county, above the jurisdiction
        ("village_officer", TOWNSHIP_A + "202"),  # the neighbouring village
        ("township_b_officer", TOWNSHIP_A + "000"),
        ("county_admin", "620503000000"),  # another county
    ],
)
def test_a_region_outside_the_jurisdiction_looks_like_an_unknown_one(
    as_user: Callable[[str], Client], user: str, outside: str
) -> None:
    client = as_user(user)
    for path in (f"/api/regions/{outside}", f"/api/regions/?parent={outside}"):
        response = client.get(path)
        unknown = client.get(path.replace(outside, UNKNOWN))
        assert response.status_code == unknown.status_code == 404
        assert response.json() == unknown.json()
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("code", ["abc", "62050210020", "6205021002011", "%", "-1", "１２３"])
def test_malformed_codes_are_not_found_never_500(as_user: Callable[[str], Client], code: str) -> None:
    client = as_user("county_admin")
    assert client.get(f"/api/regions/{code}").status_code in {404, 422}
    assert client.get("/api/regions/", {"parent": code}).status_code in {404, 422}


def test_regions_need_a_token(world: World) -> None:
    assert Client().get("/api/regions/").status_code == 401
    assert Client().get(f"/api/regions/{world.township_a.code}").status_code == 401
