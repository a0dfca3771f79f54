"""An independent plain-Python evaluator written from docs/semantics.md, to check the durable-rules engine against."""

# Written from the specification, not from engine/evaluator.py: it shares only the typed models, the
# application model and the cached unit conversion (engine.units.conversion) with the engine. Section
# numbers below are those of docs/semantics.md. Where the specification leaves a choice open, the comment
# says which reading is implemented (the agreement report lists them).

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from engine.application import Application, TestReport, TestResult
from engine.decision import Decision
from engine.models import Category, Condition, Criterion, Indicator, Requirement, RuleSet
from engine.units import IncompatibleUnits, UnitError, conversion

__all__ = ["ReferenceDecision", "evaluate_reference", "select_edition_reference", "resolve_indicator_names",
           "condition_holds", "engine_view", "reference_view", "diff"]

OPEN = frozenset(("missing", "not_acceptable", "undetermined", "pending"))
_DEFAULT_LABORATORY = ("CMA",)
_DEFAULT_MAX_AGE_DAYS = 365
_DEFAULT_SAME_MODEL = True
_UPPER = ("lte", "lt")  # not-detected results can only prove these (and `not_detected`) — §2.5


@dataclass(frozen=True)
class ReferenceDecision:
    """What the reference decides; the first six fields are the contract, the rest help diagnose a mismatch."""

    outcome: str
    criteria: dict[str, tuple[str, str | None, float | None]]  # id -> (verdict, reason, margin)
    basics: dict[str, str]  # id -> verdict
    inspection: str | None  # verdict, None when the rule set requires no factory inspection
    labels: dict[str, tuple[str, str | None, tuple[tuple[str, float | None], ...]]]  # id -> (status, grade, open
    # grades as (grade id, the largest detection limit that proves it))
    eligible_labels: tuple[str, ...]
    margins_relative: dict[str, float | None]
    evidence: dict[str, str | None]  # id of the admitted report or declaration
    rejections: dict[str, tuple[str, ...]]  # reasons, in candidate order
    basic_reasons: dict[str, str | None]
    inspection_reason: str | None
    scope: tuple[str, ...]
    grade_measurements: dict[str, str]  # grade label id -> what its measurement says, as a gate member's status


# ---------------------------------------------------------------------------------------------- §0 helpers

def select_edition_reference(editions: list[RuleSet] | tuple[RuleSet, ...], as_of: dt.date) -> RuleSet | None:
    """§0: among the editions accepting `as_of`, the current ones win, and the newest among those."""
    def accepts(rs: RuleSet) -> bool:
        f = rs.in_force
        if as_of < f.from_:
            return False
        if f.until is None or as_of < f.until:
            return True
        return f.accepted_until is not None and as_of <= f.accepted_until

    def current(rs: RuleSet) -> bool:
        return rs.in_force.from_ <= as_of and (rs.in_force.until is None or as_of < rs.in_force.until)

    accepted = [rs for rs in editions if accepts(rs)]
    if not accepted:
        return None
    pool = [rs for rs in accepted if current(rs)] or accepted
    return max(pool, key=lambda rs: rs.in_force.from_)


def resolve_indicator_names(category: Category) -> dict[str, str]:
    """§0: ids, aliases, Chinese and English names, case-insensitive, to indicator ids."""
    names: dict[str, str] = {}
    for ind in category.indicators:
        for name in (ind.id, *ind.aliases, ind.name.zh, ind.name.en):
            names.setdefault(name.casefold(), ind.id)
    return names


def _same_kind_equal(a: Any, b: Any) -> bool:
    # true is not 1 and "1" is not 1: a boolean parameter equals only a boolean
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    return bool(a == b)


