"""Who sees the figures: leaders and officers inside their jurisdiction; helpers and department users none.

A region outside the jurisdiction, and any region for a role that sees no figures, is answered exactly like
a code that does not exist (``regions.access``). Refreshing the figures is for a county's administrator
(and the system administrator).
"""

from __future__ import annotations

from jingzhun.accounts.choices import JURISDICTION_READERS, Role
from jingzhun.analytics.models import IndicatorValue
from jingzhun.core.errors import NotFoundOrForbidden
from jingzhun.regions.access import access_region
from jingzhun.regions.choices import Level
from jingzhun.regions.models import Region

# The roles that read every household of their jurisdiction read its figures too.
VIEWERS = frozenset(JURISDICTION_READERS)
REFRESHERS = frozenset({Role.ADMIN, Role.COUNTY_ADMIN})


def can_view(user: object) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and getattr(user, "role", None) in VIEWERS


def access_figures(user: object, key: str = "") -> Region:
    """The region whose figures ``user`` asks for: ``key`` (code or prefix), or by default their own region
    (for the system administrator: the first province that has figures)."""
    if not can_view(user):
        raise NotFoundOrForbidden("区划不存在或无权访问")
    if key:
        return access_region(user, key)
    own = getattr(user, "region", None)
    if own is not None:
        return own
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


def jurisdiction_root(user: object) -> str:
    """The prefix above which a user's breadcrumb and region picker do not go ('' for everything)."""
    return getattr(user, "jurisdiction_prefix", None) or ""


def refresh_county(user: object, region: Region) -> str | None:
    """The county (6-digit prefix) whose figures ``user`` may refresh from ``region``, or None."""
    role = getattr(user, "role", None)
    if role not in REFRESHERS or region.level < Level.COUNTY:
        return None
    county = region.prefix[:6]
    if role == Role.ADMIN:
        return county
    root = jurisdiction_root(user)
    return county if root and county.startswith(root) else None
