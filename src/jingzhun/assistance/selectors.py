"""Reads of assistance data, restricted to what the user may see (``registry.access``)."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from jingzhun.accounts.models import User
from jingzhun.assistance.models import Measure, Pairing
from jingzhun.core.errors import NotFoundOrForbidden
from jingzhun.registry import access


@dataclass(frozen=True)
class HouseholdAssistance:
    pairings: list[
        tuple[Pairing, bool]
    ]  # (pairing, in force today), those in force first, latest start first
    years: list[tuple[int, list[Measure]]]  # measures by year, latest year first


def household_assistance(user: User, household_id: int, today: dt.date | None = None) -> HouseholdAssistance:
    """A household's helpers and measures; nothing for a household the user may not see."""
    visible = access.households_for(user, "view").filter(pk=household_id)
    today = today or timezone.localdate()
    pairings = [
        (p, p.active_on(today))
        for p in Pairing.objects.filter(household__in=visible).order_by("-started_on", "helper_name")
    ]
    pairings.sort(key=lambda item: not item[1])  # stable: in force first, each part still latest first
    measures = Measure.objects.filter(household__in=visible).order_by("-year", "family")
    years = [(year, list(rows)) for year, rows in itertools.groupby(measures, key=lambda m: m.year)]
    return HouseholdAssistance(pairings=pairings, years=years)


def record_of(
    model: type[Pairing] | type[Measure], user: User, pk: int, action: access.Action = "view"
) -> Any:
    """A pairing or measure of a household the user may see (``action`` "change": may change), or
    NotFoundOrForbidden, the same answer as for a missing id."""
    row = model.objects.filter(pk=pk, household__in=access.households_for(user, action)).first()
    if row is None:
        raise NotFoundOrForbidden(f"{model._meta.verbose_name}不存在或无权访问")
    return row
