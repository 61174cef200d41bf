"""Writing the audit log. Services call these inside their transaction; nothing else writes ObjectChange."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from jingzhun.core import context
from jingzhun.core.models import ChangeAction, ObjectChange

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jingzhun.accounts.models import User

SKIP_FIELDS = {"version", "updated_at", "password", "last_login", "key_hash"}


def jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, FieldFile):  # a stored file is audited by its name
        return value.name or ""
    return value


def jsonable_dict(values: dict[str, Any]) -> dict[str, Any]:
    return {k: jsonable(v) for k, v in values.items()}


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The object's stored fields as JSON-able values (foreign keys by id)."""
    data: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        if f.name in SKIP_FIELDS:
            continue
        data[f.name] = jsonable(f.value_from_object(obj))
    return data


def object_type(obj_or_model: models.Model | type[models.Model]) -> str:
    return obj_or_model._meta.label_lower


@dataclass(frozen=True)
class Actor:
    """Who did it: a user, or a named system process (an import command run from the shell)."""

    user: User | None
    name: str

    @classmethod
    def of(cls, user: User | AnonymousUser | None, fallback: str = "系统") -> Actor:
        if user is not None and getattr(user, "is_authenticated", False):
            return cls(user=cast("User", user), name=user.get_username())  # signed in: not an AnonymousUser
        return cls(user=None, name=fallback)


def build_change(
    actor: Actor,
    action: str,
    obj: models.Model,
    *,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    root: models.Model | None = None,
    batch: str = "",
    at: dt.datetime | None = None,
) -> ObjectChange:
    ctx = context.current()
    root = root or obj
    return ObjectChange(
        time=at or timezone.now(),
        user=actor.user,
        user_name=actor.name,
        request_id=ctx.request_id,
        remote_addr=ctx.remote_addr,
        source=ctx.source,
        action=action,
        object_type=object_type(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        root_type=object_type(root),
        root_id=str(root.pk),
        batch=batch,
        before=before,
        after=after,
    )


def record(
    actor: Actor,
    action: str,
    obj: models.Model,
    *,
    before: dict[str, Any] | None = None,
    root: models.Model | None = None,
    batch: str = "",
) -> ObjectChange | None:
    """Record one write. ``before`` is the snapshot taken before the change (None for a create).

    An update that changed nothing records nothing, so re-saving an unchanged form leaves no noise.
    """
    after = None if action == ChangeAction.DELETE else snapshot(obj)
    if action == ChangeAction.UPDATE and before == after:
        return None
    change = build_change(actor, action, obj, before=before, after=after, root=root, batch=batch)
    change.save()
    return change


def record_many(changes: Iterable[ObjectChange], batch_size: int = 5000) -> int:
    items = list(changes)
    ObjectChange.objects.bulk_create(items, batch_size=batch_size)
    return len(items)