def condition_holds(cond: Condition, value: Any) -> bool:
    """A parameter condition; every operator written in it must hold (the format allows one)."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    checks: list[bool] = []
    if cond.lte is not None:
        checks.append(number and value <= cond.lte)
    if cond.lt is not None:
        checks.append(number and value < cond.lt)
    if cond.gte is not None:
        checks.append(number and value >= cond.gte)
    if cond.gt is not None:
        checks.append(number and value > cond.gt)
    if cond.between is not None:
        checks.append(number and cond.between[0] <= value <= cond.between[1])
    if cond.eq is not None:
        checks.append(_same_kind_equal(value, cond.eq))
    if cond.one_of is not None:
        checks.append(any(_same_kind_equal(value, v) for v in cond.one_of))
    return bool(checks) and all(checks)


# ---------------------------------------------------------------------------------------------- per rule set

@dataclass(frozen=True)
class _Policy:
    laboratory: frozenset[str]
    max_age_days: int
    same_model: bool


@dataclass(frozen=True)
class _Prepared:
    ruleset: RuleSet
    category: Category
    names: dict[str, str]
    indicators: dict[str, Indicator]
    policies: tuple[_Policy, ...]
    limit_units: tuple[str | None, ...]
    attributes: tuple[str, ...]


_PREPARED: dict[tuple[int, int], _Prepared] = {}


def _prepare(ruleset: RuleSet, category: Category) -> _Prepared:
    key = (id(ruleset), id(category))
    p = _PREPARED.get(key)
    if p is not None and p.ruleset is ruleset and p.category is category:
        return p
    indicators = {i.id: i for i in category.indicators}
    defaults = ruleset.evidence_defaults
    policies = []
    for c in ruleset.criteria:
        own = c.evidence
        # §2: field by field, the criterion's policy, else the rule set's defaults, else CMA / 365 / same model
        lab = (own.laboratory if own and own.laboratory is not None else None)
        lab = lab if lab is not None else defaults.laboratory
        lab = lab if lab is not None else _DEFAULT_LABORATORY
        age = own.max_age_days if own and own.max_age_days is not None else defaults.max_age_days
        age = age if age is not None else _DEFAULT_MAX_AGE_DAYS
        same = own.same_model if own and own.same_model is not None else defaults.same_model
        same = same if same is not None else _DEFAULT_SAME_MODEL
        policies.append(_Policy(frozenset(lab), age, same))
    p = _Prepared(
        ruleset=ruleset, category=category, names=resolve_indicator_names(category), indicators=indicators,
        policies=tuple(policies),
        limit_units=tuple(_limit_unit(c, indicators) for c in ruleset.criteria),
        attributes=tuple(c.attribute or indicators[c.indicator].attribute for c in ruleset.criteria),
    )
    _PREPARED[key] = p
    return p


def _limit_unit(c: Criterion, indicators: dict[str, Indicator]) -> str | None:
    """The unit of the limit; for `ratio_lte` without one, the quotient of the two indicators' units (§3)."""
    req = c.requirement
    if req.unit is not None or req.op != "ratio_lte":
        return req.unit or indicators[c.indicator].unit
    den = indicators[req.operands[0]]
    return f"({indicators[c.indicator].unit or 1})/({den.unit or 1})"


# ---------------------------------------------------------------------------------------------- §1–§3

def _applies(c: Criterion, unit: str | None, params: dict[str, Any]) -> bool:
    when = c.applies_when
    if when is None:
        return True
    if when.certification_units is not None and unit not in when.certification_units:
        return False
    return all(pid in params and condition_holds(cond, params[pid]) for pid, cond in when.parameters.items())


def _shipped(req: Requirement) -> bool:
    """§3 `undetermined`: does the criterion ship a limit value?"""
    if req.op in ("lte", "lt", "gte", "gt", "eq", "ratio_lte"):
        return req.value is not None
    if req.op == "between":
        return req.low is not None and req.high is not None
    if req.op == "one_of":
        return bool(req.values)
    return True  # not_detected (detection_limit_max is optional) and present carry no number of their own


def _bound(req: Requirement) -> float | None:
    """The number a not-detected result's detection limit must not exceed (§2.5), if any."""
    if req.op in _UPPER or req.op == "not_detected":
        return None if req.value is None else float(req.value)
    return None


class _Candidate:
    __slots__ = ("nd", "order", "report", "result", "value")

    def __init__(self, report: TestReport, result: TestResult, value: Any, nd: bool, order: int):
        self.report, self.result, self.value, self.nd, self.order = report, result, value, nd, order


