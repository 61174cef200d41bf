"""Indicators API: the catalogue, a region's values equal to the table, children for a region bar, the
households behind a number (paginated, adding up to it), the exit checks; all inside the jurisdiction."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from jingzhun.accounts.services import create_api_token
from jingzhun.analytics import indicators
from jingzhun.analytics.models import IndicatorValue
from jingzhun.analytics.tests.conftest import YEAR, Figures
from jingzhun.api import api
from jingzhun.core.audit import Actor

pytestmark = pytest.mark.django_db
BASE = "/api/analytics"


def api_client(figures: Figures, name: str) -> Client:
    _token, raw = create_api_token(actor=Actor(user=None, name="测试"), user=figures.users[name])
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_the_catalogue_lists_every_indicator(figures):
    body = api_client(figures, "leader").get(f"{BASE}/indicators").json()
    codes = [row["code"] for row in body]
    assert codes[: len(indicators.INDICATORS)] == [i.code for i in indicators.INDICATORS]
    assert "doubts_open_by_rule" in codes
    incidence = next(row for row in body if row["code"] == "poverty_incidence")
    assert incidence["rate"] and incidence["unit"] == "%" and incidence["drill_down"]


def test_region_values_are_the_tables(figures):
    county = figures.county
    body = api_client(figures, "leader").get(f"{BASE}/regions/{county.prefix}/values").json()
    assert body["region"]["code"] == county.code and body["year"] == YEAR and body["refreshed_at"]
    got = {(v["code"], v["dim"]): Decimal(str(v["value"])) for v in body["values"]}
    assert got == {
        (r.code, r.dim): r.value for r in IndicatorValue.objects.filter(region_code=county.code, year=YEAR)
    }
    status = next(v for v in body["values"] if v["code"] == "households_by_status" and v["dim"] == "1")
    assert status["dim_label"] and status["unit"] == "户"


def test_children_give_each_township_its_value(figures):
    client = api_client(figures, "leader")
    body = client.get(
        f"{BASE}/regions/{figures.county.code}/children", {"indicator": "remaining_poor_people", "year": YEAR}
    ).json()
    rows = {
        r.region_code: r.value for r in IndicatorValue.objects.filter(code="remaining_poor_people", level=4)
    }
    assert body["children"] and all(
        Decimal(str(c["value"])) == rows.get(c["region"]["code"], 0) for c in body["children"]
    )
    assert (
        client.get(f"{BASE}/regions/{figures.county.code}/children", {"indicator": "nope"}).status_code == 422
    )


def test_the_households_behind_a_number_add_up_to_it(figures):
    client = api_client(figures, "leader")
    township = figures.township_a
    row = IndicatorValue.objects.filter(
        code="households_by_status", region_code=township.code, year=YEAR
    ).first()
    url = f"{BASE}/regions/{township.code}/households"
    body = client.get(url, {"indicator": row.code, "dim": row.dim, "limit": 200}).json()
    assert body["count"] == row.value and len(body["items"]) == row.value
    assert all(item["village"]["code"].startswith(township.prefix) for item in body["items"])
    county = figures.county
    page = client.get(
        f"{BASE}/regions/{county.code}/households", {"indicator": row.code, "limit": 5, "offset": 5}
    )
    total = sum(
        r.value for r in IndicatorValue.objects.filter(code=row.code, region_code=county.code, year=YEAR)
    )
    assert page.json()["count"] == total > 10 and len(page.json()["items"]) == 5
    assert client.get(url, {"indicator": row.code, "dim": "9"}).status_code == 422
    assert client.get(url, {}).status_code == 422


def test_exit_checks_for_a_county_and_a_township(figures):
    client = api_client(figures, "leader")
    county = client.get(f"{BASE}/regions/{figures.county.code}/exit", {"year": YEAR}).json()
    assert county["kind"] == "county"
    (evaluation,) = county["evaluations"]
    assert [c["code"] for c in evaluation["criteria"]] == [
        "incidence",
        "wrong_exit_rate",
        "missed_rate",
        "approval",
    ]
    township = client.get(f"{BASE}/regions/{figures.township_a.code}/exit", {"year": YEAR}).json()
    assert len(township["evaluations"]) == figures.township_a.children.count()
    assert client.get(f"{BASE}/regions/62/exit").status_code == 404  # above the leader's county
    assert api_client(figures, "admin").get(f"{BASE}/regions/62/exit").status_code == 422


def test_outside_the_jurisdiction_is_like_missing(figures):
    officer = api_client(figures, "officer_b")
    missing = officer.get(f"{BASE}/regions/{figures.township_b.prefix}999/values")
    for path in (
        "values",
        "children?indicator=households_by_status",
        "households?indicator=households_by_status",
        "exit",
    ):
        for region in (figures.township_a, figures.county):
            response = officer.get(f"{BASE}/regions/{region.code}/{path}")
            assert response.status_code == 404 and response.json() == missing.json(), (path, region)
    for role in ("helper", "department"):
        client = api_client(figures, role)
        village = figures.village_of(figures.township_a).code
        assert client.get(f"{BASE}/regions/{village}/values").status_code == 404, role


def test_every_operation_has_a_chinese_summary_and_description():
    schema = api.get_openapi_schema()
    ops = [
        (m, p, op)
        for p, methods in schema["paths"].items()
        if p.startswith(BASE)
        for m, op in methods.items()
    ]
    assert len(ops) == 5
    for _method, _path, op in ops:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in op["summary"])
        assert any("\u4e00" <= ch <= "\u9fff" for ch in op["description"])
