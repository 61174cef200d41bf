"""jingzhun compare: run the doubt-rule catalogue (DuckDB by default, Spark with --engine spark).

Two ways:
* ``--region CODE``: the register in the database — a fresh snapshot, the current department loads, doubts
  raised for the villages (what the run page does);
* ``--snapshot DIR --datasets DIR``: files only (a snapshot folder and stored department Parquet files, as
  ``generate_departments`` writes them) — findings to ``--out``, no doubts; with ``--truth`` it prints each
  rule's precision and recall against the planted anomalies.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jingzhun.comparison import datasets as ds
from jingzhun.comparison import engine, evaluation
from jingzhun.core.errors import JingzhunError


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{text}") from None


class Command(BaseCommand):
    help = "运行行业数据比对规则（默认 DuckDB；--engine spark 用 Apache Spark）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--region", help="比对范围的区划代码（县或更大），比对数据库中的登记数据并下发疑点"
        )
        parser.add_argument("--snapshot", help="只比对文件：登记数据快照目录")
        parser.add_argument("--datasets", help="只比对文件：部门数据目录（<数据集>.parquet）")
        parser.add_argument(
            "--datasets-region",
            default="",
            help="只比对文件：部门数据覆盖的区划代码前缀（未填户籍地的人员按此下发；默认不限）",
        )
        parser.add_argument("--out", help="只比对文件：命中结果写到这个 .parquet/.csv 文件")
        parser.add_argument(
            "--truth", help="只比对文件：植入异常的真值文件 ground_truth.csv，打印各规则精确率和召回率"
        )
        parser.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
        parser.add_argument("--spark-master", default="local[2]", help="Spark 集群地址（默认本机 local[2]）")
        parser.add_argument("--as-of", help="比对基准日（默认今天）")
        parser.add_argument("--rules", help="只运行这些规则（逗号分隔的编号）")
        parser.add_argument("--user", help="以哪个用户的身份发起（默认：系统）")

    def handle(self, *args: object, **opts: object) -> None:
        as_of = _date(str(opts["as_of"])) if opts.get("as_of") else dt.date.today()
        if opts.get("region"):
            self._database(str(opts["region"]), str(opts["engine"]), as_of, opts)
        elif opts.get("snapshot"):
            self._files(as_of, opts)
        else:
            raise CommandError("请用 --region 指定比对范围，或用 --snapshot 和 --datasets 指定文件")

    def _progress(self, percent: int, stage: str) -> None:
        self.stderr.write(f"[{percent:3d}%] {stage}")

    def _database(self, code: str, engine_name: str, as_of: dt.date, opts: dict[str, object]) -> None:
        from jingzhun.accounts.models import User
        from jingzhun.comparison.services import run_comparison
        from jingzhun.core.audit import Actor
        from jingzhun.core.context import acting
        from jingzhun.regions.models import Region

        region = Region.objects.filter(prefix=code).first() or Region.objects.filter(code=code).first()
        if region is None:
            raise CommandError(f"区划不存在：{code}")
        user = None
        if opts.get("user"):
            user = User.objects.filter(username=opts["user"]).first()
            if user is None:
                raise CommandError(f"用户不存在：{opts['user']}")
        try:
            with acting(source="cli"):
                run = run_comparison(
                    actor=Actor.of(user, fallback="系统（命令行）"),
                    region=region,
                    engine_name=engine_name,
                    as_of=as_of,
                    spark_master=str(opts["spark_master"]),
                    progress=self._progress,
                )
        except JingzhunError as exc:
            raise CommandError(str(exc)) from exc
        except engine.RuleError as exc:
            raise CommandError(f"{exc}{f'：{exc.detail}' if exc.detail else ''}") from exc
        self.stdout.write(f"比对完成（{run.engine}，{run.seconds} 秒）：{run.message}")
        for code_, n in sorted(run.counts.items()):
            self.stdout.write(f"  {code_}: {n}")

    def _files(self, as_of: dt.date, opts: dict[str, object]) -> None:
        from jingzhun.comparison.snapshot import open_snapshot

        snap_path = Path(str(opts["snapshot"]))
        if not (snap_path / "households").exists():
            raise CommandError(f"不是登记数据快照目录：{snap_path}")
        folder = Path(str(opts["datasets"])) if opts.get("datasets") else None
        files: dict[str, list[str]] = {}
        if folder is not None:
            for dataset in ds.DATASETS:
                path = folder / f"{dataset.code}.parquet"
                if path.exists():
                    files[dataset.code] = [str(path)]
        catalogue = engine.load_catalogue()
        rules = list(catalogue.rules)
        if opts.get("rules"):
            wanted = {c.strip() for c in str(opts["rules"]).split(",") if c.strip()}
            unknown = wanted - {r.code for r in rules}
            if unknown:
                raise CommandError(f"没有这些规则：{'、'.join(sorted(unknown))}")
            rules = [r for r in rules if r.code in wanted]
        eng = engine.make_engine(str(opts["engine"]), spark_master=str(opts["spark_master"]))
        started = time.perf_counter()
        try:
            region = str(opts.get("datasets_region") or "")
            result = engine.run_catalogue(
                eng,
                open_snapshot(snap_path),
                files,
                as_of=as_of,
                rules=rules,
                catalogue=catalogue,
                progress=self._progress,
                load_regions={p: region for paths in files.values() for p in paths},
            )
        except engine.RuleError as exc:
            raise CommandError(f"{exc}{f'：{exc.detail}' if exc.detail else ''}") from exc
        finally:
            eng.close()
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"比对完成（{result.engine}）：{result.findings.num_rows} 条命中，用时 {elapsed:.1f} 秒"
        )
        for outcome in result.outcomes:
            text = outcome.skipped or f"{outcome.rows} 条，{outcome.seconds:.2f} 秒"
            if outcome.partly_skipped:
                text += f"（{outcome.partly_skipped}）"
            self.stdout.write(f"  {outcome.code} {catalogue.rule(outcome.code).name}：{text}")
        if opts.get("out"):
            out = Path(str(opts["out"]))
            if out.suffix == ".csv":
                import pyarrow.csv as pcsv

                pcsv.write_csv(result.findings, out)
            else:
                import pyarrow.parquet as pq

                pq.write_table(result.findings, out)
            self.stdout.write(f"命中结果已写到 {out}")
        if opts.get("truth"):
            truth = evaluation.read_truth(Path(str(opts["truth"])))
            scores = evaluation.score(result.findings, truth, [r.code for r in rules])
            self.stdout.write("对照植入真值：")
            self.stdout.write(evaluation.format_scores(scores, {r.code: r.name for r in rules}))
