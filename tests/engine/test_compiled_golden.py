"""The compiled form of shipped editions held to golden files: their durable rules and every plan the evaluator reads.

Two editions between them show most of what the compiler makes: `coatings/GB-T-35602-2017` has criteria with
shipped limits (failure rules, margins, evidence policies) and `wood_panels/GB-T-35601-2017` grade labels (graded
rules on fields converted to each grade's unit) and a criterion whose limit is not shipped; both have basic
requirements and a factory inspection. A change of the compiler, of an operator (engine/ops) or of an edition's
YAML shows here as the paths of the compiled form that changed. If the change is intended, regenerate the files
and commit them with the change:

    GREENCERT_UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/engine/test_compiled_golden.py
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from engine import Repository
from engine.compiler import CompiledRuleSet

RULESETS = ("coatings/GB-T-35602-2017", "wood_panels/GB-T-35601-2017")
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
UPDATE = "GREENCERT_UPDATE_GOLDEN"


def _plain(value: Any) -> Any:
    """A plan as JSON data: dataclasses field by field, models by id (the rule set's own objects), functions
    by their being there (what they compute is tested by the evaluator's tests), sets sorted."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, BaseModel):
        ident = getattr(value, "id", None)
        return f"<{type(value).__name__} {ident}>" if ident is not None else value.model_dump(mode="json")
    if callable(value):
        return "<function>"
    if isinstance(value, (frozenset, set)):
        return sorted(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def compiled_form(compiled: CompiledRuleSet) -> dict[str, Any]:
    return {
        "ruleset": compiled.ruleset.id,
        "version": compiled.version,
        "durable": {"rules": compiled.rules, "facts": compiled.durable.chunk_count},
        "criteria": _plain(compiled.criteria),
        "basics": _plain(compiled.basics),
        "inspection_field": compiled.inspection_field,
        "grades": _plain(compiled.grades),
        "labels": _plain(compiled.labels),
        "default_scope": list(compiled.default_scope),
        "static_caveats": list(compiled.static_caveats),
        "condition_params": list(compiled.condition_params),
    }


def _changes(old: Any, new: Any, path: str = "") -> Iterator[str]:
    """The JSON paths where `new` differs from `old`, each with both values (shortened)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            if key not in new:
                yield f"{path}/{key}: removed"
            elif key not in old:
                yield f"{path}/{key}: added ({_short(new[key])})"
            else:
                yield from _changes(old[key], new[key], f"{path}/{key}")
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new)):
            yield from _changes(a, b, f"{path}/{i}")
    elif old != new:
        yield f"{path or '/'}: {_short(old)} -> {_short(new)}"


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."


def _render(form: dict[str, Any]) -> str:
    return json.dumps(form, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


@pytest.fixture(scope="module")
def shipped() -> Iterator[Repository]:
    repo = Repository.load()
    yield repo
    repo.close()


@pytest.mark.parametrize("ruleset", RULESETS)
def test_the_compiled_form_of_a_shipped_edition_matches_its_golden_file(shipped: Repository, ruleset: str) -> None:
    golden_file = GOLDEN_DIR / f"compiled_{ruleset.replace('/', '_')}.json"
    now = json.loads(_render(compiled_form(shipped.compiled(ruleset))))  # as JSON reads it back
    if os.environ.get(UPDATE) == "1":
        golden_file.parent.mkdir(exist_ok=True)
        golden_file.write_text(_render(now), encoding="utf-8")
    assert golden_file.exists(), f"no golden file {golden_file.name}: write it with {UPDATE}=1 (see the docstring)"
    golden = json.loads(golden_file.read_text(encoding="utf-8"))
    changes = list(_changes(golden, now))
    assert not changes, (
        f"the compiled form of `{ruleset}` differs from {golden_file.relative_to(golden_file.parents[3])} at "
        f"{len(changes)} place(s) (golden -> now):\n  " + "\n  ".join(changes[:25])
        + ("\n  ..." if len(changes) > 25 else "")
        + "\n`durable/rules` is what durable-rules evaluates: it should change only with the edition's YAML (and then "
        "`version` changes too) or with an operator's encoding (engine/ops), never with a refactoring. If the change "
        f"is intended, regenerate the file with `{UPDATE}=1 .venv/bin/python -m pytest -q "
        "tests/engine/test_compiled_golden.py` and commit it with the change.")


def test_a_change_is_reported_by_its_path() -> None:
    """The message names what changed, not just that something did (the golden test is read by whoever broke it)."""
    old = {"durable": {"rules": {"c0": {"$gt": {"c0": 10}}}}, "criteria": [{"unit": "mg/kg"}, {"rule": "c1"}]}
    new = {"durable": {"rules": {"c0": {"$gt": {"c0": 12}}}}, "criteria": [{"unit": "mg/kg"}, {"rule": None}],
           "grades": []}
    assert list(_changes(old, new)) == ["/criteria/1/rule: \"c1\" -> null", "/durable/rules/c0/$gt/c0: 10 -> 12",
                                        "/grades: added ([])"]
