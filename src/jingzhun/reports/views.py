"""Report pages: the list of reports for a region and year, the downloads, and the 明白卡.

Every view asks the access layer first (region or household), so a region or household outside the
user's reach gets the same 404 as a missing one, whatever the method or the other parameters.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header

from jingzhun.accounts.requests import AuthenticatedHttpRequest
from jingzhun.core.errors import JingzhunError, NotFoundOrForbidden, ValidationFailed
from jingzhun.core.views import web_errors
from jingzhun.procedures.rendering import FontMissing
from jingzhun.registry.access import access_household, access_household_by_number, households_for
from jingzhun.reports import exports, selectors, statistics
from jingzhun.reports.exports import ReportFile


def _get_only(request: HttpRequest) -> HttpResponse | None:
    return None if request.method in ("GET", "HEAD") else HttpResponseNotAllowed(["GET"])


def _year(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) == 4):
        raise ValidationFailed(f"年度应为四位数字，如 2026：{raw[:10]}", {"year": ["应为四位数字"]})
    return int(raw)


def _file(report: ReportFile, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(report.data, content_type=report.content_type)
    response["Content-Disposition"] = content_disposition_header(not inline, report.name) or ""
    return response


def _page(
    request: AuthenticatedHttpRequest,
    region_key: str,
    *,
    year: int | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    region = selectors.report_region(user, region_key)
    years = selectors.years(user, region)
    chosen = year if year in years else (years[-1] if years else None)
    context: dict[str, Any] = {
        "region": region,
        "region_full_name": region.full_name(),
        "regions": selectors.report_regions(user, region),
        "years": years,
        "year": chosen,
        "reports": [
            {"spec": d, "url": reverse(f"reports:{d.kind}")} for d in statistics.DEFINITIONS.values()
        ],
        "can_print_cards": households_for(user).exists(),
        "error": error,
    }
    return render(request, "reports/index.html", context, status=status)


@login_required
@web_errors
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    region_key = request.GET.get("region", "").strip()
    selectors.report_region(request.user, region_key)  # first: outsiders get 404 whatever the method
    if (refused := _get_only(request)) is not None:
        return refused
    try:
        year = _year(request.GET.get("year"))
    except ValidationFailed as exc:
        return _page(request, region_key, error=exc.message, status=422)
    return _page(request, region_key, year=year)


@login_required
@web_errors
def download(request: AuthenticatedHttpRequest, kind: str) -> HttpResponse:
    """A statistics table: ?region=CODE (default: the user's region) &year=YYYY (default: latest) &format=xlsx|pdf."""
    user = request.user
    # first: outsiders get 404 whatever the method or format; no region means the user's own
    region_key = selectors.report_region(user, request.GET.get("region", "").strip()).code
    if (refused := _get_only(request)) is not None:
        return refused
    try:
        report = exports.report_file(
            user,
            kind=kind,
            region=region_key,
            year=_year(request.GET.get("year")),
            fmt=request.GET.get("format", "xlsx").strip().lower(),
        )
    except FontMissing as exc:  # the machine lacks a Chinese font: say so, it is not the user's fault
        return HttpResponse(exc.message, status=503, content_type="text/plain; charset=utf-8")
    except NotFoundOrForbidden:
        raise
    except JingzhunError as exc:  # no indicators for the year, a bad year or format
        return _page(request, region_key, error=exc.message, status=422)
    return _file(report)


@login_required
@web_errors
def card(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The household's 明白卡 as a PDF to print."""
    access_household(request.user, pk)  # first: outsiders get 404 whatever the method
    if (refused := _get_only(request)) is not None:
        return refused
    try:
        report = exports.card_file(request.user, pk)
    except FontMissing as exc:
        return HttpResponse(exc.message, status=503, content_type="text/plain; charset=utf-8")
    return _file(report, inline=True)


@login_required
@web_errors
def card_lookup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """?household=户编号 → that household's card (404 like a missing one when it is not the user's)."""
    if (refused := _get_only(request)) is not None:
        return refused
    household = access_household_by_number(request.user, request.GET.get("household", "").strip())
    return redirect("reports:card", pk=household.pk)
