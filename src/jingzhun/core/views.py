"""The decorator that turns service errors into the web's 404/403 pages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from jingzhun.core.errors import (
    ConcurrentEditError,
    JingzhunError,
    NotFoundOrForbidden,
    PermissionDeniedError,
    ValidationFailed,
)

_P = ParamSpec("_P")
_R = TypeVar("_R", bound=HttpResponseBase)


def web_errors(view: Callable[_P, _R]) -> Callable[_P, _R]:
    """Render NotFoundOrForbidden as the plain 404 page (same body for missing and not-yours), and
    PermissionDeniedError as 403. The 404 page never echoes the id or path that was asked for."""

    @functools.wraps(view)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return view(*args, **kwargs)
        except NotFoundOrForbidden:
            raise Http404() from None
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from None

    return wrapper


def attempt(action: Callable[[], Any]) -> tuple[Any, str, int, dict[str, list[str]]]:
    """Run a form's write: an expected failure becomes the page's message, status (409 for a stale version,
    else 422) and field errors; "not yours" and "not allowed" stay exceptions for ``web_errors``."""
    try:
        return action(), "", 200, {}
    except (NotFoundOrForbidden, PermissionDeniedError):
        raise
    except ConcurrentEditError as exc:
        return None, exc.message, 409, {}
    except ValidationFailed as exc:
        return None, exc.message, 422, exc.errors
    except JingzhunError as exc:
        return None, exc.message, 422, {}


# ---------------------------------------------------------------------------------------------------
# Background jobs (core.jobs): a job's own page follows its progress and offers its result


def _job(user: Any, job_id: str) -> Any:
    from jingzhun.core import jobs

    if not job_id.isascii() or not job_id.isalnum():
        raise NotFoundOrForbidden("任务不存在或无权访问")
    job = jobs.visible_to(user).filter(pk=job_id).first()
    if job is None:
        raise NotFoundOrForbidden("任务不存在或无权访问")
    return job


@login_required
@web_errors
def job_detail(request: HttpRequest, job_id: str) -> HttpResponse:
    from django.utils.cache import patch_vary_headers

    job = _job(request.user, job_id)
    if request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET"})
    template = "core/job.html"
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted:
        template = "core/_job_status.html"
    response = render(request, template, {"job": job})
    patch_vary_headers(response, ["HX-Request"])
    response["Cache-Control"] = "no-store"
    return response


@login_required
@web_errors
def job_download(request: HttpRequest, job_id: str) -> HttpResponseBase:
    from pathlib import Path

    from django.conf import settings
    from django.http import FileResponse

    job = _job(request.user, job_id)
    media = Path(settings.MEDIA_ROOT).resolve()
    path = (media / job.result_file).resolve() if job.result_file else None
    if path is None or not path.is_relative_to(media) or not path.is_file():
        raise Http404()
    name = job.params.get("download_name") or path.name
    return FileResponse(path.open("rb"), as_attachment=True, filename=name)
