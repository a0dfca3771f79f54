"""Certificates over the API: issue from a granted evaluation, events (append-only, idempotent, 409 on illegal
moves), status on a date, the public check, the work list, roles — on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api.certificates import CertificateSettings, get_certificate_settings
from api.examples import APPLICATION
from tests.support.api_support import Org, incomplete, refused

CB, M = "certification_body", "manufacturer"
_DATES = ("issued", "date", "valid_until", "signed")


def fresh(years: int) -> dict[str, Any]:
    """The granted example with every date of its evidence `years` later (a surveillance a year on)."""
    app = copy.deepcopy(APPLICATION)

    def shift(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in _DATES and isinstance(value, str):
                    day = dt.date.fromisoformat(value)
                    node[key] = day.replace(year=day.year + years).isoformat()
                else:
                    shift(value)
        elif isinstance(node, list):
            for item in node:
                shift(item)
    shift(app["evidence"])
    return app


def evaluate(client: TestClient, org: Org, app: dict[str, Any], day: str) -> dict[str, Any]:
    r = client.post(f"/v1/evaluations?as_of={day}", json=app, headers=org.headers(CB))
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def issue(client: TestClient, org: Org, evaluation: str, headers: dict[str, str] | None = None, **extra: Any) -> Any:
    return client.post("/v1/certificates", json={"evaluation_id": evaluation, "holder": org.name,
                                                 "holder_name": "Example Coatings Co., Ltd.", **extra},
                       headers=org.headers(CB, **(headers or {})))


def event(client: TestClient, org: Org, number: str, key: str | None = None, **body: Any) -> Any:
    headers = org.headers(CB, **({"Idempotency-Key": key} if key else {}))
    return client.post(f"/v1/certificates/{number}/events", json=body, headers=headers)


def status(client: TestClient, org: Org, number: str, day: str, role: str = CB) -> dict[str, Any]:
    r = client.get(f"/v1/certificates/{number}?as_of={day}", headers=org.headers(role))
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()["status"]
    return result


@pytest.fixture
def granted(client: TestClient, org: Org) -> dict[str, Any]:
    return evaluate(client, org, APPLICATION, "2026-11-01")


def test_issue_and_a_life_read_on_dates(client: TestClient, org: Org, granted: dict[str, Any]) -> None:
    r = issue(client, org, granted["id"], issued_on="2026-11-05")
    assert r.status_code == 201, r.text
    cert = r.json()
    number = cert["number"]
    assert number.startswith("ORG") and number.endswith("-000001")
    assert cert["status"]["state"] == "valid" and cert["status"]["valid_until"] == "2031-11-04"
    assert cert["manufacturer"] == "Example Coatings Co., Ltd." and cert["production_sites"] == ["Foshan plant 1"]
    assert [e["kind"] for e in cert["events"]] == ["issued"] and cert["events"][0]["evaluation_id"] == granted["id"]
    assert cert["events"][0]["ruleset_version"] == granted["decision"]["ruleset_version"]
    assert cert["events"][0]["recorded_by"] == org.key_ids[CB]
    passed = evaluate(client, org, fresh(1), "2027-10-20")
    assert passed["decision"]["outcome"] == "granted"
    assert event(client, org, number, kind="surveillance_recorded", on="2027-11-01",
                 evaluation_id=passed["id"]).status_code == 201
    failed = evaluate(client, org, refused(), "2028-10-20")
    r = event(client, org, number, kind="surveillance_recorded", on="2028-11-01", evaluation_id=failed["id"],
              deadline="2029-02-01")
    assert r.status_code == 201 and r.json()["certificate"]["status"]["state"] == "suspended"
    fixed = evaluate(client, org, fresh(2), "2028-12-20")
    assert event(client, org, number, kind="restored", on="2029-01-05", evaluation_id=fixed["id"]).status_code == 201
    days = {"2026-11-04": "not_issued", "2026-11-05": "valid", "2028-11-01": "suspended", "2029-01-04": "suspended",
            "2029-01-05": "valid", "2031-11-04": "valid", "2031-11-05": "expired"}
    assert {day: status(client, org, number, day)["state"] for day in days} == days
    # the holder's manufacturer reads the same; the public check says the same without the confidential parts
    assert status(client, org, number, "2028-12-01", M)["state"] == "suspended"
    pub = client.get(f"/v1/public/certificates/{number}?as_of=2028-12-01")
    assert pub.status_code == 200 and pub.json()["state"] == "suspended" and pub.json()["valid"] is False
    text_of = pub.text
    for secret in ("evaluation_id", "test_report", "CMA-2026-0415", "reason", "ruleset_version", granted["id"]):
        assert secret not in text_of
    # illegal: surveil an expired certificate, restore a valid one — 409 with the reason
    r = event(client, org, number, kind="surveillance_recorded", on="2031-12-01", evaluation_id=passed["id"])
    assert r.status_code == 409
    assert "cannot surveil a certificate that is expired since 2031-11-05" in r.json()["diagnostics"][0]["message"]


def test_a_refused_or_incomplete_decision_issues_nothing(client: TestClient, org: Org) -> None:
    for app, outcome in ((refused(), "refused"), (incomplete(), "incomplete")):
        ev = evaluate(client, org, app, "2026-11-01")
        r = issue(client, org, ev["id"])
        assert r.status_code == 409, r.text
        (d,) = r.json()["diagnostics"]
        assert d["code"] == "certificate_decision_not_granted" and f"`{outcome}`" in d["message"]
        assert d["field"] == "evaluation_id"
    assert client.get("/v1/certificates", headers=org.headers(CB)).json()["total"] == 0


def test_suspension_deadline_missed_then_revoked(client: TestClient, org: Org, granted: dict[str, Any]) -> None:
    number = issue(client, org, granted["id"]).json()["number"]
    r = event(client, org, number, kind="suspended", on="2027-01-10", reason="complaint verified")
    assert r.status_code == 409 and r.json()["diagnostics"][0]["code"] == "certificate_deadline_required"
    assert event(client, org, number, kind="suspended", on="2027-01-10", reason="complaint verified",
                 deadline="2027-03-10").status_code == 201
    lapsed = status(client, org, number, "2027-03-11")
    assert lapsed["state"] == "suspended" and lapsed["deadline_missed"] is True
    due = client.get("/v1/certificates/due?as_of=2027-03-11", headers=org.headers(CB)).json()
    assert [(i["number"], i["kind"]) for i in due["items"]] == [(number, "suspension_lapsed")]
    assert any("surveillance_interval" in n for n in due["notes"])
    late = evaluate(client, org, fresh(1), "2027-03-11")
    r = event(client, org, number, kind="restored", on="2027-03-11", evaluation_id=late["id"])
    assert r.status_code == 409 and r.json()["diagnostics"][0]["code"] == "certificate_deadline_passed"
    assert event(client, org, number, kind="revoked", on="2027-03-12", reason="deadline missed").status_code == 201
    r = event(client, org, number, kind="restored", on="2027-03-13", evaluation_id=late["id"])
    assert r.status_code == 409 and "revoked since 2027-03-12" in r.json()["diagnostics"][0]["message"]
    assert status(client, org, number, "2027-03-12")["state"] == "revoked"


def test_idempotent_writes(client: TestClient, org: Org, granted: dict[str, Any]) -> None:
    first = issue(client, org, granted["id"], headers={"Idempotency-Key": "issue-1"})
    again = issue(client, org, granted["id"], headers={"Idempotency-Key": "issue-1"})
    assert first.status_code == 201 and again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true" and again.json()["number"] == first.json()["number"]
    number = first.json()["number"]
    body = {"kind": "suspended", "on": "2027-01-10", "reason": "r", "deadline": "2027-02-10"}
    a = event(client, org, number, "ev-1", **body)
    b = event(client, org, number, "ev-1", **body)
    assert (a.status_code, b.status_code) == (201, 200) and a.json()["event"] == b.json()["event"]
    c = event(client, org, number, "ev-1", **{**body, "reason": "other"})
    assert c.status_code == 422 and c.json()["diagnostics"][0]["code"] == "idempotency_key_reused"
    log = client.get(f"/v1/certificates/{number}", headers=org.headers(CB)).json()["events"]
    assert [e["kind"] for e in log] == ["issued", "suspended"]
    # an event resting on no decision records the rule-set version the certificate is under
    assert log[1]["ruleset_version"] == log[0]["ruleset_version"] == granted["decision"]["ruleset_version"]


def test_isolation(client: TestClient, org: Org, other_org: Org, granted: dict[str, Any]) -> None:
    number = issue(client, org, granted["id"]).json()["number"]
    # another body cannot issue from this evaluation, read, or change the certificate; its manufacturer cannot read
    assert issue(client, other_org, granted["id"]).status_code == 404
    assert client.get(f"/v1/certificates/{number}", headers=other_org.headers(CB)).status_code == 404
    assert client.get(f"/v1/certificates/{number}", headers=other_org.headers(M)).status_code == 404
    assert event(client, other_org, number, kind="revoked", reason="x").status_code == 404
    assert client.get("/v1/certificates", headers=other_org.headers(CB)).json()["items"] == []
    assert client.get("/v1/certificates", headers=org.headers(M)).json()["items"][0]["number"] == number
    # a manufacturer reads but does not write
    r = client.post(f"/v1/certificates/{number}/events", json={"kind": "revoked", "reason": "x"},
                    headers=org.headers(M))
    assert r.status_code == 403
    # the public check of no certificate is a 404 with the one error shape
    r = client.get("/v1/public/certificates/NOPE-000001")
    assert r.status_code == 404 and r.json()["diagnostics"][0]["code"] == "not_found"


def test_numbers_are_unique_and_prefixes_owned(client: TestClient, org: Org, other_org: Org,
                                               granted: dict[str, Any]) -> None:
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: issue(client, org, granted["id"], prefix="TST" + org.name[-6:].upper()),
                                range(24)))
    numbers = [a.json()["number"] for a in answers]
    assert all(a.status_code == 201 for a in answers) and len(set(numbers)) == 24
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, 25))
    theirs = evaluate(client, other_org, APPLICATION, "2026-11-01")
    r = issue(client, other_org, theirs["id"], prefix="TST" + org.name[-6:].upper())
    assert r.status_code == 409 and r.json()["diagnostics"][0]["code"] == "certificate_prefix_taken"


def test_concurrent_events_on_one_certificate_are_serialised(client: TestClient, org: Org,
                                                             granted: dict[str, Any]) -> None:
    number = issue(client, org, granted["id"]).json()["number"]
    bodies = [{"kind": "suspended", "on": "2027-01-10", "reason": f"r{i}", "deadline": "2027-02-10"} for i in range(6)]
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda b: event(client, org, number, **b), bodies))
    # exactly one suspension; the others are refused because the certificate is then already suspended
    assert sorted(a.status_code for a in answers) == [201] + [409] * 5
    log = client.get(f"/v1/certificates/{number}", headers=org.headers(CB)).json()["events"]
    assert [e["sequence"] for e in log] == [1, 2]


def test_the_schedule_settings_of_the_body(app: FastAPI, client: TestClient, org: Org,
                                           granted: dict[str, Any]) -> None:
    app.dependency_overrides[get_certificate_settings] = lambda: CertificateSettings(
        surveillance_interval="12 months", suspension_period="3 months")
    try:
        cert = issue(client, org, granted["id"], issued_on="2026-11-05").json()
        schedule = cert["events"][0]["schedule"]
        assert schedule["surveillance_interval"] == {
            "value": 12, "unit": "months", "provenance": "default",
            "source": "set by the certification body (GREENCERT_CERTIFICATE_SURVEILLANCE_INTERVAL)",
            "set_by": "service"}
        assert cert["status"]["surveillance_due"] == "2027-11-05"
        r = event(client, org, cert["number"], kind="suspended", on="2027-01-10", reason="x")
        assert r.status_code == 201 and r.json()["event"]["deadline"] is None
        assert r.json()["certificate"]["status"]["suspension_deadline"] == "2027-04-10"
        due = client.get("/v1/certificates/due?as_of=2027-04-01&within_days=15", headers=org.headers(CB)).json()
        assert [(i["kind"], i["due"]) for i in due["items"]] == [("suspension_lapsing", "2027-04-10")]
    finally:
        del app.dependency_overrides[get_certificate_settings]
    with pytest.raises(ValueError, match="not a period"):
        CertificateSettings(surveillance_interval="a while")


@pytest.mark.parametrize("statement", ["UPDATE certificates SET holder = 'x' WHERE number = :n",
                                       "DELETE FROM certificates WHERE number = :n",
                                       "UPDATE certificate_events SET kind = 'revoked' WHERE certificate_number = :n",
                                       "DELETE FROM certificate_events WHERE certificate_number = :n"])
def test_the_database_refuses_to_change_certificates(app: FastAPI, client: TestClient, org: Org,
                                                     granted: dict[str, Any], statement: str) -> None:
    number = issue(client, org, granted["id"]).json()["number"]
    db = app.state.services.db
    with pytest.raises(DBAPIError, match="append-only"), db.write() as s:
        s.execute(text(statement), {"n": number})
    assert client.get(f"/v1/certificates/{number}", headers=org.headers(CB)).json()["events"][0]["kind"] == "issued"
