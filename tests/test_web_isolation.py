"""Isolation through every URL: nobody learns about, or changes, a record outside their reach.

For every URL pattern in the project that takes an object id (walked from the resolver, so a new view
with parameters fails here until it is added to ``COVERAGE``) and for every role of the test world:

* a role that may not see the object gets exactly the response a nonexistent id gets: 404, same body
  (after removing the CSRF tokens and the requested path, which differ by construction), on GET and POST;
* a read-only role posting to an edit page is refused (404/403) and no ``ObjectChange`` is written;
* a role that may see it gets the page (200).

Views that take a region as a query parameter are listed in ``QUERY_COVERAGE`` and checked the same way.
"""

from __future__ import annotations

import html
import inspect
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern, RoutePattern

from jingzhun.analytics.tests import isolation as analytics_iso
from jingzhun.assessment.tests import isolation as assessment_iso
from jingzhun.assistance.tests import isolation as assistance_iso
from jingzhun.comparison.tests import isolation as comparison_iso
from jingzhun.core.models import ObjectChange
from jingzhun.procedures.tests import isolation as procedures_iso
from jingzhun.registry.models import Household, ImportBatch, Member
from jingzhun.registry.tests import isolation as registry_iso
from jingzhun.villages.tests import isolation as villages_iso

pytestmark = pytest.mark.django_db

ROLES = (
    "admin",
    "county_admin",
    "township_officer",
    "village_officer",
    "helper",
    "department",
    "leader",
    "auditor",
    "township_b_officer",
)
HOUSEHOLD_READERS = {"admin", "county_admin", "township_officer", "village_officer", "leader", "auditor"}
HOUSEHOLD_EDITORS = {"admin", "county_admin", "township_officer", "village_officer"}
BATCH_READERS = {"admin", "county_admin", "township_officer"}  # editors whose jurisdiction holds 玉泉镇
REGION_READERS = {"admin", "county_admin", "township_officer", "department", "leader", "auditor"}


# ---------------------------------------------------------------------------------------------------
# Objects of 玉泉镇 (the target) and ids that do not exist


@dataclass
class Scene:
    world: Any
    batch: ImportBatch
    missing_household: int
    missing_member: int

    @property
    def household(self) -> Household:
        return self.world.household_a

    @property
    def member(self) -> Member:
        return self.world.household_a.members.get(left_on__isnull=True)


def household_form(scene: Scene) -> dict[str, Any]:
    h = scene.household
    return {"version": h.version, "head_name": "改名", "attribute": h.attribute, "phone": "13000000000"}


def member_form(scene: Scene) -> dict[str, Any]:
    m = scene.member
    return {
        "version": scene.household.version,
        "name": "改名",
        "id_number": m.id_number,
        "relation": m.relation,
        "migrant_months": 3,
        "person_number": "P999000000001",
    }


def year_form(scene: Scene) -> dict[str, Any]:
    return {
        "version": scene.household.version,
        "household_size": 9,
        "wage_income": "1",
        "business_income": "0",
    }


def member_year_form(scene: Scene) -> dict[str, Any]:
    return {"version": scene.household.version, "migrant_months": 0, "schooling": "03"}


def remove_form(scene: Scene) -> dict[str, Any]:
    return {"version": scene.household.version, "leave_reason": "death", "left_on": "2025-01-01"}


@dataclass(frozen=True)
class Case:
    """How to reach one URL pattern for the target object and for a missing one, and who may."""

    kwargs: Callable[[Scene, bool], dict[str, Any]]
    readers: set[str]
    post: Callable[[Scene], dict[str, Any]] | None = None  # a real edit: posted by everyone else
    api: bool = False
    get_ok: bool = True  # readers get 200 on GET
    extra: dict[str, Any] = field(default_factory=dict)


def household_kwargs(scene: Scene, missing: bool) -> dict[str, Any]:
    return {"pk": scene.missing_household if missing else scene.household.pk}


def member_kwargs(scene: Scene, missing: bool) -> dict[str, Any]:
    return {"pk": scene.missing_member if missing else scene.member.pk}


def year_kwargs(scene: Scene, missing: bool) -> dict[str, Any]:
    return {**household_kwargs(scene, missing), "year": 2025}


