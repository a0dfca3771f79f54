"""`lte: x` — at most x (an upper bound; a not-detected result at a detection limit ≤ x proves it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .base import INF, Bounds, Interval, Operator, is_number


class Lte(Operator):
    name = "lte"
    order = 10
    symbol = "≤"
    requirement_schema = {"lte": {"type": ["number", "null"]}}
    condition_schema = {"type": "number"}
    bound = "upper"
    not_detected_proves = True

    def holds(self, req: Any, f: str, nd: str | None) -> dict[str, Any]:
        # a not-detected result at detection limit d says value < d: d <= limit passes, as a value would
        return {"$lte": {f: req.value}}

    def margin(self, req: Any) -> tuple[int, Any, Any]:
        return (1, float(req.value), None) if req.value is not None else (0, None, None)

    def narrow(self, req: Any, conv: Callable[[Any], float], bounds: Bounds) -> None:
        v = conv(req.value)
        if bounds.high is None or v < bounds.high:
            bounds.high, bounds.strict_high = v, False

    def test(self, bound: Any, value: Any) -> bool:
        return is_number(value) and value <= bound

    def interval(self, bound: Any) -> Interval:
        return (-INF, False, float(bound), True)


OPERATOR = Lte()
