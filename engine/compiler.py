"""Compile a validated rule set into a durable-rules rule set plus the plans our code evaluates around it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from . import facts, ops
from .decision import OpenGrade
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

__all__ = ["CriterionPlan", "CriterionRecord", "Margin", "MarginKind", "BasicPlan", "GradePlan", "GradeRule", "LabelPlan",
           "CompiledRuleSet", "compile_ruleset",
           "condition_for", "failure_for", "DEFAULT_EVIDENCE"]

# Field by field, what a criterion and its rule set leave unsaid (docs/semantics.md §2: CMA / 365 days / same model).
DEFAULT_EVIDENCE = EvidencePolicy(laboratory=("CMA",), max_age_days=365, same_model=True)


class MarginKind:
    """The kinds of `Margin`: the first number of an operator's `margin` (engine.ops)."""

    NONE: Final = 0  # no margin (a choice, a document, no limit)
    UPPER: Final = 1  # `low - value`, for an upper bound `low`
    LOWER: Final = 2  # `value - low`, for a lower bound `low`
    RANGE: Final = 3  # the distance to the nearer end of [`low`, `high`]


@dataclass(frozen=True)
class Margin:
    """How far a measured value is from its limit, on the passing side (negative when it fails): an operator's
    `margin` (engine.ops), named."""

    kind: int  # MarginKind
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class CriterionRecord:
    """The fields of a criterion's `CriterionResult` that no application changes, named as the result names them:
    the evaluator builds every result from this record and what the application's evidence gave."""

    id: str
    indicator: str
    name_zh: str
    name_en: str
    attribute: str
    requirement: str  # the requirement as people read it (`≤ 100 mg/kg`)
    op: str
    limit: Any
    limit_unit: str | None
    limit_status: str
    clause: str
    source: str | None
    optional: bool


@dataclass(frozen=True)
class CriterionPlan:
    """What the evaluator does for one criterion of the rule set, decided once at compile time: how evidence is
    admitted for it (policy, unit), which fact fields it fills and which durable rule decides it."""

    index: int
    criterion: Criterion
    indicator: Indicator
    record: CriterionRecord
    unit: str | None  # the limit's unit: measured values are converted to it
    value_field: str
    nd_field: str | None
    rule: str | None  # durable rule name, None when the limit is not shipped
    applies: Callable[[str | None, Mapping[str, Any]], bool]
    laboratory: frozenset[str]
    max_age_days: int | None
    same_model: bool
    kind: str = "quantity"
    upper_bound: bool = False  # a failure exceeds a limit (engine.ops: lte, lt, not_detected)
    not_detected_proves: bool = False  # a not-detected result at a low enough detection limit can prove it
    caveat: str = ""  # the decision's caveat when a verdict rests on this criterion's unconfirmed limit
    lab_text: str = ""
    margin: Margin = Margin(MarginKind.NONE)
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
class GradeRule:
    """One grade of a grade label: the durable rule that fires when the measurement proves it, and the field it
    reads, which holds the measurement converted to the unit of the grade's own limit."""

    grade: str
    rule: str
    field: str
    unit: str | None


@dataclass(frozen=True)
class GradePlan:
    label: Label
    indicator: Indicator
    field: str
    unit: str | None
    rules: tuple[GradeRule, ...]  # best first
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


class _DurableParts:
    """The durable rule set as the compiler gathers it: the rules by name and every field the evaluator may assert,
    in the order the plans are made (criteria, basic requirements, inspection, grades)."""

    def __init__(self) -> None:
        self.rules: dict[str, dict[str, Any]] = {}
        self.fields: list[str] = []

    def rule(self, name: str, condition: dict[str, Any]) -> str:
        self.rules[name] = condition
        return name


def _evidence_policy(c: Criterion, defaults: EvidencePolicy) -> tuple[tuple[str, ...], int | None, bool]:
    """The criterion's evidence policy, field by field falling back to the rule set's and then DEFAULT_EVIDENCE:
    (laboratory qualifications, maximum report age in days, same model)."""
    policy = c.evidence or EvidencePolicy()
    lab = policy.laboratory or defaults.laboratory or DEFAULT_EVIDENCE.laboratory or ()
    max_age = policy.max_age_days or defaults.max_age_days or DEFAULT_EVIDENCE.max_age_days
    same_model = policy.same_model if policy.same_model is not None else (
        defaults.same_model if defaults.same_model is not None else True)
    return tuple(lab), max_age, same_model