def member_year_kwargs(scene: Scene, missing: bool) -> dict[str, Any]:
    return {**member_kwargs(scene, missing), "year": 2024}


def batch_kwargs(scene: Scene, missing: bool) -> dict[str, Any]:
    return {"batch_id": "0" * 32 if missing else scene.batch.pk}


def job_kwargs(scene: Scene, missing: bool) -> dict[str, Any]:
    """A finished export started by the township officer (made directly, with its file in place)."""
    from jingzhun.core.models import Job, JobState

    officer = scene.world.users["township_officer"]
    job, _ = Job.objects.get_or_create(
        id="1" * 32,
        defaults={
            "kind": "export",
            "title": "导出农户数据（玉泉镇）",
            "state": JobState.SUCCEEDED,
            "user": officer,
            "user_name": officer.username,
            "result_file": "reports/errors.xlsx",
        },
    )
    return {"job_id": "0" * 32 if missing else job.pk}


# A job is followed by whoever started it, and by the system administrator.
JOB_READERS = {"admin", "township_officer"}


def township_parameter_kwargs(scene: Scene, missing: bool) -> dict[str, Any]:
    """A policy parameter of 玉泉镇 (made directly: setting up the scene is not an audited edit)."""
    from jingzhun.policy.models import Parameter

    row, _ = Parameter.objects.get_or_create(
        key="notice_days_exit",
        region_prefix="620502100",
        effective_from="2024-01-01",
        defaults={"value": 7, "document": "玉泉镇测试文件"},
    )
    return {"pk": row.pk + 100000 if missing else row.pk}


def parameter_form(scene: Scene) -> dict[str, Any]:
    return {"version": 1, "value": "9", "document": "改", "effective_from": "2024-01-01"}


# Who sees a 玉泉镇 parameter: everyone whose jurisdiction contains 玉泉镇 or lies inside it.
PARAMETER_READERS = set(ROLES) - {"township_b_officer"}
PARAMETER_EDITORS = {"admin", "county_admin"}
# Who sees a run of 玉泉镇: jurisdictions that contain the township (a village officer's does not).
# A run is read inside its region and by officers of a village it covered.
RUN_READERS = {"admin", "county_admin", "township_officer", "village_officer", "leader", "auditor"}

