"""Web forms of the assessment. Forms only parse; the services check the rules and write."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.utils import timezone

from jingzhun.assessment import sampling
from jingzhun.assessment.choices import Outcome, Stratum, StratumRule
from jingzhun.assessment.models import Interview, SampledHousehold

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
YES_NO = (("1", "是"), ("0", "否"))
BOOLEAN = {"1": True, "0": False}


def _default_design() -> sampling.Design:
    return sampling.Design()


class SurveyForm(forms.Form):
    """Draw a survey: the county, the year, the seed and the design."""

    county = forms.ChoiceField(label="县")
    year = forms.IntegerField(label="评估年度", min_value=2014, max_value=2100)
    seed = forms.IntegerField(
        label="随机种子",
        min_value=0,
        max_value=sampling.MAX_SEED,
        help_text="记下种子：同一登记数据、同一设计和种子抽出的样本相同",
    )
    name = forms.CharField(label="调查名称", max_length=100, required=False, help_text="不填则自动生成")
    poor = forms.IntegerField(label="抽贫困村数", min_value=0, max_value=sampling.MAX_VILLAGES)
    non_poor = forms.IntegerField(label="抽非贫困村数", min_value=0, max_value=sampling.MAX_VILLAGES)
    households_per_village = forms.IntegerField(
        label="每村抽样户数", min_value=1, max_value=sampling.MAX_HOUSEHOLDS
    )
    ratio = forms.CharField(
        label="户数比例",
        max_length=20,
        help_text="有劳动力建档立卡户 : 非建档立卡户 : 无劳动力建档立卡户，如 5:3:2",
    )
    stratum_rule = forms.ChoiceField(
        label="村的分层方式", choices=StratumRule.choices, widget=forms.RadioSelect
    )
    poor_village_factor = forms.DecimalField(
        label="贫困村判定倍数",
        max_digits=6,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text="按比例分层、且本县没有贫困村登记名单时：建档立卡人口比例不低于全省贫困发生率的这个倍数的村为贫困村；"
        "不填按政策参数（高于全省一倍以上，即2倍）",
    )
    poor_villages = forms.CharField(
        label="贫困村名单",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="按名单分层时：12位村代码，每行一个或用逗号分隔",
    )

    wide_fields = ("poor_villages", "stratum_rule")

    def __init__(self, data: Any = None, *, counties: list[tuple[str, str]]) -> None:
        design = _default_design()
        initial = {
            "year": timezone.localdate().year,
            "seed": secrets.randbelow(1_000_000),
            "poor": design.villages[Stratum.POOR],
            "non_poor": design.villages[Stratum.NON_POOR],
            "households_per_village": design.households_per_village,
            "ratio": ":".join(str(v) for v in design.ratio.values()),
            "stratum_rule": design.stratum_rule,
            "poor_village_factor": design.poor_village_factor,
        }
        if len(counties) == 1:
            initial["county"] = counties[0][0]
        super().__init__(data, initial=initial)
        self.fields["county"].choices = counties  # type: ignore[attr-defined]  # a ChoiceField

    def design_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "villages": {Stratum.POOR: data["poor"], Stratum.NON_POOR: data["non_poor"]},
            "households_per_village": data["households_per_village"],
            "ratio": sampling.parse_ratio(data["ratio"]),
            "stratum_rule": data["stratum_rule"],
            "poor_village_factor": data["poor_village_factor"],
            "poor_villages": data["poor_villages"],
        }

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        aliases = {"villages": "poor"}
        for name, messages in errors.items():
            target = aliases.get(name, name)
            for message in messages:
                self.add_error(target if target in self.fields else None, message)


class RedrawForm(forms.Form):
    seed = forms.IntegerField(label="新的随机种子", min_value=0, max_value=sampling.MAX_SEED)
    version = forms.IntegerField(widget=forms.HiddenInput)


class CloseForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class AddHouseholdForm(forms.Form):
    """A household in no register, visited by the assessors (added to the village's list)."""

    head_name = forms.CharField(label="户主姓名", max_length=50)
    natural_village = forms.CharField(label="自然村/组", max_length=60, required=False)
    address = forms.CharField(label="住址", max_length=200)
    people = forms.IntegerField(label="家庭人口", min_value=1, max_value=50)


class InterviewForm(forms.Form):
    """One visit's result, laid out for a phone: large radio buttons, only the questions this household
    is asked (错退 for an exited household, 漏评 for a non-registered one)."""

    outcome = forms.ChoiceField(label="访问结果", choices=Outcome.choices, widget=forms.RadioSelect)
    visited_on = forms.DateField(label="访问日期", widget=DATE)
    interviewers = forms.CharField(label="调查员", max_length=100, help_text="两人一组，用顿号分隔")
    approves = forms.ChoiceField(
        label="是否认可",
        choices=YES_NO,
        widget=forms.RadioSelect,
        required=False,
        help_text="对本村贫困户识别和退出工作是否认可",
    )
    wrongly_exited = forms.ChoiceField(
        label="是否错退",
        choices=YES_NO,
        widget=forms.RadioSelect,
        required=False,
        help_text="脱贫户：是否未达到脱贫标准就退出",
    )
    wrong_exit_reason = forms.CharField(label="错退原因", max_length=200, required=False)
    missed = forms.ChoiceField(
        label="是否漏评",
        choices=YES_NO,
        widget=forms.RadioSelect,
        required=False,
        help_text="非建档立卡户：是否符合识别标准而未纳入",
    )
    missed_people = forms.IntegerField(label="漏评人数", min_value=1, max_value=50, required=False)
    notes = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    wide_fields = ("outcome", "approves", "wrongly_exited", "missed", "notes")

    def __init__(self, data: Any = None, *, sampled: SampledHousehold, interview: Interview | None) -> None:
        initial: dict[str, Any] = {
            "outcome": Outcome.COMPLETED,
            "visited_on": timezone.localdate(),
            "version": 0,
        }
        if interview is not None:
            initial = {
                name: getattr(interview, name)
                for name in (
                    "outcome",
                    "visited_on",
                    "interviewers",
                    "wrong_exit_reason",
                    "missed_people",
                    "notes",
                )
            }
            for name in ("approves", "wrongly_exited", "missed"):
                value = getattr(interview, name)
                initial[name] = "" if value is None else ("1" if value else "0")
            initial["version"] = interview.version
        super().__init__(data, initial=initial)
        if not sampled.exited:
            del self.fields["wrongly_exited"], self.fields["wrong_exit_reason"]
        if not sampled.non_registered:
            del self.fields["missed"], self.fields["missed_people"]
        elif "missed_people" in self.fields:
            self.fields["missed_people"].widget.attrs["max"] = sampled.people  # the service checks it too
            self.fields["missed_people"].help_text = f"不超过家庭人口 {sampled.people} 人"

    @property
    def expected_version(self) -> int:
        return int(self.cleaned_data.get("version") or 0)

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        for name in ("approves", "wrongly_exited", "missed"):
            if name in data:
                data[name] = BOOLEAN.get(data[name])
        return data

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
