"""Income assessments and rigid expenses (monitoring evidence, domain.md §4.2): the services' checks, the household
page's screens and the API, including bad input (a Chinese message naming the field, nothing written, no 500)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jingzhun.accounts.services import create_api_token
from jingzhun.core.audit import Actor
from jingzhun.core.errors import ConcurrentEditError, ValidationFailed
from jingzhun.core.models import ChangeAction, ObjectChange
from jingzhun.registry import services
from jingzhun.registry.models import Household, HouseholdExpense, IncomeAssessment

API = "/api/registry"


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def household(world: Any) -> Household:
    world.household_a.refresh_from_db()
    return world.household_a


def actor(world: Any) -> Actor:
    return Actor.of(world.users["village_officer"])


def medical(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "medical",
        "incurred_on": dt.date(2025, 3, 1),
        "amount": Decimal("12000"),
        "total_cost": Decimal("50000"),
        "reimbursed": Decimal("38000"),
        "source": "medical_insurance",
        **extra,
    }


# --- services ---------------------------------------------------------------------------------------


def test_an_expense_is_added_corrected_and_deleted_with_an_audit_trail(world: Any) -> None:
    hh = household(world)
    expense = services.save_expense(
        actor=actor(world), household=hh, expected_version=hh.version, data=medical()
    )
    services.save_expense(
        actor=actor(world),
        household=hh,
        expected_version=hh.version,
        data=medical(amount=Decimal("11000")),
        expense_id=expense.pk,
    )
    services.delete_expense(
        actor=actor(world), household=hh, expected_version=hh.version, expense_id=expense.pk
    )
    assert not HouseholdExpense.objects.exists()
    trail = ObjectChange.objects.filter(object_type="registry.householdexpense").order_by("pk")
    assert [c.action for c in trail] == [ChangeAction.CREATE, ChangeAction.UPDATE, ChangeAction.DELETE]
    assert trail.last().before["amount"] == "11000" and trail.last().root_id == str(hh.pk)
    assert household(world).version == 4


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (medical(amount=Decimal("12001")), "amount", "不能大于医疗总费用减已报销金额（12,000.00 元）"),
        (medical(reimbursed=Decimal("50001")), "__all__", "已报销金额不能大于医疗总费用"),
        (medical(amount=Decimal("-1")), "amount", "计入金额"),
        (medical(kind="education"), "total_cost", "只有医疗自付才填写医疗总费用和已报销金额"),
        (medical(incurred_on=dt.date(2099, 1, 1)), "incurred_on", "发生日期不能晚于今天"),
        (medical(kind="x"), "kind", "支出类别"),
    ],
)
def test_bad_expenses_are_refused_in_chinese(
    world: Any, data: dict[str, Any], field: str, message: str
) -> None:
    hh = household(world)
    with pytest.raises(ValidationFailed) as refused:
        services.save_expense(actor=actor(world), household=hh, expected_version=hh.version, data=data)
    assert message in refused.value.message and field in refused.value.errors
    assert not HouseholdExpense.objects.exists() and household(world).version == hh.version


def test_the_compliant_self_pay_may_equal_cost_less_reimbursements(world: Any) -> None:
    hh = household(world)
    expense = services.save_expense(
        actor=actor(world), household=hh, expected_version=hh.version, data=medical()
    )
    assert expense.amount == Decimal("12000")


def test_an_income_assessment_derives_its_per_capita_figure_and_refuses_bad_periods(world: Any) -> None:
    hh = household(world)
    data = {
        "period_start": dt.date(2024, 4, 1),
        "period_end": dt.date(2025, 3, 31),
        "net_income": Decimal("20001"),
        "persons": 3,
        "source": "verified",
    }
    assessment = services.save_income_assessment(
        actor=actor(world), household=hh, expected_version=hh.version, data=data
    )
    assert assessment.per_capita_income == Decimal("6667.00")
    for bad, field, message in [
        ({**data}, "period_end", "本户已有同一期间的收入核算"),
        ({**data, "period_end": dt.date(2024, 3, 31)}, "__all__", "收入截止日期不能早于起始日期"),
        ({**data, "period_start": dt.date(2024, 1, 1), "persons": 0}, "persons", "计算人口数"),
        ({**data, "period_end": timezone.localdate() + dt.timedelta(days=1)}, "period_end", "不能晚于今天"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            services.save_income_assessment(
                actor=actor(world), household=hh, expected_version=hh.version, data=bad
            )
        assert message in refused.value.message and field in refused.value.errors, bad
    assert IncomeAssessment.objects.count() == 1
    with pytest.raises(ConcurrentEditError):
        services.save_income_assessment(
            actor=actor(world),
            household=hh,
            expected_version=1,
            data={**data, "period_start": dt.date(2024, 1, 1)},
        )


# --- the household page -----------------------------------------------------------------------------


def test_the_household_page_lists_and_links_the_evidence(client: Client, world: Any) -> None:
    hh = household(world)
    services.save_expense(actor=actor(world), household=hh, expected_version=hh.version, data=medical())
    client.force_login(world.users["village_officer"])
    page = client.get(reverse("registry:household_detail", args=[hh.pk])).content.decode()
    assert "收入核算与刚性支出" in page and "医疗自付（报销后）" in page and "12,000.00" in page
    assert reverse("registry:expense_add", args=[hh.pk]) in page and "添加收入核算" in page
    client.force_login(world.users["leader"])  # may read the household, not change it
    page = client.get(reverse("registry:household_detail", args=[hh.pk])).content.decode()
    assert "12,000.00" in page and reverse("registry:expense_add", args=[hh.pk]) not in page


def test_adding_correcting_and_deleting_an_expense_on_the_web(client: Client, world: Any) -> None:
    hh = household(world)
    client.force_login(world.users["village_officer"])
    form = {
        "version": hh.version,
        "kind": "disaster",
        "incurred_on": "2025-02-01",
        "amount": "8000",
        "source": "verified",
        "note": "冰雹毁坏大棚",
    }
    assert client.get(reverse("registry:expense_add", args=[hh.pk])).status_code == 200
    response = client.post(reverse("registry:expense_add", args=[hh.pk]), form)
    assert response.status_code == 302
    expense = HouseholdExpense.objects.get()
    assert expense.amount == Decimal("8000") and expense.note == "冰雹毁坏大棚"
    response = client.post(
        reverse("registry:expense_edit", args=[expense.pk]),
        {**form, "version": household(world).version, "amount": "7500"},
    )
    assert response.status_code == 302 and HouseholdExpense.objects.get().amount == Decimal("7500")
    confirm = client.get(reverse("registry:expense_delete", args=[expense.pk])).content.decode()
    assert "确认删除" in confirm and "灾害损失" in confirm
    response = client.post(
        reverse("registry:expense_delete", args=[expense.pk]), {"version": household(world).version}
    )
    assert response.status_code == 302 and not HouseholdExpense.objects.exists()


@pytest.mark.parametrize(
    ("changes", "shown"),
    [
        ({"amount": "很多"}, "输入一个数字"),
        ({"amount": "-5"}, "计入金额（元）"),
        ({"incurred_on": "2025-13-01"}, "输入一个有效的日期"),
        ({"kind": "", "amount": ""}, "这个字段是必填项"),
        ({"kind": "education", "total_cost": "100"}, "只有医疗自付才填写医疗总费用和已报销金额"),
        ({"total_cost": "100", "reimbursed": "50", "amount": "60"}, "不能大于医疗总费用减已报销金额"),
    ],
)
def test_bad_expense_input_on_the_web_keeps_the_input_and_says_why(
    client: Client, world: Any, changes: dict[str, str], shown: str
) -> None:
    hh = household(world)
    client.force_login(world.users["village_officer"])
    form = {
        "version": hh.version,
        "kind": "medical",
        "incurred_on": "2025-02-01",
        "amount": "8000",
        "source": "verified",
        "note": "门诊慢病",
        **changes,
    }
    response = client.post(reverse("registry:expense_add", args=[hh.pk]), form)
    text = response.content.decode()
    assert response.status_code == 422 and shown in text and "门诊慢病" in text  # typed input is kept
    assert not HouseholdExpense.objects.exists()


def test_income_assessment_on_the_web_and_a_stale_form(client: Client, world: Any) -> None:
    hh = household(world)
    client.force_login(world.users["township_officer"])
    page = client.get(reverse("registry:income_add", args=[hh.pk])).content.decode()
    assert "收入起始日期" in page and "计算人口数" in page
    form = {
        "version": hh.version,
        "period_start": "2024-03-01",
        "period_end": "2025-02-28",
        "net_income": "15000",
        "persons": "2",
        "source": "verified",
    }
    bad = client.post(reverse("registry:income_add", args=[hh.pk]), {**form, "persons": "0"})
    assert (
        bad.status_code == 422
        and "计算人口数" in bad.content.decode()
        and not IncomeAssessment.objects.exists()
    )
    assert client.post(reverse("registry:income_add", args=[hh.pk]), form).status_code == 302
    assessment = IncomeAssessment.objects.get()
    assert assessment.per_capita_income == Decimal("7500.00")
    stale = client.post(reverse("registry:income_edit", args=[assessment.pk]), {**form, "net_income": "1"})
    assert stale.status_code == 409 and IncomeAssessment.objects.get().net_income == Decimal("15000")
    page = client.get(reverse("registry:household_detail", args=[hh.pk])).content.decode()
    assert "2024-03-01 — 2025-02-28" in page and "7,500.00" in page


# --- API --------------------------------------------------------------------------------------------


def token_client(user: Any) -> Client:
    _token, raw = create_api_token(actor=Actor(user=None, name="测试"), user=user, name="测试")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_api_expenses_round_trip(world: Any) -> None:
    client = token_client(world.users["village_officer"])
    hh = household(world)
    body = {
        "version": hh.version,
        "kind": "medical",
        "incurred_on": "2025-03-01",
        "amount": "12000",
        "total_cost": "50000",
        "reimbursed": "38000",
        "source": "medical_insurance",
    }
    created = client.post(f"{API}/households/{hh.pk}/expenses", body, content_type="application/json")
    assert created.status_code == 201
    listed = created.json()
    assert listed["version"] == hh.version + 1 and listed["expenses"][0]["amount"] == "12000.00"
    expense_id = listed["expenses"][0]["id"]
    changed = client.put(
        f"{API}/expenses/{expense_id}",
        {**body, "version": listed["version"], "amount": "9000"},
        content_type="application/json",
    )
    assert changed.status_code == 200 and changed.json()["expenses"][0]["amount"] == "9000.00"
    stale = client.delete(f"{API}/expenses/{expense_id}", {"version": 1}, content_type="application/json")
    assert stale.status_code == 409 and HouseholdExpense.objects.exists()
    gone = client.delete(
        f"{API}/expenses/{expense_id}",
        {"version": changed.json()["version"]},
        content_type="application/json",
    )
    assert gone.status_code == 200 and gone.json()["expenses"] == []
    history = client.get(f"{API}/households/{hh.pk}/history").json()
    deleted = next(h for h in history if h["action"]["code"] == "delete")
    assert (
        deleted["object_label"] == "刚性支出"
        and {"field": "amount", "label": "计入金额（元）", "before": "9000", "after": None}
        in deleted["changes"]
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": "abc"}, "amount", "应为数字"),
        ({"amount": "-1"}, "amount", "不能小于 0"),
        ({"kind": "food"}, "kind", "应为以下之一"),
        ({"incurred_on": "2025-02-30"}, "incurred_on", "应为日期"),
        (
            {"amount": "100", "total_cost": "50", "reimbursed": "10"},
            "amount",
            "不能大于医疗总费用减已报销金额",
        ),
        ({"extra": 1}, "extra", ""),
    ],
)
def test_api_bad_expenses_are_a_chinese_422_that_writes_nothing(
    world: Any, changes: dict[str, Any], field: str, message: str
) -> None:
    client = token_client(world.users["village_officer"])
    hh = household(world)
    body = {
        "version": hh.version,
        "kind": "medical",
        "incurred_on": "2025-03-01",
        "amount": "1000",
        "source": "verified",
        **changes,
    }
    response = client.post(f"{API}/households/{hh.pk}/expenses", body, content_type="application/json")
    assert response.status_code == 422, response.content
    payload = response.json()
    assert field in payload["errors"] and message in "".join(payload["errors"][field])
    assert any("\u4e00" <= ch <= "\u9fff" for ch in payload["detail"])
    assert not HouseholdExpense.objects.exists() and household(world).version == hh.version


def test_api_income_assessments(world: Any) -> None:
    client = token_client(world.users["township_officer"])
    hh = household(world)
    body = {
        "version": hh.version,
        "period_start": "2024-04-01",
        "period_end": "2025-03-31",
        "net_income": "-300",
        "persons": 2,
        "source": "verified",
        "note": "经营亏损",
    }
    created = client.post(
        f"{API}/households/{hh.pk}/income-assessments", body, content_type="application/json"
    )
    assert created.status_code == 201 and created.json()["assessments"][0]["per_capita_income"] == "-150.00"
    duplicate = client.post(
        f"{API}/households/{hh.pk}/income-assessments",
        {**body, "version": created.json()["version"]},
        content_type="application/json",
    )
    assert duplicate.status_code == 422 and "同一期间" in duplicate.json()["detail"]
    bad = client.post(
        f"{API}/households/{hh.pk}/income-assessments",
        {**body, "persons": 0},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "persons" in bad.json()["errors"]
    listed = token_client(world.users["leader"]).get(f"{API}/households/{hh.pk}/income-assessments")
    assert listed.status_code == 200 and len(listed.json()["assessments"]) == 1
    refused = token_client(world.users["leader"]).post(
        f"{API}/households/{hh.pk}/income-assessments",
        {**body, "period_start": "2024-01-01"},
        content_type="application/json",
    )
    assert refused.status_code == 403 and IncomeAssessment.objects.count() == 1
