"""Generated assistance data for a region's registered and monitored households (demonstrations, tests).

About 95% of the households that are (or were) registered poor or are monitored get a helper (帮扶责任人)
from a small pool per village, most of them from county departments and the township, the way cadres were
assigned "一户一人"; a few pairings have ended and been handed on to a second helper. Each gets one to three
measure families for the year, matched to its main cause of poverty (or, for monitored households without
one, to its first risk): 因病 → 健康, 因学 → 义务教育保障, 缺资金 → 金融 / 产业, 缺劳力 → 综合保障 …;
nine in ten of them carried out.

Every household draws from its own random stream (seed, household number, year), so the result does not
depend on which other households exist, and running again with the same seed gives the same rows. Rows that
already exist are left alone: a household that has pairings gets no generated pairing, a household with
measures for the year no generated measures.

This writes generated data, not anybody's work, straight into the tables (bulk inserts, one transaction):
it is not a service and writes no audit lines. (The register's generated data takes the other road: files
imported through the audited import, see ``testing.county`` and the demo command.)
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q

from jingzhun.assistance.choices import MeasureFamily as F
from jingzhun.assistance.choices import UnitLevel
from jingzhun.assistance.models import Measure, Pairing
from jingzhun.regions.models import Region
from jingzhun.registry import names
from jingzhun.registry.models import Household

PAIRED_SHARE = 0.95
ENDED_SHARE = 0.08
IMPLEMENTED_SHARE = 0.90
HOUSEHOLDS_PER_HELPER = 4

LEVEL_WEIGHTS = (
    (UnitLevel.PROVINCE, 0.04),
    (UnitLevel.CITY, 0.11),
    (UnitLevel.COUNTY, 0.42),
    (UnitLevel.TOWNSHIP, 0.35),
    (UnitLevel.VILLAGE, 0.08),
)
PROVINCE_UNITS = (
    "农业农村厅",
    "财政厅",
    "教育厅",
    "卫生健康委员会",
    "交通运输厅",
    "水利厅",
    "自然资源厅",
    "人力资源和社会保障厅",
    "乡村振兴局",
    "住房和城乡建设厅",
    "民政厅",
    "林业和草原局",
)
CITY_UNITS = (
    "农业农村局",
    "财政局",
    "教育局",
    "卫生健康委员会",
    "住房和城乡建设局",
    "水务局",
    "人力资源和社会保障局",
    "市场监督管理局",
    "民政局",
    "自然资源局",
    "发展和改革委员会",
    "中级人民法院",
)
COUNTY_UNITS = (
    "农业农村局",
    "财政局",
    "教育局",
    "卫生健康局",
    "住房和城乡建设局",
    "水务局",
    "人力资源和社会保障局",
    "民政局",
    "自然资源局",
    "交通运输局",
    "林业和草原局",
    "乡村振兴局",
    "审计局",
    "统计局",
    "文化和旅游局",
    "医疗保障局",
    "人民医院",
    "供电公司",
    "农村信用合作联社",
    "委组织部",
)
TOWNSHIP_UNITS = (
    "人民政府",
    "党委",
    "财政所",
    "农业农村综合服务中心",
    "卫生院",
    "中心学校",
    "派出所",
    "社会保障服务中心",
)
MOBILE_PREFIXES = (
    "139",
    "138",
    "137",
    "136",
    "135",
    "158",
    "159",
    "150",
    "151",
    "177",
    "180",
    "181",
    "189",
    "199",
    "133",
    "153",
    "173",
    "186",
    "187",
    "188",
)

# Main cause (registry.choices.Cause) → (the measure that answers it, others that often go with it).
BY_CAUSE: dict[str, tuple[str, tuple[str, ...]]] = {
    "1": (F.HEALTH, (F.SOCIAL_SECURITY, F.INDUSTRY)),  # 因病
    "2": (F.SOCIAL_SECURITY, (F.HEALTH, F.PUBLIC_WELFARE_JOB)),  # 因残
    "3": (F.COMPULSORY_EDUCATION, (F.OTHER_EDUCATION, F.EMPLOYMENT)),  # 因学
    "4": (F.HOUSING_SAFETY, (F.SOCIAL_ASSISTANCE, F.INDUSTRY)),  # 因灾
    "5": (F.EMPLOYMENT, (F.INDUSTRY, F.RELOCATION)),  # 缺土地
    "6": (F.DRINKING_WATER, (F.INFRASTRUCTURE, F.INDUSTRY)),  # 缺水
    "7": (F.EMPLOYMENT, (F.OTHER_EDUCATION, F.INDUSTRY)),  # 缺技术
    "8": (F.SOCIAL_SECURITY, (F.PUBLIC_WELFARE_JOB, F.HEALTH)),  # 缺劳力
    "9": (F.FINANCE, (F.INDUSTRY, F.EMPLOYMENT)),  # 缺资金
    "10": (F.INFRASTRUCTURE, (F.LIVING_CONDITIONS, F.INDUSTRY)),  # 交通条件落后
    "11": (F.EMPLOYMENT, (F.PUBLIC_WELFARE_JOB, F.SOCIAL_ASSISTANCE)),  # 自身发展动力不足
    "12": (F.INDUSTRY, (F.EMPLOYMENT, F.FINANCE)),  # 因婚
    "13": (F.SOCIAL_ASSISTANCE, (F.SOCIAL_SECURITY, F.EMPLOYMENT)),  # 因丧
}
# A monitored household's first risk (registry.choices.RiskType) → the cause whose measures answer it.
RISK_AS_CAUSE = {
    "1": "1",
    "2": "3",
    "3": "2",
    "4": "4",
    "5": "13",
    "6": "9",
    "7": "7",
    "8": "8",
    "9": "4",
    "10": "6",
}
DEFAULT: tuple[str, tuple[str, ...]] = (F.INDUSTRY, (F.EMPLOYMENT, F.FINANCE))
NOTES: dict[str, tuple[str, ...]] = {
    F.INDUSTRY: (
        "发展肉牛养殖，落实产业奖补",
        "种植中药材2亩，发放种苗",
        "发展苹果种植，提供技术指导",
        "养殖肉羊10只，落实到户产业资金",
    ),
    F.EMPLOYMENT: (
        "外出务工，落实一次性交通补助",
        "推荐到县城企业稳定就业",
        "落实稳岗补贴",
        "就近在帮扶车间就业",
    ),
    F.FINANCE: ("发放脱贫人口小额信贷5万元", "落实小额信贷贴息", "续贷小额信贷3万元"),
    F.PUBLIC_WELFARE_JOB: ("安排生态护林员岗位", "安排乡村保洁员公益岗位", "安排村级护路员岗位"),
    F.HEALTH: (
        "落实家庭医生签约服务",
        "慢性病门诊报销",
        "落实先诊疗后付费和大病救助",
        "资助参加城乡居民基本医疗保险",
    ),
    F.COMPULSORY_EDUCATION: ("落实义务教育阶段营养改善计划", "控辍保学，落实生活补助", "送教上门"),
    F.OTHER_EDUCATION: ("落实雨露计划职业教育补助", "发放高中阶段助学金", "参加技能培训"),
    F.SOCIAL_SECURITY: ("纳入农村低保", "落实特困供养", "发放残疾人两项补贴", "落实临时救助"),
    F.HOUSING_SAFETY: ("实施农村危房改造", "房屋抗震加固", "住房安全鉴定为安全"),
    F.DRINKING_WATER: ("入户自来水管网改造", "安装净水设备", "集中供水工程入户"),
    F.SOCIAL_ASSISTANCE: ("东西部协作帮扶物资", "企业结对捐助", "社会组织慰问帮扶"),
    F.RELOCATION: ("易地扶贫搬迁集中安置", "搬迁后续扶持"),
    F.LIVING_CONDITIONS: ("改厨改厕", "院落硬化", "接通生活用电"),
    F.INFRASTRUCTURE: ("通组道路硬化", "修建产业路", "村内道路亮化"),
}
SURNAMES = tuple(s for s, _ in names.SURNAMES)
SURNAME_WEIGHTS = tuple(w for _, w in names.SURNAMES)


@dataclass(frozen=True)
class _Place:
    province: str
    city: str
    county: str
    township: str
    village: str


@dataclass(frozen=True)
class _Helper:
    name: str
    unit: str
    level: str
    phone: str


def _cadre_name(rnd: random.Random) -> str:
    """A cadre born 1965–1995: mostly two-character given names of that era."""
    male = rnd.random() < 0.62
    era = "mid" if rnd.random() < 0.6 else "young"
    pool = (names.MALE_CHARS if male else names.FEMALE_CHARS)[era]
    surname = rnd.choices(SURNAMES, SURNAME_WEIGHTS)[0]
    given = rnd.choice(pool) if rnd.random() < 0.2 else rnd.choice(pool) + rnd.choice(pool)
    return surname + given


def _unit(rnd: random.Random, level: str, place: _Place) -> str:
    if level == UnitLevel.PROVINCE:
        return place.province + rnd.choice(PROVINCE_UNITS)
    if level == UnitLevel.CITY:
        city = place.city if place.city not in ("市辖区", "") else place.province
        return city + rnd.choice(CITY_UNITS)
    if level == UnitLevel.COUNTY:
        unit = rnd.choice(COUNTY_UNITS)
        return f"中共{place.county}{unit}" if unit == "委组织部" else place.county + unit
    if level == UnitLevel.TOWNSHIP:
        return place.township + rnd.choice(TOWNSHIP_UNITS)
    return place.village + ("村民委员会" if rnd.random() < 0.7 else "党支部")


def _phone(rnd: random.Random) -> str:
    if rnd.random() < 0.06:
        return ""
    return rnd.choice(MOBILE_PREFIXES) + f"{rnd.randrange(10**8):08d}"


def _helper(rnd: random.Random, place: _Place) -> _Helper:
    level = rnd.choices([lv for lv, _ in LEVEL_WEIGHTS], [w for _, w in LEVEL_WEIGHTS])[0]
    return _Helper(_cadre_name(rnd), _unit(rnd, level, place)[:100], level, _phone(rnd))


def _places(village_codes: set[str]) -> dict[str, _Place]:
    regions = {
        r.code: r
        for r in Region.objects.filter(
            code__in={c[:n].ljust(12, "0") for c in village_codes for n in (2, 4, 6, 9, 12)}
        )
    }

    def name(code: str, n: int) -> str:
        region = regions.get(code[:n].ljust(12, "0"))
        return region.name if region else ""

    return {c: _Place(name(c, 2), name(c, 4), name(c, 6), name(c, 9), name(c, 12)) for c in village_codes}


def _day_between(rnd: random.Random, low: dt.date, high: dt.date) -> dt.date:
    if high <= low:
        return low
    return low + dt.timedelta(days=rnd.randint(0, (high - low).days))


def _pairings(
    rnd: random.Random, h: Mapping[str, Any], helpers: list[_Helper], place: _Place, year: int
) -> list[Pairing]:
    """One helper from the village's pool, paired soon after identification; now and then handed over to
    another (from the pool, or from the same places when the village's pool has one helper)."""
    year_end = dt.date(year, 12, 31)
    since = h["monitoring_identified_on"] if h["monitoring_type"] and h["monitoring_identified_on"] else None
    since = since or h["first_identified_on"] or dt.date(max(year - 3, 2014), 1, 1)
    started = _day_between(rnd, since, min(since + dt.timedelta(days=120), year_end))
    first = rnd.choice(helpers)
    rows: list[tuple[_Helper, dt.date, dt.date | None]] = []
    if rnd.random() < ENDED_SHARE and (year_end - started).days > 400:
        ended = _day_between(rnd, started + dt.timedelta(days=365), year_end - dt.timedelta(days=30))
        rows.append((first, started, ended))
        others = [x for x in helpers if x.name != first.name]
        second = rnd.choice(others) if others else _helper(rnd, place)
        while second.name == first.name:
            second = _helper(rnd, place)
        rows.append((second, ended + dt.timedelta(days=1), None))
    else:
        rows.append((first, started, None))
    return [
        Pairing(
            household_id=h["pk"],
            helper_name=p.name,
            helper_unit=p.unit,
            unit_level=p.level,
            helper_phone=p.phone,
            started_on=start,
            ended_on=end,
        )
        for p, start, end in rows
    ]


def families_for(main_cause: str, risk_types: list[str] | None = None) -> tuple[str, tuple[str, ...]]:
    """(the measure family answering the household's main cause, families that often go with it)."""
    cause = main_cause or RISK_AS_CAUSE.get(next(iter(risk_types or []), ""), "")
    return BY_CAUSE.get(cause, DEFAULT)


def _measures(rnd: random.Random, h: Mapping[str, Any], year: int) -> list[Measure]:
    main, others = families_for(h["main_cause"], h["risk_types"])
    count = rnd.choices((1, 2, 3), (0.35, 0.45, 0.20))[0]
    pool = [f for f in (*others, *DEFAULT[1], DEFAULT[0]) if f != main]
    chosen = [main]
    for family in pool:
        if len(chosen) == count:
            break
        if family not in chosen and rnd.random() < 0.7:
            chosen.append(family)
    rows = []
    for family in chosen:
        implemented = rnd.random() < IMPLEMENTED_SHARE
        note = rnd.choice(NOTES[family]) if rnd.random() < 0.8 else ""
        rows.append(
            Measure(
                household_id=h["pk"],
                year=year,
                family=family,
                implemented=implemented,
                note=note if implemented or not note else f"计划{note}",
            )
        )
    return rows


def generate_assistance(prefix: str, *, year: int, seed: int = 7) -> tuple[int, int]:
    """Pair the registered and monitored households under region ``prefix`` with helpers and give them
    measures for ``year``; returns (pairings, measures) written. Same database, same seed: same rows."""
    households = list(
        Household.objects.filter(village__code__startswith=prefix)
        .filter(~Q(poverty_status="") | ~Q(monitoring_type=""))
        .order_by("household_number")
        .values(
            "pk",
            "household_number",
            "village_id",
            "main_cause",
            "risk_types",
            "first_identified_on",
            "monitoring_type",
            "monitoring_identified_on",
        )
    )
    by_village: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in households:
        by_village[row["village_id"]].append(row)
    places = _places(set(by_village))
    inside = Q(household__village__code__startswith=prefix)
    paired = set(Pairing.objects.filter(inside).values_list("household_id", flat=True).distinct())
    measured = set(
        Measure.objects.filter(inside, year=year).values_list("household_id", flat=True).distinct()
    )
    pairings: list[Pairing] = []
    measures: list[Measure] = []
    for code in sorted(by_village):
        village = by_village[code]
        pool_rnd = random.Random(f"assistance:{seed}:{code}")
        helpers = [
            _helper(pool_rnd, places[code]) for _ in range(max(1, -(-len(village) // HOUSEHOLDS_PER_HELPER)))
        ]
        for h in village:
            rnd = random.Random(f"assistance:{seed}:{h['household_number']}:{year}")
            if rnd.random() < PAIRED_SHARE and h["pk"] not in paired:
                pairings.extend(_pairings(rnd, h, helpers, places[code], year))
            rows = _measures(random.Random(f"measures:{seed}:{h['household_number']}:{year}"), h, year)
            if h["pk"] not in measured:
                measures.extend(rows)
    with transaction.atomic():
        Pairing.objects.bulk_create(pairings, batch_size=2000)
        Measure.objects.bulk_create(measures, batch_size=2000)
    return len(pairings), len(measures)
