"""scripts/durability.py with small numbers: SIGKILL mid-load loses no acknowledged decision, certificate or
certificate event, doubles none, and a replayed Idempotency-Key answers the same (SQLite, PostgreSQL)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.loader import PROJECT_ROOT
from tests.support.api_support import BACKENDS, database_url_for

SCRIPT = PROJECT_ROOT / "scripts" / "durability.py"


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_acknowledged_write_survives_sigkill(backend: str, tmp_path: Path) -> None:
    with database_url_for(backend, tmp_path) as url:
        extra = [] if backend == "sqlite" else ["--database-url", url]
        done = subprocess.run([sys.executable, str(SCRIPT), "--submissions", "40", "--concurrency", "8",
                               "--kill-after", "12", "--workers", "2", "--certificates", "6", "--events", "4", *extra],
                              capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads(done.stdout)
    assert summary["problems"] == []
    assert summary["acknowledged"] >= 12
    assert summary["unacknowledged"] > 0  # the kill really happened mid-load
    assert summary["records_after_retry"] == 40
    assert summary["acknowledged"] + summary["unacknowledged"] == 40
    # certificates: 6 chains of an issue and 4 events; the kill waited for 40% of those 30 writes
    assert summary["certificates"] == 6 and summary["certificates_after_retry"] == 6
    assert summary["certificate_writes_acknowledged"] >= 12
    assert summary["certificate_writes_unacknowledged"] > 0  # some chains were cut by the kill
    assert summary["certificate_writes_acknowledged"] + summary["certificate_writes_unacknowledged"] == 30
    assert summary["certificate_replays_identical"] == summary["certificate_writes_acknowledged"]
    assert (summary["certificate_writes_unacknowledged_but_committed"]
            + summary["certificate_writes_recorded_on_retry"]) == summary["certificate_writes_unacknowledged"]
