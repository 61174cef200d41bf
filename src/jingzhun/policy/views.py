"""Web views of policy parameters and of a household's evaluation against a standard.

Thin by rule: rows come from ``access`` (404 for missing and not-yours alike), reads from ``selectors``,
writes from ``services`` with the row's version as the optimistic lock (409 on a stale form).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from jingzhun.accounts.requests import AuthenticatedHttpRequest, HtmxHttpRequest
from jingzhun.core.audit import Actor
from jingzhun.core.errors import ConcurrentEditError, PermissionDeniedError, ValidationFailed
from jingzhun.core.views import web_errors
from jingzhun.policy import access, catalogue, selectors, services
from jingzhun.policy.criteria import PURPOSES, evaluate_household
from jingzhun.policy.forms import ParameterForm
from jingzhun.policy.models import Parameter
from jingzhun.regions.models import Region
from jingzhun.registry import access as registry_access
from jingzhun.registry.access import can_read_audit
from jingzhun.registry.choices import MonitoringType, RiskElimination

ELIMINATION_MODES = (RiskElimination.BY_ASSISTANCE.value, RiskElimination.NATURAL.value)

PAGE_SIZE = 100
HISTORY_LIMIT = 200


def _get_only(request: HttpRequest) -> HttpResponse | None:
    return None if request.method in ("GET", "HEAD") else HttpResponseNotAllowed(["GET"])


def _filters(request: HttpRequest) -> tuple[dict[str, Any], list[str]]:
    """The list filters from the query string; a bad one is ignored with a notice, never a 500."""
    notices: list[str] = []
    key = request.GET.get("key", "").strip()
    if key and key not in catalogue.CATALOGUE:
        notices.append("参数条件无效，已忽略。")
        key = ""
    region = request.GET.get("region", "").strip()[:12]
    if region:
        try:
            selectors.significant_prefix(region)
        except ValidationFailed:
            notices.append("区划代码应为2、4、6、9或12位数字，已忽略该条件。")
            region = ""
    year_raw = request.GET.get("year", "").strip()[:4]
    year = int(year_raw) if year_raw.isdigit() else None
    if year_raw and year is None:
        notices.append("年度应为4位数字，已忽略该条件。")
    unconfirmed = True if request.GET.get("unconfirmed") == "1" else None
    return {"key": key, "region": region, "year": year, "unconfirmed": unconfirmed}, notices


@login_required
@web_errors
def parameter_list(request: HtmxHttpRequest) -> HttpResponse:
    if (refused := _get_only(request)) is not None:
        return refused
    filters, notices = _filters(request)
    rows = selectors.parameters_for(request.user, **filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        **filters,
        "notices": notices,
        "page": page,
        "keys": catalogue.KEYS,
        "rows": [
            (p, names) for p, names in zip(page.object_list, region_names(page.object_list), strict=True)
        ],
        "filtered": any(v not in ("", None) for v in filters.values()),
        "can_create": access.can_edit_any(request.user),
    }
    template = "policy/parameter_list.html"
    if request.htmx and not request.htmx.boosted:
        template = "policy/_parameter_results.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def region_names(rows: Any) -> list[str]:
    """The region each row applies to, by name ("全国" for national), in one query."""
    prefixes = {p.region_prefix for p in rows if p.region_prefix}
    names = dict(Region.objects.filter(prefix__in=prefixes).values_list("prefix", "name"))
    return [names.get(p.region_prefix, p.region_prefix) if p.region_prefix else "全国" for p in rows]


def _detail_context(request: HttpRequest, parameter: Parameter) -> dict[str, Any]:
    user = request.user
    can_edit = access.parameters_for(user, "change").filter(pk=parameter.pk).exists()
    changes = list(selectors.history(parameter).select_related("user")[: HISTORY_LIMIT + 1])
    return {
        "parameter": parameter,
        "entry": parameter.entry,
        "region_name": region_names([parameter])[0],
        "can_edit": can_edit,
        "form": ParameterForm(parameter=parameter) if can_edit else None,
        "show_history": can_read_audit(user),
        "changes": changes[:HISTORY_LIMIT],
        "changes_truncated": len(changes) > HISTORY_LIMIT,
    }


@login_required
@web_errors
def parameter_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    parameter = access.access_parameter(request.user, pk, "view")  # outsiders get 404 whatever the method
    if (refused := _get_only(request)) is not None:
        return refused
    return render(request, "policy/parameter_detail.html", _detail_context(request, parameter))


@login_required
@web_errors
def parameter_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    parameter = access.access_parameter(user, pk, "change")
    form = ParameterForm(request.POST if request.method == "POST" else None, parameter=parameter)
    context: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.update_parameter(
                    actor=Actor.of(user),
                    parameter=access.access_parameter(user, pk, "change"),
                    expected_version=form.expected_version,
                    data=form.service_data(),
                )
            except ValidationFailed as exc:
                form.add_service_errors(exc.errors)
                context["error"] = exc.message
            except ConcurrentEditError as exc:
                status, context["conflict"] = 409, exc.message
            else:
                messages.success(request, "政策参数已保存。")
                return redirect("policy:parameter_detail", pk=pk)
        else:
            context["error"] = "填写有误，请按提示修改后再保存。"
    context.update(
        form=form,
        parameter=parameter,
        title="修改政策参数",
        cancel_url=reverse("policy:parameter_detail", args=[pk]),
        reload_url=request.path,
    )
    return render(request, "policy/parameter_form.html", context, status=status)


@login_required
@web_errors
def parameter_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not access.can_edit_any(user):
        raise PermissionDeniedError("只有系统管理员和县级（省级）管理员可以新增政策参数")
    form = ParameterForm(request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            args = form.create_arguments()
            try:
                access.require_edit(user, args["region_prefix"])
                row = services.create_parameter(actor=Actor.of(user), **args)
            except ValidationFailed as exc:
                form.add_service_errors(exc.errors)
                context["error"] = exc.message
            except PermissionDeniedError as exc:
                status = 403
                form.add_error("region_prefix", exc.message)
                context["error"] = exc.message
            else:
                messages.success(request, "政策参数已新增。")
                return redirect("policy:parameter_detail", pk=row.pk)
        else:
            context["error"] = "填写有误，请按提示修改后再保存。"
    context.update(form=form, title="新增政策参数", cancel_url=reverse("policy:parameter_list"))
    return render(request, "policy/parameter_form.html", context, status=status)


def _evaluation_date(raw: str) -> tuple[dt.date, str]:
    today = timezone.localdate()
    if not raw:
        return today, ""
    try:
        return dt.date.fromisoformat(raw[:10]), ""
    except ValueError:
        return today, f"日期“{raw[:20]}”格式不正确（应为 YYYY-MM-DD），已按今天评估。"


@login_required
@web_errors
def household_evaluate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    household = registry_access.access_household(request.user, pk, "view")
    if (refused := _get_only(request)) is not None:
        return refused
    purpose = request.GET.get("purpose", "exit")
    notices = []
    if purpose not in PURPOSES:
        notices.append("评估用途无效，已按“贫困户脱贫退出”评估。")
        purpose = "exit"
    on, notice = _evaluation_date(request.GET.get("on", "").strip())
    if notice:
        notices.append(notice)
    monitoring_type = request.GET.get("monitoring_type", "").strip()
    if monitoring_type and monitoring_type not in MonitoringType.values:
        notices.append("监测对象类型无效，已按户的情况推定。")
        monitoring_type = ""
    mode = request.GET.get("mode", "").strip()
    if mode and mode not in ELIMINATION_MODES:
        notices.append("风险消除方式无效，帮扶措施一项仅供参考。")
        mode = ""
    evaluation = evaluate_household(
        household, purpose=purpose, on=on, monitoring_type=monitoring_type or None, mode=mode or None
    )
    context = {
        "household": household,
        "evaluation": evaluation,
        "purposes": PURPOSES,
        "purpose": purpose,
        "on": on,
        "notices": notices,
        "monitoring_types": MonitoringType.choices,
        "monitoring_type": monitoring_type,
        "modes": [(code, RiskElimination(code).label) for code in ELIMINATION_MODES],
        "mode": mode,
    }
    return render(request, "policy/household_evaluate.html", context)
