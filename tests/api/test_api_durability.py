"""scripts/durability.py with small numbers: SIGKILL mid-load loses no acknowledged decision (SQLite, PostgreSQL)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from api_support import BACKENDS, database_url_for

from engine.loader import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "durability.py"


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_acknowledged_decision_survives_sigkill(backend: str, tmp_path: Path) -> None:
    with database_url_for(backend, tmp_path) as url:
        extra = [] if backend == "sqlite" else ["--database-url", url]
        done = subprocess.run([sys.executable, str(SCRIPT), "--submissions", "40", "--concurrency", "8",
                               "--kill-after", "12", "--workers", "2", *extra],
                              capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads(done.stdout)
    assert summary["problems"] == []
    assert summary["acknowledged"] >= 12
    assert summary["unacknowledged"] > 0  # the kill really happened mid-load
    assert summary["records_after_retry"] == 40
    assert summary["acknowledged"] + summary["unacknowledged"] == 40
