"""Repository-wide pytest fixtures: Playwright driving Debian's chromium for browser tests.

Browser tests take ``page`` (and usually pytest-django's ``live_server``) and are marked
``@pytest.mark.browser``. Playwright's own browser download is not used: we launch /usr/bin/chromium
(Debian package ``chromium``; ``fonts-noto-cjk`` for Chinese text). ``scripts/test`` installs both.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API keeps an asyncio event loop in the main thread; Django sees it and refuses ORM
# calls from test code ("SynchronousOnlyOperation"). The tests are synchronous, so tell Django it's fine.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """One chromium for the whole session. Skipped without chromium locally; a hard failure under CI."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found (apt-get install chromium fonts-noto-cjk)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser) -> Iterator:
    """A fresh browser context (own cookies and storage) per test: zh-CN, 1280x900, 15 s timeouts."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each test starts with an empty cache (the dashboard keeps rendered figures there)."""
    from django.core.cache import cache

    cache.clear()
    yield
