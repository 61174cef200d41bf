"""What every app's API shares, written once: bearer-token auth, auth gated by role, the error vocabulary and
its Chinese messages, and the user of a request.

Every error is JSON ``{"code", "detail"}`` with a Chinese ``detail`` (and ``errors`` by field for 422),
whether it comes from a service (``JingzhunError``), from request validation or from authentication. The
apps declare their operations' errors as ``{READ_ERRORS: ErrorOut}`` or ``{WRITE_ERRORS: ErrorOut}``;
``jingzhun/api.py`` builds the one ``NinjaAPI`` with ``install_error_handlers`` and mounts the routers.

The token is checked by the authentication backend (``accounts.backends``), reached through Django's
``authenticate(request, token=…)``: ``core`` imports no app.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from django.contrib.auth import authenticate
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from jingzhun.core.errors import JingzhunError, PermissionDeniedError

READ_ERRORS = frozenset({401, 404, 422})
WRITE_ERRORS = frozenset({401, 403, 404, 409, 422})


class ErrorOut(Schema):
    code: str = Field(
        description="错误代码：not_found 不存在或无权访问，forbidden 无权操作，"
        "concurrent_edit 已被他人修改，invalid 填写有误，unauthorized 未认证"
    )
    detail: str = Field(description="中文说明")
    errors: dict[str, list[str]] | None = Field(None, description="按字段列出的错误（字段路径 → 中文说明）")


def user_of(request: HttpRequest) -> Any:
    """The user whose bearer token authenticated the request."""
    return getattr(request, "auth", None)


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <令牌>``: an active user's unexpired token (otherwise 401)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate(request, token=token)
        if user is None:
            return None
        request.user = user
        return user


class RoleAuth(TokenAuth):
    """Token auth that also refuses (403, ``message``) a user whose role may never do the operation, before
    the body is read. ``allowed`` is a set of roles or a test of the user."""

    def __init__(self, allowed: Collection[str] | Callable[[Any], bool], message: str) -> None:
        super().__init__()
        self.allowed = allowed
        self.message = message

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = super().authenticate(request, token)
        if user is not None and not self._allows(user):
            raise PermissionDeniedError(self.message)
        return user

    def _allows(self, user: Any) -> bool:
        if callable(self.allowed):
            return bool(self.allowed(user))
        return getattr(user, "role", None) in self.allowed


# --------------------------------------------------------------------------------------------------
# Request validation errors in Chinese (the field paths are kept as pydantic gives them)
# --------------------------------------------------------------------------------------------------

MESSAGES: dict[str, str] = {
    "missing": "必须填写",
    "extra_forbidden": "不允许的字段（只读字段或拼写错误）",
    "string_type": "应为文本",
    "string_too_short": "至少 {min_length} 个字",
    "string_too_long": "不能超过 {max_length} 个字",
    "string_pattern_mismatch": "取值不在允许范围内",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "int_parsing_size": "数值太大",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "decimal_type": "应为数字",
    "decimal_parsing": "应为数字",
    "decimal_max_digits": "数字位数过多（最多 {max_digits} 位）",
    "decimal_max_places": "小数最多 {decimal_places} 位",
    "decimal_whole_digits": "整数部分位数过多",
    "finite_number": "应为有限的数字",
    "date_type": "应为日期，格式 YYYY-MM-DD",
    "date_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_from_datetime_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_from_datetime_inexact": "应为日期（不带时间），格式 YYYY-MM-DD",
    "datetime_type": "应为时间，格式 YYYY-MM-DDTHH:MM:SS",
    "datetime_parsing": "应为时间，格式 YYYY-MM-DDTHH:MM:SS",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "不能大于 {le}",
    "literal_error": "应为以下之一：{expected}",
    "enum": "应为以下之一：{expected}",
    "list_type": "应为列表",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "dict_type": "应为 JSON 对象",
    "model_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "json_invalid": "不是有效的 JSON",
    "json_type": "不是有效的 JSON",
    "none_required": "应为空",
}
SOURCES = {"body", "query", "path", "form", "file", "header", "cookie"}
HTTP_MESSAGES = {
    400: ("bad_request", "请求无法解析：请求体应为有效的 JSON"),
    403: ("forbidden", "无权进行此操作"),
    404: ("not_found", "记录不存在或无权访问"),
    405: ("method_not_allowed", "不支持此请求方法"),
    429: ("throttled", "请求过于频繁，请稍后再试"),
}
UNAUTHORIZED = "需要有效的 API 令牌：请求头应为 Authorization: Bearer <令牌>"


def _message(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "value_error" and ctx.get("error") is not None:
        return str(ctx["error"])
    template = MESSAGES.get(kind)
    if template is None:
        return f"格式不正确（{error.get('msg', kind)}）"
    try:
        return template.format(**{k: str(v) for k, v in ctx.items()})
    except (KeyError, IndexError):
        return template.split("{")[0].rstrip("：: ") or template


def _field_path(loc: list[Any] | tuple[Any, ...]) -> str:
    """``("body", "payload", "version")`` → ``version``; ``("query", "limit")`` → ``limit``."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in SOURCES:
        source = parts.pop(0)
        if source in {"body", "form"} and len(parts) > 1:
            parts.pop(0)  # the operation's parameter name ("payload")
    return ".".join(parts) or "__all__"


def install_error_handlers(api: NinjaAPI) -> None:
    """Every failure of ``api`` as ``{"code", "detail"}`` in Chinese, with its status."""

    @api.exception_handler(JingzhunError)
    def jingzhun_error(request: HttpRequest, exc: JingzhunError) -> HttpResponse:
        payload: dict[str, object] = {"code": exc.code, "detail": exc.message}
        errors = getattr(exc, "errors", None)
        if errors:
            payload["errors"] = errors
        return api.create_response(request, payload, status=exc.status)

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors: dict[str, list[str]] = {}
        for error in exc.errors:
            errors.setdefault(_field_path(error.get("loc", ())), []).append(_message(error))
        summary = "；".join(f"{field} {'，'.join(msgs)}" for field, msgs in list(errors.items())[:5])
        payload = {"code": "invalid", "detail": f"请求内容有误：{summary}", "errors": errors}
        return api.create_response(request, payload, status=422)

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = api.create_response(request, {"code": "unauthorized", "detail": UNAUTHORIZED}, status=401)
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code, detail = HTTP_MESSAGES.get(exc.status_code, ("error", "请求失败"))
        return api.create_response(request, {"code": code, "detail": detail}, status=exc.status_code)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        code, detail = HTTP_MESSAGES[404]
        return api.create_response(request, {"code": code, "detail": detail}, status=404)
