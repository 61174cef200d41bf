"""Read-side helpers of the comparison: rule precision, findings by rule and region, the doubt queue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from jingzhun.comparison.doubt_access import doubts_for
from jingzhun.comparison.models import Doubt, DoubtState, Rule
from jingzhun.core.restrict import UserLike


@dataclass(frozen=True)
class RuleStats:
    rule: Rule
    open: int
    confirmed: int
    rejected: int
    resolved: int

    @property
    def verified(self) -> int:
        return self.confirmed + self.rejected + self.resolved

    @property
    def precision(self) -> float | None:
        """Share of verified doubts that were true (属实 or 已整改); None before any verification."""
        return (self.confirmed + self.resolved) / self.verified if self.verified else None

    @property
    def precision_text(self) -> str:
        p = self.precision
        return "—" if p is None else f"{p:.0%}"


def rule_stats(user: UserLike, rules: QuerySet[Rule] | None = None) -> list[RuleStats]:
    """Each rule's doubts by state, over the doubts this user may see: a county learns its own precision."""
    counts: dict[int, dict[str, int]] = {}
    rows = doubts_for(user).values("rule_id", "state").annotate(n=Count("id"))
    for row in rows:
        counts.setdefault(row["rule_id"], {})[row["state"]] = row["n"]
    result = []
    for rule in rules if rules is not None else Rule.objects.all():
        c = counts.get(rule.pk, {})
        result.append(
            RuleStats(
                rule,
                c.get(DoubtState.OPEN, 0),
                c.get(DoubtState.CONFIRMED, 0),
                c.get(DoubtState.REJECTED, 0),
                c.get(DoubtState.RESOLVED, 0),
            )
        )
    return result


def by_region(
    user: UserLike, level_digits: int, prefix: str = "", run_id: int | None = None
) -> list[dict[str, Any]]:
    """Doubt counts grouped by the region ``level_digits`` long (6 county, 9 township, 12 village)."""
    from django.db.models.functions import Substr

    qs = doubts_for(user)
    if prefix:
        qs = qs.filter(village__code__startswith=prefix)
    if run_id is not None:
        qs = qs.filter(run_id=run_id)
    rows = (
        qs.annotate(area=Substr("village__code", 1, level_digits))
        .values("area")
        .annotate(total=Count("id"), open=Count("id", filter=Q(state=DoubtState.OPEN)))
        .order_by("area")
    )
    return [dict(row) for row in rows]


def queue(
    user: UserLike, *, state: str = DoubtState.OPEN, rule: str = "", prefix: str = ""
) -> QuerySet[Doubt]:
    qs = doubts_for(user).select_related("rule", "village", "household")
    if state:
        qs = qs.filter(state=state)
    if rule:
        qs = qs.filter(rule__code=rule)
    if prefix:
        qs = qs.filter(village__code__startswith=prefix)
    return qs.order_by("village__code", "rule__code", "id")
