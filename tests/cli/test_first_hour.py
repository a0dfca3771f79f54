"""What a new user reads and runs first agrees with the code: every endpoint the docs name exists, the self-check
page calls the endpoints its guide names, `greencert serve` names the database it uses, the README's quick start
is the two commands scripts/quickstart_timing.py measures."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.routing import Match

from api import Settings, create_app
from engine.loader import PROJECT_ROOT

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# `GET /v1/x/{id}?q=` or `/docs`, in backticks
ENDPOINT = re.compile(r"`(?:(GET|POST|PUT|PATCH|DELETE) )?(/[^`\s]*)`")


def _named(text: str, prefix: str = "") -> set[tuple[str, str]]:
    out = set()
    for method, path in ENDPOINT.findall(text):
        out.add((method or "GET", prefix + path.split("?")[0]))
    return out


def _documented() -> dict[str, set[tuple[str, str]]]:
    api = (PROJECT_ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    table = api.split("## Endpoints (all under `/v1`)", 1)[1].split("\n## ", 1)[0]
    # the table's rows that name their method are paths under /v1 in full; the rest abbreviate
    rows = {(m, "/v1" + p.split("?")[0]) for m, p in re.findall(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`\s]*)`", table)}
    return {"docs/web.md": _named((PROJECT_ROOT / "docs" / "web.md").read_text(encoding="utf-8")),
            "README.md": _named((PROJECT_ROOT / "README.md").read_text(encoding="utf-8")),
            "docs/api.md": rows | _named(api.split("## Endpoints", 1)[0])}


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[object]]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path_factory.mktemp('docs') / 'g.db'}"))
    yield list(app.router.routes)
    app.state.services.close()


def _exists(routes: list[object], method: str, path: str) -> bool:
    concrete = re.sub(r"\{[^}/]+\}", "x", path)
    scope = {"type": "http", "method": method, "path": concrete, "root_path": "", "query_string": b"",
             "headers": []}
    return any(route.matches(scope)[0] == Match.FULL for route in routes)  # type: ignore[attr-defined]


def test_every_endpoint_the_docs_name_exists(routes: list[object]) -> None:
    documented = _documented()
    assert len(documented["docs/web.md"]) >= 8 and len(documented["docs/api.md"]) >= 15
    missing = [f"{doc}: {m} {p}" for doc, named in documented.items() for m, p in sorted(named)
               if not _exists(routes, m, p)]
    assert missing == []
    assert not _exists(routes, "GET", "/v1/catalogue/x"), "the check must be able to fail"


def _called_by_the_page() -> set[tuple[str, str]]:
    """(method, path) of every API call in the page's scripts, `${encodeURIComponent(x)}` as `{}`."""
    out = set()
    for script in (PROJECT_ROOT / "api" / "web" / "static").glob("*.js"):
        text = script.read_text(encoding="utf-8")
        for method, template in re.findall(r'call\("(GET|POST|PUT|PATCH|DELETE)",\s*`(/v1/[^`]*)`', text):
            path = re.sub(r"\$\{(query\([^`]*?\)|params)\}$", "", template)  # the query string
            out.add((method, re.sub(r"\$\{encodeURIComponent\([^)]*\)\}", "{}", path)))
    return out


def test_the_page_calls_the_endpoints_its_guide_names() -> None:
    named = {(m, re.sub(r"\{[^}/]+\}", "{}", p)) for m, p in _documented()["docs/web.md"] if p.startswith("/v1/")}
    called = _called_by_the_page()
    assert len(called) >= 5
    assert called == named


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GREENCERT_") or k == "GREENCERT_PURE_PYTHON"}
    env.update(XDG_DATA_HOME=str(tmp_path / "data"), COLUMNS="250", PYTHONPATH=str(PROJECT_ROOT))
    return env


def test_serve_help_names_the_default_database_and_the_variable(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "engine.cli", "serve", "--help"], cwd=tmp_path, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    glued = re.sub(r"\s*\n\s*", "", proc.stdout)  # argparse wraps long words at their hyphens too
    assert f"sqlite:///{tmp_path / 'data' / 'greencert' / 'greencert.db'}" in glued
    assert "GREENCERT_DATABASE_URL" in glued


def test_serve_says_at_start_which_database_it_uses(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "serve", "--port", str(port), "--log-level",
                             "warning"], cwd=tmp_path, env=_env(tmp_path), stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 120
        line = ""
        while time.monotonic() < deadline and "serving on" not in line:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                break
        db = tmp_path / "data" / "greencert" / "greencert.db"
        assert f"database sqlite:///{db} (the default; GREENCERT_DATABASE_URL" in line, line
        assert db.exists()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_readme_says_how_to_get_the_key_the_self_check_page_asks_for() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The self-check page", 1)[1].split("\n## ", 1)[0]
    assert "greencert keys create" in section and "--role manufacturer" in section



def test_the_quick_start_is_the_two_commands_the_timing_script_runs() -> None:
    from scripts.quickstart_timing import quickstart_commands

    serve, test = quickstart_commands((PROJECT_ROOT / "README.md").read_text(encoding="utf-8"))
    assert serve[-1] == ".venv/bin/greencert serve" and test[-1] == ".venv/bin/python -m pytest"
    assert all(part.startswith(("python3 -m venv", ".venv/bin/")) for part in serve + test)
