"""A seeded generator of a realistic register (建档立卡 + 监测对象), for demos, tests and load tests.

Everything is drawn from ``random.Random`` seeded with the caller's seed (mixed with the county code), so
the same seed gives byte-identical files. Villages are generated under the REAL townships of the shipped
NBS list (``regions/data``); identity numbers are valid GB 11643 numbers (``idnumbers.make_id``).

Rows are what a village clerk types into the template (``columns.COLUMNS``): one dict per member keyed by
column key, household and year columns repeated on every member row, all values strings — code lists
mostly as Chinese labels (sometimes as codes), booleans 是/否, dates ``2016-03-15``, money with up to two
decimals, several codes joined with "、". Derived columns (income totals) are left out; 人数 is the number of
members, and 残疾类别/残疾等级 are filled for holders of a disability certificate (from its number).

Public API:

* :func:`generate_villages` — villages (12-digit codes, 村民委员会 range 200–399) of a county;
* :func:`generate_register` — member rows of a county;
* :func:`write_csv`, :func:`write_xlsx`, :func:`write_parquet`, :func:`write_villages_csv`;
* :func:`generate_province` — a whole province, one file per county, two worker processes.

The snapshot date of data year ``year`` is 31 October of that year (the annual update happens in
October–November, domain.md §2.5): nobody is born, identified or exits after it.
"""

from __future__ import annotations

import bisect
import csv
import math
import multiprocessing
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any, Literal

from jingzhun.regions.services import RegionRow, national_rows
from jingzhun.registry import choices as c
from jingzhun.registry import idnumbers, legacy_codes, names
from jingzhun.registry.columns import COLUMNS, Level

__all__ = [
    "HEADERS",
    "KEYS",
    "County",
    "CountyResult",
    "GenerateError",
    "county_info",
    "generate_province",
    "generate_register",
    "generate_villages",
    "province_counties",
    "write_csv",
    "write_parquet",
    "write_villages_csv",
    "write_xlsx",
]

OUTPUT_COLUMNS = tuple(col for col in COLUMNS if not col.derived)
KEYS: tuple[str, ...] = tuple(col.key for col in OUTPUT_COLUMNS)
HEADERS: tuple[str, ...] = tuple(col.header for col in OUTPUT_COLUMNS)
HOUSEHOLD_KEYS = tuple(col.key for col in OUTPUT_COLUMNS if col.level != Level.MEMBER)
MEMBER_KEYS = tuple(col.key for col in OUTPUT_COLUMNS if col.level == Level.MEMBER)
VILLAGE_HEADERS = ("代码", "名称", "城乡分类代码", "农村人口", "自然村")

MEAN_HOUSEHOLD_SIZE = 3.3  # measured mean of the family model below (for planning only)
MAX_REGISTER_SHARE = 0.6  # registered people may be at most this share of a village's rural population
PARQUET_BATCH = 50_000
FIRST_YEAR = 2021  # monitoring starts in 2021; every household has exited by 2020


class GenerateError(ValueError):
    """A request the generator cannot satisfy; the message is Chinese and meant for users."""


# ----------------------------------------------------------------------------------------------------
# Divisions
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class County:
    code: str
    name: str
    city_code: str
    city_name: str
    province_code: str
    province_name: str
    townships: tuple[tuple[str, str], ...]  # (9-digit code, name), real NBS townships
    id_codes: tuple[str, ...]  # 6-digit codes people's IDs can carry: other counties of the same city
    slot: int  # position in the city (mod 10): the ID sequence block this county uses for others' codes

    @property
    def is_statistical_zone(self) -> bool:
        """NBS-only units (开发区, 新区; county digits 71–79) have no GB/T 2260 code of their own."""
        return 71 <= int(self.code[4:6]) <= 79


@dataclass(frozen=True)
class _Divisions:
    names: dict[str, str]
    townships: dict[str, tuple[tuple[str, str], ...]]
    counties_of_city: dict[str, tuple[str, ...]]


@lru_cache(maxsize=1)
def _divisions() -> _Divisions:
    names_by_prefix: dict[str, str] = {}
    townships: dict[str, list[tuple[str, str]]] = {}
    counties: dict[str, list[str]] = {}
    for row in national_rows():
        names_by_prefix[row.prefix] = row.name
        if len(row.prefix) == 9:
            townships.setdefault(row.prefix[:6], []).append((row.prefix, row.name))
        elif len(row.prefix) == 6:
            counties.setdefault(row.prefix[:4], []).append(row.prefix)
    return _Divisions(
        names_by_prefix,
        {k: tuple(sorted(v)) for k, v in townships.items()},
        {k: tuple(sorted(v)) for k, v in counties.items()},
    )


def _id_capable(code: str) -> bool:
    return not 71 <= int(code[4:6]) <= 79


@lru_cache(maxsize=512)
def county_info(county_code: str) -> County:
    """The county with its real townships; raises :class:`GenerateError` for unknown codes."""
    code = str(county_code).strip()
    div = _divisions()
    if len(code) != 6 or not code.isdigit() or code not in div.names:
        raise GenerateError(f"找不到区县代码 {code}")
    townships = div.townships.get(code, ())
    if not townships:
        raise GenerateError(f"区县 {code} {div.names[code]} 没有乡镇（街道）数据")
    siblings = div.counties_of_city.get(code[:4], (code,))
    others = tuple(x for x in siblings if x != code and _id_capable(x) and div.names[x] != "市辖区")
    return County(
        code=code,
        name=div.names[code],
        city_code=code[:4],
        city_name=div.names.get(code[:4], ""),
        province_code=code[:2],
        province_name=div.names.get(code[:2], ""),
        townships=townships,
        id_codes=others,
        slot=siblings.index(code) % 10 if code in siblings else 0,
    )


def province_counties(province_prefix: str) -> list[County]:
    """Every county of the province that has townships in the shipped list."""
    prefix = str(province_prefix).strip()
    div = _divisions()
    if len(prefix) != 2 or prefix not in div.names:
        raise GenerateError(f"找不到省份代码 {prefix}")
    codes = sorted(code for code in div.townships if code.startswith(prefix))
    if not codes:
        raise GenerateError(f"省份 {prefix} {div.names[prefix]} 没有乡镇（街道）数据")
    return [county_info(code) for code in codes]


def _is_street(township_code: str) -> bool:
    """Township digits 001–099 are 街道 (domain.md §1.4); they hold few 村民委员会."""
    return int(township_code[6:9]) < 100


# ----------------------------------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------------------------------


class _Pick:
    """Weighted choice with precomputed cumulative weights: ``pick(rnd.random())``."""

    __slots__ = ("cum", "total", "values")

    def __init__(self, pairs: Iterable[tuple[Any, float]]) -> None:
        self.values: list[Any] = []
        self.cum: list[float] = []
        total = 0.0
        for value, weight in pairs:
            if weight <= 0:
                continue
            total += weight
            self.values.append(value)
            self.cum.append(total)
        self.total = total

    def pick(self, u: float) -> Any:
        return self.values[min(bisect.bisect_right(self.cum, u * self.total), len(self.values) - 1)]


