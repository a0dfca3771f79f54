"""When the application is evaluated, and Then: the outcome, the edition and unit decided, the verdicts, the missing
evidence."""

from __future__ import annotations

import re
from typing import Any

from engine import Diagnostic
from engine.bdd.errors import StepFailure
from engine.bdd.values import parse_date, parse_reason, parse_verdict, unquote
from features.steps.context import Context, _criterion_detail, _expect, _rows
from features.steps.grammar import step


# ---------------------------------------------------------------------------------------------- When
@step("when", "the application is evaluated[ on {date:date}]", "it is evaluated[ on {date:date}]",
      "the certification body evaluates the application[ on {date:date}]")
def _evaluate(ctx: Context, date: str | None = None) -> None:
    if date:
        ctx.draft.as_of = parse_date(date, "evaluation date")
    ctx.decision, ctx.rejection = None, None
    try:
        ctx.decision = ctx.draft.evaluate()
    except StepFailure as e:
        if e.diagnostics and e.diagnostics[0].code.startswith("bdd_"):
            raise
        if not _rejection_expected(ctx):
            raise StepFailure("", "", diagnostics=[*e.diagnostics, Diagnostic(
                "bdd_application_rejected", "the engine rejected the application before evaluating it", None,
                ctx.here().line, None, "fix the lines named above, or, when the rejection is the point of the "
                "scenario, add `Then the application is rejected with <code>`")]) from None
        ctx.rejection = e


def _rejection_expected(ctx: Context) -> bool:
    scenario, step_now = ctx.scenario, ctx.step
    if scenario is None or step_now is None:
        return False
    later = [s for s in scenario.steps if s.line_number > step_now.line_number]
    return any(re.search(r"\bis\s+rejected\b", s.name) for s in later if s.type == "then")


# ---------------------------------------------------------------------------------------------- Then: outcome
@step("then", "the outcome is {outcome}", "the application is {outcome}")
def _outcome(ctx: Context, outcome: str) -> None:
    expected = unquote(outcome).lower()
    if expected == "rejected":
        _rejected(ctx, None)
        return
    if expected not in ("granted", "refused", "incomplete"):
        raise StepFailure("bdd_value_error", f"`{outcome}` is not an outcome", hint="write `granted`, `refused`, "
                          "`incomplete` (or `the application is rejected with <code>`)")
    decision = ctx.need_decision()
    if decision.outcome != expected:
        problems = [f"{c.id} {c.verdict}" for c in decision.criteria if c.verdict not in ("pass", "not_applicable")]
        problems += [f"{b.id} {b.verdict}" for b in decision.basic_requirements if b.verdict != "pass"]
        if decision.factory_inspection is not None and decision.factory_inspection.verdict != "pass":
            problems.append(f"factory inspection {decision.factory_inspection.verdict}")
        _expect(decision.outcome, expected, "outcome",
                "not passing: " + ", ".join(problems) if problems else None)


@step("then", "the application is rejected with {code}")
def _rejected_with(ctx: Context, code: str) -> None:
    _rejected(ctx, unquote(code))


def _rejected(ctx: Context, code: str | None) -> None:
    if ctx.rejection is None:
        raise StepFailure("bdd_expectation_failed", "the application was not rejected: it was evaluated"
                          + (f" ({ctx.decision.outcome})" if ctx.decision else ""))
    codes = [d.code for d in ctx.rejection.diagnostics]
    if code is not None and code not in codes:
        raise StepFailure("bdd_expectation_failed", f"the application was rejected, but not with `{code}`",
                          hint="it was rejected with " + ", ".join(f"`{c}`" for c in codes))


@step("then", "the decision applies {edition:text}")
def _edition_applied(ctx: Context, edition: str) -> None:
    decision = ctx.need_decision()
    name = unquote(edition)
    if name not in (decision.standard, decision.ruleset_id):
        raise StepFailure("bdd_expectation_failed", f"the decision applies `{decision.standard}` "
                          f"(`{decision.ruleset_id}`), not `{name}`",
                          hint=f"on {decision.evaluated_on.isoformat()} the edition in force is `{decision.standard}`")


@step("then", "the certification unit is {unit:text}")
def _unit_decided(ctx: Context, unit: str) -> None:
    decision = ctx.need_decision()
    _expect(str(decision.certification_unit), unquote(unit), "certification unit")


