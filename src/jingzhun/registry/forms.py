"""Web forms for the register. They render and clean input; the services validate the record and save it.

Every form carries the household's ``version`` (the optimistic lock) as a hidden field, passed to the
service as ``expected_version``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jingzhun.core.uploads import checked_upload
from jingzhun.registry import choices, columns, income, services
from jingzhun.registry.models import (
    MEMBER_YEARLY_FIELDS,
    Household,
    HouseholdExpense,
    HouseholdYear,
    ImportBatch,
    IncomeAssessment,
    Member,
    MemberYear,
)

# Multi-value code fields (JSON lists of codes) and their code lists, from the register's column table.
MULTI_CODES: dict[str, type] = {
    col.key: col.codes for col in columns.COLUMNS if col.kind == columns.Kind.CODES and col.codes is not None
}
IMPORT_EXTENSIONS = (".xlsx", ".xls", ".csv")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _checkboxes(name: str, label: str, help_text: str = "") -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=MULTI_CODES[name].choices,  # type: ignore[attr-defined]  # Any-typed choices class
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=help_text,
    )


class Grouped:
    """Fields shown in titled groups (fieldsets); anything not listed goes into a last group."""

    fieldsets: tuple[tuple[str, tuple[str, ...]], ...] = ()
    wide_fields: frozenset[str] = frozenset(MULTI_CODES)

    def grouped(self) -> list[tuple[str, list[forms.BoundField]]]:
        fields = self.fields  # type: ignore[attr-defined]  # a mixin of forms.Form
        seen: set[str] = {"version"}
        groups: list[tuple[str, list[forms.BoundField]]] = []
        for title, names in self.fieldsets:
            bound = [self[n] for n in names if n in fields]  # type: ignore[index]  # a mixin of forms.Form
            seen.update(names)
            if bound:
                groups.append((title, bound))
        rest = [self[n] for n in fields if n not in seen]  # type: ignore[index]  # a mixin of forms.Form
        if rest:
            groups.append((str(_("其他")) if groups else "", rest))
        return groups


class ServiceForm(Grouped, forms.ModelForm):
    """A ModelForm that only renders and cleans: the service validates the model and saves it.

    ``_post_clean`` is skipped on purpose: it would copy the input into the instance the view loaded,
    and the service takes that instance's state as the audit log's "before".
    """

    version = forms.IntegerField(label="版本号（请重新打开本页）", widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, version: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = version
        for name, field in self.fields.items():
            choices = list(getattr(field, "choices", None) or [])
            if choices and not isinstance(field, forms.MultipleChoiceField) and choices[0][0] == "":
                # a choice field (found by its choices): the base Field class has no ``choices``
                field.choices = [("", _("未填写")), *choices[1:]]  # type: ignore[attr-defined]
            if isinstance(field, forms.DateField):
                field.widget = DateInput()
            elif isinstance(field, forms.DecimalField):
                field.widget.attrs.setdefault("step", "0.01")
                field.widget.attrs.setdefault("inputmode", "decimal")
            elif isinstance(field, forms.IntegerField) and name != "version":
                field.widget.attrs.setdefault("inputmode", "numeric")

    def _post_clean(self) -> None:
        pass

    @property
    def expected_version(self) -> int:
        return int(self.cleaned_data["version"])

    def service_data(self) -> dict[str, Any]:
        """The cleaned values of the record's own fields, as the service takes them."""
        return {
            name: self.cleaned_data[name] for name in self._meta.fields or () if name in self.cleaned_data
        }

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        """Attach a service's per-field messages to the matching inputs (others show at the top)."""
        for name, messages in errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class HouseholdForm(ServiceForm):
    """The household's own fields. The village is not here: moving a household is a procedure, not an edit."""

    other_causes = _checkboxes("other_causes", "其他致贫原因", "最多选 2 项")
    risk_types = _checkboxes("risk_types", "致贫返贫风险", "可多选")
    exit_year = forms.IntegerField(label="脱贫年度", required=False, min_value=1980, max_value=2100)
    return_year = forms.IntegerField(label="返贫年度", required=False, min_value=1980, max_value=2100)

    fieldsets = (
        ("基本信息", ("natural_village", "head_name", "phone", "bank_name", "bank_account")),
        (
            "识别与脱贫",
            (
                "identification_standard",
                "attribute",
                "poverty_status",
                "main_cause",
                "other_causes",
                "first_identified_on",
                "exit_year",
                "return_year",
                "relocated",
                "military_family",
            ),
        ),
        (
            "监测帮扶",
            (
                "monitoring_type",
                "monitoring_identified_on",
                "risk_types",
                "risk_elimination",
                "risk_eliminated_on",
            ),
        ),
    )

    class Meta:
        model = Household
        fields = [f for f in services.HOUSEHOLD_EDITABLE if f != "village"]
        help_texts = {
            "phone": "户主或家庭常用的手机号码",
            "bank_account": "惠民惠农补贴发放所用的银行卡号",
            "poverty_status": "从未识别为贫困户的一般农户留空",
            "monitoring_type": "不是监测对象时留空",
            "risk_elimination": "仅监测对象填写",
        }


