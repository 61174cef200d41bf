"""Web pages of poor villages: a county's 贫困村 list with import, a village with its yearly records and its
exit and identification checks, the yearly record form, and a village exit case (the procedure engine's
steps, notice and rejection for a village subject).

Thin by rule: objects come from ``access`` (404 for missing and not-yours alike), reads from ``selectors``
and ``policy.criteria``, writes from ``services`` and ``procedures.services``. Service errors (Chinese,
naming the field) are shown on the page the form was on; bad query parameters are ignored with a notice.

They live in ``procedures`` (above ``villages``, which holds the records and sits below ``policy``, whose
village checks read them) because a village page is mostly its exit procedure.
"""

from __future__ import annotations

from typing import Any, Literal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from jingzhun.accounts.models import User
from jingzhun.accounts.requests import AuthenticatedHttpRequest
from jingzhun.core.audit import Actor
from jingzhun.core.errors import (
    NotFoundOrForbidden,
    ValidationFailed,
)
from jingzhun.core.views import attempt, web_errors
from jingzhun.policy.criteria import evaluate_village_exit, evaluate_village_identification
from jingzhun.procedures import access as procedure_access
from jingzhun.procedures import selectors as procedure_selectors
from jingzhun.procedures import services as procedure_services
from jingzhun.procedures.choices import CaseState, ProcedureKind
from jingzhun.procedures.models import Case, Notice, NoticeEntry
from jingzhun.procedures.services import EvidenceInput
from jingzhun.procedures.views import _date, _evidence, _int, _signatures, _step_view
from jingzhun.regions.choices import Level
from jingzhun.regions.models import Region
from jingzhun.villages import access, selectors, services
from jingzhun.villages.forms import ImportForm, RecordForm
from jingzhun.villages.models import PoorVillage, VillageYear


def _year(raw: str | None, default: int, notices: list[str], label: str = "年度") -> int:
    text = (raw or "").strip()[:4]
    if not text:
        return default
    if text.isdigit() and 1978 <= int(text) <= 2100:
        return int(text)
    notices.append(f"{label}应为1978—2100之间的4位年份，已按{default}年显示。")
    return default


def _user_county(user: User) -> Region | None:
    region = getattr(user, "region", None)
    if region is None or region.level < Level.COUNTY:
        return None
    return Region.objects.filter(prefix=region.prefix[:6]).first()


# ---------------------------------------------------------------------------------------------------
# A county's 贫困村 list


def _register_context(request: HttpRequest, county: Region, scope: str = "") -> dict[str, Any]:
    user = request.user
    rows = [r for r in selectors.county_rows(county) if r.village.code.startswith(scope)]
    return {
        "county": county,
        "rows": rows,
        "listed": sum(1 for r in rows if r.entry),
        "exited": sum(1 for r in rows if r.entry and r.entry.exit_year),
        "can_edit": access.can_edit_list(user, county),
        "form": ImportForm(),
    }