# ---------------------------------------------------------------------------------------------- Then: verdicts
def _check_verdict(ctx: Context, name: str, verdict_text: str, reason: str | None, *, kind: str | None = None) -> None:
    expected = parse_verdict(verdict_text)
    if kind == "basic_requirement":
        b = ctx.basic(name)
        item_kind, item_id, actual, evidence, actual_reason = "basic_requirement", b.id, b.verdict, b.evidence, b.reason
        detail = b.detail
    elif kind == "factory_inspection":
        fi = ctx.need_decision().factory_inspection
        if fi is None:
            raise StepFailure("bdd_reference_error", "this rule set requires no factory inspection")
        item_kind, item_id, actual, evidence, actual_reason = "factory_inspection", "factory_inspection", fi.verdict, \
            None, fi.reason
        detail = fi.detail
    else:
        item_kind, item_id, actual, evidence = ctx.item(name)
        if item_kind == "criterion":
            c = ctx.criterion(item_id)
            actual_reason, detail = c.reason, _criterion_detail(c)
        elif item_kind == "basic_requirement":
            b = ctx.basic(item_id)
            actual_reason, detail = b.reason, b.detail
        else:
            fi = ctx.need_decision().factory_inspection
            actual_reason, detail = (fi.reason, fi.detail) if fi else (None, None)
    label = {"criterion": "criterion", "basic_requirement": "basic requirement",
             "factory_inspection": "factory inspection"}[item_kind]
    what = f"{label} `{item_id}`" if item_kind != "factory_inspection" else label
    _expect(actual, expected, what, detail)
    if reason is not None:
        wanted = parse_reason(reason)
        if actual_reason != wanted:
            raise StepFailure("bdd_expectation_failed", f"{what} is `{actual}` because `{actual_reason}`, "
                              f"not `{wanted}`", hint=detail)
    counted = actual != "pass" or ctx.stated(evidence)
    if item_kind == "factory_inspection" and actual == "pass" and ctx.draft.inspection_filled:
        counted = False
    ctx.record(item_kind, item_id, actual, counted)


@step("then", "[the ]criterion {criterion:text} {verdict:verdict}[ because {reason:text}]")
def _criterion_verdict(ctx: Context, criterion: str, verdict: str, reason: str | None = None) -> None:
    ctx.criterion(criterion)  # a criterion, not a basic requirement
    _check_verdict(ctx, criterion, verdict, reason)


@step("then", "the verdict for {item:text} is {verdict:text}[ because {reason:text}]")
def _verdict_for(ctx: Context, item: str, verdict: str, reason: str | None = None) -> None:
    _check_verdict(ctx, item, verdict, reason)


@step("then", "the basic requirement {requirement:text} {verdict:verdict}[ because {reason:text}]")
def _basic_verdict(ctx: Context, requirement: str, verdict: str, reason: str | None = None) -> None:
    _check_verdict(ctx, requirement, verdict, reason, kind="basic_requirement")


@step("then", "the factory inspection {verdict:verdict}[ because {reason:text}]")
def _inspection_verdict(ctx: Context, verdict: str, reason: str | None = None) -> None:
    _check_verdict(ctx, "factory inspection", verdict, reason, kind="factory_inspection")


@step("then", "the verdicts are:")
def _verdicts(ctx: Context, datatable: list[list[str]]) -> None:
    rows = _rows(ctx, datatable, ("criterion", "item", "requirement", "指标", "判定项"))
    failures: list[Diagnostic] = []
    for i, row in rows:
        if len(row) < 2:
            raise StepFailure("bdd_table_error", "a verdict row needs an item and a verdict",
                              hint="write `| criterion | verdict | reason |`", line=ctx.cell(i, 0).line)
        try:
            _check_verdict(ctx, row[0], row[1], row[2] if len(row) > 2 and row[2] else None)
        except StepFailure as e:
            failures.extend(Diagnostic(d.code, d.message, None, ctx.cell(i, 0).line, None, d.hint)
                            for d in e.diagnostics)
    if failures:
        raise StepFailure("", "", diagnostics=failures)


# ---------------------------------------------------------------------------------------------- Then: missing evidence
_MISSING_KINDS = {"test result": "test_result", "certificate": "certificate", "declaration": "declaration",
                  "limit value": "limit_value", "corrective action": "corrective_action",
                  "factory inspection": "factory_inspection", "factory inspection result": "factory_inspection"}


