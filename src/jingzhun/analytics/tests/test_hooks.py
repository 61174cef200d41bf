"""The figures follow the register: an import that commits, a procedure's last step and a comparison run
refresh the county's indicators after the transaction commits; a failing refresh never fails the sender;
each area is one job for the worker, queued once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from jingzhun.accounts.choices import Role
from jingzhun.analytics import hooks
from jingzhun.analytics.models import IndicatorRefresh, IndicatorValue
from jingzhun.core import jobs
from jingzhun.core.audit import Actor
from jingzhun.core.models import Job, JobState
from jingzhun.core.signals import register_changed
from jingzhun.regions.models import Region
from jingzhun.regions.services import load_csv, load_national
from jingzhun.registry.importer import run_import
from jingzhun.registry.models import Household, ImportBatch
from jingzhun.testing import register as generate
from jingzhun.testing.county import COUNTY
from jingzhun.testing.factories import UserFactory


@pytest.fixture
def sync(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.JINGZHUN_SYNC_IMPORTS = True
    settings.JINGZHUN_AUTO_REFRESH = True


def registered(region_code: str) -> Decimal:
    rows = IndicatorValue.objects.filter(
        code="households_by_status", region_code=region_code, year=timezone.localdate().year
    )
    return sum((r.value for r in rows), Decimal(0))


@pytest.mark.django_db
def test_an_import_that_commits_refreshes_its_county(sync, tmp_path, django_capture_on_commit_callbacks):
    # given a county and its administrator, and a register of 120 households in two files
    load_national([COUNTY[:2]])
    villages = generate.generate_villages(COUNTY, seed=7, households=120)
    generate.write_villages_csv(villages, tmp_path / "villages.csv")
    load_csv(tmp_path / "villages.csv")
    county = Region.objects.get(prefix=COUNTY)
    admin = UserFactory(role=Role.COUNTY_ADMIN, region=county)
    rows = list(generate.generate_register(COUNTY, households=120, seed=7, villages=villages))
    first = set(sorted({r["household_number"] for r in rows})[:60])
    generate.write_csv([r for r in rows if r["household_number"] in first], tmp_path / "half.csv")
    generate.write_csv(rows, tmp_path / "all.csv")

    def load(name: str) -> ImportBatch:
        with django_capture_on_commit_callbacks(execute=True):
            return run_import(actor=Actor.of(admin), user=admin, path=tmp_path / name)

    # when the first half is imported, then the county's figures count it
    assert load("half.csv").state == ImportBatch.State.COMMITTED
    before = registered(county.code)
    assert before == Household.objects.exclude(poverty_status="").count() > 0
    # when the whole register is imported, then the figures change with it
    load("all.csv")
    assert registered(county.code) == Household.objects.exclude(poverty_status="").count() > before
    # and the temporary snapshots are gone
    assert not [p for p in (Path(tmp_path) / "media" / "snapshots").iterdir()]
    # when a file changes nothing, the figures are left as they were
    stamp = IndicatorRefresh.objects.get(region_code=county.code, year=timezone.localdate().year).refreshed_at
    batch = load("all.csv")
    assert batch.households_unchanged == 120
    assert (
        IndicatorRefresh.objects.get(region_code=county.code, year=timezone.localdate().year).refreshed_at
        == stamp
    )


@pytest.mark.django_db
def test_the_last_step_of_a_procedure_refreshes_the_county(sync, world, django_capture_on_commit_callbacks):
    from jingzhun.procedures.tests import helpers

    case = helpers.open_case(
        world, world.household_a, "natural_change", dt.date(2020, 5, 1), **helpers.birth(dt.date(2020, 4, 30))
    )
    with django_capture_on_commit_callbacks(execute=True):
        case, on = helpers.do_step(world, case, dt.date(2020, 5, 2))
    assert not IndicatorValue.objects.exists()  # a step that is not the last one changes no figures
    with django_capture_on_commit_callbacks(execute=True):
        helpers.run_through(world, case, on)
    assert IndicatorValue.objects.filter(region_code=world.county.code, code="people_by_status").exists()


@pytest.mark.django_db
def test_a_comparison_run_refreshes_the_county(sync, world, django_capture_on_commit_callbacks):
    from jingzhun.comparison import services

    with django_capture_on_commit_callbacks(execute=True):
        services.run_comparison(actor=Actor.of(world.users["county_admin"]), region=world.county)
    assert IndicatorValue.objects.filter(region_code=world.county.code).exists()


@pytest.mark.django_db
def test_a_failing_refresh_never_fails_the_sender(sync, monkeypatch, django_capture_on_commit_callbacks):
    def broken(prefix: str, year: int | None = None) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(hooks, "refresh_now", broken)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        register_changed.send(sender=None, prefixes=["620502"], cause="procedure")
    assert len(callbacks) == 1
    # the failure is kept on the refresh's job, in Chinese, and the English text stays in the log
    job = Job.objects.get(kind="refresh")
    assert job.state == JobState.FAILED and job.params["prefix"] == "620502"
    assert "内部错误" in job.message and "disk full" not in job.message


@pytest.mark.django_db
def test_refreshes_are_jobs_queued_once_per_area(settings, world, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # when a township and its county are asked for, twice, with no worker running yet
    hooks.request_refresh([world.township_a.prefix, world.county.prefix])
    hooks.request_refresh([world.county.prefix])
    # then one job waits, for the county, and the dashboard knows a refresh is coming
    waiting = Job.objects.filter(kind="refresh")
    assert [j.params["prefix"] for j in waiting] == [world.county.prefix]
    assert hooks.refreshing(world.township_a.prefix) and not hooks.refreshing("620503")
    # when the worker runs it (here, in this process), the figures are there and nothing waits
    job = jobs.run_here(waiting.get())
    assert job.state == JobState.SUCCEEDED and job.percent == 100
    assert IndicatorValue.objects.filter(region_code=world.county.code).exists()
    assert not hooks.refreshing(world.county.prefix)


def test_the_worker_takes_the_broadest_area_first_and_covers_the_areas_inside_it():
    # a county, one of its townships, a second county and the whole of 甘肃 waiting: 甘肃 first, alone
    pending = {"620502", "620502100", "620503", "62"}
    assert hooks.take_next(pending) == "62" and pending == set()
    # without the province: each county once, the township folded into its county
    pending = {"620502100", "620503", "620502"}
    assert hooks.take_next(pending) == "620502" and pending == {"620503"}
    assert hooks.take_next(pending) == "620503" and pending == set()
    assert hooks.area_of("620502100201") == "620502" and hooks.area_of("62") == "62"
