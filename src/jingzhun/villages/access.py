"""Who may see and change poor villages and village yearly records.

Seeing: the roles that read their whole jurisdiction (``JURISDICTION_READERS``), for the villages inside
it. Changing the 贫困村 list: the system administrator and county administrators (the list is the county's
decision). Entering a village's yearly record: every registry editor of the jurisdiction (county,
township, village staff). A village outside is answered like one that does not exist.
"""

from __future__ import annotations

from typing import Literal

from django.db.models import QuerySet

from jingzhun.core.errors import NotFoundOrForbidden, PermissionDeniedError
from jingzhun.core.restrict import UserLike, jurisdiction, may, reaches
from jingzhun.regions.choices import Level
from jingzhun.regions.models import Region
from jingzhun.villages.models import PoorVillage, VillageYear

Action = Literal["view", "change"]
# The right behind each action (``accounts.rights``): seeing is ``view``; changing the 贫困村 list is the
# county's ``village_list``; entering the yearly records is a register ``change``.
LIST_RIGHT = {"view": "view", "change": "village_list"}
RECORD_RIGHT = {"view": "view", "change": "change"}


def regions_for(user: UserLike | None, action: Action = "view", *, records: bool = False) -> QuerySet[Region]:
    """Regions (any level) the user may see, or change the 贫困村 list of (``records``: the yearly records)."""
    return Region.objects.restrict(user, (RECORD_RIGHT if records else LIST_RIGHT)[action])


def poor_villages_for(user: UserLike | None, action: Action = "view") -> QuerySet[PoorVillage]:
    return PoorVillage.objects.restrict(user, LIST_RIGHT[action])


def village_years_for(user: UserLike | None, action: Action = "view") -> QuerySet[VillageYear]:
    return VillageYear.objects.restrict(user, RECORD_RIGHT[action])


def access_region(
    user: UserLike | None,
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


def register_scope(user: UserLike | None, code: str) -> tuple[Region, str]:
    """The county of ``code`` and the part of its villages the user may see on its 贫困村 list: all of them
    for county-level readers, a township's or a village's own for staff placed below the county."""
    prefix = jurisdiction(user, "view")
    code = (code or "").strip()
    county = None
    if code.isascii() and code.isdigit() and len(code) in (6, 12):
        county = Region.objects.filter(level=Level.COUNTY).filter(code=code.ljust(12, "0")).first()
    if county is None or prefix is None or not reaches(user, "view", county.prefix):
        raise NotFoundOrForbidden("区划不存在或无权访问")
    return county, max(prefix, county.prefix, key=len)


def access_county(user: UserLike | None, code: str, action: Action = "view", *, hide: bool = False) -> Region:
    return access_region(user, code, action, level=Level.COUNTY, hide=hide)


def access_village(
    user: UserLike | None, code: str, action: Action = "view", *, records: bool = False, hide: bool = False
) -> Region:
    return access_region(user, code, action, level=Level.VILLAGE, records=records, hide=hide)


def access_poor_village(user: UserLike | None, pk: int | str, action: Action = "view") -> PoorVillage:
    try:
        return poor_villages_for(user, action).select_related("village").get(pk=int(pk))
    except (PoorVillage.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden("贫困村不存在或无权访问") from None


def can_edit_list(user: UserLike | None, region: Region) -> bool:
    return may(user, "village_list", region.code)


def can_edit_records(user: UserLike | None, region: Region) -> bool:
    return may(user, "change", region.code)