def _reject_reason(report: TestReport, result: TestResult, indicator: Indicator, req: Requirement,
                   policy: _Policy, limit_unit: str | None, model: str, as_of: dt.date) -> tuple[str | None, Any, bool]:
    """§2: the first problem of a candidate, else (None, value in the limit's unit, not detected)."""
    if report.issued > as_of:
        return "issued_after_evaluation_date", None, False
    if (as_of - report.issued).days > policy.max_age_days:
        return "expired", None, False
    if not policy.laboratory & set(report.laboratory.qualifications):
        return "unqualified_laboratory", None, False
    if policy.same_model and report.model != model:
        return "other_model", None, False
    if indicator.kind != "quantity":
        return None, result.value, False
    nd = result.not_detected
    raw = result.detection_limit if nd else result.value
    if raw is None:
        return "detection_limit_missing", None, nd
    try:
        factor, offset = conversion(result.unit or "", limit_unit or "")
    except (IncompatibleUnits, UnitError):
        return "unit_not_convertible", None, nd
    value = _round_converted(float(raw) * factor + offset, factor, offset)
    if value != value or value in (float("inf"), float("-inf")):
        return "value_out_of_range", None, nd
    if nd:
        if req.op not in _UPPER and req.op != "not_detected":
            return "not_detected_not_comparable", None, nd
        bound = _bound(req)
        if bound is not None and value > bound:
            return "detection_limit_too_high", None, nd
    return None, value, nd


def _holds(req: Requirement, value: Any, nd: bool) -> bool:
    """§3: does the requirement hold for an admitted value (in the limit's unit)?"""
    op = req.op
    if op == "present":
        return True  # only called with a declaration in hand
    if op == "not_detected":
        return nd and (req.value is None or value <= float(req.value))
    if op == "one_of":
        return any(_same_kind_equal(value, v) for v in req.values or ())
    if op == "eq":
        if isinstance(req.value, str) or isinstance(value, str):
            return _same_kind_equal(value, req.value)
        return not nd and float(value) == float(req.value)  # type: ignore[arg-type]
    v = float(value)
    if op == "between":
        return not nd and float(req.low) <= v <= float(req.high)  # type: ignore[arg-type]
    limit = float(req.value)  # type: ignore[arg-type]
    if op == "lte" or op == "ratio_lte":
        return v <= limit
    if op == "lt":
        # a not-detected result's true value is below its detection limit, so d <= limit proves `< limit`
        return v < limit or (nd and v <= limit)
    if nd:
        return False  # a not-detected result proves no lower bound
    if op == "gte":
        return v >= limit
    if op == "gt":
        return v > limit
    raise ValueError(f"unknown operator {op}")


def _margin(req: Requirement, value: float) -> tuple[float | None, float | None]:
    """§3 margin: positive on the passing side; relative to the limit (to the width of a range)."""
    op = req.op
    if op in ("lte", "lt", "ratio_lte") or (op == "not_detected" and req.value is not None):
        # `detection_limit_max` is read as an upper bound on the compared value
        limit = float(req.value)  # type: ignore[arg-type]
        m = limit - value
        return m, (m / limit if limit != 0 else None)
    if op in ("gte", "gt"):
        limit = float(req.value)  # type: ignore[arg-type]
        m = value - limit
        return m, (m / limit if limit != 0 else None)
    if op == "between":
        low, high = float(req.low), float(req.high)  # type: ignore[arg-type]
        m = min(value - low, high - value)
        return m, (m / (high - low) if high != low else None)
    return None, None  # eq, one_of, present, not_detected without a number


def _ratio(req: Requirement, ind: Indicator, p: _Prepared, i: int,
           candidates: dict[str, list[tuple[TestReport, TestResult]]], model: str,
           as_of: dt.date) -> tuple[_Candidate | None, list[str]]:
    """§3 `ratio_lte`: for the criterion's indicator and then the denominator, the newest acceptable result, each
    in its own indicator's unit (a not-detected result proves no ratio); their quotient in the limit's unit."""
    den = p.indicators[req.operands[0]]
    reasons: list[str] = []
    chosen: list[_Candidate | None] = []
    for operand in (ind, den):
        best: _Candidate | None = None
        for order, (report, result) in enumerate(candidates.get(operand.id, [])):
            reason, value, nd = _reject_reason(report, result, operand, req, p.policies[i], operand.unit, model, as_of)
            if reason is not None:
                reasons.append(reason)
            elif best is None or report.issued > best.report.issued:
                best = _Candidate(report, result, value, nd, order)
        chosen.append(best)
    a, b = chosen
    if a is None or b is None:
        return None, reasons
    factor, _ = conversion(f"({ind.unit or 1})/({den.unit or 1})", p.limit_units[i] or "")
    ratio = a.value / b.value * factor if b.value else float("inf")
    if not math.isfinite(ratio):
        reasons.append("value_out_of_range")
        return None, reasons
    return _Candidate(a.report, a.result, ratio, False, a.order), reasons


# ---------------------------------------------------------------------------------------------- entry point

