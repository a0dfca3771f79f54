"""Evaluate one validated application against a compiled rule set: admit evidence, fire durable, decide."""

from __future__ import annotations

import datetime as dt
import gc
import math
from collections.abc import Iterator, Sequence
from typing import Any

from .application import Application, TestReport, TestResult
from .compiler import CompiledRuleSet, CriterionPlan, GradePlan, LabelPlan
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


def _report_ref(report: TestReport) -> EvidenceRef:
    # reports are frozen; the reference is rebuilt per report object, never shared across applications
    return EvidenceRef("test_report", report.id, report.laboratory.name, tuple(report.laboratory.qualifications),
                       report.issued, report.model)


# the result admitted for a criterion: (the report's issue date, the result, its value in the limit's unit,
# not detected?, the evidence reference); a plain tuple, as one is built per criterion and application
_Admitted = tuple[Any, TestResult | None, Any, bool, EvidenceRef]
# a result that may prove a criterion: its report, the result, the report's reference and age in days
_Candidate = tuple[TestReport, TestResult, EvidenceRef, int]
# the measurement a grade label reads: its value in the unit of the label's first grade, not detected?, and the
# plan index of the criterion that admitted it
_GradeValue = tuple[Any, bool, int]


def _admit(plan: CriterionPlan, candidates: list[_Candidate], model: str) -> tuple[_Admitted | None, list[Rejection]]:
    """Choose the newest acceptable result for a criterion; say why each other candidate was not accepted."""
    rejected: list[Rejection] = []
    best: _Admitted | None = None
    max_age = plan.max_age_days
    laboratory = plan.laboratory
    for report, result, ref, age in candidates:
        reason = detail = None
        if age < 0:
            reason, detail = "issued_after_evaluation_date", f"issued {report.issued.isoformat()}, after the evaluation date"
        elif max_age is not None and age > max_age:
            reason, detail = "expired", f"report is {age} days old; at most {max_age} days are accepted"
        elif laboratory and laboratory.isdisjoint(report.laboratory.qualifications):
            reason = "unqualified_laboratory"
            detail = (f"laboratory `{report.laboratory.name}` holds "
                      f"{', '.join(report.laboratory.qualifications) or 'no listed qualification'}; "
                      f"needs {plan.lab_text}")
        elif plan.same_model and report.model != model:
            reason, detail = "other_model", f"report covers model `{report.model}`, not `{model}`"
        value: Any = None
        nd = False
        if reason is None:
            if plan.kind == "quantity":
                nd = result.not_detected
                raw = result.detection_limit if nd else result.value
                if raw is None:
                    reason, detail = "detection_limit_missing", "not detected, but no detection limit is given"
                else:
                    try:
                        reported = result.unit
                        if reported and reported == plan.unit:  # the limit's own unit: nothing to convert
                            value = float(raw)
                        else:
                            factor, offset = conversion(reported or "", plan.unit or "")
                            value = apply_conversion(float(raw), factor, offset)
                    except (IncompatibleUnits, UnitError):
                        reason = "unit_not_convertible"
                        detail = f"`{result.unit}` cannot convert to `{plan.unit}`"
                    else:
                        if not math.isfinite(value):
                            reason = "value_out_of_range"
                            detail = f"`{raw}` {result.unit} is out of range in `{plan.unit}`"
                        elif nd:
                            if not plan.not_detected_proves:
                                reason = "not_detected_not_comparable"
                                detail = "a not-detected result cannot prove a lower bound or an exact value"
                            else:
                                bound = plan.criterion.requirement.value
                                if bound is not None and value > float(bound):
                                    reason = "detection_limit_too_high"
                                    detail = (f"detection limit {_num(value)} {plan.unit} is above the limit "
                                              f"{_num(bound)} {plan.unit}")
            else:
                value = result.value
        if reason is not None:
            rejected.append(Rejection(ref, reason, detail or reason))
            continue
        if best is None or report.issued > best[0]:
            best = (report.issued, result, value, nd, ref)
    return best, rejected


