"""The REST API (Django Ninja): OpenAPI at /api/docs; bearer-token auth; routers per domain.

Every error is JSON ``{"code", "detail"}`` with a Chinese ``detail`` (and ``errors`` by field for 422),
whether it comes from a service (``JingzhunError``), from request validation or from authentication.
The interactive docs need a logged-in web session; the operations themselves need a bearer token.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from jingzhun.accounts.services import user_for_token
from jingzhun.core.errors import JingzhunError


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> object | None:
        try:
            user = user_for_token(token)
        except JingzhunError:
            return None
        request.user = user
        return user


api = NinjaAPI(
    title="精准 Jingzhun API",
    version="1",
    description="防止返贫监测与建档立卡信息系统的接口。每个请求都要带 `Authorization: Bearer <令牌>`；"
    "令牌用 `jingzhun token create 用户名` 生成。只能看到和修改本人辖区内、本人角色允许的数据；"
    '辖区以外的对象与不存在的对象一样返回 404。错误统一为 `{"code": …, "detail": "中文说明"}`。',
    auth=TokenAuth(),
    urls_namespace="api",
    docs_decorator=login_required,
)


@api.exception_handler(JingzhunError)
def jingzhun_error(request: HttpRequest, exc: JingzhunError) -> HttpResponse:
    payload: dict[str, object] = {"code": exc.code, "detail": exc.message}
    errors = getattr(exc, "errors", None)
    if errors:
        payload["errors"] = errors
    return api.create_response(request, payload, status=exc.status)


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
    payload = {
        "code": "unauthorized",
        "detail": "需要有效的 API 令牌：请求头应为 Authorization: Bearer <令牌>",
    }
    response = api.create_response(request, payload, status=401)
    response["WWW-Authenticate"] = "Bearer"
    return response


HTTP_MESSAGES = {
    400: ("bad_request", "请求无法解析：请求体应为有效的 JSON"),
    403: ("forbidden", "无权进行此操作"),
    404: ("not_found", "记录不存在或无权访问"),
    405: ("method_not_allowed", "不支持此请求方法"),
    429: ("throttled", "请求过于频繁，请稍后再试"),
}


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code, detail = HTTP_MESSAGES.get(exc.status_code, ("error", "请求失败"))
    return api.create_response(request, {"code": code, "detail": detail}, status=exc.status_code)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"code": "not_found", "detail": "记录不存在或无权访问"}, status=404)


# --------------------------------------------------------------------------------------------------
# Who am I
# --------------------------------------------------------------------------------------------------


class MeOut(Schema):
    username: str = Field(description="用户名")
    full_name: str = Field(description="姓名")
    role: dict[str, str] = Field(description="角色（code 代码，label 中文名称）")
    region: dict[str, str] | None = Field(description="辖区（code 区划代码，name 名称）；系统管理员可为 null")
    can_edit_registry: bool = Field(description="能否修改辖区内的农户信息")
    can_import: bool = Field(description="能否导入农户信息表")
    can_read_audit: bool = Field(description="能否查看变更记录")


@api.get(
    "/me",
    response=MeOut,
    tags=["账户"],
    summary="当前用户",
    description="令牌所属用户的角色、辖区和权限，供客户端决定显示哪些功能。",
)
def me(request: HttpRequest) -> dict[str, Any]:
    from jingzhun.registry import access

    user: Any = request.auth  # type: ignore[attr-defined]
    region = user.region
    return {
        "username": user.username,
        "full_name": user.full_name,
        "role": {"code": user.role, "label": str(user.get_role_display())},
        "region": {"code": region.code, "name": region.name} if region else None,
        "can_edit_registry": user.can_edit_registry,
        "can_import": access.can_import(user),
        "can_read_audit": bool(access.can_read_audit(user)),
    }


def _register_routers() -> None:
    from jingzhun.analytics.api import router as analytics_router
    from jingzhun.assessment.api import router as assessment_router
    from jingzhun.assistance.api import router as assistance_router
    from jingzhun.comparison.api import router as comparison_router
    from jingzhun.policy.api import router as policy_router
    from jingzhun.procedures.api import router as procedures_router
    from jingzhun.procedures.village_api import router as villages_router
    from jingzhun.registry.api import router as registry_router
    from jingzhun.registry.region_api import router as regions_router

    api.add_router("/regions", regions_router)
    api.add_router("/registry", registry_router)
    api.add_router("/policy", policy_router)
    api.add_router("/procedures", procedures_router)
    api.add_router("/comparison", comparison_router)
    api.add_router("/assessment", assessment_router)
    api.add_router("/analytics", analytics_router)
    api.add_router("/assistance", assistance_router)
    api.add_router("/villages", villages_router)


_register_routers()
