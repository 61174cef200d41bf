"""jingzhun import FILE: import the register from .xlsx/.xls/.csv, reporting every rejected row."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jingzhun.accounts.models import User
from jingzhun.core import jobs as core_jobs
from jingzhun.core.audit import Actor
from jingzhun.core.context import acting
from jingzhun.core.models import Job, JobState
from jingzhun.registry import jobs
from jingzhun.registry.importer import imports_dir, new_batch
from jingzhun.registry.models import ImportBatch


class Command(BaseCommand):
    help = "导入建档立卡数据（.xlsx/.xls/.csv，UTF-8 或 GB18030），校验全部行后提交"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="要导入的文件")
        parser.add_argument(
            "--policy",
            choices=["all", "valid"],
            default="all",
            help="all：全部正确才导入（默认）；valid：导入正确的户，报告错误的户",
        )
        parser.add_argument("--user", help="以哪个用户的身份和辖区导入（默认：系统，不限辖区）")
        parser.add_argument("--report", help="把错误报告（.xlsx）另存到这里")
        parser.add_argument("--max-errors", type=int, default=50, help="终端最多显示多少条错误")

    def handle(self, *args: object, **opts: object) -> None:
        path = Path(str(opts["path"]))
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        user = None
        if opts.get("user"):
            user = User.objects.filter(username=opts["user"]).first()
            if user is None:
                raise CommandError(f"用户不存在：{opts['user']}")
        actor = Actor.of(user, fallback="系统（命令行）")
        started = time.perf_counter()
        last = [""]

        def progress(job: Job) -> None:
            line = f"[{job.percent:3d}%] {job.stage}"
            if line != last[0]:
                self.stderr.write(line)
                last[0] = line

        # The same job as an upload on the page, run here in this process (the worker is not needed).
        with acting(source="cli"):
            batch = new_batch(
                user=user, actor=actor, path=path, file_name=path.name, policy=str(opts["policy"])
            )
            jobs.start_import(
                user=user,
                batch=batch,
                path=path,
                actor_name=actor.name,
                source="cli",
                inline=True,
                on_progress=progress,
            )
            # The county's figures follow the import (a refresh job it queued): run here too, so they
            # are current when the command exits, whether or not a worker is running.
            for refresh in Job.objects.filter(
                kind="refresh", state=JobState.QUEUED, created_at__gte=batch.started_at
            ):
                core_jobs.run_here(refresh)
        batch.refresh_from_db()
        elapsed = time.perf_counter() - started
        self._report(batch, int(opts["max_errors"]))  # type: ignore[call-overload]  # argparse gives an int
        if batch.error_report and opts.get("report"):
            shutil.copy(imports_dir().parent / batch.error_report, str(opts["report"]))
            self.stdout.write(f"错误报告已保存：{opts['report']}")
        self.stdout.write(f"批次 {batch.id}，用时 {elapsed:.1f} 秒，共 {batch.rows_total} 行")
        if batch.state == ImportBatch.State.FAILED:
            self.stdout.write(
                "提示：导入模板可用 jingzhun template 生成（与导入页面“下载导入模板”得到的相同）"
            )
        if batch.state in (ImportBatch.State.REJECTED, ImportBatch.State.FAILED):
            raise CommandError(f"导入未完成：{batch.get_state_display()}")

    def _report(self, batch: ImportBatch, limit: int) -> None:
        style = self.style.SUCCESS if batch.state == ImportBatch.State.COMMITTED else self.style.WARNING
        self.stdout.write(style(f"{batch.get_state_display()}：{batch.message}"))
        for e in batch.errors_preview[:limit]:
            self.stdout.write(
                f"  {e['sheet']} 第 {e['row']} 行「{e['column']}」{e['value'] or ''}：{e['message']}"
            )
        if batch.error_count > limit:
            self.stdout.write(f"  …… 共 {batch.error_count} 处错误，完整清单见错误报告")
        for check in batch.warning_summary:
            self.stdout.write(
                f"  逻辑校验 {check['numbers']} {check['name']}：{check['rows']} 行（提示，不影响导入）"
            )
        if batch.error_report:
            self.stdout.write(f"错误报告：{imports_dir().parent / batch.error_report}")
