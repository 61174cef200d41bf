"""Writes of poor villages and village yearly records: validated, optimistic-locked, audited, one
transaction each. The caller has already decided that the user may write (``access``).

The 贫困村 list of a county is entered one village at a time or imported as a list of 12-digit village
codes; a list with a bad line is refused whole with every bad line named (nothing half-imported). The exit
year is set only by the village exit procedure's last step (``record_exit``), never by a form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from jingzhun.core import audit
from jingzhun.core.errors import ConcurrentEditError, ValidationFailed
from jingzhun.core.models import ChangeAction
from jingzhun.regions.choices import Level
from jingzhun.regions.models import Region
from jingzhun.villages.models import PoorVillage, VillageYear

MIN_YEAR, MAX_YEAR = 1978, 2100
MAX_IMPORT = 5000
YES_NO_FIELDS = ("hardened_road", "power", "clinic", "broadband", "radio_tv")
MONEY_FIELDS = ("collective_income", "per_capita_income")
COUNT_FIELDS = ("rural_population", "poor_population")
RECORD_FIELDS = (*YES_NO_FIELDS, "safe_water_coverage", *MONEY_FIELDS, *COUNT_FIELDS, "note")
LABELS = {f.name: str(f.verbose_name) for f in VillageYear._meta.fields}
MAX_MONEY = Decimal("1000000000000")


def _fail(field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, {field_name: [message]})


def _year(value: Any, field_name: str, label: str) -> int:
    text = str(value).strip() if value is not None else ""
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()):
        raise _fail(field_name, f"{label}应为4位年份")
    year = int(text)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _fail(field_name, f"{label}应在{MIN_YEAR}—{MAX_YEAR}年之间")
    return year


def _text(value: Any, field_name: str, label: str, max_length: int, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise _fail(field_name, f"请填写{label}")
    if len(text) > max_length:
        raise _fail(field_name, f"{label}不能超过{max_length}个字")
    return text


def _lock(model: type[Any], obj: Any, expected_version: int) -> None:
    if obj.version != expected_version:
        raise ConcurrentEditError()
    updated = model.objects.filter(pk=obj.pk, version=expected_version).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    if updated != 1:
        raise ConcurrentEditError()
    obj.version = expected_version + 1


# --------------------------------------------------------------------------------------------------
# The 贫困村 list


def _check_village(region: Region) -> None:
    if region.level != Level.VILLAGE:
        raise _fail("village", f"{region.name}（{region.code}）不是行政村：贫困村应为12位村级区划")


@transaction.atomic
def add_poor_village(
    *, actor: audit.Actor, village: Region, identified_year: Any, source_document: Any, note: Any = ""
) -> PoorVillage:
    """Put one village on the 贫困村 list."""
    _check_village(village)
    year = _year(identified_year, "identified_year", "识别年度")
    document = _text(source_document, "source_document", "依据文件", 200)
    if PoorVillage.objects.filter(village=village).exists():
        raise _fail("village", f"{village.name}（{village.code}）已在贫困村名单中")
    row = PoorVillage.objects.create(
        village=village,
        identified_year=year,
        source_document=document,
        note=_text(note, "note", "说明", 2000, required=False),
    )
    audit.record(actor, ChangeAction.CREATE, row)
    return row


@dataclass
class ImportResult:
    created: list[PoorVillage] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # codes already on the list (left as they were)


CODE_SPLIT = re.compile(r"[\s,，;；、]+")


def parse_codes(text: str) -> list[tuple[int, str]]:
    """(line number, code) of every code in a pasted or uploaded list: one or more per line, separated by
    spaces, commas or semicolons; a first line that is a heading (村代码, code …) is skipped."""
    found = []
    for number, line in enumerate((text or "").splitlines(), 1):
        line = line.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        for token in CODE_SPLIT.split(line):
            if token:
                found.append((number, token.strip("\"'")))
    if found and not found[0][1].isdigit() and any(w in found[0][1].lower() for w in ("代码", "code")):
        found = [f for f in found if f[0] != found[0][0]]
    return found


@transaction.atomic
def import_poor_villages(
    *, actor: audit.Actor, county: Region, text: str, identified_year: Any, source_document: Any
) -> ImportResult:
    """Put the villages of a list of 12-digit codes on the county's 贫困村 list. Every code must be a village
    of ``county``; any bad line refuses the whole list, each named by line and code."""
    year = _year(identified_year, "identified_year", "识别年度")
    document = _text(source_document, "source_document", "依据文件", 200)
    entries = parse_codes(text)
    if not entries:
        raise _fail("codes", "名单中没有村代码：请每行填写一个12位村代码")
    if len(entries) > MAX_IMPORT:
        raise _fail("codes", f"一次最多导入{MAX_IMPORT}个村")
    villages = {
        r.code: r for r in Region.objects.filter(code__in=[c for _, c in entries], level=Level.VILLAGE)
    }
    errors, seen, wanted = [], set(), []
    for number, code in entries:
        where = f"第{number}行 {code}"
        if not (code.isascii() and code.isdigit() and len(code) == 12):
            errors.append(f"{where}：村代码应为12位数字")
        elif code not in villages:
            errors.append(f"{where}：不是已导入的行政村代码")
        elif not code.startswith(county.prefix):
            errors.append(f"{where}：{villages[code].name}不在{county.name}")
        elif code in seen:
            errors.append(f"{where}：与前面的行重复")
        else:
            seen.add(code)
            wanted.append(villages[code])
    if errors:
        shown = "；".join(errors[:20]) + (f"；另有{len(errors) - 20}行有误" if len(errors) > 20 else "")
        raise ValidationFailed(f"名单有误，未导入任何村：{shown}", {"codes": errors})
    listed = set(PoorVillage.objects.filter(village__in=wanted).values_list("village_id", flat=True))
    result = ImportResult(already=sorted(listed))
    for village in wanted:
        if village.code in listed:
            continue
        row = PoorVillage.objects.create(village=village, identified_year=year, source_document=document)
        audit.record(actor, ChangeAction.CREATE, row)
        result.created.append(row)
    return result


@transaction.atomic
def update_poor_village(
    *, actor: audit.Actor, poor_village: PoorVillage, expected_version: int, data: dict[str, Any]
) -> PoorVillage:
    """Correct the identified year, document or note (the exit year is the exit procedure's)."""
    unknown = set(data) - {"identified_year", "source_document", "note"}
    if unknown:
        raise ValidationFailed(
            f"不能修改的字段：{'、'.join(sorted(unknown))}（退出年度由贫困村退出程序写入）"
        )
    before = audit.snapshot(poor_village)
    if "identified_year" in data:
        poor_village.identified_year = _year(data["identified_year"], "identified_year", "识别年度")
        if poor_village.exit_year is not None and poor_village.exit_year < poor_village.identified_year:
            raise _fail("identified_year", f"识别年度不能晚于退出年度 {poor_village.exit_year}")
    if "source_document" in data:
        poor_village.source_document = _text(data["source_document"], "source_document", "依据文件", 200)
    if "note" in data:
        poor_village.note = _text(data["note"], "note", "说明", 2000, required=False)
    _lock(PoorVillage, poor_village, expected_version)
    poor_village.save()
    audit.record(actor, ChangeAction.UPDATE, poor_village, before=before)
    return poor_village


@transaction.atomic
def record_exit(*, actor: audit.Actor, village: Region, year: int, root: Any = None) -> PoorVillage:
    """备案销号: the village left the list in ``year`` (called by the village exit procedure's last step)."""
    row = PoorVillage.objects.select_for_update().filter(village=village).first()
    if row is None:
        raise ValidationFailed(f"{village.name}不在贫困村名单中，不能办理退出")
    if row.exit_year is not None:
        raise ValidationFailed(f"{village.name}已于{row.exit_year}年退出")
    if year < row.identified_year:
        raise _fail("year", f"退出年度不能早于识别年度 {row.identified_year}")
    before = audit.snapshot(row)
    row.exit_year = year
    row.version += 1
    row.save()
    audit.record(actor, ChangeAction.UPDATE, row, before=before, root=root)
    return row


# --------------------------------------------------------------------------------------------------
# Village yearly records


def _yes_no(value: Any, name: str) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "是", "true", "yes", "y"):
        return True
    if text in ("0", "否", "false", "no", "n"):
        return False
    raise _fail(name, f"{LABELS[name]}应为“是”或“否”：{value}")


