"""Web pages of the indicators (统计指标, issue 5): the dashboard, the households behind a number, the
village and county exit checks, and the refresh button.

The dashboard reads only the pre-aggregated ``IndicatorValue`` (through ``selectors``, inside the
jurisdiction ``access`` allows), so it stays fast for a province. The list behind a number comes from the
register through the indicator's own definition (``selectors.households_behind``). The exit checks are the
policy criteria (``policy.criteria``). A refresh runs through ``hooks`` in the background.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from jingzhun.accounts.models import User
from jingzhun.accounts.requests import AuthenticatedHttpRequest
from jingzhun.analytics import access, drilldown, hooks, indicators, selectors
from jingzhun.analytics.models import IndicatorValue
from jingzhun.analytics.refresh import DB_INDICATORS
from jingzhun.core.errors import NotFoundOrForbidden, PermissionDeniedError
from jingzhun.core.views import web_errors
from jingzhun.policy.criteria import Evaluation, evaluate_county_exit, evaluate_village_exit
from jingzhun.regions.choices import Level
from jingzhun.regions.models import Region
from jingzhun.registry.models import Member

PAGE_SIZE = 50
# What the region bar can compare (indicators whose total over the breakdown counts each household once).
BAR_CODES = (
    "households_by_status",
    "people_by_status",
    "remaining_poor_people",
    "poverty_incidence",
    "monitoring_by_type",
    "elimination_by_mode",
    "households_by_cause",
    "exits_by_year",
    "returns_by_year",
)
DEFAULT_BAR = "households_by_status"
# The county exit's rates come from the third-party assessment (第三方评估), not from the register.
ASSESSMENT_RATES = frozenset({"wrong_exit_rate", "missed_rate", "approval"})
MIN_YEAR, MAX_YEAR = 1978, 2100


def _get_only(request: HttpRequest) -> HttpResponse | None:
    return None if request.method in ("GET", "HEAD") else HttpResponseNotAllowed(["GET"])


def _year_param(request: HttpRequest, default: int) -> tuple[int, list[str]]:
    raw = request.GET.get("year", "").strip()
    if not raw:
        return default, []
    if raw.isdigit() and MIN_YEAR <= int(raw) <= MAX_YEAR:
        return int(raw), []
    return default, ["年度无效，已忽略。"]


def _number(value: Decimal, rate: bool = False) -> str:
    if rate:
        return f"{value.quantize(Decimal('0.01'))}"
    return f"{int(value):,}"


def dashboard_url(region: Region, year: int, **extra: str) -> str:
    query = {"region": region.code, "year": year, **{k: v for k, v in extra.items() if v}}
    return f"{reverse('analytics:dashboard')}?{urlencode(query)}"


def drill_url(code: str, region: Region, year: int, dim: str = "") -> str:
    """The list behind a number: the households of an indicator, or the doubt queue for doubts."""
    if code in DB_INDICATORS:
        queue = {"region": region.prefix, **({"rule": dim} if dim else {})}
        return f"{reverse('comparison:queue')}?{urlencode(queue)}"
    query: dict[str, str | int] = {"region": region.code, "year": year, **({"dim": dim} if dim else {})}
    return f"{reverse('analytics:households', args=[code])}?{urlencode(query)}"


def _breadcrumb(user: User, region: Region) -> list[Region]:
    root = access.jurisdiction_root(user)
    return [r for r in [*region.ancestors(), region] if r.prefix.startswith(root)]


# ---------------------------------------------------------------------------------------------------
# The dashboard


Values = dict[tuple[str, str], IndicatorValue]


def _sum(values: Values, code: str) -> Decimal:
    """The total of an indicator over its breakdown (a rate: its own value)."""
    if code in indicators.BY_CODE:
        return selectors.total(values, code)
    return sum((v.value for (c, _), v in values.items() if c == code), Decimal(0))


def _dims(values: Values, code: str) -> list[tuple[str, Decimal]]:
    return sorted(
        ((d, v.value) for (c, d), v in values.items() if c == code and d and v.value), key=lambda x: x[0]
    )


@dataclass
class Part:
    label: str
    value: str
    raw: Decimal
    url: str


@dataclass
class Card:
    key: str
    label: str
    raw: Decimal
    unit: str
    url: str = ""
    rate: bool = False
    accent: bool = False
    note: str = ""
    parts: list[Part] = field(default_factory=list)

    @property
    def value(self) -> str:
        return _number(self.raw, self.rate)


def _parts(
    values: Values, code: str, region: Region, year: int, labels: dict[str, str] | None = None, limit: int = 6
) -> list[Part]:
    labels = labels if labels is not None else indicators.BY_CODE[code].dims
    rows = sorted(_dims(values, code), key=lambda x: -x[1])[:limit]
    return [Part(labels.get(d, d), _number(n), n, drill_url(code, region, year, d)) for d, n in rows]


def _cards(values: Values, region: Region, year: int) -> list[Card]:
    def card(key: str, label: str, code: str, unit: str, linked: bool = True, **kw: Any) -> Card:
        return Card(
            key, label, _sum(values, code), unit, drill_url(code, region, year) if linked else "", **kw
        )

    registered = card(
        "registered",
        "建档立卡户",
        "households_by_status",
        "户",
        accent=True,
        parts=_parts(values, "households_by_status", region, year),
    )
    people = _sum(values, "people_by_status")
    registered.parts.insert(
        0, Part("人数（人）", _number(people), people, drill_url("people_by_status", region, year))
    )
    incidence = values.get(("poverty_incidence", ""))
    # a household with two problems is counted under both: the total is not a list of households
    gaps = card(
        "gaps",
        "三保障问题户",
        "guarantee_gaps",
        "户次",
        linked=False,
        parts=_parts(values, "guarantee_gaps", region, year),
        note="一户可计入几项",
    )
    doubts = card(
        "doubts_open",
        "待核实疑点",
        "doubts_open_by_rule",
        "条",
        parts=_parts(values, "doubts_open_by_rule", region, year, labels={}, limit=4),
    )
    unpaired = values.get(("helper_coverage", "unpaired"))
    helpers = Card(
        "unpaired",
        "未结对帮扶责任人",
        unpaired.value if unpaired else Decimal(0),
        "户",
        drill_url("helper_coverage", region, year, "unpaired"),
        note="需帮扶户中",
        parts=_parts(values, "helper_coverage", region, year)
        + _parts(values, "measure_coverage", region, year),
    )
    return [
        registered,
        card("remaining", "剩余贫困人口", "remaining_poor_people", "人", accent=True),
        card(
            "incidence",
            "贫困发生率",
            "poverty_incidence",
            "%",
            rate=True,
            note=(f"{incidence.numerator or 0:,} ÷ {incidence.denominator or 0:,} 人" if incidence else ""),
        ),
        card(
            "monitoring",
            "监测对象（风险未消除）",
            "monitoring_by_type",
            "户",
            accent=True,
            parts=_parts(values, "monitoring_by_type", region, year),
        ),
        card(
            "eliminated",
            "风险已消除",
            "elimination_by_mode",
            "户",
            parts=_parts(values, "elimination_by_mode", region, year),
        ),
        gaps,
        helpers,
        doubts,
    ]


def _charts(user: User, values: Values, region: Region, year: int, bar: str) -> dict[str, Any]:
    """The data of the three charts (and of the tables under them), each point with the URL it opens."""
    exits = dict(_dims(values, "exits_by_year"))
    returns = dict(_dims(values, "returns_by_year"))
    trend = [
        {
            "year": y,
            "exits": int(exits.get(y, 0)),
            "exits_url": drill_url("exits_by_year", region, year, y),
            "returns": int(returns.get(y, 0)),
            "returns_url": drill_url("returns_by_year", region, year, y),
        }
        for y in sorted(set(exits) | set(returns))
    ]
    cause = indicators.BY_CODE["households_by_cause"]
    causes = [
        {"name": cause.label(d), "value": int(n), "url": drill_url(cause.code, region, year, d)}
        for d, n in sorted(_dims(values, cause.code), key=lambda x: -x[1])
    ]
    indicator = indicators.BY_CODE[bar]
    kids = selectors.children(user, region.code, year, bar) if region.level < Level.VILLAGE else []
    items = [
        {
            "name": kid.name,
            "code": kid.code,
            "value": float(value),
            "display": _number(value, indicator.rate),
            "url": dashboard_url(kid, year, indicator=bar),
            "drill": drill_url(bar, kid, year),
        }
        for kid, value in kids
    ]
    return {
        "trend": trend,
        "causes": causes,
        "regions": {
            "indicator": indicator.name,
            "unit": indicator.unit,
            "items": items,
            "height": max(220, 30 * len(items) + 40),
        },
    }


def _refresh_status(user: User, region: Region, refreshed: dt.datetime | None) -> dict[str, Any]:
    county = access.refresh_county(user, region)
    return {"refreshed_at": refreshed, "county": county, "running": hooks.refreshing(region.prefix)}


FIGURES_SECONDS = 24 * 3600  # a region's rendered figures are kept until its next refresh, at most a day


def _figures(
    user: User, region: Region, year: int, bar: str, refreshed: dt.datetime | None
) -> dict[str, Any]:
    """The cards, charts and region table of one region and year: their data and their rendered HTML.

    They depend on the region, year, compared indicator and language only (the user has passed the region's
    access; every region under it is theirs), and change only when the region is refreshed: kept in the
    cache under the region's computation time, so twenty leaders on one page cost one rendering.
    """
    key = f"analytics:figures:{region.code}:{year}:{bar}:{get_language()}:{refreshed.isoformat() if refreshed else ''}"
    if refreshed is not None and (kept := cache.get(key)) is not None:
        return {**kept, "figures": mark_safe(kept["figures"])}
    _region, values = selectors.region_values(user, region.code, year)
    figures: dict[str, Any] = {
        "has_values": bool(values),
        "cards": [],
        "charts": {},
        "figures": "",
        "children": [(r.code, r.name) for r in region.children.order_by("code")],
    }
    if values:
        figures["cards"] = _cards(values, region, year)
        figures["charts"] = _charts(user, values, region, year, bar)
        figures["figures"] = str(
            render_to_string(
                "analytics/_figures.html",
                {
                    "region": region,
                    "year": year,
                    "bar": bar,
                    **figures,
                    "bar_options": [(code, indicators.BY_CODE[code].name) for code in BAR_CODES],
                },
            )
        )
    if refreshed is not None:
        cache.set(key, figures, FIGURES_SECONDS)
    return {**figures, "figures": mark_safe(figures["figures"])}  # our own template's output


@login_required
@web_errors
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    region = access.access_figures(user, request.GET.get("region", "").strip())
    if (refused := _get_only(request)) is not None:
        return refused
    refreshes = selectors.refreshes(region)
    years = sorted(refreshes)
    year, notices = _year_param(request, years[-1] if years else timezone.localdate().year)
    bar = request.GET.get("indicator", "").strip() or DEFAULT_BAR
    if bar not in BAR_CODES:
        notices.append("指标无效，已显示建档立卡户数。")
        bar = DEFAULT_BAR
    status = _refresh_status(user, region, refreshes.get(year))
    context = {
        "region": region,
        "year": year,
        "years": sorted(set(years) | {year}),
        "notices": notices,
        "breadcrumb": _breadcrumb(user, region),
        **_figures(user, region, year, bar, status["refreshed_at"]),
        "bar": bar,
        "exit_url": f"{reverse('analytics:exit')}?{urlencode({'region': region.code, 'year': year})}",
        **status,
    }
    response = render(request, "analytics/dashboard.html", context)
    if getattr(request, "htmx", False) and not context["running"]:
        response["HX-Refresh"] = (
            "true"  # the refresh status was polled and the refresh is done: reload it all
        )
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@web_errors
def refresh(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A county administrator's 「刷新指标」: the county's figures for this year, in the background."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    user = request.user
    region = access.access_figures(user, request.POST.get("region", "").strip())
    county = access.refresh_county(user, region)
    if county is None:
        raise PermissionDeniedError("只有县级管理员可以刷新指标")
    hooks.request_refresh([county])
    done = not hooks.refreshing(county)
    messages.success(request, "指标已刷新" if done else "已开始刷新指标，完成后本页显示新的更新时间")
    year = request.POST.get("year", "").strip()
    query = {"region": region.code, **({"year": year} if year.isdigit() else {})}
    return redirect(f"{reverse('analytics:dashboard')}?{urlencode(query)}")


# ---------------------------------------------------------------------------------------------------
# The households behind a number


@login_required
@web_errors
def households(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    user = request.user
    indicator = indicators.get(code)
    region = access.access_figures(user, request.GET.get("region", "").strip())
    if (refused := _get_only(request)) is not None:
        return refused
    dim = request.GET.get("dim", "").strip()
    if dim and not drilldown.valid_dim(indicator, dim):
        raise NotFoundOrForbidden("没有这个分组")
    years = selectors.years(user, region.code)
    year, notices = _year_param(request, years[-1] if years else timezone.localdate().year)
    _region, values = selectors.region_values(user, region.code, year, codes=[code])
    row = values.get((code, dim))
    number = (row.value if row else Decimal(0)) if dim or indicator.rate else _sum(values, code)
    numerator = row.numerator if row and indicator.rate else None
    qs = drilldown.households(user, indicator, region, dim, values)
    page = Paginator(
        qs.select_related("village__parent").annotate(
            size=Count("members", filter=Q(members__left_on__isnull=True))
        ),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    people = (
        Member.objects.filter(household__in=qs.order_by().values("pk"), left_on__isnull=True).count()
        if indicator.people
        else None
    )
    counted = people if indicator.people else page.paginator.count
    expected = numerator if indicator.rate else number
    multi = indicator.code == "guarantee_gaps" and not dim  # a household with two problems is listed once
    context = {
        "indicator": indicator,
        "dim": dim,
        "dim_label": indicator.label(dim) if dim else "",
        "region": region,
        "year": year,
        "notices": notices,
        "breadcrumb": _breadcrumb(user, region),
        "number": _number(number, indicator.rate),
        "raw": number,
        "numerator": numerator,
        "people": people,
        "page": page,
        "refreshed_at": selectors.refreshed_at(region, year),
        "differs": bool(values) and not multi and Decimal(counted or 0) != Decimal(expected or 0),
        "multi": multi,
        "back": dashboard_url(region, year),
    }
    return render(request, "analytics/households.html", context)


# ---------------------------------------------------------------------------------------------------
# Exit checks


@dataclass
class Check:
    region: Region
    evaluation: Evaluation
    pending: set[str]  # criteria not yet evaluated (the assessment's rates)

    @property
    def verdict(self) -> str:
        if any(c.required and not c.passed and c.code not in self.pending for c in self.evaluation.criteria):
            return "failed"
        return "pending" if self.pending else "passed"


@login_required
@web_errors
def exit_checks(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    region = access.access_figures(user, request.GET.get("region", "").strip())
    if (refused := _get_only(request)) is not None:
        return refused
    year, notices = _year_param(request, timezone.localdate().year)
    checks: list[Check] = []
    if region.level == Level.COUNTY:
        # The three rates come from the county's assessment survey of the year; without one: 未评估.
        evaluation = evaluate_county_exit(region, year=year)
        checks = [Check(region, evaluation, set() if evaluation.survey else set(ASSESSMENT_RATES))]
    elif region.level == Level.TOWNSHIP:
        checks = [
            Check(v, evaluate_village_exit(v, year=year), set()) for v in region.children.order_by("code")
        ]
    elif region.level == Level.VILLAGE:
        checks = [Check(region, evaluate_village_exit(region, year=year), set())]
    context = {
        "region": region,
        "year": year,
        "notices": notices,
        "checks": checks,
        "breadcrumb": _breadcrumb(user, region),
        "children": list(region.children.order_by("code")),
        "county": region.level == Level.COUNTY,
        "above_county": region.level < Level.COUNTY,
        "years": list(range(timezone.localdate().year, timezone.localdate().year - 8, -1)),
        "dashboard": dashboard_url(region, year),
        "on": dt.date(year, 12, 31),
    }
    return render(request, "analytics/exit.html", context)
