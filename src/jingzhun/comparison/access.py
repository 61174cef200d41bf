"""Who may see and load which department data (行业部门数据): the only way comparison querysets are built.

Department users see the loads of their own department; officers, leaders and auditors see the loads that
cover their jurisdiction or lie inside it; helpers see none. A load that exists but is not yours is
answered exactly like one that does not exist (Zulip).
"""

from __future__ import annotations

from django.db.models import QuerySet

from jingzhun.comparison import datasets
from jingzhun.comparison.models import DatasetLoad
from jingzhun.core.errors import NotFoundOrForbidden
from jingzhun.core.restrict import UserLike, covering_prefixes, has_right, signed_in

__all__ = ["access_load", "can_load", "covering_prefixes", "department_of", "loads_for"]


def department_of(user: UserLike | None) -> str:
    """The department of a user who reads department data as a department (``department_data``), or ""."""
    person = signed_in(user)
    if person is None or has_right(person, "view") or not has_right(person, "department_data"):
        return ""
    return person.department


def loads_for(user: UserLike | None) -> QuerySet[DatasetLoad]:
    """Loads covering the user's region or inside it: all of them for the jurisdiction's readers, their
    own department's for a department user."""
    department = department_of(user)
    if department:
        return DatasetLoad.objects.restrict(user, "department_data", covering=True).filter(
            department=department
        )
    return DatasetLoad.objects.restrict(user, "view", covering=True)


def access_load(user: UserLike | None, load_id: str) -> DatasetLoad:
    try:
        return loads_for(user).get(pk=str(load_id))
    except DatasetLoad.DoesNotExist:
        raise NotFoundOrForbidden("部门数据批次不存在或无权访问") from None


def can_load(user: UserLike | None, dataset: str | datasets.Dataset) -> bool:
    """Whether the user may send files of this dataset (the region they may cover is checked on loading)."""
    ds = datasets.BY_CODE.get(dataset if isinstance(dataset, str) else dataset.code)
    if ds is None:
        return False
    if has_right(user, "load"):
        return True
    department = department_of(user)
    return bool(department) and ds.department == department
