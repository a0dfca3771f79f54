"""Access: every endpoint × every role (and no key, a revoked key, a made-up key); cross-organisation reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from api_support import Org
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.db import ROLES
from api.examples import APPLICATION
from api.keys import create_key, revoke_key

AS_OF = "2026-11-01"
ALL = frozenset(ROLES)
PUBLIC = None  # no key needed
CB, M, RA, ADMIN = "certification_body", "manufacturer", "rule_author", "administrator"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {evaluation}, {self_check}, {key}, {version} are filled per test
    allowed: frozenset[str] | None
    body: str | None = None  # application | batch | rule_file | key
    ok: int = 200


ENDPOINTS = [
    Endpoint("GET", "/v1/categories", ALL),
    Endpoint("GET", "/v1/categories/coatings", ALL),
    Endpoint("GET", "/v1/categories/coatings/editions", ALL),
    Endpoint("GET", "/v1/categories/coatings/criteria", ALL),
    Endpoint("GET", "/v1/categories/coatings/labels", ALL),
    Endpoint("GET", "/v1/rulesets", ALL),
    Endpoint("GET", "/v1/rulesets/versions/{version}", ALL),
    Endpoint("POST", "/v1/rulesets/validate", frozenset({RA, ADMIN}), "rule_file"),
    Endpoint("POST", "/v1/evaluations", frozenset({CB}), "application", 201),
    Endpoint("GET", "/v1/evaluations", frozenset({CB})),
    Endpoint("POST", "/v1/evaluations/batch", frozenset({CB}), "batch"),
    Endpoint("GET", "/v1/evaluations/{evaluation}", frozenset({CB})),
    Endpoint("POST", "/v1/evaluations/{evaluation}/re-evaluations", frozenset({CB}), None, 201),
    Endpoint("GET", "/v1/evaluations/{evaluation}/reproduction", frozenset({CB})),
    Endpoint("POST", "/v1/self-checks", frozenset({M}), "application"),
    Endpoint("GET", "/v1/self-checks", frozenset({M})),
    Endpoint("POST", "/v1/self-checks/batch", frozenset({M}), "batch"),
    Endpoint("GET", "/v1/self-checks/{self_check}", frozenset({M})),
    Endpoint("GET", "/v1/keys", frozenset({ADMIN})),
    Endpoint("POST", "/v1/keys", frozenset({ADMIN}), "key", 201),
    Endpoint("DELETE", "/v1/keys/{key}", frozenset({ADMIN})),
    Endpoint("GET", "/v1/health", PUBLIC),
    Endpoint("GET", "/v1/ready", PUBLIC),
]
CALLERS = [*ROLES, "no_key", "revoked_key", "unknown_key", "malformed_header"]


def _template(path: str) -> str:
    return (path.replace("{evaluation}", "{evaluation_id}").replace("{self_check}", "{self_check_id}")
            .replace("{key}", "{key_id}").replace("coatings", "{category}"))


def test_the_matrix_covers_every_route(app: FastAPI) -> None:
    routes = {(method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item}
    assert routes == {(e.method, _template(e.path)) for e in ENDPOINTS}


@pytest.fixture
def world(client: TestClient, app: FastAPI, org: Org) -> dict[str, str]:
    """One evaluation and one stored self-check of `org`, a key to revoke, a stored rule-set version."""
    ev = client.post(f"/v1/evaluations?as_of={AS_OF}", json=APPLICATION, headers=org.headers(CB)).json()
    sc = client.post(f"/v1/self-checks?as_of={AS_OF}&store=true", json=APPLICATION, headers=org.headers(M)).json()
    victim = create_key(app.state.services.db, org.name, M, "to revoke")
    return {"evaluation": ev["id"], "self_check": sc["id"], "key": victim.id,
            "version": ev["decision"]["ruleset_version"]}


def _request(client: TestClient, e: Endpoint, world: dict[str, str], headers: dict[str, str]) -> Any:
    path = e.path.format(**world)
    kwargs: dict[str, Any] = {"headers": headers}
    if e.body == "application":
        kwargs["json"] = APPLICATION
        path += f"?as_of={AS_OF}"
    elif e.body == "batch":
        kwargs["json"] = {"items": [{"application": APPLICATION, "as_of": AS_OF}]}
    elif e.body == "key":
        kwargs["json"] = {"organisation": "new-org", "role": CB}
    elif e.body == "rule_file":
        kwargs["files"] = {"file": ("r.yaml", b"format: greencert/ruleset@1\n", "application/yaml")}
    return client.request(e.method, path, **kwargs)


def _headers(caller: str, org: Org, app: FastAPI) -> dict[str, str]:
    if caller in ROLES:
        return org.headers(caller)
    if caller == "no_key":
        return {}
    if caller == "revoked_key":
        key = create_key(app.state.services.db, org.name, CB)
        revoke_key(app.state.services.db, key.id)
        return {"Authorization": f"Bearer {key.token}"}
    if caller == "unknown_key":
        return {"Authorization": "Bearer gck_0000000000000000_notarealsecret"}
    return {"Authorization": "Basic dXNlcjpwYXNz"}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
def test_access_matrix(client: TestClient, app: FastAPI, org: Org, world: dict[str, str], endpoint: Endpoint,
                       caller: str) -> None:
    r = _request(client, endpoint, world, _headers(caller, org, app))
    if endpoint.allowed is PUBLIC:
        assert r.status_code == 200, r.text
        return
    if caller not in ROLES:
        assert r.status_code == 401, r.text
        assert r.headers["WWW-Authenticate"] == "Bearer"
        assert r.json()["diagnostics"][0]["code"] in ("unauthenticated", "invalid_api_key")
    elif caller in endpoint.allowed:
        assert r.status_code == endpoint.ok, r.text
    else:
        assert r.status_code == 403, r.text
        (d,) = r.json()["diagnostics"]
        assert d["code"] == "forbidden" and f"`{caller}`" in d["message"]


@pytest.mark.parametrize("path", ["/v1/evaluations/{evaluation}", "/v1/evaluations/{evaluation}/reproduction"])
def test_a_certification_body_cannot_read_another_organisations_evaluation(
        client: TestClient, world: dict[str, str], other_org: Org, path: str) -> None:
    theirs = client.get(path.format(**world), headers=other_org.headers(CB))
    nothing = client.get(path.format(evaluation="00000000-0000-0000-0000-000000000000"), headers=other_org.headers(CB))
    assert theirs.status_code == nothing.status_code == 404
    # the answer for someone else's record is the answer for no record at all
    assert theirs.json()["diagnostics"][0]["code"] == nothing.json()["diagnostics"][0]["code"] == "not_found"


def test_cross_organisation_writes_and_lists(client: TestClient, world: dict[str, str], org: Org,
                                             other_org: Org) -> None:
    r = client.post(f"/v1/evaluations/{world['evaluation']}/re-evaluations", headers=other_org.headers(CB))
    assert r.status_code == 404
    r = client.post(f"/v1/evaluations?supersedes={world['evaluation']}", json=APPLICATION,
                    headers=other_org.headers(CB))
    assert r.status_code == 404
    assert client.get("/v1/evaluations", headers=other_org.headers(CB)).json()["items"] == []
    assert client.get("/v1/self-checks", headers=other_org.headers(M)).json()["items"] == []
    assert client.get(f"/v1/self-checks/{world['self_check']}", headers=other_org.headers(M)).status_code == 404
    # the owner still sees both
    assert client.get("/v1/evaluations", headers=org.headers(CB)).json()["total"] == 1
    assert client.get("/v1/self-checks", headers=org.headers(M)).json()["total"] == 1


def test_roles_do_not_cross_within_an_organisation(client: TestClient, world: dict[str, str], org: Org) -> None:
    assert client.get(f"/v1/self-checks/{world['self_check']}", headers=org.headers(CB)).status_code == 403
    assert client.get(f"/v1/evaluations/{world['evaluation']}", headers=org.headers(M)).status_code == 403


def test_a_revoked_key_stops_working_at_once(client: TestClient, app: FastAPI, org: Org) -> None:
    key = create_key(app.state.services.db, org.name, CB)
    h = {"Authorization": f"Bearer {key.token}"}
    assert client.get("/v1/evaluations", headers=h).status_code == 200
    admin = org.headers(ADMIN)
    r = client.delete(f"/v1/keys/{key.id}", headers=admin)
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    assert client.get("/v1/evaluations", headers=h).status_code == 401
    assert client.delete("/v1/keys/key_doesnotexist", headers=admin).status_code == 404


def test_keys_are_stored_hashed_and_the_token_is_shown_once(client: TestClient, app: FastAPI, org: Org) -> None:
    r = client.post("/v1/keys", json={"organisation": "Acme Labs", "role": M, "name": "desk"},
                    headers=org.headers(ADMIN))
    assert r.status_code == 201
    token = r.json()["token"]
    listed = client.get("/v1/keys?organisation=Acme Labs", headers=org.headers(ADMIN)).json()
    assert [k["id"] for k in listed] == [r.json()["id"]] and "token" not in listed[0]
    from sqlalchemy import select

    from api.db import ApiKey
    with app.state.services.db.read() as s:
        stored = s.scalars(select(ApiKey).where(ApiKey.id == r.json()["id"])).one()
    assert token not in (stored.secret_hash, stored.id) and len(stored.secret_hash) == 64
    assert client.get("/v1/self-checks", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    bad = client.post("/v1/keys", json={"organisation": "x", "role": "superuser"}, headers=org.headers(ADMIN))
    assert bad.status_code == 422 and bad.json()["diagnostics"][0]["field"] == "role"
