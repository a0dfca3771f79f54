"""Startup: a cold process loads, validates and compiles the whole shipped catalogue; timed by phase over several runs.
With --cli: the wall and CPU time of `greencert` commands as a user runs them, next to a bare interpreter."""

# Each run is a new Python process (bytecode caches and the OS file cache are warm, as on a restarted
# server). Inside it: importing the engine, `Repository.load` (YAML read with locations, JSON Schema
# validation, typed models, semantic checks of every catalogue and rule file, version hashes) and
# `compile_all` (every rule set compiled to durable-rules). Outside it: the wall time from spawning the
# process to its exit, which adds the interpreter's own start and exit.
# Run: .venv/bin/python benchmarks/startup.py [--runs 7] [--json-out FILE]
#
# --cli: each command a new process, as typed at a shell (the console script `greencert` of this interpreter's
# environment, from the checkout), repeated --runs times in turns, the median printed next to `python -c pass`
# measured in the same run, with the ratios. Wall: spawn to exit; CPU: the child's user + system time (wait4's
# resource usage, which counts its own children too). --record before|after keeps the figures in
# benchmarks/startup_cli.json, from which benchmarks/run_all.py writes BENCHMARKS.md's table.
# Run: .venv/bin/python benchmarks/startup.py --cli [--runs 7] [--record after]

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["CHILD", "run", "main"]

TARGET_S = 1.0
CLI_RECORD = ROOT / "benchmarks" / "startup_cli.json"
# the commands timed by --cli (`greencert` is the console script); the example is one a user would try first
CLI_COMMANDS: dict[str, list[str]] = {
    "python -c pass": ["{python}", "-c", "pass"],
    "greencert --help": ["{greencert}", "--help"],
    "greencert validate": ["{greencert}", "validate"],
    "greencert check examples/coatings/granted.yaml": ["{greencert}", "check", "examples/coatings/granted.yaml",
                                                       "--as-of", "2026-11-01"],
}
CLI_TARGETS = {"help_vs_bare": 3.0, "check_cpu_s": 1.0}  # --help within 3x of the bare interpreter; check < 1 s CPU
# Named costs in a py-spy profile of one cold run (inclusive)
BUCKETS: dict[str, tuple[str, ...]] = {
    "importing the engine (all modules)": ("<module> (engine/__init__.py",),
    "  pint imported and its unit registry built (`engine.units`)": ("<module> (engine/units.py",),
    "  jsonschema imported": ("<module> (jsonschema/__init__.py",),
    "  pydantic models built (`engine.models`, `engine.application`)": ("<module> (engine/models.py",
                                                                        "<module> (engine/application.py"),
    "`Repository.load`: read, validate, type and check every file": ("Repository.load (",),
    "  YAML parsed with locations (PyYAML, pure-Python composer)": ("_parse_yaml (",),
    "  JSON Schema validation (jsonschema)": ("schema_diagnostics (",),
    "  typed models (pydantic `model_validate`)": ("model_validate (",),
    "  version hashes (`content_hash`)": ("content_hash (",),
    "`compile_all`: every rule set compiled to durable-rules": ("compile_all (",),
}

CHILD = r"""
import json, time
t0 = time.perf_counter()
from engine import Repository
t1 = time.perf_counter()
repo = Repository.load()
t2 = time.perf_counter()
repo.compile_all()
t3 = time.perf_counter()
counts = {"categories": len(repo.categories), "rulesets": len(repo.rulesets),
          "criteria": sum(len(rs.criteria) for rs in repo.rulesets.values())}
repo.close()
print(json.dumps({"import_s": t1 - t0, "load_validate_s": t2 - t1, "compile_s": t3 - t2, "in_process_s": t3 - t0,
                  **counts}))
"""


def one_run() -> dict[str, Any]:
    w0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True, timeout=300)
    wall = time.perf_counter() - w0
    if done.returncode != 0:
        raise RuntimeError(f"startup run failed: {done.stderr[-2000:]}")
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    data["process_wall_s"] = wall
    return data


