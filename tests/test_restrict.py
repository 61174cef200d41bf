"""The one restriction primitive (``jingzhun.core.restrict``) and the rule that no app writes its own.

* Every role of the test world × every action of the rights table × every restricted model: the rows
  ``Model.objects.restrict(user, action)`` gives are exactly those an independent oracle (walking the
  declared path in Python, ``str.startswith``) allows; spot checks pin the table's meaning.
* Anonymous, inactive and region-less users reach nothing; the system administrator everything.
* ``via`` and ``covering`` behave as documented; a join, never ``IN (subquery)``.
* The source holds no jurisdiction filter outside ``core/restrict.py``: the grep test names file and line.

The world and its objects are built once for the module (one transaction, rolled back at the end).
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from jingzhun.accounts.choices import AUDIT_READERS, EDITOR_ROLES, JURISDICTION_READERS, Role
from jingzhun.accounts.models import User, system_user
from jingzhun.accounts.rights import ACTIONS, RIGHTS, UNBOUNDED, roles_with
from jingzhun.assessment.models import SampledHousehold, SampledVillage, Survey
from jingzhun.assessment.tests import isolation as assessment_iso
from jingzhun.comparison.models import ComparisonRun, DatasetLoad, Doubt
from jingzhun.comparison.tests import isolation as comparison_iso
from jingzhun.core.restrict import (
    Restricted,
    RestrictedQuerySet,
    covering_prefixes,
    has_right,
    jurisdiction,
    may,
    reaches,
)
from jingzhun.policy.models import Parameter
from jingzhun.procedures import access as procedures_access
from jingzhun.procedures.models import Case
from jingzhun.procedures.tests import isolation as procedures_iso
from jingzhun.regions.models import Region
from jingzhun.registry import access as registry_access
from jingzhun.registry.models import Household, ImportBatch, Member
from jingzhun.testing.world import build_world
from jingzhun.villages.models import PoorVillage
from jingzhun.villages.tests import isolation as villages_iso

pytestmark = pytest.mark.django_db

SRC = Path(__file__).resolve().parent.parent / "src" / "jingzhun"


@dataclass
class Scene:
    world: Any
    objects: dict[type[Restricted], list[Restricted]]


@pytest.fixture(scope="module")
def scene(django_db_setup: None, django_db_blocker: Any) -> Iterator[Scene]:
    with django_db_blocker.unblock(), transaction.atomic():
        world = build_world()
        for name, region in (("a", world.township_a), ("b", world.township_b)):
            ImportBatch.objects.create(
                id=name * 32,
                file_name=f"{name}.xlsx",
                file_sha256="0" * 64,
                user_name="test",
                region=region,
                policy="valid",
                state="done",
            )
        procedures_iso.case_a(world.household_a)
        procedures_iso.case_a(world.household_b)
        villages_iso.case_a(world)  # 南山村's exit case: a case of a village, not of a household
        comparison_iso.doubt_a(world)  # and its run, of 玉泉镇

        ComparisonRun.objects.get_or_create(region=world.county, user_name="county run", as_of="2025-01-01")
        for township in (world.township_a, world.township_b):
            Parameter.objects.create(
                key="notice_days_exit", region_prefix=township.prefix, year=2025, value=7, document="t"
            )
        for i, prefix in enumerate(("", world.county.prefix, world.township_b.prefix)):
            DatasetLoad.objects.create(
                id=f"{i}" * 32, dataset="death", department="公安", region_prefix=prefix, as_of="2025-01-01"
            )
        assessment_iso.sampled_a(world)
        models: list[type[Restricted]] = [
            Household,
            Member,
            ImportBatch,
            Region,
            Case,
            Doubt,
            ComparisonRun,
            Parameter,
            DatasetLoad,
            PoorVillage,
            Survey,
            SampledVillage,
            SampledHousehold,
        ]
        yield Scene(world=world, objects={m: list(m.objects.all()) for m in models})
        transaction.set_rollback(True)


def _walk(obj: Any, path: str) -> str | None:
    for part in path.split("__"):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return str(obj)


def oracle(user: User, action: str, obj: Restricted, covering: bool = False) -> bool:
    """Whether ``user`` may take ``action`` on ``obj``, computed in Python from the rights table."""
    if not user.is_active or action not in RIGHTS.get(user.role, frozenset()):
        return False
    if user.role in UNBOUNDED:
        return True
    if user.region is None:
        return False
    prefix = user.region.prefix
    codes = [_walk(obj, path) for path in type(obj).region_paths]
    if any(code is not None and code.startswith(prefix) for code in codes):
        return True
    if covering:
        return _walk(obj, type(obj).region_covering) in covering_prefixes(prefix)
    return False


def test_every_role_action_and_model_agrees_with_the_oracle(scene: Scene) -> None:
    """Actions with the same holders give the same rows: one action of each set of holders is enough."""
    by_holders = {roles_with(action): action for action in sorted(ACTIONS, reverse=True)}
    checked = 0
    for name, user in scene.world.users.items():
        for model, rows in scene.objects.items():
            assert rows, f"the scene has no {model.__name__}"
            for action in sorted(by_holders.values()):
                for covering in (False, True) if model.region_covering else (False,):
                    qs = model.objects.restrict(user, action, covering=covering)
                    expected = {row.pk for row in rows if oracle(user, action, row, covering)}
                    assert set(qs.values_list("pk", flat=True)) == expected, (name, model.__name__, action)
                    checked += 1
    assert checked > 1000 and len(by_holders) >= 8


def test_the_table_means_what_the_roles_say(scene: Scene) -> None:

    world, users = scene.world, scene.world.users
    everyone = set(Household.objects.values_list("pk", flat=True))
    yuquan = {pk for pk in everyone if Household.objects.get(pk=pk).village_id.startswith("620502100")}

    def households(name: str, action: str) -> set[int]:
        return set(Household.objects.restrict(users[name], action).values_list("pk", flat=True))

    assert households("admin", "change") == everyone and len(everyone) == 4
    assert households("county_admin", "change") == everyone
    assert households("township_officer", "change") == yuquan and world.household_b.pk not in yuquan
    assert households("village_officer", "change") == {world.household_a.pk}
    assert households("leader", "view") == everyone and households("leader", "change") == set()
    assert households("auditor", "view") == everyone and households("auditor", "change") == set()
    assert households("helper", "view") == households("department", "view") == set()
    assert households("township_b_officer", "view") & yuquan == set()


def test_the_rights_table_keeps_the_named_role_sets() -> None:
    assert set(RIGHTS) == set(Role)
    assert roles_with("change") == EDITOR_ROLES
    assert roles_with("view") == JURISDICTION_READERS
    assert roles_with("audit") == AUDIT_READERS
    assert roles_with("import") == EDITOR_ROLES
    assert all(rights <= ACTIONS for rights in RIGHTS.values())
    assert roles_with("edit_rules") == UNBOUNDED == {Role.ADMIN}


def test_nobody_without_a_signed_in_active_placed_user_reaches_anything(scene: Scene) -> None:

    inactive = User(username="gone", role=Role.COUNTY_ADMIN, region=scene.world.county, is_active=False)
    unplaced = User(username="nowhere", role=Role.COUNTY_ADMIN, is_active=True)
    for user in (AnonymousUser(), None, inactive, unplaced):
        assert not Household.objects.restrict(user, "view").exists(), user
        assert jurisdiction(user, "view") is None and not may(user, "view", "620502100201")
    assert not has_right(AnonymousUser(), "view") and not has_right(inactive, "view")
    assert has_right(unplaced, "view")  # the role holds it; there is just nowhere to take it
    # The command line's reader is a system administrator: everything, without a region.
    assert Household.objects.restrict(system_user(), "change").count() == 4
    assert jurisdiction(system_user(), "change") == ""


def test_single_codes_answer_as_the_querysets(scene: Scene) -> None:
    users = scene.world.users
    assert may(users["township_officer"], "change", "620502100201")
    assert not may(users["township_officer"], "change", "620502101201")
    assert not may(users["leader"], "change", "620502100201")
    assert may(users["county_admin"], "set_policy", "620502") and not may(
        users["county_admin"], "set_policy", ""
    )
    assert may(users["admin"], "set_policy", "")
    # reaches: the county's list is partly the township officer's, and all the county administrator's
    assert reaches(users["township_officer"], "view", "620502") and not reaches(
        users["helper"], "view", "620502"
    )
    assert not reaches(users["township_b_officer"], "view", "620502100")


def test_via_keeps_some_paths_and_covering_adds_the_containing_regions(scene: Scene) -> None:

    users = scene.world.users
    households_only = ("household__village__code",)
    for name in ("admin", "county_admin", "township_officer"):
        every = Case.objects.restrict(users[name], "view")
        of_households = Case.objects.restrict(users[name], "view", via=households_only)
        assert every.filter(village__isnull=False).exists(), name  # 南山村's exit case
        assert not of_households.filter(household__isnull=True).exists(), name
        assert set(of_households) == set(every.filter(household__isnull=False)), name
    with pytest.raises(ImproperlyConfigured):
        Case.objects.restrict(users["admin"], "view", via=("notice__village__code",))
    # A village officer reads the county's and the township's runs (they covered the village) with covering.
    officer = users["village_officer"]
    assert not ComparisonRun.objects.restrict(officer, "view").exists()
    assert {r.region.level for r in ComparisonRun.objects.restrict(officer, "view", covering=True)} == {3, 4}
    # National policy is read (covering) but changed by nobody below the system administrator.
    assert Parameter.objects.restrict(officer, "browse", covering=True).filter(region_prefix="").exists()
    assert (
        not Parameter.objects.restrict(users["county_admin"], "set_policy").filter(region_prefix="").exists()
    )


def test_restriction_is_a_join_on_the_code_prefix_not_a_subquery(scene: Scene) -> None:

    officer = scene.world.users["township_officer"]
    for qs in (
        procedures_access.cases_for(officer),
        procedures_access.cases_for(officer, villages=True),
        registry_access.members_for(officer),
        registry_access.households_for(officer, "change"),
    ):
        sql = str(qs.query).upper()
        assert "LIKE" in sql and "IN (SELECT" not in sql, sql


def test_a_model_must_declare_its_region(scene: Scene) -> None:

    with pytest.raises(ImproperlyConfigured, match="Group declares no region_paths"):
        RestrictedQuerySet(model=Group).restrict(scene.world.users["county_admin"], "view")


# ---------------------------------------------------------------------------------------------------
# No jurisdiction filter outside the primitive

# Where the user's jurisdiction may be read: the primitive itself and the user model that defines it.
JURISDICTION_HOMES = {"core/restrict.py", "accounts/models.py"}
# Modules that decide access or answer requests: a region-code filter there is a jurisdiction filter.
ACCESS_MODULES = re.compile(r"(^|/)(access|\w+_access|views|api)\.py$|(^|/)templatetags/")
ORM_PREFIX_FILTER = re.compile(r"\w+__startswith$")


def _tokens(path: Path) -> list[tokenize.TokenInfo]:
    return list(tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline))


def jurisdiction_filters_outside_the_primitive(root: Path = SRC) -> list[str]:
    """file:line: what, for every jurisdiction filter written by hand in the app code under ``root``."""
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if "/tests/" in f"/{rel}" or rel.startswith("testing/") or "/migrations/" in f"/{rel}":
            continue
        in_access = bool(ACCESS_MODULES.search(rel))
        is_access_py = rel.endswith("access.py")
        text = path.read_text(encoding="utf-8")
        if "jurisdiction_prefix" not in text and not ((in_access and "startswith" in text) or is_access_py):
            continue  # tokenizing is slow: only the files that may hold a filter
        for tok in _tokens(path):
            where = f"src/jingzhun/{rel}:{tok.start[0]}"
            text = tok.string
            value = text.strip("\"'") if tok.type == tokenize.STRING else text
            if tok.type in (tokenize.NAME, tokenize.STRING) and value == "jurisdiction_prefix":
                if rel not in JURISDICTION_HOMES:
                    found.append(f"{where}: reads jurisdiction_prefix (use core.restrict)")
            elif (
                in_access and tok.type in (tokenize.NAME, tokenize.STRING) and ORM_PREFIX_FILTER.match(value)
            ):
                found.append(f"{where}: filters {value} (use Model.objects.restrict or .within)")
            elif is_access_py and tok.type == tokenize.NAME and text in ("startswith", "_active"):
                found.append(f"{where}: {text}() in an access module (use core.restrict.may/reaches)")
    return found


def test_no_app_writes_its_own_jurisdiction_filter() -> None:
    found = jurisdiction_filters_outside_the_primitive()
    assert not found, "jurisdiction filters outside core.restrict:\n" + "\n".join(found)


def test_the_grep_finds_what_it_looks_for(tmp_path: Path) -> None:
    """The scanner is not blind: the old ladders, written again, are reported with file and line."""
    app = tmp_path / "newapp"
    app.mkdir()
    (app / "access.py").write_text(
        "def things_for(user):\n"
        "    prefix = user.jurisdiction_prefix\n"
        "    return Thing.objects.filter(village__code__startswith=prefix)\n"
        "def can(user, code):\n"
        "    return code.startswith(getattr(user, 'jurisdiction_prefix', ''))\n",
        encoding="utf-8",
    )
    (app / "selectors.py").write_text("X = {'village__code__startswith': '62'}\n", encoding="utf-8")
    found = jurisdiction_filters_outside_the_primitive(tmp_path)
    assert found == [
        "src/jingzhun/newapp/access.py:2: reads jurisdiction_prefix (use core.restrict)",
        "src/jingzhun/newapp/access.py:3: filters village__code__startswith (use Model.objects.restrict or .within)",
        "src/jingzhun/newapp/access.py:5: startswith() in an access module (use core.restrict.may/reaches)",
        "src/jingzhun/newapp/access.py:5: reads jurisdiction_prefix (use core.restrict)",
    ]
