"""Reads of the assessment: the sampling frame from the register, a survey's progress, its estimates and
the county exit check fed with them. Writes are in ``services``."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from jingzhun.assessment import estimates, sampling
from jingzhun.assessment.choices import GROUP_ORDER, STRATUM_ORDER, Group, Outcome, StratumRule, SurveyState
from jingzhun.assessment.models import EXITED, Interview, SampledHousehold, SampledVillage, Survey
from jingzhun.policy import catalogue
from jingzhun.policy.criteria import REGISTERED_POOR, Evaluation, evaluate_county_exit, percent
from jingzhun.policy.selectors import ParameterMissing
from jingzhun.regions.choices import Level
from jingzhun.regions.models import Region
from jingzhun.registry.choices import LabourSkill
from jingzhun.registry.models import Household

CAPABLE_LABOUR = (LabourSkill.ORDINARY, LabourSkill.SKILLED)  # as policy.criteria.CAPABLE_LABOUR
# The 2014 identification compared villages with the province's incidence of 2013 (domain.md §2.1); the
# registered share of a village (everyone ever registered) approximates its incidence at that time.
IDENTIFICATION_BASE_YEAR = 2013


# --------------------------------------------------------------------------------------------------
# The frame: the county's villages and households as the register has them now


@dataclass(frozen=True)
class FrameRow:
    """A household of the county with what the draw needs and copies."""

    id: int
    number: str
    village: str
    head_name: str
    natural_village: str
    poverty_status: str
    monitoring_type: str
    people: int
    labour: int

    @property
    def group(self) -> str | None:
        """The sampling group; None for a non-registered monitored household (边缘易致贫户 and 突发严重困难户
        without 建档立卡), which is neither a registered household nor a 一般农户."""
        if self.poverty_status:
            return Group.REGISTERED_WITH_LABOUR if self.labour else Group.REGISTERED_WITHOUT_LABOUR
        return None if self.monitoring_type else Group.NON_REGISTERED


@dataclass
class Frame:
    county: Region
    villages: list[sampling.FrameVillage]
    stats: dict[str, sampling.VillageStats]
    households: dict[int, FrameRow]
    summary: dict[str, Any]

    def frame_households(self) -> list[sampling.FrameHousehold]:
        return [
            sampling.FrameHousehold(h.id, h.number, h.village, h.group)
            for h in self.households.values()
            if h.group is not None
        ]


def _county_rows(county: Region) -> list[FrameRow]:
    active = Q(members__left_on__isnull=True)
    rows = (
        Household.objects.filter(village__code__startswith=county.prefix)
        .annotate(
            people=Count("members", filter=active),
            labour=Count("members", filter=active & Q(members__labour_skill__in=CAPABLE_LABOUR)),
        )
        .values_list(
            "id",
            "household_number",
            "village_id",
            "head_name",
            "natural_village",
            "poverty_status",
            "monitoring_type",
            "people",
            "labour",
        )
    )
    return [FrameRow(*row) for row in rows]


def _strata_inputs(
    county: Region, design: sampling.Design, year: int | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What ``sampling.assign_strata`` compares with, and how the survey page says it: the typed-in list, the
    county's 贫困村 register, or the province's incidence × the policy factor (the county's own share when
    the province's is not set)."""
    from jingzhun.policy.criteria import resolve_for
    from jingzhun.villages.selectors import poor_village_codes

    if design.stratum_rule == StratumRule.LIST:
        return {}, {
            "stratum_source": "list",
            "stratum_note": f"按填写的贫困村名单（{len(design.poor_villages)}个村）",
        }
    register = poor_village_codes(county, year or 9999)
    if register:
        return {"register": register}, {
            "stratum_source": "register",
            "stratum_note": f"按贫困村登记名单（{len(register)}个村）",
        }
    factor = design.poor_village_factor
    kwargs: dict[str, Any] = {}
    if factor is None:
        try:
            factor = kwargs["factor"] = resolve_for(
                catalogue.POOR_VILLAGE_INCIDENCE_FACTOR, county.code, IDENTIFICATION_BASE_YEAR + 1
            ).value
        except ParameterMissing:
            factor = sampling.DEFAULT_FACTOR
    try:
        province = resolve_for(catalogue.PROVINCE_POVERTY_INCIDENCE, county.code, IDENTIFICATION_BASE_YEAR)
    except ParameterMissing:
        return kwargs, {
            "stratum_source": "county",
            "stratum_note": (
                f"未设置{IDENTIFICATION_BASE_YEAR}年全省农村贫困发生率：按建档立卡人口比例不低于全县 {factor.normalize():f} 倍"
                "划为贫困村（请在政策参数中填写全省数值）"
            ),
        }
    kwargs["province_rate"] = province.value
    return kwargs, {
        "stratum_source": "province",
        "stratum_note": (
            f"建档立卡人口比例不低于{IDENTIFICATION_BASE_YEAR}年全省农村贫困发生率 {percent(province.value)} 的 "
            f"{factor.normalize():f} 倍的为贫困村"
        ),
    }


