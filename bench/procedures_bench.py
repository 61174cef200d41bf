"""Procedures benchmark: ``advance_many`` moving a village's cases through one step, against the
baseline of ``complete_step`` called once per case (measured on the first cases, rate extrapolated).

    .venv/bin/python bench/procedures_bench.py --cases 10000
    scripts/with-postgres .venv/bin/python bench/procedures_bench.py --cases 10000

Runs on a freshly migrated database (SQLite in a temporary home unless JINGZHUN_DATABASE_URL is set).
Households and open cases are set up with bulk inserts (not measured); the measured step is the exit
procedure's first step (村两委民主评议后提出: minutes and a committee signature), audited as always.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_setup, fresh_database, machine, peak_rss_mb

TOWNSHIP = "620502100"  # 玉泉镇, 秦州区
VILLAGE = TOWNSHIP + "201"
DAY = dt.date(2019, 9, 1)


def set_up(total: int) -> tuple[object, list[int]]:
    from jingzhun.accounts.choices import Role
    from jingzhun.accounts.models import User
    from jingzhun.procedures.models import Case, ProcedureDefinition
    from jingzhun.regions.models import Region
    from jingzhun.regions.services import RegionRow, load_national, upsert_regions
    from jingzhun.registry.models import Household

    load_national(["62"])
    upsert_regions(
        [RegionRow(prefix=VILLAGE, name="南山村", urban_rural_class="220", rural_population=total * 3)]
    )
    village = Region.objects.get(prefix=VILLAGE)
    user = User.objects.create(username="village", role=Role.VILLAGE_OFFICER, region=village)
    Household.objects.bulk_create(
        [
            Household(
                household_number=f"{VILLAGE}{i:06d}",
                village=village,
                head_name=f"户主{i}",
                attribute="01",
                poverty_status="0",
            )
            for i in range(total)
        ],
        batch_size=5000,
    )
    definition = ProcedureDefinition.objects.get(kind="exit", region_prefix="")
    first = definition.steps.order_by("order").first()
    households = Household.objects.filter(village=village).values_list("pk", flat=True)
    Case.objects.bulk_create(
        [
            Case(
                household_id=pk,
                kind="exit",
                definition=definition,
                next_step=first,
                discovered_on=DAY,
                opened_by="bench",
            )
            for pk in households
        ],
        batch_size=5000,
    )
    return user, list(Case.objects.order_by("pk").values_list("pk", flat=True))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--cases", type=int, default=10_000)
    p.add_argument("--baseline-cases", type=int, default=200)
    args = p.parse_args()
    django_setup()
    from django.db import connection

    from jingzhun.core.audit import Actor
    from jingzhun.core.models import ObjectChange
    from jingzhun.procedures import services
    from jingzhun.procedures.models import Case
    from jingzhun.procedures.services import EvidenceInput, Signature

    fresh_database()
    user, ids = set_up(args.cases + args.baseline_cases)
    actor = Actor.of(user)
    evidence = [EvidenceInput("appraisal_minutes", "南山村2019年第3次村民代表大会记录")]
    signatures = [Signature("village_committee", "张主任")]
    base_ids, bulk_ids = ids[: args.baseline_cases], ids[args.baseline_cases :]

    start = time.perf_counter()
    for case in Case.objects.filter(pk__in=base_ids).select_related("next_step"):
        services.complete_step(
            actor=actor,
            case=case,
            step_code="proposal",
            expected_version=case.version,
            on=DAY,
            signatures=signatures,
            evidence=evidence,
        )
    one_by_one = time.perf_counter() - start

    audit_before = ObjectChange.objects.count()
    start = time.perf_counter()
    results = services.advance_many(
        actor=actor,
        cases=[Case(pk=pk) for pk in bulk_ids],
        step_code="proposal",
        on=DAY,
        signatures=signatures,
        evidence=evidence,
    )
    bulk = time.perf_counter() - start
    ok = sum(r.ok for r in results)
    audited = ObjectChange.objects.count() - audit_before

    rate_one = args.baseline_cases / one_by_one
    print(f"machine: {machine()}; database: {connection.vendor}")
    print(
        f"complete_step one case at a time: {args.baseline_cases} cases in {one_by_one:.2f} s "
        f"({rate_one:.0f} cases/s; {len(bulk_ids)} cases would take ≈ {len(bulk_ids) / rate_one:.1f} s)"
    )
    print(
        f"advance_many: {ok}/{len(bulk_ids)} cases in {bulk:.2f} s ({ok / bulk:.0f} cases/s), "
        f"{audited} audit rows; peak memory {peak_rss_mb():.0f} MB"
    )


if __name__ == "__main__":
    main()
