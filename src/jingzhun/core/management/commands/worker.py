"""``jingzhun worker``: run the queued jobs (imports, department loads, comparisons, refreshes, exports).

The task framework's database worker (``django_tasks_db``'s ``db_worker``) does the polling and claiming;
this command first recovers the jobs a dead worker left running (``core.jobs.recover``) and keeps a
heartbeat for its own. Stop it with Ctrl+C or SIGTERM: a job in progress is finished first.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.crypto import get_random_string

from jingzhun.core import jobs


class Command(BaseCommand):
    help = "运行后台任务（导入、部门数据入库、比对、指标刷新、导出）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="运行完队列中的任务后退出")
        parser.add_argument("--max-tasks", type=int, default=None, help="运行这么多个任务后退出")
        parser.add_argument("--interval", type=float, default=1.0, help="队列为空时隔多少秒再查看（默认 1）")

    def handle(self, *args: Any, batch: bool, max_tasks: int | None, interval: float, **options: Any) -> None:
        from django_tasks.base import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
        from django_tasks_db.management.commands.db_worker import Worker

        found = jobs.recover(starting=True)
        if found and options["verbosity"]:
            self.stdout.write(f"发现 {len(found)} 个中断的任务，已重新排队或标为失败")
        worker = Worker(
            queue_names=[DEFAULT_TASK_QUEUE_NAME],
            interval=interval,
            batch=batch,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=max_tasks,
            worker_id=f"{jobs.worker_name()}:{get_random_string(8)}"[:64],
            excluded_queue_names=[],
        )
        if options["verbosity"]:
            self.stdout.write(f"后台任务处理程序已启动（{jobs.worker_name()}）")
        worker.configure_signals()
        with jobs.heartbeat():
            worker.run()
