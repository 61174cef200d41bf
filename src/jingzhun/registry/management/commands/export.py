"""jingzhun export PATH: write the register (template layout or the national system's export layout)."""

from pathlib import Path
from typing import cast

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jingzhun.accounts.models import User, system_user
from jingzhun.registry.exchange import export_households


class Command(BaseCommand):
    help = "导出建档立卡数据（与导入模板相同的格式，或国家系统导出格式）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="输出文件（.xlsx 或 .csv）")
        parser.add_argument("--layout", choices=["template", "national"], default="template")
        parser.add_argument("--region", default="", help="只导出该区划代码前缀下的农户，如 620502100")
        parser.add_argument("--year", type=int, help="收入与条件的数据年度（默认每户最新年度）")
        parser.add_argument("--user", help="以哪个用户的辖区导出（默认：系统，全部）")

    def handle(self, *args: object, **opts: object) -> None:
        path = Path(str(opts["path"]))
        if opts.get("user"):
            found = User.objects.filter(username=opts["user"]).first()
            if found is None:
                raise CommandError(f"用户不存在：{opts['user']}")
            user = found
        else:
            user = system_user()
        fmt = "csv" if path.suffix.lower() == ".csv" else "xlsx"
        count = export_households(
            user,
            path=path,
            layout=str(opts["layout"]),
            fmt=fmt,
            region_prefix=str(opts["region"]),
            year=cast(int | None, opts.get("year")),
        )
        self.stdout.write(self.style.SUCCESS(f"已导出 {count} 名成员到 {path}"))
