"""Creating users and tokens (audited like every other write)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from jingzhun.accounts.choices import Role
from jingzhun.accounts.models import ApiToken, User, hash_token
from jingzhun.core import audit
from jingzhun.core.errors import NotFoundOrForbidden, ValidationFailed
from jingzhun.core.models import ChangeAction
from jingzhun.regions.models import Region


@transaction.atomic
def create_user(
    *,
    actor: audit.Actor,
    username: str,
    password: str,
    role: str,
    region: Region | None,
    full_name: str = "",
    department: str = "",
) -> User:
    if role not in Role.values:
        raise ValidationFailed(f"未知角色：{role}")
    if role != Role.ADMIN and region is None:
        raise ValidationFailed("除系统管理员外，每个用户都必须指定辖区")
    if User.objects.filter(username=username).exists():
        raise ValidationFailed(f"用户名 {username} 已存在")
    user = User(username=username, role=role, region=region, full_name=full_name, department=department)
    user.is_superuser = role == Role.ADMIN
    user.is_staff = role == Role.ADMIN
    user.set_password(password)
    user.full_clean()
    user.save()
    before = None
    audit.record(actor, ChangeAction.CREATE, user, before=before)
    return user


@transaction.atomic
def create_api_token(*, actor: audit.Actor, user: User, name: str = "") -> tuple[ApiToken, str]:
    raw = ApiToken.generate()
    token = ApiToken.objects.create(user=user, name=name, key_hash=hash_token(raw), prefix=raw[:8])
    audit.record(actor, ChangeAction.CREATE, token, root=user)
    return token, raw


def user_for_token(raw: str) -> User:
    token = ApiToken.objects.select_related("user", "user__region").filter(key_hash=hash_token(raw)).first()
    now = timezone.now()
    if token is None or not token.user.is_active or (token.expires_at and token.expires_at < now):
        raise NotFoundOrForbidden("令牌无效或已过期")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
