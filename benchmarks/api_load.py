"""API load: sustained evaluations/s and latency percentiles at fixed concurrency, SQLite and PostgreSQL, loopback only."""

# The server is `greencert serve` (uvicorn, --workers W) in its own process group, on 127.0.0.1, over the
# synthetic workload's rule set (benchmarks/workload.py), with a fresh database: an SQLite file in a temporary
# directory, or a new PostgreSQL schema (dropped afterwards). This process is the load generator: asyncio
# streams with a minimal HTTP/1.1 client (httpx is used only to wait for readiness), one keep-alive connection
# per client; C clients each send the next application as soon as their previous response arrived (a closed
# loop at concurrency C), bounded by a request count and a time limit. A warm-up phase (not counted) comes
# first. Measured per (backend, mode):
#   binding     POST /v1/evaluations?as_of=...   (certification body): evaluated and recorded (201)
#   self_check  POST /v1/self-checks?as_of=...   (manufacturer): evaluated, not stored (200)
# Every response's outcome is compared with the outcome the engine gives locally for that application, and
# afterwards the database must hold exactly one record per acknowledged binding evaluation and no self-check.
# The CPU time of the server's processes and of this load generator is read from /proc around each phase.
# Run: .venv/bin/python benchmarks/api_load.py --backends sqlite,postgres --concurrency 32 --requests 5000

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import workload  # noqa: E402

from scripts.served import Served, greencert  # noqa: E402

__all__ = ["Server", "run", "main", "DEFAULT_POSTGRES_URL"]

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TARGET_RATE = 500.0
TARGET_P99_MS = 100.0
MODES = {"binding": ("/v1/evaluations", "certification_body", 201),
         "self_check": ("/v1/self-checks", "manufacturer", 200)}
_TICK = os.sysconf("SC_CLK_TCK")
# Named costs in the server's py-spy stacks (inclusive, all threads of both workers, waiting threads left out)
BUCKETS: dict[str, tuple[str, ...]] = {
    "body parsed, application validated (`parse_body`: JSON, schema, models)": ("parse_body (api/service.py",),
    "request hash (sorted JSON + sha256, `_request_hash`; only with an Idempotency-Key)": ("_request_hash (",),
    "engine: references checked and decision made (`Repository.check`)": ("Repository.check (",),
    "decision turned into a dict (`Decision.to_dict`)": ("to_jsonable (engine/decision.py", "convert (<string>"),
    "caller authenticated (API key lookup, `get_principal`)": ("get_principal (api/deps.py",),
    "response encoded (orjson, `json_response`)": ("json_response (api/routers/common.py",),
    "record written (writer thread: rows, JSON columns, INSERT, COMMIT; `Recorder._write`)": ("Recorder._write (",),
    "  of which waiting for the other workers' writes (file lock, `_WriterQueue.held`)": ("_WriterQueue.held (",),
    # not any uvicorn frame: the whole application runs below uvicorn's request cycle (inclusive shares)
    "HTTP parsing and response writing (uvicorn `data_received`, `send`)": (
        "data_received (uvicorn/protocols/http/", "RequestResponseCycle.send (uvicorn/protocols/http/"),
    "FastAPI dependencies and routing (`solve_dependencies`)": ("solve_dependencies (",),
}


def _stat(pid: int | str) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (field 4 onwards), or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2:].split()


def _tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of `pid` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        fields = _stat(entry) if entry.isdigit() else None
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry))
    total = 0.0
    stack = [pid]
    while stack:
        p = stack.pop()
        fields = _stat(p)
        if fields is None:
            continue
        total += (int(fields[11]) + int(fields[12])) / _TICK
        stack.extend(children.get(p, []))
    return total


class Server(Served):
    """`greencert serve` over the workload's rule set, as a child process group on loopback."""

    def __init__(self, database_url: str, workers: int, workload_root: Path, log: Path):
        super().__init__(workers, {**os.environ, "GREENCERT_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1",
                                   "GREENCERT_CATALOG_DIR": str(workload_root / "catalog"),
                                   "GREENCERT_RULES_DIRS": str(workload_root / "rules")}, log)

    def key(self, org: str, role: str) -> str:
        token: str = json.loads(greencert("keys", "create", "--org", org, "--role", role, "--format", "json",
                                          env=self.env))["token"]
        return token

    def cpu(self) -> float:
        return _tree_cpu(self.proc.pid) if self.proc is not None else 0.0


