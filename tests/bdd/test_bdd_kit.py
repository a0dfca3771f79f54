"""The BDD kit: clear failures, typed Outline values, criterion coverage, and a new category written from the guide."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from engine.bdd.coverage import ENV_FEATURES, ENV_PATHS, Exercised, compute
from engine.bdd.draft import ApplicationDraft, Fill, ReportDraft, Where
from engine.bdd.errors import StepFailure
from engine.bdd.values import parse_date, parse_number, parse_result_value, parse_verdict
from engine.loader import PROJECT_ROOT
from engine.repository import Repository

BINDING = PROJECT_ROOT / "features" / "test_gherkin_features.py"
GUIDE = PROJECT_ROOT / "docs" / "authoring.md"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GREENCERT_")}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env.update(extra)
    return env


def run_pytest(features: Path, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """pytest on the step library with only `features` bound, as an author would run it."""
    cmd = [sys.executable, "-m", "pytest", str(BINDING), "-q", "-p", "pytest_bdd.plugin", "-p", "no:cacheprovider"]
    return subprocess.run(cmd, cwd=cwd, env=_env(**{ENV_FEATURES: str(features)}, **extra), capture_output=True,
                          text=True, timeout=600, check=False)


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine.cli", "features", *args], cwd=cwd, env=_env(),
                          capture_output=True, text=True, timeout=900, check=False)


def _line(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


BACKGROUND = """
  Background:
    Given the category is coatings
    And the product parameters are:
      | parameter | value         |
      | base      | waterborne    |
      | use       | interior_wall |
      | gloss_60  | 5             |
    And the evaluation date is 2026-11-01
"""


# ------------------------------------------------------------------------------------------- clear failures
BROKEN = """Feature: deliberately broken scenarios
""" + BACKGROUND + """
  Scenario: a sentence the kit does not know
    Given an application that meets every requirement
    And the moon is full
    When the application is evaluated

  Scenario: an indicator the catalogue does not know
    Given a test report issued on 2026-10-01 with:
      | indicator | value | unit  |
      | benzene   | 1     | mg/kg |
      | benzen    | 1     | mg/kg |

  Scenario: a unit that cannot convert
    Given a test report issued on 2026-10-01 with:
      | indicator    | value | unit |
      | formaldehyde | 1     | g/L  |

  Scenario: an assertion step written as a Given
    Given the outcome is granted

  Scenario: a parameter that contradicts the unit named
    Given an application that meets every requirement
    And the certification unit is interior_wall_high_gloss
    When the application is evaluated
    Then the outcome is granted
"""


def test_broken_feature_fails_with_the_line_and_the_fix_and_no_traceback(tmp_path: Path) -> None:
    feature = tmp_path / "broken.feature"
    feature.write_text(BROKEN, encoding="utf-8")
    proc = run_pytest(feature, tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "5 failed" in out
    expected = [
        (_line(BROKEN, "the moon is full"), "bdd_unknown_step: no step matches `And the moon is full`",
         "the sentences the kit understands are listed in docs/authoring.md"),
        (_line(BROKEN, "| benzen "), "bdd_unknown_indicator: unknown indicator `benzen` for `coatings`",
         "did you mean `benzene`?"),
        (_line(BROKEN, "| g/L  |"), "bdd_unit_error: unit `g/L` cannot convert to `mg/kg`, the unit of `formaldehyde`",
         "give the value in `mg/kg` or a unit of the same kind"),
        (_line(BROKEN, "Given the outcome is granted"), "bdd_unknown_step: no step matches `Given the outcome is granted`",
         "this sentence is a `Then` step: write it after `Then`"),
        (_line(BROKEN, "| gloss_60  | 5"), "application_unit_mismatch: parameter `gloss_60`",
         "add `Then the application is rejected with <code>`"),
    ]
    for line, message, fix in expected:
        located = [x for x in out.splitlines() if x.startswith(f"broken.feature:{line}:")]
        assert any(message in x for x in located), (line, message, out)
        assert fix in out, fix
    for python_detail in ("Traceback", 'File "', "conftest.py", "During handling", "StepFailure", "raise "):
        assert python_detail not in out, python_detail


def test_unreadable_feature_files_fail_alone_with_a_located_message(tmp_path: Path) -> None:
    (tmp_path / "not_gherkin.feature").write_text("Feature: x\n  Scenario: y\n    Given the category is coatings\n"
                                                   "    | stray | table |\n  Nonsense here\n", encoding="utf-8")
    twice = "Feature: twice\n" + BACKGROUND + """
  Scenario: same name
    Given an application that meets every requirement

  Scenario: same name
    Given an application that meets every requirement
