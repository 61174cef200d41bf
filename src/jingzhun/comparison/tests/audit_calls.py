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


REGION_RULE = {
    "name": "本县自查规则",
    "category": "quality",
    "severity": "low",
    "message": "本县自查",
    "sql": "SELECT h.household_number FROM households h",
}


def _region_rule(world: Any) -> Rule:
    """A county's own rule, switched on (plain ORM: the scene, not the write under test)."""
    return Rule.objects.create(code="XZ09", region_prefix=world.county.prefix, enabled=True, **REGION_RULE)


def _threshold(world: Any, actor: Actor) -> Any:
    _rule("SJ08")  # the catalogue is there
    return services.set_region_threshold(
        actor=actor, code="SJ08", region_prefix=world.county.prefix, parameters={"income_max": "5000"}
    )


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
    "jingzhun.comparison.services.save_region_rule": lambda w, a: services.save_region_rule(
        actor=a, region_prefix=w.county.prefix, values={"code": "XZ01", **REGION_RULE}
    ),
    "jingzhun.comparison.services.switch_region_rule": lambda w, a: services.switch_region_rule(
        actor=a, rule_id=_region_rule(w).pk, enabled=False, version=1
    ),
    "jingzhun.comparison.services.set_region_threshold": _threshold,
}
# Who calls each (default: the 玉泉镇 township officer).
ACTORS = {
    "jingzhun.comparison.services.set_rule": "admin",
    "jingzhun.comparison.services.run_comparison": "county_admin",
    "jingzhun.comparison.services.raise_doubts": "county_admin",
    "jingzhun.comparison.services.save_region_rule": "county_admin",
    "jingzhun.comparison.services.switch_region_rule": "county_admin",
    "jingzhun.comparison.services.set_region_threshold": "county_admin",
}
