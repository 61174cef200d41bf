"""jingzhun report: a statistics table (.xlsx or PDF) for a region, or a household's 明白卡 (PDF).

    jingzhun report basic|causes|monitoring|doubts --region CODE [--year Y] [--format xlsx|pdf] [--out PATH]
    jingzhun report card --household 户编号 [--out PATH]

``--user NAME`` makes the report as that user sees it (their jurisdiction); without it the operator at
the server reads everything, like the system administrator.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jingzhun.accounts.models import User, system_user
from jingzhun.core.errors import JingzhunError
from jingzhun.registry.access import access_household_by_number
from jingzhun.reports import exports
from jingzhun.reports.statistics import DEFINITIONS

KINDS = (*DEFINITIONS, "card")


class Command(BaseCommand):
    help = "生成统计报表（basic 基本情况表、causes 致贫原因构成表、monitoring 监测对象情况表、doubts 疑点核实情况表）或明白卡（card）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help="报表种类：" + "、".join(KINDS))
        parser.add_argument("--region", default="", help="区划代码（12 位或前缀，如 620502）")
        parser.add_argument("--year", default="", help="年度（默认：最新有数据的年度）")
        parser.add_argument("--format", default="xlsx", help="xlsx（默认）或 pdf；明白卡总是 pdf")
        parser.add_argument("--household", default="", help="明白卡：户编号")
        parser.add_argument("--out", default="", help="输出文件或目录（默认：当前目录，按报表标题命名）")
        parser.add_argument("--user", default="", help="按哪个用户的辖区生成（默认：系统，全部）")

    def handle(self, *args: object, **opts: object) -> None:
        kind = str(opts["kind"]).strip().lower()
        if kind not in KINDS:
            raise CommandError(f"没有这种报表：{kind}。应为 {'、'.join(KINDS)} 之一")
        user = self._user(str(opts["user"]))
        try:
            report = (
                self._card(user, str(opts["household"])) if kind == "card" else self._table(user, kind, opts)
            )
        except JingzhunError as exc:
            raise CommandError(exc.message) from None
        path = self._path(str(opts["out"]), report.name)
        path.write_bytes(report.data)
        detail = f"，{len(report.table.rows) - 1} 行加合计" if report.table else ""
        self.stdout.write(self.style.SUCCESS(f"已生成 {path}{detail}"))

    def _user(self, name: str) -> User:
        if not name:
            return system_user()
        user = User.objects.filter(username=name).first()
        if user is None:
            raise CommandError(f"用户不存在：{name}")
        return user

    def _table(self, user: User, kind: str, opts: dict[str, object]) -> exports.ReportFile:
        region = str(opts["region"]).strip()
        if not region:
            raise CommandError("请用 --region 指定区划代码，如 --region 620502")
        raw_year = str(opts["year"]).strip()
        if raw_year and not (raw_year.isdigit() and len(raw_year) == 4):
            raise CommandError(f"年度应为四位数字，如 2026：{raw_year}")
        fmt = str(opts["format"]).strip().lower()
        return exports.report_file(
            user, kind=kind, region=region, year=int(raw_year) if raw_year else None, fmt=fmt
        )

    def _card(self, user: User, number: str) -> exports.ReportFile:
        if not number.strip():
            raise CommandError("请用 --household 指定户编号")
        household = access_household_by_number(user, number.strip())
        return exports.card_file(user, household.pk)

    def _path(self, out: str, name: str) -> Path:
        if not out:
            return Path.cwd() / name
        path = Path(out)
        if path.is_dir():
            return path / name
        if not path.parent.is_dir():
            raise CommandError(f"输出目录不存在：{path.parent}")
        return path
