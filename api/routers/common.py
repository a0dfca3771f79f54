"""Shared OpenAPI pieces of the routers: documented error responses and the application request body."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Response

from ..examples import APPLICATION_EXAMPLES
from ..schemas import APPLICATION_REF, ErrorBody, EvaluationBatchIn, SelfCheckBatchIn

__all__ = ["batch_body", "batch_components",
           "ERRORS", "AUTH_ERRORS", "BODY", "APPLICATION_BODY", "YAML_APPLICATION_SCHEMA", "responses", "json_response"]

_DESCRIPTIONS = {
    400: "the body could not be read at all (not UTF-8, a broken multipart form)",
    401: "no API key, or an unknown or revoked one",
    403: "the key's role may not use this endpoint",
    404: "no such record for this organisation (records of other organisations are not found either)",
    408: "the body did not arrive in time (`GREENCERT_BODY_TIMEOUT_SECONDS`); the connection is closed",
    413: "the body is over the configured size",
    415: "the body is neither JSON nor YAML",
    422: "the request or the application is invalid; each diagnostic names its field",
    429: "too many failed authentications from this client address; retry after `Retry-After` seconds",
    503: "the database cannot be reached, or reading and checking the body took longer than the limit "
         "(`GREENCERT_PARSE_TIMEOUT_SECONDS`; code `time_limit_exceeded`) or found no free worker in time "
         "(`service_busy`)",
}
ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorBody, "description": text}
                                           for code, text in _DESCRIPTIONS.items()}
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {code: ERRORS[code] for code in (401, 403, 429, 503)}
# what reading a request body can end in, besides what the body says
BODY = (400, 408, 413)


def json_response(content: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """`content` (plain data: dicts, lists, str, numbers, dates) as JSON, encoded once with orjson: datetimes as
    pydantic writes them (UTC with `Z`), dates as ISO. For responses whose data already has its model's shape."""
    body = orjson.dumps(content, option=orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC)
    return Response(body, status_code=status_code, headers=headers, media_type="application/json")


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {**AUTH_ERRORS, **{code: ERRORS[code] for code in codes}}


_YAML_EXAMPLE = """format: greencert/application@1
category: coatings
product:
  model: LW-2100
  parameters: {base: waterborne, use: interior_wall, gloss_60: 5}
evidence:
  test_reports:
    - id: CMA-2026-0415
      laboratory: {name: Guangdong Inspection Institute, qualifications: [CMA]}
      issued: 2026-04-15
      model: LW-2100
      results:
        - {indicator: benzene, value: 20, unit: mg/kg}
"""

# The YAML body is YAML text; its schema is that of the document it parses to (an `Application`), as for any
# JSON-compatible media type: generators then send YAML applications, not YAML strings.
YAML_APPLICATION_SCHEMA: dict[str, Any] = {
    **APPLICATION_REF,
    "description": "a UTF-8 YAML document that parses to an `Application` (the same fields as the JSON body); "
                   "its diagnostics carry line and column; anchors and aliases are refused"}

APPLICATION_BODY: dict[str, Any] = {"requestBody": {
    "required": True,
    "description": "a `greencert/application@1` document, as JSON (`application/json`) or as YAML "
                   "(`application/yaml`; also `application/x-yaml`, `text/yaml`)",
    "content": {
        "application/json": {"schema": APPLICATION_REF, "examples": APPLICATION_EXAMPLES},
        "application/yaml": {"schema": YAML_APPLICATION_SCHEMA, "examples": {"yaml": {"value": _YAML_EXAMPLE}}},
    },
}}


# The batch bodies are read by the service's own intake (`api.service.read_batch`, in a worker process), not by
# FastAPI: the document describes them with their models all the same (api.app adds these to its components).
_BATCH_MODELS = (EvaluationBatchIn, SelfCheckBatchIn)


def batch_components() -> dict[str, Any]:
    """The batch models' schemas (and those they use), for the OpenAPI document's components."""
    out: dict[str, Any] = {}
    for model in _BATCH_MODELS:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        out.update(schema.pop("$defs", {}))
        out[model.__name__] = schema
    return out


def batch_body(model: type[EvaluationBatchIn]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}}
