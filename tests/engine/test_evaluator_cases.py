"""Example-based tests of the evaluation semantics, one (or one group) per rule of docs/semantics.md §1–§5."""

# Most examples use a small rule set written below (the `cases` category, in a temporary directory; its
# numbers are test data, nothing is shipped). The certificate and scope rules also use the shipped coatings
# rule set. Every decision is also checked against the reference evaluator, so each example pins both.

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from engine import Decision, Repository, application_from_data
from engine.diagnostics import DiagnosticError
from tests.support.reference_evaluator import diff, engine_view, evaluate_reference, reference_view

AS_OF = dt.date(2026, 6, 1)

CATALOG = """\
format: greencert/catalog@1
category:
  id: cases
  name: {zh: 示例品类, en: Example category}
  standards:
    - {code: CASES 1-2020, source: "test data, not a real standard"}
  attributes:
    - {id: resource, name: {zh: 资源属性, en: Resource}}
    - {id: environment, name: {zh: 环境属性, en: Environment}}
    - {id: quality, name: {zh: 品质属性, en: Quality}}
    - {id: energy, name: {zh: 能源属性, en: Energy}}
  parameters:
    - {id: size, name: {zh: 尺寸, en: Size}, type: number, unit: mm}
  certification_units:
    - {id: small, name: {zh: 小, en: Small}, defined_by: {size: {lte: 10}}}
    - {id: large, name: {zh: 大, en: Large}, defined_by: {size: {gt: 10}}}
  indicators:
    - {id: lead, name: {zh: 铅, en: Lead}, aliases: [Pb], unit: mg/kg, attribute: environment}
    - {id: emission, name: {zh: 释放量, en: Emission}, unit: mg/m^3, attribute: environment}
    - {id: benzene, name: {zh: 苯, en: Benzene}, unit: mg/kg, attribute: environment}
    - {id: voc, name: {zh: 挥发性有机物, en: VOC}, unit: g/L, attribute: environment}
    - {id: strength, name: {zh: 强度, en: Strength}, unit: MPa, attribute: quality}
    - {id: density, name: {zh: 密度, en: Density}, unit: kg/m^3, attribute: quality}
    - {id: layers, name: {zh: 层数, en: Layers}, unit: '1', attribute: quality}
    - {id: colour, name: {zh: 颜色, en: Colour}, kind: choice, choices: [red, green, blue], attribute: quality}
    - {id: recycled, name: {zh: 再生料, en: Recycled content}, unit: '%', attribute: resource}
    - {id: recycling_plan, name: {zh: 回收方案, en: Recycling plan}, kind: document, attribute: resource}
    - {id: energy_use, name: {zh: 单位产品能耗, en: Energy use}, unit: MJ/t, attribute: energy}
"""

