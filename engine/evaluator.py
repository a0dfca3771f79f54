"""Evaluate one validated application against a compiled rule set: admit evidence, fire durable, decide.

The stages, in order, each a function of what the one before gave (named records, never positional tuples):

1. applicability   `CompiledRuleSet.applicability`: which criteria apply to this product
2. admission       `_admission`: the evidence each criterion, basic requirement, the inspection and each grade
                   label admits (`Admission`, `GradeValue`), and the fields durable is to see (`Admitted`)
3. durable         `DurableRuleSet.fire`: the failure rule of every requirement that does not hold
4. verdicts        `_verdicts` (criteria) and `_gate` (basic requirements, factory inspection)
5. labels          `_labels` (`_member_label`, `_grade_label`), then `_outcome`
6. missing         `_missing_items`: what is missing, as a list someone can act on

The records between stages are NamedTuples: named and immutable. The two built per test result and per criterion
(`Candidate`, `Admission`) are slotted classes with an `__init__`, not changed once built: that is what mypyc
compiles to a native class (built in tens of nanoseconds), where a NamedTuple is built by its Python `__new__`
(0.5 µs, measured; a tuple 0.06) and a frozen dataclass by an interpreted `__init__` setting each field through
`object.__setattr__` (2 µs); a decision builds one per criterion and one per test result."""

from __future__ import annotations

import datetime as dt
import gc
import math
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple, cast

from .application import Application, Declaration, Evidence, FactoryInspection, TestReport, TestResult
from .compiler import BasicPlan, CompiledRuleSet, CriterionPlan, GradePlan, LabelPlan, Margin, MarginKind
from .decision import (
    CriterionResult,
    Decision,
    EvidenceRef,
    InspectionResult,
    LabelResult,
    Measured,
    MissingItem,
    OpenGrade,
    Rejection,
    RequirementResult,
)
from .durable_core import PER_SESSION
from .units import IncompatibleUnits, UnitError, apply_conversion, conversion

__all__ = ["evaluate", "evaluate_batch", "evaluate_each"]

_OPEN = ("missing", "not_acceptable", "undetermined", "pending")

# The records a decision holds one of per criterion, basic requirement and label are built field by field, by
# name, on an instance made without `__init__` (`_record`): never positionally (a field moved in its class would
# then take another's value, silently), and not by calling the class with keywords either, which CPython does by
# gathering them in a dict for `__init__` (measured here: a CriterionResult took 3.5 µs by keyword, 1.1 µs
# positionally, 0.7 µs field by field, and a decision builds one per criterion). Every field is set: one left out
# fails loudly when read (the slots have no default), and tests/engine/test_evaluator_records.py checks each builder.
_record = object.__new__
_NO_LIMIT = "no limit value is shipped for this criterion; the certification body must supply it"


class Candidate:
    """A test result that may prove a criterion, with what its report says about it. (Not changed once built;
    a slotted class rather than a NamedTuple, as one is built per test result: see the module's docstring.)"""

    __slots__ = ("age", "evidence", "report", "result")

    def __init__(self, report: TestReport, result: TestResult, evidence: EvidenceRef, age: int) -> None:
        self.report = report
        self.result = result
        self.evidence = evidence  # the report's reference, built once per report
        self.age = age  # the report's age in days on the evaluation date


class Admission:
    """What stage 2 found for one applicable criterion: the result admitted, if any, and why every other was not.
    (Not changed once built; a slotted class, as one is built per criterion: see the module's docstring.)"""

    __slots__ = ("evidence", "issued", "not_detected", "rejected", "result", "value")

    def __init__(self, value: Any, not_detected: bool, result: TestResult | None, evidence: EvidenceRef | None,
                 issued: dt.date | None, rejected: tuple[Rejection, ...]) -> None:
        self.value = value  # in the limit's unit (a quantity), the choice, or 1 for a declaration; None: none
        self.not_detected = not_detected  # the value is then the detection limit
        self.result = result  # the test result admitted (None for a declaration or a combined value)
        self.evidence = evidence  # the evidence admitted; None when nothing was
        self.issued = issued  # the admitted report's date (the newest acceptable one wins)
        self.rejected = rejected


class GradeValue(NamedTuple):
    """The measurement a grade label reads, in the unit of the label's first grade."""

    value: float
    not_detected: bool
    criterion: int  # the plan index of the criterion that admitted it
    admitted: float  # the value as that criterion admitted it, in its limit's unit


class Admitted(NamedTuple):
    """What stages 1-2 found for one application: the fields durable sees and the evidence behind them."""

    cert_unit: str | None
    fields: dict[str, Any]  # durable's input (engine.facts names the fields)
    criteria: tuple[Admission | None, ...]  # by plan index; None: the criterion does not apply
    basics: tuple[EvidenceRef | None, ...]  # by basic plan index; None: no evidence
    inspection_state: str | None  # pass, fail, verified, pending, overdue; None: no inspection result
    grades: tuple[GradeValue | None, ...]  # by grade plan index; None: no measurement


