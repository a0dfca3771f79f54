"""The application format: a product and the evidence submitted for it (typed, frozen)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Laboratory", "TestResult", "TestReport", "CorrectiveAction", "FactoryInspection", "Certificate",
    "Declaration", "Evidence", "Product", "Application",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Laboratory(_Strict):
    name: str
    qualifications: tuple[Literal["CMA", "CNAS", "ISO17025"], ...] = ()


class TestResult(_Strict):
    """A measured value with its unit, or `not_detected` at a detection limit (in `unit`)."""

    __test__ = False  # not a pytest test class

    indicator: str
    value: float | str | bool | None = None
    unit: str | None = None
    not_detected: bool = False
    detection_limit: float | None = None


class TestReport(_Strict):
    __test__ = False

    id: str
    laboratory: Laboratory
    issued: dt.date
    model: str
    results: tuple[TestResult, ...]


class CorrectiveAction(_Strict):
    deadline: dt.date
    description: str | None = None
    verified: bool = False
    verified_on: dt.date | None = None


class FactoryInspection(_Strict):
    outcome: Literal["pass", "corrective_action", "fail"]
    date: dt.date | None = None
    inspector: str | None = None
    corrective_action: CorrectiveAction | None = None


class Certificate(_Strict):
    standard: str
    number: str | None = None
    issued_by: str | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date


class Declaration(_Strict):
    id: str
    signed: dt.date | None = None
    by: str | None = None
    text: str | None = None


class Evidence(_Strict):
    test_reports: tuple[TestReport, ...] = ()
    factory_inspection: FactoryInspection | None = None
    certificates: tuple[Certificate, ...] = ()
    declarations: tuple[Declaration, ...] = ()


class Product(_Strict):
    model: str
    name: str | None = None
    manufacturer: str | None = None
    production_site: str | None = None
    parameters: dict[str, bool | int | float | str] = Field(default_factory=dict)


class Application(_Strict):
    format: Literal["greencert/application@1"] = "greencert/application@1"
    id: str | None = None
    category: str
    certification_unit: str | None = None
    edition: str | None = None
    scope: tuple[str, ...] | None = None
    product: Product
    evidence: Evidence = Evidence()
