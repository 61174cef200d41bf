"""jingzhun indicators refresh / show."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from jingzhun.analytics.models import IndicatorValue
from jingzhun.analytics.tests.conftest import YEAR

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("indicators", *args, stdout=out)
    return out.getvalue()


def test_refresh_then_show_a_table(figures):
    county = figures.county
    assert "已刷新 620502" in run("refresh", "--region", figures.township_a.prefix, "--year", "2024")
    assert (
        IndicatorValue.objects.filter(region_code=county.code, year=2024).count()
        == IndicatorValue.objects.filter(region_code=county.code, year=YEAR).count()
    )
    text = run("show", "--region", county.prefix, "--year", str(YEAR))
    assert text.startswith("甘肃省天水市秦州区（620502000000）2026年")
    registered = sum(
        v.value
        for v in IndicatorValue.objects.filter(
            region_code=county.code, year=YEAR, code="households_by_status", dim="1"
        )
    )
    line = next(line for line in text.splitlines() if line.rstrip().endswith("households_by_status:1"))
    assert f" {int(registered):,} " in line and "户" in line
    assert "贫困发生率" in text and "poverty_incidence" in text
    # the latest year by default
    assert "2026年" in run("show", "--region", county.code)


def test_show_says_what_is_missing(figures):
    with pytest.raises(CommandError, match="还没有计算指标"):
        run("show", "--region", figures.county.prefix, "--year", "1999")
    with pytest.raises(CommandError, match="没有这个区划"):
        run("show", "--region", "629999")
    with pytest.raises(CommandError, match="应为数字"):
        run("refresh", "--region", "abc")
    assert timezone.localdate().year >= YEAR
