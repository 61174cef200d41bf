"""Template tags for other apps' pages: a household's helpers and measures on the household page."""

from __future__ import annotations

from typing import Any

from django import template

from jingzhun.assistance import selectors
from jingzhun.registry import access

register = template.Library()


@register.simple_tag
def household_assistance(household: Any, user: Any) -> dict[str, Any]:
    """The household's pairings and measures as far as the user may see them, and whether the user may
    import more."""
    found = selectors.household_assistance(user, household.pk)
    return {"pairings": found.pairings, "years": found.years, "can_import": access.can_import(user)}