class Database:
    """A fresh database for one server: an SQLite file, or a new PostgreSQL schema dropped on close."""

    def __init__(self, backend: str, directory: Path, postgres_url: str):
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        self.backend = backend
        self.schema: str | None = None
        self.base_url = postgres_url
        if backend == "sqlite":
            self.url = f"sqlite:///{directory / 'greencert.db'}"
        else:
            self.schema = f"gc_bench_{uuid.uuid4().hex[:12]}"
            self.url = make_url(postgres_url).update_query_dict(
                {"options": f"-csearch_path={self.schema}"}).render_as_string(hide_password=False)
            engine = create_engine(postgres_url)
            with engine.begin() as conn:
                conn.exec_driver_sql(f'CREATE SCHEMA "{self.schema}"')
            engine.dispose()
        self._create_engine = create_engine

    def count(self, binding: bool) -> int:
        engine = self._create_engine(self.url)
        try:
            with engine.connect() as conn:
                value = conn.exec_driver_sql(
                    "SELECT count(*) FROM decisions WHERE binding = " + ("true" if binding else "false")
                    if self.backend == "postgres" else
                    f"SELECT count(*) FROM decisions WHERE binding = {1 if binding else 0}").scalar()
        finally:
            engine.dispose()
        return int(value or 0)

    def server_version(self) -> str:
        engine = self._create_engine(self.url)
        try:
            with engine.connect() as conn:
                if self.backend == "postgres":
                    return str(conn.exec_driver_sql("SHOW server_version").scalar())
                return "SQLite " + str(conn.exec_driver_sql("select sqlite_version()").scalar())
        finally:
            engine.dispose()

    def close(self) -> None:
        if self.schema is not None:
            engine = self._create_engine(self.base_url)
            with engine.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
            engine.dispose()


def _applications(pool: int) -> tuple[list[bytes], list[str]]:
    """The request bodies and the outcome the engine gives each one locally (as of the workload's date)."""
    from engine import application_from_data

    root = workload.write_workload()
    repo = workload.load_repository(root)
    bodies, outcomes = [], []
    for data in workload.generate_applications(pool, seed=5):
        app, doc, diags = application_from_data(data)
        assert app is not None and doc is not None and not diags, diags
        outcomes.append(repo.check(app, doc, workload.AS_OF).outcome)
        bodies.append(json.dumps(data, ensure_ascii=False).encode("utf-8"))
    repo.close()
    return bodies, outcomes


class _Connection:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: the load generator must cost the server's
    two cores as little as possible (httpx spends several CPU-ms per request here; this ~0.1 ms)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
        await self.writer.drain()
        header = await self.reader.readuntil(b"\r\n\r\n")
        lines = header.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (x.partition(b":") for x in lines[1:] if x)}
        if b"content-length" in fields:
            payload = await self.reader.readexactly(int(fields[b"content-length"]))
        elif fields.get(b"transfer-encoding", b"").lower() == b"chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                parts.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            payload = b"".join(p[:-2] for p in parts)
        else:
            payload = await self.reader.read()
        if fields.get(b"connection", b"").lower() == b"close":
            await self.close()
        return status, payload

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None


def _outcome(payload: bytes) -> str | None:
    """The decision's outcome in a response body, found without parsing 28 kB of JSON each time."""
    start = payload.find(b'"decision":')
    at = payload.find(b'"outcome":"', start) if start >= 0 else -1
    if at < 0:
        try:
            return str(json.loads(payload)["decision"]["outcome"])
        except (ValueError, KeyError, TypeError):
            return None
    at += len(b'"outcome":"')
    return payload[at:payload.index(b'"', at)].decode()


