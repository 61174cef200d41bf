"""The optimistic lock, written once: a row's ``version`` is what a form or an API client read, and a write
goes through only if nobody saved the row since (otherwise 409 with a Chinese message naming the object).

- ``bump_version(row, expected)``: compare and bump in one ``UPDATE … WHERE version = expected`` (with
  ``updated_at`` where the model has it). Call it inside the write's transaction.
- ``lock_row(row, expected)``: the row again under ``SELECT … FOR UPDATE`` (writes that must serialise on
  it, such as a survey's draws and visits), refused when its version is not the expected one; the write
  then calls ``bump_version(locked)``.
- ``check_version(current, expected)``: the comparison alone, for a version kept on another row or read
  before the checks of a stale form are worth running.
"""

from __future__ import annotations

from typing import TypeVar

from django.db import models
from django.db.models import F
from django.utils import timezone

from jingzhun.core.errors import ConcurrentEditError

M = TypeVar("M", bound=models.Model)


def check_version(current: int, expected: int, message: str | None = None) -> None:
    """Refuse (409) when the version read is not the current one."""
    if current != expected:
        raise ConcurrentEditError(*([message] if message else []))


def bump_version(
    row: models.Model, expected_version: int | None = None, *, message: str | None = None
) -> None:
    """Raise the row's version by one, only if it still is ``expected_version`` (any version when None: the
    caller holds the row lock). ``row.version`` follows."""
    rows = type(row)._default_manager.filter(pk=row.pk)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    changes: dict[str, object] = {"version": F("version") + 1}
    if any(f.name == "updated_at" for f in row._meta.concrete_fields):
        changes["updated_at"] = timezone.now()
    if rows.update(**changes) != 1:
        raise ConcurrentEditError(*([message] if message else []))
    before: int = row.version if expected_version is None else expected_version  # type: ignore[attr-defined]
    row.version = before + 1  # type: ignore[attr-defined]


def lock_row(row: M, expected_version: int | None = None, *, message: str | None = None) -> M:
    """The row read again under ``SELECT … FOR UPDATE``; refused (409) when ``expected_version`` is given and
    is not its version."""
    fresh = type(row)._default_manager.select_for_update().get(pk=row.pk)
    if expected_version is not None:
        check_version(fresh.version, expected_version, message)  # type: ignore[attr-defined]
    return fresh
