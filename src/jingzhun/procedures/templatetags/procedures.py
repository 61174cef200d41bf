"""Template tags for other apps' pages: a household's cases on the household page."""

from __future__ import annotations

from typing import Any

from django import template

from jingzhun.accounts.models import User
from jingzhun.procedures import access

register = template.Library()


@register.simple_tag
def household_cases(household: Any, user: User) -> dict[str, Any]:
    """The household's cases the user may see, and whether the user may open a new one."""
    cases = (
        access.cases_for(user).filter(household=household).select_related("next_step").order_by("-pk")[:20]
    )
    can_open = access.households_for(user, "change").filter(pk=household.pk).exists()
    return {"cases": list(cases), "can_open": can_open}
