"""Users, their role and the region they answer for, and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models

from jingzhun.accounts.choices import EDITOR_ROLES, Role
from jingzhun.accounts.rights import UNBOUNDED, rights_of


class User(AbstractUser):
    """A person using Jingzhun: a cadre, officer, helper, department user, leader or auditor.

    ``region`` is the jurisdiction (辖区): a user sees nothing outside the subtree of this region.
    ``department`` names the data-owning department (教育, 医保 …) for department users.
    """

    role = models.CharField("角色", max_length=20, choices=Role.choices, default=Role.LEADER)
    region = models.ForeignKey(
        "regions.Region",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        verbose_name="辖区",
    )
    full_name = models.CharField("姓名", max_length=50, blank=True)
    department = models.CharField("所属部门", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def jurisdiction_prefix(self) -> str | None:
        """The region-code prefix this user may see; None means nothing at all."""
        if self.region_id is None:
            return None
        return self.region.prefix  # type: ignore[union-attr]  # region_id is set

    @property
    def rights(self) -> frozenset[str]:
        """The actions this user's role holds (``accounts.rights.RIGHTS``); read by ``core.restrict``."""
        return rights_of(self.role)

    @property
    def unbounded(self) -> bool:
        """Whether the role acts everywhere, whatever the user's own region (the system administrator)."""
        return self.role in UNBOUNDED

    @property
    def can_edit_registry(self) -> bool:
        return self.is_active and self.role in EDITOR_ROLES


def system_user() -> User:
    """The operator at the server (command-line exports and reports): an unsaved system administrator,
    so ``core.restrict`` gives them everything, like the web's system administrator."""
    return User(username="system", full_name="系统", role=Role.ADMIN, is_active=True)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the REST API. Only the hash is stored; the raw token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途", max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def generate() -> str:
        return "jz_" + secrets.token_urlsafe(32)
