"""Web pages of the department data comparison (行业数据比对, domain.md §5).

Overview and starting a run, a run's progress and findings, the doubt queue and a doubt's verification,
the rule catalogue with its precision, the department files and the lists pushed to departments.

Thin by rule: doubts, runs and rules come from ``doubt_access`` (404 for missing and not-yours alike),
loads from ``access``, counts from ``selectors``, writes from ``services`` (a run and a load through
``jobs``, which run them in the background). Service errors are shown on the page the form was on.
"""

from __future__ import annotations

import mimetypes
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers

from jingzhun.accounts.choices import Role
from jingzhun.accounts.models import User
from jingzhun.accounts.requests import AuthenticatedHttpRequest
from jingzhun.comparison import (
    access,
    checks,
    datasets,
    doubt_access,
    jobs,
    loading,
    rulebook,
    selectors,
    services,
)
from jingzhun.comparison.forms import (
    LoadForm,
    RegionRuleForm,
    ResolveForm,
    RunForm,
    VerifyForm,
    loadable,
    parameters_text,
    run_regions,
)
from jingzhun.comparison.models import DatasetLoad, Doubt, DoubtState, LoadState, RunState
from jingzhun.core import restrict
from jingzhun.core.audit import Actor, object_type
from jingzhun.core.errors import (
    ConcurrentEditError,
    JingzhunError,
    NotFoundOrForbidden,
    PermissionDeniedError,
)
from jingzhun.core.models import ObjectChange
from jingzhun.core.uploads import save_upload
from jingzhun.core.views import web_errors
from jingzhun.regions.access import access_region
from jingzhun.regions.choices import Level
from jingzhun.regions.models import Region
from jingzhun.registry import access as registry_access

PAGE_SIZE = 50
RECENT_RUNS = 20
RECENT_LOADS = 50
REGION_OPTIONS_LIMIT = 3000
HISTORY_LIMIT = 100
STATE_FILTERS = {"": "全部", **dict(DoubtState.choices)}
# Shown in the browser; anything else (an .html or .svg could carry script) is downloaded instead.
INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"}


def _get_only(request: HttpRequest) -> HttpResponse | None:
    return None if request.method in ("GET", "HEAD") else HttpResponseNotAllowed(["GET"])


def _attempt(action: Callable[[], Any]) -> tuple[Any, str, int]:
    """Run a form's action: an expected failure becomes the form's message and status (422, or 409 for
    a stale version); "not yours" and "not allowed" stay exceptions for ``web_errors``."""
    try:
        return action(), "", 200
    except (NotFoundOrForbidden, PermissionDeniedError):
        raise
    except ConcurrentEditError as exc:
        return None, exc.message, 409
    except JingzhunError as exc:
        return None, exc.message, 422


def _polled(request: HttpRequest, template: str, partial: str, context: dict[str, Any]) -> HttpResponse:
    """The whole page, or only its status fragment when htmx polls it."""
    htmx = getattr(request, "htmx", None)
    response = render(request, partial if htmx and not htmx.boosted else template, context)
    patch_vary_headers(response, ["HX-Request"])
    response["Cache-Control"] = "no-store"
    return response


def _region_options(user: User) -> list[tuple[str, str]]:
    """Townships and villages of the jurisdiction for the queue filter (as the household search)."""
    region = getattr(user, "region", None)
    if region is None:
        return []
    regions = Region.objects.filter(level__in=[Level.TOWNSHIP, Level.VILLAGE]).within(region.prefix)
    return [
        (r.prefix, ("\u3000" + r.name) if r.level == Level.VILLAGE else r.name)
        for r in regions.order_by("code")[:REGION_OPTIONS_LIMIT]
    ]


def _names(codes: set[str]) -> dict[str, str]:
    return dict(Region.objects.filter(prefix__in=codes).values_list("prefix", "name"))


# ---------------------------------------------------------------------------------------------------
# Overview: recent runs, current department data, starting a run


