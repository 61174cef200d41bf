"""Who is acting, and from where: carried through a request, a command or a job to the audit log."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class ActorContext:
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    remote_addr: str | None = None
    source: str = "system"


_current: ContextVar[ActorContext | None] = ContextVar("jingzhun_actor_context", default=None)


def current() -> ActorContext:
    return _current.get() or ActorContext()


@contextlib.contextmanager
def acting(**kwargs: object) -> Iterator[ActorContext]:
    """Set request id / address / source for the audit records written inside the block."""
    ctx = replace(current(), **kwargs) if _current.get() else ActorContext(**kwargs)  # type: ignore[arg-type]  # the fields' own names and types
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