# Derived from the ID number by the service (sex, birth date, kind, disability certificate) or set
# only by the remove-member procedure (left_on, leave_reason): shown, never typed in this form.
MEMBER_DERIVED = frozenset(
    {"sex", "birth_date", "id_kind", "disability_cert_number", "left_on", "leave_reason"}
)


class MemberForm(ServiceForm):
    id_number = forms.CharField(
        label="证件号码",
        max_length=30,
        help_text="18 位居民身份证号码，或 20 位残疾人证号；性别、出生日期由证件号码推算",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "class": "mono"}),
    )
    health = _checkboxes("health", "健康状况", "可多选")
    migrant_months = forms.IntegerField(
        label="务工时间（月）", min_value=0, max_value=12, initial=0, help_text="本年度外出务工月数，0–12"
    )

    fieldsets: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("身份", ("name", "id_number", "relation", "ethnicity", "political_status", "phone", "joined_on")),
        ("教育与健康", ("education", "schooling", "health", "disability_category", "disability_grade")),
        ("劳动与就业", ("labour_skill", "migrant_months", "migrant_place", "speaks_mandarin")),
        (
            "保障",
            (
                "basic_medical_insurance",
                "employee_medical_insurance",
                "serious_illness_insurance",
                "commercial_medical_insurance",
                "basic_pension_insurance",
                "accident_insurance",
                "dibao",
                "tekun",
            ),
        ),
    )

    class Meta:
        model = Member
        fields = [f for f in services.MEMBER_EDITABLE if f not in MEMBER_DERIVED]
        help_texts = {
            "disability_category": "持 20 位残疾人证时由证号推算",
            "joined_on": "识别为家庭成员的日期",
        }


class MemberAddForm(MemberForm):
    person_number = forms.CharField(label="人编号", max_length=30, help_text="全国系统的人编号，全库唯一")

    fieldsets = (("身份", ("person_number", *MemberForm.fieldsets[0][1])), *MemberForm.fieldsets[1:])

    class Meta(MemberForm.Meta):
        pass


class MemberYearForm(ServiceForm):
    """A member's values of one data year (在校生状况, 健康状况, 劳动技能, 务工, insurance …); the groups are the
    member form's, without the fields that do not change by year."""

    health = _checkboxes("health", "健康状况", "可多选")
    migrant_months = forms.IntegerField(
        label="务工时间（月）", min_value=0, max_value=12, initial=0, help_text="该年度外出务工月数，0–12"
    )

    fieldsets = tuple(
        (title, tuple(n for n in names if n in MEMBER_YEARLY_FIELDS))
        for title, names in MemberForm.fieldsets[1:]
    )

    class Meta:
        model = MemberYear
        fields = list(MEMBER_YEARLY_FIELDS)


