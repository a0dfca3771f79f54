"""A recorded decision re-runs identically with its recorded rule-set version, even after the rules change."""

from __future__ import annotations

import copy
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api import Settings, create_app
from api.db import DecisionRecord, RuleSetSnapshot
from api.deps import get_today
from api.examples import APPLICATION
from api.keys import create_key
from engine import default_rules_dir
from engine.loader import PROJECT_ROOT
from tests.support.api_support import TODAY, Org, database_url_for

AS_OF = "2026-11-01"
COATINGS = Path("coatings") / "GB-T-35602-2017.yaml"


def _changed_rules(tmp: Path) -> Path:
    """A copy of the shipped rules/ in which the coatings formaldehyde limit was edited from 100 to 10 mg/kg.
    The number is not a claim about the standard: it only stands in for "the shipped file changed"."""
    rules = tmp / "rules"
    shutil.copytree(default_rules_dir(), rules)
    path = rules / COATINGS
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    (formaldehyde,) = [c for c in data["criteria"] if c["id"] == "formaldehyde"]
    assert formaldehyde["requirement"]["lte"] == 100
    old = "requirement: {lte: 100, unit: mg/kg}\n    clause: GB/T 35602-2017 评价指标要求 — 甲醛"
    assert text.count(old) == 1
    path.write_text(text.replace(old, old.replace("lte: 100", "lte: 10")), encoding="utf-8")
    return rules


def _without_coatings(tmp: Path) -> Path:
    rules = tmp / "rules-without-coatings"
    shutil.copytree(default_rules_dir(), rules)
    shutil.rmtree(rules / "coatings")
    return rules


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database_url_for(request.param, tmp_path) as url:
        yield url


def _client(database_url: str, rules: Path | None = None) -> tuple[FastAPI, TestClient]:
    settings = Settings(database_url=database_url) if rules is None else Settings(database_url=database_url,
                                                                                   rules_dirs=[rules])
    app = create_app(settings)
    app.dependency_overrides[get_today] = lambda: TODAY
    return app, TestClient(app)


def test_reproduction_after_the_shipped_rules_change(fresh_database_url: str, tmp_path: Path) -> None:
    assert (PROJECT_ROOT / "rules" / COATINGS).exists()
    before_app, before = _client(fresh_database_url)
    with before:
        key = create_key(before_app.state.services.db, f"cb-{uuid.uuid4().hex[:6]}", "certification_body")
        h = {"Authorization": f"Bearer {key.token}"}
        first = before.post(f"/v1/evaluations?as_of={AS_OF}", json=APPLICATION, headers=h)
        assert first.status_code == 201 and first.json()["decision"]["outcome"] == "granted"
        recorded = first.json()

    _after_app, after = _client(fresh_database_url, _changed_rules(tmp_path))
    with after:
        # the service now decides with the changed rules: another version, another outcome
        now = after.post(f"/v1/evaluations?as_of={AS_OF}", json=APPLICATION, headers=h).json()
        assert now["decision"]["ruleset_version"] != recorded["decision"]["ruleset_version"]
        assert now["decision"]["outcome"] == "refused"
        assert now["decision"]["criteria"][1]["verdict"] == "fail"
        # ...and the recorded decision still re-runs identically with the content it was made with
        rep = after.get(f"/v1/evaluations/{recorded['id']}/reproduction", headers=h)
        assert rep.status_code == 200
        assert rep.json()["identical"] is True and rep.json()["differences"] == []
        assert rep.json()["reproduced"] == recorded["decision"] == rep.json()["stored"]
        assert rep.json()["ruleset_version"] == recorded["decision"]["ruleset_version"]
        # the old version's content is still served, from the database
        snap = after.get(f"/v1/rulesets/versions/{recorded['decision']['ruleset_version']}", headers=h).json()
        assert snap["stored_at"] is not None
        assert snap["snapshot"]["ruleset"]["criteria"][1]["requirement"] == {"op": "lte", "value": 100.0,
                                                                             "unit": "mg/kg"}
        # re-evaluating the recorded application uses the rules of now, as a new linked record
        re = after.post(f"/v1/evaluations/{recorded['id']}/re-evaluations?as_of={AS_OF}", headers=h).json()
        assert re["supersedes"] == recorded["id"] and re["decision"]["outcome"] == "refused"
        assert re["decision"]["ruleset_version"] == now["decision"]["ruleset_version"]

    _gone_app, gone = _client(fresh_database_url, _without_coatings(tmp_path))
    with gone:
        # even with the category's rules removed from the service, the record re-runs identically
        assert gone.post(f"/v1/evaluations?as_of={AS_OF}", json=APPLICATION, headers=h).status_code == 422
        rep = gone.get(f"/v1/evaluations/{recorded['id']}/reproduction", headers=h).json()
        assert rep["identical"] is True and rep["reproduced"] == recorded["decision"]
        assert gone.get(f"/v1/evaluations/{re['id']}/reproduction", headers=h).json()["identical"] is True


