"""The core on its own: errors, the actor context and its middleware, the Chinese-first locale, uploads,
the audit writer, the web error decorators and the masking filters. Only Django's own models are used
(``auth.Group`` as the audited object), so core's tests import no app."""

from __future__ import annotations

import datetime as dt
import decimal
import re

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser, Group
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.test import RequestFactory
from django.utils import translation

from jingzhun.core import audit, context
from jingzhun.core.errors import (
    ConcurrentEditError,
    JingzhunError,
    NotFoundOrForbidden,
    PermissionDeniedError,
    ValidationFailed,
)
from jingzhun.core.locale import ChineseFirstLocaleMiddleware
from jingzhun.core.middleware import AuditContextMiddleware
from jingzhun.core.models import ChangeAction, ObjectChange
from jingzhun.core.templatetags import jz
from jingzhun.core.uploads import checked_upload, save_upload
from jingzhun.core.views import attempt, web_errors

# ------------------------------------------------------------------------------------------------ errors


def test_errors_carry_code_status_and_a_chinese_default():
    cases = [
        (NotFoundOrForbidden(), "not_found", 404, "记录不存在或无权访问"),
        (PermissionDeniedError("无权审批"), "forbidden", 403, "无权审批"),
        (ConcurrentEditError(), "concurrent_edit", 409, "该记录已被他人修改，请刷新后在最新内容上重新修改"),
        (ValidationFailed("姓名不能为空"), "invalid", 422, "姓名不能为空"),
        (JingzhunError("出错了"), "error", 400, "出错了"),
    ]
    for error, code, status, message in cases:
        assert (error.code, error.status, error.message, str(error)) == (code, status, message, message)
    assert ValidationFailed("x").errors == {}
    assert ValidationFailed("x", {"name": ["必填"]}).errors == {"name": ["必填"]}
    assert JingzhunError("x", code="stale").code == "stale"
    assert JingzhunError.code == "error"  # the override is the instance's only


# ------------------------------------------------------------------------------------ context, middleware


def test_acting_sets_and_restores_the_context():
    outside = context.current()
    assert outside.source == "system" and outside.remote_addr is None
    with context.acting(source="cli") as outer:
        assert context.current() is outer
        with context.acting(remote_addr="10.0.0.1") as inner:
            assert (inner.source, inner.remote_addr, inner.request_id) == (
                "cli",
                "10.0.0.1",
                outer.request_id,
            )
        assert context.current() is outer
    assert context.current().source == "system"


@pytest.mark.parametrize(("path", "source"), [("/api/registry/households", "api"), ("/registry/", "web")])
def test_the_middleware_names_the_request_in_the_context(path, source):
    seen = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(context.current())
        return HttpResponse("ok")

    request = RequestFactory().get(path, REMOTE_ADDR="192.0.2.7")
    response = AuditContextMiddleware(view)(request)
    (ctx,) = seen
    assert (ctx.source, ctx.remote_addr) == (source, "192.0.2.7")
    assert response["X-Request-ID"] == ctx.request_id and re.fullmatch(r"[0-9a-f]{32}", ctx.request_id)
    assert context.current().request_id != ctx.request_id  # reset after the request


@pytest.mark.parametrize(
    ("cookie", "accept", "language"),
    [(None, "en-US,en;q=0.9", "zh-hans"), ("en", "zh-CN", "en"), ("klingon", "en", "zh-hans")],
)
def test_the_interface_is_chinese_unless_the_language_cookie_says_otherwise(
    settings, cookie, accept, language
):
    seen = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append((request.LANGUAGE_CODE, translation.get_language()))
        return HttpResponse("ok")

    request = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE=accept)
    if cookie:
        request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = cookie
    try:
        response = ChineseFirstLocaleMiddleware(view)(request)
    finally:
        translation.activate(settings.LANGUAGE_CODE)
    assert seen == [(language, language)]
    assert response["Content-Language"] == language


# ----------------------------------------------------------------------------------------------- uploads


