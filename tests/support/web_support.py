"""Helpers of the browser tests: Debian's chromium, the real service under uvicorn, and filling the form."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine.loader import PROJECT_ROOT

CHROMIUM_ENV = "GREENCERT_CHROMIUM"
# Flags that work in containers and CI: no sandbox (root), no GPU, no network chatter of the browser itself.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
SCREENSHOTS = PROJECT_ROOT / "artifacts" / "screenshots"
AS_OF = "2026-11-01"  # the examples' reports are dated 2026-04/05 (as in tests/api)


def chromium_or_fail() -> str:
    """The chromium binary. Missing: a failure in CI (CI=true), a skip elsewhere, always saying how to get it."""
    path = os.environ.get(CHROMIUM_ENV) or shutil.which("chromium") or "/usr/bin/chromium"
    problem = None
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        problem = f"chromium not found at `{path}`"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the Python package `playwright` is not installed"
    if problem is None:
        return path
    message = (f"{problem}: the browser tests need Debian's chromium and Playwright for Python "
               "(`apt-get install -y chromium fonts-wqy-microhei` and `pip install playwright`; never "
               f"`playwright install`); set {CHROMIUM_ENV} to use another chromium binary")
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message + "; CI must install them", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class Server:
    url: str
    database_url: str
    tokens: dict[str, str]  # role -> API key made with api.keys.create_key

    def get(self, path: str, role: str = "manufacturer", **kwargs: Any) -> httpx.Response:
        return httpx.get(self.url + path, headers={"Authorization": f"Bearer {self.tokens[role]}"}, timeout=30,
                         **kwargs)

    def post(self, path: str, role: str = "manufacturer", **kwargs: Any) -> httpx.Response:
        return httpx.post(self.url + path, headers={"Authorization": f"Bearer {self.tokens[role]}",
                                                    **kwargs.pop("headers", {})}, timeout=30, **kwargs)


@contextlib.contextmanager
def running_server(workdir: Path) -> Iterator[Server]:
    """`uvicorn api.app:app_from_environment` on a free 127.0.0.1 port, an empty SQLite database, and keys."""
    from api.db import Database
    from api.keys import create_key
    from api.migrate import upgrade

    database_url = f"sqlite:///{workdir / 'greencert.db'}"
    db = Database(database_url)
    upgrade(db.engine)
    tokens = {role: create_key(db, "Example Coatings Co.", role, f"browser tests ({role})").token
              for role in ("manufacturer", "certification_body")}
    db.dispose()
    port = free_port()
    env = {**os.environ, "GREENCERT_DATABASE_URL": database_url, "PYTHONPATH": str(PROJECT_ROOT)}
    log = (workdir / "uvicorn.log").open("wb")
    # cwd is the temp dir, so a developer's .env in the checkout cannot change what is tested
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.app:app_from_environment", "--factory",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                            cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {proc.returncode}: "
                                   + (workdir / "uvicorn.log").read_text(errors="replace")[-2000:])
            try:
                if httpx.get(url + "/v1/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the service did not become ready within 90 s")
            time.sleep(0.2)
        yield Server(url, database_url, tokens)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


# ------------------------------------------------------------------------------------------------ the form

def indicator_ids(category: dict[str, Any]) -> dict[str, str]:
    """Every name an application may use for an indicator (id, alias, Chinese or English name) -> its id."""
    out: dict[str, str] = {}
    for ind in category["indicators"]:
        for name in [ind["id"], *ind.get("aliases", []), ind["name"]["zh"], ind["name"]["en"]]:
            out[name.casefold()] = ind["id"]
    return out


def _date(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def fill_form(page: Any, data: dict[str, Any], category: dict[str, Any]) -> None:
    """Type an application into the page the way a person would, field by field (no file involved)."""
    page.select_option("#category", data["category"])
    page.wait_for_selector("body:not([data-busy]) #r1-id")
    if data.get("certification_unit"):
        page.select_option("#cert-unit", data["certification_unit"])
    product = data["product"]
    page.fill("#model", product["model"])
    for key, sel in (("name", "#product-name"), ("manufacturer", "#manufacturer"),
                     ("production_site", "#production-site")):
        if product.get(key):
            page.fill(sel, product[key])
    if data.get("id"):
        page.fill("#app-id", data["id"])
    for name, value in (product.get("parameters") or {}).items():
        sel = f"#param-{name}"
        if page.eval_on_selector(sel, "el => el.tagName") == "SELECT":
            page.select_option(sel, "true" if value is True else "false" if value is False else str(value))
        else:
            page.fill(sel, str(value))
    ids = indicator_ids(category)
    evidence = data.get("evidence", {})
    for n, report in enumerate(evidence.get("test_reports", []), start=1):
        if n > 1:
            page.click("#add-report")
        p = f"#r{n}"
        page.fill(f"{p}-id", report["id"])
        page.fill(f"{p}-lab", report["laboratory"]["name"])
        page.fill(f"{p}-issued", _date(report["issued"]))
        if report["model"] != product["model"]:
            page.fill(f"{p}-model", report["model"])
        for q in ("CMA", "CNAS", "ISO17025"):
            page.set_checked(f"{p}-qual-{q}", q in report["laboratory"].get("qualifications", []))
        for result in report["results"]:
            ind = ids[str(result["indicator"]).casefold()]
            base = f"{p}-{ind}"
            if result.get("value") is not None:
                if page.eval_on_selector(f"{base}-value", "el => el.tagName") == "SELECT":  # a choice indicator
                    page.select_option(f"{base}-value", str(result["value"]))
                else:
                    page.fill(f"{base}-value", str(result["value"]))
            if result.get("unit"):
                options = page.eval_on_selector(f"{base}-unit", "el => [...el.options].map(o => o.value)")
                if result["unit"] in options:
                    page.select_option(f"{base}-unit", result["unit"])
                else:
                    page.select_option(f"{base}-unit", "__other__")
                    page.fill(f"{base}-unit-other", result["unit"])
            if result.get("not_detected"):
                page.check(f"{base}-nd")
            if result.get("detection_limit") is not None:
                page.fill(f"{base}-dl", str(result["detection_limit"]))
    fi = evidence.get("factory_inspection")
    if fi:
        page.select_option("#fi-outcome", fi["outcome"])
        if fi.get("date"):
            page.fill("#fi-date", _date(fi["date"]))
        if fi.get("inspector"):
            page.fill("#fi-inspector", fi["inspector"])
        ca = fi.get("corrective_action")
        if ca:
            page.fill("#ca-deadline", _date(ca["deadline"]))
            page.set_checked("#ca-verified", bool(ca.get("verified")))
            if ca.get("verified_on"):
                page.fill("#ca-verified-on", _date(ca["verified_on"]))
            if ca.get("description"):
                page.fill("#ca-description", ca["description"])
    for cert in evidence.get("certificates", []):
        wanted = "".join(cert["standard"].split()).casefold()
        boxes = page.query_selector_all("#document-fields fieldset[data-kind=certificate]")
        for box in boxes:
            std = box.query_selector("input[data-standard]")
            if wanted.startswith("".join(std.get_attribute("data-standard").split()).casefold()):
                base = std.get_attribute("id").removesuffix("-standard")
                page.fill(f"#{base}-standard", cert["standard"])
                if cert.get("number"):
                    page.fill(f"#{base}-number", cert["number"])
                page.fill(f"#{base}-until", _date(cert["valid_until"]))
                break
        else:
            raise AssertionError(f"no certificate field for `{cert['standard']}`")
    for decl in evidence.get("declarations", []):
        page.check(f"#doc-declaration-{decl['id']}-signed")
        if decl.get("signed"):
            page.fill(f"#doc-declaration-{decl['id']}-date", _date(decl["signed"]))