def _number(value: Any, name: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise _fail(name, f"{LABELS[name]}应为数字")
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise _fail(name, f"{LABELS[name]}应为数字：{value}") from None
    if not number.is_finite() or number < 0:
        raise _fail(name, f"{LABELS[name]}应为不小于0的数字：{value}")
    return number


def _clean_record(data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(RECORD_FIELDS)
    if unknown:
        raise ValidationFailed(
            f"未知的字段：{'、'.join(sorted(unknown))}", {k: ["未知的字段"] for k in sorted(unknown)}
        )
    clean: dict[str, Any] = {}
    for name, value in data.items():
        if name in YES_NO_FIELDS:
            clean[name] = _yes_no(value, name)
        elif name == "safe_water_coverage":
            number = _number(value, name)
            if number is not None and number > 1:
                raise _fail(name, f"安全饮水覆盖率是比例，应在0到1之间（95%填0.95）：{value}")
            if number is not None and number.as_tuple().exponent < -4:  # type: ignore[operator]  # finite: an int
                raise _fail(name, "安全饮水覆盖率最多4位小数")
            clean[name] = number
        elif name in MONEY_FIELDS:
            number = _number(value, name)
            if number is not None and (number >= MAX_MONEY or number.as_tuple().exponent < -2):  # type: ignore[operator]  # finite: an int
                raise _fail(name, f"{LABELS[name]}应为不超过两位小数的金额：{value}")
            clean[name] = number
        elif name in COUNT_FIELDS:
            number = _number(value, name)
            if number is not None and (number != number.to_integral() or number > 10_000_000):
                raise _fail(name, f"{LABELS[name]}应为整数人数：{value}")
            clean[name] = int(number) if number is not None else None
        else:
            clean[name] = _text(value, name, "说明", 2000, required=False)
    if (
        clean.get("rural_population") is not None
        and clean.get("poor_population") is not None
        and clean["poor_population"] > clean["rural_population"]
    ):
        raise _fail("poor_population", "建档立卡贫困人口不能多于农村户籍人口")
    return clean


@transaction.atomic
def save_village_year(
    *, actor: audit.Actor, village: Region, year: Any, data: dict[str, Any], expected_version: int = 0
) -> VillageYear:
    """Enter or correct a village's record of ``year``. ``expected_version`` is the record's version the
    form was opened on (0 for a new record): a record saved meanwhile by someone else is not overwritten."""
    _check_village(village)
    year = _year(year, "year", "年度")
    clean = _clean_record(data)
    record = VillageYear.objects.select_for_update().filter(village=village, year=year).first()
    if record is None:
        if expected_version:
            raise ConcurrentEditError("该村这个年度的记录已被删除或尚未建立，请刷新后重试")
        record = VillageYear(village=village, year=year, **clean)
        record.save()
        audit.record(actor, ChangeAction.CREATE, record)
        return record
    if expected_version != record.version:
        raise ConcurrentEditError("该村这个年度的记录已被他人修改，请刷新后在最新内容上修改")
    before = audit.snapshot(record)
    for name, value in clean.items():
        setattr(record, name, value)
    if audit.snapshot(record) == before:
        return record
    record.version += 1
    record.save()
    audit.record(actor, ChangeAction.UPDATE, record, before=before)
    return record
