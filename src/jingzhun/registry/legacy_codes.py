"""The codes Jingzhun used before it took the national code lists (issue 13; docs/codelists.md).

Migration ``registry 0005`` moves the register onto the national codes. The audit log is append-only and
import batches keep a copy of what they wrote, so records made before that migration keep the old codes;
``upgrade_member`` reads them in today's codes (history and as-of views), using the migration's own time.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

RELATION = {
    "02": "01",
    "10": "02",
    "20": "03",
    "30": "04",
    "41": "05",
    "42": "06",
    "51": "07",
    "52": "08",
    "61": "11",
    "62": "12",
    "71": "17",
    "72": "18",
    "80": "31",
    "99": "99",
}
# 非在校生 (0) becomes empty, as the national forms leave it for non-pupils; 失学或辍学 (8) moves to the column
# 失学或辍学原因; the levels without a grade become the list's retired values.
SCHOOLING = {"0": "", "1": "02", "2": "03", "3": "93", "4": "94", "5": "95", "6": "96", "7": "97", "8": ""}
DROPOUT = "8"
DROPOUT_REASON = "原因未登记（由旧代码“失学或辍学”迁移）"
MIGRATION = ("registry", "0005_national_code_lists")


@cache
def cutover() -> dt.datetime | None:
    """When the register moved onto the national codes (None: not yet, or in a database that never had the
    old codes recorded before it)."""
    from django.db.migrations.recorder import MigrationRecorder

    row = MigrationRecorder.Migration.objects.filter(app=MIGRATION[0], name=MIGRATION[1]).first()
    return row.applied if row else None


def is_legacy(when: dt.datetime | None) -> bool:
    moved = cutover()
    return when is not None and moved is not None and when < moved


def upgrade_member(data: dict[str, Any]) -> dict[str, Any]:
    """A member's snapshot recorded in the old codes, in today's codes."""
    out = dict(data)
    if out.get("relation") in RELATION:
        out["relation"] = RELATION[out["relation"]]
    if out.get("schooling") in SCHOOLING:
        if out["schooling"] == DROPOUT:
            out["dropout_reason"] = DROPOUT_REASON
        out["schooling"] = SCHOOLING[out["schooling"]]
    return out
