"""Indicators benchmark (issue 5): every indicator of a province of 2,000,000 members refreshed from its
snapshot, against a straightforward ORM aggregation; then the dashboard served to 20 concurrent users.

    .venv/bin/python bench/indicators_bench.py
    scripts/with-postgres .venv/bin/python bench/indicators_bench.py

The province without a 2-million-member import: a generated county (秦州区 620502, ``--households``
households) is imported through the normal importer into the bench database and written to a snapshot;
that snapshot is then replicated with DuckDB over the real villages of every other county of 甘肃 (62)
(``generate.generate_villages``: real townships, generated villages with rural populations), households
given to villages in proportion to their rural population, with new household and person numbers, until the
province holds about ``--members`` people. The villages are loaded as ``regions.Region`` rows (the
incidence's denominator comes from the database). Cached in ``bench/out/indicators/``; each run starts
from a freshly migrated database (SQLite in a temporary home unless JINGZHUN_DATABASE_URL is set).

Measured:

1. ``refresh_snapshot`` over the province snapshot (every level, every indicator), ``--runs`` runs of
   each of three cases: min / median, rows computed and written, and the split between the DuckDB
   computation and the database work (compare, write, re-sum above, stamp):
   - *first*: the year has no figures yet (the table emptied and vacuumed before each run): every row
     copied in;
   - *changed*: before each run about 12 % of the province's rows are made wrong (a tenth changed, a
     fiftieth deleted), as if the register had moved under them; the refresh must find and write exactly
     those, and the table is checked equal to the first refresh's afterwards;
   - *unchanged*: refreshed again at once (nothing to write, everything still compared).
2. Baseline, same run: the same numbers by the ORM (``values(...).annotate(Count)`` per indicator on the
   register tables, rolled up the region tree in Python). The register of only one county is in the
   database (importing 2 million members for a baseline would take minutes), so both methods run on that
   county; the baseline's figures are checked equal to the refresh's.
3. The dashboard ``/analytics/?region=…`` served by gunicorn (sync workers, ``--workers``) on the bench
   database, 20 leaders (the province, its cities and some counties) each with a session, 20 client threads
   requesting their region or one of its children for ``--duration`` seconds without pause (closed loop:
   harsher than 20 people reading a page): p50 / p95 / p99 and requests per second.
   Django's ``runserver`` is not a serving benchmark: it is a development server (one process, a thread
   per request under the GIL, autoreloader, static-file handling, no worker model, ``DEBUG`` habits) and the
   documentation says not to use it in production; latency under concurrency means the server that will
   serve the app, so gunicorn with worker processes, as deployed. The client threads run on the same 2
   cores and take part of the CPU.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import OUT, ROOT, django_setup, fresh_database, machine, peak_rss_mb

PROVINCE = "62"
COUNTY = "620502"  # 秦州区: imported for real, the replication's source and the baseline's county
YEAR = 2025


def load() -> str:
    a, b, c = os.getloadavg()
    return f"load {a:.2f} {b:.2f} {c:.2f}"


def say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} {load()}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------
# Data


def import_county(folder: Path, households: int, seed: int) -> None:
    """The county register, generated once (cached) and imported through the normal importer."""
    from jingzhun.core.audit import Actor
    from jingzhun.core.context import acting
    from jingzhun.regions.services import load_csv, load_national
    from jingzhun.registry.importer import run_import
    from jingzhun.registry.models import ImportBatch
    from jingzhun.testing import register as generate

    folder.mkdir(parents=True, exist_ok=True)
    load_national([PROVINCE])
    register = folder / "register.csv"
    if not register.exists():
        villages = generate.generate_villages(COUNTY, seed=seed, households=households)
        generate.write_villages_csv(villages, folder / "villages.csv")
        generate.write_csv(
            generate.generate_register(COUNTY, households=households, seed=seed, villages=villages), register
        )
    load_csv(folder / "villages.csv")
    with acting(source="bench"):
        batch = run_import(actor=Actor(None, "基准测试"), user=None, path=register)
    assert batch.state == ImportBatch.State.COMMITTED, batch.message
    from jingzhun.testing.assistance import generate_assistance

    generate_assistance(COUNTY, year=YEAR, seed=seed)  # helpers and measures (帮扶), replicated with the rest


def build_province(county_snap: Path, out: Path, members: int, seed: int) -> None:
    """Replicate the county snapshot over the real villages of every other county of the province."""
    import duckdb
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from jingzhun.comparison.snapshot import TABLES, ensure_tables
    from jingzhun.testing import register as generate

    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    con = duckdb.connect()
    for table in TABLES:
        con.execute(
            f"CREATE VIEW s_{table} AS SELECT * FROM read_parquet('{county_snap}/{table}/*/*.parquet', "
            "hive_partitioning = false)"
        )
    src_h, src_m = (
        con.execute(f"SELECT count(*) FROM s_{t}").fetchall()[0][0] for t in ("households", "members")
    )
    copies = max(0, round((members - src_m) / src_m))
    total = copies * src_h  # target households outside the source county
    counties = [c.code for c in generate.province_counties(PROVINCE) if c.code != COUNTY]
    villages = []
    for county in counties:
        villages += generate.generate_villages(county, seed=seed, households=total // len(counties))
    villages = [v for v in villages if len(v.prefix) == 12]
    generate.write_villages_csv(villages, tmp / "villages.csv")
    # household g (0 … total-1) goes to the village whose share of the rural population covers it
    pop = np.array([v.rural_population or 1 for v in villages], dtype=np.float64)
    cum = np.cumsum(pop)
    g = np.arange(total, dtype=np.int64)
    vidx = np.searchsorted(cum, (g + 0.5) * cum[-1] / total, side="right")
    first = np.searchsorted(vidx, np.arange(len(villages)))
    seq = g - first[vidx] + 1
    codes = np.array([v.prefix for v in villages], dtype=object)
    vcode = codes[vidx]
    hmap = pa.table(
        {
            "k": pa.array(g // src_h),
            "s": pa.array(g % src_h),
            "village_code": pa.array(vcode, pa.string()),
            "new_hn": pa.array([f"{v}{n:06d}" for v, n in zip(vcode, seq, strict=True)], pa.string()),
        }
    )
    con.register("hmap_arrow", hmap)
    con.execute(
        "CREATE TABLE src AS SELECT household_number AS old_hn, row_number() OVER (ORDER BY "
        "household_number) - 1 AS s FROM s_households"
    )
    con.execute(
        "CREATE TABLE hm AS SELECT h.k, s.old_hn, h.new_hn, h.village_code, substr(h.village_code, 1, 6) "
        "AS county FROM hmap_arrow h JOIN src s USING (s)"
    )
    ids = {"households": "household_id", "members": "member_id"}
    for table in TABLES:
        replace = [
            "hm.new_hn AS household_number",
            "hm.village_code AS village_code",
            "hm.county AS county_code",
        ]
        if table in ids:
            replace.append(f"t.{ids[table]} + (hm.k + 1) * 100000000 AS {ids[table]}")
        if table == "members":
            replace.append(
                "hm.new_hn || substr(t.person_number, length(t.household_number) + 1) AS person_number"
            )
        folder = tmp / table
        folder.mkdir()
        con.execute(
            f"COPY (SELECT t.* REPLACE ({', '.join(replace)}) FROM s_{table} t "
            f"JOIN hm ON hm.old_hn = t.household_number ORDER BY household_number) TO '{folder}' "
            "(FORMAT parquet, COMPRESSION zstd, PARTITION_BY (county_code), WRITE_PARTITION_COLUMNS true)"
        )
        for part in folder.glob("county_code=*"):
            part.rename(folder / part.name.replace("county_code=", "county="))
        shutil.copytree(county_snap / table / f"county={COUNTY}", folder / f"county={COUNTY}")
    policy = pq.read_table(county_snap / "policy.parquet")
    rows = [
        dict(r, county_code=c)
        for c in [COUNTY, *counties]
        for r in policy.to_pylist()
        if r["county_code"] == COUNTY
    ]
    pq.write_table(pa.Table.from_pylist(rows, schema=policy.schema), tmp / "policy.parquet")
    ensure_tables(tmp)
    con.close()
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)


def prepare(households: int, members: int, seed: int) -> tuple[object, object]:
    """Import the county, write (or reuse) its snapshot and the province's, load the province's villages."""
    from jingzhun.comparison.snapshot import open_snapshot, write_snapshot
    from jingzhun.regions.services import load_csv

    base = OUT / "indicators"
    county_dir = base / f"county-{households}-{seed}"
    t = time.perf_counter()
    import_county(county_dir, households, seed)
    say(f"county {COUNTY} imported ({households:,} households) in {time.perf_counter() - t:.1f} s")
    county_snap = write_snapshot(
        COUNTY, name=f"county-{households}-{seed}", root=Path(os.environ["JINGZHUN_HOME"]), years=[YEAR]
    )
    prov_dir = base / f"province-{members}-{households}-{seed}"
    if not (prov_dir / "policy.parquet").exists():
        t = time.perf_counter()
        build_province(county_snap.path, prov_dir, members, seed)
        say(f"province snapshot built in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    load_csv(prov_dir / "villages.csv")
    say(f"province villages loaded in {time.perf_counter() - t:.1f} s")
    return county_snap, open_snapshot(prov_dir)


# ---------------------------------------------------------------------------------------------------
# Refresh and its baseline


def table_sum() -> tuple[int, int, object]:
    from django.db.models import Count, Sum

    from jingzhun.analytics.models import IndicatorValue

    got = IndicatorValue.objects.filter(year=YEAR).aggregate(
        n=Count("id"), num=Sum("numerator"), v=Sum("value")
    )
    return got["n"], got["num"], got["v"]


def empty_year() -> None:
    """No figures for the year, as before the first refresh (PostgreSQL: dead rows vacuumed away)."""
    from django.db import connection

    from jingzhun.analytics.models import IndicatorRefresh, IndicatorValue

    IndicatorValue.objects.filter(year=YEAR).delete()
    IndicatorRefresh.objects.filter(year=YEAR).delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE analytics_indicatorvalue")


def drift(seed: int) -> int:
    """Make about 12 % of the year's rows wrong: a tenth changed, a fiftieth deleted. Returns the rows hit."""
    from django.db import connection

    k = seed % 10
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE analytics_indicatorvalue SET numerator = numerator + 1, value = value + 1 "
            "WHERE year = %s AND id %% 10 = %s",
            [YEAR, k],
        )
        changed = cur.rowcount
        cur.execute(
            "DELETE FROM analytics_indicatorvalue WHERE year = %s AND id %% 50 = %s", [YEAR, (k + 1) % 50]
        )
        deleted = cur.rowcount
        if connection.vendor == "postgresql":
            cur.execute(
                "VACUUM ANALYZE analytics_indicatorvalue"
            )  # the day's churn, vacuumed as autovacuum would
    return changed + deleted


