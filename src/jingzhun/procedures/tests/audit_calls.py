"""Calls of every procedures writer for ``tests/test_every_write_audited.py``.

Each sets up its case with plain ORM rows (not audited, so the check sees only the writer's own lines)
and then calls the writer as the 玉泉镇 township officer the meta-test passes in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from jingzhun.core.audit import Actor
from jingzhun.procedures import services
from jingzhun.procedures.models import (
    Case,
    Notice,
    NoticeEntry,
    Objection,
    ProcedureDefinition,
    StepDefinition,
)
from jingzhun.procedures.services import EvidenceInput, Signature
from jingzhun.procedures.tests import helpers
from jingzhun.registry import services as registry_services
from jingzhun.registry.services import StatusChange


def _case(world: Any, kind: str, step_code: str) -> Case:
    definition = ProcedureDefinition.objects.get(kind=kind, region_prefix="")
    step = StepDefinition.objects.get(definition=definition, code=step_code)
    return Case.objects.create(
        household=world.household_a,
        kind=kind,
        definition=definition,
        next_step=step,
        discovered_on=timezone.localdate() - dt.timedelta(days=3),
        opened_by="test",
        params={"change": "birth"} if kind == "natural_change" else {"attribute": "01"},
    )


def _notice(world: Any) -> tuple[Notice, Case]:
    case = _case(world, "identification", "second_notice")
    start = timezone.localdate() - dt.timedelta(days=1)
    notice = Notice.objects.create(
        village=world.household_a.village,
        kind="second",
        step_code="second_notice",
        procedure_kind="identification",
        start_on=start,
        days=7,
        end_on=start + dt.timedelta(days=7),
        posted_by="test",
    )
    NoticeEntry.objects.create(
        notice=notice, case=case, household_number="x", head_name="x", place="x", size=1
    )
    return notice, case


def _objection(world: Any) -> Objection:
    notice, case = _notice(world)
    return Objection.objects.create(
        notice=notice,
        case=case,
        text="异议",
        received_on=notice.start_on,
        sent_back_to="township_review",
        recorded_by="test",
    )


TOWNSHIP_SIGN = [Signature("township", "乡镇审核人")]
PHOTO = EvidenceInput("notice_photo", "张贴照片")


def _status(world: Any) -> StatusChange:
    return StatusChange(
        household=world.household_a, effective_on=timezone.localdate(), reason="测试", poverty_status="3"
    )


CALLS: dict[str, Callable[[Any, Actor], Any]] = {
    "jingzhun.procedures.services.open_case": lambda w, a: services.open_case(
        actor=a,
        household=w.household_a,
        kind="natural_change",
        discovered_on=timezone.localdate(),
        params=helpers.birth(timezone.localdate()),
    ),
    "jingzhun.procedures.services.complete_step": lambda w, a: services.complete_step(
        actor=a,
        case=_case(w, "natural_change", "township_review"),
        step_code="township_review",
        expected_version=1,
        signatures=TOWNSHIP_SIGN,
    ),
    "jingzhun.procedures.services.advance_many": lambda w, a: services.advance_many(
        actor=a,
        cases=[_case(w, "natural_change", "township_review")],
        step_code="township_review",
        signatures=TOWNSHIP_SIGN,
    ),
    "jingzhun.procedures.services.post_notice": lambda w, a: services.post_notice(
        actor=a,
        village=w.household_a.village,
        cases=[_case(w, "identification", "second_notice")],
        step_code="second_notice",
        start_on=timezone.localdate(),
        photo=PHOTO,
    ),
    "jingzhun.procedures.services.attach_notice_photo": lambda w, a: services.attach_notice_photo(
        actor=a, notice=_notice(w)[0], photo=PHOTO
    ),
    "jingzhun.procedures.services.record_objection": lambda w, a: services.record_objection(
        actor=a, notice=(n := _notice(w))[0], case=n[1], text="群众反映", received_on=timezone.localdate()
    ),
    "jingzhun.procedures.services.resolve_objection": lambda w, a: services.resolve_objection(
        actor=a, objection=_objection(w), upheld=False, resolution="不成立"
    ),
    "jingzhun.procedures.services.reject_case": lambda w, a: services.reject_case(
        actor=a, case=_case(w, "natural_change", "township_review"), expected_version=1, reason="不符合"
    ),
    "jingzhun.procedures.services.withdraw_case": lambda w, a: services.withdraw_case(
        actor=a, case=_case(w, "natural_change", "township_review"), expected_version=1, reason="撤回"
    ),
    "jingzhun.registry.services.change_status": lambda w, a: registry_services.change_status(
        actor=a, change=_status(w)
    ),
    "jingzhun.registry.services.change_status_many": lambda w, a: registry_services.change_status_many(
        actor=a, changes=[_status(w)]
    ),
}
