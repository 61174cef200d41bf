"""Web pages of the procedures: my queue, a case, opening a case, a village's bulk page, notices.

Thin by rule: objects come from ``access`` (404 for missing and not-yours alike; a visible case that the
user may not change answers a POST with 404 too), reads from ``selectors``, writes from ``services``.
Service errors (Chinese, naming the field) are shown on the page the form was on.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone

from jingzhun.accounts.models import User
from jingzhun.accounts.requests import AuthenticatedHttpRequest
from jingzhun.core.audit import Actor
from jingzhun.core.errors import JingzhunError, NotFoundOrForbidden, PermissionDeniedError, ValidationFailed
from jingzhun.core.views import web_errors
from jingzhun.procedures import access, natural, rendering, selectors, services
from jingzhun.procedures.choices import (
    CaseState,
    EvidenceKind,
    NaturalChange,
    ObjectionState,
    ProcedureKind,
    Signer,
)
from jingzhun.procedures.forms import NewMemberForm
from jingzhun.procedures.models import Case, Notice, StepDefinition
from jingzhun.procedures.services import EvidenceInput, Signature
from jingzhun.regions.models import Region
from jingzhun.registry import access as registry_access
from jingzhun.registry import selectors as registry_selectors
from jingzhun.registry.choices import MonitoringType, Relation

QUEUE_LIMIT = 200
BULK_LIMIT = 20000


def _date(raw: str | None, field: str, label: str, default: dt.date | None = None) -> dt.date:
    text = (raw or "").strip()
    if not text:
        if default is None:
            raise ValidationFailed(f"请填写{label}", {field: ["必须填写"]})
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            f"{label}格式不正确，请按 年-月-日 填写，例如 2025-01-01", {field: ["日期格式不正确"]}
        ) from None


def _int(raw: str | None, field: str, label: str) -> int:
    try:
        return int(raw or "")
    except ValueError:
        raise ValidationFailed(f"{label}应为整数", {field: ["应为整数"]}) from None


def _signatures(request: HttpRequest, step: StepDefinition) -> list[Signature]:
    return [
        Signature(signer, request.POST.get(f"sig_{i}", "").strip())
        for i, signer in enumerate(step.signature_list)
        if request.POST.get(f"sig_{i}", "").strip()
    ]


def _evidence(request: HttpRequest, step: StepDefinition) -> list[EvidenceInput]:
    items = []
    for kind in step.evidence_list:
        upload = request.FILES.get(f"file_{kind}")
        name = request.POST.get(f"ev_{kind}", "").strip()
        if upload is not None or name:
            items.append(EvidenceInput(kind, name, upload))
    return items


def _step_view(step: StepDefinition | None) -> dict[str, Any] | None:
    if step is None:
        return None
    return {
        "step": step,
        "signatures": [(i, Signer(s).label) for i, s in enumerate(step.signature_list)],
        "evidence": [(k, EvidenceKind(k).label) for k in step.evidence_list],
        "roles": access.role_names(step),
    }


# ---------------------------------------------------------------------------------------------------
# Queue


@login_required
@web_errors
def queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    user = request.user
    cases = list(selectors.queue_for(user)[:QUEUE_LIMIT])
    today = timezone.localdate()
    rows = [(c, selectors.is_overdue(c, today)) for c in cases]
    rows.sort(key=lambda r: (not r[1], r[0].deadline or dt.date.max, r[0].discovered_on))
    villages = _bulk_villages(user)
    return render(
        request,
        "procedures/queue.html",
        {
            "rows": rows,
            "truncated": len(cases) == QUEUE_LIMIT,
            "villages": villages,
            "overdue_count": selectors.overdue(user, today).count(),
        },
    )


def _bulk_villages(user: User) -> list[Region]:
    ids = (
        access.cases_for(user, "change")
        .filter(state=CaseState.OPEN)
        .values_list("household__village_id", flat=True)
        .distinct()[:200]
    )
    return list(Region.objects.filter(code__in=list(ids)).order_by("code"))


# ---------------------------------------------------------------------------------------------------
# One case


def _attempt(action: Callable[[], Any]) -> tuple[Any, str]:
    """Run a form's action: an expected failure becomes the form's error message (the page is shown again
    with it); "not yours" and "not allowed" stay exceptions, so ``web_errors`` answers them as always."""
    try:
        return action(), ""
    except (NotFoundOrForbidden, PermissionDeniedError):
        raise
    except JingzhunError as exc:
        return None, exc.message


@login_required
@web_errors
def case_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    error = ""
    if request.method == "POST":
        case = _changeable_case(user, pk)
        notice, error = _attempt(lambda: _case_action(request, case))
        if not error:
            messages.success(request, notice)
            return redirect("procedures:case_detail", pk=case.pk)
    elif request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    case = access.access_case(user, pk, "view")
    can_act = access.cases_for(user, "change").filter(pk=case.pk).exists()
    next_step = case.next_step if case.state == CaseState.OPEN else None
    context: dict[str, Any] = {
        "case": case,
        "household": case.household,
        "steps": list(selectors.steps_of(case)),
        "remaining": list(case.definition.steps.filter(order__gt=next_step.order)) if next_step else [],
        "next": _step_view(next_step),
        "can_act": can_act and next_step is not None,
        "may_do": next_step is not None and access.may_do(user, next_step),
        "objections": list(case.objections.select_related("notice").order_by("pk")),
        "notices": list(Notice.objects.filter(entries__case=case).order_by("pk")),
        "overdue": selectors.is_overdue(case),
        "error": error,
        "today": timezone.localdate(),
        "is_reviewer": getattr(user, "role", None) in access.REVIEWER_ROLES,
    }
    if case.kind == ProcedureKind.NATURAL_CHANGE:
        assert case.household is not None  # a natural change is always a household's
        context["natural_plan"] = natural.describe(case.household, case.params)
        context["natural_applied"] = case.params.get("applied") or []
    return render(request, "procedures/case_detail.html", context, status=422 if error else 200)


def _changeable_case(user: User, pk: int) -> Case:
    return access.access_case(user, pk, "change")


def _case_action(request: HttpRequest, case: Case) -> str:
    """Run the posted action on the case; returns the success message."""
    actor = Actor.of(request.user)
    action = request.POST.get("action", "step")
    version = _int(request.POST.get("version"), "version", "版本号")
    today = timezone.localdate()
    if action == "step":
        step = case.next_step
        if step is None:
            raise ValidationFailed("案件已办结，不能继续办理")
        effective = request.POST.get("effective_on")
        services.complete_step(
            actor=actor,
            case=case,
            step_code=request.POST.get("step_code", ""),
            expected_version=version,
            on=_date(request.POST.get("on"), "on", "办理日期", today),
            signatures=_signatures(request, step),
            evidence=_evidence(request, step),
            comment=request.POST.get("comment", "").strip(),
            effective_on=_date(effective, "effective_on", "生效日期") if effective else None,
        )
        return f"已办理「{step.name}」"
    if action in ("reject", "withdraw"):
        writer = services.reject_case if action == "reject" else services.withdraw_case
        writer(
            actor=actor,
            case=case,
            expected_version=version,
            reason=request.POST.get("reason", ""),
            on=_date(request.POST.get("on"), "on", "日期", today),
        )
        return "案件已不予通过" if action == "reject" else "案件已撤回"
    if action == "resolve":
        objection = access.access_objection(request.user, request.POST.get("objection", ""), "change")
        if objection.case_id != case.pk or objection.state != ObjectionState.OPEN:
            raise ValidationFailed("该异议不属于此案件或已复核")
        services.resolve_objection(
            actor=actor,
            objection=objection,
            upheld=request.POST.get("upheld") == "1",
            resolution=request.POST.get("resolution", ""),
            on=_date(request.POST.get("on"), "on", "复核日期", today),
        )
        return "异议已复核"
    raise ValidationFailed("未知的操作")


@login_required
@web_errors
def case_open(request: AuthenticatedHttpRequest, household_pk: int) -> HttpResponse:
    user = request.user
    household = registry_access.access_household(user, household_pk, "change")
    error = ""
    post = request.POST if request.method == "POST" else None
    kind = (post or request.GET).get("kind", "")
    change = (post or request.GET).get("change", "")
    member_form = NewMemberForm(
        post if kind == ProcedureKind.NATURAL_CHANGE and change in natural.JOINS else None
    )
    if request.method == "GET" and getattr(request, "htmx", False) and "change" in request.GET:
        return render(
            request, "procedures/_natural_fields.html", _natural_context(household, change, None, member_form)
        )
    if post is not None:
        params: dict[str, Any] = {k: v for k in ("monitoring_type", "mode") if (v := post.get(k, "").strip())}
        if kind != ProcedureKind.MONITORING:
            params.pop("monitoring_type", None)
        if kind != ProcedureKind.ELIMINATION:
            params.pop("mode", None)
        if kind == ProcedureKind.NATURAL_CHANGE:
            params = _natural_params(post, household, change)
            if change in natural.JOINS and not member_form.is_valid():
                error = member_form.error_summary()
            else:
                params["new_member"] = member_form.params() if change in natural.JOINS else None
        if not error:
            params = {k: v for k, v in params.items() if v not in (None, "", [], {})}

            def open_it() -> Case:
                try:
                    return services.open_case(
                        actor=Actor.of(user),
                        household=household,
                        kind=kind,
                        params=params,
                        discovered_on=_date(
                            post.get("discovered_on"), "discovered_on", "发现日期", timezone.localdate()
                        ),
                    )
                except ValidationFailed as exc:  # the registry's word on the new member goes to its field too
                    if member_form.is_bound:
                        member_form.add_service_errors(
                            {k: v for k, v in exc.errors.items() if k in member_form.fields}
                        )
                    raise

            case, error = _attempt(open_it)
        if not error:
            messages.success(request, f"已开案：{case.get_kind_display()}")
            return redirect("procedures:case_detail", pk=case.pk)
    elif request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(
        request,
        "procedures/case_open.html",
        {
            "household": household,
            "kinds": ProcedureKind.choices,
            "error": error,
            "monitoring_types": MonitoringType.choices,
            "changes": NaturalChange.choices,
            "today": timezone.localdate(),
            "posted": post or {},
            **_natural_context(household, change, post, member_form),
        },
        status=422 if error else 200,
    )


def _natural_params(post: Any, household: Any, change: str) -> dict[str, Any]:
    """A natural change's details from the opening form (``natural.clean`` checks them)."""
    members = post.getlist("members")
    if change == NaturalChange.MERGE:
        members = [str(m.pk) for m in registry_selectors.active_members(household)]
    return {
        "change": change,
        "event_on": post.get("event_on", "").strip(),
        "note": post.get("note", "").strip(),
        "members": members if change in natural.LEAVES else None,
        "relations": {pk: post.get(f"rel_{pk}", "") for pk in members} or None,
        "new_head": post.get("new_head", "").strip(),
        "target": post.get("target", "").strip(),
        "new_household_number": post.get("new_household_number", "").strip(),
        "leave_reason": post.get("leave_reason", "") if change == NaturalChange.HOUSEHOLD_GONE else "",
    }