def timed_refresh(snapshot: object) -> dict[str, float]:
    """One ``refresh_snapshot``, split into the DuckDB computation and the rest (the database write)."""
    from jingzhun.analytics import refresh

    inner = refresh.compute
    spent: dict[str, float] = {}

    def compute(*args: object, **kw: object) -> object:
        t = time.perf_counter()
        try:
            return inner(*args, **kw)
        finally:
            spent["compute"] = time.perf_counter() - t

    refresh.compute = compute
    try:
        t = time.perf_counter()
        result = refresh.refresh_snapshot(snapshot, year=YEAR)
        total = time.perf_counter() - t
    finally:
        refresh.compute = inner
    return {
        "total": total,
        "compute": spent["compute"],
        "write": total - spent["compute"],
        "rows": result.rows,
        "written": result.written,
    }


def repeat(label: str, fn: object, runs: int) -> list[dict[str, float]]:
    fn()  # warm-up
    out = []
    for i in range(runs):
        r = fn()
        out.append(r)
        say(f"{label} run {i + 1}: {r['total']:.2f} s")
    return out


def orm_indicators(prefix: str) -> dict[tuple[str, str, str], tuple[int, int | None]]:
    """The baseline: each indicator per village through the ORM, then summed up the tree in Python."""
    from django.db.models import Count

    from jingzhun.analytics import indicators
    from jingzhun.regions.models import Region
    from jingzhun.registry.models import Household, Member

    hh = Household.objects.filter(village__code__startswith=prefix).order_by()
    people = Member.objects.filter(
        household__village__code__startswith=prefix, left_on__isnull=True
    ).order_by()
    reg = hh.exclude(poverty_status="")
    open_mon = hh.exclude(monitoring_type="").filter(risk_elimination__in=["", "0"])
    grouped = {
        "households_by_status": reg.values_list("village_id", "poverty_status"),
        "households_by_attribute": reg.values_list("village_id", "attribute"),
        "households_by_cause": reg.exclude(main_cause="").values_list("village_id", "main_cause"),
        "exits_by_year": reg.filter(exit_year__isnull=False).values_list("village_id", "exit_year"),
        "returns_by_year": hh.filter(return_year__isnull=False).values_list("village_id", "return_year"),
        "monitoring_by_type": open_mon.values_list("village_id", "monitoring_type"),
        "elimination_by_mode": hh.exclude(monitoring_type="")
        .filter(risk_elimination__in=["1", "2"])
        .values_list("village_id", "risk_elimination"),
        "people_by_status": people.exclude(household__poverty_status="").values_list(
            "household__village_id", "household__poverty_status"
        ),
    }
    village: dict[tuple[str, str, str], int] = defaultdict(int)
    for code, qs in grouped.items():
        for v, dim, n in qs.annotate(n=Count("id")):
            village[(code, v, str(dim))] += n
    for v, n in (
        people.filter(household__poverty_status__in=["0", "3"])
        .values_list("household__village_id")
        .annotate(n=Count("id"))
    ):
        village[("remaining_poor_people", v, "")] += n
        village[("poverty_incidence", v, "")] += n
    for v, risks in open_mon.values_list("village_id", "risk_types"):
        for risk in risks or []:
            village[("monitoring_by_risk", v, str(risk))] += 1
    for code in ("guarantee_gaps", "helper_coverage", "measure_coverage"):  # through their drill-down filters
        indicator = indicators.BY_CODE[code]
        for dim in indicator.dims:
            for v, n in (
                hh.filter(indicator.households(dim, prefix)).values_list("village_id").annotate(n=Count("id"))
            ):
                village[(code, v, dim)] += n
    population = dict(
        Region.objects.filter(level=5, code__startswith=prefix).values_list("code", "rural_population")
    )
    result: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for (code, v, dim), n in village.items():
        for digits in (2, 4, 6, 9, 12):
            result[(code, v[:digits].ljust(12, "0"), dim)][0] += n
    for v, p in population.items():
        for digits in (2, 4, 6, 9, 12):
            result[("poverty_incidence", v[:digits].ljust(12, "0"), "")][1] += p or 0
    return {k: (n, d if k[0] == "poverty_incidence" else None) for k, (n, d) in result.items()}


