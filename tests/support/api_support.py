"""Helpers shared by the API tests: backends, empty databases, the fixed evaluation day, organisations."""

from __future__ import annotations

import copy
import datetime as dt
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from api.examples import APPLICATION
from tests.support.postgres_support import postgres_choice

# The examples' reports are dated 2026-04/05: evaluate on a fixed day so the tests do not age.
TODAY = dt.date(2026, 11, 1)
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def postgres_url_or_skip() -> str:
    """The PostgreSQL server to test on (tests/support/postgres_support.py chooses it), else a skip saying why."""
    choice = postgres_choice()
    if choice.url is None:
        if os.environ.get("CI"):
            pytest.fail(choice.message + "; CI must run them")
        pytest.skip(choice.message)
    return choice.url


class FreshSchema:
    """A PostgreSQL schema made for one test (or module) and dropped after it; the URL puts it first on the
    search path, so migrations run from empty there and nothing else in the database is touched."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.name = f"gc_test_{uuid.uuid4().hex[:12]}"
        self.url = make_url(base_url).update_query_dict({"options": f"-csearch_path={self.name}"}).render_as_string(
            hide_password=False)

    def __enter__(self) -> str:
        engine = create_engine(self.base_url)
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{self.name}"')
        engine.dispose()
        return self.url

    def __exit__(self, *exc: Any) -> None:
        engine = create_engine(self.base_url)
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')
        engine.dispose()


class SqliteFile:
    def __init__(self, directory: Path):
        self.url = f"sqlite:///{directory / 'greencert.db'}"

    def __enter__(self) -> str:
        return self.url

    def __exit__(self, *exc: Any) -> None:
        return None


def database_url_for(backend: str, directory: Path) -> SqliteFile | FreshSchema:
    """A context manager giving the URL of an empty database of `backend`."""
    if backend == "sqlite":
        return SqliteFile(directory)
    return FreshSchema(postgres_url_or_skip())


@dataclass(frozen=True)
class Org:
    """An organisation with one key per role; `headers(role)` authenticates as that key."""

    name: str
    tokens: dict[str, str]
    key_ids: dict[str, str]

    def headers(self, role: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}", **extra}


def application(**changes: Any) -> dict[str, Any]:
    """The granted example, with top-level fields replaced."""
    app = copy.deepcopy(APPLICATION)
    app.update(changes)
    return app


def with_result(index: int, **result: Any) -> dict[str, Any]:
    """The granted example with test result `index` of its report replaced."""
    app = copy.deepcopy(APPLICATION)
    app["evidence"]["test_reports"][0]["results"][index] = result
    return app


def refused() -> dict[str, Any]:
    app = with_result(0, indicator="benzene", value=180, unit="mg/kg")
    app["id"] = "EX-COAT-REFUSED"
    return app


def incomplete() -> dict[str, Any]:
    app = copy.deepcopy(APPLICATION)
    app["id"] = "EX-COAT-INCOMPLETE"
    del app["evidence"]["test_reports"][0]["results"][1]  # formaldehyde not measured
    return app


class InThread:
    """The service behind a real uvicorn server (the protocol and settings `greencert serve` uses) in a thread of
    this process, on a free port of 127.0.0.1: for tests that need real sockets and an app they can change."""

    def __init__(self, app: Any, header_timeout: float, http: str = "auto"):
        import socket

        from api.serving import uvicorn_config

        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        import uvicorn

        self.server = uvicorn.Server(uvicorn_config(app, header_timeout, http=http, log_level="warning"))
        self.thread: Any = None

    def __enter__(self) -> InThread:
        import threading
        import time

        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        self.sock.close()
