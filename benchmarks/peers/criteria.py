"""A compiled rule set's criteria as plain checks on pre-admitted values, translated for each peer engine."""

# What the peers are given is what greencert's durable stage is given: for every applicable criterion whose
# evidence was admitted, the value in the limit's unit (`c<i>`) and, for upper-bound quantities, whether the
# result was "not detected" (`n<i>` = 1, the value then being the detection limit). Evidence admission (report
# age, laboratory, model, unit conversion, detection limits) is done beforehand by greencert's evaluator and
# is not part of what a peer computes. Every translation below is generated from the criterion's Requirement
# (op and limit), never from durable's JSON, so the peers see the criteria, not greencert's compiled form.
#
# A verdict vector has one entry per criterion, in rule-set order: "pass", "fail", or None when no value was
# admitted (missing, not acceptable or not applicable: greencert decides which, the peers are not asked).

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = ["Check", "Verdicts", "checks_of", "input_fields", "peer_input", "verdicts_from_decision",
           "verdicts_from_reference", "verdicts_from_fired", "verdict_counts", "zen_expression",
           "rule_engine_expression", "python_predicate"]

Verdicts = tuple[str | None, ...]


@dataclass(frozen=True)
class Check:
    """One criterion's pass condition on pre-admitted values."""

    id: str  # criterion id
    field: str  # the admitted value, in the limit's unit
    nd_field: str | None  # 1 when the admitted result was "not detected" (its value is then the detection limit)
    rule: str  # greencert's durable rule name for this criterion
    op: str
    value: Any = None
    low: float | None = None
    high: float | None = None
    values: tuple[Any, ...] = ()


def checks_of(compiled: Any) -> list[Check]:
    """The checks of a `CompiledRuleSet`, in rule-set order; a criterion without a shipped limit is refused
    (a peer has nothing to compare with, greencert reports it `undetermined`)."""
    out: list[Check] = []
    for plan in compiled.criteria:
        req = plan.criterion.requirement
        if plan.rule is None:
            raise ValueError(f"criterion `{plan.criterion.id}` has no shipped limit: a peer cannot evaluate it")
        out.append(Check(plan.criterion.id, plan.value_field, plan.nd_field, plan.rule, req.op, req.value, req.low,
                         req.high, tuple(req.values or ())))
    return out


def input_fields(checks: Sequence[Check]) -> frozenset[str]:
    return frozenset(f for c in checks for f in (c.field, c.nd_field) if f is not None)


def peer_input(fields: Mapping[str, Any], wanted: frozenset[str]) -> dict[str, Any]:
    """The criteria's fields out of everything greencert sends to durable (which also holds basic
    requirements, the factory inspection and grade values)."""
    return {k: v for k, v in fields.items() if k in wanted}


def verdicts_from_decision(decision: Any) -> Verdicts:
    return tuple(c.verdict if c.verdict in ("pass", "fail") else None for c in decision.criteria)


def verdicts_from_reference(ref: Any, checks: Sequence[Check]) -> Verdicts:
    out: list[str | None] = []
    for c in checks:
        verdict = ref.criteria[c.id][0]
        out.append(verdict if verdict in ("pass", "fail") else None)
    return tuple(out)


def verdicts_from_fired(checks: Sequence[Check], fields: Mapping[str, Any], fired: set[str]) -> Verdicts:
    """greencert compiles criteria to failure rules: an admitted criterion failed if its rule fired."""
    return tuple(None if c.field not in fields else ("fail" if c.rule in fired else "pass") for c in checks)


def verdict_counts(vectors: Sequence[Verdicts]) -> dict[str, int]:
    counts = {"pass": 0, "fail": 0, "no_value": 0}
    for v in vectors:
        for x in v:
            counts[x if x is not None else "no_value"] += 1
    return counts


# ---------------------------------------------------------------------------------------------- translations

def _num(value: Any) -> str:
    """A number literal without an exponent (ZEN and rule-engine both read plain decimals)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"not a number: {value!r}")
    text = format(Decimal(repr(value)), "f")
    return text if "." in text or isinstance(value, int) else text + ".0"


def _literal(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str) else _num(value)


def _pass_condition(c: Check, *, and_: str, or_: str, in_list: Callable[[str, tuple[Any, ...]], str]) -> str:
    """The pass condition in an infix language with `==`, `<`, `<=`, `>=`, `>` and the given connectives."""
    f = c.field
    if c.op == "lte":
        return f"{f} <= {_num(c.value)}"
    if c.op == "lt":
        if c.nd_field is None:
            return f"{f} < {_num(c.value)}"
        # a not-detected result at detection limit d means value < d, so d <= limit proves `< limit`
        return f"({f} < {_num(c.value)} {or_} ({c.nd_field} == 1 {and_} {f} <= {_num(c.value)}))"
    if c.op == "gte":
        return f"{f} >= {_num(c.value)}"
    if c.op == "gt":
        return f"{f} > {_num(c.value)}"
    if c.op == "eq":
        return f"{f} == {_literal(c.value)}"
    if c.op == "between":
        return f"({f} >= {_num(c.low)} {and_} {f} <= {_num(c.high)})"
    if c.op == "one_of":
        return in_list(f, c.values)
    if c.op == "not_detected":
        nd = c.nd_field or f + "n"
        if c.value is None:
            return f"{nd} == 1"
        return f"({nd} == 1 {and_} {f} <= {_num(c.value)})"
    if c.op == "present":
        return f"{f} == 1"
    raise ValueError(f"unknown operator `{c.op}`")


def zen_expression(c: Check) -> str:
    """ZEN expression language (the expression node's): true = pass, false = fail, null = no admitted value."""
    cond = _pass_condition(c, and_="and", or_="or",
                           in_list=lambda f, vs: f"{f} in [{', '.join(_literal(v) for v in vs)}]")
    return f"{c.field} == null ? null : ({cond})"


def rule_engine_expression(c: Check) -> str:
    """rule-engine's language (github.com/zeroSteiner/rule-engine): same shape, `null` for absent fields."""
    cond = _pass_condition(c, and_="and", or_="or",
                           in_list=lambda f, vs: f"{f} in [{', '.join(_literal(v) for v in vs)}]")
    return f"({c.field} == null ? null : ({cond}))"


def python_predicate(c: Check) -> Callable[[Mapping[str, Any]], bool]:
    """The pass condition as a Python closure over the input mapping (called only when the value is there)."""
    f, nd = c.field, c.nd_field
    op, value = c.op, c.value
    if op == "lte":
        return lambda d: bool(d[f] <= value)
    if op == "lt":
        if nd is None:
            return lambda d: bool(d[f] < value)
        return lambda d: bool(d[f] < value or (d[nd] == 1 and d[f] <= value))
    if op == "gte":
        return lambda d: bool(d[f] >= value)
    if op == "gt":
        return lambda d: bool(d[f] > value)
    if op == "eq":
        return lambda d: bool(d[f] == value)
    if op == "between":
        low, high = c.low, c.high
        return lambda d: bool(low <= d[f] <= high)
    if op == "one_of":
        accepted = frozenset(c.values)
        return lambda d: d[f] in accepted
    if op == "not_detected":
        ndf = nd or f + "n"
        if value is None:
            return lambda d: bool(d[ndf] == 1)
        return lambda d: bool(d[ndf] == 1 and d[f] <= value)
    if op == "present":
        return lambda d: bool(d[f] == 1)
    raise ValueError(f"unknown operator `{op}`")
