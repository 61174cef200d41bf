"""Assistance pages: the import of helper pairings and measures, the template downloads, and adding or
changing one pairing or measure from the household page.

The household page shows a household's helpers and measures through the ``household_assistance`` tag."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from jingzhun.accounts.requests import AuthenticatedHttpRequest
from jingzhun.assistance import selectors, services
from jingzhun.assistance.forms import AssistanceImportForm, MeasureForm, PairingForm
from jingzhun.assistance.models import Measure, Pairing
from jingzhun.core import audit
from jingzhun.core.errors import JingzhunError, PermissionDeniedError
from jingzhun.core.uploads import save_upload
from jingzhun.core.views import web_errors
from jingzhun.registry import access
from jingzhun.registry.editing import submit

REFUSED = "只有系统管理员、县级管理员和乡镇、村级经办人员可以导入帮扶结对和帮扶措施"


@login_required
@web_errors
def import_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """GET: the form and the templates; POST: import the file at once (these files are small) and show the
    outcome with every rejected row. Nothing is written unless the whole file is right, or the user chose
    to keep the valid rows."""
    user = request.user
    if not access.can_import(user):
        raise PermissionDeniedError(REFUSED)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    form = AssistanceImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "kinds": services.KINDS}
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            context["error"], status = "上传失败，请按提示修改。", 422
        else:
            data = form.cleaned_data
            run = services.import_pairings if data["kind"] == "pairings" else services.import_measures
            path = save_upload(data["file"])
            try:
                result = run(actor=audit.Actor.of(user), user=user, path=path, keep_valid=data["keep_valid"])
            except PermissionDeniedError:
                raise
            except JingzhunError as exc:  # an unreadable file, a concurrent import of the same rows
                context["error"], status = exc.message, 422
            else:
                context["result"] = result
                status = 422 if result.rejected and not result.written else 200
            finally:
                path.unlink(missing_ok=True)
    return render(request, "assistance/import.html", context, status=status)


@login_required
@web_errors
def template_download(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    kind = request.GET.get("kind", "")
    if kind not in services.KINDS:
        raise Http404()
    fd, name = tempfile.mkstemp(suffix=".xlsx", prefix="jingzhun-")
    os.close(fd)
    path = Path(name)
    try:
        services.write_template(kind, path)
        handle = path.open("rb")
    finally:
        path.unlink(missing_ok=True)
    return FileResponse(handle, as_attachment=True, filename=f"{services.KINDS[kind].name}导入模板.xlsx")


# ---------------------------------------------------------------------------------------------------
# One pairing or measure, from the household page (the register's edit flow: 422 invalid, 409 stale)


def _record_page(
    request: AuthenticatedHttpRequest,
    model: type[Pairing] | type[Measure],
    *,
    household_id: int,
    record: Pairing | Measure | None,
    title: str,
    done: str,
    initial: dict[str, Any] | None = None,
    subject: Any = None,
) -> HttpResponse:
    """The add (``record`` None) or change page of one pairing or measure of a household."""
    user = request.user
    household = access.access_household(user, household_id, "change")
    is_pairing = model is Pairing
    form_class = PairingForm if is_pairing else MeasureForm
    form = form_class(
        request.POST if request.method == "POST" else None,
        instance=record,
        initial=initial,
        version=household.version,
    )

    def save(form: Any) -> None:
        kwargs = {
            "actor": audit.Actor.of(user),
            "user": user,
            "household_id": household.pk,
            "expected_version": form.expected_version,
            "data": form.service_data(),
        }
        if is_pairing:
            services.save_pairing(**kwargs, pairing_id=record.pk if record else None)
        else:
            services.save_measure(**kwargs, measure_id=record.pk if record else None)

    return submit(
        request,
        form,
        save,
        household=household,
        success_message=done,
        context={"title": title, "subject": subject, "reload_url": request.path},
    )


@login_required
@web_errors
def pairing_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _record_page(
        request,
        Pairing,
        household_id=pk,
        record=None,
        initial={"started_on": timezone.localdate()},
        title=_("添加帮扶责任人"),
        done=_("已添加帮扶责任人。"),
    )


@login_required
@web_errors
def pairing_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    pairing = selectors.record_of(Pairing, request.user, pk, "change")
    return _record_page(
        request,
        Pairing,
        household_id=pairing.household_id,
        record=pairing,
        title=_("修改帮扶结对"),
        done=_("帮扶结对已保存。"),
        subject=pairing.helper_name,
    )


@login_required
@web_errors
def measure_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _record_page(
        request,
        Measure,
        household_id=pk,
        record=None,
        initial={"year": timezone.localdate().year},
        title=_("添加帮扶措施"),
        done=_("已添加帮扶措施。"),
    )


@login_required
@web_errors
def measure_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    measure = selectors.record_of(Measure, request.user, pk, "change")
    return _record_page(
        request,
        Measure,
        household_id=measure.household_id,
        record=measure,
        title=_("修改帮扶措施"),
        done=_("帮扶措施已保存。"),
        subject=f"{measure.year} {measure.get_family_display()}",
    )
