"""Import benchmark: the set-based importer against a naive row-by-row ORM import, same data, same run.

    .venv/bin/python bench/import_bench.py --members 100000 --format xlsx          # county, SQLite
    scripts/with-postgres .venv/bin/python bench/import_bench.py --members 1000000 --format csv

Each measurement runs in its own process on a freshly migrated database, so memory peaks are separate.
The naive baseline (openpyxl/csv + ORM save per row, as a first version would be written) is run on
``--baseline-members`` rows and its rate reported (0: not run); with --baseline-full it runs on all rows.
``cpu_seconds`` reports the import process's CPU and, on PostgreSQL on this machine, the server's (the
import's backend, and the whole cluster with its parallel index-build workers): on a shared machine these
vary far less than wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import OUT, ROOT, django_setup, fresh_database, machine, peak_rss_mb

COUNTY = "620502"


def make_data(members: int, fmt: str, seed: int) -> Path:
    """Generate (once, cached in bench/out) a county register of about ``members`` people. The cache is per
    column count, so a generator that writes new columns does not reuse an older file."""
    django_setup()
    from jingzhun.testing import register as generate

    out = OUT / f"county-{members}-{seed}-{len(generate.KEYS)}c"
    path = out / f"register.{fmt}"
    if path.exists():
        return path
    out.mkdir(parents=True, exist_ok=True)

    villages = generate.generate_villages(COUNTY, seed=seed, households=members // 3)
    rows = generate.generate_register(
        COUNTY, households=max(1, members // 3), seed=seed, villages=villages, members=members
    )
    writer = {"csv": generate.write_csv, "xlsx": generate.write_xlsx}[fmt]
    writer(rows, path)
    generate.write_villages_csv(villages, out / "villages.csv")
    return path


def load_regions(villages_csv: Path) -> None:
    from jingzhun.regions.services import load_csv, load_national

    load_national([COUNTY[:2]])
    load_csv(villages_csv)


def _cpu_seconds(pid: int, *, children: bool = False) -> float:
    """utime + stime of a process from /proc (with ``children``: plus its reaped children's)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def _server_cpu() -> dict[str, float] | None:
    """CPU-seconds used so far by this connection's PostgreSQL backend and by the whole cluster (postmaster,
    its live children and the ones it has reaped: parallel index-build workers, autovacuum). The server must
    run on this machine."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        backend = int(cur.fetchone()[0])
    try:
        postmaster = int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
        cluster = _cpu_seconds(postmaster, children=True)
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(stat[1]) == postmaster:
                    cluster += _cpu_seconds(int(entry.name))
        return {"backend": _cpu_seconds(backend), "cluster": cluster}
    except OSError:
        return None


def run_fast(path: Path) -> dict[str, object]:
    from jingzhun.core.audit import Actor
    from jingzhun.registry.importer import run_import
    from jingzhun.registry.models import Member

    fresh_database()
    load_regions(path.parent / "villages.csv")
    stages: dict[str, float] = {}
    server_before = _server_cpu()
    own_before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    last = [start, ""]

    def progress(percent: int, stage: str) -> None:
        now = time.perf_counter()
        if last[1]:
            stages[str(last[1])] = round(now - float(last[0]), 2)
        last[0], last[1] = now, stage

    from jingzhun.core import sandbox

    sandbox.USAGE.clear()
    batch = run_import(actor=Actor(None, "bench"), user=None, path=path, progress=progress)
    elapsed = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF)
    server_after = _server_cpu()
    assert batch.state == "committed", (batch.state, batch.message, batch.errors_preview[:3])
    cpu = {"python_duckdb": round(own.ru_utime + own.ru_stime - own_before.ru_utime - own_before.ru_stime, 2)}
    if server_before and server_after:
        cpu.update({f"postgres_{k}": round(server_after[k] - server_before[k], 2) for k in server_before})
    if sandbox.USAGE:  # the workbook reader's child process (core/sandbox.py)
        cpu["reader_child"] = round(sum(u["cpu_seconds"] for u in sandbox.USAGE), 2)
    return {
        "seconds": round(elapsed, 2),
        "members": Member.objects.count(),
        "stages": stages,
        "cpu_seconds": cpu,
        "peak_rss_mb": round(peak_rss_mb()),
        "reader_child_peak_rss_mb": round(max((u["peak_rss_mb"] for u in sandbox.USAGE), default=0)),
    }


def _read_rows(path: Path, limit: int) -> tuple[list[str], list[list[object]]]:
    if path.suffix == ".csv":
        import csv

        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            return header, [row for _, row in zip(range(limit), reader, strict=False)]
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    it = wb.active.iter_rows(values_only=True)
    header = [str(h) for h in next(it)]
    return header, [list(r) for _, r in zip(range(limit), it, strict=False)]


def run_naive(path: Path, limit: int) -> dict[str, object]:
    """What a first version does: read every row, look things up and save objects one at a time."""
    from django.db import transaction

    from jingzhun.core import audit
    from jingzhun.core.models import ChangeAction
    from jingzhun.regions.models import Region
    from jingzhun.registry import idnumbers, income
    from jingzhun.registry.columns import header_index
    from jingzhun.registry.models import Household, HouseholdYear, Member
    from jingzhun.registry.validation import spellings

    fresh_database()
    load_regions(path.parent / "villages.csv")
    start = time.perf_counter()
    header, rows = _read_rows(path, limit)
    read_seconds = time.perf_counter() - start
    index = header_index()
    cols = [index.get(h.rstrip("*")) for h in header]
    maps = {c.key: spellings(c) for c in cols if c is not None and c.codes is not None}
    actor = audit.Actor(None, "bench-naive")
    with transaction.atomic():
        for raw in rows:
            row = {
                c.key: (str(v).strip() if v is not None else "") for c, v in zip(cols, raw, strict=False) if c
            }

            def code(k: str, row: dict[str, str] = row) -> str:
                return maps[k].get(row.get(k, ""), "")

            village = Region.objects.get(code=row["village"])
            hh = Household.objects.filter(household_number=row["household_number"]).first()
            if hh is None:
                hh = Household(
                    household_number=row["household_number"],
                    village=village,
                    head_name=row["head_name"],
                    attribute=code("attribute"),
                    poverty_status=code("poverty_status"),
                    main_cause=code("main_cause"),
                )
                hh.full_clean()
                hh.save()
                audit.record(actor, ChangeAction.CREATE, hh)
                values = {k: row.get(k) or 0 for k in income.INPUT_FIELDS}
                year = HouseholdYear(household=hh, year=int(row["year"]), household_size=1, **values)
                for k, v in income.compute(values, 1).items():
                    setattr(year, k, v)
                year.save()
                audit.record(actor, ChangeAction.CREATE, year, root=hh)
            parsed = idnumbers.parse(row["id_number"])
            if Member.objects.filter(id_number=parsed.number, left_on__isnull=True).exists():
                continue
            m = Member(
                household=hh,
                person_number=row["person_number"],
                name=row["name"],
                id_number=parsed.number,
                sex=parsed.sex,
                birth_date=parsed.birth_date,
                relation=code("relation"),
                education=code("education"),
                labour_skill=code("labour_skill"),
            )
            m.full_clean(exclude=["household"])
            m.save()
            audit.record(actor, ChangeAction.CREATE, m, root=hh)
    elapsed = time.perf_counter() - start
    return {
        "seconds": round(elapsed, 2),
        "rows": len(rows),
        "read_seconds": round(read_seconds, 2),
        "rows_per_second": round(len(rows) / elapsed),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def child(args: argparse.Namespace) -> None:
    django_setup()
    path = Path(args.path)
    result = run_fast(path) if args.mode == "fast" else run_naive(path, args.limit)
    from django.db import connection

    result["database"] = connection.vendor
    print(json.dumps(result, ensure_ascii=False))


def spawn(mode: str, path: Path, limit: int) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--child", mode, "--path", str(path), "--limit", str(limit)]
    out = subprocess.run(cmd, check=False, capture_output=True, text=True, cwd=ROOT)
    sys.stderr.write(out.stderr[-4000:])  # the child's log (JINGZHUN_LOG_LEVEL=INFO: per-table load times)
    out.check_returncode()
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--members", type=int, default=100_000)
    p.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--baseline-members", type=int, default=20_000)
    p.add_argument("--baseline-full", action="store_true")
    p.add_argument("--child", choices=["fast", "naive"], dest="mode")
    p.add_argument("--path")
    p.add_argument("--limit", type=int, default=0)
    args = p.parse_args()
    if args.mode:
        child(args)
        return
    path = make_data(args.members, args.format, args.seed)
    print(f"data: {path} ({path.stat().st_size / 2**20:.1f} MiB)", file=sys.stderr)
    fast = spawn("fast", path, 0)
    report = {"machine": machine(), "members": args.members, "format": args.format, "fast": fast}
    limit = args.members if args.baseline_full else min(args.members, args.baseline_members)
    if limit > 0:  # --baseline-members 0: the set-based import only
        naive = spawn("naive", path, limit)
        estimate = args.members / float(naive["rows_per_second"])  # type: ignore[arg-type]
        report.update(
            {
                "naive": naive,
                "naive_estimated_seconds_for_all": round(estimate, 1),
                "speedup": round(estimate / float(fast["seconds"]), 1),
            }
        )  # type: ignore[arg-type]
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
