"""Forms of the assistance pages: the import upload, and one pairing or measure from the household page
(rendered and cleaned here, checked and saved by ``services``)."""

from __future__ import annotations

from typing import Any

from django import forms

from jingzhun.assistance.models import Measure, Pairing
from jingzhun.assistance.services import KINDS, MEASURE_FIELDS, PAIRING_FIELDS
from jingzhun.core.uploads import checked_upload
from jingzhun.registry.forms import ServiceForm

EXTENSIONS = (".xlsx", ".csv")


class AssistanceImportForm(forms.Form):
    kind = forms.ChoiceField(
        label="导入内容",
        choices=[(k, s.name) for k, s in KINDS.items()],
        initial="pairings",
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label="数据文件",
        help_text="Excel（.xlsx）或 CSV 文件（UTF-8 或 GB18030），表头与模板一致",
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(EXTENSIONS)}),
    )
    keep_valid = forms.BooleanField(
        label="只导入正确的行",
        required=False,
        help_text="不勾选：全部行都正确才导入；勾选：导入正确的行，列出错误的行",
    )

    def clean_file(self) -> Any:
        return checked_upload(self.cleaned_data["file"], EXTENSIONS)


class PairingForm(ServiceForm):
    """One helper pairing; the household's version rides along as the lock."""

    class Meta:
        model = Pairing
        fields = list(PAIRING_FIELDS)
        help_texts = {
            "ended_on": "结对结束（换人、脱贫不再帮扶）时填写；仍在帮扶留空",
            "helper_phone": "帮扶责任人的电话，数字和“-”",
        }


class MeasureForm(ServiceForm):
    """One family of measures of one year: what was done, and whether it has been carried out."""

    class Meta:
        model = Measure
        fields = list(MEASURE_FIELDS)
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}
