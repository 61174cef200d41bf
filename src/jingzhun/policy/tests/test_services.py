"""Parameter writes: validated in Chinese, optimistic-locked, audited; who may edit which region."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from jingzhun.core.audit import Actor
from jingzhun.core.errors import (
    ConcurrentEditError,
    NotFoundOrForbidden,
    PermissionDeniedError,
    ValidationFailed,
)
from jingzhun.core.models import ObjectChange
from jingzhun.policy import access, services
from jingzhun.policy import catalogue as c
from jingzhun.policy.models import Parameter
from jingzhun.policy.selectors import history, resolve

VILLAGE = "620502100201"


def _actor(world: Any, name: str = "admin") -> Actor:
    return Actor.of(world.users[name])


def _line(world: Any, year: int, value: str = "7000", prefix: str = "620502") -> Parameter:
    return services.create_parameter(
        actor=_actor(world),
        key=c.MONITORING_LINE,
        region_prefix=prefix,
        year=year,
        value=value,
        document="秦州区乡村振兴局文件",
    )


def test_create_is_audited_and_resolves(world: Any) -> None:
    row = _line(world, 2024)
    change = ObjectChange.objects.get(object_type="policy.parameter", object_id=str(row.pk))
    assert change.user_name == "admin" and change.action == "create" and change.after["value"] == "7000"
    assert resolve(c.MONITORING_LINE, region_code=VILLAGE, year=2024).parameter_id == row.pk


def test_update_of_one_year_leaves_other_years_and_stored_snapshots_unchanged(world: Any) -> None:
    # Given the lines of 2019 and 2020 and a decision that stored what it used under 2020's numbers
    decided = resolve(c.POVERTY_LINE, region_code=VILLAGE, year=2020).as_json()
    row_2019 = Parameter.objects.get(key=c.POVERTY_LINE, region_prefix="", year=2019)
    # When an administrator corrects the 2019 line
    services.update_parameter(
        actor=_actor(world),
        parameter=row_2019,
        expected_version=row_2019.version,
        data={"value": "3300", "note": "按统计局公报更正"},
    )
    # Then only the 2019 row changed, the stored snapshot still says what it said, and history shows it
    assert resolve(c.POVERTY_LINE, region_code=VILLAGE, year=2019).value == Decimal("3300")
    assert resolve(c.POVERTY_LINE, region_code=VILLAGE, year=2020).as_json() == decided
    assert decided["value"] == "4000"
    [entry] = history(row_2019)  # the shipped default itself is reference data, not an edit
    assert entry.action == "update" and entry.before["value"] == "3218" and entry.after["value"] == "3300"
    assert entry.user_name == "admin"


def test_stale_version_is_refused(world: Any) -> None:
    row = _line(world, 2024)
    services.update_parameter(actor=_actor(world), parameter=row, expected_version=1, data={"value": "7100"})
    stale = Parameter.objects.get(pk=row.pk)
    with pytest.raises(ConcurrentEditError):
        services.update_parameter(
            actor=_actor(world), parameter=stale, expected_version=1, data={"value": "7200"}
        )
    assert Parameter.objects.get(pk=row.pk).value == Decimal("7100")


def test_unchanged_update_writes_nothing(world: Any) -> None:
    row = _line(world, 2024)
    before = ObjectChange.objects.count()
    services.update_parameter(
        actor=_actor(world), parameter=row, expected_version=1, data={"value": "7000.00"}
    )
    assert ObjectChange.objects.count() == before and Parameter.objects.get(pk=row.pk).version == 1


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"key": "poverty"}, "key", "未知的政策参数"),
        ({"region_prefix": "62050"}, "region_prefix", "区划代码前缀"),
        ({"region_prefix": "999999"}, "region_prefix", "不存在"),
        ({"year": None}, "year", "按年度设置"),
        ({"value": "abc"}, "value", "应为数字"),
        ({"value": "-1"}, "value", "不小于0"),
        ({"document": "  "}, "document", "文件名称"),
        ({"effective_from": dt.date(2024, 1, 1)}, "effective_from", "不填生效日期"),
    ],
)
def test_bad_input_names_the_field_in_chinese(
    world: Any, kwargs: dict[str, Any], field: str, words: str
) -> None:
    args: dict[str, Any] = {
        "key": c.MONITORING_LINE,
        "region_prefix": "620502",
        "year": 2024,
        "value": "7000",
        "document": "文件",
    }
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_parameter(actor=_actor(world), **{**args, **kwargs})
    assert words in excinfo.value.message and field in excinfo.value.errors


def test_ratio_and_days_are_checked(world: Any) -> None:
    with pytest.raises(ValidationFailed, match="0到1之间"):
        services.create_parameter(
            actor=_actor(world),
            key=c.VILLAGE_EXIT_MAX_INCIDENCE,
            region_prefix="620502",
            effective_from=dt.date(2020, 1, 1),
            value="3",
            document="文件",
        )
    with pytest.raises(ValidationFailed, match="不少于5天"):
        services.create_parameter(
            actor=_actor(world),
            key=c.NOTICE_DAYS_MONITORING,
            region_prefix="620502",
            effective_from=dt.date(2024, 1, 1),
            value="3",
            document="文件",
        )
    with pytest.raises(ValidationFailed, match="整数"):
        services.create_parameter(
            actor=_actor(world),
            key=c.NOTICE_DAYS_EXIT,
            region_prefix="620502",
            effective_from=dt.date(2024, 1, 1),
            value="7.5",
            document="文件",
        )


def test_duplicate_year_is_refused_with_a_message(world: Any) -> None:
    _line(world, 2024)
    with pytest.raises(ValidationFailed, match="2024 年度已有数值"):
        _line(world, 2024, "7100")


def test_end_parameter_retires_a_dated_row(world: Any) -> None:
    row = services.create_parameter(
        actor=_actor(world),
        key=c.NOTICE_DAYS_MONITORING,
        region_prefix="620502",
        effective_from=dt.date(2024, 1, 1),
        value="7",
        document="县文件",
    )
    services.end_parameter(
        actor=_actor(world), parameter=row, expected_version=1, effective_to=dt.date(2024, 6, 30)
    )
    assert resolve(c.NOTICE_DAYS_MONITORING, region_code=VILLAGE, on=dt.date(2024, 6, 30)).value == 7
    assert resolve(c.NOTICE_DAYS_MONITORING, region_code=VILLAGE, on=dt.date(2024, 7, 1)).value == 5
    with pytest.raises(ValidationFailed, match="不能早于生效日期"):
        services.update_parameter(
            actor=_actor(world), parameter=row, expected_version=2, data={"effective_to": dt.date(2023, 1, 1)}
        )
    with pytest.raises(ValidationFailed, match="不能重复停用"):
        services.end_parameter(
            actor=_actor(world), parameter=row, expected_version=2, effective_to=dt.date(2024, 7, 30)
        )


# --- who may edit ------------------------------------------------------------------------------------


def test_admin_may_edit_anywhere(world: Any) -> None:
    admin = world.users["admin"]
    assert access.can_edit_region(admin, "") and access.can_edit_region(admin, "53")
    national = Parameter.objects.get(key=c.POVERTY_LINE, region_prefix="", year=2019)
    assert access.access_parameter(admin, national.pk, "change") == national


def test_county_admin_edits_only_inside_the_county(world: Any) -> None:
    county_admin = world.users["county_admin"]
    assert access.can_edit_region(county_admin, "620502")
    assert access.can_edit_region(county_admin, "620502100201")
    for outside in ("", "62", "620503", "53"):
        assert not access.can_edit_region(county_admin, outside)
        with pytest.raises(PermissionDeniedError):
            access.require_edit(county_admin, outside)
    national = Parameter.objects.get(key=c.POVERTY_LINE, region_prefix="", year=2019)
    gansu = Parameter.objects.get(key=c.VILLAGE_EXIT_MAX_INCIDENCE, region_prefix="62")
    yunnan = Parameter.objects.get(key=c.MONITORING_LINE, region_prefix="53")
    assert access.access_parameter(county_admin, national.pk) == national  # may read what applies to them
    for row in (national, gansu, yunnan):
        with pytest.raises(NotFoundOrForbidden):
            access.access_parameter(county_admin, row.pk, "change")
    with pytest.raises(NotFoundOrForbidden):
        access.access_parameter(county_admin, yunnan.pk)  # another province's row is not even listed
    own = _line(world, 2024)
    assert access.access_parameter(county_admin, own.pk, "change") == own


def test_provincial_administrator_edits_the_province(world: Any) -> None:
    from jingzhun.regions.models import Region
    from jingzhun.testing.factories import UserFactory

    provincial = UserFactory.create(
        username="gansu", role="county_admin", region=Region.objects.get(prefix="62")
    )
    gansu = Parameter.objects.get(key=c.VILLAGE_EXIT_MAX_INCIDENCE, region_prefix="62")
    assert access.access_parameter(provincial, gansu.pk, "change") == gansu
    assert not access.can_edit_region(provincial, "") and not access.can_edit_region(provincial, "53")


@pytest.mark.parametrize(
    "role", ["township_officer", "village_officer", "helper", "department", "leader", "auditor"]
)
def test_nobody_else_may_edit(world: Any, role: str) -> None:
    user = world.users[role]
    own = _line(world, 2024)
    assert not access.can_edit_region(user, "620502100") and not access.can_edit_region(user, "620502")
    with pytest.raises(NotFoundOrForbidden):
        access.access_parameter(user, own.pk, "change")
