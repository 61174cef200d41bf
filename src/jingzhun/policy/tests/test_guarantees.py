"""The exit and elimination guarantees at their boundaries: 两不愁, 义务教育 ages 5/6/15/16, 基本医疗 with 大病保险,
住房 grade or completed renovation, the four water indicators, and 帮扶消除 with and without an implemented measure."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from jingzhun.accounts.services import create_api_token
from jingzhun.assistance.choices import MeasureFamily
from jingzhun.assistance.models import Measure
from jingzhun.core.audit import Actor
from jingzhun.core.errors import ValidationFailed
from jingzhun.policy import catalogue as c
from jingzhun.policy import services
from jingzhun.policy.criteria import evaluate_household
from jingzhun.policy.tests.test_criteria import DECIDED, by_code, poor_household
from jingzhun.procedures.choices import CaseState
from jingzhun.procedures.tests import helpers
from jingzhun.registry import idnumbers
from jingzhun.registry.choices import HousingGrade, LabourSkill, MonitoringType, PovertyStatus, Relation
from jingzhun.registry.models import Household, HouseholdYear
from jingzhun.testing.factories import MEMBER_INSURED, HouseholdYearFactory, MemberFactory


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def exit_of(hh: Household, on: dt.date = DECIDED) -> Any:
    return evaluate_household(hh, purpose="exit", on=on)


def child(hh: Household, birth: dt.date, **fields: Any) -> None:
    values = {"schooling": "", **fields}
    # the exact birth date (next_id moves the date on after every 500 numbers it gives out)
    MemberFactory(
        household=hh,
        name="李小明",
        relation=Relation.SON,
        id_number=idnumbers.make_id("620502", birth, 101),
        **MEMBER_INSURED,
        **values,
    )


def admin(world: Any) -> Actor:
    return Actor.of(world.users["admin"])


# --- 两不愁 ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("food", "clothing", "shown"),
    [
        (False, True, "不愁吃：否"),
        (None, True, "不愁吃：未填写，须核实"),
        (True, False, "不愁穿：否"),
        (True, None, "不愁穿：未填写，须核实"),
    ],
)
def test_food_or_clothing_not_secured_blocks_exit(world: Any, food: Any, clothing: Any, shown: str) -> None:
    evaluation = exit_of(poor_household(world, food_secure=food, clothing_secure=clothing))
    criterion = by_code(evaluation)["food_clothing"]
    assert not criterion.passed and shown in criterion.value and "2019年度数据" in criterion.value
    assert not evaluation.passed and "不愁吃、不愁穿" in evaluation.summary_zh()


def test_food_and_clothing_secured_passes(world: Any) -> None:
    criterion = by_code(exit_of(poor_household(world)))["food_clothing"]
    assert criterion.passed and criterion.value.startswith("不愁吃：是；不愁穿：是")


# --- 义务教育: ages 5/6/15/16 on the decision day (2020-03-01) ----------------------------------------------


@pytest.mark.parametrize(
    ("birth", "age", "checked"),
    [
        (dt.date(2014, 3, 2), 5, False),  # 6 tomorrow: not yet of compulsory age
        (dt.date(2014, 3, 1), 6, True),  # 6 today
        (dt.date(2004, 3, 2), 15, True),  # 16 tomorrow: still of compulsory age
        (dt.date(2004, 3, 1), 16, False),  # 16 today: past it
    ],
)
def test_compulsory_school_age_boundaries(world: Any, birth: dt.date, age: int, checked: bool) -> None:
    hh = poor_household(world)
    child(hh, birth)  # not a pupil
    evaluation = exit_of(hh)
    education = by_code(evaluation)["education"]
    assert education.passed is not checked and evaluation.passed is not checked
    if checked:
        assert f"李小明（{age}岁，非在校生）" in education.value
    else:
        assert education.value == "无义务教育阶段适龄成员"
    assert "6—15周岁" in education.rule and education.parameter.key == c.COMPULSORY_SCHOOL_AGE_FROM


@pytest.mark.parametrize(
    ("fields", "passed", "shown"),
    [
        ({"schooling": "03"}, True, "1名适龄成员均在校"),  # 小学
        ({"schooling": "09"}, True, "1名适龄成员均在校"),  # 九年级
        ({"schooling": "02"}, True, "1名适龄成员均在校"),  # 学前教育: receiving education
        ({"schooling": "01"}, False, "学龄前儿童，未入学"),
        ({"schooling": "07", "dropout_reason": "厌学"}, False, "失学或辍学：厌学"),
        ({"schooling": "", "dropout_reason": "重度残疾，送教上门"}, True, "1名适龄成员均在校"),
    ],
)
def test_school_attendance_codes(world: Any, fields: dict[str, str], passed: bool, shown: str) -> None:
    hh = poor_household(world)
    child(hh, dt.date(2012, 5, 1), **fields)  # 7 years old
    education = by_code(exit_of(hh))["education"]
    assert education.passed is passed and shown in education.value


def test_the_school_start_age_is_policy_data(world: Any) -> None:
    services.create_parameter(
        actor=admin(world),
        key=c.COMPULSORY_SCHOOL_AGE_FROM,
        region_prefix="62",
        effective_from=dt.date(2016, 1, 1),
        value="7",
        document="条件不具备地区推迟到七周岁入学（测试）",
    )
    hh = poor_household(world)
    child(hh, dt.date(2014, 3, 1))  # 6 today, not a pupil: not yet of compulsory age in this province
    education = by_code(exit_of(hh))["education"]
    assert education.passed and "7—15周岁" in education.rule and "区划62" in education.threshold


# --- 基本医疗 ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("insurance", "passed", "shown"),
    [
        ({"basic_medical_insurance": True, "serious_illness_insurance": True}, True, "2名成员均已参保"),
        (
            {"basic_medical_insurance": True, "serious_illness_insurance": False},
            False,
            "王秀英（未参加大病保险）",
        ),
        ({"basic_medical_insurance": True}, False, "王秀英（未填写是否参加大病保险，须核实）"),
        ({"basic_medical_insurance": False, "employee_medical_insurance": True}, True, "2名成员均已参保"),
        (
            {"basic_medical_insurance": False, "employee_medical_insurance": False},
            False,
            "王秀英（未参加基本医疗保险）",
        ),
        ({}, False, "王秀英（未填写是否参加基本医疗保险，须核实）"),
    ],
)
def test_basic_medical_care_needs_basic_and_serious_illness_insurance(
    world: Any, insurance: dict[str, bool], passed: bool, shown: str
) -> None:
    hh = poor_household(world)
    MemberFactory(household=hh, name="王秀英", relation=Relation.SPOUSE, **insurance)
    evaluation = exit_of(hh)
    medical = by_code(evaluation)["medical"]
    assert medical.passed is passed and evaluation.passed is passed and shown in medical.value
    assert "须登记参加大病保险" in medical.threshold and "待确认" in medical.threshold


def test_a_province_may_count_serious_illness_insurance_as_part_of_basic_insurance(world: Any) -> None:
    services.create_parameter(
        actor=admin(world),
        key=c.MEDICAL_REQUIRES_SERIOUS_ILLNESS,
        region_prefix="62",
        effective_from=dt.date(2016, 1, 1),
        value="0",
        document="本省大病保险随城乡居民医保参保（测试）",
    )
    hh = poor_household(world)
    MemberFactory(household=hh, name="王秀英", relation=Relation.SPOUSE, basic_medical_insurance=True)
    medical = by_code(exit_of(hh))["medical"]
    assert medical.passed and "随城乡居民医保覆盖" in medical.threshold and "57号" in medical.note


def test_the_switch_accepts_only_yes_or_no(world: Any) -> None:
    with pytest.raises(ValidationFailed, match="填1（是）或0（否）"):
        services.create_parameter(
            actor=admin(world),
            key=c.MEDICAL_REQUIRES_SERIOUS_ILLNESS,
            region_prefix="62",
            effective_from=dt.date(2016, 1, 1),
            value="2",
            document="测试",
        )
    assert c.get(c.MEDICAL_REQUIRES_SERIOUS_ILLNESS).format(1) == "是"


# --- 住房安全: grade, or a renovation completed between the grading data year (2019) and the decision (2020) --


@pytest.mark.parametrize(
    ("renovated", "passed"),
    [
        (None, False),
        (2018, False),  # before the 2019 grading that still found the house dangerous
        (2019, True),  # in the grading year
        (2020, True),  # in the decision year
        (2021, False),  # after the decision: not completed yet
    ],
)
def test_a_dangerous_house_passes_only_with_a_completed_renovation(
    world: Any, renovated: Any, passed: bool
) -> None:
    evaluation = exit_of(poor_household(world, housing_grade=HousingGrade.D, renovation_year=renovated))
    housing = by_code(evaluation)["housing"]
    assert housing.passed is passed and evaluation.passed is passed
    if passed:
        assert f"{renovated}年已完成危房改造" in housing.value
    elif renovated:
        assert "不予认可" in housing.note and str(renovated) in housing.note


def test_a_renovation_recorded_in_a_later_data_year_counts(world: Any) -> None:
    hh = poor_household(world, housing_grade=HousingGrade.C)
    HouseholdYearFactory(household=hh, year=2020, household_size=1, renovation_year=2020)
    housing = by_code(exit_of(hh, on=dt.date(2020, 6, 1)))["housing"]
    assert housing.passed and "C级" in housing.value and "2020年已完成危房改造" in housing.value


@pytest.mark.parametrize("grade", [HousingGrade.A, HousingGrade.B])
def test_a_safe_grade_needs_no_renovation(world: Any, grade: str) -> None:
    assert by_code(exit_of(poor_household(world, housing_grade=grade)))["housing"].passed


# --- 饮水安全: the four indicators ------------------------------------------------------------------------

INDICATORS = [
    ("water_quantity_ok", "水量"),
    ("water_quality_ok", "水质"),
    ("water_convenience_ok", "用水方便程度"),
    ("water_reliability_ok", "供水保证率"),
]


@pytest.mark.parametrize(("field", "label"), INDICATORS)
@pytest.mark.parametrize(("value", "shown"), [(False, "不达标"), (None, "未填写，须核实")])
def test_each_water_indicator_blocks_exit(world: Any, field: str, label: str, value: Any, shown: str) -> None:
    evaluation = exit_of(poor_household(world, **{field: value}))
    water = by_code(evaluation)["water"]
    assert not water.passed and not evaluation.passed and f"{label}{shown}" in water.value
    assert "饮水安全" in evaluation.summary_zh()


def test_all_four_indicators_met_pass(world: Any) -> None:
    water = by_code(exit_of(poor_household(world)))["water"]
    assert water.passed and "水量达标；水质达标；用水方便程度达标；供水保证率达标" in water.value
    assert "T/CHES 18-2018" in water.rule and "35升" in water.rule and "20分钟" in water.rule


def test_the_national_yes_no_fields_alone_no_longer_pass(world: Any) -> None:
    """Old data (only 是否解决安全饮用水 / 饮水是否困难): shown as they are, never converted into indicators."""
    old: dict[str, Any] = dict.fromkeys([f for f, _ in INDICATORS])
    water = by_code(exit_of(poor_household(world, **old)))["water"]
    assert not water.passed and "已解决安全饮用水、饮水不困难" in water.value
    assert "不能代替四项指标" in water.note


@pytest.mark.parametrize("old", [{"water_safe": False}, {"water_difficult": True}])
def test_indicators_contradicting_the_old_fields_must_be_verified(world: Any, old: dict[str, Any]) -> None:
    water = by_code(exit_of(poor_household(world, **old)))["water"]
    assert not water.passed and "前后不一致" in water.note


# --- the whole exit test ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("conditions", "failing"),
    [
        ({"food_secure": False}, "food_clothing"),
        ({"housing_grade": HousingGrade.C}, "housing"),
        ({"water_quality_ok": False}, "water"),
        ({"income": "3218"}, "income"),
    ],
)
def test_one_failing_item_blocks_exit(world: Any, conditions: dict[str, Any], failing: str) -> None:
    evaluation = exit_of(poor_household(world, **conditions))
    assert not evaluation.passed and [x.code for x in evaluation.failed] == [failing]


def test_guarantees_stay_reference_only_at_identification(world: Any) -> None:
    hh = poor_household(world, income="2000", status="", food_secure=None, water_quantity_ok=False)
    evaluation = evaluate_household(hh, purpose="identification", on=DECIDED)
    assert evaluation.passed and not by_code(evaluation)["food_clothing"].required


# --- 帮扶消除 needs an implemented measure; 自然消除 does not ----------------------------------------------


def monitored_2021(world: Any, *, labour: str = LabourSkill.ORDINARY) -> Household:
    """Monitored since 2021-01-05, 2021 income 9,000 above the national 2021 range (6,000)."""
    hh = poor_household(world, income="9000", year=2021, status=PovertyStatus.EXITED_ENJOYING)
    hh.members.update(labour_skill=labour)
    Household.objects.filter(pk=hh.pk).update(
        monitoring_type=MonitoringType.UNSTABLE_EXITED,
        risk_elimination="0",
        monitoring_identified_on=dt.date(2021, 1, 5),
        risk_types=["7"],
    )
    hh.refresh_from_db()
    return hh


ELIMINATED_ON = dt.date(2021, 9, 1)


@pytest.mark.parametrize(
    ("year", "implemented", "passed"),
    [
        (None, False, False),  # no measure at all
        (2021, False, False),  # planned, not implemented
        (2020, True, False),  # before the household was monitored
        (2022, True, False),  # after the decision year
        (2021, True, True),
    ],
)
def test_elimination_by_assistance_needs_an_implemented_measure_in_the_period(
    world: Any, year: Any, implemented: bool, passed: bool
) -> None:
    hh = monitored_2021(world)
    if year:
        Measure.objects.create(
            household=hh, year=year, family=MeasureFamily.EMPLOYMENT, implemented=implemented
        )
    evaluation = evaluate_household(hh, purpose="elimination", on=ELIMINATED_ON, mode="1")
    assistance = by_code(evaluation)["assistance"]
    assert assistance.required and assistance.passed is passed and evaluation.passed is passed
    assert "2021—2021年度" in assistance.rule
    if passed:
        assert assistance.value == "2021年就业"
    else:
        assert assistance.value == "监测期间没有已实施的帮扶措施"


def test_natural_elimination_needs_no_measure(world: Any) -> None:
    evaluation = evaluate_household(monitored_2021(world), purpose="elimination", on=ELIMINATED_ON, mode="2")
    assistance = by_code(evaluation)["assistance"]
    assert evaluation.passed, evaluation.summary_zh()
    assert not assistance.required and "自然消除" in assistance.note


def test_without_a_mode_the_measure_is_shown_for_reference(world: Any) -> None:
    evaluation = evaluate_household(monitored_2021(world), purpose="elimination", on=ELIMINATED_ON)
    assistance = by_code(evaluation)["assistance"]
    assert evaluation.passed and not assistance.passed and not assistance.required
    assert "未选择消除方式" in assistance.note


def test_an_unknown_mode_is_a_chinese_error(world: Any) -> None:
    with pytest.raises(ValidationFailed, match="风险消除方式无效"):
        evaluate_household(monitored_2021(world), purpose="elimination", on=ELIMINATED_ON, mode="9")


def _until_approval(world: Any, hh: Household, mode: str) -> Any:
    case = helpers.open_case(world, hh, "elimination", ELIMINATED_ON, mode=mode)
    on = ELIMINATED_ON
    case, on = helpers.do_step(world, case, on)  # 入户核实
    case, on = helpers.do_step(world, case, on)  # 民主评议、公示
    return case, on


def test_an_elimination_case_by_assistance_is_refused_at_approval_without_a_measure(world: Any) -> None:
    hh = monitored_2021(world)
    case, on = _until_approval(world, hh, "1")
    with pytest.raises(ValidationFailed, match=r"不符合政策标准.*帮扶措施"):
        helpers.do_step(world, case, on)
    Measure.objects.create(household=hh, year=2021, family=MeasureFamily.HEALTH, implemented=True)
    helpers.run_through(world, case, on)
    hh.refresh_from_db()
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED and hh.risk_elimination == "1"


def test_a_natural_elimination_case_passes_without_a_measure(world: Any) -> None:
    hh = monitored_2021(world)
    case, on = _until_approval(world, hh, "2")
    helpers.run_through(world, case, on)
    hh.refresh_from_db()
    assert hh.risk_elimination == "2"
    assert HouseholdYear.objects.filter(household=hh).count() == 1


def test_the_evaluation_api_takes_the_elimination_mode(world: Any) -> None:
    hh = monitored_2021(world)
    _token, raw = create_api_token(actor=admin(world), user=world.users["county_admin"], name="测试")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    url = f"/api/policy/households/{hh.pk}/evaluation?purpose=elimination&on=2021-09-01"
    by_assistance = client.get(url + "&mode=1").json()
    assert by_assistance["passed"] is False and "帮扶措施" in by_assistance["summary"]
    assert client.get(url + "&mode=2").json()["passed"] is True
    bad = client.get(url + "&mode=x")
    assert bad.status_code == 422 and "风险消除方式无效" in bad.json()["detail"]
