#!/usr/bin/env python3
"""Durability check: start `greencert serve`, submit decisions concurrently, SIGKILL it mid-load, restart it and
verify that every acknowledged decision is there, intact, exactly once; exit 1 otherwise.

    .venv/bin/python scripts/durability.py --submissions 200 --concurrency 16 --kill-after 80

By default the server uses an SQLite file in a fresh temporary directory; `--database-url` points it at another
database (e.g. an empty PostgreSQL schema). The server runs in its own process group, and the whole group
(uvicorn's supervisor and its workers) is killed with SIGKILL: no shutdown handler runs.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import copy
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.examples import APPLICATION  # noqa: E402
from scripts.served import Served, ServeError, greencert  # noqa: E402

AS_OF = "2026-11-01"


def _application(i: int) -> dict[str, Any]:
    app = copy.deepcopy(APPLICATION)
    app["id"] = f"DUR-{i:06d}"
    app["product"]["name"] = f"durability sample {i}"
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--kill-after", type=int, default=None,
                        help="SIGKILL once this many submissions are acknowledged (default: 40%%)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--database-url", help="default: an SQLite file in a fresh temporary directory")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (database, server log)")
    args = parser.parse_args(argv)
    kill_after = args.kill_after if args.kill_after is not None else max(1, args.submissions * 2 // 5)
    if not 0 < kill_after < args.submissions:
        parser.error("--kill-after must be between 1 and --submissions - 1")

    tmp = Path(tempfile.mkdtemp(prefix="greencert-durability-"))
    url = args.database_url or f"sqlite:///{tmp / 'greencert.db'}"
    env = {**os.environ, "GREENCERT_DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    env.pop("GREENCERT_RULES_DIRS", None)
    log = tmp / "server.log"
    server = Served(args.workers, env, log)
    problems: list[str] = []
    try:
        token = json.loads(greencert("keys", "create", "--org", "durability-cb", "--role", "certification_body",
                                "--format", "json", env=env))["token"]
        headers = {"Authorization": f"Bearer {token}"}
        server.start()

        acknowledged: dict[int, dict[str, Any]] = {}  # submission -> the response body the client received
        failed: set[int] = set()
        lock = threading.Lock()
        killed = threading.Event()

        def submit(i: int) -> None:
            if killed.is_set():
                with lock:
                    failed.add(i)
                return
            try:
                r = httpx.post(f"{server.base}/v1/evaluations?as_of={AS_OF}", json=_application(i),
                               headers={**headers, "Idempotency-Key": f"dur-{i}"}, timeout=60)
            except httpx.HTTPError:
                with lock:
                    failed.add(i)
                return
            with lock:
                if r.status_code in (200, 201):
                    acknowledged[i] = r.json()
                    if len(acknowledged) >= kill_after and not killed.is_set():
                        killed.set()
                        server.kill()  # mid-load: other requests are in flight right now
                else:
                    problems.append(f"submission {i}: unexpected {r.status_code} {r.text[:200]}")

        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(submit, range(args.submissions)))
        if not killed.is_set():
            problems.append("the server was never killed (fewer acknowledgements than --kill-after)")
            server.kill()
        load_seconds = time.monotonic() - started

        if url.startswith("sqlite:"):
            import sqlite3
            with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
                check = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                problems.append(f"sqlite integrity check after the kill: {check}")

        server.start()
        client = httpx.Client(base_url=server.base, headers=headers, timeout=60)
        # 1. every acknowledged decision is there, exactly as acknowledged
        for i, body in sorted(acknowledged.items()):
            r = client.get(f"/v1/evaluations/{body['id']}")
            if r.status_code != 200:
                problems.append(f"acknowledged submission {i} ({body['id']}) is missing: {r.status_code}")
                continue
            stored = r.json()
            if stored["decision"] != body["decision"] or stored["application"]["id"] != f"DUR-{i:06d}":
                problems.append(f"acknowledged submission {i} ({body['id']}) came back different")
        # 2. retrying the unacknowledged ones with their Idempotency-Key records each exactly once
        replayed = created = 0
        for i in sorted(failed):
            r = client.post(f"/v1/evaluations?as_of={AS_OF}", json=_application(i),
                            headers={"Idempotency-Key": f"dur-{i}"})
            if r.status_code == 200:
                replayed += 1  # it had been committed before the kill, unacknowledged
            elif r.status_code == 201:
                created += 1
            else:
                problems.append(f"retry of submission {i}: {r.status_code} {r.text[:200]}")
        ids: list[str] = []
        offset = 0
        while True:
            page = client.get(f"/v1/evaluations?limit=200&offset={offset}").json()
            ids += [item["application_id"] for item in page["items"]]
            offset += 200
            if offset >= page["total"]:
                break
        expected = sorted(f"DUR-{i:06d}" for i in range(args.submissions))
        if sorted(ids) != expected:
            duplicates = len(ids) - len(set(ids))
            problems.append(f"after retries the database holds {len(ids)} records ({duplicates} duplicates) "
                            f"for {args.submissions} submissions")
        # 3. a recorded decision re-runs identically
        for body in list(acknowledged.values())[:3]:
            rep = client.get(f"/v1/evaluations/{body['id']}/reproduction").json()
            if not rep.get("identical"):
                problems.append(f"{body['id']} does not reproduce: {rep.get('differences')}")
        client.close()
        summary = {"submissions": args.submissions, "concurrency": args.concurrency, "workers": args.workers,
                   "acknowledged": len(acknowledged), "unacknowledged": len(failed),
                   "unacknowledged_but_committed": replayed, "recorded_on_retry": created,
                   "records_after_retry": len(ids), "load_seconds": round(load_seconds, 2), "problems": problems,
                   "database": url if args.database_url else "sqlite (temporary)"}
        print(json.dumps(summary, indent=2))
    finally:
        server.stop()
        if problems and log.exists():
            print("---- server log (tail) ----", file=sys.stderr)
            print(log.read_text(errors="replace")[-4000:], file=sys.stderr)
        if not args.keep:
            import shutil
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept {tmp}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ServeError as e:
        sys.exit(f"durability: {e}")
