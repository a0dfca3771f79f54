"""The public read model (api.read_model) equals the replay of the log: over random event histories, on a
generated registry, and after each event appended through the service (read by another app on the same database)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from api import Settings, create_app
from api import registry as reg
from api.certificate_tables import CertificateEventRecord, CertificatePublicState, CertificateRecord
from api.db import Database
from api.deps import get_today
from api.examples import APPLICATION
from api.read_model import CERTIFICATE_FIELDS, public_fields, rebuild, rows_for
from engine.certificates import (
    EVENT_KINDS,
    DecisionFacts,
    Event,
    LabelFacts,
    Period,
    Schedule,
    TransitionRefused,
    check,
    status_as_of,
)
from engine.loader import PROJECT_ROOT
from tests.support.api_support import Org, database_url_for

D = dt.date
CERT = {"number": "T-000001", "organisation": "body", "holder_name": "Holder Co.", "manufacturer": "Maker Co.",
        "production_sites": ["plant 1"], "category": "coatings", "region": "浙江"}
LABELS = (LabelFacts("green_product", "full", "绿色产品", "green product"),
          LabelFacts("energy", "partial", "绿色产品（分项：能源属性）", "green product (energy)", "energy"))


def _decision(rng: random.Random, on: dt.date, ident: str) -> DecisionFacts:
    outcome = rng.choice(("granted", "granted", "granted", "refused", "incomplete"))
    ruleset = rng.choice(("coatings/GB-T-35602-2017", "coatings/GB-T-35602-2024"))
    labels = (LABELS[rng.randrange(2)],) if outcome == "granted" else ()
    return DecisionFacts(ident, outcome, True, "coatings", ruleset, "v" + ident, "GB/T 35602",
                         rng.choice(("LW-1", "LW-2", "LW-3")), rng.choice(("wall", "floor", None)), on, labels,
                         ("formaldehyde",) if outcome == "incomplete" else ())


def random_log(seed: int) -> list[Event]:
    """A history the service would accept: random moves, each kept only if `check` allows it after the log."""
    rng = random.Random(seed)
    start = D(2026, 1, 1) + dt.timedelta(days=rng.randrange(300))
    validity = Period(rng.choice((1, 2, 5)), "years", "default")
    schedule = Schedule(validity=validity, suspension_period=rng.choice((Period(3, "months", "default"), None)),
                        surveillance_interval=Period(12, "months", "default"))
    first = DecisionFacts("d0", "granted", True, "coatings", "coatings/GB-T-35602-2017", "vd0", "GB/T 35602", "LW-1",
                          "wall", start, LABELS[:rng.randrange(1, 3)])
    log = [Event("issued", start, decision=first, schedule=schedule)]
    check([], log[0])
    for i in range(rng.randrange(1, 13)):
        on = log[-1].on + dt.timedelta(days=rng.choice((0, 1, rng.randrange(400))))
        kind = rng.choice([k for k in EVENT_KINDS if k != "issued"])
        deadline = on + dt.timedelta(days=rng.randrange(10, 120)) if rng.random() < 0.7 else None
        models: tuple[str, ...] = tuple(rng.sample(("LW-1", "LW-2"), rng.randrange(2)))
        units: tuple[str, ...] = ()
        facts = status_as_of(log, on).facts
        if kind == "scope_reduced" and facts is not None and rng.random() < 0.8:  # mostly what it covers
            models = (rng.choice(facts.models),)
            units = (rng.choice(facts.units),) if facts.units and rng.random() < 0.5 else ()
        event = Event(kind, on, "why", _decision(rng, on, f"d{i + 1}") if rng.random() < 0.8 else None, deadline,
                      models, units)
        try:
            check(log, event)
        except TransitionRefused:
            continue
        log.append(event)
    return log


def _read(rows: list[dict[str, Any]], day: dt.date) -> dict[str, Any] | None:
    found = [r for r in rows if r["from_on"] <= day and (r["until_on"] is None or day < r["until_on"])]
    assert len(found) <= 1, f"intervals overlap on {day}"
    return orjson.loads(reg.with_day(found[0]["body"], day)) if found else None


def _replayed(log: list[Event], day: dt.date) -> dict[str, Any]:
    return public_fields(CERT, status_as_of(log, day))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=10**9))
def test_read_model_equals_replay_of_random_histories(seed: int) -> None:
    log = random_log(seed)
    rows = rows_for(CERT, log)
    breakpoints = {e.on for e in log} | {r["from_on"] for r in rows} | {r["until_on"] for r in rows if r["until_on"]}
    days = {log[0].on - dt.timedelta(days=1)} | {d + dt.timedelta(days=k) for d in breakpoints for k in (-1, 0, 1)}
    days |= {log[0].on + dt.timedelta(days=k) for k in range(0, 3000, 37)}
    for day in sorted(days):
        got = _read(rows, day)
        if day < log[0].on:
            assert got is None
            continue
        assert got == _replayed(log, day), (day, [(e.kind, e.on) for e in log])


def test_the_histories_are_varied() -> None:
    """The generator above reaches the states and moves that change the public view (else the property is weak)."""
    kinds: set[str] = set()
    states: set[str] = set()
    for seed in range(300):
        log = random_log(seed)
        kinds |= {e.kind for e in log}
        states |= {status_as_of(log, e.on).state for e in log}
        states.add(status_as_of(log, log[-1].on + dt.timedelta(days=2000)).state)
    assert {"surveillance_recorded", "suspended", "restored", "revoked", "cancelled", "scope_extended",
            "scope_reduced", "converted"} <= kinds
    assert {"valid", "suspended", "revoked", "cancelled", "expired"} <= states


def test_a_wrong_interval_is_caught() -> None:
    """The comparison above fails on a read model that misses the expiry (a row kept open past `expires_on`)."""
    log = random_log(3)
    rows = rows_for(CERT, log)
    stale = [dict(r) for r in rows]
    stale[-1]["until_on"] = None
    if len(stale) > 1 and stale[-1]["state"] == "expired":
        stale.pop()
        stale[-1]["until_on"] = None
        end = rows[-1]["from_on"]
        assert _read(stale, end) != _replayed(log, end)
    else:  # the seed's history ends otherwise: build one that expires
        granted = DecisionFacts("x", "granted", True, "coatings", "coatings/GB-T-35602-2017", "vx", "GB/T 35602",
                                "LW-1", "wall", D(2026, 1, 1), LABELS[:1])
        expiring = [Event("issued", D(2026, 1, 1), decision=granted,
                          schedule=Schedule(validity=Period(1, "years", "default")))]
        rows = rows_for(CERT, expiring)
        assert [r["state"] for r in rows] == ["valid", "expired"]
        wrong = [dict(rows[0], until_on=None)]
        assert _read(wrong, D(2027, 1, 1)) != _replayed(expiring, D(2027, 1, 1))


# ---------------------------------------------------------------------------------------------- a registry

@pytest.fixture(scope="module")
def generated(database_url: str) -> str:
    from scripts.generate_registry import generate

    generate(database_url, 120, seed=7, bodies=4)
    return database_url


def test_generated_registry_read_model_equals_its_logs(generated: str) -> None:
    db = Database(generated)
    with db.read() as session:
        stored = {(s.certificate_number, s.from_on): (s.until_on, s.body) for s in
                  session.scalars(select(CertificatePublicState))}
        certs = {c.number: c for c in session.scalars(select(CertificateRecord).where(
            CertificateRecord.number.like("G7B%")))}
        logs: dict[str, list[Event]] = {n: [] for n in certs}
        for e in session.scalars(select(CertificateEventRecord).where(
                CertificateEventRecord.certificate_number.in_(list(certs))).order_by(
                CertificateEventRecord.certificate_number, CertificateEventRecord.sequence)):
            logs[e.certificate_number].append(Event.from_dict(e.event))
    assert len(certs) == 120
    rng = random.Random(5)
    for number, cert in certs.items():
        columns = {k: getattr(cert, k) for k in CERTIFICATE_FIELDS}
        log = logs[number]
        for day in [log[0].on - dt.timedelta(days=1), *(e.on for e in log),
                    *(log[0].on + dt.timedelta(days=rng.randrange(2500)) for _ in range(5))]:
            body = reg.public_body(db, number, day)
            if day < log[0].on:
                assert body is None
            else:
                assert body is not None and orjson.loads(body) == public_fields(columns, status_as_of(log, day))
    # what the generator wrote is what a rebuild from the logs writes
    with db.engine.begin() as conn:
        rebuild(conn, numbers=list(certs))
    with db.read() as session:
        again = {(s.certificate_number, s.from_on): (s.until_on, s.body) for s in
                 session.scalars(select(CertificatePublicState))}
    assert again == stored
    db.dispose()


# ---------------------------------------------------------------------------------------------- through the service

def test_the_next_read_sees_an_appended_event_in_another_app(app: FastAPI, client: TestClient, org: Org,
                                                             settings: Settings) -> None:
    """Two apps on one database (as two server processes): each event appended through one is read at once
    through the other's public check and registry page."""
    r = client.post("/v1/evaluations?as_of=2026-11-01", json=APPLICATION, headers=org.headers("certification_body"))
    assert r.status_code == 201, r.text
    r = client.post("/v1/certificates", json={"evaluation_id": r.json()["id"], "holder": org.name,
                                              "issued_on": "2026-11-05", "region": "read-model-test"},
                    headers=org.headers("certification_body"))
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    other = create_app(settings)
    other.dependency_overrides[get_today] = lambda: D(2026, 11, 1)
    with TestClient(other) as reader:
        def public(day: str) -> dict[str, Any]:
            got = reader.get(f"/v1/public/certificates/{number}?as_of={day}")
            assert got.status_code == 200, got.text
            body: dict[str, Any] = got.json()
            return body

        def listed(day: str) -> list[str]:
            got = reader.get(f"/v1/public/registry?as_of={day}&region=read-model-test")
            assert got.status_code == 200, got.text
            return [item["number"] for item in got.json()["items"]]

        assert public("2027-01-10")["state"] == "valid" and listed("2027-01-10") == [number]
        assert public("2026-11-04")["state"] == "not_issued"  # before the first event: derived from the log
        for kind, on, state in (("suspended", "2027-01-10", "suspended"), ("restored", "2027-02-01", "valid"),
                                ("revoked", "2027-03-01", "revoked")):
            body: dict[str, Any] = {"kind": kind, "on": on, "reason": "test"}
            if kind == "suspended":
                body["deadline"] = "2027-04-10"
            if kind == "restored":
                ev = client.post("/v1/evaluations?as_of=2027-01-20", json=APPLICATION,
                                 headers=org.headers("certification_body"))
                body["evaluation_id"] = ev.json()["id"]
            r = client.post(f"/v1/certificates/{number}/events", json=body, headers=org.headers("certification_body"))
            assert r.status_code == 201, r.text
            assert public(on)["state"] == state
            assert listed(on) == ([number] if state == "valid" else [])
        assert public("2027-01-09")["state"] == "valid"  # the days before keep their state
        assert public("2027-01-15")["state"] == "suspended"
        assert public("2027-02-15")["state"] == "valid"


