"""The OpenAPI document: every operation documented with examples; examples and mirrors match the real API."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import typing

import jsonschema
from fastapi.testclient import TestClient
from pydantic import BaseModel

from api import examples, schemas
from api.examples import APPLICATION_EXAMPLES
from engine import decision as engine_decision
from engine.schema_check import load_schema
from tests.support.api_support import Org


def _operations(doc: dict) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    return [(m.upper(), p, op) for p, item in doc["paths"].items() for m, op in item.items()]


def test_every_operation_is_versioned_documented_and_has_error_responses(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    for method, path, op in _operations(doc):
        assert path.startswith("/v1/"), path
        assert op.get("summary"), (method, path)
        if path not in ("/v1/health", "/v1/ready") and not path.startswith("/v1/public/"):
            assert {"401", "403"} <= set(op["responses"]), (method, path)
            assert op["security"] == [{"HTTPBearer": []}], (method, path)
            assert op["responses"]["401"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorBody"}


def test_every_operation_has_examples(client: TestClient) -> None:
    """Each request body and each success response carries an example (arrays: an example of their items)."""
    doc = client.get("/openapi.json").json()
    components = doc["components"]["schemas"]

    def has_example(schema: dict) -> bool:  # type: ignore[type-arg]
        if "$ref" in schema:
            schema = components[schema["$ref"].rsplit("/", 1)[1]]
        if "examples" in schema:
            return True
        return schema.get("type") == "array" and has_example(schema.get("items", {}))

    missing = []
    for method, path, op in _operations(doc):
        for media_type, media in op.get("requestBody", {}).get("content", {}).items():
            if "examples" not in media and not has_example(media.get("schema", {})):
                missing.append(f"{method} {path} request {media_type}")
        for code, response in op["responses"].items():
            for media_type, media in response.get("content", {}).items():
                if code.startswith("2") and not has_example(media.get("schema", {})):
                    missing.append(f"{method} {path} {code} {media_type}")
        for p in op.get("parameters", []):
            if p["in"] == "path" and "examples" not in p.get("schema", {}) and "example" not in p:
                missing.append(f"{method} {path} parameter {p['name']}")
    assert missing == []


def test_the_application_in_openapi_is_the_engines_schema(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    published = doc["components"]["schemas"]["Application"]
    engine_schema = copy.deepcopy(load_schema("application"))
    engine_schema.pop("$schema")
    engine_schema.pop("$id")
    assert published == engine_schema
    body = doc["paths"]["/v1/evaluations"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/Application"}
    batch_item = doc["components"]["schemas"]["BatchItemIn"]["properties"]["application"]
    assert batch_item == {"$ref": "#/components/schemas/Application"}


def test_request_examples_are_valid_and_do_what_they_say(client: TestClient, org: Org) -> None:
    validator = jsonschema.Draft202012Validator(load_schema("application"))
    expected = {"granted": (201, "granted"), "refused": (201, "refused"), "unknown_unit": (422, None)}
    assert set(APPLICATION_EXAMPLES) == set(expected)
    for name, example in APPLICATION_EXAMPLES.items():
        assert not list(validator.iter_errors(example["value"])), name
        r = client.post("/v1/evaluations?as_of=2026-11-01", json=example["value"],
                        headers=org.headers("certification_body"))
        status, outcome = expected[name]
        assert r.status_code == status, (name, r.text)
        if outcome:
            assert r.json()["decision"]["outcome"] == outcome
        else:
            # its position is in the body as sent: the example's is that of httpx's compact JSON
            assert r.json() == {"diagnostics": [{**examples.ERROR["diagnostics"][0]}]}
    batch = client.post("/v1/evaluations/batch", json=examples.BATCH_REQUEST, headers=org.headers("certification_body"))
    assert [x["status"] for x in batch.json()["results"]] == [201, 201]


def test_every_model_example_validates_against_its_model() -> None:
    checked = 0
    for name in schemas.__all__:
        model = getattr(schemas, name)
        if isinstance(model, type) and issubclass(model, BaseModel):
            extra = model.model_config.get("json_schema_extra")
            found = extra.get("examples") if isinstance(extra, dict) else None
            for example in found if isinstance(found, list) else []:
                model.model_validate(example)
                checked += 1
    assert checked >= 18


_MIRRORS: dict[type, type[BaseModel]] = {
    engine_decision.Decision: schemas.DecisionOut, engine_decision.CriterionResult: schemas.CriterionResultOut,
    engine_decision.Measured: schemas.MeasuredOut, engine_decision.EvidenceRef: schemas.EvidenceRefOut,
    engine_decision.Rejection: schemas.RejectionOut, engine_decision.RequirementResult: schemas.RequirementResultOut,
    engine_decision.InspectionResult: schemas.InspectionResultOut, engine_decision.LabelResult: schemas.LabelResultOut,
    engine_decision.MissingItem: schemas.MissingItemOut, engine_decision.OpenGrade: schemas.OpenGradeOut,
}


def test_the_api_decision_models_mirror_the_engines() -> None:
    """When the engine's Decision gains or loses a field, this fails until api/schemas.py follows."""
    for engine_cls, api_cls in _MIRRORS.items():
        engine_fields = [f.name for f in dataclasses.fields(engine_cls)]
        assert list(api_cls.model_fields) == engine_fields, engine_cls.__name__
        hints = typing.get_type_hints(engine_cls)
        for name in engine_fields:
            if hints[name] is dt.date:
                assert api_cls.model_fields[name].annotation is dt.date, (engine_cls.__name__, name)


