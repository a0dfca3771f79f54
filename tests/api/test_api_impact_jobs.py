"""Edition impact through the API: a job in its own process, polled for progress, results paginated; one active
job per body; a body sees only its own certificates; a what-if overlay changes the counts and nothing else; a job
whose process dies is reported failed."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api import impact_jobs
from api.certificate_tables import CertificateEventRecord, CertificateRecord
from api.db import Database, DecisionRecord
from api.impact import run_impact
from api.keys import create_key
from engine import Repository
from engine.loader import PROJECT_ROOT
from scripts.generate_registry import generate

SEED = 11
DAY = dt.date(2026, 11, 1)  # textiles: GB/T 35611-2024 in force; the generated certificates hold 2017's
EDITION = "GB/T 35611-2024"
PATHS = [PROJECT_ROOT / "catalogs", PROJECT_ROOT / "rules"]
TRIAL = PROJECT_ROOT / "examples" / "overlays" / "textiles" / "illustrative-2024.yaml"


@pytest.fixture(scope="module")
def registry(app: FastAPI, client: TestClient, database_url: str) -> dict[str, dict[str, str]]:
    """60 textiles certificates issued by two bodies; a key of each body (the service's, over HTTP)."""
    assert generate(database_url, 60, seed=SEED, bodies=2, categories=["textiles"]).certificates == 60
    db = app.state.services.db
    return {body: {"Authorization": f"Bearer {create_key(db, body, 'certification_body').token}"}
            for body in (f"body-{SEED}-000", f"body-{SEED}-001")}


def _wait(client: TestClient, location: str, headers: dict[str, str], seconds: float = 180) -> dict[str, Any]:
    """Poll the job until it ends; every answer's progress never goes back and never passes its total."""
    deadline = time.monotonic() + seconds
    done = 0
    while True:
        r = client.get(location, headers=headers)
        assert r.status_code == 200, r.text
        job = r.json()
        p = job["progress"]
        assert p["done"] >= done and (p["total"] is None or p["done"] <= p["total"])
        done = p["done"]
        if job["status"] in ("done", "failed"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.2)


def _pages(client: TestClient, job: dict[str, Any], headers: dict[str, str], limit: int,
           **params: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    offset = 0
    while True:
        r = client.get(job["results"], params={**params, "limit": limit, "offset": offset}, headers=headers)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= limit
        out.extend(page["items"])
        if not page["has_more"]:
            return out
        offset = page["next_offset"]


def _start(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    return client.post("/v1/impact-jobs", json={"category": "textiles", "edition": EDITION,
                                                "as_of": DAY.isoformat(), **body}, headers=headers)


def _rows(database_url: str) -> tuple[int, ...]:
    db = Database(database_url)
    with db.read() as session:
        counts = tuple(session.scalar(select(func.count()).select_from(t)) or 0
                       for t in (CertificateRecord, CertificateEventRecord, DecisionRecord))
    db.dispose()
    return counts


@pytest.fixture
def idle(app: FastAPI, registry: dict[str, dict[str, str]]) -> Iterator[None]:
    """No job of the module's bodies still active after a test (a failed assertion may leave one running)."""
    yield
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with impact_jobs._processes_lock:
            alive = [p for p in impact_jobs._processes.values() if p.is_alive()]
        if not alive:
            return
        time.sleep(0.2)


def test_a_job_reports_what_run_impact_reports_for_the_body_only(
        app: FastAPI, client: TestClient, database_url: str, registry: dict[str, dict[str, str]], idle: None) -> None:
    body, headers = next(iter(registry.items()))
    r = _start(client, headers)
    assert r.status_code == 202, r.text
    location = r.headers["Location"]
    assert location == f"/v1/impact-jobs/{r.json()['id']}" and r.json()["status"] in ("queued", "running")
    early = client.get(f"{location}/results", headers=headers)  # not finished yet: no results, said so
    assert early.status_code in (409, 200)
    if early.status_code == 409:
        assert early.json()["diagnostics"][0]["code"] == "impact_job_not_finished"
    job = _wait(client, location, headers)
    assert job["status"] == "done", job
    db = Database(database_url)
    repo = Repository.load(PATHS)
    expected = run_impact(db, repo, category="textiles", edition=EDITION, as_of=DAY, paths=PATHS, workers=0,
                          organisation=body)
    with db.read() as session:
        issued = set(session.scalars(select(CertificateRecord.number).where(
            CertificateRecord.organisation == body, CertificateRecord.category == "textiles")))
    db.dispose()
    assert job["progress"] == {"done": len(issued), "total": len(issued)}
    assert job["summary"]["counts"] == expected.to_dict()["summary"]["counts"]
    assert job["summary"]["certificates"] == len(expected.items) > 5
    items = _pages(client, job, headers, 7)
    assert [(i["number"], i["verdict"]) for i in items] == [(i.number, i.verdict) for i in expected.items]
    assert {i["number"] for i in items} <= issued  # only this body's certificates
    assert job["conversion_deadlines"] and job["conversion_deadlines"][0]["deadline"] is None  # none invented
    for verdict in ("keep", "lose", "undetermined"):
        assert [i["number"] for i in _pages(client, job, headers, 50, verdict=verdict)] == [
            i["number"] for i in items if i["verdict"] == verdict]
    # the other body sees neither the job nor its results: the same answer as for no job at all
    other = registry[f"body-{SEED}-001"]
    for path in (location, f"{location}/results", "/v1/impact-jobs/00000000-0000-0000-0000-000000000000"):
        r = client.get(path, headers=other)
        assert r.status_code == 404 and r.json()["diagnostics"][0]["code"] == "not_found"


def test_one_active_job_per_body_and_a_bad_edition_is_refused_at_once(
        client: TestClient, registry: dict[str, dict[str, str]], idle: None) -> None:
    headers = registry[f"body-{SEED}-001"]
    bad = _start(client, headers, edition="GB/T 0000-2000")
    assert bad.status_code == 422 and bad.json()["diagnostics"][0]["code"] == "impact_edition_unknown"
    first = _start(client, headers)
    assert first.status_code == 202, first.text
    second = _start(client, headers)
    # the first job takes seconds (a process started, rule sets loaded): the second comes while it is active
    assert second.status_code == 409 and second.json()["diagnostics"][0]["code"] == "impact_job_busy"
    assert second.headers["Retry-After"]
    assert _wait(client, first.headers["Location"], headers)["status"] == "done"
    again = _start(client, headers)  # the bound is released when the job ends
    assert again.status_code == 202, again.text
    assert _wait(client, again.headers["Location"], headers)["status"] == "done"


def test_what_if_changes_the_counts_as_its_values_say_and_nothing_else(
        client: TestClient, database_url: str, registry: dict[str, dict[str, str]], idle: None) -> None:
    headers = registry[f"body-{SEED}-000"]
    overlay = yaml.safe_load(TRIAL.read_text(encoding="utf-8"))
    before = _rows(database_url)
    # the shipped example overlay's values: the generated products conform, so every certificate keeps its label
    kept = _wait(client, _start(client, headers, overlay=overlay).headers["Location"], headers)
    assert kept["status"] == "done" and kept["what_if"] and kept["overlay_id"] == overlay["id"]
    n = kept["summary"]["certificates"]
    assert n > 5 and kept["summary"]["counts"] == {"keep": n, "lose": 0, "undetermined": 0}
    # a trial value the products do not meet: every one of the same certificates would lose, on that criterion
    strict = {**overlay, "criteria": [{**c, "requirement": {"eq": "does_not_conform"}}
                                      if c["id"] == "resource_indicators" else c for c in overlay["criteria"]]}
    lost = _wait(client, _start(client, headers, overlay=strict).headers["Location"], headers)
    assert lost["summary"]["counts"] == {"keep": 0, "lose": n, "undetermined": 0}
    assert lost["summary"]["criteria_causing_losses"] == [{"id": "resource_indicators", "certificates": n}]
    # without the overlay the 2024 edition's criteria have no limits here: undetermined, the limits named
    plain = _wait(client, _start(client, headers).headers["Location"], headers)
    assert plain["summary"]["counts"]["keep"] == 0 and plain["summary"]["certificates"] == n
    assert _rows(database_url) == before  # the registry is only read
    wrong = _start(client, headers, overlay={**overlay, "target": "textiles/GB-T-35611-2017"})
    assert wrong.status_code == 422 and wrong.json()["diagnostics"][0]["code"] == "impact_overlay_target"
    broken = _wait(client, _start(client, headers, overlay={**overlay, "criteria": [{"id": "no_such_criterion",
                   "requirement": {"eq": "conforms"}}]}).headers["Location"], headers)
    assert broken["status"] == "failed" and broken["diagnostics"]  # the overlay's own diagnostics, as data


def test_a_killed_job_is_reported_failed_and_frees_the_body(
        client: TestClient, registry: dict[str, dict[str, str]], idle: None) -> None:
    headers = registry[f"body-{SEED}-000"]
    r = _start(client, headers)
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    with impact_jobs._processes_lock:
        process = impact_jobs._processes[job_id]
    assert process.pid is not None
    os.kill(process.pid, signal.SIGKILL)  # the job's own process, started by this test's request
    process.join(30)
    job = _wait(client, r.headers["Location"], headers, seconds=30)
    assert job["status"] == "failed"
    assert [d["code"] for d in job["diagnostics"]] == ["impact_job_lost"]
    assert "exit code -9" in job["diagnostics"][0]["message"]
    after = _start(client, headers)
    assert after.status_code == 202, after.text
    assert _wait(client, after.headers["Location"], headers)["status"] == "done"


def test_a_silent_job_is_reported_lost_by_any_server(app: FastAPI, client: TestClient,
                                                     registry: dict[str, dict[str, str]], idle: None) -> None:
    """A job whose process runs elsewhere (another server) and fell silent: found by its old heartbeat."""
    from api.db import utcnow
    from api.impact_tables import ImpactJobRecord

    db = app.state.services.db
    body = f"body-{SEED}-001"
    old = utcnow() - dt.timedelta(seconds=impact_jobs.LOST_AFTER_SECONDS + 5)
    key = create_key(db, body, "certification_body")
    with db.write() as session:
        session.add(ImpactJobRecord(id="00000000-0000-0000-0000-0000000000aa", organisation=body, api_key_id=key.id,
                                    category="textiles", edition=EDITION, ruleset_id="textiles/GB-T-35611-2024",
                                    as_of=DAY, status="running", done=3, total=30, active_for=body, created_at=old,
                                    started_at=old, heartbeat_at=old))
    job = client.get("/v1/impact-jobs/00000000-0000-0000-0000-0000000000aa", headers=registry[body]).json()
    assert job["status"] == "failed" and job["diagnostics"][0]["code"] == "impact_job_lost"
    assert job["progress"] == {"done": 3, "total": 30}


def test_the_impact_models_examples_validate() -> None:
    from pydantic import BaseModel

    from api import impact_schemas

    checked = 0
    for name in impact_schemas.__all__:
        model = getattr(impact_schemas, name)
        if isinstance(model, type) and issubclass(model, BaseModel):
            extra = model.model_config.get("json_schema_extra")
            for example in (extra or {}).get("examples", []) if isinstance(extra, dict) else []:
                model.model_validate(example)
                checked += 1
    assert checked == 4
