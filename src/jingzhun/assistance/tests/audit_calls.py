"""Calls of the assistance writers for ``tests/test_every_write_audited.py``.

Each imports a one-row file for, or saves one record of, the 南山村 household of the test world as the 玉泉镇
township officer, whose jurisdiction holds it (``write_template`` writes a file, not the database: it is not a writer).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jingzhun.accounts.models import User
from jingzhun.assistance import services
from jingzhun.assistance.tests.files import MEASURE_HEADERS, PAIRING_HEADERS, write_csv
from jingzhun.core.audit import Actor


def _user(actor: Actor) -> User:
    assert actor.user is not None  # the township officer
    return actor.user


def _file(name: str, headers: tuple[str, ...], row: list[Any]) -> Path:
    return write_csv(Path(tempfile.mkdtemp(prefix="jz-assistance-")) / name, headers, [row])


def _pairings(world: Any, actor: Actor) -> Any:
    path = _file(
        "pairings.csv",
        PAIRING_HEADERS,
        [
            world.household_a.household_number,
            "张建平",
            "秦州区农业农村局",
            "县直",
            "13909381234",
            "2024-03-01",
            "",
        ],
    )
    return services.import_pairings(actor=actor, user=_user(actor), path=path)


def _measures(world: Any, actor: Actor) -> Any:
    path = _file(
        "measures.csv",
        MEASURE_HEADERS,
        [world.household_a.household_number, 2025, "健康", "是", "家庭医生签约"],
    )
    return services.import_measures(actor=actor, user=_user(actor), path=path)


def _pairing(world: Any, actor: Actor) -> Any:
    world.household_a.refresh_from_db()
    return services.save_pairing(
        actor=actor,
        user=_user(actor),
        household_id=world.household_a.pk,
        expected_version=world.household_a.version,
        data={
            "helper_name": "李娜",
            "helper_unit": "玉泉镇人民政府",
            "unit_level": "4",
            "helper_phone": "",
            "started_on": "2025-01-01",
            "ended_on": None,
        },
    )


def _measure(world: Any, actor: Actor) -> Any:
    world.household_a.refresh_from_db()
    return services.save_measure(
        actor=actor,
        user=_user(actor),
        household_id=world.household_a.pk,
        expected_version=world.household_a.version,
        data={"year": 2026, "family": "05", "implemented": True, "note": "家庭医生签约"},
    )


CALLS: dict[str, Callable[[Any, Actor], Any]] = {
    "jingzhun.assistance.services.import_pairings": _pairings,
    "jingzhun.assistance.services.import_measures": _measures,
    "jingzhun.assistance.services.save_pairing": _pairing,
    "jingzhun.assistance.services.save_measure": _measure,
}
ACTORS = dict.fromkeys(CALLS, "township_officer")
# Public functions of assistance.services that write no database row.
NOT_WRITERS = {"jingzhun.assistance.services.write_template"}
