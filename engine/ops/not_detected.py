"""`not_detected: true` (with `detection_limit_max: d`) — the substance is not detected, at a detection limit
of at most d when d is given (an upper bound: a quantified value at or below d also passes)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .base import Bounds, Operator, fmt


class NotDetected(Operator):
    name = "not_detected"
    order = 80
    requirement_schema = {"not_detected": {"const": True},
                          "detection_limit_max": {"type": "number", "exclusiveMinimum": 0}}
    bound = "upper"
    not_detected_proves = True

    def parse(self, raw: Any, data: Mapping[str, Any]) -> dict[str, Any]:
        return {"value": data.get("detection_limit_max")}

    def has_limit(self, req: Any) -> bool:
        return True

    def describe(self, req: Any, unit: str) -> str:
        if req.value is None:
            return "not detected"
        return f"not detected (detection limit ≤ {fmt(req.value)}{unit})"

    def holds(self, req: Any, f: str, nd: str | None) -> dict[str, Any]:
        flag = nd or f + "n"
        if req.value is None:
            return {flag: 1}
        return {"$and": [{flag: 1}, {"$lte": {f: req.value}}]}

    def margin(self, req: Any) -> tuple[int, Any, Any]:
        return (1, float(req.value), None) if req.value is not None else (0, None, None)

    def narrow(self, req: Any, conv: Callable[[Any], float], bounds: Bounds) -> None:
        bounds.not_detected = True
        if req.value is not None:
            v = conv(req.value)
            bounds.nd_max = v if bounds.nd_max is None else min(bounds.nd_max, v)


OPERATOR = NotDetected()
