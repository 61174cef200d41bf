"""Puts the request id and client address into the audit context for the duration of a request."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from jingzhun.core.context import acting


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = uuid.uuid4().hex
        source = "api" if request.path.startswith("/api/") else "web"
        with acting(request_id=request_id, remote_addr=request.META.get("REMOTE_ADDR"), source=source):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
