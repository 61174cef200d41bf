"""Reads of poor villages and village yearly records (writes are in ``services``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from jingzhun.core.audit import object_type
from jingzhun.core.models import ObjectChange
from jingzhun.regions.choices import Level
from jingzhun.regions.models import Region
from jingzhun.villages.models import PoorVillage, VillageYear


def register_of(county: Region) -> QuerySet[PoorVillage]:
    """The county's 贫困村 list (every village ever identified, exited or not)."""
    return PoorVillage.objects.filter(village__code__startswith=county.prefix).select_related(
        "village__parent"
    )


def poor_village_codes(county: Region, year: int) -> list[str]:
    """Codes of the county's villages identified as 贫困村 by ``year`` (exited ones included: an exit
    assessment samples the villages that were poor, §6)."""
    return list(register_of(county).filter(identified_year__lte=year).values_list("village_id", flat=True))


def villages_of(county: Region) -> QuerySet[Region]:
    return Region.objects.filter(level=Level.VILLAGE, code__startswith=county.prefix).select_related("parent")


@dataclass(frozen=True)
class RegisterRow:
    village: Region
    entry: PoorVillage | None
    record: VillageYear | None  # the latest yearly record


def county_rows(county: Region, *, only_listed: bool = False) -> list[RegisterRow]:
    """Every village of the county with its 贫困村 entry (if any) and latest yearly record: three queries."""
    entries = {p.village_id: p for p in register_of(county)}
    latest: dict[str, VillageYear] = {}
    for record in VillageYear.objects.filter(village__code__startswith=county.prefix).order_by(
        "village_id", "year"
    ):
        latest[record.village_id] = record
    villages = villages_of(county).order_by("code")
    if only_listed:
        villages = villages.filter(code__in=list(entries))
    return [RegisterRow(v, entries.get(v.code), latest.get(v.code)) for v in villages]


def records_of(village: Region) -> QuerySet[VillageYear]:
    return VillageYear.objects.filter(village=village).order_by("-year")


def history(obj: PoorVillage | VillageYear) -> QuerySet[ObjectChange]:
    return ObjectChange.objects.filter(object_type=object_type(obj), object_id=str(obj.pk)).order_by(
        "-time", "-id"
    )
