"""Typed, frozen models of the catalogue and rule-set formats (built only from schema-valid data)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from . import ops

__all__ = [
    "Text", "Condition", "Standard", "ImplementationRule", "Attribute", "Parameter", "CertificationUnit",
    "Indicator", "Category", "CatalogFile", "Provenance", "Requirement", "AppliesWhen", "EvidencePolicy",
    "Proof", "BasicRequirement", "FactoryInspectionPolicy", "Criterion", "Grade", "Label", "InForce",
    "RuleSet", "DatedText", "Period", "Measure", "Setting", "CertificatePolicy", "Scheme", "SchemeFile",
    "COMPARISON_OPS", "CONDITION_OPS", "STRENGTHS",
]

COMPARISON_OPS = ops.requirement_ops()  # declared in engine/ops, one module each
CONDITION_OPS = ops.condition_ops()
# How strong the source of a number or a date is, strongest first: the standard's or rule's own text, a summary of
# it, none. `default` (numbers only) is a configurable default stated as such; `confirmed`, written before strengths
# were stated, is read as "a source is cited, its strength not stated" (the loader warns).
STRENGTHS = ("primary", "secondary", "unconfirmed", "default", "confirmed")
Strength = Literal["primary", "secondary", "unconfirmed", "confirmed"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """A name in Chinese and English; both are required so reports can be bilingual."""

    zh: str
    en: str


Scalar = float | int | str | bool


class Condition(_Strict):
    """A test on a product parameter: one or more operators, all of which must hold (`{gt: 5, lte: 10}`)."""

    lte: float | None = None
    lt: float | None = None
    gte: float | None = None
    gt: float | None = None
    eq: Scalar | None = None
    between: tuple[float, float] | None = None
    one_of: tuple[Scalar, ...] | None = None

    @property
    def ops(self) -> tuple[str, ...]:
        return tuple(k for k in CONDITION_OPS if getattr(self, k) is not None)

    @property
    def op(self) -> str:
        return self.ops[0]

    def holds(self, value: Any) -> bool:
        return all(self._holds(op, value) for op in self.ops)

    def _holds(self, op: str, value: Any) -> bool:
        return ops.REGISTRY[op].test(getattr(self, op), value)

    def describe(self) -> str:
        return " and ".join(ops.REGISTRY[op].describe_bound(getattr(self, op)) for op in self.ops)


class Standard(_Strict):
    """An edition of the evaluation standard; `status` is the strength of the source of its code and dates."""

    code: str
    title: Text | None = None
    issued: dt.date | None = None
    effective: dt.date | None = None
    superseded_by: str | None = None
    status: Strength | None = None
    source: str


class ImplementationRule(_Strict):
    """A CNCA implementation rule. Its own dates (`issued`, `effective`) when they were read; otherwise the notice
    that published it (`announced_by`, `announced`). `repealed_by` names the notice that repealed it."""

    code: str
    title: Text | None = None
    issued: dt.date | None = None
    effective: dt.date | None = None
    announced_by: str | None = None
    announced: dt.date | None = None
    repealed_by: str | None = None
    inferred: bool = False
    status: Strength | None = None
    source: str

    @property
    def start(self) -> dt.date | None:
        """The first day the rule applies, as far as the sources tell: its own date, else its notice's."""
        return self.effective or self.issued or self.announced

    @property
    def date_kind(self) -> str:
        if self.effective:
            return "in force"
        if self.issued:
            return "issued"
        return "announced" if self.announced else ""


class Attribute(_Strict):
    id: str
    name: Text


class Parameter(_Strict):
    id: str
    name: Text
    type: Literal["number", "text", "choice", "boolean"]
    unit: str | None = None
    choices: tuple[str, ...] | None = None


class CertificationUnit(_Strict):
    id: str
    name: Text
    defined_by: dict[str, Condition] = Field(default_factory=dict)


class Indicator(_Strict):
    id: str
    name: Text
    aliases: tuple[str, ...] = ()
    kind: Literal["quantity", "choice", "document"] = "quantity"
    unit: str | None = None
    choices: tuple[str, ...] | None = None
    attribute: str
    test_method: str | None = None
    signed: bool = False

    @property
    def non_negative(self) -> bool:
        """A quantity cannot be negative (an amount, a concentration, an emission, a mass, a volume, an energy, a
        share) unless its catalogue entry says `signed: true`: a negative result is refused at intake and a
        negative limit at load (docs/authoring.md)."""
        return self.kind == "quantity" and not self.signed


