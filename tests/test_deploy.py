"""The production set-up (docs/deploy.md): with the environment of deploy/jingzhun.env.example and a real secret,
``jingzhun check --deploy`` reports nothing; production without a secret refuses to start.

Each check runs in a new process (settings are read once per process), with only the example file's variables
and a throw-away home.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "deploy" / "jingzhun.env.example"


def example_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


def jingzhun(args: list[str], env: dict[str, str], home: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("JINGZHUN_", "DJANGO_"))}
    run_env = {
        **base,
        **env,
        "JINGZHUN_HOME": str(home),
        "JINGZHUN_STATIC_ROOT": str(home / "static"),
        "PYTHONPATH": str(ROOT / "src"),
    }
    return subprocess.run(
        [sys.executable, "-m", "jingzhun", *args],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def production_env() -> dict[str, str]:
    env = example_env()
    assert env["JINGZHUN_PRODUCTION"] == "1" and env["JINGZHUN_DATABASE_URL"].startswith("postgres")
    env["JINGZHUN_SECRET_KEY"] = secrets.token_urlsafe(50)
    return env


def test_check_deploy_is_clean_in_production(production_env: dict[str, str], tmp_path: Path) -> None:
    result = jingzhun(["check", "--deploy", "--fail-level", "WARNING"], production_env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_check_deploy_warns_without_the_production_flag(tmp_path: Path) -> None:
    """The clean result above is the production settings' doing: the development defaults are reported."""
    result = jingzhun(["check", "--deploy", "--fail-level", "WARNING"], {}, tmp_path)
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr + result.stdout


@pytest.mark.parametrize(
    "secret", [None, "too-short", "dev-only-insecure-key-change-me-in-production-0123456789"]
)
def test_production_refuses_to_start_without_a_real_secret(
    production_env: dict[str, str], tmp_path: Path, secret: str | None
) -> None:
    env = {k: v for k, v in production_env.items() if k != "JINGZHUN_SECRET_KEY"}
    if secret is not None:
        env["JINGZHUN_SECRET_KEY"] = secret
    result = jingzhun(["check"], env, tmp_path)
    assert result.returncode != 0
    assert "JINGZHUN_SECRET_KEY" in result.stderr
