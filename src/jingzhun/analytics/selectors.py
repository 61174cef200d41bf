"""Reading indicators for a user: always through the region access (a region outside the jurisdiction is
answered like a missing one), always from the pre-aggregated table, and the households behind a number
through the registry's access."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import QuerySet

from jingzhun.analytics import indicators
from jingzhun.analytics.models import IndicatorRefresh, IndicatorValue
from jingzhun.core.restrict import UserLike
from jingzhun.regions.access import access_region
from jingzhun.regions.models import Region
from jingzhun.registry.access import households_for
from jingzhun.registry.models import Household


def region_values(
    user: UserLike, region_key: str, year: int, codes: list[str] | None = None
) -> tuple[Region, dict[tuple[str, str], IndicatorValue]]:
    """Every indicator value of one region and year, keyed by (code, dim)."""
    region = access_region(user, region_key)
    qs = IndicatorValue.objects.filter(region_code=region.code, year=year)
    if codes:
        qs = qs.filter(code__in=codes)
    return region, {(v.code, v.dim): v for v in qs}


def refreshed_at(region: Region, year: int) -> dt.datetime | None:
    """When the region's figures for the year were computed (None: never). ``region`` has passed the access."""
    return (
        IndicatorRefresh.objects.filter(region_code=region.code, year=year)
        .values_list("refreshed_at", flat=True)
        .first()
    )


def total(values: dict[tuple[str, str], IndicatorValue], code: str) -> Decimal:
    """An indicator's total over its breakdown (a rate's own value)."""
    if indicators.get(code).rate:
        row = values.get((code, ""))
        return row.value if row else Decimal(0)
    return sum((v.value for (c, _), v in values.items() if c == code), Decimal(0))


def children(
    user: UserLike, region_key: str, year: int, code: str, dim: str | None = None
) -> list[tuple[Region, Decimal]]:
    """The value of ``code`` (one ``dim``, or the total over dims) for each child region, for a region bar."""
    region = access_region(user, region_key)
    kids = list(region.children.order_by("code"))
    qs = IndicatorValue.objects.filter(code=code, year=year, region_code__in=[k.code for k in kids])
    if dim is not None:
        qs = qs.filter(dim=dim)
    sums: dict[str, Decimal] = {}
    rate = indicators.get(code).rate
    for v in qs:
        if rate and v.dim:
            continue
        sums[v.region_code] = sums.get(v.region_code, Decimal(0)) + v.value
    return [(k, sums.get(k.code, Decimal(0))) for k in kids]


def refreshes(region: Region) -> dict[int, dt.datetime]:
    """Year → when the region's figures for it were computed. ``region`` has passed the access."""
    return dict(IndicatorRefresh.objects.filter(region_code=region.code).values_list("year", "refreshed_at"))


def years(user: UserLike, region_key: str) -> list[int]:
    region = access_region(user, region_key)
    return sorted(IndicatorRefresh.objects.filter(region_code=region.code).values_list("year", flat=True))


def households_behind(user: UserLike, code: str, region_key: str, dim: str = "") -> QuerySet[Household]:
    """The households behind one number: the indicator's own definition, inside the region, through the
    user's access (a leader sees them; a helper sees none)."""
    indicator = indicators.get(code)
    region = access_region(user, region_key)
    qs = households_for(user).filter(village__code__startswith=region.prefix)
    if indicator.households is None:
        return qs.none()
    return qs.filter(indicator.households(dim, region.prefix)).order_by("village_id", "household_number")
