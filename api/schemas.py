"""Request and response models of the HTTP API, kept apart from the engine's models (which may change)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool
from pydantic_core import PydanticCustomError

from . import examples

__all__ = ["IsoDate",
    "DiagnosticOut", "ErrorBody", "TextOut", "EditionOut", "CategorySummary", "CategoryDetail", "CategoryList",
    "CriterionOut", "LabelOut", "EditionCriteria", "EditionLabels", "RuleSetVersionOut", "RuleSetList",
    "RuleSetSnapshotOut", "ValidationReport", "DecisionOut", "EvaluationOut", "EvaluationDetail", "EvaluationSummary",
    "EvaluationPage", "Reproduction", "BatchItemIn", "EvaluationBatchIn", "SelfCheckBatchIn", "BatchItemOut",
    "BatchOut", "KeyCreateIn", "KeyOut", "KeyCreated", "Health", "Readiness", "Role", "ApiRole", "Outcome",
    "APPLICATION_REF", "APPLICATION_MARKER", "IDEMPOTENCY_KEY_PATTERN", "OperatorOut", "OperatorList",
]

Role = Literal["certification_body", "manufacturer", "rule_author", "administrator", "operator"]
# the roles a key made over HTTP may have (api.db.API_ROLES): operator keys are made on the server only
ApiRole = Literal["certification_body", "manufacturer", "rule_author", "administrator"]
Outcome = Literal["granted", "refused", "incomplete"]
Scalar = int | float | str | bool
# printable ASCII: what clients put in a header, and nothing a database refuses to store (NUL)
IDEMPOTENCY_KEY_PATTERN = r"^[\x20-\x7e]+$"

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(value: Any) -> Any:
    """Dates are written YYYY-MM-DD, nothing else: pydantic alone takes `0` or `1793491200` (in a query, or a
    number in a body) as seconds since 1970, and a decision would record a date nobody wrote."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise PydanticCustomError("date_format", "a date is written YYYY-MM-DD, e.g. 2026-11-01")
    return value


# A date in a request (query or body): YYYY-MM-DD only, then checked as a calendar date.
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
# a name: no control characters, not blank
_NAME_PATTERN = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"
# the engine's own JSON Schema of an application; put into components by api.app.custom_openapi
APPLICATION_REF = {"$ref": "#/components/schemas/Application"}


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ------------------------------------------------------------------------------------------------ errors

class DiagnosticOut(_Out):
    """The one diagnostic shape, the same as `greencert validate --format json` prints."""

    code: str = Field(description="stable snake_case code, e.g. `application_reference_error`")
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    hint: str | None = None
    field: str | None = Field(default=None, description="the offending field, e.g. `evidence.test_reports[0].unit`")
    severity: str = "error"


class ErrorBody(_Out):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [examples.ERROR]})

    diagnostics: list[DiagnosticOut]


# ------------------------------------------------------------------------------------------------ catalogue

class TextOut(_Out):
    zh: str
    en: str


class EditionOut(_Out):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [examples.EDITION]})

    ruleset_id: str
    standard: str
    implementation_rule: str | None
    title: TextOut | None
    in_force_from: dt.date
    until: dt.date | None
    accepted_until: dt.date | None
    accepted: bool = Field(description="accepted for applications evaluated on `as_of`")
    current: bool = Field(description="the edition in force on `as_of` (not only accepted in a transition)")
    version: str = Field(description="content hash of the rule set; every decision records it")
    criteria: int


class CategorySummary(_Out):
    id: str
    name: TextOut
    batch: int | None
    cqc_code: str | None
    standards: list[str]
    implementation_rules: list[str] = Field(description="the CNCA implementation rules, e.g. `CNCA-CGP-12:2021`; a code "
                                            "marked `(inferred)` was not read, `(repealed by …)` names the repealing notice")
    editions: list[EditionOut]


class CategoryList(_Out):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [examples.CATEGORY_LIST]})

    as_of: dt.date
    categories: list[CategorySummary]