RULES = """\
format: greencert/ruleset@1
id: cases/CASES-1
category: cases
standard: CASES 1-2020
in_force: {from: 2020-01-01}
evidence_defaults: {laboratory: [CMA], same_model: true}
basic_requirements:
  - {id: qms, name: {zh: 质量管理体系, en: QMS}, clause: t 4.1, proof: {certificate: GB/T 19001}}
  - {id: no_accident, name: {zh: 无事故, en: No accident}, clause: t 4.2, proof: {declaration: no_major_accident}}
factory_inspection: {required: true, clause: t 6}
criteria:
  - {id: lead, indicator: lead, requirement: {lte: 100, unit: mg/kg}, clause: t 5.1,
     provenance: {status: confirmed, source: test}}
  - {id: emission, indicator: emission, requirement: {lt: 0.05}, applies_when: {certification_units: [small]},
     clause: t 5.2, provenance: {status: confirmed, source: test}}
  - {id: benzene, indicator: benzene, requirement: {not_detected: true, detection_limit_max: 5}, clause: t 5.3,
     provenance: {status: confirmed, source: test}}
  - {id: voc, indicator: voc, requirement: {lte: null}, optional: true, clause: t 5.4,
     provenance: {status: unconfirmed}}
  - {id: strength, indicator: strength, requirement: {gte: 20}, optional: true, clause: t 5.5,
     provenance: {status: confirmed, source: test}}
  - {id: density, indicator: density, requirement: {between: [600, 900]}, applies_when: {parameters: {size: {gte: 5}}},
     clause: t 5.6, provenance: {status: confirmed, source: test}}
  - {id: layers, indicator: layers, requirement: {eq: 3}, clause: t 5.7, provenance: {status: confirmed, source: test}}
  - {id: colour, indicator: colour, requirement: {one_of: [red, green]}, optional: true, clause: t 5.8,
     provenance: {status: confirmed, source: test}}
  - id: recycled
    indicator: recycled
    requirement: {gt: 10}
    optional: true
    evidence: {laboratory: [CNAS], max_age_days: 730, same_model: false, provenance: {status: default, source: test}}
    clause: t 5.9
    provenance: {status: confirmed, source: test}
  - {id: recycling_plan, indicator: recycling_plan, requirement: {present: true}, clause: t 5.10,
     provenance: {status: confirmed, source: test}}
  - {id: energy, indicator: energy_use, requirement: {lte: 10, unit: kgce/t}, applies_when: {certification_units: [large]},
     clause: t 5.11, provenance: {status: confirmed, source: test}}
labels:
  - {id: full, kind: full, name: {zh: 全项, en: Full}}
  - {id: environment, kind: partial, attribute: environment, name: {zh: 环境, en: Environment}}
  - {id: resource, kind: partial, attribute: resource, name: {zh: 资源, en: Resource}}
  - {id: energy, kind: partial, attribute: energy, name: {zh: 能源, en: Energy}}
  - {id: silver, kind: tier, optional_share: 0.5, name: {zh: 银, en: Silver}}
  - id: lead_grade
    kind: grade
    indicator: lead
    name: {zh: 铅等级, en: Lead grade}
    grades:
      - {id: low, requirement: {lte: 10}, provenance: {status: confirmed, source: test}}
      - {id: mid, requirement: {lte: 0.005, unit: '%'}, provenance: {status: confirmed, source: test}}
      - {id: high, requirement: {lte: 100}, provenance: {status: confirmed, source: test}}
  - id: voc_grade
    kind: grade
    indicator: voc
    name: {zh: 挥发物等级, en: VOC grade}
    grades:
      - {id: A, requirement: {lte: 10}, provenance: {status: confirmed, source: test}}
      - {id: B, requirement: {between: [10, 60]}, provenance: {status: confirmed, source: test}}
"""


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repository]:
    root = tmp_path_factory.mktemp("cases")
    (root / "catalogs").mkdir()
    (root / "rules").mkdir()
    (root / "catalogs" / "cases.yaml").write_text(CATALOG, encoding="utf-8")
    (root / "rules" / "cases.yaml").write_text(RULES, encoding="utf-8")
    repo = Repository.load([root / "catalogs", root / "rules"])
    yield repo
    repo.close()


@pytest.fixture(scope="module")
def shipped() -> Iterator[Repository]:
    repo = Repository.load()
    yield repo
    repo.close()


def good_app() -> dict[str, Any]:
    """A `cases` application that is granted: every criterion that applies passes."""
    return {
        "category": "cases",
        "certification_unit": "small",
        "product": {"model": "M1", "parameters": {"size": 5}},
        "evidence": {
            "test_reports": [{
                "id": "R1", "laboratory": {"name": "Lab A", "qualifications": ["CMA", "CNAS"]},
                "issued": "2026-05-01", "model": "M1",
                "results": [
                    {"indicator": "lead", "value": 12, "unit": "mg/kg"},
                    {"indicator": "emission", "value": 0.02, "unit": "mg/m^3"},
                    {"indicator": "benzene", "not_detected": True, "detection_limit": 1, "unit": "mg/kg"},
                    {"indicator": "voc", "value": 50, "unit": "g/L"},
                    {"indicator": "strength", "value": 25, "unit": "MPa"},
                    {"indicator": "density", "value": 700, "unit": "kg/m^3"},
                    {"indicator": "layers", "value": 3, "unit": "1"},
                    {"indicator": "colour", "value": "red"},
                    {"indicator": "recycled", "value": 15, "unit": "%"},
                ],
            }],
            "factory_inspection": {"outcome": "pass"},
            "certificates": [{"standard": "GB/T 19001-2016", "valid_until": "2028-01-01"}],
            "declarations": [{"id": "no_major_accident"}, {"id": "recycling_plan"}],
        },
    }


def decide(repo: Repository, data: dict[str, Any], as_of: dt.date = AS_OF) -> Decision:
    """The engine's decision, after checking that the reference evaluator decides the same."""
    app, doc, diags = application_from_data(data)
    assert app is not None and not diags, diags
    decision = repo.check(app, doc, as_of)
    rs = repo.rulesets[decision.ruleset_id]
    ref = evaluate_reference(rs, repo.categories[rs.category], app, as_of, decision.certification_unit)
    assert diff(engine_view(decision), reference_view(ref)) == []
    return decision


def result(data: dict[str, Any], indicator: str) -> dict[str, Any]:
    """The result for `indicator` in an application's first report (or in a report given directly)."""
    report = data["evidence"]["test_reports"][0] if "evidence" in data else data
    return next(r for r in report["results"] if r["indicator"] == indicator)


