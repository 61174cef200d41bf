"""One way to run background work: a :class:`~jingzhun.core.models.Job` row with its state saved, run by
Django's tasks framework (the ``django-tasks`` backport with the ``django-tasks-db`` database backend)
in ``jingzhun worker`` (decisions/0012).

An app registers a kind of job once (``register(Kind(...))``, from its ``AppConfig.ready``): the function
that does the work given the job row, and what to do with the app's own record (an import batch, a
comparison run) when a job is given up. Pages and the API call ``start``: it saves the job row and
enqueues one task; the worker runs it and the job row shows how far it got (``report``), its Chinese
message and its result. The CLI runs the same job in its own process with ``run_here``, printing the
progress; ``JINGZHUN_SYNC_IMPORTS`` (tests) does that for every ``start``.

A worker that dies (``kill -9``, a power cut) leaves its job ``running``. ``recover`` (run when a worker
starts, and every minute by each worker's heartbeat thread) finds such jobs: on this machine by the dead
process id, elsewhere by a heartbeat older than ``JINGZHUN_JOB_LEASE_SECONDS``. A job is started again
until its kind's ``attempts`` are used up, then marked failed with a Chinese message; every kind's work is
idempotent, so a job run again after a crash ends with the same tables as one clean run.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from jingzhun.core.audit import Actor
from jingzhun.core.context import acting, current
from jingzhun.core.errors import JingzhunError
from jingzhun.core.models import Job, JobState

log = logging.getLogger(__name__)

Progress = Callable[[int, str], None]  # (percent, stage): the shape the apps' long functions report in
HEARTBEAT_SECONDS = 15
RECOVER_EVERY = 4  # heartbeats between two recoveries in a running worker


@dataclass(frozen=True)
class Kind:
    name: str
    label: str  # what the job list calls it, in Chinese
    run: Callable[[Job], None]  # does the work; may set job.message / result_url / result_file / object_id
    given_up: Callable[[Job, str], None] | None = None  # the app's own record, when the job fails
    attempts: int = 2  # how often a job whose worker died is started, in all


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> None:
    KINDS[kind.name] = kind


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# ---------------------------------------------------------------------------------------------------
# Starting and running


def start(
    *,
    kind: str,
    user: Any,
    title: str,
    params: dict[str, Any] | None = None,
    object_id: str = "",
    result_url: str = "",
    inline: bool | None = None,
    on_progress: Callable[[Job], None] | None = None,
) -> Job:
    """Save the job row and enqueue its task; returns the job. ``inline`` (default: the
    ``JINGZHUN_SYNC_IMPORTS`` setting) runs it here at once instead of waiting for a worker (see
    ``run_here``, and its ``on_progress``)."""
    if kind not in KINDS:
        raise JingzhunError(f"未知的任务类型：{kind}")
    actor = Actor.of(user)
    ctx = current()
    job = Job.objects.create(
        id=uuid.uuid4().hex,
        kind=kind,
        title=title[:200],
        user=actor.user,
        user_name=actor.name,
        # who asked, for the audit records the job writes: the request's (or command's) context
        params={
            "_source": ctx.source,
            **(params or {}),
            "_request_id": ctx.request_id,
            "_remote_addr": ctx.remote_addr,
        },
        object_id=object_id,
        result_url=result_url,
        stage="排队等待",
    )
    _enqueue(job)
    if getattr(settings, "JINGZHUN_SYNC_IMPORTS", False) if inline is None else inline:
        run_here(job, on_progress=on_progress)
    job.refresh_from_db()
    return job


def _enqueue(job: Job) -> None:
    result = run_job.enqueue(job.pk)
    job.task_id = str(result.id)
    Job.objects.filter(pk=job.pk).update(task_id=job.task_id)


@task()
def run_job(job_id: str) -> None:
    """The one task: the worker calls it with a job's id."""
    execute(job_id)


_listener: contextvars.ContextVar[Callable[[Job], None] | None] = contextvars.ContextVar(
    "jingzhun_job_listener", default=None
)


def execute(job_id: str) -> None:
    """Run a queued job in this process: claim it, run its kind's work, save how it ended."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, state=JobState.QUEUED).update(
        state=JobState.RUNNING,
        started_at=now,
        heartbeat_at=now,
        worker=worker_name(),
        attempts=F("attempts") + 1,
        stage="开始处理",
    )
    if not claimed:  # already run, or given up while it waited
        return
    job = Job.objects.get(pk=job_id)
    params = job.params
    try:
        kind = KINDS[job.kind]
        with acting(
            request_id=params.get("_request_id") or uuid.uuid4().hex,
            remote_addr=params.get("_remote_addr"),
            source=params.get("_source", "job"),
        ):
            kind.run(job)
    except Exception as exc:
        log.exception("job %s (%s) failed", job.pk, job.kind)
        message = (
            exc.message
            if isinstance(exc, JingzhunError)
            else f"任务执行时发生内部错误，没有完成。请把任务编号 {job.pk} 告诉系统管理员，由管理员查看系统日志。"
        )
        give_up(job, message)
        raise
    Job.objects.filter(pk=job.pk).update(
        state=JobState.SUCCEEDED,
        done=F("total"),
        stage="完成",
        message=job.message,
        object_id=job.object_id,
        result_url=job.result_url,
        result_file=job.result_file,
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    _notify(job.pk)


def report(job: Job, done: int, total: int, stage: str) -> None:
    """Save how far ``job`` got (the page and the CLI read it from the row)."""
    job.done, job.total, job.stage = done, total, stage[:120]
    Job.objects.filter(pk=job.pk).update(done=done, total=total, stage=job.stage, heartbeat_at=timezone.now())
    _notify(job.pk)


def percent_reporter(job: Job) -> Progress:
    """A ``(percent, stage)`` callback for the apps' long functions, saving into ``job``."""
    return lambda percent, stage: report(job, percent, 100, stage)


