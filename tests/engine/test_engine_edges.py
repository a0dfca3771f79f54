"""Edge inputs that must give verdicts, never tracebacks."""

from __future__ import annotations

import datetime as dt

import pytest

from engine import Repository, application_from_data
from engine.diagnostics import DiagnosticError


def _app(value: float, unit: str) -> dict[str, object]:
    return {
        "category": "coatings",
        "product": {"model": "M", "parameters": {"base": "waterborne", "use": "interior_wall", "gloss_60": 5}},
        "evidence": {"test_reports": [{"id": "R1", "laboratory": {"name": "L", "qualifications": ["CMA"]},
                                       "issued": "2026-04-15", "model": "M",
                                       "results": [{"indicator": "benzene", "value": value, "unit": unit}]}]},
    }


def test_value_that_would_overflow_in_the_limit_unit_is_refused_at_intake() -> None:
    # 1.7e308 % is infinite in mg/kg; no physical measurement is beyond 1e100 (engine.intake.MAX_MAGNITUDE), so
    # the application is invalid before evaluation, as the API's 422 says
    repo = Repository.load()
    app, doc, diags = application_from_data(_app(1.7e308, "%"))
    assert app is not None and not diags
    with pytest.raises(DiagnosticError) as e:
        repo.check(app, doc, dt.date(2026, 11, 1))
    assert [(x.code, x.field) for x in e.value.diagnostics] == [
        ("application_value_error", "evidence.test_reports[0].results[0].value")]


def test_value_at_the_limit_in_another_unit_meets_it() -> None:
    repo = Repository.load()
    app, doc, _ = application_from_data(_app(0.01, "%"))  # 0.01 % = 100 mg/kg, the benzene limit
    assert app is not None
    c = repo.check(app, doc, dt.date(2026, 11, 1)).criterion("benzene")
    assert c.verdict == "pass" and c.margin == 0.0


@pytest.mark.parametrize(("value", "code"), [
    (float("nan"), "number_out_of_range"), (float("inf"), "number_out_of_range"),
    (-float("inf"), "number_out_of_range"), (10 ** 400, "number_out_of_range"), ("x\x00", "invalid_text"),
    ("\ud800", "invalid_text"),
])
def test_parsed_data_gets_the_reader_checks(value: object, code: str) -> None:
    """The API's JSON arrives parsed: application_from_data applies the checks the reader applies to text."""
    app, _, diags = application_from_data(_app(value, "mg/kg"))  # type: ignore[arg-type]
    assert app is None
    assert [(d.code, d.field) for d in diags] == [(code, "evidence.test_reports[0].results[0].value")]


def test_minus_zero_in_parsed_data_is_zero() -> None:
    app, _, diags = application_from_data(_app(-0.0, "mg/kg"))
    assert app is not None and not diags
    value = app.evidence.test_reports[0].results[0].value
    assert value == 0.0 and str(value) == "0.0"


def test_negative_and_huge_results_are_refused_by_intake() -> None:
    repo = Repository.load()
    for value, message in ((-12.0, "cannot be negative"), (1e200, "out of range")):
        app, doc, diags = application_from_data(_app(value, "mg/kg"))
        assert app is not None and not diags
        with pytest.raises(DiagnosticError) as e:
            repo.check(app, doc, dt.date(2026, 11, 1))
        assert [d.code for d in e.value.diagnostics] == ["application_value_error"]
        assert message in e.value.diagnostics[0].message