def check_baseline(prefix: str, base: dict[tuple[str, str, str], tuple[int, int | None]]) -> int:
    """The refresh's rows of the county (village, township, county) equal the baseline's; returns rows checked."""
    from jingzhun.analytics.models import IndicatorValue
    from jingzhun.analytics.refresh import DB_INDICATORS

    stored = {
        (r.code, r.region_code, r.dim): (r.numerator, r.denominator)
        for r in IndicatorValue.objects.filter(year=YEAR, region_code__startswith=prefix)
        if r.code not in DB_INDICATORS
    }
    mine = {k: v for k, v in base.items() if k[1].startswith(prefix)}
    a = {k: v for k, v in stored.items() if v[0] or v[1]}
    b = {k: v for k, v in mine.items() if v[0] or v[1]}
    if a != b:
        diff = sorted(set(a.items()) ^ set(b.items()))[:10]
        raise SystemExit(
            f"baseline and refresh differ ({len(set(a.items()) ^ set(b.items()))} rows), e.g. {diff}"
        )
    return len(a)


# ---------------------------------------------------------------------------------------------------
# Dashboard


def make_sessions(n: int) -> list[tuple[str, list[str]]]:
    """``n`` leaders (the province, every city, then counties) with a session each: (cookie, region codes)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from jingzhun.accounts.choices import Role
    from jingzhun.accounts.models import User
    from jingzhun.regions.models import Region

    province = Region.objects.get(prefix=PROVINCE)
    cities = list(Region.objects.filter(level=2, prefix__startswith=PROVINCE).order_by("code"))
    counties = list(Region.objects.filter(level=3, prefix__startswith=PROVINCE).order_by("code"))
    regions = [province, *cities, *random.Random(1).sample(counties, len(counties))][:n]
    out = []
    backend = (
        settings.AUTHENTICATION_BACKENDS[0]
        if hasattr(settings, "AUTHENTICATION_BACKENDS")
        else "django.contrib.auth.backends.ModelBackend"
    )
    for i, region in enumerate(regions):
        user = User.objects.create(username=f"leader{i}", role=Role.LEADER, region=region)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = backend
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        pages = [region.code, *region.children.order_by("code").values_list("code", flat=True)]
        out.append((f"{settings.SESSION_COOKIE_NAME}={session.session_key}", pages))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, cookie: str, code: str) -> tuple[int, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", f"/analytics/?region={code}&year={YEAR}", headers={"Cookie": cookie})
        resp = conn.getresponse()
        return resp.status, len(resp.read())
    finally:
        conn.close()


def cpu_seconds(names: tuple[str, ...]) -> float:
    """User + system CPU seconds so far of every live process whose command name starts with one of ``names``."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1 : text.rindex(")")]
        if comm.startswith(names):
            fields = text[text.rindex(")") + 2 :].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


