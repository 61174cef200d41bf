"""The assistance writers leave an audit line for what they write, as ``tests/test_every_write_audited.py``
checks for every service (its CALLS take this app's ``audit_calls``)."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import pytest

from jingzhun.assistance import services
from jingzhun.assistance.tests.audit_calls import ACTORS, CALLS, NOT_WRITERS
from jingzhun.core.audit import Actor
from jingzhun.core.models import ObjectChange


def test_every_public_service_function_is_a_call_or_not_a_writer() -> None:
    module = importlib.import_module("jingzhun.assistance.services")
    public = {
        f"{module.__name__}.{name}"
        for name, obj in inspect.getmembers(module, inspect.isfunction)
        if obj.__module__ == module.__name__ and not name.startswith("_")
    }
    assert public == set(CALLS) | NOT_WRITERS
    assert set(ACTORS) == set(CALLS)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_the_writer_records_who_and_what(world: Any, name: str) -> None:
    username = ACTORS[name]
    last = ObjectChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    result = CALLS[name](world, Actor.of(world.users[username]))
    new = list(ObjectChange.objects.filter(pk__gt=last))
    assert len(new) == 1
    assert new[0].user_name == username and new[0].after and new[0].root_id == str(world.household_a.pk)
    if isinstance(result, services.ImportResult):
        assert result.created == 1
        # the same file again writes nothing and so records nothing
        assert CALLS[name](world, Actor.of(world.users[username])).unchanged == 1
        assert ObjectChange.objects.filter(pk__gt=last).count() == 1
    else:  # one record saved from the household page: the line is that record's, created
        assert (new[0].object_id, new[0].action, new[0].before) == (str(result.pk), "create", None)


def test_the_template_writes_a_file_and_no_row(db: None, tmp_path: Any) -> None:
    before = ObjectChange.objects.count()
    path = services.write_template("measures", tmp_path / "t.xlsx")
    assert path.stat().st_size > 0 and ObjectChange.objects.count() == before
