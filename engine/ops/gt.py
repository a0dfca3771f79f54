"""`gt: x` — above x (a lower bound: only a quantified result can prove it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .base import INF, Bounds, Interval, Operator, is_number


class Gt(Operator):
    name = "gt"
    order = 40
    bound = "lower"
    symbol = ">"
    requirement_schema = {"gt": {"type": ["number", "null"]}}
    condition_schema = {"type": "number"}

    def holds(self, req: Any, f: str, nd: str | None) -> dict[str, Any]:
        return {"$gt": {f: req.value}}

    def margin(self, req: Any) -> tuple[int, Any, Any]:
        return (2, float(req.value), None) if req.value is not None else (0, None, None)

    def narrow(self, req: Any, conv: Callable[[Any], float], bounds: Bounds) -> None:
        v = conv(req.value)
        bounds.low = v if bounds.low is None else max(bounds.low, v)

    def test(self, bound: Any, value: Any) -> bool:
        return is_number(value) and value > bound

    def interval(self, bound: Any) -> Interval:
        return (float(bound), False, INF, False)


OPERATOR = Gt()