SERVER, DATABASE = ("gunicorn",), ("postgres",)


def load_run(
    port: int, sessions: list[tuple[str, list[str]]], duration: float, think: float
) -> dict[str, float]:
    """Every user requests a page, reads it for ``think`` seconds on average (0: closed loop), and again."""
    say(f"load for {duration:.0f} s, think time {think:.1f} s")
    times: list[float] = []
    errors: list[str] = []
    stop = time.perf_counter() + duration
    lock = threading.Lock()

    def user(i: int) -> None:
        cookie, pages = sessions[i]
        rnd = random.Random(i)
        mine: list[float] = []
        if think:
            time.sleep(rnd.uniform(0, think))  # users arrive spread out, not in step
        while time.perf_counter() < stop:
            t = time.perf_counter()
            try:
                status, _ = get(port, cookie, rnd.choice(pages))
                if status != 200:
                    errors.append(str(status))
            except OSError as exc:
                errors.append(repr(exc))
            mine.append(time.perf_counter() - t)
            if think:
                time.sleep(rnd.uniform(0.5 * think, 1.5 * think))
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(len(sessions))]
    cpu = (cpu_seconds(SERVER), cpu_seconds(DATABASE), time.process_time())
    start = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - start
    spent = [cpu_seconds(SERVER) - cpu[0], cpu_seconds(DATABASE) - cpu[1], time.process_time() - cpu[2]]
    times.sort()
    q = statistics.quantiles(times, n=100)
    return {
        "think": think,
        "requests": len(times),
        "errors": len(errors),
        "rps": len(times) / wall,
        "p50": q[49] * 1000,
        "p95": q[94] * 1000,
        "p99": q[98] * 1000,
        "max": times[-1] * 1000,
        # CPU milliseconds a page: the web workers, PostgreSQL's processes (0 on SQLite), the client threads
        "cpu_server": spent[0] * 1000 / len(times),
        "cpu_database": spent[1] * 1000 / len(times),
        "cpu_client": spent[2] * 1000 / len(times),
    }


