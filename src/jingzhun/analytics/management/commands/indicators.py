"""jingzhun indicators: refresh the indicator table, or show a region's figures in the terminal.

jingzhun indicators refresh [--region PREFIX] [--year Y]
jingzhun indicators show --region CODE [--year Y]
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Max, Q
from django.utils import timezone

from jingzhun.analytics import indicators
from jingzhun.analytics.hooks import area_of, refresh_now
from jingzhun.analytics.models import IndicatorRefresh, IndicatorValue
from jingzhun.analytics.refresh import DB_INDICATORS, DECISIONS
from jingzhun.regions.models import Region


def _width(text: str) -> int:
    """Columns a string takes in a terminal (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    space = " " * max(width - _width(text), 0)
    return space + text if right else text + space


def table(rows: list[tuple[str, ...]], right: set[int]) -> str:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(_pad(cell, widths[i], i in right) for i, cell in enumerate(row)).rstrip() for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _label(code: str, dim: str) -> tuple[str, str, str]:
    """(indicator name, breakdown label, unit) of a stored value."""
    if code in indicators.BY_CODE:
        ind = indicators.BY_CODE[code]
        return ind.name, ind.label(dim) if dim else "", ind.unit
    name, unit = DB_INDICATORS.get(code, (code, ""))
    return name, DECISIONS.get(dim, dim) if code == "monitoring_decisions" else dim, unit


def _number(value: Decimal, code: str) -> str:
    if code in indicators.BY_CODE and indicators.BY_CODE[code].rate:
        return f"{value.quantize(Decimal('0.01'))}"
    return f"{int(value):,}"


class Command(BaseCommand):
    help = "刷新统计指标（refresh），或在终端显示一个区划的指标（show）"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        refresh = sub.add_parser("refresh", help="按登记数据重新计算指标（县或更大范围；默认全部）")
        refresh.add_argument("--region", default="", help="区划代码前缀（如 620502；乡镇、村按其所在县）")
        refresh.add_argument("--year", type=int, help="写入的年度（默认今年）")
        show = sub.add_parser("show", help="显示一个区划一个年度的全部指标")
        show.add_argument("--region", required=True, help="区划代码（12 位或 2/4/6/9 位前缀）")
        show.add_argument("--year", type=int, help="年度（默认：有指标的最近年度）")

    def handle(self, *args: Any, **opts: Any) -> None:
        prefix = str(opts.get("region") or "").strip()
        if prefix and not (prefix.isascii() and prefix.isdigit()):
            raise CommandError(f"区划代码应为数字：{prefix}")
        if opts["action"] == "refresh":
            self.refresh(prefix, opts.get("year"))
        else:
            self.show(prefix, opts.get("year"))

    def refresh(self, prefix: str, year: int | None) -> None:
        result = refresh_now(prefix, year=year or timezone.localdate().year)
        area = area_of(prefix) or "全部"
        self.stdout.write(
            f"已刷新 {area} {result.year}年的指标：{result.rows:,} 行，用时 {result.seconds:.2f} 秒"
        )

    def show(self, key: str, year: int | None) -> None:
        region = Region.objects.filter(Q(code=key) | Q(prefix=key)).first()
        if region is None:
            raise CommandError(f"没有这个区划：{key}")
        rows = IndicatorValue.objects.filter(region_code=region.code)
        if year is None:
            year = rows.aggregate(y=Max("year"))["y"]
        values = list(rows.filter(year=year).order_by("code", "dim")) if year else []
        if not values:
            raise CommandError(
                f"{region.full_name()}{f' {year}年' if year else ''}还没有计算指标"
                "（jingzhun indicators refresh --region …）"
            )
        order = {code: i for i, code in enumerate([*indicators.BY_CODE, *DB_INDICATORS])}
        values.sort(key=lambda v: (order.get(v.code, len(order)), v.dim))
        lines: list[tuple[str, ...]] = [("指标", "分组", "数值", "单位", "代码")]
        for v in values:
            name, label, unit = _label(v.code, v.dim)
            lines.append(
                (name, label, _number(v.value, v.code), unit, f"{v.code}{':' + v.dim if v.dim else ''}")
            )
        refreshed = IndicatorRefresh.objects.get(region_code=region.code, year=year).refreshed_at
        self.stdout.write(
            f"{region.full_name()}（{region.code}）{year}年，"
            f"更新于 {timezone.localtime(refreshed):%Y-%m-%d %H:%M}"
        )
        self.stdout.write(table(lines, right={2}))
