"""jingzhun regions: load the shipped national division list, or villages from a CSV."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jingzhun.core.errors import JingzhunError
from jingzhun.regions.services import load_csv, load_national


class Command(BaseCommand):
    help = "载入行政区划：--national 载入全国省市县乡（国家统计局 2022），或从 CSV 载入村（代码,名称,城乡分类代码,农村人口,自然村）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("csv", nargs="?", help="村级区划 CSV 文件")
        parser.add_argument("--national", action="store_true", help="载入随软件提供的全国区划（省到乡镇）")
        parser.add_argument(
            "--province", action="append", default=[], help="只载入这些省（两位代码，可重复）"
        )

    def handle(self, *args: object, **opts: object) -> None:
        if not opts["national"] and not opts["csv"]:
            raise CommandError("请指定 --national 或一个 CSV 文件")
        try:
            if opts["national"]:
                count = load_national(opts["province"] or None)  # type: ignore[arg-type]  # argparse gives a str
                self.stdout.write(self.style.SUCCESS(f"已载入全国区划 {count} 条"))
            if opts["csv"]:
                path = Path(str(opts["csv"]))
                if not path.exists():
                    raise CommandError(f"文件不存在：{path}")
                count = load_csv(path)
                self.stdout.write(self.style.SUCCESS(f"已从 {path.name} 载入 {count} 条区划"))
        except JingzhunError as exc:
            raise CommandError(exc.message) from exc
