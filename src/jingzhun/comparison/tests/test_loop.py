"""The verification loop: a run raises doubts, villages verify them, a re-run raises nothing twice, and
every role sees exactly what is meant for it (issue 4: "verify, re-run, no duplicate doubts")."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jingzhun.accounts.choices import Role
from jingzhun.comparison import datasets as ds
from jingzhun.comparison import doubt_access, services
from jingzhun.comparison.engine import dataset_schema
from jingzhun.comparison.models import ComparisonRun, DatasetLoad, Doubt, DoubtState, LoadState, Rule
from jingzhun.core.audit import Actor
from jingzhun.core.errors import NotFoundOrForbidden, PermissionDeniedError, ValidationFailed
from jingzhun.core.models import ObjectChange
from jingzhun.procedures import natural
from jingzhun.regions.models import Region
from jingzhun.registry.choices import Relation
from jingzhun.registry.models import Member
from jingzhun.testing.county import COUNTY, import_generated_county
from jingzhun.testing.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 11, 30)


def _store(dataset: str, rows: list[dict], folder: Path) -> DatasetLoad:
    """A committed department load (what ``dataset load`` leaves behind) holding ``rows``."""
    spec = ds.get(dataset)
    schema = dataset_schema(spec)
    full = [
        {**{f.name: None for f in schema}, "row_number": i + 2, "id_valid": True, **row}
        for i, row in enumerate(rows)
    ]
    folder.mkdir(parents=True, exist_ok=True)
    load_id = uuid.uuid4().hex
    path = folder / f"{load_id}.parquet"
    pq.write_table(pa.Table.from_pylist(full, schema=schema), path)
    return DatasetLoad.objects.create(
        id=load_id,
        dataset=dataset,
        department=spec.department,
        as_of=AS_OF,
        file_name=path.name,
        file_sha256="0" * 64,
        user_name="测试",
        state=LoadState.COMMITTED,
        rows_total=len(rows),
        rows_accepted=len(rows),
        parquet_path=str(path),
    )


@pytest.fixture
def county(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    import_generated_county(tmp_path / "gen", households=300)
    region = Region.objects.get(prefix=COUNTY)
    admin = UserFactory(username="county-admin", role=Role.COUNTY_ADMIN, region=region)
    return region, admin


def _run(region: Region, user) -> ComparisonRun:
    return services.run_comparison(actor=Actor.of(user), region=region, as_of=AS_OF)


def test_a_rerun_raises_no_doubt_twice_and_verified_false_stays_quiet(county, tmp_path):
    region, admin = county
    # a member who is not the head (a head's death needs the village to name the new head, see below)
    member = (
        Member.objects.filter(left_on__isnull=True, household__poverty_status__in=["1", "4"])
        .exclude(relation=Relation.HEAD)
        .first()
    )
    # A deceased member (police) and an unrelated death: SJ01 must find exactly the registered one.
    _store(
        "police_events",
        [
            {
                "id_number": member.id_number,
                "name": member.name,
                "event": "死亡",
                "event_on": dt.date(2026, 3, 1),
            },
            {
                "id_number": "110101199003070011",
                "name": "外人",
                "event": "死亡",
                "event_on": dt.date(2026, 3, 1),
            },
        ],
        tmp_path / "media" / "datasets" / "police_events",
    )

    first = _run(region, admin)
    assert first.state == "done", first.message
    assert first.counts.get("SJ01") == 1
    assert first.doubts_created == Doubt.objects.count() > 0
    death = Doubt.objects.get(rule__code="SJ01")
    assert death.household_id == member.household_id and death.person_number == member.person_number
    assert death.village_id == member.household.village_id
    assert "2026-03-01" in death.detail

    second = _run(region, admin)
    assert second.doubts_created == 0
    assert second.doubts_skipped == first.doubts_created
    assert Doubt.objects.count() == first.doubts_created

    village_officer = UserFactory(role=Role.VILLAGE_OFFICER, region=death.village)
    other = Doubt.objects.exclude(pk=death.pk).select_related("village").first()
    officer_there = UserFactory(role=Role.VILLAGE_OFFICER, region=other.village)
    rejected = services.verify(
        actor=Actor.of(officer_there),
        doubt_id=other.pk,
        confirmed=False,
        note="入户核实：已解决，登记有误",
        version=other.version,
    )
    assert rejected.state == DoubtState.REJECTED and rejected.verified_by_name == officer_there.username
    confirmed = services.verify(
        actor=Actor.of(village_officer),
        doubt_id=death.pk,
        confirmed=True,
        note="公安死亡证明已核对",
        version=death.version,
    )
    assert confirmed.state == DoubtState.CONFIRMED
    # SJ01 leads to the natural-change procedure for the household.
    assert confirmed.case is not None and confirmed.case.kind == "natural_change"
    # … with the details the village would enter: that member leaves on the date of the police record
    assert confirmed.case.params["change"] == "death" and confirmed.case.params["members"] == [member.pk]
    assert confirmed.case.params["event_on"] == "2026-03-01" and "SJ01" in confirmed.case.params["note"]
    changes = ObjectChange.objects.filter(object_type__endswith="doubt", object_id=str(death.pk)).order_by(
        "id"
    )
    assert [(c.action, c.user_name) for c in changes] == [
        ("create", admin.username),
        ("update", village_officer.username),
    ]
    assert changes[1].before["state"] == "open" and changes[1].after["state"] == "confirmed"
    assert changes[0].root_id == str(member.household_id)  # shown on the household's page

    third = _run(region, admin)
    assert third.doubts_created == 0  # neither the confirmed nor the rejected one comes back

    services.resolve(
        actor=Actor.of(admin), doubt_id=death.pk, note="已办理死亡减员", version=confirmed.version
    )
    fourth = _run(region, admin)
    # The register still lists the member (the natural change case is open): the problem is raised anew.
    assert fourth.doubts_created == 1
    assert Doubt.objects.filter(rule__code="SJ01").count() == 2


def test_verification_needs_a_reason_the_right_village_and_the_current_version(county, tmp_path):
    region, admin = county
    run = _run(region, admin)
    assert run.doubts_created > 0
    doubt = Doubt.objects.select_related("village").first()
    mine = UserFactory(role=Role.VILLAGE_OFFICER, region=doubt.village)
    elsewhere = (
        Region.objects.filter(level=5, code__startswith=COUNTY)
        .exclude(code__startswith=doubt.village.code[:9])
        .first()
    )
    stranger = UserFactory(role=Role.VILLAGE_OFFICER, region=elsewhere)
    leader = UserFactory(role=Role.LEADER, region=region)

    with pytest.raises(ValidationFailed):
        services.verify(
            actor=Actor.of(mine), doubt_id=doubt.pk, confirmed=False, note="  ", version=doubt.version
        )
    with pytest.raises(NotFoundOrForbidden):
        services.verify(
            actor=Actor.of(stranger), doubt_id=doubt.pk, confirmed=False, note="x", version=doubt.version
        )
    with pytest.raises(NotFoundOrForbidden):
        doubt_access.access_doubt(stranger, doubt.pk)
    with pytest.raises(NotFoundOrForbidden):
        services.verify(
            actor=Actor.of(leader), doubt_id=doubt.pk, confirmed=False, note="x", version=doubt.version
        )
    assert doubt_access.access_doubt(leader, doubt.pk).pk == doubt.pk  # leaders read
    services.verify(
        actor=Actor.of(mine), doubt_id=doubt.pk, confirmed=False, note="核实不属实", version=doubt.version
    )
    from jingzhun.core.errors import ConcurrentEditError

    with pytest.raises(ConcurrentEditError):
        services.verify(
            actor=Actor.of(mine), doubt_id=doubt.pk, confirmed=True, note="再核", version=doubt.version
        )
    with pytest.raises(PermissionDeniedError):
        services.run_comparison(actor=Actor.of(mine), region=region, as_of=AS_OF)


def test_department_users_see_only_their_lists(county, tmp_path):
    region, admin = county
    # Any education load makes SB01 run: registered children 6–15 without an 在读 record are listed.
    _store(
        "education",
        [
            {
                "id_number": "110101199003070011",
                "name": "外人",
                "school": "某小学",
                "stage": "小学",
                "state": "在读",
                "state_on": dt.date(2026, 9, 1),
            }
        ],
        tmp_path / "media" / "datasets" / "education",
    )
    run = _run(region, admin)
    assert run.counts.get("SB01", 0) > 0, run.message
    education = UserFactory(role=Role.DEPARTMENT, department="education", region=region)
    medical = UserFactory(role=Role.DEPARTMENT, department="medical", region=region)
    seen = set(doubt_access.doubts_for(education).values_list("rule__code", flat=True))
    assert seen and seen <= {"SB01", "CT01"}
    assert doubt_access.doubts_for(medical).filter(rule__code="SB01").count() == 0
    other = Doubt.objects.exclude(rule__code__in=["SB01", "CT01"]).first()
    assert other is not None
    with pytest.raises(NotFoundOrForbidden):
        doubt_access.access_doubt(education, other.pk)
    assert doubt_access.doubts_for(education, "verify").count() == 0  # departments report; villages verify
    assert set(doubt_access.rules_for(education).values_list("code", flat=True)) == set(
        Rule.objects.filter(audience__contains=",education,").values_list("code", flat=True)
    )


def test_rules_are_switched_and_tuned_by_the_administrator_only(county):
    region, admin = county
    system = UserFactory(role=Role.ADMIN, region=None)
    rule = Rule.objects.get(code="CP02")
    with pytest.raises(PermissionDeniedError):
        services.set_rule(
            actor=Actor.of(admin), code="CP02", enabled=False, parameters={}, version=rule.version
        )
    with pytest.raises(ValidationFailed):
        services.set_rule(
            actor=Actor.of(system),
            code="CP02",
            enabled=True,
            parameters={"vehicle_price_min": "很多"},
            version=rule.version,
        )
    changed = services.set_rule(
        actor=Actor.of(system),
        code="CP02",
        enabled=True,
        parameters={"vehicle_price_min": "50,000"},
        version=rule.version,
    )
    assert changed.parameters == {"vehicle_price_min": 50000}
    services.set_rule(
        actor=Actor.of(system),
        code="SB04",
        enabled=False,
        parameters={},
        version=Rule.objects.get(code="SB04").version,
    )
    run = _run(region, admin)
    assert "SB04" not in run.counts
    assert run.rules["parameters"]["CP02"] == {"vehicle_price_min": 50000}


def test_rule_parameters_become_literals_both_engines_read_alike():
    from jingzhun.comparison.engine import RuleError, literal, render

    assert literal("30000") == "30000" and literal(30000.5) == "30000.5" and literal(True) == "TRUE"
    assert literal("NaN") == "'NaN'" and literal("Infinity") == "'Infinity'" and literal("o'k") == "'o''k'"
    assert literal(dt.date(2026, 1, 2)) == "2026-01-02"
    assert render("x > {{ min }}", {"min": 5}, where="规则 T") == "x > 5"
    with pytest.raises(RuleError, match="未定义的参数"):
        render("x > {{missing}}", {}, where="规则 T")


@pytest.mark.django_db
def test_a_confirmed_death_of_the_only_member_closes_the_household_and_a_heads_death_waits_for_the_village(
    world,
):
    alone = world.household_a  # one member, the head
    head = alone.members.get()
    doubt = Doubt(
        rule=Rule(code="SJ01"),
        detail="公安死亡注销：2026-03-01",
        person_number=head.person_number,
        id_number=head.id_number,
    )
    params = services._natural_change(doubt, alone, "death")
    assert params["change"] == "household_gone" and params["leave_reason"] == "death"
    assert params["event_on"] == "2026-03-01"
    # with a second member the head's death leaves the choice of the new head to the village: no case opens
    MemberFactory(household=alone, name="王小军", relation=Relation.SON)
    params = services._natural_change(doubt, alone, "death")
    assert params == {
        "change": "death",
        "event_on": "2026-03-01",
        "members": [head.pk],
        "note": "部门数据比对 SJ01（公安死亡注销：2026-03-01），经入户核实属实",
    }
    with pytest.raises(ValidationFailed, match="新户主"):
        natural.clean(alone, params)