def _admit_operands(plan: CriterionPlan, by_indicator: dict[str, list[_Candidate]],
                    model: str) -> tuple[_Admitted | None, list[Rejection]]:
    """An operator reading several indicators (engine.ops `operands`): each admitted as a criterion's would be,
    then combined (`plan.combine`) into the value compared; the evidence named is the criterion's indicator's."""
    chosen: list[_Admitted] = []
    rejected: list[Rejection] = []
    for op_plan in plan.operand_plans:
        best, no = _admit(op_plan, by_indicator.get(op_plan.indicator.id, []), model)
        rejected.extend(no)
        if best is not None:
            chosen.append(best)
    if len(chosen) < len(plan.operand_plans) or plan.combine is None:
        return None, rejected
    value = plan.combine(tuple(c[2] for c in chosen))
    first = chosen[0]
    if not math.isfinite(value):
        rejected.append(Rejection(first[4], "value_out_of_range", f"the combined value of "
                                  f"{', '.join(f'`{p.indicator.id}`' for p in plan.operand_plans)} is out of range"))
        return None, rejected
    return (first[0], first[1], value, False, first[4]), rejected


def _num(v: Any) -> str:
    if isinstance(v, float):
        text = f"{v:.6g}"
        return text
    return str(v)


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


class _State:
    """What stages 1-2 found for one application: the fields durable sees and the evidence behind them."""

    __slots__ = ("admitted", "basic_evidence", "cert_unit", "fields", "grade_values", "inspection_state")

    def __init__(self, cert_unit: str | None, fields: dict[str, Any],
                 admitted: list[tuple[_Admitted | None, list[Rejection]] | None],
                 basic_evidence: list[EvidenceRef | None], inspection_state: str | None,
                 grade_values: list[_GradeValue | None]):
        self.cert_unit, self.fields, self.admitted = cert_unit, fields, admitted
        self.basic_evidence, self.inspection_state, self.grade_values = basic_evidence, inspection_state, grade_values


