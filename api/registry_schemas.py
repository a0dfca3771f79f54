"""The registry's answers (OpenAPI models with examples): procurement pages, model coverage, draws."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict

from .certificate_schemas import PublicCertificate

__all__ = ["RegistryPage", "Coverage", "DrawOut", "DrawReproduction", "PUBLIC_EXAMPLE"]

PUBLIC_EXAMPLE: Any = {
    "number": "CQC-000001", "as_of": "2027-03-01", "state": "valid", "valid": True, "since": "2026-11-05",
    "issued_by": "CQC", "holder_name": "Acme Coatings Co., Ltd.", "manufacturer": "Acme Coatings Co., Ltd.",
    "production_sites": ["Foshan plant 1"], "category": "coatings", "region": "广东", "models": ["LW-2100"],
    "certification_units": ["interior_wall_low_gloss"], "edition": "coatings/GB-T-35602-2017",
    "standard": "GB/T 35602-2017", "label_kind": "full",
    "labels": [{"id": "green_product", "kind": "full", "name_zh": "绿色产品（全项）", "name_en": "Green product (full)",
                "attribute": None, "grade": None}],
    "issued_on": "2026-11-05", "valid_until": "2031-11-04"}
_DRAW_EXAMPLE: Any = {
    "id": "3c1d0e52-6b8f-4a43-9d7e-2f5b1a9c8e10", "seed": "2027-Q1 supervision", "as_of": "2027-03-01",
    "filters": {"category": "coatings"}, "requested": 2, "population": 1250, "drawn_at": "2027-03-01T08:00:00Z",
    "issued_by": "CQC", "certificates": [
        {"number": "CQC-000412", "checked_on": "2027-03-20", "outcome": "granted"},
        {"number": "CQC-001031", "checked_on": None, "outcome": None}]}


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class RegistryPage(_Out):
    """Certificates valid on a day matching the filters, by number; `has_more` when another page follows."""

    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [
        {"as_of": "2027-03-01", "filters": {"category": "coatings"}, "items": [PUBLIC_EXAMPLE], "limit": 50,
         "offset": 0, "has_more": False, "next_offset": None}]})

    as_of: dt.date
    filters: dict[str, str]
    items: list[PublicCertificate]
    limit: int
    offset: int
    has_more: bool
    next_offset: int | None
    next_after: str | None = None  # the number to pass as `after` for the next page (keyset)


class Coverage(_Out):
    """Whether a model is covered by a valid certificate on a day, and by which."""

    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [
        {"model": "LW-2100", "as_of": "2027-03-01", "covered": True, "certificates": [PUBLIC_EXAMPLE]}]})

    model: str
    as_of: dt.date
    covered: bool
    certificates: list[PublicCertificate]


class DrawCheck(_Out):
    number: str
    checked_on: dt.date | None
    outcome: str | None


class DrawOut(_Out):
    """A random draw: its seed, day, filters, the population's size, the certificates drawn and their checks."""

    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [_DRAW_EXAMPLE]})

    id: str
    seed: str
    as_of: dt.date
    filters: dict[str, str]
    requested: int
    population: int
    drawn_at: dt.datetime
    issued_by: str
    certificates: list[DrawCheck]


class DrawReproduction(_Out):
    """The draw made again from its recorded seed on the registry as it was when it was recorded."""

    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [
        {"id": "3c1d0e52-6b8f-4a43-9d7e-2f5b1a9c8e10", "seed": "2027-Q1 supervision",
         "recorded": ["CQC-000412", "CQC-001031"], "reproduced": ["CQC-000412", "CQC-001031"], "same": True}]})

    id: str
    seed: str
    recorded: list[str]
    reproduced: list[str]
    same: bool