class CategoryDetail(CategorySummary):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [examples.CATEGORY_DETAIL]})

    attributes: list[dict[str, Any]]
    parameters: list[dict[str, Any]]
    certification_units: list[dict[str, Any]]
    indicators: list[dict[str, Any]]
    notes: str | None


class CriterionOut(_Out):
    id: str
    indicator: str
    attribute: str
    requirement: str = Field(description="the pass condition as a person reads it, e.g. `≤ 100 mg/kg`")
    op: str
    value: Scalar | None = None
    low: float | None = None
    high: float | None = None
    values: list[Scalar] | None = None
    unit: str | None = None
    limit_shipped: bool = Field(description="false when the standard's number is not known here (overlay needed)")
    provenance: dict[str, Any]
    clause: str
    optional: bool
    applies_when: dict[str, Any] | None = None


class LabelOut(_Out):
    id: str
    kind: str
    name: TextOut
    attribute: str | None = None
    optional_share: float | None = None
    indicator: str | None = None
    grades: list[dict[str, Any]] | None = None
    clause: str | None = Field(default=None, description="the label's basis on `as_of` (the 2019 label measures until "
                               "2025-12-31, the 2026 Measures from 2026-01-01)")
    in_default_scope: bool


class EditionCriteria(_Out):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [examples.CRITERIA]})

    category: str
    ruleset_id: str
    standard: str
    version: str
    as_of: dt.date
    criteria: list[CriterionOut]


class EditionLabels(_Out):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [examples.LABELS]})

    category: str
    ruleset_id: str
    standard: str
    version: str
    as_of: dt.date
    labels: list[LabelOut]


# ------------------------------------------------------------------------------------------------ rule sets

class RuleSetVersionOut(_Out):
    ruleset_id: str
    category: str
    standard: str
    implementation_rule: str | None
    in_force_from: dt.date
    until: dt.date | None
    accepted_until: dt.date | None
    current: bool
    version: str
    overlays: list[str] = Field(default=[], description="ids of the overlays merged into this version (empty: the "
                                                        "shipped rule set)")
    organisation: str | None = Field(default=None, description="the organisation owning those overlays")


class RuleSetList(_Out):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [examples.RULESET_LIST]})

    as_of: dt.date
    rulesets: list[RuleSetVersionOut]


class RuleSetSnapshotOut(_Out):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [examples.SNAPSHOT]})

    version: str
    ruleset_id: str
    stored_at: dt.datetime | None = Field(description="when a decision first used it; null if no decision has yet")
    snapshot: dict[str, Any]


class ValidationReport(_Out):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [examples.VALIDATION_REPORT]})

    ok: bool
    kind: Literal["ruleset", "catalog", "unknown"]
    ids: list[str] = Field(description="ids of the rule sets or categories the file defines, when it loads")
    diagnostics: list[DiagnosticOut]


# ------------------------------------------------------------------------------------------------ decisions
# A faithful mirror of engine.decision (tests/api check the fields match); `extra="allow"` so a field the
# engine adds later is passed through rather than dropped before this mirror catches up.

