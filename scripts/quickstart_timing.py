"""Time the README's quick start as a new user meets it: a fresh clone, fresh virtual environments, an empty pip
cache, and the README's two commands exactly as written (read from README.md, split at `&&`).

For command 1 it prints the time to a listening server (`/v1/health` answers 200) and which evaluator the server
runs (`/v1/ready`); for command 2 the time of its set-up and of the test run, with pytest's closing line. For
comparison it runs, in the same run, the same commands with GREENCERT_PURE_PYTHON=1 (the same dependencies,
nothing compiled) in another fresh clone with its own empty pip cache, up to a listening server and to the end of
command 2's `pip install` (not its test run), and prints the ratios.

    python scripts/quickstart_timing.py                  # everything (the test run takes most of it)
    python scripts/quickstart_timing.py --no-tests       # the set-up only
    python scripts/quickstart_timing.py --json out.json  # the figures as JSON too

Nothing is written outside its temporary folder: the servers get a free port on 127.0.0.1 and XDG_DATA_HOME
in that folder (so not the user's database). Only the standard library is used.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SERVER_TIMEOUT_S = 600


def quickstart_commands(readme: str) -> tuple[list[str], list[str]]:
    """The README's two quick-start commands, each as its `&&`-separated parts."""
    match = re.search(r"^## Quick start\n.*?```sh\n(.*?)```", readme, re.S | re.M)
    if not match:
        raise ValueError("README.md has no sh block under `## Quick start`")
    lines = [line.strip() for line in match.group(1).splitlines() if line.strip()]
    if len(lines) != 2:
        raise ValueError(f"the quick start has {len(lines)} commands, not 2")
    serve, test = ([part.strip() for part in line.split("&&")] for line in lines)
    return serve, test


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cpu_of_children() -> float:
    """User + system seconds of every finished child process so far (and of what they waited for): less
    sensitive than wall time to what else the machine is doing."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, ""
    except (OSError, urllib.error.URLError):
        return 0, ""


class Run:
    """One fresh clone with its own environment; each step's output goes to a log file beside it."""

    def __init__(self, base: Path, name: str, sha: str, pure: bool):
        self.name, self.pure = name, pure
        self.dir = base / name
        self.logs = base / f"{name}-logs"
        self.logs.mkdir(parents=True)
        self.port = free_port()
        drop = ("VIRTUAL_ENV", "PYTHONPATH", "PIP_CACHE_DIR", "PYTHONHOME")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("GREENCERT_") and k not in drop}
        self.env.update(PIP_CACHE_DIR=str(base / f"{name}-pip-cache"), XDG_DATA_HOME=str(base / f"{name}-data"),
                        GREENCERT_PORT=str(self.port))
        if pure:
            self.env["GREENCERT_PURE_PYTHON"] = "1"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(self.dir)], check=True)
        subprocess.run(["git", "-C", str(self.dir), "checkout", "--quiet", "--detach", sha], check=True)
        self.step = 0
        self.cpu = 0.0
        self.last_rc = 0
        self.last_log = self.logs / "none.log"

    def shell(self, command: str) -> float:
        """Run one part of a command as the README writes it; its wall time in seconds (its processor time, with
        that of every process it waited for, is then in `self.cpu`)."""
        self.step += 1
        log = self.logs / f"{self.step:02d}.log"
        before = cpu_of_children()
        started = time.monotonic()
        with log.open("wb") as out:
            proc = subprocess.run(command, shell=True, cwd=self.dir, env=self.env, stdout=out,
                                  stderr=subprocess.STDOUT, check=False)
        took = time.monotonic() - started
        self.cpu = cpu_of_children() - before
        if proc.returncode != 0 and not command.endswith("pytest"):
            tail = log.read_text(errors="replace")[-3000:]
            raise SystemExit(f"{self.name}: `{command}` exited {proc.returncode} after {took:.0f} s:\n{tail}")
        self.last_rc = proc.returncode
        self.last_log = log
        return took

    def serve_until_listening(self, command: str) -> tuple[float, str, str]:
        """Start the server as the README does; the time until /v1/health answers 200, what /v1/ready says of the
        evaluator, and the server's line naming its database. The server is stopped after."""
        log = self.logs / "serve.log"
        started = time.monotonic()
        with log.open("wb") as out:
            proc = subprocess.Popen(command, shell=True, cwd=self.dir, env=self.env, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
            try:
                url = f"http://127.0.0.1:{self.port}"
                while get(url + "/v1/health")[0] != 200:
                    if proc.poll() is not None:
                        raise SystemExit(f"{self.name}: the server exited with {proc.returncode}:\n"
                                         + log.read_text(errors="replace")[-3000:])
                    if time.monotonic() - started > SERVER_TIMEOUT_S:
                        raise SystemExit(f"{self.name}: no answer on {url}/v1/health in {SERVER_TIMEOUT_S} s")
                    time.sleep(0.2)
                took = time.monotonic() - started
                status, body = get(url + "/v1/ready")
                evaluator = json.loads(body).get("evaluator", "?") if status == 200 and body else f"/v1/ready {status}"
            finally:
                os.killpg(proc.pid, signal.SIGTERM)  # the server's own process group (start_new_session)
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        database = next((line for line in log.read_text(errors="replace").splitlines() if "serving on" in line), "")
        return took, str(evaluator), database

    def evaluator_in_venv(self) -> str:
        probe = "import engine; from engine import native; print(native.EVALUATOR)"
        proc = subprocess.run([".venv/bin/python", "-c", probe], cwd=self.dir, env=self.env, capture_output=True,
                              text=True, check=False)
        return (proc.stdout.strip() or proc.stderr.strip()[-300:])

    def builds_cached(self) -> int:
        cache = self.dir / "build" / "greencert-ext"
        return len([p for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".")]) if cache.exists() else 0