def verdict(d: Decision, cid: str) -> tuple[str, str | None]:
    c = d.criterion(cid)
    return c.verdict, c.reason


def test_the_good_application_is_granted(cases: Repository) -> None:
    d = decide(cases, good_app())
    assert d.outcome == "granted"
    assert d.eligible_labels == ("full", "environment", "resource", "silver", "lead_grade", "voc_grade")
    assert {c.id: c.verdict for c in d.criteria} == {
        "lead": "pass", "emission": "pass", "benzene": "pass", "voc": "undetermined", "strength": "pass",
        "density": "pass", "layers": "pass", "colour": "pass", "recycled": "pass", "recycling_plan": "pass",
        "energy": "not_applicable"}


# ---------------------------------------------------------------------------------------------- §1 applicability

def test_criterion_for_another_certification_unit_is_not_applicable(cases: Repository) -> None:
    data = good_app()
    data["certification_unit"] = "large"
    data["product"]["parameters"]["size"] = 20
    d = decide(cases, data)
    assert verdict(d, "emission") == ("not_applicable", None)
    assert d.criterion("emission").evidence is None


@pytest.mark.parametrize(("size", "expected"), [(5, "pass"), (4.99, "not_applicable")])
def test_parameter_condition_decides_applicability(cases: Repository, size: float, expected: str) -> None:
    data = good_app()
    data["product"]["parameters"]["size"] = size
    assert decide(cases, data).criterion("density").verdict == expected


# ---------------------------------------------------------------------------------------------- §2 admission

@pytest.mark.parametrize(("issued", "expected"), [
    ("2026-06-01", ("pass", None)),  # issued on the evaluation date
    ("2026-06-02", ("not_acceptable", "issued_after_evaluation_date")),
    ("2025-06-01", ("pass", None)),  # exactly 365 days old
    ("2025-05-31", ("not_acceptable", "expired")),  # 366 days
])
def test_report_date_admission(cases: Repository, issued: str, expected: tuple[str, str | None]) -> None:
    data = good_app()
    data["evidence"]["test_reports"][0]["issued"] = issued
    assert verdict(decide(cases, data), "lead") == expected


def test_max_age_defaults_to_365_days_when_the_rule_set_gives_none(cases: Repository) -> None:
    # `cases` states a laboratory and same_model in evidence_defaults but no max_age_days
    assert cases.rulesets["cases/CASES-1"].evidence_defaults.max_age_days is None
    data = good_app()
    data["evidence"]["test_reports"][0]["issued"] = "2024-06-01"
    d = decide(cases, data)
    assert verdict(d, "lead") == ("not_acceptable", "expired")
    assert verdict(d, "recycled") == ("pass", None)  # its own policy accepts 730 days


def test_unqualified_laboratory(cases: Repository) -> None:
    data = good_app()
    data["evidence"]["test_reports"][0]["laboratory"]["qualifications"] = ["CNAS"]
    d = decide(cases, data)
    assert verdict(d, "lead") == ("not_acceptable", "unqualified_laboratory")
    assert verdict(d, "recycled") == ("pass", None)  # the criterion's own policy asks for CNAS


def test_other_model(cases: Repository) -> None:
    data = good_app()
    data["evidence"]["test_reports"][0]["model"] = "M2"
    d = decide(cases, data)
    assert verdict(d, "lead") == ("not_acceptable", "other_model")
    assert verdict(d, "recycled") == ("pass", None)  # same_model: false


def test_policy_problems_are_checked_in_order(cases: Repository) -> None:
    data = good_app()
    report = data["evidence"]["test_reports"][0]
    report.update(issued="2026-07-01", model="M2", laboratory={"name": "Lab B", "qualifications": []})
    assert verdict(decide(cases, data), "lead") == ("not_acceptable", "issued_after_evaluation_date")
    report.update(issued="2020-01-01")
    assert verdict(decide(cases, data), "lead") == ("not_acceptable", "expired")
    report.update(issued="2026-05-01")
    assert verdict(decide(cases, data), "lead") == ("not_acceptable", "unqualified_laboratory")


@pytest.mark.parametrize(("indicator", "change", "reason"), [
    ("lead", {"value": None, "not_detected": True}, "detection_limit_missing"),
    ("strength", {"value": None, "not_detected": True, "detection_limit": 1}, "not_detected_not_comparable"),
    ("lead", {"value": None, "not_detected": True, "detection_limit": 101}, "detection_limit_too_high"),
    ("benzene", {"detection_limit": 6}, "detection_limit_too_high"),
])
def test_value_problems(cases: Repository, indicator: str, change: dict[str, Any], reason: str) -> None:
    data = good_app()
    r = result(data, indicator)
    r.update(change)
    if r.get("value") is None:
        r.pop("value", None)
    assert verdict(decide(cases, data), indicator) == ("not_acceptable", reason)


