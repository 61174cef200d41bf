"""The decorator that turns service errors into the web's 404/403 pages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.http.response import HttpResponseBase

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
