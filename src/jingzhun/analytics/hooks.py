"""Keeping the figures fresh: a county's indicators are refreshed after an import commits, after a
procedure's last step, after a comparison run, and when a county administrator asks for it.

The registry, procedures and comparison apps never import analytics (the dependency points this way): an
import is followed through Django's ``post_save`` of its batch (saved once, when the import finishes), the
other two through ``core.signals.register_changed``. Receivers only schedule: the refresh starts after the
sender's transaction commits (``transaction.on_commit`` with ``robust=True``), so a failing refresh is
logged and never reaches the sender.

One background worker takes the counties asked for one after another. A county asked for again while it is
being refreshed is refreshed once more afterwards, never twice at the same time (two refreshes of the same
rows would collide on the table's unique constraint). ``JINGZHUN_SYNC_IMPORTS`` refreshes inside the
request instead (tests). Each refresh writes the register's snapshot into a temporary folder and removes it
afterwards: the snapshots a comparison keeps are its evidence, these are not.
"""

from __future__ import annotations

import functools
import logging
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from jingzhun.analytics.refresh import RefreshResult, refresh_snapshot
from jingzhun.comparison.snapshot import snapshots_dir, write_snapshot
from jingzhun.core.signals import register_changed
from jingzhun.registry.models import ImportBatch

log = logging.getLogger(__name__)

_lock = threading.Lock()
_pending: set[str] = set()  # prefixes waiting for the worker
_busy: set[str] = set()  # the prefix being refreshed now
_worker: threading.Thread | None = None


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


def refreshing(prefix: str) -> bool:
    """Is a refresh covering ``prefix`` waiting or running in this process (for the dashboard)?"""
    with _lock:
        return any(prefix.startswith(p) or p.startswith(prefix) for p in _pending | _busy)


def request_refresh(prefixes: Iterable[str]) -> None:
    """Refresh these areas: in the background worker, or right away under ``JINGZHUN_SYNC_IMPORTS``."""
    wanted = {area_of(p) for p in prefixes}
    if not wanted:
        return
    if getattr(settings, "JINGZHUN_SYNC_IMPORTS", False):
        for prefix in sorted(wanted, key=len):
            _refresh_logged(prefix)
        return
    global _worker
    with _lock:
        _pending.update(wanted)
        if _worker is None:
            # Not a daemon: a command-line import's process waits for its county's figures before it exits.
            _worker = threading.Thread(target=_drain, name="indicator-refresh", daemon=False)
            _worker.start()


def refresh_after_commit(prefixes: Iterable[str]) -> None:
    """Schedule ``request_refresh`` for when the current transaction commits (at once outside one); nothing
    when ``JINGZHUN_AUTO_REFRESH`` is off."""
    if not getattr(settings, "JINGZHUN_AUTO_REFRESH", True):
        return
    transaction.on_commit(functools.partial(request_refresh, list(prefixes)), robust=True)


def _refresh_logged(prefix: str) -> None:
    try:
        refresh_now(prefix)
    except Exception:  # a refresh never fails whoever asked for it; the old figures stay
        log.exception("indicator refresh of %s failed", prefix or "全部")


def take_next(pending: set[str]) -> str:
    """The next area to refresh: the broadest waiting one, removed with every area inside it (one refresh
    covers them). ``pending`` is changed in place."""
    prefix = min(pending, key=lambda p: (len(p), p))
    pending.difference_update({p for p in pending if p.startswith(prefix)})
    return prefix


def _drain() -> None:
    """The worker: the broadest waiting area first (it covers the narrower ones inside it)."""
    global _worker
    close_old_connections()  # a new thread gets its own database connection
    try:
        while True:
            with _lock:
                if not _pending:
                    _worker = None
                    return
                prefix = take_next(_pending)
                _busy.add(prefix)
            try:
                _refresh_logged(prefix)
            finally:
                with _lock:
                    _busy.discard(prefix)
    finally:
        close_old_connections()


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