class _Mirror(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")


class MeasuredOut(_Mirror):
    value: Scalar | None
    unit: str | None
    not_detected: bool
    reported_value: Scalar | None
    reported_unit: str | None
    detection_limit: float | None = None


class EvidenceRefOut(_Mirror):
    kind: str
    id: str
    laboratory: str | None = None
    qualifications: list[str] = []
    issued: dt.date | None = None
    model: str | None = None
    valid_until: dt.date | None = None


class RejectionOut(_Mirror):
    evidence: EvidenceRefOut
    reason: str
    detail: str


class CriterionResultOut(_Mirror):
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
    limit: Scalar | list[Any] | None
    limit_unit: str | None
    limit_status: str = Field(description="how strong the limit's source is: `primary` (the standard's own text), "
                              "`secondary` (a summary of it), `unconfirmed`, `default` (a configurable default), "
                              "`confirmed` (a rule file that does not state the strength), `none` (no limit shipped)")
    measured: MeasuredOut | None
    margin: float | None
    margin_relative: float | None
    evidence: EvidenceRefOut | None
    rejected: list[RejectionOut]
    clause: str
    source: str | None
    optional: bool


class RequirementResultOut(_Mirror):
    id: str
    name_zh: str
    name_en: str
    verdict: str
    reason: str | None
    detail: str | None
    evidence: EvidenceRefOut | None
    clause: str


class InspectionResultOut(_Mirror):
    verdict: str
    outcome: str | None
    reason: str | None
    detail: str | None
    deadline: dt.date | None
    clause: str


class OpenGradeOut(_Mirror):
    id: str
    detection_limit_max: float | None = Field(
        description="a not-detected result with a detection limit at or below this (in `unit`) proves the grade; "
                    "null when only a quantified result can decide it")
    unit: str | None


class LabelResultOut(_Mirror):
    id: str
    kind: str
    name_zh: str
    name_en: str
    status: str
    attribute: str | None
    grade: str | None = Field(description="grade labels: the grade the evidence proves; awarded only when `status` is "
                                          "`eligible`")
    failed: list[str]
    open: list[str]
    open_grades: list[OpenGradeOut] = Field(
        default=[], description="grade labels: the better grades a not-detected result leaves open, best first")


class MissingItemOut(_Mirror):
    kind: str
    ref: str
    who: str
    description: str
    due: dt.date | None = None


class DecisionOut(_Mirror):
    application_id: str | None
    category: str
    certification_unit: str | None
    product_model: str
    ruleset_id: str
    standard: str
    implementation_rule: str | None
    ruleset_version: str
    evaluated_on: dt.date
    outcome: Outcome
    scope: list[str]
    eligible_labels: list[str]
    labels: list[LabelResultOut]
    basic_requirements: list[RequirementResultOut]
    factory_inspection: InspectionResultOut | None
    criteria: list[CriterionResultOut]
    missing_evidence: list[MissingItemOut]
    caveats: list[str]
    binding: bool


# ------------------------------------------------------------------------------------------------ evaluations

class EvaluationOut(_Out):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [examples.EVALUATION]})

    id: str | None = Field(description="the record's id; null for a self-check that was not stored")
    binding: bool
    stored: bool
    organisation: str
    requested_by: str = Field(description="id of the API key that asked")
    created_at: dt.datetime | None
    as_of: dt.date
    supersedes: str | None = None
    decision: DecisionOut


class EvaluationDetail(EvaluationOut):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [examples.EVALUATION_DETAIL]})

    application: Any = Field(description="the application exactly as submitted")
    superseded_by: list[str] = Field(description="later records that re-evaluated this one")


class EvaluationSummary(_Out):
    id: str
    binding: bool
    category: str
    outcome: Outcome
    product_model: str | None
    application_id: str | None
    as_of: dt.date
    created_at: dt.datetime
    ruleset_id: str
    ruleset_version: str
    supersedes: str | None


class EvaluationPage(_Out):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [examples.EVALUATION_PAGE]})

    items: list[EvaluationSummary]
    total: int
    limit: int
    offset: int


class Reproduction(_Out):
    """A re-run of a recorded decision with the rule-set content it was made with. A record that can no longer
    be re-run (its application is refused today, its stored rule set cannot be rebuilt) says so as data:
    `reproducible: false`, `reproduced: null` and the diagnostics of the refusal in `reason`."""

    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [examples.REPRODUCTION,
                                                                           examples.REPRODUCTION_REFUSED]})

    id: str
    reproducible: bool = Field(description="the re-run could be made (false: see `reason`)")
    identical: bool = Field(description="the re-run with the recorded rule-set version gave the same decision "
                                        "(false when it could not be made)")
    ruleset_version: str
    as_of: dt.date
    differences: list[str] = Field(description="paths where the re-run differs (empty when identical, or when "
                                               "there was no re-run)")
    stored: DecisionOut
    reproduced: DecisionOut | None = Field(description="the re-run's decision; null when it could not be made")
    reason: ErrorBody | None = Field(default=None, description="why the re-run could not be made: the "
                                                               "diagnostics it was refused with; null when it was made")


