"""The household's optimistic lock: every edit of a household or of anything under it (members, years,
helpers, measures) carries the version the form was opened at."""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from jingzhun.core.errors import ConcurrentEditError
from jingzhun.registry.models import Household


def lock_household(household: Household, expected_version: int) -> None:
    """Bump the version only if nobody saved since the form was opened; otherwise refuse. Call it inside
    the transaction of the edit."""
    updated = Household.objects.filter(pk=household.pk, version=expected_version).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    if updated != 1:
        raise ConcurrentEditError()
    household.version = expected_version + 1
