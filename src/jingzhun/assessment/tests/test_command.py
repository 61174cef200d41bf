"""jingzhun survey draw / estimates / lists."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from jingzhun.assessment.models import Survey
from jingzhun.core.models import ObjectChange


def _run(*args: str) -> str:
    out = StringIO()
    call_command("survey", *args, stdout=out)
    return out.getvalue()


def test_draw_estimates_and_lists_from_the_shell(assessed, tmp_path):
    out = _run(
        "draw",
        "--county",
        "620502",
        "--year",
        "2025",
        "--seed",
        "5",
        "--poor",
        "2",
        "--non-poor",
        "2",
        "--households",
        "8",
        "--ratio",
        "5:3:2",
    )
    survey = Survey.objects.get()
    assert f"#{survey.pk}" in out and survey.seed == 5 and survey.design["households_per_village"] == 8
    assert ObjectChange.objects.filter(root_id=str(survey.pk), source="cli").exists()
    again = _run(
        "draw",
        "--county",
        "620502",
        "--year",
        "2025",
        "--seed",
        "5",
        "--poor",
        "2",
        "--non-poor",
        "2",
        "--households",
        "8",
    )
    assert again.splitlines()[1:] == out.splitlines()[1:]  # the same villages and counts
    text = _run("estimates", str(survey.pk))
    assert "错退率" in text and "群众认可度" in text and "贫困县退出条件" in text
    data = json.loads(_run("estimates", str(survey.pk), "--json"))
    assert data["estimates"]["approval"]["value"] is None
    target = tmp_path / "lists.xlsx"
    assert "已导出" in _run("lists", str(survey.pk), "--out", str(target))
    assert target.read_bytes()[:2] == b"PK"


def test_errors_are_command_errors(assessed):
    with pytest.raises(CommandError, match="区划不存在"):
        _run("draw", "--county", "629999", "--year", "2025", "--seed", "1")
    with pytest.raises(CommandError, match="比例"):
        _run("draw", "--county", "620502", "--year", "2025", "--seed", "1", "--ratio", "1:1")
    with pytest.raises(CommandError, match="不存在"):
        _run("estimates", "999999")