def _largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    s = sum(weights)
    if total <= 0 or s <= 0:
        return [0] * len(weights)
    exact = [total * w / s for w in weights]
    counts = [math.floor(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - exact[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _labels(cls: Any) -> dict[str, str]:
    return {str(v): str(lbl) for v, lbl in cls.choices}


LABEL = {
    cls: _labels(cls)
    for cls in (
        c.Attribute,
        c.PovertyStatus,
        c.MonitoringType,
        c.RiskElimination,
        c.IdentificationStandard,
        c.Cause,
        c.RiskType,
        c.HousingGrade,
        c.RoadType,
        c.FuelType,
        c.Sex,
        c.Relation,
        c.Ethnicity,
        c.PoliticalStatus,
        c.Education,
        c.Schooling,
        c.Health,
        c.LabourSkill,
        c.DisabilityCategory,
        c.DisabilityGrade,
    )
}
ETHNIC_CODE = {label: code for code, label in LABEL[c.Ethnicity].items()}

YES, NO = "是", "否"
PHONE_PREFIXES = (
    "33",
    "38",
    "39",
    "51",
    "52",
    "53",
    "55",
    "58",
    "59",
    "77",
    "80",
    "81",
    "82",
    "83",
    "87",
    "88",
    "89",
    "91",
    "93",
    "98",
    "99",
)


def _luhn(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def _money(x: float, cents: bool) -> str:
    if x <= 0.004:
        return "0"
    if cents:
        return f"{x:.2f}"
    return str(round(x))


def _area(x: float) -> str:
    if x <= 0.004:
        return "0"
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return s


# Family templates: (name, weight for ordinary households, weight for registered households).
TEMPLATES = (
    ("single_old", 7.0, 11.0),
    ("single_adult", 3.0, 4.0),
    ("old_couple", 14.0, 15.0),
    ("nuclear", 38.0, 33.0),
    ("nuclear_parents", 10.0, 9.0),
    ("stem", 16.0, 15.0),
    ("skipped", 4.0, 5.0),
    ("single_parent", 4.5, 5.5),
    ("siblings", 2.0, 2.0),
)
TEMPLATE_ORDINARY = _Pick((name, w) for name, w, _ in TEMPLATES)
TEMPLATE_REGISTERED = _Pick((name, w) for name, _, w in TEMPLATES)
CHILD_COUNT = _Pick(((0, 6.0), (1, 32.0), (2, 42.0), (3, 16.0), (4, 4.0)))
GRANDCHILD_COUNT = _Pick(((0, 15.0), (1, 40.0), (2, 35.0), (3, 10.0)))

CAUSES = _Pick(
    (
        ("1", 22.0),
        ("7", 18.0),
        ("9", 17.0),
        ("8", 12.0),
        ("2", 8.0),
        ("3", 7.0),
        ("4", 3.0),
        ("5", 2.5),
        ("6", 2.0),
        ("10", 3.0),
        ("11", 4.0),
        ("12", 0.8),
        ("13", 0.7),
    )
)
RISKS = _Pick(
    (
        ("1", 30.0),
        ("3", 10.0),
        ("2", 8.0),
        ("4", 7.0),
        ("5", 8.0),
        ("6", 5.0),
        ("7", 15.0),
        ("8", 10.0),
        ("9", 2.0),
        ("10", 1.0),
        ("99", 4.0),
    )
)
EXIT_YEARS = _Pick(
    ((2014, 5.0), (2015, 8.0), (2016, 15.0), (2017, 15.0), (2018, 20.0), (2019, 25.0), (2020, 12.0))
)
FIRST_YEARS = _Pick(((2014, 72.0), (2015, 8.0), (2016, 8.0), (2017, 5.0), (2018, 4.0), (2019, 3.0)))
STANDARDS = _Pick((("1", 85.0), ("2", 12.0), ("3", 3.0)))
ROADS = _Pick((("3", 65.0), ("2", 15.0), ("1", 8.0), ("4", 12.0)))
FUELS = _Pick((("1", 35.0), ("3", 30.0), ("4", 30.0), ("2", 2.0), ("9", 3.0)))
GRADES_REGISTERED = _Pick((("A", 66.0), ("B", 27.0), ("C", 3.0), ("D", 2.0), ("", 2.0)))
GRADES_ORDINARY = _Pick((("A", 68.0), ("B", 24.0), ("C", 2.5), ("D", 1.5), ("", 4.0)))
DISABILITY_CATEGORY = _Pick(
    (("4", 45.0), ("1", 12.0), ("2", 12.0), ("3", 3.0), ("5", 10.0), ("6", 10.0), ("7", 8.0))
)
DISABILITY_GRADE = _Pick((("1", 12.0), ("2", 25.0), ("3", 33.0), ("4", 30.0)))
RISK_COUNT = _Pick(((1, 55.0), (2, 32.0), (3, 13.0)))
MONTHS = _Pick(
    (
        (12, 25.0),
        (11, 8.0),
        (10, 12.0),
        (9, 10.0),
        (8, 9.0),
        (7, 8.0),
        (6, 8.0),
        (5, 5.0),
        (4, 5.0),
        (3, 5.0),
        (2, 3.0),
        (1, 2.0),
    )
)

# The generator draws schooling as a level (legacy_codes' old list); the register holds the national grade.
GRADE_START = {
    "3": (12, ("07", "08", "09")),
    "4": (16, ("11", "12", "13")),
    "5": (16, ("21", "22", "23")),
    "6": (19, ("31", "32", "33")),
    "7": (19, ("51", "52", "53", "54")),
}
DROPOUT_REASONS = ("家庭经济困难", "因病")


def national_schooling(level: str, age: int) -> str:
    """在校生状况 (national code) of a pupil of ``level`` aged ``age``; "" for non-pupils and drop-outs."""
    if level in ("0", "8", ""):
        return ""
    if level == "1":
        return "02"
    if level == "2":
        return "03"
    start, grades = GRADE_START[level]
    return grades[min(max(age - start, 0), len(grades) - 1)]


# Education of adults (not in school) by birth year: (until year, Pick over Education codes).
ADULT_EDUCATION = (
    (1949, _Pick((("1", 55.0), ("2", 35.0), ("3", 8.0), ("4", 2.0)))),
    (1964, _Pick((("1", 30.0), ("2", 42.0), ("3", 22.0), ("4", 6.0)))),
    (1979, _Pick((("1", 10.0), ("2", 38.0), ("3", 42.0), ("4", 8.0), ("5", 2.0)))),
    (1994, _Pick((("1", 3.0), ("2", 20.0), ("3", 52.0), ("4", 14.0), ("5", 7.0), ("6", 4.0)))),
    (9999, _Pick((("2", 5.0), ("3", 45.0), ("4", 25.0), ("5", 15.0), ("6", 10.0)))),
)
# Health probabilities by age: (max age, chronic, serious illness, disabled).
HEALTH_BANDS = (
    (15, 0.01, 0.003, 0.01),
    (39, 0.03, 0.008, 0.025),
    (59, 0.12, 0.02, 0.045),
    (69, 0.25, 0.035, 0.07),
    (200, 0.38, 0.045, 0.10),
)
TRADITIONAL_RATE = 0.045  # share of people for whom traditional characters are tried (≈3% end up with some)


@lru_cache(maxsize=64)
def _ethnicity_pick(county_code: str) -> _Pick:
    for n in (6, 4, 2):
        table = names.ETHNICITY.get(county_code[:n])
        if table:
            return _Pick(table)
    return _Pick(names.DEFAULT_ETHNICITY)


SURNAMES = _Pick(names.SURNAMES)
HUI_SURNAMES = _Pick(names.HUI_SURNAMES)
ZHUANG_SURNAMES = _Pick(names.ZHUANG_SURNAMES)
BANKS = _Pick(((name, prefix), w) for name, prefix, w in names.BANKS_DEFAULT)
DESTINATIONS = _Pick(names.DESTINATIONS)


# ----------------------------------------------------------------------------------------------------
# Villages
# ----------------------------------------------------------------------------------------------------


def _village_name(rnd: random.Random, used: set[str]) -> str:
    for _ in range(50):
        u = rnd.random()
        if u < 0.35:
            first = SURNAMES.pick(rnd.random())
            land = "家" if rnd.random() < 0.6 else rnd.choice(names.VILLAGE_LAND)
        elif u < 0.8:
            first = rnd.choice(names.VILLAGE_FIRST)
            land = rnd.choice(names.VILLAGE_LAND)
        else:
            first = rnd.choice(names.VILLAGE_FIRST2)
            land = rnd.choice(names.VILLAGE_LAND[1:])
        name = f"{first}{land}村"
        if name not in used:
            used.add(name)
            return name
    name = f"{rnd.choice(names.VILLAGE_FIRST2)}{len(used) + 1}村"
    used.add(name)
    return name


def _natural_villages(rnd: random.Random) -> list[str]:
    if rnd.random() < 0.6:
        n = rnd.randint(3, 10)
        return [f"{names.GROUP_NUMERALS[i]}组" for i in range(n)]
    used: set[str] = set()
    out = []
    for _ in range(rnd.randint(2, 6)):
        first = SURNAMES.pick(rnd.random()) + "家" if rnd.random() < 0.4 else rnd.choice(names.VILLAGE_FIRST)
        name = first + rnd.choice(names.NATURAL_LAND)
        if name not in used:
            used.add(name)
            out.append(name)
    return out


def generate_villages(
    county_code: str,
    *,
    seed: int,
    villages_per_township: tuple[int, int] = (8, 16),
    households: int | None = None,
) -> list[RegionRow]:
    """Villages (村民委员会) under every real township of the county, as region rows.

    Codes are the 9-digit township code + a village number in 201–399; 街道 (township digits 001–099) get
    a quarter as many villages. ``rural_population`` is about 3.0–3.8 people per rural household; when
    ``households`` (the register size to be generated) is given, populations are scaled up where needed
    so that the register covers well under ``MAX_REGISTER_SHARE`` of the rural population.
    """
    county = county_info(county_code)
    lo, hi = villages_per_township
    if not 1 <= lo <= hi <= 199:
        raise GenerateError("每个乡镇的村数范围必须在 1–199 之间")
    rnd = random.Random(f"{seed}:{county.code}:villages")
    used: set[str] = set()
    plans: list[tuple[str, str, float, float, list[str]]] = []
    for township, _tname in county.townships:
        n = rnd.randint(max(1, lo // 4), max(1, hi // 4)) if _is_street(township) else rnd.randint(lo, hi)
        number = 200
        for i in range(n):
            gap = 2 if rnd.random() < 0.12 and 399 - number - 2 >= n - i - 1 else 1
            number += gap
            rural_households = min(max(rnd.lognormvariate(math.log(260), 0.45), 60.0), 1500.0)
            per_household = rnd.uniform(3.0, 3.8)
            plans.append(
                (
                    f"{township}{number:03d}",
                    _village_name(rnd, used),
                    rural_households,
                    per_household,
                    _natural_villages(rnd),
                )
            )
    scale = 1.0
    if households:
        capacity = sum(h * p for _, _, h, p, _ in plans)
        needed = households * MEAN_HOUSEHOLD_SIZE * 2.6
        scale = max(1.0, needed / capacity)
    return [
        RegionRow(
            prefix=code,
            name=name,
            urban_rural_class="220",
            rural_population=round(h * scale * p),
            natural_villages="\n".join(natural),
        )
        for code, name, h, p, natural in plans
    ]


# ----------------------------------------------------------------------------------------------------
# People and households
# ----------------------------------------------------------------------------------------------------


class _P:
    """One member while the household is being built."""

    __slots__ = (
        "age",
        "birth",
        "dibao",
        "disabled",
        "edu",
        "ethnicity",
        "health",
        "id_number",
        "labour",
        "months",
        "name",
        "place",
        "rel",
        "school",
        "serious",
        "sex",
        "sick",
        "surname",
        "tekun",
    )

    def __init__(self, rel: str, sex: str, age: int, surname: str, ethnicity: str) -> None:
        self.rel = rel
        self.sex = sex
        self.age = max(0, age)
        self.surname = surname
        self.ethnicity = ethnicity
        self.sick = False  # 长期慢性病
        self.serious = False  # 患有大病
        self.disabled = False
        self.dibao = False
        self.tekun = False
        self.months = 0
        self.place = ""
        self.birth = date.min  # set by _person
        self.name = self.id_number = ""
        self.edu = self.school = self.labour = ""


@dataclass
class _Village:
    code: str
    name: str
    township_name: str
    natural: list[str]
    rural_population: int | None
    code_rate: float
    serial: int = 0


@dataclass(frozen=True)
class CountyResult:
    county_code: str
    county_name: str
    households: int
    members: int
    villages: list[RegionRow]
    path: Path
    seconds: float


class _CountyGenerator:
    def __init__(self, county: County, villages: list[RegionRow], seed: int, year: int) -> None:
        if year < FIRST_YEAR:
            raise GenerateError(f"数据年度必须是 {FIRST_YEAR} 年或以后")
        self.county = county
        self.year = year
        self.ref = date(year, 10, 31)
        self.rnd = random.Random(f"{seed}:{county.code}:register")
        # The exit test's own data (两不愁, water indicators, renovation) from a stream of its own, so adding
        # them left every other generated value as it was.
        self.guarantees_rnd = random.Random(f"{seed}:{county.code}:guarantees")
        self.used_ids: set[str] = set()
        self.ethnicity = _ethnicity_pick(county.code)
        townships = dict(county.townships)
        self.villages: list[_Village] = []
        for v in villages:
            if len(v.prefix) != 12 or not v.prefix.isdigit() or not v.prefix.startswith(county.code):
                raise GenerateError(f"村代码 {v.prefix} 不是区县 {county.code} 下的 12 位代码")
            if v.prefix[:9] not in townships:
                raise GenerateError(f"村代码 {v.prefix} 的乡镇 {v.prefix[:9]} 不在区县 {county.code} 中")
            self.villages.append(
                _Village(
                    code=v.prefix,
                    name=v.name,
                    township_name=townships[v.prefix[:9]],
                    natural=[x for x in v.natural_villages.split("\n") if x.strip()],
                    rural_population=v.rural_population,
                    code_rate=0.0,
                )
            )
        if not self.villages:
            raise GenerateError(f"区县 {county.code} 没有村")
        for village in self.villages:  # a few clerks type codes rather than labels (≈5% of values overall)
            village.code_rate = 0.2 if self.rnd.random() < 0.2 else 0.0125
        self.local_place = f"{county.city_name}{county.name}" if county.city_name != "市辖区" else county.name
        div = _divisions()
        self.province_places = [
            div.names[x]
            for x in div.counties_of_city
            if x.startswith(county.province_code)
            and x != county.city_code
            and div.names.get(x, "市辖区") != "市辖区"
        ]
        self.destinations = _Pick(
            (place, w) for place, w in names.DESTINATIONS if not place.startswith(county.province_name)
        )
        bank_name = f"{county.province_name}农村信用社"
        self.banks = _Pick(
            ((bank_name if n == "农村信用合作社" else n, p), w)
            for (n, p), w in zip(BANKS.values, self._weights(BANKS), strict=True)
        )

    @staticmethod
    def _weights(p: _Pick) -> list[float]:
        return [b - a for a, b in zip([0.0, *p.cum[:-1]], p.cum, strict=True)]

    # -- driving --------------------------------------------------------------------------------------

    def rows(self, households: int, members: int | None = None) -> Iterator[dict[str, str]]:
        """All member rows; with ``members`` stop at exactly that many (adding households if needed)."""
        weights = [float(v.rural_population or 1000) for v in self.villages]
        total_pop = sum(weights)
        planned = households if members is None else max(1, round(members / MEAN_HOUSEHOLD_SIZE))
        if planned * MEAN_HOUSEHOLD_SIZE > MAX_REGISTER_SHARE * total_pop:
            raise GenerateError(
                f"{planned} 户超出了这些村农村人口（合计 {round(total_pop)} 人）能容纳的数量，请减少户数或重新生成村庄"
            )
        alloc = _largest_remainder(planned, weights)
        done = 0
        for village, n in zip(self.villages, alloc, strict=True):
            for _ in range(n):
                rows = self._household(village)
                if members is not None:
                    room = members - done
                    if room <= 0:
                        return
                    rows = rows[:room]
                done += len(rows)
                yield from rows
        if members is None:
            return
        chooser = _Pick(zip(self.villages, weights, strict=True))
        while done < members:
            rows = self._household(chooser.pick(self.rnd.random()))[: members - done]
            done += len(rows)
            yield from rows

    # -- one household ----------------------------------------------------------------------------------

    def _household(self, village: _Village) -> list[dict[str, str]]:
        rnd = self.rnd
        rand = rnd.random
        ref = self.ref
        year = self.year

        registered = rand() < 0.70
        monitoring = ""
        if registered:
            if rand() < 0.0464:
                monitoring = "1" if rand() < 0.6 / 0.65 else "3"
        elif rand() < 0.0583:
            monitoring = "2" if rand() < 0.3 / 0.35 else "3"

        family = self._family(TEMPLATE_REGISTERED if registered else TEMPLATE_ORDINARY)
        factor = 1.4 if registered or monitoring else 1.0
        for p in family:
            self._person(p, factor)

        # Causes (registered) and risks (monitored), made consistent with the members.
        main_cause = ""
        other_causes: list[str] = []
        if registered:
            for _ in range(3):  # redraw causes the family cannot have (因学 without a student of age)
                drawn = CAUSES.pick(rand())
                main_cause = self._consistent_cause(family, drawn)
                if main_cause == drawn:
                    break
            k = 0 if rand() < 0.4 else (1 if rand() < 0.58 else 2)
            while len(other_causes) < k:
                x = CAUSES.pick(rand())
                if x != main_cause and x not in other_causes:
                    other_causes.append(x)
        risks: list[str] = []
        if monitoring:
            for _ in range(RISK_COUNT.pick(rand())):
                x = self._consistent_risk(family, RISKS.pick(rand()))
                if x not in risks:
                    risks.append(x)
        for p in family:
            self._work(p)

        # Dates of the register history.
        first_on: date | None = None
        exit_year = return_year = 0
        status = standard = ""
        if registered:
            exit_year = EXIT_YEARS.pick(rand())
            first_year = FIRST_YEARS.pick(rand())
            if first_year > exit_year:
                first_year = 2014
            month = rnd.randint(4, 10) if first_year == 2014 else rnd.randint(3, 11)
            first_on = date(first_year, month, rnd.randint(1, 28))
            late_exit = (2020 - exit_year) * 0.04
            status = "4" if rand() < 0.12 + late_exit else "1"
            standard = STANDARDS.pick(rand())
            if exit_year >= first_year + 3 and rand() < 0.01:
                return_year = rnd.randint(first_year + 2, exit_year - 1)
        monitored_on: date | None = None
        elimination = ""
        eliminated_on: date | None = None
        if monitoring:
            start = date(2021, 3, 1).toordinal()
            end = (ref - timedelta(days=20)).toordinal()
            # Earlier years weigh more: most monitored households were identified in 2021–2022.
            monitored_on = date.fromordinal(start + int((end - start) * rand() ** 1.6))
            has_labour = any(p.labour in ("1", "2", "3") for p in family)
            earliest = monitored_on.toordinal() + 180
            if has_labour and earliest < ref.toordinal():
                u = rand()
                if u < 0.5:
                    elimination = "1"
                elif u < 0.6:
                    elimination = "2"
                else:
                    elimination = "0"
                if elimination != "0":
                    eliminated_on = date.fromordinal(rnd.randint(earliest, ref.toordinal()))
            else:
                elimination = "0"

        # Social assistance: 低保 / 特困供养 and the household attribute.
        attribute = "99"
        size = len(family)
        if registered:
            kind = "general"
            elderly_or_disabled = all(p.age >= 60 or p.disabled for p in family)
            if size <= 2 and elderly_or_disabled and rand() < 0.3:
                kind = "tekun"
            else:
                p_dibao = 0.2 + (0.15 if main_cause in ("1", "2") else 0.0) + (0.1 if size <= 2 else 0.0)
                if rand() < p_dibao:
                    kind = "dibao"
            exited_words = rand() < 0.7
            attribute = {
                ("general", True): "05",
                ("general", False): "01",
                ("dibao", True): "02",
                ("dibao", False): "04",
                ("tekun", True): "03",
                ("tekun", False): "06",
            }[(kind, exited_words)]
        else:
            kind = "dibao" if rand() < (0.2 if monitoring else 0.03) else "general"
        if kind == "tekun":
            for p in family:
                p.tekun = p.rel == "02" or p.age >= 60 or p.disabled
        elif kind == "dibao":
            if rand() < 0.75:
                for p in family:
                    p.dibao = True
            else:
                for p in family:
                    p.dibao = p.age >= 60 or p.sick or p.serious or p.disabled or rand() < 0.3
                family[0].dibao = family[0].dibao or not any(p.dibao for p in family)

        # Production and living conditions.
        cond = self._conditions(family, main_cause, risks, elimination, registered)

        # Incomes.
        income = self._incomes(family, registered, monitoring, elimination, kind, cond)

        return self._format(
            village,
            family,
            registered=registered,
            monitoring=monitoring,
            main_cause=main_cause,
            other_causes=other_causes,
            risks=risks,
            first_on=first_on,
            exit_year=exit_year,
            return_year=return_year,
            status=status,
            standard=standard,
            monitored_on=monitored_on,
            elimination=elimination,
            eliminated_on=eliminated_on,
            attribute=attribute,
            cond=cond,
            income=income,
            year=year,
        )

    # -- family structure -----------------------------------------------------------------------------

    def _surname(self, ethnicity: str) -> str:
        style = names.NAME_STYLE.get(ethnicity, "han")
        u = self.rnd.random()
        if style == "hui":
            return HUI_SURNAMES.pick(u)
        if style == "zhuang":
            return ZHUANG_SURNAMES.pick(u)
        return SURNAMES.pick(u)

    def _other_ethnicity(self, base: str) -> str:
        return base if self.rnd.random() < 0.93 else self.ethnicity.pick(self.rnd.random())

    def _children(self, mother_age: int, n: int, surname: str, ethnicity: str, max_age: int = 32) -> list[_P]:
        rnd = self.rnd
        out: list[_P] = []
        age = mother_age - rnd.randint(20, 30)
        for _ in range(n):
            if age < 0:
                break
            if age <= max_age:
                male = rnd.random() < 0.52
                out.append(_P("20" if male else "30", "1" if male else "2", age, surname, ethnicity))
            age -= rnd.randint(1, 6)
        return out

    def _family(self, templates: _Pick) -> list[_P]:
        rnd = self.rnd
        rand = rnd.random
        kind = templates.pick(rand())
        eth = self.ethnicity.pick(rand())
        family_name = self._surname(eth)
        members: list[_P] = []

        def head_and_spouse(age: int, p_male: float, p_spouse: float) -> tuple[_P, _P | None]:
            male = rand() < p_male
            head = _P("02", "1" if male else "2", age, family_name if male else self._surname(eth), eth)
            spouse = None
            if rand() < p_spouse:
                gap = min(max(round(rnd.gauss(2.5, 2.5)), -5), 12)
                s_age = age - gap if male else age + gap
                s_eth = self._other_ethnicity(eth)
                spouse = _P(
                    "10",
                    "2" if male else "1",
                    max(s_age, 18),
                    self._surname(s_eth) if male else family_name,
                    s_eth,
                )
            members.append(head)
            if spouse:
                members.append(spouse)
            return head, spouse

        def mother_age(head: _P, spouse: _P | None) -> int:
            if head.sex == "2":
                return head.age
            return spouse.age if spouse else head.age - 3

        if kind == "single_old":
            head_and_spouse(rnd.randint(60, 90), 0.5, 0.0)
        elif kind == "single_adult":
            head_and_spouse(rnd.randint(25, 59), 0.82, 0.0)
        elif kind == "old_couple":
            head_and_spouse(rnd.randint(58, 88), 0.92, 1.0)
        elif kind in ("nuclear", "nuclear_parents"):
            head, spouse = head_and_spouse(round(rnd.triangular(24, 58, 42)), 0.93, 1.0)
            members += self._children(mother_age(head, spouse), CHILD_COUNT.pick(rand()), family_name, eth)
            if kind == "nuclear_parents":
                father = rand() < 0.5
                mother = not father or rand() < 0.6
                p_surname = head.surname
                if father and head.age + 24 <= 96:
                    members.append(_P("61", "1", head.age + rnd.randint(22, 34), p_surname, eth))
                if mother and head.age + 22 <= 97:
                    members.append(_P("62", "2", head.age + rnd.randint(20, 32), self._surname(eth), eth))
        elif kind == "stem":
            head, spouse = head_and_spouse(rnd.randint(50, 80), 0.93, 0.85)
            m_age = mother_age(head, spouse)
            child_age = max(20, m_age - rnd.randint(20, 30))
            if rand() < 0.88:
                son = _P("20", "1", child_age, family_name, eth)
                members.append(son)
                line_surname = family_name
                wife = None
                if rand() < 0.92:
                    w_eth = self._other_ethnicity(eth)
                    wife = _P("41", "2", max(18, child_age - rnd.randint(-2, 5)), self._surname(w_eth), w_eth)
                    members.append(wife)
                young = min(son.age, wife.age) if wife else son.age
            else:
                daughter = _P("30", "2", child_age, family_name, eth)
                h_eth = self._other_ethnicity(eth)
                husband = _P("42", "1", child_age + rnd.randint(-2, 5), self._surname(h_eth), h_eth)
                members += [daughter, husband]
                line_surname = family_name if rand() < 0.5 else husband.surname
                young = min(daughter.age, husband.age)
            grandchildren = []
            age = young - rnd.randint(20, 30)
            for _ in range(GRANDCHILD_COUNT.pick(rand())):
                if age < 0:
                    break
                male = rand() < 0.53
                grandchildren.append(_P("51" if male else "52", "1" if male else "2", age, line_surname, eth))
                age -= rnd.randint(1, 5)
            if rand() < 0.2 and child_age > 17:
                members += self._children(child_age + 18, 1, family_name, eth)  # an unmarried younger child
            members += grandchildren
        elif kind == "skipped":
            _head, _spouse = head_and_spouse(rnd.randint(55, 82), 0.9, 0.8)
            for _ in range(rnd.randint(1, 3)):
                male = rand() < 0.53
                members.append(
                    _P("51" if male else "52", "1" if male else "2", rnd.randint(0, 17), family_name, eth)
                )
        elif kind == "single_parent":
            head, _ = head_and_spouse(rnd.randint(30, 60), 0.45, 0.0)
            surname = family_name if head.sex == "1" else self._surname(eth)
            m_age = head.age if head.sex == "2" else head.age - 3
            members += self._children(m_age, rnd.randint(1, 3), surname, eth)
        else:  # siblings
            head, _ = head_and_spouse(rnd.randint(30, 70), 0.9, 0.0)
            male = rand() < 0.7
            members.append(_P("80", "1" if male else "2", head.age + rnd.randint(-8, 8), head.surname, eth))
            if rand() < 0.4 and head.age + 22 <= 97:
                members.append(_P("62", "2", head.age + rnd.randint(20, 30), self._surname(eth), eth))
        return members[:8]

    # -- one person -------------------------------------------------------------------------------------

    def _person(self, p: _P, factor: float) -> None:
        rnd = self.rnd
        rand = rnd.random
        ref = self.ref
        # Birth date: age completed years at the snapshot date.
        hi = ref.replace(year=ref.year - p.age).toordinal()
        lo = ref.replace(year=ref.year - p.age - 1).toordinal() + 1
        p.birth = date.fromordinal(rnd.randint(lo, hi))
        # Education and schooling.
        age = p.age
        if age < 3:
            p.edu, p.school = "9", "0"
        elif age < 6:
            p.edu, p.school = "9", ("1" if rand() < 0.85 else "0")
        elif age < 12:
            p.edu, p.school = "2", ("8" if rand() < 0.002 else "2")
        elif age < 16:
            if rand() < 0.008:
                p.edu, p.school = ("2" if rand() < 0.5 else "3"), "8"
            else:
                p.edu, p.school = "3", "3"
        elif age < 19 and rand() < 0.7:
            p.edu, p.school = ("4", "4") if rand() < 0.64 else ("3", "5")
        elif 19 <= age < 23 and rand() < 0.32:
            p.edu, p.school = ("5", "6") if rand() < 0.3 else (("6" if rand() < 0.6 else "5"), "7")
        else:
            by = p.birth.year
            for until, pick in ADULT_EDUCATION:
                if by <= until:
                    edu = pick.pick(rand())
                    break
            if p.sex == "2" and by < 1980 and edu not in ("1",) and rand() < 0.3:
                edu = str(int(edu) - 1)
            p.edu, p.school = edu, "0"
        # Health (several may apply).
        for max_age, chronic, serious, disabled in HEALTH_BANDS:
            if age <= max_age:
                p.sick = rand() < chronic * factor
                p.serious = rand() < serious * factor
                p.disabled = rand() < disabled * factor
                break
        # Name and identity number (the ID carries the birth date and sex).
        p.name = self._name(p)
        p.id_number = self._id(p)

    def _work(self, p: _P) -> None:
        rnd = self.rnd
        rand = rnd.random
        age = p.age
        if age < 16 or p.school not in ("0", "8"):
            p.labour = "5"
        elif p.serious:
            p.labour = "4" if rand() < 0.6 else "3"
        elif p.disabled:
            u = rand()
            p.labour = "4" if u < 0.35 else ("3" if u < 0.75 else "1")
        elif p.sick:
            u = rand()
            p.labour = "3" if u < 0.55 else ("4" if u < 0.65 else "1")
        elif age < 60:
            u = rand()
            p.labour = "2" if u < 0.16 else ("1" if u < 0.96 else "3")
        elif age < 65:
            u = rand()
            p.labour = "1" if u < 0.55 else ("3" if u < 0.95 else "4")
        elif age < 75:
            u = rand()
            p.labour = "3" if u < 0.55 else ("5" if u < 0.8 else ("4" if u < 0.9 else "1"))
        else:
            u = rand()
            p.labour = "5" if u < 0.6 else ("4" if u < 0.85 else "3")
        if age >= 75 and (p.sick or p.serious) and p.labour not in ("4", "5"):
            p.labour = "4"
        # Migrant work.
        if 16 <= age <= 60 and p.labour in ("1", "2", "3"):
            if p.labour == "3":
                chance = 0.05
            elif p.sex == "1":
                chance = 0.55 if age <= 45 else 0.35
            else:
                chance = 0.35 if age <= 45 else 0.15
            if rand() < chance:
                p.months = MONTHS.pick(rand())
                u = rand()
                if u < 0.2 or not self.province_places:
                    p.place = self.local_place
                elif u < 0.45:
                    p.place = f"{self.county.province_name}{rnd.choice(self.province_places)}"
                else:
                    p.place = self.destinations.pick(rand()) if self.destinations.values else self.local_place

    def _consistent_cause(self, family: list[_P], cause: str) -> str:
        rand = self.rnd.random
        if cause == "1" and not any(p.sick or p.serious for p in family):
            p = max(family, key=lambda x: x.age)
            if rand() < 0.6:
                p.sick = True
            else:
                p.serious = True
        elif cause == "2" and not any(p.disabled for p in family):
            adults = [p for p in family if p.age >= 16] or family
            self.rnd.choice(adults).disabled = True
        elif cause == "3" and not any(p.school in ("4", "5", "6", "7") for p in family):
            young = [p for p in family if 15 <= p.age <= 22 and p.school == "0"]
            if not young:
                return "9"
            p = self.rnd.choice(young)
            p.edu, p.school = ("4", "4") if p.age < 19 else ("6", "7")
        elif cause == "8" and sum(1 for p in family if 16 <= p.age < 60 and not p.disabled) > 3:
            return "7"
        return cause

    def _consistent_risk(self, family: list[_P], risk: str) -> str:
        if risk == "1":
            return self._consistent_cause(family, "1")
        if risk == "3":
            self._consistent_cause(family, "2")
            return "3"
        if risk == "2":
            return "2" if self._consistent_cause(family, "3") == "3" else "7"
        return risk

    # -- names and identity numbers --------------------------------------------------------------------

    def _name(self, p: _P) -> str:
        rnd = self.rnd
        rand = rnd.random
        style = names.NAME_STYLE.get(p.ethnicity, "han")
        male = p.sex == "1"
        if style == "tibetan" or (style == "mongol" and rand() < 0.6) or style == "turkic":
            if style == "tibetan":
                words = names.TIBETAN_MALE if male else names.TIBETAN_FEMALE
                first = rnd.choice(words)
                if rand() < 0.4:
                    return first
                second = rnd.choice(words)
                return first + second if second != first else first
            if style == "mongol":
                return rnd.choice(names.MONGOL_MALE if male else names.MONGOL_FEMALE)
            given = rnd.choice(names.TURKIC_MALE if male else names.TURKIC_FEMALE)
            return f"{given}·{rnd.choice(names.TURKIC_MALE)}"
        by = p.birth.year
        era = "old" if by < 1965 else ("mid" if by < 1990 else "young")
        pool = (names.MALE_CHARS if male else names.FEMALE_CHARS)[era]
        surname = p.surname or SURNAMES.pick(rand())
        if rand() < 0.28:
            given = rnd.choice(pool)
        else:
            a = rnd.choice(pool)
            b = a if (not male and rand() < 0.05) else rnd.choice(pool)
            given = a + b
        name = surname + given
        if rand() < TRADITIONAL_RATE:
            trad = names.TRADITIONAL
            changed = "".join(trad.get(ch, ch) if rand() < 0.6 else ch for ch in name)
            if changed == name:
                changed = "".join(trad.get(ch, ch) for ch in name)
            name = changed
        return name

    def _id(self, p: _P) -> str:
        rnd = self.rnd
        county = self.county
        foreign_rate = 0.15 if p.rel in ("10", "41", "42") else 0.03
        foreign = county.is_statistical_zone or (county.id_codes and rnd.random() < foreign_rate)
        address = rnd.choice(county.id_codes) if foreign and county.id_codes else county.code
        male = 1 if p.sex == "1" else 0
        birth = p.birth
        for attempt in range(200):
            if foreign:
                seq = 900 + 10 * county.slot + 2 * rnd.randint(0, 4) + male
            else:
                seq = 2 * rnd.randint(0, 449) + male
            number = idnumbers.make_id(address, birth, seq)
            if number not in self.used_ids:
                break
            if attempt % 10 == 9:  # this birthday is crowded: move to a neighbouring day
                birth = min(birth + timedelta(days=1), self.ref)
        else:  # pragma: no cover - needs ~1000 people born the same day
            raise GenerateError("身份证号码顺序码已用完")
        p.birth = birth
        self.used_ids.add(number)
        if p.disabled and rnd.random() < 0.25:
            return number + DISABILITY_CATEGORY.pick(rnd.random()) + DISABILITY_GRADE.pick(rnd.random())
        return number

    # -- conditions and incomes ------------------------------------------------------------------------

    def _conditions(
        self, family: list[_P], cause: str, risks: list[str], elimination: str, registered: bool
    ) -> dict[str, Any]:
        rnd = self.rnd
        rand = rnd.random
        size = len(family)
        cond: dict[str, Any] = {}
        land = 0.0
        if rand() > 0.06:
            land = min(1.6 * size * rnd.lognormvariate(0.0, 0.5), 40.0)
            if cause == "5":
                land *= 0.3
        land = round(land * 2) / 2 if rand() < 0.6 else round(land, 1)
        cond["cultivated_land"] = land
        cond["irrigated_land"] = round(land * rnd.uniform(0.2, 1.0), 1) if land and rand() < 0.25 else 0.0
        cond["forest_land"] = round(rnd.lognormvariate(math.log(3), 0.8), 1) if rand() < 0.4 else 0.0
        cond["returned_farmland"] = round(rnd.lognormvariate(math.log(2), 0.6), 1) if rand() < 0.25 else 0.0
        cond["orchard_land"] = round(rnd.lognormvariate(math.log(2), 0.7), 1) if rand() < 0.35 else 0.0
        cond["pasture_land"] = round(rnd.lognormvariate(math.log(10), 0.8), 1) if rand() < 0.05 else 0.0
        cond["water_surface"] = round(rnd.uniform(0.2, 3.0), 1) if rand() < 0.01 else 0.0
        coop = 0.45 if registered else 0.2
        cond["in_cooperative"] = rand() < coop
        cond["leading_enterprise"] = rand() < coop / 1.8
        cond["entrepreneur_led"] = rand() < coop / 3
        cond["production_power"] = rand() < 0.98
        cond["living_power"] = rand() < 0.998
        cond["broadcast_tv"] = rand() < 0.97
        cond["road_distance_km"] = round(
            min(rnd.lognormvariate(math.log(0.4), 0.8), 8.0), 1 if rand() < 0.7 else 2
        )
        cond["road_type"] = ROADS.pick(rand())
        relocated = registered and rand() < 0.07
        cond["relocated"] = relocated
        if relocated:
            area = float(min(max(25 * size, 40), 125))
        else:
            area = min(max(rnd.lognormvariate(math.log(95), 0.35), 40.0), 200.0)
            area = round(area) if rand() < 0.8 else round(area * 2) / 2
        cond["housing_area"] = area
        grade = (GRADES_REGISTERED if registered else GRADES_ORDINARY).pick(rand())
        if relocated:
            grade = "A"
        if "9" in risks and elimination == "0":
            grade = "C" if rand() < 0.6 else "D"
        cond["housing_grade"] = grade
        cond["dangerous_house"] = grade in ("C", "D")
        safe = rand() < 0.975 and not ("10" in risks and elimination == "0")
        cond["water_safe"] = safe
        cond["water_difficult"] = rand() < (0.6 if not safe else 0.02)
        g = self.guarantees_rnd.random
        cond["food_secure"] = g() < 0.997
        cond["clothing_secure"] = g() < 0.998
        for key in ("water_quantity_ok", "water_quality_ok", "water_convenience_ok", "water_reliability_ok"):
            cond[key] = g() < 0.995
        if not safe:  # an unsafe supply fails at least one indicator, most often the quality
            cond["water_quality_ok" if g() < 0.7 else "water_reliability_ok"] = False
        cond["renovation_year"] = (
            (2016 + int(g() * 5)) if registered and grade in ("A", "B") and g() < 0.12 else None
        )
        cond["sanitary_toilet"] = rand() < 0.7
        cond["fuel_type"] = FUELS.pick(rand())
        cond["military_family"] = rand() < 0.012
        return cond

    def _incomes(
        self,
        family: list[_P],
        registered: bool,
        monitoring: str,
        elimination: str,
        kind: str,
        cond: dict[str, Any],
    ) -> dict[str, float]:
        rnd = self.rnd
        rand = rnd.random
        lognorm = rnd.lognormvariate
        size = len(family)
        wage = 0.0
        for p in family:
            if p.months:
                wage += p.months * lognorm(math.log(3500), 0.35) * (1.3 if p.labour == "2" else 1.0)
            elif p.labour in ("1", "2") and rand() < 0.5:
                wage += lognorm(math.log(4000), 0.6)
        business = cond["cultivated_land"] * lognorm(math.log(750), 0.5)
        business += cond["orchard_land"] * lognorm(math.log(2400), 0.5)
        if rand() < 0.35:
            business += lognorm(math.log(5400), 0.7)
        expense = business * rnd.uniform(0.25, 0.6)
        other_property = lognorm(math.log(1000), 0.6) if rand() < 0.12 else 0.0
        dividend = round(rnd.uniform(300, 1500), -1) if registered and rand() < 0.55 else 0.0
        family_planning = 960.0 * rnd.randint(1, 2) if rand() < 0.06 else 0.0
        dibao = sum(lognorm(math.log(3300), 0.3) for p in family if p.dibao)
        tekun = sum(rnd.uniform(7000, 9500) for p in family if p.tekun)
        pension = sum(rnd.uniform(1500, 2600) for p in family if p.age >= 60)
        eco = cond["returned_farmland"] * rnd.uniform(90, 160) + cond["forest_land"] * rnd.uniform(8, 15)
        other_transfer = lognorm(math.log(600), 0.7) if rand() < 0.6 else 0.0

        # Per-capita net income target by household type; earned income is scaled to meet it.
        if monitoring in ("1", "2"):
            if elimination in ("1", "2"):
                target = min(max(lognorm(math.log(10500), 0.25), 7500), 30000)
            else:
                target = min(max(lognorm(math.log(7000), 0.18), 4000), 9500)
        elif monitoring == "3":
            target = min(max(lognorm(math.log(9000), 0.3), 3500), 25000)
        elif registered:
            median = 8500 if kind != "general" else 11000
            target = min(max(lognorm(math.log(median), 0.38), 5200), 40000)
        else:
            target = min(max(lognorm(math.log(15000), 0.45), 7000), 60000)
        fixed = dividend + family_planning + dibao + tekun + pension + eco + other_transfer
        earned = wage + business - expense + other_property
        needed = target * size - fixed
        if earned > 1:
            k = max(needed / earned, 0.1)
            wage, business, expense, other_property = wage * k, business * k, expense * k, other_property * k
        elif needed > 0:
            other_transfer += needed  # support from relatives outside the household (赡养费)
        return {
            "wage_income": wage,
            "business_income": business,
            "business_expense": expense,
            "dividend_income": dividend,
            "other_property_income": other_property,
            "family_planning_income": family_planning,
            "dibao_income": dibao,
            "tekun_income": tekun,
            "pension_income": pension,
            "eco_compensation_income": eco,
            "other_transfer_income": other_transfer,
        }

    # -- formatting -------------------------------------------------------------------------------------

    def _format(self, village: _Village, family: list[_P], **h: Any) -> list[dict[str, str]]:
        rnd = self.rnd
        rand = rnd.random
        rate = village.code_rate

        def code(cls: Any, value: str) -> str:
            if not value:
                return ""
            return value if rand() < rate else LABEL[cls][value]

        def codes(cls: Any, values: list[str]) -> str:
            return "、".join(code(cls, v) for v in values)

        def yn(flag: bool) -> str:
            return YES if flag else NO

        def iso(d: date | None) -> str:
            return d.isoformat() if d else ""

        village.serial += 1 if rand() < 0.9 else rnd.randint(2, 3)
        household_number = f"{village.code}{village.serial:06d}"
        registered = h["registered"]
        head = family[0]
        # Nearly every household gives a mobile number (county check 15 flags the few that do not). The extra
        # 6% are made from the household number, so the draws (and the rest of the county) stay as they were.
        u = rand()
        if u < 0.93:
            phone = f"1{rnd.choice(PHONE_PREFIXES)}{rnd.randint(0, 99_999_999):08d}"
        elif u < 0.99:
            phone = (
                f"1{PHONE_PREFIXES[int(household_number[-2:]) % len(PHONE_PREFIXES)]}{household_number[-8:]}"
            )
        else:
            phone = ""
        bank_name = bank_account = ""
        if registered or h["monitoring"] or rand() < 0.5:
            bank_name, prefix = self.banks.pick(rand())
            body = f"{prefix}{rnd.randint(0, 999_999_999_999):012d}"
            bank_account = body + _luhn(body)
        cond = h["cond"]
        income = h["income"]
        cents = rand() < 0.35
        natural = rnd.choice(village.natural) if village.natural and rand() < 0.95 else ""
        eliminated_on = h["eliminated_on"]
        hh: dict[str, str] = {
            "county_name": self.county.name,
            "township_name": village.township_name,
            "village_name": village.name,
            "village": village.code,
            "natural_village": natural,
            "household_number": household_number,
            "head_name": head.name,
            "phone": phone,
            "bank_name": bank_name,
            "bank_account": bank_account,
            "identification_standard": code(c.IdentificationStandard, h["standard"]),
            "attribute": code(c.Attribute, h["attribute"]),
            "poverty_status": code(c.PovertyStatus, h["status"]),
            "main_cause": code(c.Cause, h["main_cause"]),
            "other_causes": codes(c.Cause, h["other_causes"]),
            "first_identified_on": iso(h["first_on"]),
            "exit_year": str(h["exit_year"]) if h["exit_year"] else "",
            "return_year": str(h["return_year"]) if h["return_year"] else "",
            "relocated": yn(cond["relocated"]),
            "military_family": yn(cond["military_family"]),
            "monitoring_type": code(c.MonitoringType, h["monitoring"]),
            "monitoring_identified_on": iso(h["monitored_on"]),
            "risk_types": codes(c.RiskType, h["risks"]),
            "risk_elimination": code(c.RiskElimination, h["elimination"]),
            "risk_eliminated_on": iso(eliminated_on),
            "year": str(h["year"]),
        }
        for key in (
            "wage_income",
            "business_income",
            "business_expense",
            "dividend_income",
            "other_property_income",
            "family_planning_income",
            "dibao_income",
            "tekun_income",
            "pension_income",
            "eco_compensation_income",
            "other_transfer_income",
        ):
            hh[key] = _money(income[key], cents)
        # Business expense must stay below business income after rounding.
        if hh["business_income"] != "0" and float(hh["business_expense"]) >= float(hh["business_income"]):
            hh["business_expense"] = _money(float(hh["business_income"]) * 0.5, cents)
        hh["household_size"] = str(len(family))
        for key in (
            "cultivated_land",
            "irrigated_land",
            "forest_land",
            "returned_farmland",
            "orchard_land",
            "pasture_land",
            "water_surface",
        ):
            hh[key] = _area(cond[key])
        for key in (
            "in_cooperative",
            "leading_enterprise",
            "entrepreneur_led",
            "production_power",
            "living_power",
            "broadcast_tv",
        ):
            hh[key] = yn(cond[key])
        hh["road_distance_km"] = _area(cond["road_distance_km"])
        hh["road_type"] = code(c.RoadType, cond["road_type"])
        hh["housing_area"] = _area(cond["housing_area"])
        hh["water_difficult"] = yn(cond["water_difficult"])
        hh["water_safe"] = yn(cond["water_safe"])
        hh["dangerous_house"] = yn(cond["dangerous_house"])
        hh["housing_grade"] = code(c.HousingGrade, cond["housing_grade"])
        for key in (
            "food_secure",
            "clothing_secure",
            "water_quantity_ok",
            "water_quality_ok",
            "water_convenience_ok",
            "water_reliability_ok",
        ):
            hh[key] = yn(cond[key])
        hh["renovation_year"] = str(cond["renovation_year"] or "")
        hh["sanitary_toilet"] = yn(cond["sanitary_toilet"])
        hh["fuel_type"] = code(c.FuelType, cond["fuel_type"])

        # Membership dates: registered members since first identification, monitored ones since then.
        since: date | None = h["first_on"] or h["monitored_on"]
        commercial = rand() < (0.7 if registered else 0.05)
        accident = rand() < (0.4 if registered else 0.03)
        ref = self.ref
        rows = []
        for i, p in enumerate(family, start=1):
            age = p.age
            if since is None:
                joined = ""
            elif p.birth >= since:
                joined = min(p.birth + timedelta(days=rnd.randint(20, 400)), ref).isoformat()
            elif p.rel in ("41", "42") and rand() < 0.3:
                joined = date.fromordinal(rnd.randint(since.toordinal(), ref.toordinal())).isoformat()
            else:
                joined = since.isoformat()
            health = [x for x, flag in (("2", p.sick), ("3", p.serious), ("4", p.disabled)) if flag] or ["1"]
            if age < 14:
                political = "13"
            else:
                u = rand()
                party = (0.06 if p.sex == "1" else 0.02) if age >= 25 else 0.0
                if u < party:
                    political = "01"
                elif u < party + 0.002 and age >= 18:
                    political = "02"
                elif age <= 28 and u < party + 0.002 + (0.45 if p.school != "0" else 0.2):
                    political = "03"
                else:
                    political = "13"
            if age < 3:
                mandarin = NO  # the national form's answer for an infant; empty is county check 20
            else:
                p_yes = 0.97 if age <= 50 else (0.8 if age <= 65 else 0.55)
                if names.NAME_STYLE.get(p.ethnicity) in ("tibetan", "turkic", "mongol") and age > 30:
                    p_yes -= 0.3
                mandarin = yn(rand() < p_yes)
            basic = rand() < 0.99
            in_school = p.school not in ("0", "8")
            member_phone = ""
            if 16 <= age <= 75:
                if i == 1 and phone and rand() < 0.7:
                    member_phone = phone
                elif rand() < 0.4:
                    member_phone = f"1{rnd.choice(PHONE_PREFIXES)}{rnd.randint(0, 99_999_999):08d}"
            row = dict(hh)
            row["person_number"] = f"{household_number}{i:02d}"
            row["name"] = p.name
            row["id_number"] = p.id_number
            row["sex"] = code(c.Sex, p.sex)
            row["birth_date"] = p.birth.isoformat()
            row["relation"] = code(c.Relation, legacy_codes.RELATION[p.rel])
            row["ethnicity"] = ETHNIC_CODE[p.ethnicity] if rand() < rate else p.ethnicity
            row["political_status"] = code(c.PoliticalStatus, political)
            # The national forms fill exactly one of 文化程度 (non-pupils) and 在校生状况 (pupils, by grade).
            # (Both draws are made either way, so the rest of the generated county stays the same.)
            grade = national_schooling(p.school, age)
            education = code(c.Education, p.edu)
            if grade:
                schooling = code(c.Schooling, grade)
            else:
                schooling = ""
                rand()  # the draw a non-pupil's 非在校生 took before
            row["education"] = "" if grade else education
            row["schooling"] = schooling
            row["dropout_reason"] = DROPOUT_REASONS[p.id_number[-2] in "0123"] if p.school == "8" else ""
            row["health"] = codes(c.Health, health)
            # Only a disability certificate says the category and grade (digits 19 and 20 of its number).
            certified = len(p.id_number) == 20
            row["disability_category"] = LABEL[c.DisabilityCategory][p.id_number[18]] if certified else ""
            row["disability_grade"] = LABEL[c.DisabilityGrade][p.id_number[19]] if certified else ""
            row["labour_skill"] = code(c.LabourSkill, p.labour)
            row["migrant_months"] = str(p.months)
            row["migrant_place"] = p.place
            row["speaks_mandarin"] = mandarin
            row["basic_medical_insurance"] = yn(basic)
            # Most people outside 城乡居民医保 are in 城镇职工医保 instead (exactly one of the two: county
            # check 17); drawn from the ID, so the rest of the generated county stays the same.
            employee = not basic and p.id_number[-4] in "0123456"
            row["employee_medical_insurance"] = yn(employee)
            # 大病保险 comes with either basic medical insurance; a rare member lacks it (county check 14, SB05).
            row["serious_illness_insurance"] = yn((basic and rand() < 0.998) or employee)
            row["commercial_medical_insurance"] = yn(commercial)
            row["basic_pension_insurance"] = yn(age >= 16 and not in_school and rand() < 0.92)
            row["dibao"] = yn(p.dibao)
            row["tekun"] = yn(p.tekun)
            row["accident_insurance"] = yn(accident)
            row["member_phone"] = member_phone
            row["joined_on"] = joined
            rows.append(row)
        return rows


def generate_register(
    county_code: str,
    *,
    households: int,
    seed: int,
    year: int = 2025,
    villages: list[RegionRow] | None = None,
    members: int | None = None,
) -> Iterator[dict[str, str]]:
    """Member rows of ``households`` households of the county, one dict per member (see module doc).

    ``villages`` default to :func:`generate_villages` with the same seed (sized for ``households``).
    With ``members``, exactly that many member rows are produced (``households`` is then ignored and
    planned from the mean household size). Raises :class:`GenerateError` for unknown counties, villages
    outside the county or more households than the villages' rural population can hold.
    """
    county = county_info(county_code)
    if members is None and households <= 0:
        raise GenerateError("户数必须大于 0")
    if members is not None and members <= 0:
        raise GenerateError("人数必须大于 0")
    planned = households if members is None else max(1, round(members / MEAN_HOUSEHOLD_SIZE))
    if villages is None:
        villages = generate_villages(county.code, seed=seed, households=planned)
    gen = _CountyGenerator(county, villages, seed, year)
    return gen.rows(households, members)


# ----------------------------------------------------------------------------------------------------
# Writers
# ----------------------------------------------------------------------------------------------------


def _values(rows: Iterable[dict[str, str]]) -> Iterator[Sequence[str]]:
    getter = itemgetter(*KEYS)
    for row in rows:
        try:
            yield getter(row)
        except KeyError:
            yield tuple(row.get(k, "") or "" for k in KEYS)


def write_csv(rows: Iterable[dict[str, str]], path: Path | str, *, encoding: str = "utf-8-sig") -> int:
    """Write rows with the template's Chinese headers (derived columns left out); returns the row count."""
    n = 0
    with Path(path).open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        for values in _values(rows):
            writer.writerow(values)
            n += 1
    return n


def write_xlsx(rows: Iterable[dict[str, str]], path: Path | str) -> int:
    """Write one sheet "成员信息" with every cell a string (IDs never become numbers); returns rows."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    try:
        # A fixed creation time keeps the file byte-identical for the same rows.
        workbook.set_properties({"title": "建档立卡成员信息", "created": datetime(2000, 1, 1)})
        sheet = workbook.add_worksheet("成员信息")
        bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        text = workbook.add_format({"num_format": "@"})
        for i, col in enumerate(OUTPUT_COLUMNS):
            width = (
                22 if col.key in ("id_number", "household_number", "person_number", "bank_account") else 12
            )
            sheet.set_column(i, i, width, text)
        sheet.freeze_panes(1, 0)
        for i, header in enumerate(HEADERS):
            sheet.write_string(0, i, header, bold)
        write = sheet.write_string
        n = 0
        for n, values in enumerate(_values(rows), start=1):
            for j, value in enumerate(values):
                if value:
                    write(n, j, value)
    finally:
        workbook.close()
    return n


def write_parquet(
    rows: Iterable[dict[str, str]], path: Path | str, *, batch_size: int = PARQUET_BATCH
) -> int:
    """Write all columns as strings (column names = keys), one record batch per ``batch_size`` rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(key, pa.string()) for key in KEYS])
    n = 0
    with pq.ParquetWriter(str(path), schema, compression="zstd") as writer:
        columns: list[list[str]] = [[] for _ in KEYS]
        appenders = [col.append for col in columns]
        pending = 0

        def flush() -> None:
            batch = pa.RecordBatch.from_arrays([pa.array(col, pa.string()) for col in columns], schema=schema)
            writer.write_batch(batch)
            for col in columns:
                col.clear()

        for values in _values(rows):
            for append, value in zip(appenders, values, strict=True):
                append(value)
            pending += 1
            n += 1
            if pending >= batch_size:
                flush()
                pending = 0
        if pending or n == 0:
            flush()
    return n


def write_villages_csv(villages: Iterable[RegionRow], path: Path | str) -> int:
    """Villages in the format ``regions.services.load_csv`` reads (natural villages joined with "；")."""
    n = 0
    with Path(path).open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(VILLAGE_HEADERS)
        for v in villages:
            pop = "" if v.rural_population is None else str(v.rural_population)
            writer.writerow(
                [v.prefix, v.name, v.urban_rural_class, pop, v.natural_villages.replace("\n", "；")]
            )
            n += 1
    return n


WRITERS: dict[str, Callable[..., int]] = {"csv": write_csv, "xlsx": write_xlsx, "parquet": write_parquet}


# ----------------------------------------------------------------------------------------------------
# Provinces
# ----------------------------------------------------------------------------------------------------


def _county_weight(county: County) -> float:
    return sum(0.3 if _is_street(code) else 1.0 for code, _ in county.townships)


def _init_worker() -> None:
    """Spawned workers (non-Linux) must set Django up before the models behind ``national_rows`` load."""
    from django.apps import apps

    if not apps.ready:
        import django

        django.setup()


def _province_task(task: tuple[str, int, int, int, str, str]) -> CountyResult:
    code, members, seed, year, path, fmt = task
    started = time.perf_counter()
    county = county_info(code)
    planned = max(1, round(members / MEAN_HOUSEHOLD_SIZE))
    villages = generate_villages(code, seed=seed, households=planned)
    heads = 0

    def counted(rows: Iterator[dict[str, str]]) -> Iterator[dict[str, str]]:
        nonlocal heads
        for row in rows:
            if row["person_number"].endswith("01"):
                heads += 1
            yield row

    rows = _CountyGenerator(county, villages, seed, year).rows(planned, members)
    written = WRITERS[fmt](counted(rows), path)
    return CountyResult(
        code, county.name, heads, written, villages, Path(path), time.perf_counter() - started
    )


def generate_province(
    province_prefix: str,
    *,
    members: int,
    seed: int,
    out_dir: Path | str,
    fmt: Literal["parquet", "csv"] = "parquet",
    year: int = 2025,
    workers: int = 2,
    progress: Callable[[int, int, CountyResult], None] | None = None,
) -> list[CountyResult]:
    """Spread ``members`` over the province's real counties and write ``register-<county>.<fmt>`` each.

    Counties are weighted by their townships (街道 count 0.3); each county is generated independently
    from (seed, county code), so the output does not depend on ``workers`` or on scheduling. Also writes
    ``villages.csv`` with all villages. ``progress(done, total, result)`` is called in the parent as each
    county finishes. Returns the per-county results sorted by county code.
    """
    if fmt not in ("parquet", "csv"):
        raise GenerateError("省级数据只能输出 parquet 或 csv 格式")
    if members <= 0:
        raise GenerateError("人数必须大于 0")
    if year < FIRST_YEAR:
        raise GenerateError(f"数据年度必须是 {FIRST_YEAR} 年或以后")
    counties = province_counties(province_prefix)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    shares = _largest_remainder(members, [_county_weight(x) for x in counties])
    tasks = [
        (county.code, n, seed, year, str(out / f"register-{county.code}.{fmt}"), fmt)
        for county, n in zip(counties, shares, strict=True)
        if n > 0
    ]
    tasks.sort(key=lambda t: -t[1])  # biggest first: better balance between the workers
    results: list[CountyResult] = []
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            results.append(_province_task(task))
            if progress:
                progress(len(results), len(tasks), results[-1])
    else:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        ctx = multiprocessing.get_context(method)
        with ctx.Pool(processes=workers, initializer=_init_worker) as pool:
            for result in pool.imap_unordered(_province_task, tasks):
                results.append(result)
                if progress:
                    progress(len(results), len(tasks), result)
    results.sort(key=lambda r: r.county_code)
    write_villages_csv((v for r in results for v in r.villages), out / "villages.csv")
    return results
