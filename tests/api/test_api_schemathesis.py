"""A bounded run of scripts/schemathesis_run.py: schemathesis `--checks all` against the running service as every
role (two organisations as peers), on SQLite and PostgreSQL; no failure but the intended ones (docs/api.md).

The long run is the script itself (docs/api.md, "Schemathesis", with the figures of a run); this one keeps CI
to a few minutes: every role, the phases whose size `--max-examples` bounds (examples, fuzzing, stateful; the
coverage phase, a few thousand requests per role whatever the bound, runs in the long run only)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts import schemathesis_run
from tests.support.api_support import postgres_url_or_skip

MAX_EXAMPLES = 3


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_schemathesis_finds_nothing_but_the_intended(backend: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    postgres = ["--postgres-url", postgres_url_or_skip()] if backend == "postgres" else []
    summary_path = tmp_path / "summary.json"
    code = schemathesis_run.main(["--backend", backend, *postgres, "--max-examples", str(MAX_EXAMPLES), "--seed", "1",
                                  "--phases", "examples,fuzzing,stateful", "--summary", str(summary_path),
                                  "--work-dir", str(tmp_path)])
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    output = capsys.readouterr().out
    print(output)
    assert summary["unexpected"] == [] and summary["errors"] == [], output
    assert code == 0, output
    assert [r["role"] for r in summary["runs"]] == list(schemathesis_run.ROLES)
    # a couple of hundred requests per role at least, or the run proved little
    assert all(r["cases"] >= 150 for r in summary["runs"]), summary["runs"]
