"""The page's routes in process (no browser): the page, its static files, and the units offered per indicator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api import Settings, create_app
from api.web.routes import STATIC_DIR, unit_choices
from engine import Repository
from engine.units import convert, same_dimension


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("web-routes") / "greencert.db"
    with TestClient(create_app(Settings(database_url=f"sqlite:///{db}"))) as c:
        yield c


def test_the_page_is_served_with_a_strict_content_security_policy(client: TestClient) -> None:
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/self-check"
    page = client.get("/self-check")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    # everything the page loads is ours and served here: no third-party code, no CDN
    for src in ("/self-check/static/style.css", "/self-check/static/app.js"):
        assert f'"{src}"' in page.text
        assert client.get(src).status_code == 200
    assert "http://" not in page.text and "https://" not in page.text


def test_the_body_certificate_page_is_served_with_the_same_policy(client: TestClient) -> None:
    page = client.get("/certificates")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "connect-src 'self'" in csp
    for src in ("/self-check/static/style.css", "/self-check/static/certificates.js"):
        assert f'"{src}"' in page.text
        assert client.get(src).status_code == 200
    assert "<script>" not in page.text and "http://" not in page.text and "https://" not in page.text


def test_every_static_file_is_served_and_nothing_else(client: TestClient) -> None:
    names = sorted(p.name for p in STATIC_DIR.iterdir() if p.is_file())
    assert {"index.html", "app.js", "form.js", "report.js", "i18n.js", "dom.js", "style.css"} <= set(names)
    for name in names:
        r = client.get(f"/self-check/static/{name}")
        assert r.status_code == 200, name
        assert r.content == (STATIC_DIR / name).read_bytes()
    assert client.get("/self-check/static/app.js").headers["content-type"].startswith("text/javascript")
    for bad in ("../routes.py", "..%2Froutes.py", "%2e%2e/routes.py", "routes.py", ".hidden.js", "nope.js",
                "__init__.py"):
        r = client.get(f"/self-check/static/{bad}")
        assert r.status_code == 404, bad
        assert r.json()["diagnostics"][0]["code"] in ("not_found",), bad


def test_the_web_routes_are_not_in_the_versioned_api_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert all(p.startswith("/v1/") for p in paths)


def test_units_offered_are_the_indicators_unit_and_alternatives_the_engine_converts(client: TestClient) -> None:
    r = client.get("/self-check/units", params=[("unit", "mg/kg"), ("unit", "mg/m^3"), ("unit", "bogus")])
    assert r.status_code == 200
    units = r.json()["units"]
    assert units["mg/kg"][0] == "mg/kg" and {"g/kg", "%", "µg/g", "ppm"} <= set(units["mg/kg"])
    assert units["mg/m^3"][0] == "mg/m^3" and "µg/m^3" in units["mg/m^3"]
    assert units["bogus"] == ["bogus"]
    assert convert(1, "g/kg", "mg/kg") == 1000  # what the form's g/kg option means to the engine


def test_every_unit_offered_for_a_shipped_indicator_converts(project_root: Path) -> None:
    repo = Repository.load()
    try:
        seen = 0
        for cat in repo.categories.values():
            for ind in cat.indicators:
                if ind.unit is None:
                    continue
                choices = unit_choices(ind.unit)
                assert choices[0] == ind.unit
                assert len(choices) == len(set(choices))
                for u in choices:
                    assert same_dimension(u, ind.unit), (cat.id, ind.id, u)
                seen += len(choices) - 1
        assert seen > 20  # most indicators get alternatives, not just their own unit
    finally:
        repo.close()