def _criterion_plan(i: int, c: Criterion, indicators: dict[str, Indicator], defaults: EvidencePolicy,
                    durable: _DurableParts) -> CriterionPlan:
    ind = indicators[c.indicator]
    req = c.requirement
    operator = req.operator
    vf = facts.criterion_value(i)
    nd = facts.criterion_not_detected(i) if ind.kind == "quantity" and operator.not_detected_proves else None
    cond = failure_for(req, vf, nd)
    rule = durable.rule(vf, cond) if cond is not None else None
    durable.fields.extend([vf] + ([nd] if nd else []))
    lab, max_age, same_model = _evidence_policy(c, defaults)
    unit = req.unit or operator.measured_unit(req, ind, indicators)
    record = CriterionRecord(
        id=c.id, indicator=ind.id, name_zh=ind.name.zh, name_en=ind.name.en, attribute=c.attribute or ind.attribute,
        requirement=req.describe(), op=req.op, limit=operator.limit(req),
        limit_unit=unit if ind.kind == "quantity" else None,
        limit_status=c.provenance.status if req.has_limit else "none",
        clause=c.clause, source=c.provenance.source, optional=c.optional)
    plan = CriterionPlan(
        index=i, criterion=c, indicator=ind, record=record, unit=unit, value_field=vf, nd_field=nd, rule=rule,
        applies=_applicability(c), laboratory=frozenset(lab), max_age_days=max_age, same_model=same_model,
        kind=ind.kind, upper_bound=operator.upper_bound, not_detected_proves=operator.not_detected_proves,
        caveat=f"`{c.id}` was judged against an unconfirmed limit ({req.describe()})",
        lab_text=" or ".join(sorted(lab)), margin=Margin(*operator.margin(req)),
        missing_detail=f"no result for `{ind.id}`")
    extra = operator.operands(req)
    return _with_operands(plan, [ind] + [indicators[x] for x in extra]) if extra else plan


def _basic_plan(j: int, b: BasicRequirement, durable: _DurableParts) -> BasicPlan:
    bf = facts.basic(j)
    # certificates: the field holds the days of validity left on the evaluation date; fires when not valid
    rule = durable.rule(bf, {"$lt": {bf: 0}} if b.proof.certificate else {"$neq": {bf: 1}})
    durable.fields.append(bf)
    wanted = "".join((b.proof.certificate or "").split()).upper()
    missing_detail = (f"no certificate to `{b.proof.certificate}`" if b.proof.certificate
                      else f"no declaration `{b.proof.declaration}`")
    return BasicPlan(index=j, requirement=b, field=bf, rule=rule, wanted=wanted, missing_detail=missing_detail)


def _grade_plan(k: int, label: Label, indicators: dict[str, Indicator], plans: list[CriterionPlan],
                durable: _DurableParts) -> GradePlan:
    """A grade label with grades and an indicator: one rule per grade that fires when the measurement proves it."""
    gf, gn = facts.grade(k), facts.grade_not_detected(k)
    ind = indicators[label.indicator or ""]
    grade_rules: list[GradeRule] = []
    open_: list[OpenGrade] = []
    for g_index, g in enumerate(label.grades or ()):
        vf = facts.grade_value(k, g_index)
        req = g.requirement
        cond = condition_for(req, vf, gn)
        if cond is None:
            continue
        upper = req.operator.not_detected_proves
        if not upper:
            # a not-detected result proves no lower bound, range or exact value (docs/semantics.md §5)
            cond = {"$and": [{gn: 0}, cond]}
        rule = durable.rule(facts.grade_rule(k, g_index), cond)
        grade_rules.append(GradeRule(grade=g.id, rule=rule, field=vf, unit=req.unit or ind.unit))
        bound = req.value if upper and not isinstance(req.value, (bool, str)) else None
        open_.append(OpenGrade(g.id, None if bound is None else float(bound), req.unit or ind.unit))
    durable.fields.extend([gf, gn, *(r.field for r in grade_rules)])
    first_unit = (label.grades or ())[0].requirement.unit or ind.unit
    # a criterion combining several indicators admits no measurement of this one alone
    criteria = tuple(p.index for p in plans if p.indicator.id == ind.id and not p.operand_plans)
    return GradePlan(label=label, indicator=ind, field=gf, unit=first_unit, rules=tuple(grade_rules),
                     open=tuple(open_), criteria=criteria, nd_field=gn)


