"""The standard statistics tables a county bureau sends upward, built from the indicator values.

Four tables (docs/reports.md says where each column comes from):

* ``basic`` 建档立卡户和人口基本情况表: households and people by 脱贫状态, remaining poor people, rural
  population and poverty incidence, one row per child region and a 合计 row;
* ``causes`` 致贫原因构成表: households by main cause, count and share;
* ``monitoring`` 防止返贫监测对象情况表: open monitoring objects by type and by risk, eliminated by mode,
  identification decisions against the time limit;
* ``doubts`` 疑点核实情况表: doubts per rule, open, confirmed and rejected.

Rows are the child regions of the chosen region (townships of a county, villages of a township); the 合计
row is the chosen region's own values, not a sum typed here, so it is the number the dashboard shows
(a rate is its own ratio, never an average of the rows).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from jingzhun.analytics import indicators
from jingzhun.analytics.refresh import DECISIONS
from jingzhun.core.errors import NotFoundOrForbidden
from jingzhun.core.restrict import UserLike
from jingzhun.regions.models import Region
from jingzhun.reports import selectors
from jingzhun.reports.layout import SIGNATURES, Cell, Column, Row, Table
from jingzhun.reports.selectors import Values

Getter = Callable[[Values], Cell]


@dataclass(frozen=True)
class Measure:
    column: Column
    get: Getter


def count(code: str, dim: str = "") -> Getter:
    def get(values: Values) -> int:
        row = values.get((code, dim))
        return int(row.value) if row else 0

    return get


def _sum(values: Values, code: str) -> int:
    """A count indicator's total over its breakdown (also for the indicators counted in the database,
    which are not in the catalogue)."""
    return int(sum((v.value for (c, _), v in values.items() if c == code), Decimal(0)))


def summed(code: str) -> Getter:
    return lambda values: _sum(values, code)


def rate(code: str) -> Getter:
    def get(values: Values) -> Decimal:
        row = values.get((code, ""))
        return row.value if row else Decimal(0)

    return get


def denominator(code: str) -> Getter:
    def get(values: Values) -> int:
        row = values.get((code, ""))
        return int(row.denominator or 0) if row else 0

    return get


def share(code: str, dim: str) -> Getter:
    """The breakdown value as a percentage of the indicator's total in the same row (two decimals)."""

    def get(values: Values) -> Decimal:
        whole = _sum(values, code)
        part = count(code, dim)(values)
        return (Decimal(part) * 100 / whole).quantize(Decimal("0.01")) if whole else Decimal("0.00")

    return get


def _by_dim(code: str, group: str, *, with_total: bool = True, width: float = 9.0) -> list[Measure]:
    indicator = indicators.get(code)
    out = (
        [Measure(Column("合计", group, source=f"{code}（各分组之和）", width=width), summed(code))]
        if with_total
        else []
    )
    out += [
        Measure(
            Column(label, group, source=f"{code} / {dim}", width=width + (1.5 if len(label) > 8 else 0)),
            count(code, dim),
        )
        for dim, label in indicator.dims.items()
    ]
    return out


# --------------------------------------------------------------------------------------------------
# The region tables


def _basic() -> list[Measure]:
    return [
        *_by_dim("households_by_status", "建档立卡户数（户）"),
        *_by_dim("people_by_status", "建档立卡人数（人）"),
        Measure(
            Column("剩余贫困人口（人）", source="remaining_poor_people", width=11),
            count("remaining_poor_people"),
        ),
        Measure(
            Column("农村户籍人口（人）", source="poverty_incidence 的分母", width=11),
            denominator("poverty_incidence"),
        ),
        Measure(
            Column("贫困发生率（%）", kind="pct", source="poverty_incidence", width=10),
            rate("poverty_incidence"),
        ),
    ]


def _causes() -> list[Measure]:
    code = "households_by_cause"
    out = [Measure(Column("合计（户）", source=f"{code}（各分组之和）", width=11), summed(code))]
    for dim, label in indicators.get(code).dims.items():
        out.append(Measure(Column("户数", label, source=f"{code} / {dim}", width=6.5), count(code, dim)))
        out.append(
            Measure(
                Column("占比%", label, kind="pct", source=f"{code} / {dim} ÷ 合计", width=8), share(code, dim)
            )
        )
    return out


def _monitoring() -> list[Measure]:
    decisions = [
        Measure(
            Column(label, "识别认定办结情况（件）", source=f"monitoring_decisions / {dim}", width=9),
            count("monitoring_decisions", dim),
        )
        for dim, label in DECISIONS.items()
    ]
    return [
        *_by_dim("monitoring_by_type", "风险未消除监测对象（户）", width=9),
        *_by_dim("monitoring_by_risk", "按风险类型（户次，一户多种风险各计一次）", with_total=False, width=7),
        *_by_dim("elimination_by_mode", "风险已消除（户）", width=8),
        *decisions,
    ]


@dataclass(frozen=True)
class Definition:
    kind: str
    name: str
    sheet: str  # Excel sheet name (≤ 31 characters)
    description: str
    codes: tuple[str, ...]
    measures: Callable[[], list[Measure]] | None  # None: the doubts table, rows per rule
    notes: tuple[str, ...] = ()


