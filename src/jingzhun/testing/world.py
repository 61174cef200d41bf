"""A small named world for tests.

Two townships of 秦州区 (620502, 甘肃天水) with two villages each, one household per village, and a
user of every role at county, township or village level. Tests speak of "the 玉泉镇 officer" and
"household in 南山村" rather than of ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jingzhun.accounts.choices import Role
from jingzhun.accounts.models import User
from jingzhun.regions.models import Region
from jingzhun.regions.services import RegionRow, load_national, upsert_regions
from jingzhun.registry.models import Household, Member
from jingzhun.testing.factories import HouseholdFactory, HouseholdYearFactory, MemberFactory, UserFactory

COUNTY = "620502"
TOWNSHIP_A = "620502100"  # 玉泉镇, real NBS township codes of 秦州区
TOWNSHIP_B = "620502101"  # 太京镇
VILLAGES = {
    TOWNSHIP_A + "201": "南山村",
    TOWNSHIP_A + "202": "北坡村",
    TOWNSHIP_B + "201": "东川村",
    TOWNSHIP_B + "202": "西岭村",
}
PASSWORD = "pass-1234"


@dataclass
class World:
    county: Region
    township_a: Region
    township_b: Region
    villages: dict[str, Region]
    households: dict[str, Household]  # by village code
    users: dict[str, User] = field(default_factory=dict)

    def household_in(self, village_code: str) -> Household:
        return self.households[village_code]

    @property
    def household_a(self) -> Household:
        return self.households[TOWNSHIP_A + "201"]

    @property
    def household_b(self) -> Household:
        return self.households[TOWNSHIP_B + "201"]


def build_world() -> World:
    load_national(["62"])
    upsert_regions(
        RegionRow(prefix=code, name=name, urban_rural_class="220", rural_population=1000)
        for code, name in VILLAGES.items()
    )
    regions = {
        r.prefix: r for r in Region.objects.filter(prefix__in=[COUNTY, TOWNSHIP_A, TOWNSHIP_B, *VILLAGES])
    }
    households: dict[str, Household] = {}
    for i, code in enumerate(VILLAGES):
        hh = HouseholdFactory.create(village=regions[code], head_name=f"户主{i}")
        MemberFactory(household=hh, name=f"户主{i}")
        HouseholdYearFactory(household=hh, year=2025, household_size=1, wage_income=8000)
        households[code] = hh
    world = World(
        county=regions[COUNTY],
        township_a=regions[TOWNSHIP_A],
        township_b=regions[TOWNSHIP_B],
        villages={c: regions[c] for c in VILLAGES},
        households=households,
    )
    village_a = regions[TOWNSHIP_A + "201"]
    placements = {
        "admin": (Role.ADMIN, None),
        "county_admin": (Role.COUNTY_ADMIN, world.county),
        "township_officer": (Role.TOWNSHIP_OFFICER, world.township_a),
        "village_officer": (Role.VILLAGE_OFFICER, village_a),
        "helper": (Role.HELPER, village_a),
        "department": (Role.DEPARTMENT, world.county),
        "leader": (Role.LEADER, world.county),
        "auditor": (Role.AUDITOR, world.county),
        "township_b_officer": (Role.TOWNSHIP_OFFICER, world.township_b),
    }
    for name, (role, region) in placements.items():
        world.users[name] = UserFactory.create(
            username=name,
            role=role,
            region=region,
            is_superuser=role == Role.ADMIN,
            is_staff=role == Role.ADMIN,
        )
    return world


__all__ = ["PASSWORD", "Member", "World", "build_world"]
