#!/usr/bin/env python3
"""Durability check: start `greencert serve`, submit decisions and certificate writes concurrently, SIGKILL it
mid-load, restart it and verify that every acknowledged decision, certificate and certificate event is there,
intact, exactly once; exit 1 otherwise.

    .venv/bin/python scripts/durability.py --submissions 200 --concurrency 16 --kill-after 80 --certificates 20

Certificates: before the load, one granted evaluation per certificate (and one per restoration) is recorded; the
load then runs, among the decision submissions, one chain per certificate — issue, then suspended, restored,
suspended, restored (`--events`), each with its own Idempotency-Key, one after the other. After the restart every
acknowledged write must be there (the certificate, each event at the sequence it was acknowledged with), replaying
an acknowledged write with its key must give the same answer (200, `Idempotent-Replayed`), and retrying the
unacknowledged ones with their keys must complete every chain with each event exactly once.

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


def _application(i: int | str) -> dict[str, Any]:
    app = copy.deepcopy(APPLICATION)
    app["id"] = f"DUR-{i:06d}" if isinstance(i, int) else f"DUR-{i}"
    app["product"]["name"] = f"durability sample {i}"
    return app


# A certificate's chain after its issue: (kind, day); a restoration rests on the evaluation made on its day.
ISSUE_DAY = "2026-11-02"
_CHAIN = [("suspended", "2026-11-10"), ("restored", "2026-11-20"), ("suspended", "2026-12-01"),
          ("restored", "2026-12-10")]


def _event_day(n: int) -> tuple[str, str]:
    kind, day = _CHAIN[n % len(_CHAIN)]
    return kind, f"{2026 + n // len(_CHAIN)}{day[4:]}"  # a longer chain repeats a year later


def _event_body(n: int, restorations: dict[str, str]) -> dict[str, Any]:
    kind, day = _event_day(n)
    if kind == "suspended":
        return {"kind": kind, "on": day, "reason": f"durability check {n}", "deadline": f"{int(day[:4]) + 1}-01-31"}
    return {"kind": kind, "on": day, "evaluation_id": restorations[day]}


def _restoration_days(events: int) -> list[str]:
    return sorted({day for kind, day in map(_event_day, range(events)) if kind == "restored"})


class _Chain:
    """One certificate's writes: the issue, then its events; what the client was answered for each."""

    def __init__(self, j: int, evaluation: str, events: int):
        self.j, self.evaluation, self.events = j, evaluation, events
        self.number: str | None = None
        self.acked: dict[int, dict[str, Any]] = {}  # write index (0: the issue) -> the answer's body
        self.unacked: list[int] = []

    def key(self, n: int) -> str:
        return f"dur-cert-{self.j}" if n == 0 else f"dur-cert-{self.j}-event-{n}"

    def request(self, n: int, restorations: dict[str, str]) -> tuple[str, dict[str, Any]]:
        if n == 0:
            return "/v1/certificates", {"evaluation_id": self.evaluation, "holder": "durability-holder",
                                        "holder_name": f"Durability Holder {self.j}", "issued_on": ISSUE_DAY}
        assert self.number is not None
        return f"/v1/certificates/{self.number}/events", _event_body(n - 1, restorations)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--kill-after", type=int, default=None,
                        help="SIGKILL once this many submissions are acknowledged (default: 40%%)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--database-url", help="default: an SQLite file in a fresh temporary directory")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (database, server log)")
    parser.add_argument("--certificates", type=int, default=10,
                        help="certificate chains run during the load (0: decisions only)")
    parser.add_argument("--events", type=int, default=4, help="events per certificate after its issue")
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

        # the evaluations the certificates rest on, recorded (and acknowledged) before the load
        prepared: list[str] = []
        restorations: dict[str, str] = {}
        chains: list[_Chain] = []
        with httpx.Client(base_url=server.base, headers=headers, timeout=60) as setup:
            def evaluation(name: str, day: str) -> str:
                r = setup.post(f"/v1/evaluations?as_of={day}", json=_application(name),
                               headers={"Idempotency-Key": f"dur-{name}"})
                if r.status_code != 201 or r.json()["decision"]["outcome"] != "granted":
                    raise ServeError(f"preparing evaluation {name}: {r.status_code} {r.text[:300]}")
                prepared.append(f"DUR-{name}")
                return str(r.json()["id"])
            for day in _restoration_days(args.events if args.certificates else 0):
                restorations[day] = evaluation(f"RESTORE-{day}", day)
            for j in range(args.certificates):
                chains.append(_Chain(j, evaluation(f"CERT-{j:04d}", AS_OF), args.events))

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
                    maybe_kill()
                else:
                    problems.append(f"submission {i}: unexpected {r.status_code} {r.text[:200]}")

        certificate_acks = [0]
        # with certificates, the kill waits for both kinds of writes to be under way (40% of each acknowledged)
        certificate_kill_after = max(1, len(chains) * (args.events + 1) * 2 // 5) if chains else 0

        def maybe_kill() -> None:
            """Called with the lock held, after an acknowledgement."""
            if (not killed.is_set() and len(acknowledged) >= kill_after
                    and certificate_acks[0] >= certificate_kill_after):
                killed.set()
                server.kill()  # mid-load: other requests are in flight right now

        def run_chain(chain: _Chain) -> None:
            """The chain's writes in order; after the first that is not acknowledged, the rest are not sent."""
            for n in range(chain.events + 1):
                if killed.is_set() or (n > 0 and chain.number is None):
                    chain.unacked.extend(range(n, chain.events + 1))
                    return
                path, body = chain.request(n, restorations)
                try:
                    r = httpx.post(f"{server.base}{path}", json=body,
                                   headers={**headers, "Idempotency-Key": chain.key(n)}, timeout=60)
                except httpx.HTTPError:
                    chain.unacked.extend(range(n, chain.events + 1))
                    return
                if r.status_code != 201:
                    with lock:
                        problems.append(f"certificate {chain.j} write {n}: unexpected {r.status_code} {r.text[:200]}")
                    chain.unacked.extend(range(n, chain.events + 1))
                    return
                chain.acked[n] = r.json()
                if n == 0:
                    chain.number = r.json()["number"]
                with lock:
                    certificate_acks[0] += 1
                    maybe_kill()

        # the chains spread among the submissions, so that the kill finds some done, some under way, some not begun
        tasks: list[Any] = [(submit, i) for i in range(args.submissions)]
        for k, chain in enumerate(chains):
            tasks.insert(min(len(tasks), (k * len(tasks)) // max(1, len(chains))), (run_chain, chain))

        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(lambda task: task[0](task[1]), tasks))
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
        expected = sorted([*(f"DUR-{i:06d}" for i in range(args.submissions)), *prepared])
        if sorted(ids) != expected:
            duplicates = len(ids) - len(set(ids))
            problems.append(f"after retries the database holds {len(ids)} records ({duplicates} duplicates) "
                            f"for {args.submissions} submissions")
        # 3. a recorded decision re-runs identically
        for body in list(acknowledged.values())[:3]:
            rep = client.get(f"/v1/evaluations/{body['id']}/reproduction").json()
            if not rep.get("identical"):
                problems.append(f"{body['id']} does not reproduce: {rep.get('differences')}")
        certificate_summary = _check_certificates(client, chains, restorations, problems)
        client.close()
        summary = {"submissions": args.submissions, "concurrency": args.concurrency, "workers": args.workers,
                   "acknowledged": len(acknowledged), "unacknowledged": len(failed),
                   "unacknowledged_but_committed": replayed, "recorded_on_retry": created,
                   "records_after_retry": len(ids) - len(prepared), "load_seconds": round(load_seconds, 2),
                   **certificate_summary, "problems": problems,
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


def _check_certificates(client: httpx.Client, chains: list[_Chain], restorations: dict[str, str],
                        problems: list[str]) -> dict[str, Any]:
    """After the restart: every acknowledged certificate write is there as acknowledged; replaying it answers the
    same; retrying the rest with their keys completes every chain, each event exactly once."""
    acked = sum(len(c.acked) for c in chains)
    unacked = sum(len(c.unacked) for c in chains)
    replay_same = committed_unacked = recorded_on_retry = 0
    for chain in chains:
        where = f"certificate chain {chain.j}"
        # 1. the acknowledged writes are in the log, at the sequence they were acknowledged with
        if chain.number is not None:
            r = client.get(f"/v1/certificates/{chain.number}")
            if r.status_code != 200:
                problems.append(f"{where}: acknowledged certificate {chain.number} is missing: {r.status_code}")
                continue
            log = r.json()["events"]
            for n, body in sorted(chain.acked.items()):
                event = body["events"][0] if n == 0 else body["event"]
                stored = log[event["sequence"] - 1] if event["sequence"] <= len(log) else None
                if stored is None or stored != event:
                    problems.append(f"{where}: acknowledged write {n} ({event['kind']}, #{event['sequence']}) "
                                    f"came back as {stored}")
        # 2. replaying an acknowledged write with its key answers the same, and records nothing
        for n, body in sorted(chain.acked.items()):
            path, request = chain.request(n, restorations)
            r = client.post(path, json=request, headers={"Idempotency-Key": chain.key(n)})
            first = body["number"] if n == 0 else body["event"]
            again = r.json().get("number") if n == 0 else r.json().get("event")
            if r.status_code != 200 or r.headers.get("Idempotent-Replayed") != "true" or again != first:
                problems.append(f"{where}: replaying acknowledged write {n} answered {r.status_code} {r.text[:200]}")
            else:
                replay_same += 1
        # 3. the unacknowledged writes, retried in order with their keys
        for n in chain.unacked:
            path, request = chain.request(n, restorations)
            r = client.post(path, json=request, headers={"Idempotency-Key": chain.key(n)})
            if r.status_code not in (200, 201):
                problems.append(f"{where}: retry of write {n}: {r.status_code} {r.text[:200]}")
                break
            committed_unacked += r.status_code == 200
            recorded_on_retry += r.status_code == 201
            if n == 0:
                chain.number = r.json()["number"]
        # 4. the chain is complete, each event exactly once
        if chain.number is None:
            continue
        log = client.get(f"/v1/certificates/{chain.number}").json()["events"]
        want = ["issued", *(_event_day(n)[0] for n in range(chain.events))]
        got = [e["kind"] for e in log]
        if got != want or [e["sequence"] for e in log] != list(range(1, len(want) + 1)):
            problems.append(f"{where}: {chain.number}'s log is {got}, expected {want}")
    numbers = [c.number for c in chains if c.number is not None]
    total = client.get("/v1/certificates?limit=1").json()["total"] if chains else 0
    if len(set(numbers)) != len(chains) or total != len(chains):
        problems.append(f"{len(chains)} certificate chains made {len(set(numbers))} distinct numbers; the body holds "
                        f"{total} certificates")
    return {"certificates": len(chains), "certificate_writes_acknowledged": acked,
            "certificate_writes_unacknowledged": unacked,
            "certificate_writes_unacknowledged_but_committed": committed_unacked,
            "certificate_writes_recorded_on_retry": recorded_on_retry,
            "certificate_replays_identical": replay_same, "certificates_after_retry": total}


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ServeError as e:
        sys.exit(f"durability: {e}")
