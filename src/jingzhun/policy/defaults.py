"""The shipped defaults (``data/defaults.csv``): what a fresh installation starts with.

Each row names its source in domain.md; numbers domain.md calls UNCONFIRMED carry ``unconfirmed=true``
and show as 待确认 until someone with the provincial document confirms or edits them.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

CSV_PATH = Path(__file__).with_name("data") / "defaults.csv"


def rows(path: Path = CSV_PATH) -> list[dict[str, Any]]:
    """The CSV as field values of ``Parameter`` (no database access)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [_parse(raw) for raw in csv.DictReader(handle)]


def _parse(raw: dict[str, str]) -> dict[str, Any]:
    def day(text: str) -> dt.date | None:
        return dt.date.fromisoformat(text) if text else None

    return {
        "key": raw["key"],
        "region_prefix": raw["region_prefix"],
        "year": int(raw["year"]) if raw["year"] else None,
        "effective_from": day(raw["effective_from"]),
        "value": Decimal(raw["value"]),
        "document": raw["document"],
        "document_date": day(raw["document_date"]),
        "unconfirmed": raw["unconfirmed"].strip().lower() == "true",
        "source": raw["source"],
        "note": raw["note"],
    }


def load(parameter_model: Any) -> int:
    """Create the default rows that are missing. Used by the data migration with the historical model.

    Like the national division list, shipped reference data is not an audited edit (the audit log of a
    fresh installation stays empty); each row's ``source`` says where it comes from, and every later
    change to it is audited by the services.
    """
    created = 0
    for values in rows():
        lookup = {k: values[k] for k in ("key", "region_prefix", "year", "effective_from")}
        if not parameter_model.objects.filter(**lookup).exists():
            parameter_model.objects.create(**values)
            created += 1
    return created
