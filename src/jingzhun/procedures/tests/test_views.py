"""The screens: queue, case page with the next-step form, open case, village bulk page, notice HTML/PDF."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jingzhun.procedures.choices import CaseState
from jingzhun.procedures.models import Case, Evidence, Notice
from jingzhun.procedures.tests import helpers

START = dt.date(2019, 9, 1)


@pytest.fixture
def case(world, poor_household):
    return helpers.open_case(world, poor_household, "exit", START)


def test_queue_lists_my_cases(client, world, case):
    client.force_login(world.users["village_officer"])
    page = client.get(reverse("procedures:queue"))
    assert page.status_code == 200 and case.household.household_number in page.content.decode()
    client.force_login(world.users["county_admin"])
    assert case.household.household_number not in client.get(reverse("procedures:queue")).content.decode()


def test_case_page_completes_the_next_step_and_shows_errors(client, world, case):
    client.force_login(world.users["village_officer"])
    url = reverse("procedures:case_detail", args=[case.pk])
    assert "村两委民主评议后提出" in client.get(url).content.decode()
    bad = client.post(
        url, {"action": "step", "version": 1, "step_code": "proposal", "on": "2019-09-02", "sig_0": "张主任"}
    )
    assert bad.status_code == 422 and "缺少材料：民主评议记录" in bad.content.decode()
    good = client.post(
        url,
        {
            "action": "step",
            "version": 1,
            "step_code": "proposal",
            "on": "2019-09-02",
            "sig_0": "张主任",
            "ev_appraisal_minutes": "第3次村民代表大会记录",
        },
    )
    assert good.status_code == 302
    case.refresh_from_db()
    assert case.next_step.code == "verification"
    bad_date = client.post(
        url, {"action": "step", "version": case.version, "step_code": "verification", "on": "2019-13-01"}
    )
    assert bad_date.status_code == 422 and "办理日期格式不正确" in bad_date.content.decode()


def test_open_case_from_the_household_page(client, world, make_household):
    hh = make_household(income=1500)
    client.force_login(world.users["village_officer"])
    assert "开案办理" in client.get(reverse("registry:household_detail", args=[hh.pk])).content.decode()
    response = client.post(
        reverse("procedures:case_open", args=[hh.pk]),
        {"kind": "monitoring", "discovered_on": "2021-06-01", "monitoring_type": "9"},
    )
    assert response.status_code == 422 and "监测对象类型无效" in response.content.decode()
    response = client.post(
        reverse("procedures:case_open", args=[hh.pk]),
        {"kind": "identification", "discovered_on": "2019-03-01"},
    )
    assert response.status_code == 302 and Case.objects.filter(household=hh, state=CaseState.OPEN).exists()


def test_village_bulk_page_advances_and_posts_a_notice(client, world, case, poor_household):
    client.force_login(world.users["village_officer"])
    url = reverse("procedures:village_bulk", args=[poor_household.village_id])
    page = client.get(url)
    assert page.status_code == 200 and "村两委民主评议后提出" in page.content.decode()
    step = case.next_step
    response = client.post(
        url,
        {
            "step": step.pk,
            "action": "advance",
            "on": "2019-09-02",
            "sig_0": "张主任",
            "ev_appraisal_minutes": "会议记录",
        },
    )
    assert response.status_code == 200 and "成功 1 户" in response.content.decode()
    case.refresh_from_db()
    case, on = helpers.do_step(world, case, dt.date(2019, 9, 2))
    case, on = helpers.do_step(world, case, on)
    response = client.post(
        url, {"step": case.next_step.pk, "action": "notice", "start_on": on.isoformat(), "photo_name": "照片"}
    )
    assert response.status_code == 200 and "已发布公示" in response.content.decode()
    notice = Notice.objects.get()
    html = client.get(reverse("procedures:notice_detail", args=[notice.pk])).content.decode()
    assert poor_household.household_number in html and poor_household.head_name in html
    member = poor_household.members.get()
    assert member.id_number not in html


def test_notice_pdf(client, world, case):
    case, on = helpers.do_step(world, case, START)
    case, on = helpers.do_step(world, case, on)
    case, on = helpers.do_step(world, case, on)
    notice = helpers.post(world, case, on)
    client.force_login(world.users["leader"])
    response = client.get(reverse("procedures:notice_pdf", args=[notice.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")


def test_objection_from_the_notice_page(client, world, case):
    case, on = helpers.do_step(world, case, START)
    case, on = helpers.do_step(world, case, on)
    case, on = helpers.do_step(world, case, on)
    notice = helpers.post(world, case, on)
    client.force_login(world.users["village_officer"])
    response = client.post(
        reverse("procedures:notice_detail", args=[notice.pk]),
        {"action": "objection", "case": case.pk, "text": "收入不实", "received_on": on.isoformat()},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.next_step.code == "verification" and case.objections.count() == 1


def test_uploaded_documents_are_served_to_those_who_see_the_case(client, world, case):
    # given minutes uploaded as an HTML file (a browser must not run it as our page)
    client.force_login(world.users["village_officer"])
    url = reverse("procedures:case_detail", args=[case.pk])
    upload = SimpleUploadedFile("记录.html", b"<script>alert(1)</script>", content_type="text/html")
    client.post(
        url,
        {
            "action": "step",
            "version": 1,
            "step_code": "proposal",
            "on": "2019-09-02",
            "sig_0": "张主任",
            "file_appraisal_minutes": upload,
        },
    )
    link = reverse("procedures:evidence_file", args=[Evidence.objects.get().pk])
    # then the case page links the file through the access-checked view, which offers it as a download
    assert link in client.get(url).content.decode()
    response = client.get(link)
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"
    # and the other township's officer gets the same 404 as for a missing document
    client.force_login(world.users["township_b_officer"])
    assert client.get(link).status_code == 404
