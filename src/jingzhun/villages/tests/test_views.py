"""The poor-village pages and API: the list and its import, yearly records, the checks, the exit case;
bad input gets a Chinese message naming the field or line, never a 500; outsiders get 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from jingzhun.accounts.services import create_api_token
from jingzhun.core.audit import Actor
from jingzhun.core.models import ObjectChange
from jingzhun.procedures.choices import CaseState
from jingzhun.procedures.models import Case
from jingzhun.testing.world import COUNTY, TOWNSHIP_A, TOWNSHIP_B
from jingzhun.villages.models import PoorVillage, VillageYear

VILLAGE = TOWNSHIP_A + "201"  # 南山村
OTHER = TOWNSHIP_B + "201"  # 东川村
COUNTY_CODE = COUNTY + "000000"


def web(world: Any, name: str) -> Client:
    client = Client()
    client.force_login(world.users[name])
    return client


@pytest.fixture
def api(world: Any) -> dict[str, Client]:
    tokens = {
        n: create_api_token(actor=Actor(user=None, name="测试"), user=u)[1] for n, u in world.users.items()
    }
    return {n: Client(headers={"Authorization": f"Bearer {raw}"}) for n, raw in tokens.items()}


# --- the list and its import ------------------------------------------------------------------------------


def test_the_county_admin_imports_the_list_and_sees_it(world: Any) -> None:
    client = web(world, "county_admin")
    page = client.get("/villages/")
    assert page.status_code == 200 and 'id="import"' in page.content.decode()
    response = client.post(
        f"/villages/counties/{COUNTY_CODE}/import/",
        {
            "codes": f"村代码\n{VILLAGE}\n{OTHER}",
            "identified_year": "2014",
            "source_document": "秦州区贫困村名单",
        },
    )
    assert response.status_code == 302
    assert set(PoorVillage.objects.values_list("village_id", flat=True)) == {VILLAGE, OTHER}
    assert (
        ObjectChange.objects.filter(
            object_type="villages.poorvillage", user=world.users["county_admin"]
        ).count()
        == 2
    )
    listing = client.get(response["Location"]).content.decode()
    assert f'id="village-{VILLAGE}"' in listing and "贫困村 2 个" in listing


def test_villages_ticked_in_the_list_are_imported(world: Any) -> None:
    client = web(world, "county_admin")
    assert f'name="pick" value="{OTHER}"' in client.get(f"/villages/?county={COUNTY}").content.decode()
    response = client.post(
        f"/villages/counties/{COUNTY_CODE}/import/",
        {"pick": [VILLAGE, OTHER], "codes": "", "identified_year": "2015", "source_document": "补充名单"},
    )
    assert response.status_code == 302
    assert set(PoorVillage.objects.filter(identified_year=2015).values_list("village_id", flat=True)) == {
        VILLAGE,
        OTHER,
    }


def test_an_uploaded_list_is_read_too(world: Any) -> None:
    upload = SimpleUploadedFile("list.csv", f"code,name\n{VILLAGE},南山村\n".encode("gb18030"), "text/csv")
    response = web(world, "county_admin").post(
        f"/villages/counties/{COUNTY_CODE}/import/",
        {"file": upload, "identified_year": "2014", "source_document": "名单"},
    )
    assert response.status_code == 302 and PoorVillage.objects.filter(village_id=VILLAGE).exists()


def test_a_bad_list_is_refused_whole_with_each_line_named(world: Any) -> None:
    response = web(world, "county_admin").post(
        f"/villages/counties/{COUNTY_CODE}/import/",
        {
            "codes": f"{VILLAGE}\n12345\n620503100201\n{VILLAGE}",
            "identified_year": "2014",
            "source_document": "名单",
        },
    )
    html = response.content.decode()
    assert response.status_code == 422 and not PoorVillage.objects.exists()
    assert "未导入任何村" in html and "第2行 12345：村代码应为12位数字" in html
    assert "第3行 620503100201：不是已导入的行政村代码" in html and "第4行" in html and "重复" in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"codes": "", "identified_year": "2014", "source_document": "名单"},
            "请勾选村、填写村代码或上传名单文件",
        ),
        ({"codes": VILLAGE, "identified_year": "二〇一四", "source_document": "名单"}, "识别年度"),
        ({"codes": VILLAGE, "identified_year": "2014", "source_document": ""}, "依据文件"),
    ],
)
def test_import_form_errors_name_the_field(world: Any, data: dict[str, str], message: str) -> None:
    response = web(world, "county_admin").post(f"/villages/counties/{COUNTY_CODE}/import/", data)
    assert response.status_code == 422 and message in response.content.decode()


def test_only_list_editors_import_and_outsiders_get_404(world: Any) -> None:
    data = {"codes": VILLAGE, "identified_year": "2014", "source_document": "名单"}
    # A read-only role is answered like a missing county on the web (as on the registry's edit pages).
    assert web(world, "leader").post(f"/villages/counties/{COUNTY_CODE}/import/", data).status_code == 404
    assert (
        web(world, "township_officer").post(f"/villages/counties/{COUNTY_CODE}/import/", data).status_code
        == 404
    )
    assert web(world, "leader").get(f"/villages/?county={COUNTY_CODE}").status_code == 200
    assert 'id="import"' not in web(world, "leader").get(f"/villages/?county={COUNTY_CODE}").content.decode()
    assert web(world, "township_b_officer").get(f"/villages/{VILLAGE}/").status_code == 404
    assert web(world, "county_admin").get("/villages/?county=99").status_code == 404
    assert web(world, "county_admin").get("/villages/not-a-code/").status_code == 404
    assert not PoorVillage.objects.exists()


# --- yearly records -------------------------------------------------------------------------------------


def test_a_village_officer_enters_the_yearly_record(world: Any) -> None:
    client = web(world, "village_officer")
    url = f"/villages/{VILLAGE}/years/2025/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "hardened_road": "1",
            "safe_water_coverage": "0.95",
            "power": "1",
            "clinic": "0",
            "broadband": "",
            "radio_tv": "1",
            "collective_income": "45,000",
            "rural_population": "980",
            "version": "0",
        },
    )
    assert response.status_code == 302
    record = VillageYear.objects.get(village_id=VILLAGE, year=2025)
    assert (record.hardened_road, record.clinic, record.broadband) == (True, False, None)
    assert record.collective_income == Decimal("45000") and record.safe_water_coverage == Decimal("0.95")
    page = client.get(f"/villages/{VILLAGE}/?year=2025").content.decode()
    assert 'id="record-2025"' in page and 'id="exit-clinic"' in page and "不满足" in page
    # A stale form does not overwrite (409), a second save with the right version does.
    stale = client.post(url, {"collective_income": "1", "version": "0"})
    assert stale.status_code == 409 and "已被他人修改" in stale.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("safe_water_coverage", "95", "安全饮水覆盖率是比例"),
        ("safe_water_coverage", "abc", "安全饮水覆盖率应为数字"),
        ("collective_income", "-5", "村集体经济收入（元）应为不小于0的数字"),
        ("rural_population", "9.5", "农村户籍人口应为整数人数"),
    ],
)
def test_record_errors_name_the_field(world: Any, field: str, value: str, message: str) -> None:
    response = web(world, "village_officer").post(
        f"/villages/{VILLAGE}/years/2025/", {field: value, "version": "0"}
    )
    assert response.status_code == 422 and message in response.content.decode()
    assert not VillageYear.objects.exists()


def test_readers_cannot_write_records_and_bad_years_are_ignored(world: Any) -> None:
    assert web(world, "leader").post(f"/villages/{VILLAGE}/years/2025/", {"version": "0"}).status_code == 404
    assert web(world, "leader").get(f"/villages/{VILLAGE}/years/2025/").status_code == 404
    assert web(world, "leader").get(f"/villages/{VILLAGE}/exit/").status_code == 404
    assert not VillageYear.objects.exists()
    assert web(world, "county_admin").get(f"/villages/{VILLAGE}/years/1800/").status_code == 404
    page = web(world, "leader").get(f"/villages/{VILLAGE}/", {"year": "abcd"})
    assert page.status_code == 200 and "年度应为1978—2100之间的4位年份" in page.content.decode()


# --- the exit case on the web ----------------------------------------------------------------------------


def test_the_exit_case_pages(world: Any) -> None:
    PoorVillage.objects.create(village_id=VILLAGE, identified_year=2014, source_document="名单")
    officer = web(world, "village_officer")
    response = officer.post(f"/villages/{VILLAGE}/exit/", {"discovered_on": timezone.localdate().isoformat()})
    case = Case.objects.get(village_id=VILLAGE)
    assert response.status_code == 302 and response["Location"] == f"/villages/cases/{case.pk}/"
    page = officer.get(response["Location"]).content.decode()
    assert 'id="next-step"' in page and "自主申请" in page
    # Missing signatures: the step is refused with the reason, nothing is lost.
    refused = officer.post(
        f"/villages/cases/{case.pk}/", {"action": "step", "step_code": "application", "version": case.version}
    )
    assert refused.status_code == 422 and "缺少" in refused.content.decode()
    done = officer.post(
        f"/villages/cases/{case.pk}/",
        {
            "action": "step",
            "step_code": "application",
            "version": case.version,
            "sig_0": "王支书",
            "sig_1": "李队长",
            "ev_application_form": "出列申请书",
        },
    )
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.next_step.code == "assessment"
    bad_date = web(world, "township_officer").post(
        f"/villages/cases/{case.pk}/",
        {"action": "step", "step_code": "assessment", "version": case.version, "on": "2025-13-40"},
    )
    assert bad_date.status_code == 422 and "办理日期格式不正确" in bad_date.content.decode()
    assert web(world, "township_b_officer").get(f"/villages/cases/{case.pk}/").status_code == 404
    assert (
        web(world, "county_admin").get(f"/procedures/cases/{case.pk}/").status_code == 404
    )  # not a household's
    rejected = web(world, "county_admin").post(
        f"/villages/cases/{case.pk}/",
        {"action": "reject", "version": case.version, "reason": "集体经济收入未达到标准"},
    )
    case.refresh_from_db()
    assert rejected.status_code == 302 and case.state == CaseState.REJECTED


def test_a_village_not_on_the_list_cannot_open_a_case(world: Any) -> None:
    response = web(world, "village_officer").post(
        f"/villages/{VILLAGE}/exit/", {"discovered_on": "2025-01-01"}, follow=True
    )
    assert (
        "不在贫困村名单中" in response.content.decode()
        and not Case.objects.filter(village_id=VILLAGE).exists()
    )


# --- API --------------------------------------------------------------------------------------------------


def test_api_imports_lists_and_refuses_bad_codes(world: Any, api: dict[str, Client]) -> None:
    url = f"/api/villages/counties/{COUNTY}/poor-villages"
    bad = api["county_admin"].post(
        url,
        {"codes": [VILLAGE, "620503100201"], "identified_year": 2014, "source_document": "名单"},
        content_type="application/json",
    )
    assert (
        bad.status_code == 422
        and "第2行 620503100201" in bad.json()["detail"]
        and bad.json()["errors"]["codes"]
    )
    ok = api["county_admin"].post(
        url,
        {"codes": [VILLAGE], "identified_year": 2014, "source_document": "名单"},
        content_type="application/json",
    )
    assert ok.status_code == 201 and ok.json() == {"created": [VILLAGE], "already": []}
    listed = api["leader"].get(url).json()
    assert [v["code"] for v in listed] == [VILLAGE] and listed[0]["exit_year"] is None
    assert (
        api["leader"]
        .post(
            url,
            {"codes": [OTHER], "identified_year": 2014, "source_document": "名单"},
            content_type="application/json",
        )
        .status_code
        == 403
    )
    assert api["township_b_officer"].get("/api/villages/counties/620503/poor-villages").status_code == 404
    missing = api["county_admin"].post(url, {"codes": [VILLAGE]}, content_type="application/json")
    assert missing.status_code == 422 and "identified_year" in missing.json()["errors"]


def test_api_records_and_checks(world: Any, api: dict[str, Client]) -> None:
    url = f"/api/villages/{VILLAGE}/years/2025"
    body = {
        "version": 0,
        "hardened_road": True,
        "safe_water_coverage": "0.9",
        "power": True,
        "clinic": True,
        "broadband": True,
        "collective_income": "40000",
        "rural_population": 1000,
    }
    saved = api["village_officer"].put(url, body, content_type="application/json")
    assert saved.status_code == 200 and saved.json()["version"] == 1
    stale = api["village_officer"].put(
        url, body | {"collective_income": "1"}, content_type="application/json"
    )
    assert stale.status_code == 409 and "已被他人修改" in stale.json()["detail"]
    bad = api["village_officer"].put(
        url, {"version": 1, "safe_water_coverage": "1.5"}, content_type="application/json"
    )
    assert bad.status_code == 422 and "safe_water_coverage" in bad.json()["errors"]
    extra = api["village_officer"].put(url, {"version": 1, "schools": 3}, content_type="application/json")
    assert extra.status_code == 422 and "schools" in extra.json()["errors"]
    check = api["leader"].get(f"/api/villages/{VILLAGE}/exit-check", {"year": 2025}).json()
    assert check["passed"] and {c["code"] for c in check["criteria"]} >= {
        "road",
        "water",
        "collective_income",
    }
    assert api["leader"].get(f"/api/villages/{VILLAGE}/exit-check", {"year": "x"}).status_code == 422
    ident = api["leader"].get(f"/api/villages/{VILLAGE}/identification-check").json()
    assert not ident["passed"] and "全省农村贫困发生率" in ident["criteria"][0]["note"]
    assert api["leader"].put(url, body | {"version": 1}, content_type="application/json").status_code == 403


def test_api_runs_the_exit_case(world: Any, api: dict[str, Client]) -> None:
    PoorVillage.objects.create(village_id=VILLAGE, identified_year=2014, source_document="名单")
    today = timezone.localdate()
    opened = api["village_officer"].post(
        f"/api/villages/{VILLAGE}/exit-cases",
        {"discovered_on": today.isoformat()},
        content_type="application/json",
    )
    assert opened.status_code == 201 and opened.json()["next_step"] == "application"
    case_id = opened.json()["id"]
    step = api["village_officer"].post(
        f"/api/villages/cases/{case_id}/steps",
        {
            "step_code": "application",
            "version": 1,
            "signatures": [
                {"signer": "village_committee", "name": "王支书"},
                {"signer": "work_team", "name": "李队长"},
            ],
            "evidence": [{"kind": "application_form", "name": "申请书"}],
        },
        content_type="application/json",
    )
    assert step.status_code == 200 and step.json()["next_step"] == "assessment"
    skipped = api["county_admin"].post(
        f"/api/villages/cases/{case_id}/steps",
        {"step_code": "filing", "version": 2},
        content_type="application/json",
    )
    assert skipped.status_code == 422 and "不能跳过" in skipped.json()["detail"]
    assert api["township_b_officer"].get(f"/api/villages/cases/{case_id}").status_code == 404
    assert api["county_admin"].get(f"/api/procedures/cases/{case_id}").status_code == 404
    again = api["village_officer"].post(
        f"/api/villages/{VILLAGE}/exit-cases",
        {"discovered_on": today.isoformat()},
        content_type="application/json",
    )
    assert again.status_code == 422 and "已有办理中" in again.json()["detail"]
    future = api["village_officer"].post(
        f"/api/villages/{OTHER}/exit-cases",
        {"discovered_on": (today + dt.timedelta(days=3)).isoformat()},
        content_type="application/json",
    )
    assert future.status_code == 404  # 东川村 is outside the village officer's jurisdiction


def test_township_staff_see_their_villages_of_the_list(world: Any) -> None:
    PoorVillage.objects.create(village_id=VILLAGE, identified_year=2014, source_document="名单")
    PoorVillage.objects.create(village_id=OTHER, identified_year=2014, source_document="名单")
    page = web(world, "township_officer").get("/villages/")
    html = page.content.decode()
    assert (
        page.status_code == 200 and f'id="village-{VILLAGE}"' in html and f'id="village-{OTHER}"' not in html
    )
    assert web(world, "township_officer").get(f"/villages/?county={COUNTY}").status_code == 200
    assert web(world, "township_officer").get("/villages/?county=620503").status_code == 404
    assert web(world, "helper").get(f"/villages/?county={COUNTY}").status_code == 404
    assert 'href="/villages/"' in web(world, "leader").get("/").content.decode()


def test_an_objection_on_the_web_sends_the_case_back_and_is_resolved(world: Any) -> None:
    from jingzhun.procedures import services as procedure_services
    from jingzhun.procedures.choices import ProcedureKind
    from jingzhun.villages.tests.test_exit_procedure import do

    VillageYear.objects.create(
        village_id=VILLAGE,
        year=timezone.localdate().year,
        hardened_road=True,
        safe_water_coverage=Decimal("1"),
        power=True,
        clinic=True,
        broadband=True,
        collective_income=Decimal("60000"),
        rural_population=1000,
    )
    PoorVillage.objects.create(village_id=VILLAGE, identified_year=2014, source_document="名单")
    start = timezone.localdate() - dt.timedelta(days=3)
    case = procedure_services.open_village_case(
        actor=Actor.of(world.users["village_officer"]),
        village=world.villages[VILLAGE],
        kind=ProcedureKind.VILLAGE_EXIT,
        discovered_on=start,
    )
    for _ in range(3):
        case = do(world, case, start)
    township = web(world, "township_officer")
    url = f"/villages/cases/{case.pk}/"
    assert 'id="post-notice"' in township.get(url).content.decode()
    posted = township.post(url, {"action": "notice", "start_on": start.isoformat(), "photo_name": "照片1"})
    assert posted.status_code == 302 and 'id="record-objection"' in township.get(url).content.decode()
    empty = township.post(url, {"action": "objection", "text": " ", "received_on": start.isoformat()})
    assert empty.status_code == 422 and "请填写异议内容" in empty.content.decode()
    township.post(url, {"action": "objection", "text": "道路未硬化到组", "received_on": start.isoformat()})
    case.refresh_from_db()
    assert case.next_step.code == "assessment"
    objection = case.objections.get()
    resolved = township.post(
        url,
        {
            "action": "resolve",
            "objection": objection.pk,
            "upheld": "0",
            "resolution": "经复核，村道已硬化",
            "on": start.isoformat(),
        },
    )
    objection.refresh_from_db()
    assert resolved.status_code == 302 and objection.state == "dismissed"
