"""Each procedure kind from application to announcement, and what its last step does to the register."""

from __future__ import annotations

import datetime as dt

from jingzhun.core.models import ObjectChange
from jingzhun.procedures.choices import CaseState
from jingzhun.procedures.models import CaseStep
from jingzhun.procedures.tests import helpers
from jingzhun.registry import selectors as registry_selectors
from jingzhun.registry.choices import Attribute, MonitoringType, PovertyStatus, RiskElimination


def test_identification_two_notices_one_announcement_makes_a_poor_household(world, make_household):
    # given an ordinary household of 南山村 whose 2018 income is below the 2019 line
    hh = make_household(income=1500)
    case = helpers.open_case(world, hh, "identification", dt.date(2019, 3, 1))
    # when it goes through every step, notices included
    end = helpers.run_through(world, case, dt.date(2019, 3, 2))
    # then it is a registered poor household from the announcement on, and the history says so
    case.refresh_from_db()
    hh.refresh_from_db()
    assert case.state == CaseState.APPROVED and case.effective_on == end
    assert hh.poverty_status == PovertyStatus.NOT_EXITED and hh.attribute == Attribute.GENERAL_POOR
    assert hh.first_identified_on == end
    assert registry_selectors.status_on(hh, end).poverty_status == PovertyStatus.NOT_EXITED
    assert registry_selectors.status_on(hh, end - dt.timedelta(days=1)) is None
    codes = list(CaseStep.objects.filter(case=case).values_list("step__code", flat=True))
    assert codes == [
        "application",
        "appraisal",
        "first_notice",
        "township_review",
        "second_notice",
        "county_approval",
        "announcement",
    ]
    assert ObjectChange.objects.filter(object_type="procedures.casestep").count() == 7


def test_exit_needs_the_household_signature_and_strikes_it_off(world, poor_household):
    case = helpers.open_case(world, poor_household, "exit", dt.date(2019, 9, 1))
    end = helpers.run_through(world, case, dt.date(2019, 9, 2))
    poor_household.refresh_from_db()
    assert poor_household.poverty_status == PovertyStatus.EXITED_ENJOYING
    assert poor_household.attribute == Attribute.GENERAL_EXITED and poor_household.exit_year == 2019
    agreement = CaseStep.objects.get(case=case, step__code="household_agreement")
    assert agreement.signatures[0]["signer"] == "household"
    approval = CaseStep.objects.get(case=case, step__code="county_approval")
    assert approval.evaluation["passed"] is True
    assert approval.evaluation["criteria"][1]["parameter"]["value"] == "2995"  # 2018 income vs the 2018 line
    assert registry_selectors.status_on(poor_household, end).poverty_status == PovertyStatus.EXITED_ENJOYING


def test_return_to_poverty(world, make_household):
    hh = make_household(
        poverty_status=PovertyStatus.EXITED_ENJOYING,
        attribute=Attribute.GENERAL_EXITED,
        income=1200,
        exit_year=2017,
    )
    case = helpers.open_case(world, hh, "return", dt.date(2019, 4, 1))
    helpers.run_through(world, case, dt.date(2019, 4, 1))
    hh.refresh_from_db()
    assert hh.poverty_status == PovertyStatus.RETURNED and hh.attribute == Attribute.GENERAL_POOR
    assert hh.return_year == 2019


def test_natural_change_is_report_review_approval_and_changes_members_not_status(world, poor_household):
    case = helpers.open_case(
        world,
        poor_household,
        "natural_change",
        dt.date(2020, 5, 1),
        **helpers.birth(dt.date(2020, 4, 28), "王小宝"),
    )
    helpers.run_through(world, case, dt.date(2020, 5, 2))
    case.refresh_from_db()
    poor_household.refresh_from_db()
    assert case.state == CaseState.APPROVED and case.steps.count() == 3
    assert poor_household.poverty_status == PovertyStatus.NOT_EXITED
    assert poor_household.members.get(name="王小宝").joined_on == dt.date(2020, 4, 28)


def test_monitoring_inclusion_one_notice_and_a_deadline(world, make_household):
    hh = make_household(
        poverty_status=PovertyStatus.EXITED_ENJOYING,
        attribute=Attribute.GENERAL_EXITED,
        income=5000,
        year=2021,
    )
    case = helpers.open_case(world, hh, "monitoring", dt.date(2021, 6, 1), monitoring_type="1")
    assert case.deadline == dt.date(2021, 6, 16)
    assert case.policy["deadline"]["value"] == "15"
    helpers.run_through(world, case, dt.date(2021, 6, 1))
    hh.refresh_from_db()
    assert hh.monitoring_type == MonitoringType.UNSTABLE_EXITED
    assert hh.risk_elimination == RiskElimination.NOT_ELIMINATED
    assert case.notice_entries.count() == 1  # notice only once, in the village


def test_elimination_by_assistance(world, make_household):
    hh = make_household(
        poverty_status=PovertyStatus.EXITED_ENJOYING,
        attribute=Attribute.GENERAL_EXITED,
        income=9000,
        year=2021,
        monitoring_type="1",
        risk_elimination="0",
        monitoring_identified_on=dt.date(2021, 1, 5),
    )
    case = helpers.open_case(world, hh, "elimination", dt.date(2021, 9, 1), mode="1")
    helpers.run_through(world, case, dt.date(2021, 9, 1))
    hh.refresh_from_db()
    assert hh.risk_elimination == RiskElimination.BY_ASSISTANCE and hh.risk_eliminated_on is not None
