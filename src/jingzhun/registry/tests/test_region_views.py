"""The region tree page (区划): jurisdiction, counts, drill-down (given / when / then)."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

URL = reverse("regions:index")


def page(client, world, role, **params):
    client.force_login(world.users[role])
    return client.get(URL, params)


def test_township_officer_sees_the_villages_with_counts(client, world):
    # when the 玉泉镇 officer opens 区划
    response = page(client, world, "township_officer")
    body = response.content.decode()
    # then both villages are listed, linked to the household search filtered by village
    assert response.status_code == 200
    assert "南山村" in body and "北坡村" in body
    assert "东川村" not in body
    assert f"{reverse('registry:household_list')}?region=620502100201" in body
    rows = body.split('id="region-rows"', 1)[1]
    assert rows.count('<td class="num" data-label="农户">1</td>') == 2


def test_county_admin_drills_down_with_a_breadcrumb(client, world):
    # given the county admin sees the townships
    body = page(client, world, "county_admin").content.decode()
    assert "玉泉镇" in body and "太京镇" in body
    assert "?code=620502100000" in body
    # when opening 玉泉镇
    response = page(client, world, "county_admin", code="620502100000")
    body = response.content.decode()
    # then its villages, and a breadcrumb back to the county
    assert response.status_code == 200
    assert "南山村" in body and "东川村" not in body
    crumbs = body.split('class="breadcrumb"', 1)[1].split("</ol>", 1)[0]
    assert "秦州区" in crumbs and "玉泉镇" in crumbs
    assert "甘肃省" not in crumbs  # nothing above the user's own jurisdiction


def test_village_officer_sees_the_own_village_counts(client, world):
    response = page(client, world, "village_officer")
    body = response.content.decode()
    assert response.status_code == 200
    assert "南山村" in body
    assert "本区划没有下级区划" in body
    assert '>1<span class="stat-unit">' in body


@pytest.mark.parametrize("code", ["620502101000", "620502101", "6205021", "abc", "620502100299", "x" * 500])
def test_regions_outside_or_unknown_are_404(client, world, code):
    response = page(client, world, "township_officer", code=code)
    assert response.status_code == 404


def test_foreign_and_missing_regions_answer_the_same(client, world):
    foreign = page(client, world, "township_officer", code="620502101000")
    missing = page(client, world, "township_officer", code="620502100299")
    strip = lambda r: r.content.decode().split('<main id="main"', 1)[1]  # noqa: E731
    assert strip(foreign) == strip(missing)


def test_admin_starts_from_the_provinces(client, world):
    response = page(client, world, "admin")
    assert response.status_code == 200
    assert "甘肃省" in response.content.decode()
