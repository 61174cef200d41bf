"""Administrative and statistical divisions: province → city → county → township → village."""

from __future__ import annotations

from django.db import models

from jingzhun.core.restrict import Restricted
from jingzhun.regions.choices import PREFIX_LENGTH, Level, UrbanRural


def pad(prefix: str) -> str:
    """The 12-digit statistical code of a region given its significant digits (62 → 620000000000)."""
    return prefix.ljust(12, "0")


def level_of_prefix(prefix: str) -> Level:
    for level, length in PREFIX_LENGTH.items():
        if len(prefix) == length:
            return Level(level)
    raise ValueError(f"区划代码长度不正确：{prefix}")


class Region(Restricted):
    """A division with its NBS 12-digit statistical code (统计用区划代码, domain.md §1.4).

    ``code`` is always 12 digits; ``prefix`` is the part that identifies the region at its level
    (2, 4, 6, 9 or 12 digits), so "everything in this county" is ``code LIKE '620502%'`` — the
    jurisdiction filter every restricted query uses. The first 6 digits are the GB/T 2260 code.
    """

    region_paths = ("code",)

    code = models.CharField("统计用区划代码", max_length=12, primary_key=True)
    prefix = models.CharField("区划前缀", max_length=12, unique=True)
    level = models.PositiveSmallIntegerField("层级", choices=Level.choices, db_index=True)
    name = models.CharField("名称", max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name="上级"
    )
    urban_rural_class = models.CharField("城乡分类代码", max_length=3, choices=UrbanRural.choices, blank=True)
    rural_population = models.PositiveIntegerField("农村户籍人口", null=True, blank=True)
    natural_villages = models.TextField("自然村/村民小组", blank=True, help_text="每行一个")

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def gb_code(self) -> str:
        """GB/T 2260 six-digit code (county and above)."""
        return self.code[:6]

    def ancestor_codes(self) -> list[str]:
        return [pad(self.prefix[:n]) for lvl, n in PREFIX_LENGTH.items() if n < len(self.prefix)]

    def ancestors(self) -> list[Region]:
        codes = self.ancestor_codes()
        found = {r.code: r for r in Region.objects.filter(code__in=codes)}
        return [found[c] for c in codes if c in found]

    def full_name(self) -> str:
        return "".join(r.name for r in [*self.ancestors(), self] if r.name != "市辖区")

    def contains(self, code: str) -> bool:
        return code.startswith(self.prefix)
