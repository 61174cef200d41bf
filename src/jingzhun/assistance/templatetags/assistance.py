"""Template tags for other apps' pages: a household's helpers and measures on the household page."""

from __future__ import annotations

from typing import Any

from django import template

from jingzhun.accounts.models import User
from jingzhun.assistance import selectors
from jingzhun.registry import access

register = template.Library()


@register.simple_tag
def household_assistance(household: Any, user: User) -> dict[str, Any]:
    """The household's pairings and measures as far as the user may see them, and whether the user may
    change them here or import more."""
    found = selectors.household_assistance(user, household.pk)
    can_edit = access.households_for(user, "change").filter(pk=household.pk).exists()
    return {
        "pairings": found.pairings,
        "years": found.years,
        "can_import": access.can_import(user),
        "can_edit": can_edit,
    }
