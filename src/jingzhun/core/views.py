"""Home page, and the decorator that turns service errors into the web's 404/403 pages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from jingzhun.core.errors import (
    ConcurrentEditError,
    JingzhunError,
    NotFoundOrForbidden,
    PermissionDeniedError,
    ValidationFailed,
)


def web_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Render NotFoundOrForbidden as the plain 404 page (same body for missing and not-yours), and
    PermissionDeniedError as 403. The 404 page never echoes the id or path that was asked for."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
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


@login_required
def home(request: HttpRequest) -> HttpResponse:
    from jingzhun.registry import access

    user = request.user
    counts = access.households_for(user, "view").aggregate(
        households=Count("id"),
        registered=Count("id", filter=~Q(poverty_status="")),
        monitored=Count("id", filter=~Q(monitoring_type="")),
    )
    counts["members"] = access.members_for(user, "view").filter(left_on__isnull=True).count()
    region = getattr(user, "region", None)
    context = {
        "counts": counts,
        "region": region,
        "region_full_name": region.full_name() if region else "",
        "can_import": access.can_import(user),
        "recent_batches": access.import_batches_for(user).filter(user=user)[:5],
    }
    return render(request, "core/home.html", context)


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
    if getattr(request, "htmx", False) and not request.htmx.boosted:
        template = "core/_job_status.html"
    response = render(request, template, {"job": job})
    patch_vary_headers(response, ["HX-Request"])
    response["Cache-Control"] = "no-store"
    return response


@login_required
@web_errors
def job_download(request: HttpRequest, job_id: str) -> HttpResponse:
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
