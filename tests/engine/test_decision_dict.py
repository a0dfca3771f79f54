"""`Decision.to_dict` (generated per record class) gives exactly what a plain recursive walk gives."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import yaml

from engine import Repository, read_application
from engine.decision import EvidenceRef, Measured, to_jsonable
from engine.loader import PROJECT_ROOT


def plain_walk(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain_walk(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [plain_walk(v) for v in value]
    if isinstance(value, dict):
        return {k: plain_walk(v) for k, v in value.items()}
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def test_every_example_decision_converts_as_the_plain_walk(repo: Repository) -> None:
    checked = 0
    for expected in sorted((PROJECT_ROOT / "examples").glob("*/expected.yaml")):
        for case in yaml.safe_load(expected.read_text(encoding="utf-8")):
            if case.get("overlay"):
                continue
            app, doc, diags = read_application(expected.parent / case["file"])
            assert app is not None and doc is not None, diags
            as_of = case["as_of"] if isinstance(case["as_of"], dt.date) else dt.date.fromisoformat(case["as_of"])
            for binding in (True, False):
                _same(repo.check(app, doc, as_of, binding=binding))
                checked += 1
    assert checked >= 40


def _same(decision: Any) -> None:
    fast = decision.to_dict()
    # equal, with the same keys in the same order, and JSON-ready as it is (json.dumps has no default here)
    assert fast == plain_walk(decision)
    assert json.dumps(fast, ensure_ascii=False) == json.dumps(plain_walk(decision), ensure_ascii=False)


def test_values_of_unexpected_types_still_convert() -> None:
    # a field declared as a scalar but holding a date or tuple is not copied blindly where the type says other
    ref = EvidenceRef("test_report", "R1", "Lab", ("CMA", "CNAS"), dt.date(2026, 1, 2), "M1", None)
    m = Measured(value=1.5, unit="mg/kg", not_detected=False, reported_value=1.5, reported_unit="mg/kg")
    assert to_jsonable(ref) == {"kind": "test_report", "id": "R1", "laboratory": "Lab", "qualifications": ["CMA", "CNAS"],
                                "issued": "2026-01-02", "model": "M1", "valid_until": None}
    assert to_jsonable(m) == plain_walk(m)
    assert to_jsonable((ref, {"a": (1, dt.date(2020, 1, 1))})) == [plain_walk(ref), {"a": [1, "2020-01-01"]}]
