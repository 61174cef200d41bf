"""Web views of the register: search, the household page, edits, import and export.

Thin by rule: objects come from ``access`` (404 for missing and not-yours alike), reads from
``selectors``, writes from ``services`` with the household version as the optimistic lock.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jingzhun.accounts.models import User
from jingzhun.accounts.requests import AuthenticatedHttpRequest, HtmxHttpRequest
from jingzhun.core.audit import Actor
from jingzhun.core.errors import (
    JingzhunError,
    NotFoundOrForbidden,
    PermissionDeniedError,
)
from jingzhun.core.uploads import save_upload
from jingzhun.core.views import web_errors
from jingzhun.regions import selectors as region_selectors
from jingzhun.regions.access import access_region
from jingzhun.regions.choices import Level
from jingzhun.registry import access, selectors, services
from jingzhun.registry.choices import LeaveReason, MonitoringType, PovertyStatus
from jingzhun.registry.editing import submit as _submit
from jingzhun.registry.forms import (
    ConfirmForm,
    ExpenseForm,
    HouseholdForm,
    ImportForm,
    IncomeAssessmentForm,
    MemberAddForm,
    MemberForm,
    MemberRemoveForm,
    MemberYearForm,
    YearForm,
    year_choices,
)
from jingzhun.registry.models import (
    MEMBER_YEARLY_FIELDS,
    Household,
    HouseholdExpense,
    ImportBatch,
    IncomeAssessment,
)

PAGE_SIZE = 50
CHANGE_LOG_LIMIT = 200
REGION_OPTIONS_LIMIT = 3000
SHANGHAI = ZoneInfo("Asia/Shanghai")
STATUS_FILTERS = {"none": gettext_lazy("未建档（一般农户）"), **dict(PovertyStatus.choices)}
MONITORING_FILTERS = {"yes": gettext_lazy("全部监测对象"), **dict(MonitoringType.choices)}
EXPORT_LAYOUTS = {"template": gettext_lazy("导入模板格式"), "national": gettext_lazy("全国系统人员表格式")}
EXPORT_FORMATS = {"xlsx": "Excel", "csv": "CSV"}
MIN_YEAR = 2000


def _get_only(request: HttpRequest) -> HttpResponse | None:
    if request.method in ("GET", "HEAD"):
        return None
    return HttpResponseNotAllowed(["GET"])


def _can_edit(user: User, household: Household) -> bool:
    return access.households_for(user, "change").filter(pk=household.pk).exists()


# ---------------------------------------------------------------------------------------------------
# Search


def _region_options(user: User) -> list[tuple[str, str]]:
    """Townships and villages of the user's jurisdiction for the filter (admins type a code instead)."""
    region = getattr(user, "region", None)
    if region is None:
        return []
    regions = region_selectors.subtree(region).filter(level__in=[Level.TOWNSHIP, Level.VILLAGE])
    return [
        (r.prefix, ("\u3000" + r.name) if r.level == Level.VILLAGE else r.name)
        for r in regions.order_by("code")[:REGION_OPTIONS_LIMIT]
    ]


@login_required
@web_errors
def household_list(request: HtmxHttpRequest) -> HttpResponse:
    if (refused := _get_only(request)) is not None:
        return refused
    user = request.user
    notices: list[str] = []
    q = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    region = None
    if region_key := request.GET.get("region", "").strip():
        try:
            region = access_region(user, region_key)
        except NotFoundOrForbidden:
            notices.append(_("所选区划不存在或不在您的辖区内，已忽略该条件。"))
    status = request.GET.get("status", "")
    if status and status not in STATUS_FILTERS:
        notices.append(_("脱贫状态条件无效，已忽略。"))
        status = ""
    monitoring = request.GET.get("monitoring", "")
    if monitoring and monitoring not in MONITORING_FILTERS:
        notices.append(_("监测对象条件无效，已忽略。"))
        monitoring = ""

    households = selectors.search_households(
        user, q=q, region_prefix=region.prefix if region else "", poverty_status=status, monitoring=monitoring
    ).select_related("village__parent")
    page = Paginator(households, PAGE_SIZE).get_page(request.GET.get("page"))
    ids = [h.pk for h in page.object_list]
    sizes = dict(
        access.members_for(user, "view")
        .filter(household_id__in=ids, left_on__isnull=True)
        .values_list("household_id")
        .annotate(n=Count("id"))
        .values_list("household_id", "n")
    )
    rows = [(h, sizes.get(h.pk, 0)) for h in page.object_list]
    context = {
        "q": q,
        "region": region,
        "status": status,
        "monitoring": monitoring,
        "notices": notices,
        "page": page,
        "rows": rows,
        "region_options": _region_options(user),
        "status_filters": STATUS_FILTERS,
        "monitoring_filters": MONITORING_FILTERS,
        "export_layouts": EXPORT_LAYOUTS,
        "export_formats": EXPORT_FORMATS,
        "export_years": year_choices(),
        "filtered": bool(q or region or status or monitoring),
    }
    template = "registry/household_list.html"
    if request.htmx and not request.htmx.boosted:
        template = "registry/_household_results.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# ---------------------------------------------------------------------------------------------------