@pytest.mark.parametrize(("change", "code", "field"), [
    ({"unit": "MPa"}, "application_unit_error", "unit"),  # a pressure for a concentration: a mistake, not a gap
    ({"value": -12}, "application_value_error", "value"),  # a concentration cannot be negative
])
def test_impossible_results_are_refused_at_intake(cases: Repository, change: dict[str, Any], code: str,
                                                  field: str) -> None:
    data = good_app()
    r = result(data, "lead")
    r.update(change)
    if r.get("value") is None:
        r.pop("value", None)
    app, doc, diags = application_from_data(data)
    assert app is not None and not diags
    with pytest.raises(DiagnosticError) as e:
        cases.check(app, doc, AS_OF)
    assert [(d.code, (d.field or "").rsplit(".", 1)[-1]) for d in e.value.diagnostics] == [(code, field)]


def test_newest_acceptable_report_is_used_and_first_listed_wins_a_tie(cases: Repository) -> None:
    data = good_app()
    base = data["evidence"]["test_reports"][0]
    older = copy.deepcopy(base) | {"id": "R0", "issued": "2026-01-01"}
    result(older, "lead")["value"] = 200
    tie = copy.deepcopy(base) | {"id": "R2"}
    result(tie, "lead")["value"] = 300
    data["evidence"]["test_reports"] = [older, base, tie]
    d = decide(cases, data)
    evidence = d.criterion("lead").evidence
    assert evidence is not None and evidence.id == "R1"
    assert verdict(d, "lead") == ("pass", None)


def test_value_is_converted_to_the_limits_unit(cases: Repository) -> None:
    data = good_app()
    result(data, "lead").update(value=0.011, unit="%")  # 110 mg/kg
    d = decide(cases, data)
    assert verdict(d, "lead") == ("fail", "limit_exceeded")
    measured = d.criterion("lead").measured
    assert measured is not None and measured.value == pytest.approx(110)
    assert d.criterion("lead").margin == pytest.approx(-10)


def test_indicator_named_by_chinese_name_alias_or_english_name(cases: Repository) -> None:
    data = good_app()
    result(data, "lead")["indicator"] = "铅"
    result(data, "emission")["indicator"] = "EMISSION"
    result(data, "benzene")["indicator"] = "Benzene"
    d = decide(cases, data)
    assert [verdict(d, c)[0] for c in ("lead", "emission", "benzene")] == ["pass", "pass", "pass"]
    result(data, "铅")["indicator"] = "Pb"
    assert decide(cases, data).criterion("lead").verdict == "pass"


def test_alias_in_another_case_is_accepted(cases: Repository) -> None:
    data = good_app()
    result(data, "lead")["indicator"] = "PB"
    assert decide(cases, data).criterion("lead").verdict == "pass"


def test_document_criterion_is_proved_by_a_declaration(cases: Repository) -> None:
    data = good_app()
    assert verdict(decide(cases, data), "recycling_plan") == ("pass", None)
    data["evidence"]["declarations"] = [{"id": "no_major_accident"}]
    assert verdict(decide(cases, data), "recycling_plan") == ("missing", "no_evidence")


# ---------------------------------------------------------------------------------------------- §3 verdicts

def test_criterion_without_a_shipped_limit_is_undetermined_whatever_the_evidence(cases: Repository) -> None:
    data = good_app()
    assert verdict(decide(cases, data), "voc") == ("undetermined", "limit_unconfirmed")
    result(data, "voc")["value"] = 10 ** 9
    assert verdict(decide(cases, data), "voc") == ("undetermined", "limit_unconfirmed")


def test_missing_and_not_acceptable(cases: Repository) -> None:
    data = good_app()
    results = data["evidence"]["test_reports"][0]["results"]
    results.remove(result(data, "lead"))
    assert verdict(decide(cases, data), "lead") == ("missing", "no_evidence")
    second = {"id": "R2", "laboratory": {"name": "Lab B", "qualifications": ["CMA"]}, "issued": "2026-05-01",
              "model": "M2", "results": [{"indicator": "lead", "value": 1, "unit": "mg/kg"}]}
    third = second | {"id": "R3", "issued": "2026-07-01", "model": "M1"}
    data["evidence"]["test_reports"] += [second, third]
    d = decide(cases, data)
    assert verdict(d, "lead") == ("not_acceptable", "issued_after_evaluation_date")  # the last candidate's reason
    assert [r.reason for r in d.criterion("lead").rejected] == ["other_model", "issued_after_evaluation_date"]


