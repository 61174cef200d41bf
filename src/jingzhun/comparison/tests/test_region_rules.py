"""A county's own comparison rules and thresholds (rulebook.py, rulecheck.py): added on the page, refused
with a clear Chinese error while the SQL does not fit the snapshot, switched on once valid, and then raising
doubts only in that county — not in the neighbouring county of the same snapshot, on DuckDB and on Spark; a
county threshold changes only that county's findings; another county neither sees nor edits them.
Spark is checked where the suite runs it already (test_engines.py: a township's own rule and threshold)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from jingzhun.accounts.choices import Role
from jingzhun.comparison import rulebook, rulecheck, services
from jingzhun.comparison.models import Doubt, Rule, RuleThreshold
from jingzhun.comparison.snapshot import open_snapshot, write_snapshot
from jingzhun.core.audit import Actor, object_type
from jingzhun.core.models import ChangeAction, ObjectChange
from jingzhun.regions.choices import Level
from jingzhun.regions.models import Region
from jingzhun.regions.services import RegionRow, upsert_regions
from jingzhun.testing.factories import HouseholdFactory, HouseholdYearFactory, MemberFactory, UserFactory
from jingzhun.testing.world import COUNTY

pytestmark = pytest.mark.django_db
NEIGHBOUR = "620503"  # 麦积区, next to 秦州区 in 天水市 (6205)
CITY = "6205"
GOOD_SQL = """
SELECT h.household_number, CAST(NULL AS VARCHAR) AS person_number, CAST(NULL AS VARCHAR) AS id_number,
       h.head_name AS name, h.village_code, '本县自查：户主 ' || h.head_name AS detail
FROM households h
"""


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.JINGZHUN_SYNC_IMPORTS = True


@pytest.fixture
def neighbour(world: Any) -> dict[str, Any]:
    """One registered household in a village of 麦积区, with the same income as the world's households, and
    麦积区's county administrator."""
    township = (
        Region.objects.filter(prefix__startswith=NEIGHBOUR, level=Level.TOWNSHIP).order_by("code").first()
    )
    assert township is not None
    upsert_regions(
        [
            RegionRow(
                prefix=township.prefix + "201", name="邻县村", urban_rural_class="220", rural_population=900
            )
        ]
    )
    village = Region.objects.get(prefix=township.prefix + "201")
    household = HouseholdFactory(village=village, head_name="邻县户主")
    MemberFactory(household=household, name="邻县户主")
    HouseholdYearFactory(household=household, year=2025, household_size=1, wage_income=8000)
    admin = UserFactory(
        username="neighbour_admin", role=Role.COUNTY_ADMIN, region=Region.objects.get(prefix=NEIGHBOUR)
    )
    return {"household": household, "admin": admin}


def county_rule(world: Any, sql: str = GOOD_SQL, code: str = "XZ01") -> Rule:
    return services.save_region_rule(
        actor=Actor.of(world.users["county_admin"]),
        region_prefix=COUNTY,
        values={
            "code": code,
            "name": "本县自查规则",
            "category": "quality",
            "severity": "low",
            "message": "本县自查",
            "sql": sql,
            "parameters": {},
        },
    )


def text(response: Any) -> str:
    return response.content.decode()


# --------------------------------------------------------------------------------------------------
# The checks


