"""Reads of the register, always starting from the user's restricted querysets (``access.py``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from jingzhun.core.audit import object_type
from jingzhun.core.models import ObjectChange
from jingzhun.core.restrict import UserLike
from jingzhun.regions.choices import PREFIX_LENGTH, Level
from jingzhun.regions.models import Region
from jingzhun.registry import access, idnumbers, legacy_codes
from jingzhun.registry.models import (
    Household,
    HouseholdExpense,
    HouseholdYear,
    IncomeAssessment,
    Member,
    MemberYear,
    StatusEvent,
)


def search_households(
    user: UserLike,
    *,
    q: str = "",
    region_prefix: str = "",
    poverty_status: str = "",
    monitoring: str = "",
) -> QuerySet[Household]:
    """Households visible to ``user`` matching a name, ID, household number or person number."""
    qs = access.households_for(user, "view").select_related("village")
    if region_prefix:
        qs = qs.filter(village__code__startswith=region_prefix)
    if poverty_status == "none":
        qs = qs.filter(poverty_status="")
    elif poverty_status:
        qs = qs.filter(poverty_status=poverty_status)
    if monitoring == "yes":
        qs = qs.exclude(monitoring_type="")
    elif monitoring:
        qs = qs.filter(monitoring_type=monitoring)
    q = q.strip()
    if q:
        qs = qs.filter(_text_filter(q))
    return qs.order_by("village_id", "household_number")


def _text_filter(q: str) -> Q:
    normalised = idnumbers.normalize(q)
    if normalised.isdigit() or (normalised[:-1].isdigit() and normalised.endswith("X")):
        if len(normalised) in (15, 18, 20) and idnumbers.is_valid(normalised):
            number = idnumbers.parse(normalised).number
            return Q(pk__in=Member.objects.filter(id_number=number).values("household_id"))
        return Q(household_number__startswith=normalised) | Q(
            pk__in=Member.objects.filter(person_number__startswith=normalised).values("household_id")
        )
    return Q(head_name__contains=q) | Q(pk__in=Member.objects.filter(name__contains=q).values("household_id"))


def active_members(household: Household) -> QuerySet[Member]:
    return household.members.filter(left_on__isnull=True).order_by("relation", "person_number")


def member_current_year(member: Member) -> int:
    """The data year the member row's yearly values belong to: its ``data_year``; for a member that has none
    (added on the page, never imported) the household's latest data year, or this year when it has none
    (the rule migration 0006 dated existing members by)."""
    if member.data_year is not None:
        return member.data_year
    latest = HouseholdYear.objects.filter(household_id=member.household_id).order_by("-year").first()
    return latest.year if latest is not None else timezone.localdate().year


def member_years(member: Member) -> list[dict[str, Any]]:
    """A member's yearly values per data year, newest first: the member row's own year (``current`` True) and
    the years kept in MemberYear. Each: ``year``, ``current``, ``record`` (the object holding the values)."""
    now = member_current_year(member)
    rows = [{"year": now, "current": True, "record": member}]
    rows += [{"year": y.year, "current": False, "record": y} for y in member.years.exclude(year=now)]
    return sorted(rows, key=lambda r: -r["year"])


def years(household: Household) -> QuerySet[HouseholdYear]:
    return household.years.order_by("-year")


def expenses(household: Household) -> QuerySet[HouseholdExpense]:
    """The household's rigid expenses (monitoring evidence), latest first."""
    return household.expenses.order_by("-incurred_on", "-id")


def income_assessments(household: Household) -> QuerySet[IncomeAssessment]:
    """The household's income assessments of a period, latest period first."""
    return household.income_assessments.order_by("-period_end", "-id")


def changes_for(household: Household) -> QuerySet[ObjectChange]:
    """Every audited change to the household and its members and years, newest first."""
    return ObjectChange.objects.filter(root_type=object_type(Household), root_id=str(household.pk)).order_by(
        "-time", "-id"
    )


@dataclass
class HouseholdAsOf:
    at: dt.datetime
    household: dict[str, Any] | None
    members: list[dict[str, Any]]
    years: list[dict[str, Any]]
    member_years: list[dict[str, Any]] = field(default_factory=list)  # members' values of other data years


