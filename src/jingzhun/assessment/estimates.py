"""The "三率一度" of a county exit from a survey's interviews, with 95% confidence intervals (§3.4).

Point estimates follow the assessment's formulas (domain.md §3.4):

* 错退率 = wrongly exited people in the sample ÷ exited people in the sample;
* 漏评率 = missed people ÷ non-registered rural population of the sampled villages. Only a sample of a
  village's non-registered households is visited, so each village's missed people are expanded by its
  non-registered population over the non-registered people visited there: Σ P_v·(y_v/m_v) ÷ Σ P_v. When
  every non-registered household of the sampled villages is screened this is exactly the formula;
* 认可度 = approving households ÷ surveyed households;
* 综合贫困发生率 = (remaining registered poor + missed + wrongly exited) ÷ rural population, for the whole
  county: the register's remaining poor, plus 漏评率 × the county's non-registered rural population, plus
  错退率 × the county's exited people.

Intervals (see docs/assessment.md): each rate is a ratio over villages, the survey's clusters. Its variance
is estimated by Taylor linearisation with villages as primary units within the village strata (with
replacement, no finite population correction); the design effect deff = that variance ÷ the simple
random sampling variance p(1−p)/n, taken as at least 1; the interval is Wilson's score interval with the
effective sample size n/deff (Korn & Graubard 1998 did the same for Clopper–Pearson). With fewer than two
villages deff is 1: the interval is then Wilson's on the pooled proportion. 综合贫困发生率 combines the
intervals of 错退率 and 漏评率 by the MOVER method (Zou & Donner 2008).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Z95 = 1.959963984540054  # the 97.5% quantile of the standard normal distribution


def wilson(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for a proportion ``p`` observed in ``n`` (possibly effective, fractional)
    trials: (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) ÷ (1 + z²/n)."""
    if n <= 0:
        return 0.0, 1.0
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(max(p * (1 - p), 0.0) / n + z2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Cluster:
    """One village's totals for a ratio: numerator ``y``, denominator ``x`` (both unweighted counts) and
    the village's weight ``a`` (1 for the sample's own formulas)."""

    stratum: str
    y: float
    x: float
    a: float = 1.0


@dataclass(frozen=True)
class Estimate:
    """A rate with its interval and how it was computed (every figure the page shows)."""

    code: str
    name: str
    formula: str
    value: float | None
    low: float | None = None
    high: float | None = None
    numerator: float = 0.0
    denominator: float = 0.0
    n: float = 0.0  # unweighted units in the denominator (people or households)
    clusters: int = 0
    deff: float = 1.0
    notes: tuple[str, ...] = ()

    @property
    def n_eff(self) -> float:
        return self.n / self.deff if self.deff else self.n

    @property
    def value_text(self) -> str:
        return "—" if self.value is None else f"{self.value:.2%}"

    @property
    def interval_text(self) -> str:
        if self.low is None or self.high is None:
            return "—"
        return f"{self.low:.2%} — {self.high:.2%}"

    def as_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "formula": self.formula,
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "n": self.n,
            "clusters": self.clusters,
            "deff": self.deff,
            "n_eff": self.n_eff,
            "notes": list(self.notes),
        }


def linearised_variance(clusters: Sequence[Cluster], ratio: float) -> tuple[float | None, str]:
    """Var(R̂) ≈ Σ_h n_h/(n_h−1) Σ_v (z_v − z̄_h)², z_v = a_v(y_v − R̂x_v) / Σ a x. Strata with a single
    village are collapsed into one stratum; with fewer than two villages there is no estimate."""
    total = sum(c.a * c.x for c in clusters)
    if len(clusters) < 2 or total <= 0:
        return None, "抽中村不足2个，无法估计村级整群的设计效应，按简单随机抽样计算"
    strata: dict[str, list[float]] = defaultdict(list)
    for c in clusters:
        strata[c.stratum].append(c.a * (c.y - ratio * c.x) / total)
    note = ""
    if any(len(zs) < 2 for zs in strata.values()):
        strata = {"all": [z for zs in strata.values() for z in zs]}
        note = "有的层只有1个村，各层合并估计方差"
    variance = 0.0
    for zs in strata.values():
        mean = sum(zs) / len(zs)
        variance += len(zs) / (len(zs) - 1) * sum((z - mean) ** 2 for z in zs)
    return variance, note


