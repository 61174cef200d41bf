"""Lossless round trips (issue #13): what the register exports imports back unchanged, in the template and
the national layout, as .xlsx and .csv, for every data year; the template from the web page or the command,
filled in, imports; a column a file lacks keeps the stored value.

Households are written with every field filled (``roundtrip.build_household``), code values taken from each
column's own code list, so these tests follow the code lists when they change.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jingzhun.accounts.models import system_user
from jingzhun.core.audit import Actor
from jingzhun.regions.services import RegionRow, upsert_regions
from jingzhun.registry.columns import COLUMNS, NATIONAL_EXPORT, Kind, Level
from jingzhun.registry.exchange import export_households
from jingzhun.registry.importer import imports_dir, run_import
from jingzhun.registry.models import Household, HouseholdYear, ImportBatch, Member
from jingzhun.registry.staging import sheets_to_read
from jingzhun.registry.tests.importdata import VILLAGE, household_rows, write_csv, write_xlsx
from jingzhun.registry.tests.roundtrip import (
    YEARS,
    CyclingPicker,
    DrawingPicker,
    build_household,
    differences,
    register_state,
)
from jingzhun.testing.county import import_generated_county

LAYOUTS = ("template", "national")
FORMATS = ("xlsx", "csv")
HH1, HH2 = "620502100201000101", "620502100201000102"


@pytest.fixture
def county_admin(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return world.users["county_admin"]


def do_import(user, path: Path, policy: str = "all") -> ImportBatch:
    return run_import(actor=Actor.of(user), user=user, path=path, policy=policy)


def assert_comes_back(user, folder: Path, *, layout: str, fmt: str, year: int | None = None) -> ImportBatch:
    """Export what ``user`` sees, import the file again: nothing may change."""
    before = register_state()
    path = folder / f"{layout}-{year or 'latest'}.{fmt}"
    assert export_households(user, path=path, layout=layout, fmt=fmt, year=year) > 0
    batch = do_import(user, path)
    where = f"{layout} .{fmt} year {year}"
    assert batch.state == ImportBatch.State.COMMITTED, (where, batch.message, batch.errors_preview[:5])
    assert differences(before, register_state())[:10] == [], where
    assert (
        batch.households_created,
        batch.households_updated,
        batch.members_created,
        batch.members_updated,
    ) == (0, 0, 0, 0), (where, batch.message)
    assert batch.households_unchanged == len(before["households"]), where
    return batch


def coded_columns():
    return [c for c in COLUMNS if c.codes is not None and not c.derived]


# ----------------------------------------------------------------------------------------------- round trips


def test_every_code_of_every_list_comes_back_in_both_layouts_formats_and_years(county_admin, world, tmp_path):
    # given households whose members, years and households together use every code of every code list,
    # certificates, 繁体 and middle-dot names, and records for several data years
    picker = CyclingPicker()
    villages = list(world.villages)
    for k in range(30):
        build_household(picker, villages[k % len(villages)], members=1 + k % 4, years=YEARS[: 1 + k % 3])
    stored: dict[str, set[str]] = {}
    for col in coded_columns():
        model = {Level.HOUSEHOLD: Household, Level.YEAR: HouseholdYear, Level.MEMBER: Member}[col.level]
        name = {"member_phone": "phone"}.get(col.key, col.key)
        for value in model.objects.values_list(name, flat=True):
            stored.setdefault(col.key, set()).update(value if col.kind == Kind.CODES else [value])
    for col in coded_columns():  # the data really covers every code (a check of the test itself)
        assert {str(v) for v in col.codes.values} <= stored[col.key], col.key
    assert Member.objects.filter(id_kind="disability_cert").exists()
    assert Member.objects.filter(name__contains="·").exists() and Member.objects.filter(name="張偉").exists()
    # when the register is exported and imported again, in each layout and format, latest and each year
    # then nothing changes
    for layout in LAYOUTS:
        for fmt in FORMATS:
            assert_comes_back(county_admin, tmp_path, layout=layout, fmt=fmt)
    ways = [(layout, fmt) for layout in LAYOUTS for fmt in FORMATS]
    for k, year in enumerate(YEARS):  # each year's records, each in another layout or format
        assert_comes_back(county_admin, tmp_path, layout=ways[k][0], fmt=ways[k][1], year=year)


@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_generated_households_come_back_unchanged(county_admin, world, tmp_path, data):
    # given a few households with every field drawn at random (Hypothesis shrinks a failure to one household)
    picker = DrawingPicker(data)
    with transaction.atomic():
        for _ in range(data.draw(st.integers(1, 3))):
            years = tuple(sorted(data.draw(st.sets(st.sampled_from(YEARS), min_size=1, max_size=3))))
            build_household(
                picker,
                data.draw(st.sampled_from(list(world.villages))),
                members=data.draw(st.integers(1, 4)),
                years=years,
            )
        # when the template layout and the national layout (one as .xlsx, the other as .csv) of the latest
        # or of one year's records are imported again, then nothing changes
        fmt = data.draw(st.sampled_from(FORMATS))
        year = data.draw(st.sampled_from((None, *YEARS)))
        assert_comes_back(county_admin, tmp_path, layout="template", fmt=fmt, year=year)
        assert_comes_back(
            county_admin, tmp_path, layout="national", fmt=FORMATS[1 - FORMATS.index(fmt)], year=year
        )
        transaction.set_rollback(True)


def test_a_generated_county_comes_back_unchanged(db, settings, tmp_path):
    # given a county of 200 generated households imported as a county bureau would
    settings.MEDIA_ROOT = tmp_path / "media"
    first = import_generated_county(tmp_path / "county", households=200)
    assert first.households_created == 200
    assert Member.objects.filter(id_kind="disability_cert").exists()

    # when it is exported and imported again, then nothing changes
    for layout in LAYOUTS:
        for fmt in FORMATS:
            before = register_state()
            path = tmp_path / f"county-{layout}.{fmt}"
            export_households(system_user(), path=path, layout=layout, fmt=fmt)
            batch = run_import(actor=Actor(None, "测试"), user=None, path=path)
            assert batch.state == ImportBatch.State.COMMITTED, batch.message
            assert (batch.households_created, batch.households_updated, batch.households_unchanged) == (
                0,
                0,
                200,
            )
            assert differences(before, register_state()) == []


def test_the_national_layout_follows_the_monitoring_era_member_export(county_admin, tmp_path):
    path = tmp_path / "national.csv"
    export_households(county_admin, path=path, layout="national", fmt="csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        headers = next(csv.reader(fh))
    assert headers == [h for h, _ in NATIONAL_EXPORT]
    assert headers[:12] == [
        "省",
        "市",
        "县",
        "乡",
        "村",
        "户编号",
        "人口编号",
        "姓名",
        "性别",
        "出生日期",
        "证件类型",
        "证件号码",
    ]
    assert {"年度", "户主姓名", "户主证件号码", "残疾类别", "是否特困供养人员", "识别标准"} <= set(headers)
    assert "行政村编号" not in headers and "贫困户属性" not in headers


# ----------------------------------------------------------------------------------------------- templates


def _fill_xlsx(template: bytes | Path, rows: list[dict[str, str]], path: Path) -> Path:
    """Fill the template's data sheet as a clerk would in Excel (its other sheets stay as they are)."""
    book = openpyxl.load_workbook(io.BytesIO(template) if isinstance(template, bytes) else template)
    sheet = book["成员信息"]
    headers = [str(c.value).rstrip("*") for c in sheet[1]]
    keys = {c.header: c.key for c in COLUMNS}
    for r, row in enumerate(rows, start=2):
        for j, header in enumerate(headers, start=1):
            if row.get(keys[header]):
                sheet.cell(r, j, row[keys[header]])
    book.save(path)
    return path


