"""Abuse resistance: failed authentications per client address end in 429 (never for a valid key), and the
SQLite database is private to its owner."""

from __future__ import annotations

import concurrent.futures
import secrets
import stat
from collections import Counter
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api import Settings, create_app
from api.db import Database
from api.keys import create_key
from api.migrate import upgrade
from api.ratelimit import FailedAuthLimiter
from tests.support.api_support import InThread


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_limiter_counts_failures_per_address_in_a_window() -> None:
    clock = Clock()
    limiter = FailedAuthLimiter(3, 60, clock=clock)
    assert [limiter.failed("a") for _ in range(3)] == [0, 0, 0]
    assert limiter.failed("a") == 60  # the 4th within the window: wait until the window that began ends
    clock.now += 45
    assert limiter.failed("a") == 15 and limiter.failed("b") == 0  # another address has its own count
    clock.now += 15
    assert limiter.failed("a") == 0  # a new window
    # a bounded memory: the least recently failing addresses are forgotten first
    small = FailedAuthLimiter(1, 60, max_clients=2, clock=clock)
    small.failed("x"), small.failed("y"), small.failed("z")
    assert small.failed("z") > 0 and small.failed("x") == 0


def test_failed_authentications_get_429_and_a_valid_key_never_does(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'g.db'}", auth_failure_limit=5,
                              auth_failure_window_seconds=600))
    with TestClient(app) as client:
        good = create_key(app.state.services.db, "org", "certification_body")
        ok = {"Authorization": f"Bearer {good.token}"}
        bad = [client.get("/v1/categories", headers={"Authorization": f"Bearer gck_{secrets.token_hex(8)}_x"})
               for _ in range(8)]
        assert [r.status_code for r in bad] == [401] * 5 + [429] * 3
        (d,) = bad[-1].json()["diagnostics"]
        assert d["code"] == "too_many_failed_authentications"
        assert 1 <= int(bad[-1].headers["Retry-After"]) <= 600
        # the same address with a valid key is served, as before; a request with no key is not a failure
        assert client.get("/v1/evaluations", headers=ok).status_code == 200
        assert client.get("/v1/evaluations").status_code == 401
        # a malformed key is a failed authentication too
        assert client.get("/v1/categories", headers={"Authorization": "Bearer nonsense"}).status_code == 429
    # another client address has its own count
    with TestClient(app, client=("192.0.2.7", 50000)) as other:
        assert other.get("/v1/categories", headers={"Authorization": "Bearer gck_x_y"}).status_code == 401


def test_random_keys_at_concurrency_against_a_real_server(tmp_path: Path) -> None:
    """The probe: random keys at concurrency got no 429. Here 400 random keys from 16 threads, while a valid key
    keeps being served; exactly `limit` of the random keys get 401, every other one 429 with Retry-After."""
    limit = 20
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'g.db'}", auth_failure_limit=limit,
                        auth_failure_window_seconds=3600)
    app = create_app(settings)
    with InThread(app, settings.header_timeout_seconds) as server:
        good = create_key(app.state.services.db, "org", "certification_body")

        def guess(_: int) -> tuple[int, str | None]:
            with httpx.Client(base_url=server.base, timeout=30) as c:
                r = c.get("/v1/evaluations", headers={"Authorization": f"Bearer gck_{secrets.token_hex(8)}_"
                                                                       f"{secrets.token_urlsafe(32)}"})
                return r.status_code, r.headers.get("Retry-After")

        def valid(_: int) -> int:
            with httpx.Client(base_url=server.base, timeout=30) as c:
                return c.get("/v1/evaluations", headers={"Authorization": f"Bearer {good.token}"}).status_code

        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            guesses = pool.map(guess, range(400))
            valids = pool.map(valid, range(60))
            guessed, served = list(guesses), list(valids)
    statuses = Counter(status for status, _ in guessed)
    assert statuses == {401: limit, 429: 400 - limit}, statuses
    assert all(retry is not None and 1 <= int(retry) <= 3600 for status, retry in guessed if status == 429)
    assert served == [200] * 60


@pytest.mark.skipif(not hasattr(stat, "S_IMODE"), reason="POSIX file modes")
def test_the_sqlite_database_is_created_private(tmp_path: Path) -> None:
    directory = tmp_path / "new" / "greencert"
    db = Database(f"sqlite:///{directory / 'greencert.db'}")
    try:
        upgrade(db.engine)
        create_key(db, "org", "manufacturer")  # a write: the -wal and -shm files exist now
        files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in directory.iterdir()}
        assert {"greencert.db", "greencert.db-wal", "greencert.db-shm"} <= set(files)
        assert all(mode == 0o600 for mode in files.values()), {n: oct(m) for n, m in files.items()}
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    finally:
        db.dispose()