DEFINITIONS: dict[str, Definition] = {
    d.kind: d
    for d in (
        Definition(
            "basic",
            "建档立卡户和人口基本情况表",
            "基本情况",
            "按脱贫状态的户数和人数，剩余贫困人口，农村户籍人口和贫困发生率",
            ("households_by_status", "people_by_status", "remaining_poor_people", "poverty_incidence"),
            _basic,
            (
                "建档立卡户为脱贫状态不为空的农户，人数为其在册成员（没有减少时间）；剩余贫困人口为未脱贫户和返贫户的在册成员。",
                "贫困发生率 = 剩余贫困人口 ÷ 农村户籍人口 × 100%；合计行按合计数计算，不是各行的平均。",
            ),
        ),
        Definition(
            "causes",
            "致贫原因构成表",
            "致贫原因",
            "建档立卡户按主要致贫原因的户数和占比",
            ("households_by_cause",),
            _causes,
            (
                "按主要致贫原因统计脱贫状态不为空、填了主要致贫原因的农户；占比 = 该原因户数 ÷ 本行合计 × 100%。",
            ),
        ),
        Definition(
            "monitoring",
            "防止返贫监测对象情况表",
            "监测对象",
            "监测对象按类型和风险类型，风险消除方式，识别认定是否在办结时限内",
            ("monitoring_by_type", "monitoring_by_risk", "elimination_by_mode", "monitoring_decisions"),
            _monitoring,
            (
                "风险未消除监测对象按类型和风险类型统计；一户填了几种风险，按风险类型各计一次。",
                "识别认定办结情况：监测对象识别程序从发现到县级审批，对照办结时限（政策参数“监测识别办结时限”）。",
            ),
        ),
        Definition(
            "doubts",
            "疑点核实情况表",
            "疑点核实",
            "行业数据比对疑点按规则的待核实、属实、不属实条数",
            ("doubts_open_by_rule", "doubts_confirmed_by_rule", "doubts_rejected_by_rule"),
            None,
            ("属实含已整改；核实进度 = 已核实 ÷ 疑点总数 × 100%。",),
        ),
    )
}


def definition(kind: str) -> Definition:
    try:
        return DEFINITIONS[kind]
    except KeyError:
        raise NotFoundOrForbidden(f"没有这种报表：{kind}") from None


def build(user: UserLike, kind: str, region_key: str, year: int | None = None) -> Table:
    """The table ``kind`` for the region (inside the user's jurisdiction) and year (default: the latest)."""
    spec = definition(kind)
    year = selectors.report_year(user, region_key, year)
    data = selectors.region_values(user, region_key, year, list(spec.codes))
    if spec.measures is None:
        columns, rows = _doubt_rows(data.region, data.values)
    else:
        columns, rows = _region_rows(data, spec.measures())
    region = data.region
    return Table(
        kind=kind,
        name=spec.name,
        title=f"{region.name}{year}年{spec.name}",
        region_code=region.code,
        region_name=region.name,
        year=year,
        unit=region.full_name() or region.name,
        as_of=data.as_of,
        columns=columns,
        rows=rows,
        notes=(*(f"{i}. {n}" for i, n in enumerate(spec.notes, start=1)), SIGNATURES),
    )


def _child_level_name(region: Region) -> str:
    return {
        1: "市（州）",
        2: "县（市、区）",
        3: "乡镇（街道）",
        4: "行政村（社区）",
        5: "行政村（社区）",
    }.get(region.level, "地区")


def _region_rows(
    data: selectors.RegionValues, measures: list[Measure]
) -> tuple[tuple[Column, ...], tuple[Row, ...]]:
    columns = (Column(_child_level_name(data.region), kind="text", width=16), *(m.column for m in measures))
    children = data.children or [(data.region, data.values)]  # a village has no children: its own row
    rows = [Row(r.code, (r.name, *(m.get(v) for m in measures))) for r, v in children]
    rows.append(Row(data.region.code, ("合计", *(m.get(data.values) for m in measures)), total=True))
    return columns, tuple(rows)


DOUBT_COLUMNS = (
    Column("规则编号", kind="text", width=9),
    Column("规则名称", kind="text", width=34),
    Column("疑点总数", source="三项之和", width=9),
    Column("待核实", source="doubts_open_by_rule", width=9),
    Column("小计", "已核实", source="属实 + 不属实", width=9),
    Column("属实（含已整改）", "已核实", source="doubts_confirmed_by_rule", width=10),
    Column("不属实", "已核实", source="doubts_rejected_by_rule", width=9),
    Column("核实进度（%）", kind="pct", source="已核实 ÷ 疑点总数", width=10),
)


def _doubt_cells(open_: int, confirmed: int, rejected: int) -> tuple[int, int, int, int, int, Decimal]:
    done = confirmed + rejected
    everything = open_ + done
    progress = (Decimal(done) * 100 / everything).quantize(Decimal("0.01")) if everything else Decimal("0.00")
    return everything, open_, done, confirmed, rejected, progress


def _doubt_rows(region: Region, values: Values) -> tuple[tuple[Column, ...], tuple[Row, ...]]:
    """One row per rule of the catalogue (rules without doubts show zeros), then 合计."""
    from jingzhun.comparison.models import Rule

    # a code with a region's own version too: the national name (ordered last, it wins)
    names = dict(Rule.objects.order_by("code", "-region_prefix").values_list("code", "name"))
    for _code, rule in values:
        names.setdefault(rule, "（规则已不在目录中）")

    def n(state: str, rule: str) -> int:
        return int(count(f"doubts_{state}_by_rule", rule)(values))

    rows = [
        Row(rule, (rule, name, *_doubt_cells(n("open", rule), n("confirmed", rule), n("rejected", rule))))
        for rule, name in sorted(names.items())
    ]
    sums = [_sum(values, f"doubts_{s}_by_rule") for s in ("open", "confirmed", "rejected")]
    rows.append(Row(region.code, ("合计", "", *_doubt_cells(*sums)), total=True))
    return DOUBT_COLUMNS, tuple(rows)
