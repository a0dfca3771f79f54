"""The fact layout: the names of the fields the evaluator asserts and the compiler's durable rules read.

This is the one contract between the plans (compiler), evaluation (evaluator) and `durable_core`: the compiler
names every field through these functions and keeps the names in its plans (`CriterionPlan.value_field`,
`GradePlan.field`, …); the evaluator fills exactly those fields; `durable_core.DurableRuleSet` is told every
field name and lays the facts out itself. Rule names are field names too (a criterion's failure rule is named
after its value field), which `durable_core` checks against its own name pattern.

Values: a number (a measurement in the limit's unit, a certificate's days of validity left), 1/0 (a flag:
not detected, a declaration present), or a string (the factory inspection's state)."""

from __future__ import annotations

__all__ = ["criterion_value", "criterion_not_detected", "basic", "INSPECTION", "grade", "grade_not_detected",
           "grade_value", "grade_rule", "INSPECTION_PASSES"]

INSPECTION = "fi"  # the factory inspection's state: pass, fail, verified, pending, overdue
INSPECTION_PASSES = ("pass", "verified")


def criterion_value(i: int) -> str:
    """Criterion `i`'s admitted value (a number in the limit's unit, a choice, or 1 for a declaration)."""
    return f"c{i}"


def criterion_not_detected(i: int) -> str:
    """1 when criterion `i`'s admitted result is not detected (its value is then the detection limit), else 0;
    only for operators a not-detected result can prove."""
    return f"n{i}"


def basic(j: int) -> str:
    """Basic requirement `j`: a certificate's days of validity left on the evaluation date (negative: not valid),
    or 1 for a declaration present."""
    return f"b{j}"


def grade(k: int) -> str:
    """Label `k`'s grade measurement, in the unit of its first grade."""
    return f"g{k}"


def grade_not_detected(k: int) -> str:
    """1 when label `k`'s grade measurement is not detected, else 0."""
    return f"g{k}n"


def grade_value(k: int, g: int) -> str:
    """Label `k`'s grade measurement in the unit of its grade `g`."""
    return f"g{k}_{g}v"


def grade_rule(k: int, g: int) -> str:
    """The rule that fires when label `k`'s measurement proves its grade `g`."""
    return f"g{k}_{g}"
