"""jingzhun template: write the import template (Excel with drop-downs, or CSV)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from jingzhun.registry.exchange import write_template


class Command(BaseCommand):
    help = "生成建档立卡导入模板（.xlsx 或 .csv，表头与国家系统一致）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path", nargs="?", default="建档立卡导入模板.xlsx", help="输出文件，扩展名决定格式"
        )

    def handle(self, *args: object, **opts: object) -> None:
        path = Path(str(opts["path"]))
        fmt = "csv" if path.suffix.lower() == ".csv" else "xlsx"
        write_template(path, fmt)
        self.stdout.write(self.style.SUCCESS(f"已生成模板：{path}"))