async def _load(base: str, path: str, token: str, expect: int, bodies: list[bytes], outcomes: list[str],
                concurrency: int, requests: int, seconds: float, offset: int) -> dict[str, Any]:
    """Closed loop: `concurrency` clients, each on its own keep-alive connection, each sending its next
    request when the previous one is answered; stops at `requests` sent or after `seconds`."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    wrong = 0
    sent = 0
    received_bytes = 0
    host, port = base.removeprefix("http://").split(":")
    head = (f"POST {path}?as_of={workload.AS_OF.isoformat()} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: ").encode()
    deadline = time.perf_counter() + seconds

    async def one_client() -> None:
        nonlocal sent, wrong, received_bytes
        conn = _Connection(host, int(port))
        try:
            while sent < requests and time.perf_counter() < deadline:
                i = (offset + sent) % len(bodies)
                sent += 1
                t0 = time.perf_counter()
                try:
                    status, payload = await asyncio.wait_for(conn.post(head, bodies[i]), 60)
                except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as e:
                    errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
                    await conn.close()
                    continue
                latencies.append(time.perf_counter() - t0)
                received_bytes += len(payload)
                if status != expect:
                    errors[str(status)] = errors.get(str(status), 0) + 1
                elif _outcome(payload) != outcomes[i]:
                    wrong += 1
        finally:
            await conn.close()

    w0 = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(concurrency)))
    wall = time.perf_counter() - w0
    ok = len(latencies) - sum(v for k, v in errors.items() if k.isdigit())
    return {"sent": sent, "ok": ok, "errors": errors, "wrong_outcome": wrong, "wall_s": wall, "latencies": latencies,
            "response_bytes_mean": received_bytes / len(latencies) if latencies else 0.0}


def _percentiles(latencies: list[float]) -> dict[str, float]:
    if not latencies:
        return {}
    xs = sorted(latencies)
    q = statistics.quantiles(xs, n=1000, method="inclusive") if len(xs) > 1 else [xs[0]] * 999
    return {"p50_ms": q[499] * 1000, "p95_ms": q[949] * 1000, "p99_ms": q[989] * 1000, "max_ms": xs[-1] * 1000,
            "mean_ms": statistics.fmean(xs) * 1000}


def measure(server: Server, db: Database, mode: str, token: str, bodies: list[bytes], outcomes: list[str],
            concurrency: int, requests: int, seconds: float, warmup: int, profile_seconds: float,
            out_dir: Path) -> dict[str, Any]:
    path, _, expect = MODES[mode]
    warm = asyncio.run(_load(server.base, path, token, expect, bodies, outcomes, concurrency, warmup, 120, 0))
    before_binding = db.count(True) if mode == "binding" else None
    s0, c0, l0 = server.cpu(), time.process_time(), os.getloadavg()
    split: list[list[int]] = []  # the client connections each worker holds, sampled 1 s into the run
    sampler = threading.Timer(1.0, lambda: split.append(_connections_per_worker(server)))
    sampler.start()
    run = asyncio.run(_load(server.base, path, token, expect, bodies, outcomes, concurrency, requests, seconds, warmup))
    sampler.cancel()
    s1, c1 = server.cpu(), time.process_time()
    ok = run["ok"]
    result: dict[str, Any] = {
        "mode": mode, "concurrency": concurrency, "requests": run["sent"], "ok": ok, "errors": run["errors"],
        "wrong_outcome": run["wrong_outcome"], "wall_s": run["wall_s"], "per_s": ok / run["wall_s"],
        "latency": _percentiles(run["latencies"]), "server_cpu_s": s1 - s0, "client_cpu_s": c1 - c0,
        "server_cpu_ms_per_request": (s1 - s0) / max(ok, 1) * 1000,
        "client_cpu_ms_per_request": (c1 - c0) / max(ok, 1) * 1000,
        "server_cores_busy": (s1 - s0) / run["wall_s"], "client_cores_busy": (c1 - c0) / run["wall_s"],
        "response_bytes_mean": run["response_bytes_mean"], "warmup_ok": warm["ok"], "load_before": l0,
        "load_after": os.getloadavg(), "connections_per_worker": split[0] if split else None,
    }
    if mode == "binding":
        recorded = db.count(True)
        result["recorded_during_run"] = recorded - (before_binding or 0)
        result["recorded_total"] = recorded
        result["acknowledged_total"] = warm["ok"] + ok
        result["records_match"] = recorded == warm["ok"] + ok
    else:
        result["stored_self_checks"] = db.count(False)
        result["records_match"] = result["stored_self_checks"] == 0
    hist = sorted(run["latencies"])
    result["latency_sample_ms"] = [hist[int(k * (len(hist) - 1) / 199)] * 1000 for k in range(200)] if hist else []
    if profile_seconds > 0:
        result["profile"] = _profile(server, mode, path, token, expect, bodies, outcomes, concurrency, profile_seconds,
                                     out_dir / f"pyspy-api-{db.backend}-{mode}.txt")
    return result


def _connections_per_worker(server: Server) -> list[int]:
    """How the kernel spread the load generator's connections over the workers (uvicorn's workers share one
    listening socket; an uneven split makes one worker's clients wait longer), largest first."""
    import psutil

    if server.proc is None:
        return []
    counts = []
    for worker in psutil.Process(server.proc.pid).children(recursive=True):
        try:
            conns = worker.net_connections(kind="tcp")
        except psutil.Error:
            continue
        n = sum(1 for c in conns if c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == server.port)
        if n:
            counts.append(n)
    return sorted(counts, reverse=True)