def build_frame(county: Region, design: sampling.Design, year: int | None = None) -> Frame:
    """The frame a draw reads: every village of the county in its stratum, the households of each group
    (with at least one active member), and the county's population figures for the estimates."""
    rows = [r for r in _county_rows(county) if r.people > 0]
    registered: dict[str, int] = defaultdict(int)
    for r in rows:
        if r.poverty_status:
            registered[r.village] += r.people
    villages = list(
        Region.objects.filter(level=Level.VILLAGE, code__startswith=county.prefix).values_list(
            "code", "rural_population"
        )
    )
    stats = {
        code: sampling.VillageStats(code, population, registered.get(code, 0))
        for code, population in villages
    }
    inputs, how = _strata_inputs(county, design, year)
    strata = sampling.assign_strata(list(stats.values()), design, **inputs)
    households = {r.id: r for r in rows if r.village in stats}
    drawable = {r.village for r in households.values() if r.group and design.ratio.get(r.group, 0) > 0}
    frame_villages = [v for v in strata if v.code in drawable]
    summary = {
        "villages": {s: sum(v.stratum == s for v in frame_villages) for s in STRATUM_ORDER},
        "villages_in_county": len(stats),
        "villages_without_households": len(stats) - len(frame_villages),
        "villages_without_population": sum(1 for s in stats.values() if not s.rural_population),
        "households": {g: sum(r.group == g for r in households.values()) for g in GROUP_ORDER},
        "rural_population": sum(s.rural_population or 0 for s in stats.values()),
        "registered_people": sum(r.people for r in households.values() if r.poverty_status),
        "poor_people": sum(r.people for r in households.values() if r.poverty_status in REGISTERED_POOR),
        "exited_people": sum(r.people for r in households.values() if r.poverty_status in EXITED),
        **how,
    }
    return Frame(county, frame_villages, stats, households, summary)


# --------------------------------------------------------------------------------------------------
# A survey


def villages_of(survey: Survey) -> QuerySet[SampledVillage]:
    return (
        survey.villages.select_related("village__parent")
        .annotate(
            drawn=Count("households", distinct=True),
            done=Count(
                "households__interview",
                filter=Q(households__interview__outcome=Outcome.COMPLETED),
                distinct=True,
            ),
            visited=Count("households__interview", distinct=True),
        )
        .order_by("order")
    )


def households_of(village: SampledVillage) -> QuerySet[SampledHousehold]:
    return village.households.select_related("interview").order_by("order")


def progress(survey: Survey) -> dict[str, int]:
    counts = SampledHousehold.objects.filter(survey=survey).aggregate(
        households=Count("id"),
        added=Count("id", filter=Q(by_hand=True)),
        visited=Count("interview"),
        completed=Count("interview", filter=Q(interview__outcome=Outcome.COMPLETED)),
    )
    counts["villages"] = survey.villages.count()
    return counts


def has_results(survey: Survey) -> bool:
    return Interview.objects.filter(sampled__survey=survey).exists()


def survey_estimates(survey: Survey) -> estimates.Estimates:
    """The survey's four figures from its completed interviews (one query for the interviews)."""
    villages = [
        estimates.Village(str(v.pk), v.stratum, v.non_registered_population) for v in survey.villages.all()
    ]
    done = Interview.objects.filter(sampled__survey=survey, outcome=Outcome.COMPLETED).select_related(
        "sampled"
    )
    visits = [
        estimates.Visit(
            village=str(i.sampled.village_id),
            people=i.sampled.people,
            exited=i.sampled.exited,
            non_registered=i.sampled.non_registered,
            approves=i.approves,
            wrongly_exited=i.wrongly_exited,
            missed=i.missed,
            missed_people=i.missed_people,
        )
        for i in done
    ]
    frame = survey.frame or {}
    county = estimates.County(
        rural_population=int(frame.get("rural_population", 0)),
        registered_people=int(frame.get("registered_people", 0)),
        poor_people=int(frame.get("poor_people", 0)),
        exited_people=int(frame.get("exited_people", 0)),
    )
    return estimates.compute(visits, villages, county)


def exit_survey(county: Region, year: int) -> Survey | None:
    """The survey a county's exit check for ``year`` reads: the latest one of that county and year that is
    not superseded by a redraw and has completed interviews (None when there is none)."""
    return (
        Survey.objects.filter(county=county, year=year)
        .exclude(state=SurveyState.SUPERSEDED)
        .filter(households__interview__outcome=Outcome.COMPLETED)
        .distinct()
        .order_by("-created_at", "-id")
        .first()
    )


def exit_evaluation(survey: Survey, figures: estimates.Estimates | None = None) -> Evaluation:
    """The county exit check (policy.criteria.evaluate_county_exit) on this survey: 综合贫困发生率 with the
    missed and wrongly exited people it found, and its three rates."""
    return evaluate_county_exit(survey.county, year=survey.year, survey=survey, figures=figures)
