"""Members per data year: a 2025 and a 2026 file of the same household both stay in the register, each
year's export comes back unchanged, and an older year's file does not overwrite the member's current year."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from jingzhun.core.audit import Actor
from jingzhun.core.models import ObjectChange
from jingzhun.registry.exchange import export_households
from jingzhun.registry.importer import run_import
from jingzhun.registry.models import ImportBatch, Member, MemberYear
from jingzhun.registry.tests.importdata import household_rows, write_csv

HH = "620502100201000301"
# The yearly values of the second member (a pupil in 2025, working away in 2026).
Y2025 = {
    "schooling": "普通高中三年级",
    "education": "",
    "health": "健康",
    "labour_skill": "普通劳动力",
    "migrant_months": "0",
    "migrant_place": "",
    "serious_illness_insurance": "是",
}
Y2026 = {
    "schooling": "",
    "education": "高中",
    "health": "长期慢性病",
    "labour_skill": "技能劳动力",
    "migrant_months": "10",
    "migrant_place": "浙江省宁波市",
    "serious_illness_insurance": "否",
}


@pytest.fixture
def officer(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return world.users["township_officer"]


def _file(tmp_path: Path, year: int, values: dict[str, str]) -> Path:
    rows = household_rows(HH, members=3, start=40, year=str(year))
    rows[2].update(values)
    return write_csv(tmp_path / f"{year}.csv", rows)


def _import(officer, path: Path) -> ImportBatch:
    batch = run_import(actor=Actor.of(officer), user=officer, path=path)
    assert batch.state == ImportBatch.State.COMMITTED, (batch.message, batch.errors_preview[:3])
    return batch


def _pupil() -> Member:
    return Member.objects.get(person_number=f"{HH}03")


def test_each_years_file_is_kept_and_the_member_holds_the_latest(officer, tmp_path):
    _import(officer, _file(tmp_path, 2025, Y2025))
    assert _pupil().data_year == 2025 and _pupil().schooling == "13"
    _import(officer, _file(tmp_path, 2026, Y2026))
    pupil = _pupil()
    assert (pupil.data_year, pupil.schooling, pupil.education, pupil.migrant_months) == (2026, "", "4", 10)
    assert pupil.health == ["2"] and pupil.serious_illness_insurance is False
    [kept] = MemberYear.objects.filter(member=pupil)  # (one per member of the household)
    assert (kept.year, kept.schooling, kept.education, kept.migrant_months, kept.health) == (
        2025,
        "13",
        "",
        0,
        ["1"],
    )
    assert kept.serious_illness_insurance is True
    # the kept year is audited under the household, like its other records
    assert ObjectChange.objects.filter(
        object_type="registry.memberyear", root_id=str(pupil.household_id)
    ).exists()


def test_an_older_years_file_writes_that_year_only(officer, tmp_path):
    _import(officer, _file(tmp_path, 2026, Y2026))
    batch = _import(officer, _file(tmp_path, 2025, Y2025))
    pupil = _pupil()
    assert (pupil.data_year, pupil.migrant_place) == (2026, "浙江省宁波市")
    assert MemberYear.objects.get(member=pupil, year=2025).schooling == "13"
    assert batch.households_updated == 1
    # and the same older file again changes nothing
    again = _import(officer, _file(tmp_path, 2025, Y2025))
    assert (again.households_updated, again.households_unchanged) == (0, 1)


@pytest.mark.parametrize("layout", ["template", "national"])
def test_each_years_export_comes_back_unchanged(officer, tmp_path, layout):
    _import(officer, _file(tmp_path, 2025, Y2025))
    _import(officer, _file(tmp_path, 2026, Y2026))
    for year, values in ((2025, Y2025), (2026, Y2026)):
        path = tmp_path / f"export-{layout}-{year}.csv"
        assert export_households(officer, path=path, layout=layout, fmt="csv", year=year) >= 3
        with path.open(encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
        pupil = next(r for r in rows if r.get("人编号", r.get("人口编号")) == f"{HH}03")
        assert pupil["在校生状况"] == values["schooling"] and pupil["健康状况"] == values["health"]
        assert pupil["劳动技能"] == values["labour_skill"]
        batch = _import(officer, path)
        assert (batch.households_created, batch.households_updated) == (
            0,
            0,
        ) and batch.households_unchanged >= 1
    assert MemberYear.objects.filter(year=2025).count() == MemberYear.objects.count() == 3  # each member
    assert _pupil().data_year == 2026


def test_the_as_of_view_shows_the_members_other_years(officer, tmp_path):
    from django.utils import timezone

    from jingzhun.registry.selectors import household_as_of

    _import(officer, _file(tmp_path, 2025, Y2025))
    before_2026 = timezone.now()
    _import(officer, _file(tmp_path, 2026, Y2026))
    household = _pupil().household
    assert household_as_of(household, before_2026).member_years == []
    now = household_as_of(household, timezone.now())
    kept = [y for y in now.member_years if y["name"] == _pupil().name]
    assert [(y["year"], y["schooling"]) for y in kept] == [(2025, "13")]
