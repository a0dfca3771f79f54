"""Soak test: many evaluations in one process (RSS must not grow), or several threads sharing one Repository."""

# Sequential mode: N evaluations (default 1,000,000) through the full engine (`engine.evaluate` on
# pre-validated applications of the synthetic workload, cycling over a pool of distinct ones), with the
# resident set size sampled every `--sample` evaluations. After a warm-up (the first 10%), RSS may grow by
# less than `--max-growth` percent; every outcome must equal the one the application got the first time.
#
# Thread mode (`--threads 4 --seconds 60`): the shipped example applications (and a few workload ones) are
# evaluated single-threaded first; then the threads evaluate them at once through one fresh Repository
# (compiling on first use, concurrently) for the given time, and every Decision must equal the
# single-threaded one. durable-rules holds the GIL, so this proves safety, not speed.
#
# Exit status: 0 when every check holds, 1 otherwise. The last line printed is a JSON summary.

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import workload
import yaml

from engine import Repository, application_from_data, evaluate, read_application
from engine.durable_core import live_rulesets
from engine.loader import PROJECT_ROOT

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


def _mb(n: int) -> float:
    return round(n / 2 ** 20, 1)


def sequential(n: int, sample: int, pool_size: int, warmup: float, max_growth: float) -> dict[str, Any]:
    root = workload.write_workload()
    repo = workload.load_repository(root)
    prepared = []
    for data in workload.generate_applications(pool_size, seed=7):
        app, doc, diags = application_from_data(data)
        assert app is not None and doc is not None and not diags, diags
        compiled, checked, unit = repo.prepare(app, doc, workload.AS_OF)
        prepared.append((compiled, checked, unit, evaluate(compiled, checked, workload.AS_OF, unit=unit).outcome))
    as_of = workload.AS_OF
    rows: list[tuple[int, float, int]] = []
    mismatches = 0
    start = time.perf_counter()
    rows.append((0, 0.0, rss_bytes()))
    print(f"{'evaluations':>12} {'elapsed s':>10} {'apps/s':>8} {'RSS MB':>8}", flush=True)
    done = 0
    k = len(prepared)
    while done < n:
        batch = min(sample, n - done)
        for i in range(done, done + batch):
            compiled, checked, unit, outcome = prepared[i % k]
            if evaluate(compiled, checked, as_of, unit=unit).outcome != outcome:
                mismatches += 1
        done += batch
        elapsed = time.perf_counter() - start
        rows.append((done, elapsed, rss_bytes()))
        prev_done, prev_elapsed, _ = rows[-2]
        rate = (done - prev_done) / max(elapsed - prev_elapsed, 1e-9)
        print(f"{done:>12} {elapsed:>10.1f} {rate:>8.0f} {_mb(rows[-1][2]):>8}", flush=True)
    warm = next(r for r in rows if r[0] >= warmup * n)
    final = rows[-1]
    growth = (final[2] - warm[2]) / warm[2] * 100
    elapsed = final[1]
    repo.close()
    ok = growth < max_growth and mismatches == 0
    print(f"RSS after warm-up ({warm[0]} evaluations): {_mb(warm[2])} MB; at the end: {_mb(final[2])} MB; "
          f"growth {growth:+.2f}% (limit {max_growth}%); outcome mismatches: {mismatches}")
    return {"mode": "sequential", "ok": ok, "evaluations": n, "seconds": round(elapsed, 1),
            "apps_per_s": round(n / elapsed) if elapsed else None, "rss_mb_start": _mb(rows[0][2]),
            "rss_mb_warm": _mb(warm[2]), "rss_mb_end": _mb(final[2]), "growth_percent": round(growth, 2),
            "mismatches": mismatches, "live_rulesets": live_rulesets()}


