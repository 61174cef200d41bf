"""Calls of the poor-village writers for ``tests/test_every_write_audited.py``, and of the procedure engine's
``open_village_case`` (its subject must be on the 贫困村 list first).

南山村 is put on 秦州区's list with a plain ORM row (``isolation.poor_village_a``: setting up is not an audited
edit); each writer is then called by the role that calls it in the application: the county administrator
changes the list and files the exit (备案销号), the 南山村 officer enters the yearly record, the 玉泉镇
officer opens the exit case.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone

from jingzhun.core.audit import Actor
from jingzhun.procedures import services as procedure_services
from jingzhun.procedures.choices import ProcedureKind
from jingzhun.villages import services
from jingzhun.villages.tests.isolation import OTHER_VILLAGE, poor_village_a


def _add(world: Any, actor: Actor) -> Any:
    return services.add_poor_village(
        actor=actor,
        village=world.villages[OTHER_VILLAGE],
        identified_year=2014,
        source_document="秦州区贫困村名单",
    )


def _import(world: Any, actor: Actor) -> Any:
    result = services.import_poor_villages(
        actor=actor,
        county=world.county,
        text=f"村代码\n{OTHER_VILLAGE}",
        identified_year=2014,
        source_document="秦州区贫困村名单",
    )
    assert [row.village_id for row in result.created] == [OTHER_VILLAGE]
    return result.created[0]


def _update(world: Any, actor: Actor) -> Any:
    return services.update_poor_village(
        actor=actor,
        poor_village=poor_village_a(world),
        expected_version=1,
        data={"source_document": "秦州区贫困村名单（调整）"},
    )


def _exit(world: Any, actor: Actor) -> Any:
    return services.record_exit(
        actor=actor, village=poor_village_a(world).village, year=timezone.localdate().year
    )


def _record(world: Any, actor: Actor) -> Any:
    return services.save_village_year(
        actor=actor,
        village=world.household_a.village,
        year=2025,
        data={"hardened_road": True, "collective_income": "52000"},
    )


def _open(world: Any, actor: Actor) -> Any:
    return procedure_services.open_village_case(
        actor=actor,
        village=poor_village_a(world).village,
        kind=ProcedureKind.VILLAGE_EXIT,
        discovered_on=timezone.localdate(),
    )


CALLS: dict[str, Callable[[Any, Actor], Any]] = {
    "jingzhun.villages.services.add_poor_village": _add,
    "jingzhun.villages.services.import_poor_villages": _import,
    "jingzhun.villages.services.update_poor_village": _update,
    "jingzhun.villages.services.record_exit": _exit,
    "jingzhun.villages.services.save_village_year": _record,
    "jingzhun.procedures.services.open_village_case": _open,
}
ACTORS = {
    "jingzhun.villages.services.add_poor_village": "county_admin",
    "jingzhun.villages.services.import_poor_villages": "county_admin",
    "jingzhun.villages.services.update_poor_village": "county_admin",
    "jingzhun.villages.services.record_exit": "county_admin",
    "jingzhun.villages.services.save_village_year": "village_officer",
    "jingzhun.procedures.services.open_village_case": "township_officer",
}
# Public functions of villages.services that write nothing: reading the codes of a pasted or uploaded list.
NOT_WRITERS = {"jingzhun.villages.services.parse_codes"}
