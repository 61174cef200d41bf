"""A random walk over the engine: step attempts by any role in any order, notices on random days,
objections and their resolutions, bulk moves. After every move the invariants must hold:

* a case is approved (and its household exited) only with every step done once, in order, each with its
  signatures and documents, every notice period complete before its step, and no open objection;
* a household that fails the criteria (unsafe drinking water for exit, no labour capacity for risk
  elimination) never reaches the state;
* a household reaches the state only through an approved case.

It runs for household exit and for risk elimination.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from jingzhun.core.audit import Actor
from jingzhun.core.errors import JingzhunError
from jingzhun.procedures import services
from jingzhun.procedures.choices import CaseState, ObjectionState
from jingzhun.procedures.models import Case, NoticeEntry, Objection, StepDefinition
from jingzhun.procedures.tests import helpers
from jingzhun.registry.choices import Attribute, LabourSkill, PovertyStatus
from jingzhun.registry.models import Household

ROLES = ["village_officer", "township_officer", "county_admin"]
EXIT_STEPS = [
    "proposal",
    "verification",
    "household_agreement",
    "village_notice",
    "county_approval",
    "announcement",
    "strike_off",
]
ELIMINATION_STEPS = ["visit", "village_notice", "county_approval", "marked"]
STEP_CODES = sorted(set(EXIT_STEPS) | set(ELIMINATION_STEPS))


def _exit_households(make_household: Any) -> tuple[Household, Household]:
    good = make_household(poverty_status="0", attribute=Attribute.GENERAL_POOR, income=5000)
    bad = make_household(poverty_status="0", attribute=Attribute.GENERAL_POOR, income=5000)
    bad.years.update(water_safe=False)
    return good, bad


def _monitored_households(make_household: Any) -> tuple[Household, Household]:
    fields = {
        "poverty_status": "1",
        "attribute": "05",
        "income": 9000,
        "year": 2021,
        "monitoring_type": "1",
        "risk_elimination": "0",
        "monitoring_identified_on": dt.date(2020, 9, 5),
    }
    return make_household(**fields), make_household(labour=LabourSkill.NONE, **fields)


# kind: (households good and bad, its steps, case params, "reached the state", first day; the monitoring
# range of 2021 is the last national one shipped, so elimination runs in 2021)
SETUPS = {
    "exit": (
        _exit_households,
        EXIT_STEPS,
        {},
        lambda hh: hh.poverty_status == PovertyStatus.EXITED_ENJOYING,
        dt.date(2019, 9, 1),
    ),
    "elimination": (
        _monitored_households,
        ELIMINATION_STEPS,
        {"mode": "1"},
        lambda hh: hh.risk_elimination == "1",
        dt.date(2021, 4, 1),
    ),
}


class EngineMachine(RuleBasedStateMachine):
    def __init__(self, world: Any, make_household: Any, kind: str) -> None:
        super().__init__()
        self.world = world
        make, self.steps, params, self.reached, self.day = SETUPS[kind]
        good, self.bad = make(make_household)
        self.cases = [helpers.open_case(world, hh, kind, self.day, **params) for hh in (good, self.bad)]

    def _case(self, i: int) -> Case:
        case = self.cases[i % len(self.cases)]
        case.refresh_from_db()
        return case

    def _actor(self, role: str) -> Actor:
        return Actor.of(self.world.users[role])

    @rule(
        i=st.integers(0, 1),
        role=st.sampled_from(ROLES),
        code=st.sampled_from(STEP_CODES),
        wait=st.integers(0, 9),
        complete=st.booleans(),
    )
    def attempt_step(self, i: int, role: str, code: str, wait: int, complete: bool) -> None:
        self.day += dt.timedelta(days=wait)
        case = self._case(i)
        step = StepDefinition.objects.filter(definition=case.definition, code=code).first()
        if step is None:
            return
        signatures = helpers.signatures_for(step) if complete else helpers.signatures_for(step)[1:]
        evidence = helpers.evidence_for(step) if complete else []
        try:
            services.complete_step(
                actor=self._actor(role),
                case=case,
                step_code=code,
                expected_version=case.version,
                on=self.day,
                signatures=signatures,
                evidence=evidence,
            )
        except JingzhunError:
            pass

    @rule(i=st.integers(0, 1), wait=st.integers(0, 9))
    def proper_step(self, i: int, wait: int) -> None:
        """The waiting step by its role with everything attached: makes progress likely."""
        self.day += dt.timedelta(days=wait)
        case = self._case(i)
        if case.next_step is None:
            return
        step = case.next_step
        if step.notice_kind:  # post the notice first, or wait for its period to end
            entry = NoticeEntry.objects.filter(case=case, active=True, notice__step_code=step.code).last()
            if entry is None:
                self.post_notice(i, 0)
                return
            self.day = max(self.day, entry.notice.end_on)
        try:
            services.complete_step(
                actor=helpers.actor_for(self.world, step),
                case=case,
                step_code=step.code,
                expected_version=case.version,
                on=self.day,
                signatures=helpers.signatures_for(step),
                evidence=helpers.evidence_for(step),
            )
        except JingzhunError:
            pass

    @rule(i=st.integers(0, 1), wait=st.integers(0, 3))
    def post_notice(self, i: int, wait: int) -> None:
        self.day += dt.timedelta(days=wait)
        case = self._case(i)
        if case.next_step is None:
            return
        try:
            helpers.post(self.world, case, self.day)
        except JingzhunError:
            pass

    @rule(i=st.integers(0, 1), offset=st.integers(-1, 8))
    def object(self, i: int, offset: int) -> None:
        case = self._case(i)
        entry = NoticeEntry.objects.filter(case=case, active=True).select_related("notice").last()
        if entry is None:
            return
        received = min(entry.notice.start_on + dt.timedelta(days=offset), helpers.today())
        try:
            services.record_objection(
                actor=self._actor("village_officer"),
                notice=entry.notice,
                case=case,
                text="群众反映情况不实",
                received_on=received,
            )
        except JingzhunError:
            pass

    @rule(upheld=st.sampled_from([False, False, False, True]), role=st.sampled_from(ROLES))
    def resolve(self, upheld: bool, role: str) -> None:
        objection = Objection.objects.filter(case__in=self.cases, state=ObjectionState.OPEN).first()
        if objection is None:
            return
        try:
            services.resolve_objection(
                actor=self._actor(role),
                objection=objection,
                upheld=upheld,
                resolution="复核结论",
                on=max(self.day, objection.received_on),
            )
        except JingzhunError:
            pass

    @rule(role=st.sampled_from(ROLES), code=st.sampled_from(STEP_CODES))
    def bulk(self, role: str, code: str) -> None:
        step = StepDefinition.objects.filter(definition=self.cases[0].definition, code=code).first()
        if step is None:
            return
        services.advance_many(
            actor=self._actor(role),
            cases=self.cases,
            step_code=code,
            on=self.day,
            signatures=helpers.signatures_for(step),
            evidence=helpers.evidence_for(step),
        )

    @invariant()
    def approved_only_through_every_step(self) -> None:
        for case in Case.objects.filter(pk__in=[c.pk for c in self.cases]):
            assert case.household_id is not None  # the machine opens household cases only
            hh = Household.objects.get(pk=case.household_id)
            assert self.reached(hh) == (case.state == CaseState.APPROVED)
            if case.state == CaseState.APPROVED:
                self._check_complete(case)
                event("a case was approved")

    @invariant()
    def a_failing_household_never_gets_there(self) -> None:
        self.bad.refresh_from_db()
        assert not self.reached(self.bad)

    def _check_complete(self, case: Case) -> None:
        done = list(case.steps.filter(superseded=False).select_related("step", "notice").order_by("pk"))
        assert [d.step.code for d in done] == self.steps
        assert not case.objections.filter(state=ObjectionState.OPEN).exists()
        dates = [d.done_on for d in done]
        assert dates == sorted(dates)
        for d in done:
            assert Counter(s["signer"] for s in d.signatures) == Counter(d.step.signature_list)
            kinds = set(d.documents.values_list("kind", flat=True))
            if d.step.notice_kind:
                assert d.notice is not None and d.notice.end_on <= d.done_on
                assert d.notice.start_on >= max(x.done_on for x in done[: done.index(d)])
                kinds |= {"notice_photo"} if d.notice.photo_id else set()
            assert set(d.step.evidence_list) <= kinds
            if d.step.require_pass:
                assert d.evaluation["passed"] is True


@pytest.mark.parametrize("kind", sorted(SETUPS))
def test_engine_invariants_under_random_moves(world, make_household, kind) -> None:
    run_state_machine_as_test(
        lambda: EngineMachine(world, make_household, kind),  # type: ignore[arg-type]  # any factory will do
        settings=settings(
            max_examples=20,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
