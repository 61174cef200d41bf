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

    reseed_reference_data()
    return build_world()


def reseed_reference_data() -> None:
    """Data migrations seed the procedure definitions and the policy defaults; a transactional test's
    flush removes them, so the next transactional test loads them again with the same loaders the
    migrations use (each creates only what is missing). Serialized rollback does not help here: once
    Playwright runs its event loop in the main thread, Django's connections are other objects."""
    from jingzhun.policy import defaults as policy_defaults
    from jingzhun.policy.models import Parameter
    from jingzhun.procedures import definitions
    from jingzhun.procedures.models import ProcedureDefinition, StepDefinition

    if not ProcedureDefinition.objects.exists():
        definitions.load(definitions.shipped(), ProcedureDefinition, StepDefinition)
    policy_defaults.load(Parameter)


@pytest.fixture(autouse=True)
def _no_background_refresh(settings: Any) -> None:
    """Indicator refreshes after writes run in a background thread; tests that test them switch them on."""
    settings.JINGZHUN_AUTO_REFRESH = False


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """PBKDF2's deliberate slowness costs seconds per test world; tests don't need it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
