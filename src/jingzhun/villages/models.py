"""Poor villages (贫困村): the register of identified villages and every village's yearly record.

A 贫困村 was identified once (2014: "一高一低一无", domain.md §2.1) and leaves the list by the village exit
procedure (出列, §3.3), whose last step (备案销号) sets ``exit_year``. The yearly record holds the facts
the exit standard looks at besides incidence: road, water, electricity, clinic, broadband, radio/TV and
the collective economy's income (§3.3), and the figures the identification rule compares with the
province (per-capita net income, registered poor people).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from jingzhun.core.restrict import Restricted


class PoorVillage(Restricted):
    """A village on the county's 贫困村 list: identified in ``identified_year``; ``exit_year`` is empty while
    it is poor. ``source_document`` names the document that listed it (the county's 2014 list, a later
    adjustment). ``version`` is the optimistic lock."""

    region_paths = ("village__code",)

    village = models.OneToOneField(
        "regions.Region", on_delete=models.PROTECT, related_name="poor_village", verbose_name="行政村"
    )
    identified_year = models.PositiveSmallIntegerField("识别年度")
    exit_year = models.PositiveSmallIntegerField("退出（出列）年度", null=True, blank=True)
    source_document = models.CharField("依据文件", max_length=200)
    note = models.TextField("说明", blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "贫困村"
        verbose_name_plural = "贫困村"
        ordering = ["village"]
        constraints = [
            models.CheckConstraint(
                condition=Q(exit_year__isnull=True) | Q(exit_year__gte=F("identified_year")),
                name="villages_exit_after_identified",
                violation_error_message="退出年度不能早于识别年度",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.village.name}（{self.identified_year}年识别）"

    @property
    def is_poor(self) -> bool:
        return self.exit_year is None

    def poor_in(self, year: int) -> bool:
        """On the list during ``year``: identified by then and not exited before it."""
        return self.identified_year <= year and (self.exit_year is None or self.exit_year >= year)


class VillageYear(Restricted):
    """One village's yearly record (村级年度情况). Yes/no facts are empty when not filled: a criterion then
    fails as 未填写 (it must be verified), as with households."""

    region_paths = ("village__code",)

    village = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="village_years", verbose_name="行政村"
    )
    year = models.PositiveSmallIntegerField("年度")
    hardened_road = models.BooleanField("通硬化路", null=True, blank=True)
    safe_water_coverage = models.DecimalField(
        "安全饮水覆盖率",
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="0到1之间，95%填0.95",
    )
    power = models.BooleanField("通动力电", null=True, blank=True)
    clinic = models.BooleanField("有标准化卫生室和合格村医", null=True, blank=True)
    broadband = models.BooleanField("通宽带", null=True, blank=True)
    radio_tv = models.BooleanField("通广播电视", null=True, blank=True)
    collective_income = models.DecimalField(
        "村集体经济收入（元）", max_digits=14, decimal_places=2, null=True, blank=True
    )
    per_capita_income = models.DecimalField(
        "农民人均纯收入（元）", max_digits=12, decimal_places=2, null=True, blank=True
    )
    rural_population = models.PositiveIntegerField("农村户籍人口", null=True, blank=True)
    poor_population = models.PositiveIntegerField(
        "建档立卡贫困人口", null=True, blank=True, help_text="年末剩余贫困人口；不填则按登记系统计算"
    )
    note = models.TextField("说明", blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "村级年度情况"
        verbose_name_plural = "村级年度情况"
        ordering = ["village", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["village", "year"],
                name="villages_year_unique",
                violation_error_message="该村这个年度已有记录",
            ),
            models.CheckConstraint(
                condition=Q(safe_water_coverage__isnull=True)
                | Q(safe_water_coverage__gte=0, safe_water_coverage__lte=1),
                name="villages_water_coverage_ratio",
                violation_error_message="安全饮水覆盖率应在0到1之间",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.village.name} {self.year}年度"
