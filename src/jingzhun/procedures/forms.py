"""The new member of a natural change (出生, 婚入, 迁入): the registry's own member form, without the fields the
case decides (the date the member joins is the event's date; 人编号 may be left for the system to assign)."""

from __future__ import annotations

from typing import Any

from jingzhun.core import audit
from jingzhun.registry.forms import MemberAddForm

PREFIX = "m"


class NewMemberForm(MemberAddForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, version=1, prefix=PREFIX, **kwargs)
        del self.fields["version"], self.fields["joined_on"]
        self.fields["person_number"].required = False
        self.fields["person_number"].help_text = "全国系统的人编号；留空由系统按户编号编排"

    def params(self) -> dict[str, Any]:
        """The cleaned fields as the case stores them (JSON), checked again by the registry when applied."""
        data = audit.jsonable_dict(self.service_data())
        data.pop("joined_on", None)
        return {**data, "person_number": self.cleaned_data.get("person_number", "").strip()}

    def error_summary(self) -> str:
        parts = [
            f"{self.fields[name].label if name in self.fields else ''}：{'，'.join(str(e) for e in errors)}"
            for name, errors in self.errors.items()
        ]
        return "新成员信息填写有误：" + "；".join(parts)
