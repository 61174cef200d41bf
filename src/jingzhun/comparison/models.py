"""Department data comparison (行业数据比对, domain.md §5): dataset loads, the rule catalogue, runs and doubts.

Department rows and registry snapshots live in Parquet files, never in these tables: a province's
comparison reads tens of millions of rows, which the ORM must not carry. The tables hold what people work
with: which load is current, which rules are on with which thresholds, each run, and each doubt (疑点) with
its evidence and verification.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from jingzhun.core.restrict import Restricted


class LoadState(models.TextChoices):
    RUNNING = "running", "进行中"
    COMMITTED = "committed", "已入库"
    PARTIAL = "partial", "部分入库"
    REJECTED = "rejected", "有错误，未入库"
    FAILED = "failed", "失败"


class DatasetLoad(Restricted):
    """One file a department sent, checked and stored (versioned by dataset and ``as_of`` date).

    The accepted rows are ``MEDIA_ROOT/datasets/<dataset>/<id>.parquet``; the newest committed load of a
    dataset whose ``region_prefix`` covers a county is what a comparison of that county reads.
    """

    region_paths = ("region_prefix",)
    region_covering = "region_prefix"

    id = models.CharField(primary_key=True, max_length=32)
    dataset = models.CharField("数据集", max_length=40)
    department = models.CharField("部门", max_length=20)
    as_of = models.DateField("数据截止日期")
    region_prefix = models.CharField("覆盖区划代码前缀", max_length=12, blank=True)
    file_name = models.CharField("文件名", max_length=255)
    file_sha256 = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user_name = models.CharField("操作人", max_length=150)
    policy = models.CharField("入库方式", max_length=10, default="valid")
    state = models.CharField("状态", max_length=10, choices=LoadState.choices, default=LoadState.RUNNING)
    progress = models.PositiveSmallIntegerField("进度", default=0)
    stage = models.CharField("阶段", max_length=50, blank=True)
    rows_total = models.PositiveIntegerField("总行数", default=0)
    rows_accepted = models.PositiveIntegerField("入库行数", default=0)
    rows_rejected = models.PositiveIntegerField("错误行数", default=0)
    errors_preview = models.JSONField(default=list, blank=True)
    error_report = models.CharField("错误报告", max_length=255, blank=True)
    parquet_path = models.CharField(max_length=255, blank=True)
    message = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "部门数据批次"
        verbose_name_plural = "部门数据批次"
        ordering = ["-as_of", "-started_at"]
        indexes = [models.Index(fields=["dataset", "state", "as_of"], name="comparison_load_current")]

    def __str__(self) -> str:
        return f"{self.dataset} {self.as_of}（{self.get_state_display()}）"


class Category(models.TextChoices):
    WRONG_INCLUSION = "wrong_inclusion", "错评"
    MISSED = "missed", "漏评"
    WRONG_EXIT = "wrong_exit", "错退"
    GUARANTEES = "guarantees", "三保障和饮水安全"
    MONITORING = "monitoring", "监测预警"
    QUALITY = "quality", "数据质量"
    DUPLICATE = "duplicate", "人员重复"


class Severity(models.TextChoices):
    HIGH = "high", "高"
    MEDIUM = "medium", "中"
    LOW = "low", "低（提示）"


class Rule(Restricted):
    """One doubt rule: its SQL, message and parameters are data, scoped to a region prefix.

    The shipped catalogue (``data/rules.toml``) is the default: its rules are rows with ``shipped`` set and
    an empty ``region_prefix`` (national), kept in step with the file by ``services.sync_catalogue``; there
    ``enabled`` and ``parameters`` are what the system administrator changes. A county administrator adds
    rows for their county (``region_prefix``): a new code is the county's own rule, the code of a shipped
    rule overrides it inside the county. In a region the most specific enabled row of a code applies
    (``rulebook.py``). A county row is switched on only after ``rulecheck.check`` passed on the county's
    latest snapshot; any edit switches it off again.
    ``audience`` lists the departments that see this rule's doubts (education sees the children not
    enrolled). ``on_true`` says what a doubt verified 属实 leads to: a procedure kind to open, or
    ``correct`` (a registry correction by the village).
    """

    code = models.CharField("规则编号", max_length=20)
    region_paths = ("region_prefix",)
    region_covering = "region_prefix"

    region_prefix = models.CharField("适用区划代码前缀", max_length=12, blank=True, default="")
    shipped = models.BooleanField("随系统发布", default=False)
    sql = models.TextField("查询语句（DuckDB SQL）", blank=True)
    category = models.CharField("类别", max_length=20, choices=Category.choices)
    severity = models.CharField("严重程度", max_length=10, choices=Severity.choices)
    name = models.CharField("规则名称", max_length=100)
    message = models.CharField("疑点说明", max_length=300)
    explanation = models.TextField("依据与证据说明", blank=True)
    datasets = models.CharField("使用的部门数据", max_length=200, blank=True)
    audience = models.CharField("推送部门", max_length=100, blank=True)
    on_true = models.CharField("属实后处理", max_length=30, blank=True)
    exact = models.BooleanField("精确规则", default=True)
    enabled = models.BooleanField("启用", default=True)
    parameters = models.JSONField("阈值参数", default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "比对规则"
        verbose_name_plural = "比对规则"
        ordering = ["code", "region_prefix"]
        constraints = [
            models.UniqueConstraint(fields=["code", "region_prefix"], name="comparison_rule_code_region"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}" + (f"（{self.region_prefix}）" if self.region_prefix else "")


class RuleThreshold(Restricted):
    """A region's own values of a rule's threshold parameters (阈值): for households of the region, each
    value given here replaces the rule's own; the most specific region prefix wins (``rulebook.py``)."""

    region_paths = ("region_prefix",)
    region_covering = "region_prefix"

    code = models.CharField("规则编号", max_length=20)
    region_prefix = models.CharField("区划代码前缀", max_length=12)
    parameters = models.JSONField("阈值参数", default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "地区阈值"
        verbose_name_plural = "地区阈值"
        ordering = ["code", "region_prefix"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "region_prefix"], name="comparison_threshold_code_region"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}（{self.region_prefix}）"


