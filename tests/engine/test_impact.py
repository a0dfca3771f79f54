"""engine/impact.py: a decision under a new edition read as keep / lose / undetermined."""

from __future__ import annotations

import datetime as dt

from engine import Repository, parse_application
from engine.diagnostics import Diagnostic
from engine.impact import classify, summarize
from engine.loader import PROJECT_ROOT

DAY = dt.date(2026, 11, 1)


def _decide(name: str) -> object:
    path = PROJECT_ROOT / "examples" / "coatings" / name
    app, doc, diags = parse_application(path.read_text(encoding="utf-8"), str(path))
    assert app is not None and doc is not None and not diags
    return Repository.load().check(app, doc, DAY)


def test_keep_lose_undetermined() -> None:
    keep = classify("A-1", _decide("granted.yaml"))  # type: ignore[arg-type]
    lose = classify("A-2", _decide("refused-benzene.yaml"))  # type: ignore[arg-type]
    gap = classify("A-3", _decide("incomplete-formaldehyde.yaml"))  # type: ignore[arg-type]
    none = classify("A-4", None, [Diagnostic("edition_not_in_force", "not accepted", "<item 0>")])
    assert (keep.verdict, keep.failing, keep.missing) == ("keep", (), ())
    assert lose.verdict == "lose"
    assert [(f["id"], f["measured"], f["unit"], f["margin"]) for f in lose.failing] == [
        ("benzene", 180.0, "mg/kg", -80.0)]
    assert gap.verdict == "undetermined" and "evidence formaldehyde" in gap.missing
    assert none.verdict == "undetermined" and none.diagnostics[0]["code"] == "edition_not_in_force"
    s = summarize([keep, lose, gap, none])
    assert s["counts"] == {"keep": 1, "lose": 1, "undetermined": 2} and s["certificates"] == 4
    assert s["criteria_causing_losses"] == [{"id": "benzene", "certificates": 1}]


def test_a_stored_application_gets_every_check_its_decision_depends_on() -> None:
    """intake.application_from_stored (the impact analysis' intake of applications read back from the database)
    skips only the check of what a database can hold: the same application, -0.0 read as 0.0, schema errors."""
    import json

    import yaml

    from engine.intake import application_from_data, application_from_stored

    data = json.loads(json.dumps(yaml.safe_load((PROJECT_ROOT / "examples" / "coatings" / "granted.yaml").read_text(
        encoding="utf-8")), default=str))
    assert application_from_stored(data)[0] == application_from_data(data)[0] is not None
    signed = json.loads(json.dumps(data))
    signed["evidence"]["test_reports"][0]["results"][0]["value"] = -0.0
    app, _, diags = application_from_stored(signed)
    assert app is not None and not diags
    value = app.evidence.test_reports[0].results[0].value
    assert value == 0.0 and str(value) == "0.0"
    broken = {**data, "product": {**data["product"], "model": 42}}
    app, _, diags = application_from_stored(broken)
    assert app is None and diags and diags[0].code == "application_schema_error"
