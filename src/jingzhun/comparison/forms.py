"""Web forms of the comparison. They render and clean input; services (and ``jobs``) check and write."""

from __future__ import annotations

from typing import Any

from django import forms

from jingzhun.accounts.models import User
from jingzhun.comparison import access, datasets, jobs
from jingzhun.core.uploads import checked_upload
from jingzhun.regions.access import regions_for
from jingzhun.regions.choices import Level
from jingzhun.regions.models import Region

REGION_OPTIONS_LIMIT = 3000
LOAD_EXTENSIONS = (".xlsx", ".xlsm", ".csv", ".txt", ".parquet")
EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
POLICIES = (
    ("valid", "只入库正确的行（有错误的行列入错误报告）"),
    ("all", "全部正确才入库（有一处错误就都不入库）"),
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def run_regions(user: User) -> list[Region]:
    """The counties a user may compare: their own county, or every county inside their jurisdiction."""
    return list(regions_for(user).filter(level=Level.COUNTY).order_by("code")[:REGION_OPTIONS_LIMIT])


class RunForm(forms.Form):
    region = forms.ChoiceField(label="比对范围（县）")
    engine = forms.ChoiceField(
        label="比对引擎", choices=list(jobs.ENGINES.items()), initial="duckdb", widget=forms.RadioSelect
    )
    as_of = forms.DateField(
        label="比对基准日",
        required=False,
        widget=DateInput(),
        help_text="留空为今天；年龄、时限等按这一天计算",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.regions = {r.code: r for r in run_regions(user)}
        region: Any = self.fields["region"]
        region.choices = [(r.code, f"{r.name}（{r.prefix}）") for r in self.regions.values()]

    def clean_region(self) -> Region:
        return self.regions[self.cleaned_data["region"]]


class VerifyForm(forms.Form):
    confirmed = forms.TypedChoiceField(
        label="核实结果",
        choices=(("1", "属实"), ("0", "不属实")),
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="核实说明",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="属实：写明核实到的情况；不属实：写明理由（如部门数据有误、已于某日减员）",
    )
    file = forms.FileField(label="核实材料（可选）", required=False, help_text="照片、扫描件等，最大 20 MB")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload is not None and upload.size > EVIDENCE_MAX_BYTES:
            raise forms.ValidationError("文件太大：最大 20 MB")
        return upload


class ResolveForm(forms.Form):
    note = forms.CharField(label="整改情况", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def loadable(user: User) -> list[datasets.Dataset]:
    return [ds for ds in datasets.DATASETS if access.can_load(user, ds)]


class LoadForm(forms.Form):
    dataset = forms.ChoiceField(label="部门数据集")
    as_of = forms.DateField(label="数据截止日期", widget=DateInput())
    policy = forms.ChoiceField(label="入库方式", choices=POLICIES, initial="valid", widget=forms.RadioSelect)
    region_prefix = forms.CharField(
        label="覆盖范围（区划代码）",
        required=False,
        max_length=12,
        help_text="文件覆盖的地区：2、4、6、9 或 12 位区划代码；留空为本人辖区",
    )
    file = forms.FileField(
        label="数据文件",
        help_text="Excel（.xlsx）、CSV（UTF-8 或 GB18030）或 Parquet，表头用模板的中文列名",
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(LOAD_EXTENSIONS)}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        dataset: Any = self.fields["dataset"]
        dataset.choices = [(ds.code, f"{ds.name}（{ds.department_name}）") for ds in loadable(user)]

    def clean_region_prefix(self) -> str:
        from jingzhun.core.errors import NotFoundOrForbidden
        from jingzhun.regions.access import access_region

        prefix = self.cleaned_data["region_prefix"].strip()
        if not prefix:
            return ""
        try:
            return access_region(self.user, prefix).prefix
        except NotFoundOrForbidden:
            raise forms.ValidationError("区划不存在或不在您的辖区内") from None

    def clean_file(self) -> Any:
        return checked_upload(self.cleaned_data["file"], LOAD_EXTENSIONS, "上传")


def parse_parameters(text: str) -> dict[str, str]:
    """ "名称 = 数值" lines (blank lines ignored) → {name: value}; a line without "=" is an error naming it."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise forms.ValidationError(f"第 {number} 行应写成「名称 = 数值」，如 income_max = 100000")
        values[key.strip()] = value.strip()
    return values


class RegionRuleForm(forms.Form):
    """A region's own rule (services.save_region_rule checks and writes it)."""

    wide_fields = ("message", "explanation", "sql", "datasets", "parameters")

    code = forms.CharField(
        label="规则编号",
        max_length=20,
        help_text="大写字母开头，如 XZ01；用系统规则的编号（如 SJ08）则在本县替换该规则",
    )
    name = forms.CharField(label="规则名称", max_length=100)
    category = forms.ChoiceField(label="类别")
    severity = forms.ChoiceField(label="严重程度")
    on_true = forms.ChoiceField(label="属实后处理")
    message = forms.CharField(label="疑点说明", max_length=300)
    explanation = forms.CharField(
        label="依据与证据说明", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    datasets = forms.MultipleChoiceField(
        label="使用的部门数据",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="没有上传的部门数据，比对时跳过该规则并说明原因",
    )
    parameters = forms.CharField(
        label="阈值参数",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "mono"}),
        help_text="每行一个「名称 = 数值」，在查询中写 {{名称}}",
    )
    sql = forms.CharField(
        label="查询语句（DuckDB SQL）",
        widget=forms.Textarea(attrs={"rows": 14, "class": "mono", "spellcheck": "false"}),
        help_text="一条 SELECT，返回 household_number、person_number、id_number、name、village_code、detail；"
        "可用的表：households、members、years、status_events、policy、d_<部门数据集> 和目录中的视图",
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        from jingzhun.comparison.models import Category, Severity
        from jingzhun.comparison.services import ON_TRUE

        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["category"].choices = Category.choices
        fields["severity"].choices = Severity.choices
        fields["on_true"].choices = list(ON_TRUE.items())
        fields["datasets"].choices = [(d.code, d.name) for d in datasets.DATASETS]
        if editing:  # doubts are keyed by the code: it does not change
            del self.fields["code"]

    def clean_parameters(self) -> dict[str, str]:
        return parse_parameters(self.cleaned_data["parameters"])


def parameters_text(parameters: dict[str, Any]) -> str:
    return "\n".join(f"{key} = {value}" for key, value in parameters.items())
