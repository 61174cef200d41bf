"""The assessment survey (第三方评估): a sample drawn the way assessors draw it, and what the visits found.

An exit assessment visits a sample of villages of a county, by stratum (贫困村 / 非贫困村), and in each
village a fixed number of households in fixed proportions of registered and non-registered households
(广东 2018: 5:3:2; domain.md §6). From the visits come the "三率一度" of a county exit: 错退率, 漏评率,
群众认可度 and 综合贫困发生率 (§3.4), computed in ``estimates.py``.

The sample is a snapshot: who was drawn, with the register's facts at the time of the draw (household
size, status, village population), so the estimates of a survey never change when the register does.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from jingzhun.assessment.choices import Group, Outcome, Stratum, SurveyState
from jingzhun.core.restrict import Restricted
from jingzhun.registry.choices import PovertyStatus

EXITED = frozenset({PovertyStatus.EXITED_ENJOYING, PovertyStatus.EXITED_NOT_ENJOYING})


class Survey(Restricted):
    """One assessment survey of a county for a year (县级退出专项评估检查 / 第三方评估, domain.md §3.4, §6).

    ``seed`` makes the draw reproducible: the same register, design and seed give the same sample.
    ``design`` holds the parameters of the draw (villages per stratum, households per village, the ratio
    of the groups, how villages are put in strata); ``frame`` the counts of the frame it was drawn from
    and the county's population figures at the draw. A redraw is a new survey (``redrawn_from``); a survey
    with results is never changed by one.
    """

    region_paths = ("county__code",)

    name = models.CharField("调查名称", max_length=100)
    county = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="县"
    )
    year = models.PositiveSmallIntegerField("评估年度")
    seed = models.PositiveBigIntegerField("随机种子")
    design = models.JSONField("抽样设计", default=dict)
    frame = models.JSONField("抽样框", default=dict, help_text="抽样时的村数、户数和人口")
    state = models.CharField("状态", max_length=12, choices=SurveyState.choices, default=SurveyState.DRAWN)
    redrawn_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="redraws", verbose_name="重抽自"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_name = models.CharField("抽样人", max_length=150)
    created_at = models.DateTimeField("抽样时间", auto_now_add=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "评估调查"
        verbose_name_plural = "评估调查"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["county", "year"], name="assessment_survey_county")]

    def __str__(self) -> str:
        return f"{self.name}（种子 {self.seed}）"

    @property
    def open_for_results(self) -> bool:
        return self.state in (SurveyState.DRAWN, SurveyState.FIELDWORK)


class SampledVillage(Restricted):
    """A village drawn into a survey, in its stratum, with its population as the register had it then.

    ``rural_population`` and ``registered_people`` give the village's non-registered rural population,
    the denominator of 漏评率 (§3.4); ``frame_counts`` the households of each group it had to draw from.
    """

    region_paths = ("survey__county__code",)

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="villages")
    village = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="行政村"
    )
    stratum = models.CharField("层", max_length=10, choices=Stratum.choices)
    order = models.PositiveSmallIntegerField("抽中顺序")
    rural_population = models.PositiveIntegerField("农村户籍人口", null=True, blank=True)
    registered_people = models.PositiveIntegerField("建档立卡人口", default=0)
    frame_counts = models.JSONField("各组可抽户数", default=dict)

    class Meta:
        verbose_name = "抽中村"
        verbose_name_plural = "抽中村"
        ordering = ["survey", "order"]
        constraints = [models.UniqueConstraint(fields=["survey", "village"], name="assessment_village_once")]

    def __str__(self) -> str:
        return f"{self.village.name}（{self.get_stratum_display()}）"

    @property
    def non_registered_population(self) -> int | None:
        if self.rural_population is None:
            return None
        return max(self.rural_population - self.registered_people, 0)


class SampledHousehold(Restricted):
    """A household to visit: drawn from the register (``household``), or added by hand by the assessors
    because it is in no register (``by_hand``; real assessors also screen such households, §6).

    Number, head's name, group and size are copied at the draw: the interview list prints them and the
    estimates count them as they were. No ID or phone number is kept here.
    """

    region_paths = ("survey__county__code",)

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="households")
    village = models.ForeignKey(SampledVillage, on_delete=models.CASCADE, related_name="households")
    household = models.ForeignKey(
        "registry.Household",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="农户",
    )
    group = models.CharField("抽样组", max_length=30, choices=Group.choices)
    order = models.PositiveSmallIntegerField("村内序号")
    household_number = models.CharField("户编号", max_length=30, blank=True)
    head_name = models.CharField("户主姓名", max_length=50)
    natural_village = models.CharField("自然村/组", max_length=60, blank=True)
    address = models.CharField("住址", max_length=200, blank=True)
    people = models.PositiveSmallIntegerField("家庭人口")
    poverty_status = models.CharField(
        "抽样时脱贫状态", max_length=1, choices=PovertyStatus.choices, blank=True
    )
    by_hand = models.BooleanField("调查时补充", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "抽中户"
        verbose_name_plural = "抽中户"
        ordering = ["village__order", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "household"],
                condition=Q(household__isnull=False),
                name="assessment_household_once",
                violation_error_message="同一户在一次调查中只能抽中一次",
            ),
            models.UniqueConstraint(fields=["village", "order"], name="assessment_household_order"),
        ]

    def __str__(self) -> str:
        return f"{self.head_name}户（{self.household_number or '补充'}）"

    @property
    def exited(self) -> bool:
        """An exited registered household: asked whether it was wrongly exited (错退)."""
        return self.poverty_status in EXITED

    @property
    def non_registered(self) -> bool:
        """A non-registered household: asked whether it was wrongly left out (漏评)."""
        return self.group == Group.NON_REGISTERED


class Interview(models.Model):
    """What the visit to a sampled household found (入户调查结果).

    Every completed interview asks whether the household approves (认可) of the identification and exit
    work in the village; an exited household is judged wrongly exited (错退) or not, with the reason; a
    non-registered household is judged missed (漏评) or not, with the number of people missed.
    """

    sampled = models.OneToOneField(SampledHousehold, on_delete=models.CASCADE, related_name="interview")
    outcome = models.CharField("访问结果", max_length=12, choices=Outcome.choices, default=Outcome.COMPLETED)
    visited_on = models.DateField("访问日期")
    interviewers = models.CharField("调查员", max_length=100)
    approves = models.BooleanField("是否认可", null=True, blank=True)
    wrongly_exited = models.BooleanField("是否错退", null=True, blank=True)
    wrong_exit_reason = models.CharField("错退原因", max_length=200, blank=True)
    missed = models.BooleanField("是否漏评", null=True, blank=True)
    missed_people = models.PositiveSmallIntegerField("漏评人数", null=True, blank=True)
    notes = models.TextField("备注", blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_by_name = models.CharField("录入人", max_length=150)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "入户调查结果"
        verbose_name_plural = "入户调查结果"

    def __str__(self) -> str:
        return f"{self.sampled} {self.get_outcome_display()}"
