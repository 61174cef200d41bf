"""Web pages of the register: search, household page, edits, import pages (given / when / then)."""

from __future__ import annotations

import datetime as dt
import uuid
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from jingzhun.core import jobs
from jingzhun.core.models import Job, JobState, ObjectChange
from jingzhun.registry import idnumbers
from jingzhun.registry.models import Household, HouseholdYear, ImportBatch, Member

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def login(client, world, role="township_officer"):
    client.force_login(world.users[role])
    return client


def text(response) -> str:
    return response.content.decode()


def head_of(household: Household) -> Member:
    return household.members.get(left_on__isnull=True)


def household_post(household: Household, **changes) -> dict:
    """The household edit form as the browser would post it, unchanged except for ``changes``."""
    data = {
        "version": household.version,
        "natural_village": household.natural_village,
        "head_name": household.head_name,
        "phone": household.phone,
        "bank_name": household.bank_name,
        "bank_account": household.bank_account,
        "identification_standard": household.identification_standard,
        "attribute": household.attribute,
        "poverty_status": household.poverty_status,
        "main_cause": household.main_cause,
        "other_causes": household.other_causes,
        "first_identified_on": household.first_identified_on or "",
        "exit_year": household.exit_year or "",
        "return_year": household.return_year or "",
        "monitoring_type": household.monitoring_type,
        "monitoring_identified_on": household.monitoring_identified_on or "",
        "risk_types": household.risk_types,
        "risk_elimination": household.risk_elimination,
        "risk_eliminated_on": household.risk_eliminated_on or "",
    }
    if household.relocated:
        data["relocated"] = "on"
    if household.military_family:
        data["military_family"] = "on"
    data.update(changes)
    return data


def member_post(member: Member, version: int, **changes) -> dict:
    data = {
        "version": version,
        "name": member.name,
        "id_number": member.id_number,
        "relation": member.relation,
        "ethnicity": member.ethnicity,
        "political_status": member.political_status,
        "phone": member.phone,
        "joined_on": member.joined_on or "",
        "education": member.education,
        "schooling": member.schooling,
        "health": member.health,
        "disability_category": member.disability_category,
        "disability_grade": member.disability_grade,
        "labour_skill": member.labour_skill,
        "migrant_months": member.migrant_months,
        "migrant_place": member.migrant_place,
        "speaks_mandarin": "unknown",
        "basic_medical_insurance": "unknown",
        "serious_illness_insurance": "unknown",
        "commercial_medical_insurance": "unknown",
        "basic_pension_insurance": "unknown",
        "accident_insurance": "unknown",
    }
    data.update(changes)
    return data


# ----------------------------------------------------------------------------------------------------
# Every page renders for an allowed user


def test_home_shows_counts_of_the_jurisdiction(client, world):
    # given the 玉泉镇 officer (two households of one member each)
    login(client, world)
    # when
    response = client.get(reverse("home"))
    # then
    body = text(response)
    assert response.status_code == 200
    assert 'data-count="households">2<' in body
    assert 'data-count="members">2<' in body
    assert "玉泉镇" in body
    assert '<html lang="zh-CN">' in body


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "household_detail",
            ["基本信息", "家庭成员", "年度收入与生产生活条件", "状态变更", "历史查询", "变更记录"],
        ),
        ("household_edit", ["修改农户信息", "户主姓名", "其他致贫原因", 'type="checkbox"', 'name="version"']),
        ("member_add", ["添加家庭成员", "人编号", "证件号码", "健康状况"]),
    ],
)
def test_household_pages_render(client, world, name, expected):
    login(client, world)
    household = world.household_a
    response = client.get(reverse(f"registry:{name}", args=[household.pk]))
    assert response.status_code == 200
    for snippet in expected:
        assert snippet in text(response)


