"""Run a function on an untrusted file in a child process with memory and CPU limits (issue 16).

A native reader (the Rust Excel readers) that meets a crafted file may try to allocate hundreds of GiB and
abort, which would take the web worker or the job runner down with it. ``run`` calls a module-level
function in a child process forked from a small, clean server process (multiprocessing's "forkserver": no
threads, no database connections, only the readers preloaded), with ``RLIMIT_AS`` and ``RLIMIT_CPU`` set,
and a wall-clock timeout on top. The child's return value comes back through a pipe; an exception comes
back as its type name and text; a child that dies (abort, killed, out of memory) or runs out of time
raises ``Crashed`` here, and the caller says in Chinese what to do.

This module imports nothing from Django: the forkserver imports it before any settings exist.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

PRELOAD = ["jingzhun.core.workbooks"]
_context: Any = None
#: What each finished child used (peak resident MB, CPU seconds): its memory is not this process's, so the
#: benchmarks read it here.
USAGE: list[dict[str, float]] = []


class Crashed(Exception):
    """The child died or ran out of time or memory; ``reason`` is "memory", "time" or "crash"."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


class ChildError(Exception):
    """The function raised in the child: its exception's type name and text."""

    def __init__(self, kind: str, text: str) -> None:
        super().__init__(f"{kind}: {text}")
        self.kind = kind
        self.text = text


def _ctx() -> Any:
    global _context
    if _context is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        _context = ctx
    return _context


def default_memory() -> int:
    """Bytes of address space a reader may use: ``JINGZHUN_READER_MEMORY_MB``, else 60% of the machine's
    memory (address space, not resident memory: allocators reserve more than they use)."""
    configured = os.environ.get("JINGZHUN_READER_MEMORY_MB")
    if configured:
        return int(configured) << 20
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return max(2 << 30, int(total * 0.6))


def default_seconds() -> int:
    return int(os.environ.get("JINGZHUN_READER_SECONDS", "900"))


def _child(
    conn: Connection, func: Callable[..., Any], args: tuple[Any, ...], memory: int, seconds: int
) -> None:
    os.environ["RUST_BACKTRACE"] = "0"  # an aborting reader's backtrace is noise in the server log
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
    try:
        result = func(*args)
    except MemoryError:
        conn.send(("memory", "", ""))
    except BaseException as exc:
        conn.send(("error", type(exc).__name__, str(exc)[:2000]))
    else:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        conn.send(
            (
                "ok",
                result,
                {"peak_rss_mb": usage.ru_maxrss / 1024, "cpu_seconds": usage.ru_utime + usage.ru_stime},
            )
        )
    finally:
        conn.close()


def run(func: Callable[..., Any], *args: Any, memory: int | None = None, seconds: int | None = None) -> Any:
    """``func(*args)`` in a limited child; its result, or ``ChildError``/``Crashed``."""
    memory = memory or default_memory()
    seconds = seconds or default_seconds()
    ctx = _ctx()
    receive, send = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(send, func, args, memory, seconds), daemon=True)
    process.start()
    send.close()
    try:
        if not receive.poll(seconds * 2 + 30):
            process.kill()
            raise Crashed("time", f"no answer in {seconds * 2 + 30} s")
        try:
            status, value, text = receive.recv()
        except EOFError:
            process.join()
            code = process.exitcode
            reason = (
                "time"
                if code == -signal.SIGXCPU or code == -signal.SIGKILL
                else ("memory" if code == -signal.SIGABRT else "crash")
            )
            raise Crashed(reason, f"child exit code {code}") from None
    finally:
        receive.close()
        process.join(timeout=30)
        if process.is_alive():
            process.kill()
            process.join()
    if status == "memory":
        raise Crashed("memory", "MemoryError in the child")
    if status == "error":
        raise ChildError(value, text)
    USAGE.append(text)
    return value