def _fill_csv(template: bytes | Path, rows: list[dict[str, str]], path: Path) -> Path:
    text = (
        template.decode("utf-8-sig")
        if isinstance(template, bytes)
        else template.read_text(encoding="utf-8-sig")
    )
    headers = next(csv.reader(io.StringIO(text)))
    keys = {c.header: c.key for c in COLUMNS}
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        for row in rows:
            w.writerow([row.get(keys[h.rstrip("*")], "") for h in headers])
    return path


def two_households() -> list[dict[str, str]]:
    return household_rows(HH1, members=3) + household_rows(HH2, start=10, head="张三")


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_template_of_the_command_filled_with_two_households_imports(county_admin, tmp_path, fmt):
    template = tmp_path / f"模板.{fmt}"
    call_command("template", str(template))
    fill = _fill_xlsx if fmt == "xlsx" else _fill_csv
    batch = do_import(county_admin, fill(template, two_households(), tmp_path / f"filled.{fmt}"))
    assert batch.state == ImportBatch.State.COMMITTED, (batch.message, batch.errors_preview)
    assert (batch.households_created, batch.members_created) == (2, 5)
    assert "代码表" not in batch.message and "填写说明" not in batch.message


ENGLISH_ALLOWED = {"Excel", "WPS", "CSV", "UTF", "xlsx", "xls", "csv"}


