"""`greencert serve` as a child process group on 127.0.0.1, for the durability script and the API benchmark."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["ServeError", "Served", "free_port", "greencert"]


class ServeError(RuntimeError):
    """The server or a `greencert` command did not do what was asked; the message says where to look."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def greencert(*args: str, env: dict[str, str]) -> str:
    """Run `greencert ARGS` (this interpreter's) and return what it printed."""
    done = subprocess.run([sys.executable, "-m", "engine.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    if done.returncode != 0:
        raise ServeError(f"greencert {' '.join(args)} failed ({done.returncode}): {done.stderr[-1000:]}")
    return done.stdout


class Served:
    """The server in its own process group (uvicorn's supervisor and its workers): `stop()` is SIGTERM to the
    group (SIGKILL after 30 s), `kill()` is SIGKILL to the group, so that no shutdown handler runs."""

    def __init__(self, workers: int, env: dict[str, str], log: Path, port: int | None = None):
        self.port = port or free_port()
        self.workers, self.env, self.log = workers, env, log
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "engine.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 "--workers", str(self.workers), "--log-level", "warning"],
                env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServeError(f"the server exited with {self.proc.returncode}; see {self.log}")
            try:
                if httpx.get(self.base + "/v1/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise ServeError(f"the server did not become ready in {timeout} s; see {self.log}")

    def kill(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
