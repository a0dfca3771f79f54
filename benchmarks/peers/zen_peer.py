"""GoRules ZEN (`zen-engine`, Rust) given the criteria as one expression node; its Python call paths."""

# The decision graph is input -> expression node (one expression per criterion, keyed by criterion id) ->
# output. ZEN drops keys whose expression is null from the result, which reads as "no admitted value".
# Call paths measured (all with one decision loaded once, never one engine or runtime per call):
#   engine_dict    ZenEngine(static loader).evaluate(key, dict)      the documented shared-engine path
#   engine_json    ZenEngine(static loader).evaluate(key, JSON text)  the context serialised by json.dumps here
#   decision_dict  engine.create_decision(content).evaluate(dict)     no loader lookup per call
#   batch          ZenEngine.evaluate_batch([{key, context}, ...])    many contexts per call (ZEN's own thread
#                  pool; with this process pinned to one CPU, that pool has one thread)

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import zen

from .criteria import Check, Verdicts, zen_expression

__all__ = ["KEY", "ZenPeer", "decision_content"]

KEY = "greencert-criteria"


def decision_content(checks: Sequence[Check]) -> dict[str, Any]:
    """A JSON Decision Model: input -> expression node with one expression per criterion -> output."""
    return {
        "contentType": "application/vnd.gorules.decision",
        "nodes": [
            {"id": "input", "type": "inputNode", "name": "application", "position": {"x": 0, "y": 0}},
            {"id": "criteria", "type": "expressionNode", "name": "criteria", "position": {"x": 300, "y": 0},
             "content": {"expressions": [{"id": f"e{i}", "key": c.id, "value": zen_expression(c)}
                                         for i, c in enumerate(checks)]}},
            {"id": "output", "type": "outputNode", "name": "verdicts", "position": {"x": 600, "y": 0}},
        ],
        "edges": [{"id": "e-in", "type": "edge", "sourceId": "input", "targetId": "criteria"},
                  {"id": "e-out", "type": "edge", "sourceId": "criteria", "targetId": "output"}],
    }


class ZenPeer:
    """One ZenEngine with the decision loaded once; every method maps a list of inputs to verdict vectors."""

    def __init__(self, checks: Sequence[Check]):
        self.checks = list(checks)
        self.ids = [c.id for c in self.checks]
        self.content = decision_content(self.checks)
        self.engine = zen.ZenEngine({"loader": {"type": "static", "content": {KEY: self.content}}})
        self.decision = self.engine.create_decision(json.dumps(self.content))
        self.version = _version()

    def _verdicts(self, result: Mapping[str, Any]) -> Verdicts:
        get = result.get
        return tuple(None if (v := get(i)) is None else ("pass" if v else "fail") for i in self.ids)

    def paths(self) -> dict[str, Callable[[Sequence[Mapping[str, Any]]], list[Verdicts]]]:
        return {"engine_dict": self.engine_dict, "engine_json": self.engine_json, "decision_dict": self.decision_dict}

    def engine_dict(self, inputs: Sequence[Mapping[str, Any]]) -> list[Verdicts]:
        evaluate, verdicts = self.engine.evaluate, self._verdicts
        return [verdicts(evaluate(KEY, ctx)["result"]) for ctx in inputs]

    def engine_json(self, inputs: Sequence[Mapping[str, Any]]) -> list[Verdicts]:
        evaluate, verdicts, dumps = self.engine.evaluate, self._verdicts, json.dumps
        return [verdicts(evaluate(KEY, dumps(ctx))["result"]) for ctx in inputs]

    def decision_dict(self, inputs: Sequence[Mapping[str, Any]]) -> list[Verdicts]:
        evaluate, verdicts = self.decision.evaluate, self._verdicts
        return [verdicts(evaluate(ctx)["result"]) for ctx in inputs]

    def batch(self, inputs: Sequence[Mapping[str, Any]], chunk: int = 500) -> list[Verdicts]:
        out: list[Verdicts] = []
        for k in range(0, len(inputs), chunk):
            results = self.engine.evaluate_batch([{"key": KEY, "context": ctx} for ctx in inputs[k:k + chunk]])
            for r in results:
                if not r.get("success"):
                    raise RuntimeError(f"ZEN evaluate_batch failed: {r.get('error')}")
                out.append(self._verdicts(r["data"]["result"]))
        return out


def _version() -> str:
    from importlib.metadata import version

    return version("zen-engine")
