"""Example payloads shown in the OpenAPI document (tests/api check they still match the real API)."""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["APPLICATION", "APPLICATION_EXAMPLES", "ERROR", "CATEGORY_LIST", "CATEGORY_DETAIL", "EDITION", "CRITERIA",
           "LABELS", "RULESET_LIST", "SNAPSHOT", "VALIDATION_REPORT", "EVALUATION", "EVALUATION_DETAIL",
           "EVALUATION_PAGE", "REPRODUCTION", "REPRODUCTION_REFUSED", "BATCH_REQUEST", "BATCH_RESPONSE", "RULE_FILE",
           "KEY", "KEY_CREATED", "HEALTH", "READINESS"]

# examples/coatings/granted.yaml as JSON: every shipped criterion of GB/T 35602-2017 passes
APPLICATION: dict[str, Any] = {
    "format": "greencert/application@1",
    "id": "EX-COAT-001",
    "category": "coatings",
    "product": {
        "model": "LW-2100 哑光内墙乳胶漆",
        "name": "Matte interior wall emulsion",
        "manufacturer": "Example Coatings Co., Ltd.",
        "production_site": "Foshan plant 1",
        "parameters": {"base": "waterborne", "use": "interior_wall", "gloss_60": 5},
    },
    "evidence": {
        "test_reports": [{
            "id": "CMA-2026-0415",
            "laboratory": {"name": "Guangdong Inspection Institute", "qualifications": ["CMA", "CNAS"]},
            "issued": "2026-04-15",
            "model": "LW-2100 哑光内墙乳胶漆",
            "results": [
                {"indicator": "benzene", "not_detected": True, "detection_limit": 5, "unit": "mg/kg"},
                {"indicator": "甲醛", "value": 12, "unit": "mg/kg"},
                {"indicator": "phthalates_max", "value": 0.004, "unit": "%"},
                {"indicator": "azo_dyes_max", "value": 8, "unit": "mg/kg"},
            ],
        }],
        "factory_inspection": {"outcome": "pass", "date": "2026-05-20"},
        "certificates": [
            {"standard": "GB/T 19001-2016", "number": "QMS-001", "valid_until": "2028-03-01"},
            {"standard": "GB/T 24001-2016", "number": "EMS-001", "valid_until": "2028-03-01"},
        ],
        "declarations": [
            {"id": "no_major_accident", "signed": "2026-04-01"},
            {"id": "pollutant_discharge_compliant", "signed": "2026-04-01"},
            {"id": "product_standard_compliant", "signed": "2026-04-01"},
        ],
    },
}


def _refused_benzene() -> dict[str, Any]:
    app = copy.deepcopy(APPLICATION)
    app["id"] = "EX-COAT-REFUSED-BENZENE"
    app["evidence"]["test_reports"][0]["results"][0] = {"indicator": "benzene", "value": 180, "unit": "mg/kg"}
    return app


def _unknown_unit() -> dict[str, Any]:
    app = copy.deepcopy(APPLICATION)
    app["evidence"]["test_reports"][0]["results"][1]["unit"] = "mg/kgg"
    return app


APPLICATION_EXAMPLES: dict[str, dict[str, Any]] = {
    "granted": {"summary": "every shipped criterion passes (granted)", "value": APPLICATION},
    "refused": {"summary": "benzene 180 mg/kg, limit 100 mg/kg (refused)", "value": _refused_benzene()},
    "unknown_unit": {"summary": "a unit that does not parse (422 naming the field)", "value": _unknown_unit()},
}

# line and column are those of the field in the body as sent: here the example sent as compact UTF-8 JSON, on
# one line (a client writing it otherwise gets other ones)
ERROR: dict[str, Any] = {"diagnostics": [{
    "code": "application_unit_error", "message": "unknown unit `mg/kgg`", "file": "<request>", "line": 1,
    "column": 614, "hint": "the indicator is measured in `mg/kg`", "field": "evidence.test_reports[0].results[1].unit",
    "severity": "error"}]}

_EDITION: dict[str, Any] = {
    "ruleset_id": "coatings/GB-T-35602-2017", "standard": "GB/T 35602-2017", "implementation_rule": "CNCA-CGP-02:2021",
    "title": {"zh": "绿色产品评价 涂料（2017版）", "en": "Green product assessment — Coatings (2017 edition)"},
    "in_force_from": "2018-07-01", "until": None, "accepted_until": None, "accepted": True, "current": True,
    "version": "sha256:…", "criteria": 4,
}

CATEGORY_LIST: dict[str, Any] = {"as_of": "2026-11-01", "categories": [{
    "id": "coatings", "name": {"zh": "涂料", "en": "Coatings"}, "batch": 1, "cqc_code": "331007",
    "standards": ["GB/T 35602-2017"], "implementation_rules": ["CNCA-CGP-02:2021"], "editions": [_EDITION]}]}

