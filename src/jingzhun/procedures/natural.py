"""Natural changes (自然变更, domain.md §2.4): what a case carries and what its approval writes to the register.

A case's ``params`` hold the change and its details, checked when the case is opened (``clean``) and again
against the register as it is when the last step is done (``refusal``): the members concerned must still be
in the household, the household the members move to must still exist, a new member must still be in no other
household. ``apply`` then writes the change through the registry's services, effective on the date of the
event, in the transaction that closes the case.

Params (JSON): ``change`` (``NaturalChange``), ``event_on`` (ISO date), ``note`` (说明), and by change:
``members`` (ids of the household's members concerned), ``relations`` ({member id: 与户主关系 code in the
household they move to}), ``new_head`` (the staying member who becomes head when the head leaves),
``target`` (户编号 of the household they move to), ``new_household_number`` (分户 into a new household),
``new_member`` (the new member's fields, as the registry's member form takes them) and ``leave_reason``
(自然销户: why the remaining members leave). After approval ``applied`` lists what was written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from jingzhun.core import audit
from jingzhun.core.errors import ValidationFailed
from jingzhun.procedures.choices import NaturalChange
from jingzhun.registry import services as registry
from jingzhun.registry.choices import LeaveReason, Relation
from jingzhun.registry.models import Household, Member

KEYS = {
    "change",
    "event_on",
    "note",
    "members",
    "relations",
    "new_head",
    "target",
    "new_household_number",
    "new_member",
    "leave_reason",
}
JOINS = {NaturalChange.BIRTH, NaturalChange.MARRIAGE_IN, NaturalChange.MOVE_IN}
# Changes where chosen members leave (and, for a split or a move to a household of the register, join another).
LEAVES = {NaturalChange.DEATH, NaturalChange.MARRIAGE_OUT, NaturalChange.MOVE_OUT, NaturalChange.SPLIT}
LEAVE_REASON = {
    NaturalChange.DEATH: LeaveReason.DEATH,
    NaturalChange.MARRIAGE_OUT: LeaveReason.MARRIAGE_OUT,
    NaturalChange.MOVE_OUT: LeaveReason.MOVED,
    NaturalChange.SPLIT: LeaveReason.SPLIT,
    NaturalChange.MERGE: LeaveReason.MERGED,
}
# Leave reasons offered for 自然销户 (the whole household is gone).
GONE_REASONS = (LeaveReason.DEATH, LeaveReason.MOVED, LeaveReason.OTHER)
LABELS = {
    "change": "变更类型",
    "event_on": "变更日期",
    "note": "变更说明",
    "members": "变更成员",
    "relations": "与户主关系",
    "new_head": "新户主",
    "target": "迁入户户编号",
    "new_household_number": "新户户编号",
    "new_member": "新成员信息",
    "leave_reason": "成员减少原因",
}


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{LABELS[field]}：{message}", {field: [message]})


def _event_on(raw: Any) -> dt.date:
    text = str(raw or "").strip()
    if not text:
        raise _fail("event_on", "请填写")
    try:
        on = dt.date.fromisoformat(text)
    except ValueError:
        raise _fail("event_on", "格式不正确，请按 年-月-日 填写，例如 2025-01-01") from None
    if on > timezone.localdate():
        raise _fail("event_on", "不能晚于今天")
    return on


def _ids(raw: Any, field: str) -> list[int]:
    items = raw if isinstance(raw, list | tuple) else [raw] if raw not in (None, "") else []
    try:
        return [int(i) for i in items]
    except (TypeError, ValueError):
        raise _fail(field, "成员编号无效") from None


def _members(household: Household, raw: Any) -> list[Member]:
    ids = _ids(raw, "members")
    if not ids:
        raise _fail("members", "请选择成员")
    found = {m.pk: m for m in household.members.filter(pk__in=ids)}
    for pk in ids:
        member = found.get(pk)
        if member is None:
            raise _fail("members", f"成员 {pk} 不是本户成员")
        if member.left_on is not None:
            raise _fail("members", f"{member.name}已于 {member.left_on:%Y-%m-%d} 减员")
    return [found[pk] for pk in dict.fromkeys(ids)]


def _staying(household: Household, leaving: list[Member]) -> list[Member]:
    return list(
        household.members.filter(left_on__isnull=True)
        .exclude(pk__in=[m.pk for m in leaving])
        .order_by("relation", "person_number")
    )


def _new_head(household: Household, raw: Any, leaving: list[Member], staying: list[Member]) -> int | None:
    """The staying member who becomes head when the head leaves and others stay (None otherwise)."""
    if not any(m.relation == Relation.HEAD for m in leaving) or not staying:
        return None
    ids = _ids(raw, "new_head")
    if not ids:
        raise _fail("new_head", "户主减员后本户还有成员，请指定新户主")
    if ids[0] not in {m.pk for m in staying}:
        raise _fail("new_head", "应为留在本户的成员")
    return ids[0]


def _relations(raw: Any, members: list[Member]) -> dict[str, str]:
    given = raw if isinstance(raw, dict) else {}
    result = {}
    for member in members:
        code = str(given.get(str(member.pk)) or given.get(member.pk) or "").strip()
        if not code:
            raise _fail("relations", f"请选择{member.name}在迁入户中与户主的关系")
        if code not in Relation.values:
            raise _fail("relations", f"{member.name}的关系代码无效：{code}")
        result[str(member.pk)] = code
    return result


def _target(household: Household, raw: Any) -> Household:
    number = str(raw or "").strip()
    if not number:
        raise _fail("target", "请填写")
    target = Household.objects.filter(household_number=number).first()
    if target is None:
        raise _fail("target", f"户编号 {number} 不存在")
    if target.pk == household.pk:
        raise _fail("target", "不能是本户")
    if target.closed_on is not None:
        raise _fail("target", f"户编号 {number} 已于 {target.closed_on:%Y-%m-%d} 销户")
    if target.village_id[:6] != household.village_id[:6]:  # the county that approves holds both households
        raise _fail("target", f"户编号 {number} 不在本县（区），跨县迁移请由两地分别办理迁出和迁入")
    return target


def _head_count(relations: dict[str, str]) -> int:
    return sum(1 for code in relations.values() if code == Relation.HEAD)


def _check_target_head(target: Household, relations: dict[str, str]) -> None:
    heads = _head_count(relations)
    if heads and target.members.filter(left_on__isnull=True, relation=Relation.HEAD).exists():
        raise _fail("relations", f"户编号 {target.household_number} 已有户主，迁入成员不能再为户主")
    if heads > 1:
        raise _fail("relations", "只能有一个户主")


def _new_member(household: Household, raw: Any, on: dt.date, change: str) -> dict[str, Any]:
    if not isinstance(raw, dict) or not raw:
        raise _fail("new_member", "请填写新成员的信息")
    data = {k: v for k, v in raw.items() if k not in ("person_number", "joined_on")}
    person_number = str(raw.get("person_number") or "").strip()
    member = registry.check_new_member(
        household=household,
        person_number=person_number or registry.next_person_number(household),
        data={**data, "joined_on": on},
    )
    if change == NaturalChange.BIRTH and member.birth_date != on:
        msg = f"出生的变更日期应为出生日期（证件号码推算为 {member.birth_date:%Y-%m-%d}）"
        raise ValidationFailed(msg, {"event_on": [msg]})
    return {
        **audit.jsonable_dict({k: getattr(member, k) for k in data}),
        "id_number": member.id_number,
        "person_number": person_number,
    }


def clean(household: Household, params: dict[str, Any]) -> dict[str, Any]:
    """Check a natural change's details against the register as it is now; the normalised params."""
    unknown = set(params) - KEYS - {"applied"}
    if unknown:
        raise ValidationFailed(f"不能填写的办理参数：{'、'.join(sorted(unknown))}")
    if household.closed_on is not None:
        raise ValidationFailed(f"该户已于 {household.closed_on:%Y-%m-%d} 销户，不能再办理自然变更")
    change = str(params.get("change") or "")
    if change not in NaturalChange.values:
        raise _fail("change", "请选择" if not change else f"无效：{change}")
    on = _event_on(params.get("event_on"))
    note = str(params.get("note") or "").strip()
    if not note:
        raise _fail("note", "请填写（如死亡证明、结婚登记、分户原因）")
    result: dict[str, Any] = {"change": change, "event_on": on.isoformat(), "note": note[:200]}
    if change in JOINS:
        result["new_member"] = _new_member(household, params.get("new_member"), on, change)
    elif change in LEAVES:
        members = _members(household, params.get("members"))
        for m in members:
            if m.joined_on and on < m.joined_on:
                raise _fail("event_on", f"早于{m.name}成为本户成员的日期 {m.joined_on:%Y-%m-%d}")
        staying = _staying(household, members)
        result["members"] = [m.pk for m in members]
        moving_in_register = change == NaturalChange.SPLIT or str(params.get("target") or "").strip()
        if not staying:
            raise _fail("members", "本户成员将全部减员，请办理自然销户或合户")
        head = _new_head(household, params.get("new_head"), members, staying)
        if head is not None:
            result["new_head"] = head
        if moving_in_register:
            result["relations"] = _relations(params.get("relations"), members)
            _clean_destination(household, params, change, result)
    elif change == NaturalChange.MERGE:
        target = _target(household, params.get("target"))
        members = list(household.members.filter(left_on__isnull=True).order_by("relation", "person_number"))
        if not members:
            raise _fail("members", "本户已没有成员，请办理自然销户")
        result["target"] = target.household_number
        result["relations"] = _relations(params.get("relations"), members)
        _check_target_head(target, result["relations"])
    else:  # HOUSEHOLD_GONE
        reason = str(params.get("leave_reason") or "")
        if household.members.filter(left_on__isnull=True).exists() and reason not in GONE_REASONS:
            raise _fail("leave_reason", "请选择")
        result["leave_reason"] = reason
    return result