# Household page


def _as_of(request: HttpRequest, household: Household) -> tuple[str, Any, str]:
    """(the date typed, the rebuilt household or None, a notice) for ``?as_of=YYYY-MM-DD``."""
    raw = request.GET.get("as_of", "").strip()[:20]
    if not raw:
        return "", None, ""
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        return raw, None, _("日期格式不正确，请按 年-月-日 填写，例如 2025-01-01。")
    if not 1900 <= day.year <= 2100:
        return raw, None, _("日期超出范围。")
    end_of_day = dt.datetime.combine(day, dt.time.max, tzinfo=SHANGHAI)
    return raw, selectors.household_as_of(household, end_of_day), ""


@login_required
@web_errors
def household_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    household = access.access_household(user, pk, "view")
    if (refused := _get_only(request)) is not None:
        return refused
    can_edit = _can_edit(user, household)
    as_of_raw, as_of, as_of_notice = _as_of(request, household)
    can_read_audit = access.can_read_audit(user)
    changes = (
        list(selectors.changes_for(household).select_related("user")[: CHANGE_LOG_LIMIT + 1])
        if can_read_audit
        else []
    )
    years = list(selectors.years(household))
    existing_years = {y.year for y in years}
    context = {
        "household": household,
        "village_name": household.village.full_name(),
        "members": selectors.active_members(household),
        "left_members": household.members.filter(left_on__isnull=False).order_by("-left_on", "person_number"),
        "years": years,
        "expenses": selectors.expenses(household),
        "income_assessments": selectors.income_assessments(household),
        "new_years": [y for y in year_choices() if y not in existing_years],
        "status_events": household.status_events.order_by("-effective_on", "-id"),
        "can_edit": can_edit,
        "reveal": can_edit,
        "can_read_audit": can_read_audit,
        "changes": changes[:CHANGE_LOG_LIMIT],
        "changes_truncated": len(changes) > CHANGE_LOG_LIMIT,
        "as_of_raw": as_of_raw,
        "as_of": as_of,
        "as_of_notice": as_of_notice,
        "as_of_empty": as_of is not None
        and as_of.household is None
        and not as_of.members
        and not as_of.years,
    }
    return render(request, "registry/household_detail.html", context)


# ---------------------------------------------------------------------------------------------------
# Edits: every form goes through ``_submit`` (registry.editing): 422 for invalid input, 409 for a stale version.


def _fresh(user: User, household: Household) -> Household:
    """Re-read the household for the page header after a refused save (the service may have touched it)."""
    return access.access_household(user, household.pk, "change")


@login_required
@web_errors
def household_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    household = access.access_household(user, pk, "change")
    data = request.POST if request.method == "POST" else None
    form = HouseholdForm(data, instance=household, version=household.version)

    def save(form: HouseholdForm) -> None:
        target = _fresh(user, household)
        services.update_household(
            actor=Actor.of(user),
            household=target,
            expected_version=form.expected_version,
            data=form.service_data(),
        )

    return _submit(
        request,
        form,
        save,
        household=household,
        success_message=_("农户信息已保存。"),
        context={"title": _("修改农户信息"), "reload_url": request.path},
    )


@login_required
@web_errors
def member_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    member = access.access_member(user, pk, "change")
    household = access.access_household(user, member.household_id, "change")
    data = request.POST if request.method == "POST" else None
    form = MemberForm(data, instance=member, version=household.version)

    def save(form: MemberForm) -> None:
        target = access.access_member(user, pk, "change")
        services.update_member(
            actor=Actor.of(user),
            member=target,
            expected_version=form.expected_version,
            data=form.service_data(),
        )

    return _submit(
        request,
        form,
        save,
        household=household,
        success_message=_("成员信息已保存。"),
        context={"title": _("修改成员信息"), "subject": member, "reload_url": request.path},
    )