COVERAGE: dict[str, Case] = {
    "job": Case(job_kwargs, JOB_READERS),
    "job_download": Case(job_kwargs, JOB_READERS),
    "policy:parameter_detail": Case(township_parameter_kwargs, PARAMETER_READERS),
    "policy:parameter_edit": Case(township_parameter_kwargs, PARAMETER_EDITORS, post=parameter_form),
    "policy:household_evaluate": Case(household_kwargs, HOUSEHOLD_READERS),
    "registry:household_detail": Case(household_kwargs, HOUSEHOLD_READERS),
    "registry:household_edit": Case(household_kwargs, HOUSEHOLD_EDITORS, post=household_form),
    "registry:member_add": Case(household_kwargs, HOUSEHOLD_EDITORS, post=member_form),
    "registry:year_edit": Case(year_kwargs, HOUSEHOLD_EDITORS, post=year_form),
    "registry:member_edit": Case(member_kwargs, HOUSEHOLD_EDITORS, post=member_form),
    "registry:member_remove": Case(member_kwargs, HOUSEHOLD_EDITORS, post=remove_form),
    "registry:member_years": Case(member_kwargs, HOUSEHOLD_READERS),
    "registry:member_year_edit": Case(member_year_kwargs, HOUSEHOLD_EDITORS, post=member_year_form),
    "registry:expense_add": Case(household_kwargs, HOUSEHOLD_EDITORS, post=registry_iso.expense_form),
    "registry:expense_edit": Case(
        registry_iso.expense_kwargs, HOUSEHOLD_EDITORS, post=registry_iso.expense_form
    ),
    "registry:expense_delete": Case(
        registry_iso.expense_kwargs, HOUSEHOLD_EDITORS, post=registry_iso.delete_form
    ),
    "registry:income_add": Case(household_kwargs, HOUSEHOLD_EDITORS, post=registry_iso.assessment_form),
    "registry:income_edit": Case(
        registry_iso.assessment_kwargs, HOUSEHOLD_EDITORS, post=registry_iso.assessment_form
    ),
    "registry:income_delete": Case(
        registry_iso.assessment_kwargs, HOUSEHOLD_EDITORS, post=registry_iso.delete_form
    ),
    "registry:import_batch": Case(batch_kwargs, BATCH_READERS),
    "registry:import_errors": Case(batch_kwargs, BATCH_READERS),
    "procedures:case_detail": Case(
        procedures_iso.case_kwargs, HOUSEHOLD_READERS, post=procedures_iso.step_form
    ),
    "procedures:case_open": Case(
        procedures_iso.open_kwargs, HOUSEHOLD_EDITORS, post=procedures_iso.open_form
    ),
    "procedures:village_bulk": Case(
        procedures_iso.village_kwargs, HOUSEHOLD_EDITORS, post=procedures_iso.bulk_form
    ),
    "procedures:notice_detail": Case(
        procedures_iso.notice_kwargs, HOUSEHOLD_READERS, post=procedures_iso.objection_form
    ),
    "procedures:notice_pdf": Case(procedures_iso.notice_kwargs, HOUSEHOLD_READERS),
    "procedures:evidence_file": Case(procedures_iso.evidence_kwargs, HOUSEHOLD_READERS),
    "comparison:run_detail": Case(comparison_iso.run_kwargs, RUN_READERS),
    # a region's own rule: only who may change it gets the page (its county administrator, the admin)
    "comparison:region_rule": Case(
        comparison_iso.region_rule_kwargs, PARAMETER_EDITORS, post=comparison_iso.region_rule_form
    ),
    "comparison:run_checks": Case(comparison_iso.run_kwargs, RUN_READERS),
    "comparison:run_checks_xlsx": Case(comparison_iso.run_kwargs, RUN_READERS),
    "comparison:doubt_detail": Case(
        comparison_iso.doubt_kwargs, HOUSEHOLD_READERS, post=comparison_iso.verify_form
    ),
    "comparison:doubt_file": Case(comparison_iso.file_kwargs, HOUSEHOLD_READERS),
    "comparison:load_errors": Case(comparison_iso.load_kwargs, HOUSEHOLD_READERS),
    "analytics:households": Case(analytics_iso.indicator_kwargs, analytics_iso.FIGURE_READERS),
    "assessment:survey_detail": Case(assessment_iso.survey_kwargs, assessment_iso.READERS),
    "assessment:survey_redraw": Case(
        assessment_iso.survey_kwargs, assessment_iso.EDITORS, post=assessment_iso.redraw_form, get_ok=False
    ),
    "assessment:survey_close": Case(
        assessment_iso.survey_kwargs, assessment_iso.EDITORS, post=assessment_iso.close_form, get_ok=False
    ),
    "assessment:survey_estimates": Case(assessment_iso.survey_kwargs, assessment_iso.READERS),
    "assessment:survey_lists": Case(assessment_iso.lists_kwargs, assessment_iso.READERS),
    "assessment:village_detail": Case(assessment_iso.village_kwargs, assessment_iso.READERS),
    "assessment:household_add": Case(
        assessment_iso.village_kwargs, assessment_iso.EDITORS, post=assessment_iso.add_form, get_ok=False
    ),
    "assessment:village_list": Case(assessment_iso.village_list_kwargs, assessment_iso.READERS),
    "assessment:interview": Case(
        assessment_iso.sampled_kwargs, assessment_iso.READERS, post=assessment_iso.interview_form
    ),
    "reports:card": Case(household_kwargs, HOUSEHOLD_READERS),
    "assistance:pairing_add": Case(household_kwargs, HOUSEHOLD_EDITORS, post=assistance_iso.pairing_form),
    "assistance:pairing_edit": Case(
        assistance_iso.pairing_kwargs, HOUSEHOLD_EDITORS, post=assistance_iso.pairing_form
    ),
    "assistance:measure_add": Case(household_kwargs, HOUSEHOLD_EDITORS, post=assistance_iso.measure_form),
    "assistance:measure_edit": Case(
        assistance_iso.measure_kwargs, HOUSEHOLD_EDITORS, post=assistance_iso.measure_form
    ),
    "villages:village_detail": Case(villages_iso.village_kwargs, villages_iso.READERS),
    "villages:record_edit": Case(
        villages_iso.record_kwargs, villages_iso.EDITORS, post=villages_iso.record_form
    ),
    "villages:case_open": Case(
        villages_iso.village_kwargs, villages_iso.EDITORS, post=villages_iso.open_form, get_ok=False
    ),
    "villages:case_detail": Case(villages_iso.case_kwargs, villages_iso.READERS, post=villages_iso.step_form),
    "villages:import_list": Case(
        villages_iso.county_kwargs, villages_iso.LIST_EDITORS, post=villages_iso.import_form, get_ok=False
    ),
}

