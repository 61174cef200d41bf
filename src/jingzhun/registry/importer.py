"""Importing the register from the village's Excel or CSV file: staged, validated as a set, then committed.

1. ``staging.read_file``: every cell as text into DuckDB, with sheet and row number.
2. ``validation``: one SQL pass parses every column and names every error; cross-row and database checks.
3. The user's policy decides: all-or-nothing, or commit the valid households and report the rest
   (a household is the unit: one bad member rejects the whole household).
4. New households are written set-based (COPY on PostgreSQL); existing ones are compared and only real
   changes are written, so importing the same file twice changes nothing.
5. Every rejected row goes to an .xlsx error report the village can correct and re-import.

Audit: each household written gets an ObjectChange (who, when, batch). Changed records carry full before
and after snapshots; the after-state of households created by a batch is the batch's Parquet file under
``MEDIA_ROOT/imports``, which keeps every value the batch wrote (see docs/decisions/0002).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jingzhun.core import audit, restrict
from jingzhun.core.errors import JingzhunError, PermissionDeniedError
from jingzhun.registry import access, logic, validation, writer
from jingzhun.registry.models import ImportBatch
from jingzhun.registry.staging import ImportFileError, Staged, read_file

log = logging.getLogger(__name__)
Progress = Callable[[int, str], None]
PREVIEW_ERRORS = 200


@dataclass
class RowError:
    sheet: str
    row: int
    column: str
    value: str
    message: str
    household_number: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
            "household_number": self.household_number,
        }


def imports_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def new_batch(*, user: Any, actor: audit.Actor, path: Path, file_name: str, policy: str) -> ImportBatch:
    if policy not in ImportBatch.Policy.values:
        raise JingzhunError(f"未知的导入方式：{policy}")
    if user is not None and not access.can_import(user):
        raise PermissionDeniedError("您的角色不能导入数据")
    return ImportBatch.objects.create(
        id=uuid.uuid4().hex,
        file_name=file_name[:255],
        file_sha256=_sha256(path),
        user=actor.user,
        user_name=actor.name,
        region=getattr(user, "region", None),
        policy=policy,
    )


def _jurisdiction(user: Any) -> str | None:
    """Region prefix the importer may write to; '' means everywhere (system admin or the shell)."""
    return "" if user is None else restrict.jurisdiction(user)


def _set_progress(batch: ImportBatch, percent: int, stage: str, progress: Progress | None) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(progress=percent, stage=stage)
    batch.progress, batch.stage = percent, stage
    if progress:
        progress(percent, stage)


def validate(staged: Staged, prefix: str) -> None:
    validation.attach_ids(staged)
    writer.load_village_names(staged, prefix)
    validation.build_parsed(staged)
    validation.collect_errors(staged)
    if staged.cell_errors:
        staged.con.executemany(
            "INSERT INTO errors SELECT ?, ?, ?, (SELECT hh FROM p WHERE _i = ?), ?, ?, ?",
            [[e.index, e.sheet, e.row, e.index, e.column, e.value, e.message] for e in staged.cell_errors],
        )
    writer.load_store_tables(staged, prefix)
    validation.check_against_store(staged)
    logic.run_checks(staged)


def row_errors(staged: Staged) -> list[RowError]:
    rows = staged.con.execute(
        "SELECT DISTINCT _sheet, _row, col, coalesce(val, ''), msg, coalesce(hh, ''), _i FROM errors ORDER BY _i, col"
    ).fetchall()
    return [RowError(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


def run_import(
    *,
    actor: audit.Actor,
    user: Any,
    path: Path,
    file_name: str | None = None,
    policy: str = ImportBatch.Policy.ALL_OR_NOTHING,
    batch: ImportBatch | None = None,
    progress: Progress | None = None,
) -> ImportBatch:
    """Import one file synchronously and return its batch (also for the CLI and the API)."""
    path = Path(path)
    batch = batch or new_batch(
        user=user, actor=actor, path=path, file_name=file_name or path.name, policy=policy
    )
    prefix = _jurisdiction(user)
    try:
        if prefix is None:
            raise PermissionDeniedError("您的账号没有辖区，不能导入")
        if path.stat().st_size > settings.JINGZHUN_MAX_IMPORT_BYTES:
            raise ImportFileError(
                f"文件超过 {settings.JINGZHUN_MAX_IMPORT_BYTES // (1024 * 1024)} MB，请按乡镇分开导入"
            )
        _set_progress(batch, 5, "读取文件", progress)
        staged = read_file(path)
        batch.rows_total = staged.rows
        _set_progress(batch, 35, "校验数据", progress)
        validate(staged, prefix)
        errors = row_errors(staged)
        warnings = logic.counts(staged)
        _finish_validation(batch, staged, errors, warnings, progress)
        if errors and batch.policy == ImportBatch.Policy.ALL_OR_NOTHING:
            batch.state = ImportBatch.State.REJECTED
            batch.message = f"发现 {len(errors)} 处错误，按“全部正确才导入”的要求，本次没有导入任何数据。请按错误报告修改后重新导入。"
        else:
            _set_progress(batch, 60, "写入数据库", progress)
            with transaction.atomic():
                counts = writer.commit(staged, actor=actor, batch_id=batch.id, prefix=prefix)
            for key, value in counts.items():
                setattr(batch, key, value)
            batch.state = ImportBatch.State.PARTIAL if errors else ImportBatch.State.COMMITTED
            batch.message = _summary(batch, errors)
        if warnings:
            batch.message += (
                f"\n逻辑校验提示 {batch.warning_count} 处（不影响导入，请核对修改），"
                "各校验项的行数见页面和报告中的疑点数据统计表。"
            )
        if staged.warnings:
            batch.message += "\n" + "\n".join(staged.warnings[:20])
    except JingzhunError as exc:
        batch.state = ImportBatch.State.FAILED
        batch.message = exc.message
    batch.progress = 100
    batch.stage = "完成"
    batch.finished_at = timezone.now()
    batch.save()
    if progress:
        progress(100, "完成")
    return batch


def _finish_validation(
    batch: ImportBatch,
    staged: Staged,
    errors: list[RowError],
    warnings: dict[str, int],
    progress: Progress | None,
) -> None:
    batch.error_count = len(errors)
    batch.rows_rejected = len({(e.sheet, e.row) for e in errors})
    batch.errors_preview = [e.as_dict() for e in errors[:PREVIEW_ERRORS]]
    batch.warning_count = sum(warnings.values())
    batch.warnings_preview = logic.preview(staged)
    batch.warning_summary = logic.summary(warnings)
    if errors or warnings:
        from jingzhun.registry.exchange import write_error_report

        name = f"{batch.id}-errors.xlsx"
        write_error_report(staged, errors, imports_dir() / name, warnings=warnings)
        batch.error_report = f"imports/{name}"
        _set_progress(batch, 55, "生成错误报告", progress)


def _summary(batch: ImportBatch, errors: list[RowError]) -> str:
    parts = [
        f"新增 {batch.households_created} 户、{batch.members_created} 人",
        f"更新 {batch.households_updated} 户、{batch.members_updated} 人",
        f"未变化 {batch.households_unchanged} 户",
    ]
    if errors:
        parts.append(f"有错误未导入 {batch.households_rejected} 户（{batch.rows_rejected} 行，见错误报告）")
    return "；".join(parts) + "。"


def start_import(*, user: Any, upload_path: Path, file_name: str, policy: str) -> ImportBatch:
    """Create the batch and queue the import as a job (``registry.jobs``); the page follows the batch."""
    from jingzhun.registry import jobs

    actor = audit.Actor.of(user)
    batch = new_batch(user=user, actor=actor, path=upload_path, file_name=file_name, policy=policy)
    jobs.start_import(user=user, batch=batch, path=upload_path)
    batch.refresh_from_db()
    return batch


def batch_households_snapshot(batch_id: str, household_number: str) -> dict[str, Any] | None:
    """The household as a batch wrote it: household fields, its members and its data year."""
    return writer.snapshot_from_batch(imports_dir() / f"{batch_id}.parquet", household_number)
