"""The command-line path a county uses: regions, template, import with a report, export."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from jingzhun.regions.models import Region
from jingzhun.registry.models import Household
from jingzhun.registry.tests.importdata import household_rows, write_csv


def test_cli_round_trip(db, tmp_path, settings, capsys):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("regions", national=True, province=["62"])
    villages = tmp_path / "villages.csv"
    villages.write_text(
        "代码,名称,城乡分类代码,农村人口,自然村\n620502100201,南山村,220,1200,一组；二组\n", encoding="utf-8"
    )
    call_command("regions", str(villages))
    assert Region.objects.get(code="620502100201").parent_id == "620502100000"
    call_command("template", str(tmp_path / "t.xlsx"))
    assert (tmp_path / "t.xlsx").stat().st_size > 0
    good = write_csv(tmp_path / "in.csv", household_rows("620502100201000101"))
    call_command("import", str(good))
    assert Household.objects.count() == 1
    bad_rows = household_rows("620502100201000102", start=10)
    bad_rows[0]["id_number"] = "12345"
    with pytest.raises(CommandError):
        call_command(
            "import", str(write_csv(tmp_path / "bad.csv", bad_rows)), report=str(tmp_path / "r.xlsx")
        )
    out = capsys.readouterr().out
    assert "第 2 行「证件号码」" in out and (tmp_path / "r.xlsx").exists()
    call_command("export", str(tmp_path / "out.csv"), layout="national")
    assert "户编号" in (tmp_path / "out.csv").read_text(encoding="utf-8-sig")


def test_regions_command_needs_input(db):
    with pytest.raises(CommandError):
        call_command("regions")
