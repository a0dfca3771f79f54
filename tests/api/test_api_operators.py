"""GET /v1/operators: the engine's operator registry (engine/ops) as clients read it; the self-check page draws
each requirement's closeness bar from it rather than from a list of its own (issue 19)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.examples import OPERATORS
from engine import ops
from tests.support.api_support import Org


def test_the_operators_are_the_engines_registry(client: TestClient, org: Org) -> None:
    r = client.get("/v1/operators", headers=org.headers("manufacturer"))
    assert r.status_code == 200
    listed = r.json()["operators"]
    assert [o["name"] for o in listed] == list(ops.REGISTRY)  # in the engine's order
    by_name = {o["name"]: o for o in listed}
    # which side of the limit passes: read from each operator's module
    assert {n: o["bound"] for n, o in by_name.items()} == {
        "lte": "upper", "lt": "upper", "not_detected": "upper", "ratio_lte": "upper", "gte": "lower", "gt": "lower",
        "between": "range", "eq": None, "one_of": None, "present": None}
    assert by_name["present"]["kinds"] == ["document"] and by_name["one_of"]["kinds"] == ["choice"]
    assert by_name["lte"]["conditions"] is True and by_name["ratio_lte"]["conditions"] is False
    assert by_name["ratio_lte"]["summary"].startswith("`ratio_lte: {denominator: b, max: x}` — the criterion's")
    assert all(o["summary"] and "\n" not in o["summary"] for o in listed)
    # the documented example is what the service answers for those operators
    for example in OPERATORS["operators"]:
        assert by_name[example["name"]] == example


def test_the_operators_need_a_key(client: TestClient) -> None:
    r = client.get("/v1/operators")
    assert r.status_code == 401
    assert r.json()["diagnostics"][0]["code"]
