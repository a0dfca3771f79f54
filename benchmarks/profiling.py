"""Sampling profiles with py-spy (native frames included) summarised as the top costs by function and by line."""

# py-spy samples another process from outside (no instrumentation overhead, C extensions and the garbage
# collector visible with --native). `record` writes collapsed stacks ("frame;frame;...;leaf count" per line);
# `summarize` turns them into: self time by function (the leaf frame), self time by source line, and inclusive
# time by function (every function on the stack, once per sample). `within` keeps only the samples whose
# stack contains that text (e.g. the benchmark loop), so setup time is left out.

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["available", "record", "record_pid", "summarize", "shares"]


def _py_spy() -> str | None:
    local = Path(sys.executable).with_name("py-spy")
    return str(local) if local.exists() else shutil.which("py-spy")


def available() -> bool:
    return _py_spy() is not None


def record(cmd: Sequence[str], out: Path, *, rate: int = 250, native: bool = True, timeout: float = 600) -> Path:
    """Run `cmd` under py-spy until it exits; collapsed stacks go to `out`."""
    exe = _py_spy()
    if exe is None:
        raise RuntimeError("py-spy is not installed (pip install py-spy)")
    # native stacks need the process paused while sampled (py-spy refuses --native with --nonblocking)
    args = [exe, "record", "-r", str(rate), "-f", "raw", "-o", str(out), "--native" if native else "--nonblocking"]
    done = subprocess.run([*args, "--", *cmd], timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if done.returncode != 0:
        raise RuntimeError(f"py-spy failed ({done.returncode}): {done.stderr.decode(errors='replace')[-500:]}")
    return out


def record_pid(pid: int, seconds: float, out: Path, *, rate: int = 250,
               subprocesses: bool = True) -> subprocess.Popen[bytes]:
    """Start sampling a running process (and its children) for `seconds`; wait on the returned Popen."""
    exe = _py_spy()
    if exe is None:
        raise RuntimeError("py-spy is not installed (pip install py-spy)")
    args = [exe, "record", "-r", str(rate), "-f", "raw", "-o", str(out), "-d", str(max(1, round(seconds))),
            "--nonblocking", "-p", str(pid)]
    if subprocesses:
        args.append("--subprocesses")
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _function(frame: str) -> str:
    """`name (file:line)` -> `name (file)`; native frames `0x7f.. (lib.so)` -> `native code in lib.so`."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    file = where.rsplit(":", 1)[0] if ":" in where else where
    if name.startswith("0x"):
        return f"[native] {file}"
    return f"{name} ({file})"


# leaves that mean "waiting", not working: a thread pool's idle workers, the event loop's select, a pipe read
IDLE_LEAVES = ("Condition.wait (threading.py", "Event.wait (threading.py", "EpollSelector.select (selectors.py",
               "Connection._recv (multiprocessing/connection.py", "Thread.join (threading.py",
               "_wait_for_tstate_lock (threading.py", "SimpleQueue.get (queue.py", "Queue.get (queue.py",
               "select (selectors.py")


def _samples(raw: Path, within: str | None, skip_idle: bool) -> tuple[list[tuple[list[str], int]], int]:
    """(frames, count) per collapsed stack, from the `within` frame down; and the idle samples skipped."""
    out: list[tuple[list[str], int]] = []
    idle = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack_text, _, count_text = line.rpartition(" ")
        if not stack_text or not count_text.isdigit():
            continue
        if within is not None and within not in stack_text:
            continue
        frames = stack_text.split(";")
        if skip_idle and any(frames[-1].startswith(x) for x in IDLE_LEAVES):
            idle += int(count_text)
            continue
        if within is not None:
            frames = frames[next(i for i, f in enumerate(frames) if within in f):]
        out.append((frames, int(count_text)))
    return out, idle


def shares(raw: Path, buckets: dict[str, Sequence[str]], *, within: str | None = None,
           skip_idle: bool = True) -> dict[str, float]:
    """Per bucket, the share of samples with a frame containing any of its texts (inclusive time)."""
    samples, _ = _samples(raw, within, skip_idle)
    total = sum(c for _, c in samples)
    out: dict[str, float] = {}
    for name, texts in buckets.items():
        hit = sum(c for frames, c in samples if any(t in f for f in frames for t in texts))
        out[name] = hit / total if total else 0.0
    return out


def summarize(raw: Path, *, within: str | None = None, top: int = 15, skip_idle: bool = True,
              hide: Sequence[str] = ("<frozen ",)) -> dict[str, Any]:
    """`within`: keep only samples whose stack contains this text (and count from that frame down).
    `skip_idle`: drop samples of waiting threads. `hide`: frames left out of the inclusive ranking."""
    samples, idle = _samples(raw, within, skip_idle)
    self_fn: Counter[str] = Counter()
    self_line: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for frames, count in samples:
        total += count
        leaf = frames[-1]
        self_fn[_function(leaf)] += count
        self_line[leaf] += count
        for fn in {_function(f) for f in frames if not any(h in f for h in hide)}:
            inclusive[fn] += count

    def ranked(counter: Counter[str]) -> list[dict[str, Any]]:
        return [{"frame": k, "samples": v, "share": v / total if total else 0.0} for k, v in counter.most_common(top)]

    return {"samples": total, "idle_samples_skipped": idle, "self_by_function": ranked(self_fn),
            "self_by_line": ranked(self_line), "inclusive": ranked(inclusive)}
