"""Driving cases through their steps in tests: the right user, signatures and documents for each step."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from jingzhun.core.audit import Actor
from jingzhun.procedures import services
from jingzhun.procedures.choices import CaseState, EvidenceKind, Signer
from jingzhun.procedures.models import Case, StepDefinition
from jingzhun.procedures.services import EvidenceInput, Signature
from jingzhun.registry import idnumbers
from jingzhun.registry.choices import Relation

_born = itertools.count(1)

# The world user who does a step of each role (all in 玉泉镇 / 南山村).
USER_FOR_ROLE = {
    "village_officer": "village_officer",
    "township_officer": "township_officer",
    "county_admin": "county_admin",
}


def today() -> dt.date:
    return timezone.localdate()


def actor_for(world: Any, step: StepDefinition) -> Actor:
    return Actor.of(world.users[USER_FOR_ROLE[step.role_list[0]]])


def signatures_for(step: StepDefinition) -> list[Signature]:
    return [Signature(s, f"{Signer(s).label}{i}") for i, s in enumerate(step.signature_list)]


def evidence_for(step: StepDefinition) -> list[EvidenceInput]:
    return [EvidenceInput(k, f"{EvidenceKind(k).label}（存档）") for k in step.evidence_list]


def post(world: Any, case: Case, on: dt.date) -> Any:
    step = case.next_step
    assert step is not None
    return services.post_notice(
        actor=actor_for(world, step),
        village=case.household.village,
        cases=[case],
        step_code=step.code,
        start_on=on,
        photo=EvidenceInput("notice_photo", "张贴照片"),
    )


def do_step(world: Any, case: Case, on: dt.date, **kwargs: Any) -> tuple[Case, dt.date]:
    """Do the waiting step (posting its notice first if it is a notice step); returns the case and the day."""
    case.refresh_from_db()
    step = case.next_step
    assert step is not None
    if step.notice_kind:
        on = post(world, case, on).end_on
    services.complete_step(
        actor=actor_for(world, step),
        case=case,
        step_code=step.code,
        expected_version=case.version,
        on=on,
        signatures=signatures_for(step),
        evidence=evidence_for(step),
        **kwargs,
    )
    case.refresh_from_db()
    return case, on


def run_through(world: Any, case: Case, start: dt.date) -> dt.date:
    on = start
    while case.state == CaseState.OPEN:
        case, on = do_step(world, case, on)
    return on


def open_case(world: Any, household: Any, kind: str, discovered_on: dt.date, **params: Any) -> Case:
    return services.open_case(
        actor=Actor.of(world.users["village_officer"]),
        household=household,
        kind=kind,
        discovered_on=discovered_on,
        params=params,
    )


def birth(on: dt.date, name: str = "新生儿") -> dict[str, Any]:
    """The params of a complete 出生 natural change on ``on`` (the child's ID number gives that birth date)."""
    return {
        "change": "birth",
        "event_on": on.isoformat(),
        "note": "出生医学证明",
        "new_member": {"name": name, "id_number": born_on(on), "relation": Relation.SON},
    }


def born_on(on: dt.date, male: bool = True) -> str:
    """A valid ID number of someone born on ``on`` exactly (``next_id`` drifts a day every 500 numbers)."""
    return idnumbers.make_id("620502", on, (next(_born) * 2 + (1 if male else 0)) % 1000)