# Views that take a region in the query string: (url name, parameter, what an outsider gets).
TOWNSHIP_A_CODE = "620502100000"
MISSING_REGION = "620502100299"  # a well-formed village code of 玉泉镇 that does not exist
QUERY_COVERAGE: tuple[tuple[str, str, str], ...] = (
    ("regions:index", "code", "404"),
    ("registry:export", "region", "404"),
    ("registry:household_list", "region", "ignored"),
    ("comparison:queue", "region", "ignored"),
    ("comparison:lists", "region", "ignored"),
    ("analytics:dashboard", "region", "404"),
    ("analytics:exit", "region", "404"),
    ("reports:index", "region", "404"),
    ("reports:basic", "region", "404"),
    ("reports:causes", "region", "404"),
    ("reports:monitoring", "region", "404"),
    ("reports:doubts", "region", "404"),
    # Policy is public inside the jurisdiction: another region's filter lists what the user sees anyway.
    ("policy:parameter_list", "region", "filtered"),
    ("analytics:households", "region", "404"),
    ("villages:register", "county", "404"),
    # 本县规则与阈值 is for county administrators, whose page is always their own county (the parameter is read
    # for the system administrator, who picks one): every other role is refused, whatever region is asked.
    ("comparison:region_rules", "region", "403"),
)
PUBLIC = {"login", "logout", "set_language"}
# Entries of QUERY_COVERAGE whose readers, values (inside, missing) or path differ from the default above.
QUERY_READERS = {
    # A county's 贫困村 list: the jurisdiction's readers whose region lies inside the county or holds it.
    "villages:register": HOUSEHOLD_READERS | {"township_b_officer"},
    # Figures of 玉泉镇: the figure readers whose jurisdiction holds it.
    "analytics:households": REGION_READERS & set(analytics_iso.FIGURE_READERS),
}
QUERY_VALUES = {"villages:register": ("620502000000", villages_iso.MISSING_COUNTY)}
QUERY_KWARGS: dict[str, Callable[[Scene], dict[str, Any]]] = {
    "analytics:households": lambda scene: analytics_iso.indicator_kwargs(scene, False),
}
# Query parameters named like a region: enumerated from the views' code, so a new one cannot be missed.
REGIONISH = re.compile(r"region|village|county|township|prefix|code")
GET_PARAMETER = re.compile(r"""\.GET(?:\.get|\.getlist)?[(\[]\s*["'](\w+)["']""")


# ---------------------------------------------------------------------------------------------------
# Walking the URL map


def _parameters(pattern: Any) -> list[str]:
    if isinstance(pattern, RoutePattern):
        return list(pattern.converters)
    if isinstance(pattern, RegexPattern):
        return list(pattern.regex.groupindex) or [f"group{i}" for i in range(pattern.regex.groups)]
    return []


