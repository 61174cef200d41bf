"""Who may see and change which households: the only way registry querysets are built for a user.

Every view, API operation, export and selector starts from ``households_for(user, action)`` or one of
the ``access_*`` functions, so an object outside the user's jurisdiction is never loaded at all; a
household that exists but is not yours is answered exactly like one that does not exist (Zulip).
"""

from __future__ import annotations

from typing import Literal, TypeVar

from django.db.models import QuerySet

from jingzhun.core.errors import NotFoundOrForbidden
from jingzhun.core.restrict import UserLike, has_right
from jingzhun.registry.models import Household, HouseholdExpense, ImportBatch, IncomeAssessment, Member

Action = Literal["view", "change"]
_Evidence = TypeVar("_Evidence", HouseholdExpense, IncomeAssessment)


def households_for(user: UserLike | None, action: Action = "view") -> QuerySet[Household]:
    """The households of the jurisdiction for the roles that read (change) the register; a helper sees
    the households paired with them once pairing restricts that way (``accounts.rights``); until then none."""
    return Household.objects.restrict(user, action)


def members_for(user: UserLike | None, action: Action = "view") -> QuerySet[Member]:
    return Member.objects.restrict(user, action)


def access_household(user: UserLike | None, household_id: int | str, action: Action = "view") -> Household:
    try:
        return households_for(user, action).select_related("village").get(pk=int(household_id))
    except (Household.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden("农户不存在或无权访问") from None


def access_household_by_number(user: UserLike | None, number: str, action: Action = "view") -> Household:
    try:
        return households_for(user, action).select_related("village").get(household_number=number)
    except Household.DoesNotExist:
        raise NotFoundOrForbidden("农户不存在或无权访问") from None


def access_member(user: UserLike | None, member_id: int | str, action: Action = "view") -> Member:
    try:
        return members_for(user, action).select_related("household").get(pk=int(member_id))
    except (Member.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden("成员不存在或无权访问") from None


def access_evidence(
    model: type[_Evidence],
    user: UserLike | None,
    pk: int | str,
    action: Action = "view",
) -> _Evidence:
    """An expense or income assessment of a household the user may see (``action`` "change": may change);
    a missing one and one outside the jurisdiction get the same answer."""
    try:
        return model.objects.restrict(user, action).get(pk=int(pk))
    except (model.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden(f"{model._meta.verbose_name}记录不存在或无权访问") from None


def can_read_audit(user: UserLike | None) -> bool:
    return has_right(user, "audit")


def can_import(user: UserLike | None) -> bool:
    return has_right(user, "import")


def import_batches_for(user: UserLike | None) -> QuerySet[ImportBatch]:
    return ImportBatch.objects.restrict(user, "import")
