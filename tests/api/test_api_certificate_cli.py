"""`greencert certificates issue|event|show|list|due`: the same certificate life from the shell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api import Settings, create_app
from api.examples import APPLICATION
from engine.cli import main
from tests.support.api_support import database_url_for, refused


def test_a_certificate_from_the_shell(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    with database_url_for("sqlite", tmp_path) as url:
        assert main(["keys", "create", "--org", "CQC", "--role", "certification_body", "--database-url", url,
                     "--format", "json"]) == 0
        token = json.loads(capsys.readouterr().out)["token"]
        with TestClient(create_app(Settings(database_url=url))) as client:
            h = {"Authorization": f"Bearer {token}"}
            granted = client.post("/v1/evaluations?as_of=2026-11-01", json=APPLICATION, headers=h).json()["id"]
            refusal = client.post("/v1/evaluations?as_of=2026-11-01", json=refused(), headers=h).json()["id"]
        base = ["--database-url", url, "--key", token]
        assert main(["certificates", "issue", refusal, "--holder", "acme", *base]) == 1
        assert "certificate_decision_not_granted" in capsys.readouterr().err
        assert main(["certificates", "issue", granted, "--holder", "acme", "--on", "2026-11-05", *base,
                     "--format", "json"]) == 0
        number = json.loads(capsys.readouterr().out)["number"]
        assert number == "CQC-000001"
        monkeypatch.setenv("GREENCERT_API_KEY", token)
        assert main(["certificates", "event", number, "suspended", "--on", "2027-01-10", "--reason", "complaint",
                     "--deadline", "2027-03-10", "--database-url", url]) == 0
        assert "recorded #2 suspended" in capsys.readouterr().out
        assert main(["certificates", "event", number, "restored", "--on", "2027-04-01", "--database-url", url]) == 1
        assert "certificate_deadline_passed" in capsys.readouterr().err
        assert main(["certificates", "due", "--as-of", "2027-03-11", "--database-url", url]) == 0
        out = capsys.readouterr().out
        assert f"suspension_lapsed    {number}" in out and "surveillance_interval" in out
        assert main(["certificates", "show", number, "--as-of", "2027-02-01", "--database-url", url]) == 0
        out = capsys.readouterr().out
        assert f"{number}: suspended on 2027-02-01" in out and "#2 2027-01-10 suspended: complaint" in out
        monkeypatch.delenv("GREENCERT_API_KEY")
        assert main(["certificates", "show", number, "--public", "--as-of", "2026-12-01", "--database-url", url]) == 0
        assert capsys.readouterr().out.startswith(f"{number}: valid on 2026-12-01")
        assert main(["certificates", "list", "--database-url", url]) == 2
        assert "unauthenticated" in capsys.readouterr().err


def test_the_overlay_schedule_from_the_shell(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    overlays = tmp_path / "overlays"
    overlays.mkdir()
    # not a claim about any rule: a period standing in for a certification body's own procedure
    (overlays / "schedule.yaml").write_text(
        "format: greencert/overlay@1\nid: cqc/coatings_schedule\ntarget: coatings/GB-T-35602-2017\n"
        "source: illustrative value for the test, not from any rule\n"
        "certificate:\n  surveillance_interval: {value: 12, unit: months, provenance: {status: default}}\n",
        encoding="utf-8")
    monkeypatch.setenv("GREENCERT_OVERLAY_DIRS", str(overlays))
    monkeypatch.setenv("GREENCERT_OVERLAY_ORGANISATION", "CQC")
    with database_url_for("sqlite", tmp_path) as url:
        assert main(["keys", "create", "--org", "CQC", "--role", "certification_body", "--database-url", url,
                     "--format", "json"]) == 0
        token = json.loads(capsys.readouterr().out)["token"]
        settings = Settings(database_url=url, overlay_dirs=[overlays], overlay_organisation="CQC")
        with TestClient(create_app(settings)) as client:
            h = {"Authorization": f"Bearer {token}"}
            granted = client.post("/v1/evaluations?as_of=2026-11-01", json=APPLICATION, headers=h).json()["id"]
        base = ["--database-url", url, "--key", token]
        assert main(["certificates", "issue", granted, "--holder", "acme", "--on", "2026-11-05", *base,
                     "--format", "json"]) == 0
        issued = json.loads(capsys.readouterr().out)
        assert issued["events"][0]["schedule"]["surveillance_interval"]["overlay"] == "cqc/coatings_schedule"
        assert main(["certificates", "due", "--as-of", "2027-10-20", *base]) == 0
        out = capsys.readouterr().out
        assert f"2027-11-05  surveillance_due     {issued['number']}" in out
        assert ("schedule of `coatings/GB-T-35602-2017`: validity 5 years (secondary, catalogue); "
                "surveillance_interval 12 months (default, overlay `cqc/coatings_schedule`)") in out
        assert main(["certificates", "due", "--as-of", "2027-11-06", "--within-days", "0", *base,
                     "--format", "json"]) == 0
        answer = json.loads(capsys.readouterr().out)
        assert [(i["kind"], i["due"]) for i in answer["items"]] == [("surveillance_overdue", "2027-11-05")]
        assert answer["schedules"]["coatings/GB-T-35602-2017"]["surveillance_interval"]["set_by"] == "overlay"
