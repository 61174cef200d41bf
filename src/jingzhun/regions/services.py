"""Loading divisions. The national list ships with the package (NBS 2022, ``data/SOURCE.md``)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from jingzhun.core.errors import ValidationFailed
from jingzhun.regions.choices import PREFIX_LENGTH, Level, UrbanRural
from jingzhun.regions.models import Region, level_of_prefix, pad

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class RegionRow:
    prefix: str
    name: str
    urban_rural_class: str = ""
    rural_population: int | None = None
    natural_villages: str = ""


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def national_rows(province_prefixes: Iterable[str] | None = None) -> list[RegionRow]:
    """Province, city, county and township rows of the shipped NBS list, optionally for some provinces."""
    wanted = set(province_prefixes or [])
    rows: list[RegionRow] = []
    taken: set[str] = set()
    for name in ("provinces.csv", "cities.csv", "areas.csv", "streets.csv"):
        for r in _read(DATA_DIR / name):
            if wanted and r["code"][:2] not in wanted:
                continue
            # Cities without counties (东莞 4419, 中山 4420, 儋州 4604) are listed again as a county
            # 441900, and 金门县 again as a township: the same 12-digit code, kept once, at the higher level.
            if pad(r["code"]) in taken:
                continue
            taken.add(pad(r["code"]))
            rows.append(RegionRow(prefix=r["code"], name=r["name"]))
    return rows


def parent_prefix(prefix: str, known: set[str] | None = None) -> str | None:
    """The parent's prefix: the next level up, or the nearest existing one above it (441900003 → 4419)."""
    level = level_of_prefix(prefix)
    while level > Level.PROVINCE:
        level = Level(level - 1)
        candidate = prefix[: PREFIX_LENGTH[level]]
        if known is None or candidate in known:
            return candidate
    return None


@transaction.atomic
def upsert_regions(rows: Iterable[RegionRow]) -> int:
    """Create or update regions; parents must exist or come earlier in ``rows``. Returns rows written."""
    items = sorted(rows, key=lambda r: (len(r.prefix), r.prefix))
    existing = set(Region.objects.values_list("prefix", flat=True))
    known = set(existing)
    create: list[Region] = []
    update: list[Region] = []
    problems: list[str] = []
    for row in items:
        if not row.prefix.isdigit() or len(row.prefix) not in PREFIX_LENGTH.values():
            problems.append(f"代码 {row.prefix!r} 不是 2/4/6/9/12 位数字")
            continue
        parent = parent_prefix(row.prefix, known)
        if parent is None and level_of_prefix(row.prefix) != Level.PROVINCE:
            problems.append(f"{row.prefix} {row.name}：上级区划不存在")
            continue
        if row.urban_rural_class and row.urban_rural_class not in UrbanRural.values:
            problems.append(f"{row.prefix} {row.name}：城乡分类代码 {row.urban_rural_class} 无效")
            continue
        region = Region(
            code=pad(row.prefix),
            prefix=row.prefix,
            level=level_of_prefix(row.prefix),
            name=row.name,
            parent_id=pad(parent) if parent else None,
            urban_rural_class=row.urban_rural_class,
            rural_population=row.rural_population,
            natural_villages=row.natural_villages,
        )
        (update if row.prefix in existing else create).append(region)
        known.add(row.prefix)
    if problems:
        raise ValidationFailed("区划数据有误：" + "；".join(problems[:20]), {"regions": problems})
    Region.objects.bulk_create(create, batch_size=2000)
    Region.objects.bulk_update(
        update,
        ["name", "parent", "urban_rural_class", "rural_population", "natural_villages"],
        batch_size=2000,
    )
    return len(create) + len(update)


def load_national(province_prefixes: Iterable[str] | None = None) -> int:
    return upsert_regions(national_rows(province_prefixes))


def load_csv(path: Path) -> int:
    """Load regions from a CSV with columns 代码/code, 名称/name and optional 城乡分类代码, 农村人口, 自然村.

    Codes may be 2/4/6/9/12 digits or the 12-digit padded form of a higher level.
    """
    rows = []
    for i, r in enumerate(_read(path), start=2):
        code = (r.get("代码") or r.get("code") or "").strip()
        name = (r.get("名称") or r.get("name") or "").strip()
        if not code or not name:
            raise ValidationFailed(f"{path.name} 第 {i} 行：代码和名称不能为空")
        pop = (r.get("农村人口") or r.get("rural_population") or "").strip()
        rows.append(
            RegionRow(
                prefix=significant_prefix(code),
                name=name,
                urban_rural_class=(r.get("城乡分类代码") or r.get("urban_rural_class") or "").strip(),
                rural_population=int(pop) if pop else None,
                natural_villages=(r.get("自然村") or r.get("natural_villages") or "").replace("；", "\n"),
            )
        )
    return upsert_regions(rows)


def significant_prefix(code: str) -> str:
    """620502000000 → 620502; 620502101 → 620502101; 620502101201 stays."""
    code = code.strip()
    if len(code) != 12:
        return code
    for length in (2, 4, 6, 9):
        if code[length:] == "0" * (12 - length):
            return code[:length]
    return code