@pytest.mark.parametrize(("indicator", "value", "expected"), [
    ("lead", 100, "pass"), ("lead", 100.0000001, "fail"),  # lte
    ("emission", 0.05, "fail"), ("emission", 0.0499999, "pass"),  # lt
    ("strength", 20, "pass"), ("strength", 19.99, "fail"),  # gte
    ("recycled", 10, "fail"), ("recycled", 10.01, "pass"),  # gt
    ("layers", 3, "pass"), ("layers", 3.0001, "fail"),  # eq
    ("density", 600, "pass"), ("density", 900, "pass"), ("density", 599.9, "fail"), ("density", 900.1, "fail"),
])
def test_comparisons_at_and_around_the_limit(cases: Repository, indicator: str, value: float, expected: str) -> None:
    data = good_app()
    result(data, indicator)["value"] = value
    assert decide(cases, data).criterion(indicator).verdict == expected


@pytest.mark.parametrize(("detection_limit", "expected"), [(0.05, ("pass", None)),
                                                           (0.06, ("not_acceptable", "detection_limit_too_high"))])
def test_not_detected_passes_lt_when_its_detection_limit_is_at_most_the_limit(
        cases: Repository, detection_limit: float, expected: tuple[str, str | None]) -> None:
    data = good_app()
    result(data, "emission").update(not_detected=True, detection_limit=detection_limit)
    del result(data, "emission")["value"]
    assert verdict(decide(cases, data), "emission") == expected


@pytest.mark.parametrize(("value", "expected"), [("red", "pass"), ("green", "pass"), ("blue", "fail")])
def test_one_of(cases: Repository, value: str, expected: str) -> None:
    data = good_app()
    result(data, "colour")["value"] = value
    assert decide(cases, data).criterion("colour").verdict == expected


@pytest.mark.parametrize(("change", "expected"), [
    ({"detection_limit": 5}, ("pass", None)),
    ({"not_detected": False, "value": 0.5}, ("fail", "limit_exceeded")),  # detected, however little
])
def test_not_detected_requirement(cases: Repository, change: dict[str, Any], expected: tuple[str, str | None]) -> None:
    data = good_app()
    r = result(data, "benzene")
    r.update(change)
    if not r["not_detected"]:
        del r["detection_limit"]
        del r["not_detected"]
    assert verdict(decide(cases, data), "benzene") == expected


@pytest.mark.parametrize(("indicator", "value", "margin", "relative"), [
    ("lead", 12, 88, 0.88),  # upper bound: limit − value
    ("strength", 25, 5, 0.25),  # lower bound: value − limit
    ("density", 650, 50, 50 / 300),  # range: min(value − low, high − value), relative to high − low
    ("density", 880, 20, 20 / 300),
])
def test_margin(cases: Repository, indicator: str, value: float, margin: float, relative: float) -> None:
    data = good_app()
    result(data, indicator)["value"] = value
    c = decide(cases, data).criterion(indicator)
    assert c.margin == pytest.approx(margin)
    assert c.margin_relative == pytest.approx(relative)


# ---------------------------------------------------------------------------------------------- §4 basics, inspection

@pytest.mark.parametrize(("standard", "expected"), [
    ("GB/T 19001-2016", "pass"), ("gb/t19001", "pass"), ("GB/T\u300019001-2016", "pass"), ("GB/T 1900", "missing"),
    ("GB/T 24001-2016", "missing"),
])
def test_certificate_standard_prefix_ignoring_spaces_and_case(shipped: Repository, standard: str,
                                                              expected: str) -> None:
    data = coatings_app()
    data["evidence"]["certificates"][0]["standard"] = standard
    d = decide(shipped, data)
    assert next(b for b in d.basic_requirements if b.id == "quality_management").verdict == expected