def test_the_checks_name_what_does_not_fit(world):
    services.sync_catalogue()
    snap = write_snapshot(COUNTY)

    def errors(sql: str) -> list[str]:
        return rulecheck.check(
            sql=sql, code="XZ01", region_prefix=COUNTY, parameters={}, snapshot=snap
        ).errors

    assert errors("SELECT h.household_number FORM households h") == [
        "SQL 语法错误：第 1 行第 41 列「households」附近"
    ]
    assert errors(GOOD_SQL.replace("h.head_name AS name", "h.nope AS name")) == [
        "未知的列 nope：表 households 没有这一列"
    ]
    unknown = errors(GOOD_SQL.replace("FROM households h", "FROM housholds h"))
    assert len(unknown) == 1 and unknown[0].startswith("未知的表 housholds（可用的表：")
    assert (
        "households" in unknown[0]
        and "d_medical_enrolment" in unknown[0]
        and "registered_people" in unknown[0]
    )
    assert errors(GOOD_SQL.replace(", h.village_code", "")) == [
        "查询结果缺少疑点需要的列：village_code（须返回 household_number、person_number、id_number、name、"
        "village_code、detail）"
    ]
    assert errors("SELECT * FROM read_csv('/etc/passwd')")[0].startswith("规则不能")
    assert errors("DELETE FROM households") == ["规则只能是一条 SELECT 查询，不能修改数据或设置"]
    assert errors("COPY households TO '/tmp/x.csv'") == ["规则只能是一条 SELECT 查询，不能修改数据或设置"]
    assert errors(GOOD_SQL.replace("FROM households h", "FROM main.households h")) == [
        "未知的表 main.households（表名前不能加库名）"
    ]
    assert errors(GOOD_SQL + " WHERE h.village_code = current_setting('threads')") == [
        "规则不能调用函数 current_setting（只能读取快照和部门数据的表）"
    ]
    assert errors(GOOD_SQL + " WHERE h.household_number > 5") == ["不能比较 VARCHAR 类型和 INTEGER 类型的值"]
    assert errors(
        GOOD_SQL + " WHERE h.household_number IN (SELECT household_number FROM members WHERE sx = '1')"
    ) == ["未知的列 sx：members 都没有这一列"]
    assert errors(GOOD_SQL + "; SELECT 1") == ["只能写一条 SELECT 查询（不要用分号连接多条语句）"]
    assert errors(GOOD_SQL.replace("FROM households h", "FROM households h WHERE h.size > {{size_min}}")) == [
        "规则 XZ01 使用了未定义的参数 {{size_min}}"
    ]
    # a correlated subquery and the catalogue's views are known; the trial runs on the county's snapshot
    ok = rulecheck.check(
        sql=GOOD_SQL.replace(
            "FROM households h",
            "FROM households h WHERE EXISTS (SELECT 1 FROM registered_people p "
            "WHERE p.household_number = h.household_number AND p.age >= {{age_min}})",
        ),
        code="XZ01",
        region_prefix=COUNTY,
        parameters={"age_min": 0},
        datasets=["education"],
        snapshot=snap,
    )
    assert ok.ok, ok.errors
    assert ok.note.startswith("本县还没有部门数据：学籍信息。试运行时按空表运行")
    assert ok.rows == 4 and {r["village_code"][:6] for r in ok.sample} == {COUNTY}


# --------------------------------------------------------------------------------------------------
# The page