class Verdicts(NamedTuple):
    """Stage 4 for the criteria: every result, and what the labels and the decision need to know of them."""

    results: tuple[CriterionResult, ...]
    statuses: tuple[str | None, ...]  # the verdict by plan index; None: not applicable
    unsettled: tuple[int, ...]  # the plan indices of the applicable criteria that did not pass, in order
    open: bool  # some verdict is neither pass nor fail
    unconfirmed: tuple[CriterionPlan, ...]  # decided (pass or fail) against an unconfirmed limit


class Gate(NamedTuple):
    """Stage 4 for what every label rests on: the basic requirements and the factory inspection."""

    basics: tuple[RequirementResult, ...]
    inspection: InspectionResult | None
    failed: tuple[str, ...]  # the ids of what failed
    open: tuple[str, ...]  # the ids of what is not decided yet


class GradeOpen(NamedTuple):
    """A grade label whose measurement proves no grade yet: none admitted (`found` None) or a not-detected one."""

    plan: GradePlan
    found: GradeValue | None


class Labels(NamedTuple):
    """Stage 5: every label's result, and the grade labels whose measurement is open (for the missing evidence)."""

    results: tuple[LabelResult, ...]
    grade_open: tuple[GradeOpen, ...]


class EvidenceIndex(NamedTuple):
    """The application's evidence, indexed once for every criterion."""

    by_indicator: dict[str, list[Candidate]]
    declarations: dict[str, Declaration]


class GradeLabel(NamedTuple):
    """A grade label's result, and its measurement when that proves no grade yet."""

    result: LabelResult
    open: GradeOpen | None


class Verdict(NamedTuple):
    verdict: str
    reason: str | None
    detail: str | None


_PASS = Verdict("pass", None, None)
_UNDETERMINED = Verdict("undetermined", "limit_unconfirmed", _NO_LIMIT)
_EXCEEDED = Verdict("fail", "limit_exceeded", None)
_NOT_MET = Verdict("fail", "requirement_not_met", None)


def _num(v: Any) -> str:
    if isinstance(v, float):
        text = f"{v:.6g}"
        return text
    return str(v)


# ------------------------------------------------------------------------------------------------ the entry points

def evaluate(compiled: CompiledRuleSet, app: Application, as_of: dt.date, *, unit: str | None = None,
             binding: bool = True) -> Decision:
    """The decision for `app` as of `as_of`. `app` must have passed `engine.intake` validation for this rule
    set (indicator ids resolved, units parseable, certification unit known): evaluation then cannot fail on
    input, only return verdicts.

    This is the hot path (a bulk run evaluates thousands of applications a second), so what does not depend on
    the application is computed once by the compiler (`CriterionPlan`, `LabelPlan`, the static caveats)."""
    admitted = _admission(compiled, app, as_of, unit)
    # stage 3: durable fires the failure rule of every requirement that does not hold
    return _decide(compiled, app, as_of, admitted, compiled.durable.fire(admitted.fields), binding)


