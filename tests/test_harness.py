"""Checks on the test harness itself: the right database backend, and a working browser."""

from __future__ import annotations

import os

import pytest
from django.db import connection


def _expected_vendor() -> str:
    url = os.environ.get("JINGZHUN_DATABASE_URL", "")
    if not url or url.startswith("sqlite"):
        return "sqlite"
    if url.startswith(("postgres://", "postgresql://", "pgsql://")):
        return "postgresql"
    return url.split(":", 1)[0]


def test_database_backend_matches_environment(db):
    assert connection.vendor == _expected_vendor()
    # scripts/test says which backend each run is meant to use, so a lost JINGZHUN_DATABASE_URL
    # (silently falling back to SQLite) cannot pass as a PostgreSQL run.
    expected = os.environ.get("JINGZHUN_TEST_EXPECT_VENDOR")
    if expected:
        assert connection.vendor == expected


@pytest.mark.browser
def test_browser_renders_chinese(page):
    page.set_content(
        '<h1>精准</h1><span id="a" style="font-size:48px">精</span> <span id="b" style="font-size:48px">准</span>'
    )
    assert page.inner_text("h1") == "精准"
    assert len(page.screenshot()) > 0
    # Without a CJK font both characters render as the same "missing glyph" box.
    assert page.locator("#a").screenshot() != page.locator("#b").screenshot()