def test_a_county_admin_adds_a_rule_on_the_page_bad_sql_is_refused_and_valid_sql_switched_on(client, world):
    services.sync_catalogue()
    admin = world.users["county_admin"]
    client.force_login(admin)
    url = reverse("comparison:region_rules")
    page = text(client.get(url))
    assert 'id="add-rule"' in page and "秦州区" in page and 'id="threshold-SJ08"' in page
    # when the county admin adds a rule whose SQL has a syntax error, it is saved switched off
    added = client.post(
        url,
        {
            "action": "add",
            "code": "XZ01",
            "name": "本县自查规则",
            "category": "quality",
            "severity": "low",
            "on_true": "correct",
            "message": "本县自查",
            "sql": "SELECT h.household_number FORM households h",
        },
    )
    rule = Rule.objects.get(code="XZ01")
    assert added.status_code == 302 and added["Location"] == reverse("comparison:region_rule", args=[rule.pk])
    assert rule.region_prefix == COUNTY and not rule.enabled and not rule.shipped
    edit = rule_url = added["Location"]
    # and switching it on is refused with the error, naming where
    refused = client.post(edit, {"action": "enable", "version": rule.version})
    assert refused.status_code == 422
    assert "规则未通过校验，未启用：SQL 语法错误：第 1 行第 41 列「households」附近" in text(refused)
    rule.refresh_from_db()
    assert not rule.enabled
    # an unknown column is named with its table
    form = {
        "action": "save",
        "version": rule.version,
        "name": "本县自查规则",
        "category": "quality",
        "severity": "low",
        "on_true": "correct",
        "message": "本县自查",
        "sql": GOOD_SQL.replace("h.head_name AS name", "h.nope AS name"),
    }
    assert client.post(edit, form).status_code == 302
    rule.refresh_from_db()
    refused = client.post(edit, {"action": "enable", "version": rule.version})
    assert refused.status_code == 422 and "未知的列 nope：表 households 没有这一列" in text(refused)
    tried = client.post(edit, {"action": "try", "version": rule.version}, HTTP_HX_REQUEST="true")
    assert tried.status_code == 200 and 'data-check="failed"' in text(tried)
    # fixed, the trial shows the county's findings and switching on succeeds
    assert client.post(edit, {**form, "version": rule.version, "sql": GOOD_SQL}).status_code == 302
    rule.refresh_from_db()
    tried = text(client.post(rule_url, {"action": "try", "version": rule.version}))
    assert 'data-check="ok"' in tried and "命中 4 条" in tried and "本县自查：户主 户主0" in tried
    before = rule.version
    assert client.post(edit, {"action": "enable", "version": rule.version}).status_code == 302
    rule.refresh_from_db()
    assert rule.enabled and rule.version == before + 1
    # every write is audited with before and after
    changes = list(
        ObjectChange.objects.filter(object_type=object_type(Rule), object_id=str(rule.pk)).order_by("pk")
    )
    assert [c.action for c in changes] == [ChangeAction.CREATE] + [ChangeAction.UPDATE] * 3
    assert changes[-1].before["enabled"] is False and changes[-1].after["enabled"] is True
    assert (
        changes[1].before["sql"].startswith("SELECT h.household_number FORM")
        and "h.nope" in changes[1].after["sql"]
    )
    assert all(c.user == admin for c in changes)
    # the catalogue page lists it as the county's own
    assert 'data-region="620502"' in text(client.get(reverse("comparison:rules")))


def test_another_county_neither_sees_nor_edits_it(client, world, neighbour):
    services.sync_catalogue()
    rule = county_rule(world)
    outsider = neighbour["admin"]
    client.force_login(outsider)
    assert "本县自查规则" not in text(client.get(reverse("comparison:rules")))
    own_page = text(client.get(reverse("comparison:region_rules")))
    assert "麦积区" in own_page and 'id="own-XZ01"' not in own_page and "本县自查规则" not in own_page
    edit = reverse("comparison:region_rule", args=[rule.pk])
    assert client.get(edit).status_code == 404
    assert client.post(edit, {"action": "enable", "version": rule.version}).status_code == 404
    assert client.post(edit, {"action": "disable", "version": rule.version}).status_code == 404
    with pytest.raises(Exception) as refused:
        services.set_region_threshold(
            actor=Actor.of(outsider), code="SJ08", region_prefix=COUNTY, parameters={"income_max": "1"}
        )
    assert "县级管理员" in str(refused.value) and not RuleThreshold.objects.exists()
    # the county's own officers see it but may not change it
    client.force_login(world.users["township_officer"])
    assert "本县自查规则" in text(client.get(reverse("comparison:rules")))
    assert client.get(reverse("comparison:region_rules")).status_code == 403
    assert client.get(edit).status_code == 404
    rule.refresh_from_db()
    assert rule.version == 1 and not rule.enabled


# --------------------------------------------------------------------------------------------------
# Findings: only in the county


