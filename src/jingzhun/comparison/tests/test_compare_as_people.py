"""Department data compared as people would (issue 13), on DuckDB, on Spark and in the pandas baseline alike:

* names: 繁体 and 简体, every middle dot, spaces are the same name (SJ02, SJ03); a mistyped name is not;
* the name-mismatch rule reads each person's latest enrolment, never an older year's;
* a person without a 户籍 code goes to the region the file was loaded for, not the county of the ID;
* a rule whose policy number is missing for a county and year does not run there, says so, and never
  falls back to a default.

A small snapshot and department files are written by hand here (snapshot.schema, engine.dataset_schema), so
every row is visible in the test.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jingzhun.comparison import datasets as ds
from jingzhun.comparison import engine
from jingzhun.comparison.snapshot import TABLES, ensure_tables, open_snapshot, policy_schema, schema
from jingzhun.registry.idnumbers import check_digit
from jingzhun.testing import baseline

AS_OF = dt.date(2026, 11, 30)
A, B = "620502", "620503"  # 秦州区, 麦积区
VILLAGE_A, VILLAGE_B = A + "100201", B + "100201"


def ident(first17: str) -> str:
    return first17 + check_digit(first17)


def wrong_check(number: str) -> str:
    return number[:17] + ("1" if number[17] != "1" else "2")


# The register's people, with the name each writes in the medical insurance's latest (and older) enrolment.
PEOPLE: list[dict[str, Any]] = [
    # person, register name, latest enrolment name, an older year's name (None: no older row), finding?
    {"p": "01", "name": "张伟", "latest": "張偉", "older": None, "hit": False},
    {"p": "02", "name": "劉德華", "latest": "刘德华", "older": None, "hit": False},
    {"p": "03", "name": "张伟", "latest": " 张 伟　", "older": None, "hit": False},
    *(
        {"p": f"1{i}", "name": "阿依古丽·买买提", "latest": v, "older": None, "hit": False}
        for i, v in enumerate(
            [
                "阿依古丽•买买提",
                "阿依古丽・买买提",
                "阿依古丽．买买提",
                "阿依古丽‧买买提",
                "阿依古丽･买买提",
                "阿依古丽 · 买买提",
                "阿依古丽·买买提",
            ]
        )
    ),
    {"p": "21", "name": "李秀英", "latest": "李秀莲", "older": None, "hit": True},  # a genuine typo
    {
        "p": "22",
        "name": "王芳",
        "latest": "王芳",
        "older": "王方",
        "hit": False,
    },  # only an older year differs
    {"p": "23", "name": "赵敏", "latest": "赵明", "older": "趙敏", "hit": True},  # the latest one differs
    {"p": "24", "name": "阿依古丽·买买提", "latest": "阿依古丽·艾买提", "older": None, "hit": True},
]


def _write(table: str, rows: list[dict[str, Any]], root: Path, county: str) -> None:
    folder = root / table / f"county={county}"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.Table.from_pylist([{**r, "county_code": county} for r in rows], schema=schema(table)),
        folder / "data.parquet",
    )


def write_register(root: Path, policy: list[dict[str, Any]]) -> Path:
    """Two exited households in 秦州区 and one in 麦积区, their members, years and the policy table."""
    snap = root / "snapshot"
    household = {"poverty_status": "1", "first_identified_on": dt.date(2016, 3, 1), "exit_year": 2019}
    _write(
        "households",
        [
            {
                **household,
                "household_number": VILLAGE_A + "0001",
                "village_code": VILLAGE_A,
                "head_name": "张伟",
            },
            {
                **household,
                "household_number": VILLAGE_A + "0002",
                "village_code": VILLAGE_A,
                "head_name": "王芳",
            },
        ],
        snap,
        A,
    )
    _write(
        "households",
        [
            {
                **household,
                "household_number": VILLAGE_B + "0001",
                "village_code": VILLAGE_B,
                "head_name": "周强",
            }
        ],
        snap,
        B,
    )
    members = [
        {
            "household_number": VILLAGE_A + "0001",
            "village_code": VILLAGE_A,
            "person_number": VILLAGE_A + "0001" + p["p"],
            "name": p["name"],
            "id_number": ident(f"{A}19800101{int(p['p']):03d}"),
            "sex": "1",
            "relation": "03",
            "birth_date": dt.date(1980, 1, 1),
        }
        for p in PEOPLE
    ]
    members.append(
        {
            "household_number": VILLAGE_A + "0002",
            "village_code": VILLAGE_A,
            "person_number": VILLAGE_A + "000201",
            "name": "张秀英",
            "id_number": ident(f"{A}19700505021"),
            "sex": "2",
            "relation": "01",
            "birth_date": dt.date(1970, 5, 5),
        }
    )
    _write("members", members, snap, A)
    _write(
        "members",
        [
            {
                "household_number": VILLAGE_B + "0001",
                "village_code": VILLAGE_B,
                "person_number": VILLAGE_B + "000101",
                "name": "周强",
                "id_number": ident(f"{B}19600101011"),
                "sex": "1",
                "relation": "01",
                "birth_date": dt.date(1960, 1, 1),
            }
        ],
        snap,
        B,
    )
    income = Decimal("3000.00")  # below any poverty line
    _write(
        "years",
        [
            {
                "household_number": VILLAGE_A + n,
                "village_code": VILLAGE_A,
                "year": y,
                "per_capita_net_income": income,
            }
            for n in ("0001", "0002")
            for y in (2025, 2026)
        ],
        snap,
        A,
    )
    _write(
        "years",
        [
            {
                "household_number": VILLAGE_B + "0001",
                "village_code": VILLAGE_B,
                "year": 2026,
                "per_capita_net_income": income,
            }
        ],
        snap,
        B,
    )
    ensure_tables(snap)
    pq.write_table(pa.Table.from_pylist(policy, schema=policy_schema()), snap / "policy.parquet")
    for table in TABLES:
        assert (snap / table).exists()
    return snap


def _store(rows: list[dict[str, Any]], dataset: str, path: Path) -> str:
    arrow_schema = engine.dataset_schema(ds.get(dataset))
    full = [{"row_number": i + 2, "id_valid": True, **row} for i, row in enumerate(rows)]
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(full, schema=arrow_schema), path)
    return str(path)


OUTSIDER_BEIJING = ident("11010119750303001")  # an ID issued in Beijing, living in 秦州区
OUTSIDER_WITH_REGION = ident("62050219750303002")
OUTSIDER_NO_LOAD_REGION = ident("62050319750303003")


def write_departments(root: Path) -> tuple[dict[str, list[str]], dict[str, str | None]]:
    folder = root / "departments"
    ids = {p["p"]: ident(f"{A}19800101{int(p['p']):03d}") for p in PEOPLE}
    enrolment = []
    for p in PEOPLE:
        enrolment.append(
            {"id_number": ids[p["p"]], "name": p["latest"], "year": 2026, "basic_enrolled": True}
        )
        if p["older"]:
            enrolment.append(
                {"id_number": ids[p["p"]], "name": p["older"], "year": 2024, "basic_enrolled": True}
            )
    # SJ03: an ID with a wrong check digit, written in 繁体 for the register's 张秀英
    enrolment.append(
        {
            "id_number": wrong_check(ident(f"{A}19700505021")),
            "name": "張秀英",
            "year": 2026,
            "basic_enrolled": True,
            "id_valid": False,
        }
    )
    enrolment.append(
        {"id_number": ident(f"{B}19600101011"), "name": "周强", "year": 2026, "basic_enrolled": True}
    )
    disability = {"category": "肢体残疾", "grade": "一级", "issued_on": dt.date(2020, 1, 1), "valid": True}
    expense = {
        "settled_on": dt.date(2026, 6, 1),
        "visit_type": "住院",
        "total_cost": Decimal("60000.00"),
        "fund_paid": Decimal("30000.00"),
        "self_paid": Decimal("30000.00"),
    }
    files = {
        "medical_enrolment": [_store(enrolment, "medical_enrolment", folder / "enrolment.parquet")],
        "disability": [
            _store(
                [
                    {
                        **disability,
                        "id_number": OUTSIDER_BEIJING,
                        "name": "外来一",
                        "certificate_number": "C1",
                    },
                    {
                        **disability,
                        "id_number": OUTSIDER_WITH_REGION,
                        "name": "外来二",
                        "certificate_number": "C2",
                        "region_code": VILLAGE_A,
                    },
                ],
                "disability",
                folder / "disability-county.parquet",
            ),
            _store(
                [
                    {
                        **disability,
                        "id_number": OUTSIDER_NO_LOAD_REGION,
                        "name": "外来三",
                        "certificate_number": "C3",
                    }
                ],
                "disability",
                folder / "disability-all.parquet",
            ),
        ],
        "medical_expense": [
            _store(
                [
                    {**expense, "id_number": ident(f"{A}19800101021"), "name": "李秀英"},
                    {**expense, "id_number": ident(f"{B}19600101011"), "name": "周强"},
                ],
                "medical_expense",
                folder / "expense.parquet",
            )
        ],
    }
    regions: dict[str, str | None] = {
        files["disability"][0]: A,
        files["disability"][1]: "",
        files["medical_enrolment"][0]: A,
        files["medical_expense"][0]: "62",
    }
    return files, regions


def line(county: str, year: int, poverty: str | None, trigger: str | None) -> dict[str, Any]:
    return {
        "county_code": county,
        "year": year,
        "poverty_line": None if poverty is None else Decimal(poverty),
        "monitoring_line": None,
        "medical_self_pay_trigger": None if trigger is None else Decimal(trigger),
    }


# 秦州区 has every number; 麦积区 has no poverty line and no medical trigger for 2026; nobody has a
# monitoring line (JC03 is skipped).
PARTIAL = [
    line(A, 2025, "4000", "5000"),
    line(A, 2026, "4200", "5000"),
    line(B, 2025, "4000", "5000"),
    line(B, 2026, None, None),
]
NONE = [line(A, 2026, None, None), line(B, 2026, None, None)]


@pytest.fixture(scope="module")
def spark() -> Any:
    return engine.SparkEngine()


@pytest.fixture(scope="module")
def partial(tmp_path_factory: pytest.TempPathFactory, spark: Any) -> dict[str, Any]:
    return _run_everywhere(tmp_path_factory.mktemp("partial"), PARTIAL, spark)


def _run_everywhere(root: Path, policy: list[dict[str, Any]], spark: Any) -> dict[str, Any]:
    """The catalogue on DuckDB and on Spark and in pandas: the same findings and notes, returned once."""
    snap = open_snapshot(write_register(root, policy))
    files, regions = write_departments(root)
    duck = engine.run_catalogue(engine.DuckEngine(threads=1), snap, files, as_of=AS_OF, load_regions=regions)
    on_spark = engine.run_catalogue(spark, snap, files, as_of=AS_OF, load_regions=regions)
    pandas = baseline.run_rules(snap.path, files, AS_OF, load_regions=regions)
    rows = engine.finding_rows(duck.findings)
    assert rows == engine.finding_rows(on_spark.findings) == baseline.finding_rows(pandas.findings)
    notes = duck.notes()
    assert notes == on_spark.notes() == {o.code: o.note for o in pandas.outcomes if o.note}
    assert duck.counts() == on_spark.counts() == pandas.counts()
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for row in duck.findings.to_pylist():
        by_rule.setdefault(row["rule_code"], []).append(row)
    return {"by_rule": by_rule, "notes": notes, "counts": duck.counts()}


def test_names_are_compared_as_people_would_and_only_the_latest_enrolment_counts(partial):
    result = partial
    sj02 = {row["person_number"][-2:]: row for row in result["by_rule"]["SJ02"]}
    assert set(sj02) == {p["p"] for p in PEOPLE if p["hit"]}
    # the evidence quotes both names as written, and the year of the enrolment it read
    assert sj02["23"]["detail"] == "登记姓名「赵敏」，医保登记姓名「赵明」（2026 年度参保登记）"
    assert sj02["21"]["name"] == "李秀英"
    # SJ03: a mistyped ID whose name is the register's in 繁体 is found
    [sj03] = result["by_rule"]["SJ03"]
    assert sj03["name"] == "张秀英" and "校验位错误" in sj03["detail"]


def test_a_person_without_a_hukou_code_goes_to_the_region_the_file_was_loaded_for(partial):
    result = partial
    lp02 = {row["id_number"]: row["village_code"] for row in result["by_rule"]["LP02"]}
    assert lp02[OUTSIDER_BEIJING] == A  # the file was loaded for 秦州区; the ID was issued in Beijing
    assert lp02[OUTSIDER_WITH_REGION] == VILLAGE_A  # the 户籍 code, where given, wins
    assert lp02[OUTSIDER_NO_LOAD_REGION] is None  # a file for everywhere routes nobody; never the ID's county


def test_a_policy_number_missing_for_some_counties_leaves_them_out_and_says_so(partial):
    result = partial
    notes, by_rule = result["notes"], result["by_rule"]
    # CT03 ran for 秦州区 (both households below 4,200) and not for 麦积区, which has no 2026 poverty line
    assert {row["household_number"][:6] for row in by_rule["CT03"]} == {A}
    assert notes["CT03"] == (
        "缺少政策参数的县未按该参数比对：2026 年度「国家扶贫标准（贫困线）」（620503）；其余县已比对"
    )
    # JC01: 周强 of 麦积区 paid 30,000 himself, above the general line of 20,000, but his county has no
    # trigger for 2026: not compared with any default
    assert [row["name"] for row in by_rule["JC01"]] == ["李秀英"]
    assert "2026 年度「医疗自付预警线」（620503）" in notes["JC01"]
    # no county has a monitoring line: JC03 did not run at all
    assert "JC03" not in result["counts"]
    assert notes["JC03"] == (
        "缺少政策参数：2026 年度「防止返贫监测范围（上限）」（620502、620503）。"
        "未使用任何默认值，请在政策参数中补充后重新比对"
    )


def test_a_rule_whose_policy_numbers_are_missing_everywhere_is_skipped(tmp_path, spark):
    result = _run_everywhere(tmp_path, NONE, spark)
    assert {"CT03", "JC01", "JC03"} <= set(result["notes"]) and not {"CT03", "JC01", "JC03"} & set(
        result["counts"]
    )
    assert result["notes"]["JC01"] == (
        "缺少政策参数：2026 年度「医疗自付预警线」（620502、620503）。"
        "未使用任何默认值，请在政策参数中补充后重新比对"
    )
    assert "2026 年度「国家扶贫标准（贫困线）」（620502、620503）" in result["notes"]["CT03"]
    assert "JC01" not in result["by_rule"] and "SJ02" in result["by_rule"]


# --------------------------------------------------------------------------------------------------
# Through the application: files loaded as departments send them, a run, its doubts, its page and API


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    import csv

    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.mark.django_db
def test_a_run_compares_names_as_people_would_routes_by_the_load_and_names_missing_policy(
    world, settings, tmp_path, client
):
    from django.urls import reverse

    from jingzhun.accounts.services import create_api_token
    from jingzhun.comparison import loading, services
    from jingzhun.comparison.models import Doubt
    from jingzhun.core.audit import Actor
    from jingzhun.policy import catalogue as policy_keys
    from jingzhun.policy import services as policy_services
    from jingzhun.policy.models import Parameter
    from jingzhun.testing.factories import MemberFactory

    settings.MEDIA_ROOT = tmp_path / "media"
    system = Actor(None, "测试")
    household = world.household_a
    zhang = MemberFactory(household=household, name="張偉", relation="03")
    ayi = MemberFactory(household=household, name="阿依古丽·买买提", relation="03")
    li = MemberFactory(household=household, name="李秀英", relation="03")
    enrolment = _csv(
        tmp_path / "医保参保.csv",
        ["身份证号码", "姓名", "参保年度", "是否参加基本医保"],
        [
            [zhang.id_number, "张伟", "2026", "是"],
            [ayi.id_number, "阿依古丽・买买提", "2026", "是"],
            [ayi.id_number, "阿依古丽买买", "2024", "是"],  # an older year's typo: not read
            [li.id_number, "李秀莲", "2026", "是"],
        ],
    )
    load = loading.load_dataset(
        actor=system,
        user=None,
        path=enrolment,
        dataset="medical_enrolment",
        as_of="2026-10-31",
        region_prefix=A,
    )
    assert load.state == "committed", load.message
    # stored exactly as the department wrote them
    assert set(pq.read_table(load.parquet_path)["name"].to_pylist()) == {
        "张伟",
        "阿依古丽・买买提",
        "阿依古丽买买",
        "李秀莲",
    }
    disability = _csv(
        tmp_path / "残疾人证.csv",
        [
            "身份证号码",
            "姓名",
            "残疾人证号",
            "户籍所在地区划代码",
            "残疾类别",
            "残疾等级",
            "发证日期",
            "是否有效",
        ],
        [[OUTSIDER_BEIJING, "外来一", "C1", "", "肢体残疾", "一级", "2020-01-01", "是"]],
    )
    assert (
        loading.load_dataset(
            actor=system,
            user=None,
            path=disability,
            dataset="disability",
            as_of="2026-10-31",
            region_prefix=A,
        ).state
        == "committed"
    )
    expense = _csv(
        tmp_path / "医保结算.csv",
        ["身份证号码", "姓名", "结算日期", "就诊类型", "医疗总费用", "基金支付", "个人自付"],
        [[li.id_number, "李秀英", "2026-06-01", "住院", "60000", "30000", "30000"]],
    )
    assert (
        loading.load_dataset(
            actor=system,
            user=None,
            path=expense,
            dataset="medical_expense",
            as_of="2026-10-31",
            region_prefix=A,
        ).state
        == "committed"
    )
    # the shipped national medical trigger ends before 2026: JC01 must not fall back to anything
    trigger = Parameter.objects.get(key=policy_keys.MEDICAL_SELF_PAY_TRIGGER, region_prefix="")
    policy_services.end_parameter(
        actor=system, parameter=trigger, expected_version=trigger.version, effective_to=dt.date(2025, 12, 31)
    )

    run = services.run_comparison(
        actor=Actor.of(world.users["county_admin"]), region=world.county, as_of=AS_OF
    )

    assert run.state == "done", run.message
    sj02 = Doubt.objects.filter(run=run, rule__code="SJ02")
    assert [(d.name, d.detail) for d in sj02] == [
        ("李秀英", "登记姓名「李秀英」，医保登记姓名「李秀莲」（2026 年度参保登记）")
    ]
    [lp02] = Doubt.objects.filter(run=run, rule__code="LP02")
    assert lp02.id_number == OUTSIDER_BEIJING and lp02.village_id == world.county.code  # not 110101
    skipped = run.rules["skipped"]
    assert skipped["JC01"] == (
        "缺少政策参数：2026 年度「医疗自付预警线」（秦州区 620502）。"
        "未使用任何默认值，请在政策参数中补充后重新比对"
    )
    assert "JC01" not in run.counts and not Doubt.objects.filter(run=run, rule__code="JC01").exists()
    assert skipped["CT03"].startswith("缺少政策参数：2025 年度「国家扶贫标准（贫困线）」（秦州区 620502）")
    assert "JC01（缺少政策参数" in run.message

    # the run's page and the API show why
    client.force_login(world.users["township_officer"])
    page = client.get(reverse("comparison:run_detail", args=[run.pk])).content.decode()
    assert 'id="skipped"' in page and "2026 年度「医疗自付预警线」（秦州区 620502）" in page
    assert "2025 年度「国家扶贫标准（贫困线）」（秦州区 620502）" in page
    token = create_api_token(actor=system, user=world.users["leader"])[1]
    detail = client.get(f"/api/comparison/runs/{run.pk}", headers={"Authorization": f"Bearer {token}"}).json()
    assert detail["skipped"]["JC01"] == skipped["JC01"] and detail["skipped"]["CT03"] == skipped["CT03"]
