"""docs/indicators.md quotes the catalogue: every indicator's code, Chinese name, unit and definition."""

from __future__ import annotations

from pathlib import Path

from jingzhun.analytics import indicators
from jingzhun.analytics.refresh import DB_INDICATORS

DOC = Path(__file__).resolve().parents[4] / "docs" / "indicators.md"


def test_every_indicator_is_documented_with_its_one_definition():
    text = DOC.read_text(encoding="utf-8")
    for i in indicators.INDICATORS:
        row = next((line for line in text.splitlines() if line.startswith(f"| `{i.code}` |")), "")
        assert row, i.code
        assert f"| {i.name} | {i.unit} |" in row and f"| {i.definition} |" in row, i.code
    for code, (name, unit) in DB_INDICATORS.items():
        assert f"| `{code}` | {name} | {unit} |" in text, code
