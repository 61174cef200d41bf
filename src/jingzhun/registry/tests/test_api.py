"""The registry REST API, operation by operation: works for the allowed user, writes are audited once,
stale versions are refused, bad input is a Chinese 422 that writes nothing, no token is a 401.

Isolation between jurisdictions over every operation is proved in ``tests/test_api_isolation.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from jingzhun.accounts.models import ApiToken, User
from jingzhun.accounts.services import create_api_token
from jingzhun.core.audit import Actor
from jingzhun.core.models import ObjectChange
from jingzhun.registry import idnumbers
from jingzhun.registry.models import Household, HouseholdYear, ImportBatch, Member, StatusEvent
from jingzhun.testing.factories import MemberFactory, next_id
from jingzhun.testing.world import TOWNSHIP_A, World

API = "/api/registry"
CJK = "\u4e00"


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def client_for(user: User) -> Client:
    _token, raw = create_api_token(actor=Actor(user=None, name="测试"), user=user, name="测试")
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture(autouse=True)
def fast_passwords(settings: object) -> None:
    """The world's nine users are hashed with PBKDF2 otherwise: 2.5 s of every test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture
def as_user(world: World) -> Callable[[str], Client]:
    """A token client per user, made up front so that tokens' own audit rows precede every baseline."""
    clients = {name: client_for(user) for name, user in world.users.items()}
    return clients.__getitem__


def changes() -> int:
    return ObjectChange.objects.count()


def snapshot_of(household: Household) -> dict:
    household.refresh_from_db()
    return {f.name: f.value_from_object(household) for f in Household._meta.concrete_fields}


# --------------------------------------------------------------------------------------------------
# Authentication
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer "])
def test_missing_or_bad_token_is_401_in_chinese(world: World, header: str | None) -> None:
    # Given a request without a valid bearer token
    client = Client(headers={"Authorization": header} if header else {})
    # When it asks for a household
    response = client.get(f"{API}/households/{world.household_a.pk}")
    # Then it is refused with 401 and a Chinese explanation, and no household data
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "unauthorized" and has_chinese(body["detail"])
    assert world.household_a.head_name not in response.content.decode()


def test_expired_token_and_inactive_user_are_401(world: World) -> None:
    # Given a token that has expired, and a token of a user who was deactivated
    officer = world.users["township_officer"]
    expired, raw_expired = create_api_token(actor=Actor(user=None, name="测试"), user=officer)
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    helper = world.users["village_officer"]
    _t, raw_inactive = create_api_token(actor=Actor(user=None, name="测试"), user=helper)
    helper.is_active = False
    helper.save()
    # When they are used / Then both are refused
    for raw in (raw_expired, raw_inactive):
        response = Client(headers={"Authorization": f"Bearer {raw}"}).get(f"{API}/households")
        assert response.status_code == 401


def test_write_without_token_is_401_and_writes_nothing(world: World) -> None:
    before = changes()
    response = Client().patch(
        f"{API}/households/{world.household_a.pk}",
        {"version": 1, "head_name": "改"},
        content_type="application/json",
    )
    assert response.status_code == 401
    assert changes() == before
    assert Household.objects.get(pk=world.household_a.pk).head_name != "改"


def test_me_describes_the_token_user(as_user: Callable[[str], Client], world: World) -> None:
    body = as_user("township_officer").get("/api/me").json()
    assert body["username"] == "township_officer"
    assert body["role"] == {"code": "township_officer", "label": "乡镇干部"}
    assert body["region"]["code"] == world.township_a.code
    assert body["can_edit_registry"] and body["can_import"] and body["can_read_audit"]
    leader = as_user("leader").get("/api/me").json()
    assert not leader["can_edit_registry"] and not leader["can_import"]


# --------------------------------------------------------------------------------------------------
# Household search
# --------------------------------------------------------------------------------------------------


def test_officer_lists_the_households_of_their_township(
    as_user: Callable[[str], Client], world: World
) -> None:
    # Given the 玉泉镇 officer
    # When they list households
    response = as_user("township_officer").get(f"{API}/households")
    # Then they see the two households of 玉泉镇, with codes and labels, and nothing of 太京镇
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    expected = {hh.pk for code, hh in world.households.items() if code.startswith(TOWNSHIP_A)}
    assert {item["id"] for item in body["items"]} == expected
    item = next(i for i in body["items"] if i["id"] == world.household_a.pk)
    assert item["head_name"] == world.household_a.head_name
    assert item["village"] == {"code": world.household_a.village_id, "name": "南山村"}
    assert item["poverty_status"] == {"code": "1", "label": "已脱贫(享受政策)"}
    assert item["attribute"] == {"code": "05", "label": "一般脱贫户"}
    assert item["kind"] == "脱贫户" and item["version"] == 1


