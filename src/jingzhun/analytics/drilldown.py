"""The households behind a number, for the web page and the API: one breakdown value, or an indicator's
total (the households of every breakdown value the table holds for the region and year).

Built on ``selectors.households_behind`` (the indicator's own definition, through the user's access).
"""

from __future__ import annotations

from django.db.models import QuerySet

from jingzhun.analytics import indicators, selectors
from jingzhun.analytics.models import IndicatorValue
from jingzhun.core.restrict import UserLike
from jingzhun.regions.models import Region
from jingzhun.registry.models import Household


def valid_dim(indicator: indicators.Indicator, dim: str) -> bool:
    """Is ``dim`` one of the indicator's breakdown values (a year for the per-year indicators)?"""
    if indicator.dims:
        return dim in indicator.dims
    if indicator.dim_name:
        return dim.isdigit() and len(dim) == 4
    return False


def breakdown(values: dict[tuple[str, str], IndicatorValue], code: str) -> list[str]:
    """The breakdown values of ``code`` with a non-zero value, in code order."""
    return sorted(d for (c, d), v in values.items() if c == code and d and v.value)


def households(
    user: UserLike,
    indicator: indicators.Indicator,
    region: Region,
    dim: str,
    values: dict[tuple[str, str], IndicatorValue],
) -> QuerySet[Household]:
    """The households behind one value, or behind the indicator's total when ``dim`` is empty. A household
    counted under two breakdown values (two 三保障 problems) is listed once."""
    if dim or not (indicator.dims or indicator.dim_name):
        return selectors.households_behind(user, indicator.code, region.code, dim)
    dims = breakdown(values, indicator.code) or list(indicator.dims)
    if not dims:
        return Household.objects.none()
    qs = selectors.households_behind(user, indicator.code, region.code, dims[0])
    for d in dims[1:]:
        qs = qs | selectors.households_behind(user, indicator.code, region.code, d)
    return qs
