#!/usr/bin/env python3
"""Certificates under concurrency: two `greencert serve` servers on one database take issue and event requests at
once (half to each); every number must be unique, every acknowledged event be in the log exactly once, and every
certificate's final state equal a serial replay of its log through the engine's state machine. With `--kill-after N`
one server is SIGKILLed once N requests are acknowledged, restarted, and the unacknowledged requests retried with
their Idempotency-Key: nothing acknowledged may be lost, nothing applied twice. Exit 1 on any problem.

    .venv/bin/python scripts/certificate_cluster.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test \
        --requests 500 --concurrency 32 [--kill-after 200]

Prints a JSON summary (requests, statuses, seconds, problems).
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import datetime as dt
import json
import os
import random
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
from engine.certificates import Event, TransitionRefused, check, status_as_of  # noqa: E402
from scripts.served import Served, ServeError, greencert  # noqa: E402

AS_OF = "2026-11-01"
FAR = dt.date(2030, 1, 1)


def _plan(requests: int, certificates: int, seed: int) -> list[dict[str, Any]]:
    """The requests: a fifth are issues, the rest events on the pre-issued certificates (suspend with a
    deadline, restore with the granted evaluation, revoke), each with its own Idempotency-Key and reason."""
    rng = random.Random(seed)
    plan: list[dict[str, Any]] = []
    for i in range(requests):
        if i % 5 == 0:
            plan.append({"i": i, "what": "issue"})
        else:
            kind = rng.choices(["suspended", "restored", "revoked"], weights=[48, 48, 4])[0]
            plan.append({"i": i, "what": "event", "certificate": rng.randrange(certificates), "kind": kind})
    return plan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--certificates", type=int, default=20, help="certificates the events are spread over")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes per server")
    parser.add_argument("--kill-after", type=int, default=None, help="SIGKILL server A after this many answers")
    parser.add_argument("--database-url", help="default: an SQLite file in a fresh temporary directory")
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="greencert-certificates-"))
    url = args.database_url or f"sqlite:///{tmp / 'greencert.db'}"
    env = {**os.environ, "GREENCERT_DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    env.pop("GREENCERT_RULES_DIRS", None)
    servers = [Served(args.workers, env, tmp / "a.log"), Served(args.workers, env, tmp / "b.log")]
    problems: list[str] = []
    try:
        greencert("migrate", env=env)
        token = json.loads(greencert("keys", "create", "--org", "cluster-cb", "--role", "certification_body",
                                     "--format", "json", env=env))["token"]
        headers = {"Authorization": f"Bearer {token}"}
        for s in servers:
            s.start()
        setup = httpx.Client(base_url=servers[0].base, headers=headers, timeout=60)
        evaluation = setup.post(f"/v1/evaluations?as_of={AS_OF}", json=APPLICATION).json()["id"]
        numbers = []
        for k in range(args.certificates):
            r = setup.post("/v1/certificates", json={"evaluation_id": evaluation, "holder": "cluster-maker",
                                                     "issued_on": AS_OF}, headers={"Idempotency-Key": f"pre-{k}"})
            numbers.append(r.json()["number"])
        setup.close()

        plan = _plan(args.requests, args.certificates, args.seed)
        answers: dict[int, tuple[int, Any]] = {}
        lost: set[int] = set()
        lock = threading.Lock()
        killed = threading.Event()

        def send(item: dict[str, Any], base: str) -> httpx.Response:
            key = {"Idempotency-Key": f"req-{item['i']}"}
            if item["what"] == "issue":
                return httpx.post(f"{base}/v1/certificates", json={"evaluation_id": evaluation, "holder": "cluster-maker",
                                                                   "issued_on": AS_OF}, headers={**headers, **key},
                                  timeout=60)
            body: dict[str, Any] = {"kind": item["kind"], "on": "2026-12-01", "reason": f"req-{item['i']}"}
            if item["kind"] == "suspended":
                body["deadline"] = "2027-06-01"
            elif item["kind"] == "restored":
                body["evaluation_id"] = evaluation
            return httpx.post(f"{base}/v1/certificates/{numbers[item['certificate']]}/events", json=body,
                              headers={**headers, **key}, timeout=60)

        def run(item: dict[str, Any]) -> None:
            server = servers[item["i"] % 2]
            if killed.is_set() and server is servers[0]:
                with lock:
                    lost.add(item["i"])
                return
            try:
                r = send(item, server.base)
            except httpx.HTTPError:
                with lock:
                    lost.add(item["i"])
                return
            with lock:
                answers[item["i"]] = (r.status_code, r.json())
                if args.kill_after is not None and len(answers) >= args.kill_after and not killed.is_set():
                    killed.set()
                    servers[0].kill()

        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(run, plan))
        seconds = time.monotonic() - started
        if killed.is_set():
            servers[0].start()
        # the unanswered ones (the killed server's) are retried with their keys, on the other server
        retried = collections.Counter()
        for i in sorted(lost):
            r = send(plan[i], servers[1].base)
            retried[r.status_code] += 1
            answers[i] = (r.status_code, r.json())

        statuses = collections.Counter(code for code, _ in answers.values())
        for i, (code, body) in sorted(answers.items()):
            if code not in (200, 201, 409):
                problems.append(f"request {i}: unexpected {code} {str(body)[:200]}")
        # 1. numbers: every issue acknowledged got its own number, never reused
        issued = [body["number"] for i, (code, body) in answers.items() if plan[i]["what"] == "issue" and code in
                  (200, 201)]
        if len(set(issued)) != len(issued) or set(issued) & set(numbers):
            problems.append(f"certificate numbers repeat: {len(issued)} issued, {len(set(issued))} distinct")
        seqs = sorted(int(n.rsplit("-", 1)[1]) for n in [*numbers, *issued])
        if seqs != list(range(1, len(seqs) + 1)):
            problems.append(f"the numbers are not 1..{len(seqs)}: {seqs[:5]}…")
        # 2. every certificate's log: acknowledged events exactly once, refused ones absent, a valid serial replay
        from sqlalchemy import create_engine

        client = httpx.Client(base_url=servers[1].base, headers=headers, timeout=60)
        engine = create_engine(url)
        events_seen = 0
        for k, number in enumerate(numbers):
            cert = client.get(f"/v1/certificates/{number}?as_of={FAR}").json()
            log = cert["events"]
            reasons = collections.Counter(e["reason"] for e in log[1:])
            acked = {f"req-{i}" for i, (code, _) in answers.items()
                     if plan[i]["what"] == "event" and plan[i]["certificate"] == k and code in (200, 201)}
            refused = {f"req-{i}" for i, (code, _) in answers.items()
                       if plan[i]["what"] == "event" and plan[i]["certificate"] == k and code == 409}
            if set(reasons) != acked or any(n != 1 for n in reasons.values()):
                problems.append(f"{number}: the log holds {sorted(reasons)} but {sorted(acked)} were acknowledged")
            if set(reasons) & refused:
                problems.append(f"{number}: refused requests are in the log: {sorted(set(reasons) & refused)}")
            if [e["sequence"] for e in log] != list(range(1, len(log) + 1)):
                problems.append(f"{number}: sequence numbers have gaps")
            events_seen += len(log) - 1
            replay = _replay(engine, number)
            if replay is None:
                problems.append(f"{number}: its log does not replay serially")
            elif replay != cert["status"]["state"]:
                problems.append(f"{number}: serial replay says {replay}, the service {cert['status']['state']}")
        client.close()
        engine.dispose()
        summary = {"requests": args.requests, "concurrency": args.concurrency, "servers": 2,
                   "workers_per_server": args.workers, "seconds": round(seconds, 2),
                   "requests_per_second": round(args.requests / seconds, 1) if seconds else None,
                   "statuses": dict(sorted(statuses.items())), "killed": killed.is_set(),
                   "unanswered_then_retried": dict(retried), "certificates_issued": len(issued) + len(numbers),
                   "events_in_logs": events_seen, "problems": problems,
                   "database": "postgresql" if url.startswith("postgresql") else "sqlite"}
        print(json.dumps(summary, indent=2))
    finally:
        for s in servers:
            s.stop()
        if problems:
            for name in ("a.log", "b.log"):
                if (tmp / name).exists():
                    print(f"---- {name} (tail) ----\n" + (tmp / name).read_text(errors="replace")[-3000:],
                          file=sys.stderr)
    return 1 if problems else 0


def _replay(engine: Any, number: str) -> str | None:
    """The state on FAR of the stored log replayed event by event through `check`, as one writer alone would
    have made it; None if some event would have been refused."""
    from sqlalchemy import text

    with engine.connect() as conn:
        rows = conn.execute(text("SELECT event FROM certificate_events WHERE certificate_number = :n "
                                 "ORDER BY sequence"), {"n": number}).all()
    events: list[Event] = []
    for (data,) in rows:
        event = Event.from_dict(json.loads(data) if isinstance(data, str) else data)
        try:
            check(events, event)
        except TransitionRefused:
            return None
        events.append(event)
    return status_as_of(events, FAR).state


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ServeError as e:
        sys.exit(f"certificate_cluster: {e}")
