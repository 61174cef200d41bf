"""Web forms for policy parameters. Forms only parse; the services validate the rules and write."""

from __future__ import annotations

from typing import Any

from django import forms

from jingzhun.policy import catalogue
from jingzhun.policy.models import Parameter

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
EDIT_FIELDS = (
    "value",
    "document",
    "document_date",
    "effective_from",
    "effective_to",
    "unconfirmed",
    "source",
    "note",
)


class ParameterForm(forms.Form):
    """Edit one row (``parameter``) or, without one, create a row (key, region and year are asked)."""

    key = forms.ChoiceField(label="参数", choices=catalogue.CHOICES)
    region_prefix = forms.CharField(
        label="适用区划代码",
        max_length=12,
        required=False,
        help_text="2位省、4位市、6位县、9位乡镇或12位村代码；空表示全国",
    )
    year = forms.IntegerField(
        label="年度",
        required=False,
        min_value=1978,
        max_value=2100,
        help_text="贫困线、监测范围按年度填写；其他参数不填",
    )
    value = forms.DecimalField(
        label="数值", max_digits=14, decimal_places=4, help_text="比例填小数：2% 填 0.02"
    )
    document = forms.CharField(label="文件名称/文号", max_length=200)
    document_date = forms.DateField(label="发文日期", required=False, widget=DATE)
    effective_from = forms.DateField(
        label="生效日期", required=False, widget=DATE, help_text="按日期生效的参数必填"
    )
    effective_to = forms.DateField(
        label="失效日期", required=False, widget=DATE, help_text="最后有效的一天；空 = 长期有效"
    )
    unconfirmed = forms.BooleanField(label="待确认（数值未经文件确认）", required=False)
    source = forms.CharField(label="出处", max_length=400, required=False)
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    wide_fields = ("document", "source", "note")

    def __init__(self, data: Any = None, *, parameter: Parameter | None = None) -> None:
        initial: dict[str, Any] = {}
        if parameter is not None:
            initial = {name: getattr(parameter, name) for name in EDIT_FIELDS}
            initial["version"] = parameter.version
        super().__init__(data, initial=initial)
        self.parameter = parameter
        if parameter is not None:
            for name in ("key", "region_prefix", "year"):
                del self.fields[name]
            if parameter.entry.yearly:
                del self.fields["effective_from"]

    @property
    def expected_version(self) -> int:
        return int(self.cleaned_data.get("version") or 0)

    def service_data(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in EDIT_FIELDS if k in self.fields}

    def create_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            **self.service_data(),
            "key": data["key"],
            "region_prefix": data["region_prefix"] or "",
            "year": data["year"],
        }

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
