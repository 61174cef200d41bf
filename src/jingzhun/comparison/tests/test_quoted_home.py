"""A data folder whose path holds a quote and a space (``JINGZHUN_HOME=/home/O'Brien data``): the import's
batch file, a department load, the comparison's snapshot and its rule run all paste file paths into DuckDB
statements, so every one goes through ``core.quoting`` (issue 15)."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from jingzhun.accounts.choices import Role
from jingzhun.comparison import services
from jingzhun.comparison.loading import load_dataset
from jingzhun.comparison.models import Doubt, LoadState
from jingzhun.core.audit import Actor
from jingzhun.regions.models import Region
from jingzhun.registry import writer
from jingzhun.registry.choices import Relation
from jingzhun.registry.importer import imports_dir
from jingzhun.registry.models import Member
from jingzhun.testing.county import COUNTY, import_generated_county
from jingzhun.testing.factories import UserFactory

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 11, 30)


def test_import_load_snapshot_and_comparison_under_a_home_with_a_quote_and_a_space(tmp_path, settings):
    home = tmp_path / "O'Brien data"
    settings.MEDIA_ROOT = home / "media"
    batch = import_generated_county(home / "generated", households=40)

    # The registry's staging read of the batch's own Parquet file (the household's page reads it back).
    parquet = imports_dir() / f"{batch.id}.parquet"
    assert "'" in str(parquet) and " " in str(parquet) and parquet.exists()
    member = (
        Member.objects.filter(left_on__isnull=True)
        .exclude(relation=Relation.HEAD)
        .select_related("household")
    ).first()
    number = member.household.household_number
    rebuilt = writer.snapshot_from_batch(parquet, number)
    assert rebuilt is not None
    assert {m["person_number"] for m in rebuilt["members"]} >= {member.person_number}

    # A department load stored under the home.
    source = home / "police events.csv"
    with source.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["身份证号码", "姓名", "变动类型", "变动日期"])
        w.writerow([member.id_number, member.name, "死亡", "2026-03-01"])
    load = load_dataset(
        actor=Actor(None, "测试"), user=None, path=source, dataset="police_events", as_of=AS_OF
    )
    assert load.state == LoadState.COMMITTED, load.message
    assert "'" in load.parquet_path and load.rows_accepted == 1

    # The comparison writes a snapshot under the home and its rules read the snapshot and the load.
    region = Region.objects.get(prefix=COUNTY)
    admin = UserFactory(role=Role.COUNTY_ADMIN, region=region)
    run = services.run_comparison(actor=Actor.of(admin), region=region, as_of=AS_OF)
    assert run.state == "done", run.message
    assert run.counts.get("SJ01") == 1
    death = Doubt.objects.get(rule__code="SJ01")
    assert death.household_id == member.household_id
