"""Who may see and load which department data (行业部门数据): the only way comparison querysets are built.

Department users see the loads of their own department; officers, leaders and auditors see the loads that
cover their jurisdiction or lie inside it; helpers see none. A load that exists but is not yours is
answered exactly like one that does not exist (Zulip).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from jingzhun.accounts.choices import Role
from jingzhun.comparison import datasets
from jingzhun.comparison.models import DatasetLoad
from jingzhun.core.errors import NotFoundOrForbidden
from jingzhun.regions.choices import PREFIX_LENGTH

# Roles that read the loads covering their region or inside it.
LOAD_READERS = {Role.COUNTY_ADMIN, Role.TOWNSHIP_OFFICER, Role.VILLAGE_OFFICER, Role.LEADER, Role.AUDITOR}
# Roles that may load any dataset (inside their jurisdiction).
LOADERS = {Role.ADMIN, Role.COUNTY_ADMIN}


def covering_prefixes(code: str) -> list[str]:
    """The region prefixes whose loads cover the region ``code`` ("" covers everything): "620502" →
    ["", "62", "6205", "620502"]."""
    return ["", *(code[:n] for n in sorted(PREFIX_LENGTH.values()) if n <= len(code))]


def _active(user: object) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def _near(prefix: str) -> Q:
    """Loads covering the region ``prefix`` or inside it."""
    return Q(region_prefix__in=covering_prefixes(prefix)) | Q(region_prefix__startswith=prefix)


def loads_for(user: object) -> QuerySet[DatasetLoad]:
    qs = DatasetLoad.objects.all()
    if not _active(user):
        return qs.none()
    role = getattr(user, "role", None)
    if role == Role.ADMIN:
        return qs
    prefix = getattr(user, "jurisdiction_prefix", None)
    if prefix is None:
        return qs.none()
    if role == Role.DEPARTMENT:
        department = getattr(user, "department", "")
        return qs.filter(_near(prefix), department=department) if department else qs.none()
    if role in LOAD_READERS:
        return qs.filter(_near(prefix))
    return qs.none()


def access_load(user: object, load_id: str) -> DatasetLoad:
    try:
        return loads_for(user).get(pk=str(load_id))
    except DatasetLoad.DoesNotExist:
        raise NotFoundOrForbidden("部门数据批次不存在或无权访问") from None


def can_load(user: object, dataset: str | datasets.Dataset) -> bool:
    """Whether the user may send files of this dataset (the region they may cover is checked on loading)."""
    if not _active(user):
        return False
    ds = datasets.BY_CODE.get(dataset if isinstance(dataset, str) else dataset.code)
    if ds is None:
        return False
    role = getattr(user, "role", None)
    if role in LOADERS:
        return True
    if role == Role.DEPARTMENT:
        return bool(getattr(user, "department", "")) and ds.department == user.department  # type: ignore[attr-defined]
    return False