def test_docs_page_and_everything_it_loads_are_served_here(client: TestClient) -> None:
    """Swagger UI's files come from this service, not a CDN (tests/web/test_docs_page.py loads it in a browser
    with every other host blocked); ReDoc is off."""
    page = client.get("/docs")
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    assert "http://" not in page.text and "https://" not in page.text and "//cdn" not in page.text
    for asset in ("/docs/static/swagger-ui-bundle.js", "/docs/static/swagger-ui.css", "/docs/static/favicon-32x32.png"):
        assert f"'{asset}'" in page.text or f'"{asset}"' in page.text, asset
        r = client.get(asset)
        assert r.status_code == 200 and len(r.content) > 500, asset
    assert client.get("/docs/static/swagger-ui-bundle.js").headers["content-type"].startswith("text/javascript")
    for other in ("index.html", "../__init__.py", "swagger-ui.js.map", "LICENSE"):
        assert client.get(f"/docs/static/{other}").status_code == 404, other
    assert client.get("/docs/oauth2-redirect").status_code == 200
    assert client.get("/redoc").status_code == 404


def test_unknown_paths_and_methods_answer_in_the_one_shape(client: TestClient) -> None:
    r = client.get("/v2/categories")
    assert r.status_code == 404 and r.json()["diagnostics"][0]["code"] == "not_found"
    r = client.put("/v1/categories")
    assert r.status_code == 405 and r.json()["diagnostics"][0]["code"] == "method_not_allowed"



def test_405_names_every_method_the_path_serves(client: TestClient) -> None:
    """Starlette named only the first route's methods (`Allow: POST` for `PUT /v1/evaluations`)."""
    doc = client.get("/openapi.json").json()
    for path in ("/v1/evaluations", "/v1/keys", "/v1/keys/key_x", "/v1/evaluations/batch", "/v1/health",
                 "/v1/evaluations/x/reproduction"):
        r = client.request("PATCH", path)
        assert r.status_code == 405, path
        allowed = r.headers["Allow"].split(", ")
        templates = [p for p in doc["paths"] if _template_matches(p, path)]
        fewest = min(p.count("{") for p in templates)  # the most specific path is the resource
        assert allowed == sorted({m.upper() for p in templates if p.count("{") == fewest for m in doc["paths"][p]})
        (d,) = r.json()["diagnostics"]
        assert d["code"] == "method_not_allowed" and d["message"] == "method `PATCH` is not allowed here"
    assert client.request("PUT", "/v1/evaluations").headers["Allow"] == "GET, POST"
    # the batch path would also fit an evaluation id; the resource is the batch
    assert client.request("PUT", "/v1/evaluations/batch").headers["Allow"] == "POST"


def _template_matches(template: str, path: str) -> bool:
    parts, wanted = template.split("/"), path.split("/")
    return len(parts) == len(wanted) and all(p == w or p.startswith("{") for p, w in zip(parts, wanted))


def test_the_yaml_body_is_declared_as_a_yaml_application(client: TestClient, org: Org) -> None:
    from engine.yamlsource import parse_text

    doc = client.get("/openapi.json").json()
    for path in ("/v1/evaluations", "/v1/self-checks"):
        content = doc["paths"][path]["post"]["requestBody"]["content"]
        assert set(content) == {"application/json", "application/yaml"}
        media = content["application/yaml"]
        # the document the YAML text parses to is an application (as for JSON, the schema is of the data)
        assert media["schema"]["$ref"] == "#/components/schemas/Application"
        assert "YAML" in media["schema"]["description"]
        # the example is YAML text whose document is an application, and the service takes it
        (example,) = media["examples"].values()
        validator = jsonschema.Draft202012Validator(load_schema("application"))
        parsed, diagnostics = parse_text(example["value"], "<example>")  # the service's own YAML reading
        assert parsed is not None and not diagnostics
        assert not list(validator.iter_errors(parsed.data))
    r = client.post("/v1/self-checks?as_of=2026-11-01", content=example["value"].encode("utf-8"),
                    headers=org.headers("manufacturer", **{"Content-Type": "application/yaml"}))
    assert r.status_code == 200, r.text
