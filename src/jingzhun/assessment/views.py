"""Web pages of the assessment survey (第三方评估, domain.md §3.4, §6).

The list of surveys and drawing one, a survey's sample with redraw and close, a village's households
with adding one by hand, the interview lists (PDF, .xlsx), the result form for one household (made for a
phone), and the estimates with the county exit check fed by them.

Thin by rule: objects come from ``access`` (404 for missing and not-yours alike; a reader who may not
change gets the same 404 on the write pages), reads from ``selectors``, writes from ``services``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header

from jingzhun.accounts.requests import AuthenticatedHttpRequest
from jingzhun.assessment import access, printing, selectors, services
from jingzhun.assessment.choices import Outcome, SurveyState
from jingzhun.assessment.forms import AddHouseholdForm, CloseForm, InterviewForm, RedrawForm, SurveyForm
from jingzhun.assessment.models import Interview, SampledVillage, Survey
from jingzhun.core.audit import Actor
from jingzhun.core.errors import (
    NotFoundOrForbidden,
    PermissionDeniedError,
)
from jingzhun.core.views import attempt, web_errors
from jingzhun.procedures.rendering import FontMissing

FORMATS = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _get_only(request: HttpRequest) -> HttpResponse | None:
    return None if request.method in ("GET", "HEAD") else HttpResponseNotAllowed(["GET"])


def _post_only(request: HttpRequest) -> HttpResponse | None:
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


# ---------------------------------------------------------------------------------------------------
# Surveys


@login_required
@web_errors
def survey_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    if (refused := _get_only(request)) is not None:
        return refused
    surveys = (
        access.surveys_for(request.user)
        .select_related("county")
        .annotate(
            drawn=Count("households", distinct=True),
            done=Count(
                "households__interview",
                distinct=True,
                filter=Q(households__interview__outcome=Outcome.COMPLETED),
            ),
        )
    )
    return render(
        request,
        "assessment/survey_list.html",
        {"surveys": surveys[:200], "can_draw": access.can_draw(request.user)},
    )


def _county_label(county: Any) -> str:
    """ "天水市秦州区（620502）": the city and the county, in one query for all (no ancestor walk)."""
    city = county.parent.name if county.parent_id and county.parent.name != "市辖区" else ""
    return f"{city}{county.name}（{county.gb_code}）"


@login_required
@web_errors
def survey_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not access.can_draw(user):
        raise PermissionDeniedError("只有系统管理员和县级管理员可以抽取评估样本")
    counties = [
        (c.code, _county_label(c))
        for c in access.counties_for(user).select_related("parent").order_by("code")[:3000]
    ]
    form = SurveyForm(request.POST if request.method == "POST" else None, counties=counties)
    error, status = "", 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data

            def draw() -> Survey:
                return services.draw_survey(
                    actor=Actor.of(user),
                    county=access.access_county(user, data["county"]),
                    year=data["year"],
                    seed=data["seed"],
                    design=form.design_data(),
                    name=data["name"],
                )

            survey, error, status, errors = attempt(draw)
            if survey is not None:
                messages.success(
                    request, f"已抽取样本：{survey.villages.count()}个村，{survey.households.count()}户"
                )
                return redirect("assessment:survey_detail", pk=survey.pk)
            form.add_service_errors(errors)
        else:
            error = "填写有误，请按提示修改。"
    elif request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(request, "assessment/survey_form.html", {"form": form, "error": error}, status=status)


def _detail_context(request: HttpRequest, survey: Survey) -> dict[str, Any]:
    can_change = access.can_change(request.user, survey)
    return {
        "survey": survey,
        "villages": list(selectors.villages_of(survey)),
        "progress": selectors.progress(survey),
        "can_change": can_change and survey.state != SurveyState.SUPERSEDED,
        "redraw_form": RedrawForm(initial={"version": survey.version}) if can_change else None,
        "close_form": CloseForm(initial={"version": survey.version})
        if can_change and survey.open_for_results
        else None,
        "redraws": list(access.surveys_for(request.user).filter(redrawn_from=survey)),
        "redrawn_from": (
            access.surveys_for(request.user).filter(pk=survey.redrawn_from_id).first()
            if survey.redrawn_from_id
            else None
        ),
    }


@login_required
@web_errors
def survey_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    survey = access.access_survey(request.user, pk)
    if (refused := _get_only(request)) is not None:
        return refused
    return render(request, "assessment/survey_detail.html", _detail_context(request, survey))


@login_required
@web_errors
def survey_redraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    survey = access.access_survey(request.user, pk, "change")
    if (refused := _post_only(request)) is not None:
        return refused
    form = RedrawForm(request.POST)
    error, status = "填写有误：请填写新的随机种子。", 422
    if form.is_valid():
        data = form.cleaned_data
        new, error, status, _errors = attempt(
            lambda: services.redraw_survey(
                actor=Actor.of(request.user),
                survey=survey,
                seed=data["seed"],
                expected_version=data["version"],
            )
        )
        if new is not None:
            messages.success(request, f"已用种子 {new.seed} 重新抽样")
            return redirect("assessment:survey_detail", pk=new.pk)
    context = _detail_context(request, survey) | {"redraw_form": form, "error": error}
    return render(request, "assessment/survey_detail.html", context, status=status)


@login_required
@web_errors
def survey_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    survey = access.access_survey(request.user, pk, "change")
    if (refused := _post_only(request)) is not None:
        return refused
    form = CloseForm(request.POST)
    error, status = "表单已过期，请刷新后重试。", 422
    if form.is_valid():
        done, error, status, _errors = attempt(
            lambda: services.close_survey(
                actor=Actor.of(request.user), survey=survey, expected_version=form.cleaned_data["version"]
            )
        )
        if done is not None:
            messages.success(request, "调查已结束，不能再录入结果")
            return redirect("assessment:survey_detail", pk=survey.pk)
    context = _detail_context(request, survey) | {"error": error}
    return render(request, "assessment/survey_detail.html", context, status=status)


@login_required
@web_errors
def survey_estimates(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    survey = access.access_survey(request.user, pk)
    if (refused := _get_only(request)) is not None:
        return refused
    figures = selectors.survey_estimates(survey)
    context = {
        "survey": survey,
        "figures": figures,
        "evaluation": selectors.exit_evaluation(survey, figures),
        "progress": selectors.progress(survey),
    }
    return render(request, "assessment/survey_estimates.html", context)


# ---------------------------------------------------------------------------------------------------
# Interview lists


def _download(lists: list[printing.InterviewList], fmt: str, name: str) -> HttpResponse:
    try:
        body = printing.render_pdf(lists) if fmt == "pdf" else printing.render_xlsx(lists)
    except FontMissing as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
    response = HttpResponse(body, content_type=FORMATS[fmt])
    response["Content-Disposition"] = content_disposition_header(True, f"{name}.{fmt}")
    response["Cache-Control"] = "no-store"
    return response


@login_required
@web_errors
def survey_lists(request: AuthenticatedHttpRequest, pk: int, fmt: str) -> HttpResponse:
    survey = access.access_survey(request.user, pk)
    if (refused := _get_only(request)) is not None:
        return refused
    if fmt not in FORMATS:
        raise NotFoundOrForbidden()
    return _download(printing.survey_lists(survey), fmt, f"{survey.name}入户调查名单")


@login_required
@web_errors
def village_list(request: AuthenticatedHttpRequest, pk: int, fmt: str) -> HttpResponse:
    village = access.access_village(request.user, pk)
    if (refused := _get_only(request)) is not None:
        return refused
    if fmt not in FORMATS:
        raise NotFoundOrForbidden()
    return _download(
        [printing.village_list(village.survey, village)],
        fmt,
        f"{village.village.name}入户调查名单（种子{village.survey.seed}）",
    )


# ---------------------------------------------------------------------------------------------------
# A village and its households


def _village_context(request: HttpRequest, village: SampledVillage) -> dict[str, Any]:
    survey = village.survey
    can_change = access.can_change(request.user, survey) and survey.open_for_results
    return {
        "survey": survey,
        "village": village,
        "households": list(selectors.households_of(village)),
        "can_change": can_change,
        "add_form": AddHouseholdForm() if can_change else None,
    }


@login_required
@web_errors
def village_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    village = access.access_village(request.user, pk)
    if (refused := _get_only(request)) is not None:
        return refused
    return render(request, "assessment/village_detail.html", _village_context(request, village))


@login_required
@web_errors
def household_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    village = access.access_village(request.user, pk, "change")
    if (refused := _post_only(request)) is not None:
        return refused
    form = AddHouseholdForm(request.POST)
    error, status = "填写有误，请按提示修改。", 422
    if form.is_valid():
        sampled, error, status, errors = attempt(
            lambda: services.add_household(actor=Actor.of(request.user), village=village, **form.cleaned_data)
        )
        if sampled is not None:
            messages.success(request, f"已补充{sampled.head_name}户，请录入调查结果")
            return redirect("assessment:interview", pk=sampled.pk)
        for name, errs in errors.items():
            for e in errs:
                form.add_error(name if name in form.fields else None, e)
    context = _village_context(request, village) | {"add_form": form, "error": error}
    return render(request, "assessment/village_detail.html", context, status=status)


@login_required
@web_errors
def interview(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        sampled = access.access_sampled(user, pk, "change")
    elif request.method in ("GET", "HEAD"):
        sampled = access.access_sampled(user, pk)
    else:
        access.access_sampled(user, pk)
        return HttpResponseNotAllowed(["GET", "POST"])
    result = Interview.objects.filter(sampled=sampled).first()
    survey = sampled.survey
    editable = survey.open_for_results and access.can_change(user, survey)
    form = InterviewForm(
        request.POST if request.method == "POST" else None, sampled=sampled, interview=result
    )
    error, status = "", 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            saved, error, status, errors = attempt(
                lambda: services.record_interview(
                    actor=Actor.of(user),
                    sampled=sampled,
                    data=form.service_data(),
                    expected_version=form.expected_version,
                )
            )
            if saved is not None:
                messages.success(request, f"已保存{sampled.head_name}户的调查结果")
                return redirect(_next_after(sampled))
            form.add_service_errors(errors)
        else:
            error = "填写有误，请按提示修改。"
    context = {
        "sampled": sampled,
        "survey": survey,
        "result": result,
        "form": form if editable else None,
        "error": error,
        "conflict": error if status == 409 else "",
        "reload_url": request.path,
    }
    return render(request, "assessment/interview.html", context, status=status)


def _next_after(sampled: Any) -> str:
    """The next household of the village without a result, else the village page (the team walks on)."""
    following = (
        sampled.village.households.filter(interview__isnull=True)
        .exclude(pk=sampled.pk)
        .order_by("order")
        .first()
    )
    if following is not None:
        return reverse("assessment:interview", args=[following.pk])
    return reverse("assessment:village_detail", args=[sampled.village_id])
