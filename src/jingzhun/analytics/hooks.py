"""Keeping the figures fresh: a county's indicators are refreshed after an import commits, after a
procedure's last step, after a comparison run, and when a county administrator asks for it.

The registry, procedures and comparison apps never import analytics (the dependency points this way): an
import is followed through Django's ``post_save`` of its batch (saved once, when the import finishes), the
other two through ``core.signals.register_changed``. Receivers only schedule: the refresh starts after the
sender's transaction commits (``transaction.on_commit`` with ``robust=True``), so a failing refresh is
logged and never reaches the sender.

Each area asked for becomes a ``refresh`` job (``core.jobs``), run by the worker: the broadest area first,
and an area already waiting in the queue (or inside one that is waiting) is not queued twice. A county
asked for again while it is being refreshed is refreshed once more afterwards. A refresh replaces the
area's rows in one transaction, so one run again after a crash leaves the same rows as a clean one; run
one job at a time per database (one worker), as two refreshes of the same rows at once would collide on
the table's unique constraint. ``JINGZHUN_SYNC_IMPORTS`` refreshes inside the request instead (tests).
Each refresh writes the register's snapshot into a temporary folder and removes it afterwards: the
snapshots a comparison keeps are its evidence, these are not.
"""

from __future__ import annotations

import functools
import logging
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from jingzhun.analytics.refresh import RefreshResult, refresh_snapshot
from jingzhun.comparison.snapshot import snapshots_dir, write_snapshot
from jingzhun.core import jobs
from jingzhun.core.models import Job, JobState
from jingzhun.core.signals import register_changed
from jingzhun.registry.models import ImportBatch

log = logging.getLogger(__name__)


def area_of(prefix: str) -> str:
    """What one refresh covers: the county of a township or village; larger areas ('' = all) as they are."""
    prefix = (prefix or "").strip()
    return prefix[:6] if len(prefix) > 6 else prefix


def refresh_now(prefix: str, *, year: int | None = None) -> RefreshResult:
    """Refresh the indicators of a county (or a larger area) for ``year`` (default this year), now."""
    prefix = area_of(prefix)
    with tempfile.TemporaryDirectory(prefix=".indicators-", dir=snapshots_dir()) as folder:
        snap = write_snapshot(prefix, root=Path(folder))
        return refresh_snapshot(snap, year=year or timezone.localdate().year)


def _overlapping(prefix: str, states: Iterable[str]) -> list[str]:
    waiting = Job.objects.filter(kind="refresh", state__in=list(states)).values_list("params", flat=True)
    return [p["prefix"] for p in waiting if prefix.startswith(p["prefix"]) or p["prefix"].startswith(prefix)]


def refreshing(prefix: str) -> bool:
    """Is a refresh covering ``prefix`` waiting or running (for the dashboard)?"""
    return bool(_overlapping(prefix, (JobState.QUEUED, JobState.RUNNING)))


def request_refresh(prefixes: Iterable[str]) -> None:
    """Refresh these areas: as jobs for the worker, or right away under ``JINGZHUN_SYNC_IMPORTS``."""
    wanted = {area_of(p) for p in prefixes}
    while wanted:
        prefix = take_next(wanted)
        queued = _overlapping(prefix, (JobState.QUEUED,))
        if any(prefix.startswith(p) for p in queued):
            continue  # a waiting refresh already covers it
        jobs.start(
            kind="refresh", user=None, title=f"刷新统计指标（{prefix or '全部'}）", params={"prefix": prefix}
        )


def refresh_after_commit(prefixes: Iterable[str]) -> None:
    """Schedule ``request_refresh`` for when the current transaction commits (at once outside one); nothing
    when ``JINGZHUN_AUTO_REFRESH`` is off."""
    if not getattr(settings, "JINGZHUN_AUTO_REFRESH", True):
        return
    transaction.on_commit(functools.partial(request_refresh, list(prefixes)), robust=True)


def take_next(pending: set[str]) -> str:
    """The next area to refresh: the broadest waiting one, removed with every area inside it (one refresh
    covers them). ``pending`` is changed in place."""
    prefix = min(pending, key=lambda p: (len(p), p))
    pending.difference_update({p for p in pending if p.startswith(prefix)})
    return prefix


def _run_refresh(job: Job) -> None:
    prefix = job.params["prefix"]
    jobs.report(job, 10, 100, "写出登记数据快照并计算指标")
    refresh_now(prefix)
    job.message = f"已刷新{prefix or '全部'}的统计指标。"


def register() -> None:
    # A refresh that fails is logged and kept on its job; the old figures stay. It is run again once
    # after a crash (it replaces the area's rows in one transaction).
    jobs.register(jobs.Kind("refresh", "刷新统计指标", _run_refresh))


# ---------------------------------------------------------------------------------------------------
# What triggers a refresh


@receiver(post_save, sender=ImportBatch, dispatch_uid="analytics-after-import")
def after_import(sender: Any, instance: ImportBatch, created: bool = False, **kwargs: Any) -> None:
    """An import that wrote something: refresh the importer's jurisdiction (its county; all of it for the
    system administrator and the shell)."""
    try:
        if created or instance.finished_at is None:
            return
        if instance.state not in (ImportBatch.State.COMMITTED, ImportBatch.State.PARTIAL):
            return
        written = (
            instance.households_created
            + instance.households_updated
            + instance.members_created
            + instance.members_updated
            + instance.members_left
        )
        if written:
            region = instance.region
            refresh_after_commit([region.prefix if region is not None else ""])
    except Exception:
        log.exception("scheduling the indicator refresh after import %s failed", instance.pk)


@receiver(register_changed, dispatch_uid="analytics-after-register-change")
def after_register_change(sender: Any, prefixes: Iterable[str] = (), cause: str = "", **kwargs: Any) -> None:
    try:
        refresh_after_commit(prefixes)
    except Exception:
        log.exception("scheduling the indicator refresh after %s failed", cause or sender)