def test_search_by_name_region_and_status(as_user: Callable[[str], Client], world: World) -> None:
    client = as_user("county_admin")
    # By head name
    body = client.get(f"{API}/households", {"q": world.household_b.head_name}).json()
    assert [i["id"] for i in body["items"]] == [world.household_b.pk]
    # By a member's full ID number
    id_number = world.household_a.members.get().id_number
    body = client.get(f"{API}/households", {"q": id_number}).json()
    assert [i["id"] for i in body["items"]] == [world.household_a.pk]
    # By region (a township code prefix)
    body = client.get(f"{API}/households", {"region": world.township_b.prefix}).json()
    assert body["count"] == 2 and world.household_b.pk in {i["id"] for i in body["items"]}
    # By status: none of the world's households is unregistered, and none is monitored
    assert client.get(f"{API}/households", {"poverty_status": "none"}).json()["count"] == 0
    assert client.get(f"{API}/households", {"poverty_status": "1"}).json()["count"] == 4
    Household.objects.filter(pk=world.household_a.pk).update(monitoring_type="2")
    body = client.get(f"{API}/households", {"monitoring": "yes"}).json()
    assert [i["id"] for i in body["items"]] == [world.household_a.pk]
    assert body["items"][0]["kind"] == "监测户"


def test_search_is_paginated_and_limit_is_capped(as_user: Callable[[str], Client]) -> None:
    client = as_user("county_admin")
    page = client.get(f"{API}/households", {"limit": 3, "offset": 2}).json()
    assert page["count"] == 4 and len(page["items"]) == 2
    response = client.get(f"{API}/households", {"limit": 201})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid" and body["errors"] == {"limit": ["不能大于 200"]}


@pytest.mark.parametrize(
    "params",
    [{"poverty_status": "9"}, {"monitoring": "x"}, {"offset": -1}, {"limit": "abc"}, {"offset": 10**30}],
)
def test_bad_search_parameters_are_422_in_chinese(as_user: Callable[[str], Client], params: dict) -> None:
    response = as_user("county_admin").get(f"{API}/households", params)
    assert response.status_code == 422
    assert has_chinese(response.json()["detail"])


def test_search_for_a_region_outside_the_jurisdiction_is_404(
    as_user: Callable[[str], Client], world: World
) -> None:
    client = as_user("township_officer")
    outside = client.get(f"{API}/households", {"region": world.township_b.code})
    unknown = client.get(f"{API}/households", {"region": "629999999999"})
    assert outside.status_code == unknown.status_code == 404
    assert outside.json() == unknown.json()


@pytest.mark.parametrize("q", ["'; drop table", "%", "_", "６２０５０２", "x" * 50, "\u3000", "😀"])
def test_odd_search_text_never_fails(as_user: Callable[[str], Client], q: str) -> None:
    response = as_user("township_officer").get(f"{API}/households", {"q": q})
    assert response.status_code == 200


# --------------------------------------------------------------------------------------------------
# Household detail and masking
# --------------------------------------------------------------------------------------------------


def _give_secrets(household: Household) -> Member:
    Household.objects.filter(pk=household.pk).update(phone="13812345678", bank_account="6228480012345678901")
    household.refresh_from_db()
    member = household.members.get()
    member.phone = "13900001111"
    member.save()
    return member


def test_detail_shows_members_and_years_in_full_to_an_editor(
    as_user: Callable[[str], Client], world: World
) -> None:
    # Given a household with a phone, a bank account and a member with an ID number
    household = world.household_a
    member = _give_secrets(household)
    # When its village officer reads it
    response = as_user("village_officer").get(f"{API}/households/{household.pk}")
    # Then every field is there in full, with members and years
    assert response.status_code == 200
    body = response.json()
    assert body["household_number"] == household.household_number
    assert body["phone"] == "13812345678" and body["bank_account"] == "6228480012345678901"
    assert body["can_edit"] is True and body["version"] == 1
    assert body["main_cause"] == {"code": "1", "label": "因病"}
    [m] = body["members"]
    assert m["id"] == member.pk and m["id_number"] == member.id_number and m["phone"] == "13900001111"
    assert m["relation"] == {"code": "01", "label": "本人或户主"}
    assert m["sex"]["label"] in {"男", "女"}
    assert body["former_members"] == []
    [year] = body["years"]
    assert year["year"] == 2025 and year["wage_income"] == "8000.00"


