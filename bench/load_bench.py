"""Load benchmark (issue 16): 50 officers at once on a province register, served as deployed (gunicorn).

    scripts/with-postgres .venv/bin/python bench/load_bench.py --households 1000000      # the full run
    scripts/with-postgres .venv/bin/python bench/load_bench.py --households 20000 --duration 60   # smoke

Data: the province 甘肃 (62) is filled county by county, each county generated (``jingzhun.testing.register``, real
townships, generated villages; seeded, cached in ``bench/out/load/``) and imported through the normal
importer, ``--per-county`` households each, until ``--households``. The first ``--compare-counties``
counties also get what the demo gives its county (``jingzhun demo``'s own steps): helpers and measures,
department data with planted anomalies loaded and compared, so there are doubts to verify.

Officers: ``--users`` village officers (村干部/驻村工作队, the role that opens cases and verifies doubts) of
the biggest villages of the compared counties, each with a web session and an API token, and a share of
their village's households and open doubts (no two officers touch the same record). Each officer (a locust user, ``bench/load_locust.py``) repeats, with ``--think``
seconds of reading between requests (uniform 0.5×–1.5×):

* **search** (weight 3): the register page searching a head's name (``/registry/?q=…``);
* **household page** (5): ``/registry/<id>/``;
* **edit** (1): the household read and its phone number changed through the API (PATCH, with its version);
* **case step** (1): a monitoring case (防返贫监测) opened for a household and its first step done (API);
* **doubt verification** (1): an open doubt read and verified as 不属实 with a note (API).

The server: gunicorn, sync workers (``--workers``, default 2 × cores + 1), the settings of docs/deploy.md
(connections kept), on the same machine as PostgreSQL and the load generator. Printed: p50 / p95 / p99 /
max per page (milliseconds, locust's figures), requests and errors; any error fails the run.
Targets at 1,000,000 households: household page p95 ≤ 150 ms, search p95 ≤ 300 ms, no errors.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import OUT, ROOT, django_setup, fresh_database, machine

PROVINCE = "62"
PAGES = ("search", "household page", "edit", "case step", "doubt verification")
TARGETS = {"household page": 150.0, "search": 300.0}  # p95, milliseconds


def load() -> str:
    a, b, c = os.getloadavg()
    return f"load {a:.2f} {b:.2f} {c:.2f}"


def say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} {load()}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------
# Data


def counties(n: int) -> list[str]:
    from jingzhun.testing import register as generate

    codes = [c.code for c in generate.province_counties(PROVINCE)]
    if n > len(codes):
        raise SystemExit(f"{PROVINCE} has {len(codes)} counties; raise --per-county")
    return codes[:n]


def fill_province(households: int, per_county: int, compare: int, seed: int) -> list[str]:
    """Generate (cached) and import each county; the demo's comparison for the first ``compare`` ones."""
    from jingzhun.core.audit import Actor
    from jingzhun.core.context import acting
    from jingzhun.regions.services import load_csv, load_national
    from jingzhun.registry.importer import run_import
    from jingzhun.registry.models import ImportBatch
    from jingzhun.site.management.commands.demo import Command as Demo
    from jingzhun.testing import register as generate

    load_national([PROVINCE])
    n = -(-households // per_county)
    codes = counties(n)
    demo = Demo()
    demo.say = lambda msg: say(msg.strip())  # type: ignore[method-assign]
    for i, county in enumerate(codes):
        size = min(per_county, households - i * per_county)
        folder = OUT / "load" / f"{county}-{size}-{seed}-{len(generate.KEYS)}c"
        register = folder / "register.csv"
        if not register.exists():
            folder.mkdir(parents=True, exist_ok=True)
            villages = generate.generate_villages(county, seed=seed, households=size)
            generate.write_villages_csv(villages, folder / "villages.csv")
            rows = generate.generate_register(county, households=size, seed=seed + i, villages=villages)
            generate.write_csv(rows, register)
        load_csv(folder / "villages.csv")
        started = time.perf_counter()
        with acting(source="bench"):
            batch = run_import(actor=Actor(None, "基准测试"), user=None, path=register)
        assert batch.state == ImportBatch.State.COMMITTED, batch.message
        say(f"county {county} ({i + 1}/{n}): {size:,} households in {time.perf_counter() - started:.0f} s")
        if i < compare:
            demo.accounts(county)  # the demo's run is started by its county administrator
            demo.demo_comparison(county)
    return codes


def make_officers(users: int, compared: list[str], seed: int) -> list[dict[str, object]]:
    """Village officers (村干部/驻村工作队: they open cases and verify doubts) of the biggest villages of the
    compared counties, each with a session, a token and records of their own."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db.models import Count, Q

    from jingzhun.accounts.choices import Role
    from jingzhun.accounts.models import User
    from jingzhun.accounts.services import create_api_token
    from jingzhun.comparison.models import Doubt, DoubtState
    from jingzhun.core.audit import Actor
    from jingzhun.procedures.choices import EvidenceKind, ProcedureKind, Signer
    from jingzhun.procedures.models import ProcedureDefinition
    from jingzhun.regions.models import Region
    from jingzhun.registry.models import Household

    within = Q()
    for code in compared:
        within |= Q(prefix__startswith=code)
    villages = list(
        Region.objects.filter(within, level=5)
        .annotate(n=Count("households"))
        .filter(n__gt=0)
        .order_by("-n", "code")[:users]
    )
    rng = random.Random(seed)
    monitoring = ProcedureDefinition.objects.get(kind=ProcedureKind.MONITORING, region_prefix="")
    first = monitoring.steps.order_by("order")[0]
    step = {
        "step_code": first.code,
        "signatures": [{"signer": c, "name": f"{Signer(c).label}（基准）"} for c in first.signature_list],
        "evidence": [
            {"kind": c, "name": f"{EvidenceKind(c).label}（纸质存档）"} for c in first.evidence_list
        ],
    }
    officers = []
    for i in range(users):
        village = villages[i % len(villages)]
        share, of = (
            i // len(villages),
            -(-users // len(villages)),
        )  # officers of one village split its records
        user = User.objects.create(
            username=f"officer{i}", role=Role.VILLAGE_OFFICER, region=village, full_name=f"驻村干部{i}"
        )
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        token = create_api_token(actor=Actor(None, "基准测试"), user=user)[1]
        mine = list(Household.objects.filter(village=village).order_by("id").values_list("id", "head_name"))[
            share::of
        ]
        sample = rng.sample(mine, min(400, len(mine)))
        doubts = list(
            Doubt.objects.filter(village=village, state=DoubtState.OPEN)
            .order_by("id")
            .values_list("id", flat=True)
        )[share::of]
        officers.append(
            {
                "cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}",
                "token": token,
                "households": [h for h, _ in sample],
                "names": sorted({name for _, name in sample if name})[:100],
                "doubts": doubts,
                "step": step,
            }
        )
    return officers


# ---------------------------------------------------------------------------------------------------
# Serving and load


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bin_path(name: str) -> str:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else str(ROOT / ".venv" / "bin" / name)


def warm_up(port: int, plan: Path, workers: int) -> dict[str, float]:
    """Every worker imports the app and opens its connection before the clock starts; then one officer alone
    (one request at a time): the median milliseconds of each page without queueing, the service time."""
    import http.client
    import statistics

    officers = json.loads(plan.read_text(encoding="utf-8"))
    alone: dict[str, list[float]] = {"household page": [], "search": []}
    for i in range(4 * workers + 20):
        me = officers[i % len(officers)]
        pages = {
            "household page": f"/registry/{me['households'][i % len(me['households'])]}/",
            "search": "/registry/?q=" + quote(me["names"][i % len(me["names"])][:2]),
        }
        for name, path in pages.items():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            try:
                started = time.perf_counter()
                conn.request("GET", path, headers={"Cookie": me["cookie"]})
                response = conn.getresponse()
                response.read()
                took = (time.perf_counter() - started) * 1000
                assert response.status == 200, (path, response.status)
            finally:
                conn.close()
            if i >= 4 * workers:
                alone[name].append(took)
    return {name: statistics.median(times) for name, times in alone.items()}


def serve_and_load(plan: Path, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    port = free_port()
    env = {
        **os.environ,
        "JINGZHUN_CONN_MAX_AGE": "60",
        "JINGZHUN_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            bin_path("gunicorn"),
            "-c",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--access-logfile",
            "/dev/null",
            "jingzhun.wsgi:application",
        ],
        env=env,
        cwd=ROOT,
    )
    out = Path(tempfile.mkdtemp(prefix="jz-load-"))
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        for name, ms in warm_up(port, plan, args.workers).items():
            say(f"one officer alone, {name}: median {ms:.0f} ms")
        say(f"gunicorn up ({args.workers} workers); {args.users} officers for {args.duration:.0f} s")
        subprocess.run(
            [
                bin_path("locust"),
                "-f",
                str(ROOT / "bench" / "load_locust.py"),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(max(1, args.users // 5)),
                "--run-time",
                f"{int(args.duration)}s",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(out / "load"),
                "--only-summary",
                "--reset-stats",  # measured from the moment every officer is at work
                "--loglevel",
                "WARNING",
            ],
            env={**env, "JINGZHUN_LOAD_PLAN": str(plan), "JINGZHUN_LOAD_THINK": str(args.think)},
            cwd=ROOT,
            check=False,
        )
        stats: dict[str, dict[str, float]] = {}
        with (out / "load_stats.csv").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                stats[row["Name"]] = {
                    "requests": int(row["Request Count"]),
                    "errors": int(row["Failure Count"]),
                    "p50": float(row["50%"]),
                    "p95": float(row["95%"]),
                    "p99": float(row["99%"]),
                    "max": float(row["Max Response Time"]),
                    "rps": float(row["Requests/s"]),
                }
        failures = (out / "load_failures.csv").read_text(encoding="utf-8")
        if failures.count("\n") > 1:
            print(failures, file=sys.stderr)
        return stats
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--households", type=int, default=1_000_000)
    p.add_argument("--per-county", type=int, default=12_000, help="households of each imported county")
    p.add_argument("--compare-counties", type=int, default=2, help="counties given doubts (the demo's run)")
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    p.add_argument("--duration", type=float, default=300.0, help="seconds of load")
    p.add_argument("--think", type=float, default=1.0, help="mean seconds an officer reads a page")
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()

    django_setup()
    from django.db import connection

    say(machine())
    fresh_database()
    say(f"database: {connection.vendor}")
    started = time.perf_counter()
    codes = fill_province(args.households, args.per_county, args.compare_counties, args.seed)
    say(
        f"province: {args.households:,} households in {len(codes)} counties, {time.perf_counter() - started:.0f} s"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    officers = make_officers(args.users, codes[: max(1, args.compare_counties)], args.seed)
    say(f"{len(officers)} officers, {sum(len(o['doubts']) for o in officers):,} open doubts among them")
    plan = Path(tempfile.mkstemp(prefix="jz-load-", suffix=".json")[1])
    plan.write_text(json.dumps(officers, ensure_ascii=False), encoding="utf-8")
    stats = serve_and_load(plan, args)

    print(
        f"\n{args.households:,} households, {args.users} officers, think {args.think:.1f} s, "
        f"{args.duration:.0f} s, {args.workers} gunicorn workers, {connection.vendor}"
    )
    print(f"{'page':<20} {'requests':>8} {'errors':>6} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>6}  (ms)")
    failed = False
    for name in (*PAGES, "Aggregated"):
        s = stats.get(name)
        if s is None:
            continue
        target = TARGETS.get(name)
        note = f"  target p95 ≤ {target:.0f}" + (" MISSED" if s["p95"] > target else "") if target else ""
        print(
            f"{name:<20} {s['requests']:>8} {s['errors']:>6} {s['p50']:>6.0f} {s['p95']:>6.0f} {s['p99']:>6.0f} "
            f"{s['max']:>6.0f}{note}"
        )
        failed |= s["errors"] > 0
    if failed:
        raise SystemExit("errors under load (above)")


if __name__ == "__main__":
    main()
