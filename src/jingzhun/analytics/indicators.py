"""The indicator catalogue: every figure's code, Chinese name, one definition, and the households behind it.

Each indicator is defined twice on purpose, and the tests hold the two together: as SQL over the register's
snapshot (``sql``: one row per village and breakdown value, counted set-based in DuckDB), and as a filter on
households (``households``: the drill-down list behind a number, through the ORM and the user's access).
Definitions are in ``docs/indicators.md``.

``sql`` returns ``village_code, dim, n`` (``dim`` '' when the indicator has no breakdown). Rates have
``denominator = "rural_population"``: the value is n ÷ the villages' rural population (from ``regions``),
both summed up the tree, so a county's rate is its own ratio, not an average of villages'.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Choices, Exists, OuterRef, Q

from jingzhun.registry import choices as c

REGISTERED = "COALESCE(poverty_status, '') <> ''"
REMAINING = "poverty_status IN ('0', '3')"  # 未脱贫 and 返贫: the registered poor who remain
MONITORED = "COALESCE(monitoring_type, '') <> ''"
RISK_OPEN = f"{MONITORED} AND COALESCE(risk_elimination, '') IN ('', '0')"


def _labels(choices: type[Choices]) -> dict[str, str]:
    return {str(k): str(v) for k, v in choices.choices}


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    unit: str
    definition: str
    sql: str
    dims: dict[str, str] = field(default_factory=dict)
    dim_name: str = ""
    denominator: str = ""  # "rural_population" for rates
    households: Callable[[str, str], Q] | None = (
        None  # (dim, region prefix) → filter on Household (drill-down)
    )
    people: bool = False  # the drill-down lists the households of the people counted

    @property
    def rate(self) -> bool:
        return bool(self.denominator)

    def label(self, dim: str) -> str:
        if not dim:
            return self.name
        return self.dims.get(dim, dim)


def _active_members(condition: Q | None = None) -> Q:
    from jingzhun.registry.models import Member

    members = Member.objects.filter(household=OuterRef("pk"), left_on__isnull=True)
    if condition is not None:
        members = members.filter(condition)
    return Q(Exists(members))


def _latest_year(condition: Q) -> Q:
    """Households whose latest data year satisfies ``condition`` (on HouseholdYear)."""
    from django.db.models import Max, Subquery

    from jingzhun.registry.models import HouseholdYear

    latest = (
        HouseholdYear.objects.filter(household=OuterRef("household"))
        .values("household")
        .annotate(m=Max("year"))
        .values("m")
    )
    rows = HouseholdYear.objects.filter(household=OuterRef("pk"), year=Subquery(latest)).filter(condition)
    return Q(Exists(rows))


def _with_risk(risk: str, prefix: str) -> Q:
    """Open monitored households with ``risk`` among their risk types (a JSON list: matched in Python, since
    SQLite has no JSON containment; a county's monitored households are a few thousand)."""
    from jingzhun.registry.models import Household

    rows = (
        Household.objects.filter(village__code__startswith=prefix, risk_elimination__in=["", "0"])
        .exclude(monitoring_type="")
        .values_list("pk", "risk_types")
    )
    return Q(pk__in=[pk for pk, risks in rows if risk in [str(r) for r in (risks or [])]])


STATUS = _labels(c.PovertyStatus)
ATTRIBUTE = _labels(c.Attribute)
CAUSE = _labels(c.Cause)
MONITORING = _labels(c.MonitoringType)
RISK = _labels(c.RiskType)
ELIMINATION = {"1": "帮扶消除", "2": "自然消除"}
PAIRED = {"paired": "已结对帮扶责任人", "unpaired": "未结对帮扶责任人"}
MEASURED = {"with": "有已实施的帮扶措施", "without": "无已实施的帮扶措施"}
# The households that need a helper and measures: registered households still under the policies (未脱贫,
# 已脱贫(享受政策), 返贫) and monitored households whose risk is not eliminated.
NEEDS_HELP = f"(poverty_status IN ('0', '1', '3') OR ({RISK_OPEN}))"
GAPS = {
    "dropout": "义务教育阶段失学辍学",
    "no_medical": "未参加基本医疗保险",
    "housing": "住房为C、D级危房",
    "water": "未解决安全饮水",
}

INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "households_by_status",
        "建档立卡户数（按脱贫状态）",
        "户",
        "脱贫状态不为空的农户，按当前脱贫状态分组。",
        dims=STATUS,
        dim_name="脱贫状态",
        sql=f"SELECT village_code, poverty_status AS dim, COUNT(*) AS n FROM households WHERE {REGISTERED} "
        "GROUP BY village_code, poverty_status",
        households=lambda dim, prefix: Q(poverty_status=dim),
    ),
    Indicator(
        "people_by_status",
        "建档立卡人数（按脱贫状态）",
        "人",
        "上述农户的在册成员（没有减少时间），按户的脱贫状态分组。",
        dims=STATUS,
        dim_name="脱贫状态",
        people=True,
        sql=f"SELECT h.village_code, h.poverty_status AS dim, COUNT(*) AS n FROM members m "
        f"JOIN households h ON h.household_number = m.household_number "
        f"WHERE m.left_on IS NULL AND {REGISTERED.replace('poverty_status', 'h.poverty_status')} "
        "GROUP BY h.village_code, h.poverty_status",
        households=lambda dim, prefix: Q(poverty_status=dim) & _active_members(),
    ),
    Indicator(
        "households_by_attribute",
        "建档立卡户数（按贫困户属性）",
        "户",
        "脱贫状态不为空的农户，按贫困户属性分组。",
        dims=ATTRIBUTE,
        dim_name="贫困户属性",
        sql=f"SELECT village_code, attribute AS dim, COUNT(*) AS n FROM households WHERE {REGISTERED} "
        "GROUP BY village_code, attribute",
        households=lambda dim, prefix: Q(attribute=dim) & ~Q(poverty_status=""),
    ),
    Indicator(
        "households_by_cause",
        "建档立卡户数（按主要致贫原因）",
        "户",
        "脱贫状态不为空、填了主要致贫原因的农户，按主要致贫原因分组。",
        dims=CAUSE,
        dim_name="主要致贫原因",
        sql=f"SELECT village_code, main_cause AS dim, COUNT(*) AS n FROM households WHERE {REGISTERED} "
        "AND COALESCE(main_cause, '') <> '' GROUP BY village_code, main_cause",
        households=lambda dim, prefix: Q(main_cause=dim) & ~Q(poverty_status=""),
    ),
    Indicator(
        "exits_by_year",
        "脱贫户数（按脱贫年度）",
        "户",
        "填了脱贫年度的建档立卡户，按脱贫年度分组（现为返贫户的也计入其脱贫年度）。",
        dim_name="脱贫年度",
        sql=f"SELECT village_code, CAST(exit_year AS VARCHAR) AS dim, COUNT(*) AS n FROM households "
        f"WHERE {REGISTERED} AND exit_year IS NOT NULL GROUP BY village_code, exit_year",
        households=lambda dim, prefix: Q(exit_year=int(dim)) & ~Q(poverty_status=""),
    ),
    Indicator(
        "returns_by_year",
        "返贫户数（按返贫年度）",
        "户",
        "填了返贫年度的农户，按返贫年度分组。",
        dim_name="返贫年度",
        sql="SELECT village_code, CAST(return_year AS VARCHAR) AS dim, COUNT(*) AS n FROM households "
        "WHERE return_year IS NOT NULL GROUP BY village_code, return_year",
        households=lambda dim, prefix: Q(return_year=int(dim)),
    ),
    Indicator(
        "remaining_poor_people",
        "剩余贫困人口",
        "人",
        "未脱贫户和返贫户的在册成员。",
        people=True,
        sql=f"SELECT h.village_code, '' AS dim, COUNT(*) AS n FROM members m "
        f"JOIN households h ON h.household_number = m.household_number "
        f"WHERE m.left_on IS NULL AND h.{REMAINING} GROUP BY h.village_code",
        households=lambda dim, prefix: Q(poverty_status__in=["0", "3"]) & _active_members(),
    ),
    Indicator(
        "poverty_incidence",
        "贫困发生率",
        "%",
        "剩余贫困人口 ÷ 农村户籍人口（村的农村人口之和）。村出列、县摘帽按此判断（§3.3、§3.4）。",
        denominator="rural_population",
        people=True,
        sql=f"SELECT h.village_code, '' AS dim, COUNT(*) AS n FROM members m "
        f"JOIN households h ON h.household_number = m.household_number "
        f"WHERE m.left_on IS NULL AND h.{REMAINING} GROUP BY h.village_code",
        households=lambda dim, prefix: Q(poverty_status__in=["0", "3"]) & _active_members(),
    ),
    Indicator(
        "monitoring_by_type",
        "监测对象户数（按类型，风险未消除）",
        "户",
        "监测对象类型不为空、风险未消除的农户，按类型分组。",
        dims=MONITORING,
        dim_name="监测对象类型",
        sql=f"SELECT village_code, monitoring_type AS dim, COUNT(*) AS n FROM households WHERE {RISK_OPEN} "
        "GROUP BY village_code, monitoring_type",
        households=lambda dim, prefix: Q(monitoring_type=dim, risk_elimination__in=["", "0"]),
    ),
    Indicator(
        "monitoring_by_risk",
        "监测对象户数（按风险类型，风险未消除）",
        "户",
        "风险未消除的监测户，按所填的每一种致贫返贫风险计数（一户多种风险各计一次）。",
        dims=RISK,
        dim_name="风险类型",
        sql=f"SELECT village_code, risk AS dim, COUNT(*) AS n FROM ("
        f"SELECT village_code, UNNEST(string_split(trim(risk_types, ','), ',')) AS risk FROM households "
        f"WHERE {RISK_OPEN} AND COALESCE(risk_types, '') <> '') t GROUP BY village_code, risk",
        households=lambda dim, prefix: _with_risk(dim, prefix),
    ),
    Indicator(
        "elimination_by_mode",
        "风险已消除户数（按消除方式）",
        "户",
        "监测户中风险已消除的，按帮扶消除、自然消除分组。",
        dims=ELIMINATION,
        dim_name="消除方式",
        sql=f"SELECT village_code, risk_elimination AS dim, COUNT(*) AS n FROM households WHERE {MONITORED} "
        "AND risk_elimination IN ('1', '2') GROUP BY village_code, risk_elimination",
        households=lambda dim, prefix: Q(risk_elimination=dim) & ~Q(monitoring_type=""),
    ),
    Indicator(
        "guarantee_gaps",
        "两不愁三保障和饮水安全问题户数",
        "户",
        "未脱贫、返贫户和风险未消除的监测户中：有失学辍学成员；有成员未参加基本医疗保险；最新年度住房为 C、D 级；"
        "最新年度未解决安全饮水。一户可计入几项。",
        dims=GAPS,
        dim_name="问题",
        sql=f"""
SELECT h.village_code, g.dim, COUNT(DISTINCT h.household_number) AS n FROM households h JOIN (
  SELECT household_number, 'dropout' AS dim FROM members WHERE left_on IS NULL AND COALESCE(dropout_reason, '') <> ''
  UNION ALL SELECT household_number, 'no_medical' FROM members WHERE left_on IS NULL AND basic_medical_insurance = FALSE
  UNION ALL SELECT y.household_number, 'housing' FROM years y JOIN (
      SELECT household_number, MAX(year) AS year FROM years GROUP BY household_number) l
      ON l.household_number = y.household_number AND l.year = y.year WHERE y.housing_grade IN ('C', 'D')
  UNION ALL SELECT y.household_number, 'water' FROM years y JOIN (
      SELECT household_number, MAX(year) AS year FROM years GROUP BY household_number) l
      ON l.household_number = y.household_number AND l.year = y.year WHERE y.water_safe = FALSE
) g ON g.household_number = h.household_number
WHERE h.{REMAINING} OR ({RISK_OPEN.replace("monitoring_type", "h.monitoring_type").replace("risk_elimination", "h.risk_elimination")})
GROUP BY h.village_code, g.dim""",
        households=lambda dim, prefix: (
            (Q(poverty_status__in=["0", "3"]) | (~Q(monitoring_type="") & Q(risk_elimination__in=["", "0"])))
            & {
                "dropout": _active_members(~Q(dropout_reason="")),
                "no_medical": _active_members(Q(basic_medical_insurance=False)),
                "housing": _latest_year(Q(housing_grade__in=["C", "D"])),
                "water": _latest_year(Q(water_safe=False)),
            }[dim]
        ),
    ),
)


