"""Users, roles, jurisdictions, API tokens, the session backend, the token command and the login page.

Cheap on purpose: three regions (province, county, township) per test, no households.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jingzhun.accounts.backends import RegionModelBackend
from jingzhun.accounts.choices import AUDIT_READERS, EDITOR_ROLES, JURISDICTION_READERS, Role
from jingzhun.accounts.models import ApiToken, User, hash_token
from jingzhun.accounts.services import create_api_token, create_user, user_for_token
from jingzhun.core.audit import Actor
from jingzhun.core.errors import NotFoundOrForbidden, ValidationFailed
from jingzhun.core.models import ChangeAction, ObjectChange
from jingzhun.regions.models import Region
from jingzhun.regions.services import RegionRow, upsert_regions

pytestmark = pytest.mark.django_db

ACTOR = Actor(user=None, name="测试")
PASSWORD = "pass-1234"


@pytest.fixture
def regions() -> dict[str, Region]:
    upsert_regions(
        [RegionRow("62", "甘肃省"), RegionRow("620502", "秦州区"), RegionRow("620502100", "玉泉镇")]
    )
    return {r.prefix: r for r in Region.objects.all()}


def _user(regions: dict[str, Region], username: str, role: str, prefix: str | None = "620502") -> User:
    return create_user(
        actor=ACTOR,
        username=username,
        password=PASSWORD,
        role=role,
        region=regions[prefix] if prefix else None,
        full_name=f"{username}姓名",
    )


# ------------------------------------------------------------------------------------------------ users


def test_create_user_hashes_the_password_and_audits_the_user(regions):
    user = _user(regions, "clerk", Role.TOWNSHIP_OFFICER, "620502100")
    user.refresh_from_db()
    assert user.password != PASSWORD and user.check_password(PASSWORD)
    assert (user.role, user.region, user.is_superuser, user.is_staff) == (
        Role.TOWNSHIP_OFFICER,
        regions["620502100"],
        False,
        False,
    )
    change = ObjectChange.objects.get(action=ChangeAction.CREATE, object_id=str(user.pk))
    assert change.user_name == "测试"
    assert change.object_type == "accounts.user" and PASSWORD not in json.dumps(change.after)


def test_an_administrator_needs_no_region_and_is_superuser(regions):
    admin = _user(regions, "root", Role.ADMIN, None)
    assert admin.is_superuser and admin.is_staff
    assert admin.jurisdiction_prefix is None


@pytest.mark.parametrize(
    ("username", "role", "prefix", "message"),
    [
        ("x", "mayor", "620502", "未知角色：mayor"),
        ("x", Role.LEADER, None, "除系统管理员外，每个用户都必须指定辖区"),
        ("taken", Role.LEADER, "620502", "用户名 taken 已存在"),
    ],
)
def test_create_user_refuses_with_a_chinese_reason(regions, username, role, prefix, message):
    _user(regions, "taken", Role.LEADER)
    with pytest.raises(ValidationFailed) as info:
        _user(regions, username, role, prefix)
    assert info.value.message == message
    assert User.objects.count() == 1


def test_jurisdiction_prefix_is_the_region_prefix(regions):
    county = _user(regions, "county", Role.COUNTY_ADMIN, "620502")
    township = _user(regions, "town", Role.TOWNSHIP_OFFICER, "620502100")
    assert county.jurisdiction_prefix == "620502"
    assert township.jurisdiction_prefix == "620502100"
    county.region = None
    assert county.jurisdiction_prefix is None


@pytest.mark.parametrize("role", list(Role))
def test_only_editor_roles_may_edit_the_register(regions, role):
    user = _user(regions, "u", role, None if role == Role.ADMIN else "620502")
    assert user.can_edit_registry is (role in EDITOR_ROLES)
    user.is_active = False
    assert user.can_edit_registry is False


def test_role_sets_are_consistent():
    assert EDITOR_ROLES <= JURISDICTION_READERS
    assert {Role.HELPER, Role.DEPARTMENT}.isdisjoint(JURISDICTION_READERS)
    assert Role.AUDITOR in AUDIT_READERS and Role.LEADER not in AUDIT_READERS
    assert all(label for _value, label in Role.choices)


def test_a_user_is_shown_by_full_name_else_username(regions):
    user = _user(regions, "named", Role.LEADER)
    assert str(user) == "named姓名"
    user.full_name = ""
    assert str(user) == "named"


# ----------------------------------------------------------------------------------------------- tokens


def test_a_token_is_stored_only_as_its_hash_and_audited(regions):
    user = _user(regions, "api", Role.COUNTY_ADMIN)
    token, raw = create_api_token(actor=ACTOR, user=user, name="县扶贫办数据对接")
    assert raw.startswith("jz_") and len(raw) > 40
    token.refresh_from_db()
    assert token.key_hash == hash_token(raw) and raw not in token.key_hash
    assert token.prefix == raw[:8] and str(token) == f"{raw[:8]}… (api姓名)"
    assert (
        ObjectChange.objects.filter(
            action=ChangeAction.CREATE,
            object_type="accounts.apitoken",
            object_id=str(token.pk),
            root_id=str(user.pk),
        ).count()
        == 1
    )
    assert ApiToken.generate() != ApiToken.generate()


def test_a_token_finds_its_user_and_records_its_use(regions):
    user = _user(regions, "api", Role.COUNTY_ADMIN)
    token, raw = create_api_token(actor=ACTOR, user=user)
    assert token.last_used_at is None
    assert user_for_token(raw) == user
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_wrong_expired_or_disabled_token_is_one_error(regions):
    user = _user(regions, "api", Role.COUNTY_ADMIN)
    token, raw = create_api_token(actor=ACTOR, user=user)
    refusals = []
    for case in ("wrong", "expired", "inactive"):
        given = raw + "x" if case == "wrong" else raw
        if case == "expired":
            ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
        if case == "inactive":
            ApiToken.objects.filter(pk=token.pk).update(expires_at=None)
            User.objects.filter(pk=user.pk).update(is_active=False)
        with pytest.raises(NotFoundOrForbidden) as info:
            user_for_token(given)
        refusals.append(info.value.message)
    assert refusals == ["令牌无效或已过期"] * 3


# ------------------------------------------------------------------------------------- the token command


def test_token_command_prints_the_raw_token_once_and_lists_prefixes(regions):
    user = _user(regions, "cli", Role.COUNTY_ADMIN)
    out, err = io.StringIO(), io.StringIO()
    call_command("token", "create", "cli", "--name", "对接", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert user_for_token(raw) == user
    assert "请立即保存" in err.getvalue()
    change = ObjectChange.objects.get(
        object_type="accounts.apitoken", object_id=str(ApiToken.objects.get().pk)
    )
    assert (change.source, change.user_name) == ("cli", "系统（命令行）")
    listing = io.StringIO()
    call_command("token", "list", "cli", stdout=listing)
    assert f"{raw[:8]}…\t对接" in listing.getvalue() and raw not in listing.getvalue()
    assert "有效" in listing.getvalue()


def test_token_command_refuses_in_chinese(regions):
    user = _user(regions, "cli", Role.COUNTY_ADMIN)
    with pytest.raises(CommandError, match="用户不存在：nobody"):
        call_command("token", "list", "nobody")
    with pytest.raises(CommandError, match="不能超过 100 个字"):
        call_command("token", "create", "cli", "--name", "长" * 101)
    User.objects.filter(pk=user.pk).update(is_active=False)
    with pytest.raises(CommandError, match="已停用"):
        call_command("token", "create", "cli")
    assert not ApiToken.objects.exists()
    listing = io.StringIO()
    call_command("token", "list", "cli", stdout=listing)
    assert listing.getvalue().strip() == "用户 cli 没有令牌"


# ---------------------------------------------------------------------------- session backend and login


def test_the_session_user_comes_with_the_region(regions, django_assert_num_queries):
    user = _user(regions, "session", Role.TOWNSHIP_OFFICER, "620502100")
    backend = RegionModelBackend()
    with django_assert_num_queries(1):
        loaded = backend.get_user(user.pk)
        assert loaded.jurisdiction_prefix == "620502100"
    assert backend.get_user(10**9) is None
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert backend.get_user(user.pk) is None


def test_the_user_model_is_ours():
    assert get_user_model() is User


def test_login_page_refuses_a_wrong_password_in_chinese_and_logs_in(regions):
    _user(regions, "person", Role.LEADER)
    client = Client()
    page = client.get(reverse("login"))
    assert page.status_code == 200 and "请使用分配给您的账号登录" in page.content.decode()
    wrong = client.post(reverse("login"), {"username": "person", "password": "nope"})
    assert wrong.status_code == 200
    assert "用户名或密码不正确" in wrong.content.decode()
    assert "_auth_user_id" not in client.session
    right = client.post(reverse("login"), {"username": "person", "password": PASSWORD})
    assert right.status_code == 302 and right.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home")).status_code == 302


def test_an_inactive_user_cannot_log_in(regions):
    user = _user(regions, "gone", Role.LEADER)
    User.objects.filter(pk=user.pk).update(is_active=False)
    client = Client()
    response = client.post(reverse("login"), {"username": "gone", "password": PASSWORD})
    assert response.status_code == 200 and "用户名或密码不正确" in response.content.decode()
