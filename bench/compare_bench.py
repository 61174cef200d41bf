"""Department data comparison benchmark: the whole doubt-rule catalogue on DuckDB, and the pandas baseline.

    .venv/bin/python bench/compare_bench.py --members 2000000                 # the issue's province
    .venv/bin/python bench/compare_bench.py --members 50000                   # a quick check

Target (issue 4): a province of 2,000,000 registered members against department datasets totalling at least
20,000,000 rows, the whole catalogue in at most 30 s and at most 4 GiB peak memory on this 2-core machine with
DuckDB; the pandas implementation of the same rules (``jingzhun.testing.baseline``) timed in the same run.

Data (cached in ``bench/out/compare/``):

* **Register snapshot.** ``generate_province`` writes the province's register as CSV, one file per real
  county (甘肃 62 by default, 88 counties weighted by their townships); the county files, joined into files
  of about 250,000 members, are imported with the real importer into a throw-away SQLite database and
  ``snapshot.write_snapshot`` writes the snapshot. This is slower to build than copying one county many
  times with new numbers (about 9 minutes for 2,000,000 members on this machine, once) but every county
  has its own households, villages, IDs and policy rows, exactly as the application produces them, and no
  second code path writes snapshot files. The seeded policy has no poverty or monitoring line for the data
  years, so illustrative ones are filled in (``fill_policy_lines``) to give CT03 and JC03 work.
* **Department data.** ``deptgen.generate_departments(snapshot, out, seed, as_of, scale)``: one stored-format
  Parquet file per dataset, sized from the register (``--scale``), with planted anomalies.

Measurements, each in a fresh process so that peaks are separate (``ru_maxrss`` of that process):

1. DuckDB: ``engine.run_catalogue`` over all rules, ``threads`` 2 and ``memory_limit`` 3GB (``--duckdb-runs``
   times; the fastest run is shown, every run's time printed).
2. pandas: ``baseline.run_rules`` first on a fixed subset of counties (the first counties by code holding
   about ``--baseline-share`` of the members, with the department rows of their people), and DuckDB again on
   the same subset: the two finding sets must be identical. If the subset run extrapolates (linearly in
   rows) to at most ``--baseline-max-seconds`` and ``--baseline-max-gib``, pandas then runs on everything;
   otherwise the extrapolated figures are reported, marked as such. ``--baseline-counties N`` fixes the
   subset to N counties; ``--baseline-full`` always runs pandas on everything.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import OUT, ROOT, django_setup, fresh_database, machine, peak_rss_mb

COMPARE = OUT / "compare"
AS_OF = dt.date(2026, 11, 30)
DUCK_MEMORY = "3GB"
IMPORT_CHUNK = 250_000  # members a file imported at once: a few imports, each well under 2 GiB


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------------------


def build_snapshot(province: str, members: int, seed: int) -> Path:
    """Generate the province register, import it county by county into SQLite, write the snapshot (cached)."""
    final = COMPARE / f"snapshot-{province}-{members}-{seed}"
    if (final / "households").exists():
        fill_policy_lines(final)
        return final
    COMPARE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="jz-compare-", dir=COMPARE))
    try:
        home = work / "home"
        home.mkdir()
        django_setup(home)
        fresh_database()
        from jingzhun.comparison.snapshot import write_snapshot
        from jingzhun.core.audit import Actor
        from jingzhun.core.context import acting
        from jingzhun.regions.services import load_csv, load_national
        from jingzhun.registry.importer import run_import
        from jingzhun.registry.models import ImportBatch
        from jingzhun.testing import register as generate

        t0 = time.perf_counter()
        register = work / "register"
        counties = generate.generate_province(
            province, members=members, seed=seed, out_dir=register, fmt="csv"
        )
        log(
            f"  generated {len(counties)} counties, {sum(c.members for c in counties):,} members "
            f"in {time.perf_counter() - t0:.0f} s"
        )
        load_national([province])
        load_csv(register / "villages.csv")
        t1 = time.perf_counter()
        chunks = _chunks(counties, IMPORT_CHUNK)
        for n, chunk in enumerate(chunks, 1):
            path = register / f"chunk-{n}.csv"
            _concat_csv([c.path for c in chunk], path)
            with acting(source="bench"):
                batch = run_import(actor=Actor(None, "bench"), user=None, path=path)
            assert batch.state == ImportBatch.State.COMMITTED, (n, batch.message, batch.errors_preview[:3])
            path.unlink()
            log(
                f"  imported {n}/{len(chunks)} files of {len(chunk)} counties ({time.perf_counter() - t1:.0f} s)"
            )
        t2 = time.perf_counter()
        snap = write_snapshot(province, name=final.name, root=COMPARE)
        log(f"  snapshot {snap.rows} in {time.perf_counter() - t2:.0f} s")
        from django.db import connections

        connections.close_all()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    fill_policy_lines(final)
    return final


def fill_policy_lines(snapshot: Path) -> None:
    """The seeded policy has no poverty or monitoring line for the data years (2025, 2026): a province
    enters its own. Without them CT03 and JC03 would find nothing and cost nothing, so give every county
    illustrative lines (poverty line 4,900, monitoring range 7,600 yuan per person-year) where none is set."""
    from decimal import Decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    path = snapshot / "policy.parquet"
    table = pq.read_table(path)
    data = table.to_pydict()
    for name, value in (("poverty_line", Decimal("4900.00")), ("monitoring_line", Decimal("7600.00"))):
        data[name] = [value if v is None else v for v in data[name]]
    filled = pa.Table.from_pydict(data, schema=table.schema)
    if not filled.equals(table):
        pq.write_table(filled, path)


def _chunks(counties: list, size: int) -> list[list]:
    """Counties grouped in code order into files of about ``size`` members (one import each)."""
    chunks: list[list] = [[]]
    for county in sorted(counties, key=lambda c: c.county_code):
        if chunks[-1] and sum(c.members for c in chunks[-1]) + county.members > size:
            chunks.append([])
        chunks[-1].append(county)
    return chunks


def _concat_csv(paths: list[Path], out: Path) -> None:
    """One CSV of several generated county files (UTF-8 with BOM, one header line each)."""
    with out.open("wb") as dst:
        for i, path in enumerate(paths):
            with path.open("rb") as src:
                header = src.readline()
                if i == 0:
                    dst.write(header)
                shutil.copyfileobj(src, dst)


def build_departments(snapshot: Path, seed: int, scale: float) -> Path:
    """The department datasets for the snapshot (cached)."""
    suffix = f"-x{scale:g}" if scale != 1.0 else ""
    out = COMPARE / f"departments-{snapshot.name.removeprefix('snapshot-')}{suffix}"
    if (out / ".done").exists():
        return out
    django_setup()
    from jingzhun.testing.departments import generate_departments

    t0 = time.perf_counter()
    shutil.rmtree(out, ignore_errors=True)
    generate_departments(snapshot, out, seed=seed, as_of=AS_OF, scale=scale)
    (out / ".done").write_text("")
    log(f"  departments generated in {time.perf_counter() - t0:.0f} s")
    return out


def dataset_files(folder: Path) -> dict[str, list[str]]:
    from jingzhun.comparison import datasets as ds

    return {
        d.code: [str(folder / f"{d.code}.parquet")]
        for d in ds.DATASETS
        if (folder / f"{d.code}.parquet").exists()
    }


def row_counts(snapshot: Path, files: dict[str, list[str]]) -> tuple[dict[str, int], dict[str, int]]:
    import pyarrow.parquet as pq

    snap = {
        t: sum(pq.ParquetFile(f).metadata.num_rows for f in (snapshot / t).glob("*/*.parquet"))
        for t in ("households", "members", "years", "status_events")
    }
    dept = {code: sum(pq.ParquetFile(f).metadata.num_rows for f in paths) for code, paths in files.items()}
    return snap, dept


def county_sizes(snapshot: Path) -> list[tuple[str, int]]:
    import pyarrow.parquet as pq

    sizes = []
    for folder in sorted((snapshot / "members").glob("county=*")):
        code = folder.name.split("=", 1)[1]
        if code != "000000":
            sizes.append((code, sum(pq.ParquetFile(f).metadata.num_rows for f in folder.glob("*.parquet"))))
    return sizes


def build_subset(snapshot: Path, departments: Path, counties: list[str]) -> tuple[Path, Path]:
    """A snapshot of ``counties`` only (links to their partitions) and the department rows of their people:
    rows whose ID is a subset member's, or whose ID or region code lies in one of the counties."""
    import duckdb

    key = f"{len(counties)}-{counties[0]}-{counties[-1]}"
    snap_out = COMPARE / "subset" / f"{snapshot.name}-{key}"
    dept_out = COMPARE / "subset" / f"{departments.name}-{key}"
    if (dept_out / ".done").exists():
        return snap_out, dept_out
    shutil.rmtree(snap_out, ignore_errors=True)
    shutil.rmtree(dept_out, ignore_errors=True)
    for table in ("households", "members", "years", "status_events"):
        for code in counties:
            source = snapshot / table / f"county={code}"
            if source.exists():
                (snap_out / table).mkdir(parents=True, exist_ok=True)
                (snap_out / table / f"county={code}").symlink_to(source.resolve())
    shutil.copy(snapshot / "policy.parquet", snap_out / "policy.parquet")
    from jingzhun.comparison.snapshot import ensure_tables

    ensure_tables(snap_out)
    dept_out.mkdir(parents=True)
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute(f"""CREATE TABLE ids AS SELECT DISTINCT id_number FROM read_parquet('{snap_out}/members/*/*.parquet',
                    hive_partitioning = false)""")
    con.execute("CREATE TABLE counties (code VARCHAR)")
    con.executemany("INSERT INTO counties VALUES (?)", [[c] for c in counties])
    for code, paths in dataset_files(departments).items():
        names = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [paths[0]]).fetchall()]
        region = (
            " OR substr(d.region_code, 1, 6) IN (SELECT code FROM counties)" if "region_code" in names else ""
        )
        con.execute(f"""COPY (SELECT d.* FROM read_parquet('{paths[0]}') d
            WHERE d.id_number IN (SELECT id_number FROM ids) OR substr(d.id_number, 1, 6) IN (SELECT code FROM counties)
            {region}) TO '{dept_out / (code + ".parquet")}' (FORMAT parquet, COMPRESSION zstd)""")
    con.close()
    (dept_out / ".done").write_text("")
    return snap_out, dept_out