def evaluate_reference(ruleset: RuleSet, category: Category, app: Application, as_of: dt.date,
                       unit: str | None) -> ReferenceDecision:
    """The decision docs/semantics.md prescribes for an application that passed intake.

    `unit` is the certification unit intake resolved (§0); when None, the one the application names is used.
    Indicator names in the application may still be aliases or Chinese/English names: they are resolved here.
    """
    p = _prepare(ruleset, category)
    rs = ruleset
    params = dict(app.product.parameters)
    cert_unit = unit if unit is not None else app.certification_unit
    model = app.product.model

    candidates: dict[str, list[tuple[TestReport, TestResult]]] = {}
    for report in app.evidence.test_reports:
        for result in report.results:
            iid = p.names.get(result.indicator.casefold())
            if iid is None:
                raise ValueError(f"unknown indicator `{result.indicator}`: the application did not pass intake")
            candidates.setdefault(iid, []).append((report, result))
    declared: dict[str, str] = {}
    for d in app.evidence.declarations:
        declared.setdefault(d.id, d.id)

    criteria: dict[str, tuple[str, str | None, float | None]] = {}
    margins_rel: dict[str, float | None] = {}
    evidence: dict[str, str | None] = {}
    rejections: dict[str, tuple[str, ...]] = {}
    admitted_values: dict[str, tuple[float, bool, str | None]] = {}  # criterion id -> (value, nd, limit unit)
    for i, c in enumerate(rs.criteria):
        req = c.requirement
        if not _applies(c, cert_unit, params):
            criteria[c.id] = ("not_applicable", None, None)
            margins_rel[c.id], evidence[c.id], rejections[c.id] = None, None, ()
            continue
        ind = p.indicators[c.indicator]
        best: _Candidate | None = None
        reasons: list[str] = []
        if ind.kind == "document":
            has = c.indicator in declared
            any_candidate = has
            evidence[c.id] = c.indicator if has else None
        elif req.op == "ratio_lte":
            best, reasons = _ratio(req, ind, p, i, candidates, model, as_of)
            any_candidate = best is not None or bool(reasons)
            evidence[c.id] = best.report.id if best is not None else None
        else:
            cands = candidates.get(c.indicator, [])
            any_candidate = bool(cands)
            for order, (report, result) in enumerate(cands):
                reason, value, nd = _reject_reason(report, result, ind, req, p.policies[i], p.limit_units[i], model,
                                                   as_of)
                if reason is not None:
                    reasons.append(reason)
                    continue
                # the most recently issued report wins; on a tie the first listed keeps its place
                if best is None or report.issued > best.report.issued:
                    best = _Candidate(report, result, value, nd, order)
            evidence[c.id] = best.report.id if best is not None else None
            if best is not None and isinstance(best.value, float):
                admitted_values[c.id] = (best.value, best.nd, p.limit_units[i])
        rejections[c.id] = tuple(reasons)
        margin = margin_rel = None
        if not _shipped(req):
            verdict, reason = "undetermined", "limit_unconfirmed"
        elif not any_candidate:
            verdict, reason = "missing", "no_evidence"
        elif ind.kind == "document":
            verdict, reason = "pass", None
        elif best is None:
            verdict, reason = "not_acceptable", reasons[-1]
        else:
            ok = _holds(req, best.value, best.nd)
            verdict = "pass" if ok else "fail"
            reason = None if ok else ("limit_exceeded" if req.op in ("lte", "lt", "not_detected", "ratio_lte")
                                      else "requirement_not_met")
            if isinstance(best.value, float):
                margin, margin_rel = _margin(req, best.value)
        criteria[c.id] = (verdict, reason, margin)
        margins_rel[c.id] = margin_rel

    # §4 basic requirements
    basics: dict[str, str] = {}
    basic_reasons: dict[str, str | None] = {}
    for b in rs.basic_requirements:
        if b.proof.certificate is not None:
            wanted = _standard_key(b.proof.certificate)
            matching = [cert for cert in app.evidence.certificates if _standard_key(cert.standard).startswith(wanted)]
            if not matching:
                basics[b.id], basic_reasons[b.id] = "missing", "no_evidence"
                continue
            def valid_on(c: object) -> bool:
                return as_of <= c.valid_until and (c.valid_from is None or c.valid_from <= as_of)  # type: ignore[attr-defined]

            # one valid on the evaluation date wins; then the one valid longest; the first listed on a tie
            cert = matching[0]
            for other in matching[1:]:
                if (valid_on(other), other.valid_until) > (valid_on(cert), cert.valid_until):
                    cert = other
            valid = valid_on(cert)
            basics[b.id], basic_reasons[b.id] = ("pass", None) if valid else ("not_acceptable", "certificate_not_valid")
        else:
            present = b.proof.declaration in declared
            basics[b.id], basic_reasons[b.id] = ("pass", None) if present else ("missing", "no_evidence")

    inspection: str | None = None
    inspection_reason: str | None = None
    if rs.factory_inspection is not None and rs.factory_inspection.required:
        fi = app.evidence.factory_inspection
        if fi is None:
            inspection, inspection_reason = "missing", "no_evidence"
        elif fi.outcome == "pass":
            inspection = "pass"
        elif fi.outcome == "fail":
            inspection, inspection_reason = "fail", "inspection_failed"
        else:
            ca = fi.corrective_action
            if ca is not None and ca.verified and (ca.verified_on is None or ca.verified_on <= as_of):
                inspection = "pass"
            elif ca is not None and ca.deadline >= as_of:
                inspection, inspection_reason = "pending", "corrective_action_pending"
            else:
                # no corrective action on record, or not verified (as of `as_of`) by its deadline
                inspection, inspection_reason = "fail", "corrective_action_overdue"

    # §5 labels
    gate = list(basics.values()) + ([inspection] if inspection is not None else [])
    applicable = [(c, p.attributes[i]) for i, c in enumerate(rs.criteria) if criteria[c.id][0] != "not_applicable"]
    labels: dict[str, tuple[str, str | None, tuple[tuple[str, float | None], ...]]] = {}
    grade_measurements: dict[str, str] = {}
    for lab in rs.labels:
        if lab.kind == "grade":
            # §5: the gate applies to a grade label as to every other label
            measurement, grade, open_grades = _grade_measurement(lab, rs, p, admitted_values)
            grade_measurements[lab.id] = measurement
            labels[lab.id] = (_status(gate + [measurement]), grade, open_grades)
            continue
        members = list(gate)
        if lab.kind == "full":
            members += [criteria[c.id][0] for c, _ in applicable if not c.optional]
            labels[lab.id] = (_status(members), None, ())
        elif lab.kind == "partial":
            own = [criteria[c.id][0] for c, attr in applicable if not c.optional and attr == lab.attribute]
            # "not eligible when no criterion of A applies": read as no non-optional one (the label's members)
            labels[lab.id] = ("not_eligible", None, ()) if not own else (_status(members + own), None, ())
        else:  # tier
            members += [criteria[c.id][0] for c, _ in applicable if not c.optional]
            optional = [criteria[c.id][0] for c, _ in applicable if c.optional]
            need = Fraction(repr(lab.optional_share or 0.0)) * len(optional)
            passed = sum(1 for v in optional if v == "pass")
            undecided = sum(1 for v in optional if v in OPEN)
            base = _status(members)
            if base == "not_eligible" or passed + undecided < need:
                labels[lab.id] = ("not_eligible", None, ())
            elif base == "eligible" and passed >= need:
                labels[lab.id] = ("eligible", None, ())
            else:
                labels[lab.id] = ("undetermined", None, ())

    scope = tuple(app.scope) if app.scope else (
        tuple(rs.default_scope) if rs.default_scope else tuple(lab.id for lab in rs.labels if lab.kind == "full"))
    statuses = [labels[s][0] for s in scope]
    if any(s == "not_eligible" for s in statuses):
        outcome = "refused"
    elif all(s == "eligible" for s in statuses):
        outcome = "granted"
    else:
        outcome = "incomplete"
    return ReferenceDecision(
        outcome=outcome, criteria=criteria, basics=basics, inspection=inspection, labels=labels,
        eligible_labels=tuple(lab.id for lab in rs.labels if labels[lab.id][0] == "eligible"),
        margins_relative=margins_rel, evidence=evidence, rejections=rejections, basic_reasons=basic_reasons,
        inspection_reason=inspection_reason, scope=scope, grade_measurements=grade_measurements,
    )


