"""Background work started from the comparison pages and the API: a run, or a department file's load.

Like the register import (``registry.importer.start_import``): everything a person can get wrong is
checked in the request, the page then follows the row's progress, and the work runs in a thread with its
own database connection. A failure is kept on the row (state failed, a Chinese message), never lost in a
thread. ``JINGZHUN_SYNC_IMPORTS`` runs the work inside the request instead (tests).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from jingzhun.comparison import access, datasets, doubt_access, loading, services
from jingzhun.comparison.models import ComparisonRun, RunState
from jingzhun.core.audit import Actor
from jingzhun.core.context import acting, current
from jingzhun.core.errors import PermissionDeniedError, ValidationFailed
from jingzhun.regions.models import Region

log = logging.getLogger(__name__)
ENGINES = {"duckdb": "DuckDB（单机）", "spark": "Spark（集群）"}
# A run still "running" after this long died with its process; it no longer blocks a new run.
STALE_AFTER = dt.timedelta(hours=6)


def _background(name: str, work: Callable[[], Any]) -> None:
    threaded = not getattr(settings, "JINGZHUN_SYNC_IMPORTS", False)
    ctx = current()

    def body() -> None:
        if threaded:  # a new thread gets its own database connection; never touch the caller's
            close_old_connections()
        try:
            with acting(request_id=ctx.request_id, remote_addr=ctx.remote_addr, source=ctx.source):
                work()
        except Exception:  # already kept on the row by ``work``; the thread must not die noisily
            log.exception("%s failed", name)
        finally:
            if threaded:
                close_old_connections()

    if threaded:
        threading.Thread(target=body, name=name, daemon=True).start()
    else:
        body()


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

    def work() -> None:
        try:
            services.run_comparison(
                actor=actor, region=region, engine_name=engine_name, as_of=run.as_of, run=run
            )
        except Exception:
            # run_comparison keeps its own failures; this catches what happened before it could
            ComparisonRun.objects.filter(pk=run.pk, state=RunState.RUNNING).update(
                state=RunState.FAILED,
                message="比对时发生内部错误，请联系管理员。",
                finished_at=timezone.now(),
            )
            raise

    _background(f"comparison-run-{run.pk}", work)
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
) -> None:
    """Check and store a department file in the background; the datasets page shows its progress."""
    check_load(user=user, dataset=dataset, policy=policy)
    actor = Actor.of(user)

    def work() -> None:
        try:
            loading.load_dataset(
                actor=actor,
                user=user,
                path=path,
                dataset=dataset,
                as_of=as_of,
                region_prefix=region_prefix,
                policy=policy,
                file_name=file_name,
            )
        finally:  # the accepted rows are stored as Parquet; the upload itself is not needed again
            path.unlink(missing_ok=True)

    _background(f"comparison-load-{dataset}", work)
