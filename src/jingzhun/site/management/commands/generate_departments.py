"""``jingzhun generate_departments``: generated department data with planted anomalies, for a snapshot.

Writes ``<dataset>.parquet`` (the stored format the comparison reads) for the twelve department datasets,
optionally ``.csv``/``.xlsx`` with the departments' Chinese headers, and ``ground_truth.csv`` naming what
each department rule must find (``deptgen.py``).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jingzhun.testing import departments as deptgen


class Command(BaseCommand):
    help = "为登记快照生成模拟的行业部门数据（12 类），预置已知疑点，并写出 ground_truth.csv"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--snapshot", required=True, help="登记快照目录（jingzhun snapshot 写出的文件夹）"
        )
        parser.add_argument("--out", required=True, help="输出目录")
        parser.add_argument(
            "--seed", type=int, default=1, help="随机种子，相同种子生成完全相同的文件（默认 1）"
        )
        parser.add_argument(
            "--as-of", dest="as_of", help="比对基准日 YYYY-MM-DD（默认：快照最新数据年度的 12 月 31 日）"
        )
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="登记以外常住人口的规模系数（默认 1.0，约为登记人数的 10 倍行数）",
        )
        parser.add_argument(
            "--format",
            default="parquet",
            help="输出格式，逗号分隔：parquet,csv,xlsx（parquet 总会写出；xlsx 只适合小县）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = None
        if options["as_of"]:
            try:
                as_of = dt.date.fromisoformat(options["as_of"])
            except ValueError:
                raise CommandError(f"日期格式应为 YYYY-MM-DD：{options['as_of']}") from None
        formats = tuple(f.strip().lower() for f in str(options["format"]).split(",") if f.strip())
        started = time.perf_counter()
        try:
            truth = deptgen.generate_departments(
                Path(options["snapshot"]),
                Path(options["out"]),
                seed=options["seed"],
                as_of=as_of,
                scale=options["scale"],
                formats=formats or ("parquet",),
                progress=self._say,
            )
        except deptgen.DeptGenError as err:
            raise CommandError(str(err)) from err
        seconds = time.perf_counter() - started
        planted = "，".join(f"{rule} {n}" for rule, n in truth.planted.items())
        self.stdout.write(f"预置疑点：{planted}")
        self.stdout.write(
            self.style.SUCCESS(
                f"完成：{truth.total_rows:,} 行，用时 {seconds:.1f} 秒（种子 {options['seed']}，基准日 {truth.as_of}）"
                f" → {truth.path.parent}"
            )
        )

    def _say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()