def _standard_key(text: str) -> str:
    """§4: spaces (any, including the ideographic space U+3000) and case are ignored."""
    return "".join(text.split()).casefold()


def _status(members: list[str]) -> str:
    if any(m == "fail" for m in members):
        return "not_eligible"
    if all(m == "pass" for m in members):
        return "eligible"
    return "undetermined"


def _grade_measurement(lab: Any, rs: RuleSet, p: _Prepared, admitted: dict[str, tuple[float, bool, str | None]]
                       ) -> tuple[str, str | None, tuple[tuple[str, float | None], ...]]:
    """§5 grade: what the admitted measurement of the label's indicator says, as a gate member's status
    (`pass` a grade is proven, `fail` none can be, an open status otherwise), the grade it proves, and the
    better grades it leaves open.

    "The admitted measurement" is read as the one admitted for the first applicable criterion on that
    indicator that admitted one (criteria admit under their own evidence policy); none: open. A measured value
    decides every grade: the best one it meets, or none. A not-detected result at detection limit d says only
    "below d": an upper-bound grade (`lte`, `lt`, `not_detected`) is proven when d is at or below its bound and
    open otherwise (a test with a detection limit at or below the bound proves it); any other grade is open
    (only a quantified result can decide it); with no grade proven the measurement is open, not failed."""
    found = None
    for c in rs.criteria:
        if c.indicator == lab.indicator and c.id in admitted:
            found = admitted[c.id]
            break
    if found is None:
        return "missing", None, ()
    value, nd, unit = found
    ind = p.indicators[lab.indicator]
    open_grades: list[tuple[str, float | None]] = []
    for g in lab.grades or ():
        req = g.requirement
        if not _shipped(req):
            continue  # a grade without a number cannot be reached
        factor, offset = conversion(unit or "", req.unit or ind.unit or "")
        v = _round_converted(value * factor + offset, factor, offset)
        if not nd:
            if _holds(req, v, False):
                return "pass", g.id, ()
            continue  # ruled out: the value is known
        if req.op in _UPPER or req.op == "not_detected":
            if _holds(req, v, True):
                return "pass", g.id, tuple(open_grades)
            open_grades.append((g.id, None if req.value is None else float(req.value)))  # type: ignore[arg-type]
        else:
            open_grades.append((g.id, None))
    if not nd:
        return "fail", None, ()
    return "undetermined", None, tuple(open_grades)