class ConfirmForm(Grouped, forms.Form):
    """A confirmation (deleting a record): only the household's version, the lock."""

    version = forms.IntegerField(label="版本号（请重新打开本页）", widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, version: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = version

    @property
    def expected_version(self) -> int:
        return int(self.cleaned_data["version"])


class MemberRemoveForm(ConfirmForm):
    """减员: a member leaves the household (death, marriage out, split …) on a date."""

    leave_reason = forms.ChoiceField(label="减少原因", choices=choices.LeaveReason.choices)
    left_on = forms.DateField(label="减少时间", widget=DateInput(), initial=timezone.localdate)


class IndicatorSelect(forms.NullBooleanSelect):
    """A yes/no/unfilled choice read as 达标 / 不达标 (the water indicators of T/CHES 18-2018)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.choices = [("unknown", _("未填写")), ("true", _("达标")), ("false", _("不达标"))]


class YesNoSelect(forms.NullBooleanSelect):
    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.choices = [("unknown", _("未填写")), ("true", _("是")), ("false", _("否"))]


WATER_INDICATORS = ("water_quantity_ok", "water_quality_ok", "water_convenience_ok", "water_reliability_ok")


class YearForm(ServiceForm):
    """A data year's income items and conditions; totals and per-capita income are derived by the service."""

    household_size = forms.IntegerField(label="家庭人口数", min_value=0, max_value=99)
    renovation_year = forms.IntegerField(
        label="危房改造竣工年度",
        required=False,
        min_value=1980,
        max_value=2100,
        help_text="已完成危房改造（竣工验收）的年度；未改造留空",
    )

    fieldsets = (
        ("收入（元）", ("household_size", *income.INPUT_FIELDS)),
        (
            "生产条件",
            (
                "cultivated_land",
                "irrigated_land",
                "forest_land",
                "returned_farmland",
                "orchard_land",
                "pasture_land",
                "water_surface",
                "in_cooperative",
                "leading_enterprise",
                "entrepreneur_led",
            ),
        ),
        (
            "生活条件",
            (
                "production_power",
                "living_power",
                "broadcast_tv",
                "road_distance_km",
                "road_type",
                "housing_area",
                "water_difficult",
                "water_safe",
                "dangerous_house",
                "housing_grade",
                "renovation_year",
                "sanitary_toilet",
                "fuel_type",
            ),
        ),
        ("两不愁与饮水安全", ("food_secure", "clothing_secure", *WATER_INDICATORS)),
    )
    wide_fields = frozenset()

    class Meta:
        model = HouseholdYear
        fields = list(services.YEAR_EDITABLE)
        help_texts = {
            "business_expense": "从家庭纯收入中扣除",
            "water_quantity_ok": "每人每天可获得水量：丰水地区不低于35升，缺水地区不低于20升",
            "water_quality_ok": "符合生活饮用水卫生标准（以水质检测报告为准，分散供水户可现场评价）",
            "water_convenience_ok": "供水入户，或取水往返不超过20分钟、水平距离不超过800米、垂直距离不超过80米",
            "water_reliability_ok": "一年内停水断水累计不超过36天",
            "water_safe": "全国系统的原有字段；饮水安全按下方四项指标判断",
        }
        widgets = {
            "food_secure": YesNoSelect,
            "clothing_secure": YesNoSelect,
            **dict.fromkeys(WATER_INDICATORS, IndicatorSelect),
        }


class ExpenseForm(ServiceForm):
    """One rigid expense or loss of the household (monitoring evidence, domain.md §4.2)."""

    fieldsets = (
        ("支出", ("kind", "incurred_on", "amount", "source")),
        ("医疗费用（仅医疗自付填写）", ("total_cost", "reimbursed")),
        ("说明", ("note",)),
    )
    wide_fields = frozenset({"note"})

    class Meta:
        model = HouseholdExpense
        fields = list(services.EXPENSE_FIELDS)


class IncomeAssessmentForm(ServiceForm):
    """The household's net income over a period (usually the 12 months before an application), verified at
    入户核实; the per-capita figure is computed by the service."""

    fieldsets = (
        ("收入期间", ("period_start", "period_end")),
        ("收入", ("net_income", "persons", "source")),
        ("说明", ("note",)),
    )
    wide_fields = frozenset({"note"})

    class Meta:
        model = IncomeAssessment
        fields = list(services.ASSESSMENT_FIELDS)
        help_texts = {
            "period_start": "一般为申请前12个月的第一天，例如上年同月1日",
            "period_end": "一般为申请前一个月的最后一天",
            "net_income": "期间全家纯收入：工资性、生产经营性、财产性、转移性收入减生产经营性支出",
        }


class ImportForm(forms.Form):
    file = forms.FileField(
        label="数据文件",
        help_text="Excel（.xlsx、.xls）或 CSV 文件：本系统的导入模板或导出文件，或全国系统的成员导出表",
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(IMPORT_EXTENSIONS)}),
    )
    policy = forms.ChoiceField(
        label="导入方式",
        choices=ImportBatch.Policy.choices,
        initial=ImportBatch.Policy.ALL_OR_NOTHING,
        widget=forms.RadioSelect,
    )

    def clean_file(self) -> Any:
        return checked_upload(self.cleaned_data["file"], IMPORT_EXTENSIONS)


def year_choices(today: dt.date | None = None) -> list[int]:
    """Data years offered for a new year record: this year and the two before it."""
    year = (today or timezone.localdate()).year
    return [year, year - 1, year - 2]
