"""`greencert validate`: `file:line:col: code: message` lines, exit status, and the JSON report's shape."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from engine.loader import PROJECT_ROOT
from greencert_cli import main
from tests.support.corpus import CORPUS, expectations

GREENCERT = PROJECT_ROOT / ".venv" / "bin" / "greencert"
LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<column>\d+): (?P<code>[a-z_]+): (?P<message>.+)$")
SUMMARY = re.compile(r"^\d+ file\(s\) read, \d+ categor\(y/ies\), \d+ rule set\(s\), (?P<problems>\d+) problem\(s\)$")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(GREENCERT), *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
                          check=False)


def test_a_broken_file_exits_1_and_prints_one_located_line_per_problem() -> None:
    case = CORPUS / "several_problems.yaml"
    proc = _run("validate", str(case.relative_to(PROJECT_ROOT)))
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    *lines, summary = proc.stdout.splitlines()
    matches = [LINE.match(line) for line in lines]
    assert all(matches), proc.stdout
    assert {(m["code"], int(m["line"]), int(m["column"])) for m in matches if m} == {
        (e.code, e.line, e.column) for e in expectations(case)}
    assert all(m and m["file"] == "tests/support/broken_rules/several_problems.yaml" for m in matches)
    assert "unknown indicator `benzne` (did you mean `benzene`?)" in proc.stdout
    m = SUMMARY.match(summary)
    assert m and int(m["problems"]) == len(lines)


def test_the_shipped_files_exit_0() -> None:
    proc = _run("validate")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (summary,) = proc.stdout.splitlines()
    m = SUMMARY.match(summary)
    assert m and m["problems"] == "0"


def test_json_report_has_the_documented_shape() -> None:
    proc = _run("validate", "--format", "json", "tests/support/broken_rules/unknown_indicator.yaml")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert set(report) == {"files", "ok", "diagnostics"}
    assert report["ok"] is False
    assert report["files"] == ["tests/support/broken_rules/unknown_indicator.yaml"]
    assert len(report["diagnostics"]) == 2
    for d in report["diagnostics"]:
        assert set(d) == {"code", "message", "file", "line", "column", "hint", "field", "severity"}
        assert isinstance(d["line"], int) and isinstance(d["column"], int)
        assert d["severity"] == "error"
    first = report["diagnostics"][0]
    assert first == {"code": "rules_reference_error", "message": "unknown indicator `benzen`",
                     "file": "tests/support/broken_rules/unknown_indicator.yaml", "line": 11, "column": 16,
                     "hint": "did you mean `benzene`?", "field": "criteria[0].indicator", "severity": "error"}


def test_json_report_of_clean_files_is_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["diagnostics"] == [] and report["files"]


@pytest.mark.parametrize("name", ["yaml_syntax_error.yaml", "empty_file.yaml", "encoding_error.yaml",
                                  "overlapping_editions", "broken_catalog_cascade"])
def test_every_kind_of_broken_input_exits_1_without_a_traceback(name: str,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(CORPUS / name)]) == 1
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    located = [LINE.match(line) for line in out.out.splitlines()[:-1]]
    assert located and all(located), out.out


def test_a_missing_path_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["validate", str(tmp_path / "missing.yaml")]) == 1
    assert "file_not_found: no such file or directory" in capsys.readouterr().out
