"""Shared set-up for benchmarks: a fresh Jingzhun home (SQLite unless JINGZHUN_DATABASE_URL is set)."""

from __future__ import annotations

import functools
import os
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def django_setup(home: Path | None = None) -> Path:
    home = home or Path(tempfile.mkdtemp(prefix="jz-bench-"))
    os.environ.setdefault("JINGZHUN_HOME", str(home))
    os.environ.setdefault(
        "JINGZHUN_AUTO_REFRESH", "0"
    )  # a benchmark measures one thing, not the refresh after it
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingzhun.settings")
    import django

    django.setup()
    return Path(os.environ["JINGZHUN_HOME"])


def fresh_database() -> None:
    """Migrate an empty database (on PostgreSQL: drop and recreate the tables first)."""
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    call_command("migrate", verbosity=0)


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def timed(label: str, results: dict[str, float]) -> Iterator[None]:
    start = time.perf_counter()
    yield
    results[label] = time.perf_counter() - start
    print(f"  {label}: {results[label]:.2f} s", file=sys.stderr, flush=True)


def machine() -> str:
    import platform

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, Python {platform.python_version()}, "
        f"yardstick {yardstick():.2f} s"
    )


@functools.cache
def yardstick() -> float:
    """CPU seconds of a fixed pure-Python loop (best of three; measured once per process).

    This VM's speed changes from day to day, so every report carries this figure to set runs of different
    days side by side. It gauges the core only, not memory or the database server: on 2026-12-02 the same
    import took 36 s in one session and 64 s in the next while the yardstick stayed quick. For the server, compare the
    index-rebuild time the import logs at INFO.
    """
    best = float("inf")
    for _ in range(3):
        started, total = time.process_time(), 0
        for i in range(5_000_000):
            total += i
        best = min(best, time.process_time() - started)
    return best
