"""`/docs` works with the network off: Swagger UI, loaded in Debian's chromium with every request to a host other
than 127.0.0.1 aborted, renders every operation of the OpenAPI document, and needed nothing from elsewhere."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.web_support import Server

pytestmark = pytest.mark.browser


def test_swagger_ui_renders_every_operation_with_only_this_service_reachable(browser: Any, server: Server) -> None:
    document = httpx.get(server.url + "/openapi.json", timeout=30).json()
    expected = {(method.upper(), path) for path, item in document["paths"].items() for method in item
                if method in ("get", "post", "put", "patch", "delete")}
    assert len(expected) > 10

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    served: list[str] = []
    blocked: list[str] = []

    def only_loopback(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1":
            served.append(url)
            route.continue_()
        else:
            blocked.append(url)
            route.abort("internetdisconnected")

    context.route("**/*", only_loopback)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(server.url + "/docs", wait_until="load", timeout=60_000)
        page.wait_for_selector(".opblock", timeout=60_000)
        page.wait_for_function(f"document.querySelectorAll('.opblock').length >= {len(expected)}", timeout=60_000)
        pairs = page.eval_on_selector_all(
            ".opblock", "els => els.map(el => [el.querySelector('.opblock-summary-method').textContent.trim(), "
                        "el.querySelector('.opblock-summary-path').dataset.path])")
        rendered = {(method, path) for method, path in pairs}
        title = page.text_content(".information-container .title") or ""
        page.screenshot(path=str(_screenshot()), full_page=False)
    finally:
        context.close()

    assert blocked == [], f"/docs asked for other hosts: {blocked}"
    assert not errors, errors
    assert rendered == expected
    assert "greencert" in title
    assert any(u.endswith("/docs/static/swagger-ui-bundle.js") for u in served)
    assert any(u.endswith("/openapi.json") for u in served)


def _screenshot() -> Any:
    from tests.support.web_support import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / "api-docs-offline.png"