def _notify(job_id: str) -> None:
    listener = _listener.get()
    if listener is not None:
        listener(Job.objects.get(pk=job_id))


def give_up(job: Job, message: str) -> None:
    """Mark the job failed with ``message`` (Chinese) and let its kind close its own record."""
    Job.objects.filter(pk=job.pk).exclude(state=JobState.SUCCEEDED).update(
        state=JobState.FAILED, message=message, stage="失败", finished_at=timezone.now()
    )
    _fail_task(job.task_id, "jingzhun.core.jobs.JobFailed")
    kind = KINDS.get(job.kind)
    if kind is not None and kind.given_up is not None:
        try:
            kind.given_up(job, message)
        except Exception:
            log.exception("closing the record of job %s failed", job.pk)
    _notify(job.pk)


def _fail_task(task_id: str, cause: str) -> None:
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    if task_id:
        DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED, finished_at=timezone.now(), exception_class_path=cause
        )


def _task_worker(worker_id: str) -> Any:
    from django_tasks.base import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=[DEFAULT_TASK_QUEUE_NAME],
        interval=0,
        batch=True,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=False,
        max_tasks=1,
        worker_id=worker_id[:64],
        excluded_queue_names=[],
    )


def run_here(job: Job, *, on_progress: Callable[[Job], None] | None = None) -> Job:
    """Run one queued job in this process, through the task framework's own worker code (the CLI, the
    tests); ``on_progress`` is called with the job row after each step. Returns the job as it ended."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    token = _listener.set(on_progress)
    try:
        db_result = DBTaskResult.objects.filter(pk=job.task_id, status=TaskResultStatus.READY).first()
        if db_result is not None:
            db_result.claim(worker_name()[:64])
            _task_worker(worker_name()).run_task(db_result)
    finally:
        _listener.reset(token)
    job.refresh_from_db()
    return job


# ---------------------------------------------------------------------------------------------------
# Crashes


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # a killed child not yet reaped by its parent still answers kill(0)
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False


def _abandoned(job: Job, *, starting: bool, now: dt.datetime) -> bool:
    host, _, pid = job.worker.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        if starting and int(pid) == os.getpid():
            return True  # this worker has just started: nothing of its own can be running
        return _process_gone(int(pid))
    lease = dt.timedelta(seconds=getattr(settings, "JINGZHUN_JOB_LEASE_SECONDS", 300))
    return job.heartbeat_at is None or job.heartbeat_at < now - lease


def recover(*, starting: bool = False) -> list[Job]:
    """Jobs whose worker died: start them again while their kind allows, else mark them failed.
    Returns the jobs found."""
    now = timezone.now()
    found = [
        j for j in Job.objects.filter(state=JobState.RUNNING) if _abandoned(j, starting=starting, now=now)
    ]
    for job in found:
        kind = KINDS.get(job.kind)
        _fail_task(job.task_id, "jingzhun.core.jobs.WorkerLost")
        if kind is not None and job.attempts < kind.attempts:
            requeued = Job.objects.filter(pk=job.pk, state=JobState.RUNNING, worker=job.worker).update(
                state=JobState.QUEUED,
                worker="",
                stage=f"处理程序中断，重新排队（第 {job.attempts + 1} 次）",
            )
            if requeued:
                _enqueue(job)
                log.warning("job %s (%s) lost its worker %s; queued again", job.pk, job.kind, job.worker)
        else:
            log.warning("job %s (%s) lost its worker %s; given up", job.pk, job.kind, job.worker)
            give_up(
                job,
                f"处理程序在执行这项任务时意外停止（已尝试 {job.attempts} 次），任务没有完成。"
                "已写入的数据保持不变，请重新发起；如果再次中断，请联系系统管理员。",
            )
    return found


@contextlib.contextmanager
def heartbeat(seconds: float = HEARTBEAT_SECONDS) -> Iterator[None]:
    """While the block runs, a thread keeps this process's running jobs' heartbeat fresh and, now and
    then, recovers jobs whose worker died elsewhere."""
    stop = threading.Event()
    me = worker_name()

    def beat() -> None:
        n = 0
        try:
            while not stop.wait(seconds):
                n += 1
                try:
                    Job.objects.filter(state=JobState.RUNNING, worker=me).update(heartbeat_at=timezone.now())
                    if n % RECOVER_EVERY == 0:
                        recover()
                except Exception:  # a busy database (SQLite during a long write) skips one beat
                    log.warning("job heartbeat skipped", exc_info=True)
                finally:
                    close_old_connections()
        finally:
            close_old_connections()

    thread = threading.Thread(target=beat, name="job-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


# ---------------------------------------------------------------------------------------------------
# Reading


def visible_to(user: Any) -> Any:
    """The jobs ``user`` may follow: the ones they started (all of them for the system administrator)."""
    qs = Job.objects.all()
    if getattr(user, "is_superuser", False) or getattr(user, "role", None) == "admin":
        return qs
    if user is None or not getattr(user, "is_authenticated", False):
        return qs.none()
    return qs.filter(Q(user=user))


def latest_for(kind: str, object_id: str) -> Job | None:
    return Job.objects.filter(kind=kind, object_id=object_id).order_by("-created_at").first()
