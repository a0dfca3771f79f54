"""Typed, frozen models of the catalogue and rule-set formats (built only from schema-valid data)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "Text", "Condition", "Standard", "ImplementationRule", "Attribute", "Parameter", "CertificationUnit",
    "Indicator", "Category", "CatalogFile", "Provenance", "Requirement", "AppliesWhen", "EvidencePolicy",
    "Proof", "BasicRequirement", "FactoryInspectionPolicy", "Criterion", "Grade", "Label", "InForce",
    "RuleSet", "COMPARISON_OPS", "CONDITION_OPS",
]

COMPARISON_OPS = ("lte", "lt", "gte", "gt", "eq", "between", "one_of", "not_detected", "present")
CONDITION_OPS = ("lte", "lt", "gte", "gt", "eq", "between", "one_of")


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
        if op == "eq":
            return bool(value == self.eq) and isinstance(value, bool) == isinstance(self.eq, bool)
        if op == "one_of":
            return value in (self.one_of or ())
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if op == "lte":
            return value <= (self.lte or 0)
        if op == "lt":
            return value < (self.lt or 0)
        if op == "gte":
            return value >= (self.gte or 0)
        if op == "gt":
            return value > (self.gt or 0)
        lo, hi = self.between or (0, 0)
        return lo <= value <= hi

    def describe(self) -> str:
        symbols = {"lte": "≤", "lt": "<", "gte": "≥", "gt": ">", "eq": "="}
        parts = []
        for op in self.ops:
            if op in symbols:
                parts.append(f"{symbols[op]} {getattr(self, op)}")
            elif op == "between":
                lo, hi = self.between or (0, 0)
                parts.append(f"{lo}–{hi}")
            else:
                parts.append("one of " + ", ".join(str(v) for v in self.one_of or ()))
        return " and ".join(parts)


class Standard(_Strict):
    code: str
    title: Text | None = None
    issued: dt.date | None = None
    effective: dt.date | None = None
    superseded_by: str | None = None
    status: Literal["confirmed", "unconfirmed"] = "confirmed"
    source: str


class ImplementationRule(_Strict):
    code: str
    issued: dt.date | None = None
    inferred: bool = False
    source: str


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


class Category(_Strict):
    id: str
    name: Text
    batch: int | None = None
    listed_by: str | None = None
    cqc_code: str | None = None
    standards: tuple[Standard, ...]
    implementation_rules: tuple[ImplementationRule, ...] = ()
    attributes: tuple[Attribute, ...]
    parameters: tuple[Parameter, ...] = ()
    certification_units: tuple[CertificationUnit, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    notes: str | None = None


class CatalogFile(_Strict):
    format: Literal["greencert/catalog@1"]
    category: Category


class Provenance(_Strict):
    """Where a number comes from. `confirmed`: a cited source gives it; `unconfirmed`: shipped but not
    confirmed; `default`: a configurable default stated as such (e.g. a test report's maximum age)."""

    status: Literal["confirmed", "unconfirmed", "default"]
    source: str | None = None
    note: str | None = None


class Requirement(_Strict):
    """The pass condition of a criterion: exactly one comparison operator.

    A null limit (`lte: null`) means the standard has a limit that no source available to us gives: the
    criterion is shipped without a number and cannot be decided until an overlay supplies one.
    """

    op: Literal["lte", "lt", "gte", "gt", "eq", "between", "one_of", "not_detected", "present"]
    value: float | str | bool | None = None
    low: float | None = None
    high: float | None = None
    values: tuple[str | float, ...] | None = None
    unit: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_yaml_form(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "op" in data:
            return data
        ops = [k for k in COMPARISON_OPS if k in data]
        out: dict[str, Any] = {"unit": data.get("unit")}
        if len(ops) != 1:
            return data  # the semantic stage reports this with a location; pydantic will refuse it
        op = ops[0]
        out["op"] = op
        raw = data[op]
        if op == "between":
            if raw is not None:
                out["low"], out["high"] = raw[0], raw[1]
        elif op == "one_of":
            out["values"] = raw
        elif op == "not_detected":
            out["value"] = data.get("detection_limit_max")
        elif op == "present":
            out["value"] = True
        else:
            out["value"] = raw
        return out

    @property
    def has_limit(self) -> bool:
        if self.op == "between":
            return self.low is not None and self.high is not None
        if self.op == "one_of":
            return bool(self.values)
        if self.op == "present":
            return True
        if self.op == "not_detected":
            return True
        return self.value is not None

    def describe(self) -> str:
        unit = unit_suffix(self.unit)
        symbols = {"lte": "≤", "lt": "<", "gte": "≥", "gt": ">", "eq": "="}
        if not self.has_limit:
            return f"{symbols.get(self.op, self.op)} (limit not shipped){unit}"
        if self.op in symbols:
            return f"{symbols[self.op]} {_fmt(self.value)}{unit}"
        if self.op == "between":
            return f"{_fmt(self.low)}–{_fmt(self.high)}{unit}"
        if self.op == "one_of":
            return "one of " + ", ".join(str(v) for v in self.values or ())
        if self.op == "not_detected":
            if self.value is None:
                return "not detected"
            return f"not detected (detection limit ≤ {_fmt(self.value)}{unit})"
        return "document present"


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
    clause: str | None = None


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