def _clean_destination(
    household: Household, params: dict[str, Any], change: str, result: dict[str, Any]
) -> None:
    """Where a split or a move takes the members: an existing household, or (分户) a new one."""
    number = str(params.get("new_household_number") or "").strip()
    relations = result["relations"]
    if change == NaturalChange.SPLIT and number:
        if str(params.get("target") or "").strip():
            raise _fail("target", "分户到新户时不填迁入户户编号")
        if Household.objects.filter(household_number=number).exists():
            raise _fail("new_household_number", f"户编号 {number} 已存在")
        if _head_count(relations) != 1:
            raise _fail("relations", "新户须有且只有一个户主")
        result["new_household_number"] = number
        return
    if change == NaturalChange.SPLIT and not str(params.get("target") or "").strip():
        raise _fail("new_household_number", "请填写新户户编号，或填写迁入户户编号")
    target = _target(household, params.get("target"))
    _check_target_head(target, relations)
    if (
        not _head_count(relations)
        and not target.members.filter(left_on__isnull=True, relation=Relation.HEAD).exists()
    ):
        raise _fail("relations", f"户编号 {target.household_number} 没有户主，请指定迁入成员中的户主")
    result["target"] = target.household_number


def refusal(household: Household, params: dict[str, Any]) -> str | None:
    """Why the change cannot be applied to the register as it is now (None if it can)."""
    try:
        clean(household, params)
    except ValidationFailed as exc:
        return f"登记信息已与开案时不同，不能办结：{exc.message}"
    return None