def ratio_estimate(
    code: str, name: str, formula: str, clusters: Sequence[Cluster], *, notes: Iterable[str] = ()
) -> Estimate:
    """Σ a·y ÷ Σ a·x with the Wilson interval at the effective sample size (module docstring)."""
    notes = [n for n in notes if n]
    n = sum(c.x for c in clusters)
    numerator = sum(c.a * c.y for c in clusters)
    denominator = sum(c.a * c.x for c in clusters)
    if n <= 0 or denominator <= 0:
        return Estimate(code, name, formula, None, notes=(*notes, "还没有可用的调查结果"))
    value = numerator / denominator
    variance, note = linearised_variance(clusters, value)
    srs = value * (1 - value) / n
    deff = 1.0
    if variance is None:
        notes.append(note)
    elif srs > 0:
        deff = max(variance / srs, 1.0)
        if note:
            notes.append(note)
    else:
        notes.append("比例为0或1，设计效应无法估计，按简单随机抽样计算")
    low, high = wilson(value, n / deff)
    return Estimate(
        code, name, formula, value, low, high, numerator, denominator, n, len(clusters), deff, tuple(notes)
    )


# --------------------------------------------------------------------------------------------------
# The survey's four figures


@dataclass(frozen=True)
class Visit:
    """One completed interview, with what the draw knew of the household."""

    village: str
    people: int
    exited: bool
    non_registered: bool
    approves: bool | None
    wrongly_exited: bool | None = None
    missed: bool | None = None
    missed_people: int | None = None


@dataclass(frozen=True)
class Village:
    code: str
    stratum: str
    non_registered_population: int | None  # rural population − registered people, at the draw


@dataclass(frozen=True)
class County:
    """The county's figures at the draw: rural population and the register's people by status."""

    rural_population: int
    registered_people: int
    poor_people: int  # remaining registered poor: 未脱贫 and 返贫
    exited_people: int

    @property
    def non_registered_population(self) -> int:
        return max(self.rural_population - self.registered_people, 0)


@dataclass(frozen=True)
class Estimates:
    approval: Estimate
    wrong_exit_rate: Estimate
    missed_rate: Estimate
    comprehensive_incidence: Estimate
    interviews: int = 0
    villages: int = 0

    @property
    def all(self) -> list[Estimate]:
        return [self.comprehensive_incidence, self.wrong_exit_rate, self.missed_rate, self.approval]

    def as_json(self) -> dict[str, object]:
        return {e.code: e.as_json() for e in self.all} | {
            "interviews": self.interviews,
            "villages": self.villages,
        }


def _by_village(visits: Iterable[Visit]) -> dict[str, list[Visit]]:
    grouped: dict[str, list[Visit]] = defaultdict(list)
    for v in visits:
        grouped[v.village].append(v)
    return grouped


def approval(visits: Sequence[Visit], villages: Sequence[Village]) -> Estimate:
    grouped = _by_village(visits)
    clusters = []
    for village in villages:
        answered = [v for v in grouped.get(village.code, []) if v.approves is not None]
        if grouped.get(village.code):
            clusters.append(
                Cluster(village.stratum, sum(v.approves is True for v in answered), len(answered))
            )
    return ratio_estimate("approval", "群众认可度", "认可户数 ÷ 调查户数", clusters)


def wrong_exit_rate(visits: Sequence[Visit], villages: Sequence[Village]) -> Estimate:
    grouped = _by_village(visits)
    clusters = []
    for village in villages:
        judged = [v for v in grouped.get(village.code, []) if v.exited and v.wrongly_exited is not None]
        if grouped.get(village.code):
            clusters.append(
                Cluster(
                    village.stratum,
                    sum(v.people for v in judged if v.wrongly_exited),
                    sum(v.people for v in judged),
                )
            )
    return ratio_estimate("wrong_exit_rate", "错退率", "抽查错退人数 ÷ 抽查脱贫人数", clusters)


