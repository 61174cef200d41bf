"""Who may see and act on which cases, notices and objections.

A case is visible exactly where its household is (``registry.access.households_for``); what a user may
do on it is decided by the role of the step waiting. An object outside the jurisdiction is answered like
a missing one (``NotFoundOrForbidden``).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from jingzhun.accounts.choices import Role
from jingzhun.core.errors import NotFoundOrForbidden, PermissionDeniedError
from jingzhun.core.restrict import UserLike, may
from jingzhun.procedures.models import (
    Case,
    CaseStep,
    Evidence,
    Notice,
    NoticeEntry,
    Objection,
    StepDefinition,
)
from jingzhun.regions.models import Region
from jingzhun.registry.access import Action
from jingzhun.registry.access import households_for as households_for  # the case pages' household checks

# Who re-checks objections and may reject a case at any step (复核: township; county for its own decision).
REVIEWER_ROLES = {Role.TOWNSHIP_OFFICER, Role.COUNTY_ADMIN}


# The path of a household's case (``Case.region_paths`` also holds a village's own).
HOUSEHOLD_PATH = ("household__village__code",)


def cases_for(user: UserLike | None, action: Action = "view", *, villages: bool = False) -> QuerySet[Case]:
    """The cases of the households ``registry.access.households_for`` gives, as a join on the village code
    prefix (``core.restrict``): SQLite plans ``household IN (subquery)`` badly (seconds for a village's
    cases). A test checks both agree.

    ``villages`` adds the cases whose subject is a village of the jurisdiction (贫困村退出); the household
    screens and API leave it off, the village pages and the engine's writers turn it on."""
    return Case.objects.restrict(user, action, via=None if villages else HOUSEHOLD_PATH)


def access_case(
    user: UserLike | None, case_id: int | str, action: Action = "view", *, villages: bool = False
) -> Case:
    try:
        return (
            cases_for(user, action, villages=villages)
            .select_related("household__village", "village__parent", "definition", "next_step")
            .get(pk=int(case_id))
        )
    except (Case.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden("案件不存在或无权访问") from None


def notices_for(
    user: UserLike | None, action: Action = "view", *, villages: bool = False
) -> QuerySet[Notice]:
    visible = NoticeEntry.objects.filter(case__in=cases_for(user, action, villages=villages)).values(
        "notice_id"
    )
    return Notice.objects.filter(pk__in=visible)


def access_notice(
    user: UserLike | None, notice_id: int | str, action: Action = "view", *, villages: bool = False
) -> Notice:
    try:
        return notices_for(user, action, villages=villages).select_related("village").get(pk=int(notice_id))
    except (Notice.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden("公示不存在或无权访问") from None


def evidence_for(user: UserLike | None, action: Action = "view") -> QuerySet[Evidence]:
    """Documents of visible cases: a case's own, one shared by a village's bulk step, or a notice's photo.
    Uploaded files are served only through this (never as public media): they show households' papers."""
    cases = cases_for(user, action)
    linked = CaseStep.documents.through.objects.filter(casestep__case__in=cases).values("evidence_id")
    photos = notices_for(user, action).values("photo_id")
    return Evidence.objects.filter(Q(case__in=cases) | Q(pk__in=linked) | Q(pk__in=photos))


def access_evidence(user: UserLike | None, evidence_id: int | str, action: Action = "view") -> Evidence:
    try:
        return evidence_for(user, action).get(pk=int(evidence_id))
    except (Evidence.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden("材料不存在或无权访问") from None


def objections_for(
    user: UserLike | None, action: Action = "view", *, villages: bool = False
) -> QuerySet[Objection]:
    return Objection.objects.filter(case__in=cases_for(user, action, villages=villages))


def access_objection(
    user: UserLike | None, objection_id: int | str, action: Action = "view", *, villages: bool = False
) -> Objection:
    try:
        return (
            objections_for(user, action, villages=villages)
            .select_related("case", "notice")
            .get(pk=int(objection_id))
        )
    except (Objection.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden("异议不存在或无权访问") from None


def may_change_village(user: UserLike | None, village: Region) -> bool:
    """May this user open or act on a case of ``village`` (an editor whose jurisdiction holds it)?"""
    return may(user, "change", village.code)


def access_changeable_village(user: UserLike | None, code: str) -> Region:
    """A region (the bulk page's village) inside the user's changeable jurisdiction; a missing one and one
    outside get the same answer."""
    region = None
    if code.isascii() and code.isdigit():
        region = Region.objects.restrict(user, "change").filter(code=code).first()
    if region is None:
        raise NotFoundOrForbidden("行政村不存在或无权访问")
    return region


def may_do(user: UserLike | None, step: StepDefinition) -> bool:
    return getattr(user, "role", None) in step.role_list


def require_role(user: UserLike | None, step: StepDefinition) -> None:
    if not may_do(user, step):
        raise PermissionDeniedError(f"「{step.name}」应由{role_names(step)}办理")


def require_reviewer(user: UserLike | None) -> None:
    if getattr(user, "role", None) not in REVIEWER_ROLES:
        raise PermissionDeniedError("只有乡镇干部或县级管理员可以复核异议、作出不予通过决定")


def role_names(step: StepDefinition) -> str:
    return "或".join(str(Role(r).label) for r in step.role_list)
