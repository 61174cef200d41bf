"""Who sees and works which doubts, runs and rules (the data-layer restriction of the comparison).

* Jurisdiction roles (county, township, village officers, leaders, auditors) see the doubts of villages
  inside their region and the runs that covered it; village and township officers (and county
  administrators) verify them; township officers and county administrators mark confirmed ones resolved;
  county administrators start runs for their county.
* A department user sees only the doubts of rules meant for their department (``Rule.audience``), inside
  their region, and only the person's name, ID and the evidence: never the rest of the household.
* Helpers see none. A doubt outside is answered like a missing one.
"""

from __future__ import annotations

from typing import Literal

from django.db.models import QuerySet

from jingzhun.accounts.rights import roles_with
from jingzhun.comparison.access import department_of
from jingzhun.comparison.models import ComparisonRun, Doubt, Rule, RuleThreshold
from jingzhun.core.errors import NotFoundOrForbidden
from jingzhun.core.restrict import RestrictedQuerySet, UserLike, has_right, may

Action = Literal["view", "verify", "resolve"]
# The roles holding each right, for pages that show or hide a button (``accounts.rights``).
VERIFIERS = roles_with("verify")
RESOLVERS = roles_with("resolve")
RUNNERS = roles_with("run")


def doubts_for(user: UserLike | None, action: Action = "view") -> QuerySet[Doubt]:
    """The doubts of villages inside the jurisdiction for the roles holding ``action`` (``accounts.rights``);
    a department user sees (never works) those of rules meant for their department."""
    department = department_of(user)
    if department:
        if action != "view":
            return Doubt.objects.none()
        return Doubt.objects.restrict(user, "department_data").filter(
            rule__audience__contains=f",{department},"
        )
    return Doubt.objects.restrict(user, action)


def access_doubt(user: UserLike | None, doubt_id: int | str, action: Action = "view") -> Doubt:
    try:
        return (
            doubts_for(user, action)
            .select_related("rule", "village", "household", "run")
            .get(pk=int(doubt_id))
        )
    except (Doubt.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden("疑点不存在或无权访问") from None


def runs_for(user: UserLike | None) -> QuerySet[ComparisonRun]:
    """Runs inside the region, and runs of a larger region that covered it (the county's run a village's
    doubts came from)."""
    return ComparisonRun.objects.restrict(user, "view", covering=True)


def access_run(user: UserLike | None, run_id: int | str) -> ComparisonRun:
    try:
        return runs_for(user).select_related("region").get(pk=int(run_id))
    except (ComparisonRun.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden("比对任务不存在或无权访问") from None


def can_run(user: UserLike | None, region_code: str) -> bool:
    return may(user, "run", region_code)


def rules_for(user: UserLike | None) -> RestrictedQuerySet[Rule]:
    """The catalogue is public to every signed-in user except helpers; department users see their rules.
    A region's own rules are seen inside that region and above it (``covering``), not by other counties."""
    if not has_right(user, "catalogue"):
        return Rule.objects.none()
    qs = Rule.objects.restrict(user, "catalogue", covering=True)
    department = department_of(user)
    if department or not has_right(user, "view"):
        return qs.filter(audience__contains=f",{department},")
    return qs


def thresholds_for(user: UserLike | None) -> QuerySet[RuleThreshold]:
    """A region's own thresholds, seen where its rules are."""
    return RuleThreshold.objects.restrict(user, "catalogue", covering=True)


def can_edit_rules_of(user: UserLike | None, region_prefix: str) -> bool:
    """A region's own rules and thresholds: the county administrator of (a region covering) it, or the
    system administrator (the ``run`` right over the region). The national catalogue is ``can_edit_rules``."""
    return bool(region_prefix) and may(user, "run", region_prefix)


def access_region_rule(user: UserLike | None, rule_id: int | str) -> Rule:
    """A region's own rule this user may change; any other (missing, national, another county's) is 404."""
    try:
        rule = rules_for(user).exclude(region_prefix="").get(pk=int(rule_id))
    except (Rule.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden("规则不存在或无权访问") from None
    if not can_edit_rules_of(user, rule.region_prefix):
        raise NotFoundOrForbidden("规则不存在或无权访问")
    return rule


def can_edit_rules(user: UserLike | None) -> bool:
    """Switching rules and thresholds changes every county's findings: the system administrator only."""
    return has_right(user, "edit_rules")
