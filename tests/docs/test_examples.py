"""Every shipped example application gives the outcome its expected.yaml states (through the real CLI path)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine import Repository, read_application

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def _cases() -> list[tuple[Path, dict[str, Any]]]:
    out = []
    for expected in sorted(EXAMPLES.glob("*/expected.yaml")):
        for case in yaml.safe_load(expected.read_text(encoding="utf-8")):
            out.append((expected.parent / case["file"], case))
    return out


CASES = _cases()
_repos: dict[str | None, Repository] = {}
OUTCOMES = ("granted", "refused", "incomplete")


def _repo(overlay: str | None) -> Repository:
    if overlay not in _repos:
        _repos[overlay] = Repository.load(overlay_dirs=[ROOT / overlay] if overlay else ())
    return _repos[overlay]


def _case_id(path: Path, case: dict[str, Any]) -> str:
    """Which rules a case runs on is part of its name: `+ overlay` or `shipped rules`."""
    rules = f"with {case['overlay']}" if case.get("overlay") else "shipped rules"
    return f"{path.parent.name}/{path.name} on {case['as_of']} ({rules})"


def test_there_are_examples_for_the_must_show_cases() -> None:
    coatings = {c["file"]: c["outcome"] for p, c in CASES if p.parent.name == "coatings"}
    assert coatings["granted.yaml"] == "granted"
    assert coatings["refused-benzene.yaml"] == "refused"
    assert coatings["incomplete-formaldehyde.yaml"] == "incomplete"
    assert {"incomplete-old-report.yaml", "incomplete-unqualified-lab.yaml", "incomplete-corrective-action.yaml"} <= set(
        coatings)


def test_every_example_is_named_by_its_outcome_and_paired_with_its_overlay() -> None:
    """A file's name starts with the outcome it gets; `*-with-overlay*` files are evaluated only with their
    category's overlay (examples/overlays/<category>), every other file only with the shipped rules. The one
    exception, `edition-boundary*`, is evaluated on several dates and names no outcome."""
    listed: set[Path] = set()
    for path, case in CASES:
        listed.add(path)
        name = path.stem
        with_overlay = "-with-overlay" in name
        expected_overlay = f"examples/overlays/{path.parent.name}" if with_overlay else None
        assert case.get("overlay") == expected_overlay, _case_id(path, case)
        if not name.startswith("edition-boundary"):
            assert name.split("-")[0] in OUTCOMES, path
            assert case["outcome"] == name.split("-")[0], _case_id(path, case)
    files = {p for p in EXAMPLES.glob("*/*.yaml") if p.name != "expected.yaml" and p.parent.name != "overlays"}
    assert files == listed, sorted(str(p) for p in files ^ listed)
    # and a file the name promises to be granted is granted on the shipped rules, unless the name says overlay
    assert sum(1 for p, c in CASES if p.name.startswith("granted") and not c.get("overlay")) >= 1


@pytest.mark.parametrize("path,case", CASES, ids=[_case_id(p, c) for p, c in CASES])
def test_example_outcome(path: Path, case: dict[str, Any]) -> None:
    app, doc, diags = read_application(path)
    assert not diags, diags
    assert app is not None and doc is not None
    as_of = case["as_of"] if isinstance(case["as_of"], dt.date) else dt.date.fromisoformat(case["as_of"])
    decision = _repo(case.get("overlay")).check(app, doc, as_of)
    assert decision.outcome == case["outcome"], [(c.id, c.verdict, c.reason) for c in decision.criteria]
    assert decision.standard == case["edition"]
    for cid, verdict in (case.get("verdicts") or {}).items():
        assert decision.criterion(cid).verdict == verdict, cid
    for cid, reason in (case.get("reasons") or {}).items():
        assert decision.criterion(cid).reason == reason, cid
    if "inspection" in case:
        assert decision.factory_inspection is not None
        assert decision.factory_inspection.verdict == case["inspection"]
    for ref in case.get("missing") or ():
        assert ref in {m.ref for m in decision.missing_evidence}, ref
    assert decision.evaluated_on == as_of
    assert decision.ruleset_version.startswith("sha256:")


def test_on_2026_11_01_the_examples_use_the_new_editions() -> None:
    """Wood panels, furniture and waterproofing changed edition in 2025: their examples dated 2026-11-01 are
    decided on GB/T 35601-2024, GB/T 35607-2024 and GB/T 35609-2025."""
    new = {"wood_panels": "GB/T 35601-2024", "furniture": "GB/T 35607-2024", "waterproofing_sealants": "GB/T 35609-2025"}
    seen = {cat: {c["edition"] for p, c in CASES if p.parent.name == cat and str(c["as_of"]) == "2026-11-01"}
            for cat in new}
    assert seen == {cat: {edition} for cat, edition in new.items()}
    for cat in new:
        run = _cli("check", f"examples/{cat}/refused-factory-inspection.yaml", "--as-of", "2026-11-01", "--format", "json")
        assert run.returncode == 1, run.stderr
        assert json.loads(run.stdout)["standard"] == new[cat]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def test_cli_exit_code_per_outcome() -> None:
    assert _cli("check", "examples/coatings/granted.yaml", "--as-of", "2026-11-01").returncode == 0
    assert _cli("check", "examples/coatings/refused-benzene.yaml", "--as-of", "2026-11-01").returncode == 1
    run = _cli("check", "examples/coatings/incomplete-formaldehyde.yaml", "--as-of", "2026-11-01")
    assert run.returncode == 2
    # the text report names the missing test
    assert "formaldehyde" in run.stdout and "Missing evidence" in run.stdout


def test_cli_json_decision_names_the_missing_test() -> None:
    run = _cli("check", "examples/coatings/incomplete-formaldehyde.yaml", "--as-of", "2026-11-01", "--format", "json")
    decision = json.loads(run.stdout)
    assert decision["outcome"] == "incomplete"
    assert decision["evaluated_on"] == "2026-11-01"
    missing = [m for m in decision["missing_evidence"] if m["ref"] == "formaldehyde"]
    assert missing and missing[0]["kind"] == "test_result"
    assert "CMA" in missing[0]["description"] and "2025-11-01" in missing[0]["description"]


def test_cli_invalid_application_exits_3_with_location(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("category: coatings\nproduct: {model: X}\nevidence:\n  test_reports:\n"
                   "    - {id: R, laboratory: {name: L, qualifications: [CMA]}, issued: 2026-01-01, model: X,\n"
                   "       results: [{indicator: benzen, value: 1, unit: mg/kg}]}\n", encoding="utf-8")
    run = _cli("check", str(bad), "--as-of", "2026-11-01")
    assert run.returncode == 3
    assert "unknown indicator `benzen`" in run.stderr and "did you mean `benzene`?" in run.stderr
    assert f"{bad}:6:" in run.stderr
    assert "Traceback" not in run.stderr
