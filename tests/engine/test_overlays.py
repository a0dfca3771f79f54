"""Overlays: merged by id, validated like rule sets with locations in the overlay, recorded in the version hash."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from engine import DiagnosticError, Repository, read_application
from engine.loader import load
from engine.overlays import apply_overlays

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2026, 11, 1)
TARGET = "coatings/GB-T-35602-2017"


def _write(tmp_path: Path, text: str, name: str = "overlay.yaml") -> Path:
    d = tmp_path / "overlays"
    d.mkdir(exist_ok=True)
    (d / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return d


def _check(repo: Repository, example: str) -> object:
    app, doc, diags = read_application(ROOT / "examples" / "coatings" / example)
    assert app is not None and doc is not None and not diags
    return repo.check(app, doc, AS_OF)


def test_tightened_limit_changes_outcome_and_version(tmp_path: Path) -> None:
    overlays = _write(tmp_path, """\
        format: greencert/overlay@1
        id: example_cb/coatings_formaldehyde
        target: coatings/GB-T-35602-2017
        source: licensed text held by Example Certification Co.
        criteria:
          - id: formaldehyde
            requirement: {lte: 10, unit: mg/kg}
            provenance: {status: confirmed, source: licensed copy of GB/T 35602-2017}
        """)
    shipped = Repository.load()
    tightened = Repository.load(overlay_dirs=[overlays])
    before = _check(shipped, "granted.yaml")
    after = _check(tightened, "granted.yaml")
    assert before.outcome == "granted"  # type: ignore[attr-defined]
    assert after.outcome == "refused"  # type: ignore[attr-defined]
    assert after.criterion("formaldehyde").verdict == "fail"  # type: ignore[attr-defined]
    assert after.criterion("formaldehyde").margin == pytest.approx(-2.0)  # type: ignore[attr-defined]
    assert before.ruleset_version != after.ruleset_version  # type: ignore[attr-defined]
    assert any("example_cb/coatings_formaldehyde" in c for c in after.caveats)  # type: ignore[attr-defined]
    assert tightened.overlays[TARGET] == ("example_cb/coatings_formaldehyde",)


def test_added_criterion_without_evidence_makes_it_incomplete(tmp_path: Path) -> None:
    overlays = _write(tmp_path, """\
        format: greencert/overlay@1
        id: example_cb/coatings_voc
        target: coatings/GB-T-35602-2017
        source: licensed text held by Example Certification Co.
        evidence_defaults: {max_age_days: 180, provenance: {status: confirmed, source: EC-GP-07}}
        add_criteria:
          - id: voc
            indicator: voc_content
            requirement: {lte: 50, unit: g/L}
            clause: GB/T 35602-2017 — VOC
            provenance: {status: confirmed, source: licensed copy of GB/T 35602-2017}
        """)
    repo = Repository.load(overlay_dirs=[overlays])
    decision = _check(repo, "granted.yaml")
    assert decision.outcome == "incomplete"  # type: ignore[attr-defined]
    assert decision.criterion("voc").verdict == "missing"  # type: ignore[attr-defined]
    # the report is 200 days old: fine under the shipped 365-day default, refused under the overlay's 180
    assert decision.criterion("benzene").reason == "expired"  # type: ignore[attr-defined]
    # voc is now evaluated, so it is no longer listed as not evaluated
    assert not any("`voc_content`" in c for c in decision.caveats)  # type: ignore[attr-defined]


def test_overlay_targeting_nothing_is_located_with_a_hint(tmp_path: Path) -> None:
    overlays = _write(tmp_path, """\
        format: greencert/overlay@1
        id: example_cb/typo
        target: coatings/GB-T-35602-2017
        source: s
        criteria:
          - id: benzen
            requirement: {lte: 10, unit: mg/kg}
        """)
    result, applied = apply_overlays(load(), [overlays])
    assert applied == {}
    [d] = [d for d in result.diagnostics if d.code == "overlay_target_error"]
    assert d.file is not None and d.file.endswith("overlay.yaml")
    assert (d.line, d.column) == (6, 9)  # the value `benzen`
    assert d.hint == "did you mean `benzene`?"
    with pytest.raises(DiagnosticError):
        Repository.load(overlay_dirs=[overlays])


def test_overlay_errors_in_merged_content_point_into_the_overlay(tmp_path: Path) -> None:
    overlays = _write(tmp_path, """\
        format: greencert/overlay@1
        id: example_cb/bad
        target: coatings/GB-T-35602-2017
        source: s
        criteria:
          - id: benzene
            requirement: {lte: 10, unit: mm}
        add_criteria:
          - id: benzene
            indicator: benzene
            requirement: {lte: 1, unit: mg/kg}
            clause: c
            provenance: {status: confirmed, source: s}
        """)
    result, _ = apply_overlays(load(), [overlays])
    codes = {(d.code, d.line) for d in result.diagnostics}
    assert ("overlay_duplicate_id", 9) in codes
    overlays2 = _write(tmp_path, """\
        format: greencert/overlay@1
        id: example_cb/bad
        target: coatings/GB-T-35602-2017
        source: s
        criteria:
          - id: benzene
            requirement: {lte: 10, unit: mm}
        """)
    result, _ = apply_overlays(load(), [overlays2])
    [d] = result.diagnostics
    assert d.code == "rules_unit_error" and d.file is not None and d.file.endswith("overlay.yaml") and d.line == 7


def test_unknown_target_and_schema_errors(tmp_path: Path) -> None:
    overlays = _write(tmp_path, """\
        format: greencert/overlay@1
        id: example_cb/x
        target: coatings/GB-T-35602-2018
        source: s
        criterias: []
        """)
    result, _ = apply_overlays(load(), [overlays])
    [d] = result.diagnostics
    assert d.code == "overlay_schema_error" and d.line == 5 and d.hint == "did you mean `criteria`?"
    overlays = _write(tmp_path, """\
        format: greencert/overlay@1
        id: example_cb/x
        target: coatings/GB-T-35602-2018
        source: s
        """)
    result, _ = apply_overlays(load(), [overlays])
    [d] = result.diagnostics
    assert d.code == "overlay_target_error" and d.line == 3


def test_snapshot_reproduces_overlaid_decision(tmp_path: Path) -> None:
    overlays = _write(tmp_path, """\
        format: greencert/overlay@1
        id: example_cb/coatings_formaldehyde
        target: coatings/GB-T-35602-2017
        source: s
        criteria:
          - id: formaldehyde
            requirement: {lte: 10, unit: mg/kg}
            provenance: {status: confirmed, source: s}
        """)
    repo = Repository.load(overlay_dirs=[overlays])
    snapshot = repo.snapshot(TARGET)
    again = Repository.from_snapshots([snapshot])
    assert again.versions[TARGET] == repo.versions[TARGET]
    a = _check(repo, "granted.yaml")
    b = _check(again, "granted.yaml")
    assert a.to_dict() == b.to_dict()  # type: ignore[attr-defined]


@pytest.mark.parametrize(("example", "outcome"), [("granted-with-overlay.yaml", "granted"),
                                                  ("refused-with-overlay.yaml", "refused")])
def test_an_overlay_supplying_an_unconfirmed_limit_decides_the_example_and_changes_the_version(
        example: str, outcome: str) -> None:
    """Issue 3's must-show in one place: wood panels ship their formaldehyde emission criterion without a
    number, so the example is incomplete; the overlay in examples/overlays supplies one, the same application
    is then granted (or refused), and the decision's rule-set version hash is not the shipped one."""
    app, doc, diags = read_application(ROOT / "examples" / "wood_panels" / example)
    assert app is not None and doc is not None and not diags
    shipped = Repository.load().check(app, doc, AS_OF)
    overlaid_repo = Repository.load(overlay_dirs=[ROOT / "examples" / "overlays" / "wood_panels"])
    overlaid = overlaid_repo.check(app, doc, AS_OF)
    assert shipped.outcome == "incomplete"
    assert shipped.criterion("formaldehyde_emission").reason == "limit_unconfirmed"
    assert overlaid.outcome == outcome
    assert overlaid.criterion("formaldehyde_emission").verdict == ("pass" if outcome == "granted" else "fail")
    assert overlaid.ruleset_id == shipped.ruleset_id
    assert overlaid.ruleset_version != shipped.ruleset_version
    # the overlay's number is unconfirmed too, and the decision says so instead of pretending
    assert any("formaldehyde_emission" in c and "unconfirmed" in c for c in overlaid.caveats)
    # and the version is reproducible: loading the same overlay again gives the same hash
    again = Repository.load(overlay_dirs=[ROOT / "examples" / "overlays" / "wood_panels"]).check(app, doc, AS_OF)
    assert again.ruleset_version == overlaid.ruleset_version


def test_the_rule_set_an_overlay_makes_goes_through_every_stage(tmp_path: Path) -> None:
    """The operator-count stage too (the overlay path once had its own copy of the stages, without it): two
    operators in one requirement are one `rules_requirement_error` naming them, located in the overlay."""
    overlays = _write(tmp_path, """\
        format: greencert/overlay@1
        id: example_cb/two_ops
        target: coatings/GB-T-35602-2017
        source: s
        criteria:
          - id: benzene
            requirement: {lte: 10, gte: 1, unit: mg/kg}
        """)
    result, _ = apply_overlays(load(), [overlays])
    [d] = result.diagnostics
    assert d.code == "rules_requirement_error" and "several operators" in d.message
    assert d.file is not None and d.file.endswith("overlay.yaml") and d.line == 7