def evaluate_batch(compiled: CompiledRuleSet, items: Sequence[tuple[Application, str | None]], as_of: dt.date, *,
                   binding: bool = True) -> list[Decision]:
    """`evaluate` for several applications of one rule set (each with its certification unit, or None for the
    application's own), in order: the same decisions, with the durable stage run for `durable_core.PER_SESSION`
    applications at a time in one session, which halves its cost (bulk runs).

    Decisions hold no reference cycles, but a list of them is a mass of GC-tracked containers which the cyclic
    collector would walk again and again as it grows (measured: keeping 1,000 decisions cost +50% over
    discarding each). The collector is paused while the list is built; they are looked at once afterwards.
    A caller that consumes decisions one by one should use `evaluate_each`: holding many costs memory traffic
    too (measured here: streamed, 240 µs an application; the same in one list of 1,000, 300)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return list(evaluate_each(compiled, items, as_of, binding=binding))
    finally:
        if paused:
            gc.enable()


def evaluate_each(compiled: CompiledRuleSet, items: Sequence[tuple[Application, str | None]], as_of: dt.date, *,
                  binding: bool = True) -> Iterator[Decision]:
    """`evaluate_batch` as a generator: the decisions come out `PER_SESSION` at a time, in order."""
    step = PER_SESSION
    fire_many = compiled.durable.fire_many
    for start in range(0, len(items), step):
        chunk = items[start:start + step]
        states = [_admission(compiled, app, as_of, unit) for app, unit in chunk]
        fired = fire_many([st.fields for st in states], step)
        for (app, _), st, f in zip(chunk, states, fired):
            yield _decide(compiled, app, as_of, st, f, binding)


# ------------------------------------------------------------------------------ stages 1-2: applicability, admission

def _admission(compiled: CompiledRuleSet, app: Application, as_of: dt.date, unit: str | None) -> Admitted:
    """Stages 1-2: which criteria apply, the evidence each admits, and the fields durable is to see."""
    cert_unit = unit if unit is not None else app.certification_unit
    evidence = app.evidence
    model = app.product.model
    index = _index(evidence, as_of)
    applies = compiled.applicability(cert_unit, app.product.parameters)
    criteria = tuple([_admit_criterion(plan, index, model) if ok else None
                      for plan, ok in zip(compiled.criteria, applies)])
    basics = tuple([_basic_evidence(bp, evidence, index.declarations, as_of) for bp in compiled.basics])
    inspection_state = None
    if compiled.inspection_field is not None and evidence.factory_inspection is not None:
        inspection_state = _inspection_state(evidence.factory_inspection, as_of)
    grades = tuple([_grade_value(compiled, gp, criteria) for gp in compiled.grades])
    fields = _facts(compiled, criteria, basics, inspection_state, grades, as_of)
    return Admitted(cert_unit, fields, criteria, basics, inspection_state, grades)


def _report_ref(report: TestReport) -> EvidenceRef:
    # reports are frozen; the reference is rebuilt per report object, never shared across applications
    return EvidenceRef("test_report", report.id, report.laboratory.name, tuple(report.laboratory.qualifications),
                       report.issued, report.model)


def _index(evidence: Evidence, as_of: dt.date) -> EvidenceIndex:
    """The test results by indicator, each with its report's reference and age (once per report, not per result)."""
    by_indicator: dict[str, list[Candidate]] = {}
    for report in evidence.test_reports:
        ref, age = _report_ref(report), (as_of - report.issued).days
        for result in report.results:
            bucket = by_indicator.get(result.indicator)
            if bucket is None:
                by_indicator[result.indicator] = [Candidate(report, result, ref, age)]
            else:
                bucket.append(Candidate(report, result, ref, age))
    declarations = {d.id: d for d in evidence.declarations} if evidence.declarations else {}
    return EvidenceIndex(by_indicator, declarations)


_NONE_ADMITTED = Admission(None, False, None, None, None, ())


def _admit_criterion(plan: CriterionPlan, index: EvidenceIndex, model: str) -> Admission:
    if plan.kind == "document":
        d = index.declarations.get(plan.indicator.id)
        if d is None:
            return _NONE_ADMITTED
        return Admission(1, False, None, EvidenceRef("declaration", d.id, issued=d.signed), None, ())
    if plan.operand_plans:
        return _admit_operands(plan, index, model)
    return _admit(plan, index.by_indicator.get(plan.indicator.id, []), model)


def _admit(plan: CriterionPlan, candidates: list[Candidate], model: str) -> Admission:
    """The newest acceptable result for a criterion, and why each other candidate was not accepted."""
    rejected: list[Rejection] = []
    best: Candidate | None = None
    best_value: Any = None
    for c in candidates:
        refusal = _policy_refusal(plan, c, model)
        value: Any = None
        if refusal is None:
            value = _quantity_value(plan, c) if plan.kind == "quantity" else c.result.value
            if isinstance(value, Rejection):
                refusal = value
        if refusal is not None:
            rejected.append(refusal)
        elif best is None or c.report.issued > best.report.issued:
            best, best_value = c, value
    if best is None:
        return Admission(None, False, None, None, None, tuple(rejected))
    nd = plan.kind == "quantity" and best.result.not_detected
    return Admission(best_value, nd, best.result, best.evidence, best.report.issued, tuple(rejected))


def _policy_refusal(plan: CriterionPlan, c: Candidate, model: str) -> Rejection | None:
    """Why the criterion's evidence policy refuses the candidate's report (date, age, laboratory, model), or None."""
    report, age, max_age = c.report, c.age, plan.max_age_days
    if age < 0:
        return Rejection(c.evidence, "issued_after_evaluation_date",
                         f"issued {report.issued.isoformat()}, after the evaluation date")
    if max_age is not None and age > max_age:
        return Rejection(c.evidence, "expired", f"report is {age} days old; at most {max_age} days are accepted")
    if plan.laboratory and plan.laboratory.isdisjoint(report.laboratory.qualifications):
        return Rejection(c.evidence, "unqualified_laboratory",
                         f"laboratory `{report.laboratory.name}` holds "
                         f"{', '.join(report.laboratory.qualifications) or 'no listed qualification'}; "
                         f"needs {plan.lab_text}")
    if plan.same_model and report.model != model:
        return Rejection(c.evidence, "other_model", f"report covers model `{report.model}`, not `{model}`")
    return None


