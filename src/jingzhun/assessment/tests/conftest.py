"""A generated county (秦州区, 300 households) and the users who assess it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from jingzhun.accounts.choices import Role
from jingzhun.regions.models import Region
from jingzhun.testing.county import import_generated_county
from jingzhun.testing.factories import UserFactory


@dataclass
class Assessed:
    county: Region
    users: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def assessed(db: None, tmp_path: Any, settings: Any) -> Assessed:
    settings.MEDIA_ROOT = tmp_path
    import_generated_county(tmp_path / "gen", households=300)
    county = Region.objects.get(prefix="620502")
    township = Region.objects.filter(parent=county).order_by("code").first()
    placements = {
        "admin": (Role.ADMIN, None),
        "county_admin": (Role.COUNTY_ADMIN, county),
        "leader": (Role.LEADER, county),
        "auditor": (Role.AUDITOR, county),
        "township_officer": (Role.TOWNSHIP_OFFICER, township),
        "other_county_admin": (Role.COUNTY_ADMIN, Region.objects.get(prefix="620503")),
        "department": (Role.DEPARTMENT, county),
    }
    users = {
        name: UserFactory(username=name, role=role, region=region)
        for name, (role, region) in placements.items()
    }
    return Assessed(county=county, users=users)
