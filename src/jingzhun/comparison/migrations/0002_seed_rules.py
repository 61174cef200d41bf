from django.db import migrations


def seed(apps, schema_editor):
    from jingzhun.comparison import engine

    Rule = apps.get_model("comparison", "Rule")
    for spec in engine.load_catalogue().rules:
        Rule.objects.update_or_create(code=spec.code, defaults={
            "category": spec.category, "severity": spec.severity, "name": spec.name, "message": spec.message,
            "explanation": spec.explanation, "datasets": ",".join(spec.datasets),
            "audience": f",{','.join(spec.audience)}," if spec.audience else "",
            "on_true": spec.on_true, "exact": spec.exact, "parameters": dict(spec.parameters),
        })


class Migration(migrations.Migration):
    dependencies = [("comparison", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
