"""Assistance (帮扶): who is paired with a household (帮扶结对) and what is done for it each year (帮扶措施).

Both hang off a register household; their writes go through ``services`` (audited) or, for generated
demonstration data, ``generate``. Field names follow the national system's helper tab (domain.md §1.2).
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q

from jingzhun.assistance.choices import MeasureFamily, UnitLevel

FIRST_YEAR, LAST_YEAR = 1978, 2100


class PairingQuerySet(models.QuerySet["Pairing"]):
    def active_on(self, day: dt.date) -> PairingQuerySet:
        """Pairings in force on ``day``: started on or before it, not ended before it."""
        return self.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=day), started_on__lte=day)


class Pairing(models.Model):
    """A helper (帮扶责任人) paired with a household from ``started_on`` to ``ended_on`` (null: still paired)."""

    household = models.ForeignKey(
        "registry.Household", on_delete=models.CASCADE, related_name="pairings", verbose_name="户"
    )
    helper_name = models.CharField("帮扶责任人姓名", max_length=40)
    helper_unit = models.CharField("帮扶单位", max_length=100)
    unit_level = models.CharField("单位隶属关系", max_length=1, choices=UnitLevel.choices)
    helper_phone = models.CharField("联系电话", max_length=20, blank=True)
    started_on = models.DateField("帮扶开始日期")
    ended_on = models.DateField("帮扶结束日期", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PairingQuerySet.as_manager()

    class Meta:
        verbose_name = "帮扶结对"
        verbose_name_plural = "帮扶结对"
        constraints = [
            models.UniqueConstraint(
                fields=["household", "helper_name", "started_on"], name="assistance_pairing_unique"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="assistance_pairing_dates",
                violation_error_message="帮扶结束日期不能早于帮扶开始日期",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.helper_name}（{self.helper_unit}）帮扶{self.household_id}号户"

    def active_on(self, day: dt.date) -> bool:
        return self.started_on <= day and (self.ended_on is None or self.ended_on >= day)


class Measure(models.Model):
    """One family of assistance measures for a household in a year, and whether it was carried out."""

    household = models.ForeignKey(
        "registry.Household", on_delete=models.CASCADE, related_name="measures", verbose_name="户"
    )
    year = models.PositiveSmallIntegerField("年度")
    family = models.CharField("措施类别", max_length=2, choices=MeasureFamily.choices)
    implemented = models.BooleanField("是否已实施", default=False)
    note = models.TextField("备注", blank=True)

    class Meta:
        verbose_name = "帮扶措施"
        verbose_name_plural = "帮扶措施"
        constraints = [
            models.UniqueConstraint(fields=["household", "year", "family"], name="assistance_measure_unique"),
            models.CheckConstraint(
                condition=Q(year__gte=FIRST_YEAR) & Q(year__lte=LAST_YEAR),
                name="assistance_measure_year",
                violation_error_message=f"年度应在{FIRST_YEAR}到{LAST_YEAR}之间",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年{self.get_family_display()}帮扶（{self.household_id}号户）"
