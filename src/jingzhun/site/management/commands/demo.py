"""jingzhun demo: a working county on this machine in one command.

Migrates the embedded database, loads the real national division list, generates a county
(秦州区 620502 by default) with villages and about 20,000 households, imports it through the same
importer villages use, creates one demo account per role, and serves the app on 127.0.0.1 together with
the job worker (``jingzhun worker``: imports, loads, comparisons, refreshes and exports started on the
pages), which stops with the server.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count
from django.utils import timezone

from jingzhun.accounts.choices import Role
from jingzhun.accounts.models import User
from jingzhun.core.audit import Actor
from jingzhun.core.context import acting
from jingzhun.regions.models import Region
from jingzhun.regions.services import load_csv, load_national

DEMO_PASSWORD = "jingzhun-demo"


class Command(BaseCommand):
    help = "启动演示：建库、载入全国区划、生成一个县的数据、创建各角色演示账号并启动网站"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--county", default="620502", help="县级区划代码（默认 620502 天水市秦州区）")
        parser.add_argument("--households", type=int, default=20000, help="生成的农户数（默认 20000）")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--addr", default="127.0.0.1:8000", help="网站地址（默认 127.0.0.1:8000）")
        parser.add_argument("--no-server", action="store_true", help="只准备数据，不启动网站")

    def handle(self, *args: object, **opts: object) -> None:
        started = time.perf_counter()
        self.say("1/5 建立数据库 …")
        call_command("migrate", verbosity=0)
        if not Region.objects.exists():
            self.say("2/5 载入全国统计用区划代码（省、市、县、乡镇）…")
            load_national()
        county = str(opts["county"])
        if not Region.objects.filter(prefix=county).exists():
            raise CommandError(f"找不到区县代码 {county}")
        from jingzhun.registry.models import Household

        if Household.objects.filter(village__code__startswith=county).exists():
            self.say("3/5 已有该县数据，跳过生成和导入")
        else:
            self.generate_and_import(county, int(opts["households"]), int(opts["seed"]))  # type: ignore[call-overload]  # argparse gives ints
        self.say("4/5 演示账号和演示用政策参数 …")
        self.accounts(county)
        self.demo_policy(county)
        self.demo_cases()
        self.demo_comparison(county)
        self.say(f"准备完成，用时 {time.perf_counter() - started:.0f} 秒。")
        if not opts["no_server"]:
            self.say(f"5/5 网站：http://{opts['addr']}/  （按 Ctrl+C 停止）；后台任务处理程序同时启动")
            worker = subprocess.Popen([sys.executable, "-m", "jingzhun", "worker"])
            try:
                call_command("runserver", str(opts["addr"]), "--noreload", "--insecure", "--skip-checks")
            finally:
                worker.terminate()  # a job in progress is finished first (SIGTERM), then it exits
                try:
                    worker.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()

    def demo_policy(self, county: str) -> None:
        """The shipped defaults stop where the national figures stop (2020/2021; provinces set their own
        since). So that the demo's current-year procedures can be decided, the demo province gets the
        missing years, marked 待确认 like every unconfirmed default (domain.md §3.1, §4.3)."""
        from jingzhun.policy import catalogue, services
        from jingzhun.policy.models import Parameter

        province = county[:2]
        values = {
            catalogue.POVERTY_LINE: {y: 4000 for y in range(2021, 2031)},
            catalogue.MONITORING_LINE: {2022: 6300, 2023: 6900, **{y: 7300 for y in range(2024, 2031)}},
        }
        for key, by_year in values.items():
            for year, value in by_year.items():
                if (
                    year > timezone.localdate().year
                    or Parameter.objects.filter(key=key, year=year, region_prefix__in=["", province]).exists()
                ):
                    continue
                services.create_parameter(
                    actor=Actor(None, "演示数据"),
                    key=key,
                    region_prefix=province,
                    year=year,
                    value=value,
                    document="演示用数值（非正式文件）",
                    unconfirmed=True,
                    source="jingzhun demo",
                    note="演示用：全国逐年数值未经核实（domain.md §3.1、§4.3），请按本省文件修改",
                )

    def demo_cases(self) -> None:
        """A few cases in the demo village, at their first or second step, so the queues and case pages
        have something to show. Done through the procedure services as the village officer, so they are
        audited like any case; skipped when the village already has cases."""
        from jingzhun.core.errors import JingzhunError
        from jingzhun.procedures import services as procedures
        from jingzhun.procedures.choices import EvidenceKind, ProcedureKind, Signer
        from jingzhun.procedures.models import Case
        from jingzhun.registry.models import Household

        officer = User.objects.filter(username="village").select_related("region").first()
        if officer is None or Case.objects.filter(household__village=officer.region).exists():
            return
        actor, today = Actor.of(officer), timezone.localdate()
        plans = [  # kind, params, how many, days since discovery, how many get their first step done
            (ProcedureKind.MONITORING, {"monitoring_type": "2"}, 4, 6, 2),
            (ProcedureKind.MONITORING, {"monitoring_type": "3"}, 1, 20, 0),  # past the 15-day limit
            (ProcedureKind.ELIMINATION, {"mode": "1"}, 2, 30, 1),
            (ProcedureKind.RETURN, {}, 1, 10, 0),
            (ProcedureKind.EXIT, {}, 2, 40, 1),
        ]
        village = Household.objects.filter(village=officer.region).order_by("household_number")
        for kind, params, count, days, advanced in plans:
            opened = 0
            for household in village.exclude(cases__isnull=False):
                try:
                    case = procedures.open_case(
                        actor=actor,
                        household=household,
                        kind=kind,
                        discovered_on=today - dt.timedelta(days=days),
                        params=params,
                    )
                except JingzhunError:
                    continue
                if opened < advanced:
                    step = case.next_step
                    assert step is not None  # the case is open, so a step is waiting
                    procedures.complete_step(
                        actor=actor,
                        case=case,
                        step_code=step.code,
                        expected_version=case.version,
                        on=today - dt.timedelta(days=days - 1),
                        signatures=[
                            procedures.Signature(code, f"{Signer(code).label}（演示{k + 1}）")
                            for k, code in enumerate(step.signature_list)
                        ],
                        evidence=[
                            procedures.EvidenceInput(code, f"{EvidenceKind(code).label}（纸质存档）")
                            for code in step.evidence_list
                        ],
                    )
                opened += 1
                if opened == count:
                    break

    def demo_comparison(self, county: str) -> None:
        """Department data for the county, generated with planted anomalies, loaded through the same checks
        a department's file goes through, and one comparison run, so the doubt queue has work in it; then the
        indicators. Skipped when the county already has a run."""
        from jingzhun.comparison import datasets as ds
        from jingzhun.comparison.loading import load_dataset
        from jingzhun.comparison.models import ComparisonRun
        from jingzhun.comparison.services import run_comparison
        from jingzhun.comparison.snapshot import write_snapshot
        from jingzhun.testing.departments import generate_departments

        if ComparisonRun.objects.filter(region__prefix=county).exists():
            return
        today = timezone.localdate()
        from jingzhun.assistance.models import Pairing
        from jingzhun.testing.assistance import generate_assistance

        if not Pairing.objects.filter(household__village__code__startswith=county).exists():
            pairs, measures = generate_assistance(county, year=today.year)
            self.say(f"    帮扶：{pairs:,} 个帮扶责任人结对，{measures:,} 条帮扶措施")
        self.say("    部门数据比对：生成各部门数据（含植入的疑点）、校验入库、运行比对规则 …")
        snap = write_snapshot(county)
        out = Path(settings.HOME) / "generated" / county / "departments"
        generate_departments(snap.path, out, seed=1, as_of=today, scale=0.3)
        system = Actor(None, "演示数据")
        for dataset in ds.DATASETS:
            path = out / f"{dataset.code}.parquet"
            if path.exists():
                load_dataset(
                    actor=system,
                    user=None,
                    path=path,
                    dataset=dataset.code,
                    as_of=today,
                    region_prefix=county,
                )
        admin = User.objects.get(username="county")
        run = run_comparison(actor=Actor.of(admin), region=Region.objects.get(prefix=county), as_of=today)
        self.say(f"    {run.message}")
        try:
            from jingzhun.analytics.refresh import refresh_region
        except ImportError:  # pragma: no cover - the analytics app is optional in old checkouts
            return
        result = refresh_region(county, year=today.year)
        self.say(f"    统计指标：{result.rows} 个数值")

    def say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def generate_and_import(self, county: str, households: int, seed: int) -> None:
        from jingzhun.registry.importer import run_import
        from jingzhun.testing import register as generate

        out = Path(settings.HOME) / "generated" / county
        out.mkdir(parents=True, exist_ok=True)
        self.say(f"3/5 生成 {households} 户演示数据（真实区划 {county}，随机种子 {seed}）…")
        villages = generate.generate_villages(county, seed=seed, households=households)
        generate.write_villages_csv(villages, out / "villages.csv")
        load_csv(out / "villages.csv")
        path = out / "register.csv"
        generate.write_csv(
            generate.generate_register(county, households=households, seed=seed, villages=villages), path
        )
        self.say("    导入（与村里上传文件走同一个导入程序）…")

        def progress(percent: int, stage: str) -> None:
            self.say(f"    [{percent:3d}%] {stage}")

        with acting(source="demo"):
            batch = run_import(actor=Actor(None, "演示数据"), user=None, path=path, progress=progress)
        if batch.state != "committed":
            raise CommandError(f"演示数据导入失败：{batch.message}")
        self.say(f"    {batch.message}")

    def accounts(self, county: str) -> None:
        township = (
            Region.objects.filter(parent__prefix=county, level=4)
            .annotate(villages=Count("children"))
            .order_by("-villages", "code")
            .first()
        )
        village = Region.objects.filter(parent=township, level=5).order_by("code").first()
        county_region = Region.objects.get(prefix=county)
        plan = [
            ("admin", Role.ADMIN, None, "系统管理员"),
            ("county", Role.COUNTY_ADMIN, county_region, "县乡村振兴局 管理员"),
            ("township", Role.TOWNSHIP_OFFICER, township, f"{township.name if township else ''} 干部"),
            ("village", Role.VILLAGE_OFFICER, village, f"{village.name if village else ''} 驻村工作队"),
            ("helper", Role.HELPER, village, "帮扶责任人"),
            ("education", Role.DEPARTMENT, county_region, "县教育局"),
            ("leader", Role.LEADER, county_region, "县领导（只读）"),
            ("auditor", Role.AUDITOR, county_region, "督查审计（只读）"),
        ]
        for username, role, region, name in plan:
            user = User.objects.filter(username=username).first() or User(username=username)
            user.role, user.region, user.full_name = role, region, name
            user.is_superuser = user.is_staff = role == Role.ADMIN
            user.department = "education" if role == Role.DEPARTMENT else ""  # comparison.datasets.Department
            user.set_password(DEMO_PASSWORD)
            user.save()
            where = region.full_name() if region else "全部"
            self.say(f"    {username:<10} {Role(role).label:<12} {where}")
        self.say(f"    所有演示账号的密码：{DEMO_PASSWORD}")