def household_as_of(household: Household, at: dt.datetime) -> HouseholdAsOf:
    """The household, its members and years as the register recorded them at ``at``.

    Rebuilt from the audit log: each record's latest snapshot up to ``at``; a household created by an import
    batch starts from the batch's own copy of what it wrote (docs/decisions/0002).
    """
    from jingzhun.registry.importer import batch_households_snapshot

    htype, mtype, ytype = object_type(Household), object_type(Member), object_type(HouseholdYear)
    mytype = object_type(MemberYear)
    member_years: dict[tuple[Any, Any], dict[str, Any]] = {}
    state: dict[str, Any] | None = None
    members: dict[str, dict[str, Any]] = {}
    years: dict[str, dict[str, Any]] = {}
    for change in changes_for(household).filter(time__lte=at).order_by("time", "id"):
        after = change.after
        if change.object_type == htype:
            snap = None
            if (
                change.batch
                and change.before is None
                and after
                and set(after) == {"batch", "household_number"}
            ):
                snap = batch_households_snapshot(change.batch, after["household_number"])
            if snap is not None:
                if legacy_codes.is_legacy(change.time):
                    snap["members"] = [legacy_codes.upgrade_member(m) for m in snap["members"]]
                state = snap["household"]
                members = {m["person_number"]: m for m in snap["members"]}
                years = {str(y["year"]): y for y in snap["years"]}
            else:
                state = after
        elif change.object_type == mtype and after is not None:
            if legacy_codes.is_legacy(change.time):
                after = legacy_codes.upgrade_member(after)
            members[str(after.get("person_number") or change.object_id)] = after
        elif change.object_type == ytype and after is not None:
            years[str(after.get("year"))] = after
        elif change.object_type == mytype and after is not None:
            member_years[(after.get("member"), after.get("year"))] = after
    day = at.date().isoformat()
    if state is not None:  # a household the register did not have yet has no members that day either
        _dated_membership(household, at, day, members)
    current = [m for m in members.values() if not m.get("left_on") or m["left_on"] > day]
    return HouseholdAsOf(
        at=at,
        household=state,
        members=sorted(current, key=lambda m: (m.get("relation", ""), m.get("person_number", ""))),
        years=sorted(years.values(), key=lambda y: -int(y.get("year", 0))),
        member_years=_named_member_years(member_years.values(), household),
    )


def _dated_membership(
    household: Household, at: dt.datetime, day: str, members: dict[str, dict[str, Any]]
) -> None:
    """Membership counts from its own dates: a leave or a join recorded after ``at`` (a natural change approved
    later, effective on the day of the death or birth) with a date on or before ``day`` is applied too."""
    later: dict[str, dict[str, Any]] = {}
    for change in (
        changes_for(household).filter(time__gt=at, object_type=object_type(Member)).order_by("time", "id")
    ):
        if change.after is not None:
            later[str(change.after.get("person_number") or change.object_id)] = change.after
    for number, after in later.items():
        left, joined = after.get("left_on"), after.get("joined_on")
        if number in members and left and left <= day:
            members[number] = {
                **members[number],
                "left_on": left,
                "leave_reason": after.get("leave_reason", ""),
            }
        elif number not in members and joined and joined <= day and (not left or left > day):
            members[number] = after


def _named_member_years(records: Any, household: Household) -> list[dict[str, Any]]:
    names = dict(household.members.values_list("pk", "name"))
    return sorted(
        ({**r, "name": names.get(r.get("member"), "")} for r in records),
        key=lambda r: (-int(r.get("year") or 0), r["name"]),
    )


def status_on(household: Household, on: dt.date) -> StatusEvent | None:
    """The status in force on a date (effective dates, not typing dates)."""
    return household.status_events.filter(effective_on__lte=on).order_by("-effective_on", "-id").first()


@dataclass
class RegionCount:
    region: Region
    households: int
    members: int
    registered: int
    monitored: int


def region_children_counts(user: UserLike, region: Region | None) -> list[RegionCount]:
    """Child regions of ``region`` (or the user's own region) with counts of visible households."""
    base = region or getattr(user, "region", None)
    if base is None:
        children = list(Region.objects.filter(level=Level.PROVINCE))
    else:
        children = list(Region.objects.filter(parent=base).order_by("code"))
    if not children:
        return []
    length = PREFIX_LENGTH[Level(children[0].level)]
    visible = access.households_for(user, "view")
    from django.db.models.functions import Substr

    rows = (
        visible.annotate(prefix=Substr("village_id", 1, length))
        .values("prefix")
        .annotate(
            households=Count("id"),
            registered=Count("id", filter=~Q(poverty_status="")),
            monitored=Count("id", filter=~Q(monitoring_type="")),
        )
    )
    by_prefix = {r["prefix"]: r for r in rows}
    member_rows = (
        Member.objects.filter(household__in=visible, left_on__isnull=True)
        .annotate(prefix=Substr("household__village_id", 1, length))
        .values("prefix")
        .annotate(n=Count("id"))
    )
    members = {r["prefix"]: r["n"] for r in member_rows}
    result = []
    for child in children:
        r: dict[str, Any] = dict(by_prefix.get(child.prefix, {}))
        result.append(
            RegionCount(
                region=child,
                households=r.get("households", 0),
                members=members.get(child.prefix, 0),
                registered=r.get("registered", 0),
                monitored=r.get("monitored", 0),
            )
        )
    return result
