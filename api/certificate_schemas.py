"""The certificate answers of the API (OpenAPI models with examples), kept apart from the engine's records."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CertificateOut", "CertificatePage", "EventRecorded", "DueList", "PublicCertificate", "StatusOut"]

_LABELS: Any = [{"id": "green_product", "kind": "full", "name_zh": "绿色产品（全项）", "name_en": "Green product (full)",
                 "attribute": None, "grade": None}]
_SCHEDULE: Any = {"validity": {"value": 5, "unit": "years", "provenance": "secondary",
                               "source": "allbrightlaw.com/EN/10531/1E73DF26DB944F50.aspx (summary of the 2026 "
                                         "Measures, 4th paragraph)", "set_by": "catalogue"},
                  "surveillance_interval": None, "suspension_period": None, "renewal_window": None, "transition": None}
STATUS_EXAMPLE: Any = {
    "as_of": "2027-03-01", "state": "valid", "valid": True, "since": "2026-11-05", "reason": None,
    "suspension_deadline": None, "deadline_missed": False, "last_surveillance": None, "surveillance_due": None,
    "surveillance_overdue": False,
    "notes": ["surveillance interval not set (no source gives it): no surveillance due date is derived"],
    "events_in_effect": 1, "category": "coatings", "edition": "coatings/GB-T-35602-2017",
    "standard": "GB/T 35602-2017", "ruleset_version": "sha256:373bf75d…", "models": ["LW-2100"],
    "certification_units": ["interior_wall_low_gloss"], "label_kind": "full", "labels": _LABELS,
    "issued_on": "2026-11-05", "expires_on": "2031-11-05", "valid_until": "2031-11-04",
    "decisions": ["6f1c2b1e-8a0e-4c8a-9a57-3d1f0c1d2e3f"]}
EVENT_EXAMPLE: Any = {
    "sequence": 1, "kind": "issued", "on": "2026-11-05", "reason": None,
    "evaluation_id": "6f1c2b1e-8a0e-4c8a-9a57-3d1f0c1d2e3f", "ruleset_version": "sha256:373bf75d…", "deadline": None,
    "models": [], "units": [], "schedule": _SCHEDULE, "recorded_by": "key_7d1f639d7504300e",
    "organisation": "CQC", "recorded_at": "2026-11-05T08:00:00Z"}
CERTIFICATE_EXAMPLE: Any = {
    "number": "CQC-000001", "issued_by": "CQC", "holder": "acme-coatings", "holder_name": "Acme Coatings Co., Ltd.",
    "manufacturer": "Acme Coatings Co., Ltd.", "production_sites": ["Foshan plant 1"], "category": "coatings",
    "evaluation_id": "6f1c2b1e-8a0e-4c8a-9a57-3d1f0c1d2e3f", "created_at": "2026-11-05T08:00:00Z",
    "status": STATUS_EXAMPLE, "events": [EVENT_EXAMPLE]}


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class LabelOut(_Out):
    id: str
    kind: str
    name_zh: str | None = None
    name_en: str | None = None
    attribute: str | None = None
    grade: str | None = None


class StatusOut(_Out):
    """A certificate on a day, derived from its log (`engine.certificates.Status`)."""

    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [STATUS_EXAMPLE]})

    as_of: dt.date
    state: str
    valid: bool
    since: dt.date | None
    reason: str | None
    suspension_deadline: dt.date | None
    deadline_missed: bool
    last_surveillance: dt.date | None
    surveillance_due: dt.date | None
    surveillance_overdue: bool
    notes: list[str]
    events_in_effect: int
    category: str | None
    edition: str | None
    standard: str | None
    ruleset_version: str | None
    models: list[str]
    certification_units: list[str]
    label_kind: str | None
    labels: list[LabelOut]
    issued_on: dt.date | None
    expires_on: dt.date | None
    valid_until: dt.date | None
    decisions: list[str]


class EventOut(_Out):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [EVENT_EXAMPLE]})

    sequence: int
    kind: str
    on: dt.date
    reason: str | None
    evaluation_id: str | None
    ruleset_version: str | None
    deadline: dt.date | None
    models: list[str]
    units: list[str]
    schedule: dict[str, Any] | None
    recorded_by: str
    organisation: str
    recorded_at: dt.datetime


class CertificateOut(_Out):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [CERTIFICATE_EXAMPLE]})

    number: str
    issued_by: str
    holder: str
    holder_name: str
    manufacturer: str | None
    production_sites: list[str]
    category: str
    region: str | None = None
    evaluation_id: str
    created_at: dt.datetime
    status: StatusOut
    events: list[EventOut] | None = None


class CertificatePage(_Out):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [
        {"items": [{**CERTIFICATE_EXAMPLE, "events": None}], "total": 1, "limit": 50, "offset": 0,
         "as_of": "2027-03-01"}]})

    items: list[CertificateOut]
    total: int
    limit: int
    offset: int
    as_of: dt.date


class EventRecorded(_Out):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [
        {"event": {**EVENT_EXAMPLE, "sequence": 2, "kind": "suspended", "on": "2027-12-01",
                   "reason": "complaint verified", "evaluation_id": None, "ruleset_version": None,
                   "deadline": "2028-03-01", "schedule": None},
         "certificate": {**CERTIFICATE_EXAMPLE, "events": None,
                         "status": {**STATUS_EXAMPLE, "as_of": "2027-12-01", "state": "suspended", "valid": False,
                                    "since": "2027-12-01", "reason": "complaint verified",
                                    "suspension_deadline": "2028-03-01", "events_in_effect": 2}}}]})

    event: EventOut
    certificate: CertificateOut


class DueItemOut(_Out):
    number: str
    kind: str
    due: dt.date
    detail: str
    state: str
    holder_name: str


class DueList(_Out):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [
        {"as_of": "2027-03-11", "within_days": 30,
         "items": [{"number": "CQC-000001", "kind": "suspension_lapsed", "due": "2027-03-10",
                    "detail": "suspension deadline 2027-03-10 passed: revoke or record why not", "state": "suspended",
                    "holder_name": "Acme Coatings Co., Ltd."}],
         "schedule": _SCHEDULE,
         "schedules": {},
         "notes": ["`surveillance_interval` is not set (no source gives it): set "
                   "GREENCERT_CERTIFICATE_SURVEILLANCE_INTERVAL (every rule set) or `certificate: "
                   "surveillance_interval` in an overlay (one rule set) to derive what depends on it for new "
                   "certificates"]}]})

    as_of: dt.date
    within_days: int
    items: list[DueItemOut]
    schedule: dict[str, Any] = Field(description="the schedule every rule set of the body starts from (the "
                                                 "catalogue's settings, then the service's); each setting says its "
                                                 "`provenance`, `source` and `set_by`")
    schedules: dict[str, dict[str, Any]] = Field(default_factory=dict, description="per rule set whose schedule "
                                                 "differs (its own settings or an overlay's): that schedule")
    notes: list[str]


class PublicCertificate(_Out):
    """What anyone may read about a certificate: no test values, no application, no reasons."""

    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [
        {"number": "CQC-000001", "as_of": "2027-03-01", "state": "valid", "valid": True, "since": "2026-11-05",
         "issued_by": "CQC", "holder_name": "Acme Coatings Co., Ltd.", "manufacturer": "Acme Coatings Co., Ltd.",
         "production_sites": ["Foshan plant 1"], "category": "coatings", "models": ["LW-2100"],
         "certification_units": ["interior_wall_low_gloss"], "edition": "coatings/GB-T-35602-2017",
         "standard": "GB/T 35602-2017", "label_kind": "full", "labels": _LABELS, "issued_on": "2026-11-05",
         "valid_until": "2031-11-04"}]})

    number: str
    as_of: dt.date
    state: str
    valid: bool
    since: dt.date | None
    issued_by: str
    holder_name: str
    manufacturer: str | None
    production_sites: list[str]
    category: str
    region: str | None = None
    models: list[str]
    certification_units: list[str]
    edition: str | None
    standard: str | None
    label_kind: str | None
    labels: list[LabelOut]
    issued_on: dt.date | None
    valid_until: dt.date | None