# --------------------------------------------------------------------------------------------------------
# Children: one measurement each
# --------------------------------------------------------------------------------------------------------


def child(args: argparse.Namespace) -> None:
    django_setup()
    import pyarrow as pa
    import pyarrow.parquet as pq

    from jingzhun.comparison import engine
    from jingzhun.comparison.snapshot import open_snapshot
    from jingzhun.testing import baseline

    snapshot, departments = Path(args.snapshot), Path(args.departments)
    files = dataset_files(departments)
    as_of = dt.date.fromisoformat(args.as_of)
    rss_before = peak_rss_mb()
    before = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = before.ru_utime + before.ru_stime
    start = time.perf_counter()
    if args.mode == "duckdb":
        eng = engine.DuckEngine(threads=args.threads, memory_limit=args.memory_limit)
        result = engine.run_catalogue(eng, open_snapshot(snapshot), files, as_of=as_of)
        eng.close()
        table, outcomes, read = result.findings, result.outcomes, 0.0
    else:
        res = baseline.run_rules(snapshot, files, as_of)
        table = pa.Table.from_pandas(res.findings, schema=engine.FINDINGS_SCHEMA, preserve_index=False)
        outcomes, read = res.outcomes, res.read_seconds
    seconds = time.perf_counter() - start
    rss = peak_rss_mb()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    if args.findings:
        pq.write_table(table, args.findings)
    print(
        json.dumps(
            {
                "mode": args.mode,
                "seconds": round(seconds, 2),
                "read_seconds": round(read, 2),
                "peak_rss_mb": round(rss),
                "rss_before_mb": round(rss_before),
                "findings": table.num_rows,
                "cpu_seconds": round(usage.ru_utime + usage.ru_stime - cpu_before, 1),
                "load_average": os.getloadavg()[0],
                "rules": {
                    o.code: {"rows": o.rows, "seconds": round(o.seconds, 3), "skipped": o.skipped}
                    for o in outcomes
                },
            },
            ensure_ascii=False,
        )
    )


