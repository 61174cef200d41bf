"""A member's values of a past data year, edited on the member's page and through the API (issue 13): the
member's current year stays as it is, a value outside the national code list is refused with the field and
the allowed values, every write is audited under the household with before and after, and a form or body
opened at an older version of the household gets a conflict."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jingzhun.core import jobs
from jingzhun.core.audit import Actor
from jingzhun.core.models import Job, JobState, ObjectChange
from jingzhun.registry import services
from jingzhun.registry.models import Household, Member, MemberYear
from jingzhun.registry.tests.test_api import client_for

pytestmark = pytest.mark.django_db
API = "/api/registry"


@pytest.fixture
def member(world) -> Member:
    """The head of household A, holding the values of data year 2025 (a pupil working nowhere)."""
    member = world.household_a.members.get()
    Member.objects.filter(pk=member.pk).update(
        data_year=2025, schooling="13", labour_skill="1", migrant_months=0
    )
    member.refresh_from_db()
    return member


def _post(version: int, **values) -> dict:
    """The yearly form as a browser posts it: only the filled fields (unticked boxes are absent)."""
    return {"version": version, "migrant_months": 0, **values}


def _version(member: Member) -> int:
    return Household.objects.get(pk=member.household_id).version


def test_officer_adds_and_corrects_a_past_year_on_the_page(client, world, member):
    client.force_login(world.users["township_officer"])
    page = client.get(reverse("registry:member_years", args=[member.pk]))
    assert page.status_code == 200
    assert "录入 2024 年度" in page.content.decode() and "当前年度" in page.content.decode()
    url = reverse("registry:member_year_edit", args=[member.pk, 2024])
    response = client.post(url, _post(1, schooling="09", labour_skill="3", health=["1"], dibao="on"))
    assert response.status_code == 302, response.content.decode()
    kept = MemberYear.objects.get(member=member, year=2024)
    assert (kept.schooling, kept.labour_skill, kept.health, kept.dibao) == ("09", "3", ["1"], True)
    member.refresh_from_db()
    # the member's own (2025) values are untouched
    assert (member.data_year, member.schooling, member.labour_skill, member.dibao) == (2025, "13", "1", False)
    # the correction of that year is audited with before and after, naming the member and the year
    response = client.post(url, _post(2, schooling="11", labour_skill="3", health=["1"], dibao="on"))
    assert response.status_code == 302
    change = ObjectChange.objects.filter(object_type="registry.memberyear").latest("id")
    assert change.action == "update" and change.object_id == str(kept.pk)
    assert change.root_id == str(member.household_id) and change.source == "web"
    assert change.object_repr == f"{member.name} 2024年度"
    assert (change.before["schooling"], change.after["schooling"]) == ("09", "11")
    assert _version(member) == 3
    # and the household page offers the member's years
    detail = client.get(reverse("registry:household_detail", args=[member.household_id])).content.decode()
    assert reverse("registry:member_years", args=[member.pk]) in detail


def test_a_code_outside_the_national_list_is_refused_with_the_field_and_the_allowed_values(
    client, world, member
):
    client.force_login(world.users["township_officer"])
    before = ObjectChange.objects.count()
    with pytest.raises(Exception) as exc:
        services.save_member_year(
            actor=Actor.of(world.users["township_officer"]),
            member=member,
            expected_version=1,
            year=2024,
            data={"labour_skill": "8"},
        )
    assert "劳动技能的值「8」不在全国代码表中" in exc.value.message
    assert "技能劳动力" in exc.value.message and "无劳动力" in exc.value.message
    # the page keeps what was typed and says the same at the field (a select offers only the list's codes)
    response = client.post(
        reverse("registry:member_year_edit", args=[member.pk, 2024]), _post(1, schooling="88")
    )
    assert response.status_code == 422
    assert not MemberYear.objects.filter(member=member).exists()
    assert ObjectChange.objects.count() == before and _version(member) == 1


def test_a_stale_form_gets_a_conflict_and_writes_nothing(client, world, member):
    client.force_login(world.users["township_officer"])
    url = reverse("registry:member_year_edit", args=[member.pk, 2023])
    assert client.post(url, _post(1, schooling="03")).status_code == 302
    response = client.post(url, _post(1, schooling="07"))  # opened before the first save
    assert response.status_code == 409
    assert MemberYear.objects.get(member=member, year=2023).schooling == "03"


def test_a_read_only_role_sees_the_years_but_cannot_edit(client, world, member):
    client.force_login(world.users["leader"])
    assert client.get(reverse("registry:member_years", args=[member.pk])).status_code == 200
    url = reverse("registry:member_year_edit", args=[member.pk, 2024])
    assert client.post(url, _post(1, schooling="03")).status_code == 404
    assert not MemberYear.objects.filter(member=member).exists()


def test_editing_the_current_year_edits_the_member_and_a_newer_year_keeps_the_old_one(world, member):
    actor = Actor.of(world.users["township_officer"])
    services.save_member_year(
        actor=actor, member=member, expected_version=1, year=2025, data={"schooling": "11"}
    )
    member.refresh_from_db()
    assert (member.schooling, member.data_year) == ("11", 2025) and not MemberYear.objects.exists()
    services.save_member_year(
        actor=actor,
        member=member,
        expected_version=2,
        year=2026,
        data={"education": "4", "migrant_months": 10},
    )
    member.refresh_from_db()
    kept = MemberYear.objects.get(member=member, year=2025)
    assert (kept.schooling, kept.labour_skill) == ("11", "1")
    assert (member.data_year, member.schooling, member.education, member.migrant_months) == (
        2026,
        "",
        "4",
        10,
    )


def test_the_api_lists_and_saves_a_members_years(world, member):
    api = client_for(world.users["township_officer"])
    body = api.get(f"{API}/members/{member.pk}/years").json()
    assert [(y["year"], y["current"]) for y in body["years"]] == [(2025, True)]
    assert body["years"][0]["schooling"] == {"code": "13", "label": "普通高中三年级"}
    saved = api.put(
        f"{API}/members/{member.pk}/years/2024",
        {"version": body["household_version"], "schooling": "09", "health": ["1"], "dibao": True},
        content_type="application/json",
    )
    assert saved.status_code == 200, saved.content
    assert saved.json()["current"] is False and saved.json()["household_version"] == 2
    assert saved.json()["schooling"] == {"code": "09", "label": "九年级"}
    member.refresh_from_db()
    assert member.schooling == "13" and MemberYear.objects.get(member=member, year=2024).dibao is True
    change = ObjectChange.objects.latest("id")
    assert (change.object_type, change.action, change.source) == ("registry.memberyear", "create", "api")
    # a code outside the list: 422 naming the field and the allowed values, nothing written
    bad = api.put(
        f"{API}/members/{member.pk}/years/2024",
        {"version": 2, "health": ["1", "77"]},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "health" in bad.json()["errors"]
    assert "可填" in bad.json()["detail"] and "长期慢性病" in bad.json()["detail"]
    # a stale version: 409, nothing written
    stale = api.put(
        f"{API}/members/{member.pk}/years/2024",
        {"version": 1, "schooling": "07"},
        content_type="application/json",
    )
    assert stale.status_code == 409
    assert MemberYear.objects.get(member=member, year=2024).schooling == "09"
    history = api.get(f"{API}/households/{member.household_id}/history").json()
    assert history[0]["object_label"] == "成员年度信息"


def test_the_export_page_picks_a_data_year(client, world):
    client.force_login(world.users["township_officer"])
    url = reverse("registry:export")
    response = client.get(url, {"layout": "template", "fmt": "csv", "year": "2025"})
    assert response.status_code == 302  # the export is a job (core.jobs), run here in this process
    job = jobs.run_here(Job.objects.get(kind="export"))
    assert job.state == JobState.SUCCEEDED, job.message
    assert job.params["year"] == 2025 and "2025年度" in job.params["download_name"]
    response = client.get(reverse("job_download", args=[job.pk]))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "减少时间" in body.splitlines()[0] and world.household_a.head_name in body
    assert client.get(url, {"layout": "template", "fmt": "csv", "year": "1999"}).status_code == 404
    assert "按数据年度导出" in client.get(reverse("registry:household_list")).content.decode()
