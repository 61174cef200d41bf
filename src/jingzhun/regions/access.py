"""Which regions a user may see: the subtree of their own region (the system administrator sees all).

A region outside the jurisdiction is answered exactly like a code that does not exist.
"""

from __future__ import annotations

from django.db.models import QuerySet

from jingzhun.accounts.choices import Role
from jingzhun.core.errors import NotFoundOrForbidden
from jingzhun.regions.models import Region, pad


def regions_for(user: object) -> QuerySet[Region]:
    qs = Region.objects.all()
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return qs.none()
    if user.role == Role.ADMIN:  # type: ignore[attr-defined]
        return qs
    prefix = user.jurisdiction_prefix  # type: ignore[attr-defined]
    if prefix is None:
        return qs.none()
    return qs.filter(prefix__startswith=prefix)


def access_region(user: object, code: str) -> Region:
    """The region with this code (or prefix) if it is inside the user's jurisdiction; else not found."""
    code = code.strip()
    if not (code.isascii() and code.isdigit()) or len(code) > 12:
        raise NotFoundOrForbidden("区划不存在或无权访问")
    region = regions_for(user).filter(code=pad(code)).first()
    if region is None:
        raise NotFoundOrForbidden("区划不存在或无权访问")
    return region
