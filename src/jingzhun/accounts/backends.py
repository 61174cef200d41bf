"""The one authentication backend: passwords (Django's ``ModelBackend``) and API tokens.

The session's user is read with their region: every page asks for the jurisdiction
(``User.jurisdiction_prefix``), so it comes in the same query instead of a second one. The API's
``core.api.TokenAuth`` reaches the token check through ``django.contrib.auth.authenticate(request,
token=…)``, so ``core`` does not import this app.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from jingzhun.accounts.services import user_for_token
from jingzhun.core.errors import JingzhunError


class RegionModelBackend(ModelBackend):
    """Django's ``ModelBackend`` (password login, permissions) whose session user comes with their region,
    and which also takes an API token (``token=``)."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if token is None:
            return super().authenticate(request, username=username, password=password, **kwargs)
        try:
            return user_for_token(token)
        except JingzhunError:
            return None

    def get_user(self, user_id: Any) -> Any:
        model = get_user_model()
        try:
            user = model._default_manager.select_related("region").get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