def assert_plain_chinese(message: str) -> None:
    """A village officer's message: Chinese, pointing to the page's template, no command, no library text."""
    assert "jingzhun" not in message and "Traceback" not in message
    assert set(re.findall(r"[A-Za-z]{3,}", message)) <= ENGLISH_ALLOWED, message


def upload(client, name: str, content: bytes) -> tuple[ImportBatch, str]:
    response = client.post(
        reverse("registry:import"), {"file": SimpleUploadedFile(name, content), "policy": "all"}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    page = client.get(response["Location"]).content.decode()
    batch = ImportBatch.objects.order_by("-started_at").first()
    assert batch is not None
    assert escape(batch.message).replace("\n", "") in page.replace("\n", "")
    return batch, page


@pytest.fixture
def village_officer(client, world, settings, tmp_path):
    settings.JINGZHUN_SYNC_IMPORTS = True
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(world.users["village_officer"])
    return world.users["village_officer"]


def test_the_web_template_untouched_says_what_to_fill_and_filled_imports(client, village_officer, tmp_path):
    # given the Excel and CSV templates downloaded from the import page
    for fmt in FORMATS:
        response = client.get(reverse("registry:template"), {"fmt": fmt})
        template = b"".join(response.streaming_content)
        # when one is uploaded untouched, then the page says there are no rows yet, in plain Chinese
        batch, _ = upload(client, f"模板.{fmt}", template)
        assert batch.state == ImportBatch.State.FAILED
        assert "没有任何数据行" in batch.message and "代码表" not in batch.message
        assert_plain_chinese(batch.message)
        # when it is filled with two households of the officer's village, then both are imported
        first, second = (HH1, HH2) if fmt == "xlsx" else ("620502100201000201", "620502100201000202")
        start = 0 if fmt == "xlsx" else 40
        rows = household_rows(first, start=start) + household_rows(second, start=start + 10, head="张三")
        fill = _fill_xlsx if fmt == "xlsx" else _fill_csv
        batch, page = upload(
            client, f"填好的.{fmt}", fill(template, rows, tmp_path / f"filled.{fmt}").read_bytes()
        )
        assert batch.state == ImportBatch.State.COMMITTED, (batch.message, batch.errors_preview)
        assert (batch.households_created, batch.members_created) == (2, 4)
        assert 'data-state="committed"' in page


def test_unreadable_or_incomplete_files_get_plain_chinese_guidance_on_the_page(
    client, village_officer, tmp_path
):
    # a text file renamed .xlsx
    batch, _ = upload(client, "名单.xlsx", "户编号,姓名\n1,张三\n".encode())
    assert batch.state == ImportBatch.State.FAILED and "无法读取 Excel 文件" in batch.message
    assert_plain_chinese(batch.message)
    # a workbook without the required columns (only names and phone numbers)
    path = write_xlsx(
        tmp_path / "缺列.xlsx", [["张三", "13800001111", "南山村"]], headers=["姓名", "户联系电话", "行政村"]
    )
    batch, _ = upload(client, "缺列.xlsx", path.read_bytes())
    assert batch.state == ImportBatch.State.FAILED
    assert "缺少必需的列" in batch.message and "户编号" in batch.message and "下载导入模板" in batch.message
    assert_plain_chinese(batch.message)
    # a CSV whose quotes do not pair
    batch, _ = upload(client, "坏.csv", '户编号,人编号,姓名,证件号码,与户主关系\n1,"2,张三\n'.encode())
    assert batch.state == ImportBatch.State.FAILED and "CSV" in batch.message
    assert_plain_chinese(batch.message)


# ----------------------------------------------------------------------------------------------- sheets


def test_our_own_workbooks_are_read_by_their_data_sheet_only():
    notes: list[str] = []
    assert sheets_to_read(["成员信息", "代码表", "填写说明"], notes) == ["成员信息"]
    assert sheets_to_read(["成员信息"], notes) == ["成员信息"]
    assert sheets_to_read(["待修改数据", "错误清单"], notes) == ["待修改数据"]
    assert notes == []
    # other people's workbooks: every sheet except code lists and instructions, each noted
    assert sheets_to_read(["一组", "二组", "代码", "填表说明", "数据字典"], notes) == ["一组", "二组"]
    assert len(notes) == 3


def test_a_code_list_sheet_of_someone_elses_workbook_is_never_read_as_data(county_admin, tmp_path):
    import xlsxwriter

    from jingzhun.registry.exchange import template_columns

    # given a county's own workbook: a data sheet, a hidden code list named 码值, a summary of code columns
    path = tmp_path / "村里的表.xlsx"
    book = xlsxwriter.Workbook(str(path))
    data = book.add_worksheet("一组")
    cols = template_columns()
    data.write_row(0, 0, [c.header for c in cols])
    for r, row in enumerate(two_households(), start=1):
        data.write_row(r, 0, [row.get(c.key, "") for c in cols])
    for name in ("码值", "汇总"):
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, ["贫困户属性", "与户主关系", "民族", "文化程度"])
        sheet.write_row(1, 0, ["一般脱贫户", "户主", "汉族", "小学"])
    book.worksheets()[1].hide()
    book.close()
    # when it is imported, then the two households come in and the other sheets are skipped with a note
    batch = do_import(county_admin, path)
    assert batch.state == ImportBatch.State.COMMITTED, (batch.message, batch.errors_preview)
    assert batch.households_created == 2
    assert "「汇总」没有户编号、证件号码等成员信息列" in batch.message and "「码值」" in batch.message


