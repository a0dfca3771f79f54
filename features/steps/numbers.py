"""Then: margins (absolute and relative), measured values in the scenario's units, caveats."""

from __future__ import annotations

from engine import CriterionResult
from engine.bdd.errors import StepFailure
from engine.bdd.values import parse_number, unquote
from engine.units import IncompatibleUnits, UnitError, convert
from features.steps.context import Context, _criterion_detail
from features.steps.grammar import step


# ---------------------------------------------------------------------------------------------- Then: numbers
def _quantity(ctx: Context, c: CriterionResult, value: str, unit: str | None, what: str) -> float:
    number = float(parse_number(value, what))
    if unit and c.limit_unit and unquote(unit) != c.limit_unit:
        try:
            return convert(number, unquote(unit), c.limit_unit)
        except (UnitError, IncompatibleUnits):
            raise StepFailure("bdd_unit_error", f"unit `{unit}` cannot convert to `{c.limit_unit}`, the unit of the "
                              f"limit of `{c.id}`", hint=f"write the {what} in `{c.limit_unit}`") from None
    return number


def _tolerance(ctx: Context, c: CriterionResult, tolerance: str | None, unit: str | None, expected: float) -> float:
    if tolerance is None:
        return 1e-9 * max(1.0, abs(expected))
    return abs(_quantity(ctx, c, tolerance, unit, "tolerance"))


@step("then", "the margin for {criterion:text} is {value:number}[ {unit}][ within {tolerance:number}]",
      "the margin for {criterion:text} is {value:number}[ {unit}] ± {tolerance:number}")
def _margin(ctx: Context, criterion: str, value: str, unit: str | None = None, tolerance: str | None = None) -> None:
    c = ctx.criterion(criterion)
    if unit in ("within", "±"):
        unit = None
    expected = _quantity(ctx, c, value, unit, "margin")
    if c.margin is None:
        raise StepFailure("bdd_expectation_failed", f"criterion `{c.id}` has no margin (verdict `{c.verdict}`)",
                          hint=_criterion_detail(c))
    tol = _tolerance(ctx, c, tolerance, unit, expected)
    if abs(c.margin - expected) > tol:
        unit_text = f" {c.limit_unit}" if c.limit_unit else ""
        raise StepFailure("bdd_expectation_failed", f"margin of `{c.id}`: expected {expected:g}{unit_text} "
                          f"(± {tol:g}), got {c.margin:g}{unit_text}", hint=_criterion_detail(c))


@step("then", "the relative margin for {criterion:text} is {value:number} %[ within {tolerance:number} %]",
      "the relative margin for {criterion:text} is {value:number}%[ within {tolerance:number}%]")
def _relative_margin(ctx: Context, criterion: str, value: str, tolerance: str | None = None) -> None:
    c = ctx.criterion(criterion)
    expected = float(parse_number(value, "relative margin")) / 100
    tol = float(parse_number(tolerance, "tolerance")) / 100 if tolerance else 1e-9
    if c.margin_relative is None:
        raise StepFailure("bdd_expectation_failed", f"criterion `{c.id}` has no relative margin", hint=_criterion_detail(c))
    if abs(c.margin_relative - expected) > tol:
        raise StepFailure("bdd_expectation_failed", f"relative margin of `{c.id}`: expected {expected * 100:g}%, "
                          f"got {c.margin_relative * 100:g}%", hint=_criterion_detail(c))


@step("then", "the measured value for {criterion:text} is {value:number}[ {unit}][ within {tolerance:number}]")
def _measured(ctx: Context, criterion: str, value: str, unit: str | None = None, tolerance: str | None = None) -> None:
    c = ctx.criterion(criterion)
    if c.measured is None or not isinstance(c.measured.value, (int, float)):
        raise StepFailure("bdd_expectation_failed", f"criterion `{c.id}` has no measured value (verdict `{c.verdict}`)",
                          hint=_criterion_detail(c))
    expected = _quantity(ctx, c, value, unit, "value")
    tol = _tolerance(ctx, c, tolerance, unit, expected)
    if abs(float(c.measured.value) - expected) > tol:
        raise StepFailure("bdd_expectation_failed", f"measured value of `{c.id}`: expected {expected:g}, got "
                          f"{float(c.measured.value):g} {c.limit_unit or ''}".rstrip(), hint=_criterion_detail(c))


@step("then", "a caveat mentions {text:text}")
def _caveat(ctx: Context, text: str) -> None:
    decision = ctx.need_decision()
    wanted = unquote(text)
    if not any(wanted.lower() in c.lower() for c in decision.caveats):
        raise StepFailure("bdd_expectation_failed", f"no caveat mentions `{wanted}`",
                          hint="the caveats are: " + (" | ".join(decision.caveats) or "none"))
