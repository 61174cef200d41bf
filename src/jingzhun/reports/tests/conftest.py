"""A generated county with doubts, refreshed, and the people who ask for its reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from jingzhun.accounts.choices import Role
from jingzhun.analytics.refresh import refresh_snapshot
from jingzhun.comparison.snapshot import write_snapshot
from jingzhun.regions.models import Region
from jingzhun.registry.models import Household
from jingzhun.testing.county import COUNTY, import_generated_county
from jingzhun.testing.factories import UserFactory

YEAR = 2026
TODAY = dt.date(2026, 11, 30)


@dataclass
class County:
    region: Region
    township: Region  # the first township with households
    other_township: Region
    users: dict[str, Any]


def _doubts(county: Region) -> None:
    """Doubts of three rules in three states, as a comparison run would leave them."""
    from jingzhun.comparison import services
    from jingzhun.comparison.models import ComparisonRun, Doubt, DoubtState, Rule, RunState

    if not Rule.objects.exists():
        services.sync_catalogue()
    run = ComparisonRun.objects.create(
        region=county, user_name="测试", as_of=TODAY, state=RunState.DONE, progress=100, stage="完成"
    )
    rules = list(Rule.objects.order_by("code")[:3])
    states = [
        DoubtState.OPEN,
        DoubtState.CONFIRMED,
        DoubtState.REJECTED,
        DoubtState.RESOLVED,
        DoubtState.OPEN,
    ]
    for i, household in enumerate(Household.objects.order_by("household_number")[:40]):
        rule = rules[i % 3]
        Doubt.objects.create(
            key=f"{rule.code}:{household.household_number}",
            rule=rule,
            run=run,
            village=household.village,
            household=household,
            name=household.head_name,
            detail="测试",
            state=states[i % len(states)],
        )


@pytest.fixture
def county(db, tmp_path, settings) -> County:
    settings.MEDIA_ROOT = tmp_path / "media"
    import_generated_county(tmp_path / "gen", households=300)
    region = Region.objects.get(code=COUNTY.ljust(12, "0"))
    _doubts(region)
    refresh_snapshot(write_snapshot(COUNTY), year=YEAR, today=TODAY)
    townships = [
        t
        for t in region.children.order_by("code")
        if Household.objects.filter(village__code__startswith=t.prefix).exists()
    ]
    users = {
        "leader": UserFactory(username="leader", role=Role.LEADER, region=region),
        "township_officer": UserFactory(username="officer", role=Role.TOWNSHIP_OFFICER, region=townships[0]),
        "other_officer": UserFactory(username="other", role=Role.TOWNSHIP_OFFICER, region=townships[1]),
        "helper": UserFactory(username="helper", role=Role.HELPER, region=region),
    }
    return County(region, townships[0], townships[1], users)
