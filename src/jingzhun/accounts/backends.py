"""The session's user, read with their region: every page asks for the jurisdiction (``User.jurisdiction_prefix``),
so it comes in the same query instead of a second one."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class RegionModelBackend(ModelBackend):
    """Django's ``ModelBackend`` (password login, permissions) whose session user comes with their region."""

    def get_user(self, user_id: Any) -> Any:
        model = get_user_model()
        try:
            user = model._default_manager.select_related("region").get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