def _admission(compiled: CompiledRuleSet, app: Application, as_of: dt.date, unit: str | None) -> _State:
    """Stages 1-2: applicability and evidence admission, and the fields durable is to see."""
    product = app.product
    params = product.parameters
    cert_unit = unit if unit is not None else app.certification_unit
    model = product.model
    evidence = app.evidence

    # stage 1: index the results by indicator
    by_indicator: dict[str, list[_Candidate]] = {}
    for report in evidence.test_reports:
        ref, age = _report_ref(report), (as_of - report.issued).days  # once per report, not once per result
        for result in report.results:
            bucket = by_indicator.get(result.indicator)
            if bucket is None:
                by_indicator[result.indicator] = [(report, result, ref, age)]
            else:
                bucket.append((report, result, ref, age))
    declarations = {d.id: d for d in evidence.declarations} if evidence.declarations else {}

    # stage 2: applicability and evidence admission -> the fields durable sees
    fields: dict[str, Any] = {}
    admitted: list[tuple[_Admitted | None, list[Rejection]] | None] = []
    no_candidates: list[_Candidate] = []
    for plan, applies in zip(compiled.criteria, compiled.applicability(cert_unit, params)):
        if not applies:
            admitted.append(None)
            continue
        if plan.kind == "document":
            d = declarations.get(plan.indicator.id)
            if d is not None:
                fields[plan.value_field] = 1
                ref = EvidenceRef("declaration", d.id, issued=d.signed)
                admitted.append(((None, None, 1, False, ref), []))
            else:
                admitted.append((None, []))
            continue
        if plan.operand_plans:
            best, rejected = _admit_operands(plan, by_indicator, model)
        else:
            best, rejected = _admit(plan, by_indicator.get(plan.indicator.id, no_candidates), model)
        if best is not None:
            fields[plan.value_field] = best[2]
            if plan.nd_field is not None:
                fields[plan.nd_field] = 1 if best[3] else 0
        admitted.append((best, rejected))

    basic_evidence: list[EvidenceRef | None] = []
    for bp in compiled.basics:
        proof = bp.requirement.proof
        if proof.certificate:
            # any whitespace is ignored, the ideographic space U+3000 of Chinese texts included
            wanted = bp.wanted
            certs = [c for c in evidence.certificates if "".join(c.standard.split()).upper().startswith(wanted)]
            if certs:
                # a certificate valid on the evaluation date wins over a renewal that is not valid yet
                cert = max(certs, key=lambda c: (c.valid_until >= as_of and (c.valid_from is None or c.valid_from <= as_of),
                                                 c.valid_until))
                days_left = (cert.valid_until - as_of).days
                if cert.valid_from is not None and cert.valid_from > as_of:
                    days_left = -1
                fields[bp.field] = days_left
                basic_evidence.append(EvidenceRef("certificate", cert.number or cert.standard, laboratory=cert.issued_by,
                                                  issued=cert.valid_from, valid_until=cert.valid_until))
            else:
                basic_evidence.append(None)
        else:
            d = declarations.get(proof.declaration or "")
            if d is not None:
                fields[bp.field] = 1
                basic_evidence.append(EvidenceRef("declaration", d.id, issued=d.signed))
            else:
                basic_evidence.append(None)

    inspection = evidence.factory_inspection
    inspection_state: str | None = None
    if compiled.inspection_field is not None and inspection is not None:
        if inspection.outcome == "pass":
            inspection_state = "pass"
        elif inspection.outcome == "fail":
            inspection_state = "fail"
        else:
            ca = inspection.corrective_action
            if ca is not None and ca.verified and (ca.verified_on is None or ca.verified_on <= as_of):
                inspection_state = "verified"
            elif ca is not None and ca.deadline >= as_of:
                inspection_state = "pending"
            else:
                inspection_state = "overdue"
        fields[compiled.inspection_field] = inspection_state

    grade_values: list[_GradeValue | None] = []
    for gp in compiled.grades:
        found: _GradeValue | None = None
        for i in gp.criteria:  # the first applicable criterion on the indicator that admitted a result
            entry = admitted[i]
            if entry is not None and entry[0] is not None:
                chosen = entry[0]
                chosen_value, chosen_nd = chosen[2], chosen[3]
                if isinstance(chosen_value, float):
                    plan = compiled.criteria[i]
                    factor, offset = conversion(plan.unit or "", gp.unit or "")
                    found = (apply_conversion(chosen_value, factor, offset), chosen_nd, i)
                    fields[gp.field] = found[0]
                    fields[gp.nd_field] = 1 if chosen_nd else 0
                    for vf, vunit in gp.values:
                        factor, offset = conversion(plan.unit or "", vunit or "")
                        fields[vf] = apply_conversion(chosen_value, factor, offset)
                break
        grade_values.append(found)

    return _State(cert_unit, fields, admitted, basic_evidence, inspection_state, grade_values)


