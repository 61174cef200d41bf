"""The home page: the counts of the register the user may see and their latest imports."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import render

from jingzhun.accounts.requests import AuthenticatedHttpRequest
from jingzhun.registry import access


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    counts = access.households_for(user, "view").aggregate(
        households=Count("id"),
        registered=Count("id", filter=~Q(poverty_status="")),
        monitored=Count("id", filter=~Q(monitoring_type="")),
    )
    counts["members"] = access.members_for(user, "view").filter(left_on__isnull=True).count()
    region = getattr(user, "region", None)
    context = {
        "counts": counts,
        "region": region,
        "region_full_name": region.full_name() if region else "",
        "can_import": access.can_import(user),
        "recent_batches": access.import_batches_for(user).filter(user=user)[:5],
    }
    return render(request, "site/home.html", context)
