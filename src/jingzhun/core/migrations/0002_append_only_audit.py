"""The audit log is append-only in the database itself, not just in the app."""

from django.db import migrations

from jingzhun.core.migrations._append_only import backwards, forwards


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
