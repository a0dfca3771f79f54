"""`greencert serve --workers N`: each worker listens on its own SO_REUSEPORT socket, so the kernel spreads a
client pool's connections over all of them (uvicorn's shared socket gave 31 of 32 to one worker, measured);
the supervisor reports a taken port, replaces a dead worker and stops them all on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from api.serving import reuse_port_available
from engine.loader import PROJECT_ROOT
from scripts.served import Served

pytestmark = pytest.mark.skipif(not reuse_port_available(), reason="SO_REUSEPORT is Linux/BSD only")


@pytest.fixture(scope="module")
def servers() -> Iterator[list[Served]]:
    """The servers of this module, stopped at its end (a start of two workers costs 10-30 s here)."""
    started: list[Served] = []
    yield started
    for server in started:
        server.stop()


@pytest.fixture
def served(servers: list[Served], tmp_path_factory: pytest.TempPathFactory) -> Served:
    """A running two-worker server: the one the previous test left running (with both workers listening), else
    a new one. A test that stops it (SIGTERM) leaves the next test a new one."""
    if servers and servers[-1].proc is not None and servers[-1].proc.poll() is None \
            and len(_listeners(servers[-1])) == 2:
        return servers[-1]
    tmp = tmp_path_factory.mktemp("served")
    env = {**os.environ, "GREENCERT_DATABASE_URL": f"sqlite:///{tmp / 'g.db'}", "PYTHONUNBUFFERED": "1"}
    env.pop("GREENCERT_RULES_DIRS", None)
    server = Served(2, env, tmp / "server.log")
    servers.append(server)
    server.start()
    deadline = time.monotonic() + 90  # ready means one worker answers; wait for the second to listen too
    while len(_listeners(server)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    return server


def _listeners(server: Served) -> dict[int, int]:
    """worker pid -> established connections it holds on the server's port (the workers are the processes
    under the supervisor that listen on that port)."""
    assert server.proc is not None
    out = {}
    for w in psutil.Process(server.proc.pid).children(recursive=True):
        try:
            conns = w.net_connections(kind="tcp")
        except psutil.Error:
            continue
        if any(c.status == psutil.CONN_LISTEN and c.laddr.port == server.port for c in conns):
            out[w.pid] = sum(1 for c in conns if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == server.port)
    return out


def _open_connections(port: int, n: int) -> list[socket.socket]:
    """n keep-alive clients, opened together, each having had one answer."""
    socks = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(n)]
    for s in socks:
        s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: t\r\n\r\n")
    for s in socks:
        assert s.recv(4096).startswith(b"HTTP/1.1 200")
    return socks


def test_connections_are_spread_over_both_workers(served: Served) -> None:
    assert len(_listeners(served)) == 2  # two workers, each with its own listening socket
    socks = _open_connections(served.port, 32)
    try:
        counts = sorted(_listeners(served).values())
        assert sum(counts) == 32
        # a fair hash gives 16 +- 3; one side under 4 has a chance of 3 in a million
        assert counts[0] >= 4, counts
    finally:
        for s in socks:
            s.close()


def test_a_dead_worker_is_replaced(served: Served) -> None:
    before = set(_listeners(served))
    victim = sorted(before)[0]
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = _listeners(served)
        if len(now) == 2 and victim not in now:
            break
        time.sleep(0.3)
    else:
        pytest.fail(f"no new worker in place of {victim}: {_listeners(served)}")
    socks = _open_connections(served.port, 8)  # and the service answers
    for s in socks:
        s.close()


def test_sigterm_stops_every_worker_and_frees_the_port(served: Served) -> None:
    workers = list(_listeners(served))
    assert served.proc is not None
    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(timeout=60) == 0
    for pid in workers:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    with socket.socket() as s:  # the address is free again: nothing listens on it
        # (SO_REUSEADDR: a connection both sides closed at once may linger in TIME-WAIT on the server's port
        # for a minute; that is the kernel's, not a listener, and would fail a plain bind at random)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", served.port))
        s.listen(1)


def test_a_taken_port_is_reported_before_any_worker_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        env = {**os.environ, "GREENCERT_DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}"}
        done = subprocess.run([sys.executable, "-m", "engine.cli", "serve", "--port", str(port), "--workers", "2"],
                              cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr
