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

from django.db.models import QuerySet

from jingzhun.core.errors import NotFoundOrForbidden, PermissionDeniedError
from jingzhun.core.restrict import UserLike, has_right, may
from jingzhun.policy.models import Parameter

Action = Literal["view", "change"]


def parameters_for(user: UserLike | None, action: Action = "view") -> QuerySet[Parameter]:
    """Seeing (``browse``): the rows of the regions containing the user's and of those inside it.
    Changing (``set_policy``): the rows of regions inside the jurisdiction only."""
    if action == "change":
        return Parameter.objects.restrict(user, "set_policy")
    return Parameter.objects.restrict(user, "browse", covering=True)


def can_edit_region(user: UserLike | None, region_prefix: str) -> bool:
    """May this user create or change a parameter for ``region_prefix`` ("" = national)?"""
    return may(user, "set_policy", region_prefix)


def can_edit_any(user: UserLike | None) -> bool:
    return has_right(user, "set_policy")


def access_parameter(user: UserLike | None, parameter_id: int | str, action: Action = "view") -> Parameter:
    try:
        return parameters_for(user, action).get(pk=int(parameter_id))
    except (Parameter.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden("政策参数不存在或无权访问") from None


def require_edit(user: UserLike | None, region_prefix: str) -> None:
    """Refuse, in Chinese, a user who may not create parameters for ``region_prefix``."""
    if not can_edit_region(user, region_prefix):
        where = f"区划 {region_prefix}" if region_prefix else "全国"
        raise PermissionDeniedError(
            f"无权设置{where}的政策参数：只有系统管理员和辖区包含该区划的县级（省级）管理员可以设置"
        )