def _natural_context(household: Any, change: str, post: Any, member_form: NewMemberForm) -> dict[str, Any]:
    """What the natural-change part of the opening form shows for ``change`` (with what was posted)."""
    post = post or {}
    chosen = set(post.getlist("members")) if hasattr(post, "getlist") else set()
    moving = change in (NaturalChange.SPLIT, NaturalChange.MOVE_OUT, NaturalChange.MERGE)
    rows = [
        {"member": m, "checked": str(m.pk) in chosen, "relation": post.get(f"rel_{m.pk}", "")}
        for m in registry_selectors.active_members(household)
    ]
    return {
        "change": change,
        "change_label": NaturalChange(change).label if change in NaturalChange.values else "",
        "member_rows": rows,
        "relations": Relation.choices,
        "member_form": member_form,
        "gone_reasons": [(r.value, r.label) for r in natural.GONE_REASONS],
        "pick_members": change in natural.LEAVES,
        "pick_relations": moving,
        "pick_target": moving,
        "pick_new_household": change == NaturalChange.SPLIT,
        "pick_new_head": change in natural.LEAVES,
        "new_member": change in natural.JOINS,
        "gone": change == NaturalChange.HOUSEHOLD_GONE,
        "natural_posted": post,
    }


# ---------------------------------------------------------------------------------------------------
# A village: bulk moves and notices


