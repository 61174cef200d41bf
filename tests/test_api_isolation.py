"""Meta-tests over every operation of the generated OpenAPI schema: jurisdictions and roles hold everywhere.

* Every operation is listed in one of the tables below; a new operation fails here until it is added, so
  no endpoint escapes these checks.
* For every operation that names an object, a user of another township or role gets exactly the answer
  (status and body) a nonexistent id gets, and writes nothing.
* Read-only roles are refused on every write, and nothing is written.
* List operations never contain an object outside the user's jurisdiction.
* Every operation needs the bearer token; the interactive docs need a logged-in session.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from jingzhun.accounts.services import create_api_token
from jingzhun.api import api
from jingzhun.assessment.tests import isolation as assessment_iso
from jingzhun.assistance.tests import isolation as assistance_iso
from jingzhun.comparison import doubt_access
from jingzhun.comparison.tests import isolation as comparison_iso
from jingzhun.core.audit import Actor
from jingzhun.core.models import ObjectChange
from jingzhun.policy import access as policy_access
from jingzhun.procedures.tests import helpers as procedure_helpers
from jingzhun.regions.models import Region
from jingzhun.registry import access
from jingzhun.registry.models import Household, HouseholdYear, ImportBatch, Member
from jingzhun.registry.tests import isolation as registry_iso
from jingzhun.testing.factories import next_id
from jingzhun.testing.world import World
from jingzhun.villages.tests import isolation as villages_iso

OUTSIDERS = ("township_b_officer", "department", "helper")
READ_ONLY = ("leader", "auditor")
MISSING = {
    "household": 10**9,
    "member": 10**9,
    "batch": "f" * 32,
    "region": "629999999999",
    "parameter": 10**9,
    "case": 10**9,
    "notice": 10**9,
    "run": 10**9,
    "doubt": 10**9,
    "confirmed_doubt": 10**9,
    "survey": 10**9,
    "sampled": 10**9,
    "pairing": 10**9,
    "measure": 10**9,
    "expense": 10**9,
    "assessment": 10**9,
    "county": villages_iso.MISSING_COUNTY,
    "village": villages_iso.MISSING_VILLAGE,
    "village_case": 10**9,
    "region_rule": 10**9,
}


@dataclass(frozen=True)
class ObjectOperation:
    """An operation on one object: which kind of object its path names, and a valid body for writes."""

    target: str  # household, member, batch, region, parameter, case, notice, run, doubt, confirmed_doubt, pairing,
    # ..., county (秦州区), village (南山村, on the 贫困村 list), village_case (its exit case)
    body: Callable[[], dict[str, Any]] | None = None
    query: dict[str, str] = field(default_factory=dict)
    owner: str = "township_officer"  # who succeeds on 玉泉镇's object (policy parameters: the county admin)


TODAY = dt.date.today().isoformat()

OBJECT_OPERATIONS: dict[tuple[str, str], ObjectOperation] = {
    ("get", "/api/regions/{code}"): ObjectOperation("region"),
    ("get", "/api/registry/households/{id}"): ObjectOperation("household"),
    ("patch", "/api/registry/households/{id}"): ObjectOperation(
        "household", lambda: {"version": 1, "head_name": "越权修改"}
    ),
    ("get", "/api/registry/households/{id}/history"): ObjectOperation("household"),
    ("get", "/api/registry/households/{id}/as-of"): ObjectOperation("household", query={"date": TODAY}),
    ("post", "/api/registry/households/{id}/members"): ObjectOperation(
        "household",
        lambda: {
            "version": 1,
            "person_number": "P-X-1",
            "name": "越权",
            "id_number": next_id(),
            "relation": "20",
        },
    ),
    ("put", "/api/registry/households/{id}/years/{year}"): ObjectOperation(
        "household", lambda: {"version": 1, "wage_income": 1}
    ),
    ("get", "/api/registry/members/{id}"): ObjectOperation("member"),
    ("patch", "/api/registry/members/{id}"): ObjectOperation(
        "member", lambda: {"version": 1, "name": "越权"}
    ),
    ("get", "/api/registry/members/{id}/years"): ObjectOperation("member"),
    ("put", "/api/registry/members/{id}/years/{year}"): ObjectOperation(
        "member", lambda: {"version": 1, "schooling": "03"}
    ),
    ("post", "/api/registry/members/{id}/leave"): ObjectOperation(
        "member", lambda: {"version": 1, "reason": "death", "date": "2025-01-01"}
    ),
    ("get", "/api/registry/households/{id}/expenses"): ObjectOperation("household"),
    ("post", "/api/registry/households/{id}/expenses"): ObjectOperation(
        "household", registry_iso.expense_body
    ),
    ("put", "/api/registry/expenses/{id}"): ObjectOperation("expense", registry_iso.expense_body),
    ("delete", "/api/registry/expenses/{id}"): ObjectOperation("expense", registry_iso.delete_body),
    ("get", "/api/registry/households/{id}/income-assessments"): ObjectOperation("household"),
    ("post", "/api/registry/households/{id}/income-assessments"): ObjectOperation(
        "household", registry_iso.assessment_body
    ),
    ("put", "/api/registry/income-assessments/{id}"): ObjectOperation(
        "assessment", registry_iso.assessment_body
    ),
    ("delete", "/api/registry/income-assessments/{id}"): ObjectOperation(
        "assessment", registry_iso.delete_body
    ),
    ("get", "/api/registry/imports/{batch_id}"): ObjectOperation("batch"),
    ("get", "/api/registry/imports/{batch_id}/errors"): ObjectOperation("batch"),
    ("get", "/api/policy/parameters/{id}"): ObjectOperation("parameter", owner="county_admin"),
    ("patch", "/api/policy/parameters/{id}"): ObjectOperation(
        "parameter", lambda: {"version": 1, "value": "9"}, owner="county_admin"
    ),
    ("get", "/api/policy/households/{id}/evaluation"): ObjectOperation(
        "household", query={"purpose": "exit", "on": TODAY}
    ),
    ("get", "/api/procedures/cases/{id}"): ObjectOperation("case"),
    ("post", "/api/procedures/cases/{id}/steps"): ObjectOperation(
        "case",
        lambda: {
            "step_code": "township_review",
            "version": 1,
            "signatures": [{"signer": "township", "name": "乡镇审核人"}],
        },
    ),
    ("post", "/api/procedures/households/{id}/cases"): ObjectOperation(
        "household",
        lambda: {
            "kind": "natural_change",
            "discovered_on": TODAY,
            "params": procedure_helpers.birth(dt.date.today()),
        },
    ),
    ("get", "/api/procedures/notices/{id}"): ObjectOperation("notice"),
    ("get", "/api/comparison/runs/{id}"): ObjectOperation("run"),
    ("get", "/api/comparison/doubts/{id}"): ObjectOperation("doubt"),
    # 玉泉镇's own comparison rule: changed by the county administrator only (leaders and auditors see it)
    ("put", "/api/comparison/rules/region/{id}"): ObjectOperation(
        "region_rule", comparison_iso.region_rule_body, owner="county_admin"
    ),
    ("post", "/api/comparison/rules/region/{id}/check"): ObjectOperation("region_rule", owner="county_admin"),
    ("post", "/api/comparison/rules/region/{id}/switch"): ObjectOperation(
        "region_rule", lambda: {"enabled": False, "version": 1}, owner="county_admin"
    ),
    ("post", "/api/comparison/doubts/{id}/verify"): ObjectOperation(
        "doubt", lambda: {"confirmed": False, "note": "部门数据有误", "version": 1}
    ),
    ("post", "/api/comparison/doubts/{id}/resolve"): ObjectOperation(
        "confirmed_doubt", lambda: {"note": "已整改", "version": 1}
    ),
    ("get", "/api/analytics/regions/{code}/values"): ObjectOperation("region"),
    ("get", "/api/analytics/regions/{code}/children"): ObjectOperation(
        "region", query={"indicator": "households_by_status"}
    ),
    ("get", "/api/analytics/regions/{code}/households"): ObjectOperation(
        "region", query={"indicator": "households_by_status"}
    ),
    ("get", "/api/analytics/regions/{code}/exit"): ObjectOperation("region"),
    ("get", "/api/assessment/surveys/{id}"): ObjectOperation("survey", owner="county_admin"),
    ("post", "/api/assessment/households/{id}/interview"): ObjectOperation(
        "sampled", assessment_iso.interview_body, owner="county_admin"
    ),
    ("get", "/api/assistance/households/{id}"): ObjectOperation("household"),
    ("post", "/api/assistance/households/{id}/pairings"): ObjectOperation(
        "household", assistance_iso.pairing_body
    ),
    ("post", "/api/assistance/households/{id}/measures"): ObjectOperation(
        "household", assistance_iso.measure_body
    ),
    ("put", "/api/assistance/pairings/{id}"): ObjectOperation("pairing", assistance_iso.pairing_body),
    ("put", "/api/assistance/measures/{id}"): ObjectOperation("measure", assistance_iso.measure_body),
    # Poor villages: the county's list is changed by its administrators only; a village, its yearly records
    # and its exit case are read by the jurisdiction's readers and written by its editors.
    ("get", "/api/villages/counties/{code}/poor-villages"): ObjectOperation("county", owner="county_admin"),
    ("post", "/api/villages/counties/{code}/poor-villages"): ObjectOperation(
        "county", villages_iso.import_body, owner="county_admin"
    ),
    ("get", "/api/villages/{code}/years"): ObjectOperation("village"),
    ("put", "/api/villages/{code}/years/{year}"): ObjectOperation("village", villages_iso.record_body),
    ("get", "/api/villages/{code}/exit-check"): ObjectOperation("village", query={"year": "2025"}),
    ("get", "/api/villages/{code}/identification-check"): ObjectOperation("village"),
    ("post", "/api/villages/{code}/exit-cases"): ObjectOperation("village", villages_iso.open_body),
    ("get", "/api/villages/cases/{id}"): ObjectOperation("village_case"),
    ("post", "/api/villages/cases/{id}/steps"): ObjectOperation("village_case", villages_iso.step_body),
}
# Operations without an object in the path: lists (checked for jurisdiction) and the rest.
LIST_OPERATIONS = {
    ("get", "/api/regions/"),
    ("get", "/api/registry/households"),
    ("get", "/api/policy/parameters"),
    ("get", "/api/procedures/cases"),
    ("get", "/api/comparison/runs"),
    ("get", "/api/comparison/doubts"),
    ("get", "/api/comparison/rules"),
    ("get", "/api/assessment/surveys"),
}
OTHER_OPERATIONS = {
    ("get", "/api/me"),
    ("post", "/api/registry/imports"),
    ("post", "/api/policy/parameters"),
    ("post", "/api/procedures/bulk"),
    ("post", "/api/procedures/notices"),
    ("post", "/api/comparison/runs"),
    ("post", "/api/comparison/rules/region"),  # county administrators only (403 before the body)
    ("put", "/api/comparison/thresholds"),
    ("get", "/api/analytics/indicators"),
}
WRITE_METHODS = {"post", "put", "patch", "delete"}

# Parameters named like a region, enumerated from the schema so that a new one cannot be missed. A path
# parameter names the object of an OBJECT_OPERATIONS row of one of REGION_TARGETS (checked above: a foreign
# one answers like a missing one); a query parameter narrows a list and is in REGION_QUERIES, with the
# access function that bounds what the list may hold.
REGIONISH = re.compile(r"region|village|county|township|prefix|code")
REGION_TARGETS = {"region", "county", "village"}


def _ids(qs: Any) -> set[Any]:
    return set(qs.values_list("pk", flat=True))


REGION_QUERIES: dict[tuple[str, str], tuple[str, Callable[[Any], set[Any]]]] = {
    ("get", "/api/registry/households"): ("region", lambda user: _ids(access.households_for(user))),
    ("get", "/api/policy/parameters"): ("region", lambda user: _ids(policy_access.parameters_for(user))),
    ("get", "/api/comparison/doubts"): ("region", lambda user: _ids(doubt_access.doubts_for(user))),
}


def schema_operations() -> set[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return {(method, path) for path, ops in schema["paths"].items() for method in ops}


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clients(world: World) -> dict[str, Client]:
    tokens = {
        name: create_api_token(actor=Actor(user=None, name="测试"), user=u)[1]
        for name, u in world.users.items()
    }
    return {name: Client(headers={"Authorization": f"Bearer {raw}"}) for name, raw in tokens.items()}


@pytest.fixture
def batch_a(world: World) -> ImportBatch:
    """An import batch of the 玉泉镇 officer, with an error report."""
    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "isolation-errors.xlsx").write_bytes(b"PK\x03\x04")
    return ImportBatch.objects.create(
        id="a" * 32,
        file_name="玉泉镇.xlsx",
        file_sha256="0" * 64,
        user=world.users["township_officer"],
        user_name="township_officer",
        region=world.township_a,
        policy="valid",
        state="partial",
        error_count=1,
        error_report="imports/isolation-errors.xlsx",
    )


def foreign_object(world: World, batch: ImportBatch, target: str, user_name: str) -> Any:
    """An object of 玉泉镇 (or, for regions, one outside the user's jurisdiction)."""
    if target == "household":
        return world.household_a.pk
    if target == "member":
        return world.household_a.members.get().pk
    if target == "batch":
        return batch.pk
    if target == "parameter":
        return _foreign_parameter(world, user_name)
    if target in ("case", "notice"):
        from jingzhun.procedures.tests import isolation

        return (isolation.case_a if target == "case" else isolation.notice_a)(world.household_a).pk
    if target in ("run", "doubt", "confirmed_doubt", "region_rule"):
        from jingzhun.comparison.tests import isolation as comparison

        make = {
            "region_rule": comparison.region_rule_a,
            "run": comparison.run_a,
            "doubt": comparison.doubt_a,
            "confirmed_doubt": comparison.confirmed_doubt_a,
        }
        return make[target](world).pk
    if target in ("pairing", "measure"):
        return (assistance_iso.pairing_a if target == "pairing" else assistance_iso.measure_a)(
            world.household_a
        ).pk
    if target in ("expense", "assessment"):
        return (registry_iso.expense_a if target == "expense" else registry_iso.assessment_a)(
            world.household_a
        ).pk
    if target == "county":
        return world.county.code
    if target == "village":
        return villages_iso.poor_village_a(world).village_id
    if target == "village_case":
        return villages_iso.case_a(world).pk
    if target in ("survey", "sampled"):
        return (assessment_iso.survey_a if target == "survey" else assessment_iso.sampled_a)(world).pk
    user = world.users[user_name]
    if user.region.contains(world.township_a.code):
        return Region.objects.get(code="620503000000").code  # 麦积区, a neighbouring county
    return world.township_a.code


def _foreign_parameter(world: World, user_name: str) -> int:
    """A parameter of 北坡村 (玉泉镇); for an outsider who may still see it (the county's department user:
    policy is public within the jurisdiction), one of 云南 (53)."""
    from jingzhun.policy import access as policy_access
    from jingzhun.policy.models import Parameter

    row, _ = Parameter.objects.get_or_create(
        key="notice_days_exit",
        region_prefix="620502100202",
        effective_from="2024-01-01",
        defaults={"value": 7, "document": "北坡村测试文件"},
    )
    if (
        user_name in OUTSIDERS
        and policy_access.parameters_for(world.users[user_name]).filter(pk=row.pk).exists()
    ):
        return Parameter.objects.get(key="monitoring_line", region_prefix="53", year=2025).pk
    return row.pk


def call(client: Client, method: str, path: str, op: ObjectOperation, target_id: Any) -> Any:
    url = path.format(id=target_id, code=target_id, batch_id=target_id, year=2025)
    if method == "get":
        return client.get(url, op.query)
    body = op.body() if op.body else {}
    return getattr(client, method)(url, body, content_type="application/json")


def state() -> tuple:
    return (
        ObjectChange.objects.count(),
        list(Household.objects.order_by("pk").values_list("pk", "head_name", "version")),
        list(Member.objects.order_by("pk").values_list("pk", "name", "left_on")),
        list(HouseholdYear.objects.order_by("pk").values_list("pk", "wage_income")),
        ImportBatch.objects.count(),
    )


def body_of(response: Any) -> Any:
    return (
        response.json()
        if response.get("Content-Type", "").startswith("application/json")
        else response.content
    )


# --------------------------------------------------------------------------------------------------
# The tables cover the schema
# --------------------------------------------------------------------------------------------------


def test_every_operation_is_in_a_table() -> None:
    operations = schema_operations()
    with_object = {op for op in operations if "{" in op[1]}
    uncovered = with_object - set(OBJECT_OPERATIONS)
    assert not uncovered, (
        f"operations with a path parameter missing from OBJECT_OPERATIONS: {sorted(uncovered)}"
    )
    unclassified = operations - with_object - LIST_OPERATIONS - OTHER_OPERATIONS
    assert not unclassified, (
        f"operations missing from LIST_OPERATIONS / OTHER_OPERATIONS: {sorted(unclassified)}"
    )
    stale = (set(OBJECT_OPERATIONS) | LIST_OPERATIONS | OTHER_OPERATIONS) - operations
    assert not stale, f"tables name operations that no longer exist: {sorted(stale)}"


def region_parameters() -> set[tuple[str, str, str, str]]:
    """(method, path, where, name) of every path or query parameter named like a region."""
    schema = api.get_openapi_schema()
    return {
        (method, path, param["in"], param["name"])
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        for param in op.get("parameters", [])
        if REGIONISH.search(param["name"])
    }


def test_every_region_parameter_is_checked() -> None:
    found = region_parameters()
    for method, path, where, name in sorted(found):
        if where == "path":
            op = OBJECT_OPERATIONS.get((method, path))
            assert op is not None and op.target in REGION_TARGETS, (
                f"{method} {path}: path parameter {name} names a region; its OBJECT_OPERATIONS row must have a "
                f"target in {REGION_TARGETS}"
            )
        else:
            assert REGION_QUERIES.get((method, path), ("",))[0] == name, (
                f"{method} {path}: {where} parameter {name} names a region; add it to REGION_QUERIES"
            )
    queries = {(method, path) for method, path, where, _name in found if where != "path"}
    assert queries == set(REGION_QUERIES), (
        f"REGION_QUERIES names stale lists: {set(REGION_QUERIES) - queries}"
    )
    assert len(found) >= 15


@pytest.mark.parametrize(("method", "path"), sorted(REGION_QUERIES))
def test_region_filters_never_leave_the_jurisdiction(
    world: World, clients: dict[str, Client], method: str, path: str
) -> None:
    from jingzhun.comparison.tests import isolation as comparison

    comparison.doubt_a(world)
    param, allowed = REGION_QUERIES[(method, path)]
    for user_name, user in world.users.items():
        visible = allowed(user)
        for code in (world.township_a.code, world.township_a.prefix, "620502", "53"):
            response = getattr(clients[user_name], method)(path, {param: code, "limit": 200})
            assert response.status_code in (200, 404, 422), (user_name, code, response.content)
            if response.status_code == 200:
                items = response.json()["items"]
                assert {item["id"] for item in items} <= visible, (user_name, code)
    # A user of the other township learns nothing: 玉泉镇 answers as a code that does not exist.
    client = clients["township_b_officer"]
    foreign = getattr(client, method)(path, {param: world.township_a.code})
    missing = getattr(client, method)(path, {param: MISSING["region"]})
    assert foreign.status_code == missing.status_code and body_of(foreign) == body_of(missing)


# --------------------------------------------------------------------------------------------------
# Another jurisdiction or role: indistinguishable from "does not exist"
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), sorted(OBJECT_OPERATIONS))
def test_outsiders_cannot_tell_a_foreign_object_from_a_missing_one(
    world: World, clients: dict[str, Client], batch_a: ImportBatch, method: str, path: str
) -> None:
    op = OBJECT_OPERATIONS[(method, path)]
    for user_name in OUTSIDERS:
        # Given a user of another township or a role that does not see 玉泉镇's households
        client = clients[user_name]
        before = state()
        # When they call the operation on 玉泉镇's object, and on an id that does not exist
        foreign = call(client, method, path, op, foreign_object(world, batch_a, op.target, user_name))
        missing = call(client, method, path, op, MISSING[op.target])
        # Then both answers are the same 404, and nothing was written
        assert foreign.status_code == missing.status_code == 404, (user_name, foreign.content)
        assert body_of(foreign) == body_of(missing), user_name
        assert body_of(foreign)["code"] == "not_found"
        assert state() == before, user_name


