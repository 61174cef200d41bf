"""Which rule applies where: the ``Rule`` and ``RuleThreshold`` rows as the engine's rule specs for a run.

A code may have rows for several regions (the shipped national row ``""``, a county's own version of it)
and thresholds for regions. In a region the most specific enabled row of the code applies, with each of its
parameters replaced by the value of the most specific threshold covering the region (a threshold less
specific than the row does not apply: the county's own row states its own values). A run gets one spec per
code and region where something differs, each told where its findings count (``region_prefix``) and where a
more specific one takes over (``excluded``); the engine filters the rule's findings by the village code
alike on DuckDB and Spark.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from jingzhun.comparison import engine
from jingzhun.comparison.models import Rule, RuleThreshold


def _split(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.strip(",").split(",") if part)


def spec_of(rule: Rule, shipped: Mapping[str, engine.RuleSpec]) -> engine.RuleSpec:
    """The engine's spec of a stored rule; a county's version of a shipped rule keeps the shipped rule's
    policy numbers (its SQL and message are the county's)."""
    base = shipped.get(rule.code)
    return engine.RuleSpec(
        code=rule.code,
        category=rule.category,
        severity=rule.severity,
        name=rule.name,
        message=rule.message,
        sql=rule.sql or (base.sql if base else ""),
        explanation=rule.explanation,
        datasets=_split(rule.datasets),
        audience=_split(rule.audience),
        on_true=rule.on_true,
        exact=rule.exact,
        parameters=dict(rule.parameters),
        policy=base.policy if base else (),
        policy_year=base.policy_year if base else "",
        region_prefix=rule.region_prefix,
        pandas_twin=bool(base and base.pandas_twin and not rule.region_prefix),
        planted=bool(base and base.planted and not rule.region_prefix),
    )


def covers(prefix: str, region: str) -> bool:
    return region.startswith(prefix)


def applying(rows: Iterable[Rule], region: str) -> Rule | None:
    """The most specific of a code's rows covering ``region``."""
    found = [r for r in rows if covers(r.region_prefix, region)]
    return max(found, key=lambda r: len(r.region_prefix)) if found else None


def parameters_at(rule: Rule, thresholds: Iterable[RuleThreshold], region: str) -> dict[str, Any]:
    """The rule's parameters in ``region``: the row's own, each replaced by the most specific threshold
    covering the region that is at least as specific as the row."""
    values = dict(rule.parameters)
    for threshold in sorted(thresholds, key=lambda t: len(t.region_prefix)):
        if covers(threshold.region_prefix, region) and len(threshold.region_prefix) >= len(
            rule.region_prefix
        ):
            values.update({k: v for k, v in threshold.parameters.items() if k in values})
    return values


def _outermost(prefixes: Iterable[str]) -> tuple[str, ...]:
    chosen: list[str] = []
    for prefix in sorted(set(prefixes), key=len):
        if not any(prefix.startswith(c) for c in chosen):
            chosen.append(prefix)
    return tuple(chosen)


def plan(
    rows: Sequence[Rule],
    thresholds: Sequence[RuleThreshold],
    shipped: Mapping[str, engine.RuleSpec],
    region_prefix: str = "",
) -> list[engine.RuleSpec]:
    """The specs a run of ``region_prefix`` runs, from the enabled ``rows`` and the ``thresholds``."""

    def near(prefix: str) -> bool:  # covers the run's region or lies inside it
        return region_prefix.startswith(prefix) or prefix.startswith(region_prefix)

    rows_by: dict[str, list[Rule]] = {}
    for row in rows:
        if row.enabled and near(row.region_prefix):
            rows_by.setdefault(row.code, []).append(row)
    limits_by: dict[str, list[RuleThreshold]] = {}
    for threshold in thresholds:
        if near(threshold.region_prefix):
            limits_by.setdefault(threshold.code, []).append(threshold)
    specs: list[engine.RuleSpec] = []
    for code in sorted(rows_by):
        code_rows, limits = rows_by[code], limits_by.get(code, [])
        regions = sorted({r.region_prefix for r in code_rows} | {t.region_prefix for t in limits}, key=len)
        for region in regions:
            applies = applying(code_rows, region)
            if applies is None:  # a threshold where no row of the code applies
                continue
            inner = [r for r in regions if r != region and r.startswith(region)]
            specs.append(
                dataclasses.replace(
                    spec_of(applies, shipped),
                    parameters=parameters_at(applies, limits, region),
                    region_prefix=region,
                    excluded=_outermost(inner),
                )
            )
    return specs


def plan_for_run(region_prefix: str, catalogue: engine.Catalogue) -> list[engine.RuleSpec]:
    shipped = {spec.code: spec for spec in catalogue.rules}
    rows = list(Rule.objects.filter(enabled=True).order_by("code", "region_prefix"))
    return plan(rows, list(RuleThreshold.objects.all()), shipped, region_prefix)


def rule_for_finding(rows_by_code: Mapping[str, Sequence[Rule]], code: str, village_code: str) -> Rule | None:
    """The row a finding's doubt belongs to: the most specific enabled row of its code covering the village
    (else any row of the code)."""
    rows = rows_by_code.get(code, ())
    return applying([r for r in rows if r.enabled], village_code or "") or applying(rows, village_code or "")