def _quantity_value(plan: CriterionPlan, c: Candidate) -> float | Rejection:
    """The candidate's value (its detection limit if not detected) in the limit's unit, or why it cannot be used."""
    result = c.result
    nd = result.not_detected
    raw = result.detection_limit if nd else result.value
    if raw is None:
        return Rejection(c.evidence, "detection_limit_missing", "not detected, but no detection limit is given")
    try:
        reported = result.unit
        if reported and reported == plan.unit:  # the limit's own unit: nothing to convert
            value = float(raw)
        else:
            factor, offset = conversion(reported or "", plan.unit or "")
            value = apply_conversion(float(raw), factor, offset)
    except (IncompatibleUnits, UnitError):
        return Rejection(c.evidence, "unit_not_convertible", f"`{result.unit}` cannot convert to `{plan.unit}`")
    if not math.isfinite(value):
        return Rejection(c.evidence, "value_out_of_range", f"`{raw}` {result.unit} is out of range in `{plan.unit}`")
    if nd:
        if not plan.not_detected_proves:
            return Rejection(c.evidence, "not_detected_not_comparable",
                             "a not-detected result cannot prove a lower bound or an exact value")
        bound = plan.criterion.requirement.value
        if bound is not None and value > float(bound):
            return Rejection(c.evidence, "detection_limit_too_high", f"detection limit {_num(value)} {plan.unit} is "
                             f"above the limit {_num(bound)} {plan.unit}")
    return value


def _admit_operands(plan: CriterionPlan, index: EvidenceIndex, model: str) -> Admission:
    """An operator reading several indicators (engine.ops `operands`): each admitted as a criterion's would be,
    then combined (`plan.combine`) into the value compared; the evidence named is the criterion's indicator's."""
    each = [_admit(p, index.by_indicator.get(p.indicator.id, []), model) for p in plan.operand_plans]
    rejected = tuple([r for a in each for r in a.rejected])
    chosen = [a for a in each if a.evidence is not None]
    if len(chosen) < len(plan.operand_plans) or plan.combine is None:
        return Admission(None, False, None, None, None, rejected)
    value = plan.combine(tuple([a.value for a in chosen]))
    first = chosen[0]
    if not math.isfinite(value):
        names = ", ".join(f"`{p.indicator.id}`" for p in plan.operand_plans)
        out_of_range = Rejection(cast(EvidenceRef, first.evidence), "value_out_of_range",
                                 f"the combined value of {names} is out of range")
        return Admission(None, False, None, None, None, rejected + (out_of_range,))
    return Admission(value, False, first.result, first.evidence, first.issued, rejected)


def _basic_evidence(bp: BasicPlan, evidence: Evidence, declarations: dict[str, Declaration],
                    as_of: dt.date) -> EvidenceRef | None:
    """The certificate or declaration a basic requirement asks for, if submitted."""
    proof = bp.requirement.proof
    if not proof.certificate:
        d = declarations.get(proof.declaration or "")
        return None if d is None else EvidenceRef("declaration", d.id, issued=d.signed)
    # any whitespace is ignored, the ideographic space U+3000 of Chinese texts included
    certs = [c for c in evidence.certificates if "".join(c.standard.split()).upper().startswith(bp.wanted)]
    if not certs:
        return None
    # a certificate valid on the evaluation date wins over a renewal that is not valid yet
    cert = max(certs, key=lambda c: (c.valid_until >= as_of and (c.valid_from is None or c.valid_from <= as_of),
                                     c.valid_until))
    return EvidenceRef("certificate", cert.number or cert.standard, laboratory=cert.issued_by,
                       issued=cert.valid_from, valid_until=cert.valid_until)


def _inspection_state(inspection: FactoryInspection, as_of: dt.date) -> str:
    if inspection.outcome == "pass":
        return "pass"
    if inspection.outcome == "fail":
        return "fail"
    ca = inspection.corrective_action
    if ca is not None and ca.verified and (ca.verified_on is None or ca.verified_on <= as_of):
        return "verified"
    if ca is not None and ca.deadline >= as_of:
        return "pending"
    return "overdue"


def _grade_value(compiled: CompiledRuleSet, gp: GradePlan, criteria: tuple[Admission | None, ...]) -> GradeValue | None:
    """The measurement a grade label reads: the first applicable criterion on its indicator that admitted a result."""
    for i in gp.criteria:
        a = criteria[i]
        if a is not None and a.evidence is not None:
            if not isinstance(a.value, float):
                return None
            factor, offset = conversion(compiled.criteria[i].unit or "", gp.unit or "")
            return GradeValue(apply_conversion(a.value, factor, offset), a.not_detected, i, a.value)
    return None


