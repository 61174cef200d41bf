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


def _rows(path: Path) -> dict[str, dict[str, str]]:
    """The rows of the household HH by person number."""
    with path.open(encoding="utf-8-sig") as fh:
        return {r.get("人编号") or r["人口编号"]: r for r in csv.DictReader(fh) if r["户编号"] == HH}


def test_a_past_years_export_keeps_the_members_who_have_left_since(officer, tmp_path):
    """The national system keeps a member removed by 自然变更 with the reason and date: a data year's export
    made later still lists who was in the household at the end of that year, and imports back unchanged."""
    import datetime as dt

    from jingzhun.registry import idnumbers, services
    from jingzhun.registry.choices import Relation
    from jingzhun.registry.tests.roundtrip import differences, register_state

    on = dt.date(dt.date.today().year, 1, 1)  # the changes happen in the year after the exported one
    year = on.year - 1
    _import(officer, _file(tmp_path, year, Y2025))
    then = tmp_path / "then.csv"
    export_households(officer, path=then, layout="template", fmt="csv", year=year)
    actor = Actor.of(officer)
    household = _pupil().household
    head, spouse, son = household.members.order_by("person_number")
    services.members_leave(
        actor=actor, household=household, members=[head], left_on=on, reason="death", new_head=spouse
    )
    split = services.create_household(
        actor=actor,
        village=household.village,
        household_number=f"{HH[:-2]}99",
        head_name=son.name,
        status_from=household,
        effective_on=on,
    )
    services.move_members(
        actor=actor, source=household, target=split, moves=[(son, Relation.HEAD)], on=on, reason="split"
    )
    baby = services.member_joins(
        actor=actor,
        household=household,
        joined_on=on,
        data={"name": "李小宝", "relation": "07", "id_number": idnumbers.make_id("620502", on, 17)},
    )
    state = register_state()
    for layout in ("template", "national"):
        path = tmp_path / f"{layout}.csv"
        export_households(officer, path=path, layout=layout, fmt="csv", year=year)
        rows = _rows(path)
        # who was in the household at the end of that year: the head who died since and the son who split
        # off are there (with that year's values), the baby born since and the new household are not
        assert set(rows) == {head.person_number, spouse.person_number, son.person_number}
        assert rows[son.person_number]["在校生状况"] == Y2025["schooling"]
        batch = _import(officer, path)
        assert (batch.households_created, batch.households_updated) == (0, 0)
        assert differences(state, register_state()) == []
    now, before = _rows(tmp_path / "template.csv"), _rows(then)
    assert (now[head.person_number]["减少时间"], now[head.person_number]["减少原因"]) == (
        on.isoformat(),
        "死亡",
    )
    assert now[son.person_number]["减少原因"] == "分户" and now[spouse.person_number]["减少时间"] == ""
    # the same as the export made at the time, but for what the register keeps only as it is today: the
    # relation (the widow is head now), the head's name and ID, and the leaving columns
    for number, row in now.items():
        changed = {k for k, v in row.items() if before[number].get(k, "") != v}
        assert changed <= {"与户主关系", "户主姓名", "户主证件号码", "减少时间", "减少原因"}, (
            number,
            changed,
        )
    assert baby.person_number not in now
