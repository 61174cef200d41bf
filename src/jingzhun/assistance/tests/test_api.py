"""The assistance API: a household's pairings and measures, added and changed one at a time."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from jingzhun.accounts.services import create_api_token
from jingzhun.assistance.models import Measure, Pairing
from jingzhun.core.audit import Actor
from jingzhun.core.models import ObjectChange

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _client(world: Any, name: str) -> Client:
    raw = create_api_token(actor=Actor(user=None, name="测试"), user=world.users[name])[1]
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_add_then_end_a_pairing_and_mark_a_measure_done(world):
    api = _client(world, "village_officer")
    hh = world.household_a
    url = f"/api/assistance/households/{hh.pk}"
    start = api.get(url).json()
    assert start == {"household_id": hh.pk, "version": start["version"], "pairings": [], "measures": []}

    body = {
        "version": start["version"],
        "helper_name": "张建平",
        "helper_unit": "秦州区农业农村局",
        "unit_level": "3",
        "helper_phone": "13909381234",
        "started_on": "2025-01-01",
    }
    added = api.post(url + "/pairings", body, content_type="application/json")
    assert added.status_code == 201
    out = added.json()
    assert out["version"] == start["version"] + 1
    assert [(p["helper_name"], p["in_force"], p["ended_on"]) for p in out["pairings"]] == [
        ("张建平", True, None)
    ]

    pairing_id = out["pairings"][0]["id"]
    ended = api.put(
        f"/api/assistance/pairings/{pairing_id}",
        {**body, "version": out["version"], "ended_on": "2025-06-30"},
        content_type="application/json",
    )
    assert ended.status_code == 200 and ended.json()["pairings"][0]["in_force"] is False
    assert Pairing.objects.get().ended_on.isoformat() == "2025-06-30"

    stale = api.put(
        f"/api/assistance/pairings/{pairing_id}",
        {**body, "version": out["version"]},
        content_type="application/json",
    )
    assert stale.status_code == 409 and stale.json()["code"] == "concurrent_edit"

    version = ended.json()["version"]
    measure = {"version": version, "year": 2026, "family": "05", "note": "家庭医生签约"}
    made = api.post(url + "/measures", measure, content_type="application/json")
    assert made.status_code == 201 and made.json()["measures"][0]["implemented"] is False
    done = api.put(
        f"/api/assistance/measures/{made.json()['measures'][0]['id']}",
        {**measure, "version": made.json()["version"], "implemented": True},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["measures"][0]["implemented"] is True
    assert Measure.objects.get().implemented
    assert ObjectChange.objects.filter(object_type__startswith="assistance.").count() == 4


@pytest.mark.parametrize(
    "over,field,message",
    [
        ({"ended_on": "2024-12-31"}, None, "帮扶结束日期不能早于帮扶开始日期"),
        ({"helper_phone": "电话"}, "helper_phone", "联系电话只能包含数字和“-”"),
        ({"unit_level": "9"}, "unit_level", "请选择单位隶属关系"),
    ],
)
def test_bad_values_answer_422_in_chinese_and_write_nothing(world, over, field, message):
    api = _client(world, "township_officer")
    hh = world.household_a
    hh.refresh_from_db()
    body = {
        "version": hh.version,
        "helper_name": "张建平",
        "helper_unit": "秦州区农业农村局",
        "unit_level": "3",
        "started_on": "2025-01-01",
        **over,
    }
    response = api.post(f"/api/assistance/households/{hh.pk}/pairings", body, content_type="application/json")
    assert response.status_code == 422, response.content
    out = response.json()
    assert out["code"] == "invalid" and message in out["detail"]
    if field:
        assert message in out["errors"][field][0]
    assert not Pairing.objects.exists() and not ObjectChange.objects.filter(object_type="assistance.pairing")


def test_readers_see_the_assistance_but_cannot_write(world):
    Pairing.objects.create(
        household=world.household_a,
        helper_name="李娜",
        helper_unit="玉泉镇人民政府",
        unit_level="4",
        started_on="2025-01-01",
    )
    leader = _client(world, "leader")
    url = f"/api/assistance/households/{world.household_a.pk}"
    assert [p["helper_name"] for p in leader.get(url).json()["pairings"]] == ["李娜"]
    refused = leader.post(
        url + "/measures", {"version": 1, "year": 2026, "family": "05"}, content_type="application/json"
    )
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert not Measure.objects.exists()