def _decide(compiled: CompiledRuleSet, app: Application, as_of: dt.date, state: _State, fired: set[str],
            binding: bool) -> Decision:
    """Stages 4-6: verdicts from what durable fired, then labels, outcome and what is missing."""
    rs = compiled.ruleset
    cert_unit, admitted, basic_evidence = state.cert_unit, state.admitted, state.basic_evidence
    inspection_state, grade_values = state.inspection_state, state.grade_values
    model = app.product.model
    inspection = app.evidence.factory_inspection

    # stage 4: verdicts
    criteria: list[CriterionResult] = []
    statuses: list[str | None] = []  # by plan index; None = not applicable
    unsettled: list[int] = []  # the plan indices of the applicable criteria that did not pass, in order
    open_criteria = False
    unconfirmed: list[CriterionPlan] = []
    for plan, entry in zip(compiled.criteria, admitted):
        if entry is None:
            criteria.append(plan.not_applicable)  # type: ignore[arg-type]
            statuses.append(None)
            continue
        best, rejected = entry
        if plan.rule is None:
            verdict, reason = "undetermined", "limit_unconfirmed"
            detail: str | None = "no limit value is shipped for this criterion; the certification body must supply it"
        elif best is None:
            if rejected:
                last = rejected[-1]
                verdict, reason, detail = "not_acceptable", last.reason, last.detail
            else:
                verdict, reason, detail = "missing", "no_evidence", plan.missing_detail
        elif plan.rule in fired:
            verdict = "fail"
            reason = "limit_exceeded" if plan.upper_bound else "requirement_not_met"
            detail = None
        else:
            verdict, reason, detail = "pass", None, None
        if verdict != "pass" and verdict != "fail":
            open_criteria = True
        elif plan.limit_status == "unconfirmed":
            unconfirmed.append(plan)
        measured = margin = margin_rel = None
        used: EvidenceRef | None = None
        if best is not None:
            _, r, value, nd, used = best
            if r is not None:
                measured = Measured(value, plan.limit_unit, nd, r.detection_limit if nd else r.value, r.unit,
                                    r.detection_limit)
                if plan.rule is not None and type(value) is float:
                    kind, a, b = plan.margin  # the distance to the limit on the passing side: negative if failing
                    if kind == 1:
                        margin = a - value
                        margin_rel = margin / a if a else None
                    elif kind == 2:
                        margin = value - a
                        margin_rel = margin / a if a else None
                    elif kind == 3:
                        margin = min(value - a, b - value)
                        span = b - a
                        margin_rel = margin / span if span else None
        # the parts of the record that do not depend on the application come precomputed from the plan
        criteria.append(CriterionResult(*plan.head, verdict, reason, detail, *plan.middle, measured, margin, margin_rel,
                                        used, tuple(rejected) if rejected else (), *plan.tail))
        statuses.append(verdict)
        if verdict != "pass":
            unsettled.append(plan.index)

    basics: list[RequirementResult] = []
    gate_failed: list[str] = []
    gate_open: list[str] = []
    for bp, bref in zip(compiled.basics, basic_evidence):
        b = bp.requirement
        if bref is None:
            verdict, reason = "missing", "no_evidence"
            detail = bp.missing_detail
            gate_open.append(b.id)
        elif bp.rule in fired:
            verdict, reason = "not_acceptable", "certificate_not_valid"
            detail = f"certificate not valid on {as_of.isoformat()} (valid until {bref.valid_until})"
            gate_open.append(b.id)
        else:
            verdict, reason, detail = "pass", None, None
        basics.append(RequirementResult(b.id, b.name.zh, b.name.en, verdict, reason, detail, bref, b.clause))

    inspection_result: InspectionResult | None = None
    if compiled.inspection_field is not None and rs.factory_inspection is not None:
        clause = rs.factory_inspection.clause
        ca = inspection.corrective_action if inspection is not None else None
        if inspection_state is None:
            inspection_result = InspectionResult("missing", None, "no_evidence", "no factory inspection result", None,
                                                 clause)
        elif compiled.inspection_field not in fired:
            inspection_result = InspectionResult("pass", inspection.outcome if inspection else None, None,
                                                 "corrective action verified" if inspection_state == "verified" else None,
                                                 ca.deadline if ca else None, clause)
        elif inspection_state == "pending":
            inspection_result = InspectionResult(
                "pending", "corrective_action", "corrective_action_pending",
                f"corrective action due by {ca.deadline.isoformat() if ca else '?'} is not yet verified",
                ca.deadline if ca else None, clause)
        elif inspection_state == "overdue":
            inspection_result = InspectionResult(
                "fail", "corrective_action", "corrective_action_overdue",
                "corrective action was not verified by its deadline" if ca else "corrective action without a deadline",
                ca.deadline if ca else None, clause)
        else:
            inspection_result = InspectionResult("fail", "fail", "inspection_failed", "the factory inspection failed",
                                                 None, clause)
        if inspection_result.verdict == "fail":
            gate_failed.append("factory_inspection")
        elif inspection_result.verdict != "pass":
            gate_open.append("factory_inspection")

    # stage 5: labels and outcome
    labels: list[LabelResult] = []
    grade_open: list[tuple[GradePlan, _GradeValue | None]] = []  # grade labels whose measurement is open
    for lp in compiled.labels:
        lab = lp.label
        if lab.kind == "grade":
            labels.append(_grade_label(compiled, lp, grade_values, fired, gate_failed, gate_open, grade_open))
            continue
        failed = list(gate_failed)
        open_ = list(gate_open)
        if lab.kind == "partial" and all(statuses[i] is None for i in lp.members):
            failed.append(f"no_applicable_criterion:{lab.attribute}")
        member_set = lp.member_set
        for i in unsettled:  # in plan order, as the members are
            if i in member_set:
                if statuses[i] == "fail":
                    failed.append(compiled.criteria[i].criterion.id)
                else:
                    open_.append(compiled.criteria[i].criterion.id)
        if lab.kind == "tier":
            optional = [i for i in lp.optional if statuses[i] is not None]
            share = lab.optional_share or 0.0
            need = share * len(optional)
            passed = sum(1 for i in optional if statuses[i] == "pass")
            undecided = [compiled.criteria[i].criterion.id for i in optional if statuses[i] in _OPEN]
            if passed + len(undecided) + 1e-9 < need:
                failed.append(f"optional_share<{share:g}")
            elif passed + 1e-9 < need:
                open_.extend(undecided)
        st = "not_eligible" if failed else ("undetermined" if open_ else "eligible")
        labels.append(LabelResult(lab.id, lab.kind, lab.name.zh, lab.name.en, st, lab.attribute, None,
                                  tuple(failed), tuple(open_)))

    scope = app.scope or compiled.default_scope
    by_id = {lab.id: lab for lab in labels}
    scoped = [by_id[s] for s in scope]
    if any(lab.status == "not_eligible" for lab in scoped):
        outcome = "refused"
    elif all(lab.status == "eligible" for lab in scoped):
        outcome = "granted"
    else:
        outcome = "incomplete"

    # stage 6: what is missing, as a list someone can act on (built only when something is open)
    missing: tuple[MissingItem, ...] = ()
    if open_criteria or gate_open or grade_open:
        missing = tuple(_missing_items(compiled, criteria, basics, inspection_result, grade_open, model, as_of))
    caveats = compiled.static_caveats
    if unconfirmed:
        caveats = tuple([p.caveat for p in unconfirmed]) + caveats
    return Decision(
        application_id=app.id, category=rs.category, certification_unit=cert_unit, product_model=model,
        ruleset_id=rs.id, standard=rs.standard, implementation_rule=rs.implementation_rule,
        ruleset_version=compiled.version, evaluated_on=as_of, outcome=outcome, scope=tuple(scope),
        eligible_labels=tuple(lab.id for lab in labels if lab.status == "eligible"), labels=tuple(labels),
        basic_requirements=tuple(basics), factory_inspection=inspection_result, criteria=tuple(criteria),
        missing_evidence=missing, caveats=caveats, binding=binding,
    )


