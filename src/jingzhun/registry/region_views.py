"""Web views: the region tree (区划) with household counts, inside the user's jurisdiction only.

The page lives in the registry because it counts households; the regions app below knows only the tree."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from jingzhun.core.restrict import UserLike, home_prefix, jurisdiction
from jingzhun.core.views import web_errors
from jingzhun.regions.access import access_region
from jingzhun.regions.choices import PREFIX_LENGTH, Level
from jingzhun.regions.models import Region
from jingzhun.registry import selectors

if TYPE_CHECKING:
    from jingzhun.accounts.requests import AuthenticatedHttpRequest

PREFIX_LENGTHS = frozenset(PREFIX_LENGTH.values())


def _breadcrumb(user: UserLike, region: Region | None) -> list[Region]:
    if region is None:
        return []
    prefix = home_prefix(user)
    return [r for r in [*region.ancestors(), region] if r.prefix.startswith(prefix)]


@login_required
@web_errors
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    code = request.GET.get("code", "")
    region = access_region(user, code) if code else getattr(user, "region", None)
    no_jurisdiction = region is None and jurisdiction(user) is None
    rows = [] if no_jurisdiction else selectors.region_children_counts(user, region)
    own = None
    if region is not None and not rows:
        # A village has no children: show its own counts, read from its parent's breakdown.
        own = next(
            (r for r in selectors.region_children_counts(user, region.parent) if r.region == region), None
        )
    totals = {
        key: sum(getattr(r, key) for r in rows) if rows else getattr(own, key, 0)
        for key in ("households", "members", "registered", "monitored")
    }
    context = {
        "region": region,
        "rows": rows,
        "totals": totals,
        "breadcrumb": _breadcrumb(user, region),
        "no_jurisdiction": no_jurisdiction,
        "village_level": Level.VILLAGE,
        "title": region.name if region else _("全部区划"),
    }
    return render(request, "regions/index.html", context)