def _file(name: str, content: bytes = b"a,b\n1,2\n") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def test_checked_upload_refuses_type_size_and_emptiness_in_chinese(settings):
    settings.JINGZHUN_MAX_IMPORT_BYTES = 1024 * 1024
    ok = _file("村名单.CSV")
    assert checked_upload(ok, (".xlsx", ".csv")) is ok
    refusals = []
    for upload, extensions, verb in [
        (_file("data.txt"), (".xlsx", ".xls", ".csv"), "导入"),
        (_file("photo.png"), (".pdf",), "上传"),
        (_file("big.csv", b"x" * (1024 * 1024 + 1)), (".csv",), "导入"),
        (_file("empty.csv", b""), (".csv",), "导入"),
    ]:
        with pytest.raises(forms.ValidationError) as info:
            checked_upload(upload, extensions, verb)
        refusals.append(info.value.messages[0])
    assert refusals == [
        "只能导入 .xlsx、.xls 或 .csv 文件",
        "只能上传 .pdf 文件",
        "文件太大：最大 1 MB，请拆分后分批导入",
        "文件是空的",
    ]


def test_save_upload_keeps_a_safe_name_under_media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    stored = [
        save_upload(_file(name, b"content"))
        for name in ("秦州区 2025.xlsx", "../../etc/passwd", "@@@", "a" * 300 + ".csv")
    ]
    assert all(p.parent == tmp_path / "uploads" and p.read_bytes() == b"content" for p in stored)
    names = [p.name.split("_", 1)[1] for p in stored]
    assert names[:3] == ["秦州区_2025.xlsx", "passwd", "upload"]
    assert len(names[3]) == 100 and names[3].endswith(".csv")
    assert len({p.name for p in stored}) == 4


# ------------------------------------------------------------------------------------------------- audit


def test_jsonable_turns_values_into_json():
    assert audit.jsonable(dt.date(2025, 1, 2)) == "2025-01-02"
    assert audit.jsonable(dt.datetime(2025, 1, 2, 3, 4, 5)) == "2025-01-02T03:04:05"
    assert audit.jsonable(decimal.Decimal("1.50")) == "1.50"  # as stored: the field's places
    assert audit.jsonable(decimal.Decimal("2.00")) == "2"  # a whole amount without its zeros
    assert audit.jsonable(decimal.Decimal("1E+2")) == "100"
    assert audit.jsonable((dt.date(2025, 1, 2), [decimal.Decimal("0.10")])) == ["2025-01-02", ["0.10"]]
    assert audit.jsonable_dict({"a": 1, "b": None}) == {"a": 1, "b": None}


def test_actor_of_a_user_or_the_fallback():
    class Person:
        is_authenticated = True

        def get_username(self) -> str:
            return "clerk"

    person = Person()
    assert audit.Actor.of(person) == audit.Actor(user=person, name="clerk")
    assert audit.Actor.of(AnonymousUser()) == audit.Actor(user=None, name="系统")
    assert audit.Actor.of(None, "导入任务") == audit.Actor(user=None, name="导入任务")


@pytest.mark.django_db
def test_record_writes_one_change_per_real_write_with_the_context():
    actor = audit.Actor(user=None, name="测试")
    group = Group.objects.create(name="县级审核")
    with context.acting(source="cli", remote_addr="192.0.2.9") as ctx:
        created = audit.record(actor, ChangeAction.CREATE, group)
    assert created is not None
    created.refresh_from_db()
    assert (created.object_type, created.object_id, created.root_type, created.root_id) == (
        "auth.group",
        str(group.pk),
        "auth.group",
        str(group.pk),
    )
    assert (created.source, created.remote_addr, created.request_id) == ("cli", "192.0.2.9", ctx.request_id)
    assert (created.before, created.after, created.user_name) == (None, audit.snapshot(group), "测试")
    assert created.after == {"id": group.pk, "name": "县级审核"}

    before = audit.snapshot(group)
    assert audit.record(actor, ChangeAction.UPDATE, group, before=before) is None  # nothing changed
    group.name = "乡镇审核"
    group.save()
    updated = audit.record(actor, ChangeAction.UPDATE, group, before=before, batch="b1")
    assert updated is not None and (updated.before["name"], updated.after["name"], updated.batch) == (
        "县级审核",
        "乡镇审核",
        "b1",
    )
    deleted = audit.record(actor, ChangeAction.DELETE, group, before=audit.snapshot(group))
    assert deleted is not None and deleted.after is None
    assert list(
        ObjectChange.objects.filter(object_id=str(group.pk)).order_by("id").values_list("action", flat=True)
    ) == [
        ChangeAction.CREATE,
        ChangeAction.UPDATE,
        ChangeAction.DELETE,
    ]


