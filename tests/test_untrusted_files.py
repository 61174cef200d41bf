"""No uploaded workbook can take a process down (issue 16).

Three crafted files, each a few KB: a used range declared as A1:XFD1048576 (the Rust readers would
allocate 512 GiB), the same file with its ``<dimension>`` lying (A1:A1), so only the limited child process
meets the allocation and aborts, and a zip bomb (a 200 MB sheet compressed about a thousand times). Each is
refused with a Chinese message through the import page, the API, the command line and the department
loads, nothing is stored, and this process (the web worker) goes on serving the next request.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from jingzhun.accounts.services import create_api_token
from jingzhun.comparison import loading
from jingzhun.comparison.models import LoadState
from jingzhun.core import workbooks
from jingzhun.core.audit import Actor
from jingzhun.registry.models import Household, ImportBatch
from jingzhun.registry.tests.importdata import as_cells, household_rows, write_xlsx

pytestmark = pytest.mark.django_db

DECLARED = "A1:XFD1048576"
SAVE_AGAIN = "另存为新的 .xlsx 文件"


def _crafted(path: Path, *, lie: bool = False) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "成员信息"
    ws["A1"] = "户编号"
    ws["XFD1048576"] = "x"
    wb.save(path)
    if lie:  # the same cells, but the sheet claims to use A1 only
        original = path.with_suffix(".orig")
        path.rename(original)
        with zipfile.ZipFile(original) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename.startswith("xl/worksheets/"):
                    data = data.replace(DECLARED.encode(), b"A1:A1")
                dst.writestr(info, data)
        original.unlink()
    return path


def _bomb(path: Path) -> Path:
    write_xlsx(path, [as_cells(r) for r in household_rows("620502100201000101")])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf, zf.open("xl/media/padding.xml", "w") as out:
        block = b"<row/>" * (1 << 20)
        for _ in range(32):  # 192 MiB of the same bytes
            out.write(block)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """Each crafted file and words its refusal must contain (made once: the bomb writes 192 MiB)."""
    folder = tmp_path_factory.mktemp("crafted")
    return {
        "declared": (_crafted(folder / "declared.xlsx"), DECLARED),
        "lying": (_crafted(folder / "lying.xlsx", lie=True), "超出内存限制或读取程序异常退出"),
        "bomb": (_bomb(folder / "bomb.xlsx"), "压缩炸弹"),
    }


def test_the_reader_refuses_each_crafted_file_and_this_process_survives(
    files: dict[str, Any], tmp_path: Path
) -> None:
    for path, words in files.values():
        with pytest.raises(workbooks.WorkbookError) as caught:
            workbooks.open_xlsx(path)
        assert words in caught.value.message and SAVE_AGAIN in caught.value.message
        with pytest.raises(workbooks.WorkbookError):
            workbooks.open_cells(path)  # the typed reader (.xls, assistance imports) is limited the same way
    # the child that met the allocation is gone; reading an ordinary workbook still works here
    ordinary = write_xlsx(tmp_path / "ok.xlsx", [as_cells(r) for r in household_rows("620502100201000101")])
    book = workbooks.open_xlsx(ordinary)
    assert book.sheet_names == ["成员信息"] and book.sheet("成员信息").table.num_rows == 3


def test_import_page_api_and_command_line_refuse_them_and_keep_serving(
    world: Any, files: dict[str, Any], client: Any, settings: Any, tmp_path: Path
) -> None:
    settings.JINGZHUN_SYNC_IMPORTS = True
    settings.MEDIA_ROOT = tmp_path / "media"
    officer = world.users["township_officer"]
    before = Household.objects.count()
    token = create_api_token(actor=Actor.of(officer), user=officer)[1]
    client.force_login(officer)
    for name, (path, words) in files.items():
        # the import page
        page = client.post(
            reverse("registry:import"),
            {"file": SimpleUploadedFile(path.name, path.read_bytes()), "policy": "all"},
        )
        assert page.status_code == 302, name
        batch = ImportBatch.objects.get(pk=page.url.rstrip("/").rsplit("/", 1)[-1])
        assert batch.state == ImportBatch.State.FAILED and words in batch.message, (name, batch.message)
        # the API
        api = client.post(
            "/api/registry/imports",
            {"file": SimpleUploadedFile(path.name, path.read_bytes()), "policy": "all"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert (
            api.status_code == 201
            and api.json()["state"]["code"] == "failed"
            and words in api.json()["message"]
        )
        # the command line
        out = io.StringIO()
        with pytest.raises(CommandError, match="导入未完成"):
            call_command("import", str(path), user=officer.username, stdout=out)
        assert words in out.getvalue()
        # and the worker serves the next request
        assert client.get(reverse("registry:household_list")).status_code == 200
    assert Household.objects.count() == before


def test_department_loads_refuse_them(
    world: Any, files: dict[str, Any], settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    for path, words in files.values():
        load = loading.load_dataset(
            actor=Actor.of(world.users["admin"]),
            user=None,
            path=path,
            dataset="disability",
            as_of="2026-10-31",
            region_prefix="620502",
        )
        assert load.state in (LoadState.FAILED, LoadState.REJECTED) and words in load.message
        assert not load.parquet_path
