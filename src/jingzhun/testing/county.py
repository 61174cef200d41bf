"""A generated county imported into the test database, the way a county bureau would load its register."""

from __future__ import annotations

from pathlib import Path

from jingzhun.core.audit import Actor
from jingzhun.core.context import acting
from jingzhun.regions.services import load_csv, load_national
from jingzhun.registry.models import ImportBatch
from jingzhun.testing import register as generate

COUNTY = "620502"  # 秦州区


def import_generated_county(
    folder: Path, *, county: str = COUNTY, households: int = 300, seed: int = 7
) -> ImportBatch:
    """Generate ``households`` households of ``county`` (real townships, generated villages) and import them."""
    from jingzhun.registry.importer import run_import

    folder.mkdir(parents=True, exist_ok=True)
    load_national([county[:2]])
    villages = generate.generate_villages(county, seed=seed, households=households)
    generate.write_villages_csv(villages, folder / "villages.csv")
    load_csv(folder / "villages.csv")
    path = folder / "register.csv"
    generate.write_csv(
        generate.generate_register(county, households=households, seed=seed, villages=villages), path
    )
    with acting(source="test"):
        batch = run_import(actor=Actor(None, "测试数据"), user=None, path=path)
    assert batch.state == ImportBatch.State.COMMITTED, batch.message
    return batch
