"""Which regions a user may see: the subtree of their own region (the system administrator sees all).

A region outside the jurisdiction is answered exactly like a code that does not exist.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from jingzhun.core.errors import NotFoundOrForbidden
from jingzhun.core.restrict import UserLike
from jingzhun.regions.choices import PREFIX_LENGTH
from jingzhun.regions.models import Region

PREFIX_LENGTHS = frozenset(PREFIX_LENGTH.values())


def regions_for(user: UserLike | None) -> QuerySet[Region]:
    """The regions of the user's subtree, whatever their role (``browse``: every role may see the tree)."""
    return Region.objects.restrict(user, "browse")


def access_region(user: UserLike | None, key: str) -> Region:
    """The region with this 12-digit code or significant prefix (2/4/6/9/12 digits), if it lies inside the
    user's jurisdiction. Missing, malformed and not-yours all raise the same NotFoundOrForbidden."""
    key = (key or "").strip()
    if not (key.isascii() and key.isdigit()) or len(key) not in PREFIX_LENGTHS:
        raise NotFoundOrForbidden("区划不存在或无权访问")
    region = regions_for(user).filter(Q(code=key) | Q(prefix=key)).first()
    if region is None:
        raise NotFoundOrForbidden("区划不存在或无权访问")
    return region
