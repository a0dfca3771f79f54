"""Property-based, over the application format (not the API's schema): the same generated document, given to the
CLI (`greencert check`, in-process), to the single endpoint as JSON and as YAML, to a batch, and to the web page's
endpoint (the page posts JSON to /v1/self-checks), gets the same decision, or is refused with the same diagnostic
codes everywhere. Bounded: 20 documents, under a minute (the CLI loads the rule sets for each, about 1 s)."""

from __future__ import annotations

import contextlib
import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.examples import APPLICATION
from engine.cli import main as cli
from tests.support.api_support import TODAY, Org

AS_OF = TODAY.isoformat()
MISSING = object()


@pytest.fixture(scope="module")
def backend() -> str:
    # reading and deciding come before the database: SQLite only (the conftest's backends run everything else
    # on PostgreSQL too), to keep this under a minute
    return "sqlite"

# values a field may be given: right, of the wrong kind, absent (numbers stay finite and within 1e100: the
# corpus beyond that is tests/api/test_api_one_intake.py's)
numbers = st.one_of(st.integers(-1000, 10**6), st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from([0, -0.0, 1e99]))
values = st.one_of(numbers, st.text(max_size=8), st.booleans(), st.none(), st.just(MISSING))
units = st.sampled_from(["mg/kg", "g/kg", "%", "ppm", "mg/kgg", "", "mg/L", MISSING])
indicators = st.sampled_from(["benzene", "甲醛", "formaldehyde", "formaldehide", "phthalates_max", "azo_dyes_max"])


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """The granted example with up to three changes, each of which may or may not make it invalid."""
    app = copy.deepcopy(APPLICATION)
    results = app["evidence"]["test_reports"][0]["results"]
    for change in draw(st.lists(st.sampled_from(["result", "result", "gloss", "base", "delete", "category"]),
                                max_size=3)):
        if change == "result":
            result: dict[str, Any] = {"indicator": draw(indicators)}
            for name, strategy in (("value", st.one_of(numbers, values)), ("unit", units)):
                v = draw(strategy)
                if v is not MISSING:
                    result[name] = v
            results[draw(st.integers(0, len(results) - 1))] = result
        elif change == "gloss":
            gloss = draw(st.one_of(numbers, st.text(max_size=4), st.just(MISSING)))
            if gloss is MISSING:
                app["product"]["parameters"].pop("gloss_60", None)
            else:
                app["product"]["parameters"]["gloss_60"] = gloss
        elif change == "base":
            app["product"]["parameters"]["base"] = draw(st.sampled_from(["waterborne", "solventborne", "water"]))
        elif change == "delete":
            path = draw(st.sampled_from(["category", "product.model", "evidence", "format", "id"]))
            node = app
            *parents, last = path.split(".")
            for p in parents:
                node = node.get(p, {})
            node.pop(last, None)
        else:
            app["category"] = draw(st.sampled_from(["coatings", "coating", "adhesives"]))
    return app


def _cli(tmp: Path, app: dict[str, Any]) -> tuple[str, Any]:
    path = tmp / "application.yaml"
    path.write_text(yaml.safe_dump(app, allow_unicode=True, sort_keys=False), encoding="utf-8")
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = cli(["check", str(path), "--as-of", AS_OF, "--format", "json"])
    data = json.loads(out.getvalue())
    if "diagnostics" in data:
        assert code != 0
        return "refused", sorted({d["code"] for d in data["diagnostics"]})
    return "decided", _decision(data)


def _decision(d: dict[str, Any]) -> Any:
    """What was decided: the outcome and every criterion's verdict (not who asked, when, or the binding flag)."""
    return d["outcome"], sorted((c["id"], c["verdict"]) for c in d["criteria"])


def _api(status: int, body: dict[str, Any]) -> tuple[str, Any]:
    if status in (200, 201):
        return "decided", _decision(body["decision"])
    assert status == 422, body
    return "refused", sorted({d["code"] for d in body["diagnostics"]})


def test_every_entry_point_decides_a_document_alike(client: TestClient, org: Org, tmp_path: Path) -> None:
    body_h, maker_h = org.headers("certification_body"), org.headers("manufacturer")
    seen: dict[str, int] = {}

    @settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(app=documents())
    def check(app: dict[str, Any]) -> None:
        expected = _cli(tmp_path, app)
        seen[expected[0]] = seen.get(expected[0], 0) + 1
        text = json.dumps(app, ensure_ascii=False)
        single = client.post(f"/v1/evaluations?as_of={AS_OF}", content=text.encode(),
                             headers={**body_h, "Content-Type": "application/json"})
        assert _api(single.status_code, single.json()) == expected, single.text
        as_yaml = client.post(f"/v1/self-checks?as_of={AS_OF}",
                              content=yaml.safe_dump(app, allow_unicode=True).encode(),
                              headers={**maker_h, "Content-Type": "application/yaml"})
        assert _api(as_yaml.status_code, as_yaml.json()) == expected, as_yaml.text
        # the web page's request: JSON.stringify of the form's application, to /v1/self-checks
        page = client.post(f"/v1/self-checks?as_of={AS_OF}", content=text.encode(),
                           headers={**maker_h, "Content-Type": "application/json"})
        assert _api(page.status_code, page.json()) == expected, page.text
        batch = client.post(f"/v1/evaluations/batch?as_of={AS_OF}", json={"items": [{"application": app}]},
                            headers=body_h)
        assert batch.status_code == 200, batch.text
        (item,) = batch.json()["results"]
        got = ("decided", _decision(item["evaluation"]["decision"])) if item["evaluation"] else (
            "refused", sorted({d["code"] for d in item["diagnostics"]}))
        assert got == expected, item

    check()
    print(f"\nCLI outcomes over the generated documents: {seen}")
    assert seen.get("decided", 0) >= 3 and seen.get("refused", 0) >= 3, seen  # both kinds were reached