def test_a_county_rule_and_a_county_threshold_raise_doubts_only_in_that_county(client, world, neighbour):
    services.sync_catalogue()
    admin = world.users["county_admin"]
    rule = county_rule(world)
    rule = services.switch_region_rule(
        actor=Actor.of(admin), rule_id=rule.pk, enabled=True, version=rule.version
    )
    assert rule.enabled
    # the county lowers SJ08's income ceiling below its households' 8000 yuan, on the page
    client.force_login(admin)
    saved = client.post(
        reverse("comparison:region_rules"),
        {"action": "threshold", "code": "SJ08", "version": 0, "t_income_max": "5000"},
    )
    assert saved.status_code == 302
    threshold = RuleThreshold.objects.get()
    assert (threshold.code, threshold.region_prefix, threshold.parameters) == (
        "SJ08",
        COUNTY,
        {"income_max": 5000},
    )
    change = ObjectChange.objects.get(object_type=object_type(RuleThreshold), object_id=str(threshold.pk))
    assert change.action == ChangeAction.CREATE and change.after["parameters"] == {"income_max": 5000}
    assert 'value="5000"' in text(client.get(reverse("comparison:region_rules")))
    # when the administrator compares 天水市 (both counties in one snapshot)
    city = Region.objects.get(prefix=CITY)
    run = services.run_comparison(actor=Actor.of(world.users["admin"]), region=city)
    assert open_snapshot(run.rules["snapshot"]).counties == (COUNTY, NEIGHBOUR)
    doubts = Doubt.objects.filter(run=run)
    mine = {d.village.code[:6] for d in doubts.filter(rule__code="XZ01")}
    assert mine == {COUNTY} and doubts.filter(rule__code="XZ01").count() == 4
    assert {d.rule_id for d in doubts.filter(rule__code="XZ01")} == {rule.pk}
    assert {d.village.code[:6] for d in doubts.filter(rule__code="SJ08")} == {COUNTY}
    assert not doubts.filter(household=neighbour["household"], rule__code__in=["XZ01", "SJ08"]).exists()
    assert run.counts["XZ01"] == 4 and run.counts["SJ08"] == 4
    assert {"code": "SJ08", "region": COUNTY, "parameters": {"income_max": 5000}} in run.rules["regional"]
    assert run.rules["parameters"]["SJ08"] == {"income_max": 100000}  # the national value elsewhere


def test_the_plan_gives_the_most_specific_row_and_threshold(world):
    services.sync_catalogue()
    national = Rule.objects.get(code="SJ08", region_prefix="")
    own = Rule(code="SJ08", region_prefix=COUNTY, enabled=True, parameters={"income_max": 7}, sql="SELECT 1")
    city = RuleThreshold(code="SJ08", region_prefix=CITY, parameters={"income_max": 50000})
    township = RuleThreshold(code="SJ08", region_prefix=COUNTY + "100", parameters={"income_max": 3})
    specs = rulebook.plan([national, own], [city, township], {}, "")
    found = {(s.region_prefix, s.excluded, s.parameters["income_max"], s.sql[:8]) for s in specs}
    assert found == {
        ("", (CITY,), 100000, national.sql[:8]),
        (CITY, (COUNTY,), 50000, national.sql[:8]),
        (COUNTY, (COUNTY + "100",), 7, "SELECT 1"),  # the county's own row states its own value
        (COUNTY + "100", (), 3, "SELECT 1"),
    }
    # a run of 麦积区 runs the national rule there only with the city's threshold
    specs = rulebook.plan([national, own], [city, township], {}, NEIGHBOUR)
    assert {(s.region_prefix, s.parameters["income_max"]) for s in specs} == {("", 100000), (CITY, 50000)}


# --------------------------------------------------------------------------------------------------
# The API


