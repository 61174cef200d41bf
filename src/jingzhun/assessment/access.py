"""Who may see and change which assessment surveys: the only way assessment querysets are built.

A survey is a county's. The system administrator sees and changes all; a county administrator those of
counties inside their jurisdiction (draws, enters results, closes); leaders and auditors read those of
counties inside theirs. Nobody else sees a survey: township and village officers are the assessed, not
the assessors (domain.md §6: assessors come from outside the village). A survey, village or household of
a survey outside reach is answered exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Literal

from django.db.models import QuerySet

from jingzhun.assessment.models import SampledHousehold, SampledVillage, Survey
from jingzhun.core.errors import NotFoundOrForbidden, PermissionDeniedError, ValidationFailed
from jingzhun.core.restrict import UserLike, jurisdiction
from jingzhun.regions.access import access_region
from jingzhun.regions.choices import Level
from jingzhun.regions.models import Region

Action = Literal["view", "change"]
# The right behind each action (``accounts.rights``): reading surveys, and drawing and entering them.
RIGHT = {"view": "surveys", "change": "assess"}


def county_prefix_for(user: UserLike | None, action: Action = "view") -> str | None:
    """The county-code prefix of the surveys this user may see (or change); None means none; "" all."""
    return jurisdiction(user, RIGHT[action])


def surveys_for(user: UserLike | None, action: Action = "view") -> QuerySet[Survey]:
    return Survey.objects.restrict(user, RIGHT[action])


def access_survey(user: UserLike | None, survey_id: int | str, action: Action = "view") -> Survey:
    try:
        return surveys_for(user, action).select_related("county").get(pk=int(survey_id))
    except (Survey.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden("评估调查不存在或无权访问") from None


def access_village(user: UserLike | None, village_id: int | str, action: Action = "view") -> SampledVillage:
    try:
        return (
            SampledVillage.objects.restrict(user, RIGHT[action])
            .select_related("survey__county", "village__parent")
            .get(pk=int(village_id))
        )
    except (SampledVillage.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden("抽中村不存在或无权访问") from None


def access_sampled(user: UserLike | None, sampled_id: int | str, action: Action = "view") -> SampledHousehold:
    try:
        return (
            SampledHousehold.objects.restrict(user, RIGHT[action])
            .select_related("survey__county", "village__village")
            .get(pk=int(sampled_id))
        )
    except (SampledHousehold.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden("抽中户不存在或无权访问") from None


def can_change(user: UserLike | None, survey: Survey) -> bool:
    return surveys_for(user, "change").filter(pk=survey.pk).exists()


def can_draw(user: UserLike | None) -> bool:
    return county_prefix_for(user, "change") is not None


def require_change(user: UserLike | None, survey: Survey) -> None:
    """Refuse (403) a user who sees the survey but may not change it (the API's answer to leaders)."""
    if not can_change(user, survey):
        raise PermissionDeniedError("只有系统管理员和县级管理员可以修改评估调查")


def access_county(user: UserLike | None, code: str) -> Region:
    """A county the user may draw a survey for: inside the jurisdiction (404 otherwise), a county (422)."""
    if not can_draw(user):
        raise PermissionDeniedError("只有系统管理员和县级管理员可以抽取评估样本")
    region = access_region(user, code)
    if region.level != Level.COUNTY:
        raise ValidationFailed(f"{region.name}不是县级区划：评估抽样以县为单位", {"county": ["请选择一个县"]})
    return region


def counties_for(user: UserLike | None) -> QuerySet[Region]:
    """Counties the user may draw a survey for."""
    return Region.objects.filter(level=Level.COUNTY).restrict(user, RIGHT["change"])
