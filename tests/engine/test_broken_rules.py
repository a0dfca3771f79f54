"""The broken rule-file corpus: every case yields exactly the diagnostics its `# expect:` header announces."""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from engine.diagnostics import Diagnostic
from engine.loader import PROJECT_ROOT, LoadResult, load
from engine.yamlsource import read_document
from tests.support.corpus import CORPUS, case_files, case_paths, expectations

# codes the loader can produce from a file; the corpus must show each at least once
CORPUS_CODES = {
    "yaml_syntax_error", "yaml_duplicate_key", "yaml_empty_document", "file_encoding_error", "unknown_format",
    "catalog_schema_error", "catalog_reference_error", "catalog_duplicate_id", "catalog_unit_error",
    "rules_schema_error", "rules_reference_error", "rules_unit_error", "rules_requirement_error",
    "rules_duplicate_id", "rules_provenance_error", "rules_edition_error", "rules_edition_overlap",
    "rules_label_error", "rules_unreachable", "rules_provenance_deprecated", "catalog_provenance_deprecated",
    "scheme_schema_error", "scheme_provenance_error", "scheme_provenance_deprecated", "scheme_duplicate",
    "number_out_of_range",
}
# `confirmed` (written before strengths were stated) is still read: these codes are warnings, every other an error
WARNING_CODES = {"rules_provenance_deprecated", "catalog_provenance_deprecated", "scheme_provenance_deprecated"}
# every code of the loading stages, documented in docs/diagnostics.md
ALL_CODES = CORPUS_CODES | {"file_not_found", "file_unreadable", "json_syntax_error", "no_rule_files",
                            "document_too_large", "document_too_deep", "too_many_nodes", "yaml_alias_limit",
                            "yaml_alias_refused", "invalid_text"}


@functools.cache
def load_case(case: Path) -> LoadResult:
    """Loaded once per case for all the tests that read it (each load also reads the shipped catalogue)."""
    return load([case])


def _in_case(d: Diagnostic, case: Path) -> bool:
    return d.file is not None and Path(d.file).resolve() in {f.resolve() for f in case_files(case)}


def _relative(d: Diagnostic) -> str:
    return str(Path(d.file or "").resolve().relative_to(CORPUS.resolve()))


CASES = case_paths()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_gives_exactly_its_expected_diagnostics(case: Path) -> None:
    result = load_case(case)
    assert not result.ok
    got = [d for d in result.diagnostics if _in_case(d, case)]
    for d in got:
        assert d.file and d.line is not None and d.column is not None, f"unlocated: {d}"
        assert d.line >= 1 and d.column >= 1
    want = expectations(case)
    assert Counter((e.file, e.code, e.line) for e in want) == Counter((_relative(d), d.code, d.line) for d in got), \
        "\n".join(str(d) for d in got)
    for e in want:
        if e.column is not None:
            assert any(_relative(d) == e.file and (d.code, d.line, d.column) == (e.code, e.line, e.column)
                       for d in got), f"no {e.code} at {e.file}:{e.line}:{e.column}; got:\n" + "\n".join(map(str, got))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_messages_follow_the_house_style(case: Path) -> None:
    for d in load_case(case).diagnostics:
        assert d.message and d.message == d.message.strip() and "\n" not in d.message
        assert not d.message.endswith("."), d.message
        assert d.message[0] == "`" or not d.message[0].isupper(), d.message
        assert d.severity == ("warning" if d.code in WARNING_CODES else "error"), d
        assert re.fullmatch(r"[a-z]+(_[a-z]+)+", d.code)
        if d.hint is not None:
            assert "\n" not in d.hint and not d.hint.endswith("."), d.hint


def test_the_corpus_is_large_and_covers_every_code() -> None:
    assert len(CASES) >= 20
    seen = {e.code for case in CASES for e in expectations(case)}
    assert CORPUS_CODES <= seen, f"no corpus case for {sorted(CORPUS_CODES - seen)}"
    assert seen <= ALL_CODES, f"undocumented codes in the corpus: {sorted(seen - ALL_CODES)}"


