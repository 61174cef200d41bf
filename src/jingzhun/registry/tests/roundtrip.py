"""Households with every stored field filled, written straight to the database, and the register's state
to compare before and after a round trip.

Values are drawn per column of ``columns.COLUMNS`` by its kind, and code values from each column's own
``codes.choices``, so the data follows the code lists when they change. A ``Picker`` chooses the values:
``CyclingPicker`` walks through every code of every list (with seeded random text, numbers and dates);
``DrawingPicker`` lets Hypothesis draw them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from decimal import Decimal
from typing import Any

from jingzhun.registry import idnumbers, income
from jingzhun.registry.choices import DisabilityCategory, DisabilityGrade, IdKind, Relation
from jingzhun.registry.columns import FIELD_NAME, INPUT_COLUMNS, Column, Kind, Level
from jingzhun.registry.models import Household, HouseholdYear, Member, MemberYear, StatusEvent

TODAY = dt.date.today()
YEARS = (2023, 2024, 2025)
# 繁体, middle dots of several code points, long minority names, compound surnames.
NAMES = (
    "阿依古丽·买买提",
    "艾尼瓦尔•吐尔逊",
    "买买提・艾力",
    "張偉",
    "劉德華",
    "陳淑芬",
    "鄭國強",
    "次仁卓玛",
    "努尔·阿不都热合曼",
    "欧阳娜娜",
    "司马光",
    "王小明",
    "李秀英",
)
TEXT = "东西南北上下村组镇街路号区县市省一二三四五六七八九十臺灣鄉園·（）()-、，,;\"'#0123456789ABCxyz "
MEMBER_SKIP = {
    "person_number",
    "name",
    "id_number",
    "sex",
    "birth_date",
    "relation",
    "migrant_months",
    "migrant_place",
}
HOUSEHOLD_SKIP = {"village", "household_number", "head_name"}
YEAR_SKIP = {"year"}
_numbers = itertools.count(1)


def field(col: Column) -> str:
    return FIELD_NAME.get(col.key, col.key).removesuffix("_id")


class Picker:
    """Chooses every value of a generated household; subclasses say how."""

    def choice(self, values: list[Any], key: str = "") -> Any:
        """One of ``values``; ``key`` names what is chosen (a column), so each column walks its own list."""
        raise NotImplementedError

    def integer(self, lo: int, hi: int) -> int:
        raise NotImplementedError

    def subset(self, values: list[str], most: int, key: str = "") -> list[str]:
        raise NotImplementedError

    def text(self, most: int) -> str:
        raise NotImplementedError

    def code(self, col: Column) -> str:
        assert col.codes is not None
        return self.choice([str(v) for v in col.codes.values], col.key)

    def codes(self, col: Column) -> list[str]:
        assert col.codes is not None
        chosen = self.subset(
            [str(v) for v in col.codes.values], col.max_items or len(col.codes.values), col.key
        )
        return sorted(set(chosen), key=lambda c: (len(c), c))  # as the services store them

    def date(self, lo: dt.date, hi: dt.date = TODAY) -> dt.date:
        return lo + dt.timedelta(days=self.integer(0, (hi - lo).days))

    def amount(self, most: int) -> Decimal:
        return Decimal(self.integer(0, most * 100)) / 100

    def value(self, col: Column) -> Any:
        """A filled value of any column by its kind."""
        kind = col.kind
        if kind == Kind.CODE:
            return self.code(col)
        if kind == Kind.CODES:
            return self.codes(col)
        if kind == Kind.BOOL:
            return self.choice([True, False])
        if kind == Kind.INT:
            return self.integer(0, col.max_value or 99)
        if kind == Kind.YEAR:
            return self.integer(2000, TODAY.year)
        if kind == Kind.MONEY:
            return self.amount(2_000_000)
        if kind == Kind.AREA:
            return self.amount(90_000)
        if kind == Kind.DATE:
            return self.date(dt.date(1950, 1, 1))
        if kind == Kind.TEXT:
            if col.key in ("bank_account",):
                return self.digits(self.integer(16, 19))
            return self.text(col.max_length or 30)
        raise AssertionError(col)

    def digits(self, n: int) -> str:
        """A long number whose last digit is not 0 (Excel could not have produced it from a double)."""
        return "62" + "".join(str(self.integer(0, 9)) for _ in range(n - 3)) + str(self.integer(1, 9))


class CyclingPicker(Picker):
    """Every code of every list in turn (one counter per list and column); the rest seeded at random."""

    def __init__(self, seed: int = 13) -> None:
        self.rnd = random.Random(seed)
        self.turns: dict[tuple[str, ...], int] = {}

    def _turn(self, values: list[Any], key: str) -> int:
        turn = (key, *map(str, values))
        n = self.turns.get(turn, 0)
        self.turns[turn] = n + 1
        return n

    def choice(self, values: list[Any], key: str = "") -> Any:
        return values[self._turn(values, key) % len(values)]

    def integer(self, lo: int, hi: int) -> int:
        return self.rnd.randint(lo, hi)

    def subset(self, values: list[str], most: int, key: str = "") -> list[str]:
        start = self._turn(values, key) * most
        return [values[(start + k) % len(values)] for k in range(min(most, len(values)))]

    def text(self, most: int) -> str:
        n = self.rnd.randint(1, min(most, 24))
        return _tidy("".join(self.rnd.choice(TEXT) for _ in range(n)))


class DrawingPicker(Picker):
    """Values drawn by Hypothesis (``st.data()``), so failures shrink to a small household."""

    def __init__(self, data: Any) -> None:
        from hypothesis import strategies as st

        self.st = st
        self.data = data

    def choice(self, values: list[Any], key: str = "") -> Any:
        return self.data.draw(self.st.sampled_from(values))

    def integer(self, lo: int, hi: int) -> int:
        return self.data.draw(self.st.integers(lo, hi))

    def subset(self, values: list[str], most: int, key: str = "") -> list[str]:
        return self.data.draw(
            self.st.lists(self.st.sampled_from(values), min_size=1, max_size=most, unique=True)
        )

    def text(self, most: int) -> str:
        return _tidy(self.data.draw(self.st.text(TEXT, min_size=1, max_size=min(most, 24))))


def _tidy(text: str) -> str:
    """Imports trim a cell; a value of spaces only is an empty cell."""
    return text.strip() or "村"


def _person_id(picker: Picker, male: bool) -> str:
    """A valid ID, unique among any 500 made in a row (the sequence number counts up), of 麦积区 so that it
    never meets the test world's own people (秦州区)."""
    n = next(_numbers)
    born = picker.date(dt.date(1930, 1, 1), TODAY - dt.timedelta(days=1))
    return idnumbers.make_id("620503", born, n % 500 * 2 + (1 if male else 0))


