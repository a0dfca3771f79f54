"""`between: [low, high]` — from low to high, both included (a range: only a quantified result can prove it)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .base import Bounds, Interval, Operator, Problem, fmt, is_number

_PAIR = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}


class Between(Operator):
    name = "between"
    order = 60
    bound = "range"
    requirement_schema = {"between": {**_PAIR, "type": ["array", "null"]}}
    condition_schema = _PAIR

    def parse(self, raw: Any, data: Mapping[str, Any]) -> dict[str, Any]:
        return {} if raw is None else {"low": raw[0], "high": raw[1]}

    def has_limit(self, req: Any) -> bool:
        return req.low is not None and req.high is not None

    def limit(self, req: Any) -> Any:
        return (req.low, req.high) if self.has_limit(req) else None

    def describe(self, req: Any, unit: str) -> str:
        if not self.has_limit(req):
            return f"between (limit not shipped){unit}"
        return f"{fmt(req.low)}–{fmt(req.high)}{unit}"

    def holds(self, req: Any, f: str, nd: str | None) -> dict[str, Any]:
        return {"$and": [{"$gte": {f: req.low}}, {"$lte": {f: req.high}}]}

    def margin(self, req: Any) -> tuple[int, Any, Any]:
        return (3, req.low, req.high) if self.has_limit(req) else (0, None, None)

    def check(self, req: Any, indicator: Any, indicators: Mapping[str, Any]) -> Iterable[Problem]:
        if self.has_limit(req) and req.low > req.high:
            yield Problem("rules_requirement_error", f"`between` needs [low, high] with low ≤ high, found "
                          f"[{fmt(req.low)}, {fmt(req.high)}]", ("between",))

    def narrow(self, req: Any, conv: Callable[[Any], float], bounds: Bounds) -> None:
        lo, hi = conv(req.low), conv(req.high)
        bounds.low = lo if bounds.low is None else max(bounds.low, lo)
        bounds.high = hi if bounds.high is None else min(bounds.high, hi)

    def test(self, bound: Any, value: Any) -> bool:
        lo, hi = bound
        return is_number(value) and lo <= value <= hi

    def interval(self, bound: Any) -> Interval:
        lo, hi = bound
        return (float(lo), True, float(hi), True)

    def describe_bound(self, bound: Any) -> str:
        lo, hi = bound
        return f"{lo}–{hi}"

    def bound_problem(self, bound: Any) -> str | None:
        lo, hi = bound
        if lo > hi:
            return f"`between` needs [low, high] with low ≤ high, found [{fmt(lo)}, {fmt(hi)}]"
        return None


OPERATOR = Between()