# ---------------------------------------------------------------------------------------------- comparison

def engine_view(d: Decision) -> dict[str, Any]:
    """The engine's decision in the shape of `reference_view`."""
    return {
        "outcome": d.outcome,
        "criteria": {c.id: (c.verdict, c.reason, c.margin) for c in d.criteria},
        "margins_relative": {c.id: c.margin_relative for c in d.criteria},
        "evidence": {c.id: (c.evidence.id if c.evidence else None) for c in d.criteria},
        "rejections": {c.id: tuple(r.reason for r in c.rejected) for c in d.criteria},
        "basics": {b.id: b.verdict for b in d.basic_requirements},
        "basic_reasons": {b.id: b.reason for b in d.basic_requirements},
        "inspection": d.factory_inspection.verdict if d.factory_inspection else None,
        "inspection_reason": d.factory_inspection.reason if d.factory_inspection else None,
        "labels": {lab.id: (lab.status, lab.grade, tuple((o.id, o.detection_limit_max) for o in lab.open_grades))
                   for lab in d.labels},
        "eligible_labels": tuple(d.eligible_labels),
        "scope": tuple(d.scope),
    }


def reference_view(r: ReferenceDecision) -> dict[str, Any]:
    return {k: getattr(r, k) for k in ("outcome", "criteria", "margins_relative", "evidence", "rejections", "basics",
                                       "basic_reasons", "inspection", "inspection_reason", "labels", "eligible_labels",
                                       "scope")}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        # margins: equal within 1e-9 relative (an absolute 1e-12 for margins that are zero up to rounding)
        return a == b or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return bool(a == b)


def diff(engine: dict[str, Any], reference: dict[str, Any]) -> list[str]:
    """One line per differing entry: `field[key]: engine=… reference=…`; empty when they agree."""
    if engine == reference:  # the usual case, and a cheap one: margins computed alike are equal
        return []
    out = []
    for key in reference:
        e, r = engine[key], reference[key]
        if isinstance(r, dict):
            for k in sorted(set(e) | set(r)):
                if k not in e or k not in r or not _same(e[k], r[k]):
                    out.append(f"{key}[{k}]: engine={e.get(k, '<absent>')!r} reference={r.get(k, '<absent>')!r}")
        elif not _same(e, r):
            out.append(f"{key}: engine={e!r} reference={r!r}")
    return out


def _round_converted(value: float, factor: float, offset: float) -> float:
    """§2: a value converted to another unit is rounded to 12 significant digits; an unconverted one is exact."""
    if factor == 1.0 and offset == 0.0:
        return value
    return float(f"{value:.12g}")