def test_the_short_path_answers_as_the_route(app: FastAPI, client: TestClient, org: Org) -> None:
    """api.public_reads answers what the route would, and leaves to the route what it cannot answer the same."""
    from api import certificates as certs
    from api.db import Database as Db

    r = client.post("/v1/evaluations?as_of=2026-11-01", json=APPLICATION, headers=org.headers("certification_body"))
    r = client.post("/v1/certificates", json={"evaluation_id": r.json()["id"], "holder": org.name,
                                              "issued_on": "2026-11-05"}, headers=org.headers("certification_body"))
    number = r.json()["number"]
    db: Db = app.state.services.db
    for query in ("?as_of=2026-12-01", "", "?as_of=2040-01-01"):
        got = client.get(f"/v1/public/certificates/{number}{query}")
        day = dt.date.fromisoformat(query[7:]) if query else D(2026, 11, 1)  # the tests' clock (api_support.TODAY)
        want = certs.public_view(certs.get_certificate(db, None, number), day)
        assert got.status_code == 200 and got.headers["content-type"] == "application/json"
        assert got.json() == orjson.loads(orjson.dumps(want))
        assert registry_hit(db, number, day) == (day >= D(2026, 11, 5))
    # the route's own answers: refusals and what the read model does not hold
    assert client.get(f"/v1/public/certificates/{number}?as_of=2026-13-01").status_code == 422
    assert client.get(f"/v1/public/certificates/{number}?as_of=2026-12-01&x=1").status_code == 200
    assert client.get("/v1/public/certificates/NOPE-1?as_of=2026-12-01").status_code == 404
    assert client.get(f"/v1/public/certificates/{number}%00?as_of=2026-12-01").status_code == 422
    assert client.get(f"/v1/public/certificates/{'A' * 61}").status_code == 422


