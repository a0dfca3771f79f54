"""What an operator is: the one definition each module of `engine/ops` fills in."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:  # models import this package: only the type checker may import them here
    from ..models import Indicator, Requirement

__all__ = ["Operator", "Problem", "Bounds", "Interval", "negate", "fmt", "NEEDS_QUANTIFIED"]

Interval = tuple[float, bool, float, bool]  # low, low inclusive, high, high inclusive
INF = float("inf")

# `Operator.margin` kinds, read by the evaluator: (1, limit, _) limit - value, for an upper bound; (2, limit, _)
# value - limit, for a lower bound; (3, low, high) the distance to the nearer end of a range; (0, _, _) none
NO_MARGIN: tuple[int, Any, Any] = (0, None, None)
NEEDS_QUANTIFIED = "a not-detected result cannot prove a lower bound or an exact value"


class Problem(NamedTuple):
    """A load-time problem of a requirement, located under the requirement's path by the loader."""

    code: str
    message: str
    path: tuple[str | int, ...]
    hint: str | None = None
    key: bool = False


@dataclass
class Bounds:
    """What the applicable requirements on one indicator allow, gathered for a draft's passing value."""

    low: float | None = None
    high: float | None = None
    strict_high: bool = False
    exact: float | None = None
    not_detected: bool = False
    nd_max: float | None = None
    options: list[Any] | None = None  # choices allowed by every requirement; None: no choice requirement

    def allow(self, values: Iterable[Any]) -> None:
        allowed = list(values)
        self.options = allowed if self.options is None else [v for v in self.options if v in allowed]


def fmt(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def negate(expr: dict[str, Any]) -> dict[str, Any]:
    """durable's expression for "not `expr`": comparisons flipped, `$and` and `$or` swapped (De Morgan), a
    one-element `$and`/`$or` unwrapped. Failure rules are derived from an operator's "holds" expression with it."""
    ((key, arg),) = expr.items()
    if key in ("$and", "$or"):
        parts = [negate(e) for e in arg]
        if len(parts) == 1:
            return parts[0]
        return {"$or" if key == "$and" else "$and": parts}
    flipped = {"$lt": "$gte", "$gte": "$lt", "$lte": "$gt", "$gt": "$lte"}
    if key in flipped:
        return {flipped[key]: arg}
    if key == "$neq":
        ((f, v),) = arg.items()
        return {f: v}
    if key.startswith("$"):  # pragma: no cover - operators write only the expressions above
        raise ValueError(f"cannot negate `{key}`")
    return {"$neq": {key: arg}}


class Operator:
    """One comparison operator. The defaults fit a one-number bound (`lte: 10`); a module overrides what differs.

    Requirement side: `kinds` of indicator it may test, `parse` (YAML form -> `Requirement` fields), `has_limit`,
    `limit` (the decision record's), `describe`, `holds` (durable expression), `margin`, `bound` (which side of
    its limit a passing value lies; `upper_bound`, a failure is "limit exceeded", follows from it),
    `not_detected_proves` (a not-detected result at a low enough detection limit proves it), `check` (load-time
    problems beyond the schema), `narrow` (a passing value, for the BDD kit), and the hook for operators reading
    several indicators (`operands`, `combiner`); `summary`, its module's docstring, tells people what it means.
    Condition side (a product parameter, `applies_when` / `defined_by`), when `condition_schema` is not None:
    `test`, `interval`, `describe_bound`, `numeric`."""

    name: str = ""  # the YAML key, and the module's name
    order: int = 1000  # where it is listed among the operators (messages, schema)
    symbol: str = ""
    kinds: frozenset[str] = frozenset({"quantity"})
    requirement_schema: Mapping[str, Any] = {}
    condition_schema: Mapping[str, Any] | None = None
    numeric: bool = True  # compares numbers (a condition on a text parameter cannot use it)
    # which side of its limit a passing value lies, for people's pictures of it (the web page's closeness bar, read
    # through GET /v1/operators): "upper" (at most the limit), "lower" (at least), "range" (from one limit to the
    # other), or None (no one-number scale: an exact value, a choice, a document)
    bound: str | None = None
    not_detected_proves: bool = False
    in_grades: bool = True  # a grade label's band may use it (an operator with `operands` cannot)

    @property
    def upper_bound(self) -> bool:
        """A failure is "limit exceeded" (the evaluator's reason), not "requirement not met"."""
        return self.bound == "upper"

    @property
    def summary(self) -> str:
        """The first paragraph of the operator's module docstring: its YAML form and what it means, for people
        (GET /v1/operators, docs)."""
        doc = sys.modules[type(self).__module__].__doc__ or ""
        return " ".join(doc.strip().split("\n\n")[0].split())

    # ---- requirement

    def parse(self, raw: Any, data: Mapping[str, Any]) -> dict[str, Any]:
        return {"value": raw}

    def has_limit(self, req: Requirement) -> bool:
        return req.value is not None

    def limit(self, req: Requirement) -> Any:
        return req.value

    def describe(self, req: Requirement, unit: str) -> str:
        if not self.has_limit(req):
            return f"{self.symbol or self.name} (limit not shipped){unit}"
        return f"{self.symbol} {fmt(req.value)}{unit}"

    def holds(self, req: Requirement, f: str, nd: str | None) -> dict[str, Any]:
        """durable's expression for "the requirement holds" on the value field `f` (and the not-detected flag
        `nd`, 1 or 0, for an operator a not-detected result can prove). Called only when `has_limit`."""
        raise NotImplementedError

    def margin(self, req: Requirement) -> tuple[int, Any, Any]:
        return NO_MARGIN

    def check(self, req: Requirement, indicator: Indicator,
              indicators: Mapping[str, Indicator]) -> Iterable[Problem]:
        return ()

    def narrow(self, req: Requirement, conv: Callable[[Any], float], bounds: Bounds) -> None:
        """Narrow `bounds` to the values that pass `req` (`conv` converts a limit to the draft's unit)."""

    def measured_unit(self, req: Requirement, indicator: Indicator,
                      indicators: Mapping[str, Indicator]) -> str | None:
        """The unit of the compared value before conversion to the limit's (`unit`); None when unknown (an
        operand that is not in the catalogue, reported by `check`)."""
        return indicator.unit

    def measured_what(self, req: Requirement, indicator: Indicator) -> str:
        """The compared value, for messages."""
        return f"`{indicator.id}`"

    # ---- several indicators (the hook: most operators read their criterion's indicator alone)

    def operands(self, req: Requirement) -> tuple[str, ...]:
        """The indicators the requirement reads besides its criterion's own, in order."""
        return ()

    def combiner(self, req: Requirement, units: tuple[str | None, ...],
                 unit: str | None) -> Callable[[tuple[float, ...]], float] | None:
        """For an operator with `operands`: the function of the admitted values (the criterion's indicator's
        first, each in its indicator's unit, in `units`) that gives the compared value, in `unit`."""
        return None

    # ---- condition on a product parameter

    def test(self, bound: Any, value: Any) -> bool:
        raise NotImplementedError

    def interval(self, bound: Any) -> set[tuple[bool, Any]] | Interval:
        raise NotImplementedError

    def describe_bound(self, bound: Any) -> str:
        return f"{self.symbol} {bound}"

    def condition_values(self, bound: Any) -> list[tuple[tuple[str | int, ...], Any]]:
        """For an operator naming values rather than numbers (`eq`, `one_of`): each value, with its path under
        the condition, for the loader to check against the parameter's type and choices."""
        return []

    def bound_problem(self, bound: Any) -> str | None:
        """What is wrong with a condition's bound on its own (`between: [5, 1]`), or None."""
        return None


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