@pytest.mark.parametrize("role", ["leader", "auditor"])
def test_detail_masks_ids_phones_and_accounts_for_read_only_roles(
    as_user: Callable[[str], Client], world: World, role: str
) -> None:
    household = world.household_a
    member = _give_secrets(household)
    body = as_user(role).get(f"{API}/households/{household.pk}").json()
    text = str(body)
    assert body["can_edit"] is False
    assert body["phone"] == "138****5678"
    assert body["bank_account"] == "***************8901"
    m = body["members"][0]
    assert m["id_number"] == member.id_number[:6] + "********" + member.id_number[-4:]
    assert m["phone"] == "139****1111"
    for secret in (member.id_number, "13812345678", "6228480012345678901", "13900001111"):
        assert secret not in text
    member_body = as_user(role).get(f"{API}/members/{member.pk}").json()
    assert member.id_number not in str(member_body) and member_body["can_edit"] is False


@pytest.mark.parametrize("bad", ["abc", "0", "-1", "1.5", str(2**63), "99999999999999999999999"])
def test_bad_household_ids_are_422_or_404_never_500(as_user: Callable[[str], Client], bad: str) -> None:
    response = as_user("township_officer").get(f"{API}/households/{bad}")
    assert response.status_code in {404, 422}
    assert has_chinese(response.json()["detail"])


# --------------------------------------------------------------------------------------------------
# PATCH household
# --------------------------------------------------------------------------------------------------


def test_patch_household_changes_it_and_writes_one_audited_change(
    as_user: Callable[[str], Client], world: World
) -> None:
    # Given the 玉泉镇 officer and a household of version 1
    household = world.household_a
    before = changes()
    # When they change the head's name and the monitoring type
    response = as_user("township_officer").patch(
        f"{API}/households/{household.pk}",
        {
            "version": 1,
            "head_name": "李新",
            "monitoring_type": "2",
            "risk_types": ["1", "7"],
            "reason": "入户核实",
        },
        content_type="application/json",
    )
    # Then the household is changed, its version bumped, and the answer shows it
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["head_name"] == "李新" and body["version"] == 2
    assert body["monitoring_type"] == {"code": "2", "label": "边缘易致贫户"}
    assert [c["label"] for c in body["risk_types"]] == ["因病", "因务工就业不稳"]
    household.refresh_from_db()
    assert household.head_name == "李新" and household.version == 2
    # And exactly one ObjectChange records before and after, from the API, by the officer
    assert changes() == before + 1
    change = ObjectChange.objects.latest("id")
    assert change.object_id == str(household.pk) and change.action == "update"
    assert change.before["head_name"] == "户主0" and change.after["head_name"] == "李新"
    assert change.before["monitoring_type"] == "" and change.after["monitoring_type"] == "2"
    assert change.user_name == "township_officer" and change.source == "api" and change.request_id
    # And the status change is dated with its reason
    event = StatusEvent.objects.get(household=household)
    assert event.monitoring_type == "2" and event.reason == "入户核实"


def test_patch_with_a_stale_version_is_409_and_changes_nothing(
    as_user: Callable[[str], Client], world: World
) -> None:
    household = world.household_a
    client = as_user("township_officer")
    first = client.patch(
        f"{API}/households/{household.pk}",
        {"version": 1, "head_name": "先到"},
        content_type="application/json",
    )
    assert first.status_code == 200
    before, state = changes(), snapshot_of(household)
    # When a second edit still carries version 1
    response = client.patch(
        f"{API}/households/{household.pk}",
        {"version": 1, "head_name": "后到"},
        content_type="application/json",
    )
    # Then it is refused with 409 and a Chinese explanation, and nothing changes
    assert response.status_code == 409
    assert response.json()["code"] == "concurrent_edit" and has_chinese(response.json()["detail"])
    assert changes() == before and snapshot_of(household) == state


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": 1, "attribute": "ZZ"}, "attribute"),  # unknown code, refused by the service
        ({"version": 1, "poverty_status": "7"}, "poverty_status"),
        ({"version": 1, "head_name": ""}, "head_name"),
        ({"version": 1, "head_name": None}, "head_name"),  # null for a text field
        ({"version": 1, "exit_year": "twenty"}, "exit_year"),
        ({"version": 1, "first_identified_on": "2024-02-30"}, "first_identified_on"),
        ({"version": 1, "relocated": "maybe"}, "relocated"),
        ({"version": 1, "other_causes": ["1", "98"]}, "other_causes"),
        ({"version": 1, "other_causes": ["1", "2", "3"]}, "other_causes"),
        ({"version": 1, "household_number": "1"}, "household_number"),  # read-only
        ({"version": 1, "village": "620502101201"}, "village"),  # moving is not an edit
        ({"version": "x", "head_name": "甲"}, "version"),
        ({"head_name": "甲"}, "version"),
        ({"version": 1}, "__all__"),  # nothing to change
        ({"version": 1, "phone": "1" * 21}, "phone"),
    ],
)
def test_patch_with_bad_input_is_422_in_chinese_and_writes_nothing(
    as_user: Callable[[str], Client], world: World, body: dict, field: str
) -> None:
    household = world.household_a
    before, state = changes(), snapshot_of(household)
    response = as_user("township_officer").patch(
        f"{API}/households/{household.pk}", body, content_type="application/json"
    )
    assert response.status_code == 422, response.content
    payload = response.json()
    assert payload["code"] == "invalid" and has_chinese(payload["detail"])
    assert field in payload["errors"] and all(has_chinese(m) for m in payload["errors"][field])
    assert changes() == before and snapshot_of(household) == state


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"', ""])
def test_patch_with_an_unreadable_body_never_fails(
    as_user: Callable[[str], Client], world: World, raw: str
) -> None:
    before = changes()
    response = as_user("township_officer").patch(
        f"{API}/households/{world.household_a.pk}", raw, content_type="application/json"
    )
    assert response.status_code in {400, 422}
    assert has_chinese(response.json()["detail"]) and changes() == before


