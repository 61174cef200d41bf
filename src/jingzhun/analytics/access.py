"""Who sees the figures: leaders and officers inside their jurisdiction; helpers and department users none.

A region outside the jurisdiction, and any region for a role that sees no figures, is answered exactly like
a code that does not exist (``regions.access``). Refreshing the figures is for a county's administrator
(and the system administrator).
"""

from __future__ import annotations

from jingzhun.analytics.models import IndicatorValue
from jingzhun.core.errors import NotFoundOrForbidden
from jingzhun.core.restrict import UserLike, home_prefix, jurisdiction, may, signed_in
from jingzhun.regions.access import access_region
from jingzhun.regions.choices import Level
from jingzhun.regions.models import Region


def can_view(user: UserLike | None) -> bool:
    """The roles that read every household of their jurisdiction (``view``) read its figures too."""
    return jurisdiction(user, "view") is not None


def access_figures(user: UserLike | None, key: str = "") -> Region:
    """The region whose figures ``user`` asks for: ``key`` (code or prefix), or by default their own region
    (for the system administrator: the first province that has figures)."""
    if not can_view(user):
        raise NotFoundOrForbidden("区划不存在或无权访问")
    if key:
        return access_region(user, key)
    person = signed_in(user)
    if person is not None and person.region is not None:
        return person.region
    top = (
        IndicatorValue.objects.filter(level=Level.PROVINCE)
        .order_by("region_code")
        .values_list("region_code", flat=True)
        .first()
    )
    region = Region.objects.filter(code=top).first() if top else None
    region = region or Region.objects.filter(level=Level.PROVINCE).order_by("code").first()
    if region is None:
        raise NotFoundOrForbidden("区划不存在或无权访问")
    return region


def jurisdiction_root(user: UserLike | None) -> str:
    """The prefix above which a user's breadcrumb and region picker do not go ('' for everything)."""
    return home_prefix(user)


def refresh_county(user: UserLike | None, region: Region) -> str | None:
    """The county (6-digit prefix) whose figures ``user`` may refresh from ``region``, or None."""
    if region.level < Level.COUNTY:
        return None
    county = region.prefix[:6]
    return county if may(user, "refresh", county) else None