@pytest.mark.parametrize(("certs", "expected"), [
    ([{"valid_until": "2026-11-01"}], "pass"),  # valid through the evaluation date
    ([{"valid_until": "2026-10-31"}], "not_acceptable"),
    ([{"valid_until": "2028-01-01", "valid_from": "2026-11-02"}], "not_acceptable"),
    ([{"valid_until": "2028-01-01", "valid_from": "2026-11-01"}], "pass"),
    ([{"valid_until": "2026-10-31"}, {"valid_until": "2027-01-01"}], "pass"),  # the one valid longest
    # an early renewal, not valid yet, does not hide the certificate valid today
    ([{"valid_until": "2027-01-01"}, {"valid_until": "2029-01-01", "valid_from": "2027-01-01"}], "pass"),
    ([{"valid_until": "2026-01-01"}, {"valid_until": "2029-01-01", "valid_from": "2027-01-01"}], "not_acceptable"),
    ([], "missing"),
])
def test_certificate_validity(shipped: Repository, certs: list[dict[str, str]], expected: str) -> None:
    data = coatings_app()
    data["evidence"]["certificates"] = [{"standard": "GB/T 19001-2016"} | c for c in certs] + [
        {"standard": "GB/T 24001-2016", "valid_until": "2028-03-01"}]
    d = decide(shipped, data, dt.date(2026, 11, 1))
    b = next(b for b in d.basic_requirements if b.id == "quality_management")
    assert b.verdict == expected
    assert b.reason == {"pass": None, "missing": "no_evidence", "not_acceptable": "certificate_not_valid"}[expected]


def test_declaration_requirement(cases: Repository) -> None:
    data = good_app()
    data["evidence"]["declarations"] = [{"id": "recycling_plan"}]
    d = decide(cases, data)
    assert next(b for b in d.basic_requirements if b.id == "no_accident").verdict == "missing"
    assert d.outcome == "incomplete"


@pytest.mark.parametrize(("inspection", "expected"), [
    (None, ("missing", "no_evidence")),
    ({"outcome": "pass"}, ("pass", None)),
    ({"outcome": "fail"}, ("fail", "inspection_failed")),
    ({"outcome": "corrective_action", "corrective_action": {"deadline": "2026-05-01", "verified": True}}, ("pass", None)),
    ({"outcome": "corrective_action", "corrective_action": {"deadline": "2026-07-01", "verified": True,
                                                           "verified_on": "2026-06-01"}}, ("pass", None)),
    ({"outcome": "corrective_action", "corrective_action": {"deadline": "2026-07-01", "verified": True,
                                                           "verified_on": "2026-06-02"}},
     ("pending", "corrective_action_pending")),
    ({"outcome": "corrective_action", "corrective_action": {"deadline": "2026-06-01"}},
     ("pending", "corrective_action_pending")),
    ({"outcome": "corrective_action", "corrective_action": {"deadline": "2026-05-31"}},
     ("fail", "corrective_action_overdue")),
    ({"outcome": "corrective_action", "corrective_action": {"deadline": "2026-05-31", "verified": True,
                                                           "verified_on": "2026-06-02"}},
     ("fail", "corrective_action_overdue")),
])
def test_factory_inspection(cases: Repository, inspection: dict[str, Any] | None,
                            expected: tuple[str, str | None]) -> None:
    data = good_app()
    if inspection is None:
        del data["evidence"]["factory_inspection"]
    else:
        data["evidence"]["factory_inspection"] = inspection
    fi = decide(cases, data).factory_inspection
    assert fi is not None and (fi.verdict, fi.reason) == expected


# ---------------------------------------------------------------------------------------------- §5 labels, outcome

def test_full_label_fails_with_any_member_and_waits_for_open_ones(cases: Repository) -> None:
    data = good_app()
    result(data, "layers")["value"] = 4
    d = decide(cases, data)
    assert d.label("full").status == "not_eligible" and "layers" in d.label("full").failed
    data = good_app()
    data["evidence"]["certificates"] = []
    d = decide(cases, data)
    assert d.label("full").status == "undetermined" and "qms" in d.label("full").open
    data = good_app()
    data["evidence"]["factory_inspection"] = {"outcome": "fail"}
    assert decide(cases, data).label("full").status == "not_eligible"


def test_optional_criteria_do_not_decide_the_full_label(cases: Repository) -> None:
    data = good_app()
    result(data, "colour")["value"] = "blue"
    d = decide(cases, data)
    assert d.criterion("colour").verdict == "fail"
    assert d.label("full").status == "eligible"


def test_partial_label_looks_at_its_attribute_only(cases: Repository) -> None:
    data = good_app()
    result(data, "layers")["value"] = 4  # quality
    d = decide(cases, data)
    assert d.label("environment").status == "eligible"
    assert d.label("full").status == "not_eligible"
    result(data, "lead")["value"] = 101  # environment
    assert decide(cases, data).label("environment").status == "not_eligible"


def test_partial_label_without_an_applicable_criterion_is_not_eligible(cases: Repository) -> None:
    data = good_app()  # a small product: the only energy criterion is for large ones
    d = decide(cases, data)
    assert d.criterion("energy").verdict == "not_applicable"
    assert d.label("energy").status == "not_eligible"
    data["certification_unit"] = "large"
    data["product"]["parameters"]["size"] = 20
    data["evidence"]["test_reports"][0]["results"].append({"indicator": "energy_use", "value": 290, "unit": "MJ/t"})
    d = decide(cases, data)  # 290 MJ/t = 9.9 kgce/t
    assert d.criterion("energy").verdict == "pass"
    assert d.label("energy").status == "eligible"