"""
    (tmp_path / "twice.feature").write_text(twice, encoding="utf-8")
    second = [i for i, line in enumerate(twice.splitlines(), 1) if "Scenario: same name" in line][1]
    (tmp_path / "fine.feature").write_text("Feature: fine\n" + BACKGROUND + """
  Scenario: a granted application
    Given an application that meets every requirement
    When the application is evaluated
    Then the outcome is granted
""", encoding="utf-8")
    proc = run_pytest(tmp_path, tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "2 failed, 1 passed" in out
    assert re.search(r"not_gherkin\.feature:\d+: bdd_feature_error: the feature file is not valid Gherkin", out), out
    assert f"twice.feature:{second}: bdd_feature_error: two scenarios are named `same name`" in out, out
    assert "Traceback" not in out


# ------------------------------------------------------------------------------------------- typed values
TYPED = """Feature: values from Examples tables are typed
""" + BACKGROUND + """
  Scenario Outline: numbers, units and dates from the Examples reach the engine as numbers and dates
    Given an application that meets every requirement
    And a test report issued on <issued> with:
      | indicator | value   | unit   |
      | 甲醛      | <value> | <unit> |
    And the product parameter gloss_60 is <gloss>
    When the application is evaluated
    Then the criterion formaldehyde <verdict>
    And the measured value for formaldehyde is <mg> mg/kg
    And the margin for formaldehyde is <margin> mg/kg
    And the margin for formaldehyde is <margin_g> g/kg within 0.0000001
    And the certification unit is <unit_id>

    Examples:
      | issued     | value | unit  | gloss | verdict | mg  | margin | margin_g | unit_id                  |
      | 2026-10-01 | 0.006 | %     | 5     | passes  | 60  | 40     | 0.04     | interior_wall_low_gloss  |
      | 2026-10-01 | 0.15  | g/kg  | 10.5  | fails   | 150 | -50    | -0.05    | interior_wall_high_gloss |
      | 2025-11-01 | 12    | mg/kg | 1     | passes  | 12  | 88     | 0.088    | interior_wall_low_gloss  |
