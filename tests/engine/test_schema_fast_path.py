"""The fast application validator (fastjsonschema) and jsonschema agree on what is valid."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

from engine.schema_check import _fast_valid, validator
from engine.yamlsource import read_document

ROOT = Path(__file__).resolve().parents[2]

_BAD_VALUES: list[Any] = [None, "", "x", "2018-13-01", "2018-02-30", -1, 0, 1.5, True, [], {}, ["CMA"], "CMA",
                          "a" * 600, {"zh": "x"}]


def _mutations(data: Any, rng: random.Random, n: int) -> list[Any]:
    paths: list[tuple[Any, ...]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        paths.append(path)
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, (*path, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, (*path, i))

    walk(data, ())
    out = []
    for _ in range(n):
        d = copy.deepcopy(data)
        path = rng.choice(paths[1:])
        parent = d
        for p in path[:-1]:
            parent = parent[p]
        action = rng.random()
        if action < 0.3 and isinstance(parent, dict):
            del parent[path[-1]]
        elif action < 0.4 and isinstance(parent, dict):
            parent[str(path[-1]) + "_x"] = 1
        else:
            parent[path[-1]] = rng.choice(_BAD_VALUES)
        out.append(d)
    return out


def test_fast_and_full_validators_agree_on_examples_and_mutations() -> None:
    rng = random.Random(7)
    full = validator("application")
    files = [p for p in sorted(ROOT.glob("examples/*/*.yaml")) if p.name != "expected.yaml"]
    assert len(files) > 20
    checked = invalid = 0
    for path in files:
        doc, diags = read_document(path)
        assert doc is not None and not diags
        assert _fast_valid("application", doc.data), path
        for mutated in _mutations(doc.data, rng, 40):
            fast = _fast_valid("application", mutated)
            slow = not any(True for _ in full.iter_errors(mutated))
            assert fast == slow, (path, mutated)
            checked += 1
            invalid += not slow
    assert checked > 800 and invalid > checked // 3  # the mutations really produce invalid documents