def _facts(compiled: CompiledRuleSet, criteria: tuple[Admission | None, ...], basics: tuple[EvidenceRef | None, ...],
           inspection_state: str | None, grades: tuple[GradeValue | None, ...], as_of: dt.date) -> dict[str, Any]:
    """The fields durable sees (named by the plans, engine.facts): only for what was admitted."""
    fields: dict[str, Any] = {}
    for plan, a in zip(compiled.criteria, criteria):
        if a is not None and a.evidence is not None:
            fields[plan.value_field] = a.value
            if plan.nd_field is not None:
                fields[plan.nd_field] = 1 if a.not_detected else 0
    for bp, ref in zip(compiled.basics, basics):
        if ref is not None:
            fields[bp.field] = _days_left(ref, as_of) if ref.kind == "certificate" else 1
    if compiled.inspection_field is not None and inspection_state is not None:
        fields[compiled.inspection_field] = inspection_state
    for gp, gv in zip(compiled.grades, grades):
        if gv is not None:
            fields[gp.field] = gv.value
            fields[gp.nd_field] = 1 if gv.not_detected else 0
            unit = compiled.criteria[gv.criterion].unit or ""
            for g in gp.rules:  # each grade compares the value in its own limit's unit
                factor, offset = conversion(unit, g.unit or "")
                fields[g.field] = apply_conversion(gv.admitted, factor, offset)
    return fields


def _days_left(cert: EvidenceRef, as_of: dt.date) -> int:
    """A certificate's days of validity left on `as_of`; -1 when it is not valid yet."""
    if cert.valid_until is None or (cert.issued is not None and cert.issued > as_of):
        return -1
    return (cert.valid_until - as_of).days


# ---------------------------------------------------------------------------------------- stages 4-6: deciding

def _decide(compiled: CompiledRuleSet, app: Application, as_of: dt.date, admitted: Admitted, fired: set[str],
            binding: bool) -> Decision:
    """Stages 4-6: verdicts from what durable fired, then labels, outcome and what is missing."""
    rs = compiled.ruleset
    model = app.product.model
    verdicts = _verdicts(compiled, admitted, fired)
    gate = _gate(compiled, app.evidence.factory_inspection, admitted, fired, as_of)
    labels = _labels(compiled, verdicts, gate, admitted.grades, fired)
    scope = app.scope or compiled.default_scope
    # stage 6: what is missing, as a list someone can act on (built only when something is open)
    missing: tuple[MissingItem, ...] = ()
    if verdicts.open or gate.open or labels.grade_open:
        missing = tuple(_missing_items(compiled, verdicts.results, gate, labels.grade_open, model, as_of))
    caveats = compiled.static_caveats
    if verdicts.unconfirmed:
        caveats = tuple([p.caveat for p in verdicts.unconfirmed]) + caveats
    return Decision(
        application_id=app.id, category=rs.category, certification_unit=admitted.cert_unit, product_model=model,
        ruleset_id=rs.id, standard=rs.standard, implementation_rule=rs.implementation_rule,
        ruleset_version=compiled.version, evaluated_on=as_of, outcome=_outcome(labels.results, scope),
        scope=tuple(scope), eligible_labels=tuple([lab.id for lab in labels.results if lab.status == "eligible"]),
        labels=labels.results, basic_requirements=gate.basics, factory_inspection=gate.inspection,
        criteria=verdicts.results, missing_evidence=missing, caveats=caveats, binding=binding,
    )


def _verdicts(compiled: CompiledRuleSet, admitted: Admitted, fired: set[str]) -> Verdicts:
    """Stage 4, criteria: each applicable one failed if its rule fired, passed if not, unless nothing was admitted."""
    results: list[CriterionResult] = []
    statuses: list[str | None] = []
    unsettled: list[int] = []
    open_ = False
    unconfirmed: list[CriterionPlan] = []
    for plan, a in zip(compiled.criteria, admitted.criteria):
        if a is None:
            results.append(_criterion_result(plan, _NOT_APPLICABLE, _NONE_ADMITTED))
            statuses.append(None)
            continue
        verdict = _verdict(plan, a, fired)
        results.append(_criterion_result(plan, verdict, a))
        statuses.append(verdict.verdict)
        if verdict.verdict != "pass" and verdict.verdict != "fail":
            open_ = True
        elif plan.record.limit_status == "unconfirmed":
            unconfirmed.append(plan)
        if verdict.verdict != "pass":
            unsettled.append(plan.index)
    return Verdicts(tuple(results), tuple(statuses), tuple(unsettled), open_, tuple(unconfirmed))


_NOT_APPLICABLE = Verdict("not_applicable", None, None)


def _verdict(plan: CriterionPlan, a: Admission, fired: set[str]) -> Verdict:
    if plan.rule is None:
        return _UNDETERMINED
    if a.evidence is None:
        if a.rejected:
            last = a.rejected[-1]
            return Verdict("not_acceptable", last.reason, last.detail)
        return Verdict("missing", "no_evidence", plan.missing_detail)
    if plan.rule in fired:
        return _EXCEEDED if plan.upper_bound else _NOT_MET
    return _PASS