def _needs_help() -> Q:
    return Q(poverty_status__in=["0", "1", "3"]) | (
        ~Q(monitoring_type="") & Q(risk_elimination__in=["", "0"])
    )


def _paired() -> Q:
    """An active pairing today: started, and not ended before today."""
    import datetime as dt

    from jingzhun.assistance.models import Pairing

    today = dt.date.today()
    active = Pairing.objects.filter(household=OuterRef("pk"), started_on__lte=today).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=today)
    )
    return Q(Exists(active))


def _measured() -> Q:
    """An implemented measure in the household's latest year with measures."""
    from django.db.models import Max, Subquery

    from jingzhun.assistance.models import Measure

    latest = (
        Measure.objects.filter(household=OuterRef("household"))
        .values("household")
        .annotate(m=Max("year"))
        .values("m")
    )
    done = Measure.objects.filter(household=OuterRef("pk"), implemented=True, year=Subquery(latest))
    return Q(Exists(done))


ASSISTANCE: tuple[Indicator, ...] = (
    Indicator(
        "helper_coverage",
        "需帮扶户帮扶责任人结对情况",
        "户",
        "未脱贫、已脱贫(享受政策)、返贫户和风险未消除的监测户，按今天是否有在结帮扶责任人（开始日期不晚于今天、"
        "没有结束日期或结束日期不早于今天）分组。",
        dims=PAIRED,
        dim_name="结对",
        sql=f"""
SELECT h.village_code, CASE WHEN p.household_number IS NULL THEN 'unpaired' ELSE 'paired' END AS dim, COUNT(*) AS n
FROM households h LEFT JOIN (
  SELECT DISTINCT household_number FROM pairings
  WHERE started_on <= current_date AND (ended_on IS NULL OR ended_on >= current_date)
) p ON p.household_number = h.household_number
WHERE {NEEDS_HELP} GROUP BY 1, 2""",
        households=lambda dim, prefix: _needs_help() & (_paired() if dim == "paired" else ~_paired()),
    ),
    Indicator(
        "measure_coverage",
        "需帮扶户帮扶措施落实情况",
        "户",
        "同上范围的农户，按本户最新一个有帮扶措施的年度中是否有已实施的措施分组（没有任何措施记录的计入“无”）。",
        dims=MEASURED,
        dim_name="措施",
        sql=f"""
SELECT h.village_code, CASE WHEN m.household_number IS NULL THEN 'without' ELSE 'with' END AS dim, COUNT(*) AS n
FROM households h LEFT JOIN (
  SELECT DISTINCT x.household_number FROM measures x JOIN (
    SELECT household_number, MAX(year) AS year FROM measures GROUP BY household_number) l
    ON l.household_number = x.household_number AND l.year = x.year
  WHERE x.implemented
) m ON m.household_number = h.household_number
WHERE {NEEDS_HELP} GROUP BY 1, 2""",
        households=lambda dim, prefix: _needs_help() & (_measured() if dim == "with" else ~_measured()),
    ),
)
INDICATORS = INDICATORS + ASSISTANCE

BY_CODE: dict[str, Indicator] = {i.code: i for i in INDICATORS}


def get(code: str) -> Indicator:
    from jingzhun.core.errors import NotFoundOrForbidden

    try:
        return BY_CODE[code]
    except KeyError:
        raise NotFoundOrForbidden(f"没有这个指标：{code}") from None
