"""The impact jobs' request and answers (OpenAPI models with examples)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .schemas import IsoDate

__all__ = ["ImpactJobIn", "ImpactJobOut", "ImpactResultsPage", "JOB_EXAMPLE"]

_NO_NUL = r"^[^\x00]*$"
_WHAT_IF: Any = {"format": "greencert/overlay@1", "id": "acme/trial-2024", "target": "textiles/GB-T-35611-2024",
                 "source": "our licensed copy of GB/T 35611-2024 (trial values, not loaded)",
                 "criteria": [{"id": "resource_indicators", "requirement": {"eq": "conforms"},
                               "provenance": {"status": "unconfirmed", "source": "trial value"}}]}
JOB_EXAMPLE: Any = {
    "id": "5f0c6d2a-1b7e-4c1e-8f43-0a9d2c7e6b11", "status": "done", "category": "textiles",
    "edition": "GB/T 35611-2024", "ruleset_id": "textiles/GB-T-35611-2024", "as_of": "2026-11-01", "what_if": False,
    "overlay_id": None, "progress": {"done": 2663, "total": 2663},
    "summary": {"certificates": 2480, "counts": {"keep": 2301, "lose": 121, "undetermined": 58},
                "criteria_causing_losses": [{"id": "formaldehyde_infant", "certificates": 97}],
                "undetermined_because": [{"what": "evidence azo_dyes", "certificates": 41}]},
    "current_editions": {"textiles/GB-T-35611-2017": 2480},
    "conversion_deadlines": [{"edition": "textiles/GB-T-35611-2017", "certificates": 2480, "deadline": None,
                              "source": None, "note": "no conversion deadline: neither the rule set nor the body's "
                              "settings give a transition period (GREENCERT_CERTIFICATE_TRANSITION)"}],
    "diagnostics": [], "created_at": "2026-11-01T08:00:00Z", "started_at": "2026-11-01T08:00:01Z",
    "finished_at": "2026-11-01T08:00:09Z", "results": "/v1/impact-jobs/5f0c6d2a-1b7e-4c1e-8f43-0a9d2c7e6b11/results"}


class ImpactJobIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [
        {"category": "textiles", "edition": "GB/T 35611-2024", "as_of": "2026-11-01"},
        {"category": "textiles", "edition": "GB/T 35611-2024", "overlay": _WHAT_IF}]})

    category: str = Field(min_length=1, max_length=100, pattern=_NO_NUL)
    edition: str = Field(min_length=1, max_length=100, pattern=_NO_NUL,
                         description="the new edition: its standard (`GB/T 35611-2024`) or rule-set id")
    as_of: IsoDate | None = Field(default=None, description="the certificates valid on this day, evaluated as of it; "
                                                            "default the day the edition takes effect")
    overlay: dict[str, Any] | None = Field(
        default=None, description="what if: an overlay document (`greencert/overlay@1`, as JSON) targeting the "
        "edition, used for this job alone on top of the body's loaded overlays; never stored as rules")


class Progress(BaseModel):
    model_config = ConfigDict(frozen=True)
    done: int = Field(description="certificates of the category examined so far")
    total: int | None = Field(description="certificates of the category to examine (known once the job runs)")


class ImpactJobOut(BaseModel):
    """An impact job: where it is, and once done what it found (the per-certificate results are paginated)."""

    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [JOB_EXAMPLE]})

    id: str
    status: Literal["queued", "running", "done", "failed"]
    category: str
    edition: str
    ruleset_id: str
    as_of: dt.date
    what_if: bool
    overlay_id: Any = Field(description="the what-if overlay's id, if any")
    progress: Progress
    summary: dict[str, Any] | None = Field(description="counts (keep, lose, undetermined), the criteria causing "
                                                       "most losses, what most often leaves one undetermined")
    current_editions: dict[str, int] | None
    conversion_deadlines: list[dict[str, Any]] | None
    diagnostics: list[dict[str, Any]]
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    results: str | None = Field(description="where the per-certificate results are, once done")


class ImpactResult(BaseModel):
    model_config = ConfigDict(frozen=True)
    number: str
    verdict: Literal["keep", "lose", "undetermined"]
    outcome: str | None
    ruleset_id: str | None
    failing: list[dict[str, Any]] = Field(description="lose: {id, requirement, measured, unit, margin, "
                                                      "margin_relative} of each failing criterion")
    missing: list[str] = Field(description="undetermined: the evidence or limits missing")
    diagnostics: list[dict[str, Any]] = Field(description="undetermined: why no decision could be made")


class ImpactResultsPage(BaseModel):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [{
        "job": JOB_EXAMPLE["id"], "verdict": "lose", "limit": 50, "offset": 0, "has_more": False,
        "next_offset": None, "items": [{
            "number": "CQC-000412", "verdict": "lose", "outcome": "refused", "ruleset_id": "textiles/GB-T-35611-2024",
            "failing": [{"id": "formaldehyde_infant", "requirement": "≤ 15 mg/kg", "measured": 18.0, "unit": "mg/kg",
                         "margin": -3.0, "margin_relative": -0.2}], "missing": [], "diagnostics": []}]}]})

    job: str
    verdict: str | None
    items: list[ImpactResult]
    limit: int
    offset: int
    has_more: bool
    next_offset: int | None
