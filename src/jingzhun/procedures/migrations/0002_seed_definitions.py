"""Seed the national procedure definitions from data/definitions.json."""

from typing import Any

from django.db import migrations


def forwards(apps: Any, schema_editor: Any) -> None:
    from jingzhun.procedures import definitions

    definitions.load(
        definitions.shipped(), apps.get_model("procedures", "ProcedureDefinition"),
        apps.get_model("procedures", "StepDefinition"),
    )


def backwards(apps: Any, schema_editor: Any) -> None:
    apps.get_model("procedures", "ProcedureDefinition").objects.filter(region_prefix="").delete()


class Migration(migrations.Migration):
    dependencies = [("procedures", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
