"""Catalogue and rule-set endpoints: what the engine has loaded, as of a date; validating uploaded rule files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.examples import RULE_FILE
from engine import default_catalog_dir, default_rules_dir
from tests.support.api_support import Org

AS_OF = "2026-11-01"


def test_categories_with_their_editions(client: TestClient, app: FastAPI, org: Org) -> None:
    repo = app.state.services.repository
    r = client.get(f"/v1/categories?as_of={AS_OF}", headers=org.headers("rule_author"))
    assert r.status_code == 200
    body = r.json()
    assert body["as_of"] == AS_OF
    assert [c["id"] for c in body["categories"]] == list(repo.categories)
    coatings = next(c for c in body["categories"] if c["id"] == "coatings")
    assert coatings["name"] == {"zh": "涂料", "en": "Coatings"} and "GB/T 35602-2017" in coatings["standards"]
    (edition,) = [e for e in coatings["editions"] if e["standard"] == "GB/T 35602-2017"]
    assert edition["version"] == repo.versions["coatings/GB-T-35602-2017"]
    assert edition["accepted"] is True and edition["criteria"] == len(repo.rulesets["coatings/GB-T-35602-2017"].criteria)
    early = client.get("/v1/categories?as_of=2018-06-30", headers=org.headers("rule_author")).json()
    early_coatings = next(c for c in early["categories"] if c["id"] == "coatings")
    assert all(not e["accepted"] for e in early_coatings["editions"])  # GB/T 35602-2017 took effect 2018-07-01
    # 26 categories; the repealed 2020 rules say so
    assert len(body["categories"]) == 26
    paper = next(c for c in body["categories"] if c["id"] == "paper")
    assert paper["implementation_rules"] == ["CNCA-CGP-12-2020 (repealed by CNCA 公告2021年第7号)", "CNCA-CGP-12:2021"]


def test_category_detail_and_unknown_category(client: TestClient, org: Org) -> None:
    h = org.headers("manufacturer")
    r = client.get("/v1/categories/coatings", headers=h)
    assert r.status_code == 200
    assert {p["id"] for p in r.json()["parameters"]} >= {"base", "use", "gloss_60"}
    assert any(i["id"] == "voc_content" for i in r.json()["indicators"])
    missing = client.get("/v1/categories/coating", headers=h)
    assert missing.status_code == 404
    (d,) = missing.json()["diagnostics"]
    assert d["code"] == "unknown_category" and d["hint"] == "did you mean `coatings`?" and d["field"] == "category"


def test_editions_in_force_on_a_date(client: TestClient, app: FastAPI, org: Org) -> None:
    h = org.headers("certification_body")
    repo = app.state.services.repository
    for day in ("2018-06-30", "2019-01-01", AS_OF):
        got = client.get(f"/v1/categories/coatings/editions?as_of={day}", headers=h).json()
        expected = [rs.id for rs in repo.editions("coatings") if rs.in_force.accepts(dt.date.fromisoformat(day))]
        assert [e["ruleset_id"] for e in got] == expected
    everything = client.get("/v1/categories/coatings/editions?as_of=2018-06-30&all=true", headers=h).json()
    assert [e["ruleset_id"] for e in everything] == [rs.id for rs in repo.editions("coatings")]


def test_criteria_and_labels_of_the_edition_in_force(client: TestClient, app: FastAPI, org: Org) -> None:
    h = org.headers("certification_body")
    repo = app.state.services.repository
    rs = repo.select("coatings", dt.date(2026, 11, 1))
    crit = client.get(f"/v1/categories/coatings/criteria?as_of={AS_OF}", headers=h).json()
    assert crit["ruleset_id"] == rs.id and crit["version"] == repo.versions[rs.id]
    assert [c["id"] for c in crit["criteria"]] == [c.id for c in rs.criteria]
    formaldehyde = next(c for c in crit["criteria"] if c["id"] == "formaldehyde")
    assert formaldehyde["requirement"] == "≤ 100 mg/kg" and formaldehyde["limit_shipped"] is True
    assert formaldehyde["provenance"]["status"] == "secondary"
    labels = client.get(f"/v1/categories/coatings/labels?as_of={AS_OF}", headers=h).json()
    assert {lab["id"]: lab["in_default_scope"] for lab in labels["labels"]}["green_product"] is True
    # the label's basis is the one in force on `as_of`: the 2026 Measures, the 2019 label measures before 2026
    clause = {lab["id"]: lab["clause"] for lab in labels["labels"]}["green_product"]
    assert "绿色产品认证与标识管理办法" in clause and "2019年第20号" not in clause
    before = client.get("/v1/categories/coatings/labels?as_of=2025-12-31", headers=h).json()
    assert "2019年第20号" in {lab["id"]: lab["clause"] for lab in before["labels"]}["green_product"]
    named = client.get(f"/v1/categories/coatings/criteria?as_of={AS_OF}&edition=GB/T 35602-2017", headers=h)
    assert named.status_code == 200
    too_early = client.get("/v1/categories/coatings/criteria?as_of=2000-01-01", headers=h)
    assert too_early.status_code == 404 and too_early.json()["diagnostics"][0]["code"] == "edition_not_in_force"
    unknown = client.get(f"/v1/categories/coatings/labels?edition=GB/T 99999-2030&as_of={AS_OF}", headers=h)
    assert unknown.status_code == 404 and unknown.json()["diagnostics"][0]["field"] == "edition"


def test_ruleset_versions_in_force_with_hashes(client: TestClient, app: FastAPI, org: Org) -> None:
    repo = app.state.services.repository
    body = client.get(f"/v1/rulesets?as_of={AS_OF}", headers=org.headers("manufacturer")).json()
    day = dt.date(2026, 11, 1)
    assert {r["ruleset_id"]: r["version"] for r in body["rulesets"]} == {
        rid: repo.versions[rid] for rid, rs in repo.rulesets.items() if rs.in_force.accepts(day)}
    every = client.get("/v1/rulesets?all=true", headers=org.headers("manufacturer")).json()["rulesets"]
    assert len(every) == len(repo.rulesets)
    version = repo.versions["coatings/GB-T-35602-2017"]
    snap = client.get(f"/v1/rulesets/versions/{version}", headers=org.headers("manufacturer")).json()
    assert snap["ruleset_id"] == "coatings/GB-T-35602-2017" and snap["snapshot"]["version"] == version
    assert client.get("/v1/rulesets/versions/sha256:nope", headers=org.headers("manufacturer")).status_code == 404


def _validate(client: TestClient, org: Org, name: str, content: bytes) -> dict:  # type: ignore[type-arg]
    r = client.post("/v1/rulesets/validate", files={"file": (name, content, "application/yaml")},
                    headers=org.headers("rule_author"))
    assert r.status_code == 200, r.text
    body: dict = r.json()  # type: ignore[type-arg]
    return body


def test_validate_a_broken_rule_file(client: TestClient, org: Org) -> None:
    report = _validate(client, org, "my-rules.yaml", RULE_FILE.encode())
    assert report["ok"] is False and report["kind"] == "ruleset"
    d = next(d for d in report["diagnostics"] if d["code"] == "rules_reference_error")
    assert d["message"] == "unknown indicator `benzen`" and d["hint"] == "did you mean `benzene`?"
    assert d["file"] == "my-rules.yaml" and d["line"] == 8


def test_validate_the_shipped_files(client: TestClient, org: Org) -> None:
    path = default_rules_dir() / "coatings" / "GB-T-35602-2017.yaml"
    report = _validate(client, org, path.name, path.read_bytes())
    assert report == {"ok": True, "kind": "ruleset", "ids": ["coatings/GB-T-35602-2017"], "diagnostics": []}
    catalog = default_catalog_dir() / "coatings.yaml"
    report = _validate(client, org, "coatings.yaml", catalog.read_bytes())
    assert report["ok"] is True and report["kind"] == "catalog" and report["ids"] == ["coatings"]


@pytest.mark.parametrize(("content", "code"), [
    (b"format: greencert/ruleset@1\nid: [unclosed\n", "yaml_syntax_error"),
    (b"\xff\xfe\x00", "file_encoding_error"),
    (b"a: &x [1]\nb: *x\n", "yaml_alias_refused"),
    (b"just: a mapping\n", "unknown_format"),
    (b"", "yaml_empty_document"),
])
def test_validate_reports_unreadable_files(client: TestClient, org: Org, content: bytes, code: str) -> None:
    report = _validate(client, org, "../../etc/evil.yaml", content)
    assert report["ok"] is False
    assert report["diagnostics"][0]["code"] == code
    assert all(d["file"] in ("evil.yaml", None) for d in report["diagnostics"])


def test_validate_uses_the_broken_samples(client: TestClient, org: Org) -> None:
    samples = sorted((Path(__file__).parent.parent / "support" / "broken_rules").glob("*.yaml"))
    assert samples, "tests/support/broken_rules holds the deliberately broken rule files"
    for path in samples:
        report = _validate(client, org, path.name, path.read_bytes())
        assert report["ok"] is False, path.name
        assert report["diagnostics"], path.name
