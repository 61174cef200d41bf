"""Reads for reports: a region and its child regions' indicator values, through the figures' access.

The numbers are the pre-aggregated ``IndicatorValue`` rows the dashboard reads (``analytics.selectors``),
and who may read them is the dashboard's rule too (``analytics.access.access_figures``: leaders and
officers inside their jurisdiction, helpers and department users none), so a report equals the
dashboard: one definition, one number, one audience. A region outside it is answered like a missing one
(``NotFoundOrForbidden``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from jingzhun.analytics import selectors as analytics
from jingzhun.analytics.access import access_figures
from jingzhun.analytics.models import IndicatorValue
from jingzhun.core.errors import JingzhunError
from jingzhun.core.restrict import UserLike
from jingzhun.regions.access import regions_for
from jingzhun.regions.models import Region

Values = dict[tuple[str, str], IndicatorValue]


class NoIndicators(JingzhunError):
    """The region has no indicator values for the year: they were never refreshed (or not for that year)."""

    code = "no_indicators"
    status = 422


@dataclass(frozen=True)
class RegionValues:
    region: Region
    year: int
    values: Values  # the region's own rows: its 合计
    children: list[tuple[Region, Values]]  # townships of a county, villages of a township (ordered by code)
    as_of: dt.date  # when the region's figures were last refreshed


def report_region(user: UserLike, region_key: str = "") -> Region:
    """The region whose reports ``user`` asks for (default: their own), as the dashboard decides it."""
    return access_figures(user, region_key)


def report_year(user: UserLike, region_key: str, year: int | None) -> int:
    """``year`` if given, else the latest year with indicator values for the region."""
    region = report_region(user, region_key)
    if year is not None:
        return year
    years = analytics.years(user, region.code)
    if not years:
        raise NoIndicators(f"{region.name}尚无统计指标数据，请先刷新指标后再生成报表")
    return years[-1]


def region_values(user: UserLike, region_key: str, year: int, codes: list[str]) -> RegionValues:
    """The region's values and each child region's, for ``codes``, in three queries (whatever the number of children)."""
    region, own = analytics.region_values(user, report_region(user, region_key).code, year, codes)
    # The region's computation time says it was refreshed for the year (whatever it counted).
    refreshed = analytics.refreshed_at(region, year)
    if refreshed is None:
        raise NoIndicators(f"{region.name}{year}年尚无统计指标数据，请先刷新指标后再生成报表")
    kids = list(region.children.order_by("code"))
    by_region: dict[str, Values] = {k.code: {} for k in kids}
    for v in IndicatorValue.objects.filter(region_code__in=list(by_region), year=year, code__in=codes):
        by_region[v.region_code][(v.code, v.dim)] = v
    return RegionValues(
        region, year, own, [(k, by_region[k.code]) for k in kids], timezone.localdate(refreshed)
    )


def report_regions(user: UserLike, selected: Region | None) -> list[Region]:
    """Regions to choose on the reports page: the user's own, its children, and the selected one's children."""
    visible = regions_for(user)
    own = getattr(user, "region", None)
    roots = [own] if own is not None else list(visible.filter(parent__isnull=True).order_by("code"))
    parents = {r.code for r in roots} | ({selected.code} if selected is not None else set())
    extra = list(visible.filter(parent_id__in=parents).order_by("code"))
    seen: dict[str, Region] = {}
    for r in [*roots, *([selected] if selected else []), *extra]:
        seen.setdefault(r.code, r)
    return sorted(seen.values(), key=lambda r: r.code)


def years(user: UserLike, region: Region) -> list[int]:
    return analytics.years(user, region.code)