def _current_loads(user: User) -> list[tuple[datasets.Dataset, DatasetLoad | None]]:
    """Each dataset the user sees with the load a comparison of their county would read (for users above
    county level: the newest live load they can see)."""
    shown = datasets.for_department(user.department) if user.role == Role.DEPARTMENT else datasets.DATASETS
    visible = access.loads_for(user)
    prefix = restrict.home_prefix(user)
    rows: list[tuple[datasets.Dataset, DatasetLoad | None]] = []
    current = loading.current_by_county([prefix[:6]]).get(prefix[:6], {}) if len(prefix) >= 6 else None
    for ds in shown:
        if current is not None:
            load = current.get(ds.code)
            load = load if load is not None and visible.filter(pk=load.pk).exists() else None
        else:
            load = (
                visible.filter(dataset=ds.code, state__in=loading.LIVE_STATES)
                .order_by("-as_of", "-started_at")
                .first()
            )
        rows.append((ds, load))
    return rows


@login_required
@web_errors
def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    may_run = user.role in doubt_access.RUNNERS
    form = RunForm(request.POST or None, user=user) if may_run else None
    error, status = "", 200
    if request.method == "POST":
        if form is None:
            raise PermissionDeniedError("只有县级管理员可以发起比对")
        if form.is_valid():
            data = form.cleaned_data
            run, error, status = _attempt(
                lambda: jobs.start_run(
                    user=user, region=data["region"], engine_name=data["engine"], as_of=data["as_of"]
                )
            )
            if not error:
                messages.success(request, f"已发起{run.region.name}的比对")
                return redirect("comparison:run_detail", pk=run.pk)
        else:
            error, status = "填写有误，请按提示修改。", 422
    elif request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    counts = doubt_access.doubts_for(user).aggregate(
        total=Count("id"), open=Count("id", filter=Q(state=DoubtState.OPEN))
    )
    context = {
        "runs": list(doubt_access.runs_for(user).select_related("region")[:RECENT_RUNS]),
        "loads": _current_loads(user),
        "form": form,
        "error": error,
        "doubts": counts,
        "can_run": may_run and bool(form and form.regions),
    }
    return render(request, "comparison/overview.html", context, status=status)


# ---------------------------------------------------------------------------------------------------
# One run


@login_required
@web_errors
def run_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = doubt_access.access_run(request.user, pk)
    if (refused := _get_only(request)) is not None:
        return refused
    running = run.state == RunState.RUNNING
    context: dict[str, Any] = {"run": run, "running": running}
    if not running:
        rules = {r.code: r for r in doubt_access.rules_for(request.user)}
        skipped = (run.rules or {}).get("skipped", {})
        context["by_rule"] = [(rules.get(code), code, n) for code, n in sorted(run.counts.items())]
        context["skipped"] = [(rules.get(code), code, why) for code, why in sorted(skipped.items())]
        townships = selectors.by_region(request.user, 9, prefix=run.region.prefix, run_id=run.pk)
        names = _names({row["area"] for row in townships})
        context["townships"] = [{**row, "name": names.get(row["area"], row["area"])} for row in townships]
        context["loads"] = [
            (datasets.BY_CODE[code].name if code in datasets.BY_CODE else code, ids)
            for code, ids in sorted((run.loads or {}).items())
        ]
    return _polled(request, "comparison/run_detail.html", "comparison/_run_status.html", context)


def _run_checks(request: AuthenticatedHttpRequest, pk: int) -> tuple[Any, checks.RunChecks | None]:
    """The run and its logic checks inside the reader's jurisdiction (None while the run is not done)."""
    run = doubt_access.access_run(request.user, pk)
    if run.state != RunState.DONE:
        return run, None
    prefix = checks.reader_prefix(request.user, run.region.prefix)
    return run, checks.for_run(run.findings_path, prefix, (run.rules or {}).get("parameters", {}).keys())


