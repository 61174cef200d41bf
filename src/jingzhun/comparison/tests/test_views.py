"""The comparison screens: overview and a real run, the run page, the doubt queue and a doubt's
verification, the rules page with precision, department files and the lists pushed to a department."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jingzhun.comparison.models import ComparisonRun, DatasetLoad, Doubt, DoubtState, Rule, RunState
from jingzhun.comparison.tests import helpers
from jingzhun.core.models import ObjectChange
from jingzhun.testing.factories import next_id
from jingzhun.testing.world import TOWNSHIP_A, TOWNSHIP_B

CHILD_ID = next_id(birth=dt.date(2014, 3, 1))


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.JINGZHUN_SYNC_IMPORTS = True  # runs and loads in the request, not a thread


@pytest.fixture
def doubts(world: Any) -> dict[str, Doubt]:
    """Raised through raise_doubts: two in 玉泉镇 (南山村, 北坡村), one for education, one in 太京镇."""
    north = world.households[TOWNSHIP_A + "202"]
    rows = [
        helpers.finding("SJ06", world.household_a, name="户主0", detail="主要致贫原因为因病，但没有患病成员"),
        helpers.finding("SJ04", north, name="户主1", detail="户主与配偶性别相同"),
        helpers.finding(
            "SB01",
            world.household_a,
            name="张小明",
            id_number=CHILD_ID,
            person="P-CHILD",
            detail="学籍系统无在读记录（2025年秋季学期）",
        ),
        helpers.finding("SJ06", world.household_b, name="户主2", detail="主要致贫原因为因病，但没有患病成员"),
    ]
    made = helpers.raise_doubts(world.county, rows, user=world.users["county_admin"])
    return {f"{d.rule.code}-{d.village_id}": d for d in made}


def text(response: Any) -> str:
    return response.content.decode()


def page_of(response: Any, path: str) -> str:
    """The body without what differs by construction: CSRF tokens and the requested path."""
    body = re.sub(r'(name="csrfmiddlewaretoken" value=|"X-CSRFToken": )"[^"]*"', "", text(response))
    return body.replace(path, "{path}")


def a_doubt(doubts: dict[str, Doubt], code: str, village: str) -> Doubt:
    return doubts[f"{code}-{village}"]


# --------------------------------------------------------------------------------------------------
# Queue and isolation


def test_the_township_queue_shows_its_own_doubts_only(client, world, doubts):
    # given the 玉泉镇 officer
    client.force_login(world.users["township_officer"])
    # when they open the queue
    body = text(client.get(reverse("comparison:queue")))
    # then the doubts of 玉泉镇 are there with rule, village and evidence, and 太京镇's are not
    assert "户主0" in body and "户主1" in body and "张小明" in body
    assert "SJ06" in body and "南山村" in body and "主要致贫原因为因病" in body
    assert "户主2" not in body
    # and filters narrow the list: by rule, by village
    assert "户主1" not in text(client.get(reverse("comparison:queue"), {"rule": "SJ06"}))
    by_village = text(client.get(reverse("comparison:queue"), {"region": TOWNSHIP_A + "202"}))
    assert "户主1" in by_village and "户主0" not in by_village
    # and a region outside the jurisdiction is ignored with a notice
    outside = text(client.get(reverse("comparison:queue"), {"region": TOWNSHIP_B}))
    assert "已忽略" in outside and "户主0" in outside


def test_another_township_gets_the_404_of_a_missing_doubt(client, world, doubts):
    doubt = a_doubt(doubts, "SJ06", TOWNSHIP_A + "201")
    client.force_login(world.users["township_b_officer"])
    assert "户主0" not in text(client.get(reverse("comparison:queue")))
    assert "户主2" in text(client.get(reverse("comparison:queue")))
    foreign_url = reverse("comparison:doubt_detail", args=[doubt.pk])
    missing_url = reverse("comparison:doubt_detail", args=[10**9])
    foreign, missing = client.get(foreign_url), client.get(missing_url)
    assert foreign.status_code == missing.status_code == 404
    assert page_of(foreign, foreign_url) == page_of(missing, missing_url)
    posted = client.post(
        reverse("comparison:doubt_detail", args=[doubt.pk]),
        {"action": "verify", "confirmed": "0", "note": "越权", "version": 1},
    )
    assert posted.status_code == 404
    doubt.refresh_from_db()
    assert doubt.state == DoubtState.OPEN


def test_paging_keeps_the_filters(client, world):
    rows = [
        helpers.finding("SJ06", world.household_a, person=f"P{i:03d}", name=f"成员{i:03d}") for i in range(55)
    ]
    helpers.raise_doubts(world.county, rows)
    client.force_login(world.users["village_officer"])
    first = text(client.get(reverse("comparison:queue"), {"rule": "SJ06"}))
    assert "共 55 条" in first and "第 1 / 2 页" in first and "rule=SJ06&amp;page=2" in first
    second = text(client.get(reverse("comparison:queue"), {"rule": "SJ06", "page": 2}))
    assert "第 2 / 2 页" in second and second.count('class="row-link"') == 5


# --------------------------------------------------------------------------------------------------
# One doubt: evidence, verification, resolution, history


def test_the_village_verifies_a_doubt_with_a_note_and_a_file(client, world, doubts):
    doubt = a_doubt(doubts, "SJ06", TOWNSHIP_A + "201")
    url = reverse("comparison:doubt_detail", args=[doubt.pk])
    client.force_login(world.users["village_officer"])
    # given the doubt page: the rule's message, the evidence, the household link and the form
    page = text(client.get(url))
    assert Rule.objects.get(code="SJ06").message in page and "主要致贫原因为因病" in page
    assert reverse("registry:household_detail", args=[world.household_a.pk]) in page
    assert 'name="note"' in page and "属实" in page and "不属实" in page
    # when the officer posts without a note
    refused = client.post(url, {"action": "verify", "confirmed": "0", "note": "", "version": doubt.version})
    # then the page comes back with the error, and nothing changed
    assert refused.status_code == 422 and "核实说明" in text(refused)
    # when they post 不属实 with a note and a photo
    photo = SimpleUploadedFile("入户照片.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")
    done = client.post(
        url,
        {
            "action": "verify",
            "confirmed": "0",
            "note": "该户户主2023年确诊慢性病，部门数据未更新",
            "version": doubt.version,
            "file": photo,
        },
    )
    assert done.status_code == 302
    doubt.refresh_from_db()
    assert doubt.state == DoubtState.REJECTED and doubt.verified_by == world.users["village_officer"]
    # then the page shows the result, the material and the audit history of the doubt
    page = text(client.get(url))
    assert "部门数据未更新" in page and 'id="change-log"' in page and 'name="note"' not in page
    material = client.get(reverse("comparison:doubt_file", args=[doubt.pk]))
    assert material.status_code == 200 and b"".join(material.streaming_content).startswith(b"\x89PNG")
    # and a stale second answer is a conflict, not a second verification
    stale = client.post(url, {"action": "verify", "confirmed": "1", "note": "属实", "version": 1})
    assert stale.status_code in (409, 422)
    doubt.refresh_from_db()
    assert doubt.state == DoubtState.REJECTED


def test_a_stale_version_is_a_409_with_a_reload_link(client, world, doubts):
    doubt = a_doubt(doubts, "SJ04", TOWNSHIP_A + "202")
    client.force_login(world.users["township_officer"])
    Doubt.objects.filter(pk=doubt.pk).update(version=5)  # someone else changed it meanwhile
    response = client.post(
        reverse("comparison:doubt_detail", args=[doubt.pk]),
        {"action": "verify", "confirmed": "1", "note": "属实", "version": 1},
    )
    assert response.status_code == 409 and 'id="conflict"' in text(response)
    assert Doubt.objects.get(pk=doubt.pk).state == DoubtState.OPEN


def test_confirmed_doubts_are_resolved_by_the_township_and_precision_appears(client, world, doubts):
    sj04 = a_doubt(doubts, "SJ04", TOWNSHIP_A + "202")
    sj06 = a_doubt(doubts, "SJ06", TOWNSHIP_A + "201")
    client.force_login(world.users["township_officer"])
    url = reverse("comparison:doubt_detail", args=[sj04.pk])
    # given SJ04 verified 属实 and SJ06 不属实
    assert (
        client.post(
            url,
            {"action": "verify", "confirmed": "1", "note": "户主与配偶登记性别有误", "version": sj04.version},
        ).status_code
        == 302
    )
    client.post(
        reverse("comparison:doubt_detail", args=[sj06.pk]),
        {"action": "verify", "confirmed": "0", "note": "有患病成员", "version": sj06.version},
    )
    # then the rules page shows each rule's precision over the township's doubts
    rules = text(client.get(reverse("comparison:rules")))
    assert 'data-precision="SJ04">100%' in rules and 'data-precision="SJ06">0%' in rules
    assert 'data-precision="SB01">—' in rules
    # and the village officer sees no resolve form, and posting one is refused like a missing doubt
    sj04.refresh_from_db()
    client.force_login(world.users["village_officer"])
    assert 'value="resolve"' not in text(client.get(url))
    refused = client.post(url, {"action": "resolve", "note": "已更正", "version": sj04.version})
    assert refused.status_code == 404
    # when the township marks it corrected
    client.force_login(world.users["township_officer"])
    assert 'value="resolve"' in text(client.get(url))
    assert (
        client.post(url, {"action": "resolve", "note": "已更正配偶性别", "version": sj04.version}).status_code
        == 302
    )
    sj04.refresh_from_db()
    assert sj04.state == DoubtState.RESOLVED and "已更正配偶性别" in sj04.verification_note
    # raised by the county administrator's run, verified and resolved by the township
    assert ObjectChange.objects.filter(object_type="comparison.doubt", object_id=str(sj04.pk)).count() == 3
    # and a resolved doubt still counts as true
    assert 'data-precision="SJ04">100%' in text(client.get(reverse("comparison:rules")))


def test_a_confirmed_doubt_starts_the_rules_procedure_and_links_the_case(client, world, doubts):
    # SB01's on_true is the monitoring procedure: verifying 属实 opens it for the 南山村 household
    doubt = a_doubt(doubts, "SB01", TOWNSHIP_A + "201")
    client.force_login(world.users["village_officer"])
    url = reverse("comparison:doubt_detail", args=[doubt.pk])
    client.post(
        url, {"action": "verify", "confirmed": "1", "note": "孩子已辍学在家", "version": doubt.version}
    )
    doubt.refresh_from_db()
    assert doubt.state == DoubtState.CONFIRMED
    assert (
        doubt.case is not None
        and doubt.case.kind == "monitoring"
        and doubt.case.household == world.household_a
    )
    page = text(client.get(url))
    assert reverse("procedures:case_detail", args=[doubt.case_id]) in page and "监测对象识别认定" in page


# --------------------------------------------------------------------------------------------------
# Department users


def test_a_department_user_sees_only_the_doubts_of_their_rules(client, world, doubts):
    user = world.users["department"]
    user.department = "education"
    user.save()
    client.force_login(user)
    # the lists page: the child's name, full ID, village and evidence; nothing of the other rules
    body = text(client.get(reverse("comparison:lists")))
    assert "张小明" in body and CHILD_ID in body and "南山村" in body and "学籍系统无在读记录" in body
    assert "户主0" not in body and "户主1" not in body
    assert world.household_a.household_number not in body
    assert reverse("registry:household_detail", args=[world.household_a.pk]) not in body
    # the doubt of a rule not meant for education is a 404, like a missing one
    other = a_doubt(doubts, "SJ06", TOWNSHIP_A + "201")
    assert client.get(reverse("comparison:doubt_detail", args=[other.pk])).status_code == 404
    # their own doubt's page has no household link and no verification form
    mine = text(
        client.get(reverse("comparison:doubt_detail", args=[a_doubt(doubts, "SB01", TOWNSHIP_A + "201").pk]))
    )
    assert "张小明" in mine and "household-link" not in mine and 'name="note"' not in mine
    # the rules page lists their rules only
    rules = text(client.get(reverse("comparison:rules")))
    assert "SB01" in rules and "SJ06" not in rules


def test_a_department_user_without_a_department_sees_nothing(client, world, doubts):
    client.force_login(world.users["department"])
    body = text(client.get(reverse("comparison:lists")))
    assert "张小明" not in body and "共 0 人" in body


def test_officers_see_the_lists_pushed_to_departments(client, world, doubts):
    client.force_login(world.users["leader"])
    body = text(client.get(reverse("comparison:lists")))
    assert "张小明" in body and "户主0" not in body
    assert CHILD_ID not in body and CHILD_ID[-4:] in body  # a read-only role sees the ID masked


# --------------------------------------------------------------------------------------------------
# Overview, a real run, the run page


def test_the_county_admin_starts_a_run_and_reads_its_findings(client, world):
    admin = world.users["county_admin"]
    client.force_login(admin)
    overview = text(client.get(reverse("comparison:overview")))
    assert 'id="start-run"' in overview and "农房安全鉴定信息" in overview and "未上传" in overview
    # when the county admin starts a comparison of 秦州区 on DuckDB
    response = client.post(reverse("comparison:overview"), {"region": world.county.code, "engine": "duckdb"})
    # then the run page shows it finished, with findings by rule, the rules skipped and why, and townships
    assert response.status_code == 302
    run = ComparisonRun.objects.get()
    assert response["Location"] == reverse("comparison:run_detail", args=[run.pk])
    assert run.state == RunState.DONE and run.user == admin
    page = text(client.get(response["Location"]))
    assert 'data-state="done"' in page and "every 1s" not in page
    for code, count in run.counts.items():
        assert f"?rule={code}" in page and Rule.objects.get(code=code).name in page
        assert count > 0
    assert 'id="skipped"' in page and "缺少部门数据：学籍信息" in page
    assert f"?region={TOWNSHIP_A}" in page and "玉泉镇" in page and "太京镇" in page
    assert Doubt.objects.filter(run=run).count() == run.doubts_created > 0
    # and the overview lists the run
    assert reverse("comparison:run_detail", args=[run.pk]) in text(client.get(reverse("comparison:overview")))
    # and a second run raises nothing twice
    client.post(reverse("comparison:overview"), {"region": world.county.code, "engine": "duckdb"})
    second = ComparisonRun.objects.exclude(pk=run.pk).get()
    assert second.doubts_created == 0 and second.doubts_skipped == run.doubts_created


def test_only_runners_may_start_a_run(client, world):
    client.force_login(world.users["township_officer"])
    assert 'id="start-run"' not in text(client.get(reverse("comparison:overview")))
    refused = client.post(reverse("comparison:overview"), {"region": world.county.code, "engine": "duckdb"})
    assert refused.status_code == 403 and not ComparisonRun.objects.exists()
    client.force_login(world.users["county_admin"])
    other = client.post(reverse("comparison:overview"), {"region": "620503000000", "engine": "duckdb"})
    assert other.status_code == 422 and not ComparisonRun.objects.exists()  # 麦积区 is not among the choices


def test_a_running_run_is_polled_and_the_fragment_is_served_to_htmx(client, world):
    run = ComparisonRun.objects.create(
        region=world.county, as_of="2025-11-30", user_name="county_admin", progress=40, stage="规则 SB01"
    )
    client.force_login(world.users["leader"])
    url = reverse("comparison:run_detail", args=[run.pk])
    page = text(client.get(url))
    assert 'hx-trigger="every 1s"' in page and "规则 SB01" in page and 'aria-valuenow="40"' in page
    fragment = client.get(url, HTTP_HX_REQUEST="true")
    assert fragment["Cache-Control"] == "no-store"
    assert text(fragment).lstrip().startswith('<div id="run-status"') and "<html" not in text(fragment)
    # the county's run covered 玉泉镇: its officer reads it; a helper does not
    client.force_login(world.users["township_officer"])
    assert client.get(url).status_code == 200
    client.force_login(world.users["helper"])
    assert client.get(url).status_code == 404


# --------------------------------------------------------------------------------------------------
# Rules


def test_the_admin_edits_a_threshold_and_others_may_not(client, world):
    rule = Rule.objects.get(code="SJ08")
    client.force_login(world.users["admin"])
    url = reverse("comparison:rules")
    assert 'name="p_income_max"' in text(client.get(url))
    bad = client.post(url, {"code": "SJ08", "version": rule.version, "enabled": "on", "p_income_max": "十万"})
    assert bad.status_code == 422 and "应为数字" in text(bad) and 'value="十万"' in text(bad)
    good = client.post(url, {"code": "SJ08", "version": rule.version, "p_income_max": "120000"})
    assert good.status_code == 302
    rule.refresh_from_db()
    assert rule.parameters == {"income_max": 120000} and not rule.enabled and rule.version == 2
    stale = client.post(url, {"code": "SJ08", "version": 1, "enabled": "on", "p_income_max": "1"})
    assert stale.status_code == 409
    client.force_login(world.users["county_admin"])
    assert 'name="p_income_max"' not in text(client.get(url))
    assert client.post(url, {"code": "SJ08", "version": 2, "enabled": "on"}).status_code == 403
    assert Rule.objects.get(code="SJ08").version == 2


# --------------------------------------------------------------------------------------------------
# Department files


def housing_csv(rows: list[tuple[str, str, str, str]]) -> bytes:
    lines = ["户主身份证号码,姓名,所在地区划代码,鉴定等级,鉴定日期,是否已完成改造"]
    lines += [f"{i},{n},{r},{g},2025-06-01,否" for i, n, r, g in rows]
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def test_a_department_uploads_its_file_and_downloads_the_error_report(client, world):
    user = world.users["department"]
    user.department = "housing"
    user.save()
    client.force_login(user)
    url = reverse("comparison:datasets")
    page = text(client.get(url))
    assert "农房安全鉴定信息" in page and "学籍信息" not in page  # only their own datasets
    member = world.household_a.members.get()
    data = housing_csv(
        [
            (member.id_number, member.name, world.household_a.village_id, "D"),
            ("123", "错号", world.household_a.village_id, "X"),
        ]
    )
    response = client.post(
        url,
        {
            "dataset": "housing",
            "as_of": "2025-06-30",
            "policy": "valid",
            "file": SimpleUploadedFile("危房.csv", data, "text/csv"),
        },
    )
    assert response.status_code == 302
    load = DatasetLoad.objects.get()
    assert load.state == "partial" and load.rows_accepted == 1 and load.rows_rejected == 1
    page = text(client.get(url))
    assert "危房.csv" in page and 'data-state="partial"' in page
    report = client.get(reverse("comparison:load_errors", args=[load.pk]))
    assert report.status_code == 200 and report["Content-Disposition"].startswith("attachment")
    # another department neither sees the load nor may send housing data
    user.department = "education"
    user.save()
    assert "危房.csv" not in text(client.get(url))
    assert client.get(reverse("comparison:load_errors", args=[load.pk])).status_code == 404
    refused = client.post(
        url,
        {
            "dataset": "housing",
            "as_of": "2025-06-30",
            "policy": "valid",
            "file": SimpleUploadedFile("危房.csv", data, "text/csv"),
        },
    )
    assert refused.status_code == 422 and DatasetLoad.objects.count() == 1
    # the template of a dataset downloads
    template = client.get(reverse("comparison:dataset_template"), {"dataset": "education", "fmt": "csv"})
    assert template.status_code == 200
    assert "姓名".encode() in b"".join(template.streaming_content)


def test_read_only_roles_see_loads_but_have_no_upload_form(client, world):
    DatasetLoad.objects.create(
        id="d" * 32,
        dataset="education",
        department="education",
        as_of="2025-09-01",
        region_prefix="620502",
        file_name="学籍.xlsx",
        file_sha256="0" * 64,
        user_name="教育局",
        progress=30,
        stage="校验数据",
    )
    client.force_login(world.users["leader"])
    page = text(client.get(reverse("comparison:datasets")))
    assert 'id="load-form"' not in page and "学籍.xlsx" in page
    # a load still running is polled; htmx gets the list alone
    assert 'hx-trigger="every 2s"' in page and "校验数据 30%" in page
    fragment = text(client.get(reverse("comparison:datasets"), HTTP_HX_REQUEST="true"))
    assert fragment.lstrip().startswith('<section class="card" id="loads"') and "<html" not in fragment
    assert client.post(reverse("comparison:datasets"), {"dataset": "housing"}).status_code == 403
