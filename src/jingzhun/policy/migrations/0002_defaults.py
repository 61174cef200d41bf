"""Load the shipped policy defaults (policy/data/defaults.csv)."""

from django.db import migrations


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    from jingzhun.policy.defaults import load

    load(apps.get_model("policy", "Parameter"))


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("policy", "Parameter").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("policy", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
