"""`ratio_lte: {denominator: b, max: x}` — the criterion's indicator divided by indicator `b` is at most x.

Both results are admitted by the criterion's evidence policy, each in its indicator's unit; the ratio is
converted to the requirement's `unit` (by default the quotient of the two units, e.g. `(mg)/(kg)`). A
not-detected result proves no ratio; a zero denominator gives no value (the evidence is not acceptable)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..diagnostics import did_you_mean
from ..units import conversion
from .base import Operator, Problem, fmt


class RatioLte(Operator):
    name = "ratio_lte"
    order = 100
    symbol = "≤"
    requirement_schema = {"ratio_lte": {
        "type": "object", "additionalProperties": False, "required": ["denominator", "max"],
        "properties": {"denominator": {"type": "string", "minLength": 1}, "max": {"type": ["number", "null"]}}}}
    bound = "upper"
    in_grades = False

    def parse(self, raw: Any, data: Mapping[str, Any]) -> dict[str, Any]:
        return {"value": raw.get("max"), "operands": (raw.get("denominator"),)}

    def describe(self, req: Any, unit: str) -> str:
        limit = "(limit not shipped)" if req.value is None else fmt(req.value)
        return f"ratio to `{req.operands[0]}` ≤ {limit}{unit}"

    def holds(self, req: Any, f: str, nd: str | None) -> dict[str, Any]:
        return {"$lte": {f: req.value}}

    def margin(self, req: Any) -> tuple[int, Any, Any]:
        return (1, float(req.value), None) if req.value is not None else (0, None, None)

    def check(self, req: Any, indicator: Any, indicators: Mapping[str, Any]) -> Iterable[Problem]:
        den = req.operands[0]
        other = indicators.get(den)
        if other is None:
            yield Problem("rules_reference_error", f"unknown indicator `{den}`", ("ratio_lte", "denominator"),
                          hint=did_you_mean(den, indicators))
        elif other.kind != "quantity":
            yield Problem("rules_requirement_error", f"`ratio_lte` divides by a quantity, but `{den}` is a "
                          f"{other.kind} indicator", ("ratio_lte", "denominator"))

    def measured_unit(self, req: Any, indicator: Any, indicators: Mapping[str, Any]) -> str | None:
        other = indicators.get(req.operands[0])
        if other is None or other.kind != "quantity":
            return None
        return f"({indicator.unit or 1})/({other.unit or 1})"

    def measured_what(self, req: Any, indicator: Any) -> str:
        return f"`{indicator.id}` / `{req.operands[0]}`"

    def operands(self, req: Any) -> tuple[str, ...]:
        return tuple(req.operands)

    def combiner(self, req: Any, units: tuple[str | None, ...],
                 unit: str | None) -> Callable[[tuple[float, ...]], float]:
        factor, _ = conversion(f"({units[0] or 1})/({units[1] or 1})", unit or "")

        def ratio(values: tuple[float, ...]) -> float:
            return values[0] / values[1] * factor if values[1] else math.inf

        return ratio


OPERATOR = RatioLte()