# ------------------------------------------------------------------------------------------------ batch

APPLICATION_MARKER = "x-greencert-application"


def _application_schema(schema: dict[str, Any]) -> None:
    # pydantic cannot resolve a $ref it did not make; api.app swaps this marker for APPLICATION_REF
    schema.clear()
    schema.update({"type": "object", APPLICATION_MARKER: True})


class BatchItemIn(_In):
    application: Any = Field(json_schema_extra=_application_schema)
    as_of: IsoDate | None = Field(default=None, description="evaluation date of this item, YYYY-MM-DD (default: "
                                                            "the request's)")
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200, pattern=IDEMPOTENCY_KEY_PATTERN,
                                        description="a retried batch returns this item's first record")


class EvaluationBatchIn(_In):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [examples.BATCH_REQUEST]})

    items: list[BatchItemIn] = Field(min_length=1)


class SelfCheckBatchIn(EvaluationBatchIn):
    store: StrictBool = Field(default=False, description="keep the self-checks (visible only to your organisation)")


class BatchItemOut(_Out):
    index: int
    status: int = Field(description="what a single request would have returned: 201, 200 (replayed or not "
                                    "stored), 404 or 422")
    evaluation: EvaluationOut | None = None
    diagnostics: list[DiagnosticOut] = []


class BatchOut(_Out):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [examples.BATCH_RESPONSE]})

    results: list[BatchItemOut]
    summary: dict[str, int] = Field(description="counts per outcome and of `invalid` items")


# ------------------------------------------------------------------------------------------------ keys, health

class KeyCreateIn(_In):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [
        {"organisation": "CQC", "role": "certification_body", "name": "evaluation desk"}]})

    organisation: str | None = Field(default=None, min_length=1, max_length=200, pattern=_NAME_PATTERN,
                                     description="default: the caller's; an administrator may name only its own")
    role: ApiRole = Field(description="operator keys are made only on the server: `greencert keys create --role "
                                      "operator`")
    name: str | None = Field(default=None, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")


class KeyOut(_Out):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [examples.KEY]})

    id: str
    organisation: str
    role: Role
    name: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class KeyCreated(KeyOut):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [examples.KEY_CREATED]})

    token: str = Field(description="the Bearer token; shown once, only its hash is stored")


class Health(_Out):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [examples.HEALTH]})

    status: Literal["ok"]


class Readiness(_Out):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [examples.READINESS]})

    status: Literal["ready", "not_ready"]
    database: str
    schema_revision: str | None
    expected_revision: str | None
    rulesets: int
    evaluator: str = Field(description="which evaluator this process runs: `compiled (...)`, the build that `pip "
                                       "install` makes with mypyc, or `source (why)`, slower (engine/native.py)")
    diagnostics: list[DiagnosticOut] = []


class OperatorOut(_Out):
    """One comparison operator of the engine's registry (engine/ops), as a client needs to show it."""

    name: str = Field(description="the YAML key of a requirement or condition, e.g. `lte`")
    symbol: str = Field(description="its sign in requirement descriptions (`≤`); empty when it has none")
    summary: str = Field(description="its YAML form and what it means")
    kinds: list[Literal["quantity", "choice", "document"]] = Field(
        description="the kinds of indicator a requirement using it may test")
    bound: Literal["upper", "lower", "range"] | None = Field(
        description="which side of its limit a passing value lies: `upper` (at most the limit), `lower` (at least), "
                    "`range` (between a decision criterion's two limits); null when there is no one-number scale "
                    "(an exact value, a choice, a document)")
    conditions: bool = Field(description="whether a condition on a product parameter may use it too")


class OperatorList(_Out):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [examples.OPERATORS]})

    operators: list[OperatorOut]