@login_required
@web_errors
def village_bulk(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    user = request.user
    village = access.access_changeable_village(user, code)
    cases = (
        access.cases_for(user, "change")
        .filter(household__village=village, state=CaseState.OPEN)
        .select_related("household", "next_step")
        .order_by("next_step__definition", "next_step__order", "pk")
    )
    results, error = None, ""
    if request.method == "POST":
        done, error = _attempt(lambda: _bulk_action(request, village, cases))
        if not error:
            results, note = done
            messages.success(request, note)
    elif request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    groups: dict[int, dict[str, Any]] = {}
    for case in cases[:BULK_LIMIT]:
        step = case.next_step
        if step is not None:
            group = groups.setdefault(
                step.pk, {"view": _step_view(step), "cases": [], "kind": case.get_kind_display()}
            )
            group["cases"].append(case)
    return render(
        request,
        "procedures/village_bulk.html",
        {
            "village": village,
            "groups": list(groups.values()),
            "results": results,
            "error": error,
            "today": timezone.localdate(),
        },
        status=422 if error else 200,
    )


def _bulk_action(request: HttpRequest, village: Region, cases: Any) -> tuple[list[Any] | None, str]:
    actor = Actor.of(request.user)
    step = StepDefinition.objects.filter(pk=_int(request.POST.get("step"), "step", "步骤")).first()
    if step is None:
        raise ValidationFailed("请选择步骤", {"step": ["请选择步骤"]})
    chosen = [int(i) for i in request.POST.getlist("cases") if i.isdigit()]
    selected = (
        list(cases.filter(pk__in=chosen, next_step=step)) if chosen else list(cases.filter(next_step=step))
    )
    if not selected:
        raise ValidationFailed("没有等待此步骤的案件", {"cases": ["请选择案件"]})
    today = timezone.localdate()
    if request.POST.get("action") == "notice":
        name = request.POST.get("photo_name", "").strip()
        notice = services.post_notice(
            actor=actor,
            village=village,
            cases=selected,
            step_code=step.code,
            start_on=_date(request.POST.get("start_on"), "start_on", "公示开始日期", today),
            photo=EvidenceInput("notice_photo", name) if name else None,
        )
        return None, f"已发布公示，共 {len(selected)} 户，{notice.end_on:%Y-%m-%d} 起可办理下一步"
    results = services.advance_many(
        actor=actor,
        cases=selected,
        step_code=step.code,
        on=_date(request.POST.get("on"), "on", "办理日期", today),
        signatures=_signatures(request, step),
        evidence=_evidence(request, step),
        comment=request.POST.get("comment", "").strip(),
    )
    done = sum(r.ok for r in results)
    return results, f"批量办理「{step.name}」：成功 {done} 户，未通过 {len(results) - done} 户"


# ---------------------------------------------------------------------------------------------------
# Notices


@login_required
@web_errors
def notice_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    error = ""
    if request.method == "POST":
        notice = access.access_notice(user, pk, "change")
        note, error = _attempt(lambda: _notice_action(request, notice))
        if not error:
            messages.success(request, note)
            return redirect("procedures:notice_detail", pk=notice.pk)
    elif request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    notice = access.access_notice(user, pk, "view")
    try:
        html = rendering.render_html(selectors.notice_content(notice))
    except JingzhunError as exc:
        html, error = "", exc.message
    can_act = access.notices_for(user, "change").filter(pk=notice.pk).exists()
    entries = list(notice.entries.filter(active=True).select_related("case").order_by("household_number"))
    return render(
        request,
        "procedures/notice_detail.html",
        {
            "notice": notice,
            "notice_html": html,
            "can_act": can_act,
            "entries": entries,
            "error": error,
            "objections": list(notice.objections.order_by("pk")),
            "today": timezone.localdate(),
            "last_day": notice.end_on - dt.timedelta(days=1),
        },
        status=422 if error and request.method == "POST" else 200,
    )


def _notice_action(request: HttpRequest, notice: Notice) -> str:
    actor = Actor.of(request.user)
    if request.POST.get("action") == "photo":
        upload = request.FILES.get("photo")
        name = request.POST.get("photo_name", "").strip()
        services.attach_notice_photo(
            actor=actor, notice=notice, photo=EvidenceInput("notice_photo", name, upload)
        )
        return "已上传张贴照片"
    case = access.access_case(request.user, request.POST.get("case", ""), "change")
    services.record_objection(
        actor=actor,
        notice=notice,
        case=case,
        text=request.POST.get("text", ""),
        received_on=_date(request.POST.get("received_on"), "received_on", "收到日期", timezone.localdate()),
    )
    return "已登记异议，案件已退回复核"


@login_required
@web_errors
def notice_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    notice = access.access_notice(request.user, pk, "view")  # first: outsiders get 404 whatever the method
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    try:
        pdf = rendering.render_pdf(selectors.notice_content(notice))
    except (
        rendering.FontMissing
    ) as exc:  # the machine lacks a Chinese font: say so, it is not the user's fault
        return HttpResponse(exc.message, status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-{notice.pk}.pdf"'
    return response


# Shown in the browser; anything else (an .html or .svg could carry script) is downloaded instead.
INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"}


@login_required
@web_errors
def evidence_file(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    """An uploaded document or notice photo, to those who may see its case (MEDIA_ROOT is not served)."""
    evidence = access.access_evidence(
        request.user, pk, "view"
    )  # first: outsiders get 404 whatever the method
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    if not evidence.file:
        raise NotFoundOrForbidden("材料没有上传文件")
    name = Path(evidence.file.name or "").name
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise NotFoundOrForbidden("材料文件不存在") from None
    inline = mimetypes.guess_type(name)[0] in INLINE_TYPES
    # FileResponse is a streaming response, not an HttpResponse subclass; Django serves either.
    return FileResponse(handle, filename=name, as_attachment=not inline)
