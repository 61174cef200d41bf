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

    class Meta:
        verbose_name = "指标值"
        verbose_name_plural = "指标值"
        constraints = [
            models.UniqueConstraint(
                fields=["region_code", "year", "code", "dim"], name="analytics_value_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.region_code} {self.year} {self.dim}={self.value}"


class IndicatorRefresh(models.Model):
    """When a region's figures for a year were last computed (a refresh writes only the values that changed,
    so the time is kept once per region rather than on every value)."""

    region_code = models.CharField("区划代码", max_length=12)
    year = models.PositiveSmallIntegerField("年度")
    refreshed_at = models.DateTimeField("计算时间")

    class Meta:
        verbose_name = "指标计算时间"
        verbose_name_plural = "指标计算时间"
        constraints = [
            models.UniqueConstraint(fields=["region_code", "year"], name="analytics_refresh_unique")
        ]

    def __str__(self) -> str:
        return f"{self.region_code} {self.year} {self.refreshed_at:%Y-%m-%d %H:%M}"


class StagedValue(models.Model):
    """The values one refresh computed, staged in a temporary table of its transaction and compared with
    ``IndicatorValue`` there (``refresh._replace``). Not a table of the schema: the refresh creates it."""

    code = models.CharField(max_length=40)
    region_code = models.CharField(max_length=12)
    level = models.SmallIntegerField()
    year = models.SmallIntegerField()
    dim = models.CharField(max_length=20)
    value = models.DecimalField(max_digits=18, decimal_places=4)
    numerator = models.BigIntegerField(null=True)
    denominator = models.BigIntegerField(null=True)

    class Meta:
        managed = False
        db_table = "analytics_staged_value"

    def __str__(self) -> str:
        return f"{self.code} {self.region_code} {self.year} {self.dim}={self.value}"
