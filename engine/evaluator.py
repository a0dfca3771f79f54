"""Evaluate one validated application against a compiled rule set: admit evidence, fire durable, decide."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .application import Application, TestReport, TestResult
from .compiler import CompiledRuleSet, CriterionPlan
from .decision import (
    CriterionResult,
    Decision,
    EvidenceRef,
    InspectionResult,
    LabelResult,
    Measured,
    MissingItem,
    Rejection,
    RequirementResult,
)
from .units import IncompatibleUnits, UnitError, apply_conversion, conversion

__all__ = ["evaluate"]

_OPEN = ("missing", "not_acceptable", "undetermined", "pending")
_UPPER_BOUND_OPS = ("lte", "lt", "not_detected")


def _report_ref(report: TestReport) -> EvidenceRef:
    # reports are frozen; the reference is rebuilt per report object, never shared across applications
    return EvidenceRef("test_report", report.id, report.laboratory.name, tuple(report.laboratory.qualifications),
                       report.issued, report.model)


class _Admitted:
    __slots__ = ("nd", "ref", "report", "result", "value")

    def __init__(self, report: TestReport, result: TestResult, value: Any, nd: bool, ref: EvidenceRef):
        self.report, self.result, self.value, self.nd, self.ref = report, result, value, nd, ref


def _admit(plan: CriterionPlan, candidates: list[tuple[TestReport, TestResult]], model: str, as_of: dt.date,
           refs: dict[int, EvidenceRef]) -> tuple[_Admitted | None, list[Rejection]]:
    """Choose the newest acceptable result for a criterion; say why each other candidate was not accepted."""
    rejected: list[Rejection] = []
    best: _Admitted | None = None
    req = plan.criterion.requirement
    kind = plan.indicator.kind
    for report, result in candidates:
        ref = refs.get(id(report))
        if ref is None:
            ref = refs[id(report)] = _report_ref(report)
        reason = detail = None
        age = (as_of - report.issued).days
        if age < 0:
            reason, detail = "issued_after_evaluation_date", f"issued {report.issued.isoformat()}, after the evaluation date"
        elif plan.max_age_days is not None and age > plan.max_age_days:
            reason, detail = "expired", f"report is {age} days old; at most {plan.max_age_days} days are accepted"
        elif plan.laboratory and not plan.laboratory.intersection(report.laboratory.qualifications):
            reason = "unqualified_laboratory"
            detail = (f"laboratory `{report.laboratory.name}` holds "
                      f"{', '.join(report.laboratory.qualifications) or 'no listed qualification'}; "
                      f"needs {' or '.join(sorted(plan.laboratory))}")
        elif plan.same_model and report.model != model:
            reason, detail = "other_model", f"report covers model `{report.model}`, not `{model}`"
        value: Any = None
        nd = False
        if reason is None:
            if kind == "quantity":
                nd = result.not_detected
                raw = result.detection_limit if nd else result.value
                if raw is None:
                    reason, detail = "detection_limit_missing", "not detected, but no detection limit is given"
                else:
                    try:
                        factor, offset = conversion(result.unit or "", plan.unit or "")
                    except (IncompatibleUnits, UnitError):
                        reason = "unit_not_convertible"
                        detail = f"`{result.unit}` cannot convert to `{plan.unit}`"
                    else:
                        value = apply_conversion(float(raw), factor, offset)
                        if nd:
                            if req.op not in _UPPER_BOUND_OPS:
                                reason = "not_detected_not_comparable"
                                detail = "a not-detected result cannot prove a lower bound or an exact value"
                            else:
                                bound = req.value
                                if bound is not None and value > float(bound):
                                    reason = "detection_limit_too_high"
                                    detail = (f"detection limit {_num(value)} {plan.unit} is above the limit "
                                              f"{_num(bound)} {plan.unit}")
            else:
                value = result.value
        if reason is not None:
            rejected.append(Rejection(ref, reason, detail or reason))
            continue
        if best is None or report.issued > best.report.issued:
            best = _Admitted(report, result, value, nd, ref)
    return best, rejected


def _num(v: Any) -> str:
    if isinstance(v, float):
        text = f"{v:.6g}"
        return text
    return str(v)


def evaluate(compiled: CompiledRuleSet, app: Application, as_of: dt.date, *, unit: str | None = None,
             binding: bool = True) -> Decision:
    """The decision for `app` as of `as_of`. `app` must have passed `engine.intake` validation for this rule
    set (indicator ids resolved, units parseable, certification unit known): evaluation then cannot fail on
    input, only return verdicts."""
    rs = compiled.ruleset
    product = app.product
    params = product.parameters
    cert_unit = unit if unit is not None else app.certification_unit
    model = product.model

    # stage 1: index the results by indicator
    by_indicator: dict[str, list[tuple[TestReport, TestResult]]] = {}
    for report in app.evidence.test_reports:
        for result in report.results:
            by_indicator.setdefault(result.indicator, []).append((report, result))
    declarations = {d.id: d for d in app.evidence.declarations}

    # stage 2: applicability and evidence admission -> the fields durable sees
    fields: dict[str, Any] = {}
    admitted: list[tuple[CriterionPlan, _Admitted | None, list[Rejection]] | None] = []
    refs: dict[int, EvidenceRef] = {}
    for plan in compiled.criteria:
        if not plan.applies(cert_unit, params):
            admitted.append(None)
            continue
        if plan.indicator.kind == "document":
            d = declarations.get(plan.indicator.id)
            if d is not None:
                fields[plan.value_field] = 1
                ref = EvidenceRef("declaration", d.id, issued=d.signed)
                admitted.append((plan, _Admitted(None, None, 1, False, ref), []))  # type: ignore[arg-type]
            else:
                admitted.append((plan, None, []))
            continue
        best, rejected = _admit(plan, by_indicator.get(plan.indicator.id, []), model, as_of, refs)
        if best is not None:
            fields[plan.value_field] = best.value
            if plan.nd_field is not None:
                fields[plan.nd_field] = 1 if best.nd else 0
        admitted.append((plan, best, rejected))

    basic_evidence: list[tuple[EvidenceRef | None, str | None]] = []
    for bp in compiled.basics:
        proof = bp.requirement.proof
        if proof.certificate:
            # any whitespace is ignored, the ideographic space U+3000 of Chinese texts included
            wanted = "".join(proof.certificate.split()).upper()
            certs = [c for c in app.evidence.certificates
                     if "".join(c.standard.split()).upper().startswith(wanted)]
            if certs:
                # a certificate valid on the evaluation date wins over a renewal that is not valid yet
                cert = max(certs, key=lambda c: (c.valid_until >= as_of and (c.valid_from is None or c.valid_from <= as_of),
                                                 c.valid_until))
                days_left = (cert.valid_until - as_of).days
                if cert.valid_from is not None and cert.valid_from > as_of:
                    days_left = -1
                fields[bp.field] = days_left
                basic_evidence.append((EvidenceRef("certificate", cert.number or cert.standard,
                                                   laboratory=cert.issued_by, issued=cert.valid_from,
                                                   valid_until=cert.valid_until), None))
            else:
                basic_evidence.append((None, "missing"))
        else:
            d = declarations.get(proof.declaration or "")
            if d is not None:
                fields[bp.field] = 1
                basic_evidence.append((EvidenceRef("declaration", d.id, issued=d.signed), None))
            else:
                basic_evidence.append((None, "missing"))

    inspection = app.evidence.factory_inspection
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

    grade_values: list[tuple[Any, bool] | None] = []
    for gp in compiled.grades:
        found = None
        for entry in admitted:
            if entry is not None and entry[1] is not None and entry[0].indicator.id == gp.indicator.id:
                plan, best = entry[0], entry[1]
                if best is not None and isinstance(best.value, float):
                    factor, offset = conversion(plan.unit or "", gp.unit or "")
                    found = (apply_conversion(best.value, factor, offset), best.nd)
                    fields[gp.field] = found[0]
                    fields[gp.field + "n"] = 1 if best.nd else 0
                    for vf, unit in gp.values:
                        factor, offset = conversion(plan.unit or "", unit or "")
                        fields[vf] = apply_conversion(best.value, factor, offset)
                break
        grade_values.append(found)

    # stage 3: durable decides which requirements hold
    fired = compiled.durable.fire(fields)

    # stage 4: verdicts
    criteria: list[CriterionResult] = []
    status: dict[str, str] = {}
    for plan, entry in zip(compiled.criteria, admitted):
        c = plan.criterion
        req = c.requirement
        if entry is None:
            criteria.append(_criterion_result(plan, "not_applicable", None, None, None, None, None, ()))
            continue
        _, best, rejected = entry
        if plan.rule is None:
            verdict, reason = "undetermined", "limit_unconfirmed"
            detail = "no limit value is shipped for this criterion; the certification body must supply it"
        elif best is None:
            if rejected:
                verdict, reason, detail = "not_acceptable", rejected[-1].reason, rejected[-1].detail
            else:
                verdict, reason, detail = "missing", "no_evidence", f"no result for `{c.indicator}`"
        elif plan.rule in fired:
            verdict, reason, detail = "pass", None, None
        else:
            verdict, reason, detail = "fail", "limit_exceeded" if req.op in _UPPER_BOUND_OPS else "requirement_not_met", None
        measured = margin = margin_rel = None
        if best is not None and best.result is not None:
            r = best.result
            measured = Measured(best.value, plan.unit if plan.indicator.kind == "quantity" else None, best.nd,
                                r.detection_limit if best.nd else r.value, r.unit, r.detection_limit)
            if isinstance(best.value, float) and plan.rule is not None:
                margin, margin_rel = _margin(req.op, best.value, req.value, req.low, req.high)
        criteria.append(_criterion_result(plan, verdict, reason, detail, measured, margin, margin_rel, rejected,
                                          best.ref if best is not None else None))
        status[c.id] = verdict

    basics: list[RequirementResult] = []
    basic_status: list[str] = []
    for bp, (bref, absent) in zip(compiled.basics, basic_evidence):
        b = bp.requirement
        if absent:
            verdict, reason = "missing", "no_evidence"
            detail = (f"no certificate to `{b.proof.certificate}`" if b.proof.certificate
                      else f"no declaration `{b.proof.declaration}`")
        elif bp.rule in fired:
            verdict, reason, detail = "pass", None, None
        else:
            verdict, reason = "not_acceptable", "certificate_not_valid"
            detail = f"certificate not valid on {as_of.isoformat()} (valid until {bref.valid_until})" if bref else None
        basics.append(RequirementResult(b.id, b.name.zh, b.name.en, verdict, reason, detail, bref, b.clause))
        basic_status.append(verdict)

    inspection_result: InspectionResult | None = None
    if compiled.inspection_field is not None and rs.factory_inspection is not None:
        clause = rs.factory_inspection.clause
        ca = inspection.corrective_action if inspection is not None else None
        if inspection_state is None:
            inspection_result = InspectionResult("missing", None, "no_evidence", "no factory inspection result", None,
                                                 clause)
        elif compiled.inspection_field in fired:
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

    # stage 5: labels and outcome
    gate_failed: list[str] = [b.id for b, s in zip(rs.basic_requirements, basic_status) if s == "fail"]
    gate_open: list[str] = [b.id for b, s in zip(rs.basic_requirements, basic_status) if s in _OPEN]
    if inspection_result is not None:
        if inspection_result.verdict == "fail":
            gate_failed.append("factory_inspection")
        elif inspection_result.verdict in _OPEN:
            gate_open.append("factory_inspection")
    labels: list[LabelResult] = []
    grade_iter = iter(zip(compiled.grades, grade_values))
    for lab in rs.labels:
        if lab.kind == "grade":
            gp, found = next(grade_iter)
            grade = None
            if found is not None:
                for gid, rule in gp.rules:
                    if rule in fired:
                        grade = gid
                        break
            st = "undetermined" if found is None else ("eligible" if grade else "not_eligible")
            labels.append(LabelResult(lab.id, lab.kind, lab.name.zh, lab.name.en, st, None, grade, (), ()))
            continue
        failed = list(gate_failed)
        open_ = list(gate_open)
        if lab.kind == "tier":
            required = [p for p in compiled.criteria if not p.criterion.optional and p.criterion.id in status]
            optional = [p for p in compiled.criteria if p.criterion.optional and p.criterion.id in status]
            for p in required:
                s = status[p.criterion.id]
                if s == "fail":
                    failed.append(p.criterion.id)
                elif s in _OPEN:
                    open_.append(p.criterion.id)
            share = lab.optional_share or 0.0
            need = share * len(optional)
            passed = sum(1 for p in optional if status[p.criterion.id] == "pass")
            undecided = [p.criterion.id for p in optional if status[p.criterion.id] in _OPEN]
            if passed + len(undecided) + 1e-9 < need:
                failed.append(f"optional_share<{share:g}")
            elif passed + 1e-9 < need:
                open_.extend(undecided)
        else:
            members = [p for p in compiled.criteria if not p.criterion.optional and p.criterion.id in status
                       and (lab.kind == "full" or p.attribute == lab.attribute)]
            if lab.kind == "partial" and not members:
                failed.append(f"no_applicable_criterion:{lab.attribute}")
            for p in members:
                s = status[p.criterion.id]
                if s == "fail":
                    failed.append(p.criterion.id)
                elif s in _OPEN:
                    open_.append(p.criterion.id)
        st = "not_eligible" if failed else ("undetermined" if open_ else "eligible")
        labels.append(LabelResult(lab.id, lab.kind, lab.name.zh, lab.name.en, st, lab.attribute, None,
                                  tuple(failed), tuple(open_)))

    scope = app.scope or rs.default_scope or tuple(lab.id for lab in rs.labels if lab.kind == "full")
    by_id = {lab.id: lab for lab in labels}
    scoped = [by_id[s] for s in scope]
    if any(lab.status == "not_eligible" for lab in scoped):
        outcome = "refused"
    elif all(lab.status == "eligible" for lab in scoped):
        outcome = "granted"
    else:
        outcome = "incomplete"

    # stage 6: what is missing, as a list someone can act on
    missing = _missing_items(compiled, criteria, basics, inspection_result, model, as_of)
    caveats = _caveats(compiled, criteria)
    return Decision(
        application_id=app.id, category=rs.category, certification_unit=cert_unit, product_model=model,
        ruleset_id=rs.id, standard=rs.standard, implementation_rule=rs.implementation_rule,
        ruleset_version=compiled.version, evaluated_on=as_of, outcome=outcome, scope=tuple(scope),
        eligible_labels=tuple(lab.id for lab in labels if lab.status == "eligible"), labels=tuple(labels),
        basic_requirements=tuple(basics), factory_inspection=inspection_result, criteria=tuple(criteria),
        missing_evidence=tuple(missing), caveats=tuple(caveats), binding=binding,
    )


def _margin(op: str, value: float, limit: Any, low: float | None, high: float | None) -> tuple[float | None, float | None]:
    """Distance to the limit on the passing side (negative when the value is on the failing side)."""
    if op in ("lte", "lt", "not_detected"):
        if limit is None:
            return None, None
        m = float(limit) - value
        return m, (m / float(limit) if limit else None)
    if op in ("gte", "gt"):
        m = value - float(limit)
        return m, (m / float(limit) if limit else None)
    if op == "between" and low is not None and high is not None:
        m = min(value - low, high - value)
        span = high - low
        return m, (m / span if span else None)
    return None, None


def _criterion_result(plan: CriterionPlan, verdict: str, reason: str | None, detail: str | None,
                      measured: Measured | None, margin: float | None, margin_rel: float | None,
                      rejected: Any, evidence: EvidenceRef | None = None) -> CriterionResult:
    c = plan.criterion
    req = c.requirement
    limit: Any
    if req.op == "between":
        limit = (req.low, req.high) if req.has_limit else None
    elif req.op == "one_of":
        limit = tuple(req.values or ())
    else:
        limit = req.value
    return CriterionResult(
        id=c.id, indicator=plan.indicator.id, name_zh=plan.indicator.name.zh, name_en=plan.indicator.name.en,
        attribute=plan.attribute, verdict=verdict, reason=reason, detail=detail, requirement=req.describe(),
        op=req.op, limit=limit, limit_unit=plan.unit if plan.indicator.kind == "quantity" else None,
        limit_status=plan.limit_status, measured=measured, margin=margin, margin_relative=margin_rel,
        evidence=evidence, rejected=tuple(rejected), clause=c.clause, source=c.provenance.source,
        optional=c.optional,
    )


def _missing_items(compiled: CompiledRuleSet, criteria: list[CriterionResult], basics: list[RequirementResult],
                   inspection: InspectionResult | None, model: str, as_of: dt.date) -> list[MissingItem]:
    out: list[MissingItem] = []
    plans = {p.criterion.id: p for p in compiled.criteria}
    for c in criteria:
        if c.verdict in ("missing", "not_acceptable"):
            p = plans[c.id]
            if p.indicator.kind == "document":
                out.append(MissingItem("declaration", c.id, "applicant",
                                       f"document `{p.indicator.id}` ({c.name_en} / {c.name_zh})"))
                continue
            parts = [f"a test result for `{c.indicator}` ({c.name_en} / {c.name_zh})"]
            if p.same_model:
                parts.append(f"on model `{model}`")
            if p.laboratory:
                parts.append(f"from a {' or '.join(sorted(p.laboratory))}-qualified laboratory")
            if p.max_age_days:
                earliest = as_of - dt.timedelta(days=p.max_age_days)
                parts.append(f"issued on or after {earliest.isoformat()}")
            text = " ".join(parts)
            if c.verdict == "not_acceptable" and c.detail:
                text += f" (submitted evidence not accepted: {c.detail})"
            out.append(MissingItem("test_result", c.id, "applicant", text))
        elif c.verdict == "undetermined":
            out.append(MissingItem("limit_value", c.id, "certification_body",
                                   f"the limit for `{c.indicator}` ({c.name_en} / {c.name_zh}) under {c.clause} is not "
                                   "shipped: supply it from the licensed standard text in an overlay"))
    for b in basics:
        if b.verdict in ("missing", "not_acceptable"):
            bp = next(x for x in compiled.basics if x.requirement.id == b.id)
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


def _caveats(compiled: CompiledRuleSet, criteria: list[CriterionResult]) -> list[str]:
    out = []
    for c in criteria:
        if c.verdict in ("pass", "fail") and c.limit_status == "unconfirmed":
            out.append(f"`{c.id}` was judged against an unconfirmed limit ({c.requirement})")
    if compiled.overlays:
        out.append("rule set changed by overlay(s): " + ", ".join(f"`{o}`" for o in compiled.overlays))
    if compiled.unevaluated:
        out.append("indicators of the standard with no shipped criterion were not evaluated: "
                   + ", ".join(f"`{i}`" for i in compiled.unevaluated))
    defaults = compiled.ruleset.evidence_defaults
    if defaults.provenance is not None and defaults.provenance.status == "default" and defaults.max_age_days:
        out.append(f"test reports older than {defaults.max_age_days} days were refused by a configurable default, "
                   "not a number from the implementation rule")
    return out


