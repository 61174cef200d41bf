"""Web forms of the poor-village pages. Forms only parse; the services validate the rules and write."""

from __future__ import annotations

from typing import Any

from django import forms

from jingzhun.villages.services import RECORD_FIELDS

YES_NO = [("", "未填写"), ("1", "是"), ("0", "否")]
MAX_UPLOAD = 2 * 2**20


class ImportForm(forms.Form):
    """A county's 贫困村 list: villages ticked in the list (``pick``), codes pasted or a .txt/.csv file of
    codes; the year and the document."""

    codes = forms.CharField(
        label="村代码",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="12位村级区划代码，每行一个（也可用逗号分隔）",
    )
    file = forms.FileField(
        label="或上传名单文件", required=False, help_text="文本或CSV文件，第一列为12位村代码"
    )
    identified_year = forms.IntegerField(label="识别年度", min_value=1978, max_value=2100, initial=2014)
    source_document = forms.CharField(
        label="依据文件", max_length=200, help_text="如：某县2014年贫困村名单（县扶贫开发领导小组文件）"
    )

    wide_fields = ("codes", "source_document")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        picked = self.data.getlist("pick") if hasattr(self.data, "getlist") else []
        text = "\n".join([data.get("codes") or "", *picked]).strip("\n")
        if upload is not None:
            if upload.size > MAX_UPLOAD:
                self.add_error("file", "名单文件不能超过 2 MB")
                return data
            raw = upload.read()
            for encoding in ("utf-8-sig", "gb18030"):
                try:
                    decoded = raw.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
            else:
                self.add_error("file", "名单文件应为文本或CSV文件（UTF-8或GBK编码）")
                return data
            # CSV: the first column of each line.
            text = "\n".join([text, *(line.split(",")[0] for line in decoded.splitlines())]).strip("\n")
        if not text.strip():
            self.add_error("codes", "请勾选村、填写村代码或上传名单文件")
        data["text"] = text
        return data


class RecordForm(forms.Form):
    """A village's yearly record (村级年度情况)."""

    hardened_road = forms.ChoiceField(label="通硬化路", choices=YES_NO, required=False)
    safe_water_coverage = forms.CharField(
        label="安全饮水覆盖率", required=False, max_length=20, help_text="0到1之间的小数，95%填0.95"
    )
    power = forms.ChoiceField(label="通动力电", choices=YES_NO, required=False)
    clinic = forms.ChoiceField(label="有标准化卫生室和合格村医", choices=YES_NO, required=False)
    broadband = forms.ChoiceField(label="通宽带", choices=YES_NO, required=False)
    radio_tv = forms.ChoiceField(label="通广播电视", choices=YES_NO, required=False)
    collective_income = forms.CharField(label="村集体经济收入（元）", required=False, max_length=30)
    per_capita_income = forms.CharField(label="农民人均纯收入（元）", required=False, max_length=30)
    rural_population = forms.CharField(label="农村户籍人口", required=False, max_length=12)
    poor_population = forms.CharField(
        label="建档立卡贫困人口",
        required=False,
        max_length=12,
        help_text="年末剩余贫困人口；不填则按登记系统计算",
    )
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    wide_fields = ("note",)

    def __init__(self, data: Any = None, *, record: Any = None) -> None:
        initial: dict[str, Any] = {"version": record.version if record else 0}
        if record is not None:
            for name in RECORD_FIELDS:
                value = getattr(record, name)
                if value is None or isinstance(value, bool):
                    value = "" if value is None else "1" if value else "0"
                initial[name] = value
        super().__init__(data, initial=initial)

    @property
    def expected_version(self) -> int:
        return int(self.cleaned_data.get("version") or 0)

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in RECORD_FIELDS}

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