"""


def test_scenario_outline_values_are_converted(tmp_path: Path) -> None:
    feature = tmp_path / "typed.feature"
    feature.write_text(TYPED, encoding="utf-8")
    proc = run_pytest(feature, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 passed" in proc.stdout


def test_a_wrong_expectation_in_an_outline_fails(tmp_path: Path) -> None:
    feature = tmp_path / "typed.feature"
    feature.write_text(TYPED.replace("| 60  | 40     |", "| 60  | 41     |"), encoding="utf-8")
    proc = run_pytest(feature, tmp_path)
    assert proc.returncode == 1
    assert "bdd_expectation_failed: margin of `formaldehyde`: expected 41 mg/kg" in proc.stdout, proc.stdout


def test_values_module_types_and_refuses() -> None:
    assert parse_number("12") == 12 and isinstance(parse_number("12"), int)
    assert parse_number("0.004") == pytest.approx(0.004) and isinstance(parse_number("0.004"), float)
    assert parse_date("2026-11-01") == dt.date(2026, 11, 1)
    assert parse_result_value("< 5", quantity=True).detection_limit == 5
    assert parse_result_value("未检出", quantity=True, detection_limit="0.5").not_detected
    assert parse_result_value("conforms", quantity=False).value == "conforms"
    assert parse_verdict("is not acceptable") == "not_acceptable"
    for bad, call in (("12 mg", parse_number), ("2026-13-01", parse_date), ("01/11/2026", parse_date),
                      ("passes maybe", parse_verdict)):
        with pytest.raises(StepFailure):
            call(bad)


def test_draft_builds_typed_application_data_and_locates_rejections() -> None:
    repo = Repository.load()
    try:
        draft = ApplicationDraft(repo, "features/x.feature", Where(3))
        draft.category = "coatings"
        draft.parameters = {"base": ("waterborne", Where(5)), "use": ("interior_wall", Where(6)),
                            "gloss_60": (5, Where(7))}
        report = ReportDraft(Where(9), issued=dt.date(2026, 10, 1))
        report.results.append(({"indicator": "甲醛", "value": 12.5, "unit": "mg/kg"}, {"": Where(11)}))
        draft.reports.append(report)
        draft.fill_all = Fill(Where(8))
        data, _ = draft.build(dt.date(2026, 11, 1))
        first = data["evidence"]["test_reports"][0]
        assert first["issued"] == "2026-10-01" and first["results"][0]["value"] == 12.5
        filled = data["evidence"]["test_reports"][1]
        assert {r["indicator"] for r in filled["results"]} == {"benzene", "phthalates_max", "azo_dyes_max"}
        assert all(isinstance(r.get("value", r.get("detection_limit")), float) for r in filled["results"])
        decision = draft.evaluate(dt.date(2026, 11, 1))
        assert decision.outcome == "granted"
        assert decision.criterion("formaldehyde").margin == pytest.approx(87.5)

        draft.top["certification_unit"] = ("interior_wall_high_gloss", Where(4))
        with pytest.raises(StepFailure) as err:
            draft.evaluate(dt.date(2026, 11, 1))
        d = err.value.diagnostics[0]
        assert (d.code, d.file, d.line) == ("application_unit_mismatch", "features/x.feature", 7)
    finally:
        repo.close()


# ------------------------------------------------------------------------------------------- coverage
def test_coverage_definition_on_shipped_rule_sets() -> None:
    repo = Repository.load()
    try:
        rid = "coatings/GB-T-35602-2017"
        seen = [Exercised(rid, "criterion", "benzene", "pass", "a:1"),
                Exercised(rid, "criterion", "formaldehyde", "pass", "a:1"),
                Exercised(rid, "criterion", "formaldehyde", "missing", "a:2"),
                Exercised(rid, "label", "green_product", "eligible", "a:1")]
        cov = {c.id: c for c in compute(repo, seen)}[rid]
        items = {i.id: i for i in cov.items}
        assert items["formaldehyde"].covered
        assert not items["benzene"].covered and items["benzene"].lacking == [["fail", "missing", "not_acceptable"]]
        assert not items["green_product"].covered
        assert items["factory_inspection"].needs == [["pass"], ["fail", "missing", "pending"]]
        wood = {c.id: c for c in compute(repo, [])}["wood_panels/GB-T-35601-2017"]
        needs = {i.id: i.needs for i in wood.items}
        assert needs["formaldehyde_emission"] == [["undetermined"]]
        assert needs["formaldehyde_grade"] == [["grade:ENF"], ["grade:E0"], ["grade:E1"], ["not_eligible", "undetermined"]]
        # no shipped limit for the only criterion: the full label cannot be eligible, so `eligible` is not asked for
        assert needs["green_product"] == [["not_eligible", "undetermined"]]
    finally:
        repo.close()


def _coatings_copy(root: Path) -> None:
    (root / "catalogs").mkdir(parents=True)
    (root / "rules").mkdir()
    shutil.copy(PROJECT_ROOT / "catalogs" / "coatings.yaml", root / "catalogs")
    shutil.copytree(PROJECT_ROOT / "rules" / "coatings", root / "rules" / "coatings")


def test_coverage_command_fails_and_names_a_criterion_no_scenario_exercises(tmp_path: Path) -> None:
    _coatings_copy(tmp_path)
    # the shipped coatings feature, less its one check that nothing at all is missing: the criterion added below
    # has no limit, so it adds an item for the certification body to every decision
    shipped = (PROJECT_ROOT / "features" / "coatings.feature").read_text(encoding="utf-8")
    assert shipped.count("    And no evidence is missing\n") == 1
    feature = tmp_path / "coatings.feature"
    feature.write_text(shipped.replace("    And no evidence is missing\n", ""), encoding="utf-8")
    common = [str(feature), "--catalog", "catalogs", "--rules", "rules", "--coverage", "--output", "cov.json"]
    baseline = run_cli(*common, cwd=tmp_path)
    assert baseline.returncode == 0, baseline.stdout + baseline.stderr
    assert "coatings/GB-T-35602-2017 (GB/T 35602-2017): 12/12 items covered (100%) ok" in baseline.stdout

    rules = tmp_path / "rules" / "coatings" / "GB-T-35602-2017.yaml"
    text = rules.read_text(encoding="utf-8")
    added = """  - id: soluble_heavy_metals
    indicator: soluble_heavy_metals
    requirement: {lte: null, unit: mg/kg}
    clause: GB/T 35602-2017 评价指标要求 — 可溶性重金属
    provenance: {status: unconfirmed, source: added by tests/bdd/test_bdd_kit.py without a number}
    optional: true

