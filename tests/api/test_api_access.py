"""Access: every endpoint × every role × own or another organisation's data (and no key, a revoked key, a
made-up key); administrators are bound to their organisation, the operator is not."""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.db import API_ROLES, ROLES
from api.examples import APPLICATION
from api.keys import create_key, revoke_key
from api.schemas import ApiRole, Role
from tests.support.api_support import Org

AS_OF = "2026-11-01"
ALL = frozenset(ROLES)
PUBLIC = None  # no key needed
CB, M, RA, ADMIN, OP = "certification_body", "manufacturer", "rule_author", "administrator", "operator"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {evaluation}, {self_check}, {key}, {version} are filled per test from the world of `org`
    allowed: frozenset[str] | None
    body: str | None = None  # application | batch | rule_file | key
    ok: int = 200
    # what an allowed role of another organisation gets when the path or body names `org`'s data (the
    # operator, bound to no organisation, always gets `ok`)
    foreign: int | None = None
    # the world item the answer lists to the world's own organisation (and the operator) and to no one else
    lists: str | None = None


ENDPOINTS = [
    Endpoint("GET", "/v1/categories", ALL),
    Endpoint("GET", "/v1/categories/coatings", ALL),
    Endpoint("GET", "/v1/categories/coatings/editions", ALL),
    Endpoint("GET", "/v1/categories/coatings/criteria", ALL),
    Endpoint("GET", "/v1/categories/coatings/labels", ALL),
    Endpoint("GET", "/v1/operators", ALL),
    Endpoint("GET", "/v1/rulesets", ALL),
    Endpoint("GET", "/v1/rulesets/versions/{version}", ALL),
    Endpoint("POST", "/v1/rulesets/validate", frozenset({RA, ADMIN, OP}), "rule_file"),
    Endpoint("POST", "/v1/evaluations", frozenset({CB}), "application", 201),
    Endpoint("GET", "/v1/evaluations", frozenset({CB}), lists="evaluation"),
    Endpoint("POST", "/v1/evaluations/batch", frozenset({CB}), "batch"),
    Endpoint("GET", "/v1/evaluations/{evaluation}", frozenset({CB}), foreign=404),
    Endpoint("POST", "/v1/evaluations/{evaluation}/re-evaluations", frozenset({CB}), None, 201, foreign=404),
    Endpoint("GET", "/v1/evaluations/{evaluation}/reproduction", frozenset({CB}), foreign=404),
    Endpoint("POST", "/v1/self-checks", frozenset({M}), "application"),
    Endpoint("GET", "/v1/self-checks", frozenset({M}), lists="self_check"),
    Endpoint("POST", "/v1/self-checks/batch", frozenset({M}), "batch"),
    Endpoint("GET", "/v1/self-checks/{self_check}", frozenset({M}), foreign=404),
    Endpoint("GET", "/v1/keys", frozenset({ADMIN, OP}), lists="key"),
    Endpoint("POST", "/v1/keys", frozenset({ADMIN, OP}), "key", 201, foreign=403),
    Endpoint("DELETE", "/v1/keys/{key}", frozenset({ADMIN, OP}), foreign=404),
    Endpoint("POST", "/v1/certificates", frozenset({CB}), "certificate", 201, foreign=404),
    Endpoint("GET", "/v1/certificates", frozenset({CB, M}), lists="certificate"),
    Endpoint("GET", "/v1/certificates/due", frozenset({CB})),
    Endpoint("GET", "/v1/certificates/{certificate}", frozenset({CB, M}), foreign=404),
    Endpoint("GET", "/v1/certificates/{certificate}/document", frozenset({CB, M}), foreign=404),
    Endpoint("POST", "/v1/certificates/{certificate}/events", frozenset({CB}), "certificate_event", 201, foreign=404),
    Endpoint("GET", "/v1/public/certificates/{certificate}", PUBLIC),
    Endpoint("GET", "/v1/public/registry", PUBLIC),
    Endpoint("GET", "/v1/public/coverage", PUBLIC, "coverage"),
    Endpoint("POST", "/v1/draws", frozenset({CB}), "draw", 201),
    Endpoint("POST", "/v1/draws/{draw}/checks", frozenset({CB}), "draw_check", 201, foreign=404),
    Endpoint("GET", "/v1/public/draws/{draw}", PUBLIC),
    Endpoint("GET", "/v1/public/draws/{draw}/reproduction", PUBLIC),
    Endpoint("POST", "/v1/impact-jobs", frozenset({CB}), "impact_job", 202),
    Endpoint("GET", "/v1/impact-jobs/{impact_job}", frozenset({CB}), foreign=404),
    Endpoint("GET", "/v1/impact-jobs/{impact_job}/results", frozenset({CB}), foreign=404),
    Endpoint("GET", "/v1/health", PUBLIC),
    Endpoint("GET", "/v1/ready", PUBLIC),
]
BAD_CALLERS = ["no_key", "revoked_key", "unknown_key", "malformed_header"]
# every role of the world's own organisation and of another one; keys that are no keys need no organisation
CALLERS = [(role, whose) for role in ROLES for whose in ("own", "foreign")] + [(c, "own") for c in BAD_CALLERS]


