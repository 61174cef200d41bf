"""Import: set-based validation, every bad row reported with sheet/row/column, nothing bad committed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from jingzhun.core.audit import Actor
from jingzhun.core.models import ObjectChange
from jingzhun.registry.exchange import export_households, template_columns, write_template
from jingzhun.registry.importer import imports_dir, run_import
from jingzhun.registry.models import Household, HouseholdYear, ImportBatch, Member, StatusEvent
from jingzhun.registry.tests.importdata import (
    VILLAGE,
    as_cells,
    household_rows,
    person,
    write_csv,
    write_xlsx,
)

HH1, HH2, HH3 = "620502100201000101", "620502100201000102", "620502100201000103"


@pytest.fixture
def officer(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return world.users["township_officer"]


def do_import(user, path: Path, policy: str = "all") -> ImportBatch:
    return run_import(actor=Actor.of(user), user=user, path=path, policy=policy)


def errors_by(batch: ImportBatch) -> dict[tuple[int, str], str]:
    return {(e["row"], e["column"]): e["message"] for e in batch.errors_preview}


def test_valid_file_commits_households_members_years_and_audit(officer, tmp_path):
    # given a file of two households, one of three members
    rows = household_rows(HH1, members=3) + household_rows(HH2, start=10, head="张三")
    # when a township officer imports it
    batch = do_import(officer, write_csv(tmp_path / "ok.csv", rows))
    # then everything is committed, derived income is computed, and every household is audited
    assert batch.state == ImportBatch.State.COMMITTED, batch.message
    assert (batch.households_created, batch.members_created) == (2, 5)
    hh = Household.objects.get(household_number=HH1)
    assert hh.village_id == VILLAGE and hh.attribute == "05" and hh.poverty_status == "1"
    assert hh.members.count() == 3
    year = HouseholdYear.objects.get(household=hh, year=2025)
    assert year.household_size == 3
    assert year.net_income == 16000 and str(year.per_capita_net_income) == "5333.33"
    changes = ObjectChange.objects.filter(batch=batch.id)
    assert changes.count() == 2 and {c.user_name for c in changes} == {officer.username}
    assert StatusEvent.objects.filter(household=hh).exists()


def test_reimporting_the_same_file_changes_nothing(officer, tmp_path):
    path = write_csv(tmp_path / "ok.csv", household_rows(HH1) + household_rows(HH2, start=10))
    do_import(officer, path)
    before = (Household.objects.count(), Member.objects.count(), ObjectChange.objects.count())
    second = do_import(officer, path)
    assert second.state == ImportBatch.State.COMMITTED
    assert (
        second.households_unchanged == 2 and second.households_created == 0 and second.households_updated == 0
    )
    assert (Household.objects.count(), Member.objects.count(), ObjectChange.objects.count()) == before


def test_changed_row_updates_only_what_changed_with_before_and_after(officer, tmp_path):
    do_import(officer, write_csv(tmp_path / "a.csv", household_rows(HH1)))
    rows = household_rows(HH1)
    rows[1]["migrant_months"] = "6"
    rows[1]["migrant_place"] = "浙江省杭州市"
    batch = do_import(officer, write_csv(tmp_path / "b.csv", rows))
    assert (batch.households_updated, batch.members_updated) == (1, 1)
    change = ObjectChange.objects.get(batch=batch.id, object_type="registry.member")
    assert change.before["migrant_months"] == 0 and change.after["migrant_months"] == 6


def test_gb18030_csv_and_bom_are_read(officer, tmp_path):
    batch = do_import(officer, write_csv(tmp_path / "gbk.csv", household_rows(HH1), encoding="gb18030"))
    assert batch.state == ImportBatch.State.COMMITTED, batch.message
    assert Household.objects.get(household_number=HH1).head_name == "李大山"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_csv_with_or_without_byte_order_mark_is_read(officer, tmp_path, encoding):
    # Windows' "Unicode text" (UTF-16 with a BOM) and machine exports without one
    batch = do_import(officer, write_csv(tmp_path / "u16.csv", household_rows(HH1), encoding=encoding))
    assert batch.state == ImportBatch.State.COMMITTED, batch.message
    assert Household.objects.get(household_number=HH1).head_name == "李大山"


def _mixed(path: Path, base: str, odd: str, line: int) -> Path:
    """A file written in ``base`` with its ``line`` (1-based) re-encoded in ``odd``."""
    write_csv(path, household_rows(HH1) + household_rows(HH2, start=10, head="王大山"), encoding=base)
    lines = path.read_bytes().split(b"\n")
    lines[line - 1] = lines[line - 1].decode(base).encode(odd)
    path.write_bytes(b"\n".join(lines))
    return path


@pytest.mark.parametrize(
    ("base", "odd", "words"),
    [
        ("utf-8", "gb18030", "第 3 行是 GB18030（GBK）编码"),  # one GBK row pasted into a UTF-8 file
        ("gb18030", "utf-8", "第 3 行是 UTF-8 编码"),  # one UTF-8 row in a GBK file: never read as mojibake
    ],
)
def test_a_file_mixing_two_encodings_is_refused_naming_the_line(officer, tmp_path, base, odd, words):
    batch = do_import(officer, _mixed(tmp_path / "mixed.csv", base, odd, 3))
    assert batch.state == ImportBatch.State.FAILED
    assert "混有两种编码" in batch.message and words in batch.message and "另存为“CSV UTF-8" in batch.message
    assert not Household.objects.filter(household_number__in=[HH1, HH2]).exists()


def hostile_rows() -> list[dict[str, str]]:
    """One good household and one bad row of every kind the villages produce."""
    good = household_rows(HH1)
    bad_check = household_rows(HH2, start=20)
    bad_check[0]["id_number"] = bad_check[0]["id_number"][:-1] + (
        "0" if bad_check[0]["id_number"][-1] != "0" else "1"
    )
    sci = household_rows("620502100201000104", start=30)
    sci[1]["id_number"] = "6.20502E+17"
    bad_code = household_rows("620502100201000105", start=40, attribute="富裕户")
    bad_month = household_rows("620502100201000106", start=50)
    bad_month[1]["migrant_months"] = "13"
    bad_date = household_rows("620502100201000107", start=60, first_identified_on="2015-02-30")
    neg = household_rows("620502100201000108", start=70, wage_income="-5")
    no_head = household_rows("620502100201000109", start=80)
    no_head[0]["relation"] = "之子"
    dup_id = household_rows("620502100201000110", start=90)
    dup_id[1]["id_number"] = good[1]["id_number"]
    other_village = household_rows("620502100201000111", start=100, village="620502101201")
    unknown_village = household_rows("620502100201000112", start=110, village="620502100299")
    sex_mismatch = household_rows("620502100201000113", start=120)
    sex_mismatch[0]["sex"] = "女"
    inconsistent = household_rows("620502100201000114", start=130)
    inconsistent[1]["wage_income"] = "99999"
    missing_name = household_rows("620502100201000115", start=140)
    missing_name[1]["name"] = ""
    return (
        good
        + bad_check
        + sci
        + bad_code
        + bad_month
        + bad_date
        + neg
        + no_head
        + dup_id
        + other_village
        + unknown_village
        + sex_mismatch
        + inconsistent
        + missing_name
    )


EXPECTED = [  # (row in the file, column, words the message must contain)
    (4, "证件号码", "校验位"),
    (7, "证件号码", "Excel"),
    (8, "贫困户属性", "富裕户"),
    (11, "务工时间（月）", "0 到 12"),
    (12, "首次识别时间", "日期格式"),
    (14, "工资性收入", "负数"),
    (16, "与户主关系", "没有户主"),
    (19, "证件号码", "重复"),
    (20, "行政村编号", "不在您的辖区内"),
    (22, "行政村编号", "不存在"),
    (24, "性别", "证件号码显示为男"),
    (27, "工资性收入", "前后不一致"),
    (29, "姓名", "必填"),
]


def test_hostile_csv_all_or_nothing_imports_nothing_and_names_every_bad_row(officer, tmp_path):
    batch = do_import(officer, write_csv(tmp_path / "bad.csv", hostile_rows(), extra_headers=["备注"]))
    assert batch.state == ImportBatch.State.REJECTED
    assert Household.objects.filter(household_number__startswith="6205021002010001").count() == 0
    found = errors_by(batch)
    for row, column, words in EXPECTED:
        assert (row, column) in found, f"第 {row} 行「{column}」没有报错；实际：{sorted(found)}"
        assert words in found[(row, column)], found[(row, column)]
    assert "备注" in batch.message  # the extra column is named as ignored
    report = openpyxl.load_workbook(imports_dir().parent / batch.error_report)
    listed = {(r[1], r[3]) for r in report["错误清单"].iter_rows(min_row=2, values_only=True)}
    assert {(row, column) for row, column, _ in EXPECTED} <= listed


def test_hostile_csv_valid_only_commits_just_the_good_household(officer, tmp_path):
    batch = do_import(officer, write_csv(tmp_path / "bad.csv", hostile_rows()), policy="valid")
    assert batch.state == ImportBatch.State.PARTIAL
    assert list(
        Household.objects.values_list("household_number", flat=True).filter(
            household_number__startswith="6205021002010001"
        )
    ) == [HH1]
    assert batch.households_rejected == 13
    # the error report holds every row of the rejected households, ready to correct and re-import
    sheet = openpyxl.load_workbook(imports_dir().parent / batch.error_report)["待修改数据"]
    data_rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(data_rows) == len(hostile_rows()) - 2
    headers = [c.value for c in sheet[1]]
    assert headers[3:] == [c.header for c in template_columns()]


def test_corrected_error_report_imports_cleanly(officer, tmp_path):
    rows = household_rows(HH1)
    rows[0]["id_number"] = rows[0]["id_number"][:-1] + ("0" if rows[0]["id_number"][-1] != "0" else "1")
    batch = do_import(officer, write_csv(tmp_path / "bad.csv", rows))
    report_path = imports_dir().parent / batch.error_report
    wb = openpyxl.load_workbook(report_path)
    ws = wb["待修改数据"]
    headers = [c.value for c in ws[1]]
    ws.cell(row=2, column=headers.index("证件号码") + 1, value=person(0))
    wb.save(report_path)
    again = do_import(officer, report_path)
    assert again.state == ImportBatch.State.COMMITTED, again.errors_preview
    assert Household.objects.filter(household_number=HH1).exists()


def test_excel_with_title_row_merged_household_cells_numbers_and_empty_sheet(officer, tmp_path):
    rows = household_rows(HH1, members=3)
    cells = [as_cells(r) for r in rows]
    cols = [c.key for c in template_columns()]
    # household columns only on the first row (as merged cells leave them), incomes typed as numbers
    for r in cells[1:]:
        for j, key in enumerate(cols):
            if key in ("village", "household_number", "head_name", "attribute", "wage_income", "year"):
                r[j] = None
    cells[0][cols.index("wage_income")] = 12000.0
    cells[0][cols.index("year")] = 2025
    cells[0][cols.index("first_identified_on")] = dt.datetime(2015, 10, 1)
    path = write_xlsx(tmp_path / "merged.xlsx", cells, title="秦州区玉泉镇南山村建档立卡信息表")
    import xlsxwriter  # add an empty sheet to the same workbook layout

    wb = xlsxwriter.Workbook(str(tmp_path / "two.xlsx"))
    wb.add_worksheet("空表")
    ws = wb.add_worksheet("成员信息")
    ws.merge_range(0, 0, 0, 5, "秦州区玉泉镇南山村建档立卡信息表")
    ws.write_row(1, 0, [c.header for c in template_columns()])
    for i, r in enumerate(cells, start=2):
        for j, v in enumerate(r):
            if v is not None:
                ws.write_datetime(i, j, v) if isinstance(v, dt.datetime) else ws.write(i, j, v)
    wb.close()
    for p in (path, tmp_path / "two.xlsx"):
        batch = do_import(officer, p)
        assert batch.state == ImportBatch.State.COMMITTED, batch.errors_preview
    hh = Household.objects.get(household_number=HH1)
    assert hh.members.count() == 3 and hh.first_identified_on == dt.date(2015, 10, 1)
    assert HouseholdYear.objects.get(household=hh).wage_income == 12000


def test_excel_number_ids_and_household_numbers_are_rejected_with_a_reason(officer, tmp_path):
    rows = household_rows(HH1)
    cells = [as_cells(r) for r in rows]
    cols = [c.key for c in template_columns()]
    # Excel keeps 15 significant digits of a number: what is left of a long number typed into a number cell
    cells[1][cols.index("id_number")] = float(f"{float(rows[1]['id_number'][:17]):.15g}") * 10
    for r in cells:
        r[cols.index("household_number")] = float(f"{float(HH1):.15g}")
    batch = do_import(officer, write_xlsx(tmp_path / "nums.xlsx", cells))
    assert batch.state == ImportBatch.State.REJECTED
    excel = {(e["row"], e["column"]) for e in batch.errors_preview if "Excel" in e["message"]}
    assert {(3, "证件号码"), (2, "户编号"), (3, "户编号")} <= excel
    assert Household.objects.count() == 4  # only the test world's own


@pytest.mark.parametrize(
    "content,words",
    [
        (b"", "没有任何数据"),
        ("姓名,年龄\n张三,3\n".encode(), "缺少必需的列"),
        (b"\xff\xfe\x00garbage\x81\x82", "编码"),
    ],
)
def test_unusable_csv_fails_with_a_reason(officer, tmp_path, content, words):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    batch = do_import(officer, path)
    assert batch.state in (ImportBatch.State.FAILED, ImportBatch.State.REJECTED)
    assert words in batch.message


def test_corrupt_xlsx_and_wrong_type_fail_cleanly(officer, tmp_path):
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    assert do_import(officer, bad).state == ImportBatch.State.FAILED
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    batch = do_import(officer, pdf)
    assert batch.state == ImportBatch.State.FAILED and "不支持的文件类型" in batch.message


def test_large_file_over_50mb_is_validated_as_a_set(officer, tmp_path, settings):
    # given a 50+ MB CSV: many valid households plus one bad row near the end
    rows = []
    for i in range(9000):
        rows += household_rows(
            f"62050210020100{i:04d}",
            members=3,
            start=1000 + i * 3,
            head="王五",
            natural_village="一组" * 20,
            bank_name="农村信用社" * 10,
        )
    rows[-2]["id_number"] = "123"
    path = write_csv(tmp_path / "big.csv", rows)
    # pad each line with a long ignored column to pass 50 MB
    text = path.read_text(encoding="utf-8-sig").splitlines()
    filler = "x" * (52 * 1024 * 1024 // len(text))
    path.write_text(
        "\n".join([text[0] + ",说明"] + [line + "," + filler for line in text[1:]]) + "\n",
        encoding="utf-8-sig",
    )
    assert path.stat().st_size > 50 * 1024 * 1024
    batch = do_import(officer, path)
    assert batch.state == ImportBatch.State.REJECTED
    assert batch.error_count == 1 and batch.errors_preview[0]["row"] == len(rows)
    assert Member.objects.count() == 4


def test_user_without_import_right_or_outside_gets_nothing_written(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    path = write_csv(tmp_path / "ok.csv", household_rows(HH1))
    with pytest.raises(Exception) as exc:
        do_import(world.users["leader"], path)
    assert "不能导入" in str(exc.value)
    other = do_import(world.users["township_b_officer"], path)
    assert other.state == ImportBatch.State.REJECTED
    assert "不在您的辖区内" in other.errors_preview[0]["message"]
    assert not Household.objects.filter(household_number=HH1).exists()


def test_person_already_in_another_household_is_refused(officer, tmp_path, world):
    existing = world.household_a.members.first()
    rows = household_rows(HH1)
    rows[1]["id_number"] = existing.id_number
    batch = do_import(officer, write_csv(tmp_path / "dup.csv", rows))
    assert batch.state == ImportBatch.State.REJECTED
    assert "一人只能在一户" in batch.errors_preview[0]["message"]
    assert world.household_a.household_number in batch.errors_preview[0]["message"]


def test_export_round_trip_is_lossless(officer, tmp_path, world):
    rows = household_rows(HH1, members=3, other_causes="缺技术、缺资金", risk_types="")
    rows[2]["health"] = "长期慢性病、残疾"
    first = do_import(officer, write_csv(tmp_path / "in.csv", rows))
    assert first.state == ImportBatch.State.COMMITTED
    for fmt in ("xlsx", "csv"):
        out = tmp_path / f"out.{fmt}"
        count = export_households(officer, path=out, fmt=fmt, region_prefix=VILLAGE)
        assert count == 3 + 1  # the world's own household in 南山村 too
        again = do_import(officer, out)
        assert again.state == ImportBatch.State.COMMITTED, again.errors_preview
        assert again.households_unchanged == 2 and again.households_updated == 0


def test_template_has_every_input_column(tmp_path):
    path = write_template(tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    headers = [str(c.value).rstrip("*") for c in wb["成员信息"][1]]
    assert headers == [c.header for c in template_columns()]
    assert "填写说明" in wb.sheetnames


def test_household_as_of_before_and_after_an_import_change(officer, tmp_path):
    from django.utils import timezone

    from jingzhun.registry.selectors import household_as_of

    do_import(officer, write_csv(tmp_path / "a.csv", household_rows(HH1)))
    between = timezone.now()
    rows = household_rows(HH1)
    rows[1]["migrant_months"] = "6"
    rows[1]["migrant_place"] = "浙江省杭州市"
    do_import(officer, write_csv(tmp_path / "b.csv", rows))
    hh = Household.objects.get(household_number=HH1)
    then = household_as_of(hh, between)
    now = household_as_of(hh, timezone.now())
    assert then.household["head_name"] == "李大山" and len(then.members) == 2
    assert {m["migrant_months"] for m in then.members} == {0}
    assert {m["migrant_months"] for m in now.members} == {0, 6}
    assert then.years[0]["per_capita_net_income"] == "8000"
    before_import = household_as_of(hh, between - dt.timedelta(days=1))
    assert before_import.household is None and before_import.members == []


def test_disability_certificate_number_gives_id_category_and_grade(officer, tmp_path):
    rows = household_rows(HH1)
    rows[1]["id_number"] = rows[1]["id_number"] + "42"  # 肢体残疾 二级
    rows[1]["health"] = "残疾"
    batch = do_import(officer, write_csv(tmp_path / "cert.csv", rows))
    assert batch.state == ImportBatch.State.COMMITTED, batch.errors_preview
    member = Member.objects.get(person_number=rows[1]["person_number"])
    assert member.id_number == rows[1]["id_number"][:18]
    assert (member.id_kind, member.disability_category, member.disability_grade) == (
        "disability_cert",
        "4",
        "2",
    )
    assert member.disability_cert_number == rows[1]["id_number"]


def _member_indexes() -> set[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        return {
            c
            for c, info in connection.introspection.get_constraints(cursor, Member._meta.db_table).items()
            if info["index"] or info["unique"] or info["foreign_key"]
        }


@pytest.mark.parametrize("policy", ["valid", "all"])
def test_a_load_that_rebuilds_the_indexes_keeps_only_valid_households(officer, tmp_path, settings, policy):
    # given a load counted as large (on PostgreSQL: indexes dropped, members written while the checks run)
    settings.JINGZHUN_BULK_REBUILD_MIN_ROWS = 1
    indexes = _member_indexes()
    good = household_rows(HH1, members=3)
    twice = household_rows(HH2, start=20)
    twice[1]["id_number"] = good[2]["id_number"]  # the same person in two households
    no_head = household_rows(HH3, start=30)
    no_head[0]["relation"] = "之子"
    # when it is imported
    batch = do_import(officer, write_csv(tmp_path / "mixed.csv", good + twice + no_head), policy=policy)
    # then only the valid household is in the register, with all its members, and every index is back
    expected = {"valid": {HH1}, "all": set()}[policy]
    imported = Household.objects.filter(household_number__in=[HH1, HH2, HH3])
    assert set(imported.values_list("household_number", flat=True)) == expected
    assert Member.objects.filter(household__in=imported).count() == (3 if policy == "valid" else 0)
    assert not Member.objects.filter(person_number__startswith=HH2).exists()
    assert ObjectChange.objects.filter(batch=batch.id).count() == len(expected)
    assert batch.state == {"valid": ImportBatch.State.PARTIAL, "all": ImportBatch.State.REJECTED}[policy]
    assert _member_indexes() == indexes
