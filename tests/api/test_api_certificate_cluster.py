"""scripts/certificate_cluster.py: two `greencert serve` servers on one PostgreSQL take 500 concurrent issue and
event requests (half to each), one of them SIGKILLed mid-load and restarted; unique numbers, no acknowledged
event lost or applied twice, every final state equal to a serial replay of its log."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from api_support import database_url_for

from engine.loader import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "certificate_cluster.py"


@pytest.mark.postgres
def test_two_servers_one_postgresql_500_requests_and_a_sigkill(tmp_path: Path) -> None:
    with database_url_for("postgres", tmp_path) as url:
        done = subprocess.run([sys.executable, str(SCRIPT), "--database-url", url, "--requests", "500",
                               "--concurrency", "32", "--kill-after", "200"],
                              capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads(done.stdout)
    assert summary["problems"] == [] and summary["killed"] is True
    assert sum(summary["statuses"].values()) == 500
    assert summary["unanswered_then_retried"]  # the kill really cut requests off
    assert summary["certificates_issued"] == 120  # 20 before the load, 100 in it: each its own number
    assert summary["events_in_logs"] > 0 and summary["statuses"].get("201", 0) > 0
