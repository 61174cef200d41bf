"""jingzhun assistance template|import|generate: helper pairings (帮扶结对) and measures (帮扶措施) from the shell.

jingzhun assistance template pairings|measures OUT.xlsx
jingzhun assistance import pairings|measures FILE --user USERNAME [--keep-valid]
jingzhun assistance generate --region PREFIX --year Y [--seed N]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jingzhun.core.errors import JingzhunError

KINDS = {"pairings": "帮扶结对", "measures": "帮扶措施"}


class Command(BaseCommand):
    help = "帮扶结对与帮扶措施：生成导入模板（template）、导入（import）、生成模拟数据（generate）"

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{template,import,generate}")
        template = actions.add_parser("template", help="生成导入模板（.xlsx）")
        template.add_argument("kind", choices=sorted(KINDS), help="pairings 帮扶结对，measures 帮扶措施")
        template.add_argument("out", help="输出文件（.xlsx）")
        load = actions.add_parser("import", help="导入帮扶结对或帮扶措施（.xlsx/.csv，UTF-8 或 GB18030）")
        load.add_argument("kind", choices=sorted(KINDS), help="pairings 帮扶结对，measures 帮扶措施")
        load.add_argument("path", help="要导入的文件")
        load.add_argument("--user", required=True, help="以哪个用户的身份和辖区导入（须能修改登记数据）")
        load.add_argument(
            "--keep-valid",
            dest="keep_valid",
            action="store_true",
            help="导入正确的行，报告错误的行（默认：全部正确才导入）",
        )
        generate = actions.add_parser(
            "generate", help="为某地区的建档立卡户和监测户生成模拟的帮扶结对和帮扶措施"
        )
        generate.add_argument("--region", required=True, help="区划代码前缀（如 620502）")
        generate.add_argument("--year", required=True, type=int, help="帮扶措施的年度")
        generate.add_argument("--seed", type=int, default=7, help="随机种子（默认 7）")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            getattr(self, f"_{opts['action']}")(opts)
        except JingzhunError as exc:
            raise CommandError(exc.message) from exc

    def _template(self, opts: dict[str, Any]) -> None:
        from jingzhun.assistance.services import write_template

        out = Path(opts["out"])
        if out.suffix.lower() != ".xlsx":
            raise CommandError("模板文件的扩展名应为 .xlsx")
        write_template(opts["kind"], out)
        self.stdout.write(self.style.SUCCESS(f"{KINDS[opts['kind']]}导入模板已生成：{out}"))

    def _import(self, opts: dict[str, Any]) -> None:
        from jingzhun.accounts.models import User
        from jingzhun.assistance import services
        from jingzhun.core.audit import Actor
        from jingzhun.core.context import acting

        path = Path(opts["path"])
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        user = User.objects.filter(username=opts["user"]).first()
        if user is None:
            raise CommandError(f"用户不存在：{opts['user']}")
        run = services.import_pairings if opts["kind"] == "pairings" else services.import_measures
        with acting(source="cli"):
            result = run(
                actor=Actor.of(user, fallback="系统（命令行）"),
                user=user,
                path=path,
                keep_valid=opts["keep_valid"],
            )
        for warning in result.warnings:
            self.stdout.write(self.style.WARNING(f"  注意：{warning}"))
        style = self.style.SUCCESS if result.written and not result.rejected else self.style.WARNING
        self.stdout.write(style(result.summary))
        self.stdout.write(
            f"  新增 {result.created}，更新 {result.updated}，未变 {result.unchanged}，"
            f"拒绝 {result.rejected}（共 {result.rows} 行）"
        )
        for error in result.errors:
            self.stdout.write(f"  {error}")
        if result.rejected and not result.written:
            raise CommandError(
                f"导入未完成：{result.rejected} 行有错误，没有写入任何记录"
                "（改正后重新导入，或加 --keep-valid 只导入正确的行）"
            )

    def _generate(self, opts: dict[str, Any]) -> None:
        from jingzhun.regions.models import Region
        from jingzhun.testing.assistance import generate_assistance

        prefix = str(opts["region"]).strip()
        if not prefix.isdigit() or not Region.objects.filter(prefix=prefix).exists():
            raise CommandError(f"区划不存在：{prefix}（请给出区划代码前缀，如 620502）")
        pairings, measures = generate_assistance(prefix, year=opts["year"], seed=opts["seed"])
        self.stdout.write(
            self.style.SUCCESS(
                f"已为 {prefix} 生成帮扶结对 {pairings} 条、{opts['year']} 年帮扶措施 {measures} 条（种子 {opts['seed']}）"
            )
        )