def walk(
    patterns: list | None = None, prefix: str = "", namespace: str = "", params: tuple = ()
) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """(key, route, parameters) for every URL pattern: key is 'namespace:name', or the route if unnamed."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        here = (*params, *_parameters(p.pattern))
        if isinstance(p, URLResolver):
            ns = ":".join(filter(None, [namespace, p.namespace or ""]))
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns, here)
        elif isinstance(p, URLPattern):
            route = prefix + str(p.pattern)
            key = f"{namespace}:{p.name}" if namespace and p.name else (p.name or route)
            yield key, route, here


def parametrised_patterns() -> dict[str, str]:
    return {key: route for key, route, params in walk() if params}


def is_api(route: str) -> bool:
    return route.startswith("api/")


def openapi_path(route: str) -> str:
    """'api/registry/households/<int:id>' → '/api/registry/households/{id}' (the OpenAPI spelling)."""
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def test_every_pattern_with_parameters_is_covered():
    # Web pages: this file's COVERAGE.
    web = {key: route for key, route in parametrised_patterns().items() if not is_api(route)}
    uncovered = {key: route for key, route in web.items() if key not in COVERAGE}
    assert not uncovered, (
        "URL patterns that take an id or region but are not in tests/test_web_isolation.py COVERAGE: "
        f"{uncovered}. Add them, saying who may see the object."
    )
    stale = set(COVERAGE) - set(web)
    assert not stale, f"COVERAGE names patterns that no longer exist: {stale}"
    # REST API: the same check lives in tests/test_api_isolation.py (token auth, JSON bodies); make sure
    # every API route with parameters is in its table, so no URL of the project escapes both.
    from tests.test_api_isolation import OBJECT_OPERATIONS

    api_covered = {path for _method, path in OBJECT_OPERATIONS}
    api_routes = {openapi_path(route) for route in parametrised_patterns().values() if is_api(route)}
    assert api_routes <= api_covered, f"API routes not in test_api_isolation: {api_routes - api_covered}"


def view_sources() -> Iterator[tuple[str, str]]:
    """(key, source) of every web view: its own code and that of the module's private helpers it calls."""

    def patterns(items: list, namespace: str = "") -> Iterator[tuple[str, Any]]:
        for p in items:
            if isinstance(p, URLResolver):
                yield from patterns(p.url_patterns, ":".join(filter(None, [namespace, p.namespace or ""])))
            elif isinstance(p, URLPattern):
                yield (f"{namespace}:{p.name}" if namespace and p.name else p.name or str(p.pattern)), p

    for key, pattern in patterns(get_resolver().url_patterns):
        view = inspect.unwrap(pattern.callback)
        module = inspect.getmodule(view)
        if module is None or not module.__name__.startswith("jingzhun.") or module.__name__ == "jingzhun.api":
            continue
        source = inspect.getsource(view)
        helpers = [getattr(module, name, None) for name in set(re.findall(r"\b(_\w+)\(", source))]
        yield key, source + "".join(inspect.getsource(h) for h in helpers if inspect.isfunction(h))


def region_query_parameters() -> set[tuple[str, str]]:
    return {
        (key, name)
        for key, source in view_sources()
        for name in GET_PARAMETER.findall(source)
        if REGIONISH.search(name)
    }


def test_every_region_query_parameter_is_covered():
    found = region_query_parameters()
    covered = {(name, param) for name, param, _outsider in QUERY_COVERAGE}
    assert found - covered == set(), (
        f"views read a region from the query string but are not in QUERY_COVERAGE: {sorted(found - covered)}"
    )
    assert covered - found == set(), (
        f"QUERY_COVERAGE names parameters no view reads: {sorted(covered - found)}"
    )
    assert len(found) >= 12


def test_every_web_page_needs_login(client, scene):
    for key, _route, params in walk():
        if key in PUBLIC or is_api(_route):
            continue
        kwargs = COVERAGE[key].kwargs(scene, False) if params else {}
        response = client.get(reverse(key, kwargs=kwargs))
        assert response.status_code == 302 and "/login/" in response["Location"], key


# ---------------------------------------------------------------------------------------------------
# The checks


@pytest.fixture
def scene(world, settings, tmp_path) -> Scene:
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "errors.xlsx").write_bytes(b"PK")
    officer = world.users["township_officer"]
    batch = ImportBatch.objects.create(
        id=uuid.uuid4().hex,
        file_name="南山村.csv",
        file_sha256="0" * 64,
        user=officer,
        user_name=officer.username,
        region=world.township_a,
        policy=ImportBatch.Policy.ALL_OR_NOTHING,
        state=ImportBatch.State.REJECTED,
        error_report="reports/errors.xlsx",
        error_count=1,
    )
    return Scene(
        world=world,
        batch=batch,
        missing_household=Household.objects.order_by("-pk").first().pk + 1000,
        missing_member=Member.objects.order_by("-pk").first().pk + 1000,
    )


CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=|"X-CSRFToken": )"[^"]*"')


def normalised(response: Any, path: str) -> tuple[int, str]:
    """Status and body, without what differs by construction: CSRF tokens and the requested path."""
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content).decode(errors="replace")
    else:
        body = response.content.decode(errors="replace")
    body = CSRF.sub(r'\1"…"', body)
    for form in {path, html.escape(path), path.replace("&", "&amp;")}:
        body = body.replace(form, "{path}")
    return response.status_code, body


