"""A dimensionless quantity (unit `1`, e.g. relative detergency) prints as a number alone: `≥ 1`, never `≥ 1 1`,
in the requirement text (decisions, the API's criteria, the web page) and in the text report's values and margins."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from engine import Repository, evaluate, read_application
from engine.loader import PROJECT_ROOT
from engine.models import Requirement, unit_suffix
from engine.report import measured_text, render_decision

AS_OF = dt.date(2026, 11, 1)


def test_the_unit_suffix_of_a_dimensionless_quantity_is_nothing() -> None:
    assert unit_suffix("1") == "" and unit_suffix(None) == "" and unit_suffix("") == ""
    assert unit_suffix("mg/kg") == " mg/kg"
    assert Requirement.model_validate({"gte": 1.0, "unit": "1"}).describe() == "≥ 1"
    assert Requirement.model_validate({"gte": None, "unit": "1"}).describe() == "≥ (limit not shipped)"
    assert Requirement.model_validate({"lte": 0.5, "unit": "mg/kg"}).describe() == "≤ 0.5 mg/kg"


def _detergency_application() -> Path:
    """A shipped example whose evidence gives a dimensionless result (found by content, whatever its name)."""
    for path in sorted((PROJECT_ROOT / "examples").rglob("*.yaml")):
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("category") != "detergents":
            continue
        results = [r for rep in data.get("evidence", {}).get("test_reports", []) for r in rep.get("results", [])]
        if any(str(r.get("unit")) == "1" for r in results):
            return path
    raise AssertionError("no detergents example with a dimensionless result")


def test_the_report_prints_a_dimensionless_limit_value_and_margin_without_the_unit(tmp_path: Path) -> None:
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "detergency.yaml").write_text(
        "format: greencert/overlay@1\nid: test/detergency\ntarget: detergents/GB-T-39020-2020\n"
        "source: a value made up for this test\ncriteria:\n"
        + "".join(f"  - id: {c}\n    requirement: {{gte: 1.0, unit: '1'}}\n"
                  "    provenance: {status: unconfirmed, source: 'a value made up for this test'}\n"
                  for c in ("detergency_liquid", "detergency_powder")), encoding="utf-8")
    repo = Repository.load(overlay_dirs=[overlay])
    try:
        application, document, problems = read_application(_detergency_application())
        assert application is not None and not problems
        compiled, app, unit = repo.prepare(application, document, AS_OF)
        decision = evaluate(compiled, app, AS_OF, unit=unit)
    finally:
        repo.close()
    detergency = [c for c in decision.criteria if c.id.startswith("detergency_") and c.measured is not None]
    assert detergency and all(c.requirement == "≥ 1" and c.limit_unit == "1" for c in detergency)
    assert all(measured_text(c.measured) == f"{c.measured.value:.6g}" for c in detergency if c.measured)
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(render_decision(decision))
    text = out.getvalue()
    assert "≥ 1 " in text and " 1 1" not in text and "(≥ 1 1)" not in text
    line = next(row for row in text.splitlines() if detergency[0].id in row)
    assert f"{detergency[0].margin:+.4g} (" in line, line  # the margin, then its share: no unit between
