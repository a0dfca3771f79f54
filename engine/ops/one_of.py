"""`one_of: [a, b]` — any of the listed choices (a choice indicator, or a parameter's values)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..diagnostics import did_you_mean
from .base import Bounds, Operator, Problem


class OneOf(Operator):
    name = "one_of"
    order = 70
    kinds = frozenset({"choice"})
    requirement_schema = {"one_of": {"type": "array", "items": {"type": ["string", "number"]}, "minItems": 1}}
    condition_schema = {"type": "array", "items": {"$ref": "#/$defs/scalar"}, "minItems": 1}
    numeric = False

    def parse(self, raw: Any, data: Mapping[str, Any]) -> dict[str, Any]:
        return {"values": raw}

    def has_limit(self, req: Any) -> bool:
        return bool(req.values)

    def limit(self, req: Any) -> Any:
        return tuple(req.values or ())

    def describe(self, req: Any, unit: str) -> str:
        return "one of " + ", ".join(str(v) for v in req.values or ())

    def holds(self, req: Any, f: str, nd: str | None) -> dict[str, Any]:
        return {"$or": [{f: v} for v in req.values or ()]}

    def check(self, req: Any, indicator: Any, indicators: Mapping[str, Any]) -> Iterable[Problem]:
        for j, v in enumerate(req.values or ()):
            if indicator.choices and v not in indicator.choices:
                yield Problem("rules_reference_error", f"`{v}` is not a choice of indicator `{indicator.id}`",
                              ("one_of", j), hint=did_you_mean(str(v), indicator.choices))

    def narrow(self, req: Any, conv: Callable[[Any], float], bounds: Bounds) -> None:
        bounds.allow(req.values or ())

    def test(self, bound: Any, value: Any) -> bool:
        return value in (bound or ())

    def interval(self, bound: Any) -> set[tuple[bool, Any]]:
        return {(isinstance(v, bool), v) for v in bound or ()}

    def describe_bound(self, bound: Any) -> str:
        return "one of " + ", ".join(str(v) for v in bound or ())

    def condition_values(self, bound: Any) -> list[tuple[tuple[str | int, ...], Any]]:
        return [(("one_of", j), v) for j, v in enumerate(bound or ())]


OPERATOR = OneOf()
