"""Durable jobs (issue 16): ``kill -9`` of the worker in the middle of an import, a department load and a
comparison, then a restart, ends every job completed and leaves the same tables as one clean run.

Everything runs in real processes against a real database of its own (SQLite file, or a PostgreSQL
database made for the test when the suite runs on PostgreSQL): the worker is ``jingzhun worker``, the
jobs are started by the same functions the pages call. One database is prepared (regions, villages,
accounts, the register file and a department file), copied twice: one copy runs the three jobs cleanly,
the other kills the worker (SIGKILL) once inside each job and starts it again. A county of 200
households keeps it cheap.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

REPO = Path(__file__).resolve().parents[1]
HOUSEHOLDS = 200

# The driver runs inside the project, in its own process (the database is the one of its environment).
DRIVER = r"""
import json, shutil, sys
from pathlib import Path
import django
django.setup()
from django.utils import timezone
from jingzhun.accounts.choices import Role
from jingzhun.accounts.models import User
from jingzhun.regions.models import Region

COUNTY = "620502"
commands, folder = sys.argv[1].split("+"), Path(sys.argv[2])

def user(name):
    return User.objects.get(username=name)

for command in commands:
    if command == "setup":
        from django.core.management import call_command
        from jingzhun.regions.services import load_csv, load_national
        from jingzhun.testing import register as generate
        call_command("migrate", verbosity=0)
        load_national([COUNTY[:2]])
        villages = generate.generate_villages(COUNTY, seed=7, households=int(sys.argv[3]))
        generate.write_villages_csv(villages, folder / "villages.csv")
        load_csv(folder / "villages.csv")
        rows = generate.generate_register(COUNTY, households=int(sys.argv[3]), seed=7, villages=villages)
        generate.write_csv(rows, folder / "register.csv")
        county = Region.objects.get(prefix=COUNTY)
        User.objects.create_user("admin", password="x", role=Role.ADMIN)
        User.objects.create_user("county", password="x", role=Role.COUNTY_ADMIN, region=county)
    elif command == "departments":  # department files for the register as imported (a scratch copy)
        from django.core.management import call_command
        from jingzhun.registry.importer import run_import
        from jingzhun.core.audit import Actor
        run_import(actor=Actor(None, "测试"), user=None, path=folder / "register.csv")
        call_command("snapshot", "--region", COUNTY, "--out", str(folder / "snap"), verbosity=0)
        call_command("generate_departments", "--snapshot", str(folder / "snap"), "--out", str(folder / "dept"),
                     "--seed", "3", verbosity=0)
    elif command == "import":
        from jingzhun.registry.importer import start_import
        print(start_import(user=user("county"), upload_path=folder / "register.csv", file_name="register.csv",
                           policy="all").pk)
    elif command == "load":
        from jingzhun.comparison import jobs
        path = Path(sys.argv[3])
        upload = folder / f"upload-{path.name}"
        shutil.copy(path, upload)  # the load removes its upload when done
        load = jobs.start_load(user=user("admin"), path=upload, file_name=path.name, dataset=path.stem,
                               as_of=timezone.localdate(), region_prefix="", policy="valid")
        print(load.pk)
    elif command == "compare":
        from jingzhun.comparison import jobs
        print(jobs.start_run(user=user("county"), region=Region.objects.get(prefix=COUNTY)).pk)
    elif command == "dump":
        from jingzhun.analytics.models import IndicatorValue
        from jingzhun.comparison.models import ComparisonRun, DatasetLoad, Doubt
        from jingzhun.core.models import Job
        from jingzhun.registry.models import Household, Member
        def rows(qs, *fields):
            return sorted([[str(v) for v in row] for row in qs.values_list(*fields)])
        print(json.dumps({
            "households": rows(Household.objects, "household_number", "village__code", "head_name",
                               "poverty_status", "version"),
            "members": rows(Member.objects, "household__household_number", "person_number", "id_number", "name",
                            "relation", "left_on"),
            "loads": rows(DatasetLoad.objects, "dataset", "state", "rows_total", "rows_accepted", "rows_rejected"),
            "runs": rows(ComparisonRun.objects, "state", "findings"),
            "doubts": rows(Doubt.objects, "key", "rule__code", "household__household_number", "state"),
            "indicators": rows(IndicatorValue.objects, "year", "region_code", "code", "dim", "value"),
            "jobs": rows(Job.objects, "kind", "state"),
        }, ensure_ascii=False))
