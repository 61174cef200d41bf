"""Doubts made through the real writers, for the comparison's tests: a run row and ``raise_doubts`` on a
small table of findings about the test world's households."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from django.utils import timezone

from jingzhun.comparison import engine, services
from jingzhun.comparison.models import ComparisonRun, Doubt, RunState


def finding(
    rule: str, household: Any, *, name: str = "", id_number: str = "", person: str = "", detail: str = ""
) -> dict[str, str | None]:
    """One finding row (engine.FINDING_COLUMNS) about a registered household (or a person by ID)."""
    return {
        "rule_code": rule,
        "household_number": household.household_number if household else None,
        "person_number": person or None,
        "id_number": id_number or None,
        "name": name or None,
        "village_code": household.village_id if household else None,
        "detail": detail or f"{rule} 测试证据",
    }


def findings_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=engine.FINDINGS_SCHEMA)


def run_row(region: Any, user: Any = None) -> ComparisonRun:
    """A finished run row of ``region`` (what run_comparison leaves behind, without running the rules)."""
    return ComparisonRun.objects.create(
        region=region,
        as_of=timezone.localdate(),
        user=user,
        user_name=user.username if user else "系统",
        state=RunState.DONE,
        progress=100,
        stage="完成",
    )


def raise_doubts(region: Any, rows: list[dict[str, Any]], user: Any = None) -> list[Doubt]:
    run = run_row(region, user)
    services.raise_doubts(run, findings_table(rows))
    return list(Doubt.objects.filter(run=run).order_by("pk"))


def set_policy_lines(county: str, years: Any, *, poverty: str = "4900", monitoring: str = "7600") -> None:
    """Give the county a poverty line and a monitoring line for each year (the shipped policy has none for
    recent years, and a rule never falls back to a default), through the policy app's writer."""
    from jingzhun.core.audit import Actor
    from jingzhun.policy import catalogue
    from jingzhun.policy.services import create_parameter

    for year in sorted(set(years)):
        for key, value in ((catalogue.POVERTY_LINE, poverty), (catalogue.MONITORING_LINE, monitoring)):
            create_parameter(
                actor=Actor(None, "测试"),
                key=key,
                region_prefix=county,
                value=value,
                year=year,
                document=f"测试用{year}年{catalogue.get(key).name}",
            )