def test_several_problems_are_all_listed_in_line_order() -> None:
    result = load_case(CORPUS / "several_problems.yaml")
    lines = [d.line or 0 for d in result.diagnostics]
    assert lines == sorted(lines) and len(lines) == 6
    assert [d.code for d in result.diagnostics] == [
        "rules_reference_error", "rules_unit_error", "rules_reference_error", "rules_duplicate_id",
        "rules_provenance_error", "rules_label_error"]


def _one(name: str) -> Diagnostic:
    diagnostics = load_case(CORPUS / name).diagnostics
    assert len(diagnostics) == 1, diagnostics
    return diagnostics[0]


def test_hints_suggest_the_name_that_was_meant() -> None:
    assert _one("unknown_top_level_field.yaml").hint == "did you mean `criteria`?"
    assert _one("unknown_category.yaml").hint == "did you mean `coatings`?"
    assert _one("unknown_parameter.yaml").hint == "did you mean `gloss_60`?"
    assert _one("unknown_certification_unit.yaml").hint == "did you mean `interior_wall_low_gloss`?"
    assert "`benzene_limit`" in (_one("bad_id_pattern.yaml").hint or "")
    by_line = {d.line: d for d in load_case(CORPUS / "unknown_indicator.yaml").diagnostics}
    assert by_line[11].hint == "did you mean `benzene`?"
    assert by_line[18].hint == "`voc` is an alias: use the id `voc_content`"


def test_messages_name_the_user_values() -> None:
    assert _one("bad_date.yaml").message == "`2018-13-01` is not a valid date in `in_force.from` (month must be in 1..12)"
    assert _one("wrong_type.yaml").hint == "write the number alone; a unit goes in `unit`"
    assert "`mm` cannot convert to `mg/kg`" in _one("unit_not_convertible.yaml").message
    assert _one("requirement_two_operators.yaml").message == "requirement has several operators: `lte`, `lt`"
    assert _one("yaml_syntax_error.yaml").message == "expected `:` after the key on this line"
    assert _one("tab_indentation.yaml").message == "tab character in indentation"
    overlap = load_case(CORPUS / "overlapping_editions").diagnostics
    assert len(overlap) == 1 and "set `until: 2021-06-04`" in (overlap[0].hint or "")


def test_one_root_cause_gives_one_diagnostic() -> None:
    # a misspelt required field is not also reported as missing; a sourced limit without a source is one
    # problem; a broken catalogue is reported once for the rule set that needs it, not once per criterion
    assert _one("unknown_top_level_field.yaml").message == "unknown field `critera`"
    assert _one("sourced_limit_without_source.yaml").code == "rules_provenance_error"
    assert _one("sourced_limit_without_source.yaml").message == "secondary limit of `benzene` has no `source`"
    cascade = load_case(CORPUS / "broken_catalog_cascade").diagnostics
    assert [d.code for d in cascade] == ["catalog_schema_error", "rules_reference_error"]
    assert "could not be loaded" in cascade[1].message
    # a number on a choice indicator is a value of the wrong type, not also "not a choice"
    assert _one("eq_number_on_choice.yaml").code == "rules_requirement_error"


def test_every_diagnostic_names_its_field() -> None:
    d = _one("unit_not_convertible.yaml")
    assert d.field == "criteria[0].requirement.unit"
    assert _one("unknown_parameter.yaml").field == "criteria[0].applies_when.parameters.glos_60"


def test_shipped_files_validate_without_any_diagnostic() -> None:
    result = load()
    assert result.diagnostics == [], "\n".join(str(d) for d in result.diagnostics)
    assert result.categories and result.rulesets


def test_a_missing_file_is_reported_not_raised(tmp_path: Path) -> None:
    result = load([tmp_path / "nope.yaml"])
    assert [d.code for d in result.diagnostics] == ["file_not_found"]
    assert result.diagnostics[0].file == str(tmp_path / "nope.yaml")


def test_an_unreadable_path_is_reported_not_raised(tmp_path: Path) -> None:
    doc, diagnostics = read_document(tmp_path)  # a folder where a file was expected
    assert doc is None and [d.code for d in diagnostics] == ["file_unreadable"]


