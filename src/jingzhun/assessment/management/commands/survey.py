"""jingzhun survey draw|estimates|lists: the assessment survey (第三方评估) from the shell.

jingzhun survey draw --county CODE --year Y --seed N [--poor N] [--non-poor N] [--households N]
                     [--ratio 5:3:2] [--poor-villages CODE,CODE…] [--factor 2] [--name NAME] [--user NAME]
jingzhun survey estimates SURVEY_ID [--json]
jingzhun survey lists SURVEY_ID --out FILE.pdf|FILE.xlsx
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jingzhun.assessment import printing, sampling, selectors
from jingzhun.assessment.choices import Stratum, StratumRule
from jingzhun.assessment.models import Survey
from jingzhun.core.errors import JingzhunError


class Command(BaseCommand):
    help = "评估抽样调查：抽取样本（draw）、计算评估结果（estimates）、导出入户名单（lists）"

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{draw,estimates,lists}")
        draw = actions.add_parser("draw", help="从登记数据中抽取一个县的评估样本")
        default = sampling.Design()
        draw.add_argument("--county", required=True, help="县的6位或12位区划代码")
        draw.add_argument("--year", required=True, type=int, help="评估年度")
        draw.add_argument("--seed", required=True, type=int, help="随机种子（记下它：同一种子抽出同一样本）")
        draw.add_argument("--poor", type=int, default=default.villages[Stratum.POOR], help="抽贫困村数")
        draw.add_argument(
            "--non-poor",
            dest="non_poor",
            type=int,
            default=default.villages[Stratum.NON_POOR],
            help="抽非贫困村数",
        )
        draw.add_argument(
            "--households", type=int, default=default.households_per_village, help="每村抽样户数"
        )
        draw.add_argument(
            "--ratio", default="5:3:2", help="有劳动力建档户 : 非建档户 : 无劳动力建档户（默认 5:3:2）"
        )
        draw.add_argument(
            "--poor-villages",
            dest="poor_villages",
            default="",
            help="贫困村名单（12位村代码，逗号分隔）；给出时按名单分层",
        )
        draw.add_argument(
            "--factor",
            default="",
            help="按比例分层时的贫困村判定倍数（默认按政策参数，即全省贫困发生率的2倍）",
        )
        draw.add_argument("--name", default="", help="调查名称")
        draw.add_argument("--user", help="以哪个用户的身份抽样（默认：系统）")
        estimates = actions.add_parser("estimates", help="计算错退率、漏评率、群众认可度和综合贫困发生率")
        estimates.add_argument("survey_id", type=int)
        estimates.add_argument("--json", action="store_true", help="以 JSON 输出")
        lists = actions.add_parser("lists", help="导出全部入户调查名单（.pdf 或 .xlsx）")
        lists.add_argument("survey_id", type=int)
        lists.add_argument("--out", required=True, help="输出文件，扩展名 .pdf 或 .xlsx")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            getattr(self, f"_{opts['action']}")(opts)
        except JingzhunError as exc:
            raise CommandError(exc.message) from exc

    def _draw(self, opts: dict[str, Any]) -> None:
        from jingzhun.accounts.models import User
        from jingzhun.assessment.services import draw_survey
        from jingzhun.core.audit import Actor
        from jingzhun.core.context import acting
        from jingzhun.regions.models import Region

        code = str(opts["county"]).strip()
        county = Region.objects.filter(prefix=code).first() or Region.objects.filter(code=code).first()
        if county is None:
            raise CommandError(f"区划不存在：{code}")
        user = None
        if opts.get("user"):
            user = User.objects.filter(username=opts["user"]).first()
            if user is None:
                raise CommandError(f"用户不存在：{opts['user']}")
        design = {
            "villages": {Stratum.POOR: opts["poor"], Stratum.NON_POOR: opts["non_poor"]},
            "households_per_village": opts["households"],
            "ratio": sampling.parse_ratio(opts["ratio"]),
            "stratum_rule": StratumRule.LIST if opts["poor_villages"] else StratumRule.INCIDENCE,
            "poor_village_factor": opts["factor"],
            "poor_villages": opts["poor_villages"],
        }
        with acting(source="cli"):
            survey = draw_survey(
                actor=Actor.of(user, fallback="系统（命令行）"),
                county=county,
                year=opts["year"],
                seed=opts["seed"],
                design=design,
                name=opts["name"],
            )
        progress = selectors.progress(survey)
        self.stdout.write(
            self.style.SUCCESS(
                f"已抽取评估样本 #{survey.pk}「{survey.name}」：{progress['villages']} 个村，{progress['households']} 户"
            )
        )
        for v in selectors.villages_of(survey):
            self.stdout.write(
                f"  {v.order:>3}. {v.village.code} {v.village.name}（{v.get_stratum_display()}）{getattr(v, 'drawn', 0)} 户"
            )

    def _survey(self, survey_id: int) -> Survey:
        survey = Survey.objects.select_related("county").filter(pk=survey_id).first()
        if survey is None:
            raise CommandError(f"评估调查不存在：{survey_id}")
        return survey

    def _estimates(self, opts: dict[str, Any]) -> None:
        survey = self._survey(opts["survey_id"])
        figures = selectors.survey_estimates(survey)
        evaluation = selectors.exit_evaluation(survey, figures)
        if opts["json"]:
            self.stdout.write(
                json.dumps(
                    {"survey": survey.pk, "estimates": figures.as_json(), "exit_check": evaluation.as_json()},
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        self.stdout.write(f"{survey.name}：{figures.villages} 个村 {figures.interviews} 户完成访问")
        for e in figures.all:
            line = f"  {e.name}：{e.value_text}（95%置信区间 {e.interval_text}）"
            if e.value is not None:
                line += (
                    f"  {e.numerator:g} ÷ {e.denominator:g}，设计效应 {e.deff:.2f}，有效样本 {e.n_eff:.1f}"
                )
            self.stdout.write(line)
            for note in e.notes:
                self.stdout.write(f"      {note}")
        self.stdout.write(evaluation.summary_zh())
        for c in evaluation.criteria:
            self.stdout.write(
                f"  [{'满足' if c.passed else '不满足'}] {c.name}：{c.value}（标准 {c.threshold}）"
            )

    def _lists(self, opts: dict[str, Any]) -> None:
        survey = self._survey(opts["survey_id"])
        out = Path(opts["out"])
        if out.suffix not in (".pdf", ".xlsx"):
            raise CommandError("输出文件的扩展名应为 .pdf 或 .xlsx")
        lists = printing.survey_lists(survey)
        out.write_bytes(printing.render_pdf(lists) if out.suffix == ".pdf" else printing.render_xlsx(lists))
        self.stdout.write(self.style.SUCCESS(f"已导出 {len(lists)} 个村的入户名单：{out}"))