@login_required
@web_errors
def register(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    code = request.GET.get("county", "").strip()
    if not code:
        county = _user_county(request.user)
        if county is None:
            return render(request, "villages/choose_county.html", {})
        code = county.code
    county, scope = access.register_scope(request.user, code)
    return render(request, "villages/register.html", _register_context(request, county, scope))


@login_required
@web_errors
def import_list(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    county = access.access_county(request.user, code, "change", hide=True)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ImportForm(request.POST, request.FILES)
    error, status = "填写有误，请按提示修改。", 422
    if form.is_valid():
        data = form.cleaned_data
        result, error, status, errors = attempt(
            lambda: services.import_poor_villages(
                actor=Actor.of(request.user),
                county=county,
                text=data["text"],
                identified_year=data["identified_year"],
                source_document=data["source_document"],
            )
        )
        if result is not None:
            note = f"已列入贫困村名单 {len(result.created)} 个村"
            if result.already:
                note += f"；{len(result.already)} 个村原已在名单中，未改动"
            messages.success(request, note)
            return redirect(f"{reverse('villages:register')}?county={county.code}")
        form.add_error(None, error)
        for message in errors.get("codes", [])[:50]:
            form.add_error("codes", message)
    context = _register_context(request, county) | {"form": form, "error": error}
    return render(request, "villages/register.html", context, status=status)


# ---------------------------------------------------------------------------------------------------
# A village


@login_required
@web_errors
def village_detail(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    user = request.user
    village = access.access_village(user, code)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    notices: list[str] = []
    this_year = timezone.localdate().year
    year = _year(request.GET.get("year"), this_year, notices)
    identified = _year(request.GET.get("identified"), 2014, notices, "识别年度")
    entry = PoorVillage.objects.filter(village=village).first()
    cases = (
        procedure_access.cases_for(user, villages=True).filter(village=village).select_related("next_step")
    )
    context = {
        "village": village,
        "entry": entry,
        "records": list(selectors.records_of(village)),
        "exit": evaluate_village_exit(village, year=year),
        "year": year,
        "identification": evaluate_village_identification(village, year=identified),
        "identified": identified,
        "cases": list(cases.order_by("-pk")),
        "notices": notices,
        "today": timezone.localdate(),
        "can_edit_records": access.can_edit_records(user, village),
        "can_open": entry is not None
        and entry.exit_year is None
        and procedure_access.may_change_village(user, village)
        and not any(c.state == CaseState.OPEN for c in cases),
        "this_year": this_year,
    }
    return render(request, "villages/village_detail.html", context)


@login_required
@web_errors
def record_edit(request: AuthenticatedHttpRequest, code: str, year: int) -> HttpResponse:
    user = request.user
    village = access.access_village(user, code, "change", records=True, hide=True)
    if not 1978 <= year <= 2100:
        raise NotFoundOrForbidden()
    record = VillageYear.objects.filter(village=village, year=year).first()
    form = RecordForm(request.POST if request.method == "POST" else None, record=record)
    context: dict[str, Any] = {"village": village, "year": year, "record": record, "reload_url": request.path}
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            saved, error, status, errors = attempt(
                lambda: services.save_village_year(
                    actor=Actor.of(user),
                    village=village,
                    year=year,
                    data=form.service_data(),
                    expected_version=form.expected_version,
                )
            )
            if saved is not None:
                messages.success(request, f"已保存{village.name}{year}年度情况")
                return redirect("villages:village_detail", code=village.code)
            form.add_service_errors(errors)
            context["conflict" if status == 409 else "error"] = error
        else:
            context["error"] = "填写有误，请按提示修改后再保存。"
    elif request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(request, "villages/record_form.html", context | {"form": form}, status=status)


# ---------------------------------------------------------------------------------------------------
# The village exit procedure


@login_required
@web_errors
def case_open(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    user = request.user
    village = access.access_village(user, code)
    if not procedure_access.may_change_village(user, village):
        raise NotFoundOrForbidden("村不存在或无权访问")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    case, error, _status, _errors = attempt(
        lambda: procedure_services.open_village_case(
            actor=Actor.of(user),
            village=village,
            kind=ProcedureKind.VILLAGE_EXIT,
            discovered_on=_date(
                request.POST.get("discovered_on"), "discovered_on", "申请日期", timezone.localdate()
            ),
        )
    )
    if case is not None:
        messages.success(request, f"已开始办理{village.name}贫困村退出")
        return redirect("villages:case_detail", pk=case.pk)
    messages.error(request, error)
    return redirect("villages:village_detail", code=village.code)


def _village_case(user: User, pk: int, action: Literal["view", "change"] = "view") -> Case:
    case = procedure_access.access_case(user, pk, action, villages=True)
    if case.village_id is None:
        raise NotFoundOrForbidden("案件不存在或无权访问")
    return case


def _case_action(request: HttpRequest, case: Case) -> str:
    actor = Actor.of(request.user)
    action = request.POST.get("action", "step")
    today = timezone.localdate()
    assert case.village is not None
    if action == "notice":
        step = case.next_step
        name = request.POST.get("photo_name", "").strip()
        notice = procedure_services.post_notice(
            actor=actor,
            village=case.village,
            cases=[case],
            step_code=step.code if step else "",
            start_on=_date(request.POST.get("start_on"), "start_on", "公示开始日期", today),
            photo=EvidenceInput("notice_photo", name) if name else None,
        )
        return f"已发布公示，{notice.end_on:%Y-%m-%d} 起可办理下一步"
    if action == "step":
        step = case.next_step
        if step is None:
            raise ValidationFailed("案件已办结，不能继续办理")
        procedure_services.complete_step(
            actor=actor,
            case=case,
            step_code=request.POST.get("step_code", ""),
            expected_version=_int(request.POST.get("version"), "version", "版本号"),
            on=_date(request.POST.get("on"), "on", "办理日期", today),
            signatures=_signatures(request, step),
            evidence=_evidence(request, step),
            comment=request.POST.get("comment", "").strip(),
        )
        return f"已办理「{step.name}」"
    if action == "objection":
        entry = (
            NoticeEntry.objects.filter(case=case, active=True)
            .select_related("notice")
            .order_by("-pk")
            .first()
        )
        if entry is None:
            raise ValidationFailed("该村不在公示中，不能登记异议")
        procedure_services.record_objection(
            actor=actor,
            notice=entry.notice,
            case=case,
            text=request.POST.get("text", ""),
            received_on=_date(request.POST.get("received_on"), "received_on", "收到日期", today),
        )
        return "异议已登记，案件退回复核"
    if action == "resolve":
        objection = procedure_access.access_objection(
            request.user, request.POST.get("objection", ""), "change", villages=True
        )
        if objection.case_id != case.pk:
            raise ValidationFailed("该异议不属于此案件")
        procedure_services.resolve_objection(
            actor=actor,
            objection=objection,
            upheld=request.POST.get("upheld") == "1",
            resolution=request.POST.get("resolution", ""),
            on=_date(request.POST.get("on"), "on", "复核日期", today),
        )
        return "异议已复核"
    if action == "reject":
        procedure_services.reject_case(
            actor=actor,
            case=case,
            expected_version=_int(request.POST.get("version"), "version", "版本号"),
            reason=request.POST.get("reason", ""),
            on=_date(request.POST.get("on"), "on", "日期", today),
        )
        return "案件已不予通过"
    raise ValidationFailed("未知的操作")


@login_required
@web_errors
def case_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    error, status = "", 200
    if request.method == "POST":
        case = _village_case(user, pk, "change")
        note, error, status, _errors = attempt(lambda: _case_action(request, case))
        if not error:
            messages.success(request, note)
            return redirect("villages:case_detail", pk=case.pk)
    elif request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    case = _village_case(user, pk)
    assert case.village is not None
    next_step = case.next_step if case.state == CaseState.OPEN else None
    notices = list(Notice.objects.filter(entries__case=case).order_by("pk"))
    context = {
        "case": case,
        "village": case.village,
        "steps": list(procedure_selectors.steps_of(case)),
        "remaining": list(case.definition.steps.filter(order__gt=next_step.order)) if next_step else [],
        "next": _step_view(next_step),
        "may_do": next_step is not None and procedure_access.may_do(user, next_step),
        "can_act": next_step is not None and procedure_access.may_change_village(user, case.village),
        "notices": notices,
        "objections": list(case.objections.order_by("pk")),
        "posted": next_step is not None
        and NoticeEntry.objects.filter(case=case, active=True, notice__step_code=next_step.code).exists(),
        "error": error,
        "today": timezone.localdate(),
        "is_reviewer": getattr(user, "role", None) in procedure_access.REVIEWER_ROLES,
    }
    return render(request, "villages/case_detail.html", context, status=status)
