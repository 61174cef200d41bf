"""Reads of policy parameters: which value applies to a region and a year or day, and lists for screens.

``resolve`` is what the rules call: the most specific region wins (village → township → county → city →
province → national), among the rows valid for the year (yearly keys) or the day (dated keys). A
``Resolver`` loads a key's rows once and answers many regions from memory, for bulk steps (10,000 cases
need notice days: one query, not 10,000).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from jingzhun.core.audit import object_type
from jingzhun.core.errors import JingzhunError, ValidationFailed
from jingzhun.core.models import ObjectChange
from jingzhun.core.restrict import UserLike
from jingzhun.policy import access, catalogue
from jingzhun.policy.models import Parameter

PREFIX_LENGTHS = (2, 4, 6, 9, 12)


class ParameterMissing(JingzhunError):
    """No parameter row applies: a configuration gap the user must fill, named in Chinese."""

    code = "parameter_missing"
    status = 422


@dataclass(frozen=True)
class Resolved:
    """The value that applied, and where it came from: what a decision stores to stay explainable."""

    key: str
    value: Decimal
    unit: str
    year: int | None
    region_prefix: str
    document: str
    unconfirmed: bool
    parameter_id: int
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None

    @property
    def name(self) -> str:
        return catalogue.get(self.key).name

    @property
    def display_value(self) -> str:
        return catalogue.get(self.key).format(self.value)

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "value": format(self.value.normalize(), "f"),
            "unit": self.unit,
            "year": self.year,
            "region_prefix": self.region_prefix,
            "document": self.document,
            "unconfirmed": self.unconfirmed,
            "parameter_id": self.parameter_id,
            "effective_from": self.effective_from.isoformat() if self.effective_from else None,
            "effective_to": self.effective_to.isoformat() if self.effective_to else None,
        }

    @classmethod
    def of(cls, row: Parameter) -> Resolved:
        return cls(
            key=row.key,
            value=row.value,
            unit=catalogue.get(row.key).unit,
            year=row.year,
            region_prefix=row.region_prefix,
            document=row.document,
            unconfirmed=row.unconfirmed,
            parameter_id=row.pk,
            effective_from=row.effective_from,
            effective_to=row.effective_to,
        )


def significant_prefix(region_code: str) -> str:
    """ "620502000000" → "620502"; a prefix (2/4/6/9/12 digits) is returned as is."""
    code = (region_code or "").strip()
    if not (code.isascii() and code.isdigit()) or len(code) not in PREFIX_LENGTHS:
        raise ValidationFailed(
            f"区划代码格式不正确：{region_code}", {"region_code": ["应为2、4、6、9或12位数字"]}
        )
    if len(code) == 12:
        for n in PREFIX_LENGTHS[:-1]:
            if set(code[n:]) == {"0"}:
                return code[:n]
    return code


def candidate_prefixes(region_code: str) -> list[str]:
    """The prefixes that may hold a value for this region, most specific first, ending with national ""."""
    sig = significant_prefix(region_code)
    return [sig[:n] for n in reversed(PREFIX_LENGTHS) if n <= len(sig)] + [""]


def _applies(row: Parameter, yearly: bool, year: int, on: dt.date) -> bool:
    if row.effective_to is not None and row.effective_to < on:
        return False
    if yearly:
        return row.year == year
    return row.effective_from is not None and row.effective_from <= on


class Resolver:
    """Answers ``resolve`` for many regions from rows loaded once (one query for all given keys).

    ``region_prefixes`` narrows the load to those prefixes (``resolve`` passes one region's candidates).
    """

    def __init__(self, keys: str | Iterable[str], *, region_prefixes: Iterable[str] | None = None) -> None:
        wanted = [keys] if isinstance(keys, str) else list(keys)
        for key in wanted:
            catalogue.get(key)
        qs = Parameter.objects.filter(key__in=wanted)
        if region_prefixes is not None:
            qs = qs.filter(region_prefix__in=list(region_prefixes))
        self._rows: dict[tuple[str, str], list[Parameter]] = defaultdict(list)
        for row in qs.order_by("-effective_from", "-id"):
            self._rows[(row.key, row.region_prefix)].append(row)

    def resolve(
        self, key: str, *, region_code: str, year: int | None = None, on: dt.date | None = None
    ) -> Resolved:
        entry = catalogue.get(key)
        if on is None:
            on = dt.date(year, 12, 31) if (year is not None and not entry.yearly) else timezone.localdate()
        if entry.yearly and year is None:
            year = on.year
        for prefix in candidate_prefixes(region_code):
            for row in self._rows.get((key, prefix), ()):
                if _applies(row, entry.yearly, year or on.year, on):
                    return Resolved.of(row)
        raise ParameterMissing(_missing_message(entry, region_code, year if entry.yearly else None, on))


def _missing_message(entry: catalogue.Key, region_code: str, year: int | None, on: dt.date) -> str:
    when = f"{year}年度" if year is not None else f"{on:%Y-%m-%d}"
    return f"未设置政策参数「{entry.name}」：区划 {region_code} 及其上级、全国都没有适用于{when}的数值，请在政策参数中补充"


def resolve(key: str, *, region_code: str, year: int | None = None, on: dt.date | None = None) -> Resolved:
    """The value of ``key`` that applies to ``region_code`` for ``year`` (yearly keys) or on ``on``.

    Raises ``ParameterMissing`` when no row applies. One query.
    """
    return Resolver(key, region_prefixes=candidate_prefixes(region_code)).resolve(
        key, region_code=region_code, year=year, on=on
    )


def parameters_for(
    user: UserLike,
    *,
    key: str = "",
    region: str = "",
    year: int | None = None,
    unconfirmed: bool | None = None,
) -> QuerySet[Parameter]:
    """Parameters the user may see, filtered for the list screen. ``region`` keeps the rows that apply to
    that region (its own and its ancestors'), so "what applies in 秦州区" is one filter."""
    qs = access.parameters_for(user, "view")
    if key:
        qs = qs.filter(key=key)
    if region:
        qs = qs.filter(region_prefix__in=candidate_prefixes(region))
    if year is not None:
        qs = qs.filter(year=year)
    if unconfirmed is not None:
        qs = qs.filter(unconfirmed=unconfirmed)
    return qs.order_by("key", "region_prefix", "year", "effective_from")


def history(parameter: Parameter) -> QuerySet[ObjectChange]:
    """Every audited change to the parameter, newest first."""
    return ObjectChange.objects.filter(
        object_type=object_type(Parameter), object_id=str(parameter.pk)
    ).order_by("-time", "-id")