def build_household(picker: Picker, village: str, *, members: int, years: tuple[int, ...]) -> Household:
    """A household of ``members`` people with every field filled, and a record for each of ``years``."""
    number = f"{village}{next(_numbers):06d}"
    values = {
        field(c): picker.value(c)
        for c in INPUT_COLUMNS
        if c.level == Level.HOUSEHOLD and c.key not in HOUSEHOLD_SKIP
    }
    head_name = picker.choice(list(NAMES))
    household = Household.objects.create(
        household_number=number, village_id=village, head_name=head_name, **values
    )
    relations = [str(v) for v in Relation.values if v != Relation.HEAD]
    spouse = getattr(Relation, "SPOUSE", None)
    head_male = picker.choice([True, False])
    for k in range(members):
        relation = Relation.HEAD.value if k == 0 else picker.choice(relations, "relation")
        if k > 1 and relation == spouse:  # one spouse per household
            relation = next(r for r in relations if r != spouse)
        male = (
            (not head_male) if relation == spouse else (head_male if k == 0 else picker.choice([True, False]))
        )
        id_number = _person_id(picker, male)
        fields = {
            field(c): picker.value(c)
            for c in INPUT_COLUMNS
            if c.level == Level.MEMBER and c.key not in MEMBER_SKIP
        }
        cert = ""
        if picker.choice([True, False]):  # holds a disability certificate: the ID with category and grade
            cert = (
                id_number
                + picker.choice(list(DisabilityCategory.values))
                + picker.choice(list(DisabilityGrade.values))
            )
        months = picker.integer(1, 12)
        Member.objects.create(
            household=household,
            person_number=f"{number}{k + 1:02d}",
            name=head_name if k == 0 else picker.choice(list(NAMES)),
            id_number=id_number,
            id_kind=IdKind.DISABILITY_CERT if cert else IdKind.RESIDENT_ID,
            disability_cert_number=cert,
            sex=idnumbers.sex_from_id(id_number),
            birth_date=idnumbers.birth_date_from_id(id_number),
            relation=relation,
            migrant_months=months,
            migrant_place=picker.text(100),
            **fields,
        )
    for year in years:
        record = {
            field(c): picker.value(c)
            for c in INPUT_COLUMNS
            if c.level == Level.YEAR and c.key not in YEAR_SKIP
        }
        record.update(income.compute(record, record["household_size"]))
        HouseholdYear.objects.create(household=household, year=year, **record)
    return household


# ----------------------------------------------------------------------------------------------- state


def _row(obj: Any, skip: set[str]) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.attname not in skip}


def register_state() -> dict[str, Any]:
    """Everything an import could change, keyed by the file's keys (household and person numbers)."""
    numbers = dict(Household.objects.values_list("id", "household_number"))
    return {
        "households": {
            h.household_number: _row(h, {"id", "version", "created_at", "updated_at"})
            for h in Household.objects.all()
        },
        "members": {
            m.person_number: {
                **_row(m, {"id", "household_id", "created_at", "updated_at"}),
                "household": numbers[m.household_id],
            }
            for m in Member.objects.all()
        },
        "years": {
            (numbers[y.household_id], y.year): _row(y, {"id", "household_id", "updated_at"})
            for y in HouseholdYear.objects.all()
        },
        "member_years": {
            (y.member.person_number, y.year): _row(y, {"id", "member_id", "updated_at"})
            for y in MemberYear.objects.select_related("member")
        },
        "status_events": StatusEvent.objects.count(),
    }


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What changed, field by field (empty: nothing)."""
    found = []
    for part in ("households", "members", "years", "member_years"):
        for key in before[part].keys() | after[part].keys():
            old, new = before[part].get(key), after[part].get(key)
            if old is None or new is None:
                found.append(f"{part} {key}: {'added' if old is None else 'removed'}")
                continue
            found += [
                f"{part} {key} {name}: {old[name]!r} → {new[name]!r}"
                for name in old
                if old[name] != new[name]
            ]
    if before["status_events"] != after["status_events"]:
        found.append(f"status events: {before['status_events']} → {after['status_events']}")
    return found
