"""Pytest plugin (loaded from pyproject's addopts): the named fixture world of ``world.py``.

Imports of models happen inside fixtures because this plugin loads before Django is set up.
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def world(db: None) -> Any:
    from jingzhun.testing.world import build_world

    return build_world()


@pytest.fixture
def transactional_world(transactional_db: None) -> Any:
    from jingzhun.testing.world import build_world

    return build_world()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """PBKDF2's deliberate slowness costs seconds per test world; tests don't need it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
