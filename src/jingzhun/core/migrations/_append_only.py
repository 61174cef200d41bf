"""SQL that makes the audit log append-only in the database itself (used by migrations 0002 and 0003)."""

from django.db import migrations

SQLITE = [
    "DROP TRIGGER IF EXISTS core_objectchange_no_update;",
    """CREATE TRIGGER core_objectchange_no_update BEFORE UPDATE ON core_objectchange
       BEGIN SELECT RAISE(ABORT, '变更记录只能追加，不能修改'); END;""",
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS core_objectchange_no_update;"]

POSTGRES = [
    """CREATE OR REPLACE FUNCTION core_objectchange_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION '变更记录只能追加，不能修改或删除'; END; $$ LANGUAGE plpgsql;""",
    "DROP TRIGGER IF EXISTS core_objectchange_append_only ON core_objectchange;",
    """CREATE TRIGGER core_objectchange_append_only BEFORE UPDATE OR DELETE ON core_objectchange
       FOR EACH ROW EXECUTE FUNCTION core_objectchange_append_only();""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS core_objectchange_append_only ON core_objectchange;",
    "DROP FUNCTION IF EXISTS core_objectchange_append_only();",
]


def forwards(apps, schema_editor):
    statements = {"sqlite": SQLITE, "postgresql": POSTGRES}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    statements = {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)
