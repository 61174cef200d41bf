"""jingzhun dataset load|list|template: department data (行业部门数据) from the shell.

jingzhun dataset load FILE --dataset CODE --as-of YYYY-MM-DD [--region PREFIX] [--policy all|valid]
                      [--user NAME] [--report PATH]
jingzhun dataset list [--dataset CODE] [--limit N]
jingzhun dataset template CODE [--out PATH] [--format xlsx|csv]
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jingzhun.accounts.models import User
from jingzhun.comparison import datasets, jobs
from jingzhun.comparison.loading import new_load, report_file, write_template
from jingzhun.comparison.models import DatasetLoad, LoadState
from jingzhun.core.audit import Actor
from jingzhun.core.context import acting
from jingzhun.core.errors import JingzhunError
from jingzhun.core.models import Job


class Command(BaseCommand):
    help = "部门数据：上传并校验（load）、列出批次（list）、生成模板（template）"

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{load,list,template}")
        load = actions.add_parser("load", help="校验一个部门文件（.xlsx/.csv/.parquet）并入库")
        load.add_argument("path", help="部门文件")
        load.add_argument("--dataset", required=True, choices=list(datasets.BY_CODE), help="数据集代码")
        load.add_argument("--as-of", required=True, dest="as_of", help="数据截止日期，如 2025-06-30")
        load.add_argument("--region", default="", help="覆盖区划代码前缀（默认：全部地区，或用户的辖区）")
        load.add_argument(
            "--policy",
            choices=["all", "valid"],
            default="valid",
            help="valid：入库正确的行，报告错误的行（默认）；all：全部正确才入库",
        )
        load.add_argument("--user", help="以哪个用户的身份上传（默认：系统，不限数据集和地区）")
        load.add_argument("--report", help="把错误报告（.xlsx）另存到这里")
        load.add_argument("--max-errors", type=int, default=20, help="终端最多显示多少条错误")
        listing = actions.add_parser("list", help="列出部门数据批次，最新的在前")
        listing.add_argument("--dataset", choices=list(datasets.BY_CODE))
        listing.add_argument("--limit", type=int, default=50)
        template = actions.add_parser("template", help="生成数据集的空白模板（中文表头）")
        template.add_argument("code", choices=list(datasets.BY_CODE), help="数据集代码")
        template.add_argument("--out", help="输出文件（默认：<代码>-template.<格式>）")
        template.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")

    def handle(self, *args: Any, **opts: Any) -> None:
        getattr(self, f"_{opts['action']}")(opts)

    def _load(self, opts: dict[str, Any]) -> None:
        path = Path(opts["path"])
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        user = None
        if opts.get("user"):
            user = User.objects.filter(username=opts["user"]).first()
            if user is None:
                raise CommandError(f"用户不存在：{opts['user']}")
        started = time.perf_counter()
        last = [""]

        def progress(job: Job) -> None:
            line = f"[{job.percent:3d}%] {job.stage}"
            if line != last[0]:
                self.stderr.write(line)
                last[0] = line

        # The same job as an upload on the datasets page, run here in this process; the file is kept.
        try:
            with acting(source="cli"):
                load = new_load(
                    actor=Actor.of(user, fallback="系统（命令行）"),
                    user=user,
                    path=path,
                    dataset=opts["dataset"],
                    as_of=opts["as_of"],
                    region_prefix=opts["region"],
                    policy=opts["policy"],
                )
                jobs.start_load_job(
                    load=load, user=user, path=path, keep_file=True, inline=True, on_progress=progress
                )
        except JingzhunError as exc:
            raise CommandError(exc.message) from exc
        load.refresh_from_db()
        self._report(load, opts["max_errors"])
        if load.error_report and opts.get("report"):
            shutil.copy(report_file(load), opts["report"])
            self.stdout.write(f"错误报告已保存：{opts['report']}")
        self.stdout.write(
            f"批次 {load.id}，用时 {time.perf_counter() - started:.1f} 秒，共 {load.rows_total} 行"
        )
        if load.state in (LoadState.REJECTED, LoadState.FAILED):
            raise CommandError(f"未入库：{load.get_state_display()}")

    def _report(self, load: DatasetLoad, limit: int) -> None:
        style = self.style.SUCCESS if load.state == LoadState.COMMITTED else self.style.WARNING
        self.stdout.write(style(f"{load.get_state_display()}：{load.message}"))
        for e in load.errors_preview[:limit]:
            kind = "提示" if e["severity"] == "warning" else "错误"
            self.stdout.write(
                f"  {kind} {e['sheet']} 第 {e['row']} 行「{e['column']}」{e['value']}：{e['message']}"
            )
        if load.error_report:
            self.stdout.write(f"错误报告：{report_file(load)}")
        if load.parquet_path:
            self.stdout.write(f"入库文件：{load.parquet_path}")

    def _list(self, opts: dict[str, Any]) -> None:
        loads = DatasetLoad.objects.all()
        if opts.get("dataset"):
            loads = loads.filter(dataset=opts["dataset"])
        loads = loads.order_by("-started_at")[: opts["limit"]]
        if not loads:
            self.stdout.write("还没有部门数据批次")
            return
        for load in loads:
            ds = datasets.BY_CODE.get(load.dataset)
            self.stdout.write(
                f"{load.id}  {load.started_at:%Y-%m-%d %H:%M}  {load.dataset}（{ds.name if ds else '?'}）"
                f"  截止 {load.as_of}  范围 {load.region_prefix or '全部'}  {load.get_state_display()}"
                f"  入库 {load.rows_accepted}/{load.rows_total} 行  {load.file_name}  {load.user_name}"
            )

    def _template(self, opts: dict[str, Any]) -> None:
        ds = datasets.get(opts["code"])
        out = Path(opts.get("out") or f"{ds.code}-template.{opts['format']}")
        write_template(ds, out, opts["format"])
        self.stdout.write(f"已生成{ds.name}模板：{out}")