def spawn(
    mode: str, snapshot: Path, departments: Path, findings: Path | None, args: argparse.Namespace
) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        mode,
        "--snapshot",
        str(snapshot),
        "--departments",
        str(departments),
        "--as-of",
        args.as_of,
        "--threads",
        str(args.threads),
        "--memory-limit",
        args.memory_limit,
    ]
    if findings:
        cmd += ["--findings", str(findings)]
    log(f"  running {mode} on {snapshot.name} …")
    started = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        sys.stderr.write(out.stderr[-4000:])
        raise SystemExit(f"{mode} child failed ({out.returncode})")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_seconds"] = round(time.perf_counter() - started, 2)
    log(
        f"  {mode}: {result['seconds']:.1f} s ({result['cpu_seconds']:.0f} CPU-s), peak RSS "
        f"{result['peak_rss_mb'] / 1024:.2f} GiB, {result['findings']:,} findings, load after {result['load_average']:.2f}"
    )
    return result


def same_findings(a: Path, b: Path) -> tuple[int, int]:
    """Rows only in a, rows only in b (as sets, like ``engine.finding_rows``)."""
    import duckdb

    con = duckdb.connect()
    count = "SELECT count(*) FROM (SELECT * FROM '{}' EXCEPT SELECT * FROM '{}')"
    only_a = con.execute(count.format(a, b)).fetchall()[0][0]
    only_b = con.execute(count.format(b, a)).fetchall()[0][0]
    if only_a or only_b:
        for label, x, y in (("only duckdb", a, b), ("only pandas", b, a)):
            for row in con.execute(f"SELECT * FROM '{x}' EXCEPT SELECT * FROM '{y}' LIMIT 5").fetchall():
                log(f"    {label}: {row}")
    con.close()
    return only_a, only_b