def test_read_only_role_cannot_patch(as_user: Callable[[str], Client], world: World) -> None:
    before = changes()
    response = as_user("leader").patch(
        f"{API}/households/{world.household_a.pk}",
        {"version": 1, "head_name": "改"},
        content_type="application/json",
    )
    assert response.status_code == 403 and has_chinese(response.json()["detail"])
    assert changes() == before


# --------------------------------------------------------------------------------------------------
# History and as-of
# --------------------------------------------------------------------------------------------------


def test_history_lists_the_changes_to_the_household(as_user: Callable[[str], Client], world: World) -> None:
    household = world.household_a
    client = as_user("township_officer")
    client.patch(
        f"{API}/households/{household.pk}",
        {"version": 1, "head_name": "李新", "phone": "13812345678"},
        content_type="application/json",
    )
    response = client.get(f"{API}/households/{household.pk}/history")
    assert response.status_code == 200
    [entry] = response.json()
    assert entry["user_name"] == "township_officer" and entry["source"] == "api"
    assert entry["action"] == {"code": "update", "label": "修改"}
    assert entry["object_label"] == "农户"
    fields = {c["field"]: c for c in entry["changes"]}
    assert fields["head_name"]["label"] == "户主姓名"
    assert (fields["head_name"]["before"], fields["head_name"]["after"]) == ("户主0", "李新")
    assert fields["phone"]["after"] == "13812345678"
    # An auditor reads it too, with the phone masked; a leader may not read the log
    audited = as_user("auditor").get(f"{API}/households/{household.pk}/history").json()
    assert {c["field"]: c for c in audited[0]["changes"]}["phone"]["after"] == "138****5678"
    refused = as_user("leader").get(f"{API}/households/{household.pk}/history")
    assert refused.status_code == 403 and has_chinese(refused.json()["detail"])


def test_as_of_rebuilds_the_household_on_a_date(as_user: Callable[[str], Client], world: World) -> None:
    household = world.household_a
    client = as_user("township_officer")
    client.patch(
        f"{API}/households/{household.pk}",
        {"version": 1, "head_name": "李新"},
        content_type="application/json",
    )
    today = timezone.localdate()
    # Today the household is as changed
    body = client.get(f"{API}/households/{household.pk}/as-of", {"date": today.isoformat()}).json()
    assert body["household"]["head_name"] == "李新"
    assert body["household"]["village"] == {"code": household.village_id, "name": "南山村"}
    # Before anything was recorded, there is nothing to show
    earlier = client.get(f"{API}/households/{household.pk}/as-of", {"date": "2020-01-01"}).json()
    assert earlier["household"] is None and earlier["members"] == []


@pytest.mark.parametrize("date", ["0001-01-01", "9999-12-31"])
def test_as_of_at_the_ends_of_the_calendar_is_answered(
    as_user: Callable[[str], Client], world: World, date: str
) -> None:
    response = as_user("township_officer").get(
        f"{API}/households/{world.household_a.pk}/as-of", {"date": date}
    )
    assert response.status_code == 200 and response.json()["household"] is None


@pytest.mark.parametrize("date", ["2024-13-01", "yesterday", "", "2024-02-30", "99999-01-01"])
def test_as_of_with_a_bad_date_is_422(as_user: Callable[[str], Client], world: World, date: str) -> None:
    response = as_user("township_officer").get(
        f"{API}/households/{world.household_a.pk}/as-of", {"date": date}
    )
    assert response.status_code == 422
    assert "date" in response.json()["errors"] and has_chinese(response.json()["detail"])


# --------------------------------------------------------------------------------------------------
# Members
# --------------------------------------------------------------------------------------------------


