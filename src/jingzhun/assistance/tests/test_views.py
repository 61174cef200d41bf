"""Assistance on the web: the household page's helpers and measures, the import page and its templates.

The named test world: the 玉泉镇 township officer edits the households of 南山村 and 北坡村; 东川村 belongs
to 太京镇, outside the officer's jurisdiction.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jingzhun.assistance.choices import MeasureFamily, UnitLevel
from jingzhun.assistance.models import Measure, Pairing
from jingzhun.assistance.tests.files import MEASURE_HEADERS, PAIRING_HEADERS, write_csv
from jingzhun.core.models import ObjectChange
from jingzhun.testing.world import TOWNSHIP_A, TOWNSHIP_B

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _detail(client: Any, world: Any, role: str, household: Any) -> Any:
    client.force_login(world.users[role])
    return client.get(reverse("registry:household_detail", args=[household.pk]))


def _upload(tmp_path: Any, headers: Any, rows: Any, name: str = "帮扶结对.csv") -> SimpleUploadedFile:
    path = write_csv(tmp_path / name, headers, rows)
    return SimpleUploadedFile(name, path.read_bytes(), content_type="text/csv")


def test_household_page_shows_helpers_in_force_first_and_measures_by_year(client, world):
    hh = world.household_a
    Pairing.objects.create(
        household=hh,
        helper_name="李娜",
        helper_unit="玉泉镇人民政府",
        unit_level=UnitLevel.TOWNSHIP,
        started_on=dt.date(2021, 5, 6),
        ended_on=dt.date(2024, 12, 31),
    )
    Pairing.objects.create(
        household=hh,
        helper_name="张建平",
        helper_unit="秦州区农业农村局",
        unit_level=UnitLevel.COUNTY,
        helper_phone="13909381234",
        started_on=dt.date(2025, 1, 1),
    )
    Measure.objects.create(
        household=hh, year=2025, family=MeasureFamily.values[0], implemented=True, note="养牛 2 头"
    )
    Measure.objects.create(household=hh, year=2026, family=MeasureFamily.values[1], implemented=False)
    for role in ("village_officer", "township_officer", "leader", "auditor"):
        response = _detail(client, world, role, hh)
        assert response.status_code == 200
        page = response.content.decode()
        section = page[page.index('id="assistance"') : page.index('id="status-history"')]
        assert section.index("张建平") < section.index("李娜")  # the pairing in force comes first
        assert "在帮" in section and "已结束" in section and "13909381234" in section
        assert "2021-05-06 — 2024-12-31" in section
        measures = section[section.index('id="measures"') :]
        assert measures.index("2026") < measures.index("2025")  # the latest year first
        assert MeasureFamily.labels[0] in measures and "养牛 2 头" in measures and "已实施" in measures
        # only the register's editors get the import link
        assert ('href="/assistance/import/"' in section) == (role in ("village_officer", "township_officer"))


def test_household_page_without_assistance_says_so(client, world):
    page = _detail(client, world, "village_officer", world.household_a).content.decode()
    assert "没有帮扶结对记录。" in page and "没有帮扶措施记录。" in page


def test_another_townships_helpers_stay_hidden(client, world):
    other = world.households[TOWNSHIP_B + "201"]
    Pairing.objects.create(
        household=other,
        helper_name="赵秘密",
        helper_unit="太京镇人民政府",
        unit_level=UnitLevel.TOWNSHIP,
        started_on=dt.date(2025, 1, 1),
    )
    response = _detail(client, world, "township_officer", other)
    assert response.status_code == 404 and "赵秘密" not in response.content.decode()


def test_import_page_is_for_the_registers_editors_only(client, world, tmp_path):
    for role in ("township_officer", "village_officer", "county_admin", "admin"):
        client.force_login(world.users[role])
        response = client.get(reverse("assistance:import"))
        assert response.status_code == 200, role
        assert 'name="file"' in response.content.decode()
    for role in ("leader", "auditor", "helper", "department"):
        client.force_login(world.users[role])
        assert client.get(reverse("assistance:import")).status_code == 403, role
        before = ObjectChange.objects.count()
        a = world.household_a.household_number
        upload = _upload(
            tmp_path, PAIRING_HEADERS, [[a, "张建平", "秦州区农业农村局", "县直", "", "2024-03-01", ""]]
        )
        assert (
            client.post(reverse("assistance:import"), {"kind": "pairings", "file": upload}).status_code == 403
        )
        assert ObjectChange.objects.count() == before and not Pairing.objects.exists()


def test_import_page_needs_a_login(client):
    response = client.get(reverse("assistance:import"))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("kind,headers", [("pairings", PAIRING_HEADERS), ("measures", MEASURE_HEADERS)])
def test_template_downloads_are_workbooks_with_the_import_headers(client, world, kind, headers):
    client.force_login(world.users["village_officer"])
    response = client.get(reverse("assistance:template"), {"kind": kind})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    first = [str(c.value).rstrip("*") for c in book.worksheets[0][1]]
    assert first == list(headers)
    assert client.get(reverse("assistance:template"), {"kind": "nothing"}).status_code == 404


def test_a_good_file_is_imported_and_audited(client, world, tmp_path):
    a = world.households[TOWNSHIP_A + "201"].household_number
    b = world.households[TOWNSHIP_A + "202"].household_number
    rows = [
        [a, "张建平", "秦州区农业农村局", "县直", "13909381234", "2024-03-01", ""],
        [b, "李娜", "玉泉镇人民政府", "4", "", "2021-05-06", "2024-12-31"],
    ]
    client.force_login(world.users["township_officer"])
    before = ObjectChange.objects.count()
    response = client.post(
        reverse("assistance:import"), {"kind": "pairings", "file": _upload(tmp_path, PAIRING_HEADERS, rows)}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "帮扶结对已导入" in page and 'id="import-errors"' not in page
    assert Pairing.objects.filter(household__household_number__in=[a, b]).count() == 2
    changes = ObjectChange.objects.filter(object_type="assistance.pairing").order_by("pk")
    assert ObjectChange.objects.count() == before + 2
    assert {c.user_id for c in changes} == {world.users["township_officer"].pk} and all(
        c.after for c in changes
    )
    assert {(c.source, c.remote_addr) for c in changes} == {("web", "127.0.0.1")}
    again = client.post(
        reverse("assistance:import"), {"kind": "pairings", "file": _upload(tmp_path, PAIRING_HEADERS, rows)}
    )
    assert again.status_code == 200 and ObjectChange.objects.count() == before + 2  # the same file: no change


def test_a_file_with_bad_rows_imports_nothing_and_lists_every_bad_row(client, world, tmp_path):
    a = world.households[TOWNSHIP_A + "201"].household_number
    outside = world.households[TOWNSHIP_B + "201"].household_number
    rows = [
        [a, "张建平", "秦州区农业农村局", "县直", "", "2024-03-01", ""],
        [outside, "李娜", "太京镇人民政府", "乡镇", "", "2024-03-01", ""],
        [a, "王海涛", "天水市财政局", "火星", "", "2024-13-40", ""],
    ]
    client.force_login(world.users["township_officer"])
    before = ObjectChange.objects.count()
    response = client.post(
        reverse("assistance:import"), {"kind": "pairings", "file": _upload(tmp_path, PAIRING_HEADERS, rows)}
    )
    assert response.status_code == 422
    page = response.content.decode()
    table = page[page.index('id="import-errors"') :]
    assert "帮扶结对未导入" in page
    assert "第 3 行" in table and "户编号不存在或无权访问" in table  # the other township's household
    assert "第 4 行" in table and "单位隶属关系" in table and "帮扶开始日期" in table
    assert "第 2 行" not in table
    assert not Pairing.objects.exists() and ObjectChange.objects.count() == before

    kept = client.post(
        reverse("assistance:import"),
        {"kind": "pairings", "keep_valid": "on", "file": _upload(tmp_path, PAIRING_HEADERS, rows)},
    )
    assert kept.status_code == 200
    assert list(Pairing.objects.values_list("helper_name", flat=True)) == ["张建平"]
    assert "第 3 行" in kept.content.decode()


def test_measures_import_from_the_page(client, world, tmp_path):
    a = world.households[TOWNSHIP_A + "201"].household_number
    client.force_login(world.users["village_officer"])
    response = client.post(
        reverse("assistance:import"),
        {
            "kind": "measures",
            "file": _upload(
                tmp_path,
                MEASURE_HEADERS,
                [[a, "2026", MeasureFamily.labels[0], "是", "种植花椒"]],
                "措施.csv",
            ),
        },
    )
    assert response.status_code == 200 and "帮扶措施已导入" in response.content.decode()
    measure = Measure.objects.get()
    assert (measure.year, measure.family, measure.implemented, measure.note) == (
        2026,
        MeasureFamily.values[0],
        True,
        "种植花椒",
    )


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("结对.pdf", b"%PDF-1.4", "只能导入 .xlsx 或 .csv 文件"),
        ("结对.csv", b"", "所提交的是空文件"),
        (
            "结对.csv",
            "户编号,帮扶责任人姓名\n".encode(),
            "缺少必需的列：帮扶单位、单位隶属关系、帮扶开始日期",
        ),
        ("结对.csv", (",".join(PAIRING_HEADERS) + "\n").encode(), "文件中没有任何数据行"),
    ],
)
def test_unusable_files_are_refused_with_a_reason(client, world, name, content, message):
    client.force_login(world.users["township_officer"])
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    response = client.post(reverse("assistance:import"), {"kind": "pairings", "file": upload})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Pairing.objects.exists()


def test_the_english_switch_translates_the_assistance_screens(client, world):
    client.force_login(world.users["township_officer"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("registry:household_detail", args=[world.household_a.pk])).content.decode()
    assert "Assistance" in page and "No helper is paired with this household." in page
    page = client.get(reverse("assistance:import")).content.decode()
    assert "Import assistance data" in page and "Download the" in page


# ---------------------------------------------------------------------------------------------------
# One pairing or measure from the household page


def _pairing_data(household: Any, **over: Any) -> dict[str, Any]:
    household.refresh_from_db()
    return {
        "version": household.version,
        "helper_name": "张建平",
        "helper_unit": "秦州区农业农村局",
        "unit_level": UnitLevel.COUNTY,
        "helper_phone": "13909381234",
        "started_on": "2025-01-01",
        "ended_on": "",
        **over,
    }


def test_an_officer_adds_a_helper_then_ends_the_pairing(client, world):
    hh = world.household_a
    client.force_login(world.users["village_officer"])
    page = client.get(reverse("registry:household_detail", args=[hh.pk])).content.decode()
    assert reverse("assistance:pairing_add", args=[hh.pk]) in page
    response = client.post(reverse("assistance:pairing_add", args=[hh.pk]), _pairing_data(hh))
    assert response.status_code == 302 and response["Location"] == reverse(
        "registry:household_detail", args=[hh.pk]
    )
    pairing = Pairing.objects.get(household=hh)
    assert (pairing.helper_name, pairing.unit_level, pairing.started_on, pairing.ended_on) == (
        "张建平",
        UnitLevel.COUNTY,
        dt.date(2025, 1, 1),
        None,
    )
    created = ObjectChange.objects.get(object_type="assistance.pairing", action="create")
    assert created.before is None and created.after["helper_name"] == "张建平"
    assert created.root_id == str(hh.pk) and created.user_id == world.users["village_officer"].pk

    edit = reverse("assistance:pairing_edit", args=[pairing.pk])
    assert 'value="张建平"' in client.get(edit).content.decode()
    response = client.post(edit, _pairing_data(hh, ended_on="2025-06-30"))
    assert response.status_code == 302
    pairing.refresh_from_db()
    assert pairing.ended_on == dt.date(2025, 6, 30)
    changed = ObjectChange.objects.get(object_type="assistance.pairing", action="update")
    assert changed.before["ended_on"] is None and changed.after["ended_on"] == "2025-06-30"
    section = client.get(reverse("registry:household_detail", args=[hh.pk])).content.decode()
    assert "已结束" in section[section.index('id="pairings"') :]


def test_a_stale_form_is_refused_and_changes_nothing(client, world):
    hh = world.household_a
    client.force_login(world.users["village_officer"])
    stale = _pairing_data(hh)
    assert client.post(reverse("assistance:pairing_add", args=[hh.pk]), _pairing_data(hh)).status_code == 302
    pairing = Pairing.objects.get()
    before = ObjectChange.objects.count()
    response = client.post(
        reverse("assistance:pairing_edit", args=[pairing.pk]), {**stale, "helper_unit": "别的单位"}
    )
    assert response.status_code == 409
    pairing.refresh_from_db()
    assert pairing.helper_unit == "秦州区农业农村局" and ObjectChange.objects.count() == before


@pytest.mark.parametrize(
    "over,field_message",
    [
        ({"ended_on": "2024-12-31"}, "帮扶结束日期不能早于帮扶开始日期"),
        ({"helper_phone": "电话138"}, "联系电话只能包含数字和“-”"),
        ({"helper_name": ""}, "这个字段是必填项"),
        ({"unit_level": ""}, "这个字段是必填项"),
    ],
)
def test_bad_pairing_input_is_refused_with_its_reason(client, world, over, field_message):
    hh = world.household_a
    client.force_login(world.users["township_officer"])
    response = client.post(reverse("assistance:pairing_add", args=[hh.pk]), _pairing_data(hh, **over))
    assert response.status_code == 422
    assert field_message in response.content.decode()
    assert not Pairing.objects.exists() and not ObjectChange.objects.filter(object_type="assistance.pairing")


def test_the_same_helper_from_the_same_day_twice_is_refused(client, world):
    hh = world.household_a
    client.force_login(world.users["township_officer"])
    assert client.post(reverse("assistance:pairing_add", args=[hh.pk]), _pairing_data(hh)).status_code == 302
    response = client.post(reverse("assistance:pairing_add", args=[hh.pk]), _pairing_data(hh))
    assert response.status_code == 422
    assert "本户已有这位帮扶责任人从这一天开始的结对记录" in response.content.decode()
    assert Pairing.objects.count() == 1


def test_a_measure_is_added_then_marked_carried_out(client, world):
    hh = world.household_a
    client.force_login(world.users["village_officer"])
    hh.refresh_from_db()
    data = {"version": hh.version, "year": "2026", "family": MeasureFamily.values[4], "note": "家庭医生签约"}
    assert client.post(reverse("assistance:measure_add", args=[hh.pk]), data).status_code == 302
    measure = Measure.objects.get()
    assert (measure.year, measure.implemented) == (2026, False)
    hh.refresh_from_db()
    response = client.post(
        reverse("assistance:measure_edit", args=[measure.pk]),
        {**data, "version": hh.version, "implemented": "on", "note": "已签约，每季度随访"},
    )
    assert response.status_code == 302
    measure.refresh_from_db()
    assert measure.implemented and measure.note == "已签约，每季度随访"
    update = ObjectChange.objects.get(object_type="assistance.measure", action="update")
    assert update.before["implemented"] is False and update.after["implemented"] is True
    hh.refresh_from_db()
    again = client.post(reverse("assistance:measure_add", args=[hh.pk]), {**data, "version": hh.version})
    assert again.status_code == 422 and "本户这一年度已有这一类帮扶措施" in again.content.decode()
    hh.refresh_from_db()
    early = client.post(
        reverse("assistance:measure_add", args=[hh.pk]),
        {**data, "version": hh.version, "year": "1900", "family": MeasureFamily.values[0]},
    )
    assert early.status_code == 422 and "年度应在1978到2100之间" in early.content.decode()
    assert Measure.objects.count() == 1


def test_readers_get_no_edit_links_and_outsiders_no_edit_page(client, world):
    hh = world.household_a
    Pairing.objects.create(
        household=hh,
        helper_name="李娜",
        helper_unit="玉泉镇人民政府",
        unit_level=UnitLevel.TOWNSHIP,
        started_on=dt.date(2025, 1, 1),
    )
    pairing = Pairing.objects.get()
    client.force_login(world.users["leader"])
    page = client.get(reverse("registry:household_detail", args=[hh.pk])).content.decode()
    assert "李娜" in page and reverse("assistance:pairing_edit", args=[pairing.pk]) not in page
    assert reverse("assistance:pairing_add", args=[hh.pk]) not in page
    client.force_login(world.users["township_b_officer"])
    assert client.get(reverse("assistance:pairing_edit", args=[pairing.pk])).status_code == 404
    response = client.post(
        reverse("assistance:pairing_edit", args=[pairing.pk]), _pairing_data(hh, helper_unit="改")
    )
    assert response.status_code == 404
    pairing.refresh_from_db()
    assert pairing.helper_unit == "玉泉镇人民政府"
