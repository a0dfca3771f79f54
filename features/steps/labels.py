"""Then: the eligible labels, a label's status, grades and what would prove a better one."""

from __future__ import annotations

import re

from engine import LabelResult
from engine.bdd.errors import StepFailure
from engine.bdd.values import parse_label_status, parse_list, parse_number, unquote
from engine.units import IncompatibleUnits, UnitError, convert
from features.steps.context import Context, _expect
from features.steps.grammar import step


# ---------------------------------------------------------------------------------------------- Then: labels
@step("then", "the eligible labels are {labels:list}")
def _eligible(ctx: Context, labels: str) -> None:
    _check_eligible(ctx, labels, exact=True)


@step("then", "the product is eligible for {labels:list}")
def _eligible_for(ctx: Context, labels: str) -> None:
    _check_eligible(ctx, labels, exact=False)


def _check_eligible(ctx: Context, labels: str, *, exact: bool) -> None:
    decision = ctx.need_decision()
    names = [re.sub(r"^(the\s+)?labels?\s+", "", n) for n in parse_list(labels)]
    wanted = {ctx.label(n).id for n in names}
    actual = set(decision.eligible_labels)
    if (exact and actual != wanted) or (not exact and not wanted <= actual):
        detail = "; ".join(f"`{lab.id}` {lab.status}" + (f" (failed: {', '.join(lab.failed)})" if lab.failed else "")
                           + (f" (open: {', '.join(lab.open)})" if lab.open else "") for lab in decision.labels)
        raise StepFailure("bdd_expectation_failed",
                          "eligible labels: expected " + (", ".join(f"`{x}`" for x in sorted(wanted)) or "none")
                          + ", got " + (", ".join(f"`{x}`" for x in sorted(actual)) or "none"), hint=detail)
    for lab in decision.labels:
        if exact or lab.id in wanted:
            ctx.record("label", lab.id, lab.status)


@step("then", "no label is eligible")
def _no_label(ctx: Context) -> None:
    decision = ctx.need_decision()
    if decision.eligible_labels:
        raise StepFailure("bdd_expectation_failed", "labels are eligible: " + ", ".join(
            f"`{x}`" for x in decision.eligible_labels))
    for lab in decision.labels:
        ctx.record("label", lab.id, lab.status)


@step("then", "the label {label:text} is {status:status}")
def _label_status(ctx: Context, label: str, status: str) -> None:
    lab = ctx.label(label)
    expected = parse_label_status(status)
    detail = "; ".join(x for x in (f"failed: {', '.join(lab.failed)}" if lab.failed else "",
                                   f"open: {', '.join(lab.open)}" if lab.open else "") if x) or None
    _expect(lab.status, expected, f"label `{lab.id}`", detail)
    ctx.record("label", lab.id, lab.status)
    if lab.grade and lab.status == "eligible":
        ctx.record("label", lab.id, f"grade:{lab.grade}")


def _grade_label(ctx: Context, name: str | None) -> LabelResult:
    decision = ctx.need_decision()
    if name:
        return ctx.label(name)
    graded = [lab for lab in decision.labels if lab.kind == "grade"]
    if len(graded) != 1:
        raise StepFailure("bdd_reference_error", f"`{decision.ruleset_id}` has {len(graded)} grade labels",
                          hint="name it: `the grade for <label> is <grade>`")
    return graded[0]


def _grade_detail(lab: LabelResult) -> str:
    parts = [f"label status `{lab.status}`"]
    parts += [f"failed: {', '.join(lab.failed)}"] if lab.failed else []
    parts += [f"open: {', '.join(lab.open)}"] if lab.open else []
    parts += [f"open grades: {', '.join(o.id for o in lab.open_grades)}"] if lab.open_grades else []
    return "; ".join(parts)


@step("then", "the grade is {grade}", "the grade for {label:text} is {grade}",
      "the evidence proves grade {grade}[ for {label:text}]")
def _grade(ctx: Context, grade: str, label: str | None = None) -> None:
    """The grade the evidence proves; it is awarded only when the label is eligible (docs/semantics.md §5)."""
    lab = _grade_label(ctx, label)
    expected = unquote(grade)
    _expect(str(lab.grade), expected, f"grade of `{lab.id}`", _grade_detail(lab))
    ctx.record("label", lab.id, lab.status)
    if lab.status == "eligible":
        ctx.record("label", lab.id, f"grade:{lab.grade}")


@step("then", "no grade is awarded[ for {label:text}]")
def _no_grade(ctx: Context, label: str | None = None) -> None:
    lab = _grade_label(ctx, label)
    if lab.grade is not None and lab.status == "eligible":
        raise StepFailure("bdd_expectation_failed", f"`{lab.id}` awards grade `{lab.grade}`", hint=_grade_detail(lab))
    ctx.record("label", lab.id, lab.status)


@step("then", "the open grades are {grades:list}", "the open grades for {label:text} are {grades:list}")
def _open_grades(ctx: Context, grades: str, label: str | None = None) -> None:
    """The better grades a not-detected result leaves open, best first (`none` when there are none)."""
    lab = _grade_label(ctx, label)
    actual = [o.id for o in lab.open_grades]
    expected = parse_list(grades)
    if actual != expected:
        raise StepFailure("bdd_expectation_failed", f"open grades of `{lab.id}`: expected "
                          + (", ".join(f"`{g}`" for g in expected) or "none") + ", got "
                          + (", ".join(f"`{g}`" for g in actual) or "none"), hint=_grade_detail(lab))
    ctx.record("label", lab.id, lab.status)


@step("then", "a detection limit at or below {limit:number} {unit} would prove {grade}[ for {label:text}]")
def _grade_test(ctx: Context, limit: str, unit: str, grade: str, label: str | None = None) -> None:
    """The test that would prove an open grade: a not-detected result with a detection limit at or below this."""
    lab = _grade_label(ctx, label)
    wanted = unquote(grade)
    found = next((o for o in lab.open_grades if o.id == wanted), None)
    if found is None:
        raise StepFailure("bdd_expectation_failed", f"grade `{wanted}` of `{lab.id}` is not open",
                          hint=_grade_detail(lab))
    if found.detection_limit_max is None:
        raise StepFailure("bdd_expectation_failed", f"no detection limit proves grade `{wanted}` of `{lab.id}`: only "
                          "a quantified result can decide it")
    number = float(parse_number(limit, "detection limit"))
    given = unquote(unit)
    try:
        expected = convert(number, given, found.unit or given) if found.unit and given != found.unit else number
    except (UnitError, IncompatibleUnits):
        raise StepFailure("bdd_unit_error", f"unit `{given}` cannot convert to `{found.unit}`, the unit of grade "
                          f"`{wanted}`", hint=f"write the detection limit in `{found.unit}`") from None
    if abs(found.detection_limit_max - expected) > 1e-9 * max(1.0, abs(expected)):
        unit_text = f" {found.unit}" if found.unit else ""
        raise StepFailure("bdd_expectation_failed", f"grade `{wanted}` of `{lab.id}` needs a detection limit at or "
                          f"below {found.detection_limit_max:g}{unit_text}, not {expected:g}{unit_text}")
    ctx.record("label", lab.id, lab.status)
