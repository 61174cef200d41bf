"""Schemathesis over every operation of ``/api/openapi.json``, with a bearer token of every role.

For each operation, Hypothesis generates requests from the schema (valid and invalid ones); each request is
sent with the token of every role of the test world, once with the generated path and once naming a real
object of 玉泉镇 (so bodies reach the services instead of stopping at a 404). Every answer must be a non-5xx
whose body matches the schema of its status (where the schema declares one) and whose content type is the
declared one.

One populated world serves the whole module (built once, rolled back at the end); each operation's writes
are rolled back after its test. Examples per operation: ``JINGZHUN_FUZZ_EXAMPLES`` (default 4, so CI stays
at about a minute per database); the run is derandomized, so a failure is reproducible. Raise it locally for
a deeper search, e.g. ``JINGZHUN_FUZZ_EXAMPLES=100 pytest tests/test_api_fuzz.py``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import Client, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from jingzhun.api import api
from tests.test_api_isolation import OBJECT_OPERATIONS, foreign_object

EXAMPLES = int(os.environ.get("JINGZHUN_FUZZ_EXAMPLES", "4"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
PATH_KEYS = ("id", "code", "batch_id")


def schema_operations() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return sorted((method, path) for path, ops in schema["paths"].items() for method in ops)


@dataclass
class Fuzz:
    schema: Any
    tokens: dict[str, str]  # role's user name -> raw token
    real_paths: dict[tuple[str, str], dict[str, Any]]  # operation -> path parameters naming a real object


@pytest.fixture(scope="module")
def fuzz(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fuzz]:
    from jingzhun.accounts.services import create_api_token
    from jingzhun.core.audit import Actor
    from jingzhun.registry.models import ImportBatch
    from jingzhun.testing.world import build_world

    media = tmp_path_factory.mktemp("fuzz-media")
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=fast, JINGZHUN_AUTO_REFRESH=False),
        transaction.atomic(),
    ):
        world = build_world()
        tokens = {
            name: create_api_token(actor=Actor(user=None, name="测试"), user=user)[1]
            for name, user in world.users.items()
        }
        batch = ImportBatch.objects.create(
            id="a" * 32,
            file_name="玉泉镇.xlsx",
            file_sha256="0" * 64,
            user=world.users["township_officer"],
            user_name="township_officer",
            region=world.township_a,
            policy="valid",
            state="partial",
            error_count=0,
        )
        real_paths: dict[tuple[str, str], dict[str, Any]] = {}
        for (method, path), op in OBJECT_OPERATIONS.items():
            # A region the 玉泉镇 officer's county colleagues can see (foreign_object gives a township_b user
            # 玉泉镇 itself); every other target: the object of 玉泉镇 the isolation test uses.
            owner = "township_b_officer" if op.target == "region" else "township_officer"
            target = foreign_object(world, batch, op.target, owner)
            real_paths[(method, path)] = {key: target for key in PATH_KEYS if "{" + key + "}" in path}

        # The schema as a client sees it: /api/openapi.json (behind a web login, like the docs).
        browser = Client()
        browser.force_login(world.users["admin"])
        response = browser.get("/api/openapi.json")
        assert response.status_code == 200
        schema = schemathesis.openapi.from_dict(response.json())
        schema.app = WSGIHandler()
        # As Django's test client does: a finished request must not close the connection (and with it the
        # transaction the world lives in).
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            yield Fuzz(schema=schema, tokens=tokens, real_paths=real_paths)
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
            transaction.set_rollback(True)


@pytest.mark.django_db  # also makes pytest-django create the test database for the module fixture
@pytest.mark.parametrize(("method", "path"), schema_operations())
def test_operation_never_fails_for_any_role(fuzz: Fuzz, method: str, path: str) -> None:
    operation = fuzz.schema[path][method.upper()]
    tokens = list(fuzz.tokens.values())
    generated = [
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    ]
    real = fuzz.real_paths.get((method, path))
    if real:
        # Naming a real object: every role. A generated path (nearly always a missing object): one role a
        # case, taking turns, which is enough to show that a missing or malformed id is answered well.
        named = [
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE, path_parameters=real),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE, path_parameters=real),
        ]
        strategy = st.one_of(named).map(lambda c: (c, tokens)) | st.tuples(
            st.one_of(generated), st.sampled_from(tokens).map(lambda t: [t])
        )
    else:
        strategy = st.one_of(generated).map(lambda c: (c, tokens))
    answered: set[int] = set()

    @settings(
        max_examples=EXAMPLES * (4 if real else 2),
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(sent=strategy)
    def run(sent: tuple[Any, list[str]]) -> None:
        case, role_tokens = sent
        for token in role_tokens:
            with transaction.atomic():
                response = case.call(headers={"Authorization": f"Bearer {token}"})
                case.validate_response(response, checks=CHECKS)
                answered.add(response.status_code)
                transaction.set_rollback(True)

    run()
    assert answered, "no request was answered"
    # The tokens work: a real object was read by some role (where no required query or stored file is needed:
    # the batch has no error report, the indicator is drawn at random).
    if (
        real
        and method == "get"
        and not OBJECT_OPERATIONS[(method, path)].query
        and not path.endswith("/errors")
    ):
        assert any(200 <= status < 300 for status in answered), answered
