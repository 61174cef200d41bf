"""Services: the one writer of the register — validated, optimistic-locked, audited."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jingzhun.core.audit import Actor
from jingzhun.core.errors import ConcurrentEditError, ValidationFailed
from jingzhun.core.models import ObjectChange
from jingzhun.registry import idnumbers, income, services
from jingzhun.registry.choices import Relation
from jingzhun.registry.models import HouseholdYear, Member, StatusEvent
from jingzhun.testing.factories import next_id


@pytest.fixture
def actor(world):
    return Actor.of(world.users["township_officer"])


def test_update_household_audits_before_and_after_and_bumps_version(world, actor):
    hh = world.household_a
    services.update_household(actor=actor, household=hh, expected_version=1, data={"phone": "13800000000"})
    change = ObjectChange.objects.filter(object_type="registry.household", object_id=str(hh.pk)).latest("id")
    assert change.before["phone"] == "" and change.after["phone"] == "13800000000"
    assert change.user_name == "township_officer"
    hh.refresh_from_db()
    assert hh.version == 2


def test_stale_version_is_refused_and_nothing_changes(world, actor):
    hh = world.household_a
    services.update_household(actor=actor, household=hh, expected_version=1, data={"phone": "1"})
    with pytest.raises(ConcurrentEditError):
        services.update_household(actor=actor, household=hh, expected_version=1, data={"phone": "2"})
    hh.refresh_from_db()
    assert hh.phone == "1" and hh.version == 2


def test_unchanged_save_writes_no_version_and_no_audit(world, actor):
    hh = world.household_a
    count = ObjectChange.objects.count()
    services.update_household(actor=actor, household=hh, expected_version=1, data={"phone": hh.phone})
    hh.refresh_from_db()
    assert hh.version == 1 and ObjectChange.objects.count() == count


def test_status_change_records_a_status_event(world, actor):
    hh = world.household_a
    services.update_household(actor=actor, household=hh, expected_version=1, data={"poverty_status": "4"})
    event = StatusEvent.objects.filter(household=hh).latest("id")
    assert event.poverty_status == "4" and event.effective_on == dt.date.today()


@pytest.mark.parametrize(
    "data,words",
    [
        ({"other_causes": ["1", "98"]}, "无效代码"),
        ({"other_causes": ["2", "3", "4"]}, "最多 2 项"),
        ({"main_cause": "1", "other_causes": ["1"]}, "重复"),
        ({"village": "620502101201"}, "不能修改"),
    ],
)
def test_household_validation(world, actor, data, words):
    with pytest.raises(ValidationFailed) as exc:
        services.update_household(actor=actor, household=world.household_a, expected_version=1, data=data)
    assert words in exc.value.message


def test_member_id_change_rederives_sex_and_birth_and_keeps_one_household(world, actor):
    member = world.household_a.members.get()
    new_id = idnumbers.make_id("620502", dt.date(1990, 1, 2), 998)  # even sequence: female
    services.update_member(actor=actor, member=member, expected_version=1, data={"id_number": new_id.lower()})
    member.refresh_from_db()
    assert member.id_number == new_id and member.sex == "2" and member.birth_date == dt.date(1990, 1, 2)
    other = world.household_b.members.get()
    with pytest.raises(ValidationFailed) as exc:
        services.update_member(actor=actor, member=other, expected_version=1, data={"id_number": new_id})
    assert "一人只能在一户" in exc.value.message


def test_bad_id_and_months_are_refused_in_chinese(world, actor):
    member = world.household_a.members.get()
    with pytest.raises(ValidationFailed) as exc:
        services.update_member(actor=actor, member=member, expected_version=1, data={"id_number": "123"})
    assert "长度" in exc.value.message or "位" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        services.update_member(actor=actor, member=member, expected_version=1, data={"migrant_months": 13})
    assert "12" in exc.value.message


def test_second_head_and_double_leave_are_refused(world, actor):
    hh = world.household_a
    with pytest.raises(ValidationFailed):
        services.add_member(
            actor=actor,
            household=hh,
            expected_version=1,
            person_number="X1",
            data={"name": "新户主", "relation": Relation.HEAD, "id_number": next_id()},
        )
    son = services.add_member(
        actor=actor,
        household=hh,
        expected_version=1,
        person_number="X2",
        data={"name": "儿子", "relation": Relation.SON, "id_number": next_id()},
    )
    services.remove_member(
        actor=actor, member=son, expected_version=2, reason="death", left_on=dt.date.today()
    )
    with pytest.raises(ValidationFailed) as exc:
        services.remove_member(
            actor=actor, member=son, expected_version=3, reason="death", left_on=dt.date.today()
        )
    assert "重复减员" in exc.value.message
    assert Member.objects.get(pk=son.pk).leave_reason == "death"


def test_save_year_derives_income(world, actor):
    record = services.save_year(
        actor=actor,
        household=world.household_a,
        expected_version=1,
        year=2024,
        data={
            "household_size": 3,
            "wage_income": 9000,
            "business_income": 3000,
            "business_expense": 1000,
            "dibao_income": 1500,
        },
    )
    assert record.net_income == 12500 and str(record.per_capita_net_income) == "4166.67"
    assert HouseholdYear.objects.filter(household=world.household_a, year=2024).exists()


money = st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(values=st.fixed_dictionaries({k: money for k in income.INPUT_FIELDS}), size=st.integers(1, 12))
def test_income_identity(values, size):
    totals = income.compute(values, size)
    gross = sum(values[k] for k in income.INPUT_FIELDS if k != "business_expense")
    assert totals["net_income"] == gross - values["business_expense"]
    assert abs(totals["per_capita_net_income"] * size - totals["net_income"]) <= size * 0.005 + 0.01


@settings(max_examples=150, deadline=None)
@given(values=st.fixed_dictionaries({k: money for k in income.INPUT_FIELDS}), size=st.integers(0, 12))
def test_sql_totals_agree_with_python(values, size):
    import duckdb

    con = duckdb.connect()
    names = list(income.INPUT_FIELDS)
    con.execute(f"CREATE TABLE t ({', '.join(f'{n} DECIMAL(14, 2)' for n in names)}, size INTEGER)")
    con.execute(
        f"INSERT INTO t VALUES ({', '.join('?' * (len(names) + 1))})", [*(values[n] for n in names), size]
    )
    exprs = income.sql_totals(lambda n: n, "size")
    row = con.execute(
        f"SELECT {', '.join(f'CAST({e} AS VARCHAR)' for e in exprs.values())} FROM t"
    ).fetchone()
    python = income.compute(values, size)
    assert dict(zip(exprs, row, strict=True)) == {k: f"{python[k]:.2f}" for k in exprs}