def _name_of(household: Household, pk: Any) -> str:
    return household.members.filter(pk=pk).values_list("name", flat=True).first() or str(pk)


def describe(household: Household, params: dict[str, Any]) -> list[str]:
    """What the approval will write, in Chinese, without ID numbers (the case page)."""
    change = params.get("change")
    if change not in NaturalChange.values:
        return []
    label = NaturalChange(change).label
    lines = [f"{label}，变更日期 {params.get('event_on', '')}：{params.get('note', '')}"]
    names = "、".join(_name_of(household, pk) for pk in params.get("members") or [])
    relation = dict(Relation.choices)
    if change in JOINS:
        new = params.get("new_member") or {}
        lines.append(
            f"新增成员：{new.get('name', '')}（{relation.get(new.get('relation', ''), '')}），"
            f"自 {params.get('event_on', '')} 起为本户成员"
        )
    elif change in LEAVES and params.get("members"):
        lines.append(
            f"减员：{names}，自 {params.get('event_on', '')} 起不再是本户成员"
            f"（减少原因：{LeaveReason(LEAVE_REASON[change]).label}）"
        )
    elif change == NaturalChange.MERGE:
        lines.append(f"全部成员并入户编号 {params.get('target', '')}，本户销户")
    elif change == NaturalChange.HOUSEHOLD_GONE:
        reason = params.get("leave_reason")
        gone = f"（成员减少原因：{LeaveReason(reason).label}）" if reason in LeaveReason.values else ""
        lines.append(f"本户自 {params.get('event_on', '')} 起销户{gone}")
    if params.get("new_head"):
        lines.append(f"新户主：{_name_of(household, params['new_head'])}")
    if params.get("new_household_number"):
        lines.append(f"迁往新户，新户户编号 {params['new_household_number']}")
    elif params.get("target") and change != NaturalChange.MERGE:
        lines.append(f"迁入户编号 {params['target']}")
    if params.get("relations"):
        rel = "、".join(
            f"{_name_of(household, pk)}（{relation.get(code, code)}）"
            for pk, code in params["relations"].items()
        )
        lines.append(f"在迁入户中与户主的关系：{rel}")
    return lines


