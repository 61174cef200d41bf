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

from django.db.models import Q, QuerySet

from jingzhun.accounts.choices import JURISDICTION_READERS, Role
from jingzhun.comparison.models import ComparisonRun, Doubt, Rule, RuleThreshold
from jingzhun.core.errors import NotFoundOrForbidden

Action = Literal["view", "verify", "resolve"]
VERIFIERS = {Role.ADMIN, Role.COUNTY_ADMIN, Role.TOWNSHIP_OFFICER, Role.VILLAGE_OFFICER}
RESOLVERS = {Role.ADMIN, Role.COUNTY_ADMIN, Role.TOWNSHIP_OFFICER}
RUNNERS = {Role.ADMIN, Role.COUNTY_ADMIN}


def _active(user: object) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def doubts_for(user: object, action: Action = "view") -> QuerySet[Doubt]:
    qs = Doubt.objects.all()
    if not _active(user):
        return qs.none()
    role = user.role  # type: ignore[attr-defined]
    if action == "verify" and role not in VERIFIERS:
        return qs.none()
    if action == "resolve" and role not in RESOLVERS:
        return qs.none()
    if role == Role.ADMIN:
        return qs
    prefix = user.jurisdiction_prefix  # type: ignore[attr-defined]
    if prefix is None:
        return qs.none()
    inside = qs.filter(village__code__startswith=prefix)
    if role == Role.DEPARTMENT:
        department = getattr(user, "department", "")
        if not department or action != "view":
            return qs.none()
        return inside.filter(rule__audience__contains=f",{department},")
    if role in JURISDICTION_READERS:
        return inside
    return qs.none()


def access_doubt(user: object, doubt_id: int | str, action: Action = "view") -> Doubt:
    try:
        return (
            doubts_for(user, action)
            .select_related("rule", "village", "household", "run")
            .get(pk=int(doubt_id))
        )
    except (Doubt.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden("疑点不存在或无权访问") from None


def runs_for(user: object) -> QuerySet[ComparisonRun]:
    qs = ComparisonRun.objects.all()
    if not _active(user):
        return qs.none()
    role = user.role  # type: ignore[attr-defined]
    if role == Role.ADMIN:
        return qs
    prefix = user.jurisdiction_prefix  # type: ignore[attr-defined]
    if prefix is None or role not in JURISDICTION_READERS:
        return qs.none()
    # Runs inside the region, and runs of a larger region that covered it (the county's run a village's
    # doubts came from).
    covering = [prefix[:n] for n in (2, 4, 6, 9, 12) if n <= len(prefix)]
    return qs.filter(Q(region__code__startswith=prefix) | Q(region__prefix__in=covering))


def access_run(user: object, run_id: int | str) -> ComparisonRun:
    try:
        return runs_for(user).select_related("region").get(pk=int(run_id))
    except (ComparisonRun.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden("比对任务不存在或无权访问") from None


def can_run(user: object, region_code: str) -> bool:
    if not _active(user) or user.role not in RUNNERS:  # type: ignore[attr-defined]
        return False
    if user.role == Role.ADMIN:  # type: ignore[attr-defined]
        return True
    prefix = user.jurisdiction_prefix  # type: ignore[attr-defined]
    return prefix is not None and region_code.startswith(prefix)


def _near_region(user: object, field: str = "region_prefix") -> Q:
    """Rows for everywhere, for a region covering the user's, or for one inside it (none but the national
    ones for a user without a region)."""
    prefix = getattr(user, "jurisdiction_prefix", None)
    near = Q(**{field: ""})
    if prefix:
        covering = [prefix[:n] for n in (2, 4, 6, 9, 12) if n <= len(prefix)]
        near |= Q(**{f"{field}__in": covering}) | Q(**{f"{field}__startswith": prefix})
    return near


def rules_for(user: object) -> QuerySet[Rule]:
    """The catalogue is public to every signed-in user except helpers; department users see their rules.
    A region's own rules are seen inside that region and above it, not by other counties."""
    if not _active(user) or user.role == Role.HELPER:  # type: ignore[attr-defined]
        return Rule.objects.none()
    qs = Rule.objects.all()
    if user.role != Role.ADMIN:  # type: ignore[attr-defined]
        qs = qs.filter(_near_region(user))
    if user.role == Role.DEPARTMENT:  # type: ignore[attr-defined]
        return qs.filter(audience__contains=f",{getattr(user, 'department', '')},")
    return qs


def thresholds_for(user: object) -> QuerySet[RuleThreshold]:
    if not _active(user) or user.role == Role.HELPER:  # type: ignore[attr-defined]
        return RuleThreshold.objects.none()
    qs = RuleThreshold.objects.all()
    return qs if user.role == Role.ADMIN else qs.filter(_near_region(user))  # type: ignore[attr-defined]


def can_edit_rules_of(user: object, region_prefix: str) -> bool:
    """A region's own rules and thresholds: the county administrator of (a region covering) it, or the
    system administrator. The national catalogue is ``can_edit_rules``."""
    if not _active(user) or not region_prefix or user.role not in RUNNERS:  # type: ignore[attr-defined]
        return False
    if user.role == Role.ADMIN:  # type: ignore[attr-defined]
        return True
    prefix = user.jurisdiction_prefix  # type: ignore[attr-defined]
    return bool(prefix) and region_prefix.startswith(prefix)


def access_region_rule(user: object, rule_id: int | str) -> Rule:
    """A region's own rule this user may change; any other (missing, national, another county's) is 404."""
    try:
        rule = rules_for(user).exclude(region_prefix="").get(pk=int(rule_id))
    except (Rule.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden("规则不存在或无权访问") from None
    if not can_edit_rules_of(user, rule.region_prefix):
        raise NotFoundOrForbidden("规则不存在或无权访问")
    return rule


def can_edit_rules(user: object) -> bool:
    """Switching rules and thresholds changes every county's findings: the system administrator only."""
    return _active(user) and user.role == Role.ADMIN  # type: ignore[attr-defined]
