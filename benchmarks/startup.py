"""Startup: a cold process loads, validates and compiles the whole shipped catalogue; timed by phase over several runs."""

# Each run is a new Python process (bytecode caches and the OS file cache are warm, as on a restarted
# server). Inside it: importing the engine, `Repository.load` (YAML read with locations, JSON Schema
# validation, typed models, semantic checks of every catalogue and rule file, version hashes) and
# `compile_all` (every rule set compiled to durable-rules). Outside it: the wall time from spawning the
# process to its exit, which adds the interpreter's own start and exit.
# Run: .venv/bin/python benchmarks/startup.py [--runs 7] [--json-out FILE]

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
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be positive")
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
