"""Objects of 玉泉镇 for the isolation meta-tests (tests/test_web_isolation.py, tests/test_api_isolation.py)
and the audit meta-test (``audit_calls``).

Plain ORM rows (setting up a scene is not an audited edit), made once per test: 南山村 on 秦州区's 贫困村 list
and a village exit case of it waiting for the township's 评估上报. Who may do what (``villages.access``,
``procedures.access``):

* a village, its yearly records and its exit case are seen by the roles that read their whole jurisdiction
  (administrator, county administrator, leader, auditor of 秦州区, the 玉泉镇 officer, the 南山村 officer);
  helpers, the county's department user and the 太京镇 officer do not see them;
* the yearly record is entered, and the exit case opened and worked, by the editors among them;
* the county's 贫困村 list is changed by the administrator and the county administrator only (the 玉泉镇
  officer does not even see the county as a region).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from jingzhun.procedures.models import Case, ProcedureDefinition, StepDefinition
from jingzhun.villages.models import PoorVillage

MISSING_ID = 10**9
MISSING_VILLAGE = "620502100299"  # a well-formed 玉泉镇 village code that does not exist
MISSING_COUNTY = "620599000000"  # a well-formed 天水 county code that does not exist
OTHER_VILLAGE = "620502100202"  # 北坡村 (玉泉镇): not on the list; what the writes below try to add
READERS = {"admin", "county_admin", "township_officer", "village_officer", "leader", "auditor"}
EDITORS = {"admin", "county_admin", "township_officer", "village_officer"}
LIST_EDITORS = {"admin", "county_admin"}


def poor_village_a(world: Any) -> PoorVillage:
    """南山村 on the 贫困村 list (identified 2014, not exited)."""
    row, _ = PoorVillage.objects.get_or_create(
        village=world.household_a.village,
        defaults={"identified_year": 2014, "source_document": "秦州区贫困村名单"},
    )
    return row


def case_a(world: Any) -> Case:
    """南山村's exit case, applied for two days ago and waiting for 评估上报 (the township officer's step)."""
    village = poor_village_a(world).village
    definition = ProcedureDefinition.objects.get(kind="village_exit", region_prefix="")
    step = StepDefinition.objects.get(definition=definition, code="assessment")
    case, _ = Case.objects.get_or_create(
        village=village,
        kind="village_exit",
        state="open",
        defaults={
            "definition": definition,
            "next_step": step,
            "params": {},
            "discovered_on": timezone.localdate() - dt.timedelta(days=2),
            "opened_by": "test",
        },
    )
    return case


# Web: kwargs of each URL for the target object and for a missing one, and what is posted.


def village_kwargs(scene: Any, missing: bool) -> dict[str, Any]:
    return {"code": MISSING_VILLAGE if missing else poor_village_a(scene.world).village_id}


def record_kwargs(scene: Any, missing: bool) -> dict[str, Any]:
    return {**village_kwargs(scene, missing), "year": 2025}


def county_kwargs(scene: Any, missing: bool) -> dict[str, Any]:
    return {"code": MISSING_COUNTY if missing else scene.world.county.code}


def case_kwargs(scene: Any, missing: bool) -> dict[str, Any]:
    return {"pk": MISSING_ID if missing else case_a(scene.world).pk}


def record_form(scene: Any) -> dict[str, Any]:
    return {"version": "0", "hardened_road": "1", "collective_income": "50000", "note": "越权"}


def import_form(scene: Any) -> dict[str, Any]:
    return {"codes": OTHER_VILLAGE, "identified_year": "2014", "source_document": "越权名单"}


def open_form(scene: Any) -> dict[str, Any]:
    return {"discovered_on": timezone.localdate().isoformat()}


def step_form(scene: Any) -> dict[str, Any]:
    return {
        "action": "step",
        "version": "1",
        "step_code": "assessment",
        "sig_0": "越权",
        "ev_village_assessment": "评估报告",
    }


# API bodies (valid: the owner's call with them succeeds).


def record_body() -> dict[str, Any]:
    return {"version": 0, "hardened_road": True, "collective_income": "50000", "note": "越权"}


def import_body() -> dict[str, Any]:
    return {"codes": [OTHER_VILLAGE], "identified_year": 2014, "source_document": "越权名单"}


def open_body() -> dict[str, Any]:
    return {"discovered_on": timezone.localdate().isoformat()}


def step_body() -> dict[str, Any]:
    return {
        "step_code": "assessment",
        "version": 1,
        "signatures": [{"signer": "township", "name": "乡镇审核人"}],
        "evidence": [{"kind": "village_assessment", "name": "评估报告"}],
    }
