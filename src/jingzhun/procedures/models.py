"""Procedures (业务程序): definitions as data, cases of households going through them, their steps,
evidence, village notices (公示/公告) and objections (domain.md §2.1, §2.2, §3.2, §4.6, §4.7, §10.4).

Policy numbers used by a step (notice days, deadlines, criteria) are stored as JSON snapshots, never as
foreign keys to ``policy``: a decision taken under one year's numbers stays explained by them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from jingzhun.core.restrict import Restricted
from jingzhun.procedures.choices import (
    CaseState,
    Effect,
    EvidenceKind,
    NoticeKind,
    NoticeState,
    ObjectionState,
    ProcedureKind,
)


class ProcedureDefinition(models.Model):
    """How one kind of procedure runs in a place (两公示一公告, 监测对象识别认定 …; domain.md §2.1, §4.6).

    ``region_prefix`` "" is the national default; a county or province with its own rules (other notice
    days, an extra appraisal, the data check elsewhere) gets its own definition and the most specific
    prefix of the household's village wins. Cases keep the definition they were opened under.
    """

    kind = models.CharField("程序类型", max_length=20, choices=ProcedureKind.choices)
    region_prefix = models.CharField("适用区划代码前缀", max_length=12, blank=True)
    name = models.CharField("名称", max_length=100)
    source = models.CharField("依据", max_length=200, blank=True)
    effect = models.CharField("办结效果", max_length=20, choices=Effect.choices)

    class Meta:
        verbose_name = "程序定义"
        verbose_name_plural = "程序定义"
        constraints = [
            models.UniqueConstraint(fields=["kind", "region_prefix"], name="procedures_definition_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.region_prefix or '全国'}）"


class StepDefinition(models.Model):
    """One step of a procedure, in order: who may do it, what must be attached and signed.

    ``roles``, ``evidence`` and ``signatures`` are comma-separated codes (``,village_officer,`` form for
    roles so a queue query is one LIKE). A notice step (``notice_kind`` set) passes only after a village
    notice of ``notice_days_key`` days ended without open objections; an objection sends the case back to
    ``objection_step``. ``evaluate`` stores the policy criteria evaluation; ``require_pass`` refuses the
    step when a criterion fails. The ``final`` step applies the definition's effect to the register.
    """

    definition = models.ForeignKey(ProcedureDefinition, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField("顺序")
    code = models.CharField("步骤代码", max_length=40)
    name = models.CharField("步骤名称", max_length=60)
    roles = models.CharField("可办理角色", max_length=200)
    evidence = models.CharField("必需材料", max_length=300, blank=True)
    signatures = models.CharField("必需签字", max_length=200, blank=True)
    notice_kind = models.CharField("公示类型", max_length=20, choices=NoticeKind.choices, blank=True)
    notice_days_key = models.CharField("公示天数参数", max_length=60, blank=True)
    objection_step = models.CharField("异议退回步骤", max_length=40, blank=True)
    deadline_key = models.CharField("时限参数", max_length=60, blank=True)
    evaluate = models.BooleanField("评估政策标准", default=False)
    require_pass = models.BooleanField("标准不符不得通过", default=False)
    final = models.BooleanField("办结步骤", default=False)

    class Meta:
        verbose_name = "程序步骤"
        verbose_name_plural = "程序步骤"
        ordering = ["definition", "order"]
        constraints = [
            models.UniqueConstraint(fields=["definition", "code"], name="procedures_step_code_unique"),
            models.UniqueConstraint(fields=["definition", "order"], name="procedures_step_order_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"

    @property
    def role_list(self) -> list[str]:
        return [r for r in self.roles.split(",") if r]

    @property
    def evidence_list(self) -> list[str]:
        return [e for e in self.evidence.split(",") if e]

    @property
    def signature_list(self) -> list[str]:
        return [s for s in self.signatures.split(",") if s]


class Case(Restricted):
    """A household going through one procedure (一户一案): opened on discovery, closed by the last step,
    a rejection or a withdrawal. At most one open case per household and kind.

    A village-level procedure (贫困村退出, §3.3) has the village as its subject instead: exactly one of
    ``household`` and ``village`` is set (``procedures/village.py`` holds what differs for it).

    ``next_step`` is the step waiting to be done (None once closed); ``version`` is the optimistic lock.
    ``params`` holds the kind's choices (monitoring type, elimination mode, natural-change reason);
    ``policy`` the snapshots of the numbers used at opening (the decision deadline).
    """

    region_paths = ("household__village__code", "village__code")

    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="cases", null=True, blank=True
    )
    village = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="cases",
        null=True,
        blank=True,
        verbose_name="行政村",
        help_text="村级程序（贫困村退出）的对象",
    )
    kind = models.CharField("程序类型", max_length=20, choices=ProcedureKind.choices)
    definition = models.ForeignKey(ProcedureDefinition, on_delete=models.PROTECT, related_name="cases")
    state = models.CharField("状态", max_length=12, choices=CaseState.choices, default=CaseState.OPEN)
    next_step = models.ForeignKey(
        StepDefinition, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    params = models.JSONField("办理参数", default=dict, blank=True)
    policy = models.JSONField("所用政策参数", default=dict, blank=True)
    discovered_on = models.DateField("发现日期")
    deadline = models.DateField("办理时限", null=True, blank=True)
    closed_on = models.DateField("办结日期", null=True, blank=True)
    effective_on = models.DateField("生效日期", null=True, blank=True)
    close_reason = models.CharField("办结说明", max_length=300, blank=True)
    opened_by = models.CharField("发起人", max_length=150)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "办理案件"
        verbose_name_plural = "办理案件"
        constraints = [
            models.UniqueConstraint(
                fields=["household", "kind"],
                condition=Q(state="open"),
                name="procedures_one_open_case",
                violation_error_message="该户已有同类办理中的案件",
            ),
            models.UniqueConstraint(
                fields=["village", "kind"],
                condition=Q(state="open"),
                name="procedures_one_open_village_case",
                violation_error_message="该村已有同类办理中的案件",
            ),
            models.CheckConstraint(
                condition=Q(household__isnull=False, village__isnull=True)
                | Q(household__isnull=True, village__isnull=False),
                name="procedures_case_one_subject",
                violation_error_message="案件的对象应为一户或一个村（只能填一个）",
            ),
        ]
        indexes = [models.Index(fields=["state", "deadline"], name="procedures_case_queue")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}案件 #{self.pk}"


class CaseStep(models.Model):
    """A step done on a case: who did it, when, who signed, the stored criteria evaluation.

    A step undone by an objection stays with ``superseded`` set, so the history shows the re-check.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="steps")
    step = models.ForeignKey(StepDefinition, on_delete=models.PROTECT, related_name="+")
    done_on = models.DateField("办理日期")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    user_name = models.CharField("办理人", max_length=150)
    signatures = models.JSONField("签字", default=list, blank=True)
    comment = models.TextField("意见", blank=True)
    evaluation = models.JSONField("政策标准评估", null=True, blank=True)
    notice = models.ForeignKey("Notice", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    documents: models.ManyToManyField[Evidence, Any] = models.ManyToManyField(
        "Evidence", blank=True, related_name="case_steps", verbose_name="材料"
    )
    superseded = models.BooleanField("已因异议退回", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "办理步骤记录"
        verbose_name_plural = "办理步骤记录"
        ordering = ["case", "id"]

    def __str__(self) -> str:
        return f"#{self.case_id} {self.step_id} {self.done_on}"


class Evidence(models.Model):
    """A document (材料) behind one or more case steps: an uploaded file (under MEDIA_ROOT) or a named paper
    document kept in the village or township file. ``case`` is set when it belongs to one case; a
    village's appraisal minutes used for many cases at once, and a notice photo, have none.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True, related_name="evidence")
    kind = models.CharField("材料类型", max_length=30, choices=EvidenceKind.choices)
    name = models.CharField("材料名称", max_length=200)
    file = models.FileField("文件", upload_to="procedures/evidence/%Y/%m/", blank=True)
    added_by = models.CharField("上传人", max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"

    def __str__(self) -> str:
        return self.name


class Notice(models.Model):
    """A village notice (公示) or announcement (公告) listing several cases of one village (domain.md §2.2,
    §4.6). The period is ``days`` days from ``start_on`` (days from policy, snapshot in ``policy``); ``end_on``
    = start + days is the first day after it, when the next step may be done.
    Entries keep only what a notice may show: no ID, phone, bank or health data.
    """

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("公示类型", max_length=20, choices=NoticeKind.choices)
    step_code = models.CharField("步骤代码", max_length=40)
    procedure_kind = models.CharField("程序类型", max_length=20, choices=ProcedureKind.choices)
    start_on = models.DateField("公示开始")
    end_on = models.DateField("公示结束")
    days = models.PositiveSmallIntegerField("公示天数")
    policy = models.JSONField("所用政策参数", default=dict)
    state = models.CharField("状态", max_length=12, choices=NoticeState.choices, default=NoticeState.POSTED)
    photo = models.ForeignKey(Evidence, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    posted_by = models.CharField("张贴人", max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "公示公告"
        verbose_name_plural = "公示公告"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class NoticeEntry(models.Model):
    """A case listed on a notice, with the allowed fields as they were on the day it was posted.

    ``active`` is cleared when an objection sends the case back: it must then be posted again.
    """

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="entries")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notice_entries")
    household_number = models.CharField("户编号", max_length=30)
    head_name = models.CharField("户主姓名", max_length=50)
    place = models.CharField("村组", max_length=120)
    size = models.PositiveSmallIntegerField("人口数")
    note = models.CharField("备注", max_length=100, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = "公示名单"
        verbose_name_plural = "公示名单"
        constraints = [
            models.UniqueConstraint(fields=["notice", "case"], name="procedures_notice_entry_unique")
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.household_number}"


class Objection(models.Model):
    """An objection (异议) raised during a notice period: it sends the case back for re-check (复核) and the
    case cannot pass until it is resolved (domain.md §2.2)."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="objections")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="objections")
    text = models.TextField("异议内容")
    received_on = models.DateField("收到日期")
    sent_back_to = models.CharField("退回步骤", max_length=40)
    recorded_by = models.CharField("登记人", max_length=150)
    state = models.CharField(
        "状态", max_length=12, choices=ObjectionState.choices, default=ObjectionState.OPEN
    )
    resolution = models.TextField("复核结论", blank=True)
    resolved_by = models.CharField("复核人", max_length=150, blank=True)
    resolved_on = models.DateField("复核日期", null=True, blank=True)

    class Meta:
        verbose_name = "异议"
        verbose_name_plural = "异议"

    def __str__(self) -> str:
        return f"异议 #{self.pk}"
