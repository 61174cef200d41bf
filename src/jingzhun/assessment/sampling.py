"""Drawing an assessment sample the way assessors draw it (domain.md §6): pure functions, no database.

1. Villages are put in strata (``assign_strata``): 贫困村 and 非贫困村 — from a list typed in for the survey;
   else from the county's 贫困村 register (``jingzhun.villages``) when it has one; else by incidence: a
   village whose share of registered (建档立卡) people is at least ``poor_village_factor`` (policy
   ``poor_village_incidence_factor``, 2: "高于全省一倍以上", domain.md §2.1) times the province's incidence
   (policy ``province_poverty_incidence`` of the 2014 identification's base year 2013) counts as a 贫困村.
   Only when the province's figure is not set is the county's own share used instead (said on the survey).
2. In each stratum, ``design.villages[stratum]`` villages are drawn by systematic sampling with a random
   start from the frame sorted by village code (so the sample spreads over the townships: the code
   begins with the township's).
3. In each drawn village, ``design.households_per_village`` households are split over the groups by the
   ratio (5:3:2 = registered with labour : non-registered : registered without labour, 广东 2018) with
   the largest-remainder rule, and drawn per group by systematic sampling from the village's households
   sorted by household number. A group with too few households gives all it has and the rest of the
   village's quota goes to the other groups in the ratio (assessors fill the village's quota).

Everything comes from one ``random.Random(seed)`` consumed in a fixed order (strata in ``STRATUM_ORDER``,
villages in drawn order, groups in ``GROUP_ORDER``), so the same frame, design and seed always give the
same sample, and another seed gives another sample.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, TypeVar

from jingzhun.assessment.choices import GROUP_ORDER, STRATUM_ORDER, Group, Stratum, StratumRule
from jingzhun.core.errors import ValidationFailed

T = TypeVar("T")
MAX_VILLAGES = 500
MAX_HOUSEHOLDS = 500
MAX_RATIO = 100
MAX_SEED = 2**63 - 1


def _fail(field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, {field_name: [message]})


@dataclass(frozen=True)
class Design:
    """The parameters of a draw. Defaults follow the 2017 county-exit assessment (≈ 29 villages per
    county, two thirds of them poor villages; ≈ 1,000 households per county) and the 广东 2018 ratio."""

    villages: Mapping[str, int] = field(default_factory=lambda: {Stratum.POOR: 19, Stratum.NON_POOR: 10})
    households_per_village: int = 35
    ratio: Mapping[str, int] = field(
        default_factory=lambda: {
            Group.REGISTERED_WITH_LABOUR: 5,
            Group.NON_REGISTERED: 3,
            Group.REGISTERED_WITHOUT_LABOUR: 2,
        }
    )
    stratum_rule: str = StratumRule.INCIDENCE
    poor_village_factor: Decimal | None = None  # None: the policy's poor_village_incidence_factor
    poor_villages: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "villages": {s: int(self.villages.get(s, 0)) for s in STRATUM_ORDER},
            "households_per_village": self.households_per_village,
            "ratio": {g: int(self.ratio.get(g, 0)) for g in GROUP_ORDER},
            "stratum_rule": str(self.stratum_rule),
            "poor_village_factor": str(self.poor_village_factor)
            if self.poor_village_factor is not None
            else None,
            "poor_villages": list(self.poor_villages),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Design:
        """Read and check a design (a stored one, a form's or the API's); raises ValidationFailed."""
        default = cls()
        villages = _counts(data.get("villages", default.villages), STRATUM_ORDER, "villages", MAX_VILLAGES)
        if sum(villages.values()) < 1:
            raise _fail("villages", "至少抽1个村")
        ratio = _counts(data.get("ratio", default.ratio), GROUP_ORDER, "ratio", MAX_RATIO)
        if sum(ratio.values()) < 1:
            raise _fail("ratio", "各组比例不能都为0")
        per_village = _integer(
            data.get("households_per_village", default.households_per_village),
            "households_per_village",
            "每村抽样户数",
            1,
            MAX_HOUSEHOLDS,
        )
        rule = str(data.get("stratum_rule", default.stratum_rule))
        if rule not in StratumRule.values:
            raise _fail("stratum_rule", f"分层方式应为 {'、'.join(StratumRule.values)}")
        raw_factor = data.get("poor_village_factor", default.poor_village_factor)
        factor = None
        if raw_factor is not None and str(raw_factor).strip() != "":
            try:
                factor = Decimal(str(raw_factor).strip())
            except (InvalidOperation, ValueError):
                raise _fail("poor_village_factor", "贫困村判定倍数应为数字") from None
            if not factor.is_finite() or not 0 < factor <= 100:
                raise _fail("poor_village_factor", "贫困村判定倍数应大于0、不超过100")
            factor = factor.normalize()
        codes = data.get("poor_villages") or ()
        if isinstance(codes, str):
            codes = codes.replace("，", ",").replace("\n", ",").split(",")
        poor = tuple(sorted({str(c).strip() for c in codes if str(c).strip()}))
        bad = [c for c in poor if not (c.isascii() and c.isdigit() and len(c) == 12)]
        if bad:
            raise _fail("poor_villages", f"贫困村名单应为12位村代码：{'、'.join(bad[:5])}")
        if rule == StratumRule.LIST and not poor:
            raise _fail("poor_villages", "按贫困村名单分层时，请填写贫困村代码")
        return cls(
            villages=villages,
            households_per_village=per_village,
            ratio=ratio,
            stratum_rule=rule,
            poor_village_factor=factor,
            poor_villages=poor,
        )


def _integer(value: Any, field_name: str, label: str, low: int, high: int) -> int:
    """An int, or a string of digits (a form's or a JSON body's); never a bool or a fraction."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _fail(field_name, f"{label}应为整数")
    text = str(value).strip()
    if not (text.isascii() and text.lstrip("-").isdigit()):
        raise _fail(field_name, f"{label}应为整数")
    number = int(text)
    if not low <= number <= high:
        raise _fail(field_name, f"{label}应在{low}到{high}之间")
    return number