def _setup(run: Run, parts: list[str]) -> tuple[float, float]:
    wall = cpu = 0.0
    for part in parts:
        wall += run.shell(part)
        cpu += run.cpu
    return wall, cpu


def run_command_1(run: Run, parts: list[str]) -> dict[str, Any]:
    setup, cpu = _setup(run, parts[:-1])
    to_server, evaluator, database = run.serve_until_listening(parts[-1])
    return {"setup_s": round(setup, 1), "setup_cpu_s": round(cpu, 1), "to_listening_server_s": round(setup + to_server, 1),
            "server_start_s": round(to_server, 1), "evaluator": evaluator, "startup_line": database}


def run_command_2(run: Run, parts: list[str], tests: bool) -> dict[str, Any]:
    setup, cpu = _setup(run, parts[:-1])
    out: dict[str, Any] = {"setup_s": round(setup, 1), "setup_cpu_s": round(cpu, 1),
                           "evaluator_after_setup": run.evaluator_in_venv()}
    if tests:
        took = run.shell(parts[-1])
        out["test_run_cpu_s"] = round(run.cpu, 1)
        lines = [line for line in run.last_log.read_text(errors="replace").splitlines() if line.strip()]
        closing = next((line for line in reversed(lines) if re.search(r"\d+ (passed|failed)", line)), "")
        postgres = next((line for line in lines[:15] if "PostgreSQL" in line), "")
        out.update(test_run_s=round(took, 1), to_finished_test_run_s=round(setup + took, 1), pytest_exit=run.last_rc,
                   pytest_closing_line=closing.strip("= "), pytest_postgres_line=postgres)
    return out


