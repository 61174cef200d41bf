"""The audit log (ObjectChange) is append-only in the database: triggers from migration 0002."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from jingzhun.core.models import ObjectChange


def _change() -> ObjectChange:
    return ObjectChange.objects.create(
        time=timezone.now(), user_name="t", action="create", object_type="x", object_id="1", object_repr="x"
    )


def test_update_is_rejected(db):
    change = _change()
    # atomic(): on PostgreSQL the failed statement aborts the transaction; the savepoint keeps the test
    # database usable for the assertion below.
    with pytest.raises(DatabaseError), transaction.atomic():
        ObjectChange.objects.filter(pk=change.pk).update(user_name="y")
    change.refresh_from_db()
    assert change.user_name == "t"


def test_delete_is_rejected_on_postgresql(db):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite allows deletes so test-database flushes work; only updates are blocked there")
    change = _change()
    with pytest.raises(DatabaseError), transaction.atomic():
        ObjectChange.objects.filter(pk=change.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        change.delete()
    assert ObjectChange.objects.filter(pk=change.pk).exists()
