"""A generated county with its indicators computed, and a user of each role that matters to the figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from jingzhun.accounts.choices import Role
from jingzhun.accounts.models import User
from jingzhun.analytics.refresh import refresh_snapshot
from jingzhun.comparison.snapshot import write_snapshot
from jingzhun.regions.models import Region
from jingzhun.registry.models import Household
from jingzhun.testing.assistance import generate_assistance
from jingzhun.testing.county import COUNTY, import_generated_county
from jingzhun.testing.factories import UserFactory

YEAR = 2026


@dataclass
class Figures:
    """秦州区 with generated households; ``township_a`` and ``township_b`` are two townships that have some."""

    county: Region
    township_a: Region
    township_b: Region
    users: dict[str, User]

    def village_of(self, township: Region) -> Region:
        code = (
            Household.objects.filter(village__code__startswith=township.prefix)
            .exclude(poverty_status="")
            .order_by("village_id")
            .values_list("village_id", flat=True)
            .first()
        )
        return Region.objects.get(code=code)


@pytest.fixture
def figures(tmp_path: Any, settings: Any) -> Figures:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.JINGZHUN_SYNC_IMPORTS = True
    import_generated_county(tmp_path / "gen", households=160)
    generate_assistance(COUNTY, year=YEAR)
    refresh_snapshot(write_snapshot(COUNTY), year=YEAR, today=dt.date(YEAR, 11, 30))
    county = Region.objects.get(prefix=COUNTY)
    used = sorted({code[:9] for code in Household.objects.values_list("village_id", flat=True)})
    township_a, township_b = (Region.objects.get(prefix=p) for p in used[:2])
    placements = {
        "admin": (Role.ADMIN, None),
        "county_admin": (Role.COUNTY_ADMIN, county),
        "leader": (Role.LEADER, county),
        "auditor": (Role.AUDITOR, county),
        "department": (Role.DEPARTMENT, county),
        "officer_a": (Role.TOWNSHIP_OFFICER, township_a),
        "officer_b": (Role.TOWNSHIP_OFFICER, township_b),
    }
    users = {
        name: UserFactory.create(username=name, role=role, region=region, is_superuser=role == Role.ADMIN)
        for name, (role, region) in placements.items()
    }
    figures = Figures(county, township_a, township_b, users)
    village = figures.village_of(township_a)
    users["village_officer"] = UserFactory.create(
        username="village_officer", role=Role.VILLAGE_OFFICER, region=village
    )
    users["helper"] = UserFactory.create(username="helper", role=Role.HELPER, region=village)
    return figures
