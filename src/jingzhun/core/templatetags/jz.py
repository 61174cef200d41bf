"""Presentation helpers for templates: masking personal data and showing stored values with labels.

Only formatting lives here (labels of codes, 是/否, masked numbers); what a user may see is decided by
the views through ``access`` and passed in as ``reveal``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from typing import Any

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _

register = template.Library()

EMPTY = "—"
# Personal numbers shown masked unless the viewer may edit the household (they see them in the form anyway).
SENSITIVE = {"id_number": "id", "disability_cert_number": "id", "phone": "phone", "bank_account": "account"}
# Never worth showing to a person.
HIDDEN_FIELDS = {"id", "version", "created_at", "updated_at", "household"}


@register.filter
def mask_id(value: object) -> str:
    """620502198005171234 → 620502********1234 (address code and the last four stay visible)."""
    text = str(value or "")
    if not text:
        return ""
    if len(text) <= 10:
        return "*" * max(len(text) - 4, 0) + text[-4:]
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


@register.filter
def mask_phone(value: object) -> str:
    """13812345678 → 138****5678."""
    text = str(value or "")
    if len(text) < 7:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


@register.filter
def mask_account(value: object) -> str:
    """Bank card: only the last four digits."""
    text = str(value or "")
    if not text:
        return ""
    return "**** " + text[-4:]


MASKERS = {"id": mask_id, "phone": mask_phone, "account": mask_account}


@functools.cache
def _model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _model_of(obj_or_label: object) -> type[models.Model] | None:
    if isinstance(obj_or_label, type) and issubclass(obj_or_label, models.Model):
        return obj_or_label
    if isinstance(obj_or_label, models.Model):
        return type(obj_or_label)
    if isinstance(obj_or_label, str):
        return _model(obj_or_label)
    return None


def _field(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)  # type: ignore[return-value]  # named fields are concrete
    except FieldDoesNotExist:
        return None


# Labels of the multi-value code fields (致贫原因, 风险, 健康状况): field name → {code: label}. The app that owns
# such fields registers them when it is ready (the registry from its column table), so that core, below
# every app, imports none of them.
MULTI_CODE_LISTS: dict[str, dict[str, str]] = {}


def register_multi_code_lists(lists: dict[str, dict[str, str]]) -> None:
    MULTI_CODE_LISTS.update(lists)


def _multi_code_lists() -> dict[str, dict[str, str]]:
    return MULTI_CODE_LISTS


# Keys that appear in audit snapshots without being model fields.
EXTRA_LABELS = {"batch": "导入批次"}
SOURCE_LABELS = {"web": "网页", "api": "接口", "import": "导入", "system": "系统", "cli": "命令行"}


@register.simple_tag
def label(obj_or_label: object, name: str) -> str:
    """The verbose name of a field (``{% label household "phone" %}``, ``{% label "registry.member" "name" %}``)."""
    field = _field(_model_of(obj_or_label), name)
    if field is None:
        return EXTRA_LABELS.get(name, name)
    return str(getattr(field, "verbose_name", name))


@register.filter
def source_label(source: str) -> str:
    """Where an audited change came from (ObjectChange.source), in words."""
    return SOURCE_LABELS.get(source, source)


@register.simple_tag
def model_name(obj_or_label: object) -> str:
    model = _model_of(obj_or_label)
    return str(model._meta.verbose_name) if model is not None else str(obj_or_label)


def display(model: type[models.Model] | None, name: str, value: Any, reveal: bool = False) -> str:
    """A stored value as a person reads it: code → label, True → 是, lists joined, personal numbers masked."""
    if value is None or value == "" or value == []:
        return EMPTY
    if name in SENSITIVE and not reveal:
        return MASKERS[SENSITIVE[name]](value)
    field = _field(model, name)
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, dict):  # a JSON field (a case's params, with a natural change's new member)
        return json.dumps(_masked(value, reveal), ensure_ascii=False)
    if isinstance(value, list | tuple):
        labels = _multi_code_lists().get(name, {})
        return "、".join(str(labels.get(str(v), v)) for v in value) or EMPTY
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, models.Model):
        return str(value)
    return str(value)


def _masked(value: Any, reveal: bool) -> Any:
    """A JSON value with the personal numbers in it masked (unless revealed) and health never shown."""
    if isinstance(value, dict):
        return {
            k: (
                MASKERS[SENSITIVE[k]](v)
                if k in SENSITIVE and v and not reveal
                else "（不显示）"
                if k == "health" and v
                else _masked(v, reveal)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_masked(v, reveal) for v in value]
    return value


@register.simple_tag
def show(obj: models.Model, name: str, reveal: bool = False) -> str:
    """A field of a model instance for display (``{% show household "poverty_status" %}``)."""
    field = _field(type(obj), name)
    value = getattr(obj, name, None) if field is None or field.is_relation else field.value_from_object(obj)
    return display(type(obj), name, value, reveal)


@register.simple_tag
def show_value(model_label: str, name: str, value: Any, reveal: bool = False) -> str:
    """A value from an audit snapshot or a change (``{% show_value change.object_type name after %}``)."""
    return display(_model(model_label), name, value, reveal)


def _names(model: type[models.Model], fields: str | Iterable[str]) -> list[str]:
    if isinstance(fields, str) and fields:
        return [f.strip() for f in fields.split(",") if f.strip()]
    if fields and not isinstance(fields, str):
        return list(fields)
    return [f.name for f in model._meta.concrete_fields if f.name not in HIDDEN_FIELDS]


@register.simple_tag
def object_rows(
    obj: models.Model, fields: str | Iterable[str] = "", reveal: bool = False
) -> list[tuple[str, str]]:
    """(label, display value) for the named fields of an instance (all shown fields when none are named)."""
    model = type(obj)
    return [(label(model, n), show(obj, n, reveal)) for n in _names(model, fields)]


@register.simple_tag
def snapshot_rows(
    model_label: str, data: dict[str, Any] | None, fields: str | Iterable[str] = "", reveal: bool = False
) -> list[tuple[str, str]]:
    """(label, display value) for an audit snapshot dict, in the model's field order."""
    model = _model(model_label)
    if model is None or not data:
        return []
    names = [n for n in _names(model, fields) if n in data or fields]
    return [(label(model, n), display(model, n, data.get(n), reveal)) for n in names]


@register.simple_tag
def change_rows(change: Any, reveal: bool = False) -> list[tuple[str, str, str]]:
    """(label, before, after) for each field an audited change altered, with labels and masking."""
    model = _model(change.object_type)
    rows = []
    for name, before, after in change.changed_fields():
        if name in HIDDEN_FIELDS:
            continue
        rows.append(
            (label(model, name), display(model, name, before, reveal), display(model, name, after, reveal))
        )
    return rows


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: Any) -> str:
    """The current query string with some parameters replaced (pagination links keep the filters)."""
    request = context.get("request")
    params = request.GET.copy() if request is not None else None
    if params is None:
        return ""
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return "?" + encoded if encoded else "?"
