"""The national logic checks (逻辑校验) on an import: one household per check, each with one failing row, gives
exactly the expected warnings (row, column, check) and, where the national system refuses the value, the
expected row errors; the report lists them as the county tools do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.urls import reverse

from jingzhun.comparison import engine
from jingzhun.comparison.checks import SUMMARY_SHEET, label
from jingzhun.core.audit import Actor
from jingzhun.registry.columns import BY_KEY
from jingzhun.registry.importer import imports_dir, run_import
from jingzhun.registry.models import ImportBatch, Member
from jingzhun.registry.tests.importdata import household_rows, person, write_csv

PREFIX = "6205021002010009"
CLEAN = {
    "phone": "13912345678",
    "political_status": "群众",
    "speaks_mandarin": "是",
    "basic_medical_insurance": "是",
    "employee_medical_insurance": "否",
    "serious_illness_insurance": "是",
    "commercial_medical_insurance": "否",
    "basic_pension_insurance": "是",
    "dibao": "否",
    "tekun": "否",
}
ORDINARY: dict[str, Any] = {  # Any: passed as **overrides next to ``members: int``
    "attribute": "一般农户",
    "poverty_status": "",
    "main_cause": "",
    "first_identified_on": "",
    "exit_year": "",
}


@pytest.fixture
def officer(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return world.users["township_officer"]


def household(n: int, members: int = 2, **overrides: str) -> list[dict[str, str]]:
    return household_rows(
        f"{PREFIX}{n:02d}", members=members, start=100 + 10 * n, head=f"李{n}号", **{**CLEAN, **overrides}
    )


def case(
    n: int, changes: dict[int, dict[str, str]], members: int = 2, **overrides: str
) -> list[dict[str, str]]:
    """Household ``n``, clean but for ``changes`` (member index → column → text)."""
    rows = household(n, members, **overrides)
    for k, change in changes.items():
        rows[k].update(change)
    return rows


def the_file(tmp_path: Path) -> tuple[Path, dict[str, tuple[str, int]], dict[str, tuple[str, int]]]:
    """The file, and for each rule its (column header, CSV row) and for each refusal its (header, row)."""
    cases: list[tuple[str, list[dict[str, str]], int, str]] = []  # (what, rows, failing member, column key)

    def add(what: str, rows: list[dict[str, str]], k: int, column: str) -> None:
        cases.append((what, rows, k, column))

    add("clean", household(1), -1, "")
    add("SJ04", case(2, {1: {"id_number": person(121, male=True)}}), 1, "relation")
    add("SJ07", case(3, {0: {"migrant_months": "3", "migrant_place": ""}}), 0, "migrant_place")
    add("SJ11", case(4, {1: {"education": "初中", "schooling": "七年级"}}), 1, "education")
    add(
        "SJ12",
        case(5, {2: {"relation": "配偶", "id_number": person(152, male=False)}}, members=3),
        2,
        "relation",
    )
    add("SJ13", case(6, {1: {"education": "", "schooling": "初中"}}), 1, "schooling")
    add("SJ14", case(7, {1: {"health": ""}}), 1, "health")
    add("SJ15", case(8, {1: {"serious_illness_insurance": "否"}}), 1, "serious_illness_insurance")
    add("SJ16", household(9, phone="0938-8212345"), 0, "phone")
    add("SJ17", case(10, {1: {"basic_pension_insurance": ""}}), 1, "basic_pension_insurance")
    add("SJ18", case(11, {1: {"employee_medical_insurance": "是"}}), 1, "employee_medical_insurance")
    add("SJ19", case(12, {1: {"basic_medical_insurance": ""}}), 1, "basic_medical_insurance")
    add("SJ20", case(13, {1: {"employee_medical_insurance": ""}}), 1, "employee_medical_insurance")
    add("SJ21", case(14, {1: {"speaks_mandarin": ""}}), 1, "speaks_mandarin")
    add("SJ22", case(15, {1: {"dibao": ""}}), 1, "dibao")
    add("SJ23", case(16, {1: {"serious_illness_insurance": ""}}, **ORDINARY), 1, "serious_illness_insurance")
    add("SJ24", case(17, {1: {"commercial_medical_insurance": ""}}), 1, "commercial_medical_insurance")
    add("SJ25", case(18, {1: {"tekun": ""}}), 1, "tekun")
    # Refused by the import itself, as the national system refuses them: row errors, no warnings.
    bad_id = person(191)[:-1] + ("0" if person(191)[-1] != "0" else "1")
    add("01", case(19, {1: {"id_number": bad_id}}), 1, "id_number")
    add("03", case(20, {1: {"relation": "之叔叔"}}), 1, "relation")
    add("05", case(21, {1: {"relation": "户主", "health": ""}}), 1, "relation")
    add("12", case(22, {1: {"labour_skill": "壮劳力"}}), 1, "labour_skill")
    add("13", case(23, {1: {"migrant_months": "0", "migrant_place": "兰州市"}}), 1, "migrant_place")
    add("人编号", case(24, {1: {"person_number": "", "health": ""}}), 1, "person_number")
    rows: list[dict[str, str]] = []
    warnings: dict[str, tuple[str, int]] = {}
    refused: dict[str, tuple[str, int]] = {}
    for what, hh_rows, k, column in cases:
        if k >= 0:
            (warnings if what.startswith("SJ") else refused)[what] = (
                BY_KEY[column].header,
                len(rows) + k + 2,
            )
        rows += hh_rows
    return write_csv(tmp_path / "checks.csv", rows), warnings, refused


def test_each_check_warns_on_its_row_and_column_and_refusals_are_row_errors(officer, tmp_path):
    path, expected, refused = the_file(tmp_path)
    batch = run_import(actor=Actor.of(officer), user=officer, path=path, policy="valid")

    # Warnings: exactly one per check on the failing row and column; two for the household with two spouses,
    # and the empty health of the second head (whose relation is an error) is warned about too.
    found = {(w["rule"], w["column"], w["row"]) for w in batch.warnings_preview}
    wanted = {(rule, header, row) for rule, (header, row) in expected.items()}
    wanted.add(("SJ12", "与户主关系", expected["SJ12"][1] - 1))
    wanted.add(("SJ14", "健康状况", refused["05"][1]))
    wanted.add(("SJ14", "健康状况", refused["人编号"][1]))  # a row without a person number is still found
    rows_of = {rule: {"SJ12": 2, "SJ14": 3}.get(rule, 1) for rule in expected}
    assert found == wanted
    assert batch.warning_count == len(wanted)
    for w in batch.warnings_preview:
        assert w["message"] and w["check"].split()[0][:2].isdigit()
    phone = next(w for w in batch.warnings_preview if w["rule"] == "SJ16")
    assert phone["value"] == "0938-8212345" and "不是 11 位数字" in phone["message"]

    # Refusals: row errors naming the row and column; their households are not imported, the rest are.
    errors = {(e["column"], e["row"]) for e in batch.errors_preview}
    for what, (header, row) in refused.items():
        assert (header, row) in errors, what
    assert batch.state == ImportBatch.State.PARTIAL
    assert batch.households_rejected == len(refused)
    assert (
        batch.households_created == len(expected) + 1
    )  # every household with warnings only, and the clean one
    # A cell with an error gets no warning too (a place without months is refused, and SJ07 stays quiet).
    assert not any(w["row"] == refused["13"][1] for w in batch.warnings_preview)
    assert {w["rule"] for w in batch.warnings_preview if w["row"] == refused["05"][1]} == {"SJ14"}

    # The import stores an empty 低保/特困 as 否, and the warning says so.
    spouse = Member.objects.get(person_number=f"{PREFIX}1502")
    assert spouse.dibao is False

    # The summary lists the failed checks with their rows, in the county tools' order.
    summary = {s["rule"]: s["rows"] for s in batch.warning_summary}
    assert summary == rows_of
    assert [s["numbers"] for s in batch.warning_summary] == sorted(
        s["numbers"] for s in batch.warning_summary
    )

    # The report: the errors as before, the summary sheet and one sheet per failed check.
    book = openpyxl.load_workbook(imports_dir().parent / batch.error_report, read_only=True)
    catalogue = engine.load_catalogue()
    names = {label(r)[:31]: r.code for r in catalogue.rules}
    check_sheets = {names[s] for s in book.sheetnames if s in names}
    assert check_sheets == set(expected)
    assert {"待修改数据", "错误清单", SUMMARY_SHEET} <= set(book.sheetnames)
    table = {row[3]: row[2] for row in book[SUMMARY_SHEET].iter_rows(min_row=2, values_only=True) if row[3]}
    assert {rule: table[rule] for rule in expected} == rows_of
    sheet = book[next(s for s, code in names.items() if code == "SJ14")]
    listed = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[3]) for r in listed] == [
        (expected["SJ14"][1], "健康状况"),
        (refused["05"][1], "健康状况"),
        (refused["人编号"][1], "健康状况"),
    ]


def test_the_api_and_the_import_page_show_the_warnings(officer, tmp_path, client):
    from jingzhun.registry.tests.test_api import client_for

    path = write_csv(tmp_path / "one.csv", case(7, {1: {"health": ""}}))
    with path.open("rb") as handle:
        response = client_for(officer).post("/api/registry/imports", {"file": handle, "policy": "all"})
    body = response.json()
    assert response.status_code == 201 and body["state"]["code"] == "committed", body
    assert body["warning_count"] == 1 and body["error_count"] == 0
    assert body["warning_summary"] == [{"numbers": "11", "name": "健康状况为空", "rule": "SJ14", "rows": 1}]
    assert body["error_report_url"]
    client.force_login(officer)
    page = client.get(reverse("registry:import_batch", args=[body["id"]])).content.decode()
    assert 'id="batch-warnings"' in page and "健康状况为空" in page and 'id="warning-report"' in page


def test_a_clean_file_has_no_warnings_and_no_report(officer, tmp_path):
    path = write_csv(tmp_path / "clean.csv", household(1) + household(2, members=3))
    batch = run_import(actor=Actor.of(officer), user=officer, path=path)
    assert batch.state == ImportBatch.State.COMMITTED, batch.message
    assert (batch.warning_count, batch.warnings_preview, batch.warning_summary) == (0, [], [])
    assert batch.error_report == ""