def _template(path: str) -> str:
    return (path.replace("{evaluation}", "{evaluation_id}").replace("{self_check}", "{self_check_id}")
            .replace("{key}", "{key_id}").replace("{certificate}", "{number}").replace("{draw}", "{draw_id}")
            .replace("{impact_job}", "{job_id}")
            .replace("coatings", "{category}"))


def test_the_matrix_covers_every_route(app: FastAPI) -> None:
    routes = {(method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item}
    assert routes == {(e.method, _template(e.path)) for e in ENDPOINTS}


def test_the_roles_are_one_list() -> None:
    assert typing.get_args(Role) == ROLES and typing.get_args(ApiRole) == API_ROLES == tuple(r for r in ROLES
                                                                                            if r != OP)


@pytest.fixture
def world(client: TestClient, app: FastAPI, org: Org) -> dict[str, str]:
    """One evaluation and one stored self-check of `org`, a key of `org` to revoke, a stored rule-set version, a
    certificate issued by `org` and held by `org`, a random draw of that certificate."""
    ev = client.post(f"/v1/evaluations?as_of={AS_OF}", json=APPLICATION, headers=org.headers(CB)).json()
    sc = client.post(f"/v1/self-checks?as_of={AS_OF}&store=true", json=APPLICATION, headers=org.headers(M)).json()
    victim = create_key(app.state.services.db, org.name, M, "to revoke")
    cert = client.post("/v1/certificates", json={"evaluation_id": ev["id"], "holder": org.name},
                       headers=org.headers(CB)).json()
    draw = client.post("/v1/draws", json={"n": 1, "issued_by": org.name}, headers=org.headers(CB)).json()
    assert draw["certificates"][0]["number"] == cert["number"]
    job = _finished_impact_job(app, org)
    return {"evaluation": ev["id"], "self_check": sc["id"], "key": victim.id, "key_token": victim.token,
            "version": ev["decision"]["ruleset_version"], "organisation": org.name, "certificate": cert["number"],
            "draw": draw["id"], "impact_job": job}


def _finished_impact_job(app: FastAPI, org: Org) -> str:
    """A finished impact job of `org`, recorded as its process would have (the jobs themselves are tested in
    test_api_impact_jobs.py; here only who may read it)."""
    import datetime as dt
    import uuid

    from api.db import utcnow
    from api.impact_tables import ImpactJobRecord

    job_id = str(uuid.uuid4())
    with app.state.services.db.write() as session:
        session.add(ImpactJobRecord(
            id=job_id, organisation=org.name, api_key_id=org.key_ids[CB], category="coatings", edition="GB/T 35602-2017",
            ruleset_id="coatings/GB-T-35602-2017", as_of=dt.date.fromisoformat(AS_OF), status="done", done=0,
            total=0, summary={"certificates": 0, "counts": {"keep": 0, "lose": 0, "undetermined": 0},
                              "criteria_causing_losses": [], "undetermined_because": []},
            created_at=utcnow(), finished_at=utcnow()))
    return job_id


def _request(client: TestClient, e: Endpoint, world: dict[str, str], headers: dict[str, str]) -> Any:
    path = e.path.format(**world)
    kwargs: dict[str, Any] = {"headers": headers}
    if e.body == "application":
        kwargs["json"] = APPLICATION
        path += f"?as_of={AS_OF}"
    elif e.body == "batch":
        kwargs["json"] = {"items": [{"application": APPLICATION, "as_of": AS_OF}]}
    elif e.body == "certificate":
        kwargs["json"] = {"evaluation_id": world["evaluation"], "holder": world["organisation"]}
    elif e.body == "certificate_event":
        kwargs["json"] = {"kind": "suspended", "on": "2026-12-01", "reason": "complaint", "deadline": "2027-01-01"}
    elif e.body == "coverage":
        path += "?model=LW-2100"
    elif e.body == "draw":
        kwargs["json"] = {"n": 1}
    elif e.body == "draw_check":
        kwargs["json"] = {"number": world["certificate"], "evaluation_id": world["evaluation"], "on": AS_OF}
    elif e.body == "impact_job":
        kwargs["json"] = {"category": "coatings", "edition": "GB/T 35602-2017", "as_of": AS_OF}
    elif e.body == "key":
        kwargs["json"] = {"organisation": world["organisation"], "role": CB}
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


def _expected(e: Endpoint, caller: str, foreign: bool) -> int:
    if e.allowed is PUBLIC:
        return 200
    if caller not in ROLES:
        return 401
    if caller not in e.allowed:
        return 403
    if foreign and caller != OP and e.foreign is not None:
        return e.foreign
    return e.ok


@pytest.mark.parametrize("caller,whose", CALLERS, ids=[f"{c}-{w}" for c, w in CALLERS])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
def test_access_matrix(client: TestClient, app: FastAPI, org: Org, other_org: Org, world: dict[str, str],
                       endpoint: Endpoint, caller: str, whose: str) -> None:
    foreign = whose == "foreign"
    r = _request(client, endpoint, world, _headers(caller, other_org if foreign else org, app))
    expected = _expected(endpoint, caller, foreign)
    assert r.status_code == expected, r.text
    if expected == 401:
        assert r.headers["WWW-Authenticate"] == "Bearer"
        assert r.json()["diagnostics"][0]["code"] in ("unauthenticated", "invalid_api_key")
    elif expected == 403:
        (d,) = r.json()["diagnostics"]
        assert d["code"] == "forbidden"
        assert f"`{caller}`" in d["message"] or (endpoint.body == "key" and f"`{world['organisation']}`" in
                                                 d["message"])
    elif expected == 404:
        assert r.json()["diagnostics"][0]["code"] == "not_found"
    if endpoint.lists is not None and expected == 200:
        body = r.json()
        ids = {item.get("id", item.get("number")) for item in (body if isinstance(body, list) else body["items"])}
        assert (world[endpoint.lists] in ids) == (not foreign or caller == OP), ids
    # what a refused caller could not do did not happen: the world's key still works, no key was made for it
    if endpoint.method == "DELETE" and expected != 200:
        assert client.get("/v1/self-checks", headers={"Authorization": f"Bearer {world['key_token']}"}
                          ).status_code == 200


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
    r = client.post("/v1/keys", json={"role": M, "name": "desk"}, headers=org.headers(ADMIN))
    assert r.status_code == 201 and r.json()["organisation"] == org.name  # the caller's organisation by default
    token = r.json()["token"]
    listed = client.get(f"/v1/keys?organisation={org.name}", headers=org.headers(ADMIN)).json()
    (mine,) = [k for k in listed if k["id"] == r.json()["id"]]
    assert "token" not in mine
    from sqlalchemy import select

    from api.db import ApiKey
    with app.state.services.db.read() as s:
        stored = s.scalars(select(ApiKey).where(ApiKey.id == r.json()["id"])).one()
    assert token not in (stored.secret_hash, stored.id) and len(stored.secret_hash) == 64
    assert client.get("/v1/self-checks", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    bad = client.post("/v1/keys", json={"role": "superuser"}, headers=org.headers(ADMIN))
    assert bad.status_code == 422 and bad.json()["diagnostics"][0]["field"] == "role"


def _key_ids(client: TestClient, headers: dict[str, str], query: str = "") -> set[str]:
    r = client.get(f"/v1/keys{query}", headers=headers)
    assert r.status_code == 200, r.text
    return {k["id"] for k in r.json()}


def test_an_administrator_manages_its_own_organisation_only(client: TestClient, org: Org, other_org: Org) -> None:
    """The probe of the issue: an administrator of A listed every key, made a certification-body key for B that
    read B's binding evaluations, and revoked B's keys. None of that works any more."""
    theirs = client.post(f"/v1/evaluations?as_of={AS_OF}", json=APPLICATION, headers=other_org.headers(CB)).json()
    admin = org.headers(ADMIN)
    # lists: its own organisation's keys, never another's, never an operator's
    listed = _key_ids(client, admin)
    assert set(org.key_ids.values()) - {org.key_ids[OP]} <= listed
    assert not listed & set(other_org.key_ids.values()) and org.key_ids[OP] not in listed
    r = client.get(f"/v1/keys?organisation={other_org.name}", headers=admin)
    assert r.status_code == 403 and r.json()["diagnostics"][0]["field"] == "organisation"
    # makes no key for another organisation, and no operator key for anyone
    r = client.post("/v1/keys", json={"organisation": other_org.name, "role": CB}, headers=admin)
    assert r.status_code == 403 and f"`{other_org.name}`" in r.json()["diagnostics"][0]["message"]
    r = client.post("/v1/keys", json={"role": OP}, headers=admin)
    assert r.status_code == 422 and r.json()["diagnostics"][0]["field"] == "role"
    assert _key_ids(client, other_org.headers(ADMIN)) == set(other_org.key_ids.values()) - {other_org.key_ids[OP]}
    # revokes no key of another organisation (answered as a key that does not exist) and no operator key
    for key_id in (other_org.key_ids[CB], org.key_ids[OP]):
        r = client.delete(f"/v1/keys/{key_id}", headers=admin)
        assert r.status_code == 404 and r.json()["diagnostics"][0]["code"] == "not_found"
    assert client.get(f"/v1/evaluations/{theirs['id']}", headers=other_org.headers(CB)).status_code == 200
    assert client.get("/v1/categories", headers=org.headers(OP)).status_code == 200
    # a key it makes for its own organisation reads its own organisation's records and nothing of B's
    made = client.post("/v1/keys", json={"role": CB}, headers=admin).json()
    h = {"Authorization": f"Bearer {made['token']}"}
    assert made["organisation"] == org.name
    assert client.get(f"/v1/evaluations/{theirs['id']}", headers=h).status_code == 404
    # and it revokes its own organisation's keys
    assert client.delete(f"/v1/keys/{made['id']}", headers=admin).status_code == 200
    assert client.get("/v1/evaluations", headers=h).status_code == 401


def test_the_operator_manages_every_organisation(client: TestClient, org: Org, other_org: Org) -> None:
    op = org.headers(OP)
    everything = _key_ids(client, op)
    assert set(org.key_ids.values()) | set(other_org.key_ids.values()) <= everything
    assert _key_ids(client, op, f"?organisation={other_org.name}") == set(other_org.key_ids.values())
    made = client.post("/v1/keys", json={"organisation": other_org.name, "role": ADMIN, "name": "new admin"},
                       headers=op)
    assert made.status_code == 201 and made.json()["organisation"] == other_org.name
    assert client.delete(f"/v1/keys/{made.json()['id']}", headers=op).status_code == 200
    # not over HTTP: an operator key, and the operator's own work is not the organisations' (no evaluations)
    r = client.post("/v1/keys", json={"organisation": other_org.name, "role": OP}, headers=op)
    assert r.status_code == 422 and r.json()["diagnostics"][0]["field"] == "role"
    assert client.get("/v1/evaluations", headers=op).status_code == 403
    assert client.get("/v1/self-checks", headers=op).status_code == 403
