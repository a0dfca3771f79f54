"""The text report says what a grade label's evidence proves, whether it is awarded, and what would prove more."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.console import Console

from engine import Repository, application_from_data
from engine.decision import Decision
from engine.report import print_decision
from tests.support.applications import wood_panel_grade_application

AS_OF = dt.date(2025, 3, 1)  # under the wood-panel edition of 2017, whatever editions follow it



def _report(repo: Repository, data: dict[str, Any]) -> tuple[Decision, str]:
    app, doc, diags = application_from_data(data)
    assert app is not None and not diags, diags
    decision = repo.check(app, doc, AS_OF)
    assert decision.ruleset_id == "wood_panels/GB-T-35601-2017"
    console = Console(record=True, width=400, color_system=None)
    print_decision(decision, console)
    return decision, " ".join(console.export_text().split())


def test_a_proven_grade_with_a_better_one_open(repo: Repository) -> None:
    decision, text = _report(repo, wood_panel_grade_application("pass", 0.06))
    assert decision.outcome == "granted"
    assert "grade E1" in text and "not awarded" not in text
    assert "ENF open: a test with a detection limit ≤ 0.025 mg/m^3 could prove it" in text
    assert "E0 open: a test with a detection limit ≤ 0.05 mg/m^3 could prove it" in text


def test_a_proven_grade_held_back_by_the_gate(repo: Repository) -> None:
    decision, text = _report(repo, wood_panel_grade_application("fail", 0.01))
    assert decision.outcome == "refused"
    assert "grade ENF proven, not awarded" in text
    assert "open: a test" not in text


def test_a_detection_limit_above_every_band_asks_for_a_more_sensitive_test(repo: Repository) -> None:
    decision, text = _report(repo, wood_panel_grade_application("pass", 0.2))
    assert decision.outcome == "incomplete"
    assert "E1 open: a test with a detection limit ≤ 0.124 mg/m^3 could prove it" in text
    assert ("with a detection limit at or below the bound of the grade wanted: 0.025 mg/m^3 for ENF, 0.05 mg/m^3 for "
            "E0, 0.124 mg/m^3 for E1") in text
