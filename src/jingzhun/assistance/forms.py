"""The upload form of the assistance import page."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django import forms
from django.conf import settings

from jingzhun.assistance.services import KINDS

EXTENSIONS = (".xlsx", ".csv")


class AssistanceImportForm(forms.Form):
    kind = forms.ChoiceField(label="导入内容", choices=[(k, s.name) for k, s in KINDS.items()],
                             initial="pairings", widget=forms.RadioSelect)
    file = forms.FileField(label="数据文件", help_text="Excel（.xlsx）或 CSV 文件（UTF-8 或 GB18030），表头与模板一致",
                           widget=forms.ClearableFileInput(attrs={"accept": ",".join(EXTENSIONS)}))
    keep_valid = forms.BooleanField(label="只导入正确的行", required=False,
                                    help_text="不勾选：全部行都正确才导入；勾选：导入正确的行，列出错误的行")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if PurePath(upload.name or "").suffix.lower() not in EXTENSIONS:
            raise forms.ValidationError("只能导入 .xlsx 或 .csv 文件")
        limit = settings.JINGZHUN_MAX_IMPORT_BYTES
        if upload.size > limit:
            raise forms.ValidationError(f"文件太大：最大 {limit // (1024 * 1024)} MB，请拆分后分批导入")
        return upload