@pytest.mark.parametrize(("method", "path"), sorted(OBJECT_OPERATIONS))
def test_the_owning_officer_is_not_refused(
    world: World, clients: dict[str, Client], batch_a: ImportBatch, method: str, path: str
) -> None:
    """The counterpart of the test above: the same call by 玉泉镇's officer succeeds (so 404 means refusal)."""
    op = OBJECT_OPERATIONS[(method, path)]
    response = call(clients[op.owner], method, path, op, foreign_object(world, batch_a, op.target, "helper"))
    if (
        op.target == "region"
    ):  # the helper's foreign region is 玉泉镇 itself, inside the officer's jurisdiction
        assert response.status_code == 200
    else:
        assert response.status_code in {200, 201}, response.content


# --------------------------------------------------------------------------------------------------
# Read-only roles: refused on every write
# --------------------------------------------------------------------------------------------------

WRITE_OPERATIONS = sorted(
    op for op in set(OBJECT_OPERATIONS) | LIST_OPERATIONS | OTHER_OPERATIONS if op[0] in WRITE_METHODS
)


@pytest.mark.parametrize(("method", "path"), WRITE_OPERATIONS)
def test_read_only_roles_are_refused_on_every_write(
    world: World, clients: dict[str, Client], batch_a: ImportBatch, method: str, path: str
) -> None:
    for user_name in READ_ONLY:
        client = clients[user_name]
        before = state()
        if (method, path) in OBJECT_OPERATIONS:
            op = OBJECT_OPERATIONS[(method, path)]
            response = call(client, method, path, op, foreign_object(world, batch_a, op.target, user_name))
        else:
            upload = SimpleUploadedFile("a.csv", b"x,y\n1,2\n")
            response = getattr(client, method)(path, {"file": upload, "policy": "all"})
        assert response.status_code == 403, (user_name, response.content)
        assert response.json()["code"] == "forbidden"
        assert state() == before, user_name


