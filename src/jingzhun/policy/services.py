"""Writes of policy parameters: validated, optimistic-locked, audited, one transaction each.

As in the registry, the caller has already decided that the user may write: an existing row comes from
``access.access_parameter(user, id, "change")`` and a new row's region passed ``access.require_edit``.
A row is one (key, region, year or start date): editing the 2019 line touches only the 2019 row, so a
decision taken under another year's number is never changed (and procedures keep their own snapshots).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from jingzhun.core import audit
from jingzhun.core.errors import ValidationFailed
from jingzhun.core.locking import bump_version
from jingzhun.core.models import ChangeAction
from jingzhun.policy import catalogue
from jingzhun.policy.models import Parameter
from jingzhun.regions.models import Region

EDITABLE = (
    "value",
    "document",
    "document_date",
    "source",
    "note",
    "unconfirmed",
    "effective_from",
    "effective_to",
)
PREFIX_LENGTHS = (2, 4, 6, 9, 12)
MAX_VALUE = Decimal("1000000000")
CONFLICT = "该政策参数已被他人修改，请刷新后在最新内容上重新修改"


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, {field: [message]})


def _check_region(prefix: str) -> str:
    prefix = (prefix or "").strip()
    if not prefix:
        return ""
    if not (prefix.isascii() and prefix.isdigit()) or len(prefix) not in PREFIX_LENGTHS:
        raise _fail("region_prefix", f"适用区划应为2、4、6、9或12位区划代码前缀（空表示全国）：{prefix}")
    if not Region.objects.filter(prefix=prefix).exists():
        raise _fail("region_prefix", f"适用区划 {prefix} 不存在：请先导入区划")
    return prefix


def _check_value(entry: catalogue.Key, raw: Any) -> Decimal:
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise _fail("value", f"数值应为数字：{raw}") from None
    if not value.is_finite() or value < 0 or value >= MAX_VALUE:
        raise _fail("value", f"数值应为不小于0的有限数字：{raw}")
    if value.as_tuple().exponent < -4:  # type: ignore[operator]  # finite (checked above): an int
        raise _fail("value", "数值最多4位小数")
    if entry.ratio and value > 1:
        raise _fail("value", f"{entry.name}是比例，应在0到1之间（2%填0.02）：{raw}")
    if entry.switch and value not in (0, 1):
        raise _fail("value", f"{entry.name}填1（是）或0（否）：{raw}")
    if entry.integer and value != value.to_integral():
        raise _fail("value", f"{entry.name}应为整数{entry.unit}：{raw}")
    if entry.unit == catalogue.SWITCH and value not in (0, 1):
        raise _fail("value", f"{entry.name}应填1（要求）或0（不要求）：{raw}")
    if entry.key == catalogue.NOTICE_DAYS_MONITORING and value < 5:
        raise _fail("value", "监测对象识别公示不少于5天（§4.6）")
    return value.quantize(Decimal("0.0001"))


def _check_period(entry: catalogue.Key, row: Parameter) -> None:
    if entry.yearly:
        if row.year is None or not 1978 <= row.year <= 2100:
            raise _fail("year", f"{entry.name}按年度设置：请填写年度（1978—2100）")
        if row.effective_from is not None:
            raise _fail("effective_from", f"{entry.name}按年度设置，不填生效日期")
    else:
        if row.effective_from is None:
            raise _fail("effective_from", f"{entry.name}按生效日期设置：请填写生效日期")
        if row.year is not None:
            raise _fail("year", f"{entry.name}按生效日期设置，不填年度")
    if row.effective_to and row.effective_from and row.effective_to < row.effective_from:
        raise _fail("effective_to", "失效日期不能早于生效日期")


def _check_unique(row: Parameter) -> None:
    clash = Parameter.objects.filter(key=row.key, region_prefix=row.region_prefix).exclude(pk=row.pk)
    where = row.region_prefix or "全国"
    if row.year is not None and clash.filter(year=row.year).exists():
        raise _fail("year", f"{row.entry.name}在 {where} 的 {row.year} 年度已有数值：请修改那一条")
    if row.effective_from is not None and clash.filter(effective_from=row.effective_from).exists():
        raise _fail(
            "effective_from", f"{row.entry.name}在 {where} 自 {row.effective_from} 起已有数值：请修改那一条"
        )


def _check(row: Parameter) -> None:
    entry = catalogue.get(row.key)
    row.value = _check_value(entry, row.value)
    row.document = (row.document or "").strip()
    if not row.document:
        raise _fail("document", "请填写文件名称或文号（没有文件时写明依据）")
    if len(row.document) > 200:
        raise _fail("document", "文件名称/文号不能超过200个字")
    if len(row.source) > 400:
        raise _fail("source", "出处不能超过400个字")
    _check_period(entry, row)
    _check_unique(row)


@transaction.atomic
def create_parameter(
    *,
    actor: audit.Actor,
    key: str,
    region_prefix: str,
    value: Decimal | str | int,
    document: str,
    year: int | None = None,
    effective_from: dt.date | None = None,
    effective_to: dt.date | None = None,
    document_date: dt.date | None = None,
    source: str = "",
    note: str = "",
    unconfirmed: bool = False,
) -> Parameter:
    catalogue.get(key)
    row = Parameter(
        key=key,
        region_prefix=_check_region(region_prefix),
        year=year,
        effective_from=effective_from,
        effective_to=effective_to,
        value=value,
        document=document,
        document_date=document_date,
        source=source or "",
        note=note or "",
        unconfirmed=unconfirmed,
    )
    _check(row)
    row.save()
    audit.record(actor, ChangeAction.CREATE, row)
    return row


@transaction.atomic
def update_parameter(
    *, actor: audit.Actor, parameter: Parameter, expected_version: int, data: dict[str, Any]
) -> Parameter:
    """Change a row's value, document, note, confirmation or dates. Key, region and year are the row's
    identity: a different year or region is a new row (``create_parameter``)."""
    unknown = set(data) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(f"不能修改的字段：{', '.join(sorted(unknown))}（参数、区划、年度请新建一条）")
    before = audit.snapshot(parameter)
    for name, value in data.items():
        setattr(parameter, name, "" if value is None and name in ("source", "note") else value)
    _check(parameter)
    if audit.snapshot(parameter) == before:
        return parameter  # nothing changed: no new version, no audit noise
    bump_version(parameter, expected_version, message=CONFLICT)
    parameter.save()
    audit.record(actor, ChangeAction.UPDATE, parameter, before=before)
    return parameter


@transaction.atomic
def end_parameter(
    *, actor: audit.Actor, parameter: Parameter, expected_version: int, effective_to: dt.date
) -> Parameter:
    """Retire a row: it applies up to and including ``effective_to``, and the next row (or a gap) after."""
    if parameter.effective_to is not None:
        raise _fail("effective_to", f"该参数已于 {parameter.effective_to} 失效，不能重复停用")
    return update_parameter(
        actor=actor,
        parameter=parameter,
        expected_version=expected_version,
        data={"effective_to": effective_to},
    )
