"""Who may see and change poor villages and village yearly records.

Seeing: the roles that read their whole jurisdiction (``JURISDICTION_READERS``), for the villages inside
it. Changing the 贫困村 list: the system administrator and county administrators (the list is the county's
decision). Entering a village's yearly record: every registry editor of the jurisdiction (county,
township, village staff). A village outside is answered like one that does not exist.
"""

from __future__ import annotations

from typing import Literal

from django.db.models import QuerySet

from jingzhun.accounts.choices import EDITOR_ROLES, JURISDICTION_READERS, Role
from jingzhun.core.errors import NotFoundOrForbidden, PermissionDeniedError
from jingzhun.regions.choices import Level
from jingzhun.regions.models import Region
from jingzhun.villages.models import PoorVillage, VillageYear

Action = Literal["view", "change"]
LIST_EDITORS: set[str] = {Role.ADMIN, Role.COUNTY_ADMIN}


def _prefix(user: object, roles: set[str]) -> str | None:
    """The code prefix the user may act on ("" = everywhere), or None for nowhere."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return None
    role = getattr(user, "role", None)
    if role not in roles:
        return None
    if role == Role.ADMIN:
        return ""
    return user.jurisdiction_prefix  # type: ignore[attr-defined]


def regions_for(user: object, action: Action = "view", *, records: bool = False) -> QuerySet[Region]:
    """Regions (any level) the user may see, or change the 贫困村 list of (``records``: the yearly records)."""
    roles = JURISDICTION_READERS if action == "view" else (EDITOR_ROLES if records else LIST_EDITORS)
    prefix = _prefix(user, {str(r) for r in roles})
    if prefix is None:
        return Region.objects.none()
    return Region.objects.filter(code__startswith=prefix)


def poor_villages_for(user: object, action: Action = "view") -> QuerySet[PoorVillage]:
    prefix = _prefix(user, {str(r) for r in (JURISDICTION_READERS if action == "view" else LIST_EDITORS)})
    if prefix is None:
        return PoorVillage.objects.none()
    return PoorVillage.objects.filter(village__code__startswith=prefix)


def village_years_for(user: object, action: Action = "view") -> QuerySet[VillageYear]:
    prefix = _prefix(user, {str(r) for r in (JURISDICTION_READERS if action == "view" else EDITOR_ROLES)})
    if prefix is None:
        return VillageYear.objects.none()
    return VillageYear.objects.filter(village__code__startswith=prefix)


def access_region(
    user: object,
    code: str,
    action: Action = "view",
    *,
    level: int | None = None,
    records: bool = False,
    hide: bool = False,
) -> Region:
    """The region with this 12-digit code or prefix, inside what the user may see (or change).

    A user who sees the region but may not change it gets ``PermissionDeniedError`` (the API's 403), or
    with ``hide`` the same ``NotFoundOrForbidden`` as for a missing region: web edit pages answer a
    read-only role like a missing object, as the registry's do."""
    code = (code or "").strip()
    if not (code.isascii() and code.isdigit()) or len(code) not in (2, 4, 6, 9, 12):
        raise NotFoundOrForbidden("区划不存在或无权访问")
    qs = regions_for(user, "view")
    region = qs.filter(code=code).first() or qs.filter(prefix=code).first()
    if region is None or (level is not None and region.level != level):
        raise NotFoundOrForbidden("区划不存在或无权访问")
    if action == "change" and not regions_for(user, "change", records=records).filter(pk=region.pk).exists():
        if hide:
            raise NotFoundOrForbidden("区划不存在或无权访问")
        who = "辖区内的乡镇、村干部和县级管理员" if records else "系统管理员和县级管理员"
        raise PermissionDeniedError(f"只有{who}可以修改")
    return region


def register_scope(user: object, code: str) -> tuple[Region, str]:
    """The county of ``code`` and the part of its villages the user may see on its 贫困村 list: all of them
    for county-level readers, a township's or a village's own for staff placed below the county."""
    prefix = _prefix(user, {str(r) for r in JURISDICTION_READERS})
    code = (code or "").strip()
    county = None
    if code.isascii() and code.isdigit() and len(code) in (6, 12):
        county = Region.objects.filter(level=Level.COUNTY).filter(code=code.ljust(12, "0")).first()
    if (
        county is None
        or prefix is None
        or not (county.prefix.startswith(prefix) or prefix.startswith(county.prefix))
    ):
        raise NotFoundOrForbidden("区划不存在或无权访问")
    return county, max(prefix, county.prefix, key=len)


def access_county(user: object, code: str, action: Action = "view", *, hide: bool = False) -> Region:
    return access_region(user, code, action, level=Level.COUNTY, hide=hide)


def access_village(
    user: object, code: str, action: Action = "view", *, records: bool = False, hide: bool = False
) -> Region:
    return access_region(user, code, action, level=Level.VILLAGE, records=records, hide=hide)


def access_poor_village(user: object, pk: int | str, action: Action = "view") -> PoorVillage:
    try:
        return poor_villages_for(user, action).select_related("village").get(pk=int(pk))
    except (PoorVillage.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden("贫困村不存在或无权访问") from None


def can_edit_list(user: object, region: Region) -> bool:
    prefix = _prefix(user, LIST_EDITORS)
    return prefix is not None and region.code.startswith(prefix)


def can_edit_records(user: object, region: Region) -> bool:
    prefix = _prefix(user, {str(r) for r in EDITOR_ROLES})
    return prefix is not None and region.code.startswith(prefix)