def _counts(values: Any, keys: Sequence[str], field_name: str, high: int) -> dict[str, int]:
    if not isinstance(values, Mapping):
        raise _fail(field_name, "应为按组填写的整数")
    unknown = set(values) - set(keys)
    if unknown:
        raise _fail(field_name, f"未知的组：{'、'.join(sorted(map(str, unknown)))}")
    return {k: _integer(values.get(k, 0), field_name, "数量", 0, high) for k in keys}


def parse_ratio(text: str) -> dict[str, int]:
    """ "5:3:2" (or 5：3：2) → the three groups' weights in ``GROUP_ORDER``."""
    parts = [p.strip() for p in text.replace("：", ":").split(":")]
    if len(parts) != len(GROUP_ORDER) or not all(p.isdigit() for p in parts):
        raise _fail("ratio", "比例应写成三个整数，如 5:3:2（有劳动力建档户 : 非建档户 : 无劳动力建档户）")
    return dict(zip(GROUP_ORDER, (int(p) for p in parts), strict=True))


# --------------------------------------------------------------------------------------------------
# The frame


@dataclass(frozen=True)
class VillageStats:
    """A village of the county as the register shows it: population and registered people."""

    code: str
    rural_population: int | None
    registered_people: int


@dataclass(frozen=True)
class FrameVillage:
    code: str
    stratum: str


@dataclass(frozen=True)
class FrameHousehold:
    id: int
    number: str
    village: str
    group: str


DEFAULT_FACTOR = Decimal("2")  # only when neither the design nor the policy gives one


def assign_strata(
    villages: Sequence[VillageStats],
    design: Design,
    *,
    register: Collection[str] = (),
    province_rate: Decimal | None = None,
    factor: Decimal | None = None,
) -> list[FrameVillage]:
    """Put each village in a stratum (module docstring, step 1). By list: the listed codes are 贫困村. Else by
    the county's register when ``register`` (its 贫困村 codes) is not empty. Else by incidence: registered
    people ÷ rural population at least the factor (the design's, else ``factor`` from policy) × the
    province's ``province_rate`` — or × the county's own share when the province's is not known (a
    village without a population figure cannot be judged and counts as 非贫困村)."""
    if design.stratum_rule == StratumRule.LIST:
        listed = set(design.poor_villages)
        return [
            FrameVillage(v.code, Stratum.POOR if v.code in listed else Stratum.NON_POOR) for v in villages
        ]
    if register:
        poor = set(register)
        return [FrameVillage(v.code, Stratum.POOR if v.code in poor else Stratum.NON_POOR) for v in villages]
    known = [v for v in villages if v.rural_population]
    population = sum(v.rural_population or 0 for v in known)
    if province_rate is not None:
        compare = Fraction(province_rate)
    else:
        compare = Fraction(sum(v.registered_people for v in known), population) if population else Fraction(0)
    cut = compare * Fraction(design.poor_village_factor or factor or DEFAULT_FACTOR)

    def stratum(v: VillageStats) -> str:
        if not v.rural_population or v.registered_people == 0:
            return Stratum.NON_POOR
        return Stratum.POOR if Fraction(v.registered_people, v.rural_population) >= cut else Stratum.NON_POOR

    return [FrameVillage(v.code, stratum(v)) for v in villages]


