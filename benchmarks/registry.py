"""The registry at scale: edition impact against evaluate_batch, and the public verification and procurement
endpoints under load. Not a test: it prints figures.

    python scripts/generate_registry.py --database-url sqlite:////tmp/registry.db -n 40000
    python benchmarks/registry.py --database-url sqlite:////tmp/registry.db [--impact-only | --load-only]

Impact: for each category (default: all with certificates), `api.impact.run_impact` (on a pool of worker
processes started once beforehand, its start time printed apart, as a service would keep it; reading the registry,
re-evaluating every valid certificate's application under the category's newest edition in worker processes,
classifying) is timed, then, in the same run, the same applications under the same edition evaluated in this
process by `engine.evaluator.evaluate_batch` (intake and rule-set selection included, as the workers do), and
the ratio printed. Load: `greencert serve` (one worker) on the database; C clients (httpx, one keep-alive
connection each, a closed loop) send GET /v1/public/certificates/{number} (verification),
/v1/public/registry?category=&limit=20 (procurement) and /v1/public/coverage?model= (coverage); requests/s
and latency percentiles. The client runs on the same 2-core machine as the server and takes CPU from it.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OVERLAYS = ROOT / "examples" / "overlays"  # the generated registry was decided with them


def _cpu_of(pids: Sequence[int]) -> float:
    """User + system CPU seconds of these processes so far (Linux: /proc/<pid>/stat)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / tick


def impact(database_url: str, categories: Sequence[str] | None, day: dt.date, workers: int,
           repeat: int = 1) -> list[dict[str, Any]]:
    import gc

    from api.db import Database
    from api.impact import candidates, impact_pool, run_impact
    from engine import Repository, application_from_data
    from engine.evaluator import evaluate_batch

    paths = [ROOT / "catalogs", ROOT / "rules"]
    repo = Repository.load(paths, [OVERLAYS])
    repo.compile_all()
    db = Database(database_url)
    cats = categories or sorted({rs.category for rs in repo.rulesets.values()})
    out = []
    t0 = time.perf_counter()
    pool = impact_pool(workers, paths=paths, overlay_dirs=[OVERLAYS])
    pool.start()
    pool_start = round(time.perf_counter() - t0, 2)
    print(json.dumps({"pool_start_s": pool_start, "workers": workers}), flush=True)
    for category in cats:
        newest = max((rs for rs in repo.rulesets.values() if rs.category == category), key=lambda rs: rs.in_force.from_)
        apps = [{**app, "edition": newest.standard} for _, _, _, app in candidates(db, category, day)]
        if not apps:
            continue
        # impact and evaluate_batch in turns, `repeat` times; the best of each (the least disturbed by the other
        # work on the machine), wall and CPU (this process and the workers)
        walls: dict[str, list[float]] = {"impact": [], "batch": []}
        cpus: dict[str, list[float]] = {"impact": [], "batch": []}
        for _ in range(repeat):
            gc.collect()
            c0, w0, t0 = time.process_time(), _cpu_of(pool.pids()), time.perf_counter()
            report = run_impact(db, repo, category=category, edition=newest.standard, as_of=day, paths=paths,
                                overlay_dirs=[OVERLAYS], workers=workers, pool=pool)
            walls["impact"].append(time.perf_counter() - t0)
            cpus["impact"].append(time.process_time() - c0 + _cpu_of(pool.pids()) - w0)
            gc.collect()
            c0, t0 = time.process_time(), time.perf_counter()
            groups: dict[str, tuple[Any, list[tuple[Any, str | None]]]] = {}
            for data in apps:
                app, doc, _ = application_from_data(data)
                compiled, checked, unit = repo.prepare(app, doc, day)
                groups.setdefault(compiled.ruleset.id, (compiled, []))[1].append((checked, unit))
            decided = sum(len(evaluate_batch(c, items, day)) for c, items in groups.values())
            walls["batch"].append(time.perf_counter() - t0)
            cpus["batch"].append(time.process_time() - c0)
        assert decided == len(report.items) == len(apps), (decided, len(report.items), len(apps))
        t_impact, t_batch = min(walls["impact"]), min(walls["batch"])
        counts = report.to_dict()["summary"]["counts"]
        row = {"category": category, "edition": newest.standard, "certificates": len(report.items),
               "impact_s": round(t_impact, 3), "evaluate_batch_s": round(t_batch, 3),
               "ratio": round(t_impact / t_batch, 2), "impact_cpu_s": round(min(cpus["impact"]), 3),
               "evaluate_batch_cpu_s": round(min(cpus["batch"]), 3), "counts": counts, "batch_decisions": decided,
               "pool_start_s": pool_start}
        print(json.dumps(row, ensure_ascii=False), flush=True)
        out.append(row)
    pool.close()
    db.engine.dispose()
    return out


def impact_totals(rows: list[dict[str, Any]], workers: int) -> dict[str, Any]:
    total_i = sum(r["impact_s"] for r in rows)
    total_b = sum(r["evaluate_batch_s"] for r in rows)
    return {"categories": rows, "certificates": sum(r["certificates"] for r in rows),
            "impact_s": round(total_i, 2), "evaluate_batch_s": round(total_b, 2),
            "ratio": round(total_i / total_b, 2) if total_b else None, "workers": workers,
            "impact_cpu_s": round(sum(r.get("impact_cpu_s", 0) for r in rows), 2),
            "evaluate_batch_cpu_s": round(sum(r.get("evaluate_batch_cpu_s", 0) for r in rows), 2),
            "pool_start_s": rows[0]["pool_start_s"] if rows else None}