def serve_and_load(
    sessions: list[tuple[str, list[str]]], workers: int, duration: float, thinks: list[float]
) -> list[dict[str, float]]:
    port = free_port()
    env = {**os.environ, "JINGZHUN_CONN_MAX_AGE": "60", "JINGZHUN_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "jingzhun.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        for cookie, pages in sessions:  # warm-up: every worker imports, connects, fills its caches
            for code in pages[:3]:
                status, size = get(port, cookie, code)
                assert status == 200 and size > 1000, (status, size, code)
        say(f"gunicorn up ({workers} workers), {len(sessions)} users")
        results = [load_run(port, sessions, duration, think) for think in thinks]
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


# ---------------------------------------------------------------------------------------------------


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--households", type=int, default=10_000, help="households of the imported county")
    p.add_argument("--members", type=int, default=2_000_000, help="members of the province (about)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    p.add_argument("--duration", type=float, default=30.0, help="seconds of load per think time")
    p.add_argument(
        "--think",
        type=float,
        nargs="+",
        default=[0.0, 1.0],
        help="mean seconds a user reads a page before the next request (0: closed loop)",
    )
    p.add_argument("--no-dashboard", action="store_true")
    args = p.parse_args()
    django_setup()
    from django.db import connection

    fresh_database()
    say(f"database: {connection.vendor}")
    county_snap, province = prepare(args.households, args.members, args.seed)
    say(
        f"province snapshot: {province.rows['members']:,} members, {province.rows['households']:,} households, "
        f"{len(province.counties)} counties"
    )

    cases: dict[str, list[dict[str, float]]] = {"first": [], "changed": [], "unchanged": []}
    timed_refresh(province)  # warm-up
    expected = None
    for i in range(args.runs):
        empty_year()
        cases["first"].append(timed_refresh(province))
        expected = expected or table_sum()
        hit = drift(i)
        cases["changed"].append(timed_refresh(province) | {"hit": hit})
        assert table_sum() == expected, "the refresh after the drift did not restore the figures"
        assert cases["changed"][-1]["written"] == hit, "the refresh wrote other rows than the drifted ones"
        cases["unchanged"].append(timed_refresh(province))
        say(
            f"province refresh run {i + 1}: "
            + ", ".join(
                f"{k} {v[-1]['total']:.2f} s ({int(v[-1]['written']):,} written)" for k, v in cases.items()
            )
        )
    county = repeat("county refresh", lambda: timed_refresh(county_snap), args.runs)

    def orm() -> dict[str, float]:
        t = time.perf_counter()
        orm.result = orm_indicators(COUNTY)  # type: ignore[attr-defined]
        return {"total": time.perf_counter() - t}

    baseline = repeat("county ORM baseline", orm, args.runs)
    checked = check_baseline(COUNTY, orm.result)  # type: ignore[attr-defined]
    say(f"baseline equals refresh on {checked:,} non-zero rows of the county")
    timed_refresh(province)  # the province's figures as they stand after a full refresh, for the dashboard

    web = None
    if not args.no_dashboard:
        web = serve_and_load(make_sessions(args.users), args.workers, args.duration, args.think)

    def mm(runs: list[dict[str, float]], key: str) -> str:
        values = [r[key] for r in runs]
        return f"{min(values):.2f} / {statistics.median(values):.2f} s"

    print(f"machine: {machine()}; database: {connection.vendor}; {load()} at the end")
    print(
        f"province {PROVINCE}: {province.rows['members']:,} members, {province.rows['households']:,} households, "
        f"{len(province.counties)} counties; county {COUNTY}: {county_snap.rows['members']:,} members"
    )
    print("| run | total min / median | DuckDB compute | database | rows computed | rows written |")
    print("|---|---|---|---|---|---|")
    rows = [(f"refresh_snapshot, province, {k}", v) for k, v in cases.items()]
    for label, runs in (*rows, (f"refresh_snapshot, county {COUNTY}, unchanged", county)):
        written = sorted(int(r["written"]) for r in runs)
        print(
            f"| {label} | {mm(runs, 'total')} | {mm(runs, 'compute')} | {mm(runs, 'write')} | "
            f"{int(runs[0]['rows']):,} | {written[0]:,}–{written[-1]:,} |"
        )
    print(f"| ORM baseline, county {COUNTY} | {mm(baseline, 'total')} | | | {checked:,} checked equal |")
    if web:
        print(
            f"dashboard /analytics/?region=…, gunicorn {args.workers} sync workers, {args.users} users, "
            f"{args.duration:.0f} s each:"
        )
        print(
            "| think time | requests | errors | requests/s | p50 | p95 | p99 | max | CPU ms a page: web / database / client |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for w in web:
            # a database process that ended during the run takes its CPU time with it: then not measured
            database = f"{w['cpu_database']:.1f}" if w["cpu_database"] >= 0 else "—"
            print(
                f"| {w['think']:.1f} s | {w['requests']:,} | {w['errors']} | {w['rps']:.1f} | {w['p50']:.0f} ms | "
                f"{w['p95']:.0f} ms | {w['p99']:.0f} ms | {w['max']:.0f} ms | "
                f"{w['cpu_server']:.1f} / {database} / {w['cpu_client']:.1f} |"
            )
    print(f"peak memory of the bench process {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