def _label_plans(ruleset: RuleSet, plans: list[CriterionPlan]) -> tuple[LabelPlan, ...]:
    out: list[LabelPlan] = []
    grade_index = 0
    for k, label in enumerate(ruleset.labels):
        if label.kind == "grade":
            graded = bool(label.grades and label.indicator)
            out.append(LabelPlan(k, label, grade=grade_index if graded else None))
            grade_index += 1 if graded else 0
        elif label.kind == "tier":
            out.append(LabelPlan(k, label, members=tuple(p.index for p in plans if not p.criterion.optional),
                                 optional=tuple(p.index for p in plans if p.criterion.optional)))
        else:
            out.append(LabelPlan(k, label, members=tuple(
                p.index for p in plans if not p.criterion.optional
                and (label.kind == "full" or p.record.attribute == label.attribute))))
    return tuple(out)


def _static_caveats(ruleset: RuleSet, category: Category, overlays: tuple[str, ...],
                    other_editions: tuple[RuleSet, ...]) -> tuple[str, ...]:
    """The caveats every decision of this rule set carries, whatever the application."""
    out: list[str] = []
    unevaluated = _unevaluated(ruleset, category, other_editions)
    if overlays:
        out.append("rule set changed by overlay(s): " + ", ".join(f"`{o}`" for o in overlays))
    if unevaluated:
        out.append("indicators of the standard with no shipped criterion were not evaluated: "
                   + ", ".join(f"`{i}`" for i in unevaluated))
    defaults = ruleset.evidence_defaults
    if defaults.provenance is not None and defaults.provenance.status == "default" and defaults.max_age_days:
        out.append(f"test reports older than {defaults.max_age_days} days were refused by a configurable "
                   "default, not a number from the implementation rule")
    out.extend(_date_caveats(ruleset, category, other_editions))
    return tuple(out)


def compile_ruleset(ruleset: RuleSet, category: Category, version: str, overlays: tuple[str, ...] = (),
                    other_editions: tuple[RuleSet, ...] = ()) -> CompiledRuleSet:
    """The plans of `ruleset` and its durable rules. `other_editions` of the category tell which catalogue
    indicators belong to another edition only (a low-carbon group added in 2024 is not "not evaluated" by the
    2017 edition)."""
    indicators = {i.id: i for i in category.indicators}
    durable = _DurableParts()
    plans = [_criterion_plan(i, c, indicators, ruleset.evidence_defaults, durable)
             for i, c in enumerate(ruleset.criteria)]
    basics = tuple(_basic_plan(j, b, durable) for j, b in enumerate(ruleset.basic_requirements))
    inspection_field = None
    if ruleset.factory_inspection and ruleset.factory_inspection.required:
        inspection_field = durable.rule(facts.INSPECTION, {"$and": [{"$neq": {facts.INSPECTION: s}}
                                                                     for s in facts.INSPECTION_PASSES]})
        durable.fields.append(inspection_field)
    grades = tuple(_grade_plan(k, label, indicators, plans, durable) for k, label in enumerate(ruleset.labels)
                   if label.kind == "grade" and label.grades and label.indicator)
    # every field the evaluator may assert; durable_core lays out the facts itself
    rules = DurableRuleSet(ruleset.id.replace("/", "_").replace(".", "_"), durable.rules, durable.fields)
    return CompiledRuleSet(
        ruleset=ruleset, category=category, version=version, criteria=tuple(plans), basics=basics,
        grades=grades, durable=rules, inspection_field=inspection_field, indicators=indicators, rules=durable.rules,
        labels=_label_plans(ruleset, plans),
        default_scope=ruleset.default_scope or tuple(lab.id for lab in ruleset.labels if lab.kind == "full"),
        static_caveats=_static_caveats(ruleset, category, overlays, other_editions), overlays=overlays,
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
