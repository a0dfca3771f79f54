"""Reading and checking request bodies in worker processes that can be killed.

Parsing YAML or JSON and checking the document against its schema is CPU work whose cost the sender chooses: a
20 KB body of `[` took PyYAML 13-29 s, a 2 MB mapping of 190,000 keys over 80 s. Done on the event loop, it
stopped every other request of the worker (`/v1/health` included) for as long; done in a thread, it could not be
stopped. Here it runs in one of a few worker processes (`GREENCERT_PARSE_PROCESSES`): the event loop only waits
for the answer, and a job past its time limit (`GREENCERT_PARSE_TIMEOUT_SECONDS`, counted from the moment the
body was read, so waiting for a free process counts too), or whose client went away, is ended by killing its
process, which is replaced. Nothing of the request's state lives in the process: killing it loses nothing.

A job is a module-level function and its arguments (pickled, as is its result); it returns data, never raises
for bad input (exceptions other than the builtin ones may not unpickle), see `api.service.read_in_worker`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

__all__ = ["WorkerPool", "TimeLimitExceeded", "ClientGone", "WorkerFailed", "serve_fd"]

log = logging.getLogger("greencert.api")

# Modules the jobs need, imported when a worker process starts (not when its first job arrives).
_PRELOAD = ["api.isolation", "api.service", "engine.intake", "engine.loader"]
# How long a new worker process may take to start (a fresh interpreter importing the engine; a loaded machine).
_START_SECONDS = 60.0
# How often a waiting request asks whether its client is still there.
_DISCONNECT_POLL_SECONDS = 0.1


class TimeLimitExceeded(Exception):
    """The job did not finish within the time limit; its process was killed."""

    def __init__(self, seconds: float, queued: bool):
        super().__init__(f"not finished within {seconds:g} s")
        self.seconds = seconds
        self.queued = queued  # True: no process became free in time (the job never started)


class ClientGone(Exception):
    """The client disconnected while its job ran; the process was killed."""


class WorkerFailed(Exception):
    """The job raised (a bug: `crashed` False), or its process died on its own before answering (e.g. killed
    for memory: `crashed` True)."""

    def __init__(self, message: str, crashed: bool):
        super().__init__(message)
        self.crashed = crashed


def serve_fd(fd: int) -> None:  # pragma: no cover - runs in the worker process
    """A worker process: run jobs arriving on socket `fd` until the service closes its end."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a terminal is for the service, which ends us
    for module in _PRELOAD:
        __import__(module)
    conn = Connection(fd)
    conn.send("ready")
    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            result: tuple[bool, Any] = (True, fn(*args))
        except BaseException as e:  # noqa: BLE001 - a bug in a job: reported to the request, not fatal here
            result = (False, f"{type(e).__name__}: {e}"[:500])
        try:
            conn.send(result)
        except (OSError, ValueError):
            return


@dataclass
class _Worker:
    process: Any
    conn: Connection

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.wait(5)
        finally:
            self.conn.close()


