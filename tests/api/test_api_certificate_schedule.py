"""The certificate schedule an overlay sets, over the API: recorded with who set it in the `issued` event, used
for the suspension deadline and the work list, the body's own (another organisation of the same service keeps the
shipped schedule and sees nothing of the overlay), on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import Settings, create_app
from api.certificates import CertificateSettings, get_certificate_settings
from api.deps import get_today
from api.examples import APPLICATION
from api.keys import create_key
from tests.support.api_support import TODAY, database_url_for

TARGET = "coatings/GB-T-35602-2017"
OVERLAY_ID = "test_cb/coatings_schedule"
SOURCE = "illustrative value for the test, not from any rule"
# Not a claim about any rule: periods standing in for a certification body's own procedure.
OVERLAY = f"""format: greencert/overlay@1
id: {OVERLAY_ID}
target: {TARGET}
source: {SOURCE}
certificate:
  surveillance_interval: {{value: 12, unit: months, provenance: {{status: default}}}}
  suspension_period: {{value: 90, unit: days, provenance: {{status: default, source: 'test procedure §5'}}}}
"""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database_url_for(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[tuple[Any, TestClient, dict[str, dict[str, str]]]]:
    directory = tmp_path / "overlays"
    directory.mkdir()
    (directory / "schedule.yaml").write_text(OVERLAY, encoding="utf-8")
    owner, other = f"cb-own-{uuid.uuid4().hex[:6]}", f"cb-other-{uuid.uuid4().hex[:6]}"
    app = create_app(Settings(database_url=database_url, overlay_dirs=[directory], overlay_organisation=owner))
    app.dependency_overrides[get_today] = lambda: TODAY
    with TestClient(app) as client:  # the tables are made when the app starts
        db = app.state.services.db
        headers = {who: {"Authorization": f"Bearer {create_key(db, org, 'certification_body').token}"}
                   for who, org in (("owner", owner), ("other", other))}
        yield app, client, headers


def _issue(client: TestClient, headers: dict[str, str], on: str = "2026-11-05") -> dict[str, Any]:
    r = client.post("/v1/evaluations?as_of=2026-11-01", json=APPLICATION, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["decision"]["ruleset_id"] == TARGET
    r = client.post("/v1/certificates", json={"evaluation_id": r.json()["id"], "holder": "acme",
                                              "holder_name": "Acme Coatings Co., Ltd.", "issued_on": on},
                    headers=headers)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def test_the_overlay_schedule_is_recorded_and_used(world: tuple[Any, TestClient, dict[str, dict[str, str]]]) -> None:
    _app, client, h = world
    cert = _issue(client, h["owner"])
    schedule = cert["events"][0]["schedule"]
    assert schedule["surveillance_interval"] == {"value": 12, "unit": "months", "provenance": "default",
                                                 "source": SOURCE, "set_by": "overlay", "overlay": OVERLAY_ID}
    assert schedule["suspension_period"]["source"] == "test procedure §5"
    assert schedule["validity"]["set_by"] == "catalogue" and schedule["validity"]["provenance"] == "secondary"
    assert schedule["renewal_window"] is None and schedule["transition"] is None
    assert cert["status"]["surveillance_due"] == "2027-11-05"
    # a suspension without a deadline takes the overlay's period
    r = client.post(f"/v1/certificates/{cert['number']}/events",
                    json={"kind": "suspended", "on": "2027-01-10", "reason": "a verified complaint"},
                    headers=h["owner"])
    assert r.status_code == 201, r.text
    assert r.json()["certificate"]["status"]["suspension_deadline"] == "2027-04-10"
    due = client.get("/v1/certificates/due?as_of=2027-04-01&within_days=15", headers=h["owner"]).json()
    assert [(i["number"], i["kind"], i["due"]) for i in due["items"]] == [
        (cert["number"], "suspension_lapsing", "2027-04-10")]
    assert due["schedules"][TARGET]["surveillance_interval"]["overlay"] == OVERLAY_ID
    assert due["schedule"]["surveillance_interval"] is None  # the body's general schedule does not set it
    [note] = [n for n in due["notes"] if n.startswith("`surveillance_interval`")]
    assert f"set for `{TARGET}`" in note
    # surveillance due a year after the issue, then overdue
    cert2 = _issue(client, h["owner"], "2026-11-06")
    due = client.get("/v1/certificates/due?as_of=2027-10-20&within_days=30", headers=h["owner"]).json()
    assert (cert2["number"], "surveillance_due", "2027-11-06") in [(i["number"], i["kind"], i["due"])
                                                                    for i in due["items"]]
    due = client.get("/v1/certificates/due?as_of=2027-11-07&within_days=0", headers=h["owner"]).json()
    assert (cert2["number"], "surveillance_overdue") in [(i["number"], i["kind"]) for i in due["items"]]


def test_another_organisation_keeps_the_shipped_schedule(world: tuple[Any, TestClient, dict[str, dict[str, str]]]
                                                         ) -> None:
    _app, client, h = world
    cert = _issue(client, h["other"])
    schedule = cert["events"][0]["schedule"]
    assert schedule["surveillance_interval"] is None and schedule["suspension_period"] is None
    assert OVERLAY_ID not in str(cert)
    r = client.post(f"/v1/certificates/{cert['number']}/events",
                    json={"kind": "suspended", "on": "2027-01-10", "reason": "a verified complaint"},
                    headers=h["other"])
    assert r.status_code == 409 and r.json()["diagnostics"][0]["code"] == "certificate_deadline_required"
    due = client.get("/v1/certificates/due?as_of=2027-04-01", headers=h["other"]).json()
    assert due["schedules"] == {} and OVERLAY_ID not in str(due)


def test_the_overlay_beats_the_service_setting_for_its_rule_set(
        world: tuple[Any, TestClient, dict[str, dict[str, str]]]) -> None:
    app, client, h = world
    app.dependency_overrides[get_certificate_settings] = lambda: CertificateSettings(
        surveillance_interval="6 months", renewal_window="6 months")
    try:
        owner = _issue(client, h["owner"])["events"][0]["schedule"]
        other = _issue(client, h["other"])["events"][0]["schedule"]
    finally:
        del app.dependency_overrides[get_certificate_settings]
    assert (owner["surveillance_interval"]["value"], owner["surveillance_interval"]["set_by"]) == (12, "overlay")
    assert (owner["renewal_window"]["value"], owner["renewal_window"]["set_by"]) == (6, "service")
    assert (other["surveillance_interval"]["value"], other["surveillance_interval"]["set_by"]) == (6, "service")