def _missing_ref(ctx: Context, name: str) -> tuple[str, str, str, Any]:
    """A criterion, basic requirement or the factory inspection; else a label (a grade label asks for its test)."""
    bare = re.sub(r"^the\s+", "", unquote(name))
    try:
        return ctx.item(bare)
    except StepFailure:
        labels = ctx.need_decision().labels
        if not any(bare in (lab.id, lab.name_zh) or bare.lower() == lab.name_en.lower() for lab in labels):
            raise
    lab = ctx.label(bare)
    return "label", lab.id, lab.status, None


@step("then", "the missing evidence includes {kind:article} for {ref:text}")
def _missing_kind(ctx: Context, kind: str, ref: str) -> None:
    _check_missing(ctx, ref, re.sub(r"^an?\s+", "", kind))


@step("then", "the missing evidence includes {ref:ref}")
def _missing_any(ctx: Context, ref: str) -> None:
    _check_missing(ctx, ref, None)


def _check_missing(ctx: Context, ref: str, kind: str | None) -> None:
    decision = ctx.need_decision()
    item_kind, item_id, verdict, _ = _missing_ref(ctx, ref)
    wanted_kind = None
    if kind is not None:
        wanted_kind = _MISSING_KINDS.get(" ".join(kind.lower().split()))
        if wanted_kind is None:
            raise StepFailure("bdd_value_error", f"`{kind}` is not a kind of missing evidence",
                              hint="write one of " + ", ".join(f"`{k}`" for k in _MISSING_KINDS))
    items = [m for m in decision.missing_evidence if m.ref == item_id and (wanted_kind is None or m.kind == wanted_kind)]
    if not items:
        listed = ", ".join(f"{m.kind} for `{m.ref}`" for m in decision.missing_evidence) or "nothing"
        raise StepFailure("bdd_expectation_failed",
                          f"the missing evidence has no {kind + ' ' if kind else ''}item for `{item_id}` "
                          f"(its verdict is `{verdict}`)", hint=f"the missing evidence lists {listed}")
    ctx.record(item_kind, item_id, verdict)


@step("then", "the missing evidence does not include {ref:text}")
def _not_missing(ctx: Context, ref: str) -> None:
    decision = ctx.need_decision()
    _, item_id, verdict, _ = _missing_ref(ctx, ref)
    items = [m for m in decision.missing_evidence if m.ref == item_id]
    if items:
        raise StepFailure("bdd_expectation_failed", f"the missing evidence lists `{item_id}` (its verdict is "
                          f"`{verdict}`)", hint=items[0].description)


@step("then", "no evidence is missing", "nothing is missing")
def _nothing_missing(ctx: Context) -> None:
    decision = ctx.need_decision()
    if decision.missing_evidence:
        raise StepFailure("bdd_expectation_failed", "evidence is missing: " + ", ".join(
            f"{m.kind} for `{m.ref}`" for m in decision.missing_evidence))


@step("then", "the missing evidence is:")
def _missing_exactly(ctx: Context, datatable: list[list[str]]) -> None:
    decision = ctx.need_decision()
    expected: set[tuple[str, str]] = set()
    for i, row in _rows(ctx, datatable, ("kind", "evidence")):
        if len(row) < 2:
            raise StepFailure("bdd_table_error", "a row needs a kind and what it is for",
                              hint="write `| kind | for |`, e.g. `| test result | formaldehyde |`", line=ctx.cell(i, 0).line)
        kind = _MISSING_KINDS.get(" ".join(row[0].lower().split()))
        if kind is None:
            raise StepFailure("bdd_value_error", f"`{row[0]}` is not a kind of missing evidence",
                              hint="write one of " + ", ".join(f"`{k}`" for k in _MISSING_KINDS),
                              line=ctx.cell(i, 0).line)
        item_kind, item_id, verdict, _ = _missing_ref(ctx, row[1])
        expected.add((kind, item_id))
        ctx.record(item_kind, item_id, verdict)
    actual = {(m.kind, m.ref) for m in decision.missing_evidence}
    if actual != expected:
        extra = ", ".join(f"{k} for `{r}`" for k, r in sorted(actual - expected))
        lacking = ", ".join(f"{k} for `{r}`" for k, r in sorted(expected - actual))
        raise StepFailure("bdd_expectation_failed", "the missing evidence differs",
                          hint="; ".join(x for x in (f"also listed: {extra}" if extra else "",
                                                     f"not listed: {lacking}" if lacking else "") if x))
