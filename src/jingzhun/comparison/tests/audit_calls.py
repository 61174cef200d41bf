"""Calls of the comparison's writers for ``tests/test_every_write_audited.py``.

Each sets up what it needs with plain ORM rows (not audited, so the check sees only the writer's own
lines) and calls the writer as the user ``ACTORS`` names: the rule catalogue is the administrator's, a
run the county administrator's; the township officer verifies and resolves.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import Any

from django.test import override_settings

from jingzhun.comparison import services
from jingzhun.comparison.models import Doubt, DoubtState, Rule
from jingzhun.comparison.tests import helpers, isolation
from jingzhun.core.audit import Actor


def _run(world: Any, actor: Actor) -> Any:
    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        return services.run_comparison(actor=actor, region=world.county)


def _confirmed(world: Any) -> Doubt:
    doubt = isolation.doubt_a(world)
    Doubt.objects.filter(pk=doubt.pk).update(state=DoubtState.CONFIRMED)
    return doubt


def _rule(code: str) -> Rule:
    return isolation._rule(code)


CALLS: dict[str, Callable[[Any, Actor], Any]] = {
    "jingzhun.comparison.services.set_rule": lambda w, a: services.set_rule(
        actor=a, code="SJ08", enabled=False, parameters={"income_max": 90000}, version=_rule("SJ08").version
    ),
    "jingzhun.comparison.services.run_comparison": _run,
    "jingzhun.comparison.services.raise_doubts": lambda w, a: helpers.raise_doubts(
        w.county, [helpers.finding("SJ08", w.household_a)], user=a.user
    ),
    "jingzhun.comparison.services.verify": lambda w, a: services.verify(
        actor=a, doubt_id=isolation.doubt_a(w).pk, confirmed=False, note="部门数据有误", version=1
    ),
    "jingzhun.comparison.services.resolve": lambda w, a: services.resolve(
        actor=a, doubt_id=_confirmed(w).pk, note="已更正致贫原因", version=1
    ),
}
# Who calls each (default: the 玉泉镇 township officer).
ACTORS = {
    "jingzhun.comparison.services.set_rule": "admin",
    "jingzhun.comparison.services.run_comparison": "county_admin",
    "jingzhun.comparison.services.raise_doubts": "county_admin",
}