def test_member_detail_names_the_household_and_its_version(
    as_user: Callable[[str], Client], world: World
) -> None:
    member = world.household_a.members.get()
    body = as_user("township_officer").get(f"{API}/members/{member.pk}").json()
    assert body["name"] == member.name and body["id_number"] == member.id_number
    assert body["household_ref"]["id"] == world.household_a.pk and body["household_ref"]["version"] == 1
    assert body["can_edit"] is True


def test_patch_member_writes_one_audited_change(as_user: Callable[[str], Client], world: World) -> None:
    household = world.household_a
    member = household.members.get()
    new_id = next_id(birth=dt.date(1975, 3, 9), male=False)
    before = changes()
    response = as_user("township_officer").patch(
        f"{API}/members/{member.pk}",
        {"version": 1, "name": "王秀英", "id_number": new_id, "education": "3", "migrant_months": 6},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "王秀英" and body["id_number"] == new_id
    # the birth date comes from the ID (next_id moves the day on as the suite uses up sequence numbers)
    assert body["sex"] == {"code": "2", "label": "女"}
    assert body["birth_date"] == idnumbers.birth_date_from_id(new_id).isoformat()
    assert body["education"] == {"code": "3", "label": "初中"}
    assert body["household_ref"]["version"] == 2
    assert changes() == before + 1
    change = ObjectChange.objects.latest("id")
    assert change.object_id == str(member.pk) and change.root_id == str(household.pk)
    assert change.before["name"] == "户主0" and change.after["name"] == "王秀英"
    assert change.after["id_number"] == new_id


def test_patch_member_with_stale_version_is_409(as_user: Callable[[str], Client], world: World) -> None:
    member = world.household_a.members.get()
    Household.objects.filter(pk=world.household_a.pk).update(version=5)
    before = changes()
    response = as_user("township_officer").patch(
        f"{API}/members/{member.pk}", {"version": 4, "name": "迟到"}, content_type="application/json"
    )
    assert response.status_code == 409
    member.refresh_from_db()
    assert member.name != "迟到" and changes() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": 1, "id_number": "620502198005170000"}, "id_number"),  # wrong check digit
        ({"version": 1, "migrant_months": 13}, "migrant_months"),
        ({"version": 1, "relation": "77"}, "relation"),
        ({"version": 1, "health": ["9"]}, "health"),
        ({"version": 1, "sex": "2"}, "sex"),  # follows from the ID number
        ({"version": 1, "left_on": "2024-01-01"}, "left_on"),  # leaving has its own operation
    ],
)
def test_patch_member_with_bad_input_is_422(
    as_user: Callable[[str], Client], world: World, body: dict, field: str
) -> None:
    member = world.household_a.members.get()
    before = changes()
    response = as_user("township_officer").patch(
        f"{API}/members/{member.pk}", body, content_type="application/json"
    )
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"] and has_chinese(response.json()["detail"])
    assert changes() == before
    assert Household.objects.get(pk=world.household_a.pk).version == 1


