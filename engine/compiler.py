"""Compile a validated rule set into a durable-rules rule set plus the plans our code evaluates around it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import facts, ops
from .decision import CriterionResult, OpenGrade
from .durable_core import DurableRuleSet
from .models import (
    BasicRequirement,
    Category,
    Condition,
    Criterion,
    EvidencePolicy,
    Indicator,
    Label,
    Requirement,
    RuleSet,
)

__all__ = ["CriterionPlan", "BasicPlan", "GradePlan", "LabelPlan", "CompiledRuleSet", "compile_ruleset",
           "condition_for", "failure_for", "DEFAULT_EVIDENCE"]

# Field by field, what a criterion and its rule set leave unsaid (docs/semantics.md §2: CMA / 365 days / same model).
DEFAULT_EVIDENCE = EvidencePolicy(laboratory=("CMA",), max_age_days=365, same_model=True)


@dataclass(frozen=True)
class CriterionPlan:
    index: int
    criterion: Criterion
    indicator: Indicator
    attribute: str
    unit: str | None  # the limit's unit: measured values are converted to it
    value_field: str
    nd_field: str | None
    rule: str | None  # durable rule name, None when the limit is not shipped
    applies: Callable[[str | None, Mapping[str, Any]], bool]
    laboratory: frozenset[str]
    max_age_days: int | None
    same_model: bool
    limit_status: str
    # what every decision repeats about this criterion, computed once
    kind: str = "quantity"
    upper_bound: bool = False  # a failure exceeds a limit (engine.ops: lte, lt, not_detected)
    not_detected_proves: bool = False  # a not-detected result at a low enough detection limit can prove it
    describe: str = ""
    caveat: str = ""  # the decision's caveat when a verdict rests on this criterion's unconfirmed limit
    limit: Any = None
    limit_unit: str | None = None
    lab_text: str = ""
    not_applicable: CriterionResult | None = None  # the same record in every decision where it does not apply
    # the record's fields that do not depend on the application, in `CriterionResult` order: before the
    # verdict (id, indicator, names, attribute), between (requirement, op, limit, unit, status), after
    # (clause, source, optional); and the requirement's numbers for the margin
    head: tuple[str, str, str, str, str] = ("", "", "", "", "")
    middle: tuple[str, str, Any, str | None, str] = ("", "", None, None, "")
    tail: tuple[str, str | None, bool] = ("", None, False)
    # the margin to the limit (evaluator stage 4): (1, limit, _) limit - value, for an upper bound; (2, limit, _)
    # value - limit, for a lower bound; (3, low, high) the distance to the nearer end of a range; (0, _, _) none
    margin: tuple[int, Any, Any] = (0, None, None)
    # an operator reading several indicators (engine.ops `operands`): one plan per indicator read, the criterion's
    # own first, each admitting its result in its indicator's unit; `combine` makes the compared value of them
    operand_plans: tuple[CriterionPlan, ...] = ()
    combine: Callable[[tuple[float, ...]], float] | None = None
    missing_detail: str = ""  # the detail of a `missing` verdict


@dataclass(frozen=True)
class BasicPlan:
    index: int
    requirement: BasicRequirement
    field: str
    rule: str
    wanted: str = ""  # the certificate's standard, whitespace removed, upper case
    missing_detail: str = ""


@dataclass(frozen=True)
class GradePlan:
    label: Label
    indicator: Indicator
    field: str
    unit: str | None
    rules: tuple[tuple[str, str], ...]  # (grade id, durable rule name), best first
    # (field, unit) per rule: each grade compares the value converted to its own limit's unit
    values: tuple[tuple[str, str | None], ...] = ()
    # per rule, what a not-detected result above the grade's bound leaves open (the same record in every decision)
    open: tuple[OpenGrade, ...] = ()
    criteria: tuple[int, ...] = ()  # the plan indices of the criteria on the indicator: they admit its measurement
    nd_field: str = ""  # 1 when the measurement is not detected (engine.facts.grade_not_detected)


@dataclass(frozen=True)
class LabelPlan:
    """Which criteria (by plan index) a label rests on, besides the gate (basic requirements, inspection)."""

    index: int
    label: Label
    members: tuple[int, ...] = ()  # full and partial: the non-optional criteria (of the attribute)
    optional: tuple[int, ...] = ()  # tier: the optional criteria
    grade: int | None = None  # grade: index into CompiledRuleSet.grades
    member_set: frozenset[int] = field(init=False, default=frozenset())  # `members`, for membership tests

    def __post_init__(self) -> None:
        object.__setattr__(self, "member_set", frozenset(self.members))


@dataclass
class CompiledRuleSet:
    ruleset: RuleSet
    category: Category
    version: str
    criteria: tuple[CriterionPlan, ...]
    basics: tuple[BasicPlan, ...]
    grades: tuple[GradePlan, ...]
    durable: DurableRuleSet = field(repr=False)
    inspection_field: str | None
    indicators: dict[str, Indicator]
    rules: dict[str, dict[str, Any]] = field(repr=False)
    labels: tuple[LabelPlan, ...] = ()
    default_scope: tuple[str, ...] = ()
    static_caveats: tuple[str, ...] = ()
    overlays: tuple[str, ...] = ()  # ids of the overlays merged into this rule set
    condition_params: tuple[str, ...] = ()  # the product parameters some criterion's `applies_when` reads
    _applicability: dict[Any, tuple[bool, ...]] = field(default_factory=dict, repr=False, compare=False)

    def applicability(self, unit: str | None, params: Mapping[str, Any]) -> tuple[bool, ...]:
        """Which criteria (by plan index) apply to a product of certification unit `unit` with `params`.
        Memoized per distinct unit and values of `condition_params`, with their types (1, 1.0 and True are
        equal keys in Python but not the same parameter value here)."""
        values = tuple(map(params.get, self.condition_params))  # None: absent (a parameter is never None)
        key = (unit, values, tuple(map(type, values)))
        known = self._applicability.get(key)
        if known is None:
            known = tuple(p.applies(unit, params) for p in self.criteria)
            if len(self._applicability) >= 4096:  # bounded: a bulk run over many distinct products
                self._applicability.clear()
            self._applicability[key] = known
        return known

    def close(self) -> None:
        self.durable.close()


def condition_for(req: Requirement, value_field: str, nd_field: str | None) -> dict[str, Any] | None:
    """durable's expression for "this requirement holds", on the fact's field; None without a limit. Each
    operator writes it once, in its module of `engine.ops`."""
    if not req.has_limit:
        return None
    return req.operator.holds(req, value_field, nd_field)


def failure_for(req: Requirement, value_field: str, nd_field: str | None) -> dict[str, Any] | None:
    """durable's expression for "this requirement does NOT hold" on an admitted value; None without a limit:
    the negation of `condition_for` (`ops.negate`), never written a second time.

    Criteria compile to failure rules: a passing application then fires almost nothing (each fired rule is a
    round trip through durable's action queue, ~1.5 µs), and the pass/fail of every admitted criterion is
    still decided by durable: it failed if its rule fired, it passed if not."""
    cond = condition_for(req, value_field, nd_field)
    return None if cond is None else ops.negate(cond)


def _with_operands(plan: CriterionPlan, read: list[Indicator]) -> CriterionPlan:
    """The plan of a criterion whose operator reads several indicators: each is admitted by the criterion's
    evidence policy, in its own unit (a not-detected result proves no combination), then combined."""
    req = plan.criterion.requirement
    combine = req.operator.combiner(req, tuple(i.unit for i in read), plan.unit)
    operand_plans = tuple(dataclasses.replace(plan, indicator=i, unit=i.unit, not_detected_proves=False, nd_field=None)
                          for i in read)
    names = " and ".join(f"`{i.id}`" for i in read)
    return dataclasses.replace(plan, operand_plans=operand_plans, combine=combine,
                               missing_detail=f"needs a result for each of {names}")


def _applicability(criterion: Criterion) -> Callable[[str | None, Mapping[str, Any]], bool]:
    when = criterion.applies_when
    if when is None:
        return lambda unit, params: True
    units = frozenset(when.certification_units) if when.certification_units else None
    conditions: tuple[tuple[str, Condition], ...] = tuple(when.parameters.items())

    def applies(unit: str | None, params: Mapping[str, Any]) -> bool:
        if units is not None and unit not in units:
            return False
        for pid, cond in conditions:
            if pid not in params or not cond.holds(params[pid]):
                return False
        return True

    return applies


def compile_ruleset(ruleset: RuleSet, category: Category, version: str, overlays: tuple[str, ...] = (),
                    other_editions: tuple[RuleSet, ...] = ()) -> CompiledRuleSet:
    """`other_editions` of the category tell which catalogue indicators belong to another edition only (a
    low-carbon group added in 2024 is not "not evaluated" by the 2017 edition)."""
    indicators = {i.id: i for i in category.indicators}
    defaults = ruleset.evidence_defaults
    fields: list[list[str]] = []  # the fields each criterion, requirement, inspection and grade asserts
    rules: dict[str, dict[str, Any]] = {}
    plans: list[CriterionPlan] = []
    for i, c in enumerate(ruleset.criteria):
        ind = indicators[c.indicator]
        vf = facts.criterion_value(i)
        operator = c.requirement.operator
        nd = facts.criterion_not_detected(i) if ind.kind == "quantity" and operator.not_detected_proves else None
        cond = failure_for(c.requirement, vf, nd)
        rule = vf if cond is not None else None
        if cond is not None:
            rules[vf] = cond
        fields.append([vf] + ([nd] if nd else []))
        policy = c.evidence or EvidencePolicy()
        lab = policy.laboratory or defaults.laboratory or DEFAULT_EVIDENCE.laboratory or ()
        max_age = policy.max_age_days or defaults.max_age_days or DEFAULT_EVIDENCE.max_age_days
        same_model = policy.same_model if policy.same_model is not None else (
            defaults.same_model if defaults.same_model is not None else True)
        limit_status = c.provenance.status if c.requirement.has_limit else "none"
        req = c.requirement
        limit = operator.limit(req)
        unit = req.unit or operator.measured_unit(req, ind, indicators)
        limit_unit = unit if ind.kind == "quantity" else None
        attribute = c.attribute or ind.attribute
        not_applicable = CriterionResult(
            c.id, ind.id, ind.name.zh, ind.name.en, attribute, "not_applicable", None, None, req.describe(), req.op,
            limit, limit_unit, limit_status, None, None, None, None, (), c.clause, c.provenance.source, c.optional)
        plans.append(CriterionPlan(
            index=i, criterion=c, indicator=ind, attribute=attribute,
            unit=unit, value_field=vf, nd_field=nd, rule=rule,
            applies=_applicability(c), laboratory=frozenset(lab), max_age_days=max_age, same_model=same_model,
            limit_status=limit_status, kind=ind.kind, upper_bound=operator.upper_bound,
            not_detected_proves=operator.not_detected_proves,
            describe=req.describe(), caveat=f"`{c.id}` was judged against an unconfirmed limit ({req.describe()})",
            limit=limit, limit_unit=limit_unit, lab_text=" or ".join(sorted(lab)),
            not_applicable=not_applicable,
            head=(c.id, ind.id, ind.name.zh, ind.name.en, attribute),
            middle=(req.describe(), req.op, limit, limit_unit, limit_status),
            tail=(c.clause, c.provenance.source, c.optional),
            margin=operator.margin(req),
            missing_detail=f"no result for `{ind.id}`",
        ))
        extra = operator.operands(req)
        if extra:
            plans[-1] = _with_operands(plans[-1], [ind] + [indicators[x] for x in extra])
    basics: list[BasicPlan] = []
    for j, b in enumerate(ruleset.basic_requirements):
        bf = facts.basic(j)
        # certificates: the field holds the days of validity left on the evaluation date; fires when not valid
        rules[bf] = {"$lt": {bf: 0}} if b.proof.certificate else {"$neq": {bf: 1}}
        fields.append([bf])
        wanted = "".join((b.proof.certificate or "").split()).upper()
        missing_detail = (f"no certificate to `{b.proof.certificate}`" if b.proof.certificate
                          else f"no declaration `{b.proof.declaration}`")
        basics.append(BasicPlan(j, b, bf, bf, wanted, missing_detail))
    inspection_field = None
    if ruleset.factory_inspection and ruleset.factory_inspection.required:
        inspection_field = facts.INSPECTION
        rules[inspection_field] = {"$and": [{"$neq": {inspection_field: s}} for s in facts.INSPECTION_PASSES]}
        fields.append([inspection_field])
    grades: list[GradePlan] = []
    for k, label in enumerate(ruleset.labels):
        if label.kind != "grade" or not label.grades or not label.indicator:
            continue
        gf, gn = facts.grade(k), facts.grade_not_detected(k)
        ind = indicators[label.indicator]
        named: list[tuple[str, str]] = []
        values: list[tuple[str, str | None]] = []
        open_: list[OpenGrade] = []
        for g_index, g in enumerate(label.grades):
            vf = facts.grade_value(k, g_index)
            req = g.requirement
            cond = condition_for(req, vf, gn)
            if cond is None:
                continue
            upper = req.operator.not_detected_proves
            if not upper:
                # a not-detected result proves no lower bound, range or exact value (docs/semantics.md §5)
                cond = {"$and": [{gn: 0}, cond]}
            name = facts.grade_rule(k, g_index)
            rules[name] = cond
            named.append((g.id, name))
            values.append((vf, req.unit or ind.unit))
            bound = req.value if upper and not isinstance(req.value, (bool, str)) else None
            open_.append(OpenGrade(g.id, None if bound is None else float(bound), req.unit or ind.unit))
        fields.append([gf, gn, *(vf for vf, _ in values)])
        grades.append(GradePlan(label, ind, gf, label.grades[0].requirement.unit or ind.unit, tuple(named),
                                tuple(values), tuple(open_),
                                # a criterion combining several indicators admits no measurement of this one alone
                                tuple(p.index for p in plans if p.indicator.id == ind.id and not p.operand_plans),
                                gn))

    label_plans: list[LabelPlan] = []
    grade_index = 0
    for k, label in enumerate(ruleset.labels):
        if label.kind == "grade":
            label_plans.append(LabelPlan(k, label, grade=grade_index if label.grades and label.indicator else None))
            grade_index += 1 if label.grades and label.indicator else 0
        elif label.kind == "tier":
            label_plans.append(LabelPlan(k, label, members=tuple(p.index for p in plans if not p.criterion.optional),
                                         optional=tuple(p.index for p in plans if p.criterion.optional)))
        else:
            label_plans.append(LabelPlan(k, label, members=tuple(
                p.index for p in plans if not p.criterion.optional
                and (label.kind == "full" or p.attribute == label.attribute))))
    unevaluated = _unevaluated(ruleset, category, other_editions)
    static_caveats: list[str] = []
    if overlays:
        static_caveats.append("rule set changed by overlay(s): " + ", ".join(f"`{o}`" for o in overlays))
    if unevaluated:
        static_caveats.append("indicators of the standard with no shipped criterion were not evaluated: "
                              + ", ".join(f"`{i}`" for i in unevaluated))
    if defaults.provenance is not None and defaults.provenance.status == "default" and defaults.max_age_days:
        static_caveats.append(f"test reports older than {defaults.max_age_days} days were refused by a configurable "
                              "default, not a number from the implementation rule")
    static_caveats.extend(_date_caveats(ruleset, category, other_editions))

    # every field the evaluator may assert; durable_core lays out the facts itself
    known = [f for group in fields for f in group]
    durable = DurableRuleSet(ruleset.id.replace("/", "_").replace(".", "_"), rules, known)
    return CompiledRuleSet(
        ruleset=ruleset, category=category, version=version, criteria=tuple(plans), basics=tuple(basics),
        grades=tuple(grades), durable=durable, inspection_field=inspection_field, indicators=indicators, rules=rules,
        labels=tuple(label_plans),
        default_scope=ruleset.default_scope or tuple(lab.id for lab in ruleset.labels if lab.kind == "full"),
        static_caveats=tuple(static_caveats), overlays=overlays,
        condition_params=tuple(sorted({pid for c in ruleset.criteria if c.applies_when
                                       for pid in c.applies_when.parameters})),
    )


def _date_caveats(ruleset: RuleSet, category: Category, other_editions: tuple[RuleSet, ...]) -> list[str]:
    """An edition whose first or last day is a boundary between editions resting on an unconfirmed date says so in
    every decision made with it (the first edition's start matters to no decision: before it nothing is accepted)."""
    out = []
    own = category.standard(ruleset.standard)
    follows = any(o.in_force.until == ruleset.in_force.from_ for o in other_editions)
    if follows and own is not None and own.status == "unconfirmed" and own.effective == ruleset.in_force.from_:
        out.append(f"the date {ruleset.standard} takes effect ({ruleset.in_force.from_.isoformat()}) is not confirmed "
                   "by its source; the edition in force on a day close to it may differ")
    end = ruleset.in_force.until
    for other in other_editions:
        nxt = category.standard(other.standard)
        if end is not None and other.in_force.from_ == end and nxt is not None and nxt.status == "unconfirmed":
            out.append(f"this edition ends the day before {other.standard} takes effect on {end.isoformat()}, a date "
                       "not confirmed by its source; the edition in force on a day close to it may differ")
    return out


def _unevaluated(ruleset: RuleSet, category: Category, other_editions: tuple[RuleSet, ...]) -> tuple[str, ...]:
    used = {c.indicator for c in ruleset.criteria} | {lab.indicator for lab in ruleset.labels if lab.indicator}
    elsewhere = {c.indicator for rs in other_editions for c in rs.criteria}
    return tuple(i.id for i in category.indicators
                 if i.kind != "document" and i.id not in used and i.id not in elsewhere)