def test_json_rule_sets_are_located_like_yaml(tmp_path: Path) -> None:
    data = {
        "format": "greencert/ruleset@1", "id": "coatings/json-case", "category": "coatings",
        "standard": "GB/T 35602-2017", "in_force": {"from": "2018-07-01"},
        "criteria": [{"id": "benzene", "indicator": "benzen", "requirement": {"lte": 100, "unit": "mg/kg"},
                      "clause": "GB/T 35602-2017",
                      "provenance": {"status": "secondary", "source": "a summary of the standard"}}],
        "labels": [{"id": "green_product", "kind": "full", "name": {"zh": "绿色产品", "en": "Green product"}}],
    }
    path = tmp_path / "case.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    (d,) = load([path]).diagnostics
    line = path.read_text(encoding="utf-8").splitlines().index('      "indicator": "benzen",') + 1
    assert (d.code, d.line, d.column, d.hint) == ("rules_reference_error", line, 20, "did you mean `benzene`?")


def test_the_corpus_does_not_leak_into_the_shipped_rules() -> None:
    # the corpus lives under tests/, never under the folders `greencert` loads by default
    assert not CORPUS.resolve().is_relative_to((PROJECT_ROOT / "rules").resolve())
    files = load().files
    assert files and not any("broken_rules" in f for f in files)


def test_every_code_is_documented_with_an_example(project_root: Path) -> None:
    text = (project_root / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    for code in sorted(ALL_CODES):
        rows = [line for line in text.splitlines() if line.startswith(f"| `{code}` |")]
        assert len(rows) == 1, f"`{code}` needs one row in docs/diagnostics.md"
        assert f": {code}: " in rows[0], f"the row of `{code}` needs an example line"


def test_the_shipped_catalogue_fills_in_the_categories_not_given(tmp_path: Path) -> None:
    # a new catalogue entry and a rule set of a shipped category validate together
    result = load([CORPUS / "catalog_unknown_attribute.yaml", CORPUS / "unknown_indicator.yaml"])
    assert sorted((Path(d.file or "").name, d.code, d.line) for d in result.diagnostics) == [
        ("catalog_unknown_attribute.yaml", "catalog_reference_error", 17),
        ("unknown_indicator.yaml", "rules_reference_error", 11),
        ("unknown_indicator.yaml", "rules_reference_error", 18)]
    # a given entry with a shipped category's id replaces the shipped one
    shipped = (PROJECT_ROOT / "catalogs" / "coatings.yaml").read_text(encoding="utf-8")
    assert "    - id: benzene\n" in shipped
    (tmp_path / "coatings.yaml").write_text(shipped.replace("    - id: benzene\n", "    - id: benzene_renamed\n"),
                                            encoding="utf-8")
    diagnostics = load([tmp_path / "coatings.yaml", CORPUS / "duplicate_label_id.yaml"]).diagnostics
    assert sorted((d.code, d.line, d.message) for d in diagnostics) == [
        ("rules_duplicate_id", 21, "duplicate label id `green_product`"),
        ("rules_reference_error", 11, "unknown indicator `benzene`")]


def test_confirmed_is_still_read_with_a_warning_that_asks_for_the_strength() -> None:
    result = load_case(CORPUS / "provenance_strength.yaml")
    (warning,) = [d for d in result.diagnostics if d.severity == "warning"]
    assert warning.code == "rules_provenance_deprecated"
    assert "`primary`" in (warning.hint or "") and "`secondary`" in (warning.hint or "")
    # the warning alone does not stop a file: a rule set whose only problem is `confirmed` loads
    text = (CORPUS / "provenance_strength.yaml").read_text(encoding="utf-8")
    assert "status: primary\n" in text


def test_a_file_whose_only_problem_is_confirmed_loads(tmp_path: Path) -> None:
    source = (PROJECT_ROOT / "rules" / "coatings" / "GB-T-35602-2017.yaml").read_text(encoding="utf-8")
    assert source.count("status: secondary") == 4
    (tmp_path / "old.yaml").write_text(source.replace("status: secondary", "status: confirmed"), encoding="utf-8")
    result = load([tmp_path / "old.yaml"])
    assert result.ok and list(result.rulesets) == ["coatings/GB-T-35602-2017"]
    assert [d.code for d in result.diagnostics] == ["rules_provenance_deprecated"] * 4
    assert {c.provenance.status for c in result.rulesets["coatings/GB-T-35602-2017"].ruleset.criteria} == {"confirmed"}