@pytest.mark.django_db
def test_record_many_writes_built_changes_in_bulk():
    actor = audit.Actor(user=None, name="导入")
    groups = [Group.objects.create(name=f"组{i}") for i in range(3)]
    at = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    changes = [
        audit.build_change(
            actor, ChangeAction.CREATE, g, before=None, after=audit.snapshot(g), batch="x", at=at
        )
        for g in groups
    ]
    assert audit.record_many(changes) == 3
    stored = ObjectChange.objects.filter(batch="x").order_by("object_id")
    assert [c.object_id for c in stored] == sorted(str(g.pk) for g in groups)
    assert {c.time for c in stored} == {at}


def test_snapshot_leaves_out_secrets_and_versions():
    assert {"password", "key_hash", "version", "last_login", "updated_at"} <= audit.SKIP_FIELDS


# ------------------------------------------------------------------------------------------------- views


def test_web_errors_turns_service_errors_into_404_and_403():
    def missing(request: HttpRequest) -> HttpResponse:
        raise NotFoundOrForbidden()

    def forbidden(request: HttpRequest) -> HttpResponse:
        raise PermissionDeniedError("只有县级管理员可以操作")

    request = RequestFactory().get("/")
    with pytest.raises(Http404) as not_found:
        web_errors(missing)(request)
    assert str(not_found.value) == ""  # the 404 names nothing
    with pytest.raises(PermissionDenied, match="只有县级管理员可以操作"):
        web_errors(forbidden)(request)
    assert web_errors(lambda r: HttpResponse("ok"))(request).content == b"ok"


def test_attempt_turns_expected_failures_into_a_message_and_status():
    def failing(error: Exception):
        def action():
            raise error

        return action

    assert attempt(lambda: 7) == (7, "", 200, {})
    assert attempt(failing(ConcurrentEditError())) == (None, ConcurrentEditError().message, 409, {})
    assert attempt(failing(ValidationFailed("有误", {"name": ["必填"]}))) == (
        None,
        "有误",
        422,
        {"name": ["必填"]},
    )
    assert attempt(failing(JingzhunError("不行"))) == (None, "不行", 422, {})
    for error in (NotFoundOrForbidden(), PermissionDeniedError("无权")):
        with pytest.raises(type(error)):
            attempt(failing(error))


# ------------------------------------------------------------------------------------- template filters


def test_masking_filters():
    assert jz.mask_id("620502198005171234") == "620502********1234"
    assert jz.mask_id("12345") == "*2345"
    assert jz.mask_id(None) == ""
    assert jz.mask_phone("13812345678") == "138****5678"
    assert jz.mask_phone("12345") == "*****"
    assert jz.mask_account("6228480012345678") == "**** 5678"
    assert jz.mask_account("") == ""


def test_display_labels_and_masks():
    with translation.override("zh-hans"):
        assert jz.display(None, "anything", None) == jz.EMPTY
        assert jz.display(None, "anything", []) == jz.EMPTY
        assert jz.display(None, "flag", True) == "是"
        assert jz.display(None, "flag", False) == "否"
        assert jz.display(None, "phone", "13812345678") == "138****5678"
        assert jz.display(None, "phone", "13812345678", reveal=True) == "13812345678"
    assert jz.source_label("import") == "导入" and jz.source_label("other") == "other"