# ----------------------------------------------------------------------------------------------- absent columns


def _partial_csv(path: Path, rows: list[dict[str, str]], keys: list[str]) -> Path:
    headers = {c.key: c.header for c in COLUMNS}
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([headers[k] for k in keys])
        for row in rows:
            w.writerow([row.get(k, "") for k in keys])
    return path


IDENTITY = ["household_number", "person_number", "name", "id_number", "relation"]


def test_a_column_the_file_lacks_keeps_the_stored_value_and_an_empty_cell_clears_it(county_admin, tmp_path):
    # given a household imported in full, with a bank account, a year record and members' details
    rows = household_rows(
        HH1, members=2, phone="13900001111", bank_account="6228480012345678901", speaks_mandarin="是"
    )
    assert (
        do_import(county_admin, write_csv(tmp_path / "full.csv", rows)).state == ImportBatch.State.COMMITTED
    )
    before = register_state()
    # when a file with the identity columns and only a new phone number is imported
    changed = [dict(r, phone="13700002222") for r in rows]
    batch = do_import(county_admin, _partial_csv(tmp_path / "phone.csv", changed, [*IDENTITY, "phone"]))
    # then only the phone changed: every column the file lacks kept its value, the year record too
    assert batch.state == ImportBatch.State.COMMITTED, batch.errors_preview
    assert (batch.households_updated, batch.members_updated) == (1, 0)
    diff = differences(before, register_state())
    assert diff == [f"households {HH1} phone: '13900001111' → '13700002222'"]
    # when the phone column is there but empty, then the phone is cleared (and nothing else)
    cleared = [dict(r, phone="") for r in rows]
    batch = do_import(county_admin, _partial_csv(tmp_path / "cleared.csv", cleared, [*IDENTITY, "phone"]))
    assert batch.state == ImportBatch.State.COMMITTED, batch.errors_preview
    assert Household.objects.get(household_number=HH1).phone == ""
    assert Household.objects.get(household_number=HH1).bank_account == "6228480012345678901"
    assert set(
        Member.objects.filter(household__household_number=HH1).values_list("speaks_mandarin", flat=True)
    ) == {True}