def test_the_write_table_is_not_empty() -> None:
    assert len(WRITE_OPERATIONS) >= 6


# --------------------------------------------------------------------------------------------------
# Lists stay inside the jurisdiction
# --------------------------------------------------------------------------------------------------


def test_household_search_never_leaves_the_jurisdiction(world: World, clients: dict[str, Client]) -> None:
    for user_name, user in world.users.items():
        allowed = set(access.households_for(user, "view").values_list("pk", flat=True))
        body = clients[user_name].get("/api/registry/households", {"limit": 200}).json()
        seen = {item["id"] for item in body["items"]}
        assert seen == allowed and body["count"] == len(allowed), user_name
    officer_b = clients["township_b_officer"].get("/api/registry/households", {"q": "户主"}).json()
    assert world.household_a.pk not in {item["id"] for item in officer_b["items"]}
    assert {item["id"] for item in officer_b["items"]} == {
        world.household_b.pk,
        world.households["620502101202"].pk,
    }


def test_region_lists_never_leave_the_jurisdiction(world: World, clients: dict[str, Client]) -> None:
    for user_name, user in world.users.items():
        body = clients[user_name].get("/api/regions/").json()
        prefix = user.jurisdiction_prefix or ""
        codes = [c["code"] for c in body["children"]]
        assert all(code.startswith(prefix) for code in codes), user_name
        visible = set(access.households_for(user, "view").values_list("pk", flat=True))
        assert sum(c["households"] for c in body["children"]) <= len(visible), user_name


# --------------------------------------------------------------------------------------------------
# Authentication everywhere
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), sorted(schema_operations()))
def test_every_operation_needs_a_token(world: World, batch_a: ImportBatch, method: str, path: str) -> None:
    url = path.format(id=world.household_a.pk, code=world.township_a.code, batch_id=batch_a.pk, year=2025)
    before = state()
    for headers in ({}, {"Authorization": "Bearer jz_not-a-token"}):
        response = getattr(Client(headers=headers), method)(url, {} if method == "get" else None)
        assert response.status_code == 401, (method, path, headers)
        assert response.json()["code"] == "unauthorized"
    assert state() == before


def test_docs_render_for_a_logged_in_session_only(world: World) -> None:
    assert Client().get("/api/docs").status_code == 302
    session = Client()
    session.force_login(world.users["leader"])
    docs = session.get("/api/docs")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content
    schema = session.get("/api/openapi.json").json()
    assert {(m, p) for p, ops in schema["paths"].items() for m in ops} == schema_operations()


def test_tokens_expire(world: World, clients: dict[str, Client]) -> None:
    from jingzhun.accounts.models import ApiToken

    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert clients["admin"].get("/api/me").status_code == 401