def test_patch_member_to_an_id_already_in_another_household_is_422(
    as_user: Callable[[str], Client], world: World
) -> None:
    member = world.household_a.members.get()
    other = world.household_b.members.get()
    response = as_user("township_officer").patch(
        f"{API}/members/{member.pk}",
        {"version": 1, "id_number": other.id_number},
        content_type="application/json",
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "一人只能在一户" in detail and other.id_number not in detail


def test_add_member_to_a_household(as_user: Callable[[str], Client], world: World) -> None:
    household = world.household_a
    id_number = next_id(birth=dt.date(2010, 8, 1))
    before = changes()
    response = as_user("village_officer").post(
        f"{API}/households/{household.pk}/members",
        {
            "version": 1,
            "person_number": "P-NEW-1",
            "name": "王小明",
            "id_number": id_number,
            "relation": "03",
            "schooling": "07",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "王小明" and body["sex"]["code"] == "1"
    assert body["birth_date"] == idnumbers.birth_date_from_id(id_number).isoformat()
    assert body["relation"] == {"code": "03", "label": "之子"}
    assert body["household_ref"]["version"] == 2
    assert Member.objects.filter(household=household, person_number="P-NEW-1").exists()
    assert changes() == before + 1
    change = ObjectChange.objects.latest("id")
    assert change.action == "create" and change.before is None and change.after["name"] == "王小明"


@pytest.mark.parametrize(
    "body",
    [
        {"version": 1, "person_number": "P-NEW-2", "name": "甲", "relation": "03"},  # no ID
        {"version": 1, "person_number": "P-NEW-2", "name": "甲", "id_number": "123", "relation": "03"},
        {"version": 9, "person_number": "P-NEW-2", "name": "甲", "id_number": "@", "relation": "03"},
    ],
)
def test_add_member_with_bad_input_is_422_and_adds_nobody(
    as_user: Callable[[str], Client], world: World, body: dict
) -> None:
    before, members = changes(), Member.objects.count()
    response = as_user("village_officer").post(
        f"{API}/households/{world.household_a.pk}/members", body, content_type="application/json"
    )
    assert response.status_code == 422 and has_chinese(response.json()["detail"])
    assert changes() == before and Member.objects.count() == members


def test_add_member_with_stale_version_is_409(as_user: Callable[[str], Client], world: World) -> None:
    before, members = changes(), Member.objects.count()
    response = as_user("village_officer").post(
        f"{API}/households/{world.household_a.pk}/members",
        {"version": 7, "person_number": "P-NEW-3", "name": "甲", "id_number": next_id(), "relation": "03"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert changes() == before and Member.objects.count() == members


def test_member_leaves_the_household(as_user: Callable[[str], Client], world: World) -> None:
    household = world.household_a
    child = MemberFactory.create(household=household, name="王小红", relation="04")
    client = as_user("township_officer")
    before = changes()
    response = client.post(
        f"{API}/members/{child.pk}/leave",
        {"version": 1, "reason": "marriage", "date": "2025-03-01"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["left_on"] == "2025-03-01" and body["leave_reason"] == {"code": "marriage", "label": "婚出"}
    assert changes() == before + 1
    change = ObjectChange.objects.latest("id")
    assert change.before["left_on"] is None and change.after["left_on"] == "2025-03-01"
    detail = client.get(f"{API}/households/{household.pk}").json()
    assert [m["id"] for m in detail["former_members"]] == [child.pk]
    # Leaving a second time is refused rather than rewriting the first leave
    again = client.post(
        f"{API}/members/{child.pk}/leave",
        {"version": 2, "reason": "death", "date": "2025-04-01"},
        content_type="application/json",
    )
    assert again.status_code == 422 and has_chinese(again.json()["detail"])
    child.refresh_from_db()
    assert child.leave_reason == "marriage"


@pytest.mark.parametrize(
    "body",
    [
        {"version": 1, "reason": "holiday", "date": "2025-03-01"},
        {"version": 1, "reason": "death", "date": "2025-02-30"},
        {"version": 1, "reason": "death"},
        {"version": 1, "reason": "death", "date": (dt.date.today() + dt.timedelta(days=30)).isoformat()},
    ],
)
def test_leave_with_bad_input_is_422(as_user: Callable[[str], Client], world: World, body: dict) -> None:
    child = MemberFactory.create(household=world.household_a, relation="04")
    before = changes()
    response = as_user("township_officer").post(
        f"{API}/members/{child.pk}/leave", body, content_type="application/json"
    )
    assert response.status_code == 422 and has_chinese(response.json()["detail"])
    child.refresh_from_db()
    assert child.left_on is None and changes() == before


def test_head_cannot_leave_while_others_remain(as_user: Callable[[str], Client], world: World) -> None:
    head = world.household_a.members.get()
    MemberFactory(household=world.household_a, relation="02")
    response = as_user("township_officer").post(
        f"{API}/members/{head.pk}/leave",
        {"version": 1, "reason": "death", "date": "2025-01-01"},
        content_type="application/json",
    )
    assert response.status_code == 422 and "户主" in response.json()["detail"]


# --------------------------------------------------------------------------------------------------
# Data years
# --------------------------------------------------------------------------------------------------


def test_put_year_creates_a_year_with_derived_totals(as_user: Callable[[str], Client], world: World) -> None:
    household = world.household_a
    before = changes()
    response = as_user("township_officer").put(
        f"{API}/households/{household.pk}/years/2024",
        {
            "version": 1,
            "household_size": 2,
            "wage_income": "12000.50",
            "business_income": 3000,
            "business_expense": 1000,
            "dibao_income": 2400,
            "road_type": "3",
            "cultivated_land": "4.5",
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["year"] == 2024 and body["household_version"] == 2
    assert body["transfer_income"] == "2400.00"
    assert body["net_income"] == "16400.50" and body["per_capita_net_income"] == "8200.25"
    assert body["road_type"] == {"code": "3", "label": "水泥路"} and body["cultivated_land"] == "4.50"
    assert HouseholdYear.objects.filter(household=household, year=2024).exists()
    assert changes() == before + 1
    change = ObjectChange.objects.latest("id")
    assert change.action == "create" and change.after["net_income"] == "16400.50"


def test_put_year_updates_an_existing_year(as_user: Callable[[str], Client], world: World) -> None:
    household = world.household_a
    before = changes()
    response = as_user("township_officer").put(
        f"{API}/households/{household.pk}/years/2025",
        {"version": 1, "wage_income": 9000},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["net_income"] == "9000.00"
    assert changes() == before + 1
    change = ObjectChange.objects.latest("id")
    assert change.before["wage_income"] == "8000" and change.after["wage_income"] == "9000"


@pytest.mark.parametrize(
    ("year", "body", "status"),
    [
        (2025, {"version": 1, "wage_income": -5}, 422),
        (2025, {"version": 1, "wage_income": "NaN"}, 422),
        (2025, {"version": 1, "wage_income": "1.234"}, 422),
        (2025, {"version": 1, "net_income": 100}, 422),  # derived, never typed in
        (2025, {"version": 1, "road_type": "8"}, 422),
        (1899, {"version": 1, "wage_income": 1}, 422),
        ("20x5", {"version": 1, "wage_income": 1}, 422),
        (2025, {"version": 3, "wage_income": 1}, 409),
    ],
)
def test_put_year_with_bad_input_writes_nothing(
    as_user: Callable[[str], Client], world: World, year: object, body: dict, status: int
) -> None:
    before = changes()
    response = as_user("township_officer").put(
        f"{API}/households/{world.household_a.pk}/years/{year}", body, content_type="application/json"
    )
    assert response.status_code == status, response.content
    assert has_chinese(response.json()["detail"])
    assert changes() == before
    assert HouseholdYear.objects.get(household=world.household_a, year=2025).wage_income == 8000


# --------------------------------------------------------------------------------------------------
# Imports
# --------------------------------------------------------------------------------------------------


def make_batch(world: World, *, report: bool = True) -> ImportBatch:
    """A finished import batch of the 玉泉镇 officer, with an error report file in the data directory."""
    report_name = ""
    if report:
        folder = Path(settings.MEDIA_ROOT) / "import-errors"
        folder.mkdir(parents=True, exist_ok=True)
        report_path = folder / "b-test.xlsx"
        report_path.write_bytes(b"PK\x03\x04 test report")
        report_name = str(report_path.relative_to(settings.MEDIA_ROOT))
    return ImportBatch.objects.create(
        id="b" + timezone.now().strftime("%H%M%S%f"),
        file_name="玉泉镇农户.xlsx",
        file_sha256="0" * 64,
        user=world.users["township_officer"],
        user_name="township_officer",
        region=world.township_a,
        policy=ImportBatch.Policy.VALID_ONLY,
        state=ImportBatch.State.PARTIAL,
        rows_total=10,
        rows_rejected=2,
        households_created=3,
        error_count=2,
        errors_preview=[
            {"sheet": "Sheet1", "row": 4, "column": "证件号码", "value": "", "message": "校验码错误"}
        ],
        error_report=report_name,
    )


def test_import_batch_summary_and_error_report(as_user: Callable[[str], Client], world: World) -> None:
    batch = make_batch(world)
    client = as_user("township_officer")
    body = client.get(f"{API}/imports/{batch.pk}").json()
    assert body["id"] == batch.pk and body["state"] == {"code": "partial", "label": "部分导入"}
    assert body["policy"]["code"] == "valid" and body["households_created"] == 3
    assert body["errors"] == [
        {
            "sheet": "Sheet1",
            "row": 4,
            "column": "证件号码",
            "value": "",
            "message": "校验码错误",
            "household_number": "",
        }
    ]
    assert body["error_report_url"] == f"/api/registry/imports/{batch.pk}/errors"
    report = client.get(body["error_report_url"])
    assert report.status_code == 200
    assert report["Content-Type"].startswith("application/vnd.openxmlformats")
    assert b"".join(report.streaming_content) == b"PK\x03\x04 test report"  # type: ignore[attr-defined]


def test_batch_without_report_has_no_download(as_user: Callable[[str], Client], world: World) -> None:
    batch = make_batch(world, report=False)
    client = as_user("township_officer")
    assert client.get(f"{API}/imports/{batch.pk}").json()["error_report_url"] is None
    response = client.get(f"{API}/imports/{batch.pk}/errors")
    assert response.status_code == 404 and has_chinese(response.json()["detail"])


@pytest.mark.parametrize("role", ["leader", "auditor", "department", "helper"])
def test_roles_that_cannot_edit_cannot_import(as_user: Callable[[str], Client], role: str) -> None:
    before = changes()
    upload = SimpleUploadedFile("a.xlsx", b"PK\x03\x04", content_type="application/octet-stream")
    response = as_user(role).post(f"{API}/imports", {"file": upload, "policy": "all"})
    assert response.status_code == 403 and has_chinese(response.json()["detail"])
    assert changes() == before and not ImportBatch.objects.exists()


def test_import_needs_a_file_and_a_known_policy(as_user: Callable[[str], Client]) -> None:
    client = as_user("township_officer")
    no_file = client.post(f"{API}/imports", {"policy": "all"})
    assert no_file.status_code == 422 and "file" in no_file.json()["errors"]
    upload = SimpleUploadedFile("a.xlsx", b"PK\x03\x04")
    bad_policy = client.post(f"{API}/imports", {"file": upload, "policy": "some"})
    assert bad_policy.status_code == 422 and "policy" in bad_policy.json()["errors"]
    empty = client.post(f"{API}/imports", {"file": SimpleUploadedFile("a.xlsx", b""), "policy": "all"})
    assert empty.status_code == 422 and has_chinese(empty.json()["detail"])


def _register_file(folder: Path) -> Path:
    """A register file with one good household of 南山村 and one whose member has a broken ID number."""
    importdata = pytest.importorskip("jingzhun.registry.tests.importdata", reason="awaits the importer")
    good = importdata.household_rows("620502100201000901", members=2, start=900)
    bad = importdata.household_rows(
        "620502100201000902", members=1, start=910, id_number="620502197001010000"
    )
    return importdata.write_csv(folder / "南山村农户.csv", good + bad)


def test_import_commits_the_valid_households_and_reports_the_rest(
    as_user: Callable[[str], Client], world: World, tmp_path: Path
) -> None:
    pytest.importorskip("jingzhun.registry.importer", reason="awaits jingzhun.registry.importer")
    path = _register_file(tmp_path)
    client = as_user("township_officer")
    # When the 玉泉镇 officer uploads it, importing the valid households
    with path.open("rb") as handle:
        response = client.post(f"{API}/imports", {"file": handle, "policy": "valid"})
    # Then the good household is in, the bad one is reported with its row, and the report downloads
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["file_name"] == "南山村农户.csv" and body["user_name"] == "township_officer"
    assert body["state"] == {"code": "partial", "label": "部分导入"}, body["message"]
    assert body["households_created"] == 1 and body["members_created"] == 2 and body["error_count"] >= 1
    [error] = [e for e in body["errors"] if e["column"] and e["household_number"] == "620502100201000902"][:1]
    assert error["row"] == 4 and has_chinese(error["message"])
    assert Household.objects.filter(household_number="620502100201000901").exists()
    assert not Household.objects.filter(household_number="620502100201000902").exists()
    report = client.get(body["error_report_url"])
    streamed = report.streaming_content  # type: ignore[attr-defined]  # a FileResponse
    assert report.status_code == 200 and b"".join(streamed).startswith(b"PK")
    assert client.get(f"{API}/imports/{body['id']}").json()["id"] == body["id"]
    # And the other township's officer cannot see the batch
    assert as_user("township_b_officer").get(f"{API}/imports/{body['id']}").status_code == 404


def test_import_all_or_nothing_writes_nothing_when_a_row_is_wrong(
    as_user: Callable[[str], Client], world: World, tmp_path: Path
) -> None:
    pytest.importorskip("jingzhun.registry.importer", reason="awaits jingzhun.registry.importer")
    path = _register_file(tmp_path)
    households = Household.objects.count()
    with path.open("rb") as handle:
        response = as_user("township_officer").post(f"{API}/imports", {"file": handle, "policy": "all"})
    assert response.status_code == 201
    body = response.json()
    assert body["state"]["code"] == "rejected" and has_chinese(body["message"])
    assert Household.objects.count() == households


# --------------------------------------------------------------------------------------------------
# Token command and the OpenAPI document
# --------------------------------------------------------------------------------------------------


def test_token_command_prints_a_working_token_once_and_audits_it(world: World) -> None:
    # Given the 玉泉镇 officer has no token
    officer = world.users["township_officer"]
    out, err = StringIO(), StringIO()
    # When an operator creates one from the command line
    call_command("token", "create", "township_officer", "--name", "数据对接", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    # Then the raw token works against the API, only its hash is stored, and the creation is audited
    assert raw.startswith("jz_") and "不会再显示" in err.getvalue()
    assert (
        Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/me").json()["username"]
        == officer.username
    )
    token = officer.api_tokens.get()
    assert token.name == "数据对接" and raw not in token.key_hash
    change = ObjectChange.objects.get(object_type="accounts.apitoken", object_id=str(token.pk))
    assert change.user_name == "系统（命令行）" and change.user is None and change.source == "cli"
    # And listing shows the prefix, never the token
    listing = StringIO()
    call_command("token", "list", "township_officer", stdout=listing)
    assert token.prefix in listing.getvalue() and raw not in listing.getvalue()


def test_token_command_refuses_an_unknown_user(world: World) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="用户不存在"):
        call_command("token", "create", "nobody")


def test_every_operation_is_documented_in_chinese() -> None:
    from jingzhun.api import api

    schema = api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert has_chinese(operation.get("summary", "")), (method, path)
            assert has_chinese(operation.get("description", "")), (method, path)
            assert operation.get("security"), f"{method} {path} must require the bearer token"
