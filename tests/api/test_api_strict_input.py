"""Reading requests strictly: dates only as YYYY-MM-DD, a missing field named by its full path, authentication
before any refusal of the body or the URL, the body's charset honoured, duplicate JSON keys refused."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.examples import APPLICATION
from tests.support.api_support import TODAY, Org

AS_OF = TODAY.isoformat()


@pytest.mark.parametrize("value", ["0", "1793491200", "20261101", "2026-11-01T00:00:00", "2026-1-1"])
def test_dates_are_only_yyyy_mm_dd(client: TestClient, org: Org, value: str) -> None:
    h = org.headers("certification_body")
    for url in (f"/v1/evaluations?as_of={value}", f"/v1/evaluations/batch?as_of={value}"):
        body = {"items": [{"application": APPLICATION}]} if url.startswith("/v1/evaluations/batch") else APPLICATION
        r = client.post(url, json=body, headers=h)
        assert r.status_code == 422, r.text
        (d,) = r.json()["diagnostics"]
        assert d["field"] == "as_of" and "YYYY-MM-DD" in d["message"]
    r = client.get(f"/v1/evaluations?as_of_from={value}", headers=h)
    assert r.status_code == 422 and r.json()["diagnostics"][0]["field"] == "as_of_from"
    r = client.get(f"/v1/categories?as_of={value}", headers=h)
    assert r.status_code == 422 and r.json()["diagnostics"][0]["field"] == "as_of"


@pytest.mark.parametrize("value", [0, 1793491200, "1793491200", 1.5, "2026-11-01T00:00:00Z"])
def test_dates_in_a_batch_body_are_only_yyyy_mm_dd(client: TestClient, org: Org, value: object) -> None:
    r = client.post("/v1/evaluations/batch", json={"items": [{"application": APPLICATION, "as_of": value}]},
                    headers=org.headers("certification_body"))
    assert r.status_code == 422, r.text
    assert [d["field"] for d in r.json()["diagnostics"]] == ["items[0].as_of"]
    # nothing was recorded with a date nobody wrote
    assert client.get("/v1/evaluations", headers=org.headers("certification_body")).json()["total"] == 0


def test_a_date_as_written_is_taken(client: TestClient, org: Org) -> None:
    r = client.post("/v1/evaluations/batch", json={"items": [{"application": APPLICATION, "as_of": AS_OF}]},
                    headers=org.headers("certification_body"))
    assert r.status_code == 200 and r.json()["results"][0]["evaluation"]["as_of"] == AS_OF


def test_a_missing_field_is_named_by_its_full_path(client: TestClient, org: Org) -> None:
    app = json.loads(json.dumps(APPLICATION))
    del app["category"], app["product"]["model"]
    for url, body, prefix in (("/v1/self-checks", app, ""),
                              ("/v1/self-checks/batch", {"items": [{"application": app}]}, "items[0].application.")):
        r = client.post(f"{url}?as_of={AS_OF}", json=body, headers=org.headers("manufacturer"))
        diags = r.json()["diagnostics"] if r.status_code == 422 else r.json()["results"][0]["diagnostics"]
        assert sorted(d["field"] for d in diags) == [f"{prefix}category", f"{prefix}product.model"], diags
        assert all(d["code"] == "application_schema_error" for d in diags)
    r = client.post("/v1/self-checks/batch", json={"items": [{"as_of": AS_OF}]}, headers=org.headers("manufacturer"))
    assert [d["field"] for d in r.json()["diagnostics"]] == ["items[0].application"]


@pytest.mark.parametrize(("method", "url", "body"), [
    ("POST", "/v1/evaluations", b"{bad"), ("POST", "/v1/evaluations/batch", b"{bad"), ("POST", "/v1/keys", b"{bad"),
    ("POST", "/v1/self-checks/batch", b'{"items": 1}'), ("GET", "/v1/evaluations/%00", None),
    ("GET", "/v1/evaluations?category=%00", None), ("GET", "/v1/categories/coatings%00", None),
    ("GET", "/v1/evaluations?as_of_from=0", None), ("POST", "/v1/rulesets/validate", b"--x\r\nbroken"),
])
def test_authentication_comes_before_any_refusal_of_the_request(client: TestClient, org: Org, method: str, url: str,
                                                                body: bytes | None) -> None:
    headers = {"Content-Type": "multipart/form-data; boundary=x" if "validate" in url else "application/json"}
    r = client.request(method, url, content=body, headers=headers)
    assert r.status_code == 401 and r.json()["diagnostics"][0]["code"] == "unauthenticated", r.text
    r = client.request(method, url, content=body, headers={**headers, "Authorization": "Bearer gck_no_such"})
    assert r.status_code == 401 and r.json()["diagnostics"][0]["code"] == "invalid_api_key", r.text
    role = "administrator" if "keys" in url else "rule_author" if "validate" in url else (
        "manufacturer" if "self-checks" in url else "certification_body")
    r = client.request(method, url, content=body, headers={**headers, **org.headers(role)})
    assert r.status_code in (400, 422), r.text  # with a valid key, what is wrong with the request
    assert r.json()["diagnostics"]


def test_the_body_charset_is_honoured(client: TestClient, org: Org) -> None:
    h = org.headers("manufacturer")
    text = json.dumps(APPLICATION, ensure_ascii=False)
    for charset in ("GB18030", "gbk", "utf-8", "UTF8"):
        r = client.post(f"/v1/self-checks?as_of={AS_OF}", content=text.encode(charset.replace("UTF8", "utf-8")),
                        headers={**h, "Content-Type": f"application/json; charset={charset}"})
        assert r.status_code == 200, (charset, r.text)
    yaml_text = "format: greencert/application@1\ncategory: coatings\nproduct: {model: 哑光}\nevidence: {}\n"
    r = client.post(f"/v1/self-checks?as_of={AS_OF}", content=yaml_text.encode("gb18030"),
                    headers={**h, "Content-Type": 'application/yaml; charset="gb18030"'})
    assert r.status_code == 200 or all(d["code"] != "body_encoding_error" for d in r.json()["diagnostics"]), r.text
    # the same GB18030 bytes declared as (or defaulting to) UTF-8: refused with where the first bad byte is
    r = client.post(f"/v1/self-checks?as_of={AS_OF}", content=text.encode("gb18030"),
                    headers={**h, "Content-Type": "application/json"})
    assert r.status_code == 422
    (d,) = r.json()["diagnostics"]
    assert d["code"] == "body_encoding_error" and d["line"] == 1 and d["column"] > 1 and "charset" in d["hint"]
    # a charset not taken
    r = client.post(f"/v1/self-checks?as_of={AS_OF}", content=text.encode("utf-8"),
                    headers={**h, "Content-Type": "application/json; charset=koi8-r"})
    assert r.status_code == 415 and r.json()["diagnostics"][0]["code"] == "unsupported_charset"
    r = client.post(f"/v1/self-checks/batch?as_of={AS_OF}", content=b'{"items": []}',
                    headers={**h, "Content-Type": "application/json; charset=unicode_escape"})
    assert r.status_code == 415


def test_duplicate_json_keys_are_refused_like_yaml_ones(client: TestClient, org: Org) -> None:
    h = {**org.headers("manufacturer"), "Content-Type": "application/json"}
    plain = json.dumps(APPLICATION)
    text = plain.replace('"category": "coatings"', '"category": "coatings", "category": "x"')
    for url, body in (("/v1/self-checks", text), ("/v1/self-checks/batch", '{"items": [{"application": ' + text + "}]}"),
                      ("/v1/self-checks", plain.replace('"gloss_60": 5', '"gloss_60": 5, "gloss_60": 50'))):
        r = client.post(f"{url}?as_of={AS_OF}", content=body.encode(), headers=h)
        assert r.status_code == 422, r.text
        (d,) = r.json()["diagnostics"]
        assert d["code"] == "yaml_duplicate_key" and d["line"] == 1 and d["column"] > 1
        assert d["field"] is not None and d["field"].endswith(("category", "gloss_60"))
    yaml_text = "format: greencert/application@1\ncategory: coatings\ncategory: x\n"
    r = client.post(f"/v1/self-checks?as_of={AS_OF}", content=yaml_text.encode(),
                    headers={**h, "Content-Type": "application/yaml"})
    assert r.status_code == 422 and r.json()["diagnostics"][0]["code"] == "yaml_duplicate_key"


def test_unreadable_bodies_are_documented(client: TestClient, org: Org) -> None:
    r = client.post("/v1/rulesets/validate", content=b"--x\r\nbroken",
                    headers={**org.headers("rule_author"), "Content-Type": "multipart/form-data; boundary=x"})
    assert r.status_code in (400, 422), r.text
    assert r.json()["diagnostics"][0]["code"] in ("body_unreadable", "request_validation_error")
    doc = client.get("/openapi.json").json()
    for path, method in (("/v1/evaluations", "post"), ("/v1/evaluations/batch", "post"),
                         ("/v1/rulesets/validate", "post"), ("/v1/self-checks", "post")):
        documented = doc["paths"][path][method]["responses"]
        assert {"400", "413", "422", "503"} <= set(documented), (path, sorted(documented))


@pytest.mark.parametrize("value", ["0", "1793491200", "2026-11-01T00:00:00"])
def test_certificate_dates_are_only_yyyy_mm_dd(client: TestClient, org: Org, value: str) -> None:
    """The certificates' endpoints read dates as every other endpoint does: a number is never a day."""
    h = org.headers("certification_body")
    r = client.get(f"/v1/public/certificates/NONE-000001?as_of={value}")
    assert r.status_code == 422 and r.json()["diagnostics"][0]["field"] == "as_of", r.text
    r = client.get(f"/v1/certificates?as_of={value}", headers=h)
    assert r.status_code == 422 and r.json()["diagnostics"][0]["field"] == "as_of", r.text
    body: object = int(value) if value.isdigit() else value
    r = client.post("/v1/certificates/NONE-000001/events", json={"kind": "cancelled", "on": body,
                    "reason": "holder's request"}, headers={**h, "Idempotency-Key": f"strict-date-{value}"})
    assert r.status_code == 422 and r.json()["diagnostics"][0]["field"] == "on", r.text


@pytest.mark.parametrize("value", ["true", 1, 0, "yes"])
def test_a_batch_flag_is_a_json_boolean(client: TestClient, org: Org, value: object) -> None:
    """`store` of a self-check batch is true or false: a string or a number is refused, not read as a flag."""
    r = client.post("/v1/self-checks/batch", json={"items": [{"application": APPLICATION}], "store": value},
                    headers=org.headers("manufacturer"))
    assert r.status_code == 422, r.text
    assert [d["field"] for d in r.json()["diagnostics"]] == ["store"]


def test_free_text_url_parameters_are_documented_without_nul(client: TestClient) -> None:
    """The service refuses `%00` in any URL; the OpenAPI document says so on every free-text parameter."""
    schema = client.get("/openapi.json").json()
    free = [(path, p["name"], branch) for path, ops in schema["paths"].items() for op in ops.values()
            for p in op.get("parameters", []) if p["in"] in ("path", "query")
            for branch in p["schema"].get("anyOf", [p["schema"]]) if branch.get("type") == "string"
            and not {"format", "enum", "const"} & set(branch)]
    assert len(free) > 10
    assert all(branch.get("pattern") for _, _, branch in free), [f[:2] for f in free if not f[2].get("pattern")]
