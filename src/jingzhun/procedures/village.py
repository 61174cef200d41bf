"""What differs when a case's subject is a village (贫困村退出, domain.md §3.3) rather than a household.

The engine (``services``) runs village cases with the same steps, signatures, documents, notices,
objections and locks as household cases; it calls this module at the few points where the subject
matters: opening, the refusal before the last step, the criteria evaluated, the notice entry, and the
last step's effect — 备案销号 sets the village's exit year on the 贫困村 register (``jingzhun.villages``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from jingzhun.accounts.models import User
from jingzhun.core import audit
from jingzhun.core.errors import ValidationFailed
from jingzhun.core.models import ChangeAction
from jingzhun.procedures.choices import CaseState, ProcedureKind
from jingzhun.procedures.models import Case, NoticeEntry
from jingzhun.regions.choices import Level
from jingzhun.regions.models import Region

VILLAGE_KINDS = frozenset({ProcedureKind.VILLAGE_EXIT})
MAX_SIZE = 32767  # NoticeEntry.size is a small integer


def refusal(kind: str, village: Region) -> str | None:
    """Why this village cannot go through this kind of procedure now (None if it can)."""
    from jingzhun.villages.models import PoorVillage

    if kind not in VILLAGE_KINDS:
        return f"「{ProcedureKind(kind).label}」的对象是农户，不是村"
    if village.level != Level.VILLAGE:
        return f"{village.name}不是行政村"
    entry = PoorVillage.objects.filter(village=village).first()
    if entry is None:
        return f"{village.name}不在贫困村名单中，不能办理贫困村退出"
    if entry.exit_year is not None:
        return f"{village.name}已于{entry.exit_year}年退出（出列），不能重复办理"
    return None


def open_case(*, actor: audit.Actor, village: Region, kind: str, discovered_on: dt.date, user: User) -> Case:
    """Open a village case (called by ``services.open_village_case`` after its checks of the user)."""
    from jingzhun.procedures.selectors import definition_for

    definition = definition_for(kind, village.code)
    refused = refusal(kind, village)
    if refused:
        raise ValidationFailed(refused)
    if Case.objects.filter(village=village, kind=kind, state=CaseState.OPEN).exists():
        raise ValidationFailed(f"该村已有办理中的「{definition.get_kind_display()}」案件")
    steps = list(definition.steps.order_by("order"))
    case = Case.objects.create(
        village=village,
        kind=kind,
        definition=definition,
        next_step=steps[0],
        params={},
        discovered_on=discovered_on,
        opened_by=actor.name,
    )
    audit.record(actor, ChangeAction.CREATE, case)
    return case


def evaluation(case: Case, on: dt.date) -> Any:
    """The village exit standard on the step's day (the year of the step)."""
    from jingzhun.policy.criteria import evaluate_village_exit

    assert case.village is not None
    return evaluate_village_exit(case.village, year=on.year)


def close(actor: audit.Actor, case: Case, effective_on: dt.date) -> None:
    """备案销号: the register's exit year is the year the decision takes effect."""
    from jingzhun.villages.services import record_exit

    assert case.village is not None
    record_exit(actor=actor, village=case.village, year=effective_on.year, root=case)


def label(case: Case) -> str:
    """The subject as a notice or a bulk result names it: the household number or the village code."""
    return case.household.household_number if case.household is not None else str(case.village_id)


def subject_code(case: Case) -> str:
    """The village code of the subject (the household's village for household cases)."""
    return case.household.village_id if case.household is not None else str(case.village_id)


def notice_entry(notice: Any, case: Case) -> NoticeEntry:
    """A village on a notice: its code in the number column, its name, its township and rural population."""
    village = case.village
    assert village is not None
    township = village.parent.name if village.parent is not None else ""
    return NoticeEntry(
        notice=notice,
        case=case,
        household_number=village.code,
        head_name=village.name[:50],
        place=f"{township}{village.name}"[:120],
        size=min(village.rural_population or 0, MAX_SIZE),
        note="拟退出（出列）",
    )
