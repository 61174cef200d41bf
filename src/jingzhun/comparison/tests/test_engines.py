"""The same catalogue on DuckDB and on Spark (local mode) gives the same findings, row for row, and the
exact rules find exactly the planted anomalies (issue 4: precision and recall 1.0 for the exact rules)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from jingzhun.comparison import datasets as ds
from jingzhun.comparison import engine, evaluation
from jingzhun.comparison.snapshot import write_snapshot
from jingzhun.comparison.tests import helpers
from jingzhun.registry.models import HouseholdYear
from jingzhun.testing.county import COUNTY, import_generated_county
from jingzhun.testing.departments import generate_departments

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 11, 30)
HOUSEHOLDS_SQL = """
SELECT h.household_number, CAST(NULL AS VARCHAR) AS person_number, CAST(NULL AS VARCHAR) AS id_number,
       h.head_name AS name, h.village_code, '自查' AS detail
FROM households h
"""


def _every_household(snap):
    every = engine.RuleSpec("ALL", "quality", "low", "全部户", "", HOUSEHOLDS_SQL)
    return engine.run_catalogue(engine.DuckEngine(), snap, {}, as_of=AS_OF, rules=[every]).findings


@pytest.fixture
def county_files(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    import_generated_county(tmp_path / "gen", households=300)
    years = set(HouseholdYear.objects.values_list("year", flat=True)) | {AS_OF.year}
    helpers.set_policy_lines(COUNTY, years)  # CT03 and JC03 run on both engines too
    snap = write_snapshot(COUNTY)
    out = tmp_path / "departments"
    truth = generate_departments(snap.path, out, seed=3, as_of=AS_OF)
    files = {
        d.code: [str(out / f"{d.code}.parquet")] for d in ds.DATASETS if (out / f"{d.code}.parquet").exists()
    }
    return snap, files, truth


def test_duckdb_and_spark_find_the_same_rows_and_the_planted_truth(county_files):
    snap, files, truth = county_files
    catalogue = engine.load_catalogue()
    # A region's own rule (XZ01, a township's) and SJ08 run for that township apart from the rest (as a
    # threshold of the township makes a run do): both engines keep each to its region.
    township = min(engine.finding_rows(_every_household(snap)))[5][:9]
    own = engine.RuleSpec("XZ01", "quality", "low", "乡镇自查", "", HOUSEHOLDS_SQL, region_prefix=township)
    sj08 = catalogue.rule("SJ08")
    split = [
        dataclasses.replace(sj08, excluded=(township,)),
        dataclasses.replace(sj08, region_prefix=township),
    ]
    rules = [*(r for r in catalogue.rules if r.code != "SJ08"), *split, own]
    duck = engine.run_catalogue(engine.DuckEngine(), snap, files, as_of=AS_OF, rules=rules)
    assert not duck.notes(), "every dataset is generated and the county has every policy number"
    spark = engine.run_catalogue(engine.SparkEngine(), snap, files, as_of=AS_OF, rules=rules)
    a, b = engine.finding_rows(duck.findings), engine.finding_rows(spark.findings)
    assert a, "the generated county has findings"
    assert a - b == set() and b - a == set()
    assert duck.counts() == spark.counts()
    assert {row[5][:9] for row in a if row[0] == "XZ01"} == {township}
    households = {row[1] for row in engine.finding_rows(_every_household(snap))}
    inside = {row[1] for row in engine.finding_rows(_every_household(snap)) if row[5].startswith(township)}
    assert {row[1] for row in a if row[0] == "XZ01"} == inside and inside < households
    whole = engine.run_catalogue(engine.DuckEngine(), snap, files, as_of=AS_OF, rules=[sj08])
    assert {r for r in a if r[0] == "SJ08"} == engine.finding_rows(whole.findings)  # split, nothing lost

    scores = evaluation.score(
        duck.findings, evaluation.read_truth(truth.path), [r.code for r in catalogue.rules]
    )
    print(evaluation.format_scores(scores, {r.code: r.name for r in catalogue.rules}))
    exact_department_rules = {r.code for r in catalogue.rules if r.exact and r.planted}
    scored = {s.code for s in scores}
    assert exact_department_rules <= scored, exact_department_rules - scored
    for s in scores:
        assert s.planted > 0
        if s.code in exact_department_rules:
            assert (s.precision, s.recall) == (1.0, 1.0), s