def apply(actor: audit.Actor, household: Household, params: dict[str, Any], reason: str) -> list[str]:
    """Write the approved change through the registry's services (inside the caller's transaction); the
    lines of what was written. Raises ValidationFailed if the register no longer allows it."""
    data = clean(household, params)
    change, on = data["change"], dt.date.fromisoformat(data["event_on"])
    applied: list[str] = []
    if change in JOINS:
        new = dict(data["new_member"])
        member = registry.member_joins(
            actor=actor,
            household=household,
            joined_on=on,
            person_number=new.pop("person_number", ""),
            data=new,
        )
        applied.append(f"已新增成员 {member.name}（人编号 {member.person_number}），自 {on:%Y-%m-%d} 起")
        return applied
    members = list(household.members.filter(pk__in=data.get("members") or []))
    members.sort(key=lambda m: data["members"].index(m.pk))
    new_head = household.members.filter(pk=data["new_head"]).first() if data.get("new_head") else None
    if change == NaturalChange.HOUSEHOLD_GONE:
        registry.close_household(
            actor=actor,
            household=household,
            on=on,
            reason=f"{reason}：{data['note']}",
            leave_reason=data["leave_reason"],
        )
        return [f"本户已于 {on:%Y-%m-%d} 销户"]
    if change == NaturalChange.MERGE:
        members = list(household.members.filter(left_on__isnull=True).order_by("relation", "person_number"))
    relations = data.get("relations")
    if relations is None:
        registry.members_leave(
            actor=actor,
            household=household,
            members=members,
            left_on=on,
            reason=LEAVE_REASON[change],
            new_head=new_head,
        )
        applied.append(
            f"{'、'.join(m.name for m in members)}已于 {on:%Y-%m-%d} 减员"
            f"（{LeaveReason(LEAVE_REASON[change]).label}）"
        )
    else:
        if data.get("new_household_number"):
            head = next(m for m in members if relations[str(m.pk)] == Relation.HEAD)
            target = registry.create_household(
                actor=actor,
                village=household.village,
                household_number=data["new_household_number"],
                head_name=head.name,
                natural_village=household.natural_village,
                status_from=household,
                effective_on=on,
                reason=reason,
            )
            applied.append(f"已建立新户，户编号 {target.household_number}")
        else:
            target = Household.objects.get(household_number=data["target"])
        moved = registry.move_members(
            actor=actor,
            source=household,
            target=target,
            on=on,
            reason=LEAVE_REASON[change],
            new_head=new_head,
            moves=[(m, relations[str(m.pk)]) for m in members],
        )
        applied.append(
            f"{'、'.join(f'{m.name}（新人编号 {m.person_number}）' for m in moved)}已于 {on:%Y-%m-%d} "
            f"迁入户编号 {target.household_number}"
        )
    if change == NaturalChange.MERGE:
        registry.close_household(actor=actor, household=household, on=on, reason=f"{reason}：合户")
        applied.append(f"本户已于 {on:%Y-%m-%d} 销户（合户）")
    if new_head is not None:
        applied.append(f"新户主：{new_head.name}")
    return applied