def example_items(with_workload: int = 8) -> tuple[list[tuple[str, Any, Any, dt.date]], list[Path]]:
    """(name, application, source document, as_of) for every shipped example evaluated without an overlay,
    plus `with_workload` workload applications; and the paths the Repository must load."""
    items: list[tuple[str, Any, Any, dt.date]] = []
    for expected in sorted((PROJECT_ROOT / "examples").glob("*/expected.yaml")):
        entries = yaml.safe_load(expected.read_text(encoding="utf-8")) or []
        seen: set[tuple[str, str]] = set()
        for e in entries:
            if e.get("overlay") or (e["file"], str(e["as_of"])) in seen:
                continue
            seen.add((e["file"], str(e["as_of"])))
            app, doc, diags = read_application(expected.parent / e["file"])
            if app is None or doc is None or diags:
                continue
            items.append((f"{expected.parent.name}/{e['file']}", app, doc, dt.date.fromisoformat(str(e["as_of"]))))
    root = workload.write_workload()
    for data in workload.generate_applications(with_workload, seed=11):
        app, doc, diags = application_from_data(data)
        if app is not None and not diags:
            items.append((str(data["id"]), app, doc, workload.AS_OF))
    return items, [PROJECT_ROOT / "catalogs", PROJECT_ROOT / "rules", *workload.workload_paths(root)]


def threaded(threads: int, seconds: float) -> dict[str, Any]:
    items, paths = example_items()
    reference = Repository.load(paths)
    expected = [reference.check(app, doc, as_of) for _, app, doc, as_of in items]
    reference.close()
    shared = Repository.load(paths)  # compiled on first use, by whichever thread comes first
    counts = [0] * threads
    mismatches: list[str] = []
    errors: list[str] = []
    deadline = time.monotonic() + seconds
    barrier = threading.Barrier(threads)

    def work(k: int) -> None:
        mine = list(range(k, len(items), threads)) or [k % len(items)]
        barrier.wait()
        j = 0
        while time.monotonic() < deadline:
            i = mine[j % len(mine)]
            j += 1
            name, app, doc, as_of = items[i]
            try:
                decision = shared.check(app, doc, as_of)
            except Exception as e:  # noqa: BLE001 - counted and reported, the soak goes on
                errors.append(f"{name}: {type(e).__name__}: {e}")
                continue
            if decision != expected[i]:
                mismatches.append(name)
            counts[k] += 1

    rss_start = rss_bytes()
    pool = [threading.Thread(target=work, args=(k,), name=f"soak-{k}") for k in range(threads)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    rulesets = sorted({items[i][1].category for i in range(len(items))})
    shared.close()
    ok = not mismatches and not errors and all(counts)
    for line in (mismatches[:5] + errors[:5]):
        print("problem:", line)
    print(f"{threads} threads, {elapsed:.1f} s: {sum(counts)} evaluations of {len(items)} applications in "
          f"{len(rulesets)} categories, per thread {counts}; mismatches {len(mismatches)}, errors {len(errors)}")
    return {"mode": "threads", "ok": ok, "threads": threads, "seconds": round(elapsed, 1), "evaluations": sum(counts),
            "per_thread": counts, "applications": len(items), "categories": len(rulesets),
            "mismatches": len(mismatches), "errors": len(errors), "rss_mb_start": _mb(rss_start),
            "rss_mb_end": _mb(rss_bytes()), "threads_alive_after": threading.active_count()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000, help="evaluations in sequential mode (default 1,000,000)")
    parser.add_argument("--sample", type=int, default=10_000, help="sample RSS every this many evaluations")
    parser.add_argument("--pool", type=int, default=2_000, help="distinct applications cycled over")
    parser.add_argument("--warmup", type=float, default=0.1, help="share of evaluations treated as warm-up")
    parser.add_argument("--max-growth", type=float, default=10.0, help="RSS growth after warm-up that fails, in %%")
    parser.add_argument("--threads", type=int, default=0, help="thread mode: this many threads")
    parser.add_argument("--seconds", type=float, default=60.0, help="thread mode: run this long")
    args = parser.parse_args(argv)
    if args.threads:
        summary = threaded(args.threads, args.seconds)
    else:
        if args.n < 1 or args.sample < 1:
            parser.error("--n and --sample must be positive")
        summary = sequential(args.n, args.sample, args.pool, args.warmup, args.max_growth)
    print(json.dumps(summary))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