def test_a_new_household_still_needs_the_required_columns(county_admin, tmp_path):
    # given a file with the identity columns only, for a household the register does not have
    rows = household_rows(HH2, members=2)
    batch = do_import(county_admin, _partial_csv(tmp_path / "new.csv", rows, IDENTITY))
    # then it is refused with one clear error per missing column (户主姓名 is the head member's name)
    assert batch.state == ImportBatch.State.REJECTED
    messages = {e["column"]: e["message"] for e in batch.errors_preview}
    assert set(messages) == {"行政村编号", "贫困户属性", "数据年度"}
    assert messages["贫困户属性"] == "新增的户必须填写「贫困户属性」，文件中没有这一列"
    assert not Household.objects.filter(household_number=HH2).exists()
    # when the file has those columns but no 户主姓名, then the head member's name is the head's name
    keys = [*IDENTITY, "village", "attribute", "year"]
    batch = do_import(county_admin, _partial_csv(tmp_path / "new2.csv", rows, keys))
    assert batch.state == ImportBatch.State.COMMITTED, batch.errors_preview
    assert Household.objects.get(household_number=HH2).head_name == rows[0]["name"]


def test_a_household_without_a_data_year_keeps_its_years(county_admin, tmp_path):
    rows = household_rows(HH1)
    do_import(county_admin, write_csv(tmp_path / "a.csv", rows))
    before = register_state()
    # an export of a household without a record for the year asked: its year cells are empty
    no_year = {c.key: "" for c in COLUMNS if c.level == Level.YEAR}
    batch = do_import(county_admin, write_csv(tmp_path / "b.csv", [dict(r, **no_year) for r in rows]))
    assert batch.state == ImportBatch.State.COMMITTED, batch.errors_preview
    assert differences(before, register_state()) == []
    # but a year value without a year is an error, as for a new household
    batch = do_import(county_admin, write_csv(tmp_path / "c.csv", [dict(r, year="") for r in rows]))
    assert batch.state == ImportBatch.State.REJECTED
    assert {(e["column"], e["message"]) for e in batch.errors_preview} == {
        ("数据年度", "必填项：本户各行都没有填写")
    }


# ----------------------------------------------------------------------------------------------- villages by name


def _national_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([h for h, _ in NATIONAL_EXPORT])
        for row in rows:
            w.writerow([row.get(k, "") for _, k in NATIONAL_EXPORT])
    return path


def test_villages_are_found_by_name_and_unknown_or_ambiguous_names_are_row_errors(
    county_admin, world, tmp_path
):
    # given two households in 南山村 (玉泉镇), and a second 南山村 in 太京镇
    upsert_regions(
        [RegionRow(prefix="620502101203", name="南山村", urban_rural_class="220", rural_population=10)]
    )
    rows = household_rows(HH1) + household_rows(HH2, start=10, head="张三")
    assert do_import(county_admin, write_csv(tmp_path / "a.csv", rows)).state == ImportBatch.State.COMMITTED
    named = [
        dict(r, county_name="秦州区", township_name="玉泉镇", village_name="南山村", phone="13811112222")
        for r in rows
    ]
    # when a national-layout file names the village with its township, then the households are updated
    batch = do_import(county_admin, _national_csv(tmp_path / "n.csv", named))
    assert batch.state == ImportBatch.State.COMMITTED, batch.errors_preview
    assert batch.households_updated == 2
    assert set(
        Household.objects.filter(household_number__in=[HH1, HH2]).values_list("village_id", flat=True)
    ) == {VILLAGE}
    # when one household names an unknown village and the other 南山村 without its township
    unknown = [dict(r, village_name="不存在村") for r in named[:2]]
    ambiguous = [dict(r, township_name="") for r in named[2:]]
    batch = do_import(county_admin, _national_csv(tmp_path / "bad.csv", unknown + ambiguous))
    # then each is a row error naming the names (and the two villages it could be)
    assert batch.state == ImportBatch.State.REJECTED
    errors = {e["household_number"]: e for e in batch.errors_preview}
    assert errors[HH1]["column"] == "行政村" and "「秦州区 玉泉镇 不存在村」" in errors[HH1]["message"]
    assert "找不到" in errors[HH1]["message"]
    assert "「秦州区 南山村」" in errors[HH2]["message"] and "2 个同名的行政村" in errors[HH2]["message"]
    assert "620502100201" in errors[HH2]["message"] and "620502101203" in errors[HH2]["message"]
    # and the error report has the file's columns only: the names, not the code, not the columns it lacked
    report = openpyxl.load_workbook(imports_dir().parent / batch.error_report)["待修改数据"]
    headers = [c.value for c in report[1]][3:]
    assert {"县（市、区）", "乡（镇）", "行政村", "户主姓名"} <= set(headers)
    assert "行政村编号" not in headers and "银行卡号" not in headers and "贫困户属性" not in headers