RULESET_LIST: dict[str, Any] = {"as_of": "2026-11-01", "rulesets": [{
    "ruleset_id": "coatings/GB-T-35602-2017", "category": "coatings", "standard": "GB/T 35602-2017",
    "implementation_rule": "CNCA-CGP-02:2021", "in_force_from": "2018-07-01", "until": None, "accepted_until": None,
    "current": True, "version": "sha256:…"}]}

VALIDATION_REPORT: dict[str, Any] = {"ok": False, "kind": "ruleset", "ids": [], "diagnostics": [{
    "code": "rules_reference_error", "message": "unknown indicator `benzen`", "file": "my-rules.yaml", "line": 42,
    "column": 16, "hint": "did you mean `benzene`?", "field": None, "severity": "error"}]}

RULE_FILE = """format: greencert/ruleset@1
id: coatings/GB-T-35602-2017
category: coatings
standard: GB/T 35602-2017
in_force: {from: 2018-07-01}
criteria:
  - id: benzene
    indicator: benzen
    requirement: {lte: 100, unit: mg/kg}
    clause: GB/T 35602-2017
    provenance: {status: secondary, source: my source}
labels:
  - {id: green_product, kind: full, name: {zh: 绿色产品, en: Green product}}
"""

EVALUATION: dict[str, Any] = {
    "id": "6f1c2b1e-8a0e-4c8a-9a57-3d1f0c1d2e3f", "binding": True, "stored": True, "organisation": "CQC",
    "requested_by": "key_0123456789abcdef", "created_at": "2026-11-01T08:30:00Z", "as_of": "2026-11-01",
    "supersedes": None,
    "decision": {
        "application_id": "EX-COAT-001", "category": "coatings", "certification_unit": "interior_wall_low_gloss",
        "product_model": "LW-2100 哑光内墙乳胶漆", "ruleset_id": "coatings/GB-T-35602-2017", "standard": "GB/T 35602-2017",
        "implementation_rule": "CNCA-CGP-02:2021", "ruleset_version": "sha256:…", "evaluated_on": "2026-11-01",
        "outcome": "granted", "scope": ["green_product"], "eligible_labels": ["green_product", "environment"],
        "labels": [{"id": "green_product", "kind": "full", "name_zh": "绿色产品（全项）", "name_en": "Green product (full)",
                    "status": "eligible", "attribute": None, "grade": None, "failed": [], "open": [],
                    "open_grades": []}],
        "basic_requirements": [], "factory_inspection": {"verdict": "pass", "outcome": "pass", "reason": None,
                                                         "detail": None, "deadline": None,
                                                         "clause": "CNCA-CGP-02:2021 初始检查（工厂检查）"},
        "criteria": [{
            "id": "formaldehyde", "indicator": "formaldehyde", "name_zh": "甲醛", "name_en": "Formaldehyde",
            "attribute": "environment", "verdict": "pass", "reason": None, "detail": None, "requirement": "≤ 100 mg/kg",
            "op": "lte", "limit": 100.0, "limit_unit": "mg/kg", "limit_status": "secondary",
            "measured": {"value": 12.0, "unit": "mg/kg", "not_detected": False, "reported_value": 12,
                         "reported_unit": "mg/kg", "detection_limit": None},
            "margin": 88.0, "margin_relative": 0.88,
            "evidence": {"kind": "test_report", "id": "CMA-2026-0415", "laboratory": "Guangdong Inspection Institute",
                         "qualifications": ["CMA", "CNAS"], "issued": "2026-04-15", "model": "LW-2100 哑光内墙乳胶漆",
                         "valid_until": None},
            "rejected": [], "clause": "GB/T 35602-2017 评价指标要求 — 甲醛（不得人为添加）",
            "source": "Polymers Paint Colour Journal summary of GB/T 35602-2017 (see docs/sources.md)", "optional": False}],
        "missing_evidence": [], "caveats": [], "binding": True,
    },
}

BATCH_REQUEST: dict[str, Any] = {"items": [
    {"application": APPLICATION, "as_of": "2026-11-01", "idempotency_key": "batch-7-item-0"},
    {"application": _refused_benzene(), "as_of": "2026-11-01", "idempotency_key": "batch-7-item-1"},
]}

_DECISION = EVALUATION["decision"]
_SUMMARY = {"id": EVALUATION["id"], "binding": True, "category": "coatings", "outcome": "granted",
            "product_model": "LW-2100 哑光内墙乳胶漆", "application_id": "EX-COAT-001", "as_of": "2026-11-01",
            "created_at": "2026-11-01T08:30:00Z", "ruleset_id": "coatings/GB-T-35602-2017", "ruleset_version": "sha256:…",
            "supersedes": None}

