"""The policy API: lists inside the jurisdiction, the same permissions as the screens, 409, evaluation."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from jingzhun.accounts.services import create_api_token
from jingzhun.core.audit import Actor
from jingzhun.core.models import ObjectChange
from jingzhun.policy import access
from jingzhun.policy import catalogue as c
from jingzhun.policy.models import Parameter

pytestmark = pytest.mark.django_db
BASE = "/api/policy"


@pytest.fixture
def clients(world: Any) -> dict[str, Client]:
    tokens = {
        n: create_api_token(actor=Actor(user=None, name="测试"), user=u)[1] for n, u in world.users.items()
    }
    return {n: Client(headers={"Authorization": f"Bearer {raw}"}) for n, raw in tokens.items()}


def new_line(**extra: Any) -> dict[str, Any]:
    return {
        "key": c.MONITORING_LINE,
        "region_prefix": "620502",
        "year": 2024,
        "value": "7000",
        "document": "秦州区文件",
        **extra,
    }


def test_list_never_leaves_what_applies_to_the_jurisdiction(world: Any, clients: dict[str, Client]) -> None:
    for name, user in world.users.items():
        body = clients[name].get(f"{BASE}/parameters", {"limit": 200}).json()
        assert {i["id"] for i in body["items"]} == set(
            access.parameters_for(user).values_list("pk", flat=True)
        )
    county = clients["county_admin"].get(f"{BASE}/parameters", {"limit": 200}).json()["items"]
    assert "53" not in {i["region_prefix"] for i in county} and "62" in {i["region_prefix"] for i in county}


def test_list_filters_and_shows_unconfirmed(clients: dict[str, Client]) -> None:
    body = clients["leader"].get(f"{BASE}/parameters", {"key": c.POVERTY_LINE, "unconfirmed": "true"}).json()
    assert sorted(i["year"] for i in body["items"]) == [2017, 2018]
    bad = clients["leader"].get(f"{BASE}/parameters", {"key": "nope"})
    assert bad.status_code == 422 and "未知的政策参数" in bad.json()["detail"]


def test_create_by_county_admin_inside_and_refused_outside(clients: dict[str, Client]) -> None:
    created = clients["county_admin"].post(f"{BASE}/parameters", new_line(), content_type="application/json")
    assert created.status_code == 201 and created.json()["display_value"] == "7,000 元/人·年"
    for outside in ("", "62", "620503"):
        refused = clients["county_admin"].post(
            f"{BASE}/parameters", new_line(region_prefix=outside, year=2023), content_type="application/json"
        )
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert not Parameter.objects.filter(
        key=c.MONITORING_LINE, year=2023, region_prefix__in=["", "62", "620503"]
    )


def test_township_officer_is_refused_before_the_body_is_read(clients: dict[str, Client]) -> None:
    before = ObjectChange.objects.count()
    response = clients["township_officer"].post(
        f"{BASE}/parameters", new_line(region_prefix="620502100"), content_type="application/json"
    )
    assert response.status_code == 403 and ObjectChange.objects.count() == before


def test_bad_input_is_422_in_chinese(clients: dict[str, Client]) -> None:
    response = clients["admin"].post(
        f"{BASE}/parameters", new_line(value="-5"), content_type="application/json"
    )
    assert (
        response.status_code == 422
        and "不小于0" in response.json()["detail"]
        and "value" in response.json()["errors"]
    )


def test_patch_with_a_stale_version_is_409(clients: dict[str, Client]) -> None:
    row_id = (
        clients["admin"].post(f"{BASE}/parameters", new_line(), content_type="application/json").json()["id"]
    )
    url = f"{BASE}/parameters/{row_id}"
    first = clients["county_admin"].patch(
        url, {"version": 1, "value": "7100"}, content_type="application/json"
    )
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = clients["county_admin"].patch(
        url, {"version": 1, "value": "7200"}, content_type="application/json"
    )
    assert stale.status_code == 409 and stale.json()["code"] == "concurrent_edit"
    assert clients["leader"].get(url).json()["value"] == "7100"


def test_patch_of_a_national_row_by_the_county_admin_is_403(clients: dict[str, Client]) -> None:
    row = Parameter.objects.get(key=c.POVERTY_LINE, region_prefix="", year=2019)
    response = clients["county_admin"].patch(
        f"{BASE}/parameters/{row.pk}", {"version": 1, "value": "1"}, content_type="application/json"
    )
    assert response.status_code == 403 and Parameter.objects.get(pk=row.pk).version == 1


def test_evaluation_explains_each_criterion(world: Any, clients: dict[str, Client]) -> None:
    hh = world.household_a  # 2025 income 8,000, exited: evaluated for return in 2026
    body = (
        clients["township_officer"]
        .get(f"{BASE}/households/{hh.pk}/evaluation", {"purpose": "return", "on": "2026-02-01"})
        .json()
    )
    income = next(x for x in body["criteria"] if x["code"] == "income")
    assert body["purpose_name"] == "返贫认定" and not income["passed"]
    assert "未设置政策参数「国家扶贫标准（贫困线）」" in income["note"]  # no line after 2020 is shipped
    assert body["summary"].startswith("户主0户")
    bad = clients["township_officer"].get(f"{BASE}/households/{hh.pk}/evaluation", {"purpose": "x"})
    assert bad.status_code == 422 and "未知的评估用途" in bad.json()["detail"]
