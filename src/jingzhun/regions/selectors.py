"""Reading regions."""

from __future__ import annotations

from django.db.models import QuerySet

from jingzhun.regions.models import Region


def subtree(region: Region) -> QuerySet[Region]:
    return Region.objects.filter(prefix__startswith=region.prefix)


def children(region: Region | None) -> QuerySet[Region]:
    if region is None:
        return Region.objects.filter(parent__isnull=True)
    return Region.objects.filter(parent=region)


def villages_in(region: Region) -> QuerySet[Region]:
    return subtree(region).filter(level=5)
