"""``jingzhun token create USERNAME [--name NAME]`` and ``jingzhun token list USERNAME``.

The raw token is printed once, when it is created; only its hash is stored. Creating one is audited
with the actor "系统（命令行）".
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jingzhun.accounts.models import User
from jingzhun.accounts.services import create_api_token
from jingzhun.core import audit, context

CLI_ACTOR = audit.Actor(user=None, name="系统（命令行）")


class Command(BaseCommand):
    help = "创建或列出某个用户的 API 令牌"

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{create,list}")
        create = actions.add_parser("create", help="为用户创建一个新令牌，令牌只显示这一次")
        create.add_argument("username", help="用户名")
        create.add_argument("--name", default="", help="用途说明，如“县扶贫办数据对接”")
        listing = actions.add_parser("list", help="列出用户的令牌（只显示前缀）")
        listing.add_argument("username", help="用户名")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"用户不存在：{options['username']}")
        if options["action"] == "create":
            self._create(user, options["name"])
        else:
            self._list(user)

    def _create(self, user: User, name: str) -> None:
        if not user.is_active:
            raise CommandError(f"用户 {user.username} 已停用，不能创建令牌")
        if len(name) > 100:
            raise CommandError("用途说明不能超过 100 个字")
        with context.acting(source="cli"):
            _token, raw = create_api_token(actor=CLI_ACTOR, user=user, name=name)
        self.stderr.write(
            f"已为用户 {user.username} 创建令牌{f'（{name}）' if name else ''}。请立即保存，它不会再显示："
        )
        self.stdout.write(raw)

    def _list(self, user: User) -> None:
        tokens = list(user.api_tokens.order_by("created_at"))
        if not tokens:
            self.stdout.write(f"用户 {user.username} 没有令牌")
            return
        now = timezone.now()
        self.stdout.write("前缀\t用途\t创建时间\t最后使用\t状态")
        for token in tokens:
            expired = token.expires_at is not None and token.expires_at < now
            self.stdout.write(
                "\t".join(
                    [
                        f"{token.prefix}…",
                        token.name or "-",
                        _when(token.created_at),
                        _when(token.last_used_at),
                        "已过期" if expired else "有效",
                    ]
                )
            )


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"