def _criterion_result(plan: CriterionPlan, v: Verdict, a: Admission) -> CriterionResult:
    """The record of a criterion: the plan's unchanging fields, the verdict, and what was measured."""
    rec = plan.record
    measured: Measured | None = None
    margin = relative = None
    r = a.result
    if r is not None:
        nd = a.not_detected
        measured = Measured(a.value, rec.limit_unit, nd, r.detection_limit if nd else r.value, r.unit,
                            r.detection_limit)
        if plan.rule is not None and type(a.value) is float:
            margin = _margin(plan.margin, a.value)
            relative = _relative(plan.margin, margin)
    out = _record(CriterionResult)
    out.id, out.indicator, out.name_zh, out.name_en = rec.id, rec.indicator, rec.name_zh, rec.name_en
    out.attribute, out.requirement, out.op = rec.attribute, rec.requirement, rec.op
    out.limit, out.limit_unit, out.limit_status = rec.limit, rec.limit_unit, rec.limit_status
    out.clause, out.source, out.optional = rec.clause, rec.source, rec.optional
    out.verdict, out.reason, out.detail = v.verdict, v.reason, v.detail
    out.measured, out.margin, out.margin_relative = measured, margin, relative
    out.evidence, out.rejected = a.evidence, a.rejected
    return out


def _margin(m: Margin, value: float) -> float | None:
    """The distance to the limit on the passing side: negative if failing."""
    low, high = m.low, m.high
    if low is None:
        return None
    if m.kind == MarginKind.UPPER:
        return low - value
    if m.kind == MarginKind.LOWER:
        return value - low
    if m.kind == MarginKind.RANGE and high is not None:
        return min(value - low, high - value)
    return None


def _relative(m: Margin, margin: float | None) -> float | None:
    """The margin as a share of the limit (of the range's width for a range)."""
    if margin is None or m.low is None:
        return None
    span = m.high - m.low if m.kind == MarginKind.RANGE and m.high is not None else m.low
    return margin / span if span else None


def _gate(compiled: CompiledRuleSet, inspection: FactoryInspection | None, admitted: Admitted, fired: set[str],
          as_of: dt.date) -> Gate:
    """Stage 4, what every label rests on: the basic requirements and the factory inspection."""
    basics = tuple([_basic_result(bp, ref, fired, as_of) for bp, ref in zip(compiled.basics, admitted.basics)])
    failed: list[str] = []
    open_ = [b.id for b in basics if b.verdict != "pass"]
    result = _inspection_result(compiled, inspection, admitted.inspection_state, fired)
    if result is not None and result.verdict == "fail":
        failed.append("factory_inspection")
    elif result is not None and result.verdict != "pass":
        open_.append("factory_inspection")
    return Gate(basics, result, tuple(failed), tuple(open_))


def _basic_result(bp: BasicPlan, ref: EvidenceRef | None, fired: set[str], as_of: dt.date) -> RequirementResult:
    b = bp.requirement
    if ref is None:
        v = Verdict("missing", "no_evidence", bp.missing_detail)
    elif bp.rule in fired:
        v = Verdict("not_acceptable", "certificate_not_valid",
                    f"certificate not valid on {as_of.isoformat()} (valid until {ref.valid_until})")
    else:
        v = _PASS
    out = _record(RequirementResult)
    out.id, out.name_zh, out.name_en, out.clause = b.id, b.name.zh, b.name.en, b.clause
    out.verdict, out.reason, out.detail, out.evidence = v.verdict, v.reason, v.detail, ref
    return out


def _inspection_result(compiled: CompiledRuleSet, inspection: FactoryInspection | None, state: str | None,
                       fired: set[str]) -> InspectionResult | None:
    rs = compiled.ruleset
    if compiled.inspection_field is None or rs.factory_inspection is None:
        return None
    clause = rs.factory_inspection.clause
    ca = inspection.corrective_action if inspection is not None else None
    deadline = ca.deadline if ca is not None else None
    if state is None:
        return InspectionResult("missing", None, "no_evidence", "no factory inspection result", None, clause)
    if compiled.inspection_field not in fired:
        return InspectionResult("pass", inspection.outcome if inspection else None, None,
                                "corrective action verified" if state == "verified" else None, deadline, clause)
    if state == "pending":
        return InspectionResult("pending", "corrective_action", "corrective_action_pending",
                                f"corrective action due by {deadline.isoformat() if deadline else '?'} is not yet "
                                "verified", deadline, clause)
    if state == "overdue":
        return InspectionResult("fail", "corrective_action", "corrective_action_overdue",
                                "corrective action was not verified by its deadline" if ca
                                else "corrective action without a deadline", deadline, clause)
    return InspectionResult("fail", "fail", "inspection_failed", "the factory inspection failed", None, clause)