"""


# ---------------------------------------------------------------------------------------------------
# A database of the test's own, on the suite's backend


class Database:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.default = settings.DATABASES["default"]
        self.postgres = self.default["ENGINE"].endswith("postgresql")
        self.made: list[str] = []

    def _admin(self) -> Any:
        import psycopg

        d = self.default
        return psycopg.connect(
            dbname="postgres",
            user=d.get("USER") or None,
            password=d.get("PASSWORD") or None,
            host=d.get("HOST") or None,
            port=d.get("PORT") or None,
            autocommit=True,
        )

    def url(self, name: str) -> str:
        if not self.postgres:
            return f"sqlite:///{self.folder / f'{name}.sqlite3'}"
        d = self.default
        auth = d.get("USER") or ""
        if d.get("PASSWORD"):
            auth += f":{d['PASSWORD']}"
        host = d.get("HOST") or ""
        if host.startswith("/"):  # a socket directory
            return f"postgres://{auth}@/{name}?host={host}&port={d.get('PORT') or 5432}"
        return f"postgres://{auth}@{host}:{d.get('PORT') or 5432}/{name}"

    def name(self, label: str) -> str:
        return f"jz_crash_{label}_{uuid.uuid4().hex[:8]}"

    def create(self, name: str) -> None:
        if self.postgres:
            with self._admin() as con:
                con.execute(f'CREATE DATABASE "{name}"')
            self.made.append(name)

    def copy(self, source: str, name: str) -> None:
        if self.postgres:
            with self._admin() as con:
                con.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
            self.made.append(name)
        else:
            with sqlite3.connect(self.folder / f"{source}.sqlite3") as src:
                with sqlite3.connect(self.folder / f"{name}.sqlite3") as dst:
                    src.backup(dst)

    def job(self, name: str, job_kind: str) -> tuple[str, str, int]:
        """(state, worker, done) of the newest job of ``job_kind``, read straight from the database."""
        sql = "SELECT state, worker, done FROM core_job WHERE kind = %s ORDER BY created_at DESC LIMIT 1"
        if self.postgres:
            import psycopg

            with psycopg.connect(self.url(name)) as con:
                row = con.execute(sql, (job_kind,)).fetchone()
        else:
            with sqlite3.connect(self.folder / f"{name}.sqlite3", timeout=30) as con:
                row = con.execute(sql.replace("%s", "?"), (job_kind,)).fetchone()
        return row if row is not None else ("", "", 0)

    def drop(self) -> None:
        if self.postgres and self.made:
            with self._admin() as con:
                for name in self.made:
                    con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Site:
    """One installation: a database and a home folder, driven through subprocesses."""

    def __init__(self, db: Database, name: str, home: Path, shared: Path) -> None:
        self.db, self.name, self.shared = db, name, shared
        home.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "jingzhun.settings",
            "JINGZHUN_DATABASE_URL": db.url(name),
            "JINGZHUN_HOME": str(home),
            "JINGZHUN_AUTO_REFRESH": "1",
            "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]),
        }

    def drive(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", DRIVER, args[0], str(self.shared), *args[1:]],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout.strip()

    def worker(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "jingzhun", "worker", "--interval", "0.2", *args],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run_queue(self) -> None:
        """Start a worker that runs everything queued (recovering what a dead worker left) and exits."""
        proc = self.worker("--batch")
        _out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]

    def kill_inside(self, kind: str, at_least: int) -> int:
        """Start a worker, wait until it is inside the newest ``kind`` job (its progress at ``at_least``
        percent or more), kill it with SIGKILL; returns the percent it had reached."""
        proc = self.worker()
        try:
            while True:
                state, worker, done = self.db.job(self.name, kind)
                if state == "running" and worker.endswith(f":{proc.pid}") and done >= at_least:
                    break
                assert state in ("queued", "running"), f"the {kind} job ended ({state}) before the kill"
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.02)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        return done


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, str, Path]]:
    folder = tmp_path_factory.mktemp("job-crash")
    db = Database(folder)
    try:
        template = db.name("template")
        db.create(template)
        Site(db, template, folder / "home-template", folder).drive("setup", str(HOUSEHOLDS))
        scratch = db.name("scratch")
        db.copy(template, scratch)
        Site(db, scratch, folder / "home-scratch", folder).drive("departments")
        yield db, template, folder
    finally:
        db.drop()


def test_a_worker_killed_inside_each_job_ends_with_the_tables_of_a_clean_run(prepared):
    db, template, folder = prepared
    department = folder / "dept" / "civil_assistance.parquet"
    assert department.is_file()

    # given two copies of one installation
    clean = Site(db, db.name("clean"), folder / "home-clean", folder)
    crashed = Site(db, db.name("crashed"), folder / "home-crashed", folder)
    db.copy(template, clean.name)
    db.copy(template, crashed.name)

    # when one queues the import, the department load and the comparison, and a worker left alone runs
    # them in that order
    clean.drive("import+load+compare", str(department))
    clean.run_queue()

    # and the other's worker is killed (SIGKILL) inside each of them, and started again
    for step, kind, at_least in (
        (("import",), "import", 35),  # validating the file
        (("load", str(department)), "load", 30),  # checking the rows
        (("compare",), "compare", 10),  # running the rules
    ):
        crashed.drive(*step)
        crashed.kill_inside(kind, at_least)
        # the killed worker's job is still "running" until a worker starts again
        assert db.job(crashed.name, kind)[0] == "running"
        crashed.run_queue()
        assert db.job(crashed.name, kind)[0] == "succeeded"

    # then every job completed, and the tables equal those of the clean run: no household, member,
    # load, doubt or indicator row twice or missing
    want, got = json.loads(clean.drive("dump")), json.loads(crashed.drive("dump"))
    assert want["households"] and len(want["households"]) == HOUSEHOLDS
    assert want["doubts"] and want["indicators"] and want["loads"]
    for run in (want, got):
        assert {state for _kind, state in run.pop("jobs")} == {"succeeded"}
    for table in want:
        assert got[table] == want[table], table
