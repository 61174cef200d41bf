"""Policy parameters as data: the numbers the rules use, per region and year, with their documents.

The poverty line, the monitoring range, notice days, deadlines and exit thresholds differ by year and by
province or county (domain.md §2.2, §3.1, §3.3, §3.4, §4.3, §4.6, §4.7, §10.1), so none of them is a
constant in code. ``selectors.resolve`` picks the most specific row that applies.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from jingzhun.core.restrict import Restricted
from jingzhun.policy.catalogue import CATALOGUE, CHOICES, Key


class Parameter(Restricted):
    """One value of a policy parameter (政策参数) for a region and a year or a period (domain.md §3.1, §4.3).

    ``region_prefix`` is the significant digits of the region code it applies to ("" = national, "62" =
    甘肃, "620502" = 秦州区), so "the most specific row" is the longest prefix of the asked code. It is not
    a foreign key on purpose: shipped defaults for 云南 or 河南 must load before (or without) that
    province's division list. Yearly keys (the poverty line, the monitoring range) hold one row per income
    ``year``; the other keys hold ``effective_from`` … ``effective_to`` (inclusive; open-ended when empty).
    A yearly row with ``effective_to`` set was withdrawn on that day. ``unconfirmed`` marks numbers
    domain.md calls UNCONFIRMED: shipped only as editable defaults, shown as 待确认.
    ``version`` is the optimistic lock.
    """

    region_paths = ("region_prefix",)
    region_covering = "region_prefix"

    key = models.CharField("参数", max_length=50, choices=CHOICES)
    region_prefix = models.CharField(
        "适用区划", max_length=12, blank=True, help_text="区划代码前缀；空 = 全国"
    )
    year = models.PositiveSmallIntegerField("年度", null=True, blank=True)
    effective_from = models.DateField("生效日期", null=True, blank=True)
    effective_to = models.DateField(
        "失效日期", null=True, blank=True, help_text="最后有效的一天；空 = 长期有效"
    )
    value = models.DecimalField("数值", max_digits=14, decimal_places=4)
    document = models.CharField("文件名称/文号", max_length=200)
    document_date = models.DateField("发文日期", null=True, blank=True)
    source = models.CharField("出处", max_length=400, blank=True, help_text="数值的来源（domain.md 所引）")
    note = models.TextField("说明", blank=True)
    unconfirmed = models.BooleanField("待确认", default=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "政策参数"
        verbose_name_plural = "政策参数"
        ordering = ["key", "region_prefix", "year", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "region_prefix", "year"],
                condition=Q(year__isnull=False),
                name="policy_parameter_year_unique",
                violation_error_message="该参数在这个区划、这个年度已有数值",
            ),
            models.UniqueConstraint(
                fields=["key", "region_prefix", "effective_from"],
                condition=Q(effective_from__isnull=False),
                name="policy_parameter_from_unique",
                violation_error_message="该参数在这个区划、这个生效日期已有数值",
            ),
            models.CheckConstraint(
                condition=Q(year__isnull=False) | Q(effective_from__isnull=False),
                name="policy_parameter_year_or_from",
                violation_error_message="年度和生效日期至少填写一项",
            ),
        ]
        # Resolution reads all rows of one key at once; the unique constraints' leading column serves it.

    def __str__(self) -> str:
        entry = CATALOGUE.get(self.key)
        name = entry.name if entry else self.key
        when = f"{self.year}年度" if self.year is not None else f"自{self.effective_from}"
        return f"{name} {self.region_prefix or '全国'} {when}"

    @property
    def entry(self) -> Key:
        return CATALOGUE[self.key]

    @property
    def display_value(self) -> str:
        return CATALOGUE[self.key].format(self.value) if self.key in CATALOGUE else str(self.value)
