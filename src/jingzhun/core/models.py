"""Base models and the audit log (变更记录).

Every write in Jingzhun goes through a service that records an :class:`ObjectChange`: who, when, from
where, and the object's state before and after as JSON. The log is append-only: the app offers no way to
edit it and the database refuses UPDATE and DELETE on it (triggers in the migration).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ChangeAction(models.TextChoices):
    CREATE = "create", "新增"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"


class ObjectChange(models.Model):
    """One audited write to one object (NetBox's ObjectChange; Zulip's RealmAuditLog).

    ``root_type``/``root_id`` name the aggregate the object belongs to (a member's household), so the
    household page can show every change to it and its members, and the household can be rebuilt as it
    was at any moment from the ``after`` snapshots.
    """

    time = models.DateTimeField(db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    user_name = models.CharField("操作人", max_length=150)
    request_id = models.CharField(max_length=36, blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    source = models.CharField("来源", max_length=20, default="web")
    action = models.CharField("操作", max_length=10, choices=ChangeAction.choices)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    root_type = models.CharField(max_length=60, blank=True)
    root_id = models.CharField(max_length=64, blank=True)
    batch = models.CharField("批次", max_length=64, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = "变更记录"
        verbose_name_plural = "变更记录"
        indexes = [
            models.Index(fields=["root_type", "root_id", "time"], name="core_change_root"),
            models.Index(fields=["object_type", "object_id", "time"], name="core_change_object"),
            # Exact lookups only: a Meta index avoids the extra LIKE-pattern index PostgreSQL gets for db_index.
            models.Index(fields=["batch"], name="core_change_batch"),
        ]
        ordering = ["-time", "-id"]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M} {self.user_name} {self.get_action_display()} {self.object_repr}"

    def changed_fields(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for every field whose value differs."""
        before = self.before or {}
        after = self.after or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class JobState(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "进行中"
    SUCCEEDED = "succeeded", "已完成"
    FAILED = "failed", "失败"


class Job(models.Model):
    """One piece of background work (an import, a department load, a comparison, a refresh, an export)
    with its state saved: what pages and the CLI show while it runs and after (decisions/0012).

    The task framework's own row (``django_tasks_db``'s ``DBTaskResult``, named by ``task_id``) says when
    the worker took the job; this row says how far it got, in Chinese, and where its result is. ``worker``
    and ``heartbeat_at`` let a restarted worker recognise a job whose worker died (``core.jobs.recover``).
    """

    id = models.CharField(primary_key=True, max_length=32)
    kind = models.CharField("类型", max_length=20)
    title = models.CharField("任务", max_length=200)
    state = models.CharField("状态", max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    done = models.BigIntegerField("已完成", default=0)
    total = models.BigIntegerField("总量", default=100)
    stage = models.CharField("阶段", max_length=120, blank=True)
    message = models.TextField("说明", blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    user_name = models.CharField("发起人", max_length=150)
    params = models.JSONField(default=dict)
    object_id = models.CharField("结果对象", max_length=64, blank=True)
    result_url = models.CharField("结果", max_length=300, blank=True)
    result_file = models.CharField("结果文件", max_length=300, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    worker = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        indexes = [
            models.Index(fields=["state", "kind"], name="core_job_state"),
            models.Index(fields=["kind", "object_id"], name="core_job_object"),
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.title}（{self.get_state_display()}）"

    @property
    def percent(self) -> int:
        if self.state == JobState.SUCCEEDED:
            return 100
        return max(0, min(100, int(self.done * 100 / self.total))) if self.total else 0

    @property
    def active(self) -> bool:
        return self.state in (JobState.QUEUED, JobState.RUNNING)
