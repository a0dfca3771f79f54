"""A decision is data: the outcome, every verdict and the evidence it rests on, the labels, what is missing."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

__all__ = [
    "VERDICTS", "OUTCOMES", "Measured", "EvidenceRef", "Rejection", "CriterionResult", "RequirementResult",
    "InspectionResult", "OpenGrade", "LabelResult", "MissingItem", "Decision", "to_jsonable",
]

# The records are slotted dataclasses, not frozen ones: on this machine a frozen 22-field dataclass took 5.9 µs
# to construct and a plain slotted one 0.55 µs, and a decision builds one per criterion. Treat them as
# immutable all the same: nothing in greencert mutates a decision after `evaluate` returns it.

VERDICTS = ("pass", "fail", "missing", "not_acceptable", "undetermined", "pending", "not_applicable")
OUTCOMES = ("granted", "refused", "incomplete")


@dataclass(slots=True)
class Measured:
    """The value compared with the limit (in the limit's unit), and what the report said."""

    value: float | str | bool | None
    unit: str | None
    not_detected: bool
    reported_value: float | str | bool | None
    reported_unit: str | None
    detection_limit: float | None = None


@dataclass(slots=True)
class EvidenceRef:
    kind: str  # test_report | certificate | declaration | factory_inspection
    id: str
    laboratory: str | None = None
    qualifications: tuple[str, ...] = ()
    issued: dt.date | None = None
    model: str | None = None
    valid_until: dt.date | None = None


@dataclass(slots=True)
class Rejection:
    evidence: EvidenceRef
    reason: str
    detail: str


@dataclass(slots=True)
class CriterionResult:
    id: str
    indicator: str
    name_zh: str
    name_en: str
    attribute: str
    verdict: str
    reason: str | None
    detail: str | None
    requirement: str
    op: str
    limit: float | str | bool | tuple[Any, ...] | None
    limit_unit: str | None
    limit_status: str  # the limit's source: primary | secondary | unconfirmed | default | confirmed (legacy) | none
    measured: Measured | None
    margin: float | None
    margin_relative: float | None
    evidence: EvidenceRef | None
    rejected: tuple[Rejection, ...]
    clause: str
    source: str | None
    optional: bool


@dataclass(slots=True)
class RequirementResult:
    id: str
    name_zh: str
    name_en: str
    verdict: str
    reason: str | None
    detail: str | None
    evidence: EvidenceRef | None
    clause: str


@dataclass(slots=True)
class InspectionResult:
    verdict: str
    outcome: str | None
    reason: str | None
    detail: str | None
    deadline: dt.date | None
    clause: str


@dataclass(slots=True)
class OpenGrade:
    """A grade better than the one proven that a not-detected result neither proves nor rules out, and the
    test that would prove it: a not-detected result with a detection limit at or below `detection_limit_max`
    (in `unit`); None when only a quantified result can decide it (a grade that is not an upper bound)."""

    id: str
    detection_limit_max: float | None
    unit: str | None


@dataclass(slots=True)
class LabelResult:
    id: str
    kind: str
    name_zh: str
    name_en: str
    status: str  # eligible | not_eligible | undetermined
    attribute: str | None
    grade: str | None  # grade labels: the grade the measurement proves (awarded only when `status` is eligible)
    failed: tuple[str, ...]
    open: tuple[str, ...]
    open_grades: tuple[OpenGrade, ...] = ()  # grade labels: better grades a more sensitive test could prove


@dataclass(slots=True)
class MissingItem:
    kind: str  # test_result | certificate | declaration | factory_inspection | corrective_action | limit_value
    ref: str
    who: str  # applicant | certification_body
    description: str
    due: dt.date | None = None


@dataclass(slots=True)
class Decision:
    application_id: str | None
    category: str
    certification_unit: str | None
    product_model: str
    ruleset_id: str
    standard: str
    implementation_rule: str | None
    ruleset_version: str
    evaluated_on: dt.date
    outcome: str
    scope: tuple[str, ...]
    eligible_labels: tuple[str, ...]
    labels: tuple[LabelResult, ...]
    basic_requirements: tuple[RequirementResult, ...]
    factory_inspection: InspectionResult | None
    criteria: tuple[CriterionResult, ...]
    missing_evidence: tuple[MissingItem, ...]
    caveats: tuple[str, ...]
    binding: bool = True

    def criterion(self, cid: str) -> CriterionResult:
        for c in self.criteria:
            if c.id == cid:
                return c
        raise KeyError(cid)

    def label(self, lid: str) -> LabelResult:
        for lab in self.labels:
            if lab.id == lid:
                return lab
        raise KeyError(lid)

    def to_dict(self) -> dict[str, Any]:
        result = to_jsonable(self)
        assert isinstance(result, dict)
        return result


def to_jsonable(value: Any) -> Any:
    """Plain JSON data: dates as ISO strings, tuples as lists, dataclasses as dicts (in field order)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    convert = _CONVERTERS.get(kind)
    if convert is not None:
        return convert(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _converter(kind)(value)
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# A decision builds ~40 records and the API turns each into a dict; walking `dataclasses.fields` per record
# cost ~3 ms a decision. Instead each record class gets one generated function (as `dataclasses` itself
# generates `__init__`): fields whose declared type is only str/int/float/bool/None are copied as they are,
# tuples of strings become lists, the rest goes through `to_jsonable`. tests/engine/test_decision_dict.py checks it
# against the plain recursive walk.
_PLAIN = frozenset((str, int, float, bool, type(None)))
_PLAIN_TYPES = frozenset(("str", "int", "float", "bool", "None"))
_CONVERTERS: dict[type, Any] = {}


def _field_code(name: str, annotation: Any) -> str:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    parts = {p.strip() for p in text.split("|")}
    if parts and parts <= _PLAIN_TYPES:
        return f"v.{name}"
    if text == "tuple[str, ...]":
        return f"list(v.{name})"
    return f"j(v.{name})"


def _converter(cls: type) -> Any:
    convert = _CONVERTERS.get(cls)
    if convert is None:
        items = ", ".join(f"{f.name!r}: {_field_code(f.name, f.type)}" for f in dataclasses.fields(cls))
        namespace: dict[str, Any] = {"j": to_jsonable}
        exec(f"def convert(v):\n    return {{{items}}}\n", namespace)  # generated from field names only
        convert = _CONVERTERS[cls] = namespace["convert"]
    return convert