def request(client: Any, method: str, url: str, data: dict[str, Any] | None, headers: dict[str, str]) -> Any:
    if method == "GET":
        return client.get(url, **headers)
    return client.post(url, data or {}, **headers)


def api_headers(user: Any) -> dict[str, str]:
    from jingzhun.accounts.services import create_api_token
    from jingzhun.core.audit import Actor

    _token, raw = create_api_token(actor=Actor.of(None), user=user, name="isolation test")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_roles_cover_the_world(world):
    assert set(world.users) == set(ROLES), "a role was added to the world: say here what it may see"


@pytest.mark.parametrize("role", ROLES)
def test_outsiders_get_the_same_404_as_for_a_missing_id(client, scene, role):
    # given a user of this role, and objects of 玉泉镇 (household, member, import batch)
    user = scene.world.users[role]
    client.force_login(user)
    changes_before = ObjectChange.objects.count()
    versions_before = list(Household.objects.order_by("pk").values_list("pk", "version"))
    checked = 0
    for key, case in COVERAGE.items():
        headers = api_headers(user) if case.api else {}
        target = reverse(key, kwargs=case.kwargs(scene, False))
        missing = reverse(key, kwargs=case.kwargs(scene, True))
        data = case.post(scene) if case.post else None
        if role in case.readers:
            # then a reader gets the page
            if case.get_ok:
                assert client.get(target, **headers).status_code == 200, (role, key)
            continue
        for method in ("GET", "POST"):
            # when an outsider (or a read-only role on an edit page) asks for it
            got = normalised(request(client, method, target, data, headers), target)
            expected = normalised(request(client, method, missing, data, headers), missing)
            # then the answer is exactly the one for an id that does not exist
            assert got[0] in (403, 404), (role, key, method, got[0])
            assert got == expected, (role, key, method)
            checked += 1
    # and nothing was written by anyone
    assert ObjectChange.objects.count() == changes_before
    assert list(Household.objects.order_by("pk").values_list("pk", "version")) == versions_before
    assert role in HOUSEHOLD_EDITORS or checked > 0


@pytest.mark.parametrize("role", ["leader", "auditor"])
def test_read_only_roles_cannot_post_edits(client, scene, role):
    client.force_login(scene.world.users[role])
    for key, case in COVERAGE.items():
        if case.post is None:
            continue
        response = client.post(reverse(key, kwargs=case.kwargs(scene, False)), case.post(scene))
        assert response.status_code in (403, 404), key
    assert not ObjectChange.objects.exists()
    scene.household.refresh_from_db()
    assert scene.household.head_name != "改名"


@pytest.mark.parametrize("role", ROLES)
def test_region_parameters_outside_the_jurisdiction(client, scene, role):
    client.force_login(scene.world.users[role])
    for name, param, outsider in QUERY_COVERAGE:
        url = reverse(name, kwargs=QUERY_KWARGS[name](scene) if name in QUERY_KWARGS else None)
        inside_code, missing_code = QUERY_VALUES.get(name, (TOWNSHIP_A_CODE, MISSING_REGION))
        if role in QUERY_READERS.get(name, REGION_READERS):
            if name in ("regions:index", *QUERY_READERS):
                assert client.get(url, {param: inside_code}).status_code == 200, (role, name)
            continue
        target_path = f"{url}?{param}={inside_code}"
        missing_path = f"{url}?{param}={missing_code}"
        got = normalised(client.get(target_path), target_path)
        expected = normalised(client.get(missing_path), missing_path)
        if outsider == "filtered":  # the form shows the value asked for; the rows are the same
            got = (got[0], got[1].replace(f'value="{inside_code}"', 'value="{value}"'))
            expected = (expected[0], expected[1].replace(f'value="{missing_code}"', 'value="{value}"'))
        assert got == expected, (role, name)
        if outsider == "404":
            assert got[0] == 404, (role, name)
        elif outsider == "403":
            assert got[0] == 403, (role, name)
        elif outsider == "filtered":
            assert got[0] == 200, (role, name)
        else:
            assert got[0] == 200
            assert "已忽略" in got[1]
            if role not in HOUSEHOLD_READERS:
                assert scene.household.household_number not in got[1]
