"""Objects of 玉泉镇 for the isolation meta-tests (tests/test_web_isolation.py, tests/test_api_isolation.py).

Plain ORM rows (setting up a scene is not an audited edit), made once per test: a finished run of 玉泉镇,
an open doubt of the 南山村 household, a confirmed one with a verification file, and a department load
covering 玉泉镇 with an error report. The rules have no audience, so no department user sees the doubts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from jingzhun.comparison import services
from jingzhun.comparison.models import (
    ComparisonRun,
    DatasetLoad,
    Doubt,
    DoubtState,
    LoadState,
    Rule,
    RunState,
)

MISSING_ID = 10**9
MISSING_LOAD = "0" * 32
LOAD_ID = "c" * 32


def _rule(code: str) -> Rule:
    if not Rule.objects.filter(code=code).exists():  # a transactional test flushed the seeded catalogue
        services.sync_catalogue()
    return Rule.objects.get(code=code)


def region_rule_a(world: Any) -> Rule:
    """玉泉镇's own rule (its county administrator may change it; nobody outside 玉泉镇 and 秦州区 sees it)."""
    rule, _ = Rule.objects.get_or_create(
        code="XZ01",
        region_prefix=world.township_a.prefix,
        defaults={
            "name": "乡镇自查规则",
            "category": "quality",
            "severity": "low",
            "message": "乡镇自查",
            "sql": "SELECT h.household_number FROM households h",
        },
    )
    return rule


def region_rule_kwargs(world_or_scene: Any, missing: bool) -> dict[str, Any]:
    world = getattr(world_or_scene, "world", world_or_scene)
    return {"pk": MISSING_ID if missing else region_rule_a(world).pk}


def region_rule_form(scene: Any) -> dict[str, Any]:
    return {"action": "disable", "version": 1}


def region_rule_body() -> dict[str, Any]:
    return {
        "name": "乡镇自查规则（改）",
        "category": "quality",
        "severity": "low",
        "message": "乡镇自查",
        "sql": "SELECT h.household_number FROM households h",
        "version": 1,
    }


def run_a(world: Any) -> ComparisonRun:
    run, _ = ComparisonRun.objects.get_or_create(
        region=world.township_a,
        user_name="isolation",
        defaults={"as_of": timezone.localdate(), "state": RunState.DONE, "progress": 100, "stage": "完成"},
    )
    return run


def _doubt(world: Any, code: str, state: str) -> Doubt:
    household = world.household_a
    doubt, created = Doubt.objects.get_or_create(
        key=f"{code}:isolation",
        defaults={
            "rule": _rule(code),
            "run": run_a(world),
            "village": household.village,
            "household": household,
            "name": household.head_name,
            "id_number": "620502198001010011",
            "detail": "测试证据",
            "state": state,
        },
    )
    if created and state == DoubtState.CONFIRMED:
        doubt.verification_note = "属实"
        doubt.verification_file.save("verification.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=True)
    return doubt


def doubt_a(world: Any) -> Doubt:
    """An open doubt of the 南山村 household (rule SJ06, no audience)."""
    return _doubt(world, "SJ06", DoubtState.OPEN)


def confirmed_doubt_a(world: Any) -> Doubt:
    """A doubt of the 南山村 household verified 属实, with an uploaded file (rule SJ04, no audience)."""
    return _doubt(world, "SJ04", DoubtState.CONFIRMED)


def load_a(world: Any) -> DatasetLoad:
    """A housing load covering 玉泉镇 with an error report (the file goes to the test's MEDIA_ROOT)."""
    report = f"datasets/housing/{LOAD_ID}-errors.xlsx"
    path = Path(settings.MEDIA_ROOT) / report
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PK\x03\x04")
    load, _ = DatasetLoad.objects.get_or_create(
        id=LOAD_ID,
        defaults={
            "dataset": "housing",
            "department": "housing",
            "as_of": timezone.localdate(),
            "region_prefix": "620502100",
            "file_name": "玉泉镇危房.xlsx",
            "file_sha256": "0" * 64,
            "user_name": "isolation",
            "state": LoadState.PARTIAL,
            "rows_total": 2,
            "rows_accepted": 1,
            "rows_rejected": 1,
            "error_report": report,
        },
    )
    return load


# Web: kwargs of each URL for the target object and for a missing one, and what is posted.


def run_kwargs(scene: Any, missing: bool) -> dict[str, Any]:
    return {"pk": MISSING_ID if missing else run_a(scene.world).pk}


def doubt_kwargs(scene: Any, missing: bool) -> dict[str, Any]:
    return {"pk": MISSING_ID if missing else doubt_a(scene.world).pk}


def file_kwargs(scene: Any, missing: bool) -> dict[str, Any]:
    return {"pk": MISSING_ID if missing else confirmed_doubt_a(scene.world).pk}


def load_kwargs(scene: Any, missing: bool) -> dict[str, Any]:
    return {"load_id": MISSING_LOAD if missing else load_a(scene.world).pk}


def verify_form(scene: Any) -> dict[str, Any]:
    return {"action": "verify", "confirmed": "0", "note": "越权核实", "version": 1}
