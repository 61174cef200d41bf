"""The REST API (Django Ninja): OpenAPI at /api/docs; bearer-token auth; routers per domain."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
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


api = NinjaAPI(title="精准 Jingzhun API", version="1", auth=TokenAuth(), urls_namespace="api")


@api.exception_handler(JingzhunError)
def jingzhun_error(request: HttpRequest, exc: JingzhunError) -> HttpResponse:
    payload: dict[str, object] = {"code": exc.code, "detail": exc.message}
    errors = getattr(exc, "errors", None)
    if errors:
        payload["errors"] = errors
    return api.create_response(request, payload, status=exc.status)


def _register_routers() -> None:
    from jingzhun.regions.api import router as regions_router
    from jingzhun.registry.api import router as registry_router

    api.add_router("/regions", regions_router)
    api.add_router("/registry", registry_router)


_register_routers()
