"""Loading procedure definitions from data (``data/definitions.json`` ships the national defaults).

A local variant is a list of the same shape with a ``region_prefix``: configuration, not code. The
loader is written against model classes passed in, so the data migration can use historical models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jingzhun.core.errors import ValidationFailed

DATA = Path(__file__).resolve().parent / "data" / "definitions.json"
STEP_FIELDS = ("notice_kind", "notice_days_key", "objection_step", "deadline_key")
FLAGS = ("evaluate", "require_pass", "final")


def shipped() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(DATA.read_text(encoding="utf-8"))
    return data


def check(spec: dict[str, Any]) -> None:
    """A definition must end with exactly one final step, and objections must go back to an earlier step."""
    steps = spec.get("steps") or []
    codes = [s["code"] for s in steps]
    label = f"程序定义「{spec.get('name', spec.get('kind'))}」"
    if not steps or len(set(codes)) != len(codes):
        raise ValidationFailed(f"{label}没有步骤或步骤代码重复")
    if [bool(s.get("final")) for s in steps] != [False] * (len(steps) - 1) + [True]:
        raise ValidationFailed(f"{label}应以且仅以最后一步为办结步骤")
    for i, step in enumerate(steps):
        if not step.get("roles"):
            raise ValidationFailed(f"{label}步骤「{step['name']}」没有可办理角色")
        if step.get("notice_kind") and not step.get("notice_days_key"):
            raise ValidationFailed(f"{label}公示步骤「{step['name']}」没有公示天数参数")
        back = step.get("objection_step")
        if back and back not in codes[:i]:
            raise ValidationFailed(f"{label}步骤「{step['name']}」的异议退回步骤应为之前的步骤")


def load(specs: list[dict[str, Any]], definition_model: Any, step_model: Any) -> list[Any]:
    """Create or replace definitions (by kind and region prefix). A definition that cases already use is
    not changed in place: its steps are the record of how those cases ran."""
    loaded = []
    for spec in specs:
        check(spec)
        prefix = spec.get("region_prefix", "")
        definition, created = definition_model.objects.get_or_create(
            kind=spec["kind"],
            region_prefix=prefix,
            defaults={"name": spec["name"], "source": spec.get("source", ""), "effect": spec["effect"]},
        )
        if not created:
            if definition.cases.exists():
                raise ValidationFailed(f"程序定义「{definition.name}」已有案件使用，不能修改；请新建地方定义")
            definition.name, definition.source, definition.effect = (
                spec["name"],
                spec.get("source", ""),
                spec["effect"],
            )
            definition.save()
            definition.steps.all().delete()
        step_model.objects.bulk_create(
            [_step(step_model, definition, i, s) for i, s in enumerate(spec["steps"], 1)]
        )
        loaded.append(definition)
    return loaded


def _step(step_model: Any, definition: Any, order: int, spec: dict[str, Any]) -> Any:
    return step_model(
        definition=definition,
        order=order,
        code=spec["code"],
        name=spec["name"],
        roles="," + ",".join(spec["roles"]) + ",",
        evidence=",".join(spec.get("evidence", [])),
        signatures=",".join(spec.get("signatures", [])),
        **{f: spec.get(f, "") for f in STEP_FIELDS},
        **{f: bool(spec.get(f)) for f in FLAGS},
    )