class RunState(models.TextChoices):
    RUNNING = "running", "进行中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class ComparisonRun(Restricted):
    """One run of the enabled catalogue over the snapshot of a region, on one engine."""

    region_paths = ("region__code",)
    region_covering = "region__prefix"

    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="比对范围"
    )
    engine = models.CharField("引擎", max_length=10, default="duckdb")
    as_of = models.DateField("比对基准日")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user_name = models.CharField("操作人", max_length=150)
    state = models.CharField("状态", max_length=10, choices=RunState.choices, default=RunState.RUNNING)
    progress = models.PositiveSmallIntegerField("进度", default=0)
    stage = models.CharField("阶段", max_length=80, blank=True)
    loads = models.JSONField("使用的部门数据批次", default=dict, blank=True)
    rules = models.JSONField("规则与参数", default=dict, blank=True)
    counts = models.JSONField("各规则命中数", default=dict, blank=True)
    findings = models.PositiveIntegerField("命中数", default=0)
    doubts_created = models.PositiveIntegerField("新增疑点", default=0)
    doubts_skipped = models.PositiveIntegerField("已有疑点（未重复下发）", default=0)
    findings_path = models.CharField(max_length=255, blank=True)
    message = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField("用时（秒）", null=True, blank=True)

    class Meta:
        verbose_name = "比对任务"
        verbose_name_plural = "比对任务"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"比对 {self.region_id} {self.started_at:%Y-%m-%d %H:%M}"


class DoubtState(models.TextChoices):
    OPEN = "open", "待核实"
    CONFIRMED = "confirmed", "属实"
    REJECTED = "rejected", "不属实"
    RESOLVED = "resolved", "已整改"


class Doubt(Restricted):
    """A doubt (疑点): one rule's hit on one person or household, sent to the village to verify.

    ``key`` is the rule code plus the subject (person number, ID number or household number): while a doubt
    with the same key is open, confirmed, or was verified false, a new run does not raise it again; only
    after it was resolved (已整改) may the same problem be raised anew. ``household`` is empty for a person
    not in the register (漏评): the village comes from the department's address code.
    """

    region_paths = ("village__code",)

    key = models.CharField(max_length=80)
    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="doubts", verbose_name="规则")
    run = models.ForeignKey(
        ComparisonRun, on_delete=models.PROTECT, related_name="doubts", verbose_name="发现于"
    )
    village = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="村"
    )
    household = models.ForeignKey(
        "registry.Household",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="doubts",
        verbose_name="户",
    )
    person_number = models.CharField("人编号", max_length=30, blank=True)
    id_number = models.CharField("证件号码", max_length=18, blank=True)
    name = models.CharField("姓名", max_length=50, blank=True)
    detail = models.TextField("证据")
    evidence = models.JSONField("证据明细", default=dict, blank=True)
    state = models.CharField("状态", max_length=10, choices=DoubtState.choices, default=DoubtState.OPEN)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_by_name = models.CharField("核实人", max_length=150, blank=True)
    verified_at = models.DateTimeField("核实时间", null=True, blank=True)
    verification_note = models.TextField("核实说明", blank=True)
    verification_file = models.FileField("核实材料", upload_to="doubts/%Y/%m/", blank=True)
    case = models.ForeignKey(
        "procedures.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="启动的程序",
    )
    raised_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "疑点"
        verbose_name_plural = "疑点"
        ordering = ["-raised_at", "id"]
        constraints = [
            # At most one doubt per key that is not resolved: the "raise again only after 已整改" rule.
            models.UniqueConstraint(
                fields=["key"], condition=~Q(state="resolved"), name="comparison_doubt_live"
            ),
        ]
        indexes = [models.Index(fields=["village", "state"], name="comparison_doubt_queue")]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.name or self.household_id}"