def test_member_and_year_pages_render(client, world):
    login(client, world)
    household = world.household_a
    member = head_of(household)
    for url, expected in [
        (reverse("registry:member_edit", args=[member.pk]), "修改成员信息"),
        (reverse("registry:member_remove", args=[member.pk]), "减少原因"),
        (reverse("registry:year_edit", args=[household.pk, 2025]), "修改 2025 年度"),
        (reverse("registry:year_edit", args=[household.pk, 2024]), "录入 2024 年度"),
        (reverse("registry:import"), "开始导入"),
        (reverse("registry:household_list"), "农户查询"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert expected in text(response), url


def test_login_page_is_chinese_and_reports_bad_credentials(client, world):
    response = client.get(reverse("login"))
    assert "用户名" in text(response) and "密码" in text(response)
    response = client.post(reverse("login"), {"username": "township_officer", "password": "wrong"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in text(response)


def test_login_then_logout_by_post(client, world):
    response = client.post(reverse("login"), {"username": "township_officer", "password": "pass-1234"})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_pages_need_login(client, world):
    response = client.get(reverse("registry:household_detail", args=[world.household_a.pk]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_english_switch_translates_the_chrome(client, world):
    login(client, world)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = text(client.get(reverse("home")))
    assert "Household search" in body
    assert "Log out" in body


# ----------------------------------------------------------------------------------------------------
# Search


def test_search_by_name_finds_only_own_jurisdiction(client, world):
    login(client, world)
    # given households named 户主0 (玉泉镇) and 户主2 (太京镇)
    response = client.get(reverse("registry:household_list"), {"q": "户主"})
    body = text(response)
    assert world.household_a.household_number in body
    assert world.household_b.household_number not in body


def test_search_by_full_id_number(client, world):
    login(client, world)
    member = head_of(world.household_a)
    response = client.get(reverse("registry:household_list"), {"q": member.id_number})
    body = text(response)
    assert world.household_a.household_number in body
    assert "共 1 户" in body
    # the ID itself is never printed in the list
    assert member.id_number not in body.split('id="results"', 1)[1]


def test_search_by_household_number(client, world):
    login(client, world)
    number = world.household_a.household_number
    response = client.get(reverse("registry:household_list"), {"q": number})
    assert "共 1 户" in text(response)
    assert reverse("registry:household_detail", args=[world.household_a.pk]) in text(response)


def test_htmx_search_returns_the_results_partial(client, world):
    login(client, world)
    response = client.get(reverse("registry:household_list"), {"q": "户主0"}, HTTP_HX_REQUEST="true")
    body = text(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="household-rows"' in body
    assert "HX-Request" in response["Vary"]


def test_search_form_is_live(client, world):
    login(client, world)
    body = text(client.get(reverse("registry:household_list")))
    assert 'hx-trigger="input changed delay:300ms' in body
    assert 'hx-get="/registry/"' in body


def test_region_filter_inside_jurisdiction(client, world):
    login(client, world)
    village = world.household_a.village
    response = client.get(reverse("registry:household_list"), {"region": village.prefix})
    assert "共 1 户" in text(response)


@pytest.mark.parametrize(
    "params",
    [
        {"region": "620502101201"},  # 东川村, not the officer's
        {"region": "999999999999"},  # no such region
        {"region": "abc"},
        {"status": "zzz"},
        {"monitoring": "<script>"},
        {"page": "9999"},
        {"page": "abc"},
    ],
)
def test_bad_filters_are_ignored_with_a_message(client, world, params):
    login(client, world)
    response = client.get(reverse("registry:household_list"), params)
    body = text(response)
    assert response.status_code == 200
    assert world.household_b.household_number not in body
    if "page" not in params:
        assert "已忽略" in body
        assert "共 2 户" in body


def test_foreign_and_missing_region_filters_look_the_same(client, world):
    login(client, world)
    url = reverse("registry:household_list")
    foreign = client.get(url, {"region": "620502101201"})
    missing = client.get(url, {"region": "620502100299"})
    strip = lambda r: text(r).split('id="results"', 1)[1]  # noqa: E731
    assert strip(foreign) == strip(missing)


# ----------------------------------------------------------------------------------------------------
# Household page: masking, audit visibility, as-of


def test_personal_numbers_masked_for_readers_who_cannot_edit(client, world):
    household = world.household_a
    Household.objects.filter(pk=household.pk).update(phone="13812345678", bank_account="6228480012345678901")
    member = head_of(household)
    # the leader reads but cannot edit: masked
    body = text(login(client, world, "leader").get(reverse("registry:household_detail", args=[household.pk])))
    assert "138****5678" in body and "13812345678" not in body
    assert "**** 8901" in body and "6228480012345678901" not in body
    assert member.id_number[:6] + "********" + member.id_number[-4:] in body
    assert member.id_number not in body
    assert 'id="change-log"' not in body  # leaders do not read the audit log
    # the officer can edit: shown in full
    body = text(login(client, world).get(reverse("registry:household_detail", args=[household.pk])))
    assert "13812345678" in body and member.id_number in body


def test_edit_saves_and_the_change_shows_on_the_household_page(client, world):
    login(client, world)
    household = world.household_a
    # when the officer changes the phone
    response = client.post(
        reverse("registry:household_edit", args=[household.pk]),
        household_post(household, phone="13900001111"),
    )
    # then it redirects to the household page with a success message and the change in the log
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:household_detail", args=[household.pk])
    household.refresh_from_db()
    assert household.phone == "13900001111"
    assert household.version == 2
    change = ObjectChange.objects.get(object_type="registry.household", object_id=str(household.pk))
    assert change.user == world.users["township_officer"]
    assert ("phone", "", "13900001111") in change.changed_fields()
    body = text(client.get(response["Location"]))
    assert "农户信息已保存" in body
    assert 'id="change-log"' in body
    assert "联系电话" in body and "13900001111" in body


def test_edit_multi_value_codes_as_checkboxes(client, world):
    login(client, world)
    household = world.household_a
    client.post(
        reverse("registry:household_edit", args=[household.pk]),
        household_post(household, other_causes=["2", "5"]),
    )
    household.refresh_from_db()
    assert household.other_causes == ["2", "5"]
    body = text(client.get(reverse("registry:household_detail", args=[household.pk])))
    assert "因残、缺土地" in body


def test_stale_version_gives_409_and_changes_nothing(client, world):
    login(client, world)
    household = world.household_a
    stale = household_post(household, phone="13900002222")
    # given someone else saved in between
    client.post(
        reverse("registry:household_edit", args=[household.pk]),
        household_post(household, phone="13900001111"),
    )
    # when the first form is submitted with its old version
    response = client.post(reverse("registry:household_edit", args=[household.pk]), stale)
    # then
    assert response.status_code == 409
    body = text(response)
    assert "该记录已被他人修改" in body
    assert "重新载入" in body
    assert 'value="13900002222"' in body  # the user's input is kept
    household.refresh_from_db()
    assert household.phone == "13900001111"
    assert ObjectChange.objects.filter(object_type="registry.household").count() == 1


def test_bad_id_number_gives_422_with_chinese_message(client, world):
    login(client, world)
    household = world.household_a
    member = head_of(household)
    bad = member.id_number[:17] + ("0" if member.id_number[17] != "0" else "1")
    response = client.post(
        reverse("registry:member_edit", args=[member.pk]),
        member_post(member, household.version, id_number=bad),
    )
    assert response.status_code == 422
    body = text(response)
    assert "校验" in body
    assert f'value="{bad}"' in body
    member.refresh_from_db()
    household.refresh_from_db()
    assert member.id_number != bad
    assert household.version == 1
    assert not ObjectChange.objects.exists()


def test_thirteen_months_gives_422_and_no_change(client, world):
    login(client, world)
    household = world.household_a
    member = head_of(household)
    response = client.post(
        reverse("registry:member_edit", args=[member.pk]),
        member_post(member, household.version, migrant_months=13),
    )
    assert response.status_code == 422
    assert "12" in text(response)
    assert "填写有误" in text(response)
    member.refresh_from_db()
    assert member.migrant_months == 0
    assert not ObjectChange.objects.exists()


def test_member_edit_saves(client, world):
    login(client, world)
    household = world.household_a
    member = head_of(household)
    response = client.post(
        reverse("registry:member_edit", args=[member.pk]),
        member_post(member, household.version, migrant_months=6, health=["2"]),
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.migrant_months, member.health) == (6, ["2"])
    body = text(client.get(reverse("registry:household_detail", args=[household.pk])))
    assert "成员信息已保存" in body
    assert "长期慢性病" in body


def test_member_add_and_remove(client, world):
    login(client, world)
    household = world.household_a
    new_id = idnumbers.make_id("620502", dt.date(1985, 3, 2), 124)
    data = member_post(Member(name="李秀英", relation="02", migrant_months=0), household.version)
    data.update(person_number="P777000000001", id_number=new_id)
    response = client.post(reverse("registry:member_add", args=[household.pk]), data)
    assert response.status_code == 302, text(response)
    member = household.members.get(person_number="P777000000001")
    assert member.birth_date == dt.date(1985, 3, 2)
    household.refresh_from_db()
    response = client.post(
        reverse("registry:member_remove", args=[member.pk]),
        {"version": household.version, "leave_reason": "marriage", "left_on": "2025-03-01"},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.left_on == dt.date(2025, 3, 1)
    body = text(client.get(reverse("registry:household_detail", args=[household.pk])))
    assert "已减员成员" in body and "婚出" in body


def test_year_create_derives_per_capita_income(client, world):
    login(client, world)
    household = world.household_a
    data = {
        "version": household.version,
        "household_size": 2,
        "wage_income": "10000",
        "business_income": "3000",
    }
    for name in (
        "business_expense",
        "dividend_income",
        "other_property_income",
        "family_planning_income",
        "dibao_income",
        "tekun_income",
        "pension_income",
        "eco_compensation_income",
        "other_transfer_income",
    ):
        data[name] = "0"
    data["business_expense"] = "1000"
    response = client.post(reverse("registry:year_edit", args=[household.pk, 2024]), data)
    assert response.status_code == 302, text(response)
    year = HouseholdYear.objects.get(household=household, year=2024)
    assert str(year.per_capita_net_income) == "6000.00"
    body = text(client.get(reverse("registry:household_detail", args=[household.pk])))
    assert "6,000.00" in body or "6000.00" in body


def test_year_out_of_range_is_404(client, world):
    login(client, world)
    assert client.get(reverse("registry:year_edit", args=[world.household_a.pk, 1900])).status_code == 404
    assert client.get(reverse("registry:year_edit", args=[world.household_a.pk, 99999])).status_code == 404


def test_as_of_shows_the_old_value_after_an_edit(client, world):
    login(client, world)
    household = world.household_a
    # given the phone was set on 2025-01-01 …
    jan = dt.datetime(2025, 1, 1, 10, 0, tzinfo=SHANGHAI)
    with mock.patch("django.utils.timezone.now", return_value=jan):
        client.post(
            reverse("registry:household_edit", args=[household.pk]),
            household_post(household, phone="13900001111"),
        )
    household.refresh_from_db()
    # … and changed again today
    client.post(
        reverse("registry:household_edit", args=[household.pk]),
        household_post(household, phone="13900002222"),
    )
    url = reverse("registry:household_detail", args=[household.pk])
    # when looking at the household as of 2025-06-30
    body = text(client.get(url, {"as_of": "2025-06-30"}))
    # then the panel shows the old number
    panel = body.split('id="as-of-panel"', 1)[1].split("</section>", 1)[0]
    assert "13900001111" in panel
    assert "13900002222" not in panel
    # and before anything was recorded, a clear message
    body = text(client.get(url, {"as_of": "2024-12-31"}))
    assert "尚无此户的记录" in body
    # the end of the day counts (Asia/Shanghai)
    assert "13900001111" in text(client.get(url, {"as_of": "2025-01-01"})).split('id="as-of-panel"', 1)[1]


@pytest.mark.parametrize("value", ["2025-13-01", "yesterday", "0001-01-01", "99999-01-01"])
def test_bad_as_of_date_is_a_message_not_an_error(client, world, value):
    login(client, world)
    response = client.get(reverse("registry:household_detail", args=[world.household_a.pk]), {"as_of": value})
    assert response.status_code == 200
    assert "日期" in text(response)


def test_change_log_hidden_from_roles_that_do_not_read_audit(client, world):
    body = text(
        login(client, world, "leader").get(reverse("registry:household_detail", args=[world.household_a.pk]))
    )
    assert 'id="change-log"' not in body
    body = text(
        login(client, world, "auditor").get(reverse("registry:household_detail", args=[world.household_a.pk]))
    )
    assert 'id="change-log"' in body


# ----------------------------------------------------------------------------------------------------
# Import pages


def make_batch(world, **fields) -> ImportBatch:
    officer = world.users["township_officer"]
    defaults = {
        "id": uuid.uuid4().hex,
        "file_name": "南山村.csv",
        "file_sha256": "0" * 64,
        "user": officer,
        "user_name": officer.username,
        "region": world.township_a,
        "policy": ImportBatch.Policy.ALL_OR_NOTHING,
    }
    defaults.update(fields)
    return ImportBatch.objects.create(**defaults)


def test_import_page_rejects_wrong_extension(client, world):
    login(client, world)
    upload = SimpleUploadedFile("data.txt", b"hello", content_type="text/plain")
    response = client.post(reverse("registry:import"), {"file": upload, "policy": "all"})
    assert response.status_code == 422
    assert "只能导入 .xlsx、.xls 或 .csv 文件" in text(response)


def test_import_page_rejects_a_file_too_large(client, world, settings):
    settings.JINGZHUN_MAX_IMPORT_BYTES = 10
    login(client, world)
    upload = SimpleUploadedFile("data.csv", b"x" * 11, content_type="text/csv")
    response = client.post(reverse("registry:import"), {"file": upload, "policy": "all"})
    assert response.status_code == 422
    assert "文件太大" in text(response)


def test_import_page_refused_to_read_only_roles(client, world):
    assert login(client, world, "leader").get(reverse("registry:import")).status_code == 403


def test_import_page_lists_recent_batches(client, world):
    batch = make_batch(world)
    body = text(login(client, world).get(reverse("registry:import")))
    assert reverse("registry:import_batch", args=[batch.pk]) in body


def test_running_batch_polls_and_finished_batch_stops(client, world):
    login(client, world)
    batch = make_batch(world, progress=40, stage="校验")
    body = text(client.get(reverse("registry:import_batch", args=[batch.pk])))
    assert 'hx-trigger="every 1s"' in body
    assert "40%" in body
    ImportBatch.objects.filter(pk=batch.pk).update(
        state=ImportBatch.State.REJECTED,
        progress=100,
        error_count=1,
        rows_total=2,
        rows_rejected=1,
        errors_preview=[
            {
                "sheet": "Sheet1",
                "row": 3,
                "column": "证件号码",
                "value": "62050219800517123X",
                "message": "校验码错误",
            }
        ],
        error_report="reports/x.xlsx",
    )
    response = client.get(reverse("registry:import_batch", args=[batch.pk]), HTTP_HX_REQUEST="true")
    body = text(response)
    assert "<html" not in body
    assert "every 1s" not in body
    assert "证件号码" in body and "校验码错误" in body
    assert reverse("registry:import_errors", args=[batch.pk]) in body


def test_error_report_download(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "x.xlsx").write_bytes(b"PK-report")
    batch = make_batch(world, state=ImportBatch.State.REJECTED, error_report="reports/x.xlsx")
    response = login(client, world).get(reverse("registry:import_errors", args=[batch.pk]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == b"PK-report"


def test_error_report_outside_media_is_refused(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media").mkdir()
    (tmp_path / "secret.txt").write_text("no")
    batch = make_batch(world, state=ImportBatch.State.REJECTED, error_report="../secret.txt")
    assert login(client, world).get(reverse("registry:import_errors", args=[batch.pk])).status_code == 404


def test_template_and_export_downloads(client, world):
    pytest.importorskip("jingzhun.registry.exchange")
    login(client, world)
    response = client.get(reverse("registry:template"), {"fmt": "xlsx"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    # the register export is a job: the link queues it and leads to the job's page
    response = client.get(
        reverse("registry:export"), {"layout": "template", "fmt": "csv", "region": world.township_a.prefix}
    )
    assert response.status_code == 302
    job = Job.objects.get(kind="export")
    assert response["Location"] == reverse("job", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "排队中" in page and 'hx-trigger="every 1s"' in page
    # when the worker has run it (here, in this process), the page offers the file
    job = jobs.run_here(job)
    assert job.state == JobState.SUCCEEDED, job.message
    page = client.get(reverse("job", args=[job.pk])).content.decode()
    assert reverse("job_download", args=[job.pk]) in page and "hx-trigger" not in page
    response = client.get(reverse("job_download", args=[job.pk]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    assert world.household_a.household_number in content
    assert world.household_b.household_number not in content


@pytest.mark.parametrize(
    "params", [{"layout": "zzz"}, {"fmt": "pdf"}, {"region": "620502101"}, {"region": "x"}]
)
def test_export_bad_parameters_are_404(client, world, params):
    login(client, world)
    assert client.get(reverse("registry:export"), params).status_code == 404


def test_timezone_is_shanghai():
    assert str(timezone.get_default_timezone()) == "Asia/Shanghai"


@pytest.mark.parametrize(
    "url",
    [
        "/registry/99999999999999999999999/",
        "/registry/member/99999999999999999999/edit/",
        "/registry/import/%00/",
        "/registry/import/..%2F..%2Fetc/",
        "/registry/1/year/99999999999999999999999/edit/",
    ],
)
def test_absurd_ids_are_404_not_500(client, world, url):
    login(client, world)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("q", ["\x00abc", "%", "_", "'; drop table", "x" * 5000, "620502********1234"])
def test_odd_search_text_is_harmless(client, world, q):
    login(client, world)
    assert client.get(reverse("registry:household_list"), {"q": q}).status_code == 200


def village_csv(village_code: str, household_number: str, *, bad_id: bool = False) -> bytes:
    """One household of two members in the import layout (headers from the column table)."""
    import csv
    import io

    from jingzhun.registry.columns import BY_KEY

    head_id = idnumbers.make_id("620502", dt.date(1972, 4, 9), 135)
    spouse_id = idnumbers.make_id("620502", dt.date(1975, 8, 21), 246)
    if bad_id:
        spouse_id = spouse_id[:17] + ("0" if spouse_id[17] != "0" else "1")
    keys = [
        "village",
        "household_number",
        "head_name",
        "phone",
        "attribute",
        "year",
        "wage_income",
        "person_number",
        "name",
        "id_number",
        "relation",
    ]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([BY_KEY[k].header for k in keys])
    writer.writerow(
        [
            village_code,
            household_number,
            "赵德明",
            "13700001111",
            "一般脱贫户",
            "2025",
            "12000",
            household_number + "01",
            "赵德明",
            head_id,
            "户主",
        ]
    )
    writer.writerow(
        [
            village_code,
            household_number,
            "赵德明",
            "13700001111",
            "一般脱贫户",
            "2025",
            "12000",
            household_number + "02",
            "孙桂兰",
            spouse_id,
            "配偶",
        ]
    )
    return out.getvalue().encode("utf-8-sig")


# The importer closes stale connections when it starts (it normally runs in its own thread), which ends a
# test transaction on PostgreSQL: these tests commit for real (transactional_world).


def test_upload_imports_and_the_household_page_shows_the_batch(
    client, transactional_world, settings, tmp_path
):
    world = transactional_world
    # given imports run in the request (no thread) and files go to a temporary media folder
    settings.JINGZHUN_SYNC_IMPORTS = True
    settings.MEDIA_ROOT = tmp_path
    login(client, world)
    number = "620502100201880001"
    upload = SimpleUploadedFile("南山村.csv", village_csv(world.household_a.village.code, number), "text/csv")
    # when the officer uploads a correct file
    response = client.post(reverse("registry:import"), {"file": upload, "policy": "all"})
    # then the batch page shows it committed, and the upload was kept under MEDIA_ROOT/uploads
    assert response.status_code == 302
    batch_page = client.get(response["Location"])
    assert 'data-state="committed"' in text(batch_page)
    assert "every 1s" not in text(batch_page)
    assert next(iter((tmp_path / "uploads").iterdir())).name.endswith("_南山村.csv")
    household = Household.objects.get(household_number=number)
    assert household.members.count() == 2
    # and the household page's log names the import; the as-of view shows what the batch wrote
    body = text(client.get(reverse("registry:household_detail", args=[household.pk])))
    assert "导入" in body.split('id="change-log"', 1)[1]
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    body = text(client.get(reverse("registry:household_detail", args=[household.pk]), {"as_of": tomorrow}))
    panel = body.split('id="as-of-panel"', 1)[1].split("</section>", 1)[0]
    assert "13700001111" in panel and "孙桂兰" in panel


def test_an_upload_waits_for_the_worker_and_the_page_follows_its_job(client, world, settings, tmp_path):
    # given no worker has run yet (imports are jobs, not run in the request)
    settings.MEDIA_ROOT = tmp_path
    login(client, world)
    number = "620502100201880003"
    upload = SimpleUploadedFile("南山村.csv", village_csv(world.household_a.village.code, number), "text/csv")
    response = client.post(reverse("registry:import"), {"file": upload, "policy": "all"})
    # then the batch page says the import is queued, and keeps polling
    body = text(client.get(response["Location"]))
    assert 'data-state="running"' in body and 'id="job-queued"' in body and "every 1s" in body
    job = Job.objects.get(kind="import")
    assert job.state == JobState.QUEUED and job.user == world.users["township_officer"]
    # when the worker runs it (here, in this process), the page shows the batch committed
    assert jobs.run_here(job).state == JobState.SUCCEEDED
    body = text(client.get(response["Location"]))
    assert 'data-state="committed"' in body and "every 1s" not in body
    assert Household.objects.get(household_number=number).members.count() == 2


def test_upload_with_a_bad_id_is_rejected_with_the_row(client, transactional_world, settings, tmp_path):
    world = transactional_world
    settings.JINGZHUN_SYNC_IMPORTS = True
    settings.MEDIA_ROOT = tmp_path
    login(client, world)
    number = "620502100201880002"
    data = village_csv(world.household_a.village.code, number, bad_id=True)
    response = client.post(
        reverse("registry:import"), {"file": SimpleUploadedFile("a.csv", data, "text/csv"), "policy": "all"}
    )
    body = text(client.get(response["Location"]))
    assert 'data-state="rejected"' in body
    assert "证件号码" in body and "校验位" in body
    assert not Household.objects.filter(household_number=number).exists()
    batch = ImportBatch.objects.get()
    download = client.get(reverse("registry:import_errors", args=[batch.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
