"""Who may see and change which households: the only way registry querysets are built for a user.

Every view, API operation, export and selector starts from ``households_for(user, action)`` or one of
the ``access_*`` functions, so an object outside the user's jurisdiction is never loaded at all; a
household that exists but is not yours is answered exactly like one that does not exist (Zulip).
"""

from __future__ import annotations

from typing import Any, Literal

from django.db.models import QuerySet

from jingzhun.accounts.choices import AUDIT_READERS, EDITOR_ROLES, JURISDICTION_READERS, Role
from jingzhun.core.errors import NotFoundOrForbidden
from jingzhun.registry.models import Household, HouseholdExpense, ImportBatch, IncomeAssessment, Member

Action = Literal["view", "change"]


def households_for(user: object, action: Action = "view") -> QuerySet[Household]:
    qs = Household.objects.all()
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return qs.none()
    role = user.role  # type: ignore[attr-defined]
    if role == Role.ADMIN:
        return qs
    prefix = user.jurisdiction_prefix  # type: ignore[attr-defined]
    if prefix is None:
        return qs.none()
    if action == "change":
        return qs.filter(village__code__startswith=prefix) if role in EDITOR_ROLES else qs.none()
    if role in JURISDICTION_READERS:
        return qs.filter(village__code__startswith=prefix)
    if role == Role.HELPER:
        # A helper sees the households paired with them (帮扶结对), once pairing exists; until then none.
        return qs.none()
    return qs.none()


def members_for(user: object, action: Action = "view") -> QuerySet[Member]:
    return Member.objects.filter(household__in=households_for(user, action))


def access_household(user: object, household_id: int | str, action: Action = "view") -> Household:
    try:
        return households_for(user, action).select_related("village").get(pk=int(household_id))
    except (Household.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden("农户不存在或无权访问") from None


def access_household_by_number(user: object, number: str, action: Action = "view") -> Household:
    try:
        return households_for(user, action).select_related("village").get(household_number=number)
    except Household.DoesNotExist:
        raise NotFoundOrForbidden("农户不存在或无权访问") from None


def access_member(user: object, member_id: int | str, action: Action = "view") -> Member:
    try:
        return members_for(user, action).select_related("household").get(pk=int(member_id))
    except (Member.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden("成员不存在或无权访问") from None


def access_evidence(
    model: type[HouseholdExpense] | type[IncomeAssessment],
    user: object,
    pk: int | str,
    action: Action = "view",
) -> Any:
    """An expense or income assessment of a household the user may see (``action`` "change": may change);
    a missing one and one outside the jurisdiction get the same answer."""
    try:
        return model.objects.filter(household__in=households_for(user, action)).get(pk=int(pk))
    except (model.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden(f"{model._meta.verbose_name}记录不存在或无权访问") from None


def can_read_audit(user: object) -> bool:
    return getattr(user, "is_authenticated", False) and user.role in AUDIT_READERS  # type: ignore[attr-defined]


def can_import(user: object) -> bool:
    return bool(getattr(user, "can_edit_registry", False))


def import_batches_for(user: object) -> QuerySet[ImportBatch]:
    qs = ImportBatch.objects.all()
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.role == Role.ADMIN:  # type: ignore[attr-defined]
        return qs
    prefix = user.jurisdiction_prefix  # type: ignore[attr-defined]
    if prefix is None or not can_import(user):
        return qs.none()
    return qs.filter(region__code__startswith=prefix)