def _registry_size(database_url: str) -> int:
    from sqlalchemy import func, select

    from api.certificate_tables import CertificateRecord
    from api.db import Database

    db = Database(database_url)
    with db.read() as session:
        n = session.scalar(select(func.count()).select_from(CertificateRecord)) or 0
    db.engine.dispose()
    return n


def _percentiles(lat: list[float]) -> dict[str, float]:
    lat = sorted(lat)
    q = statistics.quantiles(lat, n=100, method="inclusive")
    return {"p50_ms": round(q[49] * 1000, 1), "p99_ms": round(q[98] * 1000, 1), "max_ms": round(lat[-1] * 1000, 1)}


async def _load(base: str, paths: list[str], concurrency: int, requests: int) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue = iter(range(requests))

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30) as c:
            for i in queue:
                t = time.perf_counter()
                r = await c.get(paths[i % len(paths)])
                latencies.append(time.perf_counter() - t)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    wall = time.perf_counter() - t0
    return {"requests": len(latencies), "rps": round(len(latencies) / wall, 1), **_percentiles(latencies),
            "statuses": statuses}


def load(database_url: str, concurrency: int, requests: int, day: dt.date) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from api.certificate_tables import CertificateRecord
    from api.db import Database, DecisionRecord
    from scripts.served import Served

    db = Database(database_url)
    with db.read() as session:
        rows = list(session.execute(select(CertificateRecord.number, CertificateRecord.category,
                                           DecisionRecord.product_model).join(
            DecisionRecord, DecisionRecord.id == CertificateRecord.evaluation_id)))
    db.engine.dispose()
    rng = random.Random(1)
    rng.shuffle(rows)
    registry_size = len(rows)
    cats = sorted({c for _, c, _ in rows})
    mixes = {
        "verification": [f"/v1/public/certificates/{n}?as_of={day}" for n, _, _ in rows[:5000]],
        "procurement": [f"/v1/public/registry?category={c}&as_of={day}&limit=20&offset={20 * k}"
                        for k in range(5) for c in cats],
        "coverage": [f"/v1/public/coverage?model={m}&as_of={day}" for _, _, m in rows[:5000]],
    }
    env = {**os.environ, "GREENCERT_DATABASE_URL": database_url, "GREENCERT_PURE_PYTHON": "1",
           "PYTHONPATH": str(ROOT), "GREENCERT_RATE_LIMIT": "0"}
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        server = Served(1, env, Path(tmp) / "serve.log")
        server.start()
        try:
            for name, paths in mixes.items():
                asyncio.run(_load(server.base, paths, concurrency, min(200, requests)))  # warm-up, not counted
                r = {"endpoint": name, "concurrency": concurrency, "registry": registry_size,
                     "backend": database_url.split(":", 1)[0],
                     **asyncio.run(_load(server.base, paths, concurrency, requests))}
                print(json.dumps(r), flush=True)
                out.append(r)
        finally:
            server.stop()
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", required=True)
    p.add_argument("--category", action="append")
    p.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 12, 1))
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--requests", type=int, default=3000)
    p.add_argument("--impact-only", action="store_true")
    p.add_argument("--load-only", action="store_true")
    p.add_argument("--json-out", type=Path, help="write the figures here (benchmarks/registry.json is what "
                   "benchmarks/run_all.py puts in BENCHMARKS.md)")
    p.add_argument("--registry-note", default="", help="how the registry was made, for the report")
    p.add_argument("--repeat", type=int, default=3, help="impact and evaluate_batch run in turns this many times per "
                   "category; the best of each is kept")
    p.add_argument("--sizes", nargs="+", metavar="DATABASE_URL", help="also: impact against evaluate_batch on each "
                   "of these registries too (e.g. 10k and 20k certificates beside the 40k of --database-url), for the "
                   "plot of time against size")
    args = p.parse_args(argv)
    result: dict[str, Any] = {"database": args.database_url.split("@")[-1], "as_of": args.as_of.isoformat(),
                              "registry_note": args.registry_note}
    if not args.load_only:
        load_before = os.getloadavg()[0]
        rows = impact(args.database_url, args.category, args.as_of, args.workers, args.repeat)
        result["impact"] = {**impact_totals(rows, args.workers), "repeat": args.repeat,
                            "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)]}
        print(json.dumps({k: v for k, v in result["impact"].items() if k != "categories"}), flush=True)
        sizes = [{"registry": _registry_size(args.database_url),
                  **{k: v for k, v in result["impact"].items() if k not in ("categories", "repeat")}}] if args.sizes else []
        for url in args.sizes or ():
            load_before = os.getloadavg()[0]
            totals = impact_totals(impact(url, args.category, args.as_of, args.workers, args.repeat), args.workers)
            sizes.append({"registry": _registry_size(url), **{k: v for k, v in totals.items() if k != "categories"},
                          "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)]})
            print(json.dumps(sizes[-1]), flush=True)
        if sizes:
            result["impact_sizes"] = sorted(sizes, key=lambda x: x["registry"])
    if not args.impact_only:
        result["load"] = load(args.database_url, args.concurrency, args.requests, args.as_of)
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
