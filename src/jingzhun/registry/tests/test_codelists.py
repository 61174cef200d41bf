"""The code lists as data: every national code, label and documented alias is read as the national code it
means; anything else is refused with the column and the allowed values; old data moves onto the codes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.apps import apps as django_apps

from jingzhun.core.audit import Actor
from jingzhun.registry import choices as c
from jingzhun.registry import codelists, legacy_codes
from jingzhun.registry.columns import INPUT_COLUMNS, Kind, Level
from jingzhun.registry.importer import run_import
from jingzhun.registry.models import Household, HouseholdYear, ImportBatch, Member
from jingzhun.registry.tests.importdata import household_rows, write_csv
from jingzhun.testing.county import import_generated_county

HOUSEHOLD_KEYS = {
    "attribute",
    "poverty_status",
    "monitoring_type",
    "risk_elimination",
    "identification_standard",
    "main_cause",
    "housing_grade",
    "road_type",
    "fuel_type",
    "other_causes",
    "risk_types",
}


def _spellings(key: str) -> list[tuple[str, str]]:
    """(text as typed, national code it means) for every code, label and alias of a list."""
    cl = codelists.get(key)
    pairs = [(code.code, code.code) for code in cl.codes] + [(code.label, code.code) for code in cl.codes]
    pairs += [(spelling, code) for spelling, code, _ in cl.aliases]
    return pairs


def test_every_list_is_consistent_and_every_code_column_has_one():
    for key in codelists.keys():
        cl = codelists.get(key)
        codes = [x.code for x in cl.codes]
        labels = [codelists.normalise(x.label) for x in cl.codes]
        assert len(set(codes)) == len(codes), key
        assert len(set(labels)) == len(labels), key
        # an alias never reads as a different value than the same text as a code or label
        exact = {
            **{x.code: x.code for x in cl.codes},
            **{codelists.normalise(x.label): x.code for x in cl.codes},
        }
        for spelling, code, source in cl.aliases:
            assert source, (key, spelling)
            assert exact.get(codelists.normalise(spelling), code) == code, (key, spelling)
    for col in INPUT_COLUMNS:
        if col.kind in (Kind.CODE, Kind.CODES):
            assert col.codes is not None and codelists.get(col.codes.codelist).codes


def test_the_national_relation_table_is_the_stored_one():
    # AB01_AAB006: 01 本人或户主, 02 配偶 … 10 之外孙女 … 14 之岳母 … 99 其他 (national-forms.md)
    assert (c.Relation.HEAD, c.Relation.SPOUSE) == ("01", "02")
    assert c.Relation("10").label == "之外孙女" and c.Relation("14").label == "之岳母"
    assert c.Relation("09").label == "之外孙子" and c.Relation("99").label == "其他"
    assert codelists.get("relation").parse("户主") == "01"
    assert codelists.get("relation").parse("10") == "10"  # never 配偶


def test_a_file_with_every_code_label_and_alias_stores_the_national_codes(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    rows: list[dict[str, str]] = []
    expected: list[tuple[str, str, str, str]] = []  # (person or household number, field, text, code)
    n = 0

    def household(**overrides: str) -> list[dict[str, str]]:
        nonlocal n
        n += 1
        number = f"62050210020100{n:04d}"
        return household_rows(number, members=2, start=2 * n, **overrides)

    for col in INPUT_COLUMNS:
        if col.kind not in (Kind.CODE, Kind.CODES) or col.key in ("sex",):
            continue
        key = col.codes.codelist
        for text, code in _spellings(key):
            if col.kind == Kind.CODES and code == "":
                continue
            if col.level != Level.MEMBER:
                if col.key in ("other_causes",) and code == "1":
                    continue  # the household's main cause is 因病: other causes may not repeat it
                hh = household(**{col.key: text})
                expected.append((hh[0]["household_number"], col.key, text, code))
                if col.level == Level.YEAR:
                    expected[-1] = (f"year:{hh[0]['household_number']}", col.key, text, code)
            elif col.key == "relation":
                hh = household()
                target = 0 if code == c.Relation.HEAD else 1
                hh[target]["relation"] = text
                expected.append((hh[target]["person_number"], "relation", text, code))
            else:
                hh = household()
                hh[1][col.key] = text
                if col.key == "schooling":
                    hh[1]["education"] = ""  # a pupil has no 文化程度
                expected.append((hh[1]["person_number"], col.key, text, code))
            rows += hh
    batch = run_import(actor=Actor(None, "测试"), user=None, path=write_csv(tmp_path / "codes.csv", rows))
    assert batch.state == ImportBatch.State.COMMITTED, (batch.message, batch.errors_preview[:5])
    households = {h.household_number: h for h in Household.objects.all()}
    members = {m.person_number: m for m in Member.objects.all()}
    years = {
        f"year:{y.household.household_number}": y for y in HouseholdYear.objects.select_related("household")
    }
    for number, key, text, code in expected:
        obj = households.get(number) or members.get(number) or years[number]
        stored = getattr(obj, key)
        if isinstance(stored, list):
            assert stored == [code], (key, text, stored)
        else:
            assert stored == code, (key, text, stored)
    assert len(expected) > 300


@pytest.mark.parametrize(
    "key,text,allowed",
    [
        ("relation", "之舅舅", "本人或户主"),
        ("relation", "21", "之外孙女"),  # the 1–21 numbering of some apps is not accepted
        ("schooling", "初四", "七年级"),
        ("schooling", "失学或辍学", "普通高中一年级"),
        ("labour_skill", "半劳力", "弱劳动力或半劳动力"),
        ("education", "研究生", "本科及以上"),
    ],
)
def test_a_value_outside_the_lists_is_refused_with_the_column_and_the_allowed_values(
    world, settings, tmp_path, key, text, allowed
):
    settings.MEDIA_ROOT = tmp_path / "media"
    rows = household_rows("620502100201009901", members=2)
    rows[1][key] = text
    members = Member.objects.count()
    batch = run_import(actor=Actor(None, "测试"), user=None, path=write_csv(tmp_path / "bad.csv", rows))
    assert batch.state == ImportBatch.State.REJECTED
    header = next(col.header for col in INPUT_COLUMNS if col.key == key)
    [error] = [e for e in batch.errors_preview if e["column"] == header]
    assert error["row"] == 3 and text in error["message"] and allowed in error["message"]
    assert Member.objects.count() == members


def test_non_pupil_of_older_forms_leaves_schooling_empty(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    rows = household_rows("620502100201009902", members=2, schooling="非在校生")
    batch = run_import(actor=Actor(None, "测试"), user=None, path=write_csv(tmp_path / "old.csv", rows))
    assert batch.state == ImportBatch.State.COMMITTED, batch.errors_preview
    imported = Member.objects.filter(household__household_number="620502100201009902")
    assert imported.count() == 2 and set(imported.values_list("schooling", flat=True)) == {""}


@pytest.fixture
def generated(db: None, tmp_path: Path, settings) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    import_generated_county(tmp_path / "gen", households=300)


def test_the_migration_moves_a_generated_county_onto_the_national_codes(generated):
    # Given the generated county written back in the codes Jingzhun used before (as a database of then held it)
    now = {m.pk: (m.relation, m.schooling, m.dropout_reason) for m in Member.objects.all()}
    old_relation = {new: old for old, new in legacy_codes.RELATION.items()}
    old_schooling = {
        "02": "1",
        "03": "2",
        "07": "3",
        "08": "3",
        "09": "3",
        "11": "4",
        "12": "4",
        "13": "4",
        "21": "5",
        "22": "5",
        "23": "5",
        "31": "6",
        "32": "6",
        "33": "6",
        "51": "7",
        "52": "7",
        "53": "7",
        "54": "7",
    }
    for m in Member.objects.all():
        school = "8" if m.dropout_reason else old_schooling.get(m.schooling, "0")
        Member.objects.filter(pk=m.pk).update(
            relation=old_relation[m.relation], schooling=school, dropout_reason=""
        )
    assert Member.objects.filter(relation="10").exists()  # 配偶 in the old codes
    # When the data migration runs
    migration = __import__("jingzhun.registry.migrations.0005_national_code_lists", fromlist=["forwards"])
    migration.forwards(django_apps, None)
    # Then every relation is as before, every pupil keeps its stage, and drop-outs keep their flag
    graded = {"3": "93", "4": "94", "5": "95", "6": "96", "7": "97"}
    for m in Member.objects.all():
        relation, schooling, dropout = now[m.pk]
        assert m.relation == relation
        old = old_schooling.get(schooling)
        assert m.schooling == (graded.get(old, schooling) if schooling else "")
        assert bool(m.dropout_reason) == bool(dropout)
    assert Member.objects.filter(relation=c.Relation.HEAD).count() == Household.objects.count()


def test_history_recorded_in_the_old_codes_reads_in_the_national_codes(monkeypatch):
    moved = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)
    monkeypatch.setattr(legacy_codes, "cutover", lambda: moved)
    before = moved - dt.timedelta(days=1)
    assert legacy_codes.is_legacy(before) and not legacy_codes.is_legacy(moved)
    old = {"relation": "10", "schooling": "8", "name": "王芳"}
    assert legacy_codes.upgrade_member(old) == {
        "relation": "02",
        "schooling": "",
        "name": "王芳",
        "dropout_reason": legacy_codes.DROPOUT_REASON,
    }
