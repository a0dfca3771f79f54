"""BENCHMARKS.md is rendered from saved figures; a run is compared with the one it replaces."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks import run_all
from engine.loader import PROJECT_ROOT

SAVED = PROJECT_ROOT / "benchmarks" / "plots" / "results.json"


def _saved() -> dict[str, Any]:
    return json.loads(SAVED.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_previous_summary_takes_the_figures_a_later_run_is_compared_with() -> None:
    saved = _saved()
    summary = run_all.previous_summary(saved)
    engines = saved["runs"]["engine"]["result"]["engines"]
    assert summary["date"] == saved["info"]["date"]
    assert summary["figures"]["engine.reference"] == engines["reference"]["per_cpu_s"]
    assert summary["figures"]["engine.greencert_full"] == engines["greencert_full"]["per_cpu_s"]
    startup = saved["runs"]["startup"]["result"]["summary"]["process_wall_s"]["median"]
    assert summary["figures"]["startup.median_s"] == startup


def test_the_comparison_says_how_fast_the_machine_was_from_code_that_did_not_change() -> None:
    saved = _saved()
    previous = copy.deepcopy(saved)
    for name in ("reference", "python", "greencert_full"):
        previous["runs"]["engine"]["result"]["engines"][name]["per_cpu_s"] *= 2  # "the machine was twice as fast"
    saved["info"]["previous"] = run_all.previous_summary(previous)
    section = "\n".join(run_all._previous_section(saved["info"], saved["runs"]))
    assert "| reference evaluator, apps/s (plain Python; its code is the same in both runs) |" in section
    assert "| 0.50x |" in section
    closing = "\n".join(run_all._closing(saved["runs"], saved["info"]))
    assert "**This machine was slower than in the previous run**" in closing and "0.50-0.50x" in closing
    saved["info"].pop("previous")
    assert run_all._previous_section(saved["info"], saved["runs"]) == []


def test_a_faster_machine_is_said_so_with_the_rate_at_the_previous_speed() -> None:
    saved = _saved()
    previous = copy.deepcopy(saved)
    engines = previous["runs"]["engine"]["result"]["engines"]
    for name in ("reference", "python", "greencert_full", "greencert_batch"):
        engines[name]["per_cpu_s"] /= 2  # "the machine was half as fast"
    saved["info"]["previous"] = run_all.previous_summary(previous)
    closing = "\n".join(run_all._closing(saved["runs"], saved["info"]))
    now = saved["runs"]["engine"]["result"]["engines"]
    projected = now["greencert_batch"]["per_cpu_s"] / 2
    assert "**This machine was faster than in the previous run**" in closing and "2.00-2.00x" in closing
    assert f"would give about {run_all._rate(projected)}/s" in closing
    assert "slower" not in closing


def test_benchmarks_md_renders_again_from_the_committed_figures(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    shutil.copy(SAVED, results)
    out = tmp_path / "BENCHMARKS.md"
    proc = subprocess.run([sys.executable, "benchmarks/run_all.py", "--from-results", str(results), "--out", str(out),
                           "--plots-dir", str(tmp_path / "plots")], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    assert "## Targets" in text and "## 1. Engine throughput, one core, side by side" in text
    # the committed BENCHMARKS.md is this rendering of the committed figures (the plots' lines aside: matplotlib
    # is in the `bench` extra, not in `test`)
    committed = (PROJECT_ROOT / "BENCHMARKS.md").read_text(encoding="utf-8")

    def text_lines(md: str) -> list[str]:
        return [line for line in md.splitlines() if line.strip() and "](" not in line]

    assert text_lines(text) == text_lines(committed)
