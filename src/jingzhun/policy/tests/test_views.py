"""The screens: list with filters and the 待确认 badge, detail with history, edit with 409, evaluation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from jingzhun.core.models import ObjectChange
from jingzhun.policy import catalogue as c
from jingzhun.policy.models import Parameter
from jingzhun.registry.choices import LabourSkill, PovertyStatus
from jingzhun.testing.factories import HouseholdYearFactory

pytestmark = pytest.mark.django_db


def line(year: int) -> Parameter:
    return Parameter.objects.get(key=c.POVERTY_LINE, region_prefix="", year=year)


def test_list_filters_by_key_region_and_year_and_shows_unconfirmed(client: Any, world: Any) -> None:
    client.force_login(world.users["township_officer"])
    page = client.get(reverse("policy:parameter_list"), {"key": c.POVERTY_LINE, "year": "2018"})
    body = page.content.decode()
    assert page.status_code == 200 and "2,995 元/人·年" in body and "待确认" in body and "3,218" not in body
    western = client.get(
        reverse("policy:parameter_list"), {"key": c.VILLAGE_EXIT_MAX_INCIDENCE, "region": "620502100201"}
    ).content.decode()
    assert "3%" in western and "2%" in western and "甘肃省" in western and "全国" in western
    assert "云南省" not in western


def test_list_ignores_bad_filters_with_a_notice(client: Any, world: Any) -> None:
    client.force_login(world.users["leader"])
    body = client.get(
        reverse("policy:parameter_list"), {"key": "x", "region": "12ab", "year": "20x9"}
    ).content.decode()
    assert "参数条件无效" in body and "区划代码应为" in body and "年度应为4位数字" in body


def test_htmx_gets_only_the_results(client: Any, world: Any) -> None:
    client.force_login(world.users["leader"])
    page = client.get(
        reverse("policy:parameter_list"), {"key": c.DECISION_DEADLINE_DAYS}, HTTP_HX_REQUEST="true"
    )
    assert "<html" not in page.content.decode() and "15 天" in page.content.decode()


def test_detail_shows_document_and_history_but_no_form_for_readers(client: Any, world: Any) -> None:
    client.force_login(world.users["auditor"])
    body = client.get(reverse("policy:parameter_detail", args=[line(2015).pk])).content.decode()
    assert "2015年国家扶贫标准" in body and "出厂默认值" in body and 'id="edit"' not in body


def test_admin_edits_and_the_history_shows_before_and_after(client: Any, world: Any) -> None:
    row = line(2019)
    client.force_login(world.users["admin"])
    detail = client.get(reverse("policy:parameter_detail", args=[row.pk])).content.decode()
    assert 'id="edit"' in detail
    form = {"version": row.version, "value": "3300", "document": row.document, "note": "更正"}
    response = client.post(reverse("policy:parameter_edit", args=[row.pk]), form)
    assert response.status_code == 302
    assert line(2019).value == Decimal("3300") and line(2020).value == Decimal("4000")
    detail = client.get(reverse("policy:parameter_detail", args=[row.pk])).content.decode()
    assert "3218" in detail and "3300" in detail


def test_stale_form_gets_409_and_keeps_the_newer_value(client: Any, world: Any) -> None:
    row = line(2019)
    client.force_login(world.users["admin"])
    form = {"version": row.version, "value": "3300", "document": row.document}
    assert client.post(reverse("policy:parameter_edit", args=[row.pk]), form).status_code == 302
    stale = client.post(reverse("policy:parameter_edit", args=[row.pk]), {**form, "value": "3400"})
    assert stale.status_code == 409 and "已被他人修改" in stale.content.decode()
    assert line(2019).value == Decimal("3300")


def test_bad_value_gets_422_naming_the_field(client: Any, world: Any) -> None:
    row = Parameter.objects.get(key=c.VILLAGE_EXIT_MAX_INCIDENCE, region_prefix="")
    client.force_login(world.users["admin"])
    response = client.post(
        reverse("policy:parameter_edit", args=[row.pk]),
        {"version": row.version, "value": "2", "document": "x", "effective_from": "2016-01-01"},
    )
    assert response.status_code == 422 and "0到1之间" in response.content.decode()


def test_county_admin_creates_a_county_value_but_not_a_national_one(client: Any, world: Any) -> None:
    client.force_login(world.users["county_admin"])
    form = {
        "key": c.MONITORING_LINE,
        "region_prefix": "620502",
        "year": "2024",
        "value": "7000",
        "document": "秦乡振发〔2024〕1号",
    }
    assert client.post(reverse("policy:parameter_create"), form).status_code == 302
    assert Parameter.objects.filter(key=c.MONITORING_LINE, region_prefix="620502", year=2024).exists()
    refused = client.post(reverse("policy:parameter_create"), {**form, "region_prefix": "", "year": "2023"})
    assert refused.status_code == 403 and "无权设置全国的政策参数" in refused.content.decode()
    assert not Parameter.objects.filter(key=c.MONITORING_LINE, region_prefix="", year=2023).exists()


def test_township_officer_may_not_create(client: Any, world: Any) -> None:
    client.force_login(world.users["township_officer"])
    before = ObjectChange.objects.count()
    response = client.post(
        reverse("policy:parameter_create"),
        {
            "key": c.MONITORING_LINE,
            "region_prefix": "620502100",
            "year": "2024",
            "value": "1",
            "document": "x",
        },
    )
    assert response.status_code == 403 and ObjectChange.objects.count() == before


def test_household_evaluation_page(client: Any, world: Any) -> None:
    hh = world.household_a
    hh.poverty_status = PovertyStatus.NOT_EXITED
    hh.save()
    hh.members.update(basic_medical_insurance=True, labour_skill=LabourSkill.ORDINARY)
    HouseholdYearFactory(household=hh, year=2019, household_size=1, wage_income=3218, water_safe=True)
    client.force_login(world.users["village_officer"])
    url = reverse("policy:household_evaluate", args=[hh.pk])
    body = client.get(url, {"purpose": "exit", "on": "2020-03-01"}).content.decode()
    assert "贫困户脱贫退出条件" in body and "3,218 元/人·年" in body and "不满足" in body
    assert "恰好等于标准不算超过" in body
    odd = client.get(url, {"purpose": "nonsense", "on": "2020-02-30"}).content.decode()
    assert "评估用途无效" in odd and "格式不正确" in odd


def test_evaluation_of_a_household_outside_is_404(client: Any, world: Any) -> None:
    client.force_login(world.users["township_b_officer"])
    url = reverse("policy:household_evaluate", args=[world.household_a.pk])
    assert client.get(url, {"purpose": "exit", "on": dt.date(2020, 3, 1).isoformat()}).status_code == 404


def test_evaluation_page_judges_elimination_by_the_mode_chosen(client: Any, world: Any) -> None:
    hh = world.household_a
    hh.poverty_status = PovertyStatus.EXITED_ENJOYING
    hh.monitoring_type, hh.risk_elimination = "1", "0"
    hh.save()
    client.force_login(world.users["village_officer"])
    url = reverse("policy:household_evaluate", args=[hh.pk])
    unset = client.get(url, {"purpose": "elimination", "on": "2025-03-01"}).content.decode()
    assert 'id="mode"' in unset and "帮扶消除" in unset and "（仅供参考）" in unset
    # 帮扶消除 without an implemented measure: the measure criterion now decides and fails
    chosen = client.get(url, {"purpose": "elimination", "on": "2025-03-01", "mode": "1"}).content.decode()
    assert '<option value="1" selected>' in chosen and "监测期间没有已实施的帮扶措施" in chosen
    assert "（仅供参考）" not in chosen.split("监测期间没有已实施的帮扶措施")[1][:200]
    odd = client.get(url, {"purpose": "elimination", "on": "2025-03-01", "mode": "9"}).content.decode()
    assert "风险消除方式无效" in odd
