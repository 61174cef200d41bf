"""Web views: the region tree (区划) with household counts, inside the user's jurisdiction only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from jingzhun.accounts.choices import Role
from jingzhun.core.errors import NotFoundOrForbidden
from jingzhun.core.views import web_errors
from jingzhun.regions.choices import PREFIX_LENGTH, Level
from jingzhun.regions.models import Region
from jingzhun.registry import selectors

PREFIX_LENGTHS = frozenset(PREFIX_LENGTH.values())


def access_region(user: object, key: str) -> Region:
    """The region with this 12-digit code or significant prefix, if it lies inside the user's jurisdiction.

    Missing, malformed and not-yours all raise the same NotFoundOrForbidden.
    (Candidate for ``regions/access.py`` once that module exists.)
    """
    key = (key or "").strip()
    if not key.isdigit() or len(key) not in PREFIX_LENGTHS or not getattr(user, "is_authenticated", False):
        raise NotFoundOrForbidden("区划不存在或无权访问")
    region = Region.objects.filter(Q(code=key) | Q(prefix=key)).first()
    if region is None:
        raise NotFoundOrForbidden("区划不存在或无权访问")
    if user.role == Role.ADMIN:  # type: ignore[attr-defined]
        return region
    prefix = user.jurisdiction_prefix  # type: ignore[attr-defined]
    if prefix is None or not region.prefix.startswith(prefix):
        raise NotFoundOrForbidden("区划不存在或无权访问")
    return region


def _breadcrumb(user: object, region: Region | None) -> list[Region]:
    if region is None:
        return []
    prefix = getattr(user, "jurisdiction_prefix", None) or ""
    return [r for r in [*region.ancestors(), region] if r.prefix.startswith(prefix)]


@login_required
@web_errors
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    code = request.GET.get("code", "")
    region = access_region(user, code) if code else getattr(user, "region", None)
    no_jurisdiction = region is None and user.role != Role.ADMIN  # type: ignore[attr-defined]
    rows = [] if no_jurisdiction else selectors.region_children_counts(user, region)
    own = None
    if region is not None and not rows:
        # A village has no children: show its own counts, read from its parent's breakdown.
        own = next((r for r in selectors.region_children_counts(user, region.parent) if r.region == region), None)
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
