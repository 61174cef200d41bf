"""Precision and recall of the rules against a ground truth (the generated data's planted anomalies).

A finding matches a truth row when the rule code and the subject agree: (household_number, person_number,
id_number) as the rule outputs them, empty and NULL being the same. Rules with no truth rows and no
findings are reported without figures (nothing was planted for them: rules over the register alone).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

Subject = tuple[str, str, str]


@dataclass(frozen=True)
class Score:
    code: str
    found: int
    planted: int
    true_positives: int

    @property
    def precision(self) -> float | None:
        return self.true_positives / self.found if self.found else None

    @property
    def recall(self) -> float | None:
        return self.true_positives / self.planted if self.planted else None


def _subject(household: str | None, person: str | None, id_number: str | None) -> Subject:
    return (household or "", person or "", id_number or "")


def read_truth(path: Path) -> dict[str, set[Subject]]:
    truth: dict[str, set[Subject]] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            truth.setdefault(row["rule_code"], set()).add(
                _subject(row.get("household_number"), row.get("person_number"), row.get("id_number"))
            )
    return truth


def found_subjects(findings: pa.Table) -> dict[str, set[Subject]]:
    found: dict[str, set[Subject]] = {}
    cols = [
        findings.column(c).to_pylist()
        for c in ("rule_code", "household_number", "person_number", "id_number")
    ]
    for code, household, person, id_number in zip(*cols, strict=True):
        found.setdefault(code, set()).add(_subject(household, person, id_number))
    return found


def score(findings: pa.Table, truth: dict[str, set[Subject]], codes: Iterable[str]) -> list[Score]:
    """One score per rule code in ``codes`` that has truth rows (rules with planted anomalies)."""
    found = found_subjects(findings)
    scores = []
    for code in codes:
        if code not in truth:
            continue
        hits, planted = found.get(code, set()), truth[code]
        scores.append(Score(code, len(hits), len(planted), len(hits & planted)))
    return scores


def format_scores(scores: Iterable[Score], names: dict[str, str]) -> str:
    lines = [f"{'规则':<6} {'查出':>7} {'植入':>7} {'命中':>7} {'精确率':>7} {'召回率':>7}  名称"]
    for s in scores:
        p = "—" if s.precision is None else f"{s.precision:.3f}"
        r = "—" if s.recall is None else f"{s.recall:.3f}"
        lines.append(
            f"{s.code:<6} {s.found:>7} {s.planted:>7} {s.true_positives:>7} {p:>7} {r:>7}  {names.get(s.code, '')}"
        )
    return "\n".join(lines)
