"""Load the defaults added for the exit and elimination guarantees (school age, 大病保险 switch).

``defaults.load`` creates only the rows that are missing, so this also serves installations that ran 0002.
"""

from django.db import migrations


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    from jingzhun.policy.defaults import load

    load(apps.get_model("policy", "Parameter"))


class Migration(migrations.Migration):
    dependencies = [
        ("policy", "0002_defaults"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