def missed_rate(visits: Sequence[Visit], villages: Sequence[Village]) -> Estimate:
    grouped = _by_village(visits)
    clusters, unknown, unvisited = [], 0, 0
    found = population = 0
    for village in villages:
        judged = [v for v in grouped.get(village.code, []) if v.non_registered and v.missed is not None]
        visited = sum(v.people for v in judged)
        missed = sum((v.missed_people or 0) for v in judged if v.missed)
        if not grouped.get(village.code):
            continue
        if village.non_registered_population is None:
            unknown += 1
            continue
        if visited == 0:
            unvisited += 1
            continue
        clusters.append(
            Cluster(village.stratum, missed, visited, village.non_registered_population / visited)
        )
        found += missed
        population += village.non_registered_population
    notes = [
        f"{unknown}个村未填农村户籍人口，未计入" if unknown else "",
        f"{unvisited}个村没有非建档立卡户的调查结果，未计入" if unvisited else "",
        f"按全部筛查口径（核实漏评 {found} 人 ÷ 抽查村未建档人口 {population} 人）为 {found / population:.4%}；"
        "本估计按各村调查户的漏评比例推算到全村"
        if population
        else "",
    ]
    return ratio_estimate(
        "missed_rate",
        "漏评率",
        "核实漏评人数 ÷ 抽查村未建档农村人口（按各村调查户推算）",
        clusters,
        notes=notes,
    )


def comprehensive_incidence(county: County, wrong: Estimate, missed: Estimate) -> Estimate:
    """(poor + 漏评率·N_nr + 错退率·N_exited) ÷ P; interval by MOVER from the two rates' Wilson limits."""
    code, name = "comprehensive_incidence", "综合贫困发生率"
    formula = "（剩余建档立卡贫困人口 + 漏评人口 + 错退人口）÷ 农村户籍人口"
    population = county.rural_population
    if population <= 0:
        return Estimate(code, name, formula, None, notes=("县内各村未填农村户籍人口",))
    if wrong.value is None or missed.value is None:
        return Estimate(code, name, formula, None, notes=("须先有错退率和漏评率",))
    assert (
        wrong.low is not None
        and wrong.high is not None
        and missed.low is not None
        and missed.high is not None
    )
    c_exit, c_missed = county.exited_people, county.non_registered_population
    wrongly_exited, missed_people = wrong.value * c_exit, missed.value * c_missed
    value = (county.poor_people + wrongly_exited + missed_people) / population
    down = math.hypot(c_exit * (wrong.value - wrong.low), c_missed * (missed.value - missed.low)) / population
    up = math.hypot(c_exit * (wrong.high - wrong.value), c_missed * (missed.high - missed.value)) / population
    notes = (
        f"剩余贫困 {county.poor_people} 人 + 推算错退 {wrongly_exited:.0f} 人（{c_exit} 名脱贫人口 × 错退率）"
        f" + 推算漏评 {missed_people:.0f} 人（{c_missed} 名未建档人口 × 漏评率），÷ 农村户籍人口 {population} 人",
    )
    return Estimate(
        code,
        name,
        formula,
        value,
        max(value - down, county.poor_people / population),
        min(value + up, 1.0),
        county.poor_people + wrongly_exited + missed_people,
        population,
        wrong.n + missed.n,
        max(wrong.clusters, missed.clusters),
        1.0,
        notes,
    )


def compute(visits: Sequence[Visit], villages: Sequence[Village], county: County) -> Estimates:
    wrong = wrong_exit_rate(visits, villages)
    missed = missed_rate(visits, villages)
    return Estimates(
        approval=approval(visits, villages),
        wrong_exit_rate=wrong,
        missed_rate=missed,
        comprehensive_incidence=comprehensive_incidence(county, wrong, missed),
        interviews=len(visits),
        villages=len({v.village for v in visits}),
    )


__all__ = ["Z95", "Cluster", "County", "Estimate", "Estimates", "Village", "Visit", "compute", "wilson"]
