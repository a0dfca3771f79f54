"""Throughput with 1 and 2 worker processes: the engine alone (multiprocessing) and engine.parallel (intake + evaluate)."""

# Two measures, both wall clock over the same generated workload (benchmarks/workload.py):
#   engine    k spawned processes, each with its own Repository and its share of pre-validated applications,
#             released together by an Event; each evaluates full decisions (streamed, reduced to the outcome)
#             for a fixed count. Rate = all evaluations / the slowest worker's time. Nothing crosses processes
#             while timing, so this is the ceiling of process scaling on this machine.
#   parallel  engine.parallel.ParallelEvaluator with k workers on application dicts: intake (schema
#             validation, references), evaluation, and every Decision pickled back to the parent, in input
#             order. Workers are started (and their rule sets compiled) before timing.
# Run: .venv/bin/python benchmarks/scaling.py [--n 4000] [--pool 500] [--json-out FILE]

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import workload  # noqa: E402

__all__ = ["engine_scaling", "parallel_scaling", "run", "main"]


def _worker(index: int, workers: int, pool: int, count: int, ready: Any, go: Any, results: Any) -> None:
    from engine import application_from_data, evaluate

    root = workload.write_workload()
    repo = workload.load_repository(root)
    prepared = []
    for k, data in enumerate(workload.generate_applications(pool, seed=3)):
        if k % workers != index:
            continue
        app, doc, diags = application_from_data(data)
        assert app is not None and doc is not None and not diags, diags
        prepared.append(repo.prepare(app, doc, workload.AS_OF))
    as_of = workload.AS_OF
    for c, a, u in prepared[:50]:  # warm-up
        evaluate(c, a, as_of, unit=u)
    ready.put(index)
    go.wait()
    outcomes: dict[str, int] = {}
    m = len(prepared)
    c0, w0 = time.process_time(), time.perf_counter()
    for i in range(count):
        c, a, u = prepared[i % m]
        o = evaluate(c, a, as_of, unit=u).outcome
        outcomes[o] = outcomes.get(o, 0) + 1
    results.put({"index": index, "wall": time.perf_counter() - w0, "cpu": time.process_time() - c0,
                 "evaluations": count, "outcomes": outcomes})
    repo.close()


def engine_scaling(workers: int, total: int, pool: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    per = total // workers
    procs = [ctx.Process(target=_worker, args=(i, workers, pool, per, ready, go, results)) for i in range(workers)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=300)
    w0 = time.perf_counter()
    go.set()
    got = [results.get(timeout=3600) for _ in procs]
    wall = time.perf_counter() - w0
    for p in procs:
        p.join(timeout=60)
    evaluations = sum(r["evaluations"] for r in got)
    slowest = max(r["wall"] for r in got)
    return {"workers": workers, "evaluations": evaluations, "wall_s": wall, "per_s": evaluations / slowest,
            "per_worker_cpu_s": [r["evaluations"] / r["cpu"] for r in got],
            "cpu_share": [r["cpu"] / r["wall"] for r in got]}


def parallel_scaling(workers: int, total: int, pool: int) -> dict[str, Any]:
    from engine.parallel import ParallelEvaluator

    root = workload.write_workload()
    datas = list(workload.generate_applications(pool, seed=3))
    items = (datas * (total // pool + 1))[:total]
    with ParallelEvaluator(workers, paths=workload.workload_paths(root)) as ev:
        ev.evaluate(items[: min(200, total)], workload.AS_OF)  # warm-up: compiled, caches filled
        w0 = time.perf_counter()
        out = ev.evaluate(items, workload.AS_OF)
        wall = time.perf_counter() - w0
    failed = sum(1 for r in out if not r.ok)
    return {"workers": workers, "evaluations": total, "wall_s": wall, "per_s": total / wall, "failed": failed}


def run(n: int, pool: int, parallel_n: int) -> dict[str, Any]:
    result: dict[str, Any] = {"cpus": os.cpu_count(), "load_before": os.getloadavg(), "engine": {}, "parallel": {}}
    for k in (1, 2):
        result["engine"][str(k)] = engine_scaling(k, n, pool)
    for k in (1, 2):
        result["parallel"][str(k)] = parallel_scaling(k, parallel_n, pool)
    for part in ("engine", "parallel"):
        one, two = result[part]["1"]["per_s"], result[part]["2"]["per_s"]
        result[part]["speedup"] = two / one
    result["load_after"] = os.getloadavg()
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20_000, help="evaluations per measure of the engine alone")
    parser.add_argument("--parallel-n", type=int, default=4_000, help="applications through engine.parallel")
    parser.add_argument("--pool", type=int, default=1_000, help="distinct applications")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    r = run(args.n, args.pool, args.parallel_n)
    if args.json_out:
        args.json_out.write_text(json.dumps(r, indent=2), encoding="utf-8")
    for part in ("engine", "parallel"):
        one, two = r[part]["1"], r[part]["2"]
        print(f"{part:<9} 1 worker {one['per_s']:>8,.0f}/s   2 workers {two['per_s']:>8,.0f}/s   "
              f"speedup {r[part]['speedup']:.2f}x")
    print(f"load {r['load_before'][0]:.2f} -> {r['load_after'][0]:.2f} on {r['cpus']} CPUs")
    failed = sum(r["parallel"][k]["failed"] for k in ("1", "2"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
