"""Who may see and act on which cases, notices and objections.

A case is visible exactly where its household is (``registry.access.households_for``); what a user may
do on it is decided by the role of the step waiting. An object outside the jurisdiction is answered like
a missing one (``NotFoundOrForbidden``).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from jingzhun.accounts.choices import Role
from jingzhun.core.errors import NotFoundOrForbidden, PermissionDeniedError
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
from jingzhun.registry.access import Action, households_for

# Who re-checks objections and may reject a case at any step (复核: township; county for its own decision).
REVIEWER_ROLES = {Role.TOWNSHIP_OFFICER, Role.COUNTY_ADMIN}


def cases_for(user: object, action: Action = "view", *, villages: bool = False) -> QuerySet[Case]:
    """The cases of the households ``households_for`` gives, as a join on the village code prefix: SQLite
    plans ``household IN (subquery)`` badly (seconds for a village's cases). A test checks both agree.

    ``villages`` adds the cases whose subject is a village of the jurisdiction (贫困村退出); the household
    screens and API leave it off, the village pages and the engine's writers turn it on."""
    if households_for(user, action).query.is_empty():
        return Case.objects.none()
    if user.role == Role.ADMIN:  # type: ignore[attr-defined]
        return Case.objects.all() if villages else Case.objects.filter(household__isnull=False)
    prefix = user.jurisdiction_prefix  # type: ignore[attr-defined]
    if villages:
        return Case.objects.filter(
            Q(household__village__code__startswith=prefix) | Q(village__code__startswith=prefix)
        )
    return Case.objects.filter(household__village__code__startswith=prefix)


def access_case(user: object, case_id: int | str, action: Action = "view", *, villages: bool = False) -> Case:
    try:
        return (
            cases_for(user, action, villages=villages)
            .select_related("household__village", "village__parent", "definition", "next_step")
            .get(pk=int(case_id))
        )
    except (Case.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden("案件不存在或无权访问") from None


def notices_for(user: object, action: Action = "view", *, villages: bool = False) -> QuerySet[Notice]:
    visible = NoticeEntry.objects.filter(case__in=cases_for(user, action, villages=villages)).values(
        "notice_id"
    )
    return Notice.objects.filter(pk__in=visible)


def access_notice(
    user: object, notice_id: int | str, action: Action = "view", *, villages: bool = False
) -> Notice:
    try:
        return notices_for(user, action, villages=villages).select_related("village").get(pk=int(notice_id))
    except (Notice.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden("公示不存在或无权访问") from None


def evidence_for(user: object, action: Action = "view") -> QuerySet[Evidence]:
    """Documents of visible cases: a case's own, one shared by a village's bulk step, or a notice's photo.
    Uploaded files are served only through this (never as public media): they show households' papers."""
    cases = cases_for(user, action)
    linked = CaseStep.documents.through.objects.filter(casestep__case__in=cases).values("evidence_id")
    photos = notices_for(user, action).values("photo_id")
    return Evidence.objects.filter(Q(case__in=cases) | Q(pk__in=linked) | Q(pk__in=photos))


def access_evidence(user: object, evidence_id: int | str, action: Action = "view") -> Evidence:
    try:
        return evidence_for(user, action).get(pk=int(evidence_id))
    except (Evidence.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden("材料不存在或无权访问") from None


def objections_for(user: object, action: Action = "view", *, villages: bool = False) -> QuerySet[Objection]:
    return Objection.objects.filter(case__in=cases_for(user, action, villages=villages))


def access_objection(
    user: object, objection_id: int | str, action: Action = "view", *, villages: bool = False
) -> Objection:
    try:
        return (
            objections_for(user, action, villages=villages)
            .select_related("case", "notice")
            .get(pk=int(objection_id))
        )
    except (Objection.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden("异议不存在或无权访问") from None


def may_change_village(user: object, village: Region) -> bool:
    """May this user open or act on a case of ``village`` (an editor whose jurisdiction holds it)?"""
    if households_for(user, "change").query.is_empty():
        return False
    prefix = "" if user.role == Role.ADMIN else user.jurisdiction_prefix  # type: ignore[attr-defined]
    return prefix is not None and village.code.startswith(prefix)


def may_do(user: object, step: StepDefinition) -> bool:
    return getattr(user, "role", None) in step.role_list


def require_role(user: object, step: StepDefinition) -> None:
    if not may_do(user, step):
        raise PermissionDeniedError(f"「{step.name}」应由{role_names(step)}办理")


def require_reviewer(user: object) -> None:
    if getattr(user, "role", None) not in REVIEWER_ROLES:
        raise PermissionDeniedError("只有乡镇干部或县级管理员可以复核异议、作出不予通过决定")


def role_names(step: StepDefinition) -> str:
    return "或".join(str(Role(r).label) for r in step.role_list)
