"""Who may see and change which policy parameters.

Seeing: every active user with a jurisdiction sees the rows that apply inside it — national, its province
and city, its own region and everything below (policy is public, but another province's numbers are noise
and another county's are not theirs). Changing: the system administrator anywhere; a county administrator
only rows of regions inside their jurisdiction (a county administrator placed on a province is the
provincial administrator); nobody else, and never the national rows. A row outside is answered like a
missing one.
"""

from __future__ import annotations

from typing import Literal

from django.db.models import Q, QuerySet

from jingzhun.accounts.choices import Role
from jingzhun.core.errors import NotFoundOrForbidden, PermissionDeniedError
from jingzhun.policy.models import Parameter

Action = Literal["view", "change"]
PREFIX_LENGTHS = (2, 4, 6, 9, 12)


def _active(user: object) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def _ancestors_and_self(prefix: str) -> list[str]:
    return ["", *(prefix[:n] for n in PREFIX_LENGTHS if n <= len(prefix))]


def parameters_for(user: object, action: Action = "view") -> QuerySet[Parameter]:
    qs = Parameter.objects.all()
    if not _active(user):
        return qs.none()
    role = user.role  # type: ignore[attr-defined]
    if role == Role.ADMIN:
        return qs
    prefix = user.jurisdiction_prefix  # type: ignore[attr-defined]
    if prefix is None:
        return qs.none()
    if action == "change":
        return qs.filter(region_prefix__startswith=prefix) if role == Role.COUNTY_ADMIN else qs.none()
    return qs.filter(Q(region_prefix__in=_ancestors_and_self(prefix)) | Q(region_prefix__startswith=prefix))


def can_edit_region(user: object, region_prefix: str) -> bool:
    """May this user create or change a parameter for ``region_prefix`` ("" = national)?"""
    if not _active(user):
        return False
    role = user.role  # type: ignore[attr-defined]
    if role == Role.ADMIN:
        return True
    prefix = user.jurisdiction_prefix  # type: ignore[attr-defined]
    return role == Role.COUNTY_ADMIN and prefix is not None and region_prefix.startswith(prefix)


def can_edit_any(user: object) -> bool:
    return _active(user) and user.role in (Role.ADMIN, Role.COUNTY_ADMIN)  # type: ignore[attr-defined]


def access_parameter(user: object, parameter_id: int | str, action: Action = "view") -> Parameter:
    try:
        return parameters_for(user, action).get(pk=int(parameter_id))
    except (Parameter.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden("政策参数不存在或无权访问") from None


def require_edit(user: object, region_prefix: str) -> None:
    """Refuse, in Chinese, a user who may not create parameters for ``region_prefix``."""
    if not can_edit_region(user, region_prefix):
        where = f"区划 {region_prefix}" if region_prefix else "全国"
        raise PermissionDeniedError(
            f"无权设置{where}的政策参数：只有系统管理员和辖区包含该区划的县级（省级）管理员可以设置"
        )