@pytest.mark.parametrize(("strength", "recycled", "colour", "expected"), [
    # optional and applicable: voc (always undetermined), strength, colour, recycled -> need 0.5 × 4 = 2 passes
    (25, 15, "red", "eligible"),
    (25, 5, "blue", "undetermined"),  # 1 pass, voc still open: 2 can still be reached
    (10, 5, "blue", "not_eligible"),  # 0 passes + 1 open < 2
])
def test_tier_label_share_of_optional_criteria(cases: Repository, strength: float, recycled: float, colour: str,
                                               expected: str) -> None:
    data = good_app()
    result(data, "strength")["value"] = strength
    result(data, "recycled")["value"] = recycled
    result(data, "colour")["value"] = colour
    assert decide(cases, data).label("silver").status == expected


@pytest.mark.parametrize(("value", "unit", "expected"), [
    (10, "mg/kg", ("eligible", "low")),
    (10.5, "mg/kg", ("eligible", "mid")),  # 0.00105 % ≤ 0.005 %: grades compare in their own unit
    (50, "mg/kg", ("eligible", "mid")),
    (0.006, "%", ("eligible", "high")),
    (100.5, "mg/kg", ("not_eligible", None)),
])
def test_grade_label_best_grade_first(cases: Repository, value: float, unit: str,
                                      expected: tuple[str, str | None]) -> None:
    data = good_app()
    result(data, "lead").update(value=value, unit=unit)
    lab = decide(cases, data).label("lead_grade")
    assert (lab.status, lab.grade) == expected


def test_grade_label_without_an_admitted_measurement_is_undetermined(cases: Repository) -> None:
    data = good_app()
    r = result(data, "lead")
    r.pop("value")
    r["not_detected"] = True  # without a detection limit: not admitted
    lab = decide(cases, data).label("lead_grade")
    assert (lab.status, lab.grade) == ("undetermined", None)


@pytest.mark.parametrize(("inspection", "certificates", "expected"), [
    ({"outcome": "fail"}, True, ("not_eligible", ("factory_inspection",), ())),
    ({"outcome": "corrective_action", "corrective_action": {"deadline": "2026-07-01"}}, True,
     ("undetermined", (), ("factory_inspection",))),
    ({"outcome": "pass"}, False, ("undetermined", (), ("qms",))),
    ({"outcome": "fail"}, False, ("not_eligible", ("factory_inspection",), ("qms",))),
])
def test_grade_label_is_gated_like_every_label(cases: Repository, inspection: dict[str, Any], certificates: bool,
                                               expected: tuple[str, tuple[str, ...], tuple[str, ...]]) -> None:
    data = good_app()
    data["evidence"]["factory_inspection"] = inspection
    if not certificates:
        data["evidence"]["certificates"] = []
    data["scope"] = ["lead_grade"]
    d = decide(cases, data)
    lab = d.label("lead_grade")
    assert (lab.status, lab.failed, lab.open) == expected
    assert lab.grade == "mid"  # what the measurement proves, awarded only when the label is eligible
    assert d.outcome == {"not_eligible": "refused", "undetermined": "incomplete"}[expected[0]]
    assert "lead_grade" not in d.eligible_labels


@pytest.mark.parametrize(("limit", "expected"), [
    (5, ("eligible", "low", ())),  # below every bound: the best grade
    (10, ("eligible", "low", ())),  # at the best grade's bound
    (10.5, ("eligible", "mid", (("low", 10.0, "mg/kg"),))),  # just above it: mid proven, low open
    (50, ("eligible", "mid", (("low", 10.0, "mg/kg"),))),  # 50 mg/kg = 0.005 %: at mid's bound, in its own unit
    (100, ("eligible", "high", (("low", 10.0, "mg/kg"), ("mid", 0.005, "%")))),
])
def test_not_detected_result_proves_the_grades_its_detection_limit_reaches(
        cases: Repository, limit: float, expected: tuple[str, str | None, tuple[Any, ...]]) -> None:
    data = good_app()
    result(data, "lead").update(value=None, not_detected=True, detection_limit=limit)
    del result(data, "lead")["value"]
    lab = decide(cases, data).label("lead_grade")
    assert (lab.status, lab.grade, tuple((o.id, o.detection_limit_max, o.unit) for o in lab.open_grades)) == expected