@login_required
@web_errors
def member_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    household = access.access_household(user, pk, "change")
    data = request.POST if request.method == "POST" else None
    form = MemberAddForm(data, version=household.version)

    def save(form: MemberAddForm) -> None:
        services.add_member(
            actor=Actor.of(user),
            household=_fresh(user, household),
            expected_version=form.expected_version,
            person_number=form.cleaned_data["person_number"],
            data=form.service_data(),
        )

    return _submit(
        request,
        form,
        save,
        household=household,
        success_message=_("已添加成员。"),
        context={"title": _("添加家庭成员"), "reload_url": request.path},
    )


@login_required
@web_errors
def member_remove(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    member = access.access_member(user, pk, "change")
    household = access.access_household(user, member.household_id, "change")
    if member.left_on is not None:
        messages.info(request, _("该成员已减员，无需再次操作。"))
        return redirect("registry:household_detail", pk=household.pk)
    data = request.POST if request.method == "POST" else None
    form = MemberRemoveForm(data, version=household.version)

    def save(form: MemberRemoveForm) -> None:
        services.remove_member(
            actor=Actor.of(user),
            member=access.access_member(user, pk, "change"),
            expected_version=form.expected_version,
            reason=form.cleaned_data["leave_reason"],
            left_on=form.cleaned_data["left_on"],
        )

    return _submit(
        request,
        form,
        save,
        household=household,
        success_message=_("已办理减员。"),
        context={
            "title": _("成员减员"),
            "subject": member,
            "reload_url": request.path,
            "danger": True,
            "leave_reasons": LeaveReason,
        },
    )


def _member_year_options(member: Any, held: set[int]) -> list[int]:
    """Data years a member's record may be added for: the household's years and the last three, not held yet,
    and not after the year the member left."""
    household_years = set(selectors.years(member.household).values_list("year", flat=True))
    last = member.left_on.year if member.left_on else timezone.localdate().year
    offered = {y for y in household_years | set(year_choices()) if MIN_YEAR <= y <= last}
    return sorted(offered - held, reverse=True)


@login_required
@web_errors
def member_years(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A member's values of each data year (在校生状况, 健康状况, 劳动技能, 务工, insurance …)."""
    user = request.user
    member = access.access_member(user, pk, "view")  # before the method: an outsider gets the plain 404
    household = access.access_household(user, member.household_id, "view")
    if (refused := _get_only(request)) is not None:
        return refused
    rows = selectors.member_years(member)
    can_edit = _can_edit(user, household)
    context = {
        "member": member,
        "household": household,
        "rows": rows,
        "fields": MEMBER_YEARLY_FIELDS,
        "can_edit": can_edit,
        "new_years": _member_year_options(member, {r["year"] for r in rows}) if can_edit else [],
    }
    return render(request, "registry/member_years.html", context)


@login_required
@web_errors
def member_year_edit(request: AuthenticatedHttpRequest, pk: int, year: int) -> HttpResponse:
    """Add or correct a member's values of data year ``year`` (services.save_member_year decides whether the
    member row or that year's record is written)."""
    user = request.user
    member = access.access_member(user, pk, "change")
    household = access.access_household(user, member.household_id, "change")
    if not MIN_YEAR <= year <= timezone.localdate().year:
        raise Http404()
    held = {r["year"]: r for r in selectors.member_years(member)}
    row = held.get(year)
    data = request.POST if request.method == "POST" else None
    initial = {k: getattr(row["record"], k) for k in MEMBER_YEARLY_FIELDS} if row else None
    form = MemberYearForm(data, initial=initial, version=household.version)

    def save(form: MemberYearForm) -> None:
        services.save_member_year(
            actor=Actor.of(user),
            member=access.access_member(user, pk, "change"),
            expected_version=form.expected_version,
            year=year,
            data=form.service_data(),
        )

    title = _("修改 %(year)s 年度成员信息") if row else _("录入 %(year)s 年度成员信息")
    return _submit(
        request,
        form,
        save,
        household=household,
        success_message=_("%(name)s %(year)s 年度信息已保存。") % {"name": member.name, "year": year},
        context={"title": title % {"year": year}, "subject": member, "reload_url": request.path},
    )


@login_required
@web_errors
def year_edit(request: AuthenticatedHttpRequest, pk: int, year: int) -> HttpResponse:
    user = request.user
    household = access.access_household(user, pk, "change")
    if not MIN_YEAR <= year <= timezone.localdate().year + 1:
        raise Http404()
    record = selectors.years(household).filter(year=year).first()
    data = request.POST if request.method == "POST" else None
    initial = None if record else {"household_size": selectors.active_members(household).count()}
    form = YearForm(data, instance=record, initial=initial, version=household.version)

    def save(form: YearForm) -> None:
        services.save_year(
            actor=Actor.of(user),
            household=_fresh(user, household),
            expected_version=form.expected_version,
            year=year,
            data=form.service_data(),
        )

    title = _("修改 %(year)s 年度收入与生产生活条件") if record else _("录入 %(year)s 年度收入与生产生活条件")
    return _submit(
        request,
        form,
        save,
        household=household,
        success_message=_("%(year)s 年度数据已保存。") % {"year": year},
        context={"title": title % {"year": year}, "year_record": record, "reload_url": request.path},
    )


# ---------------------------------------------------------------------------------------------------
# Monitoring evidence: rigid expenses and income assessments (入户核实), added, corrected and deleted here

EVIDENCE: dict[type[Any], dict[str, Any]] = {
    HouseholdExpense: {
        "form": ExpenseForm,
        "save": services.save_expense,
        "delete": services.delete_expense,
        "id": "expense_id",
        "name": gettext_lazy("刚性支出"),
    },
    IncomeAssessment: {
        "form": IncomeAssessmentForm,
        "save": services.save_income_assessment,
        "delete": services.delete_income_assessment,
        "id": "assessment_id",
        "name": gettext_lazy("收入核算"),
    },
}


def _evidence_page(
    request: AuthenticatedHttpRequest,
    model: type[Any],
    *,
    household_id: int,
    record: Any = None,
    initial: dict[str, Any] | None = None,
) -> HttpResponse:
    """The add (``record`` None) or correct page of one expense or income assessment of a household."""
    user = request.user
    spec = EVIDENCE[model]
    household = access.access_household(user, household_id, "change")
    data = request.POST if request.method == "POST" else None
    form = spec["form"](data, instance=record, initial=initial, version=household.version)

    def save(form: Any) -> None:
        spec["save"](
            actor=Actor.of(user),
            household=_fresh(user, household),
            expected_version=form.expected_version,
            data=form.service_data(),
            **{spec["id"]: record.pk if record else None},
        )

    verb = _("修改") if record else _("添加")
    return _submit(
        request,
        form,
        save,
        household=household,
        success_message=_("%(name)s已保存。") % {"name": spec["name"]},
        context={"title": f"{verb}{spec['name']}", "subject": record, "reload_url": request.path},
    )


def _evidence_delete(request: AuthenticatedHttpRequest, model: type[Any], pk: int) -> HttpResponse:
    user = request.user
    spec = EVIDENCE[model]
    record = access.access_evidence(model, user, pk, "change")
    household = access.access_household(user, record.household_id, "change")
    form = ConfirmForm(request.POST if request.method == "POST" else None, version=household.version)

    def save(form: ConfirmForm) -> None:
        spec["delete"](
            actor=Actor.of(user),
            household=_fresh(user, household),
            expected_version=form.expected_version,
            **{spec["id"]: record.pk},
        )

    return _submit(
        request,
        form,
        save,
        household=household,
        success_message=_("%(name)s已删除。") % {"name": spec["name"]},
        context={
            "title": _("删除%(name)s") % {"name": spec["name"]},
            "subject": record,
            "danger": True,
            "confirm_label": _("确认删除"),
            "reload_url": request.path,
        },
    )


@login_required
@web_errors
def expense_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _evidence_page(
        request, HouseholdExpense, household_id=pk, initial={"incurred_on": timezone.localdate()}
    )


@login_required
@web_errors
def expense_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    record = access.access_evidence(HouseholdExpense, request.user, pk, "change")
    return _evidence_page(request, HouseholdExpense, household_id=record.household_id, record=record)


@login_required
@web_errors
def expense_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _evidence_delete(request, HouseholdExpense, pk)


@login_required
@web_errors
def income_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    first = today.replace(day=1)
    initial = {
        "period_start": first.replace(year=first.year - 1),
        "period_end": first - dt.timedelta(days=1),
        "persons": selectors.active_members(access.access_household(request.user, pk, "change")).count(),
    }
    return _evidence_page(request, IncomeAssessment, household_id=pk, initial=initial)


@login_required
@web_errors
def income_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    record = access.access_evidence(IncomeAssessment, request.user, pk, "change")
    return _evidence_page(request, IncomeAssessment, household_id=record.household_id, record=record)


@login_required
@web_errors
def income_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _evidence_delete(request, IncomeAssessment, pk)


# ---------------------------------------------------------------------------------------------------
# Import


def _batch(user: User, batch_id: str) -> ImportBatch:
    if not batch_id.isascii() or not batch_id.isalnum():
        raise NotFoundOrForbidden("导入批次不存在或无权访问")
    batch = access.import_batches_for(user).filter(pk=batch_id).first()
    if batch is None:
        raise NotFoundOrForbidden("导入批次不存在或无权访问")
    return batch


@login_required
@web_errors
def import_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not access.can_import(user):
        raise PermissionDeniedError("您的角色不能导入数据")
    status = 200
    error = ""
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            from jingzhun.registry.importer import start_import

            upload = form.cleaned_data["file"]
            path = save_upload(upload)
            try:
                batch = start_import(
                    user=user,
                    upload_path=path,
                    file_name=Path(upload.name).name,
                    policy=form.cleaned_data["policy"],
                )
            except JingzhunError as exc:
                error, status = exc.message, exc.status
            else:
                return redirect("registry:import_batch", batch_id=batch.pk)
        else:
            status = 422
    else:
        form = ImportForm()
    context = {"form": form, "error": error, "batches": access.import_batches_for(user)[:20]}
    return render(request, "registry/import.html", context, status=status)


@login_required
@web_errors
def import_batch(request: HtmxHttpRequest, batch_id: str) -> HttpResponse:
    batch = _batch(request.user, batch_id)
    if (refused := _get_only(request)) is not None:
        return refused
    from jingzhun.core import jobs

    running = batch.state == ImportBatch.State.RUNNING
    # While it runs, the progress is the job's (saved by the worker); afterwards the batch's result.
    job = jobs.latest_for("import", batch.pk) if running else None
    context = {
        "batch": batch,
        "running": running,
        "job": job,
        "progress": job.percent if job else batch.progress,
        "stage": job.stage if job else batch.stage,
    }
    template = "registry/import_batch.html"
    if request.htmx and not request.htmx.boosted:
        template = "registry/_import_status.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    response["Cache-Control"] = "no-store"
    return response


@login_required
@web_errors
def import_errors(request: AuthenticatedHttpRequest, batch_id: str) -> HttpResponseBase:
    batch = _batch(request.user, batch_id)
    if (refused := _get_only(request)) is not None:
        return refused
    media = Path(settings.MEDIA_ROOT).resolve()
    path = (media / batch.error_report).resolve() if batch.error_report else None
    if path is None or not path.is_relative_to(media) or not path.is_file():
        raise Http404()
    download_name = f"{Path(batch.file_name).stem}_错误报告{path.suffix}"
    return FileResponse(path.open("rb"), as_attachment=True, filename=download_name)


def _stream_temp(write: Callable[[Path], object], suffix: str, download_name: str) -> FileResponse:
    """Write a file to a temporary path and stream it; the file is unlinked once opened."""
    fd, name = tempfile.mkstemp(suffix=suffix, prefix="jingzhun-")
    os.close(fd)
    path = Path(name)
    try:
        write(path)
        handle = path.open("rb")
    finally:
        path.unlink(missing_ok=True)
    return FileResponse(handle, as_attachment=True, filename=download_name)


@login_required
@web_errors
def import_template(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    if (refused := _get_only(request)) is not None:
        return refused
    fmt = request.GET.get("fmt", "xlsx")
    if fmt not in EXPORT_FORMATS:
        raise Http404()
    from jingzhun.registry.exchange import write_template

    return _stream_temp(lambda path: write_template(path, fmt), f".{fmt}", f"建档立卡导入模板.{fmt}")


@login_required
@web_errors
def export(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    if (refused := _get_only(request)) is not None:
        return refused
    user = request.user
    layout = request.GET.get("layout", "template")
    fmt = request.GET.get("fmt", "xlsx")
    if layout not in EXPORT_LAYOUTS or fmt not in EXPORT_FORMATS:
        raise Http404()
    raw_year = request.GET.get("year", "").strip()
    year = int(raw_year) if raw_year.isdigit() and len(raw_year) == 4 else None
    if raw_year and (year is None or not MIN_YEAR <= year <= timezone.localdate().year):
        raise Http404()
    region_key = request.GET.get("region", "").strip()
    region = access_region(user, region_key) if region_key else getattr(user, "region", None)
    from jingzhun.registry.jobs import start_export

    # The whole county takes about a minute: a job, whose page shows the progress and then the file.
    job = start_export(
        user=user,
        layout=layout,
        fmt=fmt,
        region_prefix=region.prefix if region_key and region else "",
        label=region.name if region else _("全部"),
        year=year,
    )
    return redirect("job", job_id=job.pk)
