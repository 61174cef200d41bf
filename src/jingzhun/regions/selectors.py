"""Reading regions."""

from __future__ import annotations

from typing import Any

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


# Finding a village by its names, as the national system's exports give it (县, 乡, 村 instead of a code).
# Names are compared without spaces and without the endings that vary between lists: "南山村", "南山村委会"
# and "南山村村民委员会" all name 南山; "皂郊镇" and "皂郊" the same township.
ENDINGS = {
    5: (("村民委员会", "居民委员会", "民委员会", "村委会", "居委会", "委员会"), ("社区", "村")),
    4: (("街道办事处", "办事处", "人民政府"), ("街道", "镇", "乡")),
    3: (("人民政府",), ("自治县", "自治旗", "县", "区", "市", "旗")),
}
VILLAGE_SPELLINGS = (
    "",
    "村",
    "社区",
    "村民委员会",
    "村村民委员会",
    "居民委员会",
    "社区居民委员会",
    "村委会",
    "居委会",
    "委员会",
    "社区居委会",
)
NAME_CHUNK = 2000


def name_stem(name: str, level: int) -> str:
    """``name`` without spaces and without one long and one short ending of its level (5 village, 4 township,
    3 county)."""
    text = "".join(str(name).split())
    for endings in ENDINGS[level]:
        for ending in endings:
            if text.endswith(ending) and len(text) > len(ending):
                text = text[: -len(ending)]
                break
    return text


def villages_named(
    names: list[tuple[str | None, str | None, str]], prefix: str
) -> dict[tuple[Any, ...], list[str]]:
    """For each (county, township, village) name triple (county and township may be None), the codes of the
    villages under ``prefix`` it names: none, one, or several when the names do not tell them apart."""
    stems = {name_stem(v, 5) for _, _, v in names}
    spellings = sorted(
        {stem + ending for stem in stems for ending in VILLAGE_SPELLINGS} | {v for _, _, v in names}
    )
    by_stem: dict[str, list[str]] = {}
    for start in range(0, len(spellings), NAME_CHUNK):
        found = Region.objects.filter(
            level=5, code__startswith=prefix, name__in=spellings[start : start + NAME_CHUNK]
        )
        for code, name in found.values_list("code", "name"):
            by_stem.setdefault(name_stem(name, 5), []).append(code)
    parents = {c[:n].ljust(12, "0") for codes in by_stem.values() for c in codes for n in (6, 9)}
    parent_names = dict(Region.objects.filter(code__in=parents).values_list("code", "name"))

    def named(code: str, digits: int, name: str | None, level: int) -> bool:
        return not name or name_stem(parent_names.get(code[:digits].ljust(12, "0"), ""), level) == name_stem(
            name, level
        )

    return {
        (county, township, village): sorted(
            code
            for code in by_stem.get(name_stem(village, 5), [])
            if named(code, 9, township, 4) and named(code, 6, county, 3)
        )
        for county, township, village in names
    }
