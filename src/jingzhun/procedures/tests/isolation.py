"""Objects of 玉泉镇 for the isolation meta-tests (tests/test_web_isolation.py, tests/test_api_isolation.py).

Made with plain ORM rows (setting up a scene is not an audited edit), once per test: a natural-change
case of the 南山村 household waiting for the township's review, a notice listing it and an uploaded
document of it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from jingzhun.procedures.models import (
    Case,
    Evidence,
    Notice,
    NoticeEntry,
    ProcedureDefinition,
    StepDefinition,
)

MISSING_ID = 10**9
MISSING_VILLAGE = "620502100299"  # a well-formed 玉泉镇 village code that does not exist


def case_a(household: Any) -> Case:
    definition = ProcedureDefinition.objects.get(kind="natural_change", region_prefix="")
    step = StepDefinition.objects.get(definition=definition, code="township_review")
    case, _ = Case.objects.get_or_create(
        household=household,
        kind="natural_change",
        state="open",
        defaults={
            "definition": definition,
            "next_step": step,
            "params": {"change": "birth"},
            "discovered_on": timezone.localdate() - dt.timedelta(days=2),
            "opened_by": "test",
        },
    )
    return case


def notice_a(household: Any) -> Notice:
    case = case_a(household)
    existing = Notice.objects.filter(entries__case=case).first()
    if existing is not None:
        return existing
    start = timezone.localdate() - dt.timedelta(days=1)
    notice = Notice.objects.create(
        village=household.village,
        kind="village",
        step_code="report",
        procedure_kind="natural_change",
        start_on=start,
        days=7,
        end_on=start + dt.timedelta(days=7),
        posted_by="test",
        policy={"notice_days": {"document": "测试"}},
    )
    NoticeEntry.objects.create(
        notice=notice,
        case=case,
        household_number=household.household_number,
        head_name=household.head_name,
        place="南山村",
        size=1,
        note="自然变更",
    )
    return notice


def evidence_a(household: Any) -> Evidence:
    """An uploaded application form of the case (the file goes to the test's MEDIA_ROOT)."""
    case = case_a(household)
    existing = Evidence.objects.filter(case=case).first()
    if existing is not None:
        return existing
    doc = Evidence(case=case, kind="application_form", name="申请书", added_by="test")
    doc.file.save("application.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=True)
    return doc


# Web: kwargs of each URL for the target object and for a missing one, and what is posted.


def case_kwargs(scene: Any, missing: bool) -> dict[str, Any]:
    return {"pk": MISSING_ID if missing else case_a(scene.household).pk}


def open_kwargs(scene: Any, missing: bool) -> dict[str, Any]:
    return {"household_pk": scene.missing_household if missing else scene.household.pk}


def village_kwargs(scene: Any, missing: bool) -> dict[str, Any]:
    return {"code": MISSING_VILLAGE if missing else scene.household.village_id}


def notice_kwargs(scene: Any, missing: bool) -> dict[str, Any]:
    return {"pk": MISSING_ID if missing else notice_a(scene.household).pk}


def evidence_kwargs(scene: Any, missing: bool) -> dict[str, Any]:
    return {"pk": MISSING_ID if missing else evidence_a(scene.household).pk}


def step_form(scene: Any) -> dict[str, Any]:
    return {"action": "step", "version": 1, "step_code": "township_review", "sig_0": "越权"}


def open_form(scene: Any) -> dict[str, Any]:
    return {"kind": "natural_change", "change": "birth", "discovered_on": timezone.localdate().isoformat()}


def bulk_form(scene: Any) -> dict[str, Any]:
    step = case_a(scene.household).next_step
    return {"step": step.pk if step else 0, "action": "advance", "sig_0": "越权"}


def objection_form(scene: Any) -> dict[str, Any]:
    return {"action": "objection", "case": case_a(scene.household).pk, "text": "越权异议"}