def _profile(server: Server, mode: str, path: str, token: str, expect: int, bodies: list[bytes], outcomes: list[str],
             concurrency: int, seconds: float, raw: Path) -> dict[str, Any]:
    """An extra, uncounted load phase with py-spy sampling the server's processes (Python frames only)."""
    import profiling

    if not profiling.available() or server.proc is None:
        return {"error": "py-spy is not installed"}
    spy = profiling.record_pid(server.proc.pid, seconds, raw)
    time.sleep(1.0)  # let py-spy attach
    asyncio.run(_load(server.base, path, token, expect, bodies, outcomes, concurrency, 10 ** 9, seconds, 0))
    _, err = spy.communicate(timeout=seconds + 60)
    if not raw.exists():
        return {"error": f"py-spy wrote nothing: {err.decode(errors='replace')[-300:]}"}
    summary = profiling.summarize(raw, top=20)
    summary["buckets"] = profiling.shares(raw, BUCKETS)
    summary["raw"] = str(raw)
    return summary


def run(backends: Sequence[str], modes: Sequence[str], concurrency: int, requests: int, seconds: float, warmup: int,
        workers: int, postgres_url: str, pool: int, profile_seconds: float, out_dir: Path) -> dict[str, Any]:
    bodies, outcomes = _applications(pool)
    root = workload.write_workload()
    results: dict[str, Any] = {"concurrency": concurrency, "workers": workers, "pool": pool,
                               "body_bytes_mean": statistics.fmean(len(b) for b in bodies), "runs": [],
                               "db_versions": {}}
    for backend in backends:
        tmp = Path(tempfile.mkdtemp(prefix=f"greencert-api-bench-{backend}-"))
        db = Database(backend, tmp, postgres_url)
        server = Server(db.url, workers, root, tmp / "server.log")
        try:
            tokens = {mode: server.key(f"bench-{mode}", role) for mode, (_, role, _) in MODES.items() if mode in modes}
            server.start()
            results["db_versions"][backend] = db.server_version()
            for mode in modes:
                r = measure(server, db, mode, tokens[mode], bodies, outcomes, concurrency, requests, seconds, warmup,
                            profile_seconds, out_dir)
                r["backend"] = backend
                results["runs"].append(r)
                print(_line(r), flush=True)
        finally:
            server.stop()
            db.close()
    for r in results["runs"]:
        lat = r["latency"]
        r["met"] = {"rate": r["per_s"] >= TARGET_RATE, "p99": bool(lat) and lat["p99_ms"] < TARGET_P99_MS}
    return results


def _line(r: dict[str, Any]) -> str:
    lat = r["latency"]
    return (f"{r.get('backend', '?'):<9} {r['mode']:<10} c={r['concurrency']:<3} {r['ok']:>6} ok in {r['wall_s']:6.1f} s "
            f"= {r['per_s']:7.1f}/s  p50 {lat.get('p50_ms', 0):6.1f}  p95 {lat.get('p95_ms', 0):6.1f}  "
            f"p99 {lat.get('p99_ms', 0):6.1f} ms  errors {r['errors'] or 0}  wrong {r['wrong_outcome']}  "
            f"server {r['server_cpu_ms_per_request']:.2f} CPU-ms/req ({r['server_cores_busy']:.2f} cores), "
            f"client {r['client_cpu_ms_per_request']:.2f} CPU-ms/req ({r['client_cores_busy']:.2f} cores), "
            f"records ok: {r['records_match']}, connections per worker {r.get('connections_per_worker')}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--modes", default="binding,self_check")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--requests", type=int, default=5_000, help="measured requests per run (upper bound)")
    parser.add_argument("--seconds", type=float, default=60.0, help="time limit per measured run")
    parser.add_argument("--warmup", type=int, default=300, help="requests before measuring")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--pool", type=int, default=500, help="distinct applications sent in turn")
    parser.add_argument("--postgres-url", default=os.environ.get("GREENCERT_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    parser.add_argument("--profile-seconds", type=float, default=0.0,
                        help="after each run, an uncounted phase this long with py-spy on the server")
    parser.add_argument("--out-dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if any(b not in ("sqlite", "postgres") for b in backends) or any(m not in MODES for m in modes):
        parser.error("backends: sqlite, postgres; modes: binding, self_check")
    if args.concurrency < 1 or args.requests < 1:
        parser.error("--concurrency and --requests must be positive")
    args.out_dir.mkdir(parents=True, exist_ok=True)  # py-spy writes its profiles there
    r = run(backends, modes, args.concurrency, args.requests, args.seconds, args.warmup, args.workers,
            args.postgres_url, args.pool, args.profile_seconds, args.out_dir)
    if args.json_out:
        args.json_out.write_text(json.dumps(r, indent=2, default=str), encoding="utf-8")
    bad = [x for x in r["runs"] if x["wrong_outcome"] or x["errors"] or not x["records_match"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
