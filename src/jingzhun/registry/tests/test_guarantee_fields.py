"""The data the exit test needs, entered on the year page and through the API: 两不愁, the four water
indicators and the renovation year; bad input is a Chinese error naming the field, writes nothing, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from jingzhun.accounts.services import create_api_token
from jingzhun.core.audit import Actor
from jingzhun.core.models import ObjectChange
from jingzhun.registry import columns
from jingzhun.registry.models import HouseholdYear

pytestmark = pytest.mark.django_db

API = "/api/registry"
NEW_FIELDS = (
    "food_secure",
    "clothing_secure",
    "water_quantity_ok",
    "water_quality_ok",
    "water_convenience_ok",
    "water_reliability_ok",
    "renovation_year",
)


def year_page(client: Client, world: Any, year: int = 2025) -> str:
    client.force_login(world.users["township_officer"])
    return reverse("registry:year_edit", args=[world.household_a.pk, year])


def form_data(world: Any, **fields: str) -> dict[str, str]:
    data = {"version": str(world.household_a.version), "household_size": "1"}
    for name in (
        "wage_income",
        "business_income",
        "business_expense",
        "dividend_income",
        "other_property_income",
        "family_planning_income",
        "dibao_income",
        "tekun_income",
        "pension_income",
        "eco_compensation_income",
        "other_transfer_income",
    ):
        data[name] = "0"
    data["wage_income"] = "8000"
    return {**data, **fields}


def test_the_year_page_offers_the_indicators_as_met_or_not(client: Client, world: Any) -> None:
    body = client.get(year_page(client, world)).content.decode()
    assert "两不愁与饮水安全" in body and "饮水水量是否达标" in body and "危房改造竣工年度" in body
    assert ">达标<" in body and ">不达标<" in body and "35升" in body


def test_the_year_page_saves_them_audited(client: Client, world: Any) -> None:
    before = ObjectChange.objects.count()
    response = client.post(
        year_page(client, world),
        form_data(
            world,
            food_secure="true",
            clothing_secure="false",
            water_quantity_ok="true",
            water_quality_ok="false",
            water_convenience_ok="unknown",
            renovation_year="2024",
        ),
    )
    assert response.status_code == 302, response.content.decode()
    record = HouseholdYear.objects.get(household=world.household_a, year=2025)
    assert (record.food_secure, record.clothing_secure) == (True, False)
    assert (record.water_quantity_ok, record.water_quality_ok, record.water_convenience_ok) == (
        True,
        False,
        None,
    )
    assert record.water_reliability_ok is None and record.renovation_year == 2024
    change = ObjectChange.objects.latest("id")
    assert ObjectChange.objects.count() == before + 1 and change.after["renovation_year"] == 2024
    detail = client.get(reverse("registry:household_detail", args=[world.household_a.pk])).content.decode()
    assert "是否不愁穿" in detail and "危房改造竣工年度" in detail


@pytest.mark.parametrize("value", ["1800", "2101", "二〇二四", "2024.5"])
def test_a_bad_renovation_year_is_shown_on_the_field_and_writes_nothing(
    client: Client, world: Any, value: str
) -> None:
    before = ObjectChange.objects.count()
    response = client.post(year_page(client, world), form_data(world, renovation_year=value))
    assert response.status_code == 422  # the page again, with the error on the field
    errors = response.context["form"].errors
    assert list(errors) == ["renovation_year"]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in msg) for msg in errors["renovation_year"])
    assert "危房改造竣工年度" in response.content.decode()
    assert ObjectChange.objects.count() == before
    assert HouseholdYear.objects.get(household=world.household_a, year=2025).renovation_year is None


def api_client(world: Any) -> Client:
    _token, raw = create_api_token(
        actor=Actor(user=None, name="测试"), user=world.users["township_officer"], name="测试"
    )
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_the_api_reads_and_writes_them(world: Any) -> None:
    response = api_client(world).put(
        f"{API}/households/{world.household_a.pk}/years/2025",
        {
            "version": 1,
            "food_secure": True,
            "clothing_secure": True,
            "water_quantity_ok": True,
            "water_quality_ok": True,
            "water_convenience_ok": False,
            "water_reliability_ok": None,
            "renovation_year": 2023,
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["food_secure"] is True and body["water_convenience_ok"] is False
    assert body["water_reliability_ok"] is None and body["renovation_year"] == 2023
    detail = api_client(world).get(f"{API}/households/{world.household_a.pk}").json()
    year = next(y for y in detail["years"] if y["year"] == 2025)
    assert all(name in year for name in NEW_FIELDS) and year["water_quality_ok"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"renovation_year": 1979}, "renovation_year"),
        ({"renovation_year": "去年"}, "renovation_year"),
        ({"water_quality_ok": "maybe"}, "water_quality_ok"),
        ({"food_secure": [1]}, "food_secure"),
    ],
)
def test_bad_api_input_is_a_chinese_422_that_writes_nothing(
    world: Any, body: dict[str, Any], field: str
) -> None:
    client = api_client(world)
    before = ObjectChange.objects.count()
    response = client.put(
        f"{API}/households/{world.household_a.pk}/years/2025",
        {"version": 1, **body},
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in detail) and field in response.content.decode()
    assert ObjectChange.objects.count() == before


def test_the_new_fields_are_template_columns_but_not_national_ones() -> None:
    """No national export has them (national-forms.md): Jingzhun's template carries them so a county can fill
    them in one file; the national layout does not, so a national file leaves them as stored (docs/policy.md)."""
    template = {col.key for col in columns.COLUMNS}
    national = {key for _, key in columns.NATIONAL_EXPORT}
    assert set(NEW_FIELDS) <= template and not national & set(NEW_FIELDS)
    assert {"water_safe", "water_difficult", "serious_illness_insurance"} <= template