def _grade_label(compiled: CompiledRuleSet, lp: LabelPlan, grade_values: list[_GradeValue | None], fired: set[str],
                 gate_failed: list[str], gate_open: list[str],
                 grade_open: list[tuple[GradePlan, _GradeValue | None]]) -> LabelResult:
    """A grade label (docs/semantics.md §5): the gate, and the grade the measurement of its indicator proves.

    A measured value decides every grade. A not-detected result only says that the true value is below its
    detection limit: it proves the grades whose bound is at or above the limit and leaves the better ones open
    (`open_grades`); when it proves none, the label is undetermined, not refused. A label whose measurement is
    open is added to `grade_open`, for the missing evidence."""
    lab = lp.label
    failed, open_ = list(gate_failed), list(gate_open)
    grade: str | None = None
    open_grades: tuple[OpenGrade, ...] = ()
    gp = compiled.grades[lp.grade] if lp.grade is not None else None
    found = grade_values[lp.grade] if lp.grade is not None else None
    if gp is None or found is None:
        open_.append(lab.indicator or lab.id)
        if gp is not None:
            grade_open.append((gp, None))
    else:
        rank = len(gp.rules)
        for k, (gid, rule) in enumerate(gp.rules):
            if rule in fired:
                grade, rank = gid, k
                break
        if found[1]:
            open_grades = gp.open[:rank]
            if grade is None:
                open_.append(gp.indicator.id)
                grade_open.append((gp, found))
        elif grade is None:
            failed.append(gp.indicator.id)
    st = "not_eligible" if failed else ("undetermined" if open_ else "eligible")
    return LabelResult(lab.id, lab.kind, lab.name.zh, lab.name.en, st, None, grade, tuple(failed), tuple(open_),
                       open_grades)


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


