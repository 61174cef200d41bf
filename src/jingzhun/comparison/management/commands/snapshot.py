"""jingzhun snapshot: write the register (or a region of it) to a Parquet snapshot for analysis."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jingzhun.comparison.snapshot import write_snapshot


class Command(BaseCommand):
    help = "把登记数据写成 Parquet 快照（按县分区），供比对和统计使用"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--region", default="", help="区划代码前缀（默认：全部）")
        parser.add_argument("--out", help="快照目录（默认：MEDIA_ROOT/snapshots/<自动命名>）")

    def handle(self, *args: object, **opts: object) -> None:
        prefix = str(opts["region"] or "")
        if prefix and not prefix.isdigit():
            raise CommandError(f"区划代码应为数字：{prefix}")
        out = Path(str(opts["out"])) if opts.get("out") else None
        snap = write_snapshot(
            prefix,
            name=out.name if out else None,
            root=out.parent if out else None,
            progress=lambda text: self.stderr.write(text),
        )
        rows = "，".join(f"{table} {n:,} 行" for table, n in snap.rows.items())
        self.stdout.write(f"快照已写到 {snap.path}（{len(snap.counties)} 个县：{rows}）")
