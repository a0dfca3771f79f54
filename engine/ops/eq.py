"""`eq: x` — exactly x: a number on a quantity indicator, one of its choices on a choice indicator."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..diagnostics import did_you_mean
from .base import Bounds, Operator, Problem, fmt, is_number, non_negative_limit


class Eq(Operator):
    name = "eq"
    order = 50
    load_checks = (non_negative_limit,)  # a quantity that cannot be negative has no negative limit
    symbol = "="
    kinds = frozenset({"quantity", "choice"})
    requirement_schema = {"eq": {"type": ["number", "string", "boolean", "null"]}}
    condition_schema = {"$ref": "#/$defs/scalar"}
    numeric = False

    def holds(self, req: Any, f: str, nd: str | None) -> dict[str, Any]:
        return {f: req.value}

    def check(self, req: Any, indicator: Any, indicators: Mapping[str, Any]) -> Iterable[Problem]:
        # durable-rules would coerce silently (`1 == true`): the limit must have the indicator's own type.
        # One problem per root cause: a value of the wrong type is not also "not a choice".
        if req.value is None:
            return
        if indicator.kind == "quantity" and not is_number(req.value):
            yield Problem("rules_requirement_error", f"`eq` on quantity indicator `{indicator.id}` needs a number, "
                          f"found `{req.value}`", ("eq",))
        elif indicator.kind == "choice" and not isinstance(req.value, str):
            yield Problem("rules_requirement_error", f"`eq` on choice indicator `{indicator.id}` needs one of its "
                          f"choices, found `{fmt(req.value)}`", ("eq",),
                          hint=did_you_mean(str(req.value), indicator.choices or ()))
        elif indicator.kind == "choice" and indicator.choices and req.value not in indicator.choices:
            yield Problem("rules_reference_error", f"`{req.value}` is not a choice of indicator `{indicator.id}`",
                          ("eq",), hint=did_you_mean(str(req.value), indicator.choices))

    def narrow(self, req: Any, conv: Callable[[Any], float], bounds: Bounds) -> None:
        if is_number(req.value):
            bounds.exact = conv(req.value)
        else:
            bounds.allow([req.value])

    def test(self, bound: Any, value: Any) -> bool:
        return bool(value == bound) and isinstance(value, bool) == isinstance(bound, bool)

    def interval(self, bound: Any) -> set[tuple[bool, Any]]:
        return {(isinstance(bound, bool), bound)}

    def condition_values(self, bound: Any) -> list[tuple[tuple[str | int, ...], Any]]:
        return [(("eq",), bound)]


OPERATOR = Eq()