labels:"""
    # optional: no label counts it, so every scenario keeps its outcome and only the coverage changes
    rules.write_text(text.replace("\nlabels:", "\n" + added, 1), encoding="utf-8")
    proc = run_cli(*common, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "12/13 items covered" in proc.stdout and "NOT COVERED" in proc.stdout
    assert "criterion `soluble_heavy_metals`: no passing scenario checks `undetermined`" in proc.stdout
    data = json.loads((tmp_path / "cov.json").read_text(encoding="utf-8"))
    uncovered = [(i["kind"], i["id"]) for rs in data["rulesets"] for i in rs["uncovered"]]
    assert uncovered == [("criterion", "soluble_heavy_metals")]
    assert data["complete"] is False and data["scenarios"]["failed"] == 0


def test_shipped_features_cover_every_shipped_rule_set(tmp_path: Path) -> None:
    proc = run_cli("--coverage", "--format", "json", "--output", str(tmp_path / "cov.json"), cwd=tmp_path)
    data = json.loads(proc.stdout)
    repo = Repository.load()
    try:
        shipped = set(repo.rulesets)
    finally:
        repo.close()
    assert {rs["id"] for rs in data["rulesets"]} == shipped
    not_covered = {rs["id"]: rs["uncovered"] for rs in data["rulesets"] if not rs["complete"]}
    assert not_covered == {}
    assert data["scenarios"]["failed"] == 0 and data["scenarios"]["passed"] > 100
    assert proc.returncode == 0 and data["exit_code"] == 0


def test_every_category_with_a_rule_set_has_its_feature_file() -> None:
    repo = Repository.load()
    try:
        categories = {rs.category for rs in repo.rulesets.values()}
    finally:
        repo.close()
    features = PROJECT_ROOT / "features"
    for category in sorted(categories):
        path = features / f"{category}.feature"
        assert path.exists(), f"no feature file for `{category}`"
        text = path.read_text(encoding="utf-8")
        assert text.startswith(f"@{category}\n") and text.count("\nFeature:") == 1, category


# ------------------------------------------------------------------------------------------- the guide
def _guide_examples() -> dict[str, str]:
    text = GUIDE.read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- guide-example: (\S+) -->\n```\w*\n(.*?)\n```", text, re.S)
    return {path: body + "\n" for path, body in blocks}


def test_a_new_category_written_from_the_guide_runs_without_python(tmp_path: Path) -> None:
    examples = _guide_examples()
    assert set(examples) == {"catalogs/express_packaging.yaml", "rules/express_packaging/express-packaging-2020.yaml",
                             "features/express_packaging.feature"}
    for rel, body in examples.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(body, encoding="utf-8")
    validate = subprocess.run([sys.executable, "-m", "engine.cli", "validate", "catalogs", "rules"], cwd=tmp_path,
                              env=_env(), capture_output=True, text=True, timeout=300, check=False)
    assert validate.returncode == 0, validate.stdout
    proc = run_cli("features", "--catalog", "catalogs", "--rules", "rules", "--coverage", "--format", "json",
                   "--output", "cov.json", cwd=tmp_path)
    data = json.loads(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert data["scenarios"] == {**data["scenarios"], "passed": 5, "failed": 0}
    assert [(rs["id"], rs["covered"], rs["items"]) for rs in data["rulesets"]] == [("express_packaging/2020", 6, 6)]
    assert not list(tmp_path.rglob("*.py"))


def test_the_guide_lists_every_step_and_sentences_match_one_step_each() -> None:
    library = _step_library()
    guide = GUIDE.read_text(encoding="utf-8")
    for kind, template in library.STEPS:
        assert f"`{template}`" in guide, f"{kind} step `{template}` is not in docs/authoring.md"
    sentences = {
        "given": ["the report gives formaldehyde 12 mg/kg", "the report gives benzene not detected at 5 mg/kg",
                  "the report gives benzene not detected", "a test report with:", 'a test report "R-1" issued on '
                  "2026-01-01 with:", "the report covers the model \"X 1\"", "the declarations a, b and c",
                  "every other criterion is met except benzene", "the factory inspection passed on 2026-05-20"],
        "then": ["the criterion formaldehyde is not acceptable because expired",
                 "the missing evidence includes a test result for formaldehyde",
                 "the missing evidence includes the factory inspection", "the application is rejected with x_y",
                 "the application is granted", "the margin for formaldehyde is 88 mg/kg within 0.5",
                 "the grade for formaldehyde_grade is E0", "the label green_product is not eligible"],
    }
    for kind, texts in sentences.items():
        for text in texts:
            matches = [t for k, t in library.STEPS if k == kind and re.fullmatch(library._regex(t), text)]
            assert len(matches) == 1, (text, matches)


def _step_library() -> ModuleType:
    """features/conftest.py, which loads every step module of features/steps (STEPS lists their templates)."""
    return importlib.import_module("features.conftest")


def test_features_command_refuses_a_missing_path(tmp_path: Path) -> None:
    proc = run_cli("nowhere.feature", cwd=tmp_path)
    assert proc.returncode == 3
    assert "no such feature file or folder `nowhere.feature`" in proc.stderr


def test_rules_that_do_not_load_fail_every_scenario_with_the_loader_diagnostics(tmp_path: Path) -> None:
    _coatings_copy(tmp_path)
    rules = tmp_path / "rules" / "coatings" / "GB-T-35602-2017.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("indicator: benzene", "indicator: benzen"),
                     encoding="utf-8")
    feature = tmp_path / "one.feature"
    feature.write_text("Feature: one\n" + BACKGROUND + """
  Scenario: anything
    Given an application that meets every requirement
