"""Time: status as of a date comes from the decision's effective date; stored decisions keep their numbers."""

from __future__ import annotations

import datetime as dt

from jingzhun.core.audit import Actor
from jingzhun.policy import services as policy_services
from jingzhun.policy.models import Parameter
from jingzhun.procedures import selectors
from jingzhun.procedures.models import CaseStep
from jingzhun.procedures.tests import helpers
from jingzhun.registry import selectors as registry_selectors
from jingzhun.registry.choices import PovertyStatus


def test_the_final_step_can_take_effect_on_the_decided_date(world, poor_household):
    case = helpers.open_case(world, poor_household, "exit", dt.date(2019, 9, 1))
    on = dt.date(2019, 9, 1)
    while case.next_step.code != "strike_off":
        case, on = helpers.do_step(world, case, on)
    helpers.do_step(world, case, on, effective_on=dt.date(2019, 12, 31))
    case.refresh_from_db()
    assert case.effective_on == dt.date(2019, 12, 31)
    assert registry_selectors.status_on(poor_household, dt.date(2019, 12, 30)) is None
    assert registry_selectors.status_on(poor_household, dt.date(2019, 12, 31)).poverty_status == "1"


def test_editing_a_policy_number_later_changes_no_stored_decision(world, poor_household):
    # given an exit decided in 2019 on the 2018 line (2,995 yuan), income 5,000
    case = helpers.open_case(world, poor_household, "exit", dt.date(2019, 9, 1))
    helpers.run_through(world, case, dt.date(2019, 9, 1))
    approval = CaseStep.objects.get(case=case, step__code="county_approval")
    stored = approval.evaluation
    # when someone raises the 2018 line above the household's income
    line = Parameter.objects.get(key="poverty_line", region_prefix="", year=2018)
    policy_services.update_parameter(
        actor=Actor.of(world.users["admin"]),
        parameter=line,
        expected_version=line.version,
        data={"value": "6000"},
    )
    # then the stored decision is unchanged and still explained by 2,995 …
    approval.refresh_from_db()
    assert approval.evaluation == stored
    income = next(c for c in approval.evaluation["criteria"] if c["code"] == "income")
    assert income["parameter"]["value"] == "2995"
    poor_household.refresh_from_db()
    assert poor_household.poverty_status == PovertyStatus.EXITED_ENJOYING
    # … and the annual replay says it would not hold under today's number
    [decision] = selectors.decisions(world.users["county_admin"], 2019)
    assert decision.case == case and decision.parameters[0]["value"] == "2995"
    [replayed] = selectors.replay(world.users["county_admin"], 2019)
    assert replayed.passed_then and not replayed.passed_now and not replayed.still_holds
    assert "收入" in replayed.changed[0]


def test_replay_of_an_unchanged_year_holds(world, poor_household):
    case = helpers.open_case(world, poor_household, "exit", dt.date(2019, 9, 1))
    helpers.run_through(world, case, dt.date(2019, 9, 1))
    [replayed] = selectors.replay(world.users["county_admin"], 2019)
    assert replayed.still_holds
    assert selectors.replay(world.users["township_b_officer"], 2019) == []
