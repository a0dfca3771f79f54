"""Browser-test fixtures: Debian's chromium driven by Playwright, and the real service on a free local port."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.web_support import CHROMIUM_ARGS, Server, chromium_or_fail, running_server


@pytest.fixture(scope="session")
def chromium() -> str:
    return chromium_or_fail()


@pytest.fixture(scope="session")
def browser(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # launch() gives the browser a fresh temporary profile (its own --user-data-dir), removed on close
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS,
                              downloads_path=str(tmp_path_factory.mktemp("downloads")))
        yield b
        b.close()


@pytest.fixture(scope="session")
def server(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("service")) as s:
        yield s


@pytest.fixture
def ui(browser: Any, server: Server) -> Iterator[Any]:
    """A fresh page (own storage) in English; fails the test if the page throws a JavaScript error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