def _t(wall: float, cpu: float | None) -> str:
    return f"{wall:.0f} s" + (f" ({cpu:.0f} s)" if cpu is not None else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-tests", action="store_true", help="time the set-up only, not command 2's test run")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (clones, venvs, logs)")
    args = parser.parse_args(argv)

    serve_parts, test_parts = quickstart_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], check=True, capture_output=True,
                         text=True).stdout.strip()
    base = Path(tempfile.mkdtemp(prefix="greencert-quickstart-"))
    python = subprocess.run("python3 --version", shell=True, capture_output=True, text=True).stdout.strip()
    figures: dict[str, Any] = {
        "commit": sha, "date": time.strftime("%Y-%m-%d %H:%M"), "python3": python, "cpus": os.cpu_count(),
        "machine": platform.platform(), "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "commands": [" && ".join(serve_parts), " && ".join(test_parts)]}
    print(f"quick start of {sha[:12]} in {base} ({python}, {os.cpu_count()} cores, load average "
          f"{figures['load_average_before']})", flush=True)
    try:
        started = time.monotonic()
        pure = Run(base, "pure", sha, pure=True)
        figures["pure_command_1"] = run_command_1(pure, serve_parts)
        print(f"  GREENCERT_PURE_PYTHON=1 command 1: {figures['pure_command_1']}", flush=True)
        figures["pure_command_2"] = run_command_2(pure, test_parts, tests=False)
        print(f"  GREENCERT_PURE_PYTHON=1 command 2 (set-up only): {figures['pure_command_2']}", flush=True)

        readme = Run(base, "readme", sha, pure=False)
        figures["command_1"] = run_command_1(readme, serve_parts)
        print(f"  command 1: {figures['command_1']}", flush=True)
        figures["command_2"] = run_command_2(readme, test_parts, tests=not args.no_tests)
        figures["command_2"]["compiled_builds_in_cache"] = readme.builds_cached()
        print(f"  command 2: {figures['command_2']}", flush=True)
        figures["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        figures["wall_s"] = round(time.monotonic() - started, 1)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)

    c1, p1, c2, p2 = figures["command_1"], figures["pure_command_1"], figures["command_2"], figures["pure_command_2"]
    figures["ratio_command_1_to_server"] = round(c1["to_listening_server_s"] / p1["to_listening_server_s"], 2)
    figures["ratio_command_2_setup"] = round(c2["setup_s"] / p2["setup_s"], 2)
    figures["ratio_command_1_setup_cpu"] = round(c1["setup_cpu_s"] / p1["setup_cpu_s"], 2)
    figures["ratio_command_2_setup_cpu"] = round(c2["setup_cpu_s"] / p2["setup_cpu_s"], 2)
    print()
    print(f"{'wall time (processor time)':52}{'README':>16}{'PURE=1':>16}{'ratio':>12}")
    rows = [("command 1: set-up (venv, pip install -e .)", c1["setup_s"], c1["setup_cpu_s"], p1["setup_s"],
             p1["setup_cpu_s"]),
            ("command 1: to a listening server", c1["to_listening_server_s"], None, p1["to_listening_server_s"], None),
            ("command 2: set-up (venv, pip install -e '.[test]')", c2["setup_s"], c2["setup_cpu_s"], p2["setup_s"],
             p2["setup_cpu_s"])]
    for label, wall, cpu, pure_wall, pure_cpu in rows:
        ratio = f"{wall / pure_wall:.2f}" + (f" ({cpu / pure_cpu:.2f})" if cpu and pure_cpu else "")
        print(f"{label:52}{_t(wall, cpu):>16}{_t(pure_wall, pure_cpu):>16}{ratio:>12}")
    if "test_run_s" in c2:
        print(f"{'command 2: test run':52}{_t(c2['test_run_s'], c2['test_run_cpu_s']):>16}")
        print(f"{'command 2: to a finished test run':52}{_t(c2['to_finished_test_run_s'], None):>16}")
        print(f"pytest: {c2['pytest_closing_line']} (exit {c2['pytest_exit']}); {c2['pytest_postgres_line']}")
    print(f"server's evaluator: {c1['evaluator']}; after command 2: {c2['evaluator_after_setup']}; compiled builds "
          f"made: {c2['compiled_builds_in_cache']}")
    print(f"server's start line: {c1['startup_line']}")
    print(f"load average before {figures['load_average_before']}, after {figures['load_average_after']}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    ok = c1["evaluator"].startswith("compiled") and c2.get("pytest_exit", 0) == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
