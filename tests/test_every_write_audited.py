"""Meta-test: every service (the only writers) records an ObjectChange when it writes.

New public functions in any ``services.py`` must be added to CALLS below, or this test fails: a writer that
nobody checked for auditing cannot slip in. When a call returns the object it wrote, one of the new rows
must name that object.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Model

import jingzhun
from jingzhun.accounts import services as account_services
from jingzhun.assessment.tests.audit_calls import ACTORS as ASSESSMENT_ACTORS
from jingzhun.assessment.tests.audit_calls import CALLS as ASSESSMENT_CALLS
from jingzhun.assistance.tests.audit_calls import ACTORS as ASSISTANCE_ACTORS
from jingzhun.assistance.tests.audit_calls import CALLS as ASSISTANCE_CALLS
from jingzhun.assistance.tests.audit_calls import NOT_WRITERS as ASSISTANCE_NOT_WRITERS
from jingzhun.comparison.tests.audit_calls import ACTORS as COMPARISON_ACTORS
from jingzhun.comparison.tests.audit_calls import CALLS as COMPARISON_CALLS
from jingzhun.core.audit import Actor, object_type
from jingzhun.core.models import ObjectChange
from jingzhun.policy import services as policy_services
from jingzhun.procedures.tests import helpers
from jingzhun.procedures.tests.audit_calls import CALLS as PROCEDURE_CALLS
from jingzhun.registry import services as registry_services
from jingzhun.registry.choices import Relation
from jingzhun.testing.factories import MemberFactory, next_id
from jingzhun.villages.tests.audit_calls import ACTORS as VILLAGE_ACTORS
from jingzhun.villages.tests.audit_calls import CALLS as VILLAGE_CALLS
from jingzhun.villages.tests.audit_calls import NOT_WRITERS as VILLAGE_NOT_WRITERS


def _household(world: Any) -> Any:
    world.household_a.refresh_from_db()
    return world.household_a


def _new_son(world: Any, actor: Actor, number: str) -> Any:
    return registry_services.add_member(
        actor=actor,
        household=_household(world),
        expected_version=1,
        person_number=number,
        data={"name": "新成员", "relation": Relation.SON, "id_number": next_id()},
    )


def _remove(world: Any, actor: Actor) -> Any:
    son = _new_son(world, actor, "M2")
    return registry_services.remove_member(
        actor=actor, member=son, expected_version=2, reason="death", left_on=dt.date.today()
    )


def _expense(world: Any, actor: Actor) -> Any:
    return registry_services.save_expense(
        actor=actor,
        household=_household(world),
        expected_version=world.household_a.version,
        data={
            "kind": "medical",
            "incurred_on": dt.date(2025, 1, 5),
            "amount": Decimal("800"),
            "source": "verified",
        },
    )


def _assessment(world: Any, actor: Actor) -> Any:
    return registry_services.save_income_assessment(
        actor=actor,
        household=_household(world),
        expected_version=world.household_a.version,
        data={
            "period_start": dt.date(2024, 1, 1),
            "period_end": dt.date(2024, 12, 31),
            "net_income": Decimal("9000"),
            "persons": 1,
            "source": "verified",
        },
    )


def _delete_expense(world: Any, actor: Actor) -> None:
    expense = _expense(world, actor)
    registry_services.delete_expense(
        actor=actor,
        household=world.household_a,
        expected_version=world.household_a.version,
        expense_id=expense.pk,
    )


def _delete_assessment(world: Any, actor: Actor) -> None:
    assessment = _assessment(world, actor)
    registry_services.delete_income_assessment(
        actor=actor,
        household=world.household_a,
        expected_version=world.household_a.version,
        assessment_id=assessment.pk,
    )


def _with_son(world: Any, actor: Actor) -> tuple[Any, Any]:
    """household_a with a second member (a natural change's writers start from a two-person household)."""
    hh = _household(world)
    son = MemberFactory(household=hh, name="王小军", relation=Relation.SON)
    return hh, son


def _moved(world: Any, actor: Actor) -> Any:
    hh, son = _with_son(world, actor)
    return registry_services.move_members(
        actor=actor,
        source=hh,
        target=world.household_b,
        moves=[(son, Relation.GRANDSON)],
        on=dt.date.today(),
        reason="moved",
    )


def _policy_row(actor: Actor) -> Any:
    return policy_services.create_parameter(
        actor=actor,
        key="monitoring_line",
        region_prefix="620502",
        year=2024,
        value="7000",
        document="测试文件",
    )


CALLS: dict[str, Callable[[Any, Actor], Any]] = {
    "jingzhun.registry.services.update_household": lambda w, a: registry_services.update_household(
        actor=a, household=_household(w), expected_version=1, data={"phone": "139"}
    ),
    "jingzhun.registry.services.update_member": lambda w, a: registry_services.update_member(
        actor=a, member=w.household_a.members.get(), expected_version=1, data={"migrant_months": 3}
    ),
    "jingzhun.registry.services.save_member_year": lambda w, a: registry_services.save_member_year(
        actor=a, member=w.household_a.members.get(), expected_version=1, year=2024, data={"schooling": "03"}
    ),
    "jingzhun.registry.services.add_member": lambda w, a: _new_son(w, a, "M1"),
    "jingzhun.registry.services.remove_member": _remove,
    "jingzhun.registry.services.members_leave": lambda w, a: registry_services.members_leave(
        actor=a,
        household=_household(w),
        members=[_with_son(w, a)[1]],
        left_on=dt.date.today(),
        reason="death",
    ),
    "jingzhun.registry.services.member_joins": lambda w, a: registry_services.member_joins(
        actor=a,
        household=_household(w),
        joined_on=dt.date.today(),
        data={"name": "新生儿", "relation": Relation.SON, "id_number": helpers.born_on(dt.date.today())},
    ),
    "jingzhun.registry.services.create_household": lambda w, a: registry_services.create_household(
        actor=a, village=w.household_a.village, household_number="620502101201999999", head_name="王小军"
    ),
    "jingzhun.registry.services.move_members": _moved,
    "jingzhun.registry.services.close_household": lambda w, a: registry_services.close_household(
        actor=a, household=_household(w), on=dt.date.today(), reason="全户迁出", leave_reason="moved"
    ),
    "jingzhun.registry.services.save_year": lambda w, a: registry_services.save_year(
        actor=a, household=_household(w), expected_version=1, year=2024, data={"wage_income": 100}
    ),
    "jingzhun.registry.services.save_expense": _expense,
    "jingzhun.registry.services.save_income_assessment": _assessment,
    "jingzhun.registry.services.delete_expense": _delete_expense,
    "jingzhun.registry.services.delete_income_assessment": _delete_assessment,
    "jingzhun.accounts.services.create_user": lambda w, a: account_services.create_user(
        actor=a, username="new-user", password="pass-1234-x", role="leader", region=w.county
    ),
    "jingzhun.accounts.services.create_api_token": lambda w, a: account_services.create_api_token(
        actor=a, user=w.users["leader"]
    ),
    "jingzhun.policy.services.create_parameter": lambda w, a: _policy_row(a),
    "jingzhun.policy.services.update_parameter": lambda w, a: policy_services.update_parameter(
        actor=a, parameter=_policy_row(a), expected_version=1, data={"value": "7100"}
    ),
    "jingzhun.policy.services.end_parameter": lambda w, a: policy_services.end_parameter(
        actor=a, parameter=_policy_row(a), expected_version=1, effective_to=dt.date(2024, 12, 31)
    ),
    **PROCEDURE_CALLS,
    **COMPARISON_CALLS,
    **ASSESSMENT_CALLS,
    **ASSISTANCE_CALLS,
    **VILLAGE_CALLS,
}
# Writers only some roles may call, and who calls them (everything else: the 玉泉镇 township officer).
ACTORS: dict[str, str] = {**COMPARISON_ACTORS, **ASSESSMENT_ACTORS, **ASSISTANCE_ACTORS, **VILLAGE_ACTORS}
# Public functions in services modules that only read or validate (no write, nothing to audit).
NOT_WRITERS = {
    "jingzhun.registry.services.parse_id_for_member",
    "jingzhun.registry.services.check_new_member",
    "jingzhun.registry.services.next_person_number",
    "jingzhun.registry.services.status_event",  # builds the row (unsaved); its callers save and audit
    "jingzhun.accounts.services.user_for_token",
    "jingzhun.regions.services.national_rows",
    "jingzhun.regions.services.parent_prefix",
    "jingzhun.regions.services.significant_prefix",
    # Reference data loads (the national division list, village lists) are not register writes; they are
    # run by administrators from the shell and recorded by their command output.
    "jingzhun.regions.services.upsert_regions",
    "jingzhun.regions.services.load_national",
    "jingzhun.regions.services.load_csv",
    # The shipped doubt-rule catalogue is reference data too (seeded by a migration, re-synced at the start
    # of every run, itself audited); what administrators change goes through the audited set_rule.
    "jingzhun.comparison.services.sync_catalogue",
    # Pure helpers: a path and a key.
    "jingzhun.comparison.services.findings_dir",
    "jingzhun.comparison.services.doubt_key",
    # Reads: the current department files of counties, a rule's checks and trial, threshold numbers.
    "jingzhun.comparison.services.dataset_files",
    "jingzhun.comparison.services.check_region_rule",
    "jingzhun.comparison.services.threshold_values",
    *ASSISTANCE_NOT_WRITERS,
    *VILLAGE_NOT_WRITERS,
}


def service_functions() -> set[str]:
    names: set[str] = set()
    for info in pkgutil.walk_packages(jingzhun.__path__, "jingzhun."):
        if not info.name.endswith(".services"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in inspect.getmembers(module, inspect.isfunction):
            if obj.__module__ == info.name and not name.startswith("_"):
                names.add(f"{info.name}.{name}")
    return names


def test_every_service_function_is_classified(db: None) -> None:
    unknown = service_functions() - set(CALLS) - NOT_WRITERS
    assert not unknown, f"new service functions must be added to CALLS (and audit) or NOT_WRITERS: {unknown}"


@pytest.mark.parametrize("name", sorted(CALLS))
def test_service_writes_an_audit_record(world: Any, name: str) -> None:
    username = ACTORS.get(name, "township_officer")
    actor = Actor.of(world.users[username])
    last = ObjectChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    written = CALLS[name](world, actor)
    new = ObjectChange.objects.filter(pk__gt=last)
    assert new.exists()
    assert all(c.user_name == username for c in new)
    if isinstance(written, Model):
        # the row is for the object the writer returned, not only for something else it touched
        assert new.filter(object_type=object_type(written), object_id=str(written.pk)).exists(), name
