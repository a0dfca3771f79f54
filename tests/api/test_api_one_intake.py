"""One intake for every entry point: the bad-input corpus gets the same answer from a single request and from a
batch item, and every binding record stored through any entry point reproduces identically (or was refused).

The probe: a 400-digit integer in a batch item gave a 500 (OverflowError); NaN passed the batch parser and the
stored application held `null` where NaN was evaluated, so its re-evaluation was 422 and its reproduction 500."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.examples import APPLICATION
from tests.support.api_support import TODAY, Org

AS_OF = TODAY.isoformat()
MARK = "@@VALUE@@"

# JSON text of each bad value (not all of it is JSON: that is the point)
CORPUS: dict[str, str] = {
    "nan": "NaN", "infinity": "Infinity", "-infinity": "-Infinity", "1e400": "1e400", "-1e400": "-1e400",
    "10**400": "1" + "0" * 400, "-10**400": "-1" + "0" * 400, "10**5000": "1" + "0" * 5000, "-0.0": "-0.0",
    "0.0": "0.0", "lone surrogate": '"\\ud800"', "nul": '"a\\u0000b"', "deep": "[" * 10_000 + "]" * 10_000,
}
# where in the application the value goes: a number the decision reads, a parameter, a text field
PLACES: dict[str, Callable[[dict[str, Any]], None]] = {
    "result": lambda app: app["evidence"]["test_reports"][0]["results"][1].__setitem__("value", MARK),
    "parameter": lambda app: app["product"]["parameters"].__setitem__("gloss_60", MARK),
    "text": lambda app: app["product"].__setitem__("name", MARK),
}


def _text(place: str, value: str, wrap: Callable[[str], str] = lambda s: s) -> bytes:
    app = copy.deepcopy(APPLICATION)
    app["id"] = f"ONE-INTAKE-{place}"
    PLACES[place](app)
    return wrap(json.dumps(app, ensure_ascii=False).replace(json.dumps(MARK), value)).encode("utf-8")


def _batch(application_text: str) -> str:
    return '{"items": [{"application": ' + application_text + "}]}"


def _answer(status: int, diagnostics: list[dict[str, Any]], prefix: str = "") -> tuple[int, list[Any]]:
    """What a refusal says, fields relative to the application."""
    def field(f: str | None) -> str | None:
        return f[len(prefix):] if f and prefix and f.startswith(prefix) else f
    return status, sorted((d["code"], field(d["field"])) for d in diagnostics)


CASES = [(place, name) for place in PLACES for name in CORPUS]


@pytest.mark.parametrize(("place", "name"), CASES, ids=[f"{p}-{n}" for p, n in CASES])
def test_single_and_batch_give_the_same_answer(client: TestClient, org: Org, place: str, name: str) -> None:
    h = org.headers("certification_body", **{"Content-Type": "application/json"})
    single = client.post(f"/v1/self-checks?as_of={AS_OF}", content=_text(place, CORPUS[name]),
                         headers=org.headers("manufacturer", **{"Content-Type": "application/json"}))
    batch = client.post(f"/v1/self-checks/batch?as_of={AS_OF}", content=_text(place, CORPUS[name], _batch),
                        headers=org.headers("manufacturer", **{"Content-Type": "application/json"}))
    assert single.status_code < 500 and batch.status_code < 500, (single.text, batch.text)
    if single.status_code == 200:
        assert batch.status_code == 200
        (item,) = batch.json()["results"]
        assert item["status"] == 200
        assert item["evaluation"]["decision"] == single.json()["decision"]
        return
    if batch.status_code == 200:  # the body was read: the item carries the refusal
        (item,) = batch.json()["results"]
        got = _answer(item["status"], item["diagnostics"], "items[0].application.")
    else:  # the body itself could not be read (not JSON, too deep): the same reader's diagnostics
        got = _answer(batch.status_code, batch.json()["diagnostics"], "items[0].application.")
    assert got == _answer(single.status_code, single.json()["diagnostics"]), (single.text, batch.text)
    # and the binding endpoints say the same as the self-check ones
    binding = client.post(f"/v1/evaluations?as_of={AS_OF}", content=_text(place, CORPUS[name]), headers=h)
    assert _answer(binding.status_code, binding.json()["diagnostics"]) == _answer(
        single.status_code, single.json()["diagnostics"])


# (10,000-deep YAML takes PyYAML seconds to refuse: test_api_bounded_reading.py sends it, bounded in time)
YAML_CORPUS: dict[str, str] = {
    "nan": ".nan", "infinity": ".inf", "-infinity": "-.inf", "1e400": "1e400", "10**400": "1" + "0" * 400,
    "-0.0": "-0.0", "lone surrogate": '"\\ud800"', "nul": '"a\\0b"', "deep": "[" * 500 + "]" * 500,
}


def _yaml(place: str, value: str) -> bytes:
    # JSON is YAML: the same document, sent as `application/yaml`, read by the YAML reader
    return _text(place, value).replace(b"ONE-INTAKE-", b"ONE-INTAKE-YAML-")


def _stored_ids(client: TestClient, org: Org) -> list[str]:
    h = org.headers("certification_body")
    ids: list[str] = []
    for place in PLACES:
        for value in CORPUS.values():
            for body in (_text(place, value), _text(place, value, _batch)):
                batch = body.startswith(b'{"items"')
                r = client.post(f"/v1/evaluations{'/batch' if batch else ''}?as_of={AS_OF}", content=body,
                                headers={**h, "Content-Type": "application/json"})
                assert r.status_code < 500, r.text
                if batch and r.status_code == 200:
                    ids.extend(item["evaluation"]["id"] for item in r.json()["results"] if item["evaluation"])
                elif r.status_code == 201:
                    ids.append(r.json()["id"])
        for value in YAML_CORPUS.values():
            r = client.post(f"/v1/evaluations?as_of={AS_OF}", content=_yaml(place, value),
                            headers={**h, "Content-Type": "application/yaml"})
            assert r.status_code < 500, r.text
            if r.status_code == 201:
                ids.append(r.json()["id"])
    # a declared charset (GB18030, as a Chinese certification body's system may send) decodes to the same text
    r = client.post(f"/v1/evaluations?as_of={AS_OF}", content=json.dumps(APPLICATION, ensure_ascii=False)
                    .encode("gb18030"), headers={**h, "Content-Type": "application/json; charset=GB18030"})
    assert r.status_code == 201, r.text
    assert client.get(f"/v1/evaluations/{r.json()['id']}", headers=h).json()["application"] == APPLICATION
    ids.append(r.json()["id"])
    # re-evaluations of what was stored are records too
    for record in list(ids):
        r = client.post(f"/v1/evaluations/{record}/re-evaluations?as_of={AS_OF}", headers=h)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


def test_every_record_stored_through_any_entry_point_reproduces(client: TestClient, org: Org) -> None:
    h = org.headers("certification_body")
    ids = _stored_ids(client, org)
    assert len(ids) >= 10  # the good values (-0.0, 0.0) got through, and were recorded
    for record in ids:
        r = client.get(f"/v1/evaluations/{record}/reproduction", headers=h)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["reproducible"] and body["identical"], body
