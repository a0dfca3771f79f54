"""`greencert serve`: uvicorn in one process, or in N worker processes that each listen on their own socket.

Why not `uvicorn.run(workers=N)`: its workers share one listening socket, and the event loop that wakes first
accepts every connection waiting at that moment. A client pool opening its keep-alive connections together
ended up 31 on one worker and 1 on the other (measured with 32 connections, 2 workers): one core busy, half
the throughput. Here every worker binds its own socket to the same address with `SO_REUSEPORT`, and the
kernel spreads new connections over the sockets by a hash of the client's address and port.

The supervisor (this process) reserves the address first, so a port in use is reported before any worker
starts; passes SIGINT/SIGTERM on to the workers and waits for their graceful shutdown; and starts a new
worker in place of one that dies, unless workers keep dying at once (then it stops them all and exits 1).
Where `SO_REUSEPORT` does not exist (not Linux/BSD), uvicorn's own supervisor is used.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import sys
import time
from multiprocessing.process import BaseProcess
from typing import Any

__all__ = ["serve", "reuse_port_available", "uvicorn_config"]

APP = "api.app:app_from_environment"
_RESTART_WINDOW_S = 10.0
_MAX_RESTARTS = 5  # within the window: a worker that cannot start is not restarted forever
_BACKLOG = 2048


def reuse_port_available() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _bound(host: str, port: int) -> socket.socket:
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _die_with_parent() -> None:
    """Linux: the kernel sends this worker SIGTERM if the supervisor dies (even by SIGKILL alone), so that no
    orphaned worker keeps serving."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the supervisor's own shutdown stops the workers
        return
    if os.getppid() == 1:  # the supervisor died before the line above
        sys.exit(0)


def uvicorn_config(app: Any, header_timeout: float, http: str = "auto", **options: Any) -> Any:
    """uvicorn's Config for the service: the HTTP protocol that bounds the time a request's head may take
    (api.protocols; uvicorn's own waits forever; `http` "auto" is httptools when installed, else "h11"), and a
    graceful shutdown of 10 s."""
    import uvicorn

    from .protocols import HEADER_TIMEOUT_ATTRIBUTE, head_deadline_protocol

    config = uvicorn.Config(app, http=head_deadline_protocol(http), timeout_graceful_shutdown=10, **options)
    setattr(config, HEADER_TIMEOUT_ATTRIBUTE, header_timeout)
    return config


def _worker(host: str, port: int, log_level: str, header_timeout: float) -> None:
    import uvicorn

    _die_with_parent()
    sock = _bound(host, port)
    sock.listen(_BACKLOG)
    uvicorn.Server(uvicorn_config(APP, header_timeout, factory=True, log_level=log_level)).run(sockets=[sock])


def serve(host: str, port: int, workers: int, log_level: str, header_timeout: float = 10.0) -> int:
    """Run the service until SIGINT/SIGTERM; the exit code of the command."""
    import uvicorn

    from .protocols import head_deadline_protocol

    if workers <= 1:
        uvicorn.Server(uvicorn_config(APP, header_timeout, factory=True, host=host, port=port,
                                      log_level=log_level)).run()
        return 0
    if not reuse_port_available():
        # uvicorn's own supervisor makes the config in each worker: the protocol reads the header timeout
        # from the settings there (GREENCERT_HEADER_TIMEOUT_SECONDS)
        uvicorn.run(APP, factory=True, host=host, port=port, workers=workers, log_level=log_level,
                    http=head_deadline_protocol(), timeout_graceful_shutdown=10)
        return 0
    try:
        reserve = _bound(host, port)  # not listening: it only holds the address and reports it taken
    except OSError as e:
        print(f"greencert: cannot listen on {host}:{port}: {e.strerror or e}", file=sys.stderr)
        return 1
    port = reserve.getsockname()[1]
    ctx = multiprocessing.get_context("spawn")
    stopping = False

    def stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}

    def start() -> BaseProcess:
        p = ctx.Process(target=_worker, args=(host, port, log_level, header_timeout), name="greencert-worker")
        p.start()
        return p

    procs = [start() for _ in range(workers)]
    restarts: list[float] = []
    code = 0
    try:
        while not stopping:
            time.sleep(0.2)
            for i, p in enumerate(procs):
                if p.is_alive() or stopping:
                    continue
                now = time.monotonic()
                restarts = [t for t in restarts if now - t < _RESTART_WINDOW_S] + [now]
                if len(restarts) > _MAX_RESTARTS:
                    print(f"greencert: workers keep exiting (last with code {p.exitcode}); stopping",
                          file=sys.stderr)
                    stopping, code = True, 1
                    break
                print(f"greencert: worker {p.pid} exited with code {p.exitcode}; starting another",
                      file=sys.stderr)
                procs[i] = start()
    finally:
        for p in procs:
            if p.is_alive() and p.pid is not None:
                os.kill(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for p in procs:
            p.join(max(0.1, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()
                p.join(5)
        reserve.close()
        for s, handler in previous.items():
            signal.signal(s, handler)
    return code