def test_the_api_adds_checks_switches_and_sets_thresholds_for_the_county_only(world, neighbour):
    from django.test import Client

    from jingzhun.accounts.services import create_api_token

    services.sync_catalogue()

    def client(user: Any) -> Client:
        raw = create_api_token(actor=Actor(user=None, name="测试"), user=user)[1]
        return Client(headers={"Authorization": f"Bearer {raw}"})

    mine, theirs = client(world.users["county_admin"]), client(neighbour["admin"])
    body = {
        "region_prefix": COUNTY,
        "code": "XZ02",
        "name": "本县自查规则",
        "category": "quality",
        "severity": "low",
        "message": "本县自查",
        "sql": GOOD_SQL.replace("h.head_name AS name", "h.nope AS name"),
    }
    assert (
        theirs.post("/api/comparison/rules/region", body, content_type="application/json").status_code == 403
    )
    created = mine.post("/api/comparison/rules/region", body, content_type="application/json")
    assert created.status_code == 201, created.json()
    rule = created.json()
    assert rule["region_prefix"] == COUNTY and not rule["enabled"] and not rule["shipped"]
    url = f"/api/comparison/rules/region/{rule['id']}"
    checked = mine.post(f"{url}/check").json()
    assert checked["ok"] is False and checked["errors"] == ["未知的列 nope：表 households 没有这一列"]
    refused = mine.post(f"{url}/switch", {"enabled": True, "version": 1}, content_type="application/json")
    assert refused.status_code == 422 and "未知的列 nope" in refused.json()["detail"]
    assert theirs.post(f"{url}/check").status_code == 404
    fixed = {k: v for k, v in body.items() if k not in ("region_prefix", "code")} | {
        "sql": GOOD_SQL,
        "version": 1,
    }
    assert theirs.put(url, fixed, content_type="application/json").status_code == 404
    assert mine.put(url, fixed, content_type="application/json").json()["version"] == 2
    switched = mine.post(f"{url}/switch", {"enabled": True, "version": 2}, content_type="application/json")
    assert switched.status_code == 200 and switched.json()["enabled"] is True
    assert "XZ02" not in {r["code"] for r in theirs.get("/api/comparison/rules").json()}
    # thresholds: the county's own, refused for another county's
    limit = {"code": "SJ08", "region_prefix": COUNTY, "parameters": {"income_max": "5000"}, "version": 0}
    assert mine.put("/api/comparison/thresholds", limit, content_type="application/json").json() == {
        "code": "SJ08",
        "region_prefix": COUNTY,
        "parameters": {"income_max": 5000},
        "version": 1,
    }
    other = theirs.put("/api/comparison/thresholds", limit, content_type="application/json")
    assert other.status_code == 403
    bad = mine.put(
        "/api/comparison/thresholds",
        {**limit, "parameters": {"income_max": "五千"}, "version": 1},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "阈值「income_max」应为数字" in bad.json()["detail"]


def test_policy_numbers_are_asked_for_only_where_the_rule_counts(world, neighbour):
    """CT03 compares with the poverty line: 秦州区 has one, 麦积区 not. Its version for 秦州区 runs without a
    note; the national rule, left to 麦积区, is skipped naming 麦积区 only."""
    import dataclasses
    import datetime as dt

    from jingzhun.comparison import engine
    from jingzhun.comparison.tests import helpers

    helpers.set_policy_lines(COUNTY, [2025, 2026])
    snap = write_snapshot(CITY, years=[2025, 2026])
    ct03 = engine.load_catalogue().rule("CT03")
    parts = [dataclasses.replace(ct03, excluded=(COUNTY,)), dataclasses.replace(ct03, region_prefix=COUNTY)]
    result = engine.run_catalogue(
        engine.DuckEngine(threads=1), snap, {}, as_of=dt.date(2026, 1, 31), rules=parts
    )
    national, own = result.outcomes
    assert national.skipped.startswith("缺少政策参数：2025 年度「国家扶贫标准（贫困线）」（620503）")
    assert own.note == "" and result.notes() == {"CT03": national.skipped}