def _grade_items(compiled: CompiledRuleSet, criteria: list[CriterionResult],
                 grade_open: list[tuple[GradePlan, _GradeValue | None]], model: str,
                 as_of: dt.date) -> Iterator[MissingItem]:
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
            i = found[2]
            wanted = ", ".join(f"{_num(o.detection_limit_max)} {o.unit} for {o.id}" if o.detection_limit_max is not None
                               else f"a quantified result (not `not detected`) for {o.id}" for o in gp.open)
            text = (_test_wanted(compiled.criteria[i], criteria[i], model, as_of)
                    + f", with a detection limit at or below the bound of the grade wanted: {wanted} (submitted: not "
                    f"detected at {_num(found[0])} {gp.unit}, which proves no grade of `{gp.label.id}`)")
        yield MissingItem("test_result", gp.label.id, "applicant", text)


def _missing_items(compiled: CompiledRuleSet, criteria: list[CriterionResult], basics: list[RequirementResult],
                   inspection: InspectionResult | None, grade_open: list[tuple[GradePlan, _GradeValue | None]],
                   model: str, as_of: dt.date) -> list[MissingItem]:
    out: list[MissingItem] = []
    for p, c in zip(compiled.criteria, criteria):
        if c.verdict in ("missing", "not_acceptable"):
            if p.indicator.kind == "document":
                out.append(MissingItem("declaration", c.id, "applicant",
                                       f"document `{p.indicator.id}` ({c.name_en} / {c.name_zh})"))
                continue
            text = _test_wanted(p, c, model, as_of)
            if c.verdict == "not_acceptable" and c.detail:
                text += f" (submitted evidence not accepted: {c.detail})"
            out.append(MissingItem("test_result", c.id, "applicant", text))
        elif c.verdict == "undetermined":
            out.append(MissingItem("limit_value", c.id, "certification_body",
                                   f"the limit for `{c.indicator}` ({c.name_en} / {c.name_zh}) under {c.clause} is not "
                                   "shipped: supply it from the licensed standard text in an overlay"))
    if grade_open:
        out.extend(_grade_items(compiled, criteria, grade_open, model, as_of))
    for bp, b in zip(compiled.basics, basics):
        if b.verdict in ("missing", "not_acceptable"):
            proof = bp.requirement.proof
            if proof.certificate:
                out.append(MissingItem("certificate", b.id, "applicant",
                                       f"a certificate to `{proof.certificate}` valid on {as_of.isoformat()} "
                                       f"({b.name_en} / {b.name_zh})"))
            else:
                out.append(MissingItem("declaration", b.id, "applicant",
                                       f"declaration `{proof.declaration}` ({b.name_en} / {b.name_zh})"))
    if inspection is not None and inspection.verdict == "missing":
        out.append(MissingItem("factory_inspection", "factory_inspection", "certification_body",
                               "the result of the on-site factory inspection"))
    elif inspection is not None and inspection.verdict == "pending":
        out.append(MissingItem("corrective_action", "factory_inspection", "applicant",
                               f"verification of the corrective action due by {inspection.deadline}",
                               due=inspection.deadline))
    return out
