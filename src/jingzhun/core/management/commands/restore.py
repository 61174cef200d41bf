"""jingzhun restore DIR: a backup into an empty database and media folder, checked table by table."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jingzhun.core import backup


class Command(BaseCommand):
    help = "恢复：把 jingzhun backup 的备份恢复到空数据库和空文件目录，并逐表、逐文件核对校验值"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", help="备份目录（含 manifest.json）")

    def handle(self, *args: object, **opts: object) -> None:
        try:
            backup.restore(Path(str(opts["folder"])).resolve(), progress=lambda text: self.stdout.write(text))
        except backup.BackupError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS("恢复完成，所有表和文件的校验值与备份一致"))
