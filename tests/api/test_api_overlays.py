"""A certification body's overlay (the limits of its licensed copy of a standard) is its own: its organisation
reads and evaluates with it; every other organisation reads and evaluates with the shipped rule set and cannot
fetch the overlaid content; the operator reads it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import Settings, create_app
from api.deps import get_today
from api.examples import APPLICATION
from api.keys import create_key
from engine import DiagnosticError
from tests.support.api_support import TODAY, database_url_for

AS_OF = "2026-11-01"
OVERLAY_ID = "test_cb/coatings_licensed"
# Not a claim about GB/T 35602-2017: a number unlike the shipped one (100 mg/kg), standing in for a licensed
# limit, that the example application (formaldehyde 12 mg/kg) fails.
OVERLAY = f"""format: greencert/overlay@1
id: {OVERLAY_ID}
target: coatings/GB-T-35602-2017
source: illustrative value for the test, not from the standard
criteria:
  - id: formaldehyde
    requirement: {{lte: 10, unit: mg/kg}}
    provenance: {{status: unconfirmed, source: 'illustrative value for the test, not from the standard'}}
"""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database_url_for(request.param, tmp_path) as url:
        yield url


def _overlay_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "overlays"
    directory.mkdir()
    (directory / "licensed.yaml").write_text(OVERLAY, encoding="utf-8")
    return directory


class World:
    """Two certification bodies, each with a manufacturer key too, and the operator."""

    def __init__(self) -> None:
        self.owner, self.other = f"cb-licensed-{uuid.uuid4().hex[:6]}", f"cb-other-{uuid.uuid4().hex[:6]}"
        self.h: dict[str, dict[str, str]] = {}

    def keys(self, app: Any) -> None:
        db = app.state.services.db
        for who, org, role in [("owner", self.owner, "certification_body"), ("owner_m", self.owner, "manufacturer"),
                               ("other", self.other, "certification_body"), ("other_m", self.other, "manufacturer"),
                               ("operator", "service", "operator")]:
            self.h[who] = {"Authorization": f"Bearer {create_key(db, org, role).token}"}


def _client(url: str, **settings: Any) -> tuple[Any, TestClient]:
    app = create_app(Settings(database_url=url, **settings))
    app.dependency_overrides[get_today] = lambda: TODAY
    return app, TestClient(app)


def _formaldehyde(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    r = client.get(f"/v1/categories/coatings/criteria?as_of={AS_OF}", headers=headers)
    assert r.status_code == 200, r.text
    (c,) = [c for c in r.json()["criteria"] if c["id"] == "formaldehyde"]
    return {**c, "version": r.json()["version"]}


def test_an_overlay_is_read_and_used_by_its_organisation_only(database_url: str, tmp_path: Path) -> None:
    world = World()
    app, client = _client(database_url, overlay_dirs=[_overlay_dir(tmp_path)], overlay_organisation=world.owner)
    with client:
        world.keys(app)
        owner, other = _formaldehyde(client, world.h["owner"]), _formaldehyde(client, world.h["other"])
        assert owner["value"] == 10 and owner["requirement"] == "≤ 10 mg/kg"
        assert other["value"] == 100 and other["requirement"] == "≤ 100 mg/kg"  # the shipped rule set
        assert _formaldehyde(client, world.h["owner_m"]) == owner  # the owner's organisation, any of its keys
        assert _formaldehyde(client, world.h["other_m"]) == other
        assert owner["version"] != other["version"]

        # nothing of the overlay shows in what another organisation reads from the catalogue
        for path in ("/v1/categories", "/v1/categories/coatings", "/v1/categories/coatings/editions?all=true",
                     f"/v1/categories/coatings/criteria?as_of={AS_OF}", f"/v1/categories/coatings/labels?as_of={AS_OF}",
                     "/v1/rulesets?all=true"):
            seen = client.get(path, headers=world.h["other"])
            assert seen.status_code == 200
            assert OVERLAY_ID not in seen.text and owner["version"] not in seen.text, path

        listed = {r["ruleset_id"]: r for r in client.get("/v1/rulesets", headers=world.h["owner"]).json()["rulesets"]}
        coatings = listed["coatings/GB-T-35602-2017"]
        assert coatings["overlays"] == [OVERLAY_ID] and coatings["organisation"] == world.owner
        assert coatings["version"] == owner["version"]
        # the operator lists the shipped versions and every organisation's overlaid ones
        operated = client.get("/v1/rulesets", headers=world.h["operator"]).json()["rulesets"]
        assert {(r["version"], r["organisation"]) for r in operated if r["ruleset_id"] == coatings["ruleset_id"]} == {
            (other["version"], None), (owner["version"], world.owner)}

        # each organisation decides with what it reads
        mine = client.post(f"/v1/evaluations?as_of={AS_OF}", json=APPLICATION, headers=world.h["owner"]).json()
        theirs = client.post(f"/v1/evaluations?as_of={AS_OF}", json=APPLICATION, headers=world.h["other"]).json()
        assert (mine["decision"]["outcome"], mine["decision"]["ruleset_version"]) == ("refused", owner["version"])
        assert (theirs["decision"]["outcome"], theirs["decision"]["ruleset_version"]) == ("granted", other["version"])
        assert "10 mg/kg" not in json.dumps(theirs, ensure_ascii=False)
        batch = client.post("/v1/self-checks/batch", json={"items": [{"application": APPLICATION, "as_of": AS_OF}]},
                            headers=world.h["other_m"]).json()
        assert batch["results"][0]["evaluation"]["decision"]["ruleset_version"] == other["version"]

        # the overlaid content: its owner and the operator; to anyone else it does not exist
        path = f"/v1/rulesets/versions/{owner['version']}"
        assert client.get(path, headers=world.h["owner"]).json()["snapshot"]["overlays"] == [OVERLAY_ID]
        assert client.get(path, headers=world.h["operator"]).status_code == 200
        for who in ("other", "other_m"):
            r = client.get(path, headers=world.h[who])
            assert r.status_code == 404 and r.json()["diagnostics"][0]["code"] == "not_found"
        assert client.get(f"/v1/rulesets/versions/{other['version']}", headers=world.h["other"]).status_code == 200

    # the overlay withdrawn from the service: the owner still reads the version its records were made with,
    # and they still reproduce; others still cannot read it
    _app, client = _client(database_url)
    with client:
        assert _formaldehyde(client, world.h["owner"])["value"] == 100
        assert client.get(path, headers=world.h["owner"]).status_code == 200
        assert client.get(path, headers=world.h["other"]).status_code == 404
        rep = client.get(f"/v1/evaluations/{mine['id']}/reproduction", headers=world.h["owner"]).json()
        assert rep["identical"] is True and rep["reproduced"]["outcome"] == "refused"


def test_overlays_without_an_owner_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DiagnosticError) as e:
        create_app(Settings(database_url=f"sqlite:///{tmp_path / 'g.db'}", overlay_dirs=[_overlay_dir(tmp_path)]))
    (d,) = e.value.diagnostics
    assert d.code == "overlay_owner_missing" and "GREENCERT_OVERLAY_ORGANISATION" in (d.hint or "")
