"""Assistance pages: the import of helper pairings and measures, and the template downloads.

The household page shows a household's helpers and measures through the ``household_assistance`` tag."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render

from jingzhun.assistance import services
from jingzhun.assistance.forms import AssistanceImportForm
from jingzhun.core import audit
from jingzhun.core.errors import JingzhunError, PermissionDeniedError
from jingzhun.core.uploads import save_upload
from jingzhun.core.views import web_errors
from jingzhun.registry import access

REFUSED = "只有系统管理员、县级管理员和乡镇、村级经办人员可以导入帮扶结对和帮扶措施"


@login_required
@web_errors
def import_page(request: HttpRequest) -> HttpResponse:
    """GET: the form and the templates; POST: import the file at once (these files are small) and show the
    outcome with every rejected row. Nothing is written unless the whole file is right, or the user chose
    to keep the valid rows."""
    user: Any = request.user
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
def template_download(request: HttpRequest) -> HttpResponse:
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