@dataclass
class WorkerPool:
    """Up to `processes` worker processes, started when first needed; jobs bounded by `seconds`."""

    processes: int
    seconds: float
    _idle: list[_Worker] = field(default_factory=list)
    _busy: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _closed: bool = False
    killed: int = 0  # processes killed for a time limit or a client gone (a figure for tests and operators)
    pids: set[int] = field(default_factory=set)  # live worker processes

    def _start(self) -> _Worker:
        return self._ready(self._spawn())

    def _spawn(self) -> _Worker:
        """A new worker process: a fresh interpreter (not a fork of this one, with its threads and connections,
        nor multiprocessing's re-import of the main script), talking over a socket pair."""
        parent, child = socket.socketpair()
        try:
            program = (f"import sys; sys.path[:0] = {[p for p in sys.path if p]!r}; "
                       f"from api.isolation import serve_fd; serve_fd({child.fileno()})")
            process = subprocess.Popen([sys.executable, "-c", program], pass_fds=[child.fileno()],
                                       stdin=subprocess.DEVNULL, close_fds=True)
        finally:
            child.close()
        return _Worker(process, Connection(parent.detach()))

    def _ready(self, worker: _Worker) -> _Worker:
        """`worker` once it has imported what jobs need: until then a large job would block the sender."""
        try:
            if not worker.conn.poll(_START_SECONDS) or worker.conn.recv() != "ready":
                raise WorkerFailed("a worker process did not start", crashed=True)
        except (EOFError, OSError):
            worker.kill()
            raise WorkerFailed("a worker process ended as it started", crashed=True) from None
        except WorkerFailed:
            worker.kill()
            raise
        self.pids.add(worker.process.pid)
        return worker

    def warm(self) -> None:
        """Start every process now (when the service starts): a process's start, which imports the engine, takes
        a second or two, and no request should wait for it."""
        with self._lock:
            missing = self.processes - self._busy - len(self._idle)
        spawned = [self._spawn() for _ in range(missing)]  # starting together, then waited for
        started = [self._ready(worker) for worker in spawned]
        with self._lock:
            self._idle.extend(started)

    async def _take(self) -> _Worker | None:
        """An idle worker, a new one if there is room (started in a thread: the event loop never waits for a
        fork), or None (all busy)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the worker pool is closed")
            if self._idle:
                self._busy += 1
                return self._idle.pop()
            if self._busy >= self.processes:
                return None
            self._busy += 1
        starting = asyncio.get_running_loop().run_in_executor(None, self._start)
        try:
            return await asyncio.shield(starting)
        except asyncio.CancelledError:
            # the request went away while its process started: the process joins the idle ones when it is up
            starting.add_done_callback(lambda f: self._give_back(
                None if f.cancelled() or f.exception() is not None else f.result()))
            raise
        except BaseException:
            with self._lock:
                self._busy -= 1
            raise

    def _give_back(self, worker: _Worker | None) -> None:
        with self._lock:
            self._busy -= 1
            if worker is not None and not self._closed:
                self._idle.append(worker)
                return
        if worker is not None:
            self._kill(worker, count=False)

    def _kill(self, worker: _Worker, *, count: bool = True) -> None:
        # counted with the pid's removal, before the signal: whoever sees the process gone sees it counted
        self.pids.discard(worker.process.pid)
        if count:
            self.killed += 1
        worker.kill()

    async def run(self, fn: Callable[..., Any], *args: Any,
                  disconnected: Callable[[], Awaitable[bool]] | None = None) -> Any:
        """`fn(*args)` in a worker process. Raises TimeLimitExceeded, ClientGone or WorkerFailed; the process of a
        job that did not finish is killed (and replaced by the next job that needs one)."""
        deadline = time.monotonic() + self.seconds
        worker = await self._take()
        delay = 0.001
        while worker is None:  # every process busy: wait for one (the wait counts against the limit)
            if time.monotonic() >= deadline:
                raise TimeLimitExceeded(self.seconds, queued=True)
            if disconnected is not None and await disconnected():
                raise ClientGone()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.02)
            worker = await self._take()
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()
        fd = worker.conn.fileno()

        def answered() -> None:
            if not ready.done():
                ready.set_result(None)

        finished = registered = False
        try:
            # the pipe is used blocking (the worker reads at once; a loop such as uvloop makes an fd it watches
            # non-blocking, so it is watched only between the job sent and the answer ready)
            os.set_blocking(fd, True)
            try:
                worker.conn.send((fn, args))
            except OSError:
                raise WorkerFailed("the worker process ended before taking the job", crashed=True) from None
            loop.add_reader(fd, answered)
            registered = True
            while not ready.done():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeLimitExceeded(self.seconds, queued=False)
                wait = remaining if disconnected is None else min(remaining, _DISCONNECT_POLL_SECONDS)
                await asyncio.wait([ready], timeout=wait)
                if not ready.done() and disconnected is not None and await disconnected():
                    raise ClientGone()
            loop.remove_reader(fd)
            registered = False
            os.set_blocking(fd, True)
            try:
                ok, value = worker.conn.recv()
            except (EOFError, OSError):
                raise WorkerFailed("the worker process ended without answering", crashed=True) from None
            finished = True
        finally:
            if registered:
                loop.remove_reader(fd)
            if finished:
                self._give_back(worker)
            else:  # a time limit, a client gone, a cancelled request, a dead process: the process goes
                self._kill(worker)
                self._give_back(None)
        if not ok:
            raise WorkerFailed(value, crashed=False)
        return value

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            self._kill(worker, count=False)