def _labels(compiled: CompiledRuleSet, verdicts: Verdicts, gate: Gate, grades: tuple[GradeValue | None, ...],
            fired: set[str]) -> Labels:
    """Stage 5: every label, by its kind."""
    results: list[LabelResult] = []
    grade_open: list[GradeOpen] = []
    for lp in compiled.labels:
        if lp.label.kind == "grade":
            graded = _grade_label(compiled, lp, grades, fired, gate)
            results.append(graded.result)
            if graded.open is not None:
                grade_open.append(graded.open)
        else:
            results.append(_member_label(compiled, lp, verdicts, gate))
    return Labels(tuple(results), tuple(grade_open))


def _member_label(compiled: CompiledRuleSet, lp: LabelPlan, verdicts: Verdicts, gate: Gate) -> LabelResult:
    """A full, partial or tier label: the gate, its member criteria and (tier) the share of optional ones passed."""
    lab = lp.label
    statuses = verdicts.statuses
    failed, open_ = list(gate.failed), list(gate.open)
    if lab.kind == "partial" and all(statuses[i] is None for i in lp.members):
        failed.append(f"no_applicable_criterion:{lab.attribute}")
    member_set = lp.member_set
    for i in verdicts.unsettled:  # in plan order, as the members are
        if i in member_set:
            (failed if statuses[i] == "fail" else open_).append(compiled.criteria[i].record.id)
    if lab.kind == "tier":
        optional = [i for i in lp.optional if statuses[i] is not None]
        share = lab.optional_share or 0.0
        need = share * len(optional)
        passed = sum(1 for i in optional if statuses[i] == "pass")
        undecided = [compiled.criteria[i].record.id for i in optional if statuses[i] in _OPEN]
        if passed + len(undecided) + 1e-9 < need:
            failed.append(f"optional_share<{share:g}")
        elif passed + 1e-9 < need:
            open_.extend(undecided)
    return _label_result(lp, _label_status(failed, open_), lab.attribute, None, failed, open_, ())


def _label_result(lp: LabelPlan, status: str, attribute: str | None, grade: str | None, failed: list[str],
                  open_: list[str], open_grades: tuple[OpenGrade, ...]) -> LabelResult:
    lab = lp.label
    out = _record(LabelResult)
    out.id, out.kind, out.name_zh, out.name_en = lab.id, lab.kind, lab.name.zh, lab.name.en
    out.status, out.attribute, out.grade = status, attribute, grade
    out.failed, out.open, out.open_grades = tuple(failed), tuple(open_), open_grades
    return out


def _label_status(failed: list[str], open_: list[str]) -> str:
    return "not_eligible" if failed else ("undetermined" if open_ else "eligible")


def _grade_label(compiled: CompiledRuleSet, lp: LabelPlan, grades: tuple[GradeValue | None, ...], fired: set[str],
                 gate: Gate) -> GradeLabel:
    """A grade label (docs/semantics.md §5): the gate, and the grade the measurement of its indicator proves.

    A measured value decides every grade. A not-detected result only says that the true value is below its
    detection limit: it proves the grades whose bound is at or above the limit and leaves the better ones open
    (`open_grades`); when it proves none, the label is undetermined, not refused, and its measurement is open
    (for the missing evidence)."""
    lab = lp.label
    failed, open_ = list(gate.failed), list(gate.open)
    grade: str | None = None
    open_grades: tuple[OpenGrade, ...] = ()
    opened: GradeOpen | None = None
    gp = compiled.grades[lp.grade] if lp.grade is not None else None
    found = grades[lp.grade] if lp.grade is not None else None
    if gp is None or found is None:
        open_.append(lab.indicator or lab.id)
        opened = GradeOpen(gp, None) if gp is not None else None
    else:
        rank = next((k for k, g in enumerate(gp.rules) if g.rule in fired), len(gp.rules))
        grade = gp.rules[rank].grade if rank < len(gp.rules) else None
        if found.not_detected:
            open_grades = gp.open[:rank]
            if grade is None:
                open_.append(gp.indicator.id)
                opened = GradeOpen(gp, found)
        elif grade is None:
            failed.append(gp.indicator.id)
    result = _label_result(lp, _label_status(failed, open_), None, grade, failed, open_, open_grades)
    return GradeLabel(result, opened)


def _outcome(labels: tuple[LabelResult, ...], scope: Sequence[str]) -> str:
    """Granted when every label in scope is eligible, refused when one is not eligible, else incomplete."""
    by_id = {lab.id: lab for lab in labels}
    scoped = [by_id[s] for s in scope]
    if any(lab.status == "not_eligible" for lab in scoped):
        return "refused"
    if all(lab.status == "eligible" for lab in scoped):
        return "granted"
    return "incomplete"