def _timed(cmd: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one new process running `cmd` to its end (its output discarded)."""
    w0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - w0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1, 2):  # check's outcome codes: granted 0, refused 1, incomplete 2
        raise RuntimeError(f"`{' '.join(cmd)}` exited {proc.returncode}: {err.decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def run_cli(runs: int, greencert: Path) -> dict[str, Any]:
    """Each command `runs` times, in turns (so that a change of load touches them all alike); medians and ratios."""
    load_before = os.getloadavg()
    cmds = {name: [a.format(python=sys.executable, greencert=greencert) for a in argv]
            for name, argv in CLI_COMMANDS.items()}
    for cmd in cmds.values():  # once each untimed: bytecode written, files in the OS cache
        _timed(cmd)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            samples[name].append(_timed(cmd))
    bare = "python -c pass"
    out: dict[str, Any] = {}
    for name, pairs in samples.items():
        wall, cpu = statistics.median(w for w, _ in pairs), statistics.median(c for _, c in pairs)
        out[name] = {"wall_s": wall, "cpu_s": cpu, "wall_min_s": min(w for w, _ in pairs),
                     "cpu_min_s": min(c for _, c in pairs)}
    for r in out.values():
        r["wall_x"] = r["wall_s"] / out[bare]["wall_s"]
        r["cpu_x"] = r["cpu_s"] / out[bare]["cpu_s"]
    help_x = out["greencert --help"]["wall_x"]
    check_cpu = out["greencert check examples/coatings/granted.yaml"]["cpu_s"]
    return {"runs": runs, "commands": out, "python": sys.version.split()[0],
            "targets": {"help_vs_bare": {"target": CLI_TARGETS["help_vs_bare"], "measured": help_x,
                                         "met": help_x <= CLI_TARGETS["help_vs_bare"]},
                        "check_cpu_s": {"target": CLI_TARGETS["check_cpu_s"], "measured": check_cpu,
                                        "met": check_cpu < CLI_TARGETS["check_cpu_s"]}},
            "load_before": load_before, "load_after": os.getloadavg()}


def print_cli(r: dict[str, Any]) -> None:
    print(f"{r['runs']} cold processes per command, medians (Python {r['python']}; load average "
          f"{r['load_before'][0]:.2f} before, {r['load_after'][0]:.2f} after)")
    print(f"{'command':<48} {'wall':>8} {'CPU':>8} {'wall x':>7} {'CPU x':>7}")
    for name, c in r["commands"].items():
        print(f"{name:<48} {c['wall_s'] * 1000:6.0f}ms {c['cpu_s'] * 1000:6.0f}ms {c['wall_x']:6.1f}x {c['cpu_x']:6.1f}x")
    t = r["targets"]
    print(f"target: --help within {t['help_vs_bare']['target']:.0f}x of `python -c pass` (wall): "
          f"{t['help_vs_bare']['measured']:.1f}x, {'met' if t['help_vs_bare']['met'] else 'MISSED'}")
    print(f"target: check under {t['check_cpu_s']['target']:.0f} s of CPU: {t['check_cpu_s']['measured']:.2f} s, "
          f"{'met' if t['check_cpu_s']['met'] else 'MISSED'}")


def profile(out: Path) -> dict[str, Any]:
    """py-spy over one more cold run, sampled at 1 kHz (Python frames)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import profiling

    if not profiling.available():
        return {"error": "py-spy is not installed"}
    script = out.with_suffix(".py")
    script.write_text(CHILD, encoding="utf-8")
    profiling.record([sys.executable, str(script)], out, rate=1000, native=False)
    summary = profiling.summarize(out, top=20)
    summary["buckets"] = profiling.shares(out, BUCKETS)
    summary["raw"] = str(out)
    return summary


def run(runs: int) -> dict[str, Any]:
    load_before = os.getloadavg()
    samples = [one_run() for _ in range(runs)]
    keys = ("import_s", "load_validate_s", "compile_s", "in_process_s", "process_wall_s")
    summary = {k: {"median": statistics.median(s[k] for s in samples), "min": min(s[k] for s in samples),
                   "max": max(s[k] for s in samples)} for k in keys}
    median = summary["process_wall_s"]["median"]
    return {"runs": runs, "samples": samples, "summary": summary, "categories": samples[0]["categories"],
            "rulesets": samples[0]["rulesets"], "criteria": samples[0]["criteria"], "target_s": TARGET_S,
            "met": median < TARGET_S, "load_before": load_before, "load_after": os.getloadavg()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--profile", type=Path, help="also profile one cold run with py-spy; raw stacks to this file")
    parser.add_argument("--cli", action="store_true",
                        help="time `greencert --help`, `validate` and `check` as a user runs them, next to `python -c pass`")
    parser.add_argument("--greencert", type=Path, default=Path(sys.executable).parent / "greencert",
                        help="the console script to time (default: the one next to this interpreter)")
    parser.add_argument("--record", choices=("before", "after"),
                        help=f"with --cli: keep the figures in {CLI_RECORD.relative_to(ROOT)} under this name")
    parser.add_argument("--note", help="with --record: what was measured (e.g. the commit)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be positive")
    if args.cli:
        r = run_cli(args.runs, args.greencert)
        print_cli(r)
        if args.json_out:
            args.json_out.write_text(json.dumps(r, indent=2), encoding="utf-8")
        if args.record:
            kept = json.loads(CLI_RECORD.read_text(encoding="utf-8")) if CLI_RECORD.exists() else {}
            kept[args.record] = {**r, "note": args.note or ""}
            CLI_RECORD.write_text(json.dumps(kept, indent=2) + "\n", encoding="utf-8")
        return 0
    r = run(args.runs)
    if args.profile:
        r["profile"] = profile(args.profile)
    if args.json_out:
        args.json_out.write_text(json.dumps(r, indent=2), encoding="utf-8")
    print(f"{r['categories']} categories, {r['rulesets']} rule sets, {r['criteria']} criteria; {r['runs']} cold runs")
    for k, s in r["summary"].items():
        print(f"{k:<18} median {s['median'] * 1000:7.0f} ms   min {s['min'] * 1000:7.0f}   max {s['max'] * 1000:7.0f}")
    print(f"target < {TARGET_S:.0f} s (median process wall): {'met' if r['met'] else 'MISSED'}")
    for bucket, share in (r.get("profile") or {}).get("buckets", {}).items():
        print(f"{share:6.1%}  {bucket}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
