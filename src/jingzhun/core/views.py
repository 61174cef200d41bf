"""Home page, and the decorator that turns service errors into the web's 404/403 pages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from jingzhun.core.errors import (
    ConcurrentEditError,
    JingzhunError,
    NotFoundOrForbidden,
    PermissionDeniedError,
    ValidationFailed,
)

if TYPE_CHECKING:
    from jingzhun.accounts.requests import AuthenticatedHttpRequest

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


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
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