# ---------------------------------------------------------------------------------------- stage 6: missing evidence

def _test_wanted(p: CriterionPlan, c: CriterionResult, model: str, as_of: dt.date) -> str:
    """A test result for the criterion's indicator, as its evidence policy accepts one."""
    parts = [f"a test result for `{c.indicator}` ({c.name_en} / {c.name_zh})"]
    if p.same_model:
        parts.append(f"on model `{model}`")
    if p.laboratory:
        parts.append(f"from a {' or '.join(sorted(p.laboratory))}-qualified laboratory")
    if p.max_age_days:
        earliest = as_of - dt.timedelta(days=p.max_age_days)
        parts.append(f"issued on or after {earliest.isoformat()}")
    return " ".join(parts)


def _missing_items(compiled: CompiledRuleSet, criteria: tuple[CriterionResult, ...], gate: Gate,
                   grade_open: tuple[GradeOpen, ...], model: str, as_of: dt.date) -> list[MissingItem]:
    out: list[MissingItem] = []
    for p, c in zip(compiled.criteria, criteria):
        item = _criterion_item(p, c, model, as_of)
        if item is not None:
            out.append(item)
    out.extend(_grade_items(compiled, criteria, grade_open, model, as_of))
    for bp, b in zip(compiled.basics, gate.basics):
        if b.verdict in ("missing", "not_acceptable"):
            proof = bp.requirement.proof
            if proof.certificate:
                out.append(MissingItem("certificate", b.id, "applicant",
                                       f"a certificate to `{proof.certificate}` valid on {as_of.isoformat()} "
                                       f"({b.name_en} / {b.name_zh})"))
            else:
                out.append(MissingItem("declaration", b.id, "applicant",
                                       f"declaration `{proof.declaration}` ({b.name_en} / {b.name_zh})"))
    inspection = gate.inspection
    if inspection is not None and inspection.verdict == "missing":
        out.append(MissingItem("factory_inspection", "factory_inspection", "certification_body",
                               "the result of the on-site factory inspection"))
    elif inspection is not None and inspection.verdict == "pending":
        out.append(MissingItem("corrective_action", "factory_inspection", "applicant",
                               f"verification of the corrective action due by {inspection.deadline}",
                               due=inspection.deadline))
    return out


def _criterion_item(p: CriterionPlan, c: CriterionResult, model: str, as_of: dt.date) -> MissingItem | None:
    if c.verdict in ("missing", "not_acceptable"):
        if p.indicator.kind == "document":
            return MissingItem("declaration", c.id, "applicant",
                               f"document `{p.indicator.id}` ({c.name_en} / {c.name_zh})")
        text = _test_wanted(p, c, model, as_of)
        if c.verdict == "not_acceptable" and c.detail:
            text += f" (submitted evidence not accepted: {c.detail})"
        return MissingItem("test_result", c.id, "applicant", text)
    if c.verdict == "undetermined":
        return MissingItem("limit_value", c.id, "certification_body",
                           f"the limit for `{c.indicator}` ({c.name_en} / {c.name_zh}) under {c.clause} is not "
                           "shipped: supply it from the licensed standard text in an overlay")
    return None


def _grade_items(compiled: CompiledRuleSet, criteria: tuple[CriterionResult, ...], grade_open: tuple[GradeOpen, ...],
                 model: str, as_of: dt.date) -> Iterator[MissingItem]:
    """A test result for each grade label whose measurement is open, unless a criterion already asks for it."""
    for gp, found in grade_open:
        if found is None:
            applicable = [i for i in gp.criteria if criteria[i].verdict != "not_applicable"]
            if not applicable or any(criteria[i].verdict in ("missing", "not_acceptable") for i in applicable):
                continue  # no criterion can admit a measurement here, or one already asks for the test
            c = criteria[applicable[0]]
            text = _test_wanted(compiled.criteria[applicable[0]], c, model, as_of) + f" to grade `{gp.label.id}`"
            if c.rejected:
                text += f" (submitted evidence not accepted: {c.rejected[-1].detail})"
        else:
            i = found.criterion
            wanted = ", ".join(f"{_num(o.detection_limit_max)} {o.unit} for {o.id}" if o.detection_limit_max is not None
                               else f"a quantified result (not `not detected`) for {o.id}" for o in gp.open)
            text = (_test_wanted(compiled.criteria[i], criteria[i], model, as_of)
                    + f", with a detection limit at or below the bound of the grade wanted: {wanted} (submitted: not "
                    f"detected at {_num(found.value)} {gp.unit}, which proves no grade of `{gp.label.id}`)")
        yield MissingItem("test_result", gp.label.id, "applicant", text)
