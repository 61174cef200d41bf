"""Round-trip check on a generated county: import it, then export it in each layout and format and import
each file again; every re-import must report 0 created and 0 updated households (issue 13).

    .venv/bin/python bench/roundtrip_bench.py --households 20000
    scripts/with-postgres .venv/bin/python bench/roundtrip_bench.py --households 20000

Runs on a freshly migrated database (SQLite unless JINGZHUN_DATABASE_URL is set). Besides the import's
counts, the register's state (every stored field of households, members and data years, and the number of
status events) is compared before and after each re-import. Prints a JSON report; exits 1 when anything
changed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import OUT, django_setup, fresh_database, machine, peak_rss_mb

COUNTY = "620502"


def _state() -> dict[str, Any]:
    """A digest of everything an import could change: one hash per household, member and year record."""
    import hashlib

    from jingzhun.registry.models import Household, HouseholdYear, Member, StatusEvent

    def digest(values: Any) -> str:
        return hashlib.blake2b(repr(values).encode(), digest_size=8).hexdigest()

    def rows(model: Any, skip: set[str]) -> dict[Any, str]:
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in skip]
        return {
            r[0]: digest(r[1:]) for r in model.objects.values_list("pk", *names).iterator(chunk_size=5000)
        }

    return {
        "households": rows(Household, {"id", "version", "created_at", "updated_at"}),
        "members": rows(Member, {"id", "created_at", "updated_at"}),
        "years": rows(HouseholdYear, {"id", "updated_at"}),
        "status_events": StatusEvent.objects.count(),
    }


def _changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    changed = {
        part: sum(
            1 for k in before[part].keys() | after[part].keys() if before[part].get(k) != after[part].get(k)
        )
        for part in ("households", "members", "years")
    }
    changed["status_events"] = after["status_events"] - before["status_events"]
    return changed


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--households", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()
    django_setup()
    fresh_database()
    from django.db import connection

    from jingzhun.accounts.models import system_user
    from jingzhun.core.audit import Actor
    from jingzhun.core.context import acting
    from jingzhun.regions.services import load_csv, load_national
    from jingzhun.registry.exchange import export_households
    from jingzhun.registry.importer import run_import
    from jingzhun.testing import register as generate

    folder = OUT / f"roundtrip-{args.households}-{args.seed}"
    folder.mkdir(parents=True, exist_ok=True)
    villages = generate.generate_villages(COUNTY, seed=args.seed, households=args.households)
    generate.write_villages_csv(villages, folder / "villages.csv")
    load_national([COUNTY[:2]])
    load_csv(folder / "villages.csv")
    source = folder / "register.csv"
    generate.write_csv(
        generate.generate_register(COUNTY, households=args.households, seed=args.seed, villages=villages),
        source,
    )
    actor = Actor(None, "基准测试")
    report: dict[str, Any] = {
        "machine": machine(),
        "database": connection.vendor,
        "households": args.households,
    }
    with acting(source="bench"):
        started = time.perf_counter()
        first = run_import(actor=actor, user=None, path=source)
        report["first_import"] = {
            "state": first.state,
            "households_created": first.households_created,
            "members_created": first.members_created,
            "seconds": round(time.perf_counter() - started, 1),
        }
        failed = first.state != "committed"
        for layout in ("template", "national"):
            for fmt in ("xlsx", "csv"):
                before = _state()
                path = folder / f"export-{layout}.{fmt}"
                started = time.perf_counter()
                rows = export_households(system_user(), path=path, layout=layout, fmt=fmt)
                exported = time.perf_counter() - started
                started = time.perf_counter()
                batch = run_import(actor=actor, user=None, path=path)
                imported = time.perf_counter() - started
                changed = _changed(before, _state())
                result = {
                    "rows": rows,
                    "state": batch.state,
                    "created": batch.households_created,
                    "updated": batch.households_updated,
                    "unchanged": batch.households_unchanged,
                    "members_created": batch.members_created,
                    "members_updated": batch.members_updated,
                    "errors": batch.error_count,
                    "stored_changes": changed,
                    "export_seconds": round(exported, 1),
                    "import_seconds": round(imported, 1),
                }
                report[f"{layout}.{fmt}"] = result
                print(
                    f"  {layout}.{fmt}: {json.dumps(result, ensure_ascii=False)}", file=sys.stderr, flush=True
                )
                failed |= (
                    batch.state != "committed"
                    or batch.households_created
                    or batch.households_updated
                    or batch.members_created
                    or batch.members_updated
                    or any(changed.values())
                )
    report["peak_rss_mb"] = round(peak_rss_mb())
    report["result"] = "FAILED: something changed" if failed else "0 changed households in every round trip"
    print(json.dumps(report, ensure_ascii=False, indent=2))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
