"""Browser journey: a village file with one wrong ID number is refused as a whole and explained.

The officer uploads a CSV (one household, two members, the second ID with a wrong check digit) with
"全部正确才导入"; the batch page polls until the import is done, names the row and the column, and offers
the error report, which lists the same error.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from jingzhun.core import jobs
from jingzhun.core.models import Job, JobState
from jingzhun.registry import idnumbers
from jingzhun.registry.columns import BY_KEY
from jingzhun.registry.models import Household
from jingzhun.testing.world import PASSWORD

pytestmark = pytest.mark.browser

HOUSEHOLD_NUMBER = "620502100201990001"


def with_wrong_check_digit(number: str) -> str:
    wrong = "0" if number[17] != "0" else "1"
    return number[:17] + wrong


def write_village_file(path: Path, village_code: str) -> str:
    """A file in the import layout (Chinese headers from the column table). Returns the bad ID."""
    head_id = idnumbers.make_id("620502", dt.date(1972, 4, 9), 135)
    bad_id = with_wrong_check_digit(idnumbers.make_id("620502", dt.date(1975, 8, 21), 246))
    keys = [
        "village",
        "household_number",
        "head_name",
        "attribute",
        "poverty_status",
        "year",
        "wage_income",
        "person_number",
        "name",
        "id_number",
        "relation",
    ]
    rows = [
        [
            village_code,
            HOUSEHOLD_NUMBER,
            "赵德明",
            "一般脱贫户",
            "已脱贫(享受政策)",
            "2025",
            "12000",
            "P620502990001",
            "赵德明",
            head_id,
            "户主",
        ],
        [
            village_code,
            HOUSEHOLD_NUMBER,
            "赵德明",
            "一般脱贫户",
            "已脱贫(享受政策)",
            "2025",
            "12000",
            "P620502990002",
            "孙桂兰",
            bad_id,
            "配偶",
        ],
    ]
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([BY_KEY[k].header for k in keys])
        writer.writerows(rows)
    return bad_id


def test_a_file_with_a_wrong_id_is_refused_and_explained(page, live_server, transactional_world, tmp_path):
    pytest.importorskip("jingzhun.registry.importer")
    world = transactional_world
    upload = tmp_path / "南山村.csv"
    bad_id = write_village_file(upload, world.household_a.village.code)

    # given the 玉泉镇 officer on the import page
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", "township_officer")
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.locator(".nav-links").get_by_role("link", name="数据导入").click()

    # when she uploads the file with "全部正确才导入"
    page.set_input_files("#id_file", str(upload))
    page.get_by_label("全部正确才导入").check()
    page.get_by_role("button", name="开始导入").click()

    # then the batch page follows the queued job, the worker runs it (here, in this process) ...
    status = page.locator("#batch-status")
    expect(status).to_have_attribute("data-state", "running")
    job = jobs.run_here(Job.objects.get(kind="import"))
    assert job.state == JobState.SUCCEEDED, job.message
    # ... and the page, polling, shows when the import is done, with the error's row and column
    expect(status).to_have_attribute("data-state", "rejected", timeout=30_000)
    expect(page.locator("#batch-status .badge").first).to_contain_text("有错误，未导入")
    errors = page.locator("#batch-errors tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.first).to_contain_text("证件号码")
    expect(errors.first.locator("td").nth(1)).to_have_text("3")  # header is row 1, the bad member row 3
    expect(errors.first).to_contain_text("校验位")
    page.screenshot(path="/tmp/jingzhun-import-desktop.png", full_page=True)

    # and nothing was imported
    assert not Household.objects.filter(household_number=HOUSEHOLD_NUMBER).exists()

    # and the error report lists the same error
    with page.expect_download() as download_info:
        page.locator("#error-report").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    report = tmp_path / download.suggested_filename
    download.save_as(report)
    book = load_workbook(report, read_only=True)
    rows = list(book["错误清单"].iter_rows(values_only=True))
    header, *problems = rows
    assert list(header) == ["工作表", "行号", "户编号", "列", "填写内容", "错误原因"]
    found = [r for r in problems if r[3] == "证件号码"]
    assert len(found) == 1
    _sheet, row, household_number, _column, value, message = found[0]
    assert int(row) == 3
    assert household_number == HOUSEHOLD_NUMBER
    assert value == bad_id
    assert "校验位" in message