# --------------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------------


def choose_subset(sizes: list[tuple[str, int]], share: float, count: int | None) -> list[str]:
    if count:
        return [code for code, _ in sizes[:count]]
    total, running = sum(n for _, n in sizes), 0
    chosen: list[str] = []
    for code, n in sizes:
        if chosen and running + n / 2 > share * total:
            break
        chosen.append(code)
        running += n
    return chosen


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--members", type=int, default=2_000_000)
    p.add_argument("--province", default="62")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="department data scale (deptgen: about ten rows per register member at 1.0)",
    )
    p.add_argument("--as-of", default=AS_OF.isoformat())
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--memory-limit", default=DUCK_MEMORY)
    p.add_argument(
        "--duckdb-runs", type=int, default=1, help="run DuckDB this many times; the fastest is shown"
    )
    p.add_argument(
        "--baseline-counties", type=int, default=None, help="run pandas on the first N counties only"
    )
    p.add_argument("--baseline-share", type=float, default=0.1, help="share of members in the pandas subset")
    p.add_argument("--baseline-full", action="store_true", help="always run pandas on everything too")
    p.add_argument("--baseline-max-seconds", type=float, default=600)
    p.add_argument("--baseline-max-gib", type=float, default=16)
    p.add_argument("--json", help="also write the report here")
    p.add_argument("--child", choices=["duckdb", "pandas"], dest="mode")
    p.add_argument("--snapshot")
    p.add_argument("--departments")
    p.add_argument("--findings")
    args = p.parse_args()
    if args.mode:
        child(args)
        return

    log(f"load average before: {load_average()}")
    t0 = time.perf_counter()
    snapshot = build_snapshot(args.province, args.members, args.seed)
    departments = build_departments(snapshot, args.seed, args.scale)
    log(f"data ready in {time.perf_counter() - t0:.0f} s: {snapshot.name}, {departments.name}")
    files = dataset_files(departments)
    snap_rows, dept_rows = row_counts(snapshot, files)
    total_dept = sum(dept_rows.values())
    sizes = county_sizes(snapshot)
    log(
        f"members {snap_rows['members']:,} in {snap_rows['households']:,} households, {len(sizes)} counties; "
        f"department rows {total_dept:,}"
    )

    run_dir = COMPARE / "runs"
    run_dir.mkdir(parents=True, exist_ok=True)
    load_duck = load_average()
    duck_runs = [
        spawn("duckdb", snapshot, departments, run_dir / "duckdb-full.parquet", args)
        for _ in range(max(1, args.duckdb_runs))
    ]
    duck = min(duck_runs, key=lambda r: r["seconds"])

    subset = choose_subset(sizes, args.baseline_share, args.baseline_counties)
    sub_snap, sub_dept = build_subset(snapshot, departments, subset)
    sub_files = dataset_files(sub_dept)
    sub_rows, sub_dept_rows = row_counts(sub_snap, sub_files)
    full_size = snap_rows["members"] + total_dept
    sub_size = sub_rows["members"] + sum(sub_dept_rows.values())
    factor = full_size / sub_size
    log(
        f"pandas subset: {len(subset)} counties, {sub_rows['members']:,} members, "
        f"{sum(sub_dept_rows.values()):,} department rows (×{factor:.2f} to the whole)"
    )
    duck_sub = spawn("duckdb", sub_snap, sub_dept, run_dir / "duckdb-subset.parquet", args)
    pandas_sub = spawn("pandas", sub_snap, sub_dept, run_dir / "pandas-subset.parquet", args)
    only_duck, only_pandas = same_findings(
        run_dir / "duckdb-subset.parquet", run_dir / "pandas-subset.parquet"
    )
    counts_equal = {c: r["rows"] for c, r in duck_sub["rules"].items()} == {
        c: r["rows"] for c, r in pandas_sub["rules"].items()
    }
    log(
        f"subset findings: duckdb {duck_sub['findings']:,}, pandas {pandas_sub['findings']:,}, "
        f"only duckdb {only_duck}, only pandas {only_pandas}, per-rule counts equal: {counts_equal}"
    )

    est_seconds = pandas_sub["seconds"] * factor
    base_mb = pandas_sub["rss_before_mb"]
    est_rss = base_mb + (pandas_sub["peak_rss_mb"] - base_mb) * factor
    run_full = args.baseline_full or (
        args.baseline_counties is None
        and est_seconds <= args.baseline_max_seconds
        and est_rss / 1024 <= args.baseline_max_gib
    )
    pandas_full = None
    full_check = None
    if run_full:
        pandas_full = spawn("pandas", snapshot, departments, run_dir / "pandas-full.parquet", args)
        full_check = same_findings(run_dir / "duckdb-full.parquet", run_dir / "pandas-full.parquet")
        log(f"whole-province findings: only duckdb {full_check[0]}, only pandas {full_check[1]}")

    # Per-rule table
    print()
    print(f"{'rule':6} {'rows':>10} {'duckdb s':>9} {'pandas s':>9}  {'(pandas subset s)':>17}")
    for code, r in duck["rules"].items():
        if r["skipped"]:
            print(f"{code:6} {'skipped: ' + r['skipped']}")
            continue
        sub_s = pandas_sub["rules"][code]["seconds"]
        pan = pandas_full["rules"][code]["seconds"] if pandas_full else sub_s * factor
        mark = "" if pandas_full else "*"
        print(f"{code:6} {r['rows']:>10,} {r['seconds']:>9.2f} {pan:>8.1f}{mark or ' '}  {sub_s:>17.2f}")
    pandas_seconds = pandas_full["seconds"] if pandas_full else est_seconds
    pandas_rss = pandas_full["peak_rss_mb"] if pandas_full else est_rss
    note = "" if pandas_full else f" (* extrapolated ×{factor:.2f} from {len(subset)} counties)"
    print(
        f"{'total':6} {duck['findings']:>10,} {duck['seconds']:>9.2f} {pandas_seconds:>8.1f}{'' if pandas_full else '*'}"
    )
    print()
    print(f"machine: {machine()}; load average before the DuckDB run: {load_duck}, now {load_average()}")
    print(
        f"members {snap_rows['members']:,} ({snap_rows['households']:,} households, {len(sizes)} counties); "
        f"department rows {total_dept:,}: " + ", ".join(f"{k} {v:,}" for k, v in dept_rows.items())
    )
    runs = " / ".join(f"{r['seconds']:.1f} s" for r in duck_runs)
    print(
        f"DuckDB ({args.threads} threads, memory_limit {args.memory_limit}): {duck['seconds']:.1f} s "
        f"({duck['cpu_seconds']:.0f} CPU-s), "
        f"peak RSS {duck['peak_rss_mb'] / 1024:.2f} GiB, {duck['findings']:,} findings"
        + (f" (runs: {runs})" if len(duck_runs) > 1 else "")
    )
    pandas_cpu = pandas_full["cpu_seconds"] if pandas_full else pandas_sub["cpu_seconds"] * factor
    print(
        f"pandas: {pandas_seconds:.1f} s ({pandas_cpu:.0f} CPU-s), peak RSS {pandas_rss / 1024:.2f} GiB{note}; "
        f"read {pandas_full['read_seconds'] if pandas_full else pandas_sub['read_seconds'] * factor:.1f} s of it"
    )
    print(
        f"subset check ({len(subset)} counties): duckdb {duck_sub['seconds']:.1f} s / pandas "
        f"{pandas_sub['seconds']:.1f} s, {duck_sub['findings']:,} findings, differences {only_duck} + {only_pandas}"
        + (f"; whole province: differences {full_check[0]} + {full_check[1]}" if full_check else "")
    )
    report = {
        "machine": machine(),
        "members": snap_rows["members"],
        "households": snap_rows["households"],
        "counties": len(sizes),
        "department_rows": dept_rows,
        "department_rows_total": total_dept,
        "duckdb": duck,
        "duckdb_runs": duck_runs,
        "duckdb_subset": duck_sub,
        "pandas_subset": pandas_sub,
        "pandas_full": pandas_full,
        "subset_counties": subset,
        "factor": round(factor, 3),
        "pandas_estimated": {"seconds": round(est_seconds, 1), "peak_rss_mb": round(est_rss)},
        "subset_differences": [only_duck, only_pandas],
        "full_differences": full_check,
        "load_average": [load_duck, load_average()],
    }
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=2))
    failed = only_duck or only_pandas or not counts_equal or (full_check and any(full_check))
    if failed:
        raise SystemExit("the pandas baseline and DuckDB disagree")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