""", encoding="utf-8")
    paths = os.pathsep.join(str(tmp_path / p) for p in ("catalogs", "rules"))
    proc = run_pytest(feature, tmp_path, **{ENV_PATHS: paths})
    assert proc.returncode == 1
    assert "rules_reference_error: unknown indicator `benzen` (did you mean `benzene`?)" in proc.stdout, proc.stdout
    assert "bdd_rules_error: the catalogue, rule sets or overlays do not load" in proc.stdout
    assert "Traceback" not in proc.stdout


CERTIFICATE_MISTAKES = """Feature: certificate moves that go wrong
""" + BACKGROUND + """
  Scenario: a refused move nobody expected
    Given an application that meets every requirement
    When the application is evaluated
    And a certificate is issued on 2026-11-05
    And the certificate is restored on 2026-12-01

  Scenario: a refusal expected that does not happen
    Given an application that meets every requirement
    When the application is evaluated
    And a certificate is issued on 2026-11-05
    Then the move is refused with certificate_decision_not_granted

  Scenario: a state read before any certificate
    Given an application that meets every requirement
    When the application is evaluated
    Then the certificate is valid on 2026-11-05
"""


def test_certificate_steps_fail_with_the_line_and_the_reason(tmp_path: Path) -> None:
    feature = tmp_path / "certs.feature"
    feature.write_text(CERTIFICATE_MISTAKES, encoding="utf-8")
    proc = run_pytest(feature, tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1 and "3 failed" in out, out
    expected = [
        (_line(CERTIFICATE_MISTAKES, "restored on 2026-12-01"),
         "certificate_transition_refused: cannot restore a certificate that is valid since 2026-11-05"),
        (_line(CERTIFICATE_MISTAKES, "refused with certificate_decision_not_granted"),
         "bdd_expectation_failed: the move was not refused: it was recorded"),
        (_line(CERTIFICATE_MISTAKES, "valid on 2026-11-05"), "bdd_missing_context: no certificate has been issued"),
    ]
    for line, message in expected:
        located = [x for x in out.splitlines() if x.startswith(f"certs.feature:{line}:")]
        assert any(message in x for x in located), (line, message, out)
    assert "Traceback" not in out and "TransitionRefused" not in out


def test_a_ratio_scenario_runs_against_a_synthetic_rule_set(tmp_path: Path) -> None:
    """`ratio_lte` in a scenario (tests/support/synthetic_ratio: synthetic data, not a real limit): the feature passes,
    and the same feature expecting the opposite verdict fails."""
    root = PROJECT_ROOT / "tests" / "support" / "synthetic_ratio"
    args = ("--catalog", str(root / "catalogs"), "--rules", str(root / "rules"), "--coverage", "--format", "json",
            "--output", str(tmp_path / "cov.json"))
    proc = run_cli(str(root / "ratio.feature"), *args, cwd=tmp_path)
    data = json.loads(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert data["scenarios"] == {**data["scenarios"], "passed": 3, "failed": 0}
    wrong = tmp_path / "ratio.feature"
    text = (root / "ratio.feature").read_text(encoding="utf-8")
    wrong.write_text(text.replace("Then the criterion voc_ratio passes", "Then the criterion voc_ratio fails"),
                     encoding="utf-8")
    proc = run_cli(str(wrong), *args, cwd=tmp_path)
    assert proc.returncode != 0
    assert json.loads(proc.stdout)["scenarios"]["failed"] == 1
