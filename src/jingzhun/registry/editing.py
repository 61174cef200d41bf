"""The edit pages of a household and of what hangs off it (members, years; helpers and measures in the
assistance app) share one flow: the form, the service call, 422 for invalid input, 409 for a stale version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from jingzhun.core.errors import ConcurrentEditError, ValidationFailed
from jingzhun.registry.models import Household


def submit(
    request: HttpRequest,
    form: Any,
    save: Callable[[Any], object],
    *,
    household: Household,
    success_message: str,
    context: dict[str, Any],
) -> HttpResponse:
    """Render the edit page for GET; on POST save through ``save(form)`` and return to the household page.
    Invalid input answers 422 with the messages at their fields; a stale version 409 with the conflict."""
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                save(form)
            except ValidationFailed as exc:
                if hasattr(form, "add_service_errors"):
                    form.add_service_errors(exc.errors)
                context["error"] = exc.message
            except ConcurrentEditError as exc:
                status = 409
                context["conflict"] = exc.message
            else:
                messages.success(request, success_message)
                return redirect("registry:household_detail", pk=household.pk)
        else:
            context["error"] = _("填写有误，请按提示修改后再保存。")
    context.update(
        form=form, household=household, cancel_url=reverse("registry:household_detail", args=[household.pk])
    )
    return render(request, "registry/edit.html", context, status=status)