def test_a_decision_that_does_not_reproduce_is_reported(fresh_database_url: str) -> None:
    app, client = _client(fresh_database_url)
    with client:
        db = app.state.services.db
        key = create_key(db, f"cb-{uuid.uuid4().hex[:6]}", "certification_body")
        org = Org(key.organisation, {"certification_body": key.token}, {"certification_body": key.id})
        h = org.headers("certification_body")
        good = client.post(f"/v1/evaluations?as_of={AS_OF}", json=APPLICATION, headers=h).json()
        # a record whose stored decision is not what its rules give (written past the API, as a forger would)
        forged = copy.deepcopy(good["decision"])
        forged["outcome"] = "refused"
        forged["criteria"][0]["verdict"] = "fail"
        with db.read() as s:
            row = s.get(DecisionRecord, good["id"])
        assert row is not None
        fields = {f: getattr(row, f) for f in DecisionRecord.__table__.columns.keys()}
        fields.update(id=str(uuid.uuid4()), decision=forged, outcome="refused", idempotency_key=None)
        with db.write() as s:
            s.add(DecisionRecord(**fields))
        rep = client.get(f"/v1/evaluations/{fields['id']}/reproduction", headers=h).json()
        assert rep["identical"] is False
        assert rep["differences"] == ["criteria[0].verdict", "outcome"]
        assert rep["reproduced"] == good["decision"]



def _forge(db: Any, record_id: str, **changes: Any) -> str:
    """A copy of record `record_id` with `changes`, written past the API (as an older release, a bug or a forger
    could have left it); returns the new record's id."""
    with db.read() as s:
        row = s.get(DecisionRecord, record_id)
    assert row is not None
    fields = {f: getattr(row, f) for f in DecisionRecord.__table__.columns.keys()}
    fields.update(id=str(uuid.uuid4()), idempotency_key=None, **changes)
    with db.write() as s:
        s.add(DecisionRecord(**fields))
    return str(fields["id"])


def test_a_record_that_can_no_longer_be_re_run_says_why_as_data(fresh_database_url: str) -> None:
    """Reproduction answered 500 whenever the re-run was refused (`reproduced: null` broke its response model)."""
    app, client = _client(fresh_database_url)
    with client:
        db = app.state.services.db
        key = create_key(db, f"cb-{uuid.uuid4().hex[:6]}", "certification_body")
        h = {"Authorization": f"Bearer {key.token}"}
        good = client.post(f"/v1/evaluations?as_of={AS_OF}", json=APPLICATION, headers=h).json()

        # the application as stored is refused today: a measured value stored as null (what a NaN became)
        broken_app = copy.deepcopy(APPLICATION)
        broken_app["evidence"]["test_reports"][0]["results"][0]["value"] = None
        refused_id = _forge(db, good["id"], application=broken_app)
        r = client.get(f"/v1/evaluations/{refused_id}/reproduction", headers=h)
        assert r.status_code == 200, r.text
        rep = r.json()
        assert rep["reproducible"] is False and rep["identical"] is False and rep["reproduced"] is None
        assert rep["stored"] == good["decision"] and rep["differences"] == []
        (d,) = rep["reason"]["diagnostics"]
        assert d["code"] == "application_schema_error" and d["field"] == "evidence.test_reports[0].results[0].value"

        # the stored rule-set content cannot be rebuilt (its hash is not its version: written by another release)
        with db.read() as s:
            snap = s.get(RuleSetSnapshot, good["decision"]["ruleset_version"])
        assert snap is not None
        forged_version = "sha256:" + "0" * 64
        with db.write() as s:
            s.add(RuleSetSnapshot(version=forged_version, ruleset_id=snap.ruleset_id,
                                  snapshot={**snap.snapshot, "version": forged_version}, stored_at=snap.stored_at))
        unreadable_id = _forge(db, good["id"], ruleset_version=forged_version)
        r = client.get(f"/v1/evaluations/{unreadable_id}/reproduction", headers=h)
        assert r.status_code == 200, r.text
        rep = r.json()
        assert rep["reproducible"] is False and rep["reproduced"] is None and rep["ruleset_version"] == forged_version
        (d,) = rep["reason"]["diagnostics"]
        assert d["code"] == "snapshot_unreadable" and f"`{forged_version}`" in d["message"]

        # a record that does re-run says so, with no reason
        rep = client.get(f"/v1/evaluations/{good['id']}/reproduction", headers=h).json()
        assert rep["reproducible"] is True and rep["identical"] is True and rep["reason"] is None