def registry_hit(db: Database, number: str, day: dt.date) -> bool:
    return reg.public_body(db, number, day) is not None


def test_two_server_processes_read_each_event_at_once(backend: str, tmp_path: Path) -> None:
    """Two `greencert serve` processes on one database: each event appended through one is answered at once by
    the other's public check (its short path: the read model) and registry page."""
    import os

    import httpx

    from api.db import Database as Db
    from api.keys import create_key
    from api.migrate import upgrade
    from scripts.served import Served

    with database_url_for(backend, tmp_path) as url:
        db = Db(url)
        upgrade(db.engine)
        token = create_key(db, "two-servers", "certification_body", "test").token
        db.dispose()
        env = {**os.environ, "GREENCERT_DATABASE_URL": url, "GREENCERT_RATE_LIMIT": "0",
               "GREENCERT_PURE_PYTHON": "1", "PYTHONPATH": str(PROJECT_ROOT)}
        writer, reader = Served(1, env, tmp_path / "a.log"), Served(1, env, tmp_path / "b.log")
        writer.start()
        reader.start()
        try:
            auth = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=writer.base, headers=auth, timeout=60) as w, \
                    httpx.Client(base_url=reader.base, timeout=60) as r:
                ev = w.post("/v1/evaluations?as_of=2026-11-01", json=APPLICATION)
                assert ev.status_code == 201, ev.text
                cert = w.post("/v1/certificates", json={"evaluation_id": ev.json()["id"], "holder": "two-servers",
                                                        "issued_on": "2026-11-05", "region": "two-servers"})
                assert cert.status_code == 201, cert.text
                number = cert.json()["number"]

                def state(day: str) -> str:
                    got = r.get(f"/v1/public/certificates/{number}?as_of={day}")
                    assert got.status_code == 200, got.text
                    value: str = got.json()["state"]
                    return value

                assert state("2027-01-10") == "valid"
                for kind, on, want in (("suspended", "2027-01-10", "suspended"), ("cancelled", "2027-02-01",
                                                                                   "cancelled")):
                    body = {"kind": kind, "on": on, "reason": "test", **({"deadline": "2027-04-10"}
                                                                           if kind == "suspended" else {})}
                    done = w.post(f"/v1/certificates/{number}/events", json=body)
                    assert done.status_code == 201, done.text
                    assert state(on) == want  # the very next read, in the other process
                    page = r.get(f"/v1/public/registry?as_of={on}&region=two-servers").json()
                    assert page["items"] == []
                assert state("2027-01-09") == "valid"
        finally:
            writer.stop()
            reader.stop()
