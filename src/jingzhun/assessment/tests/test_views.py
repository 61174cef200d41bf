"""The assessment's pages: draw, sample, printed lists (read back), results from a phone, estimates."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import openpyxl
import pytest
from django.urls import reverse

from jingzhun.assessment import printing, services
from jingzhun.assessment.choices import Group, SurveyState
from jingzhun.assessment.models import Interview, SampledHousehold, Survey
from jingzhun.core.audit import Actor
from jingzhun.core.models import ObjectChange
from jingzhun.registry.models import Member

TODAY = dt.date.today().isoformat()
DRAW = {
    "year": 2025,
    "seed": 20171101,
    "name": "",
    "poor": 3,
    "non_poor": 2,
    "households_per_village": 10,
    "ratio": "5:3:2",
    "stratum_rule": "incidence",
    "poor_village_factor": "2",
    "poor_villages": "",
}


def _survey(assessed: Any) -> Survey:
    return services.draw_survey(
        actor=Actor.of(assessed.users["county_admin"]),
        county=assessed.county,
        year=2025,
        seed=3,
        design={"villages": {"poor": 3, "non_poor": 2}},
    )


def _login(client: Any, assessed: Any, name: str) -> Any:
    client.force_login(assessed.users[name])
    return client


def test_a_county_admin_draws_a_sample_from_the_form(client, assessed):
    _login(client, assessed, "county_admin")
    assert client.get(reverse("assessment:survey_list")).status_code == 200
    page = client.get(reverse("assessment:survey_create"))
    assert page.status_code == 200 and "5:3:2" in page.content.decode()
    response = client.post(reverse("assessment:survey_create"), DRAW | {"county": assessed.county.code})
    survey = Survey.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "assessment:survey_detail", args=[survey.pk]
    )
    assert survey.seed == 20171101 and survey.villages.count() == 5
    detail = client.get(response["Location"]).content.decode()
    assert "20171101" in detail and survey.villages.first().village.name in detail
    assert 'id="redraw"' in detail and 'id="close"' in detail


def test_a_bad_design_is_shown_on_the_form(client, assessed):
    _login(client, assessed, "county_admin")
    response = client.post(
        reverse("assessment:survey_create"), DRAW | {"county": assessed.county.code, "ratio": "5:3"}
    )
    assert response.status_code == 422 and "5:3:2" in response.content.decode()
    response = client.post(reverse("assessment:survey_create"), DRAW | {"county": "620503000000"})
    assert response.status_code == 422  # not one of the choices
    assert not Survey.objects.exists()


def test_only_county_admins_may_draw(client, assessed):
    for name in ("leader", "township_officer"):
        _login(client, assessed, name)
        assert client.get(reverse("assessment:survey_create")).status_code == 403


def test_the_nav_shows_the_survey_to_assessors_only(client, assessed):
    link = reverse("assessment:survey_list")
    for name, shown in (("county_admin", True), ("leader", True), ("township_officer", False)):
        _login(client, assessed, name)
        assert (f'href="{link}"' in client.get(reverse("home")).content.decode()) is shown, name


def test_the_interview_list_pdf_has_the_households_and_no_ids(client, assessed):
    from pypdf import PdfReader

    survey = _survey(assessed)
    village = survey.villages.order_by("order").first()
    _login(client, assessed, "leader")
    response = client.get(reverse("assessment:village_list", args=[village.pk, "pdf"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    text = re.sub(r"[\s\x00]", "", text)
    assert "入户调查名单" in text and "是否认可" in text
    for h in village.households.all():
        assert h.head_name in text and h.household_number in text
    members = Member.objects.filter(household__in=village.households.values("household_id"))
    assert not any(m.id_number in text for m in members)


def test_the_interview_lists_xlsx_has_a_sheet_per_village(client, assessed):
    survey = _survey(assessed)
    _login(client, assessed, "county_admin")
    response = client.get(reverse("assessment:survey_lists", args=[survey.pk, "xlsx"]))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == survey.villages.count()
    for village, sheet in zip(survey.villages.order_by("order"), book.worksheets, strict=True):
        assert sheet["A1"].value == f"{survey.name} 入户调查名单"
        assert [c.value for c in sheet[3]] == list(printing.HEADINGS)
        rows = [
            [c.value for c in row]
            for row in sheet.iter_rows(min_row=4, max_row=3 + village.households.count())
        ]
        expected = [(h.household_number, h.head_name) for h in village.households.order_by("order")]
        assert [(r[1], r[2]) for r in rows] == expected
        for row, h in zip(rows, village.households.order_by("order"), strict=True):
            assert row[7] == (printing.CIRCLE if h.exited else printing.NOT_ASKED)
    assert client.get(reverse("assessment:survey_lists", args=[survey.pk, "doc"])).status_code == 404


def test_results_are_entered_household_after_household(client, assessed):
    survey = _survey(assessed)
    first, second = survey.households.order_by("village__order", "order")[:2]
    _login(client, assessed, "county_admin")
    page = client.get(reverse("assessment:interview", args=[first.pk])).content.decode()
    assert 'name="approves"' in page and ('name="wrongly_exited"' in page) is first.exited
    assert ('name="missed"' in page) is first.non_registered
    data = {
        "outcome": "completed",
        "visited_on": TODAY,
        "interviewers": "甲、乙",
        "approves": "1",
        "version": 0,
        "wrongly_exited": "0",
        "missed": "0",
    }
    response = client.post(reverse("assessment:interview", args=[first.pk]), data)
    assert response.status_code == 302
    if first.village_id == second.village_id:
        assert response["Location"] == reverse("assessment:interview", args=[second.pk])
    saved = Interview.objects.get(sampled=first)
    assert saved.approves is True and saved.entered_by_name == "county_admin"
    # the same form again (stale version 0) is refused with 409, nothing overwritten
    response = client.post(reverse("assessment:interview", args=[first.pk]), data | {"approves": "0"})
    assert response.status_code == 409 and 'id="conflict"' in response.content.decode()
    saved.refresh_from_db()
    assert saved.approves is True


def test_a_missing_answer_is_shown_next_to_its_field(client, assessed):
    survey = _survey(assessed)
    household = survey.households.filter(group=Group.NON_REGISTERED).first()
    _login(client, assessed, "county_admin")
    response = client.post(
        reverse("assessment:interview", args=[household.pk]),
        {"outcome": "completed", "visited_on": TODAY, "interviewers": "甲", "approves": "1", "missed": "1"},
    )
    assert response.status_code == 422 and "请填写漏评人数" in response.content.decode()
    assert not Interview.objects.exists()


def test_leaders_read_results_but_cannot_enter_them(client, assessed):
    survey = _survey(assessed)
    household = survey.households.first()
    _login(client, assessed, "leader")
    page = client.get(reverse("assessment:interview", args=[household.pk]))
    assert page.status_code == 200 and 'id="interview-form"' not in page.content.decode()
    before = ObjectChange.objects.count()
    response = client.post(reverse("assessment:interview", args=[household.pk]), {"approves": "1"})
    assert response.status_code == 404 and ObjectChange.objects.count() == before


def test_a_household_is_added_by_hand_and_then_interviewed(client, assessed):
    survey = _survey(assessed)
    village = survey.villages.order_by("order").first()
    _login(client, assessed, "county_admin")
    assert (
        'id="add-household"'
        in client.get(reverse("assessment:village_detail", args=[village.pk])).content.decode()
    )
    response = client.post(
        reverse("assessment:household_add", args=[village.pk]),
        {"head_name": "李四", "address": "二组5号", "people": 3},
    )
    added = SampledHousehold.objects.get(by_hand=True)
    assert response["Location"] == reverse("assessment:interview", args=[added.pk])
    response = client.post(reverse("assessment:household_add", args=[village.pk]), {"head_name": "王五"})
    assert response.status_code == 422


def test_redraw_and_close_from_the_survey_page(client, assessed):
    survey = _survey(assessed)
    _login(client, assessed, "county_admin")
    response = client.post(reverse("assessment:survey_redraw", args=[survey.pk]), {"seed": 3, "version": 1})
    assert response.status_code == 422 and "换一个随机种子" in response.content.decode()
    response = client.post(reverse("assessment:survey_redraw", args=[survey.pk]), {"seed": 4, "version": 1})
    new = Survey.objects.get(seed=4)
    assert response["Location"] == reverse("assessment:survey_detail", args=[new.pk])
    survey.refresh_from_db()
    assert survey.state == SurveyState.SUPERSEDED
    assert client.get(reverse("assessment:survey_redraw", args=[new.pk])).status_code == 405
    response = client.post(reverse("assessment:survey_close", args=[new.pk]), {"version": 1})
    new.refresh_from_db()
    assert response.status_code == 302 and new.state == SurveyState.CLOSED


def test_the_estimates_page_shows_the_rates_and_the_exit_check(client, assessed):
    survey = _survey(assessed)
    for h in survey.households.all():
        services.record_interview(
            actor=Actor.of(None),
            sampled=h,
            data={
                "visited_on": dt.date.today(),
                "interviewers": "甲",
                "approves": True,
                "wrongly_exited": False if h.exited else None,
                "missed": False if h.non_registered else None,
            },
        )
    _login(client, assessed, "auditor")
    page = client.get(reverse("assessment:survey_estimates", args=[survey.pk])).content.decode()
    for code in ("approval", "wrong_exit_rate", "missed_rate", "comprehensive_incidence"):
        assert f'id="figure-{code}"' in page
    for code in ("incidence", "approval", "wrong_exit_rate", "missed_rate"):
        assert f'id="criterion-{code}"' in page
    assert "100.00%" in page  # everybody approved
    assert 'id="verdict"' in page


@pytest.mark.parametrize("name", ["township_officer", "other_county_admin", "department"])
def test_outsiders_get_404_everywhere(client, assessed, name):
    survey = _survey(assessed)
    village, household = survey.villages.first(), survey.households.first()
    _login(client, assessed, name)
    for url in (
        reverse("assessment:survey_detail", args=[survey.pk]),
        reverse("assessment:survey_estimates", args=[survey.pk]),
        reverse("assessment:village_detail", args=[village.pk]),
        reverse("assessment:village_list", args=[village.pk, "xlsx"]),
        reverse("assessment:interview", args=[household.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert survey.name not in client.get(reverse("assessment:survey_list")).content.decode()
