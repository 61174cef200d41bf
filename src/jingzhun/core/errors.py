"""Errors that services raise and the web and API layers turn into clear Chinese messages."""

from __future__ import annotations


class JingzhunError(Exception):
    """Base for expected, user-facing failures. ``message`` is Chinese and safe to show."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class NotFoundOrForbidden(JingzhunError):
    """Raised for both 'does not exist' and 'not yours': the two must look the same (Zulip)."""

    code = "not_found"
    status = 404

    def __init__(self, message: str = "记录不存在或无权访问") -> None:
        super().__init__(message)


class PermissionDeniedError(JingzhunError):
    code = "forbidden"
    status = 403


class ConcurrentEditError(JingzhunError):
    """Optimistic lock failure: someone saved the record after this user opened it."""

    code = "concurrent_edit"
    status = 409

    def __init__(self, message: str = "该记录已被他人修改，请刷新后在最新内容上重新修改") -> None:
        super().__init__(message)


class ValidationFailed(JingzhunError):
    code = "invalid"
    status = 422

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}