@login_required
@web_errors
def run_checks(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The national logic checks of a run as the county tools' 疑点数据统计表, with the counts per village."""
    run, found = _run_checks(request, pk)
    if (refused := _get_only(request)) is not None:
        return refused
    return render(request, "comparison/run_checks.html", {"run": run, "checks": found})


@login_required
@web_errors
def run_checks_xlsx(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    """The same as the county tools' workbook: the summary, the villages and one sheet per failed check."""
    run, found = _run_checks(request, pk)
    if (refused := _get_only(request)) is not None:
        return refused
    if found is None:
        raise Http404()
    fd, name = tempfile.mkstemp(suffix=".xlsx", prefix="jingzhun-")
    os.close(fd)
    path = Path(name)
    try:
        checks.write_run_workbook(
            path, found.findings, found.names, ran=(run.rules or {}).get("parameters", {}).keys()
        )
        handle = path.open("rb")
    finally:
        path.unlink(missing_ok=True)
    download = f"逻辑校验_{run.region.name}_{run.as_of:%Y%m%d}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=download)


# ---------------------------------------------------------------------------------------------------
# The doubt queue and one doubt


def _queue_filters(request: HttpRequest, user: User, default_state: str = DoubtState.OPEN) -> dict[str, Any]:
    notices: list[str] = []
    state = request.GET.get("state", default_state)
    if state not in STATE_FILTERS:
        notices.append("状态条件无效，已忽略。")
        state = default_state
    rules = list(doubt_access.rules_for(user).only("code", "name", "audience"))
    rule = request.GET.get("rule", "").strip()
    if rule and rule not in {r.code for r in rules}:
        notices.append("规则条件无效，已忽略。")
        rule = ""
    region = None
    if key := request.GET.get("region", "").strip():
        try:
            region = access_region(user, key)
        except NotFoundOrForbidden:
            notices.append("所选区划不存在或不在您的辖区内，已忽略该条件。")
    return {"state": state, "rule": rule, "region": region, "rules": rules, "notices": notices}


@login_required
@web_errors
def doubt_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    if (refused := _get_only(request)) is not None:
        return refused
    user = request.user
    filters = _queue_filters(request, user)
    doubts = selectors.queue(
        user,
        state=filters["state"],
        rule=filters["rule"],
        prefix=filters["region"].prefix if filters["region"] else "",
    )
    page = Paginator(doubts.select_related("village__parent"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        **filters,
        "page": page,
        "state_filters": STATE_FILTERS,
        "region_options": _region_options(user),
        "filtered": bool(filters["rule"] or filters["region"] or filters["state"] != DoubtState.OPEN),
    }
    return render(request, "comparison/queue.html", context)


def _doubt_write(request: HttpRequest, doubt: Doubt, data: dict[str, Any], resolve: bool) -> str:
    """Verify or resolve the doubt with the cleaned form; returns the success message."""
    actor = Actor.of(request.user)
    if resolve:
        services.resolve(actor=actor, doubt_id=doubt.pk, note=data["note"], version=data["version"])
        return "已标为已整改"
    done = services.verify(
        actor=actor,
        doubt_id=doubt.pk,
        confirmed=data["confirmed"],
        note=data["note"],
        version=data["version"],
        file=data["file"],
    )
    started = f"，已启动{done.case.get_kind_display()}程序" if done.case else ""
    return f"已核实：{done.get_state_display()}{started}"


@login_required
@web_errors
def doubt_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    verify_form: Any = None
    resolve_form: Any = None
    error, status = "", 200
    if request.method == "POST":
        resolve = request.POST.get("action") == "resolve"
        # visible but not yours to change: the same 404 as a missing doubt
        doubt = doubt_access.access_doubt(user, pk, "resolve" if resolve else "verify")
        form = ResolveForm(request.POST) if resolve else VerifyForm(request.POST, request.FILES)
        if form.is_valid():
            note, error, status = _attempt(lambda: _doubt_write(request, doubt, form.cleaned_data, resolve))
            if not error:
                messages.success(request, note)
                return redirect("comparison:doubt_detail", pk=doubt.pk)
        else:
            error, status = "填写有误，请按提示修改。", 422
        verify_form, resolve_form = (None, form) if resolve else (form, None)
    elif request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    doubt = doubt_access.access_doubt(user, pk)
    can_verify = (
        doubt.state == DoubtState.OPEN and doubt_access.doubts_for(user, "verify").filter(pk=pk).exists()
    )
    can_resolve = (
        doubt.state == DoubtState.CONFIRMED
        and doubt_access.doubts_for(user, "resolve").filter(pk=pk).exists()
    )
    department = user.role == Role.DEPARTMENT
    household = None
    if doubt.household_id and registry_access.households_for(user).filter(pk=doubt.household_id).exists():
        household = doubt.household
    case = None
    if doubt.case_id:
        from jingzhun.procedures import access as procedures_access

        case = procedures_access.cases_for(user).filter(pk=doubt.case_id).first()
    history: list[ObjectChange] = []
    if registry_access.can_read_audit(user):
        history = list(
            ObjectChange.objects.filter(
                object_type=object_type(Doubt), object_id=str(doubt.pk)
            ).select_related("user")[:HISTORY_LIMIT]
        )
    context = {
        "doubt": doubt,
        "rule": doubt.rule,
        "household": household,
        "case": case,
        "history": history,
        "run_visible": doubt_access.runs_for(user).filter(pk=doubt.run_id).exists(),
        "department": department,
        "reveal": department or can_verify or can_resolve,
        "verify_form": (verify_form or VerifyForm(initial={"version": doubt.version}))
        if can_verify
        else None,
        "resolve_form": (resolve_form or ResolveForm(initial={"version": doubt.version}))
        if can_resolve
        else None,
        "error": error,
        "reload_url": request.path,
        "conflict": error if status == 409 else "",
    }
    return render(request, "comparison/doubt_detail.html", context, status=status)


@login_required
@web_errors
def doubt_file(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    """The material uploaded with a verification, to those who see the doubt (MEDIA_ROOT is not served)."""
    doubt = doubt_access.access_doubt(request.user, pk)  # first: outsiders get 404 whatever the method
    if (refused := _get_only(request)) is not None:
        return refused
    if not doubt.verification_file or getattr(request.user, "role", None) == Role.DEPARTMENT:
        raise NotFoundOrForbidden("核实材料不存在")
    name = Path(doubt.verification_file.name or "").name
    try:
        handle = doubt.verification_file.open("rb")
    except FileNotFoundError:
        raise NotFoundOrForbidden("核实材料不存在") from None
    inline = mimetypes.guess_type(name)[0] in INLINE_TYPES
    return FileResponse(handle, filename=name, as_attachment=not inline)


# ---------------------------------------------------------------------------------------------------
# Rules and their precision


def _rule_change(request: HttpRequest) -> tuple[str, str]:
    """Apply the posted rule form; returns (rule code, success message)."""
    code = request.POST.get("code", "")
    rule = doubt_access.rules_for(request.user).filter(code=code, region_prefix="").first()
    if rule is None:
        raise NotFoundOrForbidden("规则不存在")
    version = request.POST.get("version", "")
    parameters = {key: request.POST.get(f"p_{key}", "") for key in rule.parameters}
    services.set_rule(
        actor=Actor.of(request.user),
        code=code,
        enabled=request.POST.get("enabled") == "on",
        parameters=parameters,
        version=int(version) if version.isdigit() else 0,
    )
    return code, f"已保存规则 {code}"


@login_required
@web_errors
def rules(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    can_edit = doubt_access.can_edit_rules(user)
    error, status, failed = "", 200, ""
    if request.method == "POST":
        if not can_edit:
            raise PermissionDeniedError("只有系统管理员可以修改比对规则")
        done, error, status = _attempt(lambda: _rule_change(request))
        if not error:
            messages.success(request, done[1])
            return redirect(f"{request.path}#rule-{done[0]}")
        failed = request.POST.get("code", "")
    elif request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    rows = []
    for stats in selectors.rule_stats(user, doubt_access.rules_for(user)):
        rule = stats.rule
        again = failed == rule.code  # the refused form shows what was typed
        rows.append(
            {
                "stats": stats,
                "rule": rule,
                "failed": again,
                "enabled": (request.POST.get("enabled") == "on") if again else rule.enabled,
                "parameters": [
                    (key, request.POST.get(f"p_{key}", "") if again else value)
                    for key, value in rule.parameters.items()
                ],
                "datasets": [
                    datasets.BY_CODE[c].name for c in rule.datasets.split(",") if c in datasets.BY_CODE
                ],
                "audience": [
                    datasets.DEPARTMENT_NAMES.get(a, a) for a in rule.audience.strip(",").split(",") if a
                ],
            }
        )
    context = {
        "rows": rows,
        "can_edit": can_edit,
        "can_own": user.role in doubt_access.RUNNERS,
        "error": error,
        "conflict": status == 409,
    }
    return render(request, "comparison/rules.html", context, status=status)


# ---------------------------------------------------------------------------------------------------
# Department files


def _start_load(request: HttpRequest, form: LoadForm) -> str:
    data = form.cleaned_data
    jobs.check_load(user=request.user, dataset=data["dataset"], policy=data["policy"])
    upload = data["file"]
    jobs.start_load(
        user=request.user,
        path=save_upload(upload),
        file_name=Path(upload.name).name,
        dataset=data["dataset"],
        as_of=data["as_of"],
        region_prefix=data["region_prefix"],
        policy=data["policy"],
    )
    return f"已上传「{Path(upload.name).name}」，正在校验入库"


@login_required
@web_errors
def dataset_loads(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    choices = loadable(user)
    form = LoadForm(request.POST or None, request.FILES or None, user=user) if choices else None
    error, status = "", 200
    if request.method == "POST":
        if form is None:
            raise PermissionDeniedError("您的角色不能上传部门数据")
        if form.is_valid():
            note, error, status = _attempt(lambda: _start_load(request, form))
            if not error:
                messages.success(request, note)
                return redirect("comparison:datasets")
        else:
            error, status = "上传失败，请按提示修改。", 422
    elif request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    loads = list(access.loads_for(user)[:RECENT_LOADS])
    for load in loads:
        ds = datasets.BY_CODE.get(load.dataset)
        load.dataset_name = ds.name if ds else load.dataset  # type: ignore[attr-defined]  # for the template
    shown = datasets.for_department(user.department) if user.role == Role.DEPARTMENT else datasets.DATASETS
    context = {
        "form": form,
        "error": error,
        "loads": loads,
        "datasets": shown,
        "running": any(load.state == LoadState.RUNNING for load in loads),
        "can_load": bool(choices),
    }
    if status != 200:
        return render(request, "comparison/datasets.html", context, status=status)
    return _polled(request, "comparison/datasets.html", "comparison/_loads.html", context)


@login_required
@web_errors
def dataset_template(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    if (refused := _get_only(request)) is not None:
        return refused
    code, fmt = request.GET.get("dataset", ""), request.GET.get("fmt", "xlsx")
    if code not in datasets.BY_CODE or fmt not in ("xlsx", "csv"):
        raise Http404()
    ds = datasets.BY_CODE[code]
    fd, name = tempfile.mkstemp(suffix=f".{fmt}", prefix="jingzhun-")
    os.close(fd)
    path = Path(name)
    try:
        loading.write_template(ds, path, fmt)
        handle = path.open("rb")
    finally:
        path.unlink(missing_ok=True)
    return FileResponse(handle, as_attachment=True, filename=f"{ds.name}模板.{fmt}")


@login_required
@web_errors
def load_errors(request: AuthenticatedHttpRequest, load_id: str) -> HttpResponseBase:
    if not (load_id.isascii() and load_id.isalnum()):
        raise NotFoundOrForbidden("部门数据批次不存在或无权访问")
    load = access.access_load(request.user, load_id)
    if (refused := _get_only(request)) is not None:
        return refused
    media = Path(settings.MEDIA_ROOT).resolve()
    path = (media / load.error_report).resolve() if load.error_report else None
    if path is None or not path.is_relative_to(media) or not path.is_file():
        raise Http404()
    name = f"{Path(load.file_name).stem}_错误报告{path.suffix}"
    return FileResponse(path.open("rb"), as_attachment=True, filename=name)


# ---------------------------------------------------------------------------------------------------
# Lists pushed to a department


@login_required
@web_errors
def department_lists(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The lists pushed to departments: a department user gets the doubts of rules meant for their
    department (name, ID, village and evidence only); officers see the same lists of their jurisdiction."""
    if (refused := _get_only(request)) is not None:
        return refused
    user = request.user
    department = user.role == Role.DEPARTMENT
    filters = _queue_filters(request, user, default_state="")
    filters["rules"] = [r for r in filters["rules"] if r.audience]
    doubts = selectors.queue(
        user,
        state=filters["state"],
        rule=filters["rule"],
        prefix=filters["region"].prefix if filters["region"] else "",
    ).exclude(rule__audience="")
    page = Paginator(doubts.select_related("village__parent"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "comparison/lists.html",
        {
            **filters,
            "page": page,
            "state_filters": STATE_FILTERS,
            "region_options": _region_options(user),
            "filtered": bool(filters["rule"] or filters["region"] or filters["state"]),
            "department": datasets.DEPARTMENT_NAMES.get(user.department, "") if department else "",
            "reveal": department or user.role in doubt_access.VERIFIERS,
        },
    )


# ---------------------------------------------------------------------------------------------------
# A county's own rules and thresholds (rulebook.py, rulecheck.py)


def _rules_region(request: HttpRequest) -> Region | None:
    """The region whose own rules the page shows: the county administrator's own, or for the system
    administrator the one asked for (``region``; None until one is chosen)."""
    user: Any = request.user
    if user.role not in doubt_access.RUNNERS:
        raise PermissionDeniedError("只有县级管理员可以管理本县的比对规则")
    if user.role == Role.ADMIN:
        key = (request.POST.get("region") or request.GET.get("region") or "").strip()
        return access_region(user, key) if key else None
    if user.region is None:
        raise PermissionDeniedError("您的账号没有所属区划，不能管理本县的比对规则")
    return user.region


def _threshold_rows(user: Any, region: Region) -> list[dict[str, Any]]:
    """Each rule with thresholds that applies in the region: the value from above, the region's own."""
    from jingzhun.comparison.models import Rule

    rows_by: dict[str, list[Rule]] = {}
    for row in doubt_access.rules_for(user).filter(enabled=True):
        rows_by.setdefault(row.code, []).append(row)
    thresholds = list(doubt_access.thresholds_for(user))
    own = {t.code: t for t in thresholds if t.region_prefix == region.prefix}
    result = []
    for code in sorted(rows_by):
        rule = rulebook.applying(rows_by[code], region.prefix)
        if rule is None or not rule.parameters:
            continue
        above = [t for t in thresholds if t.code == code and t.region_prefix != region.prefix]
        inherited = rulebook.parameters_at(rule, above, region.prefix)
        mine = own.get(code)
        result.append(
            {
                "rule": rule,
                "version": mine.version if mine else 0,
                "values": [
                    (key, inherited[key], (mine.parameters.get(key, "") if mine else "")) for key in inherited
                ],
            }
        )
    return result


def _add_region_rule(request: HttpRequest, region: Region, form: Any) -> Any:
    data = form.cleaned_data
    return services.save_region_rule(actor=Actor.of(request.user), region_prefix=region.prefix, values=data)


def _set_threshold(request: HttpRequest, region: Region) -> str:
    code = request.POST.get("code", "")
    keys = [k[2:] for k in request.POST if k.startswith("t_")]
    version = request.POST.get("version", "")
    services.set_region_threshold(
        actor=Actor.of(request.user),
        code=code,
        region_prefix=region.prefix,
        parameters={key: request.POST.get(f"t_{key}", "") for key in keys},
        version=int(version) if version.isdigit() else -1,
    )
    return f"已保存{region.name}规则 {code} 的阈值"


@login_required
@web_errors
def region_rules(request: HttpRequest) -> HttpResponse:
    """本县规则: the county's own rules (add, then edit, try and switch each on its page) and the county's
    thresholds of the rules that have them."""
    user: Any = request.user
    region = _rules_region(request)
    error, status, failed = "", 200, ""
    form = None
    if region is not None:
        initial: dict[str, Any] = {"category": "quality", "severity": "medium", "on_true": "correct"}
        template = (
            doubt_access.rules_for(user).filter(code=request.GET.get("from", ""), region_prefix="").first()
        )
        if template is not None:  # the county's own version of a shipped rule, starting from its text
            initial = {
                "code": template.code,
                "name": template.name,
                "category": template.category,
                "severity": template.severity,
                "on_true": template.on_true if template.on_true in services.ON_TRUE else "correct",
                "message": template.message,
                "explanation": template.explanation,
                "datasets": [d for d in template.datasets.split(",") if d],
                "parameters": parameters_text(template.parameters),
                "sql": template.sql,
            }
        is_add = request.method == "POST" and request.POST.get("action") == "add"
        form = RegionRuleForm(request.POST if is_add else None, initial=initial)
    if request.method == "POST":
        if region is None:
            raise NotFoundOrForbidden("请先选择县（区）")
        if request.POST.get("action") == "threshold":
            note, error, status = _attempt(lambda: _set_threshold(request, region))
            if not error:
                messages.success(request, note)
                return redirect(f"{request.path}?region={region.prefix}#thresholds")
            failed = request.POST.get("code", "")
        else:
            assert form is not None
            if form.is_valid():
                rule, error, status = _attempt(lambda: _add_region_rule(request, region, form))
                if not error:
                    messages.success(request, f"已添加规则 {rule.code}：请试运行，通过校验后启用")
                    return redirect("comparison:region_rule", pk=rule.pk)
            else:
                error, status = "填写有误，请按提示修改。", 422
    elif request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    context: dict[str, Any] = {
        "region": region,
        "form": form,
        "error": error,
        "conflict": status == 409,
        "failed": failed,
        "counties": run_regions(user) if user.role == Role.ADMIN else [],
    }
    if region is not None:
        context["rules"] = list(
            doubt_access.rules_for(user)
            .within(region.prefix)
            .exclude(region_prefix="")
            .order_by("code", "region_prefix")
        )
        context["shipped"] = {
            r.code for r in doubt_access.rules_for(user).filter(region_prefix="", shipped=True)
        }
        context["thresholds"] = _threshold_rows(user, region)
    return render(request, "comparison/region_rules.html", context, status=status)


def _region_rule_action(request: HttpRequest, rule: Any, form: Any, action: str) -> tuple[Any, str]:
    """Apply a posted action to a region's own rule; returns (check result or None, success message)."""
    actor = Actor.of(request.user)
    version = request.POST.get("version", "")
    version_number = int(version) if version.isdigit() else 0
    if action == "save":
        services.save_region_rule(
            actor=actor,
            region_prefix=rule.region_prefix,
            values=form.cleaned_data,
            rule_id=rule.pk,
            version=version_number,
        )
        return None, f"已保存规则 {rule.code}（修改后规则已停用：请试运行，通过校验后启用）"
    if action == "try":
        return services.check_region_rule(user=request.user, rule_id=rule.pk), ""
    services.switch_region_rule(
        actor=actor, rule_id=rule.pk, enabled=action == "enable", version=version_number
    )
    return None, f"已{'启用' if action == 'enable' else '停用'}规则 {rule.code}"


@login_required
@web_errors
def region_rule(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the county's own rules: edit, try on the latest snapshot, switch on (after the checks) or off."""
    rule = doubt_access.access_region_rule(request.user, pk)
    error, status, check = "", 200, None
    form = RegionRuleForm(
        initial={
            "name": rule.name,
            "category": rule.category,
            "severity": rule.severity,
            "on_true": rule.on_true,
            "message": rule.message,
            "explanation": rule.explanation,
            "datasets": [d for d in rule.datasets.split(",") if d],
            "parameters": parameters_text(rule.parameters),
            "sql": rule.sql,
        },
        editing=True,
    )
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in ("save", "try", "enable", "disable"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if action == "save":
            form = RegionRuleForm(request.POST, editing=True)
        if action != "save" or form.is_valid():
            done, error, status = _attempt(lambda: _region_rule_action(request, rule, form, action))
            if not error and action != "try":
                messages.success(request, done[1])
                return redirect("comparison:region_rule", pk=rule.pk)
            if not error:  # the result is the answer (200 either way, so htmx shows it)
                check = done[0]
        else:
            error, status = "填写有误，请按提示修改。", 422
        rule.refresh_from_db()
    elif request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    context = {
        "rule": rule,
        "form": form,
        "error": error,
        "conflict": status == 409,
        "check": check,
        "shipped": doubt_access.rules_for(request.user).filter(code=rule.code, region_prefix="").exists(),
        "region": Region.objects.filter(prefix=rule.region_prefix).first(),
    }
    return render(request, "comparison/region_rule.html", context, status=status)
