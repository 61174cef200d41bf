"""The national poverty line per year, checked against the NBS series (issue 14).

Adds the 2010–2013 lines (2014 identification compares 2013 income with 2,736) and corrects the rows an
earlier release shipped: 2014 was 2,952 and is 2,800; 2015/2016 gain their yearbook source; 2018 was 2,952
without a source and is 2,995 (still 待确认). A row is corrected only while it holds exactly what was
shipped (value and document): a county's own edit is left alone. Each correction is an audited update.
"""

from decimal import Decimal

from django.db import migrations
from django.utils import timezone

OLD_DOC = "国家贫困标准（2014—2017年脱贫户数据核查清单所用）"
# (year) -> (value, document) as shipped by migration 0002.
SHIPPED = {
    2014: (Decimal("2952"), OLD_DOC),
    2015: (Decimal("2855"), "2015年国家扶贫标准（相当于2010年2300元不变价）"),
    2016: (Decimal("2952"), OLD_DOC),
    2017: (Decimal("2952"), OLD_DOC),
    2018: (Decimal("2952"), "（无文件：沿用2017年核查所用数值）"),
}
FIELDS = ("value", "document", "unconfirmed", "source", "note")
ACTOR = "系统（版本升级）"


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    from jingzhun.core.audit import snapshot
    from jingzhun.policy.defaults import load, rows

    parameter = apps.get_model("policy", "Parameter")
    change = apps.get_model("core", "ObjectChange")
    wanted = {r["year"]: r for r in rows() if r["key"] == "poverty_line" and not r["region_prefix"]}
    for year, (value, document) in SHIPPED.items():
        row = parameter.objects.filter(key="poverty_line", region_prefix="", year=year,
                                       effective_from__isnull=True).first()
        if row is None or row.value != value or row.document != document:
            continue
        if all(getattr(row, name) == wanted[year][name] for name in FIELDS):
            continue  # a fresh installation already has this release's row
        before = snapshot(row)
        for name in FIELDS:
            setattr(row, name, wanted[year][name])
        row.version += 1
        row.save()
        change.objects.create(
            time=timezone.now(), user=None, user_name=ACTOR, source="migration", action="update",
            object_type="policy.parameter", object_id=str(row.pk), object_repr=f"poverty_line {year}",
            root_type="policy.parameter", root_id=str(row.pk), before=before, after=snapshot(row),
        )
    load(parameter)  # the years not shipped before (2010–2013)


class Migration(migrations.Migration):
    dependencies = [
        ("policy", "0002_defaults"),
        ("core", "0003_batch_index"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
