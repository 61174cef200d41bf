"""The REST API (Django Ninja): OpenAPI at /api/docs; bearer-token auth; one router per domain.

This module only assembles: the auth, the error vocabulary and its handlers come from ``core.api``, the
operations from each app's ``api`` module. The interactive docs need a logged-in web session; the
operations themselves need a bearer token.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from ninja import NinjaAPI

from jingzhun.analytics.api import router as analytics_router
from jingzhun.assessment.api import router as assessment_router
from jingzhun.assistance.api import router as assistance_router
from jingzhun.comparison.api import router as comparison_router
from jingzhun.core.api import TokenAuth, install_error_handlers
from jingzhun.policy.api import router as policy_router
from jingzhun.procedures.api import router as procedures_router
from jingzhun.procedures.village_api import router as villages_router
from jingzhun.registry.api import account_router
from jingzhun.registry.api import router as registry_router
from jingzhun.registry.region_api import router as regions_router

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
install_error_handlers(api)

api.add_router("", account_router)
api.add_router("/regions", regions_router)
api.add_router("/registry", registry_router)
api.add_router("/policy", policy_router)
api.add_router("/procedures", procedures_router)
api.add_router("/comparison", comparison_router)
api.add_router("/assessment", assessment_router)
api.add_router("/analytics", analytics_router)
api.add_router("/assistance", assistance_router)
api.add_router("/villages", villages_router)
