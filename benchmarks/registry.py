"""The registry at scale: edition impact against evaluate_batch, and the public verification and procurement
endpoints under load. Not a test: it prints figures.

    python scripts/generate_registry.py --database-url sqlite:////tmp/registry.db -n 40000
    python benchmarks/registry.py --database-url sqlite:////tmp/registry.db [--impact-only | --load-only]

Impact: for each category (default: all with certificates), `api.impact.run_impact` (on a pool of worker
processes started once beforehand, its start time printed apart, as a service would keep it; reading the registry,
re-evaluating every valid certificate's application under the category's newest edition in worker processes,
classifying) is timed, then, in the same run, the same applications under the same edition evaluated in this
process by `engine.evaluator.evaluate_batch` (intake and rule-set selection included, as the workers do), and
the ratio printed. Load: `greencert serve --workers W` (default 2) on the database; `wrk` (C, one thread, C
keep-alive connections; its own CPU share is printed: it runs on the same 2-core machine and takes CPU from the
server) sends GET /v1/health (the bare stack: the machine's speed in this run), /v1/public/certificates/{number}
(verification), /v1/public/registry?category=&limit=20&offset= (procurement) and /v1/public/coverage?model=
(coverage); requests/s, p50, p99, and the ratio to /v1/health on the same server. Without wrk, a closed loop of
httpx clients in this process. `--compare-src` serves another checkout (e.g. main's, from `git archive`) the
same way in the same run, on its own copy of the registry (`--compare-database-url`; its schema may be older).
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


_WRK_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _wrk(base: str, paths: list[str], concurrency: int, seconds: float, tmp: Path) -> dict[str, Any]:
    """`wrk` (C, one thread) over the paths in turn: requests/s, p50/p99, non-2xx answers, and wrk's own CPU
    share of the wall time (what the load generator takes from the 2 cores the server has)."""
    import re
    import resource
    import subprocess

    script = tmp / "paths.lua"
    table = ",".join(json.dumps(p) for p in paths)
    script.write_text("local paths = {" + table + "}\nlocal i = 0\nrequest = function()\n  i = i + 1\n"
                      "  return wrk.format('GET', paths[(i % #paths) + 1])\nend\n", encoding="utf-8")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(["wrk", "-t1", f"-c{concurrency}", f"-d{seconds:g}s", "--latency", "-s", str(script), base],
                         capture_output=True, text=True, check=True).stdout
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    def pct(label: str) -> float:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        return round(float(m.group(1)) * _WRK_UNITS[m.group(2)], 1) if m else float("nan")

    done = re.search(r"(\d+) requests in", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"requests": int(done.group(1)) if done else 0, "rps": float(rps.group(1)) if rps else 0.0,
            "p50_ms": pct("50"), "p99_ms": pct("99"), "non_2xx": int(bad.group(1)) if bad else 0,
            "socket_errors": errors.group(1) if errors else None, "client_cpu_share": round(cpu / wall, 3),
            "tool": "wrk -t1"}


def _serve(src: Path, env: dict[str, str], workers: int, log: Path) -> Any:
    """`greencert serve` of the checkout `src` (this one, or another to compare with)."""
    from scripts.served import Served

    class _At(Served):
        def start(self, timeout: float = 120) -> None:
            import subprocess

            with self.log.open("ab") as out:
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "engine.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                     "--workers", str(self.workers), "--log-level", "warning"],
                    env={**self.env, "PYTHONPATH": str(src)}, cwd=src, stdout=out, stderr=subprocess.STDOUT,
                    start_new_session=True)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    import httpx

                    if httpx.get(self.base + "/v1/health", timeout=2).status_code == 200:
                        return
                except Exception:  # noqa: BLE001 - not up yet
                    pass
                time.sleep(0.5)
            raise RuntimeError(f"the server of {src} did not start; see {log}")

    return _At(workers, env, log)


def _mixes(database_url: str, day: dt.date) -> tuple[int, dict[str, list[str]]]:
    from urllib.parse import quote

    from sqlalchemy import select

    from api.certificate_tables import CertificateRecord
    from api.db import Database, DecisionRecord

    db = Database(database_url)
    with db.read() as session:
        rows = list(session.execute(select(CertificateRecord.number, CertificateRecord.category,
                                           DecisionRecord.product_model).join(
            DecisionRecord, DecisionRecord.id == CertificateRecord.evaluation_id)))
    db.engine.dispose()
    rng = random.Random(1)
    rng.shuffle(rows)
    cats = sorted({c for _, c, _ in rows})
    return len(rows), {
        "health": ["/v1/health"],
        "verification": [f"/v1/public/certificates/{n}?as_of={day}" for n, _, _ in rows[:5000]],
        "procurement": [f"/v1/public/registry?category={c}&as_of={day}&limit=20&offset={20 * k}"
                        for k in range(5) for c in cats],
        "coverage": [f"/v1/public/coverage?model={quote(m)}&as_of={day}" for _, _, m in rows[:5000]],
    }


def load(database_url: str, concurrency: int, requests: int, day: dt.date, *, server_workers: int = 2,
         seconds: float = 10.0, compare: tuple[Path, str] | None = None) -> list[dict[str, Any]]:
    """Each endpoint mix under load, with /v1/health (the bare stack) measured on the same server in the same
    run; with `compare` (another checkout and its database, e.g. main's), the same on that server, in turns."""
    import shutil

    registry_size, mixes = _mixes(database_url, day)
    env = {**os.environ, "GREENCERT_DATABASE_URL": database_url, "GREENCERT_PURE_PYTHON": "1",
           "PYTHONPATH": str(ROOT), "GREENCERT_RATE_LIMIT": "0"}
    servers: list[tuple[str, Path, str]] = [("this", ROOT, database_url)]
    if compare is not None:
        servers.append(("compare", compare[0], compare[1]))
    use_wrk = shutil.which("wrk") is not None
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, src, url in servers:
            server = _serve(src, {**env, "GREENCERT_DATABASE_URL": url}, server_workers, Path(tmp) / f"{label}.log")
            server.start()
            try:
                health = None
                for name, paths in mixes.items():
                    if use_wrk:
                        _wrk(server.base, paths, concurrency, 2, Path(tmp))  # warm-up, not counted
                        figures = _wrk(server.base, paths, concurrency, seconds, Path(tmp))
                    else:
                        asyncio.run(_load(server.base, paths, concurrency, min(200, requests)))  # warm-up
                        figures = {**asyncio.run(_load(server.base, paths, concurrency, requests)),
                                   "tool": "httpx (same machine)"}
                    if name == "health":
                        health = figures["rps"]
                    r = {"endpoint": name, "server": label, "source": str(src), "concurrency": concurrency,
                         "registry": registry_size, "backend": url.split(":", 1)[0], "server_workers": server_workers,
                         **figures, "of_health": round(figures["rps"] / health, 3) if health else None}
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
    p.add_argument("--requests", type=int, default=3000, help="per endpoint, when wrk is not installed")
    p.add_argument("--seconds", type=float, default=10.0, help="per endpoint, with wrk")
    p.add_argument("--server-workers", type=int, default=2, help="`greencert serve --workers`")
    p.add_argument("--compare-src", type=Path, help="another checkout (e.g. `git archive main`) served the same way "
                   "in the same run, on --compare-database-url")
    p.add_argument("--compare-database-url")
    p.add_argument("--compare-note", default="", help="what the compared checkout is, for the report")
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
        compare = (args.compare_src, args.compare_database_url or args.database_url) if args.compare_src else None
        if args.compare_note:
            result["compare_note"] = args.compare_note
        result["load"] = load(args.database_url, args.concurrency, args.requests, args.as_of,
                              server_workers=args.server_workers, seconds=args.seconds, compare=compare)
    if args.json_out and args.load_only and args.json_out.exists():
        # keep the other figures of the file; replace the load rows of this backend
        kept = json.loads(args.json_out.read_text(encoding="utf-8"))
        backend = args.database_url.split(":", 1)[0]
        kept["load"] = [r for r in kept.get("load", []) if r.get("backend") != backend] + result["load"]
        if args.compare_note:
            kept["compare_note"] = args.compare_note
        result = kept
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
