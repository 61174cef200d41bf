"""jingzhun backup [--out DIR]: the database and every stored file, with a manifest of checksums."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jingzhun.core import backup


class Command(BaseCommand):
    help = "备份：数据库（SQLite 在线备份或 PostgreSQL pg_dump）和全部存储文件，附每张表、每个文件的校验值"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", help="备份目录（新建；默认 JINGZHUN_HOME/backups/<日期时间>）")

    def handle(self, *args: object, **opts: object) -> None:
        out = (
            Path(str(opts["out"]))
            if opts.get("out")
            else (Path(settings.HOME) / "backups" / dt.datetime.now().strftime("%Y%m%d-%H%M%S"))
        )
        try:
            backup.backup(out.resolve(), progress=lambda text: self.stdout.write(text))
        except backup.BackupError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(f"备份已写入 {out}"))