def test_a_village_outside_the_jurisdiction_is_not_found_by_name(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    officer = world.users["township_b_officer"]  # 太京镇: 南山村 is in 玉泉镇
    rows = [
        dict(r, county_name="秦州区", township_name="玉泉镇", village_name="南山村", attribute="一般脱贫户")
        for r in household_rows(HH1)
    ]
    batch = do_import(officer, _national_csv(tmp_path / "n.csv", rows))
    assert batch.state == ImportBatch.State.REJECTED
    assert any("在您的辖区内找不到" in e["message"] for e in batch.errors_preview)


# ----------------------------------------------------------------------------------------------- values


def test_certificate_digits_fill_an_empty_disability_category_and_a_given_one_is_kept(county_admin, tmp_path):
    rows = household_rows(HH1, members=3)
    rows[1]["id_number"] += "42"  # 肢体残疾 二级
    rows[2]["id_number"] += "42"
    rows[2]["disability_category"] = "多重残疾"  # reassessed after the certificate was issued
    batch = do_import(county_admin, write_csv(tmp_path / "d.csv", rows))
    assert batch.state == ImportBatch.State.COMMITTED, batch.errors_preview
    member = {m.person_number: m for m in Member.objects.filter(household__household_number=HH1)}
    first, second = member[rows[1]["person_number"]], member[rows[2]["person_number"]]
    assert (first.id_kind, first.disability_category, first.disability_grade) == ("disability_cert", "4", "2")
    assert (second.disability_category, second.disability_grade) == ("7", "2")
    assert second.disability_cert_number == rows[2]["id_number"]


def test_the_household_size_given_is_the_years_size(county_admin, tmp_path):
    rows = household_rows(HH1, members=2, household_size="5")
    assert do_import(county_admin, write_csv(tmp_path / "s.csv", rows)).state == ImportBatch.State.COMMITTED
    year = HouseholdYear.objects.get(household__household_number=HH1)
    assert year.household_size == 5 and year.per_capita_net_income == 3200  # 16000 / 5
    rows = household_rows(HH2, start=10, members=2, household_size="")
    do_import(county_admin, write_csv(tmp_path / "t.csv", rows))
    assert HouseholdYear.objects.get(household__household_number=HH2).household_size == 2


def test_a_department_upload_that_cannot_be_read_gets_plain_chinese_guidance(
    client, world, settings, tmp_path
):
    from jingzhun.comparison.models import DatasetLoad

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.JINGZHUN_SYNC_IMPORTS = True  # the load runs in the request, not a thread
    user = world.users["department"]
    user.department = "housing"
    user.save()
    client.force_login(user)
    url = reverse("comparison:datasets")
    for name, content, words in [
        ("危房.xlsx", "户主身份证号码,姓名\n1,张三\n".encode(), "无法读取 Excel 文件"),
        ("危房.csv", "户主身份证号码,姓名\n110105194912310021,张三\n".encode("utf-8-sig"), "缺少必需的列"),
    ]:
        response = client.post(
            url,
            {
                "dataset": "housing",
                "as_of": "2025-06-30",
                "policy": "valid",
                "file": SimpleUploadedFile(name, content),
            },
        )
        assert response.status_code == 302
        load = DatasetLoad.objects.order_by("-started_at").first()
        assert load.file_name == name and words in load.message, load.message
        assert_plain_chinese(load.message)
    assert "“部门数据”页面" in load.message