class Category(_Strict):
    id: str
    name: Text
    batch: int | None = None
    listed_by: str | None = None
    cqc_code: str | None = None
    standards: tuple[Standard, ...] = ()
    implementation_rules: tuple[ImplementationRule, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    certification_units: tuple[CertificationUnit, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    notes: str | None = None

    def standard(self, code: str) -> Standard | None:
        return next((s for s in self.standards if s.code == code), None)

    def rule_on(self, day: dt.date) -> ImplementationRule | None:
        """The implementation rule in force on `day`: of the rules with a known start on or before it, the latest
        (a rule ends when the next one of the category starts); None before the first."""
        dated = [r for r in self.implementation_rules if r.start is not None and r.start <= day]
        return max(dated, key=lambda r: r.start or day) if dated else None


class CatalogFile(_Strict):
    format: Literal["greencert/catalog@1"]
    category: Category


class Provenance(_Strict):
    """Where a number comes from and how strong that source is: `primary` the standard's or rule's own text,
    `secondary` a summary of it, `unconfirmed` shipped but no source establishes it, `default` a configurable
    default stated as such (a test report's maximum age). `confirmed` is the word of files written before
    strengths were stated: a source is cited, its strength is not said (kept as written, so that stored rule
    sets reproduce their version; the loader warns)."""

    status: Literal["primary", "secondary", "unconfirmed", "default", "confirmed"]
    source: str | None = None
    note: str | None = None

    @property
    def sourced(self) -> bool:
        """A strength that claims a source gives the number."""
        return self.status in ("primary", "secondary", "confirmed")


class Requirement(_Strict):
    """The pass condition of a criterion: exactly one comparison operator.

    A null limit (`lte: null`) means the standard has a limit that no source available to us gives: the
    criterion is shipped without a number and cannot be decided until an overlay supplies one.
    """

    op: str  # a name of engine.ops.REGISTRY
    value: float | str | bool | None = None
    low: float | None = None
    high: float | None = None
    values: tuple[str | float, ...] | None = None
    unit: str | None = None
    operands: tuple[str, ...] = ()  # the indicators an operator reads besides its criterion's own (engine.ops)

    @field_validator("op")
    @classmethod
    def _known_op(cls, op: str) -> str:
        if op not in ops.REGISTRY:
            raise ValueError(f"unknown operator `{op}`")
        return op

    @model_validator(mode="before")
    @classmethod
    def _from_yaml_form(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "op" in data:
            return data
        found = [k for k in COMPARISON_OPS if k in data]
        if len(found) != 1:
            return data  # the semantic stage reports this with a location; pydantic will refuse it
        op = found[0]
        return {"unit": data.get("unit"), "op": op, **ops.REGISTRY[op].parse(data[op], data)}

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> Any:
        # no `operands` unless an operator reads several indicators: the dump of every other requirement, which
        # the rule set's version hashes, stays what it was before the field existed
        out = handler(self)
        if isinstance(out, dict) and not self.operands:
            out.pop("operands", None)
        return out

    @property
    def operator(self) -> ops.Operator:
        return ops.REGISTRY[self.op]

    @property
    def has_limit(self) -> bool:
        return self.operator.has_limit(self)

    def describe(self) -> str:
        return self.operator.describe(self, unit_suffix(self.unit))


DIMENSIONLESS = "1"  # the unit of a ratio or index: a number alone, e.g. the relative detergency


def unit_suffix(unit: str | None) -> str:
    """` mg/kg`, to follow a number; nothing for no unit or the dimensionless `1` (`≥ 1`, not `≥ 1 1`)."""
    return f" {unit}" if unit and unit != DIMENSIONLESS else ""


def _fmt(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


class AppliesWhen(_Strict):
    certification_units: tuple[str, ...] | None = None
    parameters: dict[str, Condition] = Field(default_factory=dict)


class EvidencePolicy(_Strict):
    """What makes a test report acceptable: laboratory qualification (any of), age, model covered."""

    laboratory: tuple[str, ...] | None = None
    max_age_days: int | None = None
    same_model: bool | None = None
    provenance: Provenance | None = None


class Proof(_Strict):
    """How a basic requirement is proved: a certificate to a standard, or a named declaration."""

    certificate: str | None = None
    declaration: str | None = None


class BasicRequirement(_Strict):
    id: str
    name: Text
    clause: str
    proof: Proof
    provenance: Provenance | None = None


class FactoryInspectionPolicy(_Strict):
    required: bool = True
    clause: str


class Criterion(_Strict):
    id: str
    indicator: str
    attribute: str | None = None
    requirement: Requirement
    applies_when: AppliesWhen | None = None
    clause: str
    provenance: Provenance
    evidence: EvidencePolicy | None = None
    optional: bool = False
    note: str | None = None


class Grade(_Strict):
    id: str
    requirement: Requirement
    provenance: Provenance | None = None


class DatedText(_Strict):
    """A text that applies from `from` (inclusive) until `until` (exclusive); either end may be open."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    text: str
    from_: dt.date | None = Field(default=None, alias="from")
    until: dt.date | None = None

    def applies(self, day: dt.date) -> bool:
        return (self.from_ is None or self.from_ <= day) and (self.until is None or day < self.until)


class Label(_Strict):
    """full: every basic requirement and applicable criterion passes; partial: those of one attribute;
    tier: all required criteria plus a share of the optional ones; grade: the best band the measured
    value of one criterion's indicator falls in (E1/E0/ENF)."""

    id: str
    kind: Literal["full", "partial", "tier", "grade"]
    name: Text
    attribute: str | None = None
    optional_share: float | None = None
    indicator: str | None = None
    grades: tuple[Grade, ...] | None = None
    clause: str | tuple[DatedText, ...] | None = None

    def clause_on(self, day: dt.date) -> str | None:
        """The clause that applies on `day` (a label's basis can change while an edition is in force: the 2019
        label measures until 2025-12-31, the 2026 Measures from 2026-01-01)."""
        if self.clause is None or isinstance(self.clause, str):
            return self.clause
        return next((c.text for c in self.clause if c.applies(day)), None)


class InForce(_Strict):
    """`from` inclusive, `until` exclusive (the day the next edition takes effect); `accepted_until`
    (inclusive) extends acceptance through a transition period in which both editions are accepted."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: dt.date = Field(alias="from")
    until: dt.date | None = None
    accepted_until: dt.date | None = None

    def accepts(self, day: dt.date) -> bool:
        if day < self.from_:
            return False
        end = self.accepted_until or self.until
        if end is None:
            return True
        return day <= end if self.accepted_until else day < end

    def current(self, day: dt.date) -> bool:
        return self.from_ <= day and (self.until is None or day < self.until)


class RuleSet(_Strict):
    format: Literal["greencert/ruleset@1"]
    id: str
    category: str
    standard: str
    implementation_rule: str | None = None
    title: Text | None = None
    in_force: InForce
    evidence_defaults: EvidencePolicy = EvidencePolicy()
    basic_requirements: tuple[BasicRequirement, ...] = ()
    factory_inspection: FactoryInspectionPolicy | None = None
    criteria: tuple[Criterion, ...]
    labels: tuple[Label, ...]
    default_scope: tuple[str, ...] | None = None
    notes: str | None = None
    # the schedule of its certificates (a setting left out keeps the scheme's; an overlay may set one); declared
    # after CertificatePolicy, hence the string annotation (resolved by model_rebuild below)
    certificate: CertificatePolicy | None = None


class Period(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: dt.date = Field(alias="from")
    until: dt.date | None = None

    def applies(self, day: dt.date) -> bool:
        return self.from_ <= day and (self.until is None or day < self.until)


class Measure(_Strict):
    """A measure (管理办法) governing certification and labels for the whole scheme."""

    id: str
    title: Text
    reference: str | None = None
    issued: dt.date | None = None
    in_force: Period
    repealed_by: str | None = None
    status: Strength
    source: str


class Setting(_Strict):
    """A number of the scheme with its unit and where it comes from (`default`: a labelled, overridable default).
    `overlay`: in a rule set's `certificate` settings, the id of the overlay that set it (written by the merge)."""

    value: int
    unit: Literal["days", "months", "years"]
    provenance: Provenance
    overlay: str | None = None


class CertificatePolicy(_Strict):
    """What applies to certificates after the decision. A setting that is None is not known: it is not shipped."""

    validity: Setting | None = None
    surveillance_interval: Setting | None = None
    suspension_period: Setting | None = None
    renewal_window: Setting | None = None
    transition: Setting | None = None


class Scheme(_Strict):
    name: Text
    notes: str | None = None
    measures: tuple[Measure, ...]
    certificate: CertificatePolicy = CertificatePolicy()

    def measures_on(self, day: dt.date) -> tuple[Measure, ...]:
        return tuple(m for m in self.measures if m.in_force.applies(day))


class SchemeFile(_Strict):
    format: Literal["greencert/scheme@1"]
    scheme: Scheme


RuleSet.model_rebuild()
