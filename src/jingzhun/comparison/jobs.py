"""Background work started from the comparison pages and the API: a run, or a department file's load.

Like the register import (``registry.jobs``): everything a person can get wrong is checked in the
request, which creates the run or load row; the work is then a job (``core.jobs``) run by the worker,
and the page follows the row's progress. A failure is kept on the row (state failed, a Chinese message).
Run again after a crash, both are idempotent: a run raises a doubt only for a key with no live doubt
(one transaction), and a load checks and stores the file anew into its own row and Parquet file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.urls import reverse
from django.utils import timezone

from jingzhun.comparison import access, datasets, doubt_access, loading, services
from jingzhun.comparison.models import ComparisonRun, DatasetLoad, LoadState, RunState
from jingzhun.core import jobs
from jingzhun.core.audit import Actor
from jingzhun.core.errors import JingzhunError, PermissionDeniedError, ValidationFailed
from jingzhun.core.models import Job
from jingzhun.regions.models import Region

ENGINES = {"duckdb": "DuckDB（单机）", "spark": "Spark（集群）"}
# A run still "running" after this long died with its process; it no longer blocks a new run.
STALE_AFTER = dt.timedelta(hours=6)


def _user(params: dict[str, Any]) -> Any:
    from jingzhun.accounts.models import User

    return User.objects.filter(pk=params["user"]).first() if params.get("user") else None


def start_run(
    *, user: Any, region: Region, engine_name: str = "duckdb", as_of: dt.date | None = None
) -> ComparisonRun:
    """Create the run row and run the comparison of ``region`` in the background; returns the run."""
    if not doubt_access.can_run(user, region.code):
        raise PermissionDeniedError("只有县级管理员可以对本辖区发起比对")
    if engine_name not in ENGINES:
        raise ValidationFailed(
            f"未知的比对引擎：{engine_name}（可选 duckdb、spark）", {"engine": ["未知的引擎"]}
        )
    busy = ComparisonRun.objects.filter(
        region=region, state=RunState.RUNNING, started_at__gt=timezone.now() - STALE_AFTER
    ).first()
    if busy is not None:
        raise ValidationFailed(
            f"{region.name}已有一次比对正在进行（{timezone.localtime(busy.started_at):%H:%M} 开始），"
            "请等它完成后再发起"
        )
    actor = Actor.of(user)
    run = ComparisonRun.objects.create(
        region=region,
        engine=engine_name,
        as_of=as_of or timezone.localdate(),
        user=user,
        user_name=actor.name,
        stage="排队等待",
    )

    jobs.start(
        kind="compare",
        user=user,
        title=f"比对 {region.name}",
        params={"run": run.pk, "user": getattr(user, "pk", None)},
        object_id=str(run.pk),
        result_url=reverse("comparison:run_detail", args=[run.pk]),
    )
    run.refresh_from_db()
    return run


def check_load(*, user: Any, dataset: str, policy: str) -> datasets.Dataset:
    """What ``loading.load_dataset`` refuses before it creates the load, checked in the request."""
    ds = datasets.get(dataset)
    if policy not in loading.POLICIES:
        raise ValidationFailed("请选择入库方式", {"policy": ["未知的入库方式"]})
    if not access.can_load(user, ds):
        raise PermissionDeniedError(f"您不能上传「{ds.name}」（{ds.department_name}的数据）")
    return ds


def start_load(
    *, user: Any, path: Path, file_name: str, dataset: str, as_of: dt.date, region_prefix: str, policy: str
) -> DatasetLoad:
    """Create the load (checked here) and queue its checking and storing; the datasets page shows it."""
    check_load(user=user, dataset=dataset, policy=policy)
    load = loading.new_load(
        actor=Actor.of(user),
        user=user,
        path=path,
        dataset=dataset,
        as_of=as_of,
        region_prefix=region_prefix,
        policy=policy,
        file_name=file_name,
    )
    start_load_job(load=load, user=user, path=path)
    load.refresh_from_db()
    return load


def start_load_job(
    *,
    load: DatasetLoad,
    user: Any,
    path: Path,
    keep_file: bool = False,
    inline: bool | None = None,
    on_progress: Callable[[Job], None] | None = None,
) -> Job:
    """Queue the checking and storing of ``path`` into ``load``; the upload is removed afterwards unless
    ``keep_file`` (the command line's own file)."""
    return jobs.start(
        kind="load",
        user=user,
        title=f"部门数据入库 {load.file_name}",
        params={
            "load": load.pk,
            "path": str(path),
            "user": getattr(user, "pk", None),
            "keep_file": keep_file,
        },
        object_id=load.pk,
        result_url=reverse("comparison:datasets"),
        inline=inline,
        on_progress=on_progress,
    )


def _run_comparison(job: Job) -> None:
    run = ComparisonRun.objects.select_related("region").get(pk=job.params["run"])
    if run.state != RunState.RUNNING:  # a crash came after the run was closed
        return
    user = _user(job.params)
    try:
        run = services.run_comparison(
            actor=Actor.of(user),
            region=run.region,
            engine_name=run.engine,
            as_of=run.as_of,
            run=run,
            progress=jobs.percent_reporter(job),
        )
    except Exception as exc:  # run_comparison keeps its own failures on the run: say the same
        run.refresh_from_db()
        if run.state == RunState.FAILED and run.message:
            raise JingzhunError(run.message) from exc
        raise
    job.message = run.message


def _comparison_given_up(job: Job, message: str) -> None:
    ComparisonRun.objects.filter(pk=job.params["run"], state=RunState.RUNNING).update(
        state=RunState.FAILED, message=message[:2000], finished_at=timezone.now()
    )


def _run_load(job: Job) -> None:
    p = job.params
    load = DatasetLoad.objects.get(pk=p["load"])
    path = Path(p["path"])
    user = _user(p)
    try:
        load = loading.load_dataset(
            actor=Actor.of(user),
            user=user,
            path=path,
            dataset=load.dataset,
            as_of=load.as_of,
            load=load,
            progress=jobs.percent_reporter(job),
        )
    finally:  # the accepted rows are stored as Parquet; the upload itself is not needed again
        if not p.get("keep_file"):
            path.unlink(missing_ok=True)
    if load.state == LoadState.FAILED:
        raise JingzhunError(load.message)
    job.message = f"{load.get_state_display()}：{load.message}"


def _load_given_up(job: Job, message: str) -> None:
    DatasetLoad.objects.filter(pk=job.params["load"], finished_at__isnull=True).update(
        state=LoadState.FAILED, progress=100, stage="失败", message=message, finished_at=timezone.now()
    )
    if not job.params.get("keep_file"):
        Path(job.params["path"]).unlink(missing_ok=True)


def register() -> None:
    jobs.register(jobs.Kind("compare", "比对", _run_comparison, _comparison_given_up))
    jobs.register(jobs.Kind("load", "部门数据入库", _run_load, _load_given_up))