CATEGORY_DETAIL: dict[str, Any] = {
    **CATEGORY_LIST["categories"][0],
    "attributes": [{"id": "environment", "name": {"zh": "环境属性", "en": "Environment"}}],
    "parameters": [{"id": "gloss_60", "name": {"zh": "60°光泽", "en": "60° gloss"}, "type": "number", "unit": "GU"}],
    "certification_units": [{
        "id": "interior_wall_low_gloss",
        "name": {"zh": "水性内墙涂料（60°光泽≤10）", "en": "Waterborne interior wall coating, 60° gloss ≤ 10"},
        "defined_by": {"gloss_60": {"lte": 10.0}}}],
    "indicators": [{"id": "formaldehyde", "name": {"zh": "甲醛", "en": "Formaldehyde"}, "aliases": [],
                    "kind": "quantity", "unit": "mg/kg", "attribute": "environment"}],
    "notes": None,
}
EDITION = _EDITION
CRITERIA: dict[str, Any] = {
    "category": "coatings", "ruleset_id": "coatings/GB-T-35602-2017", "standard": "GB/T 35602-2017",
    "version": "sha256:…", "as_of": "2026-11-01", "criteria": [{
        "id": "formaldehyde", "indicator": "formaldehyde", "attribute": "environment", "requirement": "≤ 100 mg/kg",
        "op": "lte", "value": 100.0, "low": None, "high": None, "values": None, "unit": "mg/kg", "limit_shipped": True,
        "provenance": {"status": "secondary",
                       "source": "Polymers Paint Colour Journal summary of GB/T 35602-2017 (see docs/sources.md)"},
        "clause": "GB/T 35602-2017 评价指标要求 — 甲醛（不得人为添加）", "optional": False, "applies_when": None}]}
LABELS: dict[str, Any] = {
    "category": "coatings", "ruleset_id": "coatings/GB-T-35602-2017", "standard": "GB/T 35602-2017",
    "version": "sha256:…", "as_of": "2026-11-01", "labels": [{
        "id": "green_product", "kind": "full", "name": {"zh": "绿色产品（全项）", "en": "Green product (full)"},
        "clause": "《绿色产品认证与标识管理办法》 (in force 2026-01-01) — 全项认证", "in_default_scope": True}]}
SNAPSHOT: dict[str, Any] = {"version": "sha256:…", "ruleset_id": "coatings/GB-T-35602-2017",
                            "stored_at": "2026-11-01T08:30:00Z",
                            "snapshot": {"version": "sha256:…", "category": {"format": "greencert/catalog@1"},
                                         "ruleset": {"format": "greencert/ruleset@1", "id": "coatings/GB-T-35602-2017"}}}
EVALUATION_DETAIL: dict[str, Any] = {**EVALUATION, "application": APPLICATION, "superseded_by": []}
EVALUATION_PAGE: dict[str, Any] = {"items": [_SUMMARY], "total": 1, "limit": 50, "offset": 0}
REPRODUCTION: dict[str, Any] = {"id": EVALUATION["id"], "reproducible": True, "identical": True,
                                "ruleset_version": "sha256:…", "as_of": "2026-11-01", "differences": [],
                                "stored": _DECISION, "reproduced": _DECISION, "reason": None}
REPRODUCTION_REFUSED: dict[str, Any] = {
    "id": EVALUATION["id"], "reproducible": False, "identical": False, "ruleset_version": "sha256:…",
    "as_of": "2026-11-01", "differences": [], "stored": _DECISION, "reproduced": None,
    "reason": {"diagnostics": [{
        "code": "snapshot_unreadable", "message": "the rule-set version `sha256:…` stored with this record cannot "
        "be rebuilt by this version of greencert (the snapshot does not reproduce its version)", "file": None,
        "line": None, "column": None, "hint": "re-run it with the greencert release that made it", "field": None,
        "severity": "error"}]}}
BATCH_RESPONSE: dict[str, Any] = {"results": [
    {"index": 0, "status": 201, "evaluation": EVALUATION, "diagnostics": []},
    {"index": 1, "status": 422, "evaluation": None, "diagnostics": [{
        **ERROR["diagnostics"][0], "field": "items[1].application.evidence.test_reports[0].results[1].unit"}]}],
    "summary": {"granted": 1, "refused": 0, "incomplete": 0, "invalid": 1}}
KEY: dict[str, Any] = {"id": "key_0123456789abcdef", "organisation": "CQC", "role": "certification_body",
                       "name": "evaluation desk", "created_at": "2026-11-01T08:00:00Z", "revoked_at": None}
KEY_CREATED: dict[str, Any] = {**KEY, "token": "gck_0123456789abcdef_…"}
HEALTH: dict[str, Any] = {"status": "ok"}
READINESS: dict[str, Any] = {"status": "ready", "database": "ok", "schema_revision": "0001",
                             "expected_revision": "0001", "rulesets": 19,
                             "evaluator": "compiled (compiler.cpython-311-x86_64-linux-gnu.so, "
                                          "evaluator.cpython-311-x86_64-linux-gnu.so)", "diagnostics": []}
OPERATORS: dict[str, Any] = {"operators": [
    {"name": "lte", "symbol": "≤", "summary": "`lte: x` — at most x (an upper bound; a not-detected result at a "
     "detection limit ≤ x proves it).", "kinds": ["quantity"], "bound": "upper", "conditions": True},
    {"name": "present", "symbol": "", "summary": "`present: true` — a document indicator: the declaration is "
     "submitted.", "kinds": ["document"], "bound": None, "conditions": False},
]}
