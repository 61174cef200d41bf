"""A generated county for the generator's tests (the import tests use the named test world)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jingzhun.regions.models import Region
from jingzhun.testing.county import import_generated_county


@pytest.fixture
def county(db: None, tmp_path: Path, settings: Any) -> Region:
    """秦州区 with 300 generated households, imported as a county bureau would."""
    settings.MEDIA_ROOT = tmp_path
    import_generated_county(tmp_path / "gen", households=300)
    return Region.objects.get(prefix="620502")
