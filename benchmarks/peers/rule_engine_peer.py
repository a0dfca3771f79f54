"""rule-engine (PyPI `rule-engine`, pure Python) and plain Python closures given the same criteria."""

# rule-engine: one Rule whose expression is an array literal of the criteria's pass conditions (one parse,
# one `evaluate` per application, which is its fastest use: thirty separate Rules cost ~30 evaluations).
# Plain Python: one closure per criterion, generated from the same table; the floor for "30 comparisons in
# Python", with no engine around them.

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import rule_engine

from .criteria import Check, Verdicts, python_predicate, rule_engine_expression

__all__ = ["RuleEnginePeer", "PythonPeer"]


class RuleEnginePeer:
    def __init__(self, checks: Sequence[Check]):
        self.checks = list(checks)
        self.expression = "[" + ", ".join(rule_engine_expression(c) for c in self.checks) + "]"
        self.rule = rule_engine.Rule(self.expression, context=rule_engine.Context(default_value=None))
        from importlib.metadata import version

        self.version = version("rule-engine")

    def evaluate_all(self, inputs: Sequence[Mapping[str, Any]]) -> list[Verdicts]:
        evaluate = self.rule.evaluate
        return [tuple(None if v is None else ("pass" if v else "fail") for v in evaluate(ctx)) for ctx in inputs]


class PythonPeer:
    def __init__(self, checks: Sequence[Check]):
        self.pairs = [(c.field, python_predicate(c)) for c in checks]

    def evaluate_all(self, inputs: Sequence[Mapping[str, Any]]) -> list[Verdicts]:
        pairs = self.pairs
        return [tuple(None if f not in ctx else ("pass" if p(ctx) else "fail") for f, p in pairs) for ctx in inputs]
