"""The register's background jobs (``core.jobs``): importing a file, and exporting the register.

Import: the batch row is created in the request (everything a person can get wrong about the upload is
checked there); the job runs ``importer.run_import`` on that batch. Running it again after a crash is
safe: the commit is one transaction (all of it or nothing), and an import compares with what is stored,
so households already written are "unchanged", never written twice.

Export: the whole county's register takes about a minute; the job writes the file under
``MEDIA_ROOT/exports`` (a partial file first, renamed when complete) and the page offers it for download.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from jingzhun.core import jobs
from jingzhun.core.audit import Actor
from jingzhun.core.errors import JingzhunError
from jingzhun.core.models import Job
from jingzhun.registry.models import ImportBatch


def _user(params: dict[str, Any]) -> Any:
    from jingzhun.accounts.models import User

    return User.objects.filter(pk=params["user"]).first() if params.get("user") else None


# ---------------------------------------------------------------------------------------------------
# Import


def start_import(
    *,
    user: Any,
    batch: ImportBatch,
    path: Path,
    actor_name: str = "",
    source: str = "import",
    inline: bool | None = None,
    on_progress: Callable[[Job], None] | None = None,
) -> Job:
    """Queue the import of ``path`` into ``batch`` (created by ``importer.new_batch``)."""
    return jobs.start(
        kind="import",
        user=user,
        title=f"导入 {batch.file_name}",
        params={
            "batch": batch.pk,
            "path": str(path),
            "file_name": batch.file_name,
            "policy": batch.policy,
            "user": getattr(user, "pk", None),
            "actor_name": actor_name,
            "_source": source,
        },
        object_id=batch.pk,
        result_url=reverse("registry:import_batch", args=[batch.pk]),
        inline=inline,
        on_progress=on_progress,
    )


def _run_import(job: Job) -> None:
    from jingzhun.registry import importer

    p = job.params
    batch = ImportBatch.objects.get(pk=p["batch"])
    if batch.finished_at is None:  # else a crash came after the batch was closed: nothing left to do
        user = _user(p)
        batch = importer.run_import(
            actor=Actor.of(user, fallback=p.get("actor_name") or "系统"),
            user=user,
            path=Path(p["path"]),
            file_name=p["file_name"],
            policy=p["policy"],
            batch=batch,
            progress=jobs.percent_reporter(job),
        )
    if batch.state == ImportBatch.State.FAILED:
        raise JingzhunError(batch.message)
    job.message = f"{batch.get_state_display()}：{batch.message}"


def _import_given_up(job: Job, message: str) -> None:
    ImportBatch.objects.filter(pk=job.params["batch"], finished_at__isnull=True).update(
        state=ImportBatch.State.FAILED,
        progress=100,
        stage="失败",
        finished_at=timezone.now(),
        message=message,
    )


# ---------------------------------------------------------------------------------------------------
# Export


def exports_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def start_export(
    *, user: Any, layout: str, fmt: str, region_prefix: str, label: str, year: int | None = None
) -> Job:
    """Queue the export of the register ``user`` may see (inside ``region_prefix``; data year ``year``, or
    each household's latest)."""
    of_year = f"{year}年度_" if year else ""
    download = f"农户数据_{label}_{of_year}{timezone.localdate():%Y%m%d}.{fmt}"
    return jobs.start(
        kind="export",
        user=user,
        title=f"导出农户数据（{label}）",
        params={
            "user": getattr(user, "pk", None),
            "layout": layout,
            "fmt": fmt,
            "region_prefix": region_prefix,
            "year": year,
            "download_name": download,
        },
    )


def _run_export(job: Job) -> None:
    from jingzhun.registry.exchange import export_households

    p = job.params
    fmt = p["fmt"]
    final = exports_dir() / f"{job.pk}.{fmt}"
    part = final.with_name(f"{job.pk}.part.{fmt}")
    jobs.report(job, 0, 1, "统计要导出的农户")
    count = export_households(
        _user(p),
        path=part,
        layout=p["layout"],
        fmt=fmt,
        region_prefix=p["region_prefix"],
        year=p.get("year"),
        progress=lambda done, total: jobs.report(job, done, max(total, 1), f"已导出 {done}/{total} 户"),
    )
    part.replace(final)  # a crash leaves only the partial file, overwritten by the next attempt
    job.result_file = f"exports/{final.name}"
    job.result_url = reverse("job_download", args=[job.pk])
    job.message = f"共导出 {count} 人。"


def _export_given_up(job: Job, message: str) -> None:
    fmt = job.params.get("fmt", "xlsx")
    (exports_dir() / f"{job.pk}.part.{fmt}").unlink(missing_ok=True)


def register() -> None:
    jobs.register(jobs.Kind("import", "导入登记数据", _run_import, _import_given_up))
    jobs.register(jobs.Kind("export", "导出农户数据", _run_export, _export_given_up))
