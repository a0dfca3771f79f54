"""Submissions answer with JSON encoded once (orjson), not through FastAPI's response model: the bytes must be
exactly what the model would have produced, for every shipped example, binding, self-check, stored or replayed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from api.schemas import EvaluationOut
from engine.loader import PROJECT_ROOT
from tests.support.api_support import TODAY, Org


def _examples() -> list[tuple[Path, dt.date]]:
    out = []
    for expected in sorted((PROJECT_ROOT / "examples").glob("*/expected.yaml")):
        for case in yaml.safe_load(expected.read_text(encoding="utf-8")):
            if not case.get("overlay"):
                as_of = case["as_of"] if isinstance(case["as_of"], dt.date) else dt.date.fromisoformat(case["as_of"])
                out.append((expected.parent / case["file"], as_of))
    return out


def _check(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    # byte for byte: the same keys in the same order, numbers written the same way (100 stays 100, 1e-05 ...)
    assert response.content == EvaluationOut.model_validate(body).model_dump_json().encode("utf-8")
    return body


def test_every_example_answers_as_the_response_model_would(client: TestClient, org: Org) -> None:
    cases = _examples()
    assert len(cases) >= 20
    for path, as_of in cases:
        text = path.read_text(encoding="utf-8")
        yaml_headers = {"Content-Type": "application/yaml"}
        r = client.post(f"/v1/evaluations?as_of={as_of}", content=text.encode(),
                        headers=org.headers("certification_body", **yaml_headers))
        body = _check(r, 201)
        assert body["stored"] is True and body["created_at"].endswith("Z")
        r = client.post(f"/v1/self-checks?as_of={as_of}", content=text.encode(),
                        headers=org.headers("manufacturer", **yaml_headers))
        assert _check(r, 200)["stored"] is False


@pytest.mark.parametrize("store", [True, False])
def test_replayed_and_stored_self_checks(client: TestClient, org: Org, store: bool) -> None:
    path = PROJECT_ROOT / "examples" / "coatings" / "granted.yaml"
    headers = org.headers("manufacturer", **{"Content-Type": "application/yaml", "Idempotency-Key": f"k-{store}"})
    url = f"/v1/self-checks?as_of={TODAY}&store={'true' if store else 'false'}"
    first = client.post(url, content=path.read_bytes(), headers=headers)
    body = _check(first, 201 if store else 200)
    again = client.post(url, content=path.read_bytes(), headers=headers)
    if store:
        assert _check(again, 200) == body
        assert again.headers["Idempotent-Replayed"] == "true"
        # and reading it back through the model-validated route gives the same record
        stored = client.get(f"/v1/self-checks/{body['id']}", headers=org.headers("manufacturer")).json()
        assert {k: stored[k] for k in body} == body
    else:
        assert "Idempotent-Replayed" not in again.headers