def test_not_detected_result_above_every_band_leaves_the_grade_undetermined(cases: Repository) -> None:
    data = good_app()
    result(data, "voc").update(not_detected=True, detection_limit=70)
    del result(data, "voc")["value"]
    d = decide(cases, data)
    lab = d.label("voc_grade")
    # a range cannot be proven by a not-detected result: only a quantified result decides B
    assert (lab.status, lab.grade, lab.open) == ("undetermined", None, ("voc",))
    assert [(o.id, o.detection_limit_max) for o in lab.open_grades] == [("A", 10.0), ("B", None)]
    item = next(m for m in d.missing_evidence if m.ref == "voc_grade")
    assert (item.kind, item.who) == ("test_result", "applicant")
    assert "with a detection limit at or below the bound of the grade wanted: 10 g/L for A, a quantified result " \
           "(not `not detected`) for B (submitted: not detected at 70 g/L" in item.description


def test_not_detected_result_below_a_range_does_not_prove_it(cases: Repository) -> None:
    data = good_app()
    result(data, "voc").update(not_detected=True, detection_limit=20)  # below 20: A (≤ 10) or B (10-60), unknown
    del result(data, "voc")["value"]
    lab = decide(cases, data).label("voc_grade")
    assert (lab.status, lab.grade, [o.id for o in lab.open_grades]) == ("undetermined", None, ["A", "B"])


def test_a_measured_value_leaves_no_grade_open(cases: Repository) -> None:
    data = good_app()
    result(data, "voc")["value"] = 70
    lab = decide(cases, data).label("voc_grade")
    assert (lab.status, lab.grade, lab.failed, lab.open_grades) == ("not_eligible", None, ("voc",), ())


def test_grade_label_without_a_measurement_asks_for_the_test_when_no_criterion_does(cases: Repository) -> None:
    data = good_app()
    def not_acceptable(indicator: str) -> None:  # not detected, without a detection limit
        r = result(data, indicator)
        r.pop("value")
        r["not_detected"] = True

    not_acceptable("voc")  # the voc criterion ships no limit, so it only asks for one
    d = decide(cases, data)
    assert d.label("voc_grade").status == "undetermined"
    assert [(m.kind, m.ref) for m in d.missing_evidence] == [("limit_value", "voc"), ("test_result", "voc_grade")]
    assert d.missing_evidence[1].description.endswith("to grade `voc_grade` (submitted evidence not accepted: not "
                                                      "detected, but no detection limit is given)")
    not_acceptable("lead")  # the lead criterion asks for the test itself: no second item
    d = decide(cases, data)
    assert [m.ref for m in d.missing_evidence if m.kind == "test_result"] == ["lead", "voc_grade"]


def test_scope_and_outcome(cases: Repository) -> None:
    data = good_app()
    result(data, "layers")["value"] = 4
    assert decide(cases, data).outcome == "refused"  # no scope, no default_scope: the full labels
    data["scope"] = ["environment", "lead_grade"]
    assert decide(cases, data).outcome == "granted"
    data["evidence"]["certificates"] = []
    assert decide(cases, data).outcome == "incomplete"


def test_default_scope_is_used_when_the_application_names_none(shipped: Repository) -> None:
    d = decide(shipped, coatings_app(), dt.date(2026, 11, 1))
    rs = shipped.rulesets[d.ruleset_id]
    assert d.scope == (rs.default_scope or tuple(lab.id for lab in rs.labels if lab.kind == "full"))
    assert d.outcome == "granted"


def coatings_app() -> dict[str, Any]:
    """The shipped coatings example, as JSON data."""
    return {
        "category": "coatings",
        "product": {"model": "LW-2100", "parameters": {"base": "waterborne", "use": "interior_wall", "gloss_60": 5}},
        "evidence": {
            "test_reports": [{
                "id": "CMA-1", "laboratory": {"name": "Lab", "qualifications": ["CMA"]}, "issued": "2026-04-15",
                "model": "LW-2100",
                "results": [
                    {"indicator": "benzene", "not_detected": True, "detection_limit": 5, "unit": "mg/kg"},
                    {"indicator": "甲醛", "value": 12, "unit": "mg/kg"},
                    {"indicator": "phthalates_max", "value": 0.004, "unit": "%"},
                    {"indicator": "azo_dyes_max", "value": 8, "unit": "mg/kg"},
                ],
            }],
            "factory_inspection": {"outcome": "pass"},
            "certificates": [{"standard": "GB/T 19001-2016", "valid_until": "2028-03-01"},
                             {"standard": "GB/T 24001-2016", "valid_until": "2028-03-01"}],
            "declarations": [{"id": "no_major_accident"}, {"id": "pollutant_discharge_compliant"},
                             {"id": "product_standard_compliant"}],
        },
    }
