"""Pre-aggregated indicator values (指标): one number per indicator, region, period and breakdown value.

Every figure a report or dashboard shows is read from here, computed once from the register's snapshot
(``refresh.py``) with the one definition in ``indicators.py``. ``region_code`` is the 12-digit code of a
village, township, county, city or province; the value of a region is the sum over its villages (rates
keep numerator and denominator so they roll up correctly).
"""

from __future__ import annotations

from django.db import models


class IndicatorValue(models.Model):
    code = models.CharField("指标代码", max_length=40)
    region_code = models.CharField("区划代码", max_length=12)
    level = models.PositiveSmallIntegerField("层级")
    year = models.PositiveSmallIntegerField("年度")
    dim = models.CharField("分组", max_length=20, blank=True)
    value = models.DecimalField("数值", max_digits=18, decimal_places=4)
    numerator = models.BigIntegerField("分子", null=True, blank=True)
    denominator = models.BigIntegerField("分母", null=True, blank=True)
    refreshed_at = models.DateTimeField("更新时间")

    class Meta:
        verbose_name = "指标值"
        verbose_name_plural = "指标值"
        constraints = [
            models.UniqueConstraint(fields=["region_code", "year", "code", "dim"], name="analytics_value_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.region_code} {self.year} {self.dim}={self.value}"