# --------------------------------------------------------------------------------------------------
# The draw


@dataclass(frozen=True)
class DrawnHousehold:
    id: int
    number: str
    group: str


@dataclass(frozen=True)
class DrawnVillage:
    code: str
    stratum: str
    households: tuple[DrawnHousehold, ...]
    available: Mapping[str, int]  # households of each group in the village's frame
    quota: Mapping[str, int]  # what the ratio asked for before any shortfall was filled


@dataclass(frozen=True)
class Sample:
    villages: tuple[DrawnVillage, ...]

    @property
    def households(self) -> list[DrawnHousehold]:
        return [h for v in self.villages for h in v.households]


def systematic(items: Sequence[T], n: int, rng: random.Random) -> list[T]:
    """``n`` of ``items`` by systematic sampling with a random start: interval k = N/n (a fraction, so
    every item has probability n/N exactly), start u·k, picks ⌊start + i·k⌋. All items when n ≥ N."""
    total = len(items)
    if n <= 0 or total == 0:
        return []
    if n >= total:
        return list(items)
    interval = Fraction(total, n)
    start = Fraction(rng.random()) * interval
    return [items[math.floor(start + i * interval)] for i in range(n)]


def allocate(total: int, weights: Mapping[str, int], order: Sequence[str] = GROUP_ORDER) -> dict[str, int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder; ties to the earlier key)."""
    keys = [k for k in order if weights.get(k, 0) > 0]
    share = sum(weights[k] for k in keys)
    if total <= 0 or share == 0:
        return dict.fromkeys(order, 0)
    exact = {k: Fraction(total * weights[k], share) for k in keys}
    counts = {k: math.floor(exact[k]) for k in keys}
    left = total - sum(counts.values())
    for k in sorted(keys, key=lambda k: (-(exact[k] - counts[k]), order.index(k)))[:left]:
        counts[k] += 1
    return {k: counts.get(k, 0) for k in order}


def village_counts(n: int, ratio: Mapping[str, int], available: Mapping[str, int]) -> dict[str, int]:
    """How many households of each group to draw in a village: the ratio's split of ``n``; a group with
    too few households gives all it has and the shortfall goes to the others, in the ratio, as far as
    they have households. Groups with ratio 0 are never drawn."""
    taken = {g: min(q, available.get(g, 0)) for g, q in allocate(n, ratio).items()}
    while (left := n - sum(taken.values())) > 0:
        spare = {
            g: ratio.get(g, 0) for g in GROUP_ORDER if ratio.get(g, 0) > 0 and available.get(g, 0) > taken[g]
        }
        if not spare:
            break
        for g, extra in allocate(left, spare).items():
            taken[g] += min(extra, available.get(g, 0) - taken[g])
    return taken


def draw(
    villages: Sequence[FrameVillage], households: Sequence[FrameHousehold], design: Design, seed: int
) -> Sample:
    """The sample for this frame, design and seed (deterministic; see the module docstring)."""
    rng = random.Random(seed)
    chosen: list[FrameVillage] = []
    for stratum in STRATUM_ORDER:
        frame = sorted((v for v in villages if v.stratum == stratum), key=lambda v: v.code)
        chosen += systematic(frame, design.villages.get(stratum, 0), rng)
    by_village: dict[str, dict[str, list[FrameHousehold]]] = defaultdict(lambda: defaultdict(list))
    for h in households:
        by_village[h.village][h.group].append(h)
    drawn: list[DrawnVillage] = []
    for village in chosen:
        groups = by_village.get(village.code, {})
        frames = {g: sorted(groups.get(g, []), key=lambda h: (h.number, h.id)) for g in GROUP_ORDER}
        available = {g: len(frames[g]) for g in GROUP_ORDER}
        counts = village_counts(design.households_per_village, design.ratio, available)
        picked = [h for g in GROUP_ORDER for h in systematic(frames[g], counts[g], rng)]
        picked.sort(key=lambda h: (h.number, h.id))
        drawn.append(
            DrawnVillage(
                code=village.code,
                stratum=village.stratum,
                households=tuple(DrawnHousehold(h.id, h.number, h.group) for h in picked),
                available=available,
                quota=allocate(design.households_per_village, design.ratio),
            )
        )
    return Sample(villages=tuple(drawn))
