"""The job runner (core.jobs): a job's row keeps its state; a job whose worker died is started again, then
given up with a Chinese message that also closes the app's own record; a live worker's job is left alone.

The dead worker here is a real process that has exited; the crash itself (SIGKILL of ``jingzhun worker``
inside a job) is tests/test_job_crash.py."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from jingzhun.core import jobs
from jingzhun.core.models import Job, JobState
from jingzhun.registry import importer
from jingzhun.registry import jobs as registry_jobs
from jingzhun.registry.models import Household, ImportBatch
from jingzhun.registry.tests.importdata import household_rows, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def claimed_by(job: Job, worker: str, *, attempts: int = 1, heartbeat: dt.datetime | None = None) -> None:
    """What a worker leaves behind when it dies inside ``job``: both rows say running."""
    DBTaskResult.objects.filter(pk=job.task_id).update(status=TaskResultStatus.RUNNING)
    Job.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING,
        worker=worker,
        attempts=attempts,
        heartbeat_at=heartbeat or timezone.now(),
        done=35,
        stage="校验数据",
    )


@pytest.fixture
def queued_import(world, settings, tmp_path) -> tuple[Job, ImportBatch]:
    settings.MEDIA_ROOT = tmp_path / "media"
    path = tmp_path / "village.csv"
    village = world.household_a.village.code
    write_csv(path, household_rows(f"{village}990001", village=village, members=2))
    officer = world.users["township_officer"]
    batch = importer.new_batch(
        user=officer, actor=importer.audit.Actor.of(officer), path=path, file_name=path.name, policy="all"
    )
    job = registry_jobs.start_import(user=officer, batch=batch, path=path)
    return job, batch


def test_a_job_whose_worker_died_is_run_again_and_completes(queued_import, dead_pid, world):
    job, batch = queued_import
    assert job.state == JobState.QUEUED and job.stage == "排队等待" and job.task_id
    # given its worker died inside it
    claimed_by(job, f"{socket.gethostname()}:{dead_pid}")
    first_task = job.task_id
    # when a worker starts
    assert [j.pk for j in jobs.recover(starting=True)] == [job.pk]
    # then the job waits again, on a new task, and the dead one is closed
    job.refresh_from_db()
    assert job.state == JobState.QUEUED and "重新排队" in job.stage and job.task_id != first_task
    assert DBTaskResult.objects.get(pk=first_task).status == TaskResultStatus.FAILED
    # and run again it completes, with the household written once
    job = jobs.run_here(job)
    assert job.state == JobState.SUCCEEDED and job.attempts == 2 and job.percent == 100
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.COMMITTED and batch.households_created == 1
    number = f"{world.household_a.village.code}990001"
    assert Household.objects.get(household_number=number).members.count() == 2


def test_a_job_that_lost_its_worker_twice_is_given_up_in_chinese(queued_import, dead_pid):
    job, batch = queued_import
    claimed_by(job, f"{socket.gethostname()}:{dead_pid}", attempts=2)
    jobs.recover()
    job.refresh_from_db()
    batch.refresh_from_db()
    assert job.state == JobState.FAILED and job.finished_at is not None
    assert "意外停止" in job.message and "请重新发起" in job.message
    # the import's own batch is closed with the same message: nothing is left "running"
    assert batch.state == ImportBatch.State.FAILED and batch.message == job.message
    assert DBTaskResult.objects.get(pk=job.task_id).status == TaskResultStatus.FAILED
    # and a worker will not run it any more
    assert jobs.run_here(job).state == JobState.FAILED


def test_a_live_worker_keeps_its_job_and_a_silent_one_elsewhere_loses_it(queued_import, settings):
    job, _batch = queued_import
    # this process is alive: its job is left alone
    claimed_by(job, jobs.worker_name())
    assert jobs.recover() == []
    # a worker on another machine with a fresh heartbeat is left alone too
    claimed_by(job, "other-host:123")
    assert jobs.recover() == []
    # one whose heartbeat is older than the lease is taken for dead
    settings.JINGZHUN_JOB_LEASE_SECONDS = 60
    claimed_by(job, "other-host:123", heartbeat=timezone.now() - dt.timedelta(seconds=61))
    assert [j.pk for j in jobs.recover()] == [job.pk]


def test_a_failing_job_keeps_a_chinese_message_and_its_record_says_so(queued_import, tmp_path):
    job, batch = queued_import
    # given the uploaded file is gone before the worker gets to it
    (tmp_path / "village.csv").unlink()
    job = jobs.run_here(job)
    assert job.state == JobState.FAILED and "内部错误" in job.message and job.pk in job.message
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.FAILED and batch.message == job.message
