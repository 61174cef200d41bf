"""registry.services.change_status, the register writer the procedures' last steps use."""

from __future__ import annotations

import datetime as dt

import pytest

from jingzhun.core.audit import Actor
from jingzhun.core.errors import ValidationFailed
from jingzhun.core.models import ObjectChange
from jingzhun.registry.models import StatusEvent
from jingzhun.registry.services import StatusChange, change_status


def test_a_decided_status_writes_household_event_and_audit(world):
    hh = world.household_a
    change_status(
        actor=Actor.of(world.users["county_admin"]),
        change=StatusChange(
            household=hh, effective_on=dt.date(2021, 3, 1), reason="返贫认定", poverty_status="3"
        ),
    )
    hh.refresh_from_db()
    assert hh.poverty_status == "3" and hh.return_year == 2021 and hh.version == 2
    event = StatusEvent.objects.get(household=hh)
    assert event.effective_on == dt.date(2021, 3, 1) and event.reason == "返贫认定"
    line = ObjectChange.objects.get(object_type="registry.household", object_id=str(hh.pk))
    assert line.before["poverty_status"] == "1" and line.after["poverty_status"] == "3"


def test_an_unknown_code_is_refused_naming_the_field(world):
    with pytest.raises(ValidationFailed) as info:
        change_status(
            actor=Actor.of(world.users["county_admin"]),
            change=StatusChange(
                household=world.household_a, effective_on=dt.date(2021, 3, 1), reason="x", monitoring_type="7"
            ),
        )
    assert "monitoring_type" in info.value.errors
    assert not StatusEvent.objects.exists()


def test_monitoring_inclusion_and_elimination_set_their_dates(world):
    hh = world.household_a
    actor = Actor.of(world.users["county_admin"])
    change_status(
        actor=actor,
        change=StatusChange(
            household=hh,
            effective_on=dt.date(2021, 6, 10),
            reason="纳入",
            monitoring_type="1",
            risk_elimination="0",
        ),
    )
    change_status(
        actor=actor,
        change=StatusChange(
            household=hh, effective_on=dt.date(2022, 1, 5), reason="消除", risk_elimination="2"
        ),
    )
    hh.refresh_from_db()
    assert hh.monitoring_identified_on == dt.date(2021, 6, 10) and hh.risk_eliminated_on == dt.date(
        2022, 1, 5
    )
    assert list(StatusEvent.objects.values_list("risk_elimination", flat=True)) == ["0", "2"]
